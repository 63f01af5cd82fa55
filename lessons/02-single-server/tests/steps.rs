//! The exercise of lesson 02, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 2` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 2` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! The server runs on a thread, on a listener the test bound to `127.0.0.1:0`. Every socket here has a
//! timeout (`shared::testing::IO_TIMEOUT`), so a step that waits for something that never comes fails
//! within seconds instead of hanging.

mod common;

use std::io::{ErrorKind, Write};
use std::net::Shutdown;
use std::thread;
use std::time::Duration;

use common::{ServerThread, assert_closed, config_for, start_session};
use shared::testing::{read_line, read_until_closed, reset};
use single_server::{Config, SessionEnd, hello};

/// Step 1: `serve` accepts clients one after another and `serve_client` greets each one with the line
/// `Welcome`. Two clients come in turn; each reads `Welcome`, shuts down its sending side, and then reads
/// end of stream: the server closed the connection. With `max_clients: Some(2)`, `serve` returns `Ok(())`
/// after the second client.
#[test]
fn step_1_greet_each_client_in_turn() {
    let server = ServerThread::start(config_for(2));
    for who in ["the first client", "the second client"] {
        let mut client = server.connect();
        assert_eq!(
            server.read_line(&mut client, who),
            "Welcome\n",
            "{who} should be greeted with exactly `Welcome` and a newline"
        );
        client.shutdown(Shutdown::Write).unwrap();
        let after = read_until_closed(&mut client);
        assert!(
            after.is_empty(),
            "{who} sent nothing, yet received {:?} after Welcome",
            String::from_utf8_lossy(&after)
        );
    }
    server
        .finish()
        .expect("serve should return Ok(()) after max_clients clients");
}

/// Step 2: after `Welcome`, `serve_client` answers each line `X` with `Hello, X!` (`hello` makes that reply).
/// A line may end with `\r\n`; two lines that arrive in one write get two replies; the line `exit` ends the
/// session: the server closes the connection and `serve_client` returns `SessionEnd::ClientExit`. A client
/// that shuts down its sending side after a line gets its reply, then end of stream
/// (`SessionEnd::EndOfStream`).
#[test]
fn step_2_reply_hello_to_each_line() {
    assert_eq!(hello("Alice"), "Hello, Alice!\n");

    let (mut client, session) = start_session(Config::default());
    assert_eq!(read_line(&mut client), "Welcome\n");
    client.write_all(b"Alice\n").unwrap();
    assert_eq!(read_line(&mut client), "Hello, Alice!\n");
    client.write_all(b"Bob\r\n").unwrap();
    assert_eq!(
        read_line(&mut client),
        "Hello, Bob!\n",
        "a line ending in \\r\\n: remove the \\r too"
    );
    client.write_all(b"Carol\nDave\n").unwrap();
    assert_eq!(read_line(&mut client), "Hello, Carol!\n");
    assert_eq!(
        read_line(&mut client),
        "Hello, Dave!\n",
        "two lines arrived in one write: each gets its reply"
    );
    client.write_all(b"exit\n").unwrap();
    assert_closed(&mut client, "the line `exit`");
    drop(client);
    assert_eq!(session.end().unwrap(), SessionEnd::ClientExit);

    let (mut client, session) = start_session(Config::default());
    assert_eq!(read_line(&mut client), "Welcome\n");
    client.write_all(b"Erin\n").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&read_until_closed(&mut client)),
        "Hello, Erin!\n",
        "after its reply, end of stream from the client ends the session"
    );
    drop(client);
    assert_eq!(session.end().unwrap(), SessionEnd::EndOfStream);
}

