//! `course check NN`: runs the lesson's step tests against your `exercise.rs` and says how far you are.
//!
//! It does what you could type yourself, `cargo test -p basic-client --features exercise --test steps`, in
//! two halves: build (compile errors appear as cargo prints them), then run the test program with a time
//! limit, so a step that hangs is stopped and named instead of blocking your terminal.

use std::io::{self, Write};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::cargo;
use crate::course::Course;
use crate::lessons::{Lesson, Step};
use crate::libtest::{self, Outcome};
use crate::list;
use crate::process::{self, Finished};
use crate::progress::{CheckRecord, Progress};
use crate::text;

/// How many lines of a failed step's message to show: enough for an assertion's `left` and `right`,
/// short enough that the task above it stays on the screen.
const MESSAGE_LINES: usize = 12;

/// When to say that the steps are still running: a step finishes in well under a second and every socket in
/// a test times out within 3 s, so a step still going after this is almost surely hanging.
const STILL_RUNNING_AFTER: Duration = Duration::from_secs(3);

/// What became of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepResult {
    Passed,
    Failed,
    Ignored,
    /// The test program was stopped (time limit), crashed or exited before the step finished.
    Unfinished,
    /// The test program finished without mentioning the step.
    Missing,
}

impl StepResult {
    pub fn label(self) -> &'static str {
        match self {
            StepResult::Passed => "passed",
            StepResult::Failed => "FAILED",
            StepResult::Ignored => "ignored",
            StepResult::Unfinished => "did not finish",
            StepResult::Missing => "not run",
        }
    }
}

pub fn run(course: &Course, wanted: &str, limit: Duration) -> Result<u8> {
    let lesson = course.lesson(wanted)?;
    let steps = lesson.steps()?;
    let exercise = lesson.rel("src/exercise.rs");
    println!(
        "Checking lesson {}: {} ({exercise})",
        lesson.label(),
        lesson.title
    );
    let mut remind = |stdout_so_far: &str| say_still_running(&steps, stdout_so_far, limit);
    let reminder = process::Reminder {
        after: STILL_RUNNING_AFTER,
        remind: &mut remind,
    };
    let Some(evaluation) = evaluate(course, lesson, &steps, limit, Some(reminder), true)? else {
        println!();
        println!(
            "Your exercise does not compile yet: cargo's errors are above. Fix the first one (in {exercise}), \
             then run: cargo run -- check {}",
            lesson.number
        );
        return Ok(1);
    };
    print_results(&steps, &evaluation.results);
    match evaluation.first_failing(&steps) {
        None => {
            say_done(course, lesson, steps.len())?;
            Ok(0)
        }
        Some((step, result)) => {
            say_failing(lesson, &steps, &evaluation, step, result, limit);
            Ok(1)
        }
    }
}

/// One line, flushed now, when the steps run long: the learner is looking at the terminal and wondering.
fn say_still_running(steps: &[Step], stdout_so_far: &str, limit: Duration) {
    let report = libtest::parse(stdout_so_far);
    let running = steps
        .iter()
        .find(|step| report.outcome(&step.test_name).is_none());
    let what = match running {
        Some(step) => format!("step {}", step.number),
        None => "the step tests".to_string(),
    };
    println!(
        "{what} is still running... (it is stopped after {} s; Ctrl-C is safe)",
        limit.as_secs()
    );
    let _ = io::stdout().flush();
}

/// `  step 1  passed  connect to the first address that answers`, one line per step.
fn print_results(steps: &[Step], results: &[StepResult]) {
    println!();
    let label_width = results.iter().map(|r| r.label().len()).max().unwrap_or(0);
    for (step, result) in steps.iter().zip(results) {
        println!(
            "  step {}  {:label_width$}  {}",
            step.number,
            result.label(),
            step.title
        );
    }
    println!();
}

/// Every step passes: say so, and what comes next.
fn say_done(course: &Course, lesson: &Lesson, total: usize) -> Result<()> {
    println!("All {total} steps pass: lesson {} is done!", lesson.label());
    // The next lesson not done after this one (or, after the last, the first not done), and any skipped.
    let progress = Progress::load(&course.progress_file)?;
    match list::next_lesson(course, &progress) {
        Some((next, step)) => {
            println!("Lesson {} is next: {}.", next.label(), next.title);
            println!("{}", course.next_step(next, step.as_ref()));
            if let Some(left) = list::earlier_left(course, &progress, next) {
                println!("{left}");
            }
        }
        None => println!(
            "Now {} `cargo run` shows the map.",
            list::all_done_line(course, true)
        ),
    }
    Ok(())
}

/// A step fails: how far the learner is, the step's task, what happened, and what to do.
fn say_failing(
    lesson: &Lesson,
    steps: &[Step],
    evaluation: &Evaluation,
    step: &Step,
    result: StepResult,
    limit: Duration,
) {
    println!(
        "{} of {} steps pass. Step {} is next.",
        evaluation.passed(),
        steps.len(),
        step.number
    );
    explain(lesson, step, result, evaluation, limit);
    println!();
    println!(
        "Edit {}, then run: cargo run -- check {}",
        lesson.rel("src/exercise.rs"),
        lesson.number
    );
    println!(
        "Stuck? cargo run -- hint {} gives a hint for step {}.",
        lesson.number, step.number
    );
}

/// What one run of a lesson's step tests found.
pub struct Evaluation {
    /// One result per step, in step order.
    pub results: Vec<StepResult>,
    pub report: libtest::Report,
    pub finished: Finished,
}

