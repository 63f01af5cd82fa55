//! Small servers that run inside a test, so a lesson can be tested before the learner has written the other
//! side. Each listens on `127.0.0.1:0`, serves connections one at a time on a thread, gives every connection
//! [`IO_TIMEOUT`](crate::IO_TIMEOUT) and stops accepting when dropped.
//!
//! - [`FeedServer`]: sends known chunks of bytes, each in its own write, then closes (a data feed).
//! - [`EchoServer`]: sends back everything it receives, and closes when the client has finished sending.
//! - [`CannedServer`]: reads an HTTP request head, answers with fixed bytes, records the requests.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::with_timeouts;

/// The accept loop every fixture shares: one connection at a time, until the fixture is dropped.
#[derive(Debug)]
struct Fixture {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
}

impl Fixture {
    fn start(mut serve: impl FnMut(TcpStream) + Send + 'static) -> Self {
        let listener =
            TcpListener::bind("127.0.0.1:0").expect("binding a fixture server on 127.0.0.1:0");
        let addr = listener.local_addr().expect("fixture address");
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopping);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                // A client that failed to connect properly is its test's business, not the fixture's.
                if let Ok(stream) = stream {
                    serve(with_timeouts(stream));
                }
            }
        });
        Fixture { addr, stopping }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // `accept` has no timeout: one last connection wakes the loop so it can see it must stop.
        let _ = TcpStream::connect_timeout(&self.addr, crate::IO_TIMEOUT);
    }
}

/// Closes the connection the polite way: FIN first, then read (and discard, within the timeout) whatever
/// the client still sends, so that closing never turns into a reset that would destroy the data just sent.
fn close_after_sending(mut stream: TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let mut sink = [0u8; 4096];
    while let Ok(n) = stream.read(&mut sink) {
        if n == 0 {
            break;
        }
    }
}

/// A server that sends the same chunks to every client, each chunk in its own `write`, and then closes.
///
/// Use it to test a client that reads until the server closes. With chunks that cut a multi-byte UTF-8
/// character in two, each connection receives the character split across two writes. Loopback may still
/// merge the writes into one read; wrap the client's stream in [`SmallReads`](crate::SmallReads)
/// to force the split.
#[derive(Debug)]
pub struct FeedServer {
    fixture: Fixture,
}

impl FeedServer {
    /// Starts serving `chunks` to every client.
    pub fn start<C: Into<Vec<u8>>>(chunks: impl IntoIterator<Item = C>) -> Self {
        let chunks: Vec<Vec<u8>> = chunks.into_iter().map(Into::into).collect();
        let fixture = Fixture::start(move |mut stream| {
            // Without Nagle's delay each chunk leaves as its own segment.
            let _ = stream.set_nodelay(true);
            for chunk in &chunks {
                if stream.write_all(chunk).is_err() {
                    return;
                }
            }
            close_after_sending(stream);
        });
        FeedServer { fixture }
    }

    /// Where the feed listens.
    pub fn addr(&self) -> SocketAddr {
        self.fixture.addr
    }
}

/// A server that sends back every byte it receives until the client shuts down its sending side (end of
/// stream), then closes.
///
/// A client that never signals the end of what it sends never sees this server close: exactly the bug that
/// `shutdown(Write)` fixes.
#[derive(Debug)]
pub struct EchoServer {
    fixture: Fixture,
}

impl EchoServer {
    /// Starts the echo server.
    pub fn start() -> Self {
        let fixture = Fixture::start(|mut stream| {
            let mut buf = [0u8; 4096];
            loop {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if stream.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                }
            }
            drop(stream);
        });
        EchoServer { fixture }
    }

    /// Where the echo server listens.
    pub fn addr(&self) -> SocketAddr {
        self.fixture.addr
    }
}

/// What a [`CannedServer`] does after it has sent its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterResponse {
    /// Close the connection normally (FIN): the client reads end of stream.
    Close,
    /// Abort the connection (RST): the client's next read fails with `ConnectionReset`.
    Reset,
    /// Keep the connection open and send nothing more, until the client gives up or closes.
    Hang,
}

/// The most a [`CannedServer`] reads of a request head before it answers anyway.
pub const CANNED_MAX_REQUEST: usize = 64 * 1024;

