//! The reference solution of lesson 04. The book includes its parts by their `ANCHOR` names.

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use shared::trace::{Preview, Trace, is_timeout};

// ANCHOR: server_config
/// The biggest datagram the server takes unless told otherwise: 1024 bytes, Python's `recvfrom(1024)`.
///
/// A name fits many times over. UDP itself allows 65,507 bytes over IPv4, but every byte the server accepts
/// is a byte it may have to hold; a longer datagram gets an error reply instead of being cut short silently.
pub const DEFAULT_MAX_DATAGRAM: usize = 1024;

/// What the server accepts, and which datagrams it ignores on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The most bytes a request may have. A longer one is answered with an error line.
    pub max_datagram: usize,
    /// Ignore every Nth datagram (the Nth, the 2Nth, ...), as a lossy network would: a client's retries
    /// can then be seen and tested on loopback, where nothing is ever lost. `None` answers them all.
    pub drop_every: Option<u64>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_datagram: DEFAULT_MAX_DATAGRAM,
            drop_every: None,
        }
    }
}
// ANCHOR_END: server_config

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
        // ANCHOR: drop_every
        if config
            .drop_every
            .is_some_and(|n| n > 0 && received % n == 0)
        {
            trace.event(format_args!(
                "dropped datagram {received} from {from} on purpose (--drop-every)"
            ));
            continue;
        }
        // ANCHOR_END: drop_every
        // ANCHOR: too_long
        let reply = if len > config.max_datagram {
            // The start of the datagram arrived: its tag, if any, goes into the error reply, so that the
            // client knows which request it answers.
            let (tag, _) = split_tag(&buf[..config.max_datagram]);
            let error = format!(
                "error: datagram too long (max {} bytes)\n",
                config.max_datagram
            );
            [tag, error.as_bytes()].concat()
        } else {
            answer(&buf[..len])
        };
        // ANCHOR_END: too_long
        // ANCHOR: send_to
        // The reply goes to the address the request came from: with no connection, that address is all
        // we know of the client. A failed send concerns that client only.
        match socket.send_to(&reply, from) {
            Ok(sent) => trace.event(format_args!(
                "send_to {from}: {sent} bytes {}",
                Preview(&reply)
            )),
            Err(err) => trace.event(format_args!("send_to {from} failed: {err} (going on)")),
        }
        // ANCHOR_END: send_to
    }
}
// ANCHOR_END: serve

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

/// `datagram` without one trailing `\n` or `\r\n`.
fn strip_line_end(datagram: &[u8]) -> &[u8] {
    let datagram = datagram.strip_suffix(b"\n").unwrap_or(datagram);
    datagram.strip_suffix(b"\r").unwrap_or(datagram)
}

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

/// The tag of request number `id`: `#7 `.
pub fn tag(id: u64) -> String {
    format!("#{id} ")
}
// ANCHOR_END: tag

// ANCHOR: client_config
/// How long the client waits for each reply, and how often it asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// How long to wait for a reply after each send before sending again.
    pub timeout: Duration,
    /// How many times a request is sent at most (the first send included).
    pub tries: u32,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            // On loopback a reply takes microseconds; across the world, a few hundred milliseconds. One
            // second is patient without making a lost datagram cost long.
            timeout: Duration::from_secs(1),
            // Three tries: a datagram lost once in a while is recovered; a server that is down is given up
            // on after three seconds.
            tries: 3,
        }
    }
}
// ANCHOR_END: client_config

/// The biggest reply the client reads: a reply bigger than this is cut (and then does not match).
pub const MAX_REPLY: usize = 2048;

// ANCHOR: request
/// Sends `message` as request number `id` on `socket`, a UDP socket connected to the server, and returns
/// the reply without its tag and newline; `Ok(None)` when no reply came after `config.tries` sends.
///
/// Each send waits `config.timeout` for the reply. A datagram that is not the reply to this request (a
/// late reply to an earlier one, a duplicate) is ignored and the wait goes on. Because the socket is
/// connected, a server that is not running is reported as an error of kind `ConnectionRefused` (the
/// kernel passes on the "port unreachable" answer) instead of silence.
pub fn request(
    socket: &UdpSocket,
    id: u64,
    message: &str,
    config: &ClientConfig,
    trace: &Trace,
) -> io::Result<Option<String>> {
    let tag = tag(id);
    let datagram = format!("{tag}{message}");
    let mut buf = [0u8; MAX_REPLY];
    for attempt in 1..=config.tries {
        let sent = socket.send(datagram.as_bytes())?;
        trace.event(format_args!(
            "send {sent} bytes {} (try {attempt} of {})",
            Preview(datagram.as_bytes()),
            config.tries
        ));
        // ANCHOR: wait_for_reply
        // One deadline per try: datagrams that are not our reply must not make us wait longer.
        let deadline = Instant::now() + config.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // std refuses a zero timeout (`None` is "wait for ever"): time is up before that.
            if left.is_zero() {
                break;
            }
            socket.set_read_timeout(Some(left))?;
            let len = match socket.recv(&mut buf) {
                Ok(len) => len,
                Err(err) if is_timeout(&err) => break,
                Err(err) => return Err(err),
            };
            let reply = strip_line_end(&buf[..len]);
            match reply.strip_prefix(tag.as_bytes()) {
                Some(text) => {
                    trace.event(format_args!("recv {len} bytes {}", Preview(&buf[..len])));
                    return Ok(Some(String::from_utf8_lossy(text).into_owned()));
                }
                None => trace.event(format_args!(
                    "recv {len} bytes {}: not the reply to {}, ignored",
                    Preview(&buf[..len]),
                    tag.trim_end()
                )),
            }
        }
        // ANCHOR_END: wait_for_reply
        trace.event(format_args!(
            "no reply within {:?}{}",
            config.timeout,
            if attempt < config.tries {
                ", sending again"
            } else {
                ""
            }
        ));
    }
    Ok(None)
}
// ANCHOR_END: request

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

/// Whether `err` is the connected socket's report that nothing listens on the server's port.
pub fn is_refused(err: &io::Error) -> bool {
    err.kind() == ErrorKind::ConnectionRefused
}
