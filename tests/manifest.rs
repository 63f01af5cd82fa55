//! `course.toml` tells the truth about the workspace, since the runner believes it and nothing else:
//!
//! - every folder under `lessons/` has an entry, and every written entry's folder exists and is a member of
//!   the workspace;
//! - a written entry's `package` is its folder's `Cargo.toml` package name, its `title` is the one in the
//!   header of its `src/lib.rs` (`//! # Lesson NN: title`), and the folder starts with its number;
//! - a written entry's chapter exists and is listed in `book/src/SUMMARY.md`;
//! - a planned entry's folder does not exist yet (a folder with no `written` is a lesson the runner hides).
//!
//! Each failure names the entry and what to change.

use std::fs;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    fs::read_to_string(root().join(rel)).unwrap_or_else(|err| panic!("reading {rel}: {err}"))
}

fn table(rel: &str) -> toml::Table {
    toml::from_str(&read(rel)).unwrap_or_else(|err| panic!("{rel} is not valid TOML: {err}"))
}

/// An entry of `course.toml`, as plain strings.
struct Entry {
    number: i64,
    folder: String,
    package: String,
    title: String,
    chapter: String,
    written: bool,
}

fn entries() -> Vec<Entry> {
    let manifest = table("course.toml");
    let lessons = manifest["lesson"]
        .as_array()
        .expect("course.toml has [[lesson]] tables");
    lessons
        .iter()
        .map(|lesson| {
            let text = |key: &str| {
                lesson[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("course.toml: a lesson's {key} is not a string"))
                    .to_string()
            };
            Entry {
                number: lesson["number"].as_integer().expect("a lesson's number"),
                folder: text("folder"),
                package: text("package"),
                title: text("title"),
                chapter: text("chapter"),
                written: text("status") == "written",
            }
        })
        .collect()
}

fn written() -> Vec<Entry> {
    entries()
        .into_iter()
        .filter(|entry| entry.written)
        .collect()
}

#[test]
fn every_lesson_folder_has_an_entry_and_every_written_entry_a_folder_in_the_workspace() {
    let entries = entries();
    for folder in fs::read_dir(root().join("lessons")).unwrap() {
        let name = folder.unwrap().file_name().to_string_lossy().into_owned();
        let rel = format!("lessons/{name}");
        let entry = entries.iter().find(|entry| entry.folder == rel);
        assert!(
            entry.is_some_and(|entry| entry.written),
            "{rel} has no written entry in course.toml: add a [[lesson]] with folder = \"{rel}\" and \
             status = \"written\", or the runner will not know the lesson"
        );
    }
    let workspace = table("Cargo.toml");
    let members: Vec<&str> = workspace["workspace"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|member| member.as_str())
        .collect();
    for entry in written() {
        assert!(
            root().join(&entry.folder).is_dir(),
            "course.toml: lesson {} is written, but {} does not exist",
            entry.number,
            entry.folder
        );
        assert!(
            members
                .iter()
                .any(|member| *member == entry.folder || *member == "lessons/*"),
            "{} is not a member of the workspace: add it to [workspace] members in Cargo.toml",
            entry.folder
        );
    }
}

#[test]
fn a_written_entry_names_its_package_and_title_as_the_lesson_does() {
    for entry in written() {
        let number = format!("{:02}", entry.number);
        let folder_name = entry.folder.rsplit('/').next().unwrap();
        assert!(
            folder_name.starts_with(&format!("{number}-")),
            "course.toml: lesson {number}'s folder {} should start with {number}-",
            entry.folder
        );
        let cargo = table(&format!("{}/Cargo.toml", entry.folder));
        let package = cargo["package"]["name"].as_str().unwrap();
        assert_eq!(
            package, entry.package,
            "course.toml: lesson {number}'s package is {package:?} in {}/Cargo.toml",
            entry.folder
        );
        let header = format!("//! # Lesson {number}: {}", entry.title);
        let lib = read(&format!("{}/src/lib.rs", entry.folder));
        assert_eq!(
            lib.lines().next(),
            Some(header.as_str()),
            "{}/src/lib.rs should start with the title course.toml gives it",
            entry.folder
        );
    }
}

#[test]
fn a_written_entry_has_its_chapter_in_the_book() {
    let summary = read("book/src/SUMMARY.md");
    for entry in written() {
        assert!(
            root().join(&entry.chapter).is_file(),
            "course.toml: lesson {}'s chapter {} does not exist",
            entry.number,
            entry.chapter
        );
        let in_summary = entry
            .chapter
            .strip_prefix("book/src/")
            .unwrap_or(&entry.chapter);
        assert!(
            summary.contains(&format!("({in_summary})")),
            "{} is not listed in book/src/SUMMARY.md",
            entry.chapter
        );
    }
}

#[test]
fn a_planned_entry_has_no_folder_yet() {
    for entry in entries().into_iter().filter(|entry| !entry.written) {
        assert!(
            !root().join(&entry.folder).exists(),
            "{} exists, but course.toml says lesson {} is planned: set its status to \"written\" once it \
             has its steps, hints and chapter",
            entry.folder,
            entry.number
        );
    }
}
