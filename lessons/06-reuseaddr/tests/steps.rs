//! The exercise of lesson 06, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 6` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 6` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! Steps 1 and 3 work on real sockets on loopback. A test that leaves a connection in TIME_WAIT, or binds
//! an address again after closing, does it on a loopback IP of its own (127.0.0.2 to 127.0.0.19: all of
//! 127.0.0.0/8 is loopback on Linux), so that no other test running at the same time takes its port.
//! Steps 3 and 4 read the kernel's table with `read_tcp_table` (given), which uses your step 2. Every
//! socket has a timeout (`test_support::IO_TIMEOUT`), and `close_connection` runs on a thread the test
//! stops waiting for after 2 seconds, so a step that waits for something that never comes fails within
//! seconds instead of hanging.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use reuseaddr::{
    Closed, Holders, Reuse, Side, TcpEntry, TcpState, close_connection, connect_pair, listen,
    parse_proc_address, parse_tcp_table, read_tcp_table, reuse_address_is_on, wait_for_state,
    who_holds,
};
use shared::trace::Trace;
use socket2::{Domain, SockRef, Socket, Type};
use test_support::{
    IO_TIMEOUT, accept_within, caught, caught_any, describe, on_thread, with_timeouts,
};

/// How long a test lets `close_connection` run. On loopback a close takes microseconds; this is shorter
/// than the sockets' own timeout, so a function that waits for bytes that never come is reported as
/// still waiting, instead of returning the timeout's error later.
const LIMIT: Duration = Duration::from_secs(2);

/// How long a test waits for a connection to reach a state. On loopback it is at once (after the packet
/// that changes it has been handled): only a failing test waits this out.
const STATE_WAIT: Duration = Duration::from_secs(1);

/// A loopback IP of this test's own: 127.0.0.`n` on Linux, where all of 127.0.0.0/8 is loopback, so no
/// other test's socket takes a port there. Other systems have 127.0.0.1 only.
fn own_ip(n: u8) -> IpAddr {
    if cfg!(target_os = "linux") {
        Ipv4Addr::new(127, 0, 0, n).into()
    } else {
        Ipv4Addr::LOCALHOST.into()
    }
}

/// A listener made by the test itself with socket2, SO_REUSEADDR on or off, so that the tests do not
/// depend on your `listen` for the listeners they need.
fn test_listener(addr: SocketAddr, reuse_address: bool) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(reuse_address)?;
    socket.bind(&addr.into())?;
    socket.listen(16)?;
    Ok(socket.into())
}

/// A listener made by the test itself, SO_REUSEADDR off (as Python's).
fn plain_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    test_listener(addr, false)
}

/// One connection to `listener`, closed by the server first as a well-behaved pair does, written here so
/// that steps 1 and 4 do not depend on your step 3. Returns the server's end, which is left in TIME_WAIT
/// (once the client's FIN has arrived: at once on loopback).
#[cfg(target_os = "linux")]
fn closed_by_server(listener: &TcpListener) -> (SocketAddr, SocketAddr) {
    let (client, server) = connect_pair(listener, IO_TIMEOUT).expect("connecting to the listener");
    let server_end = (
        server.local_addr().expect("an address"),
        server.peer_addr().expect("an address"),
    );
    drop(server);
    let mut client = client;
    let mut rest = Vec::new();
    client
        .read_to_end(&mut rest)
        .expect("reading to the end of the stream");
    drop(client);
    server_end
}

/// `Reuse::NONE`, as written in the code, for messages.
fn reuse_name(reuse: Reuse) -> String {
    match reuse {
        Reuse::NONE => "Reuse::NONE".into(),
        Reuse::ADDRESS => "Reuse::ADDRESS".into(),
        Reuse::PORT => "Reuse::PORT".into(),
        Reuse { address, port } => format!("Reuse {{ address: {address}, port: {port} }}"),
    }
}

/// The trace lines `listen(addr, reuse, trace)` should give when every call works: one per system call,
/// in order.
fn expected_trace(addr: SocketAddr, reuse: Reuse) -> Vec<String> {
    let mut lines = vec![
        "socket".to_string(),
        format!("setsockopt(SO_REUSEADDR, {})", u8::from(reuse.address)),
    ];
    if reuse.port {
        lines.push("setsockopt(SO_REUSEPORT, 1)".into());
    }
    lines.push(format!("bind {addr}"));
    lines.push(format!("listen({})", reuseaddr::BACKLOG));
    lines
}

/// Fails unless `traced` is what `listen` should have traced, saying which call is missing or extra.
#[track_caller]
fn assert_traced(call: &str, traced: &[String], expected: &[String]) {
    if traced == expected {
        return;
    }
    let missing: Vec<&String> = expected.iter().filter(|l| !traced.contains(l)).collect();
    let extra: Vec<&String> = traced.iter().filter(|l| !expected.contains(l)).collect();
    let advice = match (missing.first(), extra.first()) {
        (Some(line), _) if line.starts_with("setsockopt") => format!(
            "there is no `{line}` line. Was the option set? `--trace` must show each call that was made \
             (and set SO_REUSEADDR either way, `set_reuse_address(reuse.address)`, so that the choice is \
             written down); wrap it in `traced(trace, \"{line}\", ...)`"
        ),
        (Some(line), _) => format!(
            "there is no `{line}` line: wrap each call in `traced(trace, \"...\", the call)` (given), \
             which reports it as it returns"
        ),
        (None, Some(line)) if line.starts_with("setsockopt(SO_REUSEPORT") => format!(
            "`{line}` is traced, but `reuse.port` is false: call `set_reuse_port` only when it is \
             true, and trace only the calls made"
        ),
        (None, Some(line)) => format!(
            "`{line}` is not one of the calls: name them as the expected lines do, and trace only the \
             calls made"
        ),
        (None, None) => {
            "the calls are traced in another order than they should be made: the options \
                         between `socket` and `bind`, `listen` last"
                .into()
        }
    };
    panic!(
        "{call} traced {traced:?}, but it should trace each system call it makes, as it returns, in \
         order: {expected:?}: {advice}"
    );
}

/// Calls `listen` and fails, saying what to check, unless it returns a listener and traces each call.
#[track_caller]
fn listener_from_listen(addr: SocketAddr, reuse: Reuse) -> TcpListener {
    let call = format!("listen({addr}, {}, trace)", reuse_name(reuse));
    let (trace, log) = Trace::memory();
    match caught(|| listen(addr, reuse, &trace)) {
        Ok(Ok(listener)) => {
            assert_traced(&call, &log.lines(), &expected_trace(addr, reuse));
            listener
        }
        Ok(Err(err)) => {
            let advice = match err.kind() {
                ErrorKind::AddrInUse => {
                    "Address already in use: is `bind` called twice, or with another address than \
                     `addr`?"
                }
                _ if addr.is_ipv6() => {
                    "an IPv6 address needs an IPv6 socket: `Domain::for_address(addr)` gives the domain \
                     that fits the address (`Domain::IPV4` cannot bind [::1])"
                }
                _ => {
                    "make it as Python does, one call each: `Socket::new(Domain::for_address(addr), \
                     Type::STREAM, Some(Protocol::TCP))`, `set_reuse_address`, `bind(&addr.into())`, \
                     `listen(BACKLOG)`, then `socket.into()`"
                }
            };
            panic!(
                "{call} returned Err({:?}: {err}), but that address is free: {advice}",
                err.kind()
            )
        }
        Err(what) => panic!("{call} {what}"),
    }
}

