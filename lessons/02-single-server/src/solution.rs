//! The reference solution of lesson 02. The book includes its parts by their `ANCHOR` names.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use shared::trace::{Trace, Traced, is_timeout};

// ANCHOR: config
/// The longest line the server accepts unless told otherwise: 8 KiB before the `\n`.
///
/// A name fits many times over. What matters is that there is a limit: without one, a client that sends
/// bytes and never a newline makes the server keep them all, until it runs out of memory. The server holds
/// at most this much per client; a bigger cap costs memory per client, a smaller one turns longer lines away.
pub const DEFAULT_MAX_LINE: usize = 8 * 1024;

/// How long a client may stay silent before the server drops it, unless told otherwise: 60 s.
///
/// This server serves one client at a time: while a forgotten `nc` session sits there, every other client
/// waits. Shorter frees the server sooner; longer is kinder to a person typing slowly.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// What the server allows a client, and when it stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The most bytes a line may have before its `\n` (a `\r` before the `\n` counts). A longer line gets
    /// an error line and the connection is closed.
    pub max_line: usize,
    /// A client that sends nothing for this long, or does not read our replies for this long, is dropped.
    pub idle_timeout: Duration,
    /// Stop after this many connections, each served to its end; `None` serves forever. `--once` is
    /// `Some(1)`; tests use it so that [`serve`] returns.
    pub max_clients: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_line: DEFAULT_MAX_LINE,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_clients: None,
        }
    }
}
// ANCHOR_END: config

// ANCHOR: session_end
/// How a client's session ended, when it ended the way the protocol says. A reset or a disconnect in the
/// middle of a line is not one of these: [`serve_client`] returns it as an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The client sent the line `exit`.
    ClientExit,
    /// The client closed its sending side between two lines: `read` returned `Ok(0)`.
    EndOfStream,
    /// The client sent a line longer than [`Config::max_line`]; it was told so.
    LineTooLong,
    /// The client sent nothing for [`Config::idle_timeout`]; it was told so.
    IdleTimeout,
}
// ANCHOR_END: session_end

/// How many `accept` failures in a row [`serve`] tolerates before it gives up and returns the error.
/// With [`ACCEPT_RETRY_PAUSE`], a lasting failure stops the server after about a second; more would only
/// keep a broken server looking alive for longer.
const ACCEPT_ATTEMPTS: u32 = 20;

/// How long [`serve`] pauses after a failed `accept`. Long enough that a failure that repeats at once
/// (no file descriptor left) does not keep a CPU busy; short enough that the next client hardly notices.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(50);

// ANCHOR: serve
/// Accepts clients on `listener` one at a time and serves each with [`serve_client`] until its session
/// ends; forever, or until `config.max_clients` connections have been served.
///
/// The caller binds the listener (`main`, or a test on `127.0.0.1:0`) and so knows its address before any
/// client connects. A client's error is reported on stderr and the server goes on with the next client;
/// only `accept` failing again and again returns an error.
pub fn serve(listener: TcpListener, config: &Config, trace: &Trace) -> io::Result<()> {
    let mut served = 0;
    let mut failed_accepts = 0;
    while config.max_clients.is_none_or(|max| served < max) {
        // ANCHOR: accept
        // `accept` waits for the next client whose handshake is complete. The kernel completes handshakes
        // on its own, into the listen backlog: while we serve one client, the next ones are connected but
        // wait there, unanswered, until we come back to this line.
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => {
                failed_accepts = 0;
                accepted
            }
            // Most `accept` errors concern one client (it gave up between its handshake and our `accept`;
            // Linux also reports some network errors of that connection here) or pass (a signal, no file
            // descriptor free right now): try again. A pause keeps a lasting error from spinning the CPU,
            // and many failures in a row mean it is not passing: then the caller decides.
            Err(err) => {
                failed_accepts += 1;
                if failed_accepts == ACCEPT_ATTEMPTS {
                    return Err(err);
                }
                eprintln!("accept failed: {err} (trying again)");
                thread::sleep(ACCEPT_RETRY_PAUSE);
                continue;
            }
        };
        // ANCHOR_END: accept
        trace.event(format_args!("accept {peer}"));
        served += 1;
        // ANCHOR: client_errors
        // One client's trouble ends that client's session, not the server: `serve_client(...)?` here would
        // return, drop the listener, and turn away every client after this one.
        if let Err(err) = serve_client(stream, config, trace) {
            if is_timeout(&err) {
                eprintln!(
                    "client {peer}: did not read our replies for {:?}, dropped",
                    config.idle_timeout
                );
            } else {
                eprintln!("client {peer}: {err}");
            }
        }
        // ANCHOR_END: client_errors
    }
    Ok(())
}
// ANCHOR_END: serve

