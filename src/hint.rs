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

use anyhow::{Context, Result, anyhow, bail};

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
    let sections = load(lesson).map_err(|err| anyhow!("{err:#}. {}", read_more(course, lesson)))?;
    let mut progress = Progress::load(&course.progress_file)?;
    let Some(step) = step_to_show(lesson, &request, &progress) else {
        return Ok(0);
    };
    let section = section_of(lesson, &sections, step)?;
    match &section.title[..] {
        "" => println!("Lesson {}, step {step}", lesson.label()),
        title => println!("Lesson {}, step {step}: {title}", lesson.label()),
    }
    if request.all {
        for (index, hint) in section.hints.iter().enumerate() {
            print_hint(index + 1, section.hints.len(), hint);
        }
        return Ok(0);
    }
    show_next_hint(course, lesson, &request, &mut progress, section)?;
    Ok(0)
}

/// The hints of a lesson, from its `hints.md`; an error says that it has none, or where the file is wrong.
pub fn load(lesson: &Lesson) -> Result<Vec<StepHints>> {
    let hints_md = lesson.rel("hints.md");
    let text = match fs::read_to_string(lesson.dir.join("hints.md")) {
        Ok(text) => text,
        Err(err) if err.kind() == ErrorKind::NotFound => bail!(
            "lesson {} has no hints yet ({hints_md} does not exist)",
            lesson.label()
        ),
        Err(err) => return Err(err).with_context(|| format!("reading {hints_md}")),
    };
    parse_hints(&text).with_context(|| format!("reading {hints_md}"))
}

/// The step whose hints to show: the one asked for, else the first that failed at the last check, else
/// step 1. `None` when every step passed (and the learner is told so).
fn step_to_show(lesson: &Lesson, request: &Request, progress: &Progress) -> Option<u32> {
    match (request.step, progress.check(&lesson.label())) {
        (Some(step), _) => Some(step),
        (None, Some(record)) => {
            if record.failing.is_none() {
                println!(
                    "Every step of lesson {} passed at the last check: no hint needed. \
                     `cargo run -- hint {} --step N` shows the hints of step N anyway.",
                    lesson.label(),
                    lesson.number
                );
            }
            record.failing
        }
        (None, None) => {
            println!(
                "(No check has run yet, so here is step 1. `cargo run -- check {}` finds the step to work on.)",
                lesson.number
            );
            Some(1)
        }
    }
}

/// The hints of `step`, or an error: a usage error for a step the lesson does not have (the learner's
/// slip), another for a step without hints (the course's).
fn section_of<'a>(lesson: &Lesson, sections: &'a [StepHints], step: u32) -> Result<&'a StepHints> {
    let hints_md = lesson.rel("hints.md");
    let Some(section) = sections.iter().find(|section| section.step == step) else {
        let steps = lesson.steps().map(|steps| steps.len()).unwrap_or(0);
        if step == 0 || step as usize > steps {
            return Err(UsageError(format!(
                "lesson {} has steps 1 to {steps}: there is no step {step}",
                lesson.label()
            ))
            .into());
        }
        bail!("{hints_md} has no `## Step {step}` section, so there is no hint for step {step}");
    };
    if section.hints.is_empty() {
        bail!(
            "{hints_md} has no `### Hint` under `## Step {step}`, so there is no hint for step {step}"
        );
    }
    Ok(section)
}

/// Shows the first hint of the step not seen yet, and remembers it was seen.
fn show_next_hint(
    course: &Course,
    lesson: &Lesson,
    request: &Request,
    progress: &mut Progress,
    section: &StepHints,
) -> Result<()> {
    let (step, total) = (section.step, section.hints.len());
    // The command that shows this step's hints again: with `--step` when the learner chose the step, or
    // it would follow the last check to another step.
    let again = match request.step {
        Some(step) => format!("cargo run -- hint {} --step {step}", lesson.number),
        None => format!("cargo run -- hint {}", lesson.number),
    };
    let shown = progress.hints_shown(&lesson.label(), step) as usize;
    if shown >= total {
        println!();
        println!("No more hints for step {step}: you have seen all {total}.");
        println!("{}", read_more(course, lesson));
        println!("`{again} --all` shows them all again.");
        return Ok(());
    }
    print_hint(shown + 1, total, &section.hints[shown]);
    progress.set_hints_shown(&lesson.label(), step, shown as u32 + 1);
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
    Ok(())
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
    let mut parser = HintsParser::default();
    let mut in_code = false;
    for (index, line) in text.lines().enumerate() {
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
        parser.line(index + 1, line, heading)?;
    }
    Ok(parser.finish())
}

/// Where `parse_hints` is in the file.
#[derive(Default)]
struct HintsParser {
    sections: Vec<StepHints>,
    /// Whether lines currently belong to the last step section, and to a hint of it.
    in_step: bool,
    in_hint: bool,
}

impl HintsParser {
    fn line(&mut self, number: usize, line: &str, heading: Option<(usize, &str)>) -> Result<()> {
        match heading {
            // A `#` title ends the step before it.
            Some((1, _)) => (self.in_step, self.in_hint) = (false, false),
            Some((2, words)) => self.step_heading(number, line, words)?,
            Some((3, words)) => {
                self.in_hint = false;
                if strip_word(words, "hint").is_some() {
                    if !self.in_step {
                        bail!("line {number}: `{line}` is not inside a `## Step N` section");
                    }
                    if let Some(section) = self.sections.last_mut() {
                        section.hints.push(String::new());
                        self.in_hint = true;
                    }
                }
            }
            // Text, including `####` headings, which belong to the hint they are in.
            _ => {
                let hint = self.sections.last_mut().and_then(|s| s.hints.last_mut());
                if let (true, Some(hint)) = (self.in_hint, hint) {
                    hint.push_str(line);
                    hint.push('\n');
                }
            }
        }
        Ok(())
    }

    /// A `##` heading: `## Step N: title` starts a step; any other ends the one before.
    fn step_heading(&mut self, number: usize, line: &str, words: &str) -> Result<()> {
        (self.in_step, self.in_hint) = (false, false);
        let Some(rest) = strip_word(words, "step") else {
            return Ok(());
        };
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let Ok(step) = rest[..digits_end].parse::<u32>() else {
            bail!("line {number}: `{line}` should be `## Step N: what the step does`");
        };
        if self.sections.iter().any(|section| section.step == step) {
            bail!("line {number}: a second `## Step {step}` section");
        }
        let title = rest[digits_end..]
            .trim_start_matches([':', '-', '.', ' '])
            .trim();
        self.sections.push(StepHints {
            step,
            title: title.to_string(),
            hints: Vec::new(),
        });
        self.in_step = true;
        Ok(())
    }

    fn finish(mut self) -> Vec<StepHints> {
        for section in &mut self.sections {
            for hint in &mut section.hints {
                *hint = hint.trim().to_string();
            }
            section.hints.retain(|hint| !hint.is_empty());
        }
        self.sections
    }
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
