//! The exercise of lesson 03, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 3` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 3` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! The server runs on a thread, on a listener the test bound to `127.0.0.1:0`. Steps 1 to 3 never stop it
//! (you write the stop in step 4): the thread ends with the test program. Every socket here has a timeout
//! (`test_support::IO_TIMEOUT`), so a step that waits for something that never comes fails within
//! seconds instead of hanging. A failure says what the client saw and what `serve` had done.

mod common;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Server, config_for, read_closed_or_reset};
use shared::trace::{Trace, is_timeout};
use single_server::SessionEnd;
use test_support::{
    IO_TIMEOUT, describe_returned, reset, try_read_line, try_read_until_closed, with_timeouts,
};
use threaded_server::{BUSY_LINE, Clients, Config, answer};

/// Checks that `who`, a client over the bound, is told [`BUSY_LINE`] and then end of stream.
#[track_caller]
fn assert_turned_away(server: &Server, who: &str, why: &str) {
    let mut client = server.connect(who);
    let line = match try_read_line(&mut client) {
        Ok(line) => line,
        Err(problem) => panic!(
            "{who} ({why}) should be told {BUSY_LINE:?} at once, but {problem}. A client over the bound \
             must hear why, at once: not wait in the backlog, nor be closed without a word. Check for room \
             as soon as `accept` returns, and `turn_away` the client when there is none\n  server side: {}",
            server.state()
        ),
    };
    if line == "Welcome\n" {
        panic!(
            "{who} ({why}) should be told {BUSY_LINE:?}, but was welcomed: before spawning a client's \
             thread, take a place with `clients.admit(&stream, config.max_clients)`, and `turn_away` the \
             client when that says `Admission::Full`. The place is held as long as its `Seat` lives: move the \
             seat into the client's thread (`let _seat = seat;`, not `let _ = seat;`, which drops it at once), \
             so that it drops when the thread ends; and room means `online.len() < max`\n  server side: {}",
            server.state()
        );
    }
    assert_eq!(
        line, BUSY_LINE,
        "{who} ({why}) should be told exactly the busy line"
    );
    match try_read_until_closed(&mut client) {
        Ok(rest) => assert!(
            rest.is_empty(),
            "{who} ({why}) should receive end of stream after the busy line, but received {:?}",
            String::from_utf8_lossy(&rest)
        ),
        Err((_, err)) if is_timeout(&err) => panic!(
            "{who} ({why}) received the busy line, but then the connection stayed open for {IO_TIMEOUT:?}: \
             close it after the busy line (`turn_away` does)\n  server side: {}",
            server.state()
        ),
        Err((_, err)) => panic!(
            "{who} ({why}) received the busy line, then reading failed instead of end of stream: {:?}: \
             {err}\n  server side: {}",
            err.kind(),
            server.state()
        ),
    }
}

/// Sends `exit` and checks that the server closes the connection.
#[track_caller]
fn leave(server: &Server, client: &mut TcpStream, who: &str) {
    server.send(client, b"exit\n", who);
    server.assert_closed(
        client,
        &format!(
            "{who}'s `exit` (the connection closes when the server's last copy of the socket is dropped: \
             from step 2, the copy in the roster too, which the client's `Seat` removes in its `Drop`)"
        ),
    );
}

/// Step 1: `serve_with` gives each client a thread of its own (`thread::spawn`, with the stream moved into
/// the thread) and goes straight back to `accept`, so that one client does not hold up the others. Alice
/// connects, is welcomed, and says nothing. Meanwhile Bob and Carol connect: each is welcomed and answered
/// (`Hello, Bob!`, `Hello, Carol!`). Then Alice is answered too, and `exit` ends each session.
#[test]
fn step_1_a_thread_per_client() {
    let server = Server::start(Config::default());
    let mut alice = server.welcome("Alice", "the first client");

    let mut others = Vec::new();
    for who in ["Bob", "Carol"] {
        let mut client = server.connect(who);
        match try_read_line(&mut client) {
            Ok(line) => assert_eq!(line, "Welcome\n", "{who} should be greeted with `Welcome`"),
            Err(problem) => panic!(
                "{who} connected while Alice, welcomed, was saying nothing, and expected `Welcome`, but \
                 {problem}. An accept loop that runs the session itself (or waits for its thread with \
                 `join`) serves one client at a time, as in lesson 02: spawn a thread for each client \
                 (`thread::spawn(move || ...)`) and go straight back to `accept`\n  server side: {}",
                server.state()
            ),
        }
        others.push((who, client));
    }
    for (who, client) in others.iter_mut().rev() {
        assert_eq!(
            server.ask(client, who, who),
            format!("Hello, {who}!\n"),
            "{who} should be answered while Alice is still connected"
        );
    }
    assert_eq!(
        server.ask(&mut alice, "Alice", "Alice"),
        "Hello, Alice!\n",
        "Alice should be answered after her silence"
    );
    for (who, client) in &mut others {
        leave(&server, client, who);
    }
    leave(&server, &mut alice, "Alice");
}

