//! The exercise of lesson 08, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 8` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 8` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! Step 1 runs your `chat` against a server written in the test. Steps 2 to 5 run the room (`serve`, given,
//! which calls your functions) on a thread, on a listener bound to `127.0.0.1:0`, and connect members to it,
//! `nc`-style: lines in, lines out. Every socket has a timeout (`test_support::IO_TIMEOUT`), so a step that
//! waits for something that never comes fails within seconds instead of hanging.

mod common;

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use chat::{Room, RoomConfig, chat, join, who};
use common::RoomServer;
use shared::trace::Trace;
use socket2::{Domain, Socket, Type};
use test_support::{IO_TIMEOUT, accept_within, reset, try_read_line, try_read_until_closed};

/// What the user types, one chunk at a time; it blocks until the test sends more, like a terminal.
struct Typed(Receiver<Vec<u8>>, Vec<u8>);

impl Read for Typed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.1.is_empty() {
            match self.0.recv() {
                Ok(chunk) => self.1 = chunk,
                Err(_) => return Ok(0), // the test dropped its sender: end of input (Ctrl-D)
            }
        }
        let n = buf.len().min(self.1.len());
        buf[..n].copy_from_slice(&self.1[..n]);
        self.1.drain(..n);
        Ok(n)
    }
}

/// What the client prints, passed to the test as it is written.
struct Printed(Sender<Vec<u8>>);