/// Step 1: `listen(addr, reuse, trace)` makes a listener the long way, with socket2, one system call at
/// a time as Python does (`socket`, `setsockopt`, `bind`, `listen`): SO_REUSEADDR is on when
/// `reuse.address` is, and off otherwise (std's `TcpListener::bind` would turn it on by itself);
/// SO_REUSEPORT is on when `reuse.port` is. The listener is bound to `addr`, IPv4 or IPv6 (port 0: a port the kernel picks), and
/// accepts connections. An address that is taken is an error of kind `AddrInUse`, returned, not a
/// panic. On Linux: two listeners made with `Reuse::PORT` share an address, but not two with
/// `Reuse::ADDRESS`; and where a server (with SO_REUSEADDR) closed a connection first a moment ago, so
/// that it waits in TIME_WAIT, `Reuse::NONE` gets `AddrInUse` and `Reuse::ADDRESS` binds.
/// `reuse_address_is_on` reads SO_REUSEADDR back from any listener, one of std's too. Each call is
/// reported to `trace` as it returns, with `traced` (given): `socket`, `setsockopt(SO_REUSEADDR, 0)` (or
/// 1), `setsockopt(SO_REUSEPORT, 1)` only when it is set, `bind ADDR`, `listen(128)`; a call that fails
/// is the last line, `bind ADDR: failed: ...`.
#[test]
fn step_1_make_a_listener_call_by_call() {
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let both = Reuse {
        address: true,
        port: true,
    };
    for reuse in [Reuse::NONE, Reuse::ADDRESS, Reuse::PORT, both] {
        let call = format!("listen({loopback}, {})", reuse_name(reuse));
        let listener = listener_from_listen(loopback, reuse);
        let socket = SockRef::from(&listener);
        let address_option = socket.reuse_address().expect("reading SO_REUSEADDR");
        assert!(
            address_option == reuse.address,
            "{call}: SO_REUSEADDR reads back {}, but it should be {}: {}",
            if address_option { "on" } else { "off" },
            if reuse.address { "on" } else { "off" },
            if reuse.address {
                "set it with `socket.set_reuse_address(reuse.address)`, before `bind`"
            } else {
                "a new socket has it off, so something turned it on: std's `TcpListener::bind` does \
                 (on Unix). Make the socket with socket2's `Socket::new` and set the option yourself, \
                 `set_reuse_address(reuse.address)`"
            }
        );
        #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
        {
            let port_option = socket.reuse_port().expect("reading SO_REUSEPORT");
            assert!(
                port_option == reuse.port,
                "{call}: SO_REUSEPORT reads back {}, but it should be {}: call `set_reuse_port(&socket)` \
                 (given) when `reuse.port` is true, and only then; `reuse.address` is another option",
                if port_option { "on" } else { "off" },
                if reuse.port { "on" } else { "off" },
            );
        }
        assert_eq!(
            socket.r#type().expect("reading SO_TYPE"),
            Type::STREAM,
            "{call}: a TCP listener is a stream socket (`Type::STREAM`)"
        );

        let local = listener.local_addr().expect("the listener's address");
        assert!(
            local.ip() == loopback.ip() && local.port() != 0,
            "{call}: the listener is bound to {local}, but it should be bound to 127.0.0.1 and a port the \
             kernel picked: `socket.bind(&addr.into())` before `listen` (a socket that listens without \
             being bound gets any address and a random port)"
        );
        let client = TcpStream::connect_timeout(&local, IO_TIMEOUT).unwrap_or_else(|err| {
            panic!(
                "{call}: connecting to the listener at {local} failed: {err}. Is it listening? \
                 `socket.listen(BACKLOG)` after `bind` makes the kernel accept connections there"
            )
        });
        let client = with_timeouts(client);
        let (_server, peer) = accept_within(&listener, IO_TIMEOUT)
            .unwrap_or_else(|err| panic!("{call}: accepting a connection failed: {err}"));
        assert_eq!(
            peer,
            client.local_addr().expect("the client's address"),
            "{call}: the listener accepted another connection than the test's"
        );
    }

    // IPv6, when this machine has it.
    if TcpListener::bind("[::1]:0").is_ok() {
        let v6: SocketAddr = "[::1]:0".parse().expect("an IPv6 address");
        let listener = listener_from_listen(v6, Reuse::NONE);
        let local = listener.local_addr().expect("the listener's address");
        assert!(
            local.is_ipv6() && local.ip() == v6.ip() && local.port() != 0,
            "listen([::1]:0, Reuse::NONE): the listener is bound to {local}, but it should be [::1] and \
             a port the kernel picked"
        );
        let client = TcpStream::connect_timeout(&local, IO_TIMEOUT).unwrap_or_else(|err| {
            panic!("connecting to the IPv6 listener at {local} failed: {err}")
        });
        let client = with_timeouts(client);
        let (_server, peer) = accept_within(&listener, IO_TIMEOUT)
            .unwrap_or_else(|err| panic!("the IPv6 listener failed to accept: {err}"));
        assert_eq!(peer, client.local_addr().expect("the client's address"));
    }

    // An address that a live listener holds: an error to return.
    let holder = listener_from_listen(loopback, Reuse::NONE);
    let taken = holder.local_addr().expect("the listener's address");
    let (trace, log) = Trace::memory();
    match caught(|| listen(taken, Reuse::NONE, &trace)) {
        Ok(Err(err)) if err.kind() == ErrorKind::AddrInUse => {
            let mut expected = expected_trace(taken, Reuse::NONE);
            expected.pop();
            let bind = expected.pop().unwrap_or_default();
            expected.push(format!("{bind}: failed: {err}"));
            assert_traced(
                &format!("listen({taken}, Reuse::NONE, trace), where a listener is already,"),
                &log.lines(),
                &expected,
            );
        }
        Err(what) => panic!(
            "listen({taken}, Reuse::NONE), where a listener is already, {what}. \"Address already in \
             use\" is an answer for the caller (the demo explains it, a server reports it): return \
             errors with `?` instead of `unwrap()` or `expect()`"
        ),
        other => panic!(
            "listen({taken}, Reuse::NONE), where a listener is already, should return an error of kind \
             AddrInUse, but it {}",
            describe(&other)
        ),
    }
    drop(holder);

    #[cfg(target_os = "linux")]
    {
        let first = listener_from_listen(loopback, Reuse::PORT);
        let shared = first.local_addr().expect("the listener's address");
        match caught(|| listen(shared, Reuse::PORT, &Trace::off())) {
            Ok(Ok(_second)) => {}
            other => panic!(
                "listen({shared}, Reuse::PORT), where a listener made with Reuse::PORT is already, should \
                 return a second listener: SO_REUSEPORT on both lets live listeners share an address. It \
                 {}. Set it with `set_reuse_port(&socket)` (given) before `bind`: `bind` is where the \
                 kernel looks at the options",
                describe(&other)
            ),
        }

        let first = listener_from_listen(loopback, Reuse::ADDRESS);
        let held = first.local_addr().expect("the listener's address");
        match caught(|| listen(held, Reuse::ADDRESS, &Trace::off())) {
            Ok(Err(err)) if err.kind() == ErrorKind::AddrInUse => {}
            other => panic!(
                "listen({held}, Reuse::ADDRESS), where a listener made with Reuse::ADDRESS is already, \
                 should return an error of kind AddrInUse: on Linux SO_REUSEADDR never lets two live \
                 listeners share an address. It {}. Is SO_REUSEPORT on? Only `reuse.port` turns it on",
                describe(&other)
            ),
        }

        // What SO_REUSEADDR is for: a server, started again, binds past its old connections. The old
        // listener had it on, and the server closed a connection first, so that connection's end is in
        // TIME_WAIT (FIN_WAIT2 for a moment before: either holds the address the same way).
        let old = test_listener(SocketAddr::new(own_ip(2), 0), true).expect("binding a listener");
        let addr = old.local_addr().expect("the listener's address");
        closed_by_server(&old);
        drop(old);
        match caught(|| listen(addr, Reuse::NONE, &Trace::off())) {
            Ok(Err(err)) if err.kind() == ErrorKind::AddrInUse => {}
            other => panic!(
                "listen({addr}, Reuse::NONE), where a connection closed by the server a moment ago waits \
                 in TIME_WAIT, should return an error of kind AddrInUse: without SO_REUSEADDR, that \
                 connection holds the address. It {}",
                describe(&other)
            ),
        }
        match caught(|| listen(addr, Reuse::ADDRESS, &Trace::off())) {
            Ok(Ok(_again)) => {}
            other => panic!(
                "listen({addr}, Reuse::ADDRESS), where a connection closed by the server a moment ago \
                 waits in TIME_WAIT (made with SO_REUSEADDR too), should return a listener: that is what \
                 SO_REUSEADDR is for. It {}. Set the option before `bind`: `bind` is where the kernel \
                 checks it, and setting it afterwards changes nothing for that bind",
                describe(&other)
            ),
        }
    }

    let std_listener = TcpListener::bind("127.0.0.1:0").expect("binding with std");
    let plain = plain_listener(loopback).expect("binding a listener with socket2");
    let on = reuse_address_is_on(&std_listener).expect("reuse_address_is_on(std's listener)");
    let off = reuse_address_is_on(&plain).expect("reuse_address_is_on(a listener without it)");
    if cfg!(unix) {
        assert!(
            on,
            "reuse_address_is_on(listener of std's TcpListener::bind) returned false, but std turns \
             SO_REUSEADDR on (on Unix): read the option with `SockRef::from(listener).reuse_address()`"
        );
    }
    assert!(
        !off,
        "reuse_address_is_on(a listener made without SO_REUSEADDR) returned true: read the option from the \
         listener you are given, `SockRef::from(listener).reuse_address()`"
    );
    for reuse in [Reuse::NONE, Reuse::ADDRESS] {
        let listener = listener_from_listen(loopback, reuse);
        let read_back = reuse_address_is_on(&listener);
        assert!(
            matches!(read_back, Ok(on) if on == reuse.address),
            "reuse_address_is_on(a listener from listen(.., {})) returned {read_back:?}, but the option \
             is {}",
            reuse_name(reuse),
            if reuse.address { "on" } else { "off" }
        );
    }
}

