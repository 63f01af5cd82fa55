//! Your code for lesson 09: the functions the event loop (`server.rs`, given) calls for each event.
//! Do the steps in order; `cargo run -- check 9` tests them, `cargo run -- hint 9` helps.
//!
//! Every socket here is non-blocking: `read`, `write` and `accept` never wait, they return
//! `Err(e)` with `e.kind() == io::ErrorKind::WouldBlock` instead. That is not a failure: it is how a
//! round ends. Nothing in these functions may wait for anything.
// Until you write them, the parameters are unused (and clippy would ask for `&mut [u8]` where your code
// will need the `Vec` to grow and shrink).
#![allow(unused_variables, unused_mut, unused_imports, clippy::ptr_arg)]

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};

use crate::{LineTooLong, Member, Outbox, READ_CHUNK, Reading, Room, protocol};

/// Step 1: accepts every client waiting on the listener, until `WouldBlock`, and [`admit`]s each.
pub fn accept_waiting(
    listener: &TcpListener,
    registry: &Registry,
    room: &mut Room,
) -> io::Result<()> {
    // TODO(step 1): loop on `listener.accept()`: each `Ok((stream, peer))` goes to `admit`; `WouldBlock`
    // means nobody else is waiting (return Ok); any other error is returned. One accept per event is not
    // enough: the event is edge-triggered, one for however many clients arrived.
    todo!("step 1: accept until WouldBlock")
}

/// Step 1: makes a new connection a member: a fresh token, registered for reading, kept in the room, and
/// welcomed. One over `room.config.max_members` is turned away.
pub fn admit(
    room: &mut Room,
    registry: &Registry,
    mut stream: TcpStream,
    peer: SocketAddr,
) -> io::Result<()> {
    // TODO(step 1): first `room.trace.event(format_args!("accept {peer}"))`, so that --trace shows it.
    // With `room.members.len()` at the cap, `room.turn_away(stream)` and return. Otherwise a token from
    // `room.new_token()`, `registry.register(&mut stream, token, Interest::READABLE)`, the member in
    // `room.members` (`Member::new`), and `room.welcome(token)`.
    todo!("step 1: register the new member with a token of its own")
}

/// Step 2: reads everything the socket has into `input`, until `WouldBlock` (`Reading::Drained`), end of
/// stream (`Reading::Closed`) or `input` holding `limit` bytes (`Reading::Full`).
pub fn read_available(
    stream: &mut impl Read,
    input: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Reading> {
    // TODO(step 2): read into a buffer of `READ_CHUNK` bytes (no more than `limit` allows) and append to
    // `input`, again and again: one read per event leaves the rest waiting with no new event to say so.
    todo!("step 2: read until WouldBlock")
}

/// Step 2: cuts the first complete line out of `input`, without its `\n` or `\r\n`; `Ok(None)` while the
/// line has not ended. Over `max_line` bytes, ended or not: `Err(LineTooLong)`.
pub fn next_line(input: &mut Vec<u8>, max_line: usize) -> Result<Option<Vec<u8>>, LineTooLong> {
    // TODO(step 2): find the first `\n`; take the bytes up to it out of `input` (`drain`), leaving the rest
    // for the next call. A line may have arrived in many reads, and one read may hold many lines.
    todo!("step 2: cut one line out of the input")
}

/// Step 3: writes the outbox's lines until they are all written or the socket says `WouldBlock`; what did
/// not fit stays, `outbox.written` bytes into its first line.
pub fn write_pending(stream: &mut impl Write, outbox: &mut Outbox) -> io::Result<()> {
    // TODO(step 3): `write` from `outbox.written` into the first line; a write may take part of it. Not
    // `write_all`: it fails part way with WouldBlock and does not say how much it wrote.
    todo!("step 3: write until WouldBlock, keeping what did not fit")
}

/// Step 3: what to ask `Poll` for: `READABLE` always, `WRITABLE` only while something waits.
pub fn interest_for(outbox: &Outbox) -> Interest {
    // TODO(step 3): `Interest::READABLE | Interest::WRITABLE` is how two interests combine.
    todo!("step 3: ask for WRITABLE only while lines wait")
}

/// Step 4: queues `line`, at most `queue` lines: when full, skip and count (`outbox.skipped`); once there
/// is room again, `protocol::skipped(n)` goes first.
pub fn offer(outbox: &mut Outbox, line: &str, queue: usize) {
    // TODO(step 4): lesson 08's `offer`, with a `VecDeque` for the queue.
    todo!("step 4: a bounded outbox: skip and count")
}

/// Step 4: offers `line` to every named member but `from`, and marks each in `room.pending` so the loop
/// writes to it before it waits again.
pub fn broadcast(room: &mut Room, from: Token, line: &str) {
    // TODO(step 4): iterate `&mut room.members`; nothing is written here.
    todo!("step 4: offer the line to every other named member")
}

/// Step 5: whether the member can be closed: done talking (`closing`) and everything for it written.
pub fn is_finished(member: &Member) -> bool {
    // TODO(step 5): one line.
    todo!("step 5: close only once the outbox is flushed")
}

/// Step 5: removes the member, stops watching its socket (`registry.deregister`) and closes it, and tells
/// the others `* NAME left`, once, whatever calls it twice.
pub fn leave(room: &mut Room, registry: &Registry, token: Token) {
    // TODO(step 5): `room.members.remove(&token)` returns the member only the first time. Then take it out
    // of `room.pending`, `registry.deregister(&mut member.stream)`, say
    // `room.trace.event(format_args!("close {}", member.peer))`, and, if it had a name, broadcast
    // `protocol::left(&name)`. The socket closes when `member` is dropped.
    todo!("step 5: leave exactly once")
}
