//! The learner's progress: what the last `check` of each lesson found, and how many hints were shown.
//!
//! It lives in `.course-progress` at the repository root (git ignores it), as plain text a person can read:
//!
//! ```text
//! lesson 01 passed=2 total=4 failing=3
//! hints 01 step=3 shown=1
//! last 01
//! ```
//!
//! The file only remembers; it decides nothing. Deleting it starts the map over and never touches an
//! exercise. A line the runner does not understand is skipped, so an old or hand-edited file never stops the
//! course.

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, Result};

/// What the last `cargo run -- check NN` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckRecord {
    pub passed: u32,
    pub total: u32,
    /// The first step that did not pass; `None` when every step passed.
    pub failing: Option<u32>,
}

/// Where a lesson stands, as the lesson map shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    NotStarted,
    InProgress { passed: u32, total: u32 },
    Done,
}

/// Everything in the progress file. Lessons are keyed by their label (`01`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    checks: BTreeMap<String, CheckRecord>,
    /// Per lesson and step: how many of the step's hints were shown.
    hints: BTreeMap<(String, u32), u32>,
    /// The lesson checked most recently: the map goes on from there, whatever order lessons are done in.
    last: Option<String>,
}

const HEADER: &str = "\
# Your progress in the course, written by `cargo run -- check` and `cargo run -- hint`.
# Delete this file to start the lesson map over; your exercises are not touched.
";