/// Step 2: at most `config.max_clients` (here 2) are served at once. With Alice and Bob connected, Carol
/// gets exactly `busy, try again later` and a newline (`BUSY_LINE`), then end of stream, at once. A place
/// is given back when a client's thread ends, however its session ended: after Alice leaves with `exit`,
/// Dave is welcomed; after Bob resets his connection in the middle of a line (his session fails), Erin is
/// welcomed. With Dave and Erin connected, Frank is turned away again.
#[test]
fn step_2_at_most_max_clients_at_once() {
    let server = Server::start(config_for(2));
    let mut alice = server.welcome("Alice", "the first of at most 2 clients");
    let mut bob = server.welcome("Bob", "the second of at most 2 clients");
    assert_turned_away(
        &server,
        "Carol",
        "the third client, with 2 online and max_clients: 2",
    );
    assert_eq!(
        server.ask(&mut alice, "Alice", "Alice"),
        "Hello, Alice!\n",
        "Alice should still be served after Carol was turned away"
    );

    leave(&server, &mut alice, "Alice");
    let mut dave = server.welcome_again("Dave", "Alice has left with `exit`: her place is free");
    assert_eq!(server.ask(&mut dave, "Dave", "Dave"), "Hello, Dave!\n");

    server.send(&mut bob, b"Bo", "Bob");
    reset(bob).expect("resetting Bob's connection");
    let mut erin = server.welcome_again(
        "Erin",
        "Bob reset his connection in the middle of a line: his session failed, and his place is free",
    );
    assert_eq!(server.ask(&mut erin, "Erin", "Erin"), "Hello, Erin!\n");

    assert_turned_away(
        &server,
        "Frank",
        "with Dave and Erin online and max_clients: 2",
    );
    leave(&server, &mut dave, "Dave");
    leave(&server, &mut erin, "Erin");
}

/// Step 3: the threads share the roster of clients (`Clients`, behind a `Mutex`): `online()` is how many
/// are connected now, `served()` how many were admitted since the server started (a client turned away is
/// not served). The line `who` is answered `online: N, served: M` with those numbers (`answer`); any other
/// line still gets `Hello, X!`. Every client sees the same numbers, and a client that has left, with `exit`
/// or by a failed session, is no longer online. `counts()` reads both numbers under one lock: a client's
/// thread that calls it again and again while 100 more clients arrive (and none leaves) must always find
/// `online` equal to `served`.
#[test]
fn step_3_who_is_online() {
    let nobody = Clients::default();
    assert_eq!(
        (nobody.online(), nobody.served()),
        (0, 0),
        "a new `Clients` has nobody online and has served nobody"
    );
    assert_eq!(
        answer("who", &nobody),
        "online: 0, served: 0\n",
        "the line `who` should be answered with the counts"
    );
    assert_eq!(answer("Alice", &nobody), "Hello, Alice!\n");

    let server = Server::start(config_for(2));
    let mut alice = server.welcome("Alice", "the first client");
    assert_eq!(
        server.ask(&mut alice, "who", "Alice"),
        "online: 1, served: 1\n",
        "Alice is the only client, and the first"
    );
    let mut bob = server.welcome("Bob", "the second client");
    assert_eq!(
        server.ask(&mut bob, "who", "Bob"),
        "online: 2, served: 2\n",
        "Bob and Alice are online"
    );
    assert_eq!(
        server.ask(&mut alice, "who", "Alice"),
        "online: 2, served: 2\n",
        "Alice's thread and Bob's share one roster: Alice should see Bob too"
    );
    assert_turned_away(&server, "Carol", "the third client, with max_clients: 2");
    assert_eq!(
        server.ask(&mut alice, "who", "Alice"),
        "online: 2, served: 2\n",
        "Carol was turned away: she was not served (count a client when it is admitted)"
    );

    leave(&server, &mut bob, "Bob");
    server.who_until(
        &mut alice,
        "online: 1, served: 2\n",
        "online: 2, served: 2\n",
        "Alice, after Bob left with `exit`",
    );
    let mut dave = server.welcome_again("Dave", "Bob's place is free");
    assert_eq!(
        server.ask(&mut dave, "who", "Dave"),
        "online: 2, served: 3\n",
        "Dave is the third client served, and online with Alice"
    );
    server.send(&mut dave, b"Da", "Dave");
    reset(dave).expect("resetting Dave's connection");
    server.who_until(
        &mut alice,
        "online: 1, served: 3\n",
        "online: 2, served: 3\n",
        "Alice, after Dave reset his connection",
    );
    assert_eq!(server.ask(&mut alice, "Alice", "Alice"), "Hello, Alice!\n");
    leave(&server, &mut alice, "Alice");

    assert_counts_agree_while_clients_arrive();
}

