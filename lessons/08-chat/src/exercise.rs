//! Lesson 08, your version. Replace each `todo!()` and run `cargo run -- check 8` after every step.
//! Stuck? `cargo run -- hint 8`. Lost? `cargo run -- reset 8` puts this file back as it was.
//!
//! Given, and worth reading first: `protocol.rs` (every line the room sends, the name rule),
//! `room.rs` (`Room`, its `RoomState` with `members` in order of joining, and `Member` with its `queue`),
//! `session.rs` (one connection's life: it calls `join`, `who`, `broadcast`, `write_queued` and `leave`
//! below) and `server.rs` (the accept loop, lesson 03's).
// Until you write the bodies, parameters and helpers are unused; this keeps the compiler quiet about it.
#![allow(unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{self, BufRead, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::thread;

use shared::trace::{Trace, Traced};

use crate::protocol;
use crate::{Member, Room, RoomState};

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
    // TODO(step 1): two directions, two threads.
    //   - `stream.try_clone()` gives a second handle to the same connection, for the input thread (wrap
    //     each handle in `Traced::new(handle, trace.clone())` so that `--trace` shows its calls);
    //   - `thread::spawn(move || ...)`: for each line of `input.lines()`, write it and its `\n` to the
    //     server in one `write_all` (`format!("{line}\n")`), so a line never leaves in two pieces; stop at
    //     the first error; at the end of input, `shutdown(Shutdown::Write)`;
    //   - meanwhile, on this thread: copy everything the server sends to `output` until it closes
    //     (`io::copy`), then `flush` and return. Do NOT `join` the input thread: it may be blocked reading
    //     a terminal, and nothing can wake it; the program ends when this function returns.
    todo!("step 1: the client, both ways at once")
}

/// Makes `name` a member of the room, with `queue` for the lines sent to it: the line `* online: ...` it
/// receives first, or the error line that says why the name was refused (invalid, or taken).
pub fn join(room: &Room, id: u64, name: &str, queue: SyncSender<String>) -> Result<String, String> {
    // TODO(step 2): `protocol::is_valid_name(name)`, or `Err(protocol::invalid_name(name))`. Then, with the
    //   room locked (`room.lock()`, kept until the end: "is it taken?" and "take it" are one step): a
    //   member with that name already is `Err(protocol::name_taken(name))`; otherwise tell the others
    //   `protocol::joined(name)` with `tell_others(&mut state, id, ...)` (step 3 makes it work; under the
    //   same lock, so that whoever joins next hears of this member exactly once), push a `Member`
    //   (`skipped: 0`) onto `members` and return `Ok` with `protocol::online(...)` of every name, in order.
    todo!("step 2: join the room")
}

/// The answer to `/who`: `* online: A, B, C`, in order of joining.
pub fn who(room: &Room) -> String {
    // TODO(step 2): `protocol::online` of the members' names, read under the lock.
    todo!("step 2: who is online")
}

/// Offers `line` to every member but `from`. Under the lock, and so it never waits: each member's queue
/// takes the line or, full, counts it skipped ([`offer`]). The writing is its writer thread's.
pub fn broadcast(room: &Room, from: u64, line: &str) {
    // Given: lock, and do `tell_others`'s work.
    tell_others(&mut room.lock(), from, line);
}

/// [`broadcast`]'s work, for a caller that holds the lock already ([`join`], [`leave`]).
pub fn tell_others(state: &mut RoomState, from: u64, line: &str) {
    // TODO(step 3): for every member of `state.members` whose `id` is not `from`, `offer(member, line)`.
    //   (Until then, nobody hears anybody.) Never write to a socket here, nor wait for a queue: this runs
    //   with the room's lock held, and a member that does not read would stall everyone waiting for it.
}

/// A member's writer thread: writes each queued line to the member's socket, in order, until the queue's
/// senders are gone (the member left) or a write fails. This is the only place that may block on the
/// member's socket, and it holds no lock while it does.
pub fn write_queued(queue: Receiver<String>, out: &mut impl Write) -> io::Result<()> {
    // TODO(step 3): a `Receiver` is an iterator: `for line in queue` waits for each line and ends when
    //   every sender is gone. `write_all` each one; return the first error with `?`.
    todo!("step 3: the writer thread")
}

/// Removes member `id` from the room and tells the others `* NAME left`; does nothing if it is not a member
/// (any more). Returns whether it removed it. Every way out of the room calls this (the reading thread at
/// the end of the lines, the writer thread at a failed write), so "exactly once" is "whoever removes it
/// tells the others".
pub fn leave(room: &Room, id: u64) -> bool {
    // TODO(step 4): with the room locked, find the member's index (`position`); not there: `false`.
    //   `remove` it (keep the order of the others). Then, still under the lock (so that nobody joins
    //   between "gone" and "told"), `tell_others(&mut state, id, &protocol::left(&name))`, and `true`.
    //   Not `broadcast`: it locks the room again, and a `Mutex` locked twice by one thread never returns.
    todo!("step 4: leave the room, exactly once")
}

/// Puts `line` in `member`'s queue without waiting. A full queue means the member is not reading: the line
/// is skipped and counted, and once the queue has room again, `* N messages skipped` goes in first.
pub fn offer(member: &mut Member, line: &str) {
    // TODO(step 5): this first version never waits, but a line that does not fit is lost without a word.
    //   Count it in `member.skipped` (`TrySendError::Full`). Before the next line, when `skipped > 0`, try
    //   `protocol::skipped(member.skipped)` first: if it fits, reset the count; if not, count this line too
    //   and stop there.
    let _ = member.queue.try_send(line.to_string());
}
