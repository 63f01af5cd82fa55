//! The accept loop of the room: a thread per connection, at most `max_members` at once, until the stop
//! (lesson 03's, reused through its crate). Given code, the same in the exercise and the solution: lesson 03
//! taught it; this lesson is about what happens after `accept`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use shared::trace::{Trace, Traced};
use threaded_server::Stop;

use crate::session::serve_connection;
use crate::{BUSY, Room, RoomConfig, Summary};

/// How long the accept loop pauses after a failed `accept` (out of file descriptors, say), so that a
/// failure that repeats at once does not keep a CPU busy.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// How long the server may spend telling a connection it is busy: a few bytes into an empty send buffer,
/// which never waits in practice; the timeout makes sure of it, since the accept loop waits meanwhile.
const TURN_AWAY_TIMEOUT: Duration = Duration::from_millis(100);

// ANCHOR: serve
/// Serves the room on `listener` until `stop` is requested: each connection on a thread of its own, at
/// most `config.max_members` at once; then shuts down the connections still open and waits for every
/// thread.
pub fn serve(
    listener: TcpListener,
    config: &RoomConfig,
    stop: &Stop,
    trace: &Trace,
) -> io::Result<Summary> {
    let room = Arc::new(Room::default());
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    let mut summary = Summary::default();
    loop {
        let accepted = listener.accept();
        // Checked after every `accept`: the connection that woke us may be the stop's own.
        if stop.is_requested() {
            break;
        }
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                eprintln!("accept failed: {err}");
                thread::sleep(ACCEPT_RETRY_PAUSE);
                continue;
            }
        };
        trace.event(format_args!("accept {peer}"));
        // Lines are small and go out one at a time: without this, Nagle's algorithm holds a line back
        // while the one before is unacknowledged, and the peer delays its ACK (lesson 07): 40 ms a line.
        let _ = stream.set_nodelay(true);
        threads.retain(|thread| !thread.is_finished());
        // One socket, shared by the member's two threads and the room (which shuts it down at the stop).
        let stream = Arc::new(Traced::new(stream, trace.labelled(peer)));
        let Some(place) = room.connect(&stream, config.max_members) else {
            turn_away(&stream);
            summary.turned_away += 1;
            continue;
        };
        let (room, config) = (Arc::clone(&room), config.clone());
        let spawned = thread::Builder::new()
            .name(format!("member {peer}"))
            .spawn(move || {
                let trace = stream.trace().clone();
                if let Err(err) = serve_connection(stream, place, &room, &config) {
                    trace.event(format_args!("connection ended: {err}"));
                }
            });
        match spawned {
            Ok(handle) => threads.push(handle),
            Err(err) => eprintln!("{peer}: could not start a thread: {err}"),
        }
    }
    drop(listener);
    summary.closed_at_stop = room.shut_down_all();
    for thread in threads {
        let _ = thread.join();
    }
    summary.served = room.served();
    Ok(summary)
}
// ANCHOR_END: serve

/// Sends [`BUSY`] and closes the connection without blocking the accept loop (lesson 03's `turn_away`).
fn turn_away(mut stream: &Traced<TcpStream>) {
    let _ = stream.get_ref().set_write_timeout(Some(TURN_AWAY_TIMEOUT));
    let _ = stream.write_all(BUSY.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
    // Bytes already arrived and unread would turn our close into a reset: read what is there, no waiting.
    if stream.get_ref().set_nonblocking(true).is_ok() {
        let mut sink = [0u8; 4096];
        for _ in 0..16 {
            if !matches!(stream.read(&mut sink), Ok(n) if n > 0) {
                break;
            }
        }
    }
    stream.trace().event("turned away: busy");
}
