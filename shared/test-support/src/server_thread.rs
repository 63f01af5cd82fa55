//! One server function on a thread, over a socket bound to `127.0.0.1:0` before the thread starts, and
//! clients whose failure messages say what the server function did meanwhile.
//!
//! ```
//! use std::io::Write;
//! use test_support::ServerThread;
//!
//! // Any function of a listener that returns `io::Result<T>`: here, greet one client and return its address.
//! let server = ServerThread::tcp(|listener| {
//!     let (mut stream, peer) = listener.accept()?;
//!     stream.write_all(b"Welcome\n")?;
//!     Ok(peer)
//! });
//! let mut client = server.connect("the client");
//! assert_eq!(server.read_line(&mut client, "the client"), "Welcome\n");
//! let peer = server.finish("after one client", "is it still waiting for another?");
//! assert_eq!(peer, client.local_addr().unwrap());
//! ```
//!
//! The socket is bound before the thread starts, so a client can connect at once: nothing waits and
//! nothing races. A server function that never returns leaves its thread running; it ends with the test
//! program.

use std::fmt::Debug;
use std::io::{self, ErrorKind, Read, Write};
use std::marker::PhantomData;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use shared::trace::{Preview, is_timeout};

use crate::{IO_TIMEOUT, Outcome, caught_any, try_read_line, try_read_until_closed, with_timeouts};

/// How long a failure message waits to learn whether the server function has returned. Only failing
/// tests wait: a server that has just failed closes its socket a moment before it returns.
const STATE_WAIT: Duration = Duration::from_secs(1);

/// Big enough for every datagram a test receives (the largest UDP payload is 65,507 bytes).
const RECEIVE_BUFFER: usize = 65_536;

/// The transport of a [`ServerThread`]: its client helpers differ.
pub trait Transport {}

/// A server on a [`TcpListener`].
#[derive(Debug)]
pub struct Tcp;
impl Transport for Tcp {}

/// A server on a [`UdpSocket`].
#[derive(Debug)]
pub struct Udp;
impl Transport for Udp {}

/// What the server function did, in words: `None` while it is still running. A lesson that knows what
/// a result means (a UDP server should never return) passes its own with [`ServerThread::describing`].
pub type Describe<T> = fn(name: &str, done: Option<&Outcome<io::Result<T>>>) -> String;

/// A server function running on a thread; `T` is what it returns in `Ok`, `P` its transport.
pub struct ServerThread<T, P: Transport = Tcp> {
    addr: SocketAddr,
    /// The function's name in messages: `serve`, `serve_client`.
    name: &'static str,
    describe: Describe<T>,
    result: Receiver<Outcome<io::Result<T>>>,
    /// What the function did, once something asked: the channel gives it only once.
    done: Mutex<Option<Outcome<io::Result<T>>>>,
    transport: PhantomData<P>,
}

/// `serve returned Ok(())`, `serve returned Err(ConnectionReset: ...)`, `serve panicked: ...`.
pub fn describe_returned<T: Debug>(name: &str, done: Option<&Outcome<io::Result<T>>>) -> String {
    match done {
        None => format!("{name} is still running"),
        Some(Ok(Ok(value))) => format!("{name} returned Ok({value:?})"),
        Some(Ok(Err(err))) if is_timeout(err) => format!(
            "{name} returned Err({:?}: {err}). That is a timeout: its kind is WouldBlock on Linux and \
             macOS, TimedOut on Windows, and `shared::trace::is_timeout(&err)` recognises both",
            err.kind()
        ),
        Some(Ok(Err(err))) => format!("{name} returned Err({:?}: {err})", err.kind()),
        Some(Err(panic)) => format!("{name} {panic}"),
    }
}

