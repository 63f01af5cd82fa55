//! Support shared by this lesson's test files: `serve` on a thread, client sockets with timeouts, a scripted
//! peer that plays the server for `request`, and failure messages that say what the other side did.
//!
//! Each test file uses only part of it.
#![allow(dead_code)]

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use shared::trace::{Trace, is_timeout};
use test_support::{IO_TIMEOUT, Outcome, ServerThread, Udp, describe_returned, panic_message};
use udp_pair::{ClientConfig, Reply, ServerConfig, request, serve};

/// How long a test waits for a datagram that should NOT come. On loopback an answer takes microseconds, so
/// this is plenty; only a test that checks for silence waits it.
pub const SILENCE: Duration = Duration::from_millis(100);

/// Big enough for every datagram the tests receive.
const RECEIVE_BUFFER: usize = 65_536;

/// A UDP socket on `127.0.0.1:0`, not connected, with [`IO_TIMEOUT`] on reads and writes.
pub fn client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("binding a UDP socket to 127.0.0.1:0");
    with_timeouts(socket)
}

/// A UDP socket on `127.0.0.1:0`, connected to `peer`, with timeouts: what `request` is given.
pub fn connected_to(peer: SocketAddr) -> UdpSocket {
    let socket = client();
    socket.connect(peer).expect("connecting a UDP socket");
    socket
}

/// Gives `socket` [`IO_TIMEOUT`] on reads and writes, so no test blocks forever on it.
pub fn with_timeouts(socket: UdpSocket) -> UdpSocket {
    socket
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("setting a read timeout");
    socket
        .set_write_timeout(Some(IO_TIMEOUT))
        .expect("setting a write timeout");
    socket
}

/// An address where nothing listens: a port that was bound a moment ago and is free again.
pub fn closed_port() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("binding a UDP socket to 127.0.0.1:0");
    socket.local_addr().expect("the socket's address")
    // Dropped here: the port is closed.
}

/// Bytes as a quoted string for messages: `"Hello, Alice!\n"`.
pub fn show(bytes: &[u8]) -> String {
    if bytes.len() > 60 {
        return format!(
            "{:?}... ({} bytes)",
            String::from_utf8_lossy(&bytes[..40]),
            bytes.len()
        );
    }
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// What a correct server answers to `datagram` (the tag kept, a trailing newline ignored), written here so
/// that the tests of `request` do not depend on your `answer`.
pub fn hello_reply(datagram: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(datagram);
    let text = text.trim_end_matches(['\r', '\n']);
    let (tag, name) = match text.split_once(' ') {
        Some((tag, name)) if tag.len() > 1 && tag[1..].bytes().all(|b| b.is_ascii_digit()) => {
            (format!("{tag} "), name)
        }
        _ => (String::new(), text),
    };
    format!("{tag}Hello, {name}!\n").into_bytes()
}

/// `serve` on a thread, on a socket bound to `127.0.0.1:0` before the thread starts (test-support's
/// `ServerThread`): a client can send at once, without waiting or racing. `serve` never returns by
/// itself: the thread ends with the test program.
pub fn start_server(config: ServerConfig) -> ServerThread<(), Udp> {
    start_server_with(config, Trace::off())
}

/// [`start_server`], with `serve` tracing to `trace`.
pub fn start_server_with(config: ServerConfig, trace: Trace) -> ServerThread<(), Udp> {
    ServerThread::udp(move |socket| serve(&socket, &config, &trace)).describing(describe_serve)
}

/// Asks the kernel to report ICMP errors on the unconnected `socket` too (`IP_RECVERR`, Linux): a
/// datagram it sent that found no one ("port unreachable") makes its next `recv_from` fail with
/// `ConnectionRefused`. Windows does that without being asked (as `ConnectionReset`); Linux by default
/// tells only a connected socket.
#[cfg(target_os = "linux")]
pub fn report_icmp_errors(socket: &UdpSocket) {
    nix::sys::socket::setsockopt(socket, nix::sys::socket::sockopt::Ipv4RecvErr, &true)
        .expect("setting IP_RECVERR");
}

/// `serve` on a socket that reports ICMP errors ([`report_icmp_errors`]), where a request from a client
/// that has closed its socket already waits: the reply to it finds no one, and `serve`'s next `recv_from`
/// fails with `ConnectionRefused`, as it does on Windows.
#[cfg(target_os = "linux")]
pub fn start_server_after_a_client_left(config: ServerConfig) -> ServerThread<(), Udp> {
    ServerThread::udp(move |socket| {
        report_icmp_errors(&socket);
        let gone = UdpSocket::bind("127.0.0.1:0").expect("binding a UDP socket to 127.0.0.1:0");
        gone.send_to(b"Alice", socket.local_addr()?)
            .expect("sending to the server's socket");
        drop(gone);
        serve(&socket, &config, &Trace::off())
    })
    .describing(describe_serve)
}

/// What `serve` did, for failure messages: a UDP server has no reason to return at all.
fn describe_serve(name: &str, done: Option<&Outcome<io::Result<()>>>) -> String {
    match done {
        Some(Ok(Ok(()))) => format!(
            "{name} returned Ok(()), but it should run for ever: a datagram, even an empty one, never \
             ends anything in UDP (there is no connection to end)"
        ),
        Some(Ok(Err(err))) => format!(
            "{name} returned Err({:?}: {err}); it should report a failed `recv_from` or `send_to` (with \
             `trace.event`) and go on",
            err.kind()
        ),
        other => describe_returned(name, other),
    }
}

/// Sends `datagram` to `server` and returns the reply; when none comes, the failure message ends with
/// `hint`.
#[track_caller]
pub fn ask_with_hint(
    server: &ServerThread<(), Udp>,
    client: &UdpSocket,
    datagram: &[u8],
    who: &str,
    hint: &str,
) -> Vec<u8> {
    server.send(client, datagram, who);
    server.try_receive(client).unwrap_or_else(|problem| {
        panic!(
            "{who} sent {} and expected a reply, but {problem}. {hint}\n  server side: {}",
            show(datagram),
            server.state()
        )
    })
}

/// Checks that no datagram arrives on `client` for [`SILENCE`].
#[track_caller]
pub fn assert_no_reply(client: &UdpSocket, why: &str) {
    client
        .set_read_timeout(Some(SILENCE))
        .expect("setting a read timeout");
    let mut buf = vec![0u8; RECEIVE_BUFFER];
    let got = client.recv_from(&mut buf);
    client
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("setting a read timeout");
    match got {
        Err(err) if is_timeout(&err) => {}
        Ok((len, from)) => panic!(
            "{why}, no reply should come, but {} came from {from}",
            show(&buf[..len])
        ),
        Err(err) => panic!(
            "{why}, no reply should come, but receiving failed: {:?}: {err}",
            err.kind()
        ),
    }
}

/// A peer that plays the server for `request`, on a thread: for the Nth datagram it receives (from 1), it
/// sends back to the sender the datagrams `script(N, datagram)` returns, none or several. It reports every
/// datagram it receives, so a test can count the sends.
pub struct ScriptedPeer {
    addr: SocketAddr,
    seen: Receiver<Vec<u8>>,
}

/// What a [`ScriptedPeer`] answers to its Nth datagram.
pub type Script = Box<dyn FnMut(u64, &[u8]) -> Vec<Vec<u8>> + Send>;

impl ScriptedPeer {
    pub fn start(mut script: Script) -> Self {
        let socket = client();
        let addr = socket.local_addr().expect("the socket's address");
        let (report, seen) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = vec![0u8; RECEIVE_BUFFER];
            let mut received = 0;
            loop {
                let (len, from) = match socket.recv_from(&mut buf) {
                    Ok(got) => got,
                    // Quiet for a while: go on, unless the test is over.
                    Err(err) if is_timeout(&err) => continue,
                    Err(_) => continue,
                };
                received += 1;
                if report.send(buf[..len].to_vec()).is_err() {
                    return; // the test is over
                }
                for reply in script(received, &buf[..len]) {
                    let _ = socket.send_to(&reply, from);
                }
            }
        });
        ScriptedPeer { addr, seen }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every datagram the peer has received by now: the first `expected` may take [`IO_TIMEOUT`] each to
    /// come, and any more are looked for during [`SILENCE`].
    pub fn received(&self, expected: usize) -> Vec<Vec<u8>> {
        let mut seen = Vec::new();
        while seen.len() < expected {
            match self.seen.recv_timeout(IO_TIMEOUT) {
                Ok(datagram) => seen.push(datagram),
                Err(_) => return seen,
            }
        }
        while let Ok(datagram) = self.seen.recv_timeout(SILENCE) {
            seen.push(datagram);
        }
        seen
    }
}