impl Write for Printed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = self.0.send(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Waits until what the client printed ends with `expected`; fails with `why` otherwise.
#[track_caller]
fn printed(output: &Receiver<Vec<u8>>, so_far: &mut Vec<u8>, expected: &str, why: &str) {
    while !so_far.ends_with(expected.as_bytes()) {
        match output.recv_timeout(IO_TIMEOUT) {
            Ok(bytes) => so_far.extend(bytes),
            Err(_) => panic!(
                "the client should have printed {expected:?} by now, but printed {:?}: {why}",
                String::from_utf8_lossy(so_far)
            ),
        }
    }
}

/// The server's socket, what the user types, what the client prints, and what `chat` returned.
type Chatting = (
    TcpStream,
    Sender<Vec<u8>>,
    Receiver<Vec<u8>>,
    Receiver<io::Result<()>>,
);

/// Runs your `chat` on a thread, connected to a server socket the test holds.
fn start_chat() -> Chatting {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    let stream = TcpStream::connect(listener.local_addr().unwrap()).expect("connecting");
    let (server, _) = accept_within(&listener, IO_TIMEOUT).expect("accepting the client");
    let (typed, input) = mpsc::channel();
    let (out, output) = mpsc::channel();
    let (done_tx, done) = mpsc::channel();
    thread::spawn(move || {
        let input = BufReader::new(Typed(input, Vec::new()));
        let _ = done_tx.send(chat(stream, input, Printed(out), &Trace::off()));
    });
    (server, typed, output, done)
}

/// Step 1: `chat` does both ways at once. The server speaks first, and the client prints it although the
/// user has typed nothing (a client that waits for input first, like the tutorial's, prints nothing). A
/// typed line reaches the server; what the server answers is printed. At the end of input the client shuts
/// down its sending side (the server reads end of stream) and still prints the server's last words until
/// it closes. And when the server closes while the user is typing nothing, `chat` returns anyway: it does
/// not wait for the input thread, which is blocked reading input and cannot be woken.
#[test]
fn step_1_the_client_both_ways_at_once() {
    let (mut server, typed, output, done) = start_chat();
    let mut shown = Vec::new();
    server.write_all(b"Welcome! What is your name?\n").unwrap();
    printed(
        &output,
        &mut shown,
        "Welcome! What is your name?\n",
        "the server's line arrived while the user was typing nothing. A client that reads input first and \
         the socket after (the tutorial's `input()` then `recv`) shows nothing until the user types: copy \
         the socket to `output` on this thread while another thread (`thread::spawn`) reads the input",
    );
    typed.send(b"alice\n".to_vec()).unwrap();
    match try_read_line(&mut server) {
        Ok(line) => assert_eq!(
            line, "alice\n",
            "the typed line should reach the server as typed, with its \\n"
        ),
        Err(problem) => panic!(
            "the user typed `alice`, and the server should receive it, but {problem}: the \
            input thread writes each line of `input.lines()` and a `\\n` (`write_all`)"
        ),
    }
    server.write_all(b"* online: alice\n").unwrap();
    printed(
        &output,
        &mut shown,
        "* online: alice\n",
        "each line the server sends is printed as it arrives",
    );
    drop(typed); // Ctrl-D
    let mut rest = [0u8; 16];
    match server.read(&mut rest) {
        Ok(0) => {}
        Ok(n) => panic!(
            "after the end of input the server should read end of stream, but received {:?}",
            String::from_utf8_lossy(&rest[..n])
        ),
        Err(err) => panic!(
            "after the end of input (Ctrl-D) the server should read end of stream, but its read \
            failed: {err}. At the end of `input.lines()`, the input thread calls `shutdown(Shutdown::Write)`: \
            it sends FIN, and the client can still read the server's answer"
        ),
    }
    server.write_all(b"* bye\n").unwrap();
    printed(
        &output,
        &mut shown,
        "* bye\n",
        "after the end of input the client keeps printing until the server \
        closes: only the sending side is shut down",
    );
    drop(server);
    match done.recv_timeout(IO_TIMEOUT) {
        Ok(result) => result.expect("`chat` should return Ok(()) when the server closes"),
        Err(_) => panic!(
            "the server closed, and `chat` should have returned: copy from the socket until it \
            returns end of stream (`io::copy` does), then return"
        ),
    }

    // The server closes while the user types nothing: the input thread is blocked for good.
    let (server, typed, _output, done) = start_chat();
    drop(server);
    match done.recv_timeout(IO_TIMEOUT) {
        Ok(result) => result.expect("`chat` should return Ok(()) when the server closes"),
        Err(_) => panic!(
            "the server closed while the user was typing nothing, and `chat` did not return. Do \
            not `join` the input thread: it is blocked reading the input, and no call can wake it. Returning \
            is right: the program then exits, and the thread with it"
        ),
    }
    drop(typed);
}

/// Step 2: `join` checks the name (1 to 32 letters, digits, `-` or `_`) and adds the member to the roster:
/// its first line is `* online: A, B, NAME`, every name in order of joining. An invalid name or a taken one
/// gets a line starting with `error: ` and the server waits for another name. `who` answers `/who` with the
/// same `* online: ...` line.
#[test]
fn step_2_the_roster() {
    let room = RoomServer::start(RoomConfig::default());
    let (_alice, online) = room.join("Alice");
    assert_eq!(
        online, "* online: Alice\n",
        "the first member's first line lists only her: `join` returns \
        `Ok(protocol::online(...))` of every member's name, hers included, once she is pushed"
    );
    let mut bob = room.connect("Bob");
    for bad in ["", "two words", "caf\u{e9}", &"n".repeat(33)] {
        room.send(&mut bob, "Bob", &format!("{bad}\n"));
        let line = room.line(
            &mut bob,
            "Bob",
            &format!("an error line for the name {bad:?}"),
        );
        assert!(
            line.starts_with("error: "),
            "the name {bad:?} breaks the rule (1 to 32 ASCII letters, digits, \
            - or _) and should get `error: ...`, but Bob received {line:?}: check `protocol::is_valid_name`"
        );
    }
    room.send(&mut bob, "Bob", "Bob\n");
    room.expect(&mut bob, "Bob", "* online: Alice, Bob\n", "after the refused names, the server waited for \
        another; Bob is second, so he is listed second (push onto `members`, which keeps the order)");
    let mut other = room.connect("a second Alice");
    room.send(&mut other, "a second Alice", "Alice\n");
    let line = room.line(
        &mut other,
        "a second Alice",
        "an error line: the name Alice is taken",
    );
    assert!(
        line.starts_with("error: "),
        "the name Alice is taken and should get `error: ...`, but the second \
        Alice received {line:?}: with the lock held, look for a member with that name before pushing"
    );
    room.send(&mut other, "Carol", "Carol\n");
    room.expect(
        &mut other,
        "Carol",
        "* online: Alice, Bob, Carol\n",
        "a refused name is not a member",
    );

    let room = Room::default();
    let (a, _keep_a) = mpsc::sync_channel(1);
    let (b, _keep_b) = mpsc::sync_channel(1);
    join(&room, 1, "A", a).expect("A joins an empty room");
    join(&room, 2, "B", b).expect("B joins");
    assert_eq!(
        who(&room),
        "* online: A, B\n",
        "`who` lists the members in order of joining"
    );
}

/// A member whose socket takes almost nothing: a tiny receive buffer, set before connecting, and it never
/// reads. Its name is `name`; returns once it has joined.
fn never_reading_member(room: &RoomServer, name: &str) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    socket.connect(&room.server.addr().into()).unwrap();
    let mut stream: TcpStream = test_support::with_timeouts(socket.into());
    room.expect(&mut stream, name, chat::WELCOME, "the first line");
    room.send(&mut stream, name, &format!("{name}\n"));
    room.line(&mut stream, name, "its `* online` line");
    stream
}

