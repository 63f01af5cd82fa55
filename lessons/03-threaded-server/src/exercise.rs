//! Lesson 03, your version. Replace each `todo!()` and run `cargo run -- check 3` after every step.
//! Stuck? `cargo run -- hint 3`. Lost? `cargo run -- reset 3` puts this file back as it was.
//!
//! The session on each connection is lesson 02's solution (`serve_client_with`), already wired into
//! [`greet_client`]: this lesson's work is around it, in the accept loop and in what the threads share.
// Until you write the bodies, parameters and helpers are unused; this keeps the compiler quiet about it.
#![allow(unused_variables, unused_mut, unused_imports, dead_code)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use shared::trace::{Trace, is_timeout};
use single_server::{SessionEnd, hello, serve_client_with};
use socket2::{Domain, Socket, Type};

/// How many clients the server serves at once unless told otherwise: 256.
pub const DEFAULT_MAX_CLIENTS: usize = 256;

/// How long a stopping server lets its clients finish before it closes their connections: 5 s.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// The line a client over the bound receives, before the server closes its connection.
pub const BUSY_LINE: &str = "busy, try again later\n";

/// What the server allows its clients, and how it stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The most clients served at once. One more gets [`BUSY_LINE`] and is closed at once.
    pub max_clients: usize,
    /// Lesson 02's cap on a line, in bytes before its `\n`.
    pub max_line: usize,
    /// Lesson 02's idle timeout: a client silent (or not reading) for this long is dropped.
    pub idle_timeout: Duration,
    /// After a stop is requested: how long the clients connected may go on before they are closed.
    pub grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_clients: DEFAULT_MAX_CLIENTS,
            max_line: single_server::DEFAULT_MAX_LINE,
            idle_timeout: single_server::DEFAULT_IDLE_TIMEOUT,
            grace: DEFAULT_GRACE,
        }
    }
}

impl Config {
    /// The part of the configuration that lesson 02's session code reads.
    pub fn session(&self) -> single_server::Config {
        single_server::Config {
            max_line: self.max_line,
            idle_timeout: self.idle_timeout,
            max_clients: None,
        }
    }
}

/// What a server did, returned by [`serve`] once it has stopped and every client's thread has ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Clients that were welcomed and served (whatever the end of their session).
    pub served: u64,
    /// Clients that got [`BUSY_LINE`].
    pub turned_away: u64,
    /// Clients' threads that panicked. Each one ended that client's session and nothing else.
    pub panicked: u64,
    /// Clients still connected when the grace period ended, whose connections the server closed.
    pub closed_at_stop: usize,
}

/// Stops a running [`serve`], from any thread: the Ctrl-C handler in `main`, or a test.
///
/// Clones share the same stop. Create it from the listener before handing the listener to [`serve`]: it
/// keeps the listener's address, to wake the accept loop up.
#[derive(Debug, Clone)]
pub struct Stop {
    inner: Arc<StopState>,
}

#[derive(Debug)]
struct StopState {
    /// Set once, by [`Stop::stop`]; read by the accept loop after every `accept`.
    requested: AtomicBool,
    /// Where [`Stop::stop`] connects to wake up an `accept` that is waiting for a client.
    wake_addr: SocketAddr,
    /// The socket for that connection, made in advance: a server that has used every file descriptor it
    /// may have could not make one when it is asked to stop. Taken by the first [`Stop::stop`].
    wake_socket: Mutex<Option<Socket>>,
}

/// How long [`Stop::stop`] tries to connect to its own server.
const WAKE_TIMEOUT: Duration = Duration::from_secs(1);

