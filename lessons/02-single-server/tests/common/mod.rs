//! Support shared by this lesson's test files: the server (or one session of it) on a thread, on port 0,
//! and clients whose failure messages say what the server side did.
//!
//! Each test file uses only part of it.
#![allow(dead_code)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use shared::testing::{
    IO_TIMEOUT, panic_message, try_read_line, try_read_until_closed, with_timeouts,
};
use shared::trace::{Trace, Traced, is_timeout};
use single_server::{Config, SessionEnd, close_politely, serve, serve_client};

/// How long a failure message waits to learn whether the server side has returned. Only failing tests wait.
const STATE_WAIT: Duration = Duration::from_secs(1);

/// Why a reset where end of stream was expected matters, for failure messages.
const RESET_EXPLAINED: &str = "a socket closed while bytes from the client are still unread in it sends a \
     reset (RST) instead of a normal close (FIN), and a reset can destroy the server's last line. When the \
     server ends the session while the client may still be sending, close with `close_politely`";

/// Reads once after the server's last line: `Ok(())` for end of stream, otherwise what came instead.
fn read_end_of_stream(client: &mut TcpStream, after: &str) -> Result<(), String> {
    let mut buf = [0u8; 256];
    match client.read(&mut buf) {
        Ok(0) => Ok(()),
        Ok(n) => Err(format!(
            "after {after}, the server should close the connection, but it sent {:?}",
            String::from_utf8_lossy(&buf[..n])
        )),
        Err(err) if err.kind() == ErrorKind::ConnectionReset => Err(format!(
            "after {after}, the client should read end of stream (`Ok(0)`), but the connection was reset \
             (ConnectionReset): {RESET_EXPLAINED}"
        )),
        Err(err) if is_timeout(&err) => Err(format!(
            "after {after}, the server should close the connection, but it stayed open for {IO_TIMEOUT:?}"
        )),
        Err(err) => Err(format!(
            "after {after}, reading failed: {:?}: {err}",
            err.kind()
        )),
    }
}

/// Checks that the server closed the connection normally after its last line: end of stream (`Ok(0)`).
/// More bytes, a reset or a timeout fail the test.
#[track_caller]
pub fn assert_closed(client: &mut TcpStream, after: &str) {
    if let Err(problem) = read_end_of_stream(client, after) {
        panic!("{problem}");
    }
}

/// What the server side returned, for failure messages: `Ok(...)`, or `Err(kind: message)` with a word on
/// timeouts, whose kind differs between systems.
fn describe<T: std::fmt::Debug>(function: &str, result: &io::Result<T>) -> String {
    match result {
        Ok(value) => format!("{function} returned Ok({value:?})"),
        Err(err) if is_timeout(err) => format!(
            "{function} returned Err({:?}: {err}). That is a timeout: its kind is WouldBlock on Linux and \
             macOS, TimedOut on Windows, and `shared::trace::is_timeout(&err)` recognises both",
            err.kind()
        ),
        Err(err) => format!("{function} returned Err({:?}: {err})", err.kind()),
    }
}

/// A config for tests: the defaults, but stop after `clients` connections so that `serve` returns.
pub fn config_for(clients: usize) -> Config {
    Config {
        max_clients: Some(clients),
        ..Config::default()
    }
}

/// `serve` running on a thread, on a listener bound to `127.0.0.1:0` before the thread starts: a client
/// can connect at once, without waiting or racing.
pub struct ServerThread {
    addr: SocketAddr,
    result: Receiver<io::Result<()>>,
}

impl ServerThread {
    pub fn start(config: Config) -> Self {
        Self::start_with(config, Trace::off())
    }

    pub fn start_with(config: Config, trace: Trace) -> Self {
        Self::run(move |listener| serve(listener, &config, &trace))
    }

