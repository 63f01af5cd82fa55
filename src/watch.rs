//! `course watch [LESSON]`: checks your exercise again each time you save a file of the lesson, shows
//! only the step you are on and a short hint, and moves on to the next lesson when every step passes.
//!
//! It notices a save by reading the modification times and sizes of the lesson's `src/` files twice a
//! second. A file-watching library would be quicker to notice, but it fails on some file systems (network
//! drives, some containers and virtual machines): looking costs a few system calls and works everywhere.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};

use crate::check::{self, StepResult};
use crate::course::Course;
use crate::hint;
use crate::lessons::{Lesson, Step};
use crate::list;
use crate::progress::Progress;
use crate::text;

/// How often the files are looked at: often enough that a save feels answered at once.
const POLL: Duration = Duration::from_millis(500);

/// How many lines of the failing step's message to show: the first lines say what went wrong.
const MESSAGE_LINES: usize = 8;

/// How many lines of the step's hint to show at most; hints are a few lines, and one is shown whole
/// unless it is unusually long.
const HINT_LINES: usize = 12;

pub fn run(course: &Course, wanted: Option<&str>, limit: Duration) -> Result<u8> {
    let mut lesson = match wanted {
        Some(wanted) => course.lesson(wanted)?,
        None => match list::next_lesson(course, &Progress::load(&course.progress_file)?) {
            Some((lesson, _)) => lesson,
            None => {
                println!("{}", list::all_done_line(course, true));
                return Ok(0);
            }
        },
    };
    let mut seen: Option<Vec<Stamp>> = None;
    loop {
        let stamps = stamps(&lesson.dir.join("src"))?;
        if seen.as_ref() == Some(&stamps) {
            std::thread::sleep(POLL);
            continue;
        }
        seen = Some(stamps);
        if check_once(course, lesson, limit)? {
            let progress = Progress::load(&course.progress_file)?;
            match list::next_lesson(course, &progress) {
                Some((next, _)) if next.number != lesson.number => {
                    println!("\nLesson {} is next: {}.", next.label(), next.title);
                    if let crate::course::Chapter::Written(chapter) = course.chapter(next) {
                        println!("Read {chapter} first.");
                    }
                    lesson = next;
                    seen = None;
                    continue;
                }
                _ => {
                    println!("\n{}", list::all_done_line(course, true));
                    return Ok(0);
                }
            }
        }
        println!(
            "\nWatching {} for your next save (Ctrl-C stops)...",
            lesson.rel("src")
        );
        let _ = io::stdout().flush();
    }
}

/// Runs the steps once and shows where the learner is; true when every step passes.
fn check_once(course: &Course, lesson: &Lesson, limit: Duration) -> Result<bool> {
    let steps = lesson.steps()?;
    println!(
        "\n--- lesson {}: {} ({}) ---",
        lesson.label(),
        lesson.title,
        lesson.rel("src/exercise.rs")
    );
    let _ = io::stdout().flush();
    let Some(evaluation) = check::evaluate(course, lesson, &steps, limit, None, false)? else {
        println!(
            "Your exercise does not compile yet: fix the first of cargo's errors above, and save."
        );
        return Ok(false);
    };
    let Some((step, result)) = evaluation.first_failing(&steps) else {
        println!(
            "All {} steps pass: lesson {} is done!",
            steps.len(),
            lesson.label()
        );
        return Ok(true);
    };
    println!(
        "{} of {} steps pass. Step {}, {}: {}",
        evaluation.passed(),
        steps.len(),
        step.number,
        step.title,
        result.label()
    );
    let message = match result {
        StepResult::Failed => evaluation.message(step, MESSAGE_LINES).unwrap_or_default(),
        StepResult::Unfinished => format!(
            "it was still running after {} s, so it was stopped: look for a loop that never ends or a \
             call that waits with no timeout",
            limit.as_secs()
        ),
        _ => String::new(),
    };
    text::print_indented(&message);
    let mut progress = Progress::load(&course.progress_file)?;
    let seen = progress.hints_shown(&lesson.label(), step.number) as usize;
    if let Some(hint) = hint_reached(lesson, step, seen) {
        println!("{}", hint.heading);
        text::print_indented(&hint.text);
        if seen == 0 {
            // Shown now, so `cargo run -- hint` goes on with the next one instead of repeating it.
            progress.set_hints_shown(&lesson.label(), step.number, 1);
            progress.save(&course.progress_file)?;
        }
    }
    println!(
        "The whole task: cargo run -- check {} | the next hint: cargo run -- hint {}",
        lesson.number, lesson.number
    );
    Ok(false)
}

/// One hint of the failing step, as `watch` shows it.
struct Shown {
    /// `Hint 2 of 3 for step 4 (the last you asked for):`
    heading: String,
    /// Its first `HINT_LINES` lines.
    text: String,
}

/// The hint of `step` the learner has reached: the last one `cargo run -- hint` showed them (`seen` of
/// them so far), or the first before they asked for any. `None` when the lesson has none for the step.
fn hint_reached(lesson: &Lesson, step: &Step, seen: usize) -> Option<Shown> {
    let sections = hint::load(lesson).ok()?;
    let hints = &sections
        .iter()
        .find(|section| section.step == step.number)?
        .hints;
    let index = seen.clamp(1, hints.len().max(1)) - 1;
    let hint = hints.get(index)?;
    let which = if seen == 0 {
        ""
    } else {
        " (the last you asked for)"
    };
    let heading = format!(
        "Hint {} of {} for step {}{which}:",
        index + 1,
        hints.len(),
        step.number
    );
    let lines: Vec<&str> = hint.trim().lines().collect();
    let mut text = lines[..lines.len().min(HINT_LINES)].join("\n");
    if lines.len() > HINT_LINES {
        text.push_str(" ...");
    }
    Some(Shown { heading, text })
}

/// What a save changes: a file's path, modification time and size.
type Stamp = (PathBuf, Option<SystemTime>, u64);

/// The stamps of every file under `dir`, in path order.
fn stamps(dir: &Path) -> Result<Vec<Stamp>> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries =
            fs::read_dir(&folder).with_context(|| format!("reading {}", folder.display()))?;
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                folders.push(entry.path());
            } else {
                found.push((entry.path(), meta.modified().ok(), meta.len()));
            }
        }
    }
    found.sort();
    Ok(found)
}
