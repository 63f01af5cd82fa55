//! The exercise of lesson 01, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 1` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 1` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! Every socket here has a timeout (`test_support::IO_TIMEOUT`), so a step that waits for something that
//! never comes fails within seconds instead of hanging.

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use basic_client::{connect, receive_text, send_request};
use shared::trace::{Trace, Traced};
use test_support::fixtures::{EchoServer, FeedServer};
use test_support::{IO_TIMEOUT, SmallReads, read_until_closed, small_buffer_pair, with_timeouts};

/// An address on loopback where nothing listens: bind port 0, note the port, close the listener.
fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Runs `receive_text` over a connection to `feed`, reading at most `read_size` bytes per read, and
/// returns what it wrote and what it returned.
fn receive_from(feed: &FeedServer, read_size: usize) -> (Vec<u8>, u64) {
    let stream = with_timeouts(std::net::TcpStream::connect(feed.addr()).unwrap());
    let mut out = Vec::new();
    // The first read is interrupted, as by a signal: the answer is to read again, not to give up.
    let reader = SmallReads::new(stream, read_size).interrupt_first_read();
    let count = receive_text(reader, &mut out)
        .unwrap_or_else(|err| match err.kind() {
            ErrorKind::Interrupted => panic!(
                "receive_text returned the error `{err}`: an `Interrupted` error means no data was read \
                 because a signal arrived; read again instead of returning it"
            ),
            _ => panic!("receive_text returned an error: {err}"),
        });
    (out, count)
}

/// Step 1: `connect` tries the addresses in order and returns a stream connected to the first one that
/// accepts. When no address accepts, it returns the last error (here `ConnectionRefused`), not a panic.
#[test]
fn step_1_connect_to_the_first_address_that_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let live = listener.local_addr().unwrap();
    let dead = closed_port();

    let stream = connect(&[live], IO_TIMEOUT, &Trace::off())
        .expect("connecting to a listening server failed");
    assert_eq!(
        stream.peer_addr().unwrap(),
        live,
        "the stream is connected to the wrong address"
    );

    let stream = connect(&[dead, live], IO_TIMEOUT, &Trace::off())
        .expect("the first address refused; connect should have tried the second one");
    assert_eq!(stream.peer_addr().unwrap(), live);

    let err = connect(&[dead], IO_TIMEOUT, &Trace::off())
        .expect_err("nothing listens there, yet connect succeeded");
    assert_eq!(
        err.kind(),
        ErrorKind::ConnectionRefused,
        "expected the connect error itself, got: {err}"
    );

    assert!(
        connect(&[], IO_TIMEOUT, &Trace::off()).is_err(),
        "no addresses at all must be an error"
    );
}

/// Step 2: `receive_text` reads until the server closes the connection (`read` returns `Ok(0)`), writes
/// everything to `out` and returns the number of bytes read. The feed arrives in several writes, and here
/// 7 bytes per read: one read is not one message. The first read fails with `ErrorKind::Interrupted` (as
/// when a signal arrives): that error means "read again", not "stop".
#[test]
fn step_2_read_until_the_server_closes() {
    let lines = ["Welcome\n", "line two\n", "and a third, longer line\n"];
    let feed = FeedServer::start(lines);
    let expected = lines.concat();

    let (out, count) = receive_from(&feed, 7);
    assert!(
        out.len() <= expected.len() || !out.contains(&0),
        "out holds {} bytes where the server sent {}, zeros among them: did you write the whole buffer \
         instead of only the bytes this read returned (buf[..n])? out begins {}",
        out.len(),
        expected.len(),
        shared::trace::Preview(&out)
    );
    assert_eq!(
        String::from_utf8_lossy(&out),
        expected,
        "out should hold every byte the server sent, in order (did you write only buf[..n]?)"
    );
    assert_eq!(
        count,
        expected.len() as u64,
        "the return value is the number of bytes read"
    );
}

