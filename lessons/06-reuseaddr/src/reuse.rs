//! Given: the options a listener is made with, the backlog, and the trace of each system call. Compiled
//! in both builds (the solution's and your exercise's), so you do not write them.

use std::fmt::Display;
use std::io;

use shared::trace::Trace;
use socket2::Socket;

// ANCHOR: reuse
/// The address-reuse options a listener is made with. A new socket has both off, and socket2 leaves
/// them off until asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reuse {
    /// `SO_REUSEADDR`: `bind` may take an address that connections in `TIME_WAIT` (or other connections
    /// that are not listening) still use, if they were made with the option too (Linux asks it of both).
    /// It never lets two live listeners share an address on Linux.
    pub address: bool,
    /// `SO_REUSEPORT` (Unix only): several live listeners on one address, every one with the option and
    /// owned by the same user. Linux spreads the new connections among them.
    pub port: bool,
}

impl Reuse {
    /// Neither option: a socket as the kernel makes it.
    pub const NONE: Reuse = Reuse {
        address: false,
        port: false,
    };
    /// `SO_REUSEADDR` only: what std's `TcpListener::bind` does on Unix.
    pub const ADDRESS: Reuse = Reuse {
        address: true,
        port: false,
    };
    /// `SO_REUSEPORT` only.
    pub const PORT: Reuse = Reuse {
        address: false,
        port: true,
    };
}

/// How many connections the kernel may keep ready (handshake done) before `accept` takes them: room for
/// a burst. The kernel caps it at `net.core.somaxconn` (`/proc/sys/net/core/somaxconn`).
pub const BACKLOG: i32 = 128;

/// Turns `SO_REUSEPORT` on, where the system has it (Unix but Solaris and illumos).
#[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
pub(crate) fn set_reuse_port(socket: &Socket) -> io::Result<()> {
    socket.set_reuse_port(true)
}

/// Elsewhere (Windows, Solaris, illumos), asking for `SO_REUSEPORT` is an error, not a silent "no".
#[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
pub(crate) fn set_reuse_port(_socket: &Socket) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "SO_REUSEPORT does not exist on this system",
    ))
}
// ANCHOR_END: reuse

// ANCHOR: traced
/// Reports one system call to `trace` as it returns, and gives its result back: `call` when it worked,
/// `call: failed: ERROR` when it did not. Wrapped around each call where it is made, it makes `--trace`
/// show exactly the calls that happened, in order, and nothing that did not:
///
/// ```text
/// let socket = traced(trace, "socket", Socket::new(domain, Type::STREAM, Some(Protocol::TCP)))?;
/// traced(trace, format_args!("bind {addr}"), socket.bind(&addr.into()))?;
/// ```
pub fn traced<T>(trace: &Trace, call: impl Display, result: io::Result<T>) -> io::Result<T> {
    match &result {
        Ok(_) => trace.event(call),
        Err(err) => trace.event(format_args!("{call}: failed: {err}")),
    }
    result
}
// ANCHOR_END: traced