    /// Runs any accept loop (for example a broken one) the same way.
    pub fn run(accept_loop: impl FnOnce(TcpListener) -> io::Result<()> + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let addr = listener.local_addr().expect("the listener's address");
        let (done, result) = mpsc::channel();
        thread::spawn(move || {
            let _ = done.send(accept_loop(listener));
        });
        ServerThread { addr, result }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connects a client with timeouts on everything. If that fails, says whether the server has stopped.
    #[track_caller]
    pub fn connect(&self) -> TcpStream {
        match TcpStream::connect_timeout(&self.addr, IO_TIMEOUT) {
            Ok(stream) => with_timeouts(stream),
            Err(err) => panic!(
                "could not connect to the server: {err}\n  server side: {}",
                self.state()
            ),
        }
    }

    /// Whether `serve` has returned, for failure messages: it waits a moment, because a server that has
    /// just failed closes its listener before it returns.
    pub fn state(&self) -> String {
        match self.result.recv_timeout(STATE_WAIT) {
            Ok(result) => describe("serve", &result),
            Err(RecvTimeoutError::Disconnected) => "serve panicked (its message is above)".into(),
            Err(RecvTimeoutError::Timeout) => "serve is still running".into(),
        }
    }

    /// Reads one line, or panics with what went wrong and whether `serve` is still running.
    #[track_caller]
    pub fn read_line(&self, client: &mut TcpStream, who: &str) -> String {
        match try_read_line(client) {
            Ok(line) => line,
            Err(problem) => panic!(
                "{who} expected a line from the server, but {problem}\n  server side: {}",
                self.state()
            ),
        }
    }

    /// Reads until the server closes the connection (end of stream) and returns what came.
    #[track_caller]
    pub fn read_until_closed(&self, client: &mut TcpStream, who: &str) -> Vec<u8> {
        try_read_until_closed(client).unwrap_or_else(|(received, err)| {
            let what = if is_timeout(&err) {
                format!("the server did not close the connection within {IO_TIMEOUT:?}")
            } else {
                format!("reading failed: {:?}: {err}", err.kind())
            };
            panic!(
                "{who} waited for end of stream: {what} (received {:?})\n  server side: {}",
                String::from_utf8_lossy(&received),
                self.state()
            )
        })
    }

    /// Checks that the server closed the connection normally after `after`, saying what `serve` did if not.
    #[track_caller]
    pub fn assert_closed(&self, client: &mut TcpStream, after: &str) {
        if let Err(problem) = read_end_of_stream(client, after) {
            panic!("{problem}\n  server side: {}", self.state());
        }
    }

    /// Waits for `serve` to return (it should, after `max_clients` connections) and returns its result.
    pub fn finish(self) -> io::Result<()> {
        match self.result.recv_timeout(IO_TIMEOUT) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => panic!(
                "serve did not return within {IO_TIMEOUT:?}, although every client it was allowed \
                 (max_clients) has come and gone"
            ),
            Err(RecvTimeoutError::Disconnected) => panic!("serve panicked (see its message above)"),
        }
    }
}

/// One `serve_client` session running on a thread, and the test's client connected to it (with timeouts).
///
/// Every read and write that fails panics with the step's own context, what the client saw, and what
/// `serve_client` returned (or that it is still running, or panicked).
pub struct Session {
    client: TcpStream,
    end: Receiver<io::Result<SessionEnd>>,
    /// What `serve_client` returned, once a failure message has asked.
    returned: Option<io::Result<SessionEnd>>,
}

/// Starts one `serve_client` session on a thread and connects a client to it.
pub fn start_session(config: Config) -> Session {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    let addr = listener.local_addr().expect("the listener's address");
    let (done, end) = mpsc::channel();
    thread::spawn(move || {
        let result = listener
            .accept()
            .and_then(|(stream, _)| serve_client(stream, &config, &Trace::off()));
        let _ = done.send(result);
    });
    Session {
        client: shared::testing::connect(addr),
        end,
        returned: None,
    }
}

impl Session {
    /// What `serve_client` has done, for failure messages. Waits a moment for it to return.
    pub fn server_side(&mut self) -> String {
        if self.returned.is_none() {
            match self.end.recv_timeout(STATE_WAIT) {
                Ok(result) => self.returned = Some(result),
                Err(RecvTimeoutError::Timeout) => {
                    return "serve_client has not returned (it is probably blocked in a read, waiting \
                            for the client)"
                        .into();
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return "serve_client panicked (its message is above)".into();
                }
            }
        }
        describe("serve_client", self.returned.as_ref().expect("just stored"))
    }

    /// Reads one line. `context` says what the line is for, and starts the failure message.
    #[track_caller]
    pub fn read_line(&mut self, context: &str) -> String {
        match try_read_line(&mut self.client) {
            Ok(line) => line,
            Err(problem) => panic!(
                "{context}\n  client: expected a line, but {problem}\n  server side: {}",
                self.server_side()
            ),
        }
    }

    /// Sends `bytes` (all of them).
    #[track_caller]
    pub fn send(&mut self, bytes: &[u8], context: &str) {
        if let Err(err) = self.client.write_all(bytes) {
            panic!(
                "{context}\n  client: sending {} bytes failed: {:?}: {err}\n  server side: {}",
                bytes.len(),
                err.kind(),
                self.server_side()
            );
        }
    }

    /// Shuts down the client's sending side: the server reads end of stream.
    pub fn shutdown_write(&mut self) {
        self.client
            .shutdown(Shutdown::Write)
            .expect("shutting down the client's sending side");
    }

    /// Reads until end of stream and returns what came.
    #[track_caller]
    pub fn read_until_closed(&mut self, context: &str) -> Vec<u8> {
        try_read_until_closed(&mut self.client).unwrap_or_else(|(received, err)| {
            let what = if is_timeout(&err) {
                format!("the server did not close the connection within {IO_TIMEOUT:?}")
            } else if err.kind() == ErrorKind::ConnectionReset {
                format!("the connection was reset (ConnectionReset): {RESET_EXPLAINED}")
            } else {
                format!("reading failed: {:?}: {err}", err.kind())
            };
            panic!(
                "{context}\n  client: waited for end of stream, but {what} (received {:?})\n  \
                 server side: {}",
                String::from_utf8_lossy(&received),
                self.server_side()
            )
        })
    }

