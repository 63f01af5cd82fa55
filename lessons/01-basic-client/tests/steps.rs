//! The exercise of lesson 01, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 1` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 1` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! Every socket here has a timeout (`test_support::IO_TIMEOUT`), so a step that waits for something that
//! never comes fails within seconds instead of hanging.

use std::io::{self, ErrorKind, LineWriter, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use basic_client::{connect, receive_text, send_request};
use shared::trace::{Trace, Traced};
use test_support::fixtures::{EchoServer, FeedServer};
use test_support::{IO_TIMEOUT, SmallReads, read_until_closed, small_buffer_pair, with_timeouts};

/// An address on loopback where nothing listens: bind port 0, note the port, close the listener.
fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// How many bytes the `out` of [`receive_from`] takes per `write`.
const WRITE_SIZE: usize = 5;

/// A writer that takes at most [`WRITE_SIZE`] bytes per `write` and says so in its return value, as any
/// writer may (a pipe, a terminal, a socket): only `write_all` is sure to write everything.
#[derive(Default)]
struct ShortWrites(Vec<u8>);

impl Write for ShortWrites {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(WRITE_SIZE);
        self.0.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `receive_text` over a connection to `feed`, reading at most `read_size` bytes per read, into a
/// [`ShortWrites`], and returns what it wrote and what it returned.
fn receive_from(feed: &FeedServer, read_size: usize) -> (Vec<u8>, u64) {
    let stream = with_timeouts(TcpStream::connect(feed.addr()).unwrap());
    let mut out = ShortWrites::default();
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
    let out = out.0;
    assert!(
        out.len() >= count as usize,
        "receive_text read {count} bytes but wrote only {} to `out`, which here takes at most {WRITE_SIZE} \
         bytes per `write`, as any writer may: `write` returns how many bytes it took, and the rest were \
         lost. `write_all` calls `write` until everything is written. out holds {}",
        out.len(),
        shared::trace::Preview(&out)
    );
    (out, count)
}

/// Standard output, as the program has it: a `LineWriter`, which keeps a line until its newline comes,
/// or until `flush`. What it passes on is sent to the channel, for the test to see when it is shown.
struct Terminal(Sender<Vec<u8>>);

impl Write for Terminal {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The test may have stopped listening; the text is then of no interest to anyone.
        let _ = self.0.send(buf.to_vec());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Collects what `shown` brings until `want` is among it, for at most `limit`; returns all of it.
fn shown_within(shown: &Receiver<Vec<u8>>, want: &[u8], limit: Duration) -> Vec<u8> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    while !seen.windows(want.len()).any(|w| w == want) {
        let left = deadline.saturating_duration_since(Instant::now());
        match shown.recv_timeout(left) {
            Ok(bytes) => seen.extend_from_slice(&bytes),
            Err(_) => break,
        }
    }
    seen
}

/// A server that sends a prompt without a newline, as an interactive server does, and keeps the
/// connection open until the test sends on the returned channel (or for [`IO_TIMEOUT`]).
fn prompting_server(prompt: &'static [u8]) -> (SocketAddr, Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (close, closing) = mpsc::channel::<()>();
    thread::spawn(move || {
        let Ok((stream, _)) = test_support::accept_within(&listener, IO_TIMEOUT) else {
            return;
        };
        let _ = (&stream).write_all(prompt);
        let _ = closing.recv_timeout(IO_TIMEOUT);
    });
    (addr, close)
}

/// Step 1: `connect` tries the addresses in order and returns a stream connected to the first one that
/// accepts. When no address accepts, it returns the last error (here `ConnectionRefused`), not a panic.
/// Each attempt is reported with `trace.event`, as `connect ADDR` or `connect ADDR failed: ERROR`, so
/// `--trace` shows it.
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

    let (trace, log) = Trace::memory();
    let stream = connect(&[dead, live], IO_TIMEOUT, &trace)
        .expect("the first address refused; connect should have tried the second one");
    assert_eq!(stream.peer_addr().unwrap(), live);
    let traced = log.lines();
    let refused = format!("connect {dead} failed: ");
    assert!(
        traced.len() == 2
            && traced[0].starts_with(&refused)
            && traced[1] == format!("connect {live}"),
        "`--trace` shows each attempt of connect, and only connect can report it (there is no stream to \
         wrap yet). Trying {dead} (refused), then {live} (accepted), should trace \
         [\"{refused}<the error>\", \"connect {live}\"]: call `trace.event(format_args!(...))` once you \
         know how each attempt went. It traced {traced:?}"
    );

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
/// when a signal arrives): that error means "read again", not "stop". `out` takes at most 5 bytes per
/// `write`, as any writer may, and all of them must get there. And what arrived is shown at once: a
/// prompt without a newline (`Name? `) appears while the server waits for the answer, which takes a
/// `flush` of `out` (standard output keeps a line until its newline comes).
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

    // A prompt with no newline, from a server that then waits for the answer: standard output (a
    // `LineWriter`) shows it only when it is flushed.
    let (addr, close) = prompting_server(b"Name? ");
    let stream = with_timeouts(TcpStream::connect(addr).unwrap());
    let (terminal, shown) = mpsc::channel();
    let client = thread::spawn(move || receive_text(stream, LineWriter::new(Terminal(terminal))));
    let seen = shown_within(&shown, b"Name? ", IO_TIMEOUT);
    let _ = close.send(());
    // The server has closed: receive_text reads end of stream and returns (or its read times out).
    let _ = client.join();
    assert!(
        seen.ends_with(b"Name? "),
        "the server sent \"Name? \" (a prompt, no newline) and waited for the answer, but after {:?} the \
         terminal showed {}: `out` was a `LineWriter`, as standard output is, and it keeps a line until \
         its newline comes, or until it is flushed. Call `out.flush()` after writing what each read \
         returned, so that what arrives is shown as it arrives",
        IO_TIMEOUT,
        shared::trace::Preview(&seen)
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
    let stream = with_timeouts(TcpStream::connect(echo.addr()).unwrap());
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