// ANCHOR: serve_client
/// Serves one client of the greeting protocol until its session ends, then closes the connection.
///
/// Sends `Welcome`, then answers each line `X` with `Hello, X!` until the client sends `exit` or ends the
/// stream. A line over `config.max_line` bytes or `config.idle_timeout` of silence gets an error line and
/// ends the session; a line that is not UTF-8 gets an error line and the session goes on. A reset, a
/// disconnect in the middle of a line or a failed write is returned as an error.
///
/// With `--trace`, every read and write is reported with the client's address as its label.
pub fn serve_client(stream: TcpStream, config: &Config, trace: &Trace) -> io::Result<SessionEnd> {
    serve_client_with(stream, config, trace, hello)
}

/// [`serve_client`], with the reply to each line made by `reply` instead of [`hello`].
///
/// The function is a parameter so that lesson 03's server reuses this code and answers one more command
/// (`who`); here it is always [`hello`]. `reply` gets the line without its newline and returns the whole
/// reply, newline included.
pub fn serve_client_with(
    stream: TcpStream,
    config: &Config,
    trace: &Trace,
    reply: impl Fn(&str) -> String,
) -> io::Result<SessionEnd> {
    let peer = stream.peer_addr()?;
    // ANCHOR: timeouts
    // Without a read timeout, a client that connects and says nothing would hold this one-at-a-time server
    // forever. `read` now fails with a timeout error (`WouldBlock` on Linux) after that much silence.
    stream.set_read_timeout(Some(config.idle_timeout))?;
    // The same for a client that sends lines but never reads the replies: once its receive buffer and our
    // send buffer are full, `write` blocks, and without a write timeout it would block forever.
    stream.set_write_timeout(Some(config.idle_timeout))?;
    // ANCHOR_END: timeouts
    let stream = Traced::new(stream, trace.labelled(peer));

    let end = greet_and_answer(&stream, config, &reply)?;
    stream.trace().event(format_args!("session ended: {end:?}"));
    // ANCHOR: close
    match end {
        // We are ending the session while the client may still be sending: close so that it gets our
        // last line.
        SessionEnd::LineTooLong | SessionEnd::IdleTimeout => close_politely(stream),
        // The client said it was done (`exit`), or has closed its side already: nothing more is coming, and
        // dropping the stream closes it normally.
        SessionEnd::ClientExit | SessionEnd::EndOfStream => drop(stream),
    }
    // ANCHOR_END: close
    Ok(end)
}
// ANCHOR_END: serve_client

// ANCHOR: greet_and_answer
/// The greeting protocol on one connection, from `Welcome` to the end of the session.
fn greet_and_answer(
    stream: &Traced<TcpStream>,
    config: &Config,
    reply: &impl Fn(&str) -> String,
) -> io::Result<SessionEnd> {
    // `Read` and `Write` are implemented for `&Traced<TcpStream>` (like `&TcpStream`): the `BufReader`
    // reads through one shared reference while replies are written through another.
    let mut writer = stream;
    // ANCHOR: welcome
    writer.write_all(b"Welcome\n")?;
    // ANCHOR_END: welcome
    // `read_until` needs `BufRead`: the `BufReader` keeps whatever one `read` returned beyond the current
    // line for the next call. Its 8 KiB buffer is std's default: each `read` asks the kernel for up to that.
    let mut reader = BufReader::new(stream);
    loop {
        // ANCHOR: idle
        let line = match read_line(&mut reader, config.max_line) {
            Err(err) if is_timeout(&err) => {
                let notice = format!(
                    "error: idle for {:?}, closing the connection\n",
                    config.idle_timeout
                );
                writer.write_all(notice.as_bytes())?;
                return Ok(SessionEnd::IdleTimeout);
            }
            other => other?,
        };
        // ANCHOR_END: idle
        // ANCHOR: reply
        let line = match line {
            Line::Complete(line) => line,
            // ANCHOR: too_long
            Line::TooLong => {
                let error = format!("error: line too long (max {} bytes)\n", config.max_line);
                writer.write_all(error.as_bytes())?;
                return Ok(SessionEnd::LineTooLong);
            }
            // ANCHOR_END: too_long
            Line::EndOfStream => return Ok(SessionEnd::EndOfStream),
        };
        // ANCHOR: not_utf8
        // Bytes on the wire can be anything; `from_utf8` checks instead of assuming. A bad line is the
        // client's mistake, not a reason to end its session.
        let Ok(text) = std::str::from_utf8(&line) else {
            writer.write_all(b"error: line is not UTF-8\n")?;
            continue;
        };
        // ANCHOR_END: not_utf8
        if text == "exit" {
            return Ok(SessionEnd::ClientExit);
        }
        writer.write_all(reply(text).as_bytes())?;
        // ANCHOR_END: reply
    }
}
// ANCHOR_END: greet_and_answer