/// Alice sends `count` lines of about 1000 bytes, one at a time, and Bob must receive each one before she
/// sends the next: fails with `why` when Bob waits in vain.
fn alice_talks_bob_listens(
    room: &RoomServer,
    alice: &mut TcpStream,
    bob: &mut TcpStream,
    count: usize,
    why: &str,
) {
    let filler = "x".repeat(1000);
    for i in 0..count {
        room.send(alice, "Alice", &format!("{i} {filler}\n"));
        let expected = format!("Alice: {i} {filler}\n");
        match try_read_line(bob) {
            Ok(line) if line == expected => {}
            Ok(line) => panic!(
                "Bob should receive Alice's line {i}, but received {:?}",
                &line[..line.len().min(60)]
            ),
            Err(problem) => panic!(
                "Bob waited for Alice's line {i}, but {}: {why}\n  server side: {}",
                &problem[..problem.len().min(200)],
                room.server.state()
            ),
        }
    }
}

/// Step 3: `broadcast` offers each line to every other member's queue (never back to the sender), and each
/// member's writer thread (`write_queued`) writes its queue to its socket. The others hear `* NAME joined`,
/// then `Alice: hello`. And a member that never reads (Dave, with a tiny receive buffer) does not hold up
/// the others: Bob receives five thousand lines of Alice's (more than the kernel buffers hold) while Dave reads none.
#[test]
fn step_3_the_broadcast() {
    let room = RoomServer::start(RoomConfig::default());
    let (mut alice, _) = room.join("Alice");
    let (mut bob, _) = room.join("Bob");
    let why_joined = "every other member hears of a new one: `tell_others` offers the line to each member but the \
        sender, and `write_queued` writes each queued line to the socket";
    room.expect(&mut alice, "Alice", "* Bob joined\n", why_joined);
    room.send(&mut alice, "Alice", "hello\n");
    room.expect(
        &mut bob,
        "Bob",
        "Alice: hello\n",
        "a line goes to every other member as `NAME: TEXT`",
    );
    room.send(&mut alice, "Alice", "/who\n");
    room.expect(
        &mut alice,
        "Alice",
        "* online: Alice, Bob\n",
        "the answer to /who comes next: her own line \
        must not come back to her (skip the member whose id is `from`)",
    );
    let _dave = never_reading_member(&room, "Dave");
    room.expect(&mut alice, "Alice", "* Dave joined\n", why_joined);
    room.expect(&mut bob, "Bob", "* Dave joined\n", why_joined);
    alice_talks_bob_listens(
        &room,
        &mut alice,
        &mut bob,
        5000,
        "Dave reads nothing, so his queue is full and \
        his writer thread is blocked in `write`. If `broadcast` waits for his queue (`send` instead of \
        `try_send`, through `offer`), it waits holding the room's lock, and the whole room stops with him",
    );
}

/// Step 4: `leave` removes the member once and tells the others `* NAME left`, exactly once, whichever way
/// the member went: `/quit` (the server closes the connection), end of stream, or a reset. A name is free
/// again once its member has left.
#[test]
fn step_4_leaving() {
    let room = RoomServer::start(RoomConfig::default());
    let (mut alice, _) = room.join("Alice");
    for (name, how) in [
        ("Bob", "/quit"),
        ("Carol", "end of stream"),
        ("Dave", "a reset"),
    ] {
        let (mut member, _) = room.join(name);
        room.expect(
            &mut alice,
            "Alice",
            &format!("* {name} joined\n"),
            "a new member is announced",
        );
        match how {
            "/quit" => {
                room.send(&mut member, name, "/quit\n");
                match try_read_until_closed(&mut member) {
                    Ok(rest) => assert!(
                        rest.is_empty(),
                        "after /quit {name} should read end of stream, got {rest:?}"
                    ),
                    Err((_, err)) => panic!(
                        "after /quit the server should close {name}'s connection, but no end of stream came \
                         within {IO_TIMEOUT:?} ({err}). The session calls `leave`, then waits for the writer thread, which ends \
                         when the member's queue sender is dropped. If `leave` calls `broadcast` while it \
                         holds the lock, it waits for itself for ever (a `Mutex` is not reentrant): \
                         use `tell_others` with the guard you hold\n  server side: {}",
                        room.server.state()
                    ),
                }
            }
            "end of stream" => member.shutdown(Shutdown::Write).unwrap(),
            _ => reset(member).unwrap(),
        }
        room.expect(
            &mut alice,
            "Alice",
            &format!("* {name} left\n"),
            &format!(
                "{name} left by {how}: \
            `leave` removes the member from `members` and, under the same lock, tells the others \
            `protocol::left(name)` (`tell_others`)"
            ),
        );
        room.send(&mut alice, "Alice", "/who\n");
        room.expect(&mut alice, "Alice", "* online: Alice\n", &format!("{name} left by {how}, once: the next \
            line is the answer to /who, not a second `* {name} left` (`leave` does nothing when the member \
            is gone already: the reading thread and the writer thread may both call it)"));
    }
    let (_bob, online) = room.join("Bob");
    assert_eq!(
        online, "* online: Alice, Bob\n",
        "Bob's name is free again after he left"
    );
}

