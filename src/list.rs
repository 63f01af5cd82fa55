//! `course list`, what `cargo run` shows: every lesson, where you stand in it, and the one next thing to do.

use anyhow::Result;

use crate::course::Course;
use crate::lessons::{Lesson, Step};
use crate::progress::{Progress, Status};

/// A lesson as the map shows it.
struct Row<'a> {
    lesson: &'a Lesson,
    /// `None` while the lesson's `tests/steps.rs` is missing or has no step: it cannot be done yet.
    steps: Option<Vec<Step>>,
    status: Status,
}

pub fn run(course: &Course) -> Result<u8> {
    let progress = Progress::load(&course.progress_file)?;
    let rows: Vec<Row> = course
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
        .collect();

    println!("Socket programming in Rust: the lesson map");
    println!();
    if rows.is_empty() {
        println!("{}", course.lesson_list());
        return Ok(0);
    }
    let title_width = rows
        .iter()
        .map(|row| row.lesson.title.len())
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
        println!(
            "  {}  {:title_width$}  {status}",
            row.lesson.label(),
            row.lesson.title
        );
    }
    println!();
    println!("{}", next_line(course, &progress, &rows));
    println!(
        "Commands: cargo run -- check N | hint N | reset N | help (N is the lesson number, e.g. 1)"
    );
    Ok(0)
}

/// The lesson you were working on (the first one in progress), else the first you have not started.
fn next_line(course: &Course, progress: &Progress, rows: &[Row]) -> String {
    let in_progress = rows
        .iter()
        .find(|row| matches!(row.status, Status::InProgress { .. }) && row.steps.is_some());
    if let Some(row) = in_progress {
        let failing = progress
            .check(&row.lesson.label())
            .and_then(|record| record.failing);
        let step = row
            .steps
            .iter()
            .flatten()
            .find(|step| Some(step.number) == failing);
        return course.next_step(row.lesson, step);
    }
    let not_started = rows
        .iter()
        .find(|row| row.status == Status::NotStarted && row.steps.is_some());
    match not_started {
        Some(row) => course.next_step(row.lesson, None),
        None if rows.iter().all(|row| row.steps.is_none()) => {
            "Next: no lesson has its exercise yet; come back after the next update of the course."
                .to_string()
        }
        None => "Next: every lesson is done. Each chapter ends with ideas for going further; \
                 `cargo run -- reset N` starts a lesson again."
            .to_string(),
    }
}