impl<T: Debug + Send + 'static, P: Transport> ServerThread<T, P> {
    fn spawn<S: Send + 'static>(
        socket: S,
        addr: SocketAddr,
        serve: impl FnOnce(S) -> io::Result<T> + Send + 'static,
    ) -> Self {
        let (done, result) = mpsc::channel();
        thread::spawn(move || {
            let _ = done.send(caught_any(|| serve(socket)));
        });
        ServerThread {
            addr,
            name: "serve",
            describe: describe_returned::<T>,
            result,
            done: Mutex::new(None),
            transport: PhantomData,
        }
    }

    /// The name failure messages give the server function (`serve` unless told).
    pub fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// Says in a lesson's own words what the server function did (see [`Describe`]).
    pub fn describing(mut self, describe: Describe<T>) -> Self {
        self.describe = describe;
        self
    }

    /// The address the server's socket is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the server function has done, for failure messages: still running, returned, or panicked.
    /// Waits a moment for news.
    pub fn state(&self) -> String {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        if done.is_none() {
            match self.result.recv_timeout(STATE_WAIT) {
                Ok(outcome) => *done = Some(outcome),
                Err(RecvTimeoutError::Timeout) => return (self.describe)(self.name, None),
                Err(RecvTimeoutError::Disconnected) => {
                    return format!("{}'s thread is gone", self.name);
                }
            }
        }
        (self.describe)(self.name, done.as_ref())
    }

    /// What the server function did, waiting at most `within` for it: `None` while it is still running.
    /// It is given once; a second call returns `None`.
    pub fn try_finish(&self, within: Duration) -> Option<Outcome<io::Result<T>>> {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        done.take()
            .or_else(|| self.result.recv_timeout(within).ok())
    }

    /// Waits (at most [`IO_TIMEOUT`]) for the server function to return `Ok`, and returns its value. `when`
    /// says why it should have returned by now, `otherwise` what to check when it has not.
    #[track_caller]
    pub fn finish(&self, when: &str, otherwise: &str) -> T {
        let name = self.name;
        match self.try_finish(IO_TIMEOUT) {
            Some(Ok(Ok(value))) => value,
            None => panic!(
                "{when}, {name} should return, but it has not after {IO_TIMEOUT:?}: {otherwise}"
            ),
            Some(other) => panic!(
                "{when}, {name} should return Ok(...), but {}",
                (self.describe)(name, Some(&other))
            ),
        }
    }

    /// Panics with `problem`, saying who met it and what the server side did.
    #[track_caller]
    fn fail(&self, who: &str, problem: &str) -> ! {
        panic!("{who}: {problem}\n  server side: {}", self.state())
    }
}

impl<T: Debug + Send + 'static> ServerThread<T, Tcp> {
    /// Binds a listener on `127.0.0.1:0` and runs `serve(listener)` on a thread.
    pub fn tcp(serve: impl FnOnce(TcpListener) -> io::Result<T> + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        Self::on(listener, serve)
    }

    /// Runs `serve(listener)` on a thread, for a test that needs the listener first (to make something
    /// from it, as lesson 03 makes its `Stop`).
    pub fn on(
        listener: TcpListener,
        serve: impl FnOnce(TcpListener) -> io::Result<T> + Send + 'static,
    ) -> Self {
        let addr = listener.local_addr().expect("the listener's address");
        Self::spawn(listener, addr, serve)
    }

    /// Connects a client with [`IO_TIMEOUT`] on everything. `who` names the client in messages.
    #[track_caller]
    pub fn connect(&self, who: &str) -> TcpStream {
        match TcpStream::connect_timeout(&self.addr, IO_TIMEOUT) {
            Ok(stream) => with_timeouts(stream),
            Err(err) => self.fail(who, &format!("could not connect to the server: {err}")),
        }
    }

    /// Reads one line (`\n` included), and nothing after it.
    #[track_caller]
    pub fn read_line(&self, client: &mut impl Read, who: &str) -> String {
        match try_read_line(client) {
            Ok(line) => line,
            Err(problem) => self.fail(
                who,
                &format!("expected a line from the server, but {problem}"),
            ),
        }
    }

    /// Sends `bytes`, all of them.
    #[track_caller]
    pub fn send(&self, client: &mut impl Write, bytes: &[u8], who: &str) {
        if let Err(err) = client.write_all(bytes) {
            let sent = Preview(bytes);
            self.fail(
                who,
                &format!("sending {sent} failed: {:?}: {err}", err.kind()),
            );
        }
    }

    /// Sends `line` and a newline, and returns the reply line.
    #[track_caller]
    pub fn ask(&self, client: &mut TcpStream, line: &str, who: &str) -> String {
        self.send(client, format!("{line}\n").as_bytes(), who);
        self.read_line(client, &format!("{who}, after sending `{line}`,"))
    }

    /// Reads until the server closes the connection (end of stream) and returns what came.
    #[track_caller]
    pub fn read_until_closed(&self, client: &mut impl Read, who: &str) -> Vec<u8> {
        let (received, err) = match try_read_until_closed(client) {
            Ok(received) => return received,
            Err(failed) => failed,
        };
        let what = if is_timeout(&err) {
            format!("the server did not close the connection within {IO_TIMEOUT:?}")
        } else {
            format!("reading failed: {:?}: {err}", err.kind())
        };
        let received = Preview(&received);
        self.fail(
            who,
            &format!("waited for end of stream: {what} (received {received})"),
        )
    }

    /// Checks that the server closed the connection normally after `after`: the next read is end of
    /// stream (`Ok(0)`). More bytes, a reset or a timeout fail the test.
    #[track_caller]
    pub fn assert_closed(&self, client: &mut impl Read, after: &str) {
        if let Err(problem) = read_end_of_stream(client) {
            self.fail(
                &format!("after {after}"),
                &format!("the server should close the connection, but {problem}"),
            );
        }
    }
}

