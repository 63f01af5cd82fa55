//! Support shared by this lesson's test files: the server on a thread, on port 0, and clients whose failure
//! messages say what the server side did.
//!
//! Each test file uses only part of it.
#![allow(dead_code)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use shared::testing::{
    IO_TIMEOUT, panic_message, try_read_line, try_read_until_closed, with_timeouts,
};
use shared::trace::{Trace, is_timeout};
use threaded_server::{BUSY_LINE, Config, Handler, Stop, Summary, serve, serve_with};

/// How long a failure message waits to learn whether `serve` has returned. Only failing tests wait.
const STATE_WAIT: Duration = Duration::from_secs(1);

/// The pause between two tries of something the server does on another thread, a moment after the client
/// could see it: a client's thread gives its place back just after the client has read end of stream.
/// Only the tries wait, not a test that succeeds at the first one.
const RETRY_PAUSE: Duration = Duration::from_millis(5);

/// A config for tests: the defaults (a 60 s idle timeout, a 5 s grace), with at most `max_clients`.
pub fn config_for(max_clients: usize) -> Config {
    Config {
        max_clients,
        ..Config::default()
    }
}

/// What `serve` did: returned (`Ok` or `Err`), or panicked with this message.
type Outcome = Result<io::Result<Summary>, String>;

/// `serve` (or `serve_with`) running on a thread, on a listener bound to `127.0.0.1:0` before the thread
/// starts, with a [`Stop`] made from it: a client can connect at once, without waiting or racing.
///
/// A test that does not stop the server leaves the thread running; it ends with the test process.
pub struct ServerThread {
    addr: SocketAddr,
    stop: Stop,
    result: Receiver<Outcome>,
    /// What `serve` returned, once a failure message has asked.
    returned: Mutex<Option<String>>,
}

impl ServerThread {
    pub fn start(config: Config) -> Self {
        Self::run(move |listener, stop| serve(listener, &config, &stop, &Trace::off()))
    }

    /// The server with another session than `greet_client` on each client's thread.
    pub fn start_with(config: Config, handler: Handler) -> Self {
        Self::run(move |listener, stop| {
            serve_with(listener, &config, &stop, &Trace::off(), handler)
        })
    }

