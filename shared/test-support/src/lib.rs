//! Test support for the lessons' tests: a dev-dependency only, so no lesson program carries test code.
//! Every rule from the course's test conventions has a helper here:
//!
//! - every socket has a timeout: [`connect`], [`with_timeouts`], [`accept_within`], [`IO_TIMEOUT`];
//! - a server function runs on a thread over a socket bound to port 0, and failure messages say what it
//!   did: [`ServerThread`] (TCP or UDP, whatever the function returns);
//! - a lesson program runs as a child process on port 0, found through its `listening on` line, and is
//!   killed when the test ends: [`ServerProcess`]; a client typed into and read from: [`Piped`];
//! - real peers (`nc`, `python3`, `socat`, `curl`, `iperf3`) are found or the test says it is skipped:
//!   [`peer`];
//! - peers written for the tests, before the learner has written the other side: [`fixtures`] (a feed, an
//!   echo server, a canned HTTP server);
//! - reads split where the test wants them: [`SmallReads`]; tiny socket buffers: [`small_buffer_pair`];
//! - a connection can be aborted with a reset: [`reset`];
//! - the learner's code run with a time limit, and what it did said in words: [`on_thread`], [`caught`];
//! - the room protocol (lessons 08 to 10), every rule a check, one `#[test]` each: [`room`],
//!   [`room_protocol_tests!`];
//! - the `--help` a chapter shows is the program's: [`assert_help_quoted_in_book`].

mod book;
mod buffers;
pub mod fixtures;
mod outcome;
mod peers;
mod piped;
mod process;
mod reads;
pub mod room;
mod server_thread;

pub use book::assert_help_quoted_in_book;
pub use buffers::small_buffer_pair;
pub use outcome::{Outcome, caught, caught_any, describe, on_thread, panicked};

pub use peers::{Peer, peer};
pub use piped::Piped;
pub use process::{Exited, ServerProcess};
pub use reads::SmallReads;
pub use server_thread::{
    Describe, ServerThread, Tcp, Transport, Udp, describe_returned, read_end_of_stream,
};

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// The longest any single socket operation in a test may block.
///
/// Long enough for a slow, loaded CI machine to answer on loopback (answers take microseconds), short enough
/// that a learner whose code never answers sees the failure within a few seconds instead of a hang.
pub const IO_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a spawned lesson program gets to print its `listening on` line, or to finish.
///
/// The binary is already built when a test runs, so this only covers process start-up on a loaded machine.
pub const PROCESS_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `addr` with [`IO_TIMEOUT`] on the connect, and on every read and write after it.
#[track_caller]
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .unwrap_or_else(|err| panic!("test could not connect to {addr}: {err}"));
    with_timeouts(stream)
}

/// Accepts one connection on `listener`, waiting at most `within` (std's `accept` has no timeout of its
/// own), and gives it [`with_timeouts`]. After `within`, returns the `WouldBlock` error of the last try.
pub fn accept_within(
    listener: &TcpListener,
    within: Duration,
) -> io::Result<(TcpStream, SocketAddr)> {
    listener.set_nonblocking(true)?;
    let deadline = std::time::Instant::now() + within;
    let accepted = loop {
        match listener.accept() {
            Err(err)
                if err.kind() == io::ErrorKind::WouldBlock
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            other => break other,
        }
    };
    listener.set_nonblocking(false)?;
    let (stream, peer) = accepted?;
    stream.set_nonblocking(false)?;
    Ok((with_timeouts(stream), peer))
}

/// Gives `stream` [`IO_TIMEOUT`] on reads and writes, so no test blocks forever on it.
pub fn with_timeouts(stream: TcpStream) -> TcpStream {
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("setting a read timeout");
    stream
        .set_write_timeout(Some(IO_TIMEOUT))
        .expect("setting a write timeout");
    stream
}

/// Closes `stream` with a reset (RST) instead of the normal FIN: `SO_LINGER` with a zero timeout makes the
/// kernel drop unsent data and abort the connection. The peer's next read fails with `ConnectionReset`.
///
/// This is what a crashed or killed client looks like to a server, and one socket option std cannot set.
pub fn reset(stream: TcpStream) -> io::Result<()> {
    socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
    drop(stream);
    Ok(())
}

/// Reads one line (up to and including `\n`) from `stream` byte by byte, so that nothing after the line is
/// consumed. On a timeout, an error or end of stream, says what happened and what had arrived, so a test
/// can add what it knows (what the server side returned) to its failure message.
pub fn try_read_line(stream: &mut impl io::Read) -> Result<String, String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") {
        let so_far = || String::from_utf8_lossy(&line).into_owned();
        match stream.read(&mut byte) {
            Ok(0) => return Err(format!("the connection was closed after {:?}", so_far())),
            Ok(_) => line.push(byte[0]),
            // A signal arrived during the read (a child process of the test exiting, for one): nothing
            // was read, try again.
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) if shared::trace::is_timeout(&err) => {
                return Err(format!(
                    "nothing more came within {IO_TIMEOUT:?} after {:?}",
                    so_far()
                ));
            }
            Err(err) => {
                return Err(format!(
                    "reading failed after {:?}: {:?}: {err}",
                    so_far(),
                    err.kind()
                ));
            }
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// [`try_read_line`], panicking with a clear message that points at the test line that called it.
#[track_caller]
pub fn read_line(stream: &mut impl io::Read) -> String {
    try_read_line(stream).unwrap_or_else(|problem| panic!("expected a whole line, but {problem}"))
}

/// Reads until the peer closes the connection and returns everything. On a timeout or an error, returns
/// what had arrived and the error, so a test can explain it in its own terms.
pub fn try_read_until_closed(stream: &mut impl io::Read) -> Result<Vec<u8>, (Vec<u8>, io::Error)> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(received),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err((received, err)),
        }
    }
}

/// [`try_read_until_closed`], panicking with a clear message that points at the test line that called it.
#[track_caller]
pub fn read_until_closed(stream: &mut impl io::Read) -> Vec<u8> {
    // A `match`, not `unwrap_or_else`: a panic inside a closure would point at this file instead of the
    // test line that called this function.
    let (received, err) = match try_read_until_closed(stream) {
        Ok(received) => return received,
        Err(failed) => failed,
    };
    let what = if shared::trace::is_timeout(&err) {
        format!("the peer did not close the connection within {IO_TIMEOUT:?}")
    } else if err.kind() == io::ErrorKind::ConnectionReset {
        format!(
            "reading failed: {err}. The other side reset the connection instead of closing it: it closed \
             (or dropped) its socket with bytes still unread in it, or shut down both directions \
             (`Shutdown::Both`) where only the sending one (`Shutdown::Write`) was meant"
        )
    } else {
        format!("reading failed: {err}")
    };
    panic!(
        "{what} (received so far, {} bytes: {})",
        received.len(),
        shared::trace::Preview(&received)
    )
}

/// The message a panic carried (`panic!("...")` gives a `&str` or a `String`), for a test that runs the
/// learner's code on a thread and reports what went wrong when that thread panicked.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}
