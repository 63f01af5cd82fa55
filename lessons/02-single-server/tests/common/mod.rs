//! Support shared by this lesson's test files: the server (or one session of it) on a thread, on port 0
//! (test-support's `ServerThread`), and clients whose failure messages say what the server side did.
//!
//! Each test file uses only part of it.
#![allow(dead_code)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use shared::trace::{Trace, Traced};
use single_server::{
    CLOSE_DRAIN_BYTES, CLOSE_DRAIN_TIME, Config, SessionEnd, close_politely, serve, serve_client,
};
use test_support::{
    IO_TIMEOUT, Outcome, ServerThread, caught_any, describe_returned, panic_message,
    read_end_of_stream, with_timeouts,
};

/// What to do when the server sends a reset where end of stream was expected, for failure messages.
const RESET_ADVICE: &str = "when the server ends the session while the client may still be sending, close \
     with `close_politely`";

/// Checks that the server closed the connection normally after its last line: end of stream (`Ok(0)`).
/// More bytes, a reset or a timeout fail the test.
#[track_caller]
pub fn assert_closed(client: &mut TcpStream, after: &str) {
    if let Err(problem) = read_end_of_stream(client) {
        panic!(
            "after {after}, the server should close the connection, but {problem}; {RESET_ADVICE}"
        );
    }
}

/// A config for tests: the defaults, but stop after `clients` connections so that `serve` returns.
pub fn config_for(clients: usize) -> Config {
    Config {
        max_clients: Some(clients),
        ..Config::default()
    }
}

/// `serve` on a thread, on a listener bound to `127.0.0.1:0` before the thread starts.
pub fn start_server(config: Config) -> ServerThread<()> {
    ServerThread::tcp(move |listener| serve(listener, &config, &Trace::off()))
}

/// Waits for `serve` to return (it should, after `max_clients` connections) and returns its result.
#[track_caller]
pub fn serve_result(server: &ServerThread<()>) -> io::Result<()> {
    match server.try_finish(IO_TIMEOUT) {
        Some(Ok(result)) => result,
        None => panic!(
            "serve did not return within {IO_TIMEOUT:?}, although every client it was allowed \
             (max_clients) has come and gone"
        ),
        Some(Err(panic)) => panic!("serve {panic}"),
    }
}

/// One `serve_client` session running on a thread, and the test's client connected to it (with timeouts).
///
/// Every read and write that fails panics with the step's own context, what the client saw, and what
/// `serve_client` returned (or that it is still running, or panicked).
pub struct Session {
    client: TcpStream,
    server: ServerThread<SessionEnd>,
}

/// What `serve_client` did, for failure messages: while it runs, it is most likely waiting for the client.
fn describe_session(name: &str, done: Option<&Outcome<io::Result<SessionEnd>>>) -> String {
    match done {
        None => format!(
            "{name} has not returned (it is probably blocked in a read, waiting for the client)"
        ),
        done => describe_returned(name, done),
    }
}

/// Starts one `serve_client` session on a thread and connects a client to it.
pub fn start_session(config: Config) -> Session {
    let server = ServerThread::tcp(move |listener| {
        let (stream, _) = listener.accept()?;
        serve_client(stream, &config, &Trace::off())
    })
    .named("serve_client")
    .describing(describe_session);
    Session {
        client: server.connect("the test's client"),
        server,
    }
}

impl Session {
    /// Reads one line. `context` says what the line is for, and starts the failure message.
    #[track_caller]
    pub fn read_line(&mut self, context: &str) -> String {
        self.server.read_line(&mut self.client, context)
    }

    /// Sends `bytes` (all of them).
    #[track_caller]
    pub fn send(&mut self, bytes: &[u8], context: &str) {
        self.server.send(&mut self.client, bytes, context);
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
        self.server.read_until_closed(&mut self.client, context)
    }

    /// Checks that the server closed the connection normally after `after`: end of stream, `Ok(0)`. More
    /// bytes, a reset or a timeout fail the test.
    #[track_caller]
    pub fn assert_closed(&mut self, after: &str) {
        if let Err(problem) = read_end_of_stream(&mut self.client) {
            panic!(
                "after {after}, the server should close the connection, but {problem}; {RESET_ADVICE}\n  \
                 server side: {}",
                self.server.state()
            );
        }
    }

