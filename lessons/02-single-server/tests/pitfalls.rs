//! The classic bugs of a first TCP server, happening on loopback. Each test shows one and says what to do
//! instead; the chapter's "Pitfalls" section names them. They assert what happened, never how long it took.
//!
//! Run them with `cargo test -p single-server --test pitfalls`.

mod common;

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use common::{
    assert_closed, config_for, fill_send_buffer, read_to_the_end, serve_result, slow_reader,
    start_server, wait_until_received,
};
use shared::trace::{Trace, is_timeout};
use single_server::{Config, Line, read_line as read_capped_line, serve_client};
use test_support::{
    IO_TIMEOUT, ServerThread, connect, read_line, read_until_closed, reset, with_timeouts,
};

/// A client and the server's end of the same connection, both with timeouts.
fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = connect(listener.local_addr().unwrap());
    let (server, _) = listener.accept().unwrap();
    (client, with_timeouts(server))
}

/// A second client's `connect` succeeds at once, although the server is busy with the first one: the
/// kernel completes the handshake by itself and queues the connection in the listen backlog. But the
/// second client gets no `Welcome` until the first one leaves, because only then does the server call
/// `accept` again. From outside, a busy one-at-a-time server looks like a server that hangs. Lesson 03
/// serves clients at the same time.
#[test]
fn a_second_client_is_connected_but_not_greeted_until_the_first_leaves() {
    let server = start_server(config_for(2));
    let mut first = server.connect("a client");
    assert_eq!(read_line(&mut first), "Welcome\n");

    let mut second = server.connect("a client");
    // However long we waited here, nothing could come: the server is in `read`, waiting for `first`.
    second
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut byte = [0u8; 1];
    let waited = second
        .read(&mut byte)
        .expect_err("the second client was greeted while the first one was still being served");
    assert!(is_timeout(&waited), "expected a timeout, got {waited}");

    first.write_all(b"exit\n").unwrap();
    assert_closed(&mut first, "`exit`");
    second.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    assert_eq!(
        read_line(&mut second),
        "Welcome\n",
        "once the first client has gone, the server accepts and greets the second"
    );
    second.shutdown(Shutdown::Write).unwrap();
    assert!(read_until_closed(&mut second).is_empty());
    serve_result(&server).unwrap();
}

/// The client writes `Alice\n`, then `Bob\n`: two `write` calls. The server's single `read` returns both:
/// TCP delivers a stream of bytes, not the writes (or the lines) it was given. A server that takes one read
/// for one line answers `Hello, Alice\nBob\n!`. Here the server waits (with `peek`) until every byte has
/// arrived, so it happens every time; on a real network it happens when it likes, and one line can also
/// arrive in several reads. `read_line` finds the lines whatever the reads: a `BufReader` keeps what comes
/// after the first `\n` for the next call.
#[test]
fn two_writes_can_arrive_as_one_read() {
    let (mut client, mut server) = connected_pair();
    client.write_all(b"Alice\n").unwrap();
    client.write_all(b"Bob\n").unwrap();

    wait_until_received(&server, 10);
    let mut buf = [0u8; 1024];
    let n = server.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"Alice\nBob\n", "one read returned both writes");

    let mut lines = &buf[..n];
    assert_eq!(
        read_capped_line(&mut lines, 100).unwrap(),
        Line::Complete(b"Alice".to_vec())
    );
    assert_eq!(
        read_capped_line(&mut lines, 100).unwrap(),
        Line::Complete(b"Bob".to_vec())
    );
    assert_eq!(
        read_capped_line(&mut lines, 100).unwrap(),
        Line::EndOfStream
    );
}

/// When the peer has closed its sending side, `read` returns `Ok(0)`: not an error, and not only once.
/// Every later read returns `Ok(0)` again, at once. A loop that stops only on an error
/// (`while let Ok(n) = stream.read(&mut buf)`, without checking for 0) never ends: it spins at 100% CPU.
/// `Ok(0)` must end it (in `read_line`, it is `Line::EndOfStream`).
#[test]
fn end_of_stream_is_ok_zero_again_and_again() {
    let (mut client, server) = connected_pair();
    client.write_all(b"Alice\n").unwrap();
    client.shutdown(Shutdown::Write).unwrap();

    let mut reader = BufReader::new(&server);
    let mut line = Vec::new();
    assert_eq!(reader.read_until(b'\n', &mut line).unwrap(), 6);
    for _ in 0..3 {
        assert_eq!(
            reader.read_until(b'\n', &mut line).unwrap(),
            0,
            "end of stream is Ok(0), every time"
        );
    }
    let mut buf = [0u8; 16];
    for _ in 0..3 {
        assert_eq!((&server).read(&mut buf).unwrap(), 0);
    }
    assert_eq!(
        read_capped_line(&mut reader, 100).unwrap(),
        Line::EndOfStream
    );
}

/// BROKEN ON PURPOSE, do not copy: the accept loop everyone writes first. `?` on a client's error returns
/// from the loop, which drops the listener: one client's reset ends the whole server.
fn broken_serve_with_question_marks(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept()?;
        // BUG: a client's error is not the server's error. The lesson's `serve` reports it and goes on.
        serve_client(stream, &Config::default(), &Trace::off())?;
    }
}

