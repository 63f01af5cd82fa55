//! Lesson 06, your version. Replace each `todo!()` and run `cargo run -- check 6` after every step.
//! Stuck? `cargo run -- hint 6`. Lost? `cargo run -- reset 6` puts this file back as it was.
//!
//! Step 1 is [`listen`] and [`reuse_address_is_on`], step 2 [`parse_tcp_table`] and
//! [`parse_proc_address`], step 3 [`close_connection`], step 4 [`who_holds`]. The types ([`Reuse`],
//! [`TcpState`], [`TcpEntry`], [`Side`], [`Closed`], [`Holders`]), `set_reuse_port`, [`read_tcp_table`],
//! [`wait_for_state`], [`connect_pair`] and [`Holders::advice`] are given.
// Until you write the bodies, parameters and helpers are unused; this keeps the compiler quiet about it.
#![allow(unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{self, ErrorKind, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockRef, Socket, Type};

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

/// Makes a listener the long way, one system call at a time, as Python's `socket.socket()`,
/// `setsockopt`, `bind` and `listen` do: with `reuse` choosing `SO_REUSEADDR` and `SO_REUSEPORT`.
///
/// The options must be set between `socket` and `bind`: `bind` is where the kernel checks them.
pub fn listen(addr: SocketAddr, reuse: Reuse) -> io::Result<TcpListener> {
    // TODO(step 1): the four system calls of Python's socket.socket(), setsockopt, bind and listen, with
    //   socket2:
    //   - `Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?`, where the domain (IPv4 or IPv6) is
    //     the one of `addr`: `Domain::for_address(addr)`;
    //   - `socket.set_reuse_address(reuse.address)?`, and when `reuse.port`, `set_reuse_port(&socket)?`
    //     (given below). Both before `bind`: `bind` is where the kernel looks at them;
    //   - `socket.bind(&addr.into())?` (socket2 takes its own `SockAddr`, which `into()` makes) and
    //     `socket.listen(BACKLOG)?`;
    //   - `Ok(socket.into())`: a `Socket` turns into a std `TcpListener`.
    //   Return every error with `?`: "Address already in use" is an answer the caller needs, not a panic.
    //   (`TcpListener::bind` would do all of this in one call, but it turns SO_REUSEADDR on by itself.)
    todo!("step 1: a listener made one system call at a time")
}

#[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
fn set_reuse_port(socket: &Socket) -> io::Result<()> {
    socket.set_reuse_port(true)
}

#[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
fn set_reuse_port(_socket: &Socket) -> io::Result<()> {
    Err(io::Error::new(
        ErrorKind::Unsupported,
        "SO_REUSEPORT does not exist on this system",
    ))
}

/// Reads `SO_REUSEADDR` back from any listener, one made by [`listen`] or by std's `TcpListener::bind`.
pub fn reuse_address_is_on(listener: &TcpListener) -> io::Result<bool> {
    // TODO(step 1): socket2's `SockRef::from(listener)` lends socket2's methods to a socket std owns;
    //   its `reuse_address()` reads SO_REUSEADDR back (getsockopt).
    todo!("step 1: read SO_REUSEADDR back")
}

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

/// Parses the text of `/proc/net/tcp` or `/proc/net/tcp6`: a header line, then one line per socket,
///
/// ```text
///   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
///    0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41274 ...
/// ```
///
/// where `0100007F:1F90` is 127.0.0.1 port 8080 and `0A` is state 10, `LISTEN`. A line that does not
/// parse is an `InvalidData` error that says which line.
pub fn parse_tcp_table(text: &str) -> io::Result<Vec<TcpEntry>> {
    // TODO(step 2): for each line of `text` (`text.lines().enumerate()`, for the line numbers):
    //   - `line.split_whitespace()` gives its fields (the lines start with spaces, and the columns are
    //     separated by one space or more). Skip the header, the line whose first field is `sl`;
    //   - the fields that matter are the second (the local address), the third (the remote address) and
    //     the fourth (the state): `parse_proc_address` (below) for the addresses, and for the state a
    //     hexadecimal number (`0A` is 10: `u8::from_str_radix(field, 16)`) that `TcpState::from_code`
    //     (given) names;
    //   - a line with fewer fields, or a field that does not parse, is an error:
    //     `io::Error::new(ErrorKind::InvalidData, format!(...))` with the line (or its number) in the
    //     message, so that whoever reads it can find the line.
    //   Collect the `TcpEntry`s in a `Vec`, in the order of the lines.
    todo!("step 2: parse the kernel's TCP table")
}

