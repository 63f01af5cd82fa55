//! Reading what a Rust test program prints (libtest's human output), to report each step.
//!
//! The lines that matter:
//!
//! ```text
//! test step_1_connect ... FAILED
//! test step_2_read ... ok
//!
//! failures:
//!
//! ---- step_1_connect stdout ----
//!
//! thread 'step_1_connect' (7812) panicked at src/exercise.rs:21:5:
//! not yet implemented: step 1: connect to the first address that answers
//! note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
//! ```
//!
//! libtest has a JSON output too, but only on nightly Rust; this text is stable enough to read line by line.

use std::collections::HashMap;

/// How one test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    Ignored,
}

/// What a test program reported.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    outcomes: HashMap<String, Outcome>,
    /// A failed test's captured output (its panic message, and whatever it printed).
    output: HashMap<String, String>,
    /// Whether the closing `test result:` line was printed: the program ran to its end.
    completed: bool,
}

impl Report {
    /// `None` for a test that did not finish (the program was stopped or crashed) or does not exist.
    pub fn outcome(&self, test: &str) -> Option<Outcome> {
        self.outcomes.get(test).copied()
    }

    /// Whether the program reported on every test it ran, rather than being stopped, crashing or
    /// exiting early (a `std::process::exit` in the code under test ends the test program too).
    pub fn completed(&self) -> bool {
        self.completed
    }

    /// The failed test's output, if the program printed it.
    pub fn output(&self, test: &str) -> Option<&str> {
        self.output.get(test).map(String::as_str)
    }
}

pub fn parse(stdout: &str) -> Report {
    let mut report = Report::default();
    // The test whose captured output is being read, between its `---- name stdout ----` line and the next
    // such line or the `failures:` list that follows the last one.
    let mut section: Option<String> = None;
    for line in stdout.lines() {
        if let Some(name) = section_header(line) {
            section = Some(name.to_string());
            continue;
        }
        if line == "failures:" || line.starts_with("test result: ") {
            report.completed |= line.starts_with("test result: ");
            section = None;
            continue;
        }
        if let Some(name) = &section {
            let output = report.output.entry(name.clone()).or_default();
            output.push_str(line);
            output.push('\n');
            continue;
        }
        if let Some((name, outcome)) = result_line(line) {
            report.outcomes.insert(name.to_string(), outcome);
        }
    }
    report
}

/// `---- step_1 stdout ----` (and `stderr`, which some libtest versions print separately).
fn section_header(line: &str) -> Option<&str> {
    let inner = line.strip_prefix("---- ")?.strip_suffix(" ----")?;
    inner
        .strip_suffix(" stdout")
        .or_else(|| inner.strip_suffix(" stderr"))
}

/// `test step_1 ... ok`, `... FAILED` or `... ignored` (possibly with a reason). The runner lets libtest
/// capture what tests print, so these lines are never interleaved with a test's own output.
fn result_line(line: &str) -> Option<(&str, Outcome)> {
    let rest = line.strip_prefix("test ")?;
    let (name, result) = rest.split_once(" ... ")?;
    let outcome = match result.trim_end() {
        "ok" => Outcome::Passed,
        "FAILED" => Outcome::Failed,
        ignored if ignored.starts_with("ignored") => Outcome::Ignored,
        _ => return None,
    };
    Some((name, outcome))
}

/// The longest line of a message shown in full. An `assert_eq!` on two large buffers prints each on one
/// line, tens of kilobytes long; its start says enough. A step's own message can be long too, with the fix
/// at its end: 1000 characters keep every message the steps write whole.
const MAX_LINE_CHARS: usize = 1000;

/// The part of a failed test's output worth showing a learner: the panic message without the thread
/// name and the backtrace advice, at most `max_lines` lines of at most [`MAX_LINE_CHARS`] characters.
pub fn panic_summary(output: &str, max_lines: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in output.lines() {
        let line = shorten(line);
        let line = line.as_str();
        if line.starts_with("note: run with `RUST_BACKTRACE=1`") {
            continue;
        }
        // `thread 'step_1' (7812) panicked at src/x.rs:3:5:` says nothing the report does not: keep the place.
        if line.starts_with("thread '") {
            if let Some((_, place)) = line.split_once(" panicked at ") {
                lines.push(format!("panicked at {place}"));
                continue;
            }
        }
        lines.push(line.trim_end().to_string());
    }
    while lines.first().is_some_and(|line| line.is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    if lines.len() > max_lines {
        let hidden = lines.len() - max_lines;
        lines.truncate(max_lines);
        lines.push(format!("... ({hidden} more lines)"));
    }
    lines.join("\n")
}

fn shorten(line: &str) -> String {
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((cut, _)) => format!(
            "{}... ({} more characters)",
            &line[..cut],
            line[cut..].chars().count()
        ),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "
running 3 tests
test step_1_connect ... FAILED
test step_3_later ... ignored, not yet
test step_2_read ... ok

failures:

---- step_1_connect stdout ----
some printed line

thread 'step_1_connect' (7812) panicked at lessons/01-basic-client/src/exercise.rs:21:5:
not yet implemented: step 1: connect
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    step_1_connect

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

    #[test]
    fn every_result_line_is_read() {
        let report = parse(OUTPUT);
        assert_eq!(report.outcome("step_1_connect"), Some(Outcome::Failed));
        assert_eq!(report.outcome("step_2_read"), Some(Outcome::Passed));
        assert_eq!(report.outcome("step_3_later"), Some(Outcome::Ignored));
        assert_eq!(report.outcome("step_4_missing"), None);
        assert_eq!(report.output("step_2_read"), None);
    }

    #[test]
    fn a_failure_section_becomes_a_short_panic_message() {
        let report = parse(OUTPUT);
        let output = report.output("step_1_connect").unwrap();
        assert_eq!(
            panic_summary(output, 10),
            "some printed line\n\npanicked at lessons/01-basic-client/src/exercise.rs:21:5:\nnot yet implemented: step 1: connect"
        );
    }

    #[test]
    fn stdout_and_stderr_sections_of_one_test_are_joined() {
        let report = parse(
            "test a ... FAILED\n\nfailures:\n\n---- a stdout ----\nprinted\n---- a stderr ----\nthread 'a' panicked at x.rs:1:1:\nboom\n\nfailures:\n    a\n",
        );
        assert_eq!(
            panic_summary(report.output("a").unwrap(), 10),
            "printed\npanicked at x.rs:1:1:\nboom"
        );
    }

    #[test]
    fn a_long_message_is_cut_and_says_so() {
        let output = (1..=20)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let summary = panic_summary(&output, 3);
        assert_eq!(summary, "line 1\nline 2\nline 3\n... (17 more lines)");
    }

    #[test]
    fn a_program_stopped_early_has_only_the_finished_tests() {
        let report = parse(
            "\nrunning 2 tests\ntest step_1 ... ok\ntest step_2 has been running for over 60 seconds\n",
        );
        assert_eq!(report.outcome("step_1"), Some(Outcome::Passed));
        assert_eq!(report.outcome("step_2"), None);
        assert!(!report.completed());
        assert!(parse(OUTPUT).completed());
    }

    #[test]
    fn a_huge_line_is_shortened() {
        let line = format!("left: [{}]", "1, ".repeat(1000));
        let summary = panic_summary(&line, 10);
        assert!(summary.starts_with("left: [1, 1, "));
        let more = line.len() - MAX_LINE_CHARS;
        assert!(summary.ends_with(&format!("... ({more} more characters)")));
    }
}
