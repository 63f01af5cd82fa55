//! The course on disk: where the repository is, where progress is kept, which lessons exist, and the
//! sentences that point the learner at them.

use std::collections::BTreeSet;
use std::env;
use std::fs;
use std::ops::RangeInclusive;
use std::path::PathBuf;

use anyhow::Result;

use crate::UsageError;
use crate::lessons::{self, Lesson, Step};

/// The lessons the course plans (the README's table, 01 to 07). A planned lesson without its folder yet is
/// "coming", not a typo; a chapter in the book for a lesson number plans that lesson too.
const PLANNED: RangeInclusive<u32> = 1..=7;

/// A lesson's chapter in the book, `book/src/01-basic-client.md`, and whether it is written yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chapter {
    Written(String),
    /// The file says "Coming soon", or there is no file.
    NotWritten,
}

/// The repository the runner works on, and its lessons.
pub struct Course {
    pub root: PathBuf,
    pub progress_file: PathBuf,
    pub lessons: Vec<Lesson>,
}

impl Course {
    /// The course the runner was built from: the root package lives at the repository root, so its
    /// manifest folder is the root. `COURSE_ROOT` points it at another copy (the runner's own tests use
    /// one, so they never touch your files), and `COURSE_PROGRESS` at another progress file.
    pub fn locate() -> Result<Course> {
        let root = env::var_os("COURSE_ROOT")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let progress_file = env::var_os("COURSE_PROGRESS")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".course-progress"));
        let lessons = lessons::discover(&root)?;
        Ok(Course {
            root,
            progress_file,
            lessons,
        })
    }

    /// The lesson the learner named on the command line, or a usage error that lists the lessons: one that
    /// says "not written yet" for a planned lesson whose folder does not exist yet.
    pub fn lesson(&self, wanted: &str) -> Result<&Lesson> {
        if let Some(lesson) = lessons::select(&self.lessons, wanted) {
            return Ok(lesson);
        }
        let number = lessons::wanted_number(wanted);
        let message = match number.filter(|number| self.coming().contains(number)) {
            Some(number) => format!(
                "lesson {number:02} is not written yet: it is coming soon. {}",
                self.lesson_list()
            ),
            None => format!("there is no lesson {wanted:?}. {}", self.lesson_list()),
        };
        Err(UsageError(message).into())
    }

    /// The numbers of the lessons that are planned (see `PLANNED`, and the book's chapters) and have no
    /// folder yet, in order.
    pub fn coming(&self) -> Vec<u32> {
        let mut planned: BTreeSet<u32> = PLANNED.collect();
        planned.extend(
            self.chapter_files()
                .iter()
                .filter_map(|name| leading_number(name)),
        );
        planned
            .into_iter()
            .filter(|number| !self.lessons.iter().any(|lesson| lesson.number == *number))
            .collect()
    }

    /// `More lessons are coming: 03, 04, 05, 06, 07.`, or `None` when every planned lesson is here.
    pub fn coming_line(&self) -> Option<String> {
        let coming = self.coming();
        if coming.is_empty() {
            return None;
        }
        let labels: Vec<String> = coming.iter().map(|number| format!("{number:02}")).collect();
        Some(format!(
            "More lessons are coming (not written yet): {}.",
            labels.join(", ")
        ))
    }

    /// `The lessons are:` and one line per lesson, for messages about a lesson that does not exist.
    pub fn lesson_list(&self) -> String {
        if self.lessons.is_empty() {
            return format!(
                "There are no lessons in {} yet.",
                self.root.join("lessons").display()
            );
        }
        let mut text = String::from("The lessons available now are:");
        for lesson in &self.lessons {
            text.push_str(&format!(
                "\n  {}  {}  (cargo run -- check {})",
                lesson.label(),
                lesson.title,
                lesson.number
            ));
        }
        text
    }

    /// The Markdown files of `book/src`, by name; none when there is no book.
    fn chapter_files(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(self.root.join("book").join("src")) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".md"))
            .collect();
        names.sort();
        names
    }

    /// The lesson's chapter: the Markdown file in `book/src` whose name starts with the lesson's number,
    /// written unless it says "Coming soon" (any case) or cannot be read.
    pub fn chapter(&self, lesson: &Lesson) -> Chapter {
        let names: Vec<String> = self
            .chapter_files()
            .into_iter()
            .filter(|name| leading_number(name) == Some(lesson.number))
            .collect();
        // `01-basic-client.md` over `01-notes.md`, when the book has both.
        let Some(best) = names
            .iter()
            .find(|name| name.trim_end_matches(".md") == lesson.dir_name)
            .or_else(|| names.first())
        else {
            return Chapter::NotWritten;
        };
        match fs::read_to_string(self.root.join("book").join("src").join(best)) {
            Ok(text) if !text.to_lowercase().contains("coming soon") => {
                Chapter::Written(format!("book/src/{best}"))
            }
            _ => Chapter::NotWritten,
        }
    }

    /// The one thing to do next in `lesson`: read, edit, check. `step` is the first step still failing, if
    /// the lesson was checked before.
    pub fn next_step(&self, lesson: &Lesson, step: Option<&Step>) -> String {
        let exercise = lesson.rel("src/exercise.rs");
        let check = format!("cargo run -- check {}", lesson.number);
        match step {
            Some(step) => {
                let chapter = match self.chapter(lesson) {
                    Chapter::Written(chapter) => format!(", explained in {chapter}"),
                    Chapter::NotWritten => String::new(),
                };
                format!(
                    "Next: lesson {} step {} ({}){chapter}: edit {exercise}, then run: {check} (stuck? \
                     cargo run -- hint {})",
                    lesson.label(),
                    step.number,
                    step.title,
                    lesson.number
                )
            }
            None => match self.chapter(lesson) {
                Chapter::Written(chapter) => {
                    format!("Next: read {chapter}, edit {exercise}, then run: {check}")
                }
                Chapter::NotWritten => format!(
                    "Next: lesson {}'s chapter is not written yet, so start from the header of {} and \
                     the tasks in {}: edit {exercise}, then run: {check}",
                    lesson.label(),
                    lesson.rel("src/lib.rs"),
                    lesson.rel("tests/steps.rs")
                ),
            },
        }
    }
}

/// `Some(1)` for `01-basic-client.md`: the digits a file name starts with, if a separator follows them.
fn leading_number(name: &str) -> Option<u32> {
    let end = name.find(|c: char| !c.is_ascii_digit())?;
    if end == 0 || !name[end..].starts_with(['-', '_', '.', ' ']) {
        return None;
    }
    name[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapters_are_found_by_their_leading_number() {
        assert_eq!(leading_number("01-basic-client.md"), Some(1));
        assert_eq!(leading_number("12_x.md"), Some(12));
        assert_eq!(leading_number("2010s.md"), None);
        assert_eq!(leading_number("introduction.md"), None);
        assert_eq!(leading_number("01.md"), Some(1));
    }
}
