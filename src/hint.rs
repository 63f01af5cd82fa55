//! `course hint NN`: one more hint for the step you are stuck on.
//!
//! The hints are in the lesson's `hints.md`, one section per step, each hint a little closer to the answer:
//!
//! ```markdown
//! ## Step 1: connect to the first address that answers
//!
//! ### Hint 1
//! Loop over the slice with `for addr in addrs`. ...
//!
//! ### Hint 2
//! ...
//! ```
//!
//! The step is the first one the last `check` found failing (step 1 before any check). Each call shows the
//! next hint and the progress file remembers how many you have seen, so asking again moves forward.

use std::fs;
use std::io::ErrorKind;

use anyhow::{Context, Result, bail};

use crate::UsageError;
use crate::course::{Chapter, Course};
use crate::lessons::Lesson;
use crate::progress::Progress;
use crate::text;

/// The hints of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepHints {
    pub step: u32,
    /// The heading's words after `Step N:`, possibly empty.
    pub title: String,
    pub hints: Vec<String>,
}

/// Which hints to show.
pub struct Request<'a> {
    pub lesson: &'a str,
    /// A step chosen by the learner instead of the first failing one.
    pub step: Option<u32>,
    /// Every hint of the step at once, without counting them as seen.
    pub all: bool,
}

pub fn run(course: &Course, request: Request) -> Result<u8> {
    let lesson = course.lesson(request.lesson)?;
    let label = lesson.label();
    let hints_path = lesson.rel("hints.md");
    let text = match fs::read_to_string(lesson.dir.join("hints.md")) {
        Ok(text) => text,
        Err(err) if err.kind() == ErrorKind::NotFound => {
            bail!(
                "lesson {label} has no hints yet ({hints_path} does not exist). {}",
                read_more(course, lesson)
            )
        }
        Err(err) => return Err(err).with_context(|| format!("reading {hints_path}")),
    };
    let sections = parse_hints(&text).with_context(|| format!("reading {hints_path}"))?;

    let mut progress = Progress::load(&course.progress_file)?;
    let step = match (request.step, progress.check(&label)) {
        (Some(step), _) => step,
        (None, Some(record)) => match record.failing {
            Some(step) => step,
            None => {
                println!(
                    "Every step of lesson {label} passed at the last check: no hint needed. \
                     `cargo run -- hint {} --step N` shows the hints of step N anyway.",
                    lesson.number
                );
                return Ok(0);
            }
        },
        (None, None) => {
            println!(
                "(No check has run yet, so here is step 1. `cargo run -- check {}` finds the step to work on.)",
                lesson.number
            );
            1
        }
    };
    let Some(section) = sections.iter().find(|section| section.step == step) else {
        // A step the lesson does not have is the learner's slip; a step without hints is the course's.
        let steps = lesson.steps().map(|steps| steps.len()).unwrap_or(0);
        if step == 0 || step as usize > steps {
            return Err(UsageError(format!(
                "lesson {label} has steps 1 to {steps}: there is no step {step}"
            ))
            .into());
        }
        bail!("{hints_path} has no `## Step {step}` section, so there is no hint for step {step}");
    };
    if section.hints.is_empty() {
        bail!(
            "{hints_path} has no `### Hint` under `## Step {step}`, so there is no hint for step {step}"
        );
    }
    let total = section.hints.len();
    if section.title.is_empty() {
        println!("Lesson {label}, step {step}");
    } else {
        println!("Lesson {label}, step {step}: {}", section.title);
    }

    if request.all {
        for (index, hint) in section.hints.iter().enumerate() {
            print_hint(index + 1, total, hint);
        }
        return Ok(0);
    }

    // The command that shows this step's hints again: with `--step` when the learner chose the step, or
    // it would follow the last check to another step.
    let again = match request.step {
        Some(step) => format!("cargo run -- hint {} --step {step}", lesson.number),
        None => format!("cargo run -- hint {}", lesson.number),
    };
    let shown = progress.hints_shown(&label, step) as usize;
    if shown >= total {
        println!();
        println!("No more hints for step {step}: you have seen all {total}.");
        println!("{}", read_more(course, lesson));
        println!("`{again} --all` shows them all again.");
        return Ok(0);
    }
    print_hint(shown + 1, total, &section.hints[shown]);
    progress.set_hints_shown(&label, step, shown as u32 + 1);
    progress.save(&course.progress_file)?;
    println!();
    if shown + 1 < total {
        println!(
            "Still stuck? Run `{again}` again for hint {} of {total}.",
            shown + 2
        );
    } else {
        println!(
            "That was the last hint for step {step}. {}",
            read_more(course, lesson)
        );
    }
    Ok(0)
}

fn print_hint(number: usize, total: usize, hint: &str) {
    println!();
    println!("Hint {number} of {total}:");
    println!();
    text::print_indented(hint);
}

/// Where to look when the hints are not enough.
fn read_more(course: &Course, lesson: &Lesson) -> String {
    let solution = lesson.rel("src/solution.rs");
    match course.chapter(lesson) {
        Chapter::Written(chapter) => format!(
            "The chapter {chapter} walks through each step; {solution} is the reference solution."
        ),
        Chapter::NotWritten => format!("{solution} is the reference solution."),
    }
}

