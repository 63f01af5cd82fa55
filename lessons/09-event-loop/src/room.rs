//! The room as one thread keeps it: every member by token, and which of them have something new to write.
//! Given code, the same in the exercise and the solution.
//!
//! Lesson 08's roster was behind a `Mutex` because many threads used it. Here only the loop's thread
//! touches the room, so it is a plain struct passed as `&mut Room`: no lock, and nothing can change it
//! between two lines of a function.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::Shutdown;

use chat::RoomConfig;
use mio::Token;
use mio::net::TcpStream;
use shared::trace::Trace;

use crate::{BUSY, Member, WELCOME};

/// The listener's token. Members get tokens from 1 up (see [`Room::new_token`]).
pub const LISTENER: Token = Token(0);

/// Every member of the room, and what the loop has to do for them.
#[derive(Debug)]
pub struct Room {
    /// Each member, found by the token its events carry.
    pub members: HashMap<Token, Member>,
    /// Members with new lines in their outbox: the loop writes to each of them before it waits again.
    pub pending: HashSet<Token>,
    /// The room's limits (lesson 08's).
    pub config: RoomConfig,
    /// Where the loop traces each socket event.
    pub trace: Trace,
    /// The last token handed out.
    last_token: usize,
    /// Names chosen so far, to order `* online`.
    names_chosen: u64,
    /// Connections welcomed.
    pub served: u64,
    /// Connections turned away with [`BUSY`].
    pub turned_away: u64,
}

impl Room {
    /// An empty room with `config`'s limits.
    pub fn new(config: RoomConfig, trace: Trace) -> Self {
        Room {
            members: HashMap::new(),
            pending: HashSet::new(),
            config,
            trace,
            last_token: LISTENER.0,
            names_chosen: 0,
            served: 0,
            turned_away: 0,
        }
    }

    // ANCHOR: new_token
    /// A token no member has had before. Tokens are never reused: the events of one `poll` are handled one
    /// after the other, so a member that leaves during the first may still have an event further down the
    /// list. Were its token given to a member accepted meanwhile, that event would be taken for the new
    /// member's. (A `u64` counter does not run out: a million connections a second for 500,000 years.)
    pub fn new_token(&mut self) -> Token {
        self.last_token += 1;
        Token(self.last_token)
    }
    // ANCHOR_END: new_token

    /// Queues the first line of a new connection and marks it to be written. Its outbox is empty, so the
    /// line needs no bound.
    pub fn welcome(&mut self, token: Token) {
        if let Some(member) = self.members.get_mut(&token) {
            member.outbox.lines.push_back(WELCOME.as_bytes().to_vec());
            self.pending.insert(token);
            self.served += 1;
        }
    }

    /// Names `token`'s member and returns its place in the order of joining.
    pub fn name_member(&mut self, token: Token, name: &str) {
        if let Some(member) = self.members.get_mut(&token) {
            self.names_chosen += 1;
            member.name = Some(name.to_owned());
            member.joined = self.names_chosen;
        }
    }

    /// Whether a member online has `name` already.
    pub fn is_taken(&self, name: &str) -> bool {
        self.members
            .values()
            .any(|member| member.name.as_deref() == Some(name))
    }

    /// The names online, in order of joining.
    pub fn names(&self) -> Vec<&str> {
        let mut named: Vec<(u64, &str)> = self
            .members
            .values()
            .filter_map(|member| Some((member.joined, member.name.as_deref()?)))
            .collect();
        named.sort_unstable();
        named.into_iter().map(|(_, name)| name).collect()
    }

    /// Tells a connection over `--max-members` it is busy, and closes it, without waiting: the loop must
    /// not block, so what does not fit in the empty send buffer (nothing, in practice) is lost.
    pub fn turn_away(&mut self, stream: TcpStream) {
        self.turned_away += 1;
        let _ = (&stream).write(BUSY.as_bytes());
        let _ = stream.shutdown(Shutdown::Write);
        // Bytes already arrived and unread would turn our close into a reset: read what is there (a
        // bounded amount: a peer that keeps sending must not keep the loop here).
        let mut sink = [0u8; 4096];
        for _ in 0..16 {
            if !matches!((&stream).read(&mut sink), Ok(n) if n > 0) {
                break;
            }
        }
        self.trace.event("turned away: busy");
    }
}