    /// Closes the client and waits for `serve_client` to return; returns what it returned.
    ///
    /// The client is closed first: a server that closes politely waits (up to a second) for the client to
    /// close too.
    #[track_caller]
    pub fn end(self) -> io::Result<SessionEnd> {
        let Session { client, server } = self;
        drop(client);
        match server.try_finish(IO_TIMEOUT) {
            Some(Ok(result)) => result,
            None => panic!("serve_client did not return within {IO_TIMEOUT:?}"),
            Some(Err(panic)) => panic!("serve_client {panic}"),
        }
    }

    /// Closes the client, waits for `serve_client` to return, and checks that it returned `Ok(expected)`.
    #[track_caller]
    pub fn assert_end(self, expected: SessionEnd, context: &str) {
        let result = self.end();
        if !matches!(result, Ok(end) if end == expected) {
            panic!(
                "{context}: serve_client should return Ok(SessionEnd::{expected:?}), but {}",
                describe_returned("it", Some(&Ok(result)))
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

/// How long [`check_serve_goes_on_after_failed_accepts`] keeps `accept` failing: a few of `serve`'s
/// retries (the reference pauses 50 ms after each failure, and gives up after 20 in a row).
const FAILING_ACCEPTS_FOR: Duration = Duration::from_millis(200);

/// `serve` on a listener whose `accept` fails for a while: in non-blocking mode, `accept` returns
/// `WouldBlock` at once while no client is waiting, a real error of a real `accept`. `serve` must report
/// it and try again; once the listener blocks again, the client that comes is greeted.
pub fn check_serve_goes_on_after_failed_accepts() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // A clone is the same socket: its mode is the listener's, which `serve` holds.
    let same_socket = listener.try_clone().unwrap();
    same_socket.set_nonblocking(true).unwrap();
    let config = config_for(1);
    let server = ServerThread::on(listener, move |listener| {
        serve(listener, &config, &Trace::off())
    });
    if let Some(done) = server.try_finish(FAILING_ACCEPTS_FOR) {
        let did = match &done {
            Ok(Ok(())) => "returned Ok(())".to_string(),
            Ok(Err(err)) => format!("returned Err({:?}: {err})", err.kind()),
            Err(panic) => panic.clone(),
        };
        panic!(
            "`accept` failed (the test made the listener non-blocking, so `accept` fails with \
             WouldBlock while no client is waiting), and serve {did}, before any client came: every \
             client after it would be refused. On a real server `accept` fails the same way for one \
             client (it gave up before you accepted it) or for a moment (no file descriptor free). \
             Report the error on stderr, pause a moment (`thread::sleep`) and `continue` the loop, \
             instead of `listener.accept()?`"
        );
    }
    same_socket.set_nonblocking(false).unwrap();
    let mut client = server.connect("the client after the failed accepts");
    let who = "the client that came after several failed accepts";
    assert_eq!(server.read_line(&mut client, who), "Welcome\n");
    client.write_all(b"exit\n").unwrap();
    server.assert_closed(&mut client, "`exit`");
    serve_result(&server).expect("serve should return Ok(()) after max_clients clients");
}

/// A connection on loopback, `(client, server)`, both with [`IO_TIMEOUT`] on reads and writes: the
/// server's read timeout stands for the idle timeout `serve_client` sets.
fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (with_timeouts(client), with_timeouts(server))
}

/// `close_politely(server)` on a thread; the receiver hears when it returns (or panics).
fn close_on_thread(server: TcpStream, trace: Trace) -> mpsc::Receiver<Outcome<()>> {
    let (done, returned) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(caught_any(|| close_politely(Traced::new(server, trace))));
    });
    returned
}

/// How long `close_politely` may take against a client that never stops: its own limit, and a second more
/// for a loaded machine.
fn drain_limit() -> Duration {
    CLOSE_DRAIN_TIME + Duration::from_secs(1)
}

