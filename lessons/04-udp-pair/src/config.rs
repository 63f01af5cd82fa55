//! What the server accepts and how patient the client is: given code, the same in the exercise and the
//! solution. The book includes its parts by their `ANCHOR` names.

use std::time::Duration;

// ANCHOR: server_config
/// The biggest datagram the server takes unless told otherwise: 1024 bytes, Python's `recvfrom(1024)`.
///
/// A name fits many times over. UDP itself allows 65,507 bytes over IPv4, but every byte the server accepts
/// is a byte it may have to hold; a longer datagram gets an error reply instead of being cut short silently.
pub const DEFAULT_MAX_DATAGRAM: usize = 1024;

/// What the server accepts, and which datagrams it ignores on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The most bytes a request may have. A longer one is answered with an error line.
    pub max_datagram: usize,
    /// Ignore every Nth datagram (the Nth, the 2Nth, ...), as a lossy network would: a client's retries
    /// can then be seen and tested on loopback, where nothing is ever lost. `None` answers them all.
    pub drop_every: Option<u64>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_datagram: DEFAULT_MAX_DATAGRAM,
            drop_every: None,
        }
    }
}
// ANCHOR_END: server_config

// ANCHOR: client_config
/// How long the client waits for each reply, how often it asks, and whether it tags its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// How long to wait for a reply after each send before sending again.
    pub timeout: Duration,
    /// How many times a request is sent at most (the first send included).
    pub tries: u32,
    /// Whether each request starts with its tag (`#7 `), which a server of this lesson copies into its
    /// reply. Without tags (`--no-tags`, for a server that does not echo them, like the tutorials'), a
    /// late reply to an earlier request can no longer be told from the right one.
    pub tagged: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            // On loopback a reply takes microseconds; across the world, a few hundred milliseconds. One
            // second is patient without making a lost datagram cost long.
            timeout: Duration::from_secs(1),
            // Three tries: a datagram lost once in a while is recovered; a server that is down is given up
            // on after three seconds.
            tries: 3,
            tagged: true,
        }
    }
}
// ANCHOR_END: client_config

/// The biggest reply the client reads: a reply bigger than this is cut (and then does not match).
pub const MAX_REPLY: usize = 2048;
