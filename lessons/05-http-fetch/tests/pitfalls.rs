//! The classic bugs of a hand-written HTTP client (and server), happening for real on loopback.
//!
//! Each comes from the Python tutorial's way of reading a response: `s.recv(4096)` once, or
//! `while True: data = s.recv(4096)` until it returns `b""`, then `head, body = data.split(b"\r\n\r\n", 1)`.
//! Each test shows the naive code going wrong on a real socket and asserts what actually happened, then
//! shows the lesson's `read_head`, `framing` and `copy_body` getting the same bytes right. Code marked
//! BROKEN ON PURPOSE is the naive version; never copy it.
//!
//! Run them with `cargo test -p http-fetch --test pitfalls`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use http_fetch::{Framing, Head, Method, copy_body, framing, parse_url, read_head, request_head};
use shared::trace::is_timeout;
use test_support::fixtures::{AfterResponse, CannedServer};
use test_support::{IO_TIMEOUT, connect, with_timeouts};

/// Connects to `addr` (with `IO_TIMEOUT` on every read and write) and sends the lesson's `GET /` request.
fn send_get(addr: SocketAddr) -> TcpStream {
    let mut stream = connect(addr);
    let url = parse_url(&format!("http://{addr}/")).unwrap();
    stream
        .write_all(&request_head(Method::Get, &url))
        .expect("sending the request");
    stream
}

/// The lesson's way: the head through a `BufReader`, then exactly the body the head announces, from the
/// same reader.
#[track_caller]
fn fetch_body(reader: &mut impl BufRead) -> (Head, Vec<u8>) {
    let head = read_head(reader).expect("reading the head");
    let framing = framing(Method::Get, &head).expect("the head's framing");
    let mut body = Vec::new();
    copy_body(reader, framing, &mut body).expect("copying the body");
    (head, body)
}

/// `len` bytes that are not all alike, so that a piece lost or out of place shows in a comparison.
fn patterned(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// A server for one connection that reads the request head, then writes `pieces`, the first at once and
/// each of the others only when the test says `go` (one message per piece), so that the test knows
/// exactly which bytes have been sent when its client reads. Afterwards it waits for the client to
/// close (within `IO_TIMEOUT`).
struct StepServer {
    addr: SocketAddr,
    go: Sender<()>,
    thread: JoinHandle<()>,
}

impl StepServer {
    fn start(pieces: Vec<Vec<u8>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (go, gate): (Sender<()>, Receiver<()>) = mpsc::channel();
        let thread = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut stream = with_timeouts(stream);
            // Each piece leaves as it is written, instead of waiting to be merged with the next one.
            stream.set_nodelay(true).unwrap();
            read_request(&mut stream);
            for (i, piece) in pieces.iter().enumerate() {
                if i > 0 && gate.recv_timeout(IO_TIMEOUT).is_err() {
                    return;
                }
                if stream.write_all(piece).is_err() {
                    return;
                }
            }
            let _ = stream.read(&mut [0u8; 64]);
        });
        StepServer { addr, go, thread }
    }

    /// Lets the server write its next piece.
    fn go(&self) {
        self.go.send(()).expect("the server thread has stopped");
    }

    fn join(self) {
        drop(self.go);
        self.thread.join().expect("the server thread panicked");
    }
}

/// Reads a request head up to and including its blank line, whatever the pieces it arrives in: the loop a
/// server needs (`while b"\r\n\r\n" not in data: data += conn.recv(1024)`).
fn read_request(stream: &mut impl Read) -> Vec<u8> {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).expect("reading the request");
        assert!(
            n > 0,
            "the connection closed in the middle of the request: {request:?}"
        );
        request.extend_from_slice(&buf[..n]);
    }
    request
}

/// `read_to_end` (Python's `while True: chunk = s.recv(4096); if not chunk: break`) reads until the server
/// closes the connection. An HTTP/1.1 server keeps the connection open after its response, for the next
/// request: here the whole response, `Content-Length` and all, has arrived, and `read_to_end` still waits,
/// until the read timeout (300 ms) fails it. Without a timeout it would wait for ever. The lesson's
/// client stops where the head says the body ends, without waiting for anything.
#[test]
fn read_to_end_hangs_on_a_keep_alive_connection() {
    let response = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";
    let server = CannedServer::respond(&response[..])
        .then(AfterResponse::Hang)
        .start();

    // BROKEN ON PURPOSE: read until the server closes.
    let mut stream = send_get(server.addr());
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut everything = Vec::new();
    let err = stream
        .read_to_end(&mut everything)
        .expect_err("read_to_end returned although the server never closed");
    assert!(
        is_timeout(&err),
        "read_to_end should fail with a timeout, not {:?}: {err}",
        err.kind()
    );
    assert_eq!(
        everything, response,
        "the whole response had arrived before the timeout"
    );
    // Closing lets the server (which serves one connection at a time) take the next one.
    drop(stream);

    // The fix: the head says where the body ends.
    let stream = send_get(server.addr());
    let (head, body) = fetch_body(&mut BufReader::new(&stream));
    assert_eq!(framing(Method::Get, &head).unwrap(), Framing::Length(6));
    assert_eq!(body, b"hello\n");
}