// ANCHOR: hello
/// The reply to the line `name`: `Hello, NAME!` and its `\n`.
pub fn hello(name: &str) -> String {
    format!("Hello, {name}!\n")
}
// ANCHOR_END: hello

// ANCHOR: line
/// What [`read_line`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A whole line, without its `\n` or `\r\n`.
    Complete(Vec<u8>),
    /// The stream ended cleanly, between two lines.
    EndOfStream,
    /// More than the cap arrived without a `\n`. The bytes read are dropped; the rest are not read.
    TooLong,
}
// ANCHOR_END: line

// ANCHOR: read_line
/// Reads one line from `reader`: at most `max_line` bytes, then `\n` (or `\r\n`). Never keeps more than
/// `max_line + 1` bytes of a line, whatever the client sends.
///
/// End of stream in the middle of a line is an error of kind `UnexpectedEof`: the client left without
/// finishing it, and half a name is not a name to greet.
pub fn read_line(reader: &mut impl BufRead, max_line: usize) -> io::Result<Line> {
    let mut line = Vec::new();
    // ANCHOR: cap
    // `take` makes the reader end after `max_line + 1` bytes, so `read_until` stops there even with no `\n`
    // in sight: room for a line at the cap and its `\n`, or one byte too many to prove the line too long.
    let limit = (max_line as u64).saturating_add(1);
    reader.take(limit).read_until(b'\n', &mut line)?;
    // ANCHOR_END: cap
    if line.ends_with(b"\n") {
        line.pop();
        // Telnet, Windows tools and `nc -C` end lines with `\r\n`: accept them.
        if line.ends_with(b"\r") {
            line.pop();
        }
        return Ok(Line::Complete(line));
    }
    if line.is_empty() {
        return Ok(Line::EndOfStream);
    }
    if line.len() > max_line {
        return Ok(Line::TooLong);
    }
    // ANCHOR: mid_line
    Err(io::Error::new(
        ErrorKind::UnexpectedEof,
        format!(
            "connection closed in the middle of a line ({} bytes without a newline)",
            line.len()
        ),
    ))
    // ANCHOR_END: mid_line
}
// ANCHOR_END: read_line

// ANCHOR: close_politely
/// The most a closing server reads and throws away while it waits for the client to close too: 64 KiB.
///
/// That is the rest of a long line the client was still sending, several times over. A client that sends
/// more has stopped listening to us; a bigger number would only let it keep the server busy for longer.
pub const CLOSE_DRAIN_BYTES: usize = 64 * 1024;

/// The longest a closing server waits for the client to close too: 1 s.
///
/// On loopback a client answers our close in microseconds, and across the world in well under a second.
/// While we wait, the next client waits in the backlog, so longer would make every polite close cost
/// everyone else.
pub const CLOSE_DRAIN_TIME: Duration = Duration::from_secs(1);

/// Closes a connection that the server ends while the client may still be sending, so that the client
/// receives everything written to it, and then end of stream.
///
/// Dropping a socket whose receive buffer holds unread bytes does not send FIN: the kernel aborts the
/// connection with a reset (RST) and throws away whatever we wrote that has not left yet, so the error line
/// we just wrote may never arrive, and the client sees "connection reset" instead. So: send FIN first
/// (`shutdown(Write)`), then read and discard what the client still sends until it closes too, at most
/// [`CLOSE_DRAIN_BYTES`] and [`CLOSE_DRAIN_TIME`]; only then drop.
pub fn close_politely(stream: Traced<TcpStream>) {
    // FIN goes after the bytes already written: the client reads our last line, then end of stream.
    if stream.shutdown(Shutdown::Write).is_err() {
        // The connection is gone already: there is nothing left to be polite to.
        return;
    }
    let deadline = Instant::now() + CLOSE_DRAIN_TIME;
    let mut discarded = 0;
    // 4 KiB per read: the size changes only how many reads the discarding takes, not how much.
    let mut sink = [0u8; 4096];
    let mut reader = &stream;
    while discarded < CLOSE_DRAIN_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        // A zero timeout is refused by std (it would mean "no timeout"), so time is up before that.
        if left.is_zero() || stream.get_ref().set_read_timeout(Some(left)).is_err() {
            break;
        }
        match reader.read(&mut sink) {
            // The client closed too (or gave up with an error): nothing can be lost any more.
            Ok(0) | Err(_) => break,
            Ok(n) => discarded += n,
        }
    }
    // Closes the socket. If the client is still sending, this is the reset we tried to avoid; by now it has
    // had its chance to read our last line.
    drop(stream);
}
// ANCHOR_END: close_politely
