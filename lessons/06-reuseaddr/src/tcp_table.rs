//! Given: the kernel's table of TCP sockets as types (a state, an entry, who holds an address), and the
//! reading of `/proc/net/tcp`, which uses step 2's parser. Compiled in both builds.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

// ANCHOR: tcp_state
/// The state of a TCP socket, as the kernel numbers it (Linux's `include/net/tcp_states.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpState {
    Established,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    /// Closed first, and waiting (60 s on Linux) so that late packets of this connection die out.
    TimeWait,
    Close,
    /// The peer closed; this side has not closed yet.
    CloseWait,
    LastAck,
    Listen,
    Closing,
    NewSynRecv,
    /// A number this program does not know.
    Unknown(u8),
}

impl TcpState {
    /// The state for the kernel's number (the `st` column of `/proc/net/tcp`).
    pub fn from_code(code: u8) -> TcpState {
        match code {
            1 => TcpState::Established,
            2 => TcpState::SynSent,
            3 => TcpState::SynRecv,
            4 => TcpState::FinWait1,
            5 => TcpState::FinWait2,
            6 => TcpState::TimeWait,
            7 => TcpState::Close,
            8 => TcpState::CloseWait,
            9 => TcpState::LastAck,
            10 => TcpState::Listen,
            11 => TcpState::Closing,
            12 => TcpState::NewSynRecv,
            other => TcpState::Unknown(other),
        }
    }
}

impl std::fmt::Display for TcpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            TcpState::Established => "ESTABLISHED",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::FinWait1 => "FIN_WAIT1",
            TcpState::FinWait2 => "FIN_WAIT2",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Close => "CLOSE",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::Listen => "LISTEN",
            TcpState::Closing => "CLOSING",
            TcpState::NewSynRecv => "NEW_SYN_RECV",
            TcpState::Unknown(code) => return write!(f, "state {code}"),
        };
        f.write_str(name)
    }
}

/// One line of the kernel's TCP table: a socket's own address, its peer's, and its state. A listener's
/// peer is `0.0.0.0:0` (or `[::]:0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpEntry {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: TcpState,
}
// ANCHOR_END: tcp_state

// ANCHOR: read_tcp_table
/// The kernel's table of this machine's TCP sockets (of this network namespace), IPv4 and IPv6: what
/// `ss -tan` shows. Linux only: other systems have no `/proc/net/tcp` (`netstat -an` shows the same).
#[cfg(target_os = "linux")]
pub fn read_tcp_table() -> io::Result<Vec<TcpEntry>> {
    let mut entries = crate::parse_tcp_table(&std::fs::read_to_string("/proc/net/tcp")?)?;
    match std::fs::read_to_string("/proc/net/tcp6") {
        Ok(text) => entries.extend(crate::parse_tcp_table(&text)?),
        // A kernel without IPv6 has no such file, and no IPv6 sockets either.
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    Ok(entries)
}

/// The kernel's table of TCP sockets: only Linux has `/proc/net/tcp`.
#[cfg(not(target_os = "linux"))]
pub fn read_tcp_table() -> io::Result<Vec<TcpEntry>> {
    Err(io::Error::new(
        ErrorKind::Unsupported,
        "the TCP table is read from /proc/net/tcp, which only Linux has; `netstat -an -p tcp` shows it here",
    ))
}

/// Reads the table again and again (every millisecond) until the connection from `local` to `remote` is
/// in `state`, for at most `within`; returns whether it got there.
///
/// A state changes when a packet arrives: on loopback that is at once, but "at once" is still after the
/// system call that sent it has returned, so a check right after a `close` could look too early.
pub fn wait_for_state(
    local: SocketAddr,
    remote: SocketAddr,
    state: TcpState,
    within: Duration,
) -> io::Result<bool> {
    wait_for_table(within, |table| {
        table
            .iter()
            .any(|entry| entry.local == local && entry.remote == remote && entry.state == state)
    })
}

/// Reads the table again and again (every millisecond) until the connection from `local` to `remote` is
/// gone from it (closed for good, not in TIME_WAIT), for at most `within`; returns whether it went.
pub fn wait_until_gone(
    local: SocketAddr,
    remote: SocketAddr,
    within: Duration,
) -> io::Result<bool> {
    wait_for_table(within, |table| {
        !table
            .iter()
            .any(|entry| entry.local == local && entry.remote == remote)
    })
}

fn wait_for_table(within: Duration, done: impl Fn(&[TcpEntry]) -> bool) -> io::Result<bool> {
    let deadline = Instant::now() + within;
    loop {
        if done(&read_tcp_table()?) {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
// ANCHOR_END: read_tcp_table

// ANCHOR: holders
/// The sockets of the kernel's table that use an address, counted by what they are: what step 4's
/// [`who_holds`](crate::who_holds) returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holders {
    /// Listeners (`LISTEN`): a server is running there.
    pub listening: usize,
    /// Connections in `TIME_WAIT`: closed first by this side, in the last 60 seconds.
    pub time_wait: usize,
    /// Connections in any other state, most often still open (`ESTABLISHED`), or being closed.
    pub other: usize,
}
// ANCHOR_END: holders
