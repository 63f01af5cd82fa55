//! The exercise of lesson 02, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 2` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 2` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! The server runs on a thread, on a listener the test bound to `127.0.0.1:0`. Every socket here has a
//! timeout (`test_support::IO_TIMEOUT`), so a step that waits for something that never comes fails
//! within seconds instead of hanging. A failure says what the client saw and what the server side
//! (`serve` or `serve_client`) returned.

mod common;

use std::io::{ErrorKind, Write};
use std::net::Shutdown;
use std::time::Duration;

use common::{config_for, serve_result, start_server, start_session};
use single_server::{Config, SessionEnd};
use test_support::reset;

/// Step 1: `serve` accepts clients one after another and `serve_client` greets each one with the line
/// `Welcome`. Two clients come in turn; each reads `Welcome`, shuts down its sending side, and then reads
/// end of stream: the server closed the connection. With `max_clients: Some(2)`, `serve` returns `Ok(())`
/// after the second client.
#[test]
fn step_1_greet_each_client_in_turn() {
    let server = start_server(config_for(2));
    for who in ["the first client", "the second client"] {
        let mut client = server.connect("a client");
        assert_eq!(
            server.read_line(&mut client, who),
            "Welcome\n",
            "{who} should be greeted with exactly `Welcome` and a newline"
        );
        client.shutdown(Shutdown::Write).unwrap();
        let after = server.read_until_closed(&mut client, who);
        assert!(
            after.is_empty(),
            "{who} sent nothing, yet received {:?} after Welcome",
            String::from_utf8_lossy(&after)
        );
    }
    serve_result(&server).expect("serve should return Ok(()) after max_clients clients");
}

/// Step 2: after `Welcome`, `serve_client` answers each line `X` with `Hello, X!` (the given `hello` makes
/// that reply).
/// A line may end with `\r\n`; two lines that arrive in one write get two replies; the line `exit` ends the
/// session: the server closes the connection and `serve_client` returns `SessionEnd::ClientExit`. A client
/// that shuts down its sending side after a line gets its reply, then end of stream
/// (`SessionEnd::EndOfStream`).
#[test]
fn step_2_reply_hello_to_each_line() {
    let mut session = start_session(Config::default());
    assert_eq!(session.read_line("the greeting"), "Welcome\n");
    session.send(b"Alice\n", "the line `Alice`");
    assert_eq!(
        session.read_line("the line `Alice` gets its reply"),
        "Hello, Alice!\n"
    );
    session.send(b"Bob\r\n", "the line `Bob` ending in \\r\\n");
    assert_eq!(
        session.read_line("a line ending in \\r\\n gets its reply"),
        "Hello, Bob!\n",
        "a line ending in \\r\\n: remove the \\r too"
    );
    session.send(b"Carol\nDave\n", "two lines in one write");
    let context = "two lines arrived in one write: each gets its reply";
    assert_eq!(session.read_line(context), "Hello, Carol!\n", "{context}");
    let context = "after `Carol\\nDave\\n` in one write and the reply to `Carol`, the reply to `Dave` is \
         due. If it never comes: a `BufReader` reads ahead, and its one `read` took both lines while \
         `read_until` returned only the first, so `Dave` waits in its buffer; a new `BufReader` per line \
         drops the old one, and `Dave` with it. Make one `BufReader` before the loop and read every line \
         through it";
    assert_eq!(session.read_line(context), "Hello, Dave!\n", "{context}");
    session.send(b"exit\n", "the line `exit`");
    session.assert_closed("the line `exit`");
    session.assert_end(SessionEnd::ClientExit, "after the line `exit`");

    let mut session = start_session(Config::default());
    assert_eq!(session.read_line("the greeting"), "Welcome\n");
    session.send(b"Erin\n", "the line `Erin`");
    session.shutdown_write();
    let context =
        "after `Erin` the client shut down its sending side: its reply, then end of stream";
    assert_eq!(
        String::from_utf8_lossy(&session.read_until_closed(context)),
        "Hello, Erin!\n",
        "{context}"
    );
    session.assert_end(
        SessionEnd::EndOfStream,
        "after end of stream from the client",
    );
}

