//! What the server allows a client, and when it stops: given code, the same in the exercise and the
//! solution. The book includes its parts by their `ANCHOR` names.

use std::time::Duration;

// ANCHOR: config
/// The longest line the server accepts unless told otherwise: 8 KiB before the `\n`.
///
/// A name fits many times over. What matters is that there is a limit: without one, a client that sends
/// bytes and never a newline makes the server keep them all, until it runs out of memory. The server holds
/// at most this much per client; a bigger cap costs memory per client, a smaller one turns longer lines away.
pub const DEFAULT_MAX_LINE: usize = 8 * 1024;

/// How long a client may stay silent before the server drops it, unless told otherwise: 60 s.
///
/// This server serves one client at a time: while a forgotten `nc` session sits there, every other client
/// waits. Shorter frees the server sooner; longer is kinder to a person typing slowly.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// What the server allows a client, and when it stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The most bytes a line may have before its `\n` (a `\r` before the `\n` counts). A longer line gets
    /// an error line and the connection is closed.
    pub max_line: usize,
    /// A client that sends nothing for this long, or does not read our replies for this long, is dropped.
    pub idle_timeout: Duration,
    /// Stop after this many connections, each served to its end; `None` serves forever. `--once` is
    /// `Some(1)`; tests use it so that [`serve`] returns.
    pub max_clients: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_line: DEFAULT_MAX_LINE,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_clients: None,
        }
    }
}
// ANCHOR_END: config

// ANCHOR: close_limits
/// The most a closing server reads and throws away while it waits for the client to close too: 64 KiB.
///
/// That is the rest of a long line the client was still sending, several times over. A client that sends
/// more has stopped listening to us; a bigger number would only let it keep the server busy for longer.
pub const CLOSE_DRAIN_BYTES: usize = 64 * 1024;

/// The longest a closing server waits for the client to close too: 1 s.
///
/// On loopback a client answers our close in microseconds, and across the world in well under a second.
/// While we wait, the next client waits in the backlog, so longer would make every polite close cost
/// everyone else.
pub const CLOSE_DRAIN_TIME: Duration = Duration::from_secs(1);
// ANCHOR_END: close_limits
