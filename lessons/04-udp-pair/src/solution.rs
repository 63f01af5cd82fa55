//! The reference solution of lesson 04: the functions the exercise's steps ask for. The configs, tags and
//! the other small pieces they use are given, in `config.rs` and `datagram.rs`. The book includes its parts
//! by their `ANCHOR` names.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Instant;

use shared::trace::{Preview, Trace, is_timeout};

use crate::{
    ClientConfig, MAX_REPLY, Reply, ServerConfig, dropped_on_purpose, strip_line_end, tag_for,
};

// ANCHOR: serve
/// Answers every datagram that arrives on `socket`, forever: each request `X` from any client gets the
/// reply [`answer`] makes, sent back to the address it came from.
///
/// There is no `accept` and no connection: one socket serves every client, and `recv_from` says who sent
/// each datagram. Nothing a client sends can stop the server: a bad datagram gets an error reply, and an
/// error from the socket is reported and the loop goes on.
pub fn serve(socket: &UdpSocket, config: &ServerConfig, trace: &Trace) -> io::Result<()> {
    // ANCHOR: buffer
    // One byte more than the largest request we accept: a datagram that fills it is too long. `recv_from`
    // cuts a datagram that does not fit to the buffer's size and throws the rest away, without an error
    // (Python's `recvfrom(1024)` too); the extra byte is how we notice.
    let mut buf = vec![0u8; config.max_datagram + 1];
    // ANCHOR_END: buffer
    let mut received: u64 = 0;
    loop {
        // ANCHOR: recv_from
        let (len, from) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            // Some systems report here an error caused by an earlier datagram (Windows: a reply that found
            // no one, as "connection reset"). It concerns one client at most: go on.
            Err(err) => {
                trace.event(format_args!("recv_from failed: {err} (going on)"));
                continue;
            }
        };
        // ANCHOR_END: recv_from
        received += 1;
        trace.event(format_args!(
            "recv_from {from}: {len} bytes {}",
            Preview(&buf[..len.min(config.max_datagram)])
        ));
        if dropped_on_purpose(config, received, from, trace) {
            continue;
        }
        let reply = reply_to(&buf[..len], config.max_datagram);
        send_reply(socket, &reply, from, trace);
    }
}
// ANCHOR_END: serve

// ANCHOR: too_long
/// The reply to `datagram`, as it came out of a buffer one byte longer than `max_datagram`: [`answer`]'s,
/// or an error line when the datagram filled the buffer (it was cut, so it was too long).
fn reply_to(datagram: &[u8], max_datagram: usize) -> Vec<u8> {
    if datagram.len() <= max_datagram {
        return answer(datagram);
    }
    // The start of the datagram arrived: its tag, if any, goes into the error reply, so that the client
    // knows which request it answers.
    let (tag, _) = split_tag(&datagram[..max_datagram]);
    let error = format!("error: datagram too long (max {max_datagram} bytes)\n");
    [tag, error.as_bytes()].concat()
}
// ANCHOR_END: too_long

// ANCHOR: send_to
/// Sends `reply` to `to`, the address the request came from: with no connection, that address is all we
/// know of the client. A failed send concerns that client only, so it is reported, not returned.
fn send_reply(socket: &UdpSocket, reply: &[u8], to: SocketAddr, trace: &Trace) {
    match socket.send_to(reply, to) {
        Ok(sent) => trace.event(format_args!(
            "send_to {to}: {sent} bytes {}",
            Preview(reply)
        )),
        Err(err) => trace.event(format_args!("send_to {to} failed: {err} (going on)")),
    }
}
// ANCHOR_END: send_to

// ANCHOR: answer
/// The reply to one request datagram, newline included.
///
/// `X` (a trailing `\n` or `\r\n` is not part of it: `nc -u` sends one) gets `Hello, X!`. A request that
/// starts with a tag, `#N ` (a number and a space), gets the same tag at the start of its reply, so that a
/// client can tell which request a reply answers (see [`request`]). An empty request or one that is not
/// UTF-8 gets an error line; the server never crashes on what a client sends.
pub fn answer(datagram: &[u8]) -> Vec<u8> {
    let datagram = strip_line_end(datagram);
    let (tag, body) = split_tag(datagram);
    let text = match std::str::from_utf8(body) {
        Ok("") => "error: empty datagram".to_string(),
        Ok(name) => format!("Hello, {name}!"),
        Err(_) => "error: datagram is not UTF-8".to_string(),
    };
    let mut reply = Vec::with_capacity(tag.len() + text.len() + 1);
    reply.extend_from_slice(tag);
    reply.extend_from_slice(text.as_bytes());
    reply.push(b'\n');
    reply
}
// ANCHOR_END: answer