/// Step 5: the slow member. Slow has a tiny receive buffer and reads nothing while Alice sends five thousand
/// lines; Bob receives every one at once (with `--queue 8`). When Slow reads again, it receives
/// `* N messages skipped` before the newer lines, and nothing is lost without a word: the lines Slow
/// received plus the N of every such line are all the lines Alice sent.
#[test]
fn step_5_the_slow_member() {
    let room = RoomServer::start(RoomConfig {
        queue: 8,
        ..RoomConfig::default()
    });
    let (mut alice, _) = room.join("Alice");
    let (mut bob, _) = room.join("Bob");
    room.expect(
        &mut alice,
        "Alice",
        "* Bob joined\n",
        "a new member is announced",
    );
    let slow = never_reading_member(&room, "Slow");
    room.expect(
        &mut alice,
        "Alice",
        "* Slow joined\n",
        "a new member is announced",
    );
    room.expect(
        &mut bob,
        "Bob",
        "* Slow joined\n",
        "a new member is announced",
    );
    // More than the kernel buffers between the server and Slow hold (its send buffer grows to a few MB).
    let flood = 5000;
    alice_talks_bob_listens(
        &room,
        &mut alice,
        &mut bob,
        flood,
        "Slow reads nothing; the others must not wait for him",
    );

    // Slow reads again, on a thread; Alice sends one short line at a time until one reaches him.
    let (lines_tx, lines) = mpsc::channel();
    let mut reader = BufReader::new(slow);
    thread::spawn(move || {
        while let Ok(line) = test_support::try_read_line(reader.get_mut()) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut received = Vec::new();
    let mut sent = flood;
    while !received
        .iter()
        .any(|l: &String| l.starts_with("Alice: probe"))
    {
        assert!(
            sent < flood + 200,
            "Slow reads again, but none of Alice's newer lines reached him; received: {:?}",
            received.iter().rev().take(3).collect::<Vec<_>>()
        );
        room.send(&mut alice, "Alice", &format!("probe {sent}\n"));
        room.line(&mut bob, "Bob", "Alice's probe line");
        sent += 1;
        while let Ok(line) = lines.recv_timeout(Duration::from_millis(50)) {
            received.push(line);
        }
    }
    let notices: Vec<u64> = received
        .iter()
        .filter_map(|l| {
            l.strip_prefix("* ")?
                .strip_suffix(" messages skipped\n")?
                .parse()
                .ok()
        })
        .collect();
    let delivered = received.iter().filter(|l| l.starts_with("Alice: ")).count();
    assert!(
        !notices.is_empty(),
        "Slow missed {} of Alice's {sent} lines without a word: count each line a full \
        queue refuses (`TrySendError::Full`) in `member.skipped`, and offer `protocol::skipped(n)` first once \
        there is room",
        sent - delivered
    );
    assert_eq!(
        delivered as u64 + notices.iter().sum::<u64>(),
        sent as u64,
        "every line Alice sent reached Slow \
        or was counted in a `* N messages skipped` line: a skipped line that is not counted (or counted twice) \
        breaks this"
    );
    let first_notice = received
        .iter()
        .position(|l| l.ends_with(" messages skipped\n"))
        .unwrap();
    let first_probe = received
        .iter()
        .position(|l| l.starts_with("Alice: probe"))
        .unwrap();
    assert!(
        first_notice < first_probe,
        "`* N messages skipped` comes before the newer lines"
    );
}