/// Parses `text` with `parse_tcp_table`, failing with a message that says what was parsed.
#[track_caller]
fn parsed(text: &str, what: &str) -> Vec<TcpEntry> {
    match caught(|| parse_tcp_table(text)) {
        Ok(Ok(entries)) => entries,
        Ok(Err(err)) => panic!(
            "parse_tcp_table({what}) returned Err({:?}: {err}), but every line is good: skip the header \
             (its first field is `sl`), split each line with `split_whitespace()` (the lines start \
             with spaces, and columns are separated by several); the 2nd and 3rd fields are addresses \
             (`parse_proc_address`), the 4th the state, in hexadecimal (`0A` is 10: \
             `u8::from_str_radix(field, 16)`)",
            err.kind()
        ),
        Err(what_happened) => panic!("parse_tcp_table({what}) {what_happened}"),
    }
}

/// Compares a parsed table with the one expected, line by line, saying which line went wrong.
#[track_caller]
fn assert_table(text: &str, expected: &[TcpEntry], what: &str) {
    let got = parsed(text, what);
    let lines: Vec<&str> = text.lines().skip(1).collect();
    for (index, (got, want)) in got.iter().zip(expected).enumerate() {
        if got == want {
            continue;
        }
        let line = lines.get(index).map_or("", |line| line.trim());
        let advice = if expected.get(index + 1) == Some(got) {
            "that is the next line's socket: a line was skipped. Only the header (its first field is \
             `sl`) is not a socket"
        } else if got.state != want.state {
            "the state is the 4th field, a hexadecimal number (`0A` is 10, LISTEN: \
             `u8::from_str_radix(field, 16)`), named by `TcpState::from_code`"
        } else if got.local != want.local && got.local == want.remote {
            "the local address is the 2nd field (the 1st is the line's number, `0:`), the remote one \
             the 3rd"
        } else {
            "an address is read by `parse_proc_address`; check that it gives the expected addresses on \
             their own"
        };
        panic!(
            "parse_tcp_table({what}): entry {} should be {want:?}, but it is {got:?}. The line was\n  \
             {line}\n{advice}",
            index + 1
        );
    }
    assert!(
        got.len() == expected.len(),
        "parse_tcp_table({what}) returned {} entries, but the text has {} sockets (one per line after the \
         header, which is not one): {got:?}",
        got.len(),
        expected.len()
    );
}

/// A `TcpEntry` from addresses written as text.
fn entry(local: &str, remote: &str, state: TcpState) -> TcpEntry {
    TcpEntry {
        local: local.parse().expect("a socket address"),
        remote: remote.parse().expect("a socket address"),
        state,
    }
}