/// Step 3: `receive_text` writes valid UTF-8 even when a character's bytes arrive in two different reads
/// (here, one byte per read), and writes bytes that are not UTF-8 as U+FFFD (the replacement character).
/// A character cut short by the end of the stream is written as one U+FFFD too.
#[test]
fn step_3_decode_utf8_split_across_reads() {
    // "é" is 2 bytes, "☕" 3, "🦀" 4: the feed cuts each of them between two writes.
    let text = "café ☕ 🦀\n";
    let bytes = text.as_bytes();
    let feed = FeedServer::start([&bytes[..4], &bytes[4..9], &bytes[9..13], &bytes[13..]]);
    let (out, count) = receive_from(&feed, 1);
    assert_eq!(count, bytes.len() as u64);
    assert_eq!(
        String::from_utf8_lossy(&out),
        text,
        "a character split across reads was corrupted: keep the first bytes until the rest arrives"
    );

    let feed = FeedServer::start([&b"ok \xff\xfe ok\n"[..]]);
    let (out, _) = receive_from(&feed, 4096);
    let out = String::from_utf8(out).expect("out must always be valid UTF-8");
    assert_eq!(
        out, "ok \u{fffd}\u{fffd} ok\n",
        "each invalid byte becomes one U+FFFD"
    );

    // The server closes after the first byte of "é": that character will never be completed.
    let feed = FeedServer::start([&b"caf\xc3"[..]]);
    let (out, _) = receive_from(&feed, 4096);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "caf\u{fffd}",
        "the bytes of a character cut short by the end of the stream are written as one U+FFFD, not dropped"
    );
}

/// Step 4: `send_request` sends the whole request and then shuts down the sending side. The echo server
/// sends back what it receives and closes only when it reads end of stream, so the test gets the request
/// back and then end of stream, instead of waiting until its timeout. When the request cannot all be sent
/// (a server that never reads, and a write timeout), `send_request` returns the error instead of `Ok`.
#[test]
fn step_4_send_everything_then_half_close() {
    let echo = EchoServer::start();
    let stream = with_timeouts(std::net::TcpStream::connect(echo.addr()).unwrap());
    let (trace, log) = Trace::memory();
    let mut stream = Traced::new(stream, trace);
    let request: Vec<u8> = (0..20_000u32)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .take(64 * 1024)
        .collect();

    send_request(&mut stream, &request).expect("send_request failed");
    let echoed = read_until_closed(&mut stream);
    assert_eq!(
        echoed.len(),
        request.len(),
        "the server did not echo the whole request back: {} of {} bytes came back. Did every byte go out \
         (`write_all`, not one `write`)? And did send_request shut down only the sending direction \
         (`Shutdown::Write`)? `Shutdown::Both` also closes the reading one, so the echo cannot be read",
        echoed.len(),
        request.len()
    );
    assert!(
        echoed == request,
        "the server received the request's bytes out of order or changed"
    );
    assert!(
        log.lines().iter().any(|line| line == "shutdown(Write)"),
        "use the wrapper's `shutdown`, so --trace shows it; the trace was: {:?}",
        log.lines()
    );
    let mut after = [0u8; 1];
    assert_eq!(
        stream.read(&mut after).unwrap(),
        0,
        "after the server closed, reads return Ok(0)"
    );

    // A server that does not read, tiny socket buffers and a write timeout: the request cannot all be
    // sent. A single `write` takes what fits and returns Ok(how much); `send_request` must not say Ok.
    let (client, _server_never_reads) = small_buffer_pair();
    client
        .set_write_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut client = Traced::new(client, Trace::off());
    let result = send_request(&mut client, &vec![b'x'; 512 * 1024]);
    assert!(
        result.is_err(),
        "send_request returned Ok, yet the server cannot have received all of the 512 KiB request: one \
         `write` may take less than it is given (its return value says how much). Which method keeps writing?"
    );
}
