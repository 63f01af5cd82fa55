//! Finding the lessons and reading what the runner needs from their files.
//!
//! A lesson is a folder `lessons/NN-name/`. The runner never hard-codes a lesson: everything comes from the
//! files, so a new lesson appears in `cargo run` as soon as its folder exists.
//!
//! - the title: the first `//! # Lesson NN: title` line of `src/lib.rs`;
//! - the cargo package: `name = "..."` in the `[package]` table of `Cargo.toml`;
//! - the steps: the `#[test] fn step_N_words()` functions of `tests/steps.rs`, each with its `///` task.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// One lesson folder, as found on disk.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// The number in the folder name: `1` for `01-basic-client`.
    pub number: u32,
    /// The folder name, `01-basic-client`.
    pub dir_name: String,
    /// The folder itself.
    pub dir: PathBuf,
    /// What the lesson is about, from `src/lib.rs`; the folder name when that line is missing.
    pub title: String,
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

    /// The cargo package name, which `cargo test -p` needs.
    pub fn package(&self) -> Result<String> {
        let manifest = self.dir.join("Cargo.toml");
        let text = fs::read_to_string(&manifest)
            .with_context(|| format!("reading {}", self.rel("Cargo.toml")))?;
        parse_package_name(&text).with_context(|| {
            format!(
                "{} has no `name = \"...\"` in its [package] table",
                self.rel("Cargo.toml")
            )
        })
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
}

/// Every `NN-name` folder under `root/lessons`, in number order.
pub fn discover(root: &Path) -> Result<Vec<Lesson>> {
    let lessons_dir = root.join("lessons");
    let entries = fs::read_dir(&lessons_dir).with_context(|| {
        format!(
            "reading {}: is COURSE_ROOT (or the runner's location) the course repository?",
            lessons_dir.display()
        )
    })?;
    let mut lessons = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", lessons_dir.display()))?;
        let Ok(dir_name) = entry.file_name().into_string() else {
            continue;
        };
        let Some(number) = folder_number(&dir_name) else {
            continue;
        };
        if !entry.path().is_dir() {
            continue;
        }
        let dir = entry.path();
        // A lesson being written may not have its lib.rs yet; the folder name is still a fine title.
        let title = fs::read_to_string(dir.join("src").join("lib.rs"))
            .ok()
            .and_then(|text| parse_title(&text))
            .unwrap_or_else(|| dir_name.clone());
        lessons.push(Lesson {
            number,
            dir_name,
            dir,
            title,
        });
    }
    lessons.sort_by(|a, b| (a.number, &a.dir_name).cmp(&(b.number, &b.dir_name)));
    Ok(lessons)
}

/// `Some(1)` for `01-basic-client`: digits, a dash, then a name. Anything else is not a lesson folder.
fn folder_number(name: &str) -> Option<u32> {
    let (digits, rest) = name.split_once('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || rest.is_empty() {
        return None;
    }
    digits.parse().ok()
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

/// The title in `//! # Lesson 01: a basic TCP client`: `a basic TCP client`.
pub fn parse_title(lib_rs: &str) -> Option<String> {
    lib_rs.lines().find_map(|line| {
        let heading = line.trim().strip_prefix("//!")?.trim();
        let rest = heading.strip_prefix("# Lesson")?.trim_start();
        let (number, title) = rest.split_once(':')?;
        let title = title.trim();
        (!number.trim().is_empty() && !title.is_empty()).then(|| title.to_string())
    })
}

/// The `name = "..."` of the `[package]` table of a `Cargo.toml`.
///
/// Only this one key is needed, so a few lines of line-by-line reading replace a TOML parser: tables start
/// with `[`, and the key is on a line of its own in every manifest cargo writes or the course ships.
pub fn parse_package_name(cargo_toml: &str) -> Option<String> {
    let mut in_package = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != "name" {
            continue;
        }
        let value = value.trim();
        let value = value.split('#').next().unwrap_or(value).trim();
        let name = value.strip_prefix('"')?.strip_suffix('"')?;
        return (!name.is_empty()).then(|| name.to_string());
    }
    None
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
    fn title_comes_from_the_lesson_heading() {
        let lib = "//! # Lesson 01: a basic TCP client\n//!\n//! **Goal**: x\n";
        assert_eq!(parse_title(lib).as_deref(), Some("a basic TCP client"));
        assert_eq!(parse_title("//! Lesson one\nmod imp;\n"), None);
        assert_eq!(parse_title("//! # Lesson 02:\n"), None);
    }

    #[test]
    fn package_name_is_read_from_the_package_table_only() {
        let manifest = "[workspace]\nname = \"no\"\n\n[package]\nname = \"basic-client\" # the topic\nversion.workspace = true\n\n[dependencies]\nname = \"no\"\n";
        assert_eq!(
            parse_package_name(manifest).as_deref(),
            Some("basic-client")
        );
        assert_eq!(parse_package_name("[package]\nversion = \"1\"\n"), None);
        assert_eq!(parse_package_name("[package]\nname = basic\n"), None);
    }

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

    #[test]
    fn lesson_folders_are_digits_dash_name() {
        assert_eq!(folder_number("01-basic-client"), Some(1));
        assert_eq!(folder_number("12-x"), Some(12));
        assert_eq!(folder_number("basic-client"), None);
        assert_eq!(folder_number("01-"), None);
        assert_eq!(folder_number("01"), None);
    }

    fn lesson(number: u32, dir_name: &str) -> Lesson {
        Lesson {
            number,
            dir_name: dir_name.to_string(),
            dir: PathBuf::from(dir_name),
            title: dir_name.to_string(),
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