/// What `/proc/net/tcp` looks like on a laptop (little-endian): a web server on 127.0.0.1:8080 with one
/// client, a connection in TIME_WAIT, ssh on 0.0.0.0:22 and a connection to a web site. The kernel pads
/// each line of this file with spaces to 149 characters.
const TCP_SAMPLE: &[&str] = &[
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41274 1 \
     0000000000000000 100 0 0 10 0",
    "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20537 1 \
     0000000000000000 100 0 0 10 0",
    "   2: 0100007F:1F90 0100007F:D6D8 01 00000000:00000000 00:00000000 00000000  1000        0 41301 1 \
     0000000000000000 20 4 30 10 -1",
    "   3: 0100007F:D6D8 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 41300 1 \
     0000000000000000 20 4 28 10 -1",
    "   4: 0100007F:1F90 0100007F:D6C2 06 00000000:00000000 03:000015E0 00000000     0        0 0 3 \
     0000000000000000",
    "   5: 0A01A8C0:B3A6 22D8B85D:01BB 08 00000000:00000000 00:00000000 00000000  1000        0 52110 1 \
     0000000000000000 20 4 0 10 -1",
];

/// `/proc/net/tcp6` on the same laptop: a listener on [::1]:8080, one on [::]:80 and a connection to
/// it from 127.0.0.1 (an IPv4 client of a dual-stack socket shows as ::ffff:127.0.0.1), and a connection
/// between two documentation addresses in TIME_WAIT.
const TCP6_SAMPLE: &[&str] = &[
    "  sl  local_address                         remote_address                        st tx_queue \
     rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A \
     00000000:00000000 00:00000000 00000000  1000        0 41290 1 0000000000000000 100 0 0 10 0",
    "   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A \
     00000000:00000000 00:00000000 00000000     0        0 20601 1 0000000000000000 100 0 0 10 0",
    "   2: 0000000000000000FFFF00000100007F:0050 0000000000000000FFFF00000100007F:C350 01 \
     00000000:00000000 00:00000000 00000000     0        0 52200 1 0000000000000000 20 4 30 10 -1",
    "   3: B80D0120000000000000000001000000:01BB B80D0120000000000000000002000000:E6A4 06 \
     00000000:00000000 03:00001200 00000000     0        0 0 3 0000000000000000",
];

/// The lines as one text, each padded with spaces to `width` and ended by a newline, as the kernel
/// writes them.
fn table_text(lines: &[&str], width: usize) -> String {
    lines
        .iter()
        .map(|line| format!("{line:<width$}\n"))
        .collect()
}

/// The header line of `/proc/net/tcp`, alone.
const HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  \
                      timeout inode\n";

/// Addresses with a character of more than one byte where a hex digit should be, each `None`. The
/// first two are 32 bytes long, as an IPv6 address is, with the character across the end of a group of 8.
const NOT_ASCII: &[(&str, &str)] = &[
    (
        "0000000\u{e9}00000000000000000000000:1F90",
        "32 bytes, but `\u{e9}` is 2 of them (the 8th and 9th), and not a hex digit",
    ),
    (
        "000000000000000\u{20ac}00000000000000:1F90",
        "32 bytes, but `\u{20ac}` is 3 of them (the 16th to the 18th), and not a hex digit",
    ),
    (
        "010000\u{e9}:1F90",
        "8 bytes, but `\u{e9}` is 2 of them, and not a hex digit",
    ),
    ("0100007F:1F\u{e9}", "a port with an `\u{e9}` in it"),
];

/// Whether a panic is the one of slicing a `str` inside a character.
fn is_char_boundary_panic(what: &str) -> bool {
    what.contains("is not a char boundary")
}

/// What to do about a panic on a line or field that does not parse.
fn panic_advice(what: &str) -> &'static str {
    if is_char_boundary_panic(what) {
        "Slicing a `str` (`&ip[0..8]`) at a byte index that is not a char boundary panics, and a \
         character such as `\u{e9}` takes 2 bytes: a field of 32 bytes is not 32 hex digits. Check \
         `is_ascii()` before cutting it into groups (then every byte is a character), or cut it with \
         `get(0..8)`, which returns None instead of panicking, or work on its bytes (`as_bytes()`)"
    } else {
        "a text that does not parse is `None` (or an InvalidData error for a line), never a panic: the \
         text comes from outside the program"
    }
}

