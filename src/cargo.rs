//! Asking cargo to build a lesson's tests, and finding the test program it built.
//!
//! `course check` builds first (`cargo test --no-run`), so compile errors are shown as cargo prints them,
//! then runs the test program itself, so that it alone gets the time limit and can be killed if a step
//! hangs (killing `cargo test` would leave its test program running).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

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

/// The `"executable"` of the test program in cargo's JSON messages (one JSON object per line).
///
/// The lesson's own programs are built too (tests may run them) and are executables as well, so the
/// artifact must be of kind `test`. Only this one string is needed, so a small reader of JSON strings
/// replaces a JSON library.
pub fn executable_from_messages(messages: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter(|line| {
            line.contains(r#""reason":"compiler-artifact""#) && line.contains(r#""kind":["test"]"#)
        })
        .find_map(|line| {
            let after_key = &line[line.find(r#""executable":"#)? + r#""executable":"#.len()..];
            json_string(after_key.trim_start()).map(PathBuf::from)
        })
}

/// The JSON string at the start of `text` (`"..."`, with its escapes undone); `None` for anything else
/// (`null` for artifacts that are not programs).
fn json_string(text: &str) -> Option<String> {
    let mut chars = text.strip_prefix('"')?.chars();
    let mut value = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'r' => value.push('\r'),
                'b' => value.push('\u{8}'),
                'f' => value.push('\u{c}'),
                'u' => {
                    let code: String = chars.by_ref().take(4).collect();
                    let code = u32::from_str_radix(&code, 16).ok()?;
                    // A character outside the basic plane comes as two escapes (a surrogate pair).
                    let code = if (0xD800..0xDC00).contains(&code) {
                        let low: String = chars.by_ref().skip(2).take(4).collect();
                        let low = u32::from_str_radix(&low, 16).ok()?;
                        0x10000 + ((code - 0xD800) << 10) + (low.checked_sub(0xDC00)?)
                    } else {
                        code
                    };
                    value.push(char::from_u32(code)?);
                }
                other => value.push(other),
            },
            other => value.push(other),
        }
    }
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
    fn json_strings_are_unescaped() {
        assert_eq!(
            json_string(r#""C:\\course\\target\\steps.exe","x""#).as_deref(),
            Some(r"C:\course\target\steps.exe")
        );
        assert_eq!(
            json_string(r#""caf\u00e9 \"q\" \ud83e\udd80""#).as_deref(),
            Some("café \"q\" 🦀")
        );
        assert_eq!(json_string("null"), None);
        assert_eq!(json_string(r#""never closed"#), None);
        assert_eq!(json_string(r#""\u12""#), None);
    }
}
