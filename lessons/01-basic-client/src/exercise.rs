//! Lesson 01, your version. Replace each `todo!()` and run `cargo run -- check 1` after every step.
//! Stuck? `cargo run -- hint 1`. Lost? `cargo run -- reset 1 --yes` puts this file back as it was.
// Until you write the bodies, the parameters are unused; this keeps the compiler quiet about it.
#![allow(unused_variables, unused_mut, unused_imports)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use shared::trace::{Trace, Traced};

/// Connects to the first of `addrs` that accepts a connection, trying them in order, each for at most
/// `timeout`. If none does, returns the error of the last attempt.
pub fn connect(addrs: &[SocketAddr], timeout: Duration, trace: &Trace) -> io::Result<TcpStream> {
    // TODO(step 1): for each address, try `TcpStream::connect_timeout(addr, timeout)`.
    //   - the first that succeeds is the answer;
    //   - remember the error of a failed attempt and try the next address;
    //   - when every address failed, return the last error (and if `addrs` was empty, an error of your
    //     own, e.g. `io::Error::new(ErrorKind::InvalidInput, "no address to connect to")`).
    // Report each attempt once you know how it went, so `--trace` shows it:
    //   `trace.event(format_args!("connect {addr}"))` when it succeeded,
    //   `trace.event(format_args!("connect {addr} failed: {err}"))` when it did not.
    todo!("step 1: connect to the first address that answers")
}

/// Reads from `reader` until end of stream and writes what arrives to `out` as UTF-8 text, as it arrives.
/// Returns how many bytes were read.
pub fn receive_text(mut reader: impl Read, mut out: impl Write) -> io::Result<u64> {
    // TODO(step 2): read into a buffer (`[0u8; 4096]`) in a loop until `read` returns `Ok(0)`, the end of
    //   stream. Write what each read returned to `out` (only `buf[..n]`!) and count the bytes.
    //   An error of kind `Interrupted` means "try again"; any other error is returned.
    //   `out` is a writer like any other: one `write` may take only part of what it is given (its return
    //   value says how much), so write with the method that writes everything. And `flush` it after each
    //   read: standard output keeps a line until its newline comes, so a prompt like `Name? ` would stay
    //   invisible while the server waits for the answer.
    // TODO(step 3): a character can be split across two reads. Keep the bytes of an unfinished character
    //   for the next read (`std::str::from_utf8` and its error's `valid_up_to()` / `error_len()` tell
    //   where it starts), and write invalid bytes as `char::REPLACEMENT_CHARACTER`.
    todo!("step 2: read until the server closes")
}

/// Sends all of `request`, then shuts down the sending side of `stream`, so the server reads end of stream
/// and knows the request is complete. Reading the answer still works.
pub fn send_request(stream: &mut Traced<TcpStream>, request: &[u8]) -> io::Result<()> {
    // TODO(step 4): send every byte (which `Write` method guarantees that?), then `stream.shutdown(...)`
    //   the writing half only.
    todo!("step 4: send the request, then half-close")
}
