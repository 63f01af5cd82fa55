//! The course on disk: where the repository is, where progress is kept, which lessons exist, and the
//! sentences that point the learner at them.

use std::env;
use std::fs;
use std::path::PathBuf;

use anyhow::Result;

use crate::UsageError;
use crate::lessons::{self, Lesson, Step};
use crate::manifest::{Entry, Manifest, Status};

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
    /// The written lessons, in order.
    pub lessons: Vec<Lesson>,
    /// The lessons the manifest plans and that are not written yet: "coming", not a typo.
    pub planned: Vec<Entry>,
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
        let manifest = Manifest::load(&root)?;
        let (written, planned): (Vec<Entry>, Vec<Entry>) = manifest
            .lessons
            .into_iter()
            .partition(|entry| entry.status == Status::Written);
        let lessons = written
            .iter()
            .map(|entry| Lesson::from_entry(&root, entry))
            .collect();
        Ok(Course {
            root,
            progress_file,
            lessons,
            planned,
        })
    }

    /// The lesson the learner named on the command line, or a usage error that lists the lessons: one that
    /// says "not written yet" for a planned lesson whose folder does not exist yet.
    pub fn lesson(&self, wanted: &str) -> Result<&Lesson> {
        if let Some(lesson) = lessons::select(&self.lessons, wanted) {
            return Ok(lesson);
        }
        let number = lessons::wanted_number(wanted);
        let planned =
            number.and_then(|number| self.planned.iter().find(|entry| entry.number == number));
        let message = match planned {
            Some(entry) => format!(
                "lesson {:02} is not written yet: it is coming soon ({}). {}",
                entry.number,
                entry.title,
                self.lesson_list()
            ),
            None => format!("there is no lesson {wanted:?}. {}", self.lesson_list()),
        };
        Err(UsageError(message).into())
    }

    /// The numbers of the lessons the manifest plans, in order.
    pub fn coming(&self) -> Vec<u32> {
        self.planned.iter().map(|entry| entry.number).collect()
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

    /// The lesson's chapter (the manifest's `chapter`), written unless the file is missing, cannot be
    /// read or says "Coming soon" (any case).
    pub fn chapter(&self, lesson: &Lesson) -> Chapter {
        match fs::read_to_string(self.root.join(&lesson.chapter)) {
            Ok(text) if !text.to_lowercase().contains("coming soon") => {
                Chapter::Written(lesson.chapter.clone())
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