impl Stop {
    /// A stop for the server that will accept on `listener`.
    pub fn new(listener: &TcpListener) -> io::Result<Stop> {
        let mut wake_addr = listener.local_addr()?;
        // A listener on every interface (0.0.0.0 or [::]) is also reachable on loopback.
        if wake_addr.ip().is_unspecified() {
            wake_addr.set_ip(match wake_addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        let wake_socket = Socket::new(Domain::for_address(wake_addr), Type::STREAM, None)?;
        Ok(Stop {
            inner: Arc::new(StopState {
                requested: AtomicBool::new(false),
                wake_addr,
                wake_socket: Mutex::new(Some(wake_socket)),
            }),
        })
    }

    /// Asks the server to stop: no new clients; the connected ones get [`Config::grace`] to finish.
    ///
    /// Returns at once; [`serve`] returns when the stop is complete.
    pub fn stop(&self) {
        // TODO(step 4): set the flag (`self.inner.requested`, an `AtomicBool`: `store` or `swap` with
        //   `Ordering::SeqCst`). That alone is not enough: the accept loop is blocked in `accept`, and
        //   nothing in std interrupts a blocking call from another thread. Wake it the way any client
        //   would: connect to `self.inner.wake_addr` and drop the connection. Use the socket made in
        //   advance: `.take()` it out of `self.inner.wake_socket` (lock the mutex; `None` means a stop
        //   came first), then `socket.connect_timeout(&self.inner.wake_addr.into(), WAKE_TIMEOUT)`.
        //   (`TcpStream::connect_timeout` would pass the tests too, but needs a new file descriptor,
        //   which a server that ran out of them does not have.) If the connect fails, say so on stderr;
        //   do not panic.
        todo!("step 4: ask the server to stop, and wake its accept loop")
    }

    /// Whether [`Stop::stop`] has been called.
    pub fn is_requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }
}

/// The clients being served: what the accept loop and every client's thread share.
///
/// One mutex guards it all: admitting a client checks for room and takes a place in one step, and `who`
/// reads two numbers that must agree. The `Condvar` lets the stopping server sleep until a client leaves.
#[derive(Debug, Default)]
pub struct Clients {
    roster: Mutex<Roster>,
    /// Notified each time a client leaves.
    left: Condvar,
}

#[derive(Debug, Default)]
struct Roster {
    /// One copy of each connected client's socket (`try_clone`), kept so that the stop can close them.
    online: HashMap<u64, TcpStream>,
    /// Clients admitted since the server started, including those online now.
    served: u64,
}

impl Clients {
    /// How many clients are being served right now.
    pub fn online(&self) -> usize {
        // TODO(step 3): lock the roster (`self.lock()`) and count who is online.
        todo!("step 3: how many clients are online")
    }

    /// How many clients have been admitted since the server started.
    pub fn served(&self) -> u64 {
        // TODO(step 3): one line, like `online`.
        todo!("step 3: how many clients have been served")
    }

    /// Both numbers, read under one lock, so that they agree with each other: `(online, served)`.
    pub fn counts(&self) -> (usize, u64) {
        // TODO(step 3): lock once and read both (calling `online()` then `served()` locks twice, and a
        //   client could arrive in between).
        todo!("step 3: both counts at once")
    }

    fn lock(&self) -> MutexGuard<'_, Roster> {
        // A thread that panics while it holds the lock "poisons" the mutex, and `lock()` returns an error
        // from then on. Every change to the roster is one insert or one remove, never left half done: take
        // the data anyway, rather than make every later client's thread panic too.
        self.roster.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives `stream`'s client a place if there are fewer than `max` online. The place is held by the
    /// returned [`Seat`] and given back when it drops.
    fn admit(self: &Arc<Self>, stream: &TcpStream, max: usize) -> Admission {
        // TODO(step 2): with the roster locked (keep the guard for the whole function, so that checking
        //   for room and taking the place are one step):
        //   - `max` clients online already: `Admission::Full`;
        //   - otherwise take a place: count the client in `served` and use that number as its id; insert a
        //     copy of its socket (`stream.try_clone()`; if that fails, `Admission::Failed(err)`) under the
        //     id in `online` (step 4 shuts these copies down); return `Admission::Admitted` with a `Seat`
        //     that holds `Arc::clone(self)` and the id.
        todo!("step 2: a place for the client, if there is room")
    }

