//! The `--help` output the chapters show, checked against the programs.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// Checks that the book shows `program`'s real `--help` output after the line `$ {command}`.
///
/// A chapter quotes a program's help in a `text` block that starts with the command a learner types,
/// `$ cargo run -q -p single-server -- --help`, followed by its output. This finds that block in
/// `book/src/*.md`, runs `program --help`, and fails with both texts when they differ, so that a changed
/// option cannot leave the chapter behind. Trailing spaces are ignored.
#[track_caller]
pub fn assert_help_quoted_in_book(program: impl AsRef<Path>, command: &str) {
    let program = program.as_ref();
    let output = Command::new(program)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("could not run {} --help: {err}", program.display()));
    assert!(
        output.status.success(),
        "{} --help failed",
        program.display()
    );
    let actual = tidy(&String::from_utf8_lossy(&output.stdout));

    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/src");
    let prompt = format!("$ {command}");
    let mut found = Vec::new();
    for entry in fs::read_dir(&book).expect("listing book/src").flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|ext| ext != "md") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("reading a chapter");
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line.trim_end() == prompt {
                let quoted: Vec<&str> = lines.by_ref().take_while(|line| *line != "```").collect();
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                found.push((name.into_owned(), tidy(&quoted.join("\n"))));
            }
        }
    }
    assert!(
        !found.is_empty(),
        "no chapter in book/src shows `{prompt}` followed by its output"
    );
    for (chapter, quoted) in found {
        assert!(
            quoted == actual,
            "book/src/{chapter} shows an old `--help` after `{prompt}`: paste the new output there.\n\
             --- the chapter ---\n{quoted}\n--- the program ---\n{actual}"
        );
    }
}

/// `text` with trailing spaces and trailing empty lines removed.
fn tidy(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}
