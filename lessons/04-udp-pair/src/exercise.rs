//! Lesson 04, your version. Replace each `todo!()` and run `cargo run -- check 4` after every step.
//! Stuck? `cargo run -- hint 4`. Lost? `cargo run -- reset 4` puts this file back as it was.
//!
//! The server is [`serve`] and [`answer`] (steps 1 and 2, then a few lines with the given
//! `dropped_on_purpose` in step 3); the client is [`request`] and [`client_socket`] (steps 3 and 4). The
//! configs (`config.rs`), the `Reply`, the tags and small helpers (`datagram.rs`) are given: read them first.
// Until you write the bodies, parameters and helpers are unused; this keeps the compiler quiet about it.
#![allow(unused_variables, unused_mut, unused_imports, dead_code)]

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use shared::trace::{Preview, Trace, is_timeout};

use crate::{
    ClientConfig, MAX_REPLY, Reply, ServerConfig, dropped_on_purpose, strip_line_end, tag, tag_for,
};

/// Answers every datagram that arrives on `socket`, forever: each request `X` from any client gets the
/// reply [`answer`] makes, sent back to the address it came from.
///
/// There is no `accept` and no connection: one socket serves every client, and `recv_from` says who sent
/// each datagram. Nothing a client sends can stop the server: a bad datagram gets an error reply, and an
/// error from the socket is reported and the loop goes on.
pub fn serve(socket: &UdpSocket, config: &ServerConfig, trace: &Trace) -> io::Result<()> {
    // TODO(step 1): a buffer (a `vec![0u8; ...]`), then a loop that never ends:
    //   - `socket.recv_from(&mut buf)` waits for the next datagram, from any client, and returns
    //     `(len, from)`: how many bytes it put in `buf`, and the sender's address. If it fails, report it
    //     (`trace.event(format_args!(...))`) and `continue`: the server must not stop for one bad moment;
    //   - the reply is `answer(&buf[..len])`;
    //   - `socket.send_to(&reply, from)`: the address is all you know of a client. A failed send concerns
    //     that client only: report it and go on.
    //   `trace.event(format_args!("recv_from {from}: {len} bytes {}", Preview(&buf[..len])))` (and the
    //   same for the send) lets `--trace` show each datagram. `loop {}` with no `break` satisfies the
    //   return type.
    // TODO(step 2): `recv_from` cuts a datagram that does not fit to the buffer's size, and throws the rest
    //   away without an error. Size the buffer from `config.max_datagram`, with one byte to spare: a
    //   datagram that fills it all is too long, and gets `error: datagram too long (max N bytes)\n`
    //   (N is `config.max_datagram`) instead of `answer`'s reply, with the datagram's tag first: the start
    //   of the datagram did arrive, and `split_tag` finds the tag in it.
    // TODO(step 3): count the datagrams that arrive: add 1 to the count first (the first datagram is
    //   number 1), then `if dropped_on_purpose(config, received, from, trace) { continue; }` (given below).
    todo!("step 1: answer each datagram, sent back where it came from")
}

/// The reply to one request datagram, newline included.
///
/// `X` (a trailing `\n` or `\r\n` is not part of it: `nc -u` sends one) gets `Hello, X!`. A request that
/// starts with a tag, `#N ` (a number and a space), gets the same tag at the start of its reply, so that a
/// client can tell which request a reply answers (see [`request`]). An empty request or one that is not
/// UTF-8 gets an error line; the server never crashes on what a client sends.
pub fn answer(datagram: &[u8]) -> Vec<u8> {
    // TODO(step 1): `Hello, X!` and a newline, as bytes (`format!(...).into_bytes()`). The datagram is
    //   bytes, not text: for now, `String::from_utf8_lossy(datagram)` makes text of it.
    // TODO(step 2): in this order:
    //   - `strip_line_end(datagram)` (given below);
    //   - `split_tag(...)` into the tag and the rest;
    //   - the rest as text: `std::str::from_utf8` fails on bytes that are not UTF-8 (reply
    //     `error: datagram is not UTF-8`), and an empty rest gets `error: empty datagram`;
    //   - the reply is the tag (as it came, possibly empty), then that text, then `\n`.
    todo!("step 1: the reply to one datagram")
}