/// TCP delivers a stream of bytes, not the writes that made it. A client that writes its request line by
/// line (with Nagle's delay off, as many do) sends several segments; a server that calls `read` once, like
/// Python's `conn.recv(1024)`, gets whatever has arrived: here only the request line, without the headers
/// or the blank line that ends the request. The server has to read until it has the blank line.
///
/// The test makes the split certain: the client writes its first line, waits until the server's one read
/// has returned, and only then writes the rest.
#[test]
fn a_request_split_across_packets_arrives_in_pieces() {
    let lines: [&[u8]; 5] = [
        b"GET /index.html HTTP/1.1\r\n",
        b"Host: 127.0.0.1\r\n",
        b"User-Agent: line-by-line\r\n",
        b"Accept: */*\r\n",
        b"\r\n",
    ];
    let request = lines.concat();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (first_read_tx, first_read) = mpsc::channel();
    let server = thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        let mut conn = with_timeouts(conn);
        // BROKEN ON PURPOSE: one read taken for the whole request.
        let mut buf = [0u8; 1024];
        let n = conn.read(&mut buf).expect("the server's one read");
        let naive = buf[..n].to_vec();
        first_read_tx.send(naive.clone()).unwrap();
        // The fix: keep reading until the blank line.
        let mut rest = conn.take(64 * 1024);
        let mut whole = naive.clone();
        whole.extend(read_request_after(&mut rest, &naive));
        (naive, whole)
    });

    let mut client = connect(addr);
    client.set_nodelay(true).unwrap();
    client.write_all(lines[0]).unwrap();
    first_read
        .recv_timeout(IO_TIMEOUT)
        .expect("the server's first read did not return");
    for line in &lines[1..] {
        client.write_all(line).unwrap();
    }
    let (naive, whole) = server.join().expect("the server thread panicked");

    assert_eq!(
        naive, lines[0],
        "the one read returned only what had arrived: the request line"
    );
    assert!(
        !naive.windows(4).any(|w| w == b"\r\n\r\n"),
        "the one read has no blank line: a server that answers now answers half a request"
    );
    assert_eq!(
        whole, request,
        "reading up to the blank line gets the whole request"
    );
}

/// The rest of a request head, when `so_far` has been read already: reads until the blank line appears.
fn read_request_after(stream: &mut impl Read, so_far: &[u8]) -> Vec<u8> {
    let mut seen = so_far.to_vec();
    let mut buf = [0u8; 1024];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).expect("reading the request");
        assert!(n > 0, "the client closed in the middle of its request");
        seen.extend_from_slice(&buf[..n]);
    }
    seen[so_far.len()..].to_vec()
}

