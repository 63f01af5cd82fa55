//! The reference solution of lesson 03. The book includes its parts by their `ANCHOR` names.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use shared::trace::{Trace, is_timeout};
use single_server::{SessionEnd, hello, serve_client_with};
use socket2::{Domain, Socket, Type};

// ANCHOR: config
/// How many clients the server serves at once unless told otherwise: 256.
///
/// Each client costs a thread (its stack is 2 MiB of address space, of which it touches a few pages) and two
/// file descriptors (its socket, and the copy kept to close it at the stop). 256 clients fit in the usual
/// limit of 1024 open files with room to spare. Without a bound, a flood of connections would make the server
/// start threads until the machine says no, and then fail for everyone.
pub const DEFAULT_MAX_CLIENTS: usize = 256;

/// How long a stopping server lets its clients finish before it closes their connections: 5 s.
///
/// Long enough for a client in the middle of an exchange to finish it; short enough that Ctrl-C feels like
/// it works. A service manager waits longer before it kills (systemd: 90 s), so this is ours to choose.
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
            // Lesson 02's "stop after N clients" belongs to its accept loop, which this lesson replaces.
            max_clients: None,
        }
    }
}
// ANCHOR_END: config

// ANCHOR: summary
/// What a server did, returned by [`serve`] once it has stopped and every client's thread has ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Clients that were welcomed and served (whatever the end of their session).
    pub served: u64,
    /// Clients that got [`BUSY_LINE`]: over the bound, or arriving when no file descriptor was left.
    pub turned_away: u64,
    /// Clients' threads that panicked. Each one ended that client's session and nothing else.
    pub panicked: u64,
    /// Clients still connected when the grace period ended, whose connections the server closed.
    pub closed_at_stop: usize,
}
// ANCHOR_END: summary

// ANCHOR: stop
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
    /// may have could not make one at the moment it is asked to stop. (std makes a socket and connects it
    /// in one call; socket2 can make it now and connect it later.) Taken by the first [`Stop::stop`].
    wake_socket: Mutex<Option<Socket>>,
}

/// How long [`Stop::stop`] tries to connect to its own server. On loopback a connection takes microseconds;
/// a server so overloaded that its backlog is full still sees the flag at its next `accept`.
const WAKE_TIMEOUT: Duration = Duration::from_secs(1);

impl Stop {
    /// A stop for the server that will accept on `listener`.
    pub fn new(listener: &TcpListener) -> io::Result<Stop> {
        let mut wake_addr = listener.local_addr()?;
        // A listener on every interface (0.0.0.0 or [::]) is also reachable on loopback, and "connect to
        // 0.0.0.0" is not something to rely on.
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

    // ANCHOR: wake
    /// Asks the server to stop: no new clients; the connected ones get [`Config::grace`] to finish.
    ///
    /// Returns at once; [`serve`] returns when the stop is complete.
    pub fn stop(&self) {
        // `swap` sets the flag and says whether it was set already: the wake-up is needed only once.
        if self.inner.requested.swap(true, Ordering::SeqCst) {
            return;
        }
        // The accept loop is most likely blocked in `accept`, and std has no way to interrupt a blocking
        // call from another thread. A connection wakes it: `accept` returns, the loop sees the flag and
        // drops that connection unanswered. If this connect fails, the flag is still set and the loop
        // stops at the next client that arrives.
        let socket = self
            .inner
            .wake_socket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(socket) = socket else { return };
        if let Err(err) = socket.connect_timeout(&self.inner.wake_addr.into(), WAKE_TIMEOUT) {
            eprintln!(
                "stop: could not wake the accept loop ({err}); it stops at the next connection"
            );
        }
    }
    // ANCHOR_END: wake

    /// Whether [`Stop::stop`] has been called.
    pub fn is_requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }
}
// ANCHOR_END: stop

// ANCHOR: clients
// ANCHOR: roster
/// The clients being served: what the accept loop and every client's thread share.
///
/// One mutex guards it all. Admitting a client reads and changes several things at once (is there room?
/// count it served, put it on the list), and `who` reads two numbers that must agree: with two separate
/// atomic counters, `who` could see a client counted as served but not yet online. The stop needs the list
/// of connections anyway, and a list needs a lock. A `Condvar` lets the stopping server sleep until the last
/// client has left, instead of checking again and again.
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
// ANCHOR_END: roster