    /// Checks that the server closed the connection normally after `after`: end of stream, `Ok(0)`. More
    /// bytes, a reset or a timeout fail the test.
    #[track_caller]
    pub fn assert_closed(&mut self, after: &str) {
        if let Err(problem) = read_end_of_stream(&mut self.client, after) {
            panic!("{problem}\n  server side: {}", self.server_side());
        }
    }

    /// Closes the client and waits for `serve_client` to return; returns what it returned.
    ///
    /// The client is closed first: a server that closes politely waits (up to a second) for the client to
    /// close too.
    pub fn end(self) -> io::Result<SessionEnd> {
        let Session {
            client,
            end,
            returned,
        } = self;
        drop(client);
        if let Some(result) = returned {
            return result;
        }
        match end.recv_timeout(IO_TIMEOUT) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                panic!("serve_client did not return within {IO_TIMEOUT:?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("serve_client panicked (see its message above)")
            }
        }
    }

    /// Closes the client, waits for `serve_client` to return, and checks that it returned `Ok(expected)`.
    #[track_caller]
    pub fn assert_end(self, expected: SessionEnd, context: &str) {
        let result = self.end();
        if !matches!(result, Ok(end) if end == expected) {
            panic!(
                "{context}: serve_client should return Ok(SessionEnd::{expected:?}), but {}",
                describe("it", &result)
            );
        }
    }
}

/// A client socket whose receive buffer is small, connected to `listener`. The buffer size must be set
/// before connecting: it decides the window the client announces in its handshake.
pub fn slow_reader(listener: &TcpListener) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .expect("creating a socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("setting SO_RCVBUF");
    socket
        .connect_timeout(
            &listener
                .local_addr()
                .expect("the listener's address")
                .into(),
            IO_TIMEOUT,
        )
        .expect("connecting on loopback");
    with_timeouts(socket.into())
}

/// Waits until at least `n` bytes have arrived in `stream`'s receive buffer, without reading them: `peek`
/// returns what is there and leaves it there.
pub fn wait_until_received(stream: &TcpStream, n: usize) {
    let deadline = Instant::now() + IO_TIMEOUT;
    let mut buf = vec![0u8; n];
    while stream.peek(&mut buf).expect("peek") < n {
        assert!(
            Instant::now() < deadline,
            "{n} bytes did not arrive within {IO_TIMEOUT:?}"
        );
        thread::yield_now();
    }
}

/// Writes to `server` without blocking until its send buffer is full, and returns how many bytes it took.
/// With a client that reads nothing meanwhile, some of them are still in the server's send buffer.
pub fn fill_send_buffer(server: &mut TcpStream) -> usize {
    server.set_nonblocking(true).expect("set_nonblocking");
    let chunk = [b'a'; 4096];
    let mut written = 0;
    loop {
        match server.write(&chunk) {
            Ok(n) => written += n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) => panic!("writing to the client failed: {err}"),
        }
    }
    server.set_nonblocking(false).expect("set_nonblocking");
    written
}

/// Reads until end of stream or an error, and returns how many bytes came and how it ended.
pub fn read_to_the_end(client: &mut TcpStream) -> (usize, io::Result<()>) {
    let mut received = 0;
    let mut buf = [0u8; 4096];
    loop {
        match client.read(&mut buf) {
            Ok(0) => return (received, Ok(())),
            Ok(n) => received += n,
            Err(err) => return (received, Err(err)),
        }
    }
}

/// Checks `close_politely` on its own (step 3, and the pitfall that shows the fix), on a connection where the server has written more than the client has read
/// (its receive buffer is small) and the client's line is unread: every byte must arrive, then end of
/// stream.
pub fn check_close_politely_delivers_everything() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = slow_reader(&listener);
    let (mut server, _) = listener.accept().unwrap();
    client.write_all(b"Alice\n").unwrap();
    wait_until_received(&server, 6);

    let (filled, written) = mpsc::channel();
    let closing = thread::spawn(move || {
        filled.send(fill_send_buffer(&mut server)).unwrap();
        close_politely(Traced::new(with_timeouts(server), Trace::off()));
    });
    let written = written.recv_timeout(IO_TIMEOUT).unwrap();
    let (received, end) = read_to_the_end(&mut client);
    drop(client);
    let closed = match closing.join() {
        Ok(()) => "close_politely returned".to_string(),
        Err(payload) => format!("close_politely panicked: {}", panic_message(&*payload)),
    };
    let context = format!(
        "close_politely on its own: the server wrote {written} bytes that the client had not read yet, and \
         the client's line `Alice` was unread; the client received {received} of them"
    );
    match end {
        Ok(()) => assert_eq!(
            received, written,
            "{context}, then end of stream: every byte must arrive\n  server side: {closed}"
        ),
        Err(err) => panic!(
            "{context}, then {:?}: {err}. `shutdown(Shutdown::Write)` first, then read and discard until the \
             client closes too (`Ok(0)`), and only then drop the stream\n  server side: {closed}",
            err.kind()
        ),
    }
}
