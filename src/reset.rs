//! `course reset NN`: puts a lesson's `exercise.rs` back as it was shipped, to start the lesson again.
//!
//! "As shipped" is the file in git: `origin/HEAD` (the course as you cloned or last pulled it) when that
//! exists, so your own commits do not count as the shipped version; otherwise `HEAD`.

use std::fs;
use std::io::{self, BufRead, ErrorKind, IsTerminal, Write};
use std::path::Path;
use std::process::{Command, Output};

use anyhow::{Context, Result, bail};

use crate::UsageError;
use crate::course::Course;
use crate::progress::Progress;

pub fn run(course: &Course, wanted: &str, yes: bool) -> Result<u8> {
    let lesson = course.lesson(wanted)?;
    let rel = lesson.rel("src/exercise.rs");

    ensure_git_checkout(course, &rel)?;
    let (reference, shipped) = shipped_version(course, &rel)?;

    let path = lesson.exercise_path();
    if fs::read(&path).is_ok_and(|current| current == shipped) {
        println!("{rel} is already as shipped ({reference}): nothing to reset.");
        return Ok(0);
    }
    if !yes && !confirm(&rel, reference, lesson.number)? {
        println!("Nothing changed.");
        return Ok(0);
    }
    fs::write(&path, &shipped).with_context(|| format!("writing {rel}"))?;

    println!("{rel} is back as shipped ({reference}).");
    // The last check and the hints seen were about the old file.
    let mut progress = Progress::load(&course.progress_file)?;
    if progress.forget(&lesson.label()) {
        progress.save(&course.progress_file)?;
        println!(
            "Lesson {}'s progress (last check, hints seen) is cleared.",
            lesson.label()
        );
    }
    println!("{}", course.next_step(lesson, None));
    Ok(0)
}

/// Reset needs git and a checkout: the shipped file is what git has.
fn ensure_git_checkout(course: &Course, rel: &str) -> Result<()> {
    let by_hand = format!("copy {rel} from the course's repository by hand");
    match git(&course.root, &["--version"]) {
        Err(err) if err.kind() == ErrorKind::NotFound => {
            bail!(
                "reset needs git, and git is not installed (or not on PATH). Install git, or {by_hand}."
            )
        }
        result => {
            result.context("running git --version")?;
        }
    }
    let inside = git(&course.root, &["rev-parse", "--is-inside-work-tree"])
        .context("running git rev-parse")?;
    if !inside.status.success() {
        bail!(
            "{} is not a git checkout, so git has no shipped version of {rel}. Clone the course with git, or {by_hand}.",
            course.root.display()
        );
    }
    Ok(())
}

/// The file as shipped, and which commit that is: `origin/HEAD` when there is one, else `HEAD`.
fn shipped_version(course: &Course, rel: &str) -> Result<(&'static str, Vec<u8>)> {
    let has_origin = git(
        &course.root,
        &["rev-parse", "--verify", "--quiet", "origin/HEAD^{commit}"],
    )?
    .status
    .success();
    let reference = if has_origin { "origin/HEAD" } else { "HEAD" };
    // `./` makes the path relative to the course root even when the course is a folder of a bigger repository.
    let shown = git(&course.root, &["show", &format!("{reference}:./{rel}")])
        .context("running git show")?;
    if !shown.status.success() {
        bail!(
            "git has no {rel} at {reference}: {}",
            String::from_utf8_lossy(&shown.stderr).trim()
        );
    }
    Ok((reference, shown.stdout))
}

/// Asks before overwriting the learner's work. Without a terminal there is nobody to ask, and guessing
/// "yes" could throw away an afternoon's work, so the answer must come as `--yes`.
fn confirm(rel: &str, reference: &str, number: u32) -> Result<bool> {
    if !io::stdin().is_terminal() {
        return Err(UsageError(format!(
            "reset would overwrite {rel}, and there is no terminal to ask for confirmation: \
             run `cargo run -- reset {number} --yes` to go ahead."
        ))
        .into());
    }
    print!("Put {rel} back as shipped ({reference})? Your changes to it will be lost. [y/N] ");
    io::stdout().flush().context("writing the question")?;
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("reading the answer")?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn git(root: &Path, args: &[&str]) -> io::Result<Output> {
    Command::new("git").current_dir(root).args(args).output()
}