impl Clients {
    /// How many clients are being served right now.
    pub fn online(&self) -> usize {
        self.lock().online.len()
    }

    /// How many clients have been admitted since the server started.
    pub fn served(&self) -> u64 {
        self.lock().served
    }

    /// Both numbers, read under one lock, so that they agree with each other: `(online, served)`.
    pub fn counts(&self) -> (usize, u64) {
        let roster = self.lock();
        (roster.online.len(), roster.served)
    }

    // ANCHOR: lock
    fn lock(&self) -> MutexGuard<'_, Roster> {
        // A thread that panics while it holds the lock "poisons" the mutex, and `lock()` returns an error
        // from then on. Every change to the roster is one insert or one remove, so it is never left half
        // done: take the data anyway, rather than make every later client's thread panic too.
        self.roster.lock().unwrap_or_else(PoisonError::into_inner)
    }
    // ANCHOR_END: lock

    // ANCHOR: admit
    /// Gives `stream`'s client a place if there are fewer than `max` online. The place is held by the
    /// returned [`Seat`] and given back when it drops.
    fn admit(self: &Arc<Self>, stream: &TcpStream, max: usize) -> Admission {
        let mut roster = self.lock();
        if roster.online.len() >= max {
            return Admission::Full;
        }
        // The copy is a second file descriptor for the same connection: shutting it down at the stop ends
        // the session of the thread that owns the original.
        let copy = match stream.try_clone() {
            Ok(copy) => copy,
            Err(err) => return Admission::Failed(err),
        };
        roster.served += 1;
        let id = roster.served;
        roster.online.insert(id, copy);
        Admission::Admitted(Seat {
            clients: Arc::clone(self),
            id,
        })
    }
    // ANCHOR_END: admit

    // ANCHOR: wait_until_empty
    /// Waits until no client is online, for at most `timeout`. Returns whether they all left.
    fn wait_until_empty(&self, timeout: Duration) -> bool {
        let roster = self.lock();
        let (roster, _) = self
            .left
            .wait_timeout_while(roster, timeout, |roster| !roster.online.is_empty())
            .unwrap_or_else(PoisonError::into_inner);
        roster.online.is_empty()
    }
    // ANCHOR_END: wait_until_empty

    // ANCHOR: shut_down_all
    /// Shuts down every connection still online, both ways, and says how many there were.
    fn shut_down_all(&self, trace: &Trace) -> usize {
        let roster = self.lock();
        for stream in roster.online.values() {
            if let Ok(peer) = stream.peer_addr() {
                trace.event(format_args!("{peer}: still connected, shutdown(Both)"));
            }
            // Its thread's blocked `read` now returns 0 (end of stream) and its `write` fails: the session
            // ends. The thread itself removes the client from the roster on its way out.
            let _ = stream.shutdown(Shutdown::Both);
        }
        roster.online.len()
    }
    // ANCHOR_END: shut_down_all
}

enum Admission {
    Admitted(Seat),
    Full,
    Failed(io::Error),
}

// ANCHOR: seat
/// A client's place on the roster, held by its thread. Dropping it (when the thread ends, normally or by a
/// panic, since unwinding drops what the thread owns) removes the client and wakes a waiting stop.
#[derive(Debug)]
struct Seat {
    clients: Arc<Clients>,
    id: u64,
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.clients.lock().online.remove(&self.id);
        self.clients.left.notify_all();
    }
}
// ANCHOR_END: seat
// ANCHOR_END: clients

// ANCHOR: handler
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
    serve_client_with(stream, &config.session(), trace, |line| {
        answer(line, clients)
    })
}
// ANCHOR_END: handler

// ANCHOR: answer
/// The reply to the line `line`: `online: N, served: M` for `who`, lesson 02's `Hello, X!` for the rest.
pub fn answer(line: &str, clients: &Clients) -> String {
    if line == "who" {
        let (online, served) = clients.counts();
        format!("online: {online}, served: {served}\n")
    } else {
        hello(line)
    }
}
// ANCHOR_END: answer