impl Evaluation {
    /// How many steps passed.
    pub fn passed(&self) -> u32 {
        self.results
            .iter()
            .filter(|&&result| result == StepResult::Passed)
            .count() as u32
    }

    /// The first step that did not pass, and what became of it: the step to work on.
    pub fn first_failing<'a>(&self, steps: &'a [Step]) -> Option<(&'a Step, StepResult)> {
        steps
            .iter()
            .zip(&self.results)
            .find(|(_, result)| **result != StepResult::Passed)
            .map(|(step, result)| (step, *result))
    }

    /// The failed step's panic message, at most `lines` lines; `None` when it printed none.
    pub fn message(&self, step: &Step, lines: usize) -> Option<String> {
        self.report
            .output(&step.test_name)
            .map(|output| libtest::panic_summary(output, lines))
            .filter(|summary| !summary.is_empty())
    }
}

/// Builds the lesson with the learner's exercise and runs its step tests; `None` when the exercise does
/// not compile. With `show_build`, cargo's progress and errors go to the terminal as cargo prints them;
/// without, only its errors are shown, when there are some. The result is recorded in the progress file.
pub fn evaluate(
    course: &Course,
    lesson: &Lesson,
    steps: &[Step],
    limit: Duration,
    reminder: Option<process::Reminder>,
    show_build: bool,
) -> Result<Option<Evaluation>> {
    let build = cargo::build_steps(&course.root, &lesson.package, &["exercise"], show_build)?;
    let Some(executable) = build.executable else {
        if !show_build {
            eprint!("{}", build.messages);
        }
        return Ok(None);
    };
    let finished = run_steps(&executable, lesson, limit, reminder)?;
    let report = libtest::parse(&finished.stdout);
    let results: Vec<StepResult> = steps
        .iter()
        .map(|step| match report.outcome(&step.test_name) {
            Some(Outcome::Passed) => StepResult::Passed,
            Some(Outcome::Failed) => StepResult::Failed,
            Some(Outcome::Ignored) => StepResult::Ignored,
            None if report.completed() => StepResult::Missing,
            None => StepResult::Unfinished,
        })
        .collect();
    let evaluation = Evaluation {
        results,
        report,
        finished,
    };
    let record = CheckRecord {
        passed: evaluation.passed(),
        total: steps.len() as u32,
        failing: evaluation.first_failing(steps).map(|(step, _)| step.number),
    };
    let mut progress = Progress::load(&course.progress_file)?;
    progress.record_check(&lesson.label(), record);
    progress.save(&course.progress_file)?;
    Ok(Some(evaluation))
}

/// Runs the step tests the way `cargo test` would: from the lesson folder, with its package variables.
pub fn run_steps(
    executable: &Path,
    lesson: &Lesson,
    limit: Duration,
    reminder: Option<process::Reminder>,
) -> Result<Finished> {
    let mut command = Command::new(executable);
    command
        .current_dir(&lesson.dir)
        .env("CARGO_MANIFEST_DIR", &lesson.dir)
        // The panic message is what helps; a backtrace into the test harness would bury it.
        .env("RUST_BACKTRACE", "0")
        // The report needs libtest to capture each test's output; a learner's habit must not turn it off.
        .env_remove("RUST_TEST_NOCAPTURE")
        .arg("--color=never");
    process::run_with_limit(&mut command, limit, reminder)
        .with_context(|| format!("running the step tests ({})", executable.display()))
}

/// The task of the step, and what went wrong in it.
fn explain(
    lesson: &Lesson,
    step: &Step,
    result: StepResult,
    evaluation: &Evaluation,
    limit: Duration,
) {
    println!();
    println!("The task ({}):", lesson.rel("tests/steps.rs"));
    if step.task.is_empty() {
        println!("    (the test has no doc comment; read the test itself)");
    }
    text::print_indented(&step.task);
    println!();
    println!("What happened:");
    let what = match result {
        StepResult::Failed => evaluation
            .message(step, MESSAGE_LINES)
            .unwrap_or_else(|| "the test failed without a message".to_string()),
        StepResult::Unfinished if evaluation.finished.timed_out() => format!(
            "the step was still running after {} s, so it was stopped. A step finishes in well under a \
             second: look for a loop that never ends (does it stop when `read` returns Ok(0)?), a call \
             that waits with no timeout, or a thread that waits for a lock it holds already (std's \
             `Mutex` cannot be locked twice by one thread: a second `lock()` waits for ever). A machine \
             busy with other work can be that slow too: if nothing else explains it, try again with \
             `cargo run -- check {} --timeout {}`.",
            limit.as_secs(),
            lesson.number,
            (limit.as_secs() * 4).max(60)
        ),
        StepResult::Unfinished => {
            let status = evaluation
                .finished
                .status
                .map_or_else(|| "unknown".to_string(), |status| status.to_string());
            format!(
                "the test program ended ({status}) before this step finished. Its last words:\n{}",
                libtest::panic_summary(
                    &text::last_lines(&evaluation.finished.stderr, MESSAGE_LINES),
                    MESSAGE_LINES
                )
            )
        }
        StepResult::Ignored => format!(
            "the test is marked #[ignore] in {}, so it never runs",
            lesson.rel("tests/steps.rs")
        ),
        StepResult::Missing => format!(
            "the test program did not run `{}`. Is it still a #[test] in {}?",
            step.test_name,
            lesson.rel("tests/steps.rs")
        ),
        StepResult::Passed => String::new(),
    };
    text::print_indented(&what);
}
