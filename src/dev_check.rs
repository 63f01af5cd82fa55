//! `course dev-check`, for the course's CI and maintainers: the rules that keep every exercise honest.
//!
//! For every lesson: its solution passes all its tests; its `exercise.rs` compiles, contains `TODO`, and
//! fails step 1 as shipped (an exercise that already passes teaches nothing); every step in
//! `tests/steps.rs` is numbered in order, states its task, and has a `## Step N` section with at least one
//! `### Hint` in `hints.md`. Prints one table row per lesson, then every violation, and fails if there is any.

use std::fmt::Write as _;
use std::fs;
use std::time::Duration;

use anyhow::Result;

use crate::cargo;
use crate::check;
use crate::course::Course;
use crate::hint;
use crate::lessons::{Lesson, Step};
use crate::libtest::{self, Outcome};
use crate::process;

/// A whole lesson's test suite, on a slow CI machine that also compiles it.
const SUITE_LIMIT: Duration = Duration::from_secs(20 * 60);
/// The shipped exercise's step tests: they must fail fast, so a minute means "hangs".
const STEPS_LIMIT: Duration = Duration::from_secs(60);
/// How much of a failing command's output goes in the report.
const TAIL_LINES: usize = 40;

/// The table's columns, in order.
const COLUMNS: [&str; 5] = [
    "solution",
    "exercise builds",
    "has TODO",
    "fails step 1",
    "steps and hints",
];

pub fn run(course: &Course) -> Result<u8> {
    if course.lessons.is_empty() {
        println!("{}", course.lesson_list());
        return Ok(1);
    }
    let name_width = course
        .lessons
        .iter()
        .map(|lesson| lesson.dir_name.len())
        .max()
        .unwrap_or(0)
        .max("lesson".len());
    println!("{:name_width$}  {}", "lesson", COLUMNS.join("  "));

    let mut violations = Vec::new();
    for lesson in &course.lessons {
        let cells = check_lesson(course, lesson, &mut violations)?;
        let mut row = format!("{:name_width$}", lesson.dir_name);
        for (cell, column) in cells.iter().zip(COLUMNS) {
            let _ = write!(row, "  {:width$}", cell, width = column.len());
        }
        println!("{}", row.trim_end());
    }

    println!();
    if violations.is_empty() {
        println!("All {} lessons pass the dev check.", course.lessons.len());
        return Ok(0);
    }
    println!("{} violations:", violations.len());
    for violation in &violations {
        let mut lines = violation.lines();
        println!("  - {}", lines.next().unwrap_or_default());
        for line in lines {
            println!("      {line}");
        }
    }
    Ok(1)
}

