//! The reference solution of lesson 06: the functions the steps ask for, and nothing else (the types and
//! helpers they use are given, in `reuse.rs`, `tcp_table.rs` and `connection.rs`). The book includes its
//! parts by their `ANCHOR` names.

use std::io::{self, ErrorKind, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};

use shared::trace::Trace;
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::reuse::set_reuse_port;
use crate::{BACKLOG, Closed, Holders, Reuse, Side, TcpEntry, TcpState, traced};

// ANCHOR: listen
/// Makes a listener the long way, one system call at a time, as Python's `socket.socket()`,
/// `setsockopt`, `bind` and `listen` do: with `reuse` choosing `SO_REUSEADDR` and `SO_REUSEPORT`. Each
/// call is reported to `trace` as it returns (`--trace` shows them).
///
/// The options must be set between `socket` and `bind`: `bind` is where the kernel checks them.
pub fn listen(addr: SocketAddr, reuse: Reuse, trace: &Trace) -> io::Result<TcpListener> {
    let domain = Domain::for_address(addr);
    let socket = traced(
        trace,
        "socket",
        Socket::new(domain, Type::STREAM, Some(Protocol::TCP)),
    )?;
    // Set it either way, so that the choice is written down here and not left to a default.
    let option = format!("setsockopt(SO_REUSEADDR, {})", u8::from(reuse.address));
    traced(trace, option, socket.set_reuse_address(reuse.address))?;
    if reuse.port {
        traced(
            trace,
            "setsockopt(SO_REUSEPORT, 1)",
            set_reuse_port(&socket),
        )?;
    }
    traced(
        trace,
        format_args!("bind {addr}"),
        socket.bind(&addr.into()),
    )?;
    traced(
        trace,
        format_args!("listen({BACKLOG})"),
        socket.listen(BACKLOG),
    )?;
    Ok(socket.into())
}

/// Reads `SO_REUSEADDR` back from any listener, one made by [`listen`] or by std's `TcpListener::bind`.
pub fn reuse_address_is_on(listener: &TcpListener) -> io::Result<bool> {
    // `SockRef` lends socket2's methods to a socket that std owns, without taking it over.
    SockRef::from(listener).reuse_address()
}
// ANCHOR_END: listen

// ANCHOR: parse_tcp_table
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
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() || fields[0] == "sl" {
            continue;
        }
        let entry = match fields[..] {
            [_, local, remote, state, ..] => parse_proc_address(local).and_then(|local| {
                Some(TcpEntry {
                    local,
                    remote: parse_proc_address(remote)?,
                    state: TcpState::from_code(u8::from_str_radix(state, 16).ok()?),
                })
            }),
            _ => None,
        };
        let entry = entry.ok_or_else(|| {
            io::Error::new(
                ErrorKind::InvalidData,
                format!(
                    "line {} of the TCP table does not parse: {line:?}",
                    index + 1
                ),
            )
        })?;
        entries.push(entry);
    }
    Ok(entries)
}

/// Parses `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6). The port is a plain hexadecimal
/// number. The address is printed as 32-bit words in the machine's own byte order, so the bytes of each
/// word come back with `to_ne_bytes` (on x86, `0100007F` is the bytes 7F 00 00 01: 127.0.0.1).
pub fn parse_proc_address(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    if !matches!(ip.len(), 8 | 32) || !ip.is_ascii() {
        return None;
    }
    for word in 0..ip.len() / 8 {
        let word = u32::from_str_radix(&ip[word * 8..word * 8 + 8], 16).ok()?;
        bytes.extend_from_slice(&word.to_ne_bytes());
    }
    let ip = match <[u8; 4]>::try_from(bytes.as_slice()) {
        Ok(v4) => IpAddr::V4(Ipv4Addr::from(v4)),
        Err(_) => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes.as_slice()).ok()?)),
    };
    Some(SocketAddr::new(ip, port))
}
// ANCHOR_END: parse_tcp_table

// ANCHOR: close_connection
/// Closes a connection the way two well-behaved programs do, `first` closing first: its `close` sends a
/// FIN; the other side reads until the end of the stream (a read of 0 bytes) and then closes too.
///
/// The side that closes first goes through `FIN_WAIT` to `TIME_WAIT` and stays there 60 seconds on
/// Linux; the other side goes through `CLOSE_WAIT` and `LAST_ACK`, and is gone as soon as its FIN is
/// acknowledged. Both streams must have read timeouts ([`connect_pair`] sets them).
pub fn close_connection(client: TcpStream, server: TcpStream, first: Side) -> io::Result<Closed> {
    let (closes_first, closes_second) = match first {
        Side::Client => (client, server),
        Side::Server => (server, client),
    };
    let closed = Closed {
        first,
        local: closes_first.local_addr()?,
        remote: closes_first.peer_addr()?,
    };
    // Dropping a TcpStream is `close`: the kernel sends a FIN after any bytes still to send.
    drop(closes_first);
    // The other side learns of it as a read that returns 0 bytes; what comes before that is thrown away.
    let mut buf = [0u8; 1024];
    loop {
        match (&closes_second).read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    drop(closes_second);
    Ok(closed)
}
// ANCHOR_END: close_connection

// ANCHOR: who_holds
/// Counts the sockets of `table` that hold `addr`, i.e. would make a `bind` to it fail: those on the same
/// port whose IP is the same, or where either IP is the unspecified one (`0.0.0.0`, `::`), which means
/// every address of the machine.
pub fn who_holds(addr: SocketAddr, table: &[TcpEntry]) -> Holders {
    let mut holders = Holders::default();
    for entry in table {
        let (ip, wanted) = (entry.local.ip().to_canonical(), addr.ip().to_canonical());
        let overlaps = ip == wanted || ip.is_unspecified() || wanted.is_unspecified();
        if entry.local.port() != addr.port() || !overlaps {
            continue;
        }
        match entry.state {
            TcpState::Listen => holders.listening += 1,
            TcpState::TimeWait => holders.time_wait += 1,
            _ => holders.other += 1,
        }
    }
    holders
}
// ANCHOR_END: who_holds