/// Reads once where the server should have closed: `Ok(())` for end of stream, otherwise what came instead.
pub fn read_end_of_stream(client: &mut impl Read) -> Result<(), String> {
    let mut buf = [0u8; 256];
    loop {
        return match client.read(&mut buf) {
            Ok(0) => Ok(()),
            Ok(n) => Err(format!("it sent {}", Preview(&buf[..n]))),
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) if err.kind() == ErrorKind::ConnectionReset => Err(format!(
                "the connection was reset (ConnectionReset) instead of closed. A socket closed while \
                 bytes from the client are still unread in it sends a reset (RST) instead of a normal \
                 close (FIN), and a reset can destroy the server's last line: {err}"
            )),
            Err(err) if is_timeout(&err) => Err(format!("it stayed open for {IO_TIMEOUT:?}")),
            Err(err) => Err(format!("reading failed: {:?}: {err}", err.kind())),
        };
    }
}

impl<T: Debug + Send + 'static> ServerThread<T, Udp> {
    /// Binds a UDP socket on `127.0.0.1:0` and runs `serve(socket)` on a thread.
    pub fn udp(serve: impl FnOnce(UdpSocket) -> io::Result<T> + Send + 'static) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("binding a UDP socket to 127.0.0.1:0");
        let addr = socket.local_addr().expect("the socket's address");
        Self::spawn(socket, addr, serve)
    }

    /// Sends `datagram` from `client` to the server.
    #[track_caller]
    pub fn send(&self, client: &UdpSocket, datagram: &[u8], who: &str) {
        if let Err(err) = client.send_to(datagram, self.addr) {
            let sent = Preview(datagram);
            self.fail(
                who,
                &format!("sending {sent} failed: {:?}: {err}", err.kind()),
            );
        }
    }

    /// Receives one datagram on `client`, from the server's address. `Err` says what happened instead.
    pub fn try_receive(&self, client: &UdpSocket) -> Result<Vec<u8>, String> {
        let mut buf = vec![0u8; RECEIVE_BUFFER];
        match client.recv_from(&mut buf) {
            Ok((len, from)) if from == self.addr => Ok(buf[..len].to_vec()),
            Ok((len, from)) => Err(format!(
                "{} came from {from}, while the server is {}: reply with the socket the request arrived \
                 on (a client checks where a reply comes from)",
                Preview(&buf[..len]),
                self.addr
            )),
            Err(err) if is_timeout(&err) => Err(format!("no reply came within {IO_TIMEOUT:?}")),
            Err(err) => Err(format!("receiving failed: {:?}: {err}", err.kind())),
        }
    }

    /// Receives one datagram on `client`, from the server's address, or fails saying what to check.
    #[track_caller]
    pub fn receive(&self, client: &UdpSocket, who: &str) -> Vec<u8> {
        match self.try_receive(client) {
            Ok(datagram) => datagram,
            Err(problem) => self.fail(
                who,
                &format!(
                    "expected a reply, but {problem}. `recv_from` returns the datagram and the address it \
                     came from: send the reply there, with `socket.send_to(&reply, from)` (not to the \
                     server's own address; not with `send`, which needs a connected socket; and do not \
                     `connect` the server's socket: it serves everyone)"
                ),
            ),
        }
    }

    /// Sends `datagram` and returns the reply.
    #[track_caller]
    pub fn ask(&self, client: &UdpSocket, datagram: &[u8], who: &str) -> Vec<u8> {
        self.send(client, datagram, who);
        self.receive(
            client,
            &format!("{who}, after sending {},", Preview(datagram)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tcp_server_function_runs_and_its_value_comes_back() {
        let server = ServerThread::tcp(|listener| {
            let (mut stream, _) = listener.accept()?;
            stream.write_all(b"one\n")?;
            Ok(7)
        });
        let mut client = server.connect("the client");
        assert_eq!(server.read_line(&mut client, "the client"), "one\n");
        server.assert_closed(&mut client, "one line");
        assert_eq!(server.finish("after one client", "-"), 7);
    }

    #[test]
    fn failure_messages_say_what_the_server_did() {
        let server: ServerThread<()> =
            ServerThread::tcp(|_| Err(io::Error::other("gave up"))).named("serve_one");
        let mut state = server.state();
        if state.contains("still running") {
            state = server.state();
        }
        assert_eq!(state, "serve_one returned Err(Other: gave up)");

        let server: ServerThread<()> = ServerThread::tcp(|_| panic!("boom"));
        assert!(
            matches!(server.try_finish(IO_TIMEOUT), Some(Err(message)) if message.contains("boom"))
        );
    }

    #[test]
    fn a_udp_server_answers_from_its_own_address() {
        let server = ServerThread::udp(|socket| {
            let mut buf = [0u8; 64];
            let (n, from) = socket.recv_from(&mut buf)?;
            socket.send_to(&buf[..n], from)?;
            Ok(())
        });
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        assert_eq!(server.ask(&client, b"ping", "the client"), b"ping");
    }
}
