//! What runs on one connection: the session a client's thread runs, and the busy line for a client
//! turned away; and `serve`, which is `serve_with` with the greeting session. Given code, the same in the
//! exercise and the solution.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use shared::trace::Trace;
use single_server::{SessionEnd, serve_client_with};

use crate::{BUSY_LINE, Clients, Config, Stop, Summary, answer, serve_with};

// ANCHOR: handler
/// What a client's thread runs: the session on one connection. [`greet_client`] for the real server; tests
/// pass a handler that fails or panics, to show that it ends one client's session and nothing more.
pub type Handler = fn(TcpStream, &Config, &Clients, &Trace) -> io::Result<SessionEnd>;

/// One client's session: lesson 02's greeting protocol, with the command `who` answered by
/// [`answer`](crate::answer).
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

// ANCHOR: turn_away
/// How long the server may spend telling a client it is busy. The line is a few bytes into an empty send
/// buffer and never waits in practice; the timeout makes sure of it, since the accept loop waits meanwhile.
const TURN_AWAY_TIMEOUT: Duration = Duration::from_millis(100);

/// Sends [`BUSY_LINE`] and closes the connection, without blocking the accept loop.
pub(crate) fn turn_away(stream: TcpStream, trace: &Trace) {
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

/// Joins the threads that have ended, so the list holds only running ones (at most `max_clients`).
pub(crate) fn join_finished(threads: &mut Vec<JoinHandle<()>>, summary: &mut Summary) {
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