/// Step 2: `parse_tcp_table` reads the text of `/proc/net/tcp` (or `tcp6`): a header line, then one line
/// per socket, whose 2nd, 3rd and 4th fields are its local address, its remote address and its state.
/// `parse_proc_address` reads an address: `0100007F:1F90` is 127.0.0.1:8080, the IP a 32-bit number in
/// hexadecimal whose bytes are in the machine's own order (`to_ne_bytes`), the port a hexadecimal number;
/// an IPv6 address is 32 hex digits, four such numbers. Anything else is `None`, without a panic: a
/// character of several bytes (`\u{e9}` is 2) where a digit should be too. The state is hexadecimal
/// too: `0A` is 10, LISTEN (`TcpState::from_code`). A header alone is an empty table; a line that does
/// not parse is an `InvalidData` error whose message shows the line (or its number). On Linux, the real
/// `/proc/net/tcp` and `/proc/net/tcp6` parse, and show listeners and a connection the test opened.
#[test]
fn step_2_parse_the_tcp_table() {
    // The samples are written as a little-endian machine (x86, ARM) prints them; a big-endian one prints
    // `7F000001`. The real tables below are checked on any machine.
    if cfg!(target_endian = "little") {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                "0100007F:1F90",
                Some("127.0.0.1:8080"),
                "the IP is a 32-bit number whose bytes, in the machine's own order (`to_ne_bytes`), \
                 are the address: on x86 `0100007F` is the bytes 7F 00 00 01; the port `1F90` is \
                 hexadecimal, 8080",
            ),
            ("00000000:0016", Some("0.0.0.0:22"), "0.0.0.0 port 0x16"),
            ("0A01A8C0:01BB", Some("192.168.1.10:443"), "port 0x1BB"),
            (
                "0100007F:0050",
                Some("127.0.0.1:80"),
                "the port is hexadecimal: `0050` is 80",
            ),
            (
                "00000000000000000000000001000000:1F90",
                Some("[::1]:8080"),
                "an IPv6 address is 32 hex digits: four 32-bit numbers, each turned into its 4 bytes \
                 like an IPv4 address, in order",
            ),
            (
                "00000000000000000000000000000000:0000",
                Some("[::]:0"),
                "::, port 0",
            ),
            (
                "B80D0120000000000000000001000000:01BB",
                Some("[2001:db8::1]:443"),
                "each group of 8 digits is one number whose bytes come out in the machine's order \
                 (`B80D0120` is 20 01 0D B8), and the groups stay in order",
            ),
            (
                "0000000000000000FFFF00000100007F:0050",
                Some("[::ffff:127.0.0.1]:80"),
                "an IPv4-mapped IPv6 address is an IPv6 address: keep it as one",
            ),
            ("", None, "an empty text"),
            ("0100007F", None, "no `:` and no port"),
            ("0100007F:", None, "an empty port"),
            (":1F90", None, "no IP"),
            ("0100007G:1F90", None, "`G` is not a hexadecimal digit"),
            ("100007F:1F90", None, "7 digits: an IP is 8 or 32"),
            ("0100007F00:1F90", None, "10 digits: an IP is 8 or 32"),
            (
                "0000000000000000000000000100000:1F90",
                None,
                "31 digits: an IP is 8 or 32",
            ),
            (
                "0100007F:10000",
                None,
                "the port 0x10000 does not fit in 16 bits",
            ),
            ("0100007F:1F9X", None, "`X` is not a hexadecimal digit"),
        ];
        for (text, expected, why) in cases {
            let expected: Option<SocketAddr> =
                expected.map(|addr| addr.parse().expect("a socket address"));
            let got = match caught(|| parse_proc_address(text)) {
                Ok(got) => got,
                Err(what) => panic!("parse_proc_address({text:?}) {what}"),
            };
            if got == expected {
                continue;
            }
            let reversed = match (got, expected) {
                (Some(SocketAddr::V4(got)), Some(SocketAddr::V4(want))) => {
                    let mut octets = want.ip().octets();
                    octets.reverse();
                    got.ip().octets() == octets
                }
                _ => false,
            };
            let advice = if reversed {
                "the bytes came out reversed: the kernel prints the number as it sits in memory, so \
                 turn it back into bytes with `to_ne_bytes()` (the machine's own order), not \
                 `to_be_bytes()`"
            } else {
                why
            };
            panic!(
                "parse_proc_address({text:?}) returned {got:?}, but it should be {expected:?}: {advice}"
            );
        }

        let tcp = [
            entry("127.0.0.1:8080", "0.0.0.0:0", TcpState::Listen),
            entry("0.0.0.0:22", "0.0.0.0:0", TcpState::Listen),
            entry("127.0.0.1:8080", "127.0.0.1:55000", TcpState::Established),
            entry("127.0.0.1:55000", "127.0.0.1:8080", TcpState::Established),
            entry("127.0.0.1:8080", "127.0.0.1:54978", TcpState::TimeWait),
            entry(
                "192.168.1.10:45990",
                "93.184.216.34:443",
                TcpState::CloseWait,
            ),
        ];
        assert_table(
            &table_text(TCP_SAMPLE, 149),
            &tcp,
            "a sample of /proc/net/tcp",
        );
        let tcp6 = [
            entry("[::1]:8080", "[::]:0", TcpState::Listen),
            entry("[::]:80", "[::]:0", TcpState::Listen),
            entry(
                "[::ffff:127.0.0.1]:80",
                "[::ffff:127.0.0.1]:50000",
                TcpState::Established,
            ),
            entry(
                "[2001:db8::1]:443",
                "[2001:db8::2]:59044",
                TcpState::TimeWait,
            ),
        ];
        assert_table(
            &table_text(TCP6_SAMPLE, 0),
            &tcp6,
            "a sample of /proc/net/tcp6",
        );
    }

    // Fields with characters of more than one byte, where hex digits should be. The text comes from
    // outside the program: a parser must say it does not parse, never panic.
    for (text, why) in NOT_ASCII {
        match caught(|| parse_proc_address(text)) {
            Ok(None) => {}
            Ok(Some(addr)) => panic!(
                "parse_proc_address({text:?}) returned Some({addr}), but it should be None: {why}"
            ),
            Err(what) => panic!(
                "parse_proc_address({text:?}) {what}. {}",
                panic_advice(&what)
            ),
        }
    }

    for (text, what) in [(HEADER, "the header line alone"), ("", "an empty text")] {
        let entries = parsed(text, what);
        assert!(
            entries.is_empty(),
            "parse_tcp_table({what}) returned {entries:?}, but there is no socket in it: the header line \
             (its first field is `sl`) is not a socket"
        );
    }

    let good = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000  0 41274";
    for (bad, why) in [
        ("   1: 0100007F:1F90 00000000:0000", "a line with no state"),
        ("   1: 0100007F:1F90", "a line with one address"),
        (
            "   1: 0100007G:1F90 00000000:0000 0A 00000000:00000000",
            "a local address with a `G` in it",
        ),
        (
            "   1: 0100007F:1F90 00000000 0A 00000000:00000000",
            "a remote address without a port",
        ),
        (
            "   1: 0100007F:1F90 00000000:0000 XY 00000000:00000000",
            "a state `XY`, which is not hexadecimal",
        ),
        (
            "   1: 0100007F:1F90 00000000:0000 10A 00000000:00000000",
            "a state 0x10A, over 255",
        ),
        (
            "   1: 0000000\u{e9}00000000000000000000000:1F90 00000000:0000 0A 00000000:00000000",
            "a local address of 32 bytes with an `\u{e9}` (2 bytes) across its 8th and 9th",
        ),
        (
            "   1: 0100007F:1F90 000000000000000\u{20ac}00000000000000:0000 0A 00000000:00000000",
            "a remote address of 32 bytes with a `\u{20ac}` (3 bytes) across its 16th and 17th",
        ),
        (
            "   1: 0100007F:1F90 00000000:0000 0\u{e9} 00000000:00000000",
            "a state `0\u{e9}`",
        ),
    ] {
        let text = format!("{HEADER}{good}\n{bad}\n");
        match caught(|| parse_tcp_table(&text)) {
            Ok(Err(err)) if err.kind() == ErrorKind::InvalidData => {
                let message = err.to_string();
                assert!(
                    message.contains(bad.trim()) || message.contains("line 3"),
                    "parse_tcp_table with {why} on line 3 returned the error {message:?}, which does not \
                     say which line is wrong: put the line (or `line 3`) in the message"
                );
            }
            Ok(Err(err)) => panic!(
                "parse_tcp_table with {why} on line 3 returned an error of kind {:?} ({err}), but it \
                 should be InvalidData: `io::Error::new(ErrorKind::InvalidData, message)`",
                err.kind()
            ),
            Ok(Ok(entries)) => panic!(
                "parse_tcp_table with {why} on line 3, {bad:?}, returned Ok({entries:?}), but it \
                 should be an InvalidData error that shows the line: a line that does not parse must \
                 not be skipped or guessed at"
            ),
            Err(what) if is_char_boundary_panic(&what) => panic!(
                "parse_tcp_table with {why} on line 3, {bad:?}, {what}. {}",
                panic_advice(&what)
            ),
            Err(what) => panic!(
                "parse_tcp_table with {why} on line 3, {bad:?}, {what}: return an InvalidData error \
                 instead (`get` on a slice, or a `match` on the fields, finds a missing field without \
                 panicking)"
            ),
        }
    }

    #[cfg(target_os = "linux")]
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a listener");
        let addr = listener.local_addr().expect("the listener's address");
        let client =
            with_timeouts(TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connecting"));
        let (server, _) = accept_within(&listener, IO_TIMEOUT).expect("accepting");
        let client_addr = client.local_addr().expect("the client's address");
        let text = std::fs::read_to_string("/proc/net/tcp").expect("reading /proc/net/tcp");
        let entries = parsed(&text, "the real /proc/net/tcp");
        let unspecified: SocketAddr = ([0, 0, 0, 0], 0).into();
        for (wanted, what) in [
            (
                TcpEntry {
                    local: addr,
                    remote: unspecified,
                    state: TcpState::Listen,
                },
                "the test's listener",
            ),
            (
                TcpEntry {
                    local: addr,
                    remote: client_addr,
                    state: TcpState::Established,
                },
                "the server's end of the test's connection",
            ),
            (
                TcpEntry {
                    local: client_addr,
                    remote: addr,
                    state: TcpState::Established,
                },
                "the client's end of the test's connection",
            ),
        ] {
            let near: Vec<&TcpEntry> = entries
                .iter()
                .filter(|entry| {
                    [entry.local.port(), entry.remote.port()].contains(&wanted.local.port())
                })
                .collect();
            assert!(
                entries.contains(&wanted),
                "the real /proc/net/tcp should have {what}, {wanted:?}, but parse_tcp_table found \
                 {} entries, none of them that one. Those on its port: {near:?}",
                entries.len()
            );
        }
        drop((client, server));

        if let Ok(v6) = TcpListener::bind("[::1]:0") {
            let addr = v6.local_addr().expect("the listener's address");
            let text = std::fs::read_to_string("/proc/net/tcp6").expect("reading /proc/net/tcp6");
            let entries = parsed(&text, "the real /proc/net/tcp6");
            let wanted = TcpEntry {
                local: addr,
                remote: "[::]:0".parse().expect("an address"),
                state: TcpState::Listen,
            };
            assert!(
                entries.contains(&wanted),
                "the real /proc/net/tcp6 should have the test's listener, {wanted:?}, but \
                 parse_tcp_table found only {:?}",
                entries
                    .iter()
                    .filter(|entry| entry.local.port() == addr.port())
                    .collect::<Vec<_>>()
            );
        }
    }
}