/// What `request` did: returned a value, or (as `Err`) panicked or did not return in time.
pub type RequestOutcome = Result<io::Result<Option<Reply>>, String>;

/// Calls `request` on a thread, so that a request that never returns fails the test after `limit`
/// instead of hanging it. Returns what it did and how long it took.
pub fn call_request(
    socket: &Arc<UdpSocket>,
    id: u64,
    message: &str,
    config: &ClientConfig,
    limit: Duration,
) -> (RequestOutcome, Duration) {
    let (done, result) = mpsc::channel();
    let socket = Arc::clone(socket);
    let message = message.to_string();
    let config = config.clone();
    let start = Instant::now();
    thread::spawn(move || {
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            request(&socket, id, &message, &config, &Trace::off())
        }))
        .map_err(|payload| format!("panicked: {}", panic_message(&*payload)));
        let _ = done.send(outcome);
    });
    let outcome = match result.recv_timeout(limit) {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("had not returned after {limit:?}")),
    };
    (outcome, start.elapsed())
}

/// `request ... returned Ok(Some("Hello, Bob!"))`: what `request` did, in words for a failure message.
pub fn describe(outcome: &RequestOutcome) -> String {
    match outcome {
        Ok(Ok(Some(reply))) => format!("returned Ok(Some({reply:?}))"),
        Ok(Ok(None)) => "returned Ok(None)".into(),
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::InvalidInput => format!(
            "returned Err({:?}: {err}), the error of `set_read_timeout`, which refuses \
             `Some(Duration::ZERO)`. Check what is left before you set it: when `left.is_zero()`, this try \
             has had all its time, so stop waiting (send again, or return Ok(None) after the last try)",
            err.kind()
        ),
        Ok(Err(err)) => format!("returned Err({:?}: {err})", err.kind()),
        Err(what) => what.clone(),
    }
}

/// The datagrams a peer received, for failure messages.
pub fn show_all(datagrams: &[Vec<u8>]) -> String {
    let shown: Vec<String> = datagrams.iter().map(|d| show(d)).collect();
    format!("[{}]", shown.join(", "))
}
