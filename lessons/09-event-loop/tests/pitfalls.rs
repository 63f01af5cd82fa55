//! The classic bugs of an event loop, happening for real on loopback. Each test writes the naive loop
//! itself, with mio, the way a first try looks, and shows what goes wrong; the chapter's "Pitfalls"
//! section names each one.

mod common;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{NO_EVENT_WITHIN, connected_pair, listening, next_events, server_end};
use mio::net::TcpListener;
use mio::{Interest, Poll, Token};
use socket2::{Domain, Socket, Type};
use test_support::{IO_TIMEOUT, Peer, ServerProcess, connect, peer, read_line};

const LISTENER: Token = Token(0);

/// Accepts what waits on `listener`, until `WouldBlock`: what the naive loop did not do.
fn accept_the_rest(listener: &TcpListener) -> usize {
    let mut accepted = 0;
    loop {
        match listener.accept() {
            Ok(_) => accepted += 1,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return accepted,
            Err(err) => panic!("accept failed: {err}"),
        }
    }
}

/// Three clients connect before the loop first polls. The listener's one readable event stands for all
/// three (edge-triggered: "clients arrived", once), so a loop that accepts once per event greets one of
/// them, and the other two wait in the backlog with no event to say so, until someone else connects.
#[test]
fn one_accept_per_event_leaves_clients_waiting() {
    let (mut poll, listener, addr) = listening(LISTENER);
    let _clients: Vec<TcpStream> = (0..3).map(|_| connect(addr)).collect();
    let mut accepted = 0;
    loop {
        let events = next_events(&mut poll, NO_EVENT_WITHIN);
        if events.is_empty() {
            break; // the loop sleeps, with clients still waiting
        }
        for seen in events {
            if seen.token == LISTENER && listener.accept().is_ok() {
                accepted += 1; // the naive loop: one accept per event
            }
        }
    }
    assert_eq!(
        accepted, 1,
        "three clients connected; the listener had one event, and one accept per event took one"
    );
    assert_eq!(
        accept_the_rest(&listener),
        2,
        "the other two were in the backlog all along: accepting until WouldBlock finds them"
    );
}

/// 8 KiB arrive at once; the naive loop reads 4 KiB per readable event. The event came once for all the
/// bytes, so the other 4 KiB stay in the kernel's receive buffer, and no event comes for them: the loop
/// sleeps with a request half read, until the peer sends more (which it will not: it waits for an answer).
#[test]
fn one_read_per_event_leaves_bytes_waiting() {
    let member = Token(1);
    let mut poll = Poll::new().unwrap();
    let (mut stream, mut client) = connected_pair();
    poll.registry()
        .register(&mut stream, member, Interest::READABLE)
        .unwrap();
    client.write_all(&[b'x'; 8192]).unwrap();
    let mut read = 0;
    loop {
        let events = next_events(&mut poll, NO_EVENT_WITHIN);
        if events.is_empty() {
            break;
        }
        let mut buf = [0u8; 4096];
        match stream.read(&mut buf) {
            Ok(n) => read += n, // the naive loop: one read per event
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
            Err(err) => panic!("read failed: {err}"),
        }
    }
    assert!(
        read < 8192,
        "one read per event should have left bytes unread, but it read {read}: the 8 KiB arrived in \
         pieces with an event each (this loopback did not coalesce them)"
    );
    let mut rest = [0u8; 8192];
    let waiting = stream
        .read(&mut rest)
        .expect("the rest was there all along");
    assert_eq!(
        read + waiting,
        8192,
        "the loop slept with {waiting} bytes waiting in the receive buffer"
    );
}

/// `write_all` on a non-blocking socket whose send buffer fills: it fails with `WouldBlock` part way,
/// after the kernel took some of the bytes, and the error does not say how many. Retrying from the
/// start sends those bytes twice; giving up loses the rest. Only `write`, which returns the count, keeps
/// track (`outbox.written`).
#[test]
fn write_all_on_a_non_blocking_socket_loses_track() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket
        .connect(&listener.local_addr().unwrap().into())
        .unwrap();
    let (mut stream, mut client) =
        server_end(&listener, test_support::with_timeouts(socket.into()));
    let message = vec![b'x'; 4 << 20]; // more than any loopback buffers hold

    let err = stream
        .write_all(&message)
        .expect_err("4 MiB cannot fit in the buffers of a client that does not read");
    assert_eq!(
        err.kind(),
        io::ErrorKind::WouldBlock,
        "write_all on a non-blocking socket gives up with WouldBlock"
    );
    stream.shutdown(Shutdown::Write).unwrap(); // what the kernel took still goes out, then the end
    let mut taken = Vec::new();
    client
        .read_to_end(&mut taken)
        .expect("reading what the kernel had taken");
    assert!(
        !taken.is_empty() && taken.len() < message.len(),
        "write_all wrote part of the message ({} of {} bytes) before WouldBlock, and its error did \
         not say how much: the caller can neither resume nor skip",
        taken.len(),
        message.len()
    );
}