/// Checks that `close_politely` stops draining (step 3): after [`CLOSE_DRAIN_BYTES`] from a client that
/// sends more (as `nc HOST PORT < /dev/zero` does), and after [`CLOSE_DRAIN_TIME`] from a client that
/// keeps sending a byte now and then, or sends nothing and stays connected. Meanwhile the next client
/// waits, so a polite close must not last as long as a client likes.
pub fn check_close_politely_stops_draining() {
    let mut problems = Vec::new();

    // A client that keeps sending a byte every 10 ms, and one that sends nothing; both stay connected
    // until the test is done with them. Both closes run at once: each should take CLOSE_DRAIN_TIME.
    let stop = Arc::new(AtomicBool::new(false));
    let (mut trickling, server) = connected_pair();
    let trickled = close_on_thread(server, Trace::off());
    let trickler = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let started = Instant::now();
            while !stop.load(Ordering::SeqCst) && started.elapsed() < IO_TIMEOUT {
                if trickling.write_all(b"x").is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let (silent, server) = connected_pair();
    let silent_since = Instant::now();
    let silenced = close_on_thread(server, Trace::off());

    match trickled.recv_timeout(drain_limit()) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => problems.push(format!("close_politely {panic}")),
        Err(_) => problems.push(format!(
            "close_politely was still draining after {:?}, from a client that sends a byte every 10 ms \
             and does not close: with no limit on time, such a client holds the server as long as it \
             likes, and every client after it waits. Stop CLOSE_DRAIN_TIME ({CLOSE_DRAIN_TIME:?}) after \
             you began: note `Instant::now() + CLOSE_DRAIN_TIME` before the loop, and stop once it has \
             passed",
            drain_limit()
        )),
    }
    stop.store(true, Ordering::SeqCst);
    let _ = trickler.join();
    match silenced.recv_timeout(drain_limit().saturating_sub(silent_since.elapsed())) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => problems.push(format!("close_politely {panic}")),
        Err(_) => problems.push(format!(
            "close_politely had not returned after {:?}, from a client that sends nothing and stays \
             connected: a `read` waits as long as the stream's read timeout says (here {IO_TIMEOUT:?}; in \
             the server, the idle timeout, a minute by default). Before each read, set the read timeout \
             to the time left until your deadline (`stream.get_ref().set_read_timeout(Some(left))`), so \
             that the waiting ends at CLOSE_DRAIN_TIME ({CLOSE_DRAIN_TIME:?})",
            drain_limit()
        )),
    }
    drop(silent);

    // A client that sends four times CLOSE_DRAIN_BYTES, then closes. The test keeps a clone of the
    // server's socket, so the close leaves the socket open, and reads what close_politely left unread.
    let (mut flooding, server) = connected_pair();
    let mut same_socket = server.try_clone().unwrap();
    let sent = 4 * CLOSE_DRAIN_BYTES;
    let flooder = thread::spawn(move || flooding.write_all(&vec![0u8; sent]));
    match close_on_thread(server, Trace::off()).recv_timeout(drain_limit()) {
        Ok(Ok(())) => {
            // close_politely may have changed the socket's read timeout; the test's own is IO_TIMEOUT.
            same_socket.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            let (left, _) = read_to_the_end(&mut same_socket);
            let drained = sent - left;
            // One read may take a whole buffer past the cap; the reference's buffer is 4 KiB.
            if drained > 2 * CLOSE_DRAIN_BYTES {
                problems.push(format!(
                    "close_politely read and threw away {drained} of the {sent} bytes a client sent (and \
                     then closed); it should stop at CLOSE_DRAIN_BYTES ({CLOSE_DRAIN_BYTES}) and drop the \
                     stream: a client that sends without end (`nc 127.0.0.1 7878 < /dev/zero`) would keep \
                     it reading while the next client waits. Count the bytes you read, and stop once the \
                     count reaches CLOSE_DRAIN_BYTES (with a buffer of a few KiB, not one bigger than the \
                     cap)"
                ));
            }
        }
        Ok(Err(panic)) => problems.push(format!("close_politely {panic}")),
        Err(_) => problems.push(format!(
            "close_politely had not returned after {:?}, from a client that sent {sent} bytes and then \
             closed",
            drain_limit()
        )),
    }
    drop(same_socket);
    let _ = flooder.join();

    assert!(
        problems.is_empty(),
        "a polite close must end, whatever the client does:\n  - {}",
        problems.join("\n  - ")
    );
}
