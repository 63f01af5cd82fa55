//! The listen backlog: how many connections the kernel holds for the server, handshake done, until
//! `accept` takes them. Given code, the same in the exercise and the solution; `main.rs` binds with it.

use std::io;
use std::net::{SocketAddr, TcpListener};

use socket2::{Domain, Socket, Type};

// ANCHOR: backlog
/// The backlog std's `TcpListener::bind` asks for: 128. The server never asks for less.
pub const STD_BACKLOG: i32 = 128;

/// The backlog for a server that serves at most `max_clients` at once: room for that many clients arriving
/// together, at least [`STD_BACKLOG`], at most what the system allows ([`system_backlog_limit`]).
///
/// The accept loop admits one client at a time, and each admission costs a thread's start. A burst of
/// clients arrives faster than that: the ones not yet accepted wait in the backlog, and the backlog full,
/// the kernel drops their handshake packets. A client whose SYN was dropped sends it again 1 s later (then
/// 3 s, 7 s, ...); one whose last handshake packet was dropped believes it is connected, while the server's
/// side waits for it to speak first, which a greeting client never does: it waits for `Welcome` until it
/// gives up. A backlog as big as the bound holds a burst of as many clients as the server would serve.
/// A client over the bound is told `busy` and closed quickly, so it needs no room of its own.
pub fn backlog_for(max_clients: usize) -> i32 {
    let wanted = i32::try_from(max_clients)
        .unwrap_or(i32::MAX)
        .max(STD_BACKLOG);
    wanted.min(system_backlog_limit().unwrap_or(FALLBACK_LIMIT))
}

/// The limit used when the system's cannot be read: std's own choice, which is also the default limit of
/// macOS and the BSDs (`kern.ipc.somaxconn`). A bigger request would be cut down to theirs without a word.
const FALLBACK_LIMIT: i32 = STD_BACKLOG;

/// The biggest backlog the system gives a listener, where it can be read: on Linux,
/// `/proc/sys/net/core/somaxconn` (4096 by default since Linux 5.4, 128 before). A bigger request is cut
/// down to it silently, so the server asks for no more than it will get, and its `--trace` says the truth.
pub fn system_backlog_limit() -> Option<i32> {
    if cfg!(target_os = "linux") {
        let text = std::fs::read_to_string("/proc/sys/net/core/somaxconn").ok()?;
        text.trim().parse().ok().filter(|&limit: &i32| limit > 0)
    } else {
        None
    }
}

/// Binds `addr` and listens with `backlog`: `TcpListener::bind`, with a backlog of our choosing (std's is
/// always 128, and std has no way to change it; socket2 makes the socket and its calls one by one).
pub fn listen(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    // What std does before it binds, everywhere but on Windows: a restarted server can bind its port while
    // connections of the previous one are in TIME_WAIT (lesson 06 is about this option).
    if cfg!(not(windows)) {
        socket.set_reuse_address(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(backlog)?;
    Ok(socket.into())
}
// ANCHOR_END: backlog
