//! The classic client bugs of lesson 01, happening for real on loopback.
//!
//! Each test shows what the operating system actually does, so that the rules in the chapter ("loop until
//! `Ok(0)`", "use `write_all`", "half-close after the request") are facts you can watch, not folklore.
//! Code marked BROKEN ON PURPOSE is the naive version; never copy it.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use socket2::SockRef;
use test_support::fixtures::{EchoServer, FeedServer};
use test_support::{IO_TIMEOUT, SmallReads, connect, read_until_closed, small_buffer_pair};

/// "Connection refused" is an answer, not silence: the machine at that address replied with a reset
/// because no socket listens on the port. It comes back at once, as an error of its own kind, and never as
/// a timeout, even though this connect would have waited up to `IO_TIMEOUT`.
#[test]
fn connection_refused_comes_back_at_once() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // The listener is dropped: nothing listens on `addr` any more.
    let err = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .expect_err("nothing listens, yet connect succeeded");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "got {err}");
}

/// End of stream is not an error: once the peer has closed, `read` returns `Ok(0)`, and it keeps
/// returning `Ok(0)` on every later call. A loop that only stops on errors spins forever right here.
#[test]
fn end_of_stream_is_ok_zero_every_time() {
    let feed = FeedServer::start(["bye\n"]);
    let mut stream = connect(feed.addr());
    assert_eq!(read_until_closed(&mut stream), b"bye\n");
    let mut buf = [0u8; 16];
    for _ in 0..3 {
        assert_eq!(
            stream.read(&mut buf).unwrap(),
            0,
            "after the peer closed, read keeps returning Ok(0)"
        );
    }
}

/// A multi-byte character can arrive in two reads. Decoding each read on its own, like Python's
/// `sock.recv(1024).decode(errors="replace")` in a loop, turns both halves into U+FFFD.
#[test]
fn decoding_each_read_alone_corrupts_split_characters() {
    let text = "café\n";
    let bytes = text.as_bytes();
    // "é" is the two bytes C3 A9: the feed writes them separately, and the reader gets one byte per read.
    let feed = FeedServer::start([&bytes[..4], &bytes[4..]]);
    let mut reader = SmallReads::new(connect(feed.addr()), 1);

    // BROKEN ON PURPOSE: every read decoded as if it were complete text.
    let mut decoded = String::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        decoded.push_str(&String::from_utf8_lossy(&buf[..n]));
    }

    assert_eq!(
        decoded, "caf\u{fffd}\u{fffd}\n",
        "the split 'é' became two replacement characters"
    );
}

/// A server that answers "when the request is complete" can only know it is complete when it reads end of
/// stream. Without `shutdown(Write)`, the client waits for the server and the server waits for the client:
/// here the echo server has sent back everything, and yet it never closes until the client half-closes.
#[test]
fn without_a_half_close_the_server_waits_forever() {
    let echo = EchoServer::start();
    let mut stream = connect(echo.addr());
    stream.write_all(b"ping\n").unwrap();

    let mut echoed = [0u8; 5];
    stream.read_exact(&mut echoed).unwrap();
    assert_eq!(&echoed, b"ping\n");

    // Long enough to see that nothing else is coming; the server is waiting, not slow.
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let err = stream
        .read(&mut [0u8; 16])
        .expect_err("the server closed although the request never ended");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "got {err}"
    );

    // The fix: say the request is over. The server reads Ok(0), closes, and so do we.
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        stream.read(&mut [0u8; 16]).unwrap(),
        0,
        "after the half-close, the server closes"
    );
}

/// `write` takes what fits in the socket's buffers and returns how much that was, which can be less than it
/// was given. Here the peer does not read, the buffers are small, and a write timeout ends the wait: `write`
/// returns `Ok(n)` with `n` smaller than the buffer, not an error. Code that ignores `n` loses the rest;
/// `write_all` loops (and reports the timeout as an error instead).
#[test]
fn write_may_take_less_than_it_was_given() {
    // Small buffers on both sides (set before the connection exists, so the kernel cannot grow them), so
    // that a few hundred kilobytes are more than the connection can hold. The server side never reads.
    let (mut client, _server) = small_buffer_pair();

    client
        .set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let data = vec![b'x'; 512 * 1024];
    let written = client
        .write(&data)
        .expect("a write that could send something returns Ok(n)");
    assert!(
        written > 0 && written < data.len(),
        "write took {written} of {} bytes",
        data.len()
    );
    let send_buffer = SockRef::from(&client).send_buffer_size().unwrap();
    eprintln!(
        "write took {written} of {} bytes (send buffer: {send_buffer} bytes)",
        data.len()
    );

    // write_all does not stop at a short write: it keeps going until the timeout fails it.
    let err = client
        .write_all(&data)
        .expect_err("the peer never reads, so write_all cannot finish");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "got {err}"
    );
}
