//! Support shared by this lesson's test files: the server (or one session of it) on a thread, on port 0.
//!
//! Each test file uses only part of it.
#![allow(dead_code)]

use std::io::{self, ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use shared::testing::{IO_TIMEOUT, with_timeouts};
use shared::trace::{Trace, is_timeout};
use single_server::{Config, SessionEnd, serve, serve_client};

/// How long a failure message waits to learn whether `serve` has returned. Only failing tests wait.
const STATE_WAIT: Duration = Duration::from_secs(1);

/// Reads one line (up to and including `\n`) byte by byte, so nothing after it is consumed.
pub fn try_read_line(stream: &mut impl Read) -> io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") {
        match stream.read(&mut byte) {
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!(
                        "the connection was closed after {:?}",
                        String::from_utf8_lossy(&line)
                    ),
                ));
            }
            Ok(_) => line.push(byte[0]),
            Err(err) if is_timeout(&err) => {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    format!(
                        "nothing more within {IO_TIMEOUT:?} after {:?}",
                        String::from_utf8_lossy(&line)
                    ),
                ));
            }
            Err(err) => return Err(err),
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Checks that the server closed the connection after its last line: end of stream, or a reset (a
/// server that closes without reading everything sends one). More bytes or a timeout fail the test.
pub fn assert_closed(client: &mut TcpStream, after: &str) {
    let mut buf = [0u8; 256];
    match client.read(&mut buf) {
        Ok(0) => {}
        Err(err) if err.kind() == ErrorKind::ConnectionReset => {}
        Ok(n) => panic!(
            "after {after} the server should close the connection, but it sent {:?}",
            String::from_utf8_lossy(&buf[..n])
        ),
        Err(err) if is_timeout(&err) => panic!(
            "after {after} the server should close the connection, but it stayed open for {IO_TIMEOUT:?}"
        ),
        Err(err) => panic!("after {after}, reading failed: {err}"),
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
    pub fn connect(&self) -> TcpStream {
        match TcpStream::connect_timeout(&self.addr, IO_TIMEOUT) {
            Ok(stream) => with_timeouts(stream),
            Err(err) => panic!("could not connect to the server: {err}; {}", self.state()),
        }
    }

    /// Whether `serve` has returned, for failure messages: it waits a moment, because a server that has
    /// just failed closes its listener before it returns.
    pub fn state(&self) -> String {
        match self.result.recv_timeout(STATE_WAIT) {
            Ok(Ok(())) => "serve had returned Ok(())".into(),
            Ok(Err(err)) => format!("serve had returned an error: {err}"),
            Err(RecvTimeoutError::Disconnected) => "serve had panicked (see its message)".into(),
            Err(RecvTimeoutError::Timeout) => "serve is still running".into(),
        }
    }

    /// Reads one line, or panics with what went wrong and whether `serve` is still running.
    pub fn read_line(&self, client: &mut TcpStream, who: &str) -> String {
        try_read_line(client).unwrap_or_else(|err| {
            panic!(
                "{who} expected a line from the server: {err}; {}",
                self.state()
            )
        })
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

/// Starts one `serve_client` session on a thread and connects a client to it (with timeouts).
///
/// Close or drop the client before [`SessionThread::end`] when the server may be closing politely: it waits
/// (up to a second) for the client to close too.
pub fn start_session(config: Config) -> (TcpStream, SessionThread) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    let addr = listener.local_addr().expect("the listener's address");
    let (done, end) = mpsc::channel();
    thread::spawn(move || {
        let result = listener
            .accept()
            .and_then(|(stream, _)| serve_client(stream, &config, &Trace::off()));
        let _ = done.send(result);
    });
    (shared::testing::connect(addr), SessionThread { end })
}

/// A `serve_client` session running on a thread.
pub struct SessionThread {
    end: Receiver<io::Result<SessionEnd>>,
}

impl SessionThread {
    /// Waits for `serve_client` to return and returns what it returned.
    pub fn end(self) -> io::Result<SessionEnd> {
        match self.end.recv_timeout(IO_TIMEOUT) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                panic!("serve_client did not return within {IO_TIMEOUT:?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("serve_client panicked (see its message above)")
            }
        }
    }
}
