//! Your code for lesson 10: the functions the server (`server.rs`, `session.rs`, given) calls. Do the
//! steps in order; `cargo run -- check 10` tests them, `cargo run -- hint 10` helps.
//!
//! An `async fn` runs until its first `.await` that cannot finish yet; then it lets go of the thread,
//! and the runtime runs another task until this one's socket is ready. So: never block in here (no
//! `std::thread::sleep`, no `std::net` read), and never hold a `std::sync::MutexGuard` across `.await`.
// Until you write them, the parameters are unused (and clippy would ask for `&mut [u8]` where your code
// will need the `Vec` to grow).
#![allow(unused_variables, unused_mut, unused_imports, clippy::ptr_arg)]

use std::sync::Arc;
use std::time::Duration;

use event_loop::{LineTooLong, next_line};
use shared::trace::Trace;
use single_server::Line;
use tokio::io::{self, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::{
    Member, Reply, Room, STOPPING, Said, accept_next, protocol, respond, serve_member, turn_away,
};

/// Step 1: accepts connections for ever, each served by a task of its own in `tasks`; one over
/// `--max-members` is turned away. It never returns: the server stops accepting by dropping this future.
pub async fn accept_loop(
    listener: &TcpListener,
    room: &Arc<Room>,
    tasks: &mut JoinSet<()>,
    stopped: &watch::Receiver<bool>,
    trace: &Trace,
) {
    // TODO(step 1): loop: `let (stream, peer) = accept_next(listener, trace).await;` then
    //   - `while tasks.try_join_next().is_some() {}` takes the results of tasks that have ended;
    //   - `room.connect()` gives a `Place`, or `None` when the room is full: then
    //     `turn_away(tasks, stream, trace)` and go round again;
    //   - `tasks.spawn(serve_member(stream, peer, place, Arc::clone(room), stopped.clone(), trace.clone()))`.
    //   Spawn it, do not `.await` it here: awaiting serves one member at a time.
    todo!("step 1: a task per connection")
}

/// Step 2: the next line from `reader`, at most `max_line` bytes: `Line::Complete` (without its `\n` or
/// `\r\n`), `Line::TooLong` or `Line::EndOfStream`. What arrives after the line stays in `input`.
pub async fn read_line(
    reader: &mut (impl AsyncRead + Unpin),
    input: &mut Vec<u8>,
    max_line: usize,
) -> io::Result<Line> {
    // TODO(step 2): loop: first try `next_line(input, max_line)` (lesson 09's: `Ok(Some(line))` is a
    // line, `Ok(None)` not yet, `Err(LineTooLong)` over the cap); when no line is there yet,
    // `reader.read_buf(input).await?` appends what arrived, and `0` means the end of the stream.
    todo!("step 2: a capped line from an async socket")
}

/// Step 3: puts `line` in the room's channel, from member `from`. Never waits, never fails.
pub fn tell_others(said: &broadcast::Sender<Said>, from: u64, line: &str) {
    // TODO(step 3): `said.send(Said { from, line: line.into() })`; it fails only when nobody is
    // subscribed, which is not an error here (`let _ =`).
    todo!("step 3: one line into the room's channel")
}

/// Step 3: the next line for member `me`: every line said in the room but its own and, when it fell too
/// far behind, `* N messages skipped` first (`protocol::skipped(n)`). `None` once the room is gone.
pub async fn next_for(said: &mut broadcast::Receiver<Said>, me: u64) -> Option<Arc<str>> {
    // TODO(step 3): loop on `said.recv().await`: `Ok(said)` from `me` is skipped; another `Ok(said)` is
    // `Some(said.line)`; `Err(RecvError::Lagged(n))` is `Some(protocol::skipped(n).into())`, never an
    // end; `Err(RecvError::Closed)` is `None`.
    todo!("step 3: lagging is a notice, not a disconnect")
}

/// Step 4: the member's life, both ways at once: its next line (through `respond`) or the room's next
/// line for it (written to it), whichever comes first, until it leaves; and the stop (write `STOPPING`).
pub async fn member_loop(
    stream: &mut (impl AsyncRead + AsyncWrite + Unpin),
    member: &mut Member,
    room: &Room,
    stop: &mut watch::Receiver<bool>,
) -> io::Result<()> {
    // TODO(step 4): `loop { tokio::select! { ... } }` with three branches:
    //   - `line = read_line(stream, &mut member.input, room.config.max_line)`: `respond(room, member,
    //     line?)` says what to do: `Reply::Nothing` needs nothing (a message already told to the
    //     others), `Reply::Answer(text)` is written to `stream`, `Reply::End(last)` writes `last` if any
    //     and returns `Ok(())`;
    //   - `line = next_for(&mut member.said, member.id)`: `Some(line)` is written, `None` returns;
    //   - `_ = stop.changed()`: write `STOPPING`, return.
    //   Copy `member.id` into a local first: the first two branches borrow different fields of `member`.
    todo!("step 4: select! over the socket and the room")
}

/// Step 5: tells every task to finish (`stop.send(true)`), waits for them all, at most `deadline`, then
/// aborts the ones still running. Returns how many were aborted.
pub async fn stop_members(
    tasks: &mut JoinSet<()>,
    stop: &watch::Sender<bool>,
    deadline: Duration,
) -> usize {
    // TODO(step 5): `let _ = stop.send(true);`, then `tokio::time::timeout(deadline, async { while
    // tasks.join_next().await.is_some() {} }).await`: `Ok` means all ended (0 aborted). Otherwise
    // `tasks.len()` are still running: `tasks.shutdown().await` aborts and waits for them.
    todo!("step 5: a clean stop with a deadline")
}