/// Parses `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6). The port is a plain hexadecimal
/// number. The address is printed as 32-bit words in the machine's own byte order, so the bytes of each
/// word come back with `to_ne_bytes` (on x86, `0100007F` is the bytes 7F 00 00 01: 127.0.0.1).
pub fn parse_proc_address(text: &str) -> Option<SocketAddr> {
    // TODO(step 2): `text.split_once(':')` into the address and the port:
    //   - the port is hexadecimal: `u16::from_str_radix(port, 16).ok()?`;
    //   - the address is 8 hex digits (IPv4) or 32 (IPv6), anything else is `None`: each group of 8 digits
    //     is a `u32` (`u32::from_str_radix`), and its bytes in the machine's own order (`to_ne_bytes()`)
    //     are 4 bytes of the address, in order;
    //   - 4 bytes make an `Ipv4Addr`, 16 an `Ipv6Addr` (both have `From<[u8; N]>`); then
    //     `SocketAddr::new(ip.into(), port)`.
    //   Return `None` for anything that does not parse (`?` works on `Option` too); slicing a string
    //   with non-ASCII characters could panic, so check `is_ascii()` before cutting it into groups.
    todo!("step 2: an address of the TCP table")
}

/// The kernel's table of this machine's TCP sockets (of this network namespace), IPv4 and IPv6: what
/// `ss -tan` shows. Linux only: other systems have no `/proc/net/tcp` (`netstat -an` shows the same).
#[cfg(target_os = "linux")]
pub fn read_tcp_table() -> io::Result<Vec<TcpEntry>> {
    let mut entries = parse_tcp_table(&std::fs::read_to_string("/proc/net/tcp")?)?;
    match std::fs::read_to_string("/proc/net/tcp6") {
        Ok(text) => entries.extend(parse_tcp_table(&text)?),
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

/// Which end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The end that called `connect`.
    Client,
    /// The end that `accept` returned.
    Server,
}

/// Opens one connection to `listener` and accepts it: `(client, server)`, both with `timeout` on reads
/// and writes. `connect` returns once the handshake is done, so the connection is already waiting in the
/// listener's queue and `accept` does not block.
pub fn connect_pair(
    listener: &TcpListener,
    timeout: Duration,
) -> io::Result<(TcpStream, TcpStream)> {
    let client = TcpStream::connect_timeout(&listener.local_addr()?, timeout)?;
    let (server, _) = listener.accept()?;
    for stream in [&client, &server] {
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
    }
    Ok((client, server))
}

/// A connection closed by [`close_connection`]: which side closed first, and the connection as that side
/// saw it. That side's socket is the one left in `TIME_WAIT`, on `local`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    pub first: Side,
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

/// Closes a connection the way two well-behaved programs do, `first` closing first: its `close` sends a
/// FIN; the other side reads until the end of the stream (a read of 0 bytes) and then closes too.
///
/// The side that closes first goes through `FIN_WAIT` to `TIME_WAIT` and stays there 60 seconds on
/// Linux; the other side goes through `CLOSE_WAIT` and `LAST_ACK`, and is gone as soon as its FIN is
/// acknowledged. Both streams must have read timeouts ([`connect_pair`] sets them).
pub fn close_connection(client: TcpStream, server: TcpStream, first: Side) -> io::Result<Closed> {
    // TODO(step 3): which stream closes first, and which second: `match first` on the two streams.
    //   - make the `Closed` first, from the first closer's `local_addr()?` and `peer_addr()?`: once the
    //     stream is closed, it can no longer tell them;
    //   - close the first: `drop(stream)` is `close()`, and the kernel sends a FIN;
    //   - the other side reads (`read` into a small buffer, in a loop; `Read` is implemented for
    //     `&TcpStream` as well) and throws away what it gets, until a read returns `Ok(0)`: the FIN has
    //     arrived. An `ErrorKind::Interrupted` error means "try again"; any other error is returned;
    //   - then close it too (`drop`), and return the `Closed`.
    //   Closing the second side before it has read everything sends a reset (RST) instead of a FIN, and
    //   a reset leaves no TIME_WAIT at all.
    todo!("step 3: close a connection, `first` first")
}

/// The sockets of the kernel's table that use an address, counted by what they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holders {
    /// Listeners (`LISTEN`): a server is running there.
    pub listening: usize,
    /// Connections in `TIME_WAIT`: closed first by this side, in the last 60 seconds.
    pub time_wait: usize,
    /// Connections in any other state, most often still open (`ESTABLISHED`), or being closed.
    pub other: usize,
}

