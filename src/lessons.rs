//! The lessons the manifest lists, and what the runner reads from their files.
//!
//! Which lessons exist, their titles, packages and chapters come from `course.toml` (see `manifest`); a
//! lesson's steps come from its `tests/steps.rs`: the `#[test] fn step_N_words()` functions, each with its
//! `///` task.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::manifest::Entry;

/// One lesson folder, as found on disk.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// The number in the folder name: `1` for `01-basic-client`.
    pub number: u32,
    /// The folder name, `01-basic-client`.
    pub dir_name: String,
    /// The folder itself.
    pub dir: PathBuf,
    /// What the lesson is about (the manifest's `title`).
    pub title: String,
    /// The cargo package, which `cargo test -p` needs.
    pub package: String,
    /// Its chapter, relative to the repository root: `book/src/01-basic-client.md`.
    pub chapter: String,
}

/// One step of a lesson's exercise: a test in `tests/steps.rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `N` in `step_N_words`.
    pub number: u32,
    /// The test function's name, as libtest reports it: `step_1_connect_to_the_first_address_that_answers`.
    pub test_name: String,
    /// The words of the name: `connect to the first address that answers`.
    pub title: String,
    /// The doc comment, which states the task (`Step 1: ...`); empty when the test has none.
    pub task: String,
}

impl Lesson {
    /// The lesson's label everywhere the learner sees it and in the progress file: `01`.
    pub fn label(&self) -> String {
        format!("{:02}", self.number)
    }

    /// A path inside the lesson folder, relative to the repository root, written the way the learner types
    /// it: `lessons/01-basic-client/src/exercise.rs`.
    pub fn rel(&self, file: &str) -> String {
        format!("lessons/{}/{file}", self.dir_name)
    }

    /// The learner's file.
    pub fn exercise_path(&self) -> PathBuf {
        self.dir.join("src").join("exercise.rs")
    }

    /// The exercise's steps, in step order.
    pub fn steps(&self) -> Result<Vec<Step>> {
        let file = self.dir.join("tests").join("steps.rs");
        let text = fs::read_to_string(&file).with_context(|| {
            format!(
                "reading {}, where the lesson's steps are",
                self.rel("tests/steps.rs")
            )
        })?;
        let steps = parse_steps(&text);
        if steps.is_empty() {
            bail!(
                "{} has no step tests (`#[test] fn step_1_...`)",
                self.rel("tests/steps.rs")
            );
        }
        Ok(steps)
    }

    /// The lesson a manifest entry describes, in the course at `root`.
    pub fn from_entry(root: &Path, entry: &Entry) -> Lesson {
        let dir = root.join(&entry.folder);
        let dir_name = Path::new(&entry.folder).file_name().map_or_else(
            || entry.folder.clone(),
            |name| name.to_string_lossy().into_owned(),
        );
        Lesson {
            number: entry.number,
            dir_name,
            dir,
            title: entry.title.clone(),
            package: entry.package.clone(),
            chapter: entry.chapter.clone(),
        }
    }
}

/// Finds the lesson a learner means: `1`, `01`, `01-basic-client`, `1-basic-client` or `basic-client`.
pub fn select<'a>(lessons: &'a [Lesson], wanted: &str) -> Option<&'a Lesson> {
    let wanted = wanted.trim().trim_end_matches('/');
    // A path typed with tab completion (`lessons/01-basic-client`) means that folder.
    let wanted = wanted.strip_prefix("lessons/").unwrap_or(wanted);
    let digits_end = wanted
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(wanted.len());
    if digits_end == 0 {
        return lessons
            .iter()
            .find(|lesson| lesson.dir_name.split_once('-').map(|(_, name)| name) == Some(wanted));
    }
    let number: u32 = wanted[..digits_end].parse().ok()?;
    let name = &wanted[digits_end..];
    lessons.iter().find(|lesson| {
        lesson.number == number
            && (name.is_empty()
                || lesson.dir_name.split_once('-').map(|(_, n)| n) == name.strip_prefix('-'))
    })
}

/// The number a learner typed, for a lesson that may not exist: `3` for `3`, `03` or `03-threaded-server`.
pub fn wanted_number(wanted: &str) -> Option<u32> {
    let wanted = wanted.trim().trim_end_matches('/');
    let wanted = wanted.strip_prefix("lessons/").unwrap_or(wanted);
    let digits_end = wanted
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(wanted.len());
    wanted[..digits_end].parse().ok()
}

