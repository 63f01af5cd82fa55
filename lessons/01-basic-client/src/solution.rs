//! The reference solution of lesson 01. The book includes its parts by their `ANCHOR` names.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use shared::trace::{Trace, Traced};

// ANCHOR: connect
/// Connects to the first of `addrs` that accepts a connection, trying them in order, each for at most
/// `timeout`. If none does, returns the error of the last attempt.
///
/// `("localhost", 7878).to_socket_addrs()` may give `[::1]:7878` and `127.0.0.1:7878`; a server that
/// listens on only one of them is still found.
pub fn connect(addrs: &[SocketAddr], timeout: Duration, trace: &Trace) -> io::Result<TcpStream> {
    let mut last_error = None;
    for addr in addrs {
        // `TcpStream::connect` would wait as long as the system does (minutes on a dropped SYN);
        // `connect_timeout` lets the caller decide.
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(stream) => {
                trace.event(format_args!("connect {addr}"));
                return Ok(stream);
            }
            Err(err) => {
                trace.event(format_args!("connect {addr} failed: {err}"));
                last_error = Some(err);
            }
        }
    }
    Err(last_error
        .unwrap_or_else(|| io::Error::new(ErrorKind::InvalidInput, "no address to connect to")))
}
// ANCHOR_END: connect

// ANCHOR: receive_text
/// Reads from `reader` until end of stream and writes what arrives to `out` as UTF-8 text, as it arrives.
/// Returns how many bytes were read.
///
/// A character whose bytes are split across two reads is kept whole; bytes that are not UTF-8 are written
/// as U+FFFD (�), like Python's `errors="replace"`.
pub fn receive_text(mut reader: impl Read, mut out: impl Write) -> io::Result<u64> {
    // 4 KiB is plenty for text on a terminal: a bigger buffer means fewer `read` calls, not more data.
    let mut buf = [0u8; 4096];
    // The bytes of a character that has only partly arrived (at most 3 of its 4 bytes).
    let mut pending: Vec<u8> = Vec::with_capacity(4);
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            // End of stream: the peer closed (or shut down) its sending side. Not an error.
            Ok(0) => break,
            Ok(n) => n,
            // A signal interrupted the call before anything was read: just ask again.
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        total += n as u64;
        pending.extend_from_slice(&buf[..n]);
        let complete = write_complete_text(&pending, &mut out)?;
        pending.drain(..complete);
        out.flush()?;
    }
    // The stream ended in the middle of a character: that part can never be completed.
    if !pending.is_empty() {
        out.write_all(char::REPLACEMENT_CHARACTER.to_string().as_bytes())?;
        out.flush()?;
    }
    Ok(total)
}
// ANCHOR_END: receive_text

// ANCHOR: write_complete_text
/// Writes the decodable part of `bytes` to `out` and returns how many bytes it used. An incomplete
/// character at the very end is left for the next read; an invalid sequence becomes U+FFFD.
fn write_complete_text(bytes: &[u8], out: &mut impl Write) -> io::Result<usize> {
    let mut used = 0;
    while used < bytes.len() {
        match std::str::from_utf8(&bytes[used..]) {
            Ok(text) => {
                out.write_all(text.as_bytes())?;
                return Ok(bytes.len());
            }
            Err(err) => {
                let valid = err.valid_up_to();
                out.write_all(&bytes[used..used + valid])?;
                used += valid;
                match err.error_len() {
                    // Invalid bytes: replace them and carry on after them.
                    Some(bad) => {
                        out.write_all(char::REPLACEMENT_CHARACTER.to_string().as_bytes())?;
                        used += bad;
                    }
                    // A character cut short by the end of what has arrived: wait for its other bytes.
                    None => return Ok(used),
                }
            }
        }
    }
    Ok(used)
}
// ANCHOR_END: write_complete_text

// ANCHOR: send_request
/// Sends all of `request`, then shuts down the sending side of `stream`: the server reads end of stream
/// (`Ok(0)`), knows the request is complete, and can answer. Reading the answer still works.
pub fn send_request(stream: &mut Traced<TcpStream>, request: &[u8]) -> io::Result<()> {
    // `write` may send only part of the buffer and say so in its return value; `write_all` loops until
    // everything is sent (or fails).
    stream.write_all(request)?;
    stream.shutdown(Shutdown::Write)
}
// ANCHOR_END: send_request