/// How many `accept` failures in a row (other than running out of file descriptors) the server tolerates
/// before it gives up, as in lesson 02: with [`ACCEPT_RETRY_PAUSE`], about a second of failing.
const ACCEPT_ATTEMPTS: u32 = 20;

/// How long the accept loop pauses after a failed `accept`, so that a failure that repeats at once does
/// not keep a CPU busy.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(50);

// ANCHOR: serve
/// Serves the greeting protocol on `listener`, each client on a thread of its own, at most
/// `config.max_clients` at once, until `stop` is requested; then lets the clients finish for
/// `config.grace`, closes the connections of those still there, waits for every thread and returns.
pub fn serve(
    listener: TcpListener,
    config: &Config,
    stop: &Stop,
    trace: &Trace,
) -> io::Result<Summary> {
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
    let clients = Arc::new(Clients::default());
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    let mut summary = Summary::default();
    let mut spare_fd = reserve_fd();
    let mut failed_accepts = 0;

    // ANCHOR: accept_loop
    loop {
        // ANCHOR: accept
        let accepted = accept_client(&listener, &mut spare_fd);
        // Checked after every `accept`, whatever it returned: the connection that woke us may be the stop's.
        if stop.is_requested() {
            trace.event("stop requested: the accept loop ends");
            break;
        }
        // ANCHOR_END: accept
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                failed_accepts = 0;
                accepted
            }
            // No descriptor, not even the spare: pause (a client leaving frees some), do not spin.
            Err(err) if is_out_of_fds(&err) => {
                eprintln!("accept failed: {err} (waiting for a client to leave)");
                thread::sleep(ACCEPT_RETRY_PAUSE);
                continue;
            }
            Err(err) => {
                failed_accepts += 1;
                if failed_accepts == ACCEPT_ATTEMPTS {
                    return Err(err);
                }
                eprintln!("accept failed: {err} (trying again)");
                thread::sleep(ACCEPT_RETRY_PAUSE);
                continue;
            }
        };
        trace.event(format_args!("accept {peer}"));
        join_finished(&mut threads, &mut summary);

        // ANCHOR: no_spare
        if spare_fd.is_none() {
            // `accept_client` could not take its spare descriptor back: this client has the last one.
            eprintln!("client {peer}: no file descriptor left, turned away");
            turn_away(stream, &trace.labelled(peer));
            summary.turned_away += 1;
            continue;
        }
        // ANCHOR_END: no_spare

        // ANCHOR: bound
        let seat = match clients.admit(&stream, config.max_clients) {
            Admission::Admitted(seat) => seat,
            Admission::Full => {
                trace.event(format_args!(
                    "{peer}: {} clients online already, turned away",
                    config.max_clients
                ));
                turn_away(stream, &trace.labelled(peer));
                summary.turned_away += 1;
                continue;
            }
            Admission::Failed(err) => {
                eprintln!("client {peer}: {err} (turned away)");
                turn_away(stream, &trace.labelled(peer));
                summary.turned_away += 1;
                continue;
            }
        };
        // ANCHOR_END: bound

        // ANCHOR: spawn
        // The thread gets its own copies of what it needs (`move`): it may outlive this iteration, and
        // `thread::spawn` accepts only what lives as long as it must ('static). The `Arc` is shared,
        // not copied: a clone is one more owner of the same `Clients`.
        let config = config.clone();
        let shared = Arc::clone(&clients);
        let trace = trace.clone();
        let spawned = thread::Builder::new()
            // The name appears in panic messages: "thread 'client 127.0.0.1:50412' panicked at ...".
            .name(format!("client {peer}"))
            .spawn(move || {
                // Owned by the thread: dropped when it ends, even by a panic, which frees the place.
                let _seat = seat;
                match handler(stream, &config, &shared, &trace) {
                    Ok(_) => {}
                    Err(err) if is_timeout(&err) => eprintln!(
                        "client {peer}: did not read our replies for {:?}, dropped",
                        config.idle_timeout
                    ),
                    Err(err) => eprintln!("client {peer}: {err}"),
                }
            });
        match spawned {
            Ok(handle) => threads.push(handle),
            // The system refused another thread. The closure, with the stream and the seat, is dropped:
            // the client is closed and its place freed.
            Err(err) => eprintln!("client {peer}: could not start a thread: {err}"),
        }
        // ANCHOR_END: spawn
    }
    // ANCHOR_END: accept_loop

    // ANCHOR: stop_sequence
    // Closing the listener first: a client that connects from now on is refused at once, instead of
    // waiting in a backlog that nobody will accept from again.
    drop(listener);
    let online = clients.online();
    if online > 0 {
        eprintln!(
            "stopping: no new clients; waiting up to {:?} for {online} connected client(s) to finish",
            config.grace
        );
    }
    if !clients.wait_until_empty(config.grace) {
        summary.closed_at_stop = clients.shut_down_all(trace);
        eprintln!(
            "stopping: closed {} client(s) still connected after {:?}",
            summary.closed_at_stop, config.grace
        );
    }
    // Every session is ending now (its connection was closed, or it had ended): wait for the threads, so
    // that nothing of the server runs after `serve` returns.
    for handle in threads {
        if handle.join().is_err() {
            summary.panicked += 1;
        }
    }
    summary.served = clients.served();
    Ok(summary)
    // ANCHOR_END: stop_sequence
}
// ANCHOR_END: serve

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

