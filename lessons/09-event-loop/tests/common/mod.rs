//! What the steps and the pitfalls of lesson 09 both need: a `Poll` with a listener on `127.0.0.1:0`,
//! connected pairs of sockets (the server's end non-blocking, under mio; the client's end a plain
//! `std::net::TcpStream` with timeouts), and waiting for events with a deadline, never a sleep.

#![allow(dead_code)] // each test file uses its own part of this

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use test_support::{IO_TIMEOUT, accept_within, connect};

/// How long a test waits for an event that a correct program gets at once (loopback answers in
/// microseconds). When it does not come, the test says why instead of waiting longer.
pub const NO_EVENT_WITHIN: Duration = Duration::from_millis(500);

/// A `Poll` and a non-blocking listener on `127.0.0.1:0` registered with `token`, and its address.
pub fn listening(token: Token) -> (Poll, TcpListener, SocketAddr) {
    let poll = Poll::new().expect("creating a Poll (epoll)");
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    std_listener.set_nonblocking(true).unwrap();
    let mut listener = TcpListener::from_std(std_listener);
    poll.registry()
        .register(&mut listener, token, Interest::READABLE)
        .expect("registering the listener");
    let addr = listener.local_addr().unwrap();
    (poll, listener, addr)
}

/// A connection over loopback: the server's end as mio has it (non-blocking, not registered yet), the
/// client's as a test reads it (blocking, with [`IO_TIMEOUT`]).
pub fn connected_pair() -> (mio::net::TcpStream, TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    let client = connect(listener.local_addr().unwrap());
    server_end(&listener, client)
}

/// Accepts `client`'s connection on `listener` and makes the server's end a mio stream.
pub fn server_end(
    listener: &std::net::TcpListener,
    client: TcpStream,
) -> (mio::net::TcpStream, TcpStream) {
    let (server, _) = accept_within(listener, IO_TIMEOUT).expect("accepting the client");
    server.set_nonblocking(true).unwrap();
    (mio::net::TcpStream::from_std(server), client)
}

/// One event, as the tests look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub token: Token,
    pub readable: bool,
    pub writable: bool,
}

/// Waits at most `within` for the next `poll` with events, and returns them (none: nothing happened).
pub fn next_events(poll: &mut Poll, within: Duration) -> Vec<Seen> {
    let mut events = Events::with_capacity(64);
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match poll.poll(&mut events, Some(left)) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => panic!("poll failed: {err}"),
        }
        if !events.is_empty() || left.is_zero() {
            return events
                .iter()
                .map(|event| Seen {
                    token: event.token(),
                    readable: event.is_readable() || event.is_read_closed(),
                    writable: event.is_writable(),
                })
                .collect();
        }
    }
}

/// Waits at most `within` for an event for `token`; whether one came.
pub fn event_for(poll: &mut Poll, token: Token, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        if next_events(poll, left)
            .iter()
            .any(|seen| seen.token == token)
        {
            return true;
        }
    }
    false
}
