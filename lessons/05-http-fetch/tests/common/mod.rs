//! Support for this lesson's step tests: a server that answers with bytes the test chooses (a
//! [`CannedServer`]), your functions run on a thread with a deadline, readers that cut or count reads, and
//! failure messages that say what your code did.

use std::fmt::Debug;
use std::io::{self, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_fetch::{Framing, Head, copy_body, read_head};
use test_support::fixtures::{AfterResponse, CannedServer};
use test_support::{SmallReads, connect};

/// What the tests send before each answer: a [`CannedServer`] reads a request head before it answers. It is
/// written here, so that the steps after step 2 do not depend on your `request_head`.
const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";

/// How long a test lets one of your functions run. On loopback every answer takes microseconds; this is
/// shorter than the sockets' own timeout, so a function that waits for bytes that never come is reported
/// as still waiting, within seconds, instead of hanging the test.
pub const LIMIT: Duration = Duration::from_secs(2);

/// How long a test waits for bytes that it expects to find still in the reader after your function
/// returned: they arrived long before, so a moment is plenty. Only a failing test waits it out.
const LEFTOVER_WAIT: Duration = Duration::from_millis(300);

/// How the server's bytes reach your function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The server sends the response in one write.
    Whole,
    /// The server writes N bytes at a time, with Nagle's delay off: each piece leaves on its own.
    ServerPieces(usize),
    /// The server sends it in one write, but every `read` of the socket returns at most N bytes
    /// ([`SmallReads`]): the split a slow network makes, every time.
    SmallReads(usize),
}

impl Delivery {
    /// `, the server writing 1 byte at a time`: for failure messages.
    pub fn describe(self) -> String {
        match self {
            Delivery::Whole => String::new(),
            Delivery::ServerPieces(n) => format!(", the server writing {n} byte(s) at a time"),
            Delivery::SmallReads(n) => {
                format!(", each read of the socket returning at most {n} byte(s)")
            }
        }
    }
}

pub use test_support::{Outcome, describe};

/// Runs `f` on a thread, waits at most [`LIMIT`] for it, and says how long it took.
fn on_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> (Outcome<T>, Duration) {
    let start = Instant::now();
    let outcome = test_support::on_thread(LIMIT, f);
    (outcome, start.elapsed())
}

/// Bytes as a quoted string for messages; a long one is cut in the middle.
pub fn show(bytes: &[u8]) -> String {
    if bytes.len() > 120 {
        return format!(
            "{:?} ... {:?} ({} bytes)",
            String::from_utf8_lossy(&bytes[..80]),
            String::from_utf8_lossy(&bytes[bytes.len() - 20..]),
            bytes.len()
        );
    }
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// A reader that counts the bytes it passes on: how much of the socket a function consumed.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

/// The reader a function under test gets: a `BufReader` around the socket, as `main.rs` makes it.
type Reader = BufReader<Counted<Box<dyn Read + Send>>>;

/// A connection to a [`CannedServer`] that answers with `response` delivered as `delivery` says, then does
/// `after`. The request has been sent. Returns the server (which must live as long as the connection),
/// the reader for the function under test, a handle on the same socket (for its timeouts), and the
/// counter of bytes read from the socket.
fn exchange(
    response: &[u8],
    delivery: Delivery,
    after: AfterResponse,
) -> (CannedServer, Reader, TcpStream, Arc<AtomicU64>) {
    let mut canned = CannedServer::respond(response.to_vec()).then(after);
    if let Delivery::ServerPieces(n) = delivery {
        canned = canned.in_pieces_of(n);
    }
    let server = canned.start();
    let mut stream = connect(server.addr());
    stream
        .write_all(REQUEST)
        .expect("the test sending its request to the canned server");
    let handle = stream.try_clone().expect("a second handle on the socket");
    let inner: Box<dyn Read + Send> = match delivery {
        Delivery::SmallReads(n) => Box::new(SmallReads::new(stream, n)),
        _ => Box::new(stream),
    };
    let count = Arc::new(AtomicU64::new(0));
    let reader = BufReader::new(Counted {
        inner,
        count: Arc::clone(&count),
    });
    (server, reader, handle, count)
}

/// Reads from `reader` until `want` bytes, the end of the stream or a short wait: the bytes a function
/// left for whoever reads next.
fn leftover(reader: &mut Reader, handle: &TcpStream, want: usize) -> Vec<u8> {
    handle
        .set_read_timeout(Some(LEFTOVER_WAIT))
        .expect("setting a read timeout");
    let mut left = Vec::new();
    let mut buf = [0u8; 4096];
    while left.len() < want {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => left.extend_from_slice(&buf[..n]),
        }
    }
    left
}

/// What `read_head` did with one response.
pub struct HeadRun {
    pub outcome: Outcome<io::Result<Head>>,
    /// What the reader still held after `read_head` returned `Ok` (the server closes after its
    /// response): the body, when the head was read exactly up to its end. Empty otherwise.
    pub rest: Vec<u8>,
    /// How many bytes `read_head`'s reader took from the socket, up to when it returned or the deadline.
    pub consumed: u64,
}

/// Runs `read_head` on a `BufReader` around a connection to a server that answers `response`. After an `Ok`
/// and when the server closes (`after` is `Close`), the rest of the stream is read as well.
pub fn run_read_head(response: &[u8], delivery: Delivery, after: AfterResponse) -> HeadRun {
    let (_server, mut reader, handle, count) = exchange(response, delivery, after);
    let (outcome, _) = on_thread(move || {
        let result = read_head(&mut reader);
        let rest = if result.is_ok() && after == AfterResponse::Close {
            leftover(&mut reader, &handle, usize::MAX)
        } else {
            Vec::new()
        };
        (result, rest)
    });
    let consumed = count.load(Ordering::SeqCst);
    match outcome {
        Ok((result, rest)) => HeadRun {
            outcome: Ok(result),
            rest,
            consumed,
        },
        Err(what) => HeadRun {
            outcome: Err(what),
            rest: Vec::new(),
            consumed,
        },
    }
}

/// A `Write` whose bytes the test can see even while the function writing them is still running.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What `copy_body` did with one body.
pub struct BodyRun {
    pub outcome: Outcome<io::Result<u64>>,
    /// What it wrote to its output (up to the deadline, if it did not return).
    pub out: Vec<u8>,
    /// The bytes still in the reader after it returned (at most as many as the test expects there); empty
    /// if it did not return.
    pub left: Vec<u8>,
}

/// Runs `copy_body(reader, framing, out)` where the reader is at the start of `stream`, the bytes a server
/// sends after its head (the head itself is not sent: this does not depend on your `read_head`). Afterwards
/// up to `left` bytes are read from the reader: what `copy_body` left for the next reader.
pub fn run_copy_body(
    stream: &[u8],
    framing: Framing,
    delivery: Delivery,
    after: AfterResponse,
    left: usize,
) -> BodyRun {
    let (_server, mut reader, handle, _) = exchange(stream, delivery, after);
    let sink = Sink::default();
    let mut out = sink.clone();
    let (outcome, _) = on_thread(move || {
        let result = copy_body(&mut reader, framing, &mut out);
        (result, reader)
    });
    let out = sink.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    match outcome {
        Ok((result, mut reader)) => BodyRun {
            outcome: Ok(result),
            out,
            left: leftover(&mut reader, &handle, left),
        },
        Err(what) => BodyRun {
            outcome: Err(what),
            out,
            left: Vec::new(),
        },
    }
}
