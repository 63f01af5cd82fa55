//! The reference solution of lesson 10: the functions the exercise's steps ask for. The room, the session
//! around them and the server are given (`room.rs`, `session.rs`, `server.rs`) and call these. The book
//! includes their parts by their `ANCHOR` names.

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

// ANCHOR: accept_loop
/// Step 1: accepts connections for ever, each served by a task of its own in `tasks`; one over
/// `--max-members` is turned away. It never returns: the server stops accepting by dropping this future.
///
/// `tasks.spawn` returns at once; the new task runs when this one waits (at the next `accept`), and
/// whenever its socket is ready. Awaiting `serve_member` here instead would serve one member at a time.
pub async fn accept_loop(
    listener: &TcpListener,
    room: &Arc<Room>,
    tasks: &mut JoinSet<()>,
    stopped: &watch::Receiver<bool>,
    trace: &Trace,
) {
    loop {
        let (stream, peer) = accept_next(listener, trace).await;
        // An ended task's result waits in the set until it is taken: take them, so the set holds only
        // the running ones however many members come and go.
        while tasks.try_join_next().is_some() {}
        let Some(place) = room.connect() else {
            turn_away(tasks, stream, trace);
            continue;
        };
        let task = serve_member(
            stream,
            peer,
            place,
            Arc::clone(room),
            stopped.clone(),
            trace.clone(),
        );
        tasks.spawn(task);
    }
}
// ANCHOR_END: accept_loop

// ANCHOR: read_line
/// Step 2: the next line from `reader`, at most `max_line` bytes: `Complete` (without its `\n` or
/// `\r\n`), `TooLong`, or `EndOfStream`. What arrives after the line stays in `input` for the next call.
///
/// The only `.await` is `read_buf`, which either read nothing or appended what it read to `input`,
/// which this future does not own. Dropped while it waits (by `select!`, step 4), it loses nothing.
pub async fn read_line(
    reader: &mut (impl AsyncRead + Unpin),
    input: &mut Vec<u8>,
    max_line: usize,
) -> io::Result<Line> {
    loop {
        match next_line(input, max_line) {
            Ok(Some(line)) => return Ok(Line::Complete(line)),
            Ok(None) => {}
            Err(LineTooLong) => return Ok(Line::TooLong),
        }
        // `next_line` said no line is complete, and that `input` is within the cap: read more.
        if reader.read_buf(input).await? == 0 {
            return Ok(Line::EndOfStream);
        }
    }
}
// ANCHOR_END: read_line

// ANCHOR: tell_others
/// Step 3: puts `line` in the room's channel, from member `from`. Never waits: the channel keeps the
/// last lines for everyone, and a member too far behind misses the oldest ([`next_for`] says so).
pub fn tell_others(said: &broadcast::Sender<Said>, from: u64, line: &str) {
    // `send` fails only when nobody is subscribed (nobody else here): the line is for nobody.
    let _ = said.send(Said {
        from,
        line: line.into(),
    });
}
// ANCHOR_END: tell_others

// ANCHOR: next_for
/// Step 3: the next line for member `me`: every line said in the room but its own, and, when it fell
/// too far behind, `* N messages skipped` first. `None` once the room is gone.
///
/// `Lagged(n)` is not a failure: the receiver has moved on to the oldest line still kept, and it is told
/// how many it missed. A `?` on `recv` would turn a slow member into a disconnected one.
pub async fn next_for(said: &mut broadcast::Receiver<Said>, me: u64) -> Option<Arc<str>> {
    loop {
        match said.recv().await {
            Ok(said) if said.from == me => continue,
            Ok(said) => return Some(said.line),
            Err(RecvError::Lagged(missed)) => return Some(protocol::skipped(missed).into()),
            Err(RecvError::Closed) => return None,
        }
    }
}
// ANCHOR_END: next_for

// ANCHOR: member_loop
/// Step 4: the member's life, both ways at once: whichever comes first, its next line (answered, or
/// told to the others) or the room's next line for it (written to it), until it leaves; and the stop,
/// which gets [`STOPPING`] written.
///
/// Each time round, `select!` starts the three waits and drops the two that did not finish. Only
/// cancel-safe waits may be dropped like that: `read_line` keeps what it read in `member.input`,
/// `recv` and `changed` lose nothing. A write is never raced: it is awaited inside a branch.
pub async fn member_loop(
    stream: &mut (impl AsyncRead + AsyncWrite + Unpin),
    member: &mut Member,
    room: &Room,
    stop: &mut watch::Receiver<bool>,
) -> io::Result<()> {
    let (id, max_line) = (member.id, room.config.max_line);
    loop {
        tokio::select! {
            line = read_line(stream, &mut member.input, max_line) => match respond(room, member, line?) {
                Reply::Nothing => {}
                Reply::Answer(answer) => stream.write_all(answer.as_bytes()).await?,
                Reply::End(last) => {
                    if let Some(last) = last {
                        stream.write_all(last.as_bytes()).await?;
                    }
                    return Ok(());
                }
            },
            line = next_for(&mut member.said, id) => match line {
                Some(line) => stream.write_all(line.as_bytes()).await?,
                None => return Ok(()),
            },
            _ = stop.changed() => {
                stream.write_all(STOPPING.as_bytes()).await?;
                return Ok(());
            }
        }
    }
}
// ANCHOR_END: member_loop

// ANCHOR: stop_members
/// Step 5: tells every task to finish (each writes [`STOPPING`] and closes), waits for them all, at
/// most `deadline`, then aborts the ones still running (a member that does not read can keep its task in
/// a write for ever). Returns how many were aborted.
pub async fn stop_members(
    tasks: &mut JoinSet<()>,
    stop: &watch::Sender<bool>,
    deadline: Duration,
) -> usize {
    // Fails only when no task is left to receive it.
    let _ = stop.send(true);
    let all_ended = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(deadline, all_ended).await.is_ok() {
        return 0;
    }
    let running = tasks.len();
    // Aborted at its next `.await`, and waited for: each task's `Place` drops and the member leaves.
    tasks.shutdown().await;
    running
}
// ANCHOR_END: stop_members