/// The step tests of a `tests/steps.rs`: every `#[test]` function named `step_N_words`, with the `///` doc
/// comment written above it (and above its attributes), sorted by step number.
///
/// Other functions (helpers, tests that are not steps) are skipped. Reading lines instead of parsing Rust is
/// enough because the course writes its step tests in this one shape; `cargo run -- dev-check` checks that
/// every step was found.
pub fn parse_steps(steps_rs: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut doc: Vec<&str> = Vec::new();
    let mut is_test = false;
    for line in steps_rs.lines() {
        let line = line.trim();
        if let Some(text) = line.strip_prefix("///") {
            // `/// text`: the one space after the slashes is the comment's, not the text's.
            doc.push(text.strip_prefix(' ').unwrap_or(text));
        } else if line.starts_with("#[") {
            is_test |= line == "#[test]";
        } else if let Some(name) = function_name(line) {
            if is_test {
                steps.extend(step_from_name(name, &doc));
            }
            doc.clear();
            is_test = false;
        } else if !line.is_empty() || !doc.is_empty() {
            // Anything else between a doc comment and its function means they do not belong together.
            doc.clear();
            is_test = false;
        }
    }
    steps.sort_by_key(|step| step.number);
    steps
}

/// `step_1_connect` in `fn step_1_connect() {` (also with `pub` or `async`).
fn function_name(line: &str) -> Option<&str> {
    let line = line.strip_prefix("pub ").unwrap_or(line);
    let line = line.strip_prefix("async ").unwrap_or(line);
    let rest = line.strip_prefix("fn ")?;
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

fn step_from_name(name: &str, doc: &[&str]) -> Option<Step> {
    let rest = name.strip_prefix("step_")?;
    let (number, words) = rest.split_once('_').unwrap_or((rest, ""));
    let number: u32 = number.parse().ok()?;
    Some(Step {
        number,
        test_name: name.to_string(),
        title: words.replace('_', " "),
        task: doc.join("\n").trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_test_functions_named_step_n_with_their_doc_comment() {
        let source = r#"
use x::y;

/// A helper, not a step.
fn closed_port() -> u16 { 0 }

/// Step 2: second.
#[test]
fn step_2_read_until_closed() {}

/// Step 1: `connect` tries the addresses
/// in order.
///
/// Second paragraph.
#[test]
#[ignore = "not yet"]
fn step_1_connect_first() {
    let x = 1;
}

#[test]
fn not_a_step() {}

/// Step 3: a step that forgot its #[test].
fn step_3_not_a_test() {}
"#;
        let steps = parse_steps(source);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].number, 1);
        assert_eq!(steps[0].test_name, "step_1_connect_first");
        assert_eq!(steps[0].title, "connect first");
        assert_eq!(
            steps[0].task,
            "Step 1: `connect` tries the addresses\nin order.\n\nSecond paragraph."
        );
        assert_eq!(steps[1].number, 2);
        assert_eq!(steps[1].task, "Step 2: second.");
    }

    #[test]
    fn a_doc_comment_separated_from_its_function_is_not_its_task() {
        let source = "/// Orphan.\nconst X: u8 = 1;\n#[test]\nfn step_1_x() {}\n";
        let steps = parse_steps(source);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].task, "");
    }

    fn lesson(number: u32, dir_name: &str) -> Lesson {
        Lesson {
            number,
            dir_name: dir_name.to_string(),
            dir: PathBuf::from(dir_name),
            title: dir_name.to_string(),
            package: dir_name.to_string(),
            chapter: String::new(),
        }
    }

    #[test]
    fn a_lesson_is_selected_by_number_folder_or_name() {
        let lessons = [lesson(1, "01-basic-client"), lesson(2, "02-single-server")];
        for wanted in [
            "1",
            "01",
            "001",
            "1-basic-client",
            "01-basic-client",
            "basic-client",
            "lessons/01-basic-client/",
        ] {
            assert_eq!(
                select(&lessons, wanted).map(|l| l.number),
                Some(1),
                "{wanted}"
            );
        }
        for wanted in [
            "",
            "3",
            "01-single-server",
            "client",
            "x1",
            "-1",
            "99999999999",
        ] {
            assert!(select(&lessons, wanted).is_none(), "{wanted}");
        }
    }
}
