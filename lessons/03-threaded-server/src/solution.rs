//! The reference solution of lesson 03: the functions the exercise's steps ask for. The types they use are
//! given (`config.rs`, `clients.rs`, `stop.rs`, `session.rs`), and so is the handling of running out of
//! file descriptors (`out_of_fds.rs`), which is not part of the exercise. The book includes its parts by
//! their `ANCHOR` names.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use shared::greeting::hello;
use shared::trace::{Trace, is_timeout};

use crate::clients::{Admission, Seat};
use crate::out_of_fds::{Accepted, Acceptor};
use crate::session::{join_finished, turn_away};
use crate::{Clients, Config, Handler, Stop, Summary, WAKE_TIMEOUT};

/// [`serve`](crate::serve) with another session than [`greet_client`](crate::greet_client) on each
/// client's thread: each client on a thread of its own, at most `config.max_clients` at once, until `stop`
/// is requested; then the stop sequence.
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
    let mut acceptor = Acceptor::new(&listener); // `accept`, hardened: see `out_of_fds.rs`

    loop {
        // ANCHOR: accept
        let accepted = acceptor.accept();
        // Checked after every `accept`, whatever it returned: the connection that woke us may be the stop's.
        if stop.is_requested() {
            trace.event("stop requested: the accept loop ends");
            break;
        }
        // ANCHOR_END: accept
        let (stream, peer) = match accepted? {
            Accepted::Client(stream, peer) => (stream, peer),
            // ANCHOR: no_spare
            Accepted::NoDescriptorLeft(stream, peer) => {
                eprintln!("client {peer}: no file descriptor left, turned away");
                send_away(stream, peer, trace, &mut summary);
                continue;
            }
            // ANCHOR_END: no_spare
            Accepted::Failed => continue,
        };
        trace.event(format_args!("accept {peer}"));
        join_finished(&mut threads, &mut summary);
        // ANCHOR: bound
        let Some(seat) = take_a_seat(&clients, &stream, peer, config, trace) else {
            send_away(stream, peer, trace, &mut summary);
            continue;
        };
        // ANCHOR_END: bound
        match spawn_client(stream, peer, seat, config, &clients, trace, handler) {
            Ok(handle) => threads.push(handle),
            // The system refused another thread. The closure, with the stream and the seat, is dropped:
            // the client is closed and its place freed.
            Err(err) => eprintln!("client {peer}: could not start a thread: {err}"),
        }
    }

    // ANCHOR: stop_sequence
    // Closing the listener first: a client that connects from now on is refused at once, instead of
    // waiting in a backlog that nobody will accept from again.
    drop(listener);
    summary.closed_at_stop = wait_then_close(&clients, config.grace, trace);
    summary.panicked += join_all(threads);
    summary.served = clients.served();
    Ok(summary)
    // ANCHOR_END: stop_sequence
}

/// Turns the client away with the busy line (given, in `session.rs`), and counts it.
fn send_away(stream: TcpStream, peer: SocketAddr, trace: &Trace, summary: &mut Summary) {
    turn_away(stream, &trace.labelled(peer));
    summary.turned_away += 1;
}

// ANCHOR: take_a_seat
/// A place for the client on `stream`, or `None` (it is then to be turned away) when `max_clients` are
/// online or its socket cannot be copied for the roster.
fn take_a_seat(
    clients: &Arc<Clients>,
    stream: &TcpStream,
    peer: SocketAddr,
    config: &Config,
    trace: &Trace,
) -> Option<Seat> {
    match clients.admit(stream, config.max_clients) {
        Admission::Admitted(seat) => Some(seat),
        Admission::Full => {
            let max = config.max_clients;
            trace.event(format_args!(
                "{peer}: {max} clients online already, turned away"
            ));
            None
        }
        Admission::Failed(err) => {
            eprintln!("client {peer}: {err} (turned away)");
            None
        }
    }
}
// ANCHOR_END: take_a_seat

// ANCHOR: spawn
/// Starts the client's thread: `handler` on `stream`, holding `seat` until the thread ends.
fn spawn_client(
    stream: TcpStream,
    peer: SocketAddr,
    seat: Seat,
    config: &Config,
    clients: &Arc<Clients>,
    trace: &Trace,
    handler: Handler,
) -> io::Result<JoinHandle<()>> {
    // The thread gets its own copies of what it needs (`move`): it may outlive the accept loop's turn, and
    // `thread::spawn` accepts only what lives as long as it must ('static). The `Arc` is shared, not
    // copied: a clone is one more owner of the same `Clients`.
    let config = config.clone();
    let clients = Arc::clone(clients);
    let trace = trace.clone();
    thread::Builder::new()
        // The name appears in panic messages: "thread 'client 127.0.0.1:50412' panicked at ...".
        .name(format!("client {peer}"))
        .spawn(move || {
            // Owned by the thread: dropped when it ends, even by a panic, which frees the place.
            let _seat = seat;
            match handler(stream, &config, &clients, &trace) {
                Ok(_) => {}
                Err(err) if is_timeout(&err) => eprintln!(
                    "client {peer}: did not read our replies for {:?}, dropped",
                    config.idle_timeout
                ),
                Err(err) => eprintln!("client {peer}: {err}"),
            }
        })
}
// ANCHOR_END: spawn