/// How many clients arrive while the watcher of step 3's last check reads the counts: enough for the
/// accept loop to admit one between the two locks of a `counts` that locks twice, few enough to take a few
/// milliseconds.
const ARRIVALS: u64 = 100;

/// How many times step 3's last check tries, each time with a new server, before it concludes that the
/// counts agree. With two locks, nearly every first try already catches them disagreeing.
const TRIES: u32 = 5;

/// The session of step 3's last check. The server's first client's thread (the watcher) calls
/// `clients.counts()` again and again while [`ARRIVALS`] more clients are admitted and none leaves, so
/// `online` and `served` must be equal in every answer. It writes `watching`, then what it found:
/// `torn ONLINE SERVED READS` at the first pair that disagrees, or `agreed ONLINE SERVED READS` once every
/// client is in (or after a while). The other clients' threads hold their places until their client closes.
fn watch_counts(
    mut stream: TcpStream,
    _config: &Config,
    clients: &Clients,
    _trace: &Trace,
) -> io::Result<SessionEnd> {
    if clients.served() != 1 {
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        let _ = stream.read(&mut [0u8; 1]);
        return Ok(SessionEnd::EndOfStream);
    }
    stream.write_all(b"watching\n")?;
    let deadline = Instant::now() + IO_TIMEOUT / 2;
    let mut reads = 0u64;
    let verdict = loop {
        let (online, served) = clients.counts();
        reads += 1;
        if online as u64 != served {
            break format!("torn {online} {served} {reads}\n");
        }
        if served == ARRIVALS + 1 || (reads % 1024 == 0 && Instant::now() > deadline) {
            break format!("agreed {online} {served} {reads}\n");
        }
    };
    stream.write_all(verdict.as_bytes())?;
    Ok(SessionEnd::EndOfStream)
}

/// Step 3's last check: one client's thread reads `counts()` while many clients arrive (see
/// [`watch_counts`]); the two numbers must always agree.
fn assert_counts_agree_while_clients_arrive() {
    for _ in 0..TRIES {
        let server = Server::start_with(config_for(256), watch_counts);
        let mut watcher = server.connect("the watcher");
        assert_eq!(
            server.read_line(&mut watcher, "the watcher"),
            "watching\n",
            "the watcher's session (the test's own) should start"
        );
        let arrivals: Vec<TcpStream> = (0..ARRIVALS).map(|_| server.connect("a client")).collect();
        let verdict = server.read_line(&mut watcher, "the watcher");
        drop(arrivals);
        let words: Vec<&str> = verdict.split_whitespace().collect();
        match words[..] {
            ["agreed", ..] => {}
            ["torn", online, served, reads] => panic!(
                "`counts()` answered (online: {online}, served: {served}), a pair that never existed: no \
                 client had left, so every client served was online. (A client's thread called \
                 `clients.counts()` {reads} times while {ARRIVALS} clients arrived.) The two numbers come \
                 from two moments: `clients.online()` then `clients.served()` lock the roster twice, and \
                 the accept loop admitted clients in between. Lock once (`let roster = clients.lock();`) \
                 and read both numbers from that one guard"
            ),
            _ => panic!("the watcher's session wrote {verdict:?}, which this test does not expect"),
        }
    }
}

