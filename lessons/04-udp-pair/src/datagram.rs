//! The small pieces both sides use around a datagram: tags, the reply a client hears, line ends, and the
//! loss the server simulates. Given code, the same in the exercise and the solution.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;

use shared::trace::Trace;

use crate::{ClientConfig, ServerConfig};

// ANCHOR: reply
/// What [`request`](crate::request) heard back for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The reply to this request: it started with the request's tag (taken off here, with the newline).
    Tagged(String),
    /// A datagram with no tag at all, taken as the reply (its newline taken off): the server does not echo
    /// tags (the tutorials' `udp_server.py` answers `#1 Alice` with `Hello, #1 Alice!`), or the request had
    /// none (`ClientConfig::tagged` off). It may be a late reply to an earlier request: without tags, the
    /// client cannot tell.
    Untagged(String),
}
// ANCHOR_END: reply

impl Reply {
    /// The reply's text, whichever kind it is.
    pub fn text(&self) -> &str {
        match self {
            Reply::Tagged(text) | Reply::Untagged(text) => text,
        }
    }
}

/// The tag of request number `id`: `#7 `.
pub fn tag(id: u64) -> String {
    format!("#{id} ")
}

/// The tag request number `id` starts with: [`tag`], or nothing when `config.tagged` is off.
pub fn tag_for(id: u64, config: &ClientConfig) -> String {
    if config.tagged {
        tag(id)
    } else {
        String::new()
    }
}

/// `datagram` without one trailing `\n` or `\r\n`.
pub fn strip_line_end(datagram: &[u8]) -> &[u8] {
    let datagram = datagram.strip_suffix(b"\n").unwrap_or(datagram);
    datagram.strip_suffix(b"\r").unwrap_or(datagram)
}

/// Whether `err` is the connected socket's report that nothing listens on the server's port.
pub fn is_refused(err: &io::Error) -> bool {
    err.kind() == ErrorKind::ConnectionRefused
}

// ANCHOR: drop_every
/// Whether datagram number `received` (counting from 1) is one that `config.drop_every` says to ignore, as
/// a lossy network would; reports it on `trace` when it is.
pub fn dropped_on_purpose(
    config: &ServerConfig,
    received: u64,
    from: SocketAddr,
    trace: &Trace,
) -> bool {
    let drop = config
        .drop_every
        .is_some_and(|n| n > 0 && received % n == 0);
    if drop {
        trace.event(format_args!(
            "dropped datagram {received} from {from} on purpose (--drop-every)"
        ));
    }
    drop
}
// ANCHOR_END: drop_every