/// A client that resets its connection (what a crashed or killed program does) makes `serve_client` fail
/// with `ConnectionReset`. In the broken loop above, `?` turns that into the end of the server: it returns
/// the error, the listener is closed, and the next client is refused.
#[test]
fn one_reset_kills_a_server_that_uses_question_mark_on_client_errors() {
    let server = ServerThread::tcp(broken_serve_with_question_marks);
    let addr = server.addr();
    let mut client = server.connect("a client");
    assert_eq!(read_line(&mut client), "Welcome\n");
    client.write_all(b"Ali").unwrap();
    reset(client).unwrap();

    let died = serve_result(&server)
        .expect_err("the broken server should have stopped with the client's error");
    assert_eq!(died.kind(), ErrorKind::ConnectionReset, "got: {died}");
    let refused = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .expect_err("nobody listens any more, yet connect succeeded");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
}

/// The same broken loop dies on a client that closes in the middle of a line: `serve_client` reports that
/// as `UnexpectedEof`, and `?` passes it up.
#[test]
fn a_mid_line_disconnect_kills_a_server_that_uses_question_mark_on_client_errors() {
    let server = ServerThread::tcp(broken_serve_with_question_marks);
    let mut client = server.connect("a client");
    assert_eq!(read_line(&mut client), "Welcome\n");
    client.write_all(b"Ali").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    assert!(read_until_closed(&mut client).is_empty());

    let died = serve_result(&server)
        .expect_err("the broken server should have stopped with the client's error");
    assert_eq!(died.kind(), ErrorKind::UnexpectedEof, "got: {died}");
}

/// The lesson's `serve` meets the same two clients, reports each on stderr, and greets the next one.
#[test]
fn the_lessons_server_survives_a_reset_and_a_mid_line_disconnect() {
    let server = start_server(config_for(3));
    let mut resets = server.connect("a client");
    assert_eq!(read_line(&mut resets), "Welcome\n");
    resets.write_all(b"Ali").unwrap();
    reset(resets).unwrap();

    let mut leaves = server.connect("a client");
    assert_eq!(read_line(&mut leaves), "Welcome\n");
    leaves.write_all(b"Bo").unwrap();
    leaves.shutdown(Shutdown::Write).unwrap();
    assert!(read_until_closed(&mut leaves).is_empty());

    let mut next = server.connect("a client");
    assert_eq!(read_line(&mut next), "Welcome\n");
    next.write_all(b"Carol\nexit\n").unwrap();
    assert_eq!(read_line(&mut next), "Hello, Carol!\n");
    assert_closed(&mut next, "`exit`");
    serve_result(&server).unwrap();
}

/// A server that closes a connection while bytes from the client are still unread in its receive buffer
/// does not send FIN: the kernel aborts the connection with a reset (RST). Here the client sends two lines;
/// the server reads the first, answers it, and closes with `Bob\n` unread. On Linux the client still reads
/// the reply, which had arrived before the reset; then, instead of end of stream, its next read fails with
/// `ConnectionReset` (and reads after that return `Ok(0)`). A client that is still sending gets an error
/// from `write` and may give up before it reads the reply; on Windows, the reset also throws away what the
/// client had received but not read yet.
#[cfg(target_os = "linux")]
#[test]
fn closing_with_unread_input_sends_a_reset() {
    let (mut client, mut server) = connected_pair();
    client.write_all(b"Alice\nBob\n").unwrap();
    wait_until_received(&server, 10);
    let mut first_line = [0u8; 6];
    server.read_exact(&mut first_line).unwrap();
    server.write_all(b"Hello, Alice!\n").unwrap();
    drop(server);

    let mut buf = [0u8; 64];
    let n = client.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"Hello, Alice!\n");
    let err = client
        .read(&mut buf)
        .expect_err("expected a reset, not a normal end of stream");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "got: {err}");
    assert_eq!(
        client.read(&mut buf).unwrap(),
        0,
        "after the reset, reads return Ok(0)"
    );
}

/// Worse: a reset throws away what the closing side had written but not sent yet. When the client is slow
/// to read (here it reads nothing until the server has closed, and its receive buffer is small), much of
/// what the server wrote is still in the server's send buffer when it closes with unread input. All of
/// that is lost: the client receives part of the data, then `ConnectionReset`. This is how a server's last
/// line (an error message, say) goes missing.
#[test]
fn a_reset_destroys_what_had_not_been_sent_yet() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = slow_reader(&listener);
    let (mut server, _) = listener.accept().unwrap();
    client.write_all(b"Alice\n").unwrap();
    wait_until_received(&server, 6);

    let written = fill_send_buffer(&mut server);
    drop(server);

    let (received, end) = read_to_the_end(&mut client);
    assert!(
        received < written,
        "all {written} bytes arrived, yet the server closed with unread input"
    );
    let err = end.expect_err("expected a reset, not a normal end of stream");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "got: {err}");
}

/// The fix, `close_politely`, in the same situation: `shutdown(Write)` queues FIN after the data, then the
/// server reads (and throws away) the client's unread bytes until the client closes too. The client
/// receives every byte, then end of stream.
#[test]
fn close_politely_delivers_everything_then_end_of_stream() {
    common::check_close_politely_delivers_everything();
}