/// Counts the lines of `stderr` that start with `prefix` now.
fn count_lines(stderr: &str, prefix: &str) -> usize {
    stderr
        .lines()
        .filter(|line| line.starts_with(prefix))
        .count()
}

/// How many wake-ups a server traces while one member sits idle for 200 ms: the server's stderr lines
/// starting with `prefix`, counted once the member has its welcome and again 200 ms later.
fn wakeups_while_idle(server: &ServerProcess, prefix: &str) -> usize {
    let mut member = connect(server.addr());
    read_line(&mut member); // the welcome: the server is in its loop, with nothing to do
    let before = count_lines(&server.stderr_text(), prefix);
    // A window to count in, not a wait for readiness: nothing is supposed to happen during it.
    thread::sleep(Duration::from_millis(200));
    count_lines(&server.stderr_text(), prefix) - before
}

/// Level-triggered readiness (Python's `selectors`, `select`, `poll`) reports a socket each time it is
/// ready, not each time it becomes ready. A send buffer with room is ready to write nearly always, so a
/// loop that registers every client for `EVENT_WRITE` whether or not it has anything to write
/// (lessons/09-event-loop/python/selectors_chat.py) wakes again at once, without end: one idle member
/// keeps a core busy. This lesson's loop asks for `WRITABLE` only while an outbox holds lines, and sleeps.
#[test]
fn level_triggered_write_interest_spins() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/selectors_chat.py");
    let naive = ServerProcess::start(python, [script, "--trace"]);
    let spins = wakeups_while_idle(&naive, "[trace] select:");
    let ours = ServerProcess::start(env!("CARGO_BIN_EXE_chat-server-loop"), ["--trace"]);
    let sleeps = wakeups_while_idle(&ours, "[trace] poll:");
    assert!(
        spins >= 100,
        "the Python loop, always registered for EVENT_WRITE, should wake hundreds of times in 200 ms \
         with one idle member; it woke {spins} times"
    );
    assert!(
        sleeps <= 2,
        "chat-server-loop should sleep while nothing happens; it woke {sleeps} times in 200 ms (stderr: {})",
        ours.stderr_text()
    );
}

/// A minimal loop that echoes what each member sends, except that the first member's data makes it
/// wait on `side` (a blocking read: what a DNS lookup, a file read or a `sleep` does in a handler).
fn echo_loop_that_blocks_on(side: TcpStream, poll_and_listener: (Poll, TcpListener)) {
    let (mut poll, listener) = poll_and_listener;
    let mut side = Some(side);
    let mut members = Vec::new();
    loop {
        for seen in next_events(&mut poll, IO_TIMEOUT) {
            if seen.token == LISTENER {
                while let Ok((mut stream, _)) = listener.accept() {
                    let token = Token(members.len() + 1);
                    poll.registry()
                        .register(&mut stream, token, Interest::READABLE)
                        .unwrap();
                    members.push(stream);
                }
                continue;
            }
            let stream: &mut mio::net::TcpStream = &mut members[seen.token.0 - 1];
            let mut buf = [0u8; 1024];
            let Ok(n) = stream.read(&mut buf) else {
                continue;
            };
            if n == 0 {
                return;
            }
            if let (Token(1), Some(mut blocking)) = (seen.token, side.take()) {
                let _ = blocking.read(&mut [0u8; 1]); // the whole loop waits here
            }
            let _ = stream.write(&buf[..n]);
        }
    }
}

/// One blocking call in a handler stalls every member: while the loop's only thread waits in it, no
/// other socket is looked at. Here the first member's line makes the handler wait on a side connection
/// the test holds; the second member's line is not echoed until the test lets the handler go.
#[test]
fn a_blocking_call_stalls_every_member() {
    let (poll, listener, addr) = listening(LISTENER);
    let side_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let side_client = connect(side_listener.local_addr().unwrap());
    let (side_server, mut release) = {
        let (server, _) = test_support::accept_within(&side_listener, IO_TIMEOUT).unwrap();
        (server, side_client)
    };
    let (done_tx, done) = mpsc::channel();
    thread::spawn(move || {
        echo_loop_that_blocks_on(side_server, (poll, listener));
        let _ = done_tx.send(());
    });
    let mut first = connect(addr);
    let mut second = connect(addr);

    first.write_all(b"look up a name\n").unwrap();
    let mut echo = [0u8; 64];
    second.write_all(b"hello\n").unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let stalled = second.read(&mut echo);
    assert!(
        stalled.as_ref().is_err_and(shared::trace::is_timeout),
        "while the loop waits in the first member's blocking call, the second member should get nothing, \
         but its read returned {stalled:?}"
    );

    release.write_all(b"!").unwrap(); // the blocking call returns
    second.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let n = second
        .read(&mut echo)
        .expect("once the call returns, the loop serves the second member");
    assert_eq!(&echo[..n], b"hello\n");
    first.shutdown(Shutdown::Write).unwrap();
    let _ = done.recv_timeout(IO_TIMEOUT);
}
