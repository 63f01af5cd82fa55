//! The lesson runner: `cargo run` in the course repository starts it.
//!
//! It shows the lesson map (`list`, the default), checks your exercise step by step (`check`), gives
//! hints one at a time (`hint`) and puts an exercise back as shipped (`reset`). The modules, in the order a
//! command uses them:
//!
//! - `course`: where the repository and your progress file are, which lessons exist;
//! - `manifest`: `course.toml`, which lessons exist (written or planned);
//! - `lessons`: a lesson from the manifest, and its steps from `tests/steps.rs`;
//! - `progress`: the `.course-progress` file;
//! - `cargo`, `process`, `libtest`: building the step tests, running them with a time limit, reading
//!   their results;
//! - `list`, `check`, `hint`, `reset`, `dev_check`: one command each;
//! - `text`: printing indented blocks.

mod cargo;
mod check;
mod course;
mod dev_check;
mod hint;
mod lessons;
mod libtest;
mod list;
mod manifest;
mod process;
mod progress;
mod reset;
mod text;
mod watch;

use std::fmt;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::course::Course;

/// The lesson runner of the socket programming course.
///
/// Run it with `cargo run -- COMMAND` at the top of the repository. With no command it shows the
/// lesson map and the next thing to do.
#[derive(Parser)]
#[command(
    name = "course",
    version,
    after_help = "LESSON is the lesson's number: 1 or 01 (also its folder, 01-basic-client).",
    after_long_help = "LESSON is the lesson's number: 1 or 01 (also its folder, 01-basic-client).\n\n\
        Environment:\n  \
        COURSE_ROOT      use the course repository in this folder instead of the one the runner was built in\n  \
        COURSE_PROGRESS  keep progress in this file instead of COURSE_ROOT/.course-progress"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Show every lesson, your progress in it, and the one next thing to do (the default).
    List,
    /// Check your exercise: run the lesson's step tests against your src/exercise.rs.
    ///
    /// Builds the lesson with your exercise (`cargo test -p PACKAGE --features exercise --test steps`),
    /// runs the step tests, and shows which pass, the task of the first that fails and why it failed.
    /// Exits with 0 when every step passes, 1 otherwise.
    Check {
        /// The lesson to check: 1, 01 or 01-basic-client.
        lesson: String,
        /// Stop the step tests after this many seconds (1 to 3600): a step finishes in well under a second,
        /// so one that runs this long is hanging.
        #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        timeout: u64,
    },
    /// Show one more hint for the step you are stuck on: the first that failed at the last check.
    ///
    /// Each call shows the next hint of that step, from the lesson's hints.md; the hints get closer to
    /// the answer as they go.
    Hint {
        /// The lesson: 1, 01 or 01-basic-client.
        lesson: String,
        /// Hints for this step instead of the first failing one.
        #[arg(long, value_name = "N")]
        step: Option<u32>,
        /// Show every hint of the step at once (does not count as seeing the next one).
        #[arg(long)]
        all: bool,
    },
    /// Put a lesson's src/exercise.rs back as shipped (from git), to start the lesson again.
    ///
    /// Your changes to that file are lost, so it asks first; --yes skips the question (needed when there
    /// is no terminal to ask on).
    Reset {
        /// The lesson: 1, 01 or 01-basic-client.
        lesson: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Check your exercise again each time you save it: only the step you are on and a short hint are
    /// shown, and when every step passes it goes on to the next lesson.
    ///
    /// It looks at the modification times of the lesson's src/ files twice a second (no file-watching
    /// service needed, so it works on every file system). Ctrl-C stops it.
    Watch {
        /// The lesson: 1, 01 or 01-basic-client. Without it, the lesson you are on (as `course` shows).
        lesson: Option<String>,
        /// Stop the step tests after this many seconds (1 to 3600), as `check` does.
        #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        timeout: u64,
    },
    /// For CI: every solution passes, every exercise compiles, has TODOs and fails step 1, every step has hints.
    #[command(hide = true)]
    DevCheck,
}

/// A mistake in how the runner was called (a lesson that does not exist, a missing --yes): exit code 2,
/// like clap's own usage errors, so scripts can tell it from a failing check.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::List)) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(command: Command) -> anyhow::Result<u8> {
    let course = Course::locate()?;
    let code = match command {
        Command::List => list::run(&course)?,
        Command::Check { lesson, timeout } => {
            check::run(&course, &lesson, Duration::from_secs(timeout))?
        }
        Command::Hint { lesson, step, all } => hint::run(
            &course,
            hint::Request {
                lesson: &lesson,
                step,
                all,
            },
        )?,
        Command::Reset { lesson, yes } => reset::run(&course, &lesson, yes)?,
        Command::Watch { lesson, timeout } => {
            watch::run(&course, lesson.as_deref(), Duration::from_secs(timeout))?
        }
        Command::DevCheck => dev_check::run(&course)?,
    };
    Ok(code)
}
