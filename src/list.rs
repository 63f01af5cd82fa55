//! `course list`, what `cargo run` shows: every lesson, where you stand in it, and the one next thing to do.

use anyhow::Result;

use crate::course::{Chapter, Course};
use crate::lessons::{Lesson, Step};
use crate::progress::{Progress, Status};

/// A lesson as the map shows it.
struct Row<'a> {
    lesson: &'a Lesson,
    /// `None` while the lesson's `tests/steps.rs` is missing or has no step: it cannot be done yet.
    steps: Option<Vec<Step>>,
    status: Status,
}

/// Every lesson with its steps (if it has any) and its status in `progress`.
fn rows<'a>(course: &'a Course, progress: &Progress) -> Vec<Row<'a>> {
    course
        .lessons
        .iter()
        .map(|lesson| {
            let steps = lesson.steps().ok();
            let count = steps.as_ref().map_or(0, |steps| steps.len() as u32);
            Row {
                lesson,
                status: progress.status(&lesson.label(), count),
                steps,
            }
        })
        .collect()
}

pub fn run(course: &Course) -> Result<u8> {
    let progress = Progress::load(&course.progress_file)?;
    let rows = rows(course, &progress);

    println!("Socket programming in Rust: the lesson map");
    println!();
    if rows.is_empty() {
        println!("{}", course.lesson_list());
        return Ok(0);
    }
    let title_width = rows
        .iter()
        .map(|row| row.lesson.title.len())
        .chain(course.planned.iter().map(|entry| entry.title.len()))
        .max()
        .unwrap_or(0);
    for row in &rows {
        let status = match (&row.steps, row.status) {
            (None, _) => "no steps yet".to_string(),
            (Some(_), Status::NotStarted) => "not started".to_string(),
            (Some(_), Status::InProgress { passed, total }) => {
                format!("in progress: {passed} of {total} steps")
            }
            (Some(_), Status::Done) => "done".to_string(),
        };
        let chapter = match course.chapter(row.lesson) {
            Chapter::Written(_) => "",
            Chapter::NotWritten => "  (chapter not written yet)",
        };
        println!(
            "  {}  {:title_width$}  {status}{chapter}",
            row.lesson.label(),
            row.lesson.title
        );
    }
    for entry in &course.planned {
        let title = &entry.title;
        println!("  {:02}  {title:title_width$}  coming soon", entry.number);
    }
    println!();
    println!("{}", next_line(course, &progress, &rows));
    println!(
        "Commands: cargo run -- check N | watch [N] | hint N | reset N | help (N is the lesson number, e.g. 1)"
    );
    Ok(0)
}

/// The lesson to work on next according to `progress`, and the step of it that failed at its last check:
/// the lesson checked last if it is not done, else the next one after it not done, else the first one not
/// done. So a learner who starts with lesson 05 goes on to 06, and `earlier_left` names 01 to 04.
/// `None` when no lesson with steps is left.
pub fn next_lesson<'a>(
    course: &'a Course,
    progress: &Progress,
) -> Option<(&'a Lesson, Option<Step>)> {
    let rows = rows(course, progress);
    next_row(progress, &rows)
}

fn next_row<'a>(progress: &Progress, rows: &[Row<'a>]) -> Option<(&'a Lesson, Option<Step>)> {
    let open = |row: &&Row| row.steps.is_some() && row.status != Status::Done;
    let from = last_checked(progress, rows).unwrap_or(0);
    let row = rows[from..]
        .iter()
        .find(open)
        .or_else(|| rows.iter().find(open))?;
    let failing = progress
        .check(&row.lesson.label())
        .and_then(|record| record.failing);
    let step = row
        .steps
        .iter()
        .flatten()
        .find(|step| Some(step.number) == failing)
        .cloned();
    Some((row.lesson, step))
}

/// Where in `rows` the lesson checked last is; `None` before any check (or if it left the course).
fn last_checked(progress: &Progress, rows: &[Row]) -> Option<usize> {
    let label = progress.last_checked()?;
    rows.iter().position(|row| row.lesson.label() == label)
}

/// `Not done yet before it: 01, 02 (in progress) and 04.` for the lessons before `next` that are not done,
/// so that going on from the lesson just finished never hides the ones skipped. `None` when there are none.
pub fn earlier_left(course: &Course, progress: &Progress, next: &Lesson) -> Option<String> {
    let left: Vec<String> = rows(course, progress)
        .iter()
        .take_while(|row| row.lesson.number != next.number)
        .filter(|row| row.steps.is_some() && row.status != Status::Done)
        .map(|row| match row.status {
            Status::InProgress { .. } => format!("{} (in progress)", row.lesson.label()),
            _ => row.lesson.label(),
        })
        .collect();
    let (last, rest) = left.split_last()?;
    let list = match rest {
        [] => last.clone(),
        _ => format!("{} and {last}", rest.join(", ")),
    };
    let lessons = if rest.is_empty() { "lesson" } else { "lessons" };
    Some(format!(
        "Not done yet before it: {lessons} {list} (`cargo run -- check N` takes them in any order)."
    ))
}

/// What to say when every lesson with an exercise is done; `mention_coming` adds the lessons still to come
/// (the map has its own line for them).
pub fn all_done_line(course: &Course, mention_coming: bool) -> String {
    let mut line = "every lesson so far is done.".to_string();
    match course.coming_line() {
        Some(coming) if mention_coming => line = format!("{line} {coming}"),
        Some(_) => {}
        None => line.push_str(" Each chapter ends with ideas for going further."),
    }
    line.push_str(" `cargo run -- reset N` starts a lesson again.");
    line
}

/// The lesson to go on with (see `next_lesson`), and the earlier lessons still left.
fn next_line(course: &Course, progress: &Progress, rows: &[Row]) -> String {
    match next_row(progress, rows) {
        Some((lesson, step)) => {
            let next = course.next_step(lesson, step.as_ref());
            match earlier_left(course, progress, lesson) {
                Some(left) => format!("{next}\n{left}"),
                None => next,
            }
        }
        None if rows.iter().all(|row| row.steps.is_none()) => {
            "Next: no lesson has its exercise yet; come back after the next update of the course."
                .to_string()
        }
        None => format!("Next: {}", all_done_line(course, false)),
    }
}
