//! Lesson 02, your version. Replace each `todo!()` and run `cargo run -- check 2` after every step.
//! Stuck? `cargo run -- hint 2`. Lost? `cargo run -- reset 2` puts this file back as it was.
//! The types and limits these functions use (`Config`, `SessionEnd`, `Line`, `CLOSE_DRAIN_*`, `hello`) are
//! given, in `config.rs` and `session.rs`: read them first.
// Until you write the bodies, the parameters are unused; this keeps the compiler quiet about it.
#![allow(unused_variables, unused_mut, unused_imports)]

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use shared::greeting::{EXIT, WELCOME};
use shared::trace::{Trace, Traced, is_timeout};

use crate::{
    CLOSE_DRAIN_BYTES, CLOSE_DRAIN_TIME, Config, Line, SessionEnd, hello, idle_notice,
    timed_out_mid_line,
};

/// Accepts clients on `listener` one at a time and serves each with [`serve_client`] until its session
/// ends; forever, or until `config.max_clients` connections have been served. A client's error is reported
/// on stderr and the server goes on with the next client.
pub fn serve(listener: TcpListener, config: &Config, trace: &Trace) -> io::Result<()> {
    // TODO(step 1): a loop that calls `listener.accept()`, which waits for the next client and returns
    //   `(TcpStream, SocketAddr)`, and hands the stream to `serve_client(stream, config, trace)`.
    //   - count the clients: when `config.max_clients` is `Some(max)` and `max` clients have been served,
    //     return `Ok(())` (`Option::is_none_or` reads well in a `while` condition); `None` means forever;
    //   - report each client with `trace.event(format_args!("accept {peer}"))`, so `--trace` shows it.
    //   Using `?` on both results is fine for now.
    // TODO(step 5): `?` on `serve_client`'s result ends the whole server when one client fails. Report the
    //   error on stderr instead (`eprintln!("client {peer}: {err}")`) and go on with the next client.
    //   An error from `accept` is usually about one client too (it gave up before you accepted it): report
    //   it and `continue` instead of returning. But pause a moment first (`thread::sleep` of some 50 ms):
    //   an error that comes back at once, like "too many open files", would otherwise keep a CPU busy in a
    //   loop of failures; the reference solution also gives up after 20 failures in a row.
    todo!("step 1: accept clients one at a time")
}

/// Serves one client of the greeting protocol until its session ends, then closes the connection.
///
/// Sends `Welcome`, then answers each line `X` with `Hello, X!` until the client sends `exit` or ends the
/// stream. A line over `config.max_line` bytes or `config.idle_timeout` of silence gets an error line and
/// ends the session; a line that is not UTF-8 gets an error line and the session goes on.
pub fn serve_client(stream: TcpStream, config: &Config, trace: &Trace) -> io::Result<SessionEnd> {
    // Nothing to write here: the session is `serve_client_with`, just below, replying with `hello`.
    serve_client_with(stream, config, trace, hello)
}

/// [`serve_client`], with the reply to each line made by `reply` instead of [`hello`]. Lesson 03 reuses
/// this function (its solution) to answer one more command; in this lesson `reply` is always [`hello`].
pub fn serve_client_with(
    stream: TcpStream,
    config: &Config,
    trace: &Trace,
    reply: impl Fn(&str) -> String,
) -> io::Result<SessionEnd> {
    // TODO(step 1): wrap the stream so `--trace` shows its reads and writes, labelled with the client's
    //   address. Ask for the address first: `Traced::new` takes `stream`, which cannot be used after that.
    //       let peer = stream.peer_addr()?;
    //       let stream = Traced::new(stream, trace.labelled(peer));
    //   Send the greeting, `WELCOME` (the line `Welcome\n`), with `write_all`. `Read` and `Write` are
    //   implemented for a shared reference `&Traced<TcpStream>`, so `let mut writer = &stream;` lets you
    //   write while, from step 2, a `BufReader::new(&stream)` reads. For now, return `Ok(SessionEnd::EndOfStream)`: dropping the
    //   stream closes the connection.
    // TODO(step 2): create the `BufReader` once, before the loop (a new one per line would lose the bytes
    //   the old one had read ahead: the next line, when two arrive together).
    //   Loop: `read_line(&mut reader, config.max_line)?`; a `Line::Complete(bytes)` is a line:
    //   turn it into text with `std::str::from_utf8` and answer with `reply(text)` (here, `hello`); the
    //   line `exit` (`EXIT`) ends the session with `SessionEnd::ClientExit`, `Line::EndOfStream` with `SessionEnd::EndOfStream`.
    // TODO(step 3): `Line::TooLong`: write `error: line too long (max N bytes)\n` (N is `config.max_line`),
    //   close with `close_politely(stream)` (not a plain drop: the rest of the long line is still unread,
    //   and dropping a socket with unread input sends a reset instead of end of stream) and return
    //   `SessionEnd::LineTooLong`. A line that is not UTF-8 gets `error: line is not UTF-8\n`, and the
    //   loop goes on.
    // TODO(step 4): before anything else, give the stream a read timeout of `config.idle_timeout`
    //   (`set_read_timeout`, and `set_write_timeout` for a client that never reads). A read that times out
    //   returns an error for which `is_timeout(&err)` is true (its kind is `WouldBlock` on Linux and macOS,
    //   `TimedOut` on Windows: do not match one kind). Then write the given `idle_notice(...)` (a line that
    //   starts with `error: idle`), close politely and return `SessionEnd::IdleTimeout`.
    todo!("step 1: greet the client")
}

/// Reads one line from `reader`: at most `max_line` bytes, then `\n` (or `\r\n`). Never keeps more than
/// `max_line + 1` bytes of a line, whatever the client sends.
///
/// End of stream in the middle of a line is an error of kind `UnexpectedEof`.
pub fn read_line(reader: &mut impl BufRead, max_line: usize) -> io::Result<Line> {
    // TODO(step 2): `reader.read_until(b'\n', &mut line)` appends bytes up to and including the next `\n`
    //   to a `Vec<u8>` and returns how many. Nothing read at all means end of stream (`Line::EndOfStream`).
    //   Otherwise remove the `\n`, and a `\r` before it, and return `Line::Complete(line)`.
    // TODO(step 3): `read_until` keeps reading until it finds a `\n`, however much that takes. Cap it: call
    //   it on `reader.take(max_line as u64 + 1)` instead, which ends after that many bytes. A result with
    //   no `\n` that is longer than `max_line` is `Line::TooLong`.
    // TODO(step 5): a result with no `\n` that is not too long means the client left in the middle of a
    //   line: return `Err(io::Error::new(ErrorKind::UnexpectedEof, "..."))` (say what happened).
    todo!("step 2: read one line")
}

/// Closes a connection that the server ends while the client may still be sending, so that the client
/// receives everything written to it, and then end of stream.
pub fn close_politely(stream: Traced<TcpStream>) {
    // TODO(step 3): dropping a socket with unread bytes in its receive buffer sends a reset (RST), which
    //   can destroy the line you just wrote (see tests/pitfalls.rs). Instead:
    //   - `stream.shutdown(Shutdown::Write)`: FIN goes after your last line;
    //   - read into a small buffer and throw the bytes away until `read` returns `Ok(0)` or an error, at
    //     most `CLOSE_DRAIN_BYTES` in all and for at most `CLOSE_DRAIN_TIME` (`Instant::now()`, and a read
    //     timeout set with `stream.get_ref().set_read_timeout(...)` to the time left);
    //   - then let `stream` drop.
    todo!("step 3: close without a reset")
}
