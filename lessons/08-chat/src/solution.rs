//! The reference solution of lesson 08: the functions the exercise's steps ask for. The types they use are
//! given (`protocol.rs`, `config.rs`, `room.rs`), and so are the accept loop (`server.rs`) and each
//! connection's session (`session.rs`), which call these. The book includes its parts by their `ANCHOR`
//! names.

use std::io::{self, BufRead, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::thread;

use shared::trace::{Trace, Traced};

use crate::protocol;
use crate::{Member, Room, RoomState};

// ANCHOR: chat
/// The client, both ways at once: a thread copies the lines of `input` to the server while this thread
/// prints what the server sends on `output`, as it arrives. At the end of `input`, the thread shuts down
/// the sending side (the server reads end of stream), and this one goes on printing until the server
/// closes. Returns then, even if the input thread is still blocked reading `input`.
pub fn chat(
    stream: TcpStream,
    input: impl BufRead + Send + 'static,
    mut output: impl Write,
    trace: &Trace,
) -> io::Result<()> {
    let to_server = Traced::new(stream.try_clone()?, trace.clone());
    thread::Builder::new()
        .name("input".into())
        .spawn(move || send_lines(input, to_server))?;
    let mut from_server = Traced::new(stream, trace.clone());
    io::copy(&mut from_server, &mut output)?;
    output.flush()
}

/// The input thread: each line typed goes to the server, whole; at the end of input, `shutdown(Write)`.
fn send_lines(input: impl BufRead, mut to_server: Traced<TcpStream>) {
    for line in input.lines() {
        let Ok(line) = line else { break };
        if to_server.write_all(format!("{line}\n").as_bytes()).is_err() {
            // The server has gone; the main thread sees it too, and ends the program.
            return;
        }
    }
    let _ = to_server.shutdown(Shutdown::Write);
}
// ANCHOR_END: chat

// ANCHOR: join
/// Makes `name` a member of the room, with `queue` for the lines sent to it: the line `* online: ...` it
/// receives first, or the error line that says why the name was refused (invalid, or taken).
pub fn join(room: &Room, id: u64, name: &str, queue: SyncSender<String>) -> Result<String, String> {
    if !protocol::is_valid_name(name) {
        return Err(protocol::invalid_name(name));
    }
    // One lock for "is it taken?" and "take it": two members choosing the same name at the same moment
    // cannot both see it free.
    let mut state = room.lock();
    if state.members.iter().any(|member| member.name == name) {
        return Err(protocol::name_taken(name));
    }
    // Told to the others under the same lock as the push: whoever joins next either is in the roster
    // already (and hears `* NAME joined`) or is not yet (and sees NAME in its `* online`), never both.
    tell_others(&mut state, id, &protocol::joined(name));
    state.members.push(Member {
        id,
        name: name.to_string(),
        queue,
        skipped: 0,
    });
    Ok(protocol::online(
        state.members.iter().map(|m| m.name.as_str()),
    ))
}
// ANCHOR_END: join

// ANCHOR: who
/// The answer to `/who`: `* online: A, B, C`, in order of joining.
pub fn who(room: &Room) -> String {
    let state = room.lock();
    protocol::online(state.members.iter().map(|m| m.name.as_str()))
}
// ANCHOR_END: who

// ANCHOR: broadcast
/// Offers `line` to every member but `from`. Under the lock, and so it never waits: each member's queue
/// takes the line or, full, counts it skipped ([`offer`]). The writing is its writer thread's.
pub fn broadcast(room: &Room, from: u64, line: &str) {
    tell_others(&mut room.lock(), from, line);
}

/// [`broadcast`]'s work, for a caller that holds the lock already ([`join`], [`leave`]).
pub fn tell_others(state: &mut RoomState, from: u64, line: &str) {
    for member in state.members.iter_mut().filter(|m| m.id != from) {
        offer(member, line);
    }
}
// ANCHOR_END: broadcast

// ANCHOR: write_queued
/// A member's writer thread: writes each queued line to the member's socket, in order, until the queue's
/// senders are gone (the member left) or a write fails. This is the only place that may block on the
/// member's socket, and it holds no lock while it does.
pub fn write_queued(queue: Receiver<String>, out: &mut impl Write) -> io::Result<()> {
    for line in queue {
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}
// ANCHOR_END: write_queued

// ANCHOR: leave
/// Removes member `id` from the room and tells the others `* NAME left`; does nothing if it is not a member
/// (any more). Returns whether it removed it. Every way out of the room calls this (the reading thread at
/// the end of the lines, the writer thread at a failed write), so "exactly once" is "whoever removes it
/// tells the others".
pub fn leave(room: &Room, id: u64) -> bool {
    let mut state = room.lock();
    let Some(index) = state.members.iter().position(|m| m.id == id) else {
        return false;
    };
    // `remove`, not `swap_remove`: the others keep their order of joining. The removed member's queue
    // sender drops here, and its writer ends after what was queued.
    let removed = state.members.remove(index);
    // Under the same lock, as in `join`: nobody joins between "gone" and "told".
    tell_others(&mut state, id, &protocol::left(&removed.name));
    true
}
// ANCHOR_END: leave

// ANCHOR: offer
/// Puts `line` in `member`'s queue without waiting. A full queue means the member is not reading: the line
/// is skipped and counted, and once the queue has room again, `* N messages skipped` goes in first.
pub fn offer(member: &mut Member, line: &str) {
    if member.skipped > 0 {
        match member.queue.try_send(protocol::skipped(member.skipped)) {
            Ok(()) => member.skipped = 0,
            Err(TrySendError::Full(_)) => {
                member.skipped += 1;
                return;
            }
            // Its writer has ended (a failed write): the member is leaving, nothing to count.
            Err(TrySendError::Disconnected(_)) => return,
        }
    }
    if let Err(TrySendError::Full(_)) = member.queue.try_send(line.to_string()) {
        member.skipped += 1;
    }
}
// ANCHOR_END: offer
