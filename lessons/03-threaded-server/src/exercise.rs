//! Lesson 03, your version. Replace each `todo!()` and run `cargo run -- check 3` after every step.
//! Stuck? `cargo run -- hint 3`. Lost? `cargo run -- reset 3` puts this file back as it was.
//!
//! The session on each connection is lesson 02's solution (`serve_client_with`), already wired into
//! `greet_client`: this lesson's work is around it, in the accept loop and in what the threads share. The
//! types are given: `Config` and `Summary` in `config.rs`, `Clients`, its `Roster` and the `Seat` in
//! `clients.rs`, `Stop` in `stop.rs`, `greet_client`, `turn_away` and `join_finished` in `session.rs`.
//! Read them first: their methods call the functions below.
// Until you write the bodies, parameters and helpers are unused; this keeps the compiler quiet about it.
#![allow(unused_variables, unused_mut, unused_imports, dead_code)]

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use shared::greeting::hello;
use shared::trace::{Trace, is_timeout};

use crate::clients::{Admission, Seat};
use crate::session::{join_finished, turn_away};
use crate::{Clients, Config, Handler, Stop, Summary, WAKE_TIMEOUT};

/// How long the accept loop pauses after a failed `accept`, so that a failure that repeats at once does
/// not keep a CPU busy.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(50);

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
    // TODO(step 1): an accept loop, as in lesson 02, that does not wait for a client's session to end:
    //   - before the loop: `Arc::new(Clients::default())` (what the threads share), a `Vec` for the
    //     threads' `JoinHandle`s and a `Summary::default()`;
    //   - `listener.accept()`; on an error, `eprintln!` it, pause (`thread::sleep(ACCEPT_RETRY_PAUSE)`)
    //     and `continue`; report each client with `trace.event(format_args!("accept {peer}"))`;
    //   - `join_finished(&mut threads, &mut summary)` (given, in `session.rs`) so the `Vec` keeps only
    //     live threads;
    //   - `thread::spawn(move || ...)` runs `handler(stream, &config, &clients, &trace)` and reports its
    //     error on stderr. A `move` closure takes ownership of what it uses, and a thread may only use
    //     what it owns (or what lives for ever): move in the stream, a `config.clone()`, a `trace.clone()`
    //     and an `Arc::clone` of the clients, made just before the spawn. Push the `JoinHandle`.
    //   The loop never ends until step 4: that is fine, `loop {}` without `break` satisfies the return type.
    //   (The reference solution also turns a client away when no file descriptor is left for it; that is
    //   not part of the exercise: see `src/out_of_fds.rs` and `tests/pitfalls.rs`.)
    // TODO(step 2): before spawning, `clients.admit(&stream, config.max_clients)` (which calls your `admit`
    //   below). `Admission::Full` or `Admission::Failed`: `turn_away(stream, trace)` (given), count it in
    //   `summary.turned_away`, `continue`. `Admission::Admitted(seat)`: move the seat into the thread too
    //   (`let _seat = seat;` as its first line), so that it drops when the thread ends, however it ends.
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

/// Gives `stream`'s client a place if there are fewer than `max` online. The place is held by the
/// returned [`Seat`] and given back when it drops (your `give_back`).
pub(crate) fn admit(clients: &Arc<Clients>, stream: &TcpStream, max: usize) -> Admission {
    // TODO(step 2): with the roster locked (`clients.lock()`; keep the guard for the whole function, so
    //   that checking for room and taking the place are one step):
    //   - `max` clients online already: `Admission::Full`;
    //   - otherwise take a place: count the client in `served` and use that number as its id; insert a
    //     copy of its socket (`stream.try_clone()`; if that fails, `Admission::Failed(err)`) under the
    //     id in `online` (step 4 shuts these copies down); return `Admission::Admitted` with a `Seat`
    //     that holds `Arc::clone(clients)` and the id.
    todo!("step 2: a place for the client, if there is room")
}

/// Gives the place `id` back: what a [`Seat`] does when it drops, normally or while its thread unwinds
/// from a panic. Wakes a stop that waits for the clients to leave.
pub(crate) fn give_back(clients: &Clients, id: u64) {
    // TODO(step 2): remove the client `id` from the roster (`clients.lock()`), then `notify_all` on
    //   `clients.left` (the stop of step 4 waits there). No `unwrap`: this also runs while a panicking
    //   thread unwinds.
    todo!("step 2: give the place back")
}

/// Both numbers, read under one lock, so that they agree with each other: `(online, served)`.
pub fn counts(clients: &Clients) -> (usize, u64) {
    // TODO(step 3): lock once (`clients.lock()`) and read both (calling `clients.online()` then
    //   `clients.served()` locks twice, and a client could arrive in between).
    todo!("step 3: both counts at once")
}

/// The reply to the line `line`: `online: N, served: M` for `who`, lesson 02's `Hello, X!` for the rest.
pub fn answer(line: &str, clients: &Clients) -> String {
    // TODO(step 3): the line `who` gets `online: N, served: M` and a newline, from `clients.counts()` (both
    //   numbers under one lock). Every other line keeps lesson 02's reply:
    hello(line)
}

/// Asks the server to stop ([`Stop::stop`] calls this): no new clients; the connected ones get
/// [`Config::grace`] to finish. Returns at once; [`serve`](crate::serve) returns when the stop is complete.
pub fn request_stop(stop: &Stop) {
    // TODO(step 4): set the flag (`stop.inner.requested`, an `AtomicBool`: `store` or `swap` with
    //   `Ordering::SeqCst`). That alone is not enough: the accept loop is blocked in `accept`, and
    //   nothing in std interrupts a blocking call from another thread. Wake it the way any client
    //   would: connect to `stop.inner.wake_addr` and drop the connection. Use the socket made in
    //   advance: `stop.take_wake_socket()` (`None` means a stop came first), then
    //   `socket.connect_timeout(&stop.inner.wake_addr.into(), WAKE_TIMEOUT)`.
    //   (`TcpStream::connect_timeout` would pass the tests too, but needs a new file descriptor,
    //   which a server that ran out of them does not have.) If the connect fails, say so on stderr;
    //   do not panic.
    todo!("step 4: ask the server to stop, and wake its accept loop")
}

/// Waits until no client is online, for at most `timeout`. Returns whether they all left.
pub(crate) fn wait_until_empty(clients: &Clients, timeout: Duration) -> bool {
    // TODO(step 4): `Condvar::wait_timeout_while(guard, timeout, condition)` on `clients.left` takes the
    //   locked roster, sleeps (unlocked) until `notify_all` or the timeout, and returns the guard and a
    //   timeout flag. The condition is "someone is still online". Then: is `online` empty?
    todo!("step 4: wait for the clients to leave")
}

/// Shuts down every connection still online, both ways, and says how many there were.
pub(crate) fn shut_down_all(clients: &Clients, trace: &Trace) -> usize {
    // TODO(step 4): `shutdown(Shutdown::Both)` on each copy in `online`: the owning thread's `read`
    //   then returns 0 and its session ends (that thread removes the client itself, through its seat).
    //   Ignore errors: a connection that is already gone needs no shutting down. Report each one with
    //   `trace.event(...)` (its `peer_addr()`), so that `--trace` shows who was closed at the stop.
    todo!("step 4: close the connections still online")
}