    /// Waits until no client is online, for at most `timeout`. Returns whether they all left.
    fn wait_until_empty(&self, timeout: Duration) -> bool {
        // TODO(step 4): `Condvar::wait_timeout_while(guard, timeout, condition)` takes the locked roster,
        //   sleeps (unlocked) until `notify_all` or the timeout, and returns the guard and a timeout flag.
        //   The condition is "someone is still online". Then: is `online` empty?
        todo!("step 4: wait for the clients to leave")
    }

    /// Shuts down every connection still online, both ways, and says how many there were.
    fn shut_down_all(&self, trace: &Trace) -> usize {
        // TODO(step 4): `shutdown(Shutdown::Both)` on each copy in `online`: the owning thread's `read`
        //   then returns 0 and its session ends (that thread removes the client itself, through its seat).
        //   Ignore errors: a connection that is already gone needs no shutting down. Report each one with
        //   `trace.event(...)` (its `peer_addr()`), so that `--trace` shows who was closed at the stop.
        todo!("step 4: close the connections still online")
    }
}

enum Admission {
    Admitted(Seat),
    Full,
    Failed(io::Error),
}

/// A client's place on the roster, held by its thread. Dropping it (when the thread ends, normally or by a
/// panic, since unwinding drops what the thread owns) gives the place back.
#[derive(Debug)]
struct Seat {
    clients: Arc<Clients>,
    id: u64,
}

impl Drop for Seat {
    fn drop(&mut self) {
        // TODO(step 2): remove the client `self.id` from the roster, then `notify_all` on `left` (the stop
        //   of step 4 waits there). No `unwrap`: this also runs while a panicking thread unwinds.
        todo!("step 2: give the place back")
    }
}

/// What a client's thread runs: the session on one connection. [`greet_client`] for the real server; tests
/// pass a handler that fails or panics, to show that it ends one client's session and nothing more.
pub type Handler = fn(TcpStream, &Config, &Clients, &Trace) -> io::Result<SessionEnd>;

/// One client's session: lesson 02's greeting protocol, with the command `who` answered by [`answer`].
pub fn greet_client(
    stream: TcpStream,
    config: &Config,
    clients: &Clients,
    trace: &Trace,
) -> io::Result<SessionEnd> {
    // Nothing to write here: lesson 02's session, with `answer` making each reply.
    serve_client_with(stream, &config.session(), trace, |line| {
        answer(line, clients)
    })
}

/// The reply to the line `line`: `online: N, served: M` for `who`, lesson 02's `Hello, X!` for the rest.
pub fn answer(line: &str, clients: &Clients) -> String {
    // TODO(step 3): the line `who` gets `online: N, served: M` and a newline, from `clients.counts()` (both
    //   numbers under one lock). Every other line keeps lesson 02's reply:
    hello(line)
}

/// How long the accept loop pauses after a failed `accept`, so that a failure that repeats at once does
/// not keep a CPU busy.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// Serves the greeting protocol on `listener`, each client on a thread of its own, at most
/// `config.max_clients` at once, until `stop` is requested; then lets the clients finish for
/// `config.grace`, closes the connections of those still there, waits for every thread and returns.
pub fn serve(
    listener: TcpListener,
    config: &Config,
    stop: &Stop,
    trace: &Trace,
) -> io::Result<Summary> {
    // Nothing to write here: the work is in `serve_with`, with `greet_client` as the session.
    serve_with(listener, config, stop, trace, greet_client)
}

/// [`serve`] with another session than [`greet_client`] on each client's thread.
pub fn serve_with(
    listener: TcpListener,
    config: &Config,
    stop: &Stop,
    trace: &Trace,
    handler: Handler,
) -> io::Result<Summary> {
    // TODO(step 1): an accept loop, as in lesson 02, that does not wait for a client's session to end:
    //   - before the loop: `Arc::new(Clients::default())` (what the threads share), a `Vec` for the
    //     threads' `JoinHandle`s and a `Summary::default()`;
    //   - `listener.accept()`; on an error, `eprintln!` it, pause (`thread::sleep(ACCEPT_RETRY_PAUSE)`)
    //     and `continue`; report each client with `trace.event(format_args!("accept {peer}"))`;
    //   - `join_finished(&mut threads, &mut summary)` (given below) so the `Vec` keeps only live threads;
    //   - `thread::spawn(move || ...)` runs `handler(stream, &config, &clients, &trace)` and reports its
    //     error on stderr. A `move` closure takes ownership of what it uses, and a thread may only use
    //     what it owns (or what lives for ever): move in the stream, a `config.clone()`, a `trace.clone()`
    //     and an `Arc::clone` of the clients, made just before the spawn. Push the `JoinHandle`.
    //   The loop never ends until step 4: that is fine, `loop {}` without `break` satisfies the return type.
    //   (The reference solution also turns a client away when no file descriptor is left for it; that is
    //   not part of the exercise: see `out_of_fds` in `src/solution.rs` and `tests/pitfalls.rs`.)
    // TODO(step 2): before spawning, `clients.admit(&stream, config.max_clients)`. `Admission::Full` or
    //   `Admission::Failed`: `turn_away(stream, trace)` (given below), count it in `summary.turned_away`,
    //   `continue`. `Admission::Admitted(seat)`: move the seat into the thread too (`let _seat = seat;` as
    //   its first line), so that it drops when the thread ends, however it ends.
    // TODO(step 4): right after `accept` returns (with a client or an error), check `stop.is_requested()`
    //   and `break` out of the loop: the connection that woke you may be the stop's own, not a client.
    //   After the loop, in this order:
    //   - `drop(listener)`: new clients are refused instead of waiting in a backlog nobody reads;
    //   - `clients.wait_until_empty(config.grace)`; if some are still there, `summary.closed_at_stop` is
    //     what `clients.shut_down_all(trace)` returns;
    //   - `join` every thread left in the `Vec` (`Err` means it panicked: count it in `summary.panicked`);
    //   - `summary.served = clients.served()` and return `Ok(summary)`.
    todo!("step 1: a thread per client")
}

/// Joins the threads that have ended, so the list holds only running ones (at most `max_clients`).
fn join_finished(threads: &mut Vec<JoinHandle<()>>, summary: &mut Summary) {
    let mut i = 0;
    while i < threads.len() {
        if threads[i].is_finished() {
            // `join` on an ended thread returns at once; `Err` means it panicked.
            if threads.swap_remove(i).join().is_err() {
                summary.panicked += 1;
            }
        } else {
            i += 1;
        }
    }
}

/// How long the server may spend telling a client it is busy: the accept loop waits meanwhile.
const TURN_AWAY_TIMEOUT: Duration = Duration::from_millis(100);

/// Sends [`BUSY_LINE`] and closes the connection, without blocking the accept loop.
fn turn_away(stream: TcpStream, trace: &Trace) {
    let _ = stream.set_write_timeout(Some(TURN_AWAY_TIMEOUT));
    let _ = (&stream).write_all(BUSY_LINE.as_bytes());
    // FIN right after the line: the client reads it, then end of stream.
    let _ = stream.shutdown(Shutdown::Write);
    // Closing a socket with unread bytes sends a reset, which could destroy the busy line: read (without
    // waiting) and drop what the client has sent already, at most a few reads.
    if stream.set_nonblocking(true).is_ok() {
        let mut sink = [0u8; 4096];
        for _ in 0..16 {
            match (&stream).read(&mut sink) {
                Ok(n) if n > 0 => continue,
                _ => break,
            }
        }
    }
    trace.event(format_args!("sent the busy line, close"));
}
