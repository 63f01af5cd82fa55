//! One member of the room as the event loop keeps it: its socket, the bytes read but not yet cut into
//! lines, and the lines waiting to be written. Given code, the same in the exercise and the solution.
//!
//! In lesson 08 a member was two threads, and what they were doing was kept on their stacks: "blocked in
//! `read`", "blocked in `write`, 300 bytes into this line". One thread serving everyone cannot block, so
//! that state moves into this struct: [`Member::input`] is where a half-read line waits for the rest of
//! it, [`Outbox::written`] is how far into its first line the last write got.

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;

use mio::Interest;
use mio::net::TcpStream;

/// One connection of the room, named or still choosing a name.
#[derive(Debug)]
pub struct Member {
    /// The connection: non-blocking, so `read` and `write` return `WouldBlock` instead of waiting.
    pub stream: TcpStream,
    /// Who is at the other end, for the trace.
    pub peer: SocketAddr,
    /// The name once chosen; `None` while the first line is awaited.
    pub name: Option<String>,
    /// When the name was chosen, as a count of names chosen before it: `* online` lists members in order
    /// of joining, and a `HashMap` has no order of its own.
    pub joined: u64,
    /// Bytes read and not yet cut into lines: the start of a line whose end has not arrived yet, or lines
    /// not handled yet. Never longer than a line's cap plus one read (see `server.rs`).
    pub input: Vec<u8>,
    /// What waits to be written to this member.
    pub outbox: Outbox,
    /// What the loop asked `Poll` to report for this socket, to re-register only when it changes.
    pub interest: Interest,
    /// Set when the member is done talking (`/quit`, end of stream, a line over the cap): the server reads
    /// nothing more from it, and closes it once [`Member::outbox`] is flushed.
    pub closing: bool,
}

impl Member {
    /// A member just accepted, registered with `interest`, with nothing read or queued yet.
    pub fn new(stream: TcpStream, peer: SocketAddr, interest: Interest) -> Self {
        // Lines are small and go out one at a time: without this, Nagle's algorithm holds a line back
        // while the one before is unacknowledged, and the peer delays its ACK (lesson 07): 40 ms a line.
        let _ = stream.set_nodelay(true);
        Member {
            stream,
            peer,
            name: None,
            joined: 0,
            input: Vec::new(),
            outbox: Outbox::default(),
            interest,
            closing: false,
        }
    }
}

/// The lines waiting to be written to one member: lesson 08's bounded queue, as plain data.
///
/// At most `queue` lines (the room's `--queue`) wait here; lines offered while it is full are skipped and
/// counted instead, so a member that never reads costs the room at most `queue` lines of memory.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Whole lines, `\n` included, oldest first.
    pub lines: VecDeque<Vec<u8>>,
    /// How many bytes of the first line are already written: a write may take part of a line.
    pub written: usize,
    /// Lines skipped because the outbox was full, not yet reported to the member.
    pub skipped: u64,
}

impl Outbox {
    /// Whether nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// How a round of reading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// `read` said `WouldBlock`: everything the kernel had is read. The next readable event says when
    /// there is more.
    Drained,
    /// `read` returned `Ok(0)`: the peer closed its sending side (end of stream). No more will come.
    Closed,
    /// The input buffer reached its limit before the socket was drained: cut the lines out of it, then read
    /// again. More is waiting, and no new event will say so.
    Full,
}

/// A line longer than the cap: its start filled the input buffer and no `\n` came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong;

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("line too long")
    }
}

impl std::error::Error for LineTooLong {}