// ANCHOR: turn_away
/// How long the server may spend telling a client it is busy. The line is a few bytes into an empty send
/// buffer and never waits in practice; the timeout makes sure of it, since the accept loop waits meanwhile.
const TURN_AWAY_TIMEOUT: Duration = Duration::from_millis(100);

/// Sends [`BUSY_LINE`] and closes the connection, without blocking the accept loop.
fn turn_away(stream: TcpStream, trace: &Trace) {
    let _ = stream.set_write_timeout(Some(TURN_AWAY_TIMEOUT));
    let _ = (&stream).write_all(BUSY_LINE.as_bytes());
    // FIN right after the line: the client reads it, then end of stream.
    let _ = stream.shutdown(Shutdown::Write);
    // A client that sent its first line already has bytes in our receive buffer, and closing a socket with
    // unread bytes sends a reset. Read (without waiting) and drop what has arrived, at most a few reads:
    // lesson 02's `close_politely` would wait for the client, and the accept loop cannot.
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
// ANCHOR_END: turn_away

// ANCHOR: out_of_fds
/// `listener.accept()`, with a way out when the process has no file descriptor left for a new connection.
///
/// Every client holds descriptors (its socket, and the copy kept for the stop). When the process has used
/// all it may (`ulimit -n`), `accept` fails with `EMFILE` (on Linux at once, even before a client is
/// there), and the next client waits in the backlog, unanswered, until one leaves. The spare descriptor,
/// kept for this moment, is closed to make room: `accept` then takes the next client, and the spare is
/// taken back if there is room. If there is not, `spare` stays empty, and the caller turns that client
/// away: it hears `busy` at once instead of waiting in silence.
fn accept_client(
    listener: &TcpListener,
    spare: &mut Option<File>,
) -> io::Result<(TcpStream, SocketAddr)> {
    if spare.is_none() {
        // A client has left since we last ran out, perhaps: take a spare again.
        *spare = reserve_fd();
    }
    match listener.accept() {
        Err(err) if is_out_of_fds(&err) && spare.is_some() => {
            eprintln!(
                "accept failed: {err} (closing the spare descriptor to accept the next client)"
            );
            drop(spare.take());
            let accepted = listener.accept();
            *spare = reserve_fd();
            accepted
        }
        other => other,
    }
}
// ANCHOR_END: out_of_fds

// ANCHOR: reserve_fd
/// Opens a file that does nothing, to hold one file descriptor in reserve for [`serve_with`]'s
/// out-of-descriptors case. `None` if even that fails; the server then only pauses and retries.
fn reserve_fd() -> Option<File> {
    let null = if cfg!(windows) { "NUL" } else { "/dev/null" };
    File::open(null).ok()
}

/// Whether `accept` failed because the process (`EMFILE`) or the whole system (`ENFILE`) has no file
/// descriptor left. std has no `ErrorKind` for these, so we compare the error numbers, which are the same
/// on Linux and macOS.
fn is_out_of_fds(err: &io::Error) -> bool {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    cfg!(unix) && matches!(err.raw_os_error(), Some(ENFILE | EMFILE))
}
// ANCHOR_END: reserve_fd