/// How a state reads in a message: `TIME_WAIT`, or that the end is gone.
#[cfg(target_os = "linux")]
fn state_words(state: Option<TcpState>) -> String {
    match state {
        Some(state) => format!("in {state}"),
        None => "not in the table (closed, or reset)".into(),
    }
}

/// The kernel's table now, through `read_tcp_table` (given), which uses your step 2.
#[cfg(target_os = "linux")]
#[track_caller]
fn table_now() -> Vec<TcpEntry> {
    match caught_any(read_tcp_table) {
        Ok(Ok(entries)) => entries,
        Ok(Err(err)) => panic!(
            "read_tcp_table (given) returned Err({:?}: {err}): it reads /proc/net/tcp with your \
             parse_tcp_table from step 2. Does step 2 pass?",
            err.kind()
        ),
        Err(what) => panic!(
            "read_tcp_table (given) {what}: it reads /proc/net/tcp with your parse_tcp_table from step \
             2, so step 2 comes first"
        ),
    }
}

/// The state of the connection end `local` -> `remote`, if it is in the kernel's table.
#[cfg(target_os = "linux")]
fn state_of(table: &[TcpEntry], local: SocketAddr, remote: SocketAddr) -> Option<TcpState> {
    table
        .iter()
        .find(|entry| entry.local == local && entry.remote == remote)
        .map(|entry| entry.state)
}

/// `wait_for_state` (given), failing clearly when reading the table fails.
#[cfg(target_os = "linux")]
#[track_caller]
fn reaches(local: SocketAddr, remote: SocketAddr, state: TcpState) -> bool {
    match caught_any(|| wait_for_state(local, remote, state, STATE_WAIT)) {
        Ok(Ok(reached)) => reached,
        Ok(Err(err)) => panic!(
            "wait_for_state (given) returned Err({:?}: {err}): it reads /proc/net/tcp with your \
             parse_tcp_table from step 2. Does step 2 pass?",
            err.kind()
        ),
        Err(what) => panic!(
            "wait_for_state (given) {what}: it reads /proc/net/tcp with your parse_tcp_table from step 2, \
             so step 2 comes first"
        ),
    }
}

