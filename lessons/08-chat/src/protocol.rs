//! The room protocol's lines and its name rule (chapter 08, "The room protocol"), written once. Given code,
//! the same in the exercise and the solution; lessons 09 and 10 use it too, so nothing here knows about
//! threads.
//!
//! What the server sends is one of three kinds of line: `NAME: TEXT` (a member's message), `* TEXT` (a
//! notice from the room) or `error: TEXT`. Each function here returns one whole line, `\n` included, ready
//! to be queued or written.

/// The first line a new connection receives.
pub const WELCOME: &str = "Welcome! What is your name?\n";

/// What a connection over `--max-members` receives before the server closes it: the same words as the
/// greeting protocol's busy line.
pub const BUSY: &str = shared::greeting::BUSY;

/// The longest name, in bytes (a name is ASCII, so also in characters): enough for a first name and a
/// number, short enough that `* online: ...` with every member stays readable.
pub const MAX_NAME: usize = 32;

/// The command that ends a membership.
pub const QUIT: &str = "/quit";

/// The command that asks who is online.
pub const WHO: &str = "/who";

/// The answer to any other line that starts with `/`.
pub const UNKNOWN_COMMAND: &str = "error: unknown command\n";

/// The answer to a line that is not UTF-8; the member stays.
pub const NOT_UTF8: &str = "error: that line is not UTF-8 text; it was not sent\n";

/// Whether `name` follows the room's rule: 1 to [`MAX_NAME`] ASCII letters, digits, `-` or `_`. (No spaces,
/// so that `NAME: TEXT` splits at the first `: ` without doubt; ASCII only, so that two names that look the
/// same are the same bytes.)
pub fn is_valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The answer to a name that breaks the rule; the server then waits for another name line.
pub fn invalid_name(name: &str) -> String {
    format!(
        "error: {name:?} is not a name: use 1 to {MAX_NAME} letters, digits, - or _ (no spaces); try another\n"
    )
}

/// The answer to a name a member online has already; the server then waits for another name line.
pub fn name_taken(name: &str) -> String {
    format!("error: the name {name} is taken; try another\n")
}

/// The answer to a line over the cap, just before the server closes the connection.
pub fn line_too_long(max_line: usize) -> String {
    format!("error: line too long (the most is {max_line} bytes); closing the connection\n")
}

/// A member's message, as every other member receives it.
pub fn message(name: &str, text: &str) -> String {
    format!("{name}: {text}\n")
}

/// The list of members, in order of joining: the new member's first line, and the answer to `/who`.
pub fn online<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    format!("* online: {}\n", names.join(", "))
}

/// What the others receive when a member has joined.
pub fn joined(name: &str) -> String {
    format!("* {name} joined\n")
}

/// What the others receive when a member's connection has ended, for whatever reason, exactly once.
pub fn left(name: &str) -> String {
    format!("* {name} left\n")
}

/// What a slow member receives first when its queue has room again: how many lines it missed.
pub fn skipped(count: u64) -> String {
    format!("* {count} messages skipped\n")
}

/// What one line from a member asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// An empty line: ignored.
    Nothing,
    /// `/quit`: the membership ends.
    Quit,
    /// `/who`: answered with [`online`].
    Who,
    /// Any other line starting with `/`: answered with [`UNKNOWN_COMMAND`].
    Unknown,
    /// A message for every other member.
    Say(&'a str),
}

/// What `line` (without its line ending) asks for.
pub fn request(line: &str) -> Request<'_> {
    match line {
        "" => Request::Nothing,
        QUIT => Request::Quit,
        WHO => Request::Who,
        _ if line.starts_with('/') => Request::Unknown,
        text => Request::Say(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_rule() {
        for good in ["a", "Alice", "bob_2", "x-y", &"n".repeat(MAX_NAME)] {
            assert!(is_valid_name(good), "{good:?}");
        }
        for bad in ["", "two words", "é", "a:b", &"n".repeat(MAX_NAME + 1)] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn lines_and_requests() {
        assert_eq!(online(["A", "B"]), "* online: A, B\n");
        assert_eq!(message("A", "hi"), "A: hi\n");
        assert_eq!(request("/who"), Request::Who);
        assert_eq!(request("/nope"), Request::Unknown);
        assert_eq!(request("hi /who"), Request::Say("hi /who"));
        assert_eq!(request(""), Request::Nothing);
    }
}
