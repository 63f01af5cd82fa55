//! Asking cargo to build a lesson's tests, and finding the test program it built.
//!
//! `course check` builds first (`cargo test --no-run`), so compile errors are shown as cargo prints them,
//! then runs the test program itself, so that it alone gets the time limit and can be killed if a step
//! hangs (killing `cargo test` would leave its test program running).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use serde::Deserialize;

/// `cargo`, the same one that runs the runner (`cargo run` sets `CARGO`), in the repository root.
pub fn cargo(root: &Path) -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command.current_dir(root);
    command
}

/// The result of building a lesson's `tests/steps.rs`.
pub struct Build {
    /// The test program, when the build succeeded.
    pub executable: Option<PathBuf>,
    /// What cargo printed on stderr, when it was captured instead of shown.
    pub messages: String,
}

/// Builds the step tests of `package` with `features`. With `show_messages`, cargo's progress and
/// compile errors go straight to the terminal, colours and all; otherwise they are kept in `messages`.
pub fn build_steps(
    root: &Path,
    package: &str,
    features: &[&str],
    show_messages: bool,
) -> Result<Build> {
    let mut command = cargo(root);
    command.args(["test", "--package", package, "--test", "steps", "--no-run"]);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    // Machine-readable messages on stdout say where the test program is; `render-diagnostics` keeps the
    // compile errors human-readable on stderr.
    command
        .arg("--message-format=json-render-diagnostics")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if show_messages {
            Stdio::inherit()
        } else {
            Stdio::piped()
        });
    let output = command
        .output()
        .with_context(|| format!("running {command:?}: is cargo installed and on PATH?"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let executable = output
        .status
        .success()
        .then(|| executable_from_messages(&stdout))
        .flatten();
    Ok(Build {
        executable,
        messages: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// One of cargo's JSON messages, with only the fields the runner reads.
#[derive(Deserialize)]
struct Message {
    reason: String,
    target: Option<Target>,
    /// The built program, for an artifact that is one; `null` for a library.
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Target {
    kind: Vec<String>,
}

/// The `executable` of the test program in cargo's JSON messages (one JSON object per line).
///
/// The lesson's own programs are built too (tests may run them) and are executables as well, so the
/// artifact must be of kind `test`. A line that is not such a message (cargo prints only messages here,
/// but a build script may print anything) is skipped.
pub fn executable_from_messages(messages: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Message>(line).ok())
        .filter(|message| message.reason == "compiler-artifact")
        .filter(|message| {
            message
                .target
                .as_ref()
                .is_some_and(|target| target.kind.iter().any(|kind| kind == "test"))
        })
        .find_map(|message| message.executable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_program_is_found_among_cargo_messages() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/shared#0.1.0","target":{"kind":["lib"],"name":"shared"},"executable":null,"fresh":true}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w#0.1.0","target":{"kind":["bin"],"name":"single-server"},"executable":"/w/target/debug/single-server","fresh":false}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w#0.1.0","target":{"kind":["test"],"name":"steps"},"filenames":["/w/target/debug/deps/steps-bd61"],"executable":"/w/target/debug/deps/steps-bd61","fresh":false}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
            "\n",
        );
        assert_eq!(
            executable_from_messages(messages),
            Some(PathBuf::from("/w/target/debug/deps/steps-bd61"))
        );
        assert_eq!(
            executable_from_messages(r#"{"reason":"build-finished","success":false}"#),
            None
        );
    }

    #[test]
    fn escapes_in_the_path_are_undone_and_other_lines_skipped() {
        let messages = concat!(
            "not json\n",
            r#"{"reason":"compiler-artifact","target":{"kind":["test"]},"executable":"C:\\course\\caf\u00e9\\steps.exe"}"#,
        );
        assert_eq!(
            executable_from_messages(messages),
            Some(PathBuf::from(r"C:\course\café\steps.exe"))
        );
    }
}
