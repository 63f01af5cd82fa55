//! The course on disk: where the repository is, where progress is kept, which lessons exist, and the
//! sentences that point the learner at them.

use std::env;
use std::fs;
use std::path::PathBuf;

use anyhow::Result;

use crate::UsageError;
use crate::lessons::{self, Lesson, Step};

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

    /// The lesson the learner named on the command line, or a usage error that lists the lessons.
    pub fn lesson(&self, wanted: &str) -> Result<&Lesson> {
        lessons::select(&self.lessons, wanted).ok_or_else(|| {
            UsageError(format!(
                "there is no lesson {wanted:?}. {}",
                self.lesson_list()
            ))
            .into()
        })
    }

    /// `The lessons are:` and one line per lesson, for messages about a lesson that does not exist.
    pub fn lesson_list(&self) -> String {
        if self.lessons.is_empty() {
            return format!(
                "There are no lessons in {} yet.",
                self.root.join("lessons").display()
            );
        }
        let mut text = String::from("The lessons are:");
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

    /// The lesson after `lesson`, in number order.
    pub fn lesson_after(&self, lesson: &Lesson) -> Option<&Lesson> {
        self.lessons
            .iter()
            .find(|other| (other.number, &other.dir_name) > (lesson.number, &lesson.dir_name))
    }

    /// The lesson's chapter, `book/src/01-basic-client.md`, if it has been written: the Markdown file in
    /// `book/src` whose name starts with the lesson's number.
    pub fn chapter(&self, lesson: &Lesson) -> Option<String> {
        let book = self.root.join("book").join("src");
        let mut names: Vec<String> = fs::read_dir(&book)
            .ok()?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".md") && leading_number(name) == Some(lesson.number))
            .collect();
        names.sort();
        // `01-basic-client.md` over `01-notes.md`, when the book has both.
        let best = names
            .iter()
            .find(|name| name.trim_end_matches(".md") == lesson.dir_name)
            .or_else(|| names.first())?;
        Some(format!("book/src/{best}"))
    }

    /// The one thing to do next in `lesson`: read, edit, check. `step` is the first step still failing, if
    /// the lesson was checked before.
    pub fn next_step(&self, lesson: &Lesson, step: Option<&Step>) -> String {
        let exercise = lesson.rel("src/exercise.rs");
        let check = format!("cargo run -- check {}", lesson.number);
        match step {
            Some(step) => format!(
                "Next: lesson {} step {} ({}): edit {exercise}, then run: {check} (stuck? cargo run -- hint {})",
                lesson.label(),
                step.number,
                step.title,
                lesson.number
            ),
            None => match self.chapter(lesson) {
                Some(chapter) => {
                    format!("Next: read {chapter}, edit {exercise}, then run: {check}")
                }
                None => format!("Next: edit {exercise}, then run: {check}"),
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