/// Step 3: a line may have at most `Config::max_line` bytes (here 16) before its `\n`. A line of exactly 16
/// bytes is answered; a line that is not UTF-8 gets `error: line is not UTF-8`, and the session goes on. A
/// longer line gets `error: line too long (max 16 bytes)`, and then the server closes the connection with
/// `close_politely` (`SessionEnd::LineTooLong`). The client of this test sends a 150 KB line without a
/// newline, all of it before it reads anything: most of it is still unread in the server's socket when the
/// server closes, and a plain drop would send a reset. The client must read the error line and then end of
/// stream (`Ok(0)`), never `ConnectionReset`. Last, `close_politely` on its own: a server that wrote more
/// than a slow client has read yet, with the client's bytes unread, closes politely, and the client
/// receives every byte, then end of stream. And a polite close ends whatever the client does: it stops
/// reading after `CLOSE_DRAIN_BYTES` from a client that sends four times that, and after
/// `CLOSE_DRAIN_TIME` (1 s: this part of the step takes that long) from a client that sends a byte every
/// 10 ms, or nothing, and never closes.
#[test]
fn step_3_cap_the_line_length() {
    let config = Config {
        max_line: 16,
        ..Config::default()
    };

    let mut session = start_session(config.clone());
    assert_eq!(session.read_line("the greeting"), "Welcome\n");
    session.send(b"sixteen-bytes-ok\n", "a line of 16 bytes");
    assert_eq!(
        session.read_line("a line of exactly max_line bytes is allowed"),
        "Hello, sixteen-bytes-ok!\n",
        "a line of exactly max_line bytes is allowed"
    );
    session.send(b"caf\xe9\n", "the line `caf\\xe9`");
    assert_eq!(
        session.read_line("`caf\\xe9` is Latin-1, not UTF-8: it gets an error line"),
        "error: line is not UTF-8\n",
        "`caf\\xe9` is Latin-1, not UTF-8"
    );
    session.send(b"Bob\n", "the line `Bob`");
    assert_eq!(
        session.read_line("after a line that is not UTF-8 the session goes on"),
        "Hello, Bob!\n",
        "after a line that is not UTF-8 the session goes on"
    );
    session.send(b"seventeen-bytes!!\n", "a line of 17 bytes");
    assert_eq!(
        session.read_line("a line of 17 bytes is one too many"),
        "error: line too long (max 16 bytes)\n"
    );
    session.assert_closed("the error line");
    session.assert_end(SessionEnd::LineTooLong, "after a line too long");

    // A client that sends 150 KB and never a newline, all of it before reading. Loopback's socket buffers
    // hold that much, so `send` returns although the server stops reading after 17 bytes.
    let mut session = start_session(config);
    assert_eq!(session.read_line("the greeting"), "Welcome\n");
    session.send(
        &vec![b'x'; 150 * 1024],
        "a 150 KB line without a newline (it fits in the socket buffers, so sending should not wait)",
    );
    assert_eq!(
        session.read_line(
            "the server must answer once more than max_line bytes came without a newline, not wait for one"
        ),
        "error: line too long (max 16 bytes)\n"
    );
    session.assert_closed("the error line, with most of the long line still unread by the server");
    session.assert_end(SessionEnd::LineTooLong, "after a 150 KB line");

    common::check_close_politely_delivers_everything();
    common::check_close_politely_stops_draining();
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
    let mut session = start_session(config);
    assert_eq!(session.read_line("the greeting"), "Welcome\n");
    session.send(b"Alice\n", "the line `Alice`");
    assert_eq!(
        session.read_line("the line `Alice` gets its reply"),
        "Hello, Alice!\n"
    );

    // Now the client says nothing. The test waits up to 3 s; the server should give up after 200 ms.
    let notice = session.read_line(
        "the client then says nothing: after 200 ms the server should send a line that starts with \
         `error: idle`",
    );
    assert!(
        notice.starts_with("error: idle"),
        "expected a line like `error: idle for 200ms, closing the connection`, got {notice:?}"
    );
    session.assert_closed("the idle notice");
    session.assert_end(SessionEnd::IdleTimeout, "after 200 ms of silence");
}

/// Step 5: a client that fails does not stop the server. A disconnect in the middle of a line is an error
/// (`serve_client` returns one of kind `UnexpectedEof`, and half a line gets no reply). Then, against
/// `serve`: the first client resets its connection in the middle of a line, the second disconnects in the
/// middle of a line; each error is reported on stderr, and the third client is greeted and answered.
/// Last, `accept` itself fails: the test puts the listener in non-blocking mode, where `accept` fails
/// with `WouldBlock` while no client is waiting. `serve` reports each failure, pauses and tries again, so
/// the client that comes once the listener blocks again is greeted.
#[test]
fn step_5_a_failing_client_does_not_stop_the_server() {
    let mut session = start_session(Config::default());
    assert_eq!(session.read_line("the greeting"), "Welcome\n");
    session.send(b"Ali", "half a line");
    session.shutdown_write();
    let after = session.read_until_closed("the client left in the middle of a line");
    assert!(
        after.is_empty(),
        "half a line is not a line: no reply expected, got {:?}",
        String::from_utf8_lossy(&after)
    );
    let err = session
        .end()
        .expect_err("a disconnect in the middle of a line should be an error, not a normal end");
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "got: {err}");

    let server = start_server(config_for(3));
    let mut first = server.connect("a client");
    assert_eq!(
        server.read_line(&mut first, "the first client"),
        "Welcome\n"
    );
    first.write_all(b"Ali").unwrap();
    reset(first).unwrap();

    let mut second = server.connect("a client");
    assert_eq!(
        server.read_line(&mut second, "the client after a reset"),
        "Welcome\n"
    );
    second.write_all(b"Bo").unwrap();
    second.shutdown(Shutdown::Write).unwrap();
    assert!(
        server
            .read_until_closed(&mut second, "the client that left in the middle of a line")
            .is_empty()
    );

    let mut third = server.connect("a client");
    assert_eq!(
        server.read_line(&mut third, "the client after a mid-line disconnect"),
        "Welcome\n"
    );
    third.write_all(b"Carol\nexit\n").unwrap();
    assert_eq!(
        server.read_line(&mut third, "the client after a mid-line disconnect"),
        "Hello, Carol!\n"
    );
    server.assert_closed(
        &mut third,
        "`Carol\\nexit\\n`, sent in one write (`exit` must not be lost with a `BufReader` made per line)",
    );
    serve_result(&server)
        .expect("serve should return Ok(()) after max_clients clients, even when some failed");

    common::check_serve_goes_on_after_failed_accepts();
}
