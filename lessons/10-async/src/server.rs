//! The server around your functions: the stop, the accept that retries, and turning away one connection
//! too many. Given code, the same in the exercise and the solution: it calls your [`accept_loop`] (step 1)
//! and [`stop_members`] (step 5).
// Until your functions in exercise.rs use them, some of these are unused in the exercise build.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chat::RoomConfig;
use shared::trace::Trace;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::{BUSY, Room, accept_loop, stop_members};

/// What every member still connected is told when the server stops, before its connection closes.
pub const STOPPING: &str = "* the server is stopping\n";

/// How long the stop waits for the members' tasks to end by themselves (each writes [`STOPPING`] and
/// closes) before it aborts the rest: a member that does not read can hold its task in a write for ever.
pub const STOP_DEADLINE: Duration = Duration::from_secs(2);

/// How long accepting pauses after a failed `accept` (out of file descriptors, say), so that a failure
/// that repeats at once does not keep a core busy.
pub const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// How long telling a connection it is busy may take: a few bytes into an empty send buffer.
const TURN_AWAY_TIMEOUT: Duration = Duration::from_millis(100);

/// What a server did, returned by [`serve`] once it has stopped and every task has ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Connections welcomed (whether or not they ever chose a name).
    pub served: u64,
    /// Connections that got [`BUSY`].
    pub turned_away: u64,
    /// Connections still open when the stop came.
    pub closed_at_stop: usize,
    /// Tasks still running at the stop's deadline, which were aborted.
    pub aborted: usize,
}

// ANCHOR: serve
/// Serves the room on `listener` until `stop_requested` completes: your [`accept_loop`] spawns a task
/// per connection, and `select!` drops it (it never returns) when the stop comes, which stops accepting.
/// Then your [`stop_members`] tells every task to finish, and waits for them, at most `deadline`.
pub async fn serve(
    listener: TcpListener,
    config: RoomConfig,
    stop_requested: impl Future<Output = ()>,
    deadline: Duration,
    trace: Trace,
) -> Summary {
    let room = Arc::new(Room::new(config));
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tokio::select! {
        () = accept_loop(&listener, &room, &mut tasks, &stopped, &trace) => {}
        () = stop_requested => trace.event("stop requested: no more accepting"),
    }
    // Closing the listener: a client that connects now is refused, instead of waiting in the backlog.
    drop(listener);
    let closed_at_stop = room.connections();
    let aborted = stop_members(&mut tasks, &stop, deadline).await;
    let (served, turned_away) = room.served_and_turned_away();
    Summary {
        served,
        turned_away,
        closed_at_stop,
        aborted,
    }
}
// ANCHOR_END: serve

/// The next connection. A failed `accept` (out of file descriptors, say) is said on stderr and tried
/// again after [`ACCEPT_RETRY_PAUSE`]: it is the server's trouble, not a reason to stop serving.
pub async fn accept_next(listener: &TcpListener, trace: &Trace) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                trace.event(format_args!("accept {peer}"));
                // Lines are small and go out one at a time: without this, Nagle's algorithm holds a
                // line back while the one before is unacknowledged, and the peer delays its ACK
                // (lesson 07): 40 ms a line.
                let _ = stream.set_nodelay(true);
                return (stream, peer);
            }
            Err(err) => {
                eprintln!("accept failed: {err}");
                tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
            }
        }
    }
}

/// Sends [`BUSY`] and closes the connection, in a task of its own so that accepting goes on meanwhile.
pub fn turn_away(tasks: &mut JoinSet<()>, mut stream: TcpStream, trace: &Trace) {
    let trace = trace.clone();
    tasks.spawn(async move {
        let told = tokio::time::timeout(TURN_AWAY_TIMEOUT, async {
            stream.write_all(BUSY.as_bytes()).await?;
            stream.shutdown().await
        })
        .await;
        // Bytes already arrived and unread would turn our close into a reset: read what is there.
        if matches!(told, Ok(Ok(()))) {
            let mut sink = [0u8; 4096];
            for _ in 0..16 {
                if !matches!(stream.try_read(&mut sink), Ok(n) if n > 0) {
                    break;
                }
            }
        }
        trace.event("turned away: busy");
    });
}
