//! The reference solution of lesson 09: the functions the event loop (`server.rs`) calls for each event.
//! Nothing here may wait: every socket is non-blocking, and `WouldBlock` is the normal end of a round.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};

use crate::{LineTooLong, Member, Outbox, READ_CHUNK, Reading, Room, protocol};

// ANCHOR: accept_waiting
/// Step 1: accepts every client waiting on the listener, until `WouldBlock`.
///
/// The listener's event is edge-triggered: it says "clients arrived" once, however many did. Accept one
/// per event and the others wait in the backlog until someone else connects.
pub fn accept_waiting(
    listener: &TcpListener,
    registry: &Registry,
    room: &mut Room,
) -> io::Result<()> {
    loop {
        match listener.accept() {
            Ok((stream, peer)) => admit(room, registry, stream, peer)?,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
}
// ANCHOR_END: accept_waiting

// ANCHOR: admit
/// Step 1: makes a new connection a member: a fresh token, registered for reading, kept in the room, and
/// welcomed. One over `max_members` is turned away.
pub fn admit(
    room: &mut Room,
    registry: &Registry,
    mut stream: TcpStream,
    peer: SocketAddr,
) -> io::Result<()> {
    room.trace.event(format_args!("accept {peer}"));
    if room.members.len() >= room.config.max_members {
        room.turn_away(stream);
        return Ok(());
    }
    let token = room.new_token();
    registry.register(&mut stream, token, Interest::READABLE)?;
    room.members
        .insert(token, Member::new(stream, peer, Interest::READABLE));
    room.welcome(token);
    Ok(())
}
// ANCHOR_END: admit

// ANCHOR: read_available
/// Step 2: reads everything the socket has into `input`, until `WouldBlock` (`Drained`), end of stream
/// (`Closed`), or `input` holding `limit` bytes (`Full`: cut lines out of it and call again).
///
/// Edge-triggered again: the readable event came once for all these bytes. Read once per event and the
/// rest waits, with no new event to say so, until the peer sends more.
pub fn read_available(
    stream: &mut impl Read,
    input: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Reading> {
    let mut chunk = [0u8; READ_CHUNK];
    while input.len() < limit {
        let space = (limit - input.len()).min(chunk.len());
        match stream.read(&mut chunk[..space]) {
            Ok(0) => return Ok(Reading::Closed),
            Ok(n) => input.extend_from_slice(&chunk[..n]),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(Reading::Drained),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(Reading::Full)
}
// ANCHOR_END: read_available

// ANCHOR: next_line
/// Step 2: cuts the first complete line out of `input`, without its `\n` or `\r\n`; `None` while the line
/// has not ended yet. A line over `max_line` bytes is an error, ended or not: its start is enough to know.
pub fn next_line(input: &mut Vec<u8>, max_line: usize) -> Result<Option<Vec<u8>>, LineTooLong> {
    let Some(end) = input.iter().position(|&byte| byte == b'\n') else {
        // `max_line` bytes and a `\r` may still be a line whose `\n` is on its way.
        return if input.len() > max_line + 1 {
            Err(LineTooLong)
        } else {
            Ok(None)
        };
    };
    let mut line: Vec<u8> = input.drain(..=end).collect();
    line.pop(); // the `\n`
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if line.len() > max_line {
        return Err(LineTooLong);
    }
    Ok(Some(line))
}
// ANCHOR_END: next_line

// ANCHOR: write_pending
/// Step 3: writes the outbox's lines until they are all written or the socket says `WouldBlock`; what did
/// not fit stays, and `outbox.written` says how far into the first line the writes got.
///
/// Not `write_all`: on a non-blocking socket it fails with `WouldBlock` part way and does not say how much
/// it wrote, so the rest of the line can be neither resent nor skipped.
pub fn write_pending(stream: &mut impl Write, outbox: &mut Outbox) -> io::Result<()> {
    while let Some(line) = outbox.lines.front() {
        match stream.write(&line[outbox.written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                outbox.written += n;
                if outbox.written == line.len() {
                    outbox.lines.pop_front();
                    outbox.written = 0;
                }
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
// ANCHOR_END: write_pending

// ANCHOR: interest_for
/// Step 3: what to ask `Poll` for: always `READABLE`, and `WRITABLE` only while lines wait. A socket with
/// room in its send buffer is writable nearly all the time; asked for when there is nothing to write, it
/// only wakes the loop for nothing (and in a level-triggered loop, such as Python's `selectors`, it wakes
/// it without end).
pub fn interest_for(outbox: &Outbox) -> Interest {
    if outbox.is_empty() {
        Interest::READABLE
    } else {
        Interest::READABLE | Interest::WRITABLE
    }
}
// ANCHOR_END: interest_for

// ANCHOR: offer
/// Step 4: queues `line` in the outbox, at most `queue` lines: when it is full the line is skipped and
/// counted, and once there is room again the member first gets `* N messages skipped`.
pub fn offer(outbox: &mut Outbox, line: &str, queue: usize) {
    if outbox.skipped > 0 && outbox.lines.len() < queue {
        let notice = protocol::skipped(outbox.skipped);
        outbox.lines.push_back(notice.into_bytes());
        outbox.skipped = 0;
    }
    if outbox.lines.len() < queue {
        outbox.lines.push_back(line.as_bytes().to_vec());
    } else {
        outbox.skipped += 1;
    }
}
// ANCHOR_END: offer

// ANCHOR: broadcast
/// Step 4: offers `line` to every named member but `from`, and marks each to be written before the loop
/// waits again. Nothing is written here: a member whose socket is full must not hold up the others.
pub fn broadcast(room: &mut Room, from: Token, line: &str) {
    let queue = room.config.queue;
    for (&token, member) in &mut room.members {
        if token != from && member.name.is_some() {
            offer(&mut member.outbox, line, queue);
            room.pending.insert(token);
        }
    }
}
// ANCHOR_END: broadcast

// ANCHOR: is_finished
/// Step 5: whether the member can be closed: it is done talking and everything for it is written. (One
/// whose connection failed is closed at once, by [`leave`], whatever waits.)
pub fn is_finished(member: &Member) -> bool {
    member.closing && member.outbox.is_empty()
}
// ANCHOR_END: is_finished

// ANCHOR: leave
/// Step 5: removes the member, stops watching its socket and closes it, and tells the others it left. It
/// is removed from the map first, so a second call for the same token (a failed write after a failed read,
/// say) finds nothing and announces nothing: `* NAME left` goes out once.
pub fn leave(room: &mut Room, registry: &Registry, token: Token) {
    let Some(mut member) = room.members.remove(&token) else {
        return;
    };
    room.pending.remove(&token);
    let _ = registry.deregister(&mut member.stream);
    room.trace.event(format_args!("close {}", member.peer));
    if let Some(name) = member.name {
        broadcast(room, token, &protocol::left(&name));
    }
}
// ANCHOR_END: leave
