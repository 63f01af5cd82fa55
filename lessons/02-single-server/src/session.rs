//! How a line read and a session end: given code, the same in the exercise and the solution, with the
//! greeting protocol's reply. The book includes its parts by their `ANCHOR` names.

use std::fmt;
use std::io;
use std::time::Duration;

use shared::trace::is_timeout;

// ANCHOR: hello
/// The reply to the line `name`: `Hello, NAME!` and its `\n`. The greeting protocol's lines are written once,
/// in the helper crate, for every lesson and tool that speaks it.
pub use shared::greeting::hello;
// ANCHOR_END: hello

// ANCHOR: session_end
/// How a client's session ended, when it ended the way the protocol says. A reset or a disconnect in the
/// middle of a line is not one of these: [`serve_client`] returns it as an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The client sent the line `exit`.
    ClientExit,
    /// The client closed its sending side between two lines: `read` returned `Ok(0)`.
    EndOfStream,
    /// The client sent a line longer than [`Config::max_line`]; it was told so.
    LineTooLong,
    /// The client sent nothing for [`Config::idle_timeout`]; it was told so.
    IdleTimeout,
}
// ANCHOR_END: session_end

// ANCHOR: line
/// What [`read_line`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A whole line, without its `\n` or `\r\n`.
    Complete(Vec<u8>),
    /// The stream ended cleanly, between two lines.
    EndOfStream,
    /// More than the cap arrived without a `\n`. The bytes read are dropped; the rest are not read.
    TooLong,
}
// ANCHOR_END: line

// ANCHOR: idle_notice
/// The line a server sends before it drops a client that stayed silent for `idle`; `err` is the timeout
/// [`read_line`](crate::read_line) returned.
///
/// When the timeout came in the middle of a line, the notice says so: a client that sends `Alice` without
/// its `\n` (Python's `sock.send(b"Alice")`) waits for a reply that can never come, and this is its only
/// chance to learn why.
pub fn idle_notice(idle: Duration, err: &io::Error) -> String {
    match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<UnfinishedLine>())
    {
        Some(line) => format!(
            "error: idle for {idle:?} after {} bytes without a newline, closing the connection (end each \
             line with \\n)\n",
            line.arrived
        ),
        None => format!("error: idle for {idle:?}, closing the connection\n"),
    }
}
// ANCHOR_END: idle_notice

/// A timeout that came while a line was unfinished: `err` with the same kind (so it is still a timeout),
/// carrying how many bytes of `line` had arrived. Any other error, or a timeout between lines, is `err`
/// unchanged.
pub fn timed_out_mid_line(err: io::Error, line: &[u8]) -> io::Error {
    if line.is_empty() || !is_timeout(&err) {
        return err;
    }
    let kind = err.kind();
    io::Error::new(
        kind,
        UnfinishedLine {
            arrived: line.len(),
            cause: err,
        },
    )
}

/// What [`timed_out_mid_line`] wraps: the timeout, and the bytes of the line that had come before it.
#[derive(Debug)]
pub struct UnfinishedLine {
    /// How many bytes of the line had arrived, without a newline.
    pub arrived: usize,
    cause: io::Error,
}

impl fmt::Display for UnfinishedLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} bytes of a line had come, without a newline)",
            self.cause, self.arrived
        )
    }
}

impl std::error::Error for UnfinishedLine {}