/// Step 3: a line may have at most `Config::max_line` bytes (here 16) before its `\n`. A line of exactly 16
/// bytes is answered; a longer one gets `error: line too long (max 16 bytes)` and then the server closes
/// the connection (`SessionEnd::LineTooLong`), even when the client goes on sending a megabyte without a
/// newline: the client must receive the error line, and then end of stream (or a reset). A line that is
/// not UTF-8 gets `error: line is not UTF-8`, and the session goes on.
#[test]
fn step_3_cap_the_line_length() {
    let config = Config {
        max_line: 16,
        ..Config::default()
    };

    let (mut client, session) = start_session(config.clone());
    assert_eq!(read_line(&mut client), "Welcome\n");
    client.write_all(b"sixteen-bytes-ok\n").unwrap();
    assert_eq!(
        read_line(&mut client),
        "Hello, sixteen-bytes-ok!\n",
        "a line of exactly max_line bytes is allowed"
    );
    client.write_all(b"caf\xe9\n").unwrap();
    assert_eq!(
        read_line(&mut client),
        "error: line is not UTF-8\n",
        "`caf\\xe9` is Latin-1, not UTF-8"
    );
    client.write_all(b"Bob\n").unwrap();
    assert_eq!(
        read_line(&mut client),
        "Hello, Bob!\n",
        "after a line that is not UTF-8 the session goes on"
    );
    client.write_all(b"seventeen-bytes!!\n").unwrap();
    assert_eq!(
        read_line(&mut client),
        "error: line too long (max 16 bytes)\n"
    );
    assert_closed(&mut client, "the error line");
    drop(client);
    assert_eq!(session.end().unwrap(), SessionEnd::LineTooLong);

    // A client that sends 1 MiB and never a newline. It writes on its own thread: the server stops reading
    // at some point, and a `write_all` that waits for it must not keep the test from reading.
    let (mut client, session) = start_session(config);
    assert_eq!(read_line(&mut client), "Welcome\n");
    let mut sender = client.try_clone().unwrap();
    let sending = thread::spawn(move || {
        // The server closes while this is still sending, so this write fails: that is expected.
        let _ = sender.write_all(&vec![b'x'; 1024 * 1024]);
    });
    assert_eq!(
        read_line(&mut client),
        "error: line too long (max 16 bytes)\n",
        "the server must answer once more than max_line bytes came without a newline, not wait for one"
    );
    assert_closed(&mut client, "the error line");
    drop(client);
    assert_eq!(session.end().unwrap(), SessionEnd::LineTooLong);
    sending.join().unwrap();
}

/// Step 4: a client that sends nothing for `Config::idle_timeout` (here 200 ms) is told so in a line that
/// starts with `error: idle`, and then the server closes the connection (`SessionEnd::IdleTimeout`). Until
/// then it is answered as usual.
#[test]
fn step_4_drop_idle_clients() {
    let config = Config {
        idle_timeout: Duration::from_millis(200),
        ..Config::default()
    };
    let (mut client, session) = start_session(config);
    assert_eq!(read_line(&mut client), "Welcome\n");
    client.write_all(b"Alice\n").unwrap();
    assert_eq!(read_line(&mut client), "Hello, Alice!\n");

    // Now the client says nothing. The test waits up to 3 s; the server should give up after 200 ms.
    let notice = read_line(&mut client);
    assert!(
        notice.starts_with("error: idle"),
        "expected a line like `error: idle for 200ms, closing the connection`, got {notice:?}"
    );
    assert_closed(&mut client, "the idle notice");
    drop(client);
    assert_eq!(session.end().unwrap(), SessionEnd::IdleTimeout);
}

/// Step 5: a client that fails does not stop the server. A disconnect in the middle of a line is an error
/// (`serve_client` returns one of kind `UnexpectedEof`, and half a line gets no reply). Then, against
/// `serve`: the first client resets its connection in the middle of a line, the second disconnects in the
/// middle of a line; each error is reported on stderr, and the third client is greeted and answered.
#[test]
fn step_5_a_failing_client_does_not_stop_the_server() {
    let (mut client, session) = start_session(Config::default());
    assert_eq!(read_line(&mut client), "Welcome\n");
    client.write_all(b"Ali").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let after = read_until_closed(&mut client);
    assert!(
        after.is_empty(),
        "half a line is not a line: no reply expected, got {:?}",
        String::from_utf8_lossy(&after)
    );
    drop(client);
    let err = session
        .end()
        .expect_err("a disconnect in the middle of a line should be an error, not a normal end");
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "got: {err}");

    let server = ServerThread::start(config_for(3));
    let mut first = server.connect();
    assert_eq!(
        server.read_line(&mut first, "the first client"),
        "Welcome\n"
    );
    first.write_all(b"Ali").unwrap();
    reset(first).unwrap();

    let mut second = server.connect();
    assert_eq!(
        server.read_line(&mut second, "the client after a reset"),
        "Welcome\n"
    );
    second.write_all(b"Bo").unwrap();
    second.shutdown(Shutdown::Write).unwrap();
    assert!(read_until_closed(&mut second).is_empty());

    let mut third = server.connect();
    assert_eq!(
        server.read_line(&mut third, "the client after a mid-line disconnect"),
        "Welcome\n"
    );
    third.write_all(b"Carol\nexit\n").unwrap();
    assert_eq!(read_line(&mut third), "Hello, Carol!\n");
    assert_closed(&mut third, "`exit`");
    server
        .finish()
        .expect("serve should return Ok(()) after max_clients clients, even when some failed");
}
