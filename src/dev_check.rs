//! `course dev-check`, for the course's CI and maintainers: the rules that keep every exercise honest.
//!
//! For every lesson: its solution passes all its tests; its `exercise.rs` compiles, contains `TODO`, and
//! fails step 1 as shipped (an exercise that already passes teaches nothing); every step in
//! `tests/steps.rs` is numbered in order, states its task, and has a `## Step N` section with at least one
//! `### Hint` in `hints.md`; and no type, constant or impl is written in both `exercise.rs` and
//! `solution.rs` (given code lives once, in a file of its own: see `items`). Prints one table row per lesson,
//! then every violation, and fails if there is any.

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
use crate::text;

mod items;

/// A whole lesson's test suite, on a slow CI machine that also compiles it.
const SUITE_LIMIT: Duration = Duration::from_secs(20 * 60);
/// The shipped exercise's step tests: they must fail fast, so a minute means "hangs".
const STEPS_LIMIT: Duration = Duration::from_secs(60);
/// How much of a failing command's output goes in the report.
const TAIL_LINES: usize = 40;

/// The table's columns, in order.
const COLUMNS: [&str; 6] = [
    "solution",
    "exercise builds",
    "has TODO",
    "fails step 1",
    "steps and hints",
    "given once",
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
) -> Result<[String; 6]> {
    let mut verdicts = Verdicts { lesson, violations };
    let steps = lesson.steps();
    let solution = check_solution(course, lesson, &mut verdicts)?;
    let exercise_text = fs::read_to_string(lesson.exercise_path()).unwrap_or_default();
    let has_todo = if exercise_text.contains("TODO") {
        "ok".to_string()
    } else {
        verdicts.fail(
            "NO",
            format!(
                "{} has no TODO telling the learner where to work",
                lesson.rel("src/exercise.rs")
            ),
        )
    };
    let (builds, fails_step_1) =
        check_exercise(course, lesson, steps.as_deref().ok(), &mut verdicts)?;
    let steps_and_hints = match &steps {
        Err(err) => verdicts.fail("NO", format!("{err:#}")),
        Ok(steps) => verdicts.all_of(
            step_problems(lesson, steps),
            format!("ok ({} steps)", steps.len()),
        ),
    };
    let given_once = verdicts.all_of(written_twice(lesson), "ok".to_string());
    Ok([
        solution,
        builds,
        has_todo,
        fails_step_1,
        steps_and_hints,
        given_once,
    ])
}

/// The table cells of one lesson, and the violations they stand for.
struct Verdicts<'a> {
    lesson: &'a Lesson,
    violations: &'a mut Vec<String>,
}

impl Verdicts<'_> {
    /// Records a violation; returns the cell that shows it.
    fn fail(&mut self, cell: &str, message: String) -> String {
        self.violations
            .push(format!("{}: {message}", self.lesson.dir_name));
        cell.to_string()
    }

    /// `ok_cell` when there is no problem; else every problem recorded, and their count as the cell.
    fn all_of(&mut self, problems: Vec<String>, ok_cell: String) -> String {
        if problems.is_empty() {
            return ok_cell;
        }
        let cell = format!("{} problems", problems.len());
        for problem in problems {
            self.fail("", problem);
        }
        cell
    }
}

/// The solution passes the lesson's whole test suite.
fn check_solution(course: &Course, lesson: &Lesson, verdicts: &mut Verdicts) -> Result<String> {
    let package = &lesson.package;
    let mut command = cargo::cargo(&course.root);
    command.args(["test", "--package", package]);
    let finished = process::run_with_limit(&mut command, SUITE_LIMIT, None)?;
    if finished.success() {
        return Ok("ok".to_string());
    }
    let what = if finished.timed_out() {
        "was stopped after its time limit"
    } else {
        "fails"
    };
    Ok(verdicts.fail(
        "FAILED",
        format!(
            "the solution {what}: cargo test --package {package}\n{}",
            text::last_lines(
                &format!("{}{}", finished.stdout, finished.stderr),
                TAIL_LINES
            )
        ),
    ))
}

/// The shipped exercise builds, and fails its first step within seconds: the cells "exercise builds" and
/// "fails step 1".
fn check_exercise(
    course: &Course,
    lesson: &Lesson,
    steps: Option<&[Step]>,
    verdicts: &mut Verdicts,
) -> Result<(String, String)> {
    let package = &lesson.package;
    let build = cargo::build_steps(&course.root, package, &["exercise"], false)?;
    let Some(executable) = &build.executable else {
        let cell = verdicts.fail(
            "NO",
            format!(
                "the exercise does not compile: cargo test --package {package} --features exercise --test steps\n{}",
                text::last_lines(&build.messages, TAIL_LINES)
            ),
        );
        return Ok((cell, "-".to_string()));
    };
    let Some(first) = steps.and_then(|steps| steps.first()) else {
        return Ok(("ok".to_string(), "-".to_string()));
    };
    let finished = check::run_steps(executable, lesson, STEPS_LIMIT, None)?;
    let report = libtest::parse(&finished.stdout);
    let cell = match report.outcome(&first.test_name) {
        Some(Outcome::Failed) => "ok".to_string(),
        Some(Outcome::Passed) => verdicts.fail(
            "PASSES",
            format!(
                "the shipped exercise already passes step {} ({}): an exercise that passes teaches nothing",
                first.number, first.test_name
            ),
        ),
        _ if finished.timed_out() => verdicts.fail(
            "HANGS",
            format!(
                "step {} was still running after {} s on the shipped exercise: it must fail within seconds",
                first.number,
                STEPS_LIMIT.as_secs()
            ),
        ),
        _ => verdicts.fail(
            "?",
            format!(
                "the step tests did not report step {} ({}) on the shipped exercise\n{}",
                first.number,
                first.test_name,
                text::last_lines(&format!("{}{}", finished.stdout, finished.stderr), TAIL_LINES)
            ),
        ),
    };
    Ok(("ok".to_string(), cell))
}

/// Given code is written once: a type, constant or impl defined in both `exercise.rs` and `solution.rs`
/// is a copy that will drift from the other. It belongs in a file of its own, compiled in both builds.
fn written_twice(lesson: &Lesson) -> Vec<String> {
    let read =
        |file: &str| fs::read_to_string(lesson.dir.join("src").join(file)).unwrap_or_default();
    let solution = items::defined(&read("solution.rs"));
    items::defined(&read("exercise.rs"))
        .into_iter()
        .filter(|item| solution.contains(item))
        .map(|item| {
            format!(
                "`{item}` is written in both {} and solution.rs: move it to a given file of the lesson",
                lesson.rel("src/exercise.rs")
            )
        })
        .collect()
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
    let sections = match hint::load(lesson) {
        Ok(sections) => sections,
        Err(err) => {
            problems.push(format!("{err:#}"));
            return problems;
        }
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