/// Splits `#N ` (a `#`, 1 to 20 digits, a space) off the start of `datagram`: `(tag, rest)`, with an empty
/// tag when there is none.
pub fn split_tag(datagram: &[u8]) -> (&[u8], &[u8]) {
    // TODO(step 2): count the ASCII digits right after the first byte (`iter().skip(1).take_while(...)`,
    //   `u8::is_ascii_digit`). It is a tag if the first byte is `#`, there are 1 to 20 digits, and the
    //   byte after them is a space (`datagram.get(i)` returns `None` past the end instead of panicking).
    //   Then `datagram.split_at(...)` cuts it after the space; otherwise the tag is empty: `(&[], datagram)`.
    todo!("step 2: the tag at the start of a datagram")
}

/// Sends `message` as request number `id` on `socket`, a UDP socket connected to the server, and returns
/// its reply; `Ok(None)` when no reply came after `config.tries` sends.
///
/// Each send waits `config.timeout` for the reply. A datagram that carries another request's tag (a late
/// reply to an earlier one, a duplicate) is ignored and the wait goes on; one with no tag at all is taken
/// as the reply, [`Reply::Untagged`]. Because the socket is connected, a server that is not running is
/// reported as an error of kind `ConnectionRefused` (the kernel passes on the "port unreachable" answer)
/// instead of silence.
pub fn request(
    socket: &UdpSocket,
    id: u64,
    message: &str,
    config: &ClientConfig,
    trace: &Trace,
) -> io::Result<Option<Reply>> {
    // TODO(step 3): the datagram is the request's tag, `tag_for(id, config)` (`#1 `, or nothing when
    //   `config.tagged` is off), followed by the message. Then, for each try from 1 to
    //   `config.tries`:
    //   - `socket.send(...)`: the socket is connected, so no address is needed;
    //   - `socket.set_read_timeout(Some(config.timeout))`, then `socket.recv(&mut buf)` (a buffer of
    //     `MAX_REPLY` bytes): it returns the next datagram, or, after the timeout, an error that
    //     `is_timeout(&err)` recognises. A timeout means "no reply yet": go on to the next try. Any other
    //     error is returned (`?` or `return Err(err)`);
    //   - a reply: `strip_line_end`, then take the tag off the front (`strip_prefix`), and return
    //     `Ok(Some(Reply::Tagged(text)))` (`String::from_utf8_lossy(...).into_owned()` makes a `String`).
    //   After the last try, `Ok(None)`: no reply is an answer too, not an error.
    //   Report each send and each timeout with `trace.event(...)`; `--trace` shows them, and says
    //   `no reply within 1s, sending again` when it is about to send again.
    // TODO(step 4): a datagram is the reply only if it starts with this request's tag. One that starts
    //   with another tag (a late reply to an earlier request, a duplicate) is ignored, and the wait goes
    //   on: not a new try, and not a new full timeout either. One with no tag at all comes from a server
    //   that does not echo tags: take it, as `Reply::Untagged(text)` (your `split_tag` tells the three
    //   apart: this tag, another, or none). Compute the try's deadline once (`Instant::now() +
    //   config.timeout`); before each `recv`, set the read timeout to what is left of it
    //   (`deadline.saturating_duration_since(Instant::now())`). `set_read_timeout` refuses a zero
    //   duration: when nothing is left, the try is over.
    todo!("step 3: send, wait with a timeout, send again")
}

/// A UDP socket for talking to `server` only: bound to any port of this machine, then connected.
///
/// `connect` on a UDP socket sends nothing: it records the peer, so that `send` needs no address, the
/// kernel drops datagrams from anyone else, and an ICMP "port unreachable" comes back as an error.
pub fn client_socket(server: SocketAddr) -> io::Result<UdpSocket> {
    // TODO(step 4): `UdpSocket::bind` to port 0 (the kernel picks a free port) of any address of the
    //   server's family: `0.0.0.0` for an IPv4 server (`server.is_ipv4()`), `[::]` for IPv6. Then
    //   `socket.connect(server)`.
    todo!("step 4: a socket connected to the server")
}