    fn run(
        accept_loop: impl FnOnce(TcpListener, Stop) -> io::Result<Summary> + Send + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let addr = listener.local_addr().expect("the listener's address");
        let stop = Stop::new(&listener).expect("Stop::new");
        let (done, result) = mpsc::channel();
        let server_stop = stop.clone();
        thread::spawn(move || {
            let outcome =
                panic::catch_unwind(AssertUnwindSafe(|| accept_loop(listener, server_stop)))
                    .map_err(|payload| panic_message(&*payload).to_string());
            let _ = done.send(outcome);
        });
        ServerThread {
            addr,
            stop,
            result,
            returned: Mutex::new(None),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Calls `Stop::stop` on the server's stop, as Ctrl-C does in `main`.
    pub fn stop(&self) {
        self.stop.stop();
    }

    /// Whether `serve` has returned, for failure messages. It waits a moment: a server that has just
    /// failed closes its listener before it returns.
    pub fn state(&self) -> String {
        let mut returned = self.returned.lock().unwrap_or_else(|p| p.into_inner());
        if returned.is_none() {
            match self.result.recv_timeout(STATE_WAIT) {
                Ok(outcome) => *returned = Some(describe(&outcome)),
                Err(RecvTimeoutError::Timeout) => return "serve is still running".into(),
                Err(RecvTimeoutError::Disconnected) => return "serve's thread is gone".into(),
            }
        }
        returned.clone().expect("just stored")
    }

    /// Connects a client with timeouts on everything. If that fails, says whether `serve` has stopped.
    #[track_caller]
    pub fn connect(&self, who: &str) -> TcpStream {
        match TcpStream::connect_timeout(&self.addr, IO_TIMEOUT) {
            Ok(stream) => with_timeouts(stream),
            Err(err) => panic!(
                "{who} could not connect to the server: {err}\n  server side: {}",
                self.state()
            ),
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

    /// Sends `line` and a newline, and returns the reply line.
    #[track_caller]
    pub fn ask(&self, client: &mut TcpStream, line: &str, who: &str) -> String {
        self.send(client, format!("{line}\n").as_bytes(), who);
        self.read_line(client, &format!("{who}, after sending `{line}`,"))
    }

    /// Sends `bytes`, all of them.
    #[track_caller]
    pub fn send(&self, client: &mut TcpStream, bytes: &[u8], who: &str) {
        if let Err(err) = client.write_all(bytes) {
            panic!(
                "{who}: sending {:?} failed: {:?}: {err}\n  server side: {}",
                String::from_utf8_lossy(bytes),
                err.kind(),
                self.state()
            );
        }
    }

    /// Connects a client and checks that it is greeted with `Welcome`. `why` says why it should be.
    #[track_caller]
    pub fn welcome(&self, who: &str, why: &str) -> TcpStream {
        let mut client = self.connect(who);
        let first = self.read_line(&mut client, who);
        if first == BUSY_LINE {
            panic!(
                "{who} should be welcomed ({why}), but was told {first:?}\n  server side: {}",
                self.state()
            );
        }
        assert_eq!(
            first, "Welcome\n",
            "{who} should be greeted with exactly `Welcome` and a newline ({why})"
        );
        client
    }

    /// Connects a client that does what the busy line says: when it is told `busy`, it tries again, until
    /// it is welcomed or [`IO_TIMEOUT`] has passed. For a client whose place was freed a moment ago.
    #[track_caller]
    pub fn welcome_again(&self, who: &str, why: &str) -> TcpStream {
        let deadline = Instant::now() + IO_TIMEOUT;
        let mut tries = 0;
        loop {
            let mut client = self.connect(who);
            tries += 1;
            let first = self.read_line(&mut client, who);
            if first != BUSY_LINE {
                assert_eq!(
                    first, "Welcome\n",
                    "{who} should be greeted with exactly `Welcome` and a newline ({why})"
                );
                return client;
            }
            if Instant::now() > deadline {
                panic!(
                    "{who} should be welcomed ({why}), but was told {BUSY_LINE:?} {tries} times in \
                     {IO_TIMEOUT:?}: the place was never given back. Give it back when the client's \
                     thread ends, however it ends: the `Seat` moved into the thread frees it in its `Drop`\
                     \n  server side: {}",
                    self.state()
                );
            }
            thread::sleep(RETRY_PAUSE);
        }
    }

    /// Asks `who` on `client` until the reply is `expected`, accepting `meanwhile` in between (the server
    /// counts a client as gone a moment after that client has read end of stream).
    #[track_caller]
    pub fn who_until(
        &self,
        client: &mut TcpStream,
        expected: &str,
        meanwhile: &str,
        context: &str,
    ) {
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            let reply = self.ask(client, "who", context);
            if reply == expected {
                return;
            }
            assert_eq!(
                reply, meanwhile,
                "{context}: `who` should answer {expected:?} (or {meanwhile:?} for a moment)"
            );
            if Instant::now() > deadline {
                panic!(
                    "{context}: `who` should answer {expected:?}, but it still answered {meanwhile:?} after \
                     {IO_TIMEOUT:?}: a client that has gone must leave the roster (the `Seat`'s `Drop`)"
                );
            }
            thread::sleep(RETRY_PAUSE);
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

    /// Checks that the server closed the connection normally after `after`: end of stream.
    #[track_caller]
    pub fn assert_closed(&self, client: &mut TcpStream, after: &str) {
        let mut buf = [0u8; 256];
        let problem = match client.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => format!("it sent {:?}", String::from_utf8_lossy(&buf[..n])),
            Err(err) if is_timeout(&err) => format!("it stayed open for {IO_TIMEOUT:?}"),
            Err(err) => format!("reading failed: {:?}: {err}", err.kind()),
        };
        panic!(
            "after {after}, the server should close the connection, but {problem}\n  server side: {}",
            self.state()
        );
    }

    /// Waits (at most [`IO_TIMEOUT`]) for `serve` to return and returns its summary. `when` says why it
    /// should have returned by now, `otherwise` what to check when it has not.
    #[track_caller]
    pub fn finish(&self, when: &str, otherwise: &str) -> Summary {
        let outcome = match self.result.recv_timeout(IO_TIMEOUT) {
            Ok(outcome) => outcome,
            Err(RecvTimeoutError::Timeout) => {
                panic!(
                    "{when}, serve should return, but it has not after {IO_TIMEOUT:?}: {otherwise}"
                )
            }
            Err(RecvTimeoutError::Disconnected) => panic!("{when}: serve's thread is gone"),
        };
        match outcome {
            Ok(Ok(summary)) => summary,
            other => panic!(
                "{when}, serve should return Ok(summary), but {}",
                describe(&other)
            ),
        }
    }

    /// Like [`ServerThread::finish`], but returns `None` instead of failing when `serve` has not returned.
    pub fn try_finish(&self) -> Option<Outcome> {
        self.result.recv_timeout(IO_TIMEOUT).ok()
    }
}

/// What `serve` did, in words for a failure message.
pub fn describe(outcome: &Outcome) -> String {
    match outcome {
        Ok(Ok(summary)) => format!("serve returned Ok({summary:?})"),
        Ok(Err(err)) => format!("serve returned Err({:?}: {err})", err.kind()),
        Err(message) => format!("serve panicked: {message}"),
    }
}

/// Reads what comes after the server closed a connection: end of stream or a reset, both fine for a
/// connection that the stop closed. `Err` says what came instead.
pub fn read_closed_or_reset(client: &mut impl Read) -> Result<(), String> {
    match try_read_until_closed(client) {
        Ok(rest) if rest.is_empty() => Ok(()),
        Ok(rest) => Err(format!("it received {:?}", String::from_utf8_lossy(&rest))),
        Err((rest, err)) if err.kind() == ErrorKind::ConnectionReset && rest.is_empty() => Ok(()),
        Err((rest, err)) if is_timeout(&err) => Err(format!(
            "the connection stayed open for {IO_TIMEOUT:?} (received {:?})",
            String::from_utf8_lossy(&rest)
        )),
        Err((rest, err)) => Err(format!(
            "reading failed: {:?}: {err} (received {:?})",
            err.kind(),
            String::from_utf8_lossy(&rest)
        )),
    }
}