impl Progress {
    /// Reads the progress file; a missing file is no progress yet.
    pub fn load(path: &Path) -> Result<Progress> {
        match fs::read_to_string(path) {
            Ok(text) => Ok(Progress::parse(&text)),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(Progress::default()),
            Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes the progress file, replacing it whole: a crash mid-write leaves the old file, not half a new one.
    /// The temporary file is this process's own, so that two runner commands at once (`watch` in one
    /// terminal, `check` in another) never rename each other's file away; the last to finish wins.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(format!(".new.{}", std::process::id()));
        fs::write(&temporary, self.render())
            .with_context(|| format!("writing {}", Path::new(&temporary).display()))?;
        fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))
    }

    pub fn parse(text: &str) -> Progress {
        let mut progress = Progress::default();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some(kind), Some(lesson)) = (words.next(), words.next()) else {
                continue;
            };
            let fields: BTreeMap<&str, u32> = words
                .filter_map(|word| {
                    let (key, value) = word.split_once('=')?;
                    Some((key, value.parse().ok()?))
                })
                .collect();
            match (kind, fields.get("passed"), fields.get("total")) {
                ("lesson", Some(&passed), Some(&total)) if passed <= total => {
                    let failing = fields.get("failing").copied().filter(|&step| step > 0);
                    progress.checks.insert(
                        lesson.to_string(),
                        CheckRecord {
                            passed,
                            total,
                            failing,
                        },
                    );
                }
                ("last", ..) => progress.last = Some(lesson.to_string()),
                ("hints", ..) => {
                    if let (Some(&step), Some(&shown)) = (fields.get("step"), fields.get("shown")) {
                        progress.hints.insert((lesson.to_string(), step), shown);
                    }
                }
                _ => {}
            }
        }
        progress
    }

    pub fn render(&self) -> String {
        let mut text = String::from(HEADER);
        for (lesson, record) in &self.checks {
            text.push_str(&format!(
                "lesson {lesson} passed={} total={}",
                record.passed, record.total
            ));
            if let Some(step) = record.failing {
                text.push_str(&format!(" failing={step}"));
            }
            text.push('\n');
        }
        for ((lesson, step), shown) in &self.hints {
            text.push_str(&format!("hints {lesson} step={step} shown={shown}\n"));
        }
        if let Some(lesson) = &self.last {
            text.push_str(&format!("last {lesson}\n"));
        }
        text
    }

    pub fn check(&self, lesson: &str) -> Option<CheckRecord> {
        self.checks.get(lesson).copied()
    }

    /// Remembers what a check of `lesson` found, and that it is the lesson checked last.
    pub fn record_check(&mut self, lesson: &str, record: CheckRecord) {
        self.checks.insert(lesson.to_string(), record);
        self.last = Some(lesson.to_string());
    }

    /// The lesson checked most recently, if any check has run.
    pub fn last_checked(&self) -> Option<&str> {
        self.last.as_deref()
    }

    /// Where the lesson stands. `steps_now` is how many steps the lesson has today: a lesson that gained a
    /// step since the last check is not done any more.
    pub fn status(&self, lesson: &str, steps_now: u32) -> Status {
        match self.check(lesson) {
            None => Status::NotStarted,
            Some(record) if record.failing.is_none() && record.total == steps_now => Status::Done,
            Some(record) => Status::InProgress {
                passed: record.passed.min(steps_now),
                total: steps_now,
            },
        }
    }

    pub fn hints_shown(&self, lesson: &str, step: u32) -> u32 {
        self.hints
            .get(&(lesson.to_string(), step))
            .copied()
            .unwrap_or(0)
    }

    pub fn set_hints_shown(&mut self, lesson: &str, step: u32, shown: u32) {
        self.hints.insert((lesson.to_string(), step), shown);
    }

    /// Forgets a lesson: its check and its hint counters (after `reset`). Returns whether there was
    /// anything to forget.
    pub fn forget(&mut self, lesson: &str) -> bool {
        let before = (self.checks.len(), self.hints.len());
        self.checks.remove(lesson);
        self.hints
            .retain(|(hint_lesson, _), _| hint_lesson != lesson);
        before != (self.checks.len(), self.hints.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_then_parse_gives_the_same_progress() {
        let mut progress = Progress::default();
        progress.record_check(
            "01",
            CheckRecord {
                passed: 2,
                total: 4,
                failing: Some(3),
            },
        );
        progress.record_check(
            "02",
            CheckRecord {
                passed: 5,
                total: 5,
                failing: None,
            },
        );
        progress.set_hints_shown("01", 3, 2);
        let text = progress.render();
        assert!(text.contains("lesson 01 passed=2 total=4 failing=3\n"));
        assert!(text.contains("lesson 02 passed=5 total=5\n"));
        assert!(text.contains("hints 01 step=3 shown=2\n"));
        assert!(
            text.contains("last 02\n"),
            "the lesson checked last: {text}"
        );
        assert_eq!(Progress::parse(&text), progress);
    }

    #[test]
    fn lines_it_does_not_understand_are_skipped() {
        let progress = Progress::parse(
            "garbage\nlesson 01 passed=x total=4\nlesson 02 passed=9 total=4\nlesson\n\nhints 01 step=1\nlesson 03 passed=1 total=2 failing=2 extra=words\n",
        );
        assert_eq!(progress.check("01"), None);
        assert_eq!(progress.check("02"), None);
        assert_eq!(progress.hints_shown("01", 1), 0);
        assert_eq!(
            progress.check("03"),
            Some(CheckRecord {
                passed: 1,
                total: 2,
                failing: Some(2)
            })
        );
    }

    #[test]
    fn status_follows_the_last_check_and_the_current_steps() {
        let mut progress = Progress::default();
        assert_eq!(progress.status("01", 4), Status::NotStarted);
        progress.record_check(
            "01",
            CheckRecord {
                passed: 1,
                total: 4,
                failing: Some(2),
            },
        );
        assert_eq!(
            progress.status("01", 4),
            Status::InProgress {
                passed: 1,
                total: 4
            }
        );
        progress.record_check(
            "01",
            CheckRecord {
                passed: 4,
                total: 4,
                failing: None,
            },
        );
        assert_eq!(progress.status("01", 4), Status::Done);
        assert_eq!(
            progress.status("01", 5),
            Status::InProgress {
                passed: 4,
                total: 5
            }
        );
    }

    #[test]
    fn forget_drops_the_lesson_and_its_hint_counters_only() {
        let mut progress = Progress::default();
        let record = CheckRecord {
            passed: 0,
            total: 3,
            failing: Some(1),
        };
        progress.record_check("01", record);
        progress.record_check("02", record);
        progress.set_hints_shown("01", 1, 2);
        progress.set_hints_shown("02", 1, 1);
        assert!(progress.forget("01"));
        assert!(!progress.forget("01"));
        assert_eq!(progress.check("01"), None);
        assert_eq!(progress.hints_shown("01", 1), 0);
        assert_eq!(progress.check("02"), Some(record));
        assert_eq!(progress.hints_shown("02", 1), 1);
    }
}