/// Waits (at most [`STATE_WAIT`]) until the end `local` -> `remote` has left the kernel's table; returns
/// its state if it is still there.
#[cfg(target_os = "linux")]
fn gone(local: SocketAddr, remote: SocketAddr) -> Option<TcpState> {
    let deadline = Instant::now() + STATE_WAIT;
    loop {
        let state = state_of(&table_now(), local, remote);
        if state.is_none() || Instant::now() >= deadline {
            return state;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// What the kernel's table says about a connection that should have been closed, `first` first, and what
/// to do about it. `None` on systems without the table.
fn explain_close(
    first: Side,
    first_end: (SocketAddr, SocketAddr),
    unread: usize,
) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        // This explains a failure: when the table cannot be read (step 2 not done), say nothing more.
        let Ok(Ok(table)) = caught_any(read_tcp_table) else {
            return None;
        };
        let (first_name, second_name) = side_names(first);
        let first_state = state_of(&table, first_end.0, first_end.1);
        let second_state = state_of(&table, first_end.1, first_end.0);
        let advice = match (first_state, second_state) {
            (_, Some(TcpState::TimeWait)) => format!(
                "the {second_name} closed first, so its end waits in TIME_WAIT: close the stream of \
                 `first` (the {first_name}) first, then read the other one until Ok(0), then close it"
            ),
            (None, None) => format!(
                "the connection was reset (RST) instead of closed, and a reset leaves no TIME_WAIT: a \
                 socket closed with bytes it has not read sends a RST. The {first_name} had sent \
                 {unread} bytes: the {second_name} must read until `read` returns Ok(0) (they are \
                 thrown away) before it is closed"
            ),
            (Some(TcpState::Established), Some(TcpState::Established)) => format!(
                "neither side has closed: drop the {first_name}'s stream first (dropping a TcpStream \
                 closes it), then read the {second_name}'s until Ok(0): before the FIN, a read waits \
                 for more bytes"
            ),
            (Some(TcpState::FinWait2), Some(TcpState::CloseWait)) => format!(
                "the {first_name} closed, and its FIN reached the {second_name} (CLOSE_WAIT: a read \
                 there returns Ok(0)), but the {second_name} never closed: stop reading at Ok(0) and \
                 drop its stream"
            ),
            _ => {
                format!("the {first_name} must close first, the {second_name} after reading Ok(0)")
            }
        };
        Some(format!(
            "The kernel's table shows the {first_name}'s end {} and the {second_name}'s end {}: {advice}",
            state_words(first_state),
            state_words(second_state)
        ))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (first, first_end, unread);
        None
    }
}

/// `("server", "client")` when the server closes first.
fn side_names(first: Side) -> (&'static str, &'static str) {
    match first {
        Side::Server => ("server", "client"),
        Side::Client => ("client", "server"),
    }
}

/// How many bytes the first closer sends just before it closes: more than one small read takes, well
/// within what loopback's buffers hold, so that the write returns at once.
const LAST_WORDS: usize = 20_000;

/// A connection to a listener on 127.0.0.`n` (SO_REUSEADDR off), closed by your `close_connection` with
/// `first` closing first, after sending [`LAST_WORDS`] bytes. Checks what it returned and, on Linux, that
/// the first closer's end is in TIME_WAIT and the other end gone. Returns the listener.
#[track_caller]
fn close_and_check(first: Side, n: u8) -> TcpListener {
    let (first_name, second_name) = side_names(first);
    let listener = plain_listener(SocketAddr::new(own_ip(n), 0)).expect("binding a listener");
    let (client, server) = connect_pair(&listener, IO_TIMEOUT).expect("connecting to the listener");
    let client_addr = client.local_addr().expect("the client's address");
    let server_addr = server.local_addr().expect("the server's address");
    let first_end = match first {
        Side::Server => (server_addr, client_addr),
        Side::Client => (client_addr, server_addr),
    };
    let last_words = vec![b'.'; LAST_WORDS];
    match first {
        Side::Server => (&server).write_all(&last_words),
        Side::Client => (&client).write_all(&last_words),
    }
    .expect("sending the last words");

    let call = format!("close_connection(client, server, Side::{first:?})");
    let closed = match on_thread(LIMIT, move || close_connection(client, server, first)) {
        Ok(Ok(closed)) => closed,
        Err(what) if what.contains("todo!()") => panic!("{call} {what}"),
        Ok(Err(err)) if err.kind() == ErrorKind::ConnectionReset => panic!(
            "{call} returned Err(ConnectionReset: {err}): a read was answered by a reset (RST). Only the \
             {first_name} had sent bytes, {LAST_WORDS} of them, so the {second_name} was closed first, \
             with those bytes unread, and a socket closed with unread bytes sends a reset. Close the \
             stream of `first`, the {first_name}, first; then read the {second_name}'s until Ok(0)"
        ),
        Err(what) if what.starts_with("had not returned") => panic!(
            "{call} {what}. {}",
            explain_close(first, first_end, LAST_WORDS).unwrap_or_else(|| format!(
                "Close the {first_name} first: the {second_name}'s read returns Ok(0) only once the \
                 {first_name}'s FIN has come"
            ))
        ),
        other => panic!(
            "{call} {}. It was given a fresh connection, with {LAST_WORDS} bytes from the {first_name} \
             on their way to the {second_name}: read them and throw them away, until Ok(0). {}",
            describe(&other),
            explain_close(first, first_end, LAST_WORDS).unwrap_or_default()
        ),
    };
    let expected = Closed {
        first,
        local: first_end.0,
        remote: first_end.1,
    };
    assert!(
        closed == expected,
        "{call} returned {closed:?}, but it should be {expected:?}: `first` as given, and the \
         connection as the {first_name} saw it, its `local_addr()` and `peer_addr()` (taken before it is \
         closed)"
    );

    #[cfg(target_os = "linux")]
    {
        if !reaches(first_end.0, first_end.1, TcpState::TimeWait) {
            panic!(
                "after {call}, the {first_name}'s end {} -> {} should be in TIME_WAIT (it closed first), \
                 but it was not within {STATE_WAIT:?}. {}",
                first_end.0,
                first_end.1,
                explain_close(first, first_end, LAST_WORDS).unwrap_or_default()
            );
        }
        if let Some(state) = gone(first_end.1, first_end.0) {
            panic!(
                "after {call}, the {second_name}'s end {} -> {} should be gone from the kernel's table (it \
                 closed second, after reading the end of the stream: its FIN was acknowledged at once), \
                 but it is in {state}. {}",
                first_end.1,
                first_end.0,
                explain_close(first, first_end, LAST_WORDS).unwrap_or_default()
            );
        }
    }
    listener
}

/// Step 3: `close_connection(client, server, first)` closes a connection as two well-behaved programs
/// do: the side `first` closes its stream first (a FIN goes out); the other side reads until a read returns
/// `Ok(0)`, the end of the stream, throwing away the bytes before it, and then closes too. It returns
/// `Closed` with `first` and the connection as the first closer saw it, its `local` and `remote`
/// addresses. The first closer's end is left in TIME_WAIT, and the other end is gone: with `Side::Server`
/// the server's end is in TIME_WAIT, and a listener without SO_REUSEADDR cannot bind the server's address
/// again; with `Side::Client` the client's end is, and the server's address is free. The first closer
/// sends a few kilobytes just before: a socket closed with bytes it has not read sends a reset (RST), and
/// a reset leaves no TIME_WAIT at all.
#[test]
fn step_3_the_first_to_close_waits_in_time_wait() {
    let listener = close_and_check(Side::Server, 3);
    let addr = listener.local_addr().expect("the listener's address");
    drop(listener);
    match plain_listener(addr) {
        Err(err) if err.kind() == ErrorKind::AddrInUse => {}
        other => panic!(
            "after close_connection(.., Side::Server), binding the server's address {addr} again without \
             SO_REUSEADDR should fail with AddrInUse (\"Address already in use\"): the server's end of \
             the connection is in TIME_WAIT and holds it. It {}: did the server close first?",
            match other {
                Ok(_) => "worked".to_string(),
                Err(err) => format!("failed with {:?}: {err}", err.kind()),
            }
        ),
    }

    let listener = close_and_check(Side::Client, 4);
    let addr = listener.local_addr().expect("the listener's address");
    drop(listener);
    // The server's end has left the table (checked above), so nothing holds the address: on Linux only,
    // where the test could wait for that.
    if cfg!(target_os = "linux") {
        match plain_listener(addr) {
            Ok(_) => {}
            Err(err) => panic!(
                "after close_connection(.., Side::Client), binding the server's address {addr} again \
                 should work: the TIME_WAIT is on the client's end, another port. It failed with {:?}: \
                 {err}",
                err.kind()
            ),
        }
    }
}

/// A line of a table written in a test: local address, remote address, state.
type Row = (&'static str, &'static str, TcpState);

/// Step 4: `who_holds(addr, table)` counts the sockets of the kernel's table that would make a bind to
/// `addr` fail: those whose local address has the same port, and the same IP or an IP that overlaps with
/// it, either of the two being the unspecified address (0.0.0.0 or ::, every address of the machine). An
/// IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, what a dual-stack socket shows) is the same as its IPv4
/// address. They are counted by state: LISTEN in `listening`, TIME_WAIT in `time_wait`, any other state
/// in `other`. The remote address does not count: a client's end connected to `addr` is on the client's
/// port. On Linux, on the real table: a listener the test opened, one of its connections still open and
/// one closed by the server first show as 1, 1 and 1.
#[test]
fn step_4_find_who_holds_an_address() {
    use TcpState::{CloseWait, Established, FinWait2, Listen, TimeWait};
    let holders = |listening, time_wait, other| Holders {
        listening,
        time_wait,
        other,
    };
    let cases: &[(&str, &[Row], Holders, &str)] = &[
        ("127.0.0.1:8080", &[], holders(0, 0, 0), "an empty table"),
        (
            "127.0.0.1:8080",
            &[("127.0.0.1:8080", "0.0.0.0:0", Listen)],
            holders(1, 0, 0),
            "a listener on that address: LISTEN is counted in `listening`",
        ),
        (
            "127.0.0.1:8080",
            &[("127.0.0.1:8080", "127.0.0.1:50000", TimeWait)],
            holders(0, 1, 0),
            "a connection of the server, closed by the server first: TIME_WAIT is counted in `time_wait`",
        ),
        (
            "127.0.0.1:8080",
            &[
                ("127.0.0.1:8080", "127.0.0.1:50000", Established),
                ("127.0.0.1:8080", "127.0.0.1:50001", CloseWait),
                ("127.0.0.1:8080", "127.0.0.1:50002", FinWait2),
            ],
            holders(0, 0, 3),
            "connections accepted there, open or being closed: every state but LISTEN and TIME_WAIT is \
             counted in `other`",
        ),
        (
            "127.0.0.1:8080",
            &[
                ("127.0.0.1:50000", "127.0.0.1:8080", Established),
                ("127.0.0.1:50001", "127.0.0.1:8080", TimeWait),
            ],
            holders(0, 0, 0),
            "the clients' ends of connections to 127.0.0.1:8080: their local address is the client's \
             port, and only the local address holds anything; the remote one does not count",
        ),
        (
            "127.0.0.1:8080",
            &[
                ("127.0.0.1:8081", "0.0.0.0:0", Listen),
                ("127.0.0.1:80", "127.0.0.1:8080", Established),
            ],
            holders(0, 0, 0),
            "other ports: only the same port holds it",
        ),
        (
            "127.0.0.1:8080",
            &[
                ("127.0.0.2:8080", "0.0.0.0:0", Listen),
                ("192.168.1.10:8080", "192.168.1.20:50000", TimeWait),
                ("[::1]:8080", "[::]:0", Listen),
            ],
            holders(0, 0, 0),
            "the same port on other IPs (127.0.0.2, 192.168.1.10, ::1): a socket on 127.0.0.2:8080 does not \
             stop a bind to 127.0.0.1:8080. Compare the IPs too",
        ),
        (
            "127.0.0.1:8080",
            &[("0.0.0.0:8080", "0.0.0.0:0", Listen)],
            holders(1, 0, 0),
            "a listener on 0.0.0.0:8080 listens on every address of the machine, 127.0.0.1 too: an \
             unspecified IP (`is_unspecified()`) in the table overlaps with any IP",
        ),
        (
            "0.0.0.0:8080",
            &[
                ("127.0.0.1:8080", "127.0.0.1:50000", TimeWait),
                ("192.168.1.10:8080", "192.168.1.20:50000", Established),
                ("127.0.0.1:8081", "0.0.0.0:0", Listen),
            ],
            holders(0, 1, 1),
            "a bind to 0.0.0.0:8080 wants port 8080 on every address, so a socket on any IP with that \
             port holds it: an unspecified `addr` overlaps with any IP too",
        ),
        (
            "127.0.0.1:8080",
            &[
                ("[::ffff:127.0.0.1]:8080", "[::]:0", Listen),
                (
                    "[::ffff:127.0.0.1]:8080",
                    "[::ffff:127.0.0.1]:50000",
                    TimeWait,
                ),
            ],
            holders(1, 1, 0),
            "a dual-stack (IPv6) socket shows 127.0.0.1 as the IPv4-mapped address ::ffff:127.0.0.1, \
             which is the same address: compare the IPs after `to_canonical()`",
        ),
        (
            "[::ffff:127.0.0.1]:8080",
            &[("127.0.0.1:8080", "127.0.0.1:50000", TimeWait)],
            holders(0, 1, 0),
            "::ffff:127.0.0.1 is 127.0.0.1 written as IPv6: `to_canonical()` on both IPs",
        ),
        (
            "127.0.0.1:8080",
            &[("[::]:8080", "[::]:0", Listen)],
            holders(1, 0, 0),
            "a dual-stack listener on [::]:8080 listens on every address, IPv4 ones too: :: is \
             unspecified as well",
        ),
        (
            "127.0.0.1:8080",
            &[
                ("0.0.0.0:22", "0.0.0.0:0", Listen),
                ("127.0.0.1:8080", "0.0.0.0:0", Listen),
                ("127.0.0.1:8080", "127.0.0.1:50000", Established),
                ("127.0.0.1:50000", "127.0.0.1:8080", Established),
                ("127.0.0.1:8080", "127.0.0.1:49000", TimeWait),
                ("127.0.0.1:8080", "127.0.0.1:49001", TimeWait),
                ("127.0.0.1:49002", "127.0.0.1:8080", TimeWait),
                ("192.168.1.10:45990", "93.184.216.34:443", Established),
            ],
            holders(1, 2, 1),
            "a busy table: a listener, one open connection and two in TIME_WAIT on 127.0.0.1:8080; the \
             rest is elsewhere or the clients' ends",
        ),
    ];
    for (addr, rows, expected, why) in cases {
        let addr: SocketAddr = addr.parse().expect("a socket address");
        let table: Vec<TcpEntry> = rows
            .iter()
            .map(|(local, remote, state)| entry(local, remote, *state))
            .collect();
        let got = match caught(|| who_holds(addr, &table)) {
            Ok(got) => got,
            Err(what) => panic!("who_holds({addr}, ..) {what}"),
        };
        let shown: Vec<String> = rows
            .iter()
            .map(|(local, remote, state)| format!("{local} -> {remote} {state}"))
            .collect();
        assert!(
            got == *expected,
            "who_holds({addr}, [{}]) returned {got:?}, but it should be {expected:?}: {why}",
            shown.join(", ")
        );
    }

    #[cfg(target_os = "linux")]
    {
        let listener = plain_listener(SocketAddr::new(own_ip(5), 0)).expect("binding a listener");
        let addr = listener.local_addr().expect("the listener's address");
        let (local, remote) = closed_by_server(&listener);
        assert!(
            reaches(local, remote, TcpState::TimeWait),
            "the test closed a connection server first, but the server's end {local} -> {remote} did \
             not reach TIME_WAIT within {STATE_WAIT:?}"
        );
        let (_client, _server) = connect_pair(&listener, IO_TIMEOUT).expect("connecting");
        let table = table_now();
        let got = who_holds(addr, &table);
        let on_port: Vec<String> = table
            .iter()
            .filter(|entry| entry.local.port() == addr.port() || entry.remote.port() == addr.port())
            .map(|entry| format!("{} -> {} {}", entry.local, entry.remote, entry.state))
            .collect();
        assert!(
            got == holders(1, 1, 1),
            "who_holds({addr}, the real table) returned {got:?}, but the test holds a listener there, one \
             open connection, and one closed by the server (TIME_WAIT): it should be {:?}. The table's \
             sockets on that port: {}",
            holders(1, 1, 1),
            on_port.join(", ")
        );
    }
}
