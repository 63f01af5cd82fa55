//! Lesson 06, your version. Replace each `todo!()` and run `cargo run -- check 6` after every step.
//! Stuck? `cargo run -- hint 6`. Lost? `cargo run -- reset 6` puts this file back as it was.
//!
//! Step 1 is [`listen`] and [`reuse_address_is_on`], step 2 [`parse_tcp_table`] and
//! [`parse_proc_address`], step 3 [`close_connection`], step 4 [`who_holds`]. Everything else is given, and
//! compiled with this file: the options, the backlog and the trace ([`Reuse`], [`BACKLOG`],
//! `set_reuse_port`, [`traced`]) in `reuse.rs`; the table's types ([`TcpState`], [`TcpEntry`],
//! [`Holders`]), [`read_tcp_table`] and [`wait_for_state`] in `tcp_table.rs`; [`Side`], [`Closed`] and
//! [`connect_pair`] in `connection.rs`.
// Until you write the bodies, parameters and helpers are unused; this keeps the compiler quiet about it.
#![allow(unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{self, ErrorKind, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};

use shared::trace::Trace;
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::reuse::set_reuse_port;
use crate::{BACKLOG, Closed, Holders, Reuse, Side, TcpEntry, TcpState, traced};

/// Makes a listener the long way, one system call at a time, as Python's `socket.socket()`,
/// `setsockopt`, `bind` and `listen` do: with `reuse` choosing `SO_REUSEADDR` and `SO_REUSEPORT`. Each
/// call is reported to `trace` as it returns (`--trace` shows them).
///
/// The options must be set between `socket` and `bind`: `bind` is where the kernel checks them.
pub fn listen(addr: SocketAddr, reuse: Reuse, trace: &Trace) -> io::Result<TcpListener> {
    // TODO(step 1): the four system calls of Python's socket.socket(), setsockopt, bind and listen, with
    //   socket2:
    //   - `Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?`, where the domain (IPv4 or IPv6) is
    //     the one of `addr`: `Domain::for_address(addr)`;
    //   - `socket.set_reuse_address(reuse.address)?`, and when `reuse.port`, `set_reuse_port(&socket)?`
    //     (given, in `reuse.rs`). Both before `bind`: `bind` is where the kernel looks at them;
    //   - `socket.bind(&addr.into())?` (socket2 takes its own `SockAddr`, which `into()` makes) and
    //     `socket.listen(BACKLOG)?`;
    //   - `Ok(socket.into())`: a `Socket` turns into a std `TcpListener`.
    //   Wrap each call in `traced(trace, "what it is", the call)` (given, in `reuse.rs`), which reports
    //   it to `--trace` as it returns and gives its result back for the `?`: e.g.
    //   `traced(trace, format_args!("bind {addr}"), socket.bind(&addr.into()))?`. Name them `socket`,
    //   `setsockopt(SO_REUSEADDR, 0)` (or 1, as set), `setsockopt(SO_REUSEPORT, 1)`, `bind ADDR` and
    //   `listen(128)`, so that the trace says what was called, and only that.
    //   Return every error with `?`: "Address already in use" is an answer the caller needs, not a panic.
    //   (`TcpListener::bind` would do all of this in one call, but it turns SO_REUSEADDR on by itself.)
    todo!("step 1: a listener made one system call at a time")
}

/// Reads `SO_REUSEADDR` back from any listener, one made by [`listen`] or by std's `TcpListener::bind`.
pub fn reuse_address_is_on(listener: &TcpListener) -> io::Result<bool> {
    // TODO(step 1): socket2's `SockRef::from(listener)` lends socket2's methods to a socket std owns;
    //   its `reuse_address()` reads SO_REUSEADDR back (getsockopt).
    todo!("step 1: read SO_REUSEADDR back")
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