/// Waits for every client's thread: each session is ending now (its connection was closed, or it had
/// ended), and nothing of the server may run after `serve` returns. Returns how many of them panicked.
fn join_all(threads: Vec<JoinHandle<()>>) -> u64 {
    let joined = threads.into_iter().map(JoinHandle::join);
    joined.filter(Result::is_err).count() as u64
}

// ANCHOR: wait_then_close
/// The stop's patience: lets the clients still connected finish for `grace`, then closes those still
/// there; returns how many it closed.
fn wait_then_close(clients: &Clients, grace: Duration, trace: &Trace) -> usize {
    let online = clients.online();
    if online > 0 {
        eprintln!(
            "stopping: no new clients; waiting up to {grace:?} for {online} connected client(s) to finish"
        );
    }
    if clients.wait_until_empty(grace) {
        return 0;
    }
    let closed = clients.shut_down_all(trace);
    eprintln!("stopping: closed {closed} client(s) still connected after {grace:?}");
    closed
}
// ANCHOR_END: wait_then_close

// ANCHOR: admit
/// Gives `stream`'s client a place if there are fewer than `max` online. The place is held by the
/// returned [`Seat`] and given back when it drops.
pub(crate) fn admit(clients: &Arc<Clients>, stream: &TcpStream, max: usize) -> Admission {
    let mut roster = clients.lock();
    if roster.online.len() >= max {
        return Admission::Full;
    }
    // The copy is a second file descriptor for the same connection: shutting it down at the stop ends the
    // session of the thread that owns the original.
    let copy = match stream.try_clone() {
        Ok(copy) => copy,
        Err(err) => return Admission::Failed(err),
    };
    roster.served += 1;
    let id = roster.served;
    roster.online.insert(id, copy);
    Admission::Admitted(Seat {
        clients: Arc::clone(clients),
        id,
    })
}
// ANCHOR_END: admit

// ANCHOR: give_back
/// Gives the place `id` back: what a [`Seat`] does when it drops, normally or while its thread unwinds
/// from a panic (so: no `unwrap` here). Wakes a stop that waits for the clients to leave.
pub(crate) fn give_back(clients: &Clients, id: u64) {
    clients.lock().online.remove(&id);
    clients.left.notify_all();
}
// ANCHOR_END: give_back

// ANCHOR: counts
/// Both numbers, read under one lock, so that they agree with each other: `(online, served)`.
pub fn counts(clients: &Clients) -> (usize, u64) {
    let roster = clients.lock();
    (roster.online.len(), roster.served)
}
// ANCHOR_END: counts

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

// ANCHOR: wake
/// Asks the server to stop ([`Stop::stop`] calls this): no new clients; the connected ones get
/// [`Config::grace`] to finish. Returns at once; [`serve`](crate::serve) returns when the stop is complete.
pub fn request_stop(stop: &Stop) {
    // `swap` sets the flag and says whether it was set already: the wake-up is needed only once.
    if stop.inner.requested.swap(true, Ordering::SeqCst) {
        return;
    }
    // The accept loop is most likely blocked in `accept`, and std has no way to interrupt a blocking call
    // from another thread. A connection wakes it: `accept` returns, the loop sees the flag and drops that
    // connection unanswered. If this connect fails, the flag is still set and the loop stops at the next
    // client that arrives.
    let Some(socket) = stop.take_wake_socket() else {
        return;
    };
    if let Err(err) = socket.connect_timeout(&stop.inner.wake_addr.into(), WAKE_TIMEOUT) {
        eprintln!("stop: could not wake the accept loop ({err}); it stops at the next connection");
    }
}
// ANCHOR_END: wake

// ANCHOR: wait_until_empty
/// Waits until no client is online, for at most `timeout`. Returns whether they all left.
pub(crate) fn wait_until_empty(clients: &Clients, timeout: Duration) -> bool {
    let roster = clients.lock();
    let (roster, _) = clients
        .left
        .wait_timeout_while(roster, timeout, |roster| !roster.online.is_empty())
        .unwrap_or_else(PoisonError::into_inner);
    roster.online.is_empty()
}
// ANCHOR_END: wait_until_empty

// ANCHOR: shut_down_all
/// Shuts down every connection still online, both ways, and says how many there were.
pub(crate) fn shut_down_all(clients: &Clients, trace: &Trace) -> usize {
    let roster = clients.lock();
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