/// The `## Step N: title` sections of a `hints.md` and the `### Hint` subsections in each.
///
/// Text before the first step, other `##` sections and other `###` subsections are not hints and are
/// skipped; headings inside fenced code blocks are text. A step heading without a number, a step that
/// appears twice, or a hint outside any step is an error naming the line, because it would silently hide
/// hints from the learner.
pub fn parse_hints(text: &str) -> Result<Vec<StepHints>> {
    let mut sections: Vec<StepHints> = Vec::new();
    // Whether lines currently belong to a hint of the last section.
    let mut in_hint = false;
    let mut in_step = false;
    let mut in_code = false;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        let is_fence = trimmed.starts_with("```") || trimmed.starts_with("~~~");
        if is_fence {
            in_code = !in_code;
        }
        let heading = if in_code || is_fence {
            None
        } else {
            heading(line)
        };
        match heading {
            Some((1, _)) => {
                // A `#` title ends the step before it.
                in_hint = false;
                in_step = false;
            }
            Some((2, words)) => {
                in_hint = false;
                in_step = false;
                let Some(rest) = strip_word(words, "step") else {
                    continue;
                };
                let digits_end = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                let Ok(step) = rest[..digits_end].parse::<u32>() else {
                    bail!("line {number}: `{line}` should be `## Step N: what the step does`");
                };
                if sections.iter().any(|section| section.step == step) {
                    bail!("line {number}: a second `## Step {step}` section");
                }
                let title = rest[digits_end..]
                    .trim_start_matches([':', '-', '.', ' '])
                    .trim();
                sections.push(StepHints {
                    step,
                    title: title.to_string(),
                    hints: Vec::new(),
                });
                in_step = true;
            }
            Some((3, words)) => {
                in_hint = false;
                if strip_word(words, "hint").is_some() {
                    if !in_step {
                        bail!("line {number}: `{line}` is not inside a `## Step N` section");
                    }
                    if let Some(section) = sections.last_mut() {
                        section.hints.push(String::new());
                        in_hint = true;
                    }
                }
            }
            // Text, including `####` headings, which belong to the hint they are in.
            _ => {
                if in_hint {
                    if let Some(hint) = sections.last_mut().and_then(|s| s.hints.last_mut()) {
                        hint.push_str(line);
                        hint.push('\n');
                    }
                }
            }
        }
    }
    for section in &mut sections {
        for hint in &mut section.hints {
            *hint = hint.trim().to_string();
        }
        section.hints.retain(|hint| !hint.is_empty());
    }
    Ok(sections)
}

/// `Some((2, "Step 1: x"))` for `## Step 1: x`.
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if level == 0 {
        return None;
    }
    let rest = &line[level..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    Some((level, rest.trim()))
}

/// What follows `word` (any case) at the start of `text`, if a space, digit or the end follows it.
fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = &text[word.len()..];
    (rest.is_empty() || rest.starts_with([' ', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']))
        .then(|| rest.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HINTS: &str = "# Lesson 01 hints

Intro text, not a hint.

## Step 1: connect to the first address

### Hint 1
Loop over the slice.

It has two paragraphs.

### Hint 2
Keep the error.

## Step 2 - read until closed

### Hint 1
```rust
## not a heading
let n = reader.read(&mut buf)?;
```

### Notes for maintainers
Not a hint.

## About these hints
Not a step.
";

    #[test]
    fn sections_hints_and_their_text_are_read() {
        let sections = parse_hints(HINTS).unwrap();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].step, 1);
        assert_eq!(sections[0].title, "connect to the first address");
        assert_eq!(
            sections[0].hints,
            [
                "Loop over the slice.\n\nIt has two paragraphs.",
                "Keep the error."
            ]
        );
        assert_eq!(sections[1].step, 2);
        assert_eq!(sections[1].title, "read until closed");
        assert_eq!(
            sections[1].hints,
            ["```rust\n## not a heading\nlet n = reader.read(&mut buf)?;\n```"]
        );
    }

    #[test]
    fn a_step_without_hints_is_kept_with_none() {
        let sections = parse_hints("## Step 3: x\nno hint heading\n### Hint 1\n\n").unwrap();
        assert_eq!(sections[0].step, 3);
        assert!(sections[0].hints.is_empty());
    }

    #[test]
    fn malformed_files_are_errors_that_name_the_line() {
        let err = parse_hints("## Step one: x\n").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
        let err = parse_hints("## Step 1\n### Hint 1\na\n## Step 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 4") && err.contains("second"), "{err}");
        let err = parse_hints("# Hints\n### Hint 1\ntext\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn headings_need_a_space_after_the_hashes() {
        assert_eq!(heading("## Step 1"), Some((2, "Step 1")));
        assert_eq!(heading("###"), Some((3, "")));
        assert_eq!(heading("#tag"), None);
        assert_eq!(heading("text"), None);
        assert_eq!(strip_word("Stepping", "step"), None);
        assert_eq!(strip_word("STEP 2", "step"), Some("2"));
        assert_eq!(strip_word("Hint", "hint"), Some(""));
    }
}