// ANCHOR: tag
/// Splits `#N ` (a `#`, 1 to 20 digits, a space) off the start of `datagram`: `(tag, rest)`, with an empty
/// tag when there is none.
pub fn split_tag(datagram: &[u8]) -> (&[u8], &[u8]) {
    let digits = datagram
        .iter()
        .skip(1)
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    let tagged = datagram.first() == Some(&b'#')
        && (1..=20).contains(&digits)
        && datagram.get(1 + digits) == Some(&b' ');
    if tagged {
        datagram.split_at(digits + 2)
    } else {
        (&[], datagram)
    }
}
// ANCHOR_END: tag

// ANCHOR: request
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
    let tag = tag_for(id, config);
    let datagram = format!("{tag}{message}");
    for attempt in 1..=config.tries {
        let sent = socket.send(datagram.as_bytes())?;
        trace.event(format_args!(
            "send {sent} bytes {} (try {attempt} of {})",
            Preview(datagram.as_bytes()),
            config.tries
        ));
        if let Some(reply) = wait_for_reply(socket, &tag, config, trace)? {
            return Ok(Some(reply));
        }
        let again = if attempt < config.tries {
            ", sending again"
        } else {
            ""
        };
        trace.event(format_args!("no reply within {:?}{again}", config.timeout));
    }
    Ok(None)
}
// ANCHOR_END: request

// ANCHOR: wait_for_reply
/// Waits at most `config.timeout` for the reply to the request tagged `tag`; `Ok(None)` when the time is
/// up. Datagrams that carry another tag are ignored, and do not make the wait any longer.
fn wait_for_reply(
    socket: &UdpSocket,
    tag: &str,
    config: &ClientConfig,
    trace: &Trace,
) -> io::Result<Option<Reply>> {
    let mut buf = [0u8; MAX_REPLY];
    // One deadline per try: datagrams that are not our reply must not make us wait longer.
    let deadline = Instant::now() + config.timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        // std refuses a zero timeout (`None` is "wait for ever"): time is up before that.
        if left.is_zero() {
            return Ok(None);
        }
        socket.set_read_timeout(Some(left))?;
        let len = match socket.recv(&mut buf) {
            Ok(len) => len,
            Err(err) if is_timeout(&err) => return Ok(None),
            Err(err) => return Err(err),
        };
        let (found, text) = split_tag(strip_line_end(&buf[..len]));
        let text = String::from_utf8_lossy(text).into_owned();
        let reply = match found {
            found if found == tag.as_bytes() && !tag.is_empty() => Reply::Tagged(text),
            // A server that does not echo tags: this may be our reply, or a late one; nobody can tell.
            [] => Reply::Untagged(text),
            _ => {
                let ignored = tag.trim_end();
                trace.event(format_args!(
                    "recv {len} bytes {}: not the reply to {ignored}, ignored",
                    Preview(&buf[..len])
                ));
                continue;
            }
        };
        trace.event(format_args!("recv {len} bytes {}", Preview(&buf[..len])));
        return Ok(Some(reply));
    }
}
// ANCHOR_END: wait_for_reply

// ANCHOR: client_socket
/// A UDP socket for talking to `server` only: bound to any port of this machine, then connected.
///
/// `connect` on a UDP socket sends nothing: it records the peer, so that `send` needs no address, the
/// kernel drops datagrams from anyone else, and an ICMP "port unreachable" comes back as an error.
pub fn client_socket(server: SocketAddr) -> io::Result<UdpSocket> {
    // Port 0: the kernel picks a free one. The address family must be the server's.
    let local: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(server)?;
    Ok(socket)
}
// ANCHOR_END: client_socket