/// Step 4: `Stop::stop` makes `serve` return `Ok(summary)`. `serve`'s thread is blocked in `accept`, so
/// `stop` sets its flag and then wakes it by connecting to the server; the accept loop checks
/// `is_requested()` after every `accept` and leaves. Then it closes the listener (no new client is
/// welcomed), gives the clients still connected `config.grace` to finish, closes those still there after
/// it, joins every thread, and returns the summary. First Alice is in the middle of her session when the
/// stop comes: she is still answered, a client connecting after the stop is refused or at least never
/// welcomed, and once Alice sends `exit`, `serve` returns with `served: 1` (the stop's wake-up connection
/// is not a client) and `closed_at_stop: 0`. Then, with a grace of 200 ms and Ivan connected but idle,
/// `serve` returns with `closed_at_stop: 1`, and Ivan reads end of stream (or a reset).
#[test]
fn step_4_stop_cleanly() {
    // A grace far longer than the test: it must end when the last client leaves, not when the grace does.
    let server = Server::start(Config {
        grace: Duration::from_secs(30),
        ..Config::default()
    });
    let mut alice = server.welcome("Alice", "the first client");
    assert_eq!(server.ask(&mut alice, "Alice", "Alice"), "Hello, Alice!\n");
    server.stop();
    assert_eq!(
        server.ask(&mut alice, "Bob", "Alice, after the stop was requested,"),
        "Hello, Bob!\n",
        "during the grace period, a client connected before the stop is still served"
    );
    let late = TcpStream::connect_timeout(&server.addr(), IO_TIMEOUT).map(with_timeouts);
    leave(&server, &mut alice, "Alice");
    if let Ok(mut late) = late {
        if let Ok(line) = try_read_line(&mut late) {
            panic!(
                "a client that connected after the stop received {line:?}: after the stop, leave the accept \
                 loop (check `stop.is_requested()` right after `accept` returns) and close the listener"
            );
        }
    }
    let summary = server.finish(
        "after the stop, once Alice (the only client) had left with `exit`",
        "nobody is left, so there is no grace period (30 s) to wait for. Alice's `Seat` should `notify_all` \
         on `left` when it drops, so that `wait_until_empty` wakes up and sees the roster empty",
    );
    assert_eq!(
        summary.served, 1,
        "only Alice was served; the stop's wake-up connection is not a client: check \
         `stop.is_requested()` right after `accept` returns, before admitting ({summary:?})"
    );
    assert_eq!(
        summary.closed_at_stop, 0,
        "Alice left by herself within the grace period: nobody was closed at the stop ({summary:?})"
    );
    assert_eq!(summary.panicked, 0, "no thread panicked ({summary:?})");

    let server = Server::start(Config {
        grace: Duration::from_millis(200),
        ..Config::default()
    });
    let mut ivan = server.welcome("Ivan", "the first client");
    server.stop();
    let Some(outcome) = server.try_finish(IO_TIMEOUT) else {
        panic!(
            "after the stop, with Ivan connected but idle and a grace of 200 ms, serve should return, but \
             it has not after {IO_TIMEOUT:?}: {}",
            why_serve_goes_on(&server)
        );
    };
    let summary = match outcome {
        Ok(Ok(summary)) => summary,
        other => panic!(
            "after the stop, serve should return Ok(summary), but {}",
            describe_returned("serve", Some(&other))
        ),
    };
    if let Err(problem) = read_closed_or_reset(&mut ivan) {
        panic!(
            "Ivan was still connected after the grace period: the server should close his connection \
             (`shutdown(Shutdown::Both)` on the copy kept in the roster), but {problem}"
        );
    }
    assert_eq!(
        summary.closed_at_stop, 1,
        "Ivan was still connected when the grace period ended: closed_at_stop should be 1 ({summary:?})"
    );
    assert_eq!(summary.served, 1, "only Ivan was served ({summary:?})");
}

/// Why a stopped server has not returned: a new client tells whether the accept loop is still running.
fn why_serve_goes_on(server: &Server) -> String {
    let Ok(mut probe) = TcpStream::connect_timeout(&server.addr(), IO_TIMEOUT) else {
        return "its listener is closed, so it has left the accept loop; it is waiting for Ivan. Once \
                `wait_until_empty(config.grace)` returns `false`, shut the connections still online down \
                (`shut_down_all`: `shutdown(Shutdown::Both)` on each copy; dropping a copy does not close \
                the connection, the thread still has its own descriptor): their threads' reads return 0 \
                and they end, and then `join` returns"
            .into();
    };
    let _ = probe.set_read_timeout(Some(Duration::from_millis(500)));
    if try_read_line(&mut probe).is_ok_and(|line| line == "Welcome\n") {
        let _ = probe.write_all(b"exit\n");
        return "it still welcomes new clients: the accept loop did not see the stop. Check \
                `stop.is_requested()` right after `accept` returns, and `break`"
            .into();
    }
    if server.state().starts_with("serve returned") {
        return "it returned only when this test connected one more client. `accept` waits for a client \
                and nothing else: setting the flag does not wake it. After setting the flag, `stop()` must \
                connect to the server (`wake_addr`) itself"
            .into();
    }
    "its listener is still open but no client is welcomed: close it (`drop(listener)`) as soon as the \
     accept loop ends, then wait at most `config.grace` for the clients, shut the rest down \
     (`shut_down_all`) and `join` the threads"
        .into()
}