/// `data = s.recv(4096)` is at most 4096 bytes, whatever the response: a 1 MB body needs hundreds of
/// reads (how many depends on how the bytes arrive). The one read here returns at most its buffer's
/// size, far less than the `Content-Length`; `copy_body` loops until it has exactly that many bytes.
#[test]
fn a_body_longer_than_one_buffer_needs_many_reads() {
    let body = patterned(1024 * 1024);
    let mut response =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    response.extend_from_slice(&body);
    let server = CannedServer::respond(response).start();

    // BROKEN ON PURPOSE: one read of 4096 bytes taken for the whole response.
    let mut stream = send_get(server.addr());
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).expect("one read");
    assert!(
        n > 0 && n <= 4096,
        "one read returns at most its buffer: {n}"
    );
    let naive_body_len = buf[..n]
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |at| n - at - 4);
    assert!(
        naive_body_len < body.len() / 100,
        "one read held {naive_body_len} bytes of a body of {}",
        body.len()
    );
    drop(stream);

    // The fix: read until the Content-Length is reached.
    let stream = send_get(server.addr());
    let (head, fetched) = fetch_body(&mut BufReader::new(&stream));
    assert_eq!(
        head.header("Content-Length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(fetched.len(), body.len(), "the whole body, by its length");
    assert!(fetched == body, "the body arrived byte for byte");
}

/// The tutorial's `head, body = s.recv(4096).split(b"\r\n\r\n", 1)` takes the first read for the whole
/// response. The server here sends its head and the start of the body in one write, and the rest of the
/// body a moment later: the first read holds only the start, so the "body" is cut. Had the first write
/// ended in the middle of the head, the first read would not even hold the blank line (in Python, the
/// unpacking fails with `ValueError`). `read_head` finds the lines in whatever pieces they come, and
/// `copy_body` reads on until the body is complete.
#[test]
fn splitting_the_first_read_on_the_blank_line_loses_the_body() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n".to_vec();
    let full_body = b"hello world\n";

    // First case: the head and "hello " arrive first, "world\n" later.
    let pieces = || vec![[&head[..], b"hello "].concat(), b"world\n".to_vec()];
    let server = StepServer::start(pieces());
    let mut stream = send_get(server.addr);
    // BROKEN ON PURPOSE: the first read split on the blank line.
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).expect("the first read");
    let first = &buf[..n];
    let at = first
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the head was written in one piece, so this read has the blank line");
    let naive_body = &first[at + 4..];
    assert_eq!(
        naive_body, b"hello ",
        "the body taken from the first read is only what had arrived"
    );
    assert_ne!(naive_body, full_body);
    server.go();
    drop(stream);
    server.join();

    // Second case: the head itself arrives in two pieces.
    let server = StepServer::start(vec![head[..20].to_vec(), [&head[20..], full_body].concat()]);
    let mut stream = send_get(server.addr);
    let n = stream.read(&mut buf).expect("the first read");
    assert_eq!(&buf[..n], &head[..20]);
    assert!(
        !buf[..n].windows(4).any(|w| w == b"\r\n\r\n"),
        "the first read has no blank line to split on"
    );
    server.go();
    drop(stream);
    server.join();

    // The fix, on the first case's pieces: the head is complete after the first piece, and the body is
    // read on from the same reader, which already holds "hello ".
    let server = StepServer::start(pieces());
    let stream = send_get(server.addr);
    let mut reader = BufReader::new(&stream);
    let head = read_head(&mut reader).expect("reading the head");
    assert_eq!(
        reader.buffer(),
        b"hello ",
        "the reader holds what arrived of the body"
    );
    server.go();
    let mut body = Vec::new();
    copy_body(&mut reader, framing(Method::Get, &head).unwrap(), &mut body).unwrap();
    assert_eq!(body, full_body, "the whole body, across both pieces");
    drop(reader);
    drop(stream);
    server.join();
}

/// A `BufReader` reads from the socket as much as fits in its buffer (8 KiB), not just the line asked
/// for: after `read_head`, the start of the body (here all of it) is in the reader's buffer. Dropping the
/// reader and reading the body from the socket itself (or through a new `BufReader`) loses exactly
/// those bytes. The body must be read through the same reader that read the head.
#[test]
fn a_new_bufreader_after_the_head_loses_the_start_of_the_body() {
    let body = patterned(3000);
    let mut response =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    response.extend_from_slice(&body);
    let server = CannedServer::respond(response).start();

    for second_reader in [false, true] {
        // BROKEN ON PURPOSE: the head through a BufReader that is then thrown away.
        let stream = send_get(server.addr());
        let mut reader = BufReader::new(&stream);
        read_head(&mut reader).expect("reading the head");
        let lost = reader.buffer().to_vec();
        drop(reader);
        let mut naive_body = Vec::new();
        if second_reader {
            BufReader::new(&stream).read_to_end(&mut naive_body)
        } else {
            (&stream).read_to_end(&mut naive_body)
        }
        .expect("reading the rest until the server closes");

        assert!(
            !lost.is_empty(),
            "the head's reader had read part of the body into its buffer"
        );
        assert_eq!(
            naive_body.len() + lost.len(),
            body.len(),
            "the bytes left in the first reader's buffer are missing"
        );
        assert!(
            body.starts_with(&lost) && body.ends_with(&naive_body),
            "what is missing is the start of the body"
        );
        drop(stream);
    }

    // The fix: one reader for the whole response.
    let stream = send_get(server.addr());
    let (_, fetched) = fetch_body(&mut BufReader::new(&stream));
    assert!(fetched == body, "the same reader gets the whole body");
}