/// Checks one lesson; returns its table cells and adds what is wrong to `violations`.
fn check_lesson(
    course: &Course,
    lesson: &Lesson,
    violations: &mut Vec<String>,
) -> Result<[String; 5]> {
    let name = &lesson.dir_name;
    let mut fail = |cell: &str, message: String| {
        violations.push(format!("{name}: {message}"));
        cell.to_string()
    };
    let package = match lesson.package() {
        Ok(package) => package,
        Err(err) => {
            let cell = fail("-", format!("{err:#}"));
            return Ok([cell, "-".into(), "-".into(), "-".into(), "-".into()]);
        }
    };
    let steps = lesson.steps();

    let solution = {
        let mut command = cargo::cargo(&course.root);
        command.args(["test", "--package", &package]);
        let finished = process::run_with_limit(&mut command, SUITE_LIMIT, None)?;
        if finished.success() {
            "ok".to_string()
        } else {
            let what = if finished.timed_out() {
                "was stopped after its time limit"
            } else {
                "fails"
            };
            fail(
                "FAILED",
                format!(
                    "the solution {what}: cargo test --package {package}\n{}",
                    tail(&format!("{}{}", finished.stdout, finished.stderr))
                ),
            )
        }
    };

    let exercise_text = fs::read_to_string(lesson.exercise_path()).unwrap_or_default();
    let has_todo = if exercise_text.contains("TODO") {
        "ok".to_string()
    } else {
        fail(
            "NO",
            format!(
                "{} has no TODO telling the learner where to work",
                lesson.rel("src/exercise.rs")
            ),
        )
    };

    let build = cargo::build_steps(&course.root, &package, &["exercise"], false)?;
    let (builds, fails_step_1) = match (&build.executable, &steps) {
        (None, _) => (
            fail(
                "NO",
                format!(
                    "the exercise does not compile: cargo test --package {package} --features exercise --test steps\n{}",
                    tail(&build.messages)
                ),
            ),
            "-".to_string(),
        ),
        (Some(_), Err(_)) => ("ok".to_string(), "-".to_string()),
        (Some(executable), Ok(steps)) => {
            let finished = check::run_steps(executable, lesson, STEPS_LIMIT, None)?;
            let first = &steps[0];
            let report = libtest::parse(&finished.stdout);
            let cell = match report.outcome(&first.test_name) {
                Some(Outcome::Failed) => "ok".to_string(),
                Some(Outcome::Passed) => fail(
                    "PASSES",
                    format!(
                        "the shipped exercise already passes step {} ({}): an exercise that passes teaches nothing",
                        first.number, first.test_name
                    ),
                ),
                _ if finished.timed_out() => fail(
                    "HANGS",
                    format!(
                        "step {} was still running after {} s on the shipped exercise: it must fail within seconds",
                        first.number,
                        STEPS_LIMIT.as_secs()
                    ),
                ),
                _ => fail(
                    "?",
                    format!(
                        "the step tests did not report step {} ({}) on the shipped exercise\n{}",
                        first.number,
                        first.test_name,
                        tail(&format!("{}{}", finished.stdout, finished.stderr))
                    ),
                ),
            };
            ("ok".to_string(), cell)
        }
    };

    let steps_and_hints = match &steps {
        Err(err) => fail("NO", format!("{err:#}")),
        Ok(steps) => {
            let problems = step_problems(lesson, steps);
            if problems.is_empty() {
                format!("ok ({} steps)", steps.len())
            } else {
                let count = problems.len();
                for problem in problems {
                    fail("", problem);
                }
                format!("{count} problems")
            }
        }
    };
    Ok([solution, builds, has_todo, fails_step_1, steps_and_hints])
}

/// What is wrong with the steps' numbering, tasks and hints.
fn step_problems(lesson: &Lesson, steps: &[Step]) -> Vec<String> {
    let steps_rs = lesson.rel("tests/steps.rs");
    let hints_md = lesson.rel("hints.md");
    let mut problems = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let expected = index as u32 + 1;
        if step.number != expected {
            problems.push(format!(
                "{steps_rs}: `{}` should be step {expected}: steps are numbered 1, 2, 3... with no gap or repeat",
                step.test_name
            ));
        }
        if !step.task.starts_with(&format!("Step {}: ", step.number)) {
            problems.push(format!(
                "{steps_rs}: the doc comment of `{}` should start with `Step {}: ` and state the task",
                step.test_name, step.number
            ));
        }
    }
    let sections = match fs::read_to_string(lesson.dir.join("hints.md")) {
        Err(err) => {
            problems.push(format!("{hints_md}: {err}"));
            return problems;
        }
        Ok(text) => match hint::parse_hints(&text) {
            Ok(sections) => sections,
            Err(err) => {
                problems.push(format!("{hints_md}: {err:#}"));
                return problems;
            }
        },
    };
    for step in steps {
        match sections.iter().find(|section| section.step == step.number) {
            None => problems.push(format!(
                "{hints_md} has no `## Step {}` section",
                step.number
            )),
            Some(section) if section.hints.is_empty() => problems.push(format!(
                "{hints_md}: `## Step {}` has no `### Hint`",
                step.number
            )),
            Some(_) => {}
        }
    }
    problems
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}
