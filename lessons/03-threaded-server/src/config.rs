//! What the server allows its clients, how it stops, and what it reports when it has stopped: given code,
//! the same in the exercise and the solution. The book includes its parts by their `ANCHOR` names.

use std::time::Duration;

// ANCHOR: config
/// How many clients the server serves at once unless told otherwise: 256.
///
/// Each client costs a thread (its stack is 2 MiB of address space, of which it touches a few pages) and two
/// file descriptors (its socket, and the copy kept to close it at the stop). 256 clients fit in the usual
/// limit of 1024 open files with room to spare. Without a bound, a flood of connections would make the server
/// start threads until the machine says no, and then fail for everyone.
pub const DEFAULT_MAX_CLIENTS: usize = 256;

/// How long a stopping server lets its clients finish before it closes their connections: 5 s.
///
/// Long enough for a client in the middle of an exchange to finish it; short enough that Ctrl-C feels like
/// it works. A service manager waits longer before it kills (systemd: 90 s), so this is ours to choose.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// The line a client over the bound receives, before the server closes its connection: the greeting
/// protocol's busy line, written once in the helper crate (`greet-load` looks for it too).
pub const BUSY_LINE: &str = shared::greeting::BUSY;

/// What the server allows its clients, and how it stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The most clients served at once. One more gets [`BUSY_LINE`] and is closed at once.
    pub max_clients: usize,
    /// Lesson 02's cap on a line, in bytes before its `\n`.
    pub max_line: usize,
    /// Lesson 02's idle timeout: a client silent (or not reading) for this long is dropped.
    pub idle_timeout: Duration,
    /// After a stop is requested: how long the clients connected may go on before they are closed.
    pub grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_clients: DEFAULT_MAX_CLIENTS,
            max_line: single_server::DEFAULT_MAX_LINE,
            idle_timeout: single_server::DEFAULT_IDLE_TIMEOUT,
            grace: DEFAULT_GRACE,
        }
    }
}

impl Config {
    /// The part of the configuration that lesson 02's session code reads.
    pub fn session(&self) -> single_server::Config {
        single_server::Config {
            max_line: self.max_line,
            idle_timeout: self.idle_timeout,
            // Lesson 02's "stop after N clients" belongs to its accept loop, which this lesson replaces.
            max_clients: None,
        }
    }
}
// ANCHOR_END: config

// ANCHOR: summary
/// What a server did, returned by [`serve`](crate::serve) once it has stopped and every client's thread
/// has ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Clients that were welcomed and served (whatever the end of their session).
    pub served: u64,
    /// Clients that got [`BUSY_LINE`]: over the bound, or arriving when no file descriptor was left.
    pub turned_away: u64,
    /// Clients' threads that panicked. Each one ended that client's session and nothing else.
    pub panicked: u64,
    /// Clients still connected when the grace period ended, whose connections the server closed.
    pub closed_at_stop: usize,
}
// ANCHOR_END: summary
