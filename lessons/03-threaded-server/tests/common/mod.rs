//! Support shared by this lesson's test files: the server on a thread, on port 0 (test-support's
//! `ServerThread`, with the lesson's `Stop`), and clients whose failure messages say what the server side
//! did.
//!
//! Each test file uses only part of it.
#![allow(dead_code)]

use std::io::{self, ErrorKind, Read};
use std::net::{TcpListener, TcpStream};
use std::ops::Deref;
use std::thread;
use std::time::{Duration, Instant};

use shared::greeting::WELCOME;
use shared::trace::{Trace, is_timeout};
use test_support::{IO_TIMEOUT, ServerThread, try_read_until_closed};
use threaded_server::{BUSY_LINE, Config, Handler, Stop, Summary, serve, serve_with};

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

/// `serve` (or `serve_with`) on a thread (test-support's [`ServerThread`], whose client helpers it
/// derefs to), with the [`Stop`] made from its listener that Ctrl-C would use in `main`.
///
/// A test that does not stop the server leaves the thread running; it ends with the test process.
pub struct Server {
    thread: ServerThread<Summary>,
    stop: Stop,
}

impl Deref for Server {
    type Target = ServerThread<Summary>;

    fn deref(&self) -> &ServerThread<Summary> {
        &self.thread
    }
}

impl Server {
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
        let stop = Stop::new(&listener).expect("Stop::new");
        let server_stop = stop.clone();
        let thread = ServerThread::on(listener, move |listener| accept_loop(listener, server_stop));
        Server { thread, stop }
    }

    /// Calls `Stop::stop` on the server's stop, as Ctrl-C does in `main`.
    pub fn stop(&self) {
        self.stop.stop();
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
            first, WELCOME,
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
                    first, WELCOME,
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