/// A server that reads a request head (up to the blank line `\r\n\r\n`, at most [`CANNED_MAX_REQUEST`]
/// bytes), answers every request with the same bytes and records what it was sent.
///
/// For testing an HTTP client against responses a real server would rarely send: split at every byte,
/// framed wrongly, cut short, reset.
#[derive(Debug)]
pub struct CannedServer {
    fixture: Fixture,
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// How a [`CannedServer`] answers; build one with [`CannedServer::respond`].
#[derive(Debug, Clone)]
pub struct CannedResponse {
    response: Vec<u8>,
    piece: usize,
    after: AfterResponse,
    silent: bool,
}

impl CannedServer {
    /// A response of `bytes`, sent in one write, then a normal close.
    pub fn respond(bytes: impl Into<Vec<u8>>) -> CannedResponse {
        CannedResponse {
            response: bytes.into(),
            piece: usize::MAX,
            after: AfterResponse::Close,
            silent: false,
        }
    }

    /// A server that reads the request and never answers (until the client gives up).
    pub fn silent() -> Self {
        CannedResponse {
            response: Vec::new(),
            piece: usize::MAX,
            after: AfterResponse::Hang,
            silent: true,
        }
        .start()
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.fixture.addr
    }

    /// Every request head received so far, in order.
    pub fn requests(&self) -> Vec<Vec<u8>> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl CannedResponse {
    /// Sends the response `n` bytes per write (1 sends a byte at a time), with Nagle off so each piece leaves
    /// as it is written.
    pub fn in_pieces_of(mut self, n: usize) -> Self {
        self.piece = n.max(1);
        self
    }

    /// What to do after the response has been sent.
    pub fn then(mut self, after: AfterResponse) -> Self {
        self.after = after;
        self
    }

    /// Starts the server.
    pub fn start(self) -> CannedServer {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let fixture = Fixture::start(move |mut stream| {
            let head = read_request_head(&mut stream);
            seen.lock().unwrap_or_else(|p| p.into_inner()).push(head);
            if !self.silent {
                let _ = stream.set_nodelay(true);
                for piece in self
                    .response
                    .chunks(self.piece.min(self.response.len().max(1)))
                {
                    if stream.write_all(piece).is_err() {
                        return;
                    }
                }
            }
            match self.after {
                AfterResponse::Close => close_after_sending(stream),
                AfterResponse::Reset => {
                    let _ = crate::reset(stream);
                }
                AfterResponse::Hang => {
                    // Wait for the client to close (or for the fixture's timeout), without answering.
                    let mut sink = [0u8; 1024];
                    while let Ok(n) = stream.read(&mut sink) {
                        if n == 0 {
                            break;
                        }
                    }
                }
            }
        });
        CannedServer { fixture, requests }
    }
}

/// Reads up to and including the first `\r\n\r\n`, at most [`CANNED_MAX_REQUEST`] bytes.
fn read_request_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while head.len() < CANNED_MAX_REQUEST && !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{connect, read_until_closed};

    #[test]
    fn feed_sends_every_chunk_then_closes() {
        let feed = FeedServer::start(["caf", "\u{e9}\n"]);
        let mut stream = connect(feed.addr());
        assert_eq!(read_until_closed(&mut stream), "caf\u{e9}\n".as_bytes());
    }

    #[test]
    fn echo_answers_until_end_of_stream() {
        let echo = EchoServer::start();
        let mut stream = connect(echo.addr());
        stream.write_all(b"ping\n").unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_until_closed(&mut stream), b"ping\n");
    }

    #[test]
    fn canned_records_the_request_and_resets_when_asked() {
        let server = CannedServer::respond("HTTP/1.1 200 OK\r\n\r\n")
            .in_pieces_of(1)
            .then(AfterResponse::Reset)
            .start();
        let mut stream = connect(server.addr());
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut received = Vec::new();
        let mut buf = [0u8; 64];
        let error = loop {
            match stream.read(&mut buf) {
                Ok(0) => panic!("expected a reset, got a normal close after {received:?}"),
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(err) => break err,
            }
        };
        assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset);
        assert_eq!(
            server.requests(),
            [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()]
        );
    }
}
