//! The reference solution of lesson 02: the functions the exercise's steps ask for. The types and limits
//! they use are given, in `config.rs` and `session.rs`. The book includes its parts by their `ANCHOR` names.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use shared::greeting::{EXIT, WELCOME};
use shared::trace::{Trace, Traced, is_timeout};

use crate::{
    CLOSE_DRAIN_BYTES, CLOSE_DRAIN_TIME, Config, Line, SessionEnd, hello, idle_notice,
    timed_out_mid_line,
};

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
    // Without a read timeout, a client that connects and says nothing would hold this one-at-a-time server
    // forever. `read` now fails with a timeout error (`WouldBlock` on Linux) after that much silence.
    stream.set_read_timeout(Some(config.idle_timeout))?;
    // The same for a client that sends lines but never reads the replies: once its receive buffer and our
    // send buffer are full, `write` blocks, and without a write timeout it would block forever.
    stream.set_write_timeout(Some(config.idle_timeout))?;
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
    writer.write_all(WELCOME.as_bytes())?;
    // ANCHOR_END: welcome
    // `read_until` needs `BufRead`: the `BufReader` keeps whatever one `read` returned beyond the current
    // line for the next call. Its 8 KiB buffer is std's default: each `read` asks the kernel for up to that.
    let mut reader = BufReader::new(stream);
    loop {
        // ANCHOR: idle
        let line = match read_line(&mut reader, config.max_line) {
            Err(err) if is_timeout(&err) => {
                writer.write_all(idle_notice(config.idle_timeout, &err).as_bytes())?;
                return Ok(SessionEnd::IdleTimeout);
            }
            other => other?,
        };
        // ANCHOR_END: idle
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
        if text == EXIT {
            return Ok(SessionEnd::ClientExit);
        }
        writer.write_all(reply(text).as_bytes())?;
    }
}
// ANCHOR_END: greet_and_answer

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
    let read = reader.take(limit).read_until(b'\n', &mut line);
    // ANCHOR_END: cap
    // A timeout in the middle of a line says how much of it came (see `idle_notice`).
    read.map_err(|err| timed_out_mid_line(err, &line))?;
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