/// Counts the sockets of `table` that hold `addr`, i.e. would make a `bind` to it fail: those on the same
/// port whose IP is the same, or where either IP is the unspecified one (`0.0.0.0`, `::`), which means
/// every address of the machine.
pub fn who_holds(addr: SocketAddr, table: &[TcpEntry]) -> Holders {
    // TODO(step 4): start from `Holders::default()` and look at each entry's `local` address only (the
    //   `remote` one is the other end's: it holds nothing here):
    //   - it must have the same port (`port()`);
    //   - and an IP that overlaps: the same one, or either of the two is the unspecified address
    //     (`is_unspecified()`: 0.0.0.0 or ::, "every address of this machine"). Compare the IPs with
    //     `to_canonical()` first: a dual-stack socket shows 127.0.0.1 as `::ffff:127.0.0.1`;
    //   - count it by its state: `TcpState::Listen` in `listening`, `TcpState::TimeWait` in
    //     `time_wait`, anything else in `other`.
    todo!("step 4: who holds an address")
}

impl Holders {
    /// What to do about an `AddrInUse` from a `bind` made with `reuse`, given who holds the address.
    pub fn advice(&self, reuse: Reuse) -> String {
        if self.listening > 0 {
            return "a server is listening there now: stop it (`ss -ltnp` shows which program it is), or \
                    use another port"
                .into();
        }
        let mut advice = Vec::new();
        if self.time_wait > 0 {
            let them = if self.time_wait == 1 { "it" } else { "them" };
            advice.push(if reuse.address {
                format!(
                    "{} in TIME_WAIT, made by a program that did not set SO_REUSEADDR: Linux lets a \
                     bind pass TIME_WAIT only when both sockets have the option, so wait for {them} to \
                     expire (at most 60 s)",
                    connections(self.time_wait)
                )
            } else {
                format!(
                    "{} in TIME_WAIT: this side closed {them} first, in the last 60 s. Set \
                     SO_REUSEADDR (std's TcpListener::bind does), or wait",
                    connections(self.time_wait)
                )
            });
        }
        if self.other > 0 {
            advice.push(format!(
                "{} on that port still open, perhaps accepted by an earlier server and still served \
                 by a process it started: `ss -tanp` shows them",
                connections(self.other)
            ));
        }
        if advice.is_empty() {
            return "nothing in this machine's TCP table holds it any more: try again".into();
        }
        advice.join("; ")
    }
}

/// "1 connection", "2 connections".
fn connections(count: usize) -> String {
    if count == 1 {
        "1 connection".into()
    } else {
        format!("{count} connections")
    }
}
