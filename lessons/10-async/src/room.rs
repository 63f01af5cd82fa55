//! The room every member's task shares: the roster behind a `std::sync::Mutex`, and one `broadcast`
//! channel that carries every line said in the room. Given code, the same in the exercise and the solution;
//! it calls your [`tell_others`](crate::tell_others) to say who joined and who left.
//!
//! # Why a `std::sync::Mutex`, and the one rule for it
//!
//! The roster is locked for a few instructions at a time (is the name taken? push it), and never while
//! waiting for anything, so the plain mutex of lessons 03 and 08 is the right one: tokio's own `Mutex` is
//! for a lock that must be held across an `.await`, which this room never needs. The rule is enforced by
//! the compiler, not by care: a `std::sync::MutexGuard` cannot move to another thread (`!Send`), and a task
//! may move between threads at any `.await`, so a task that holds a guard across an `.await` is not `Send`
//! and `tokio::spawn` refuses it:
//!
//! ```compile_fail,E0277
//! use std::sync::{Arc, Mutex};
//!
//! # async fn demo() {
//! let names = Arc::new(Mutex::new(Vec::<String>::new()));
//! tokio::spawn(async move {
//!     let mut guard = names.lock().unwrap();
//!     guard.push("alice".to_string());
//!     // While this task waits here, another task on this thread may lock `names` and wait for ever
//!     // for this one; and when it wakes, it may be on another thread, with a guard that must be
//!     // unlocked by the thread that locked it. Error E0277: the future is not `Send`.
//!     tokio::task::yield_now().await;
//!     guard.push("bob".to_string());
//! });
//! # }
//! ```
//!
//! The same task with the guard dropped before the `.await` (here by a block) compiles:
//!
//! ```
//! use std::sync::{Arc, Mutex};
//!
//! # async fn demo() {
//! let names = Arc::new(Mutex::new(Vec::<String>::new()));
//! tokio::spawn(async move {
//!     {
//!         let mut guard = names.lock().unwrap();
//!         guard.push("alice".to_string());
//!     } // unlocked here, before the task may wait
//!     tokio::task::yield_now().await;
//!     names.lock().unwrap().push("bob".to_string());
//! });
//! # }
//! ```

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chat::RoomConfig;
use chat::protocol::{self, invalid_name, is_valid_name, joined, left, name_taken};
use tokio::sync::broadcast;

use crate::tell_others;

// ANCHOR: said
/// One line said in the room, as the channel carries it: who said it (so that it does not go back to
/// them) and the line, shared: every member's receiver gets a clone of the `Arc`, not of the text.
#[derive(Debug, Clone)]
pub struct Said {
    pub from: u64,
    pub line: Arc<str>,
}
// ANCHOR_END: said

// ANCHOR: room
/// Everything the members' tasks share.
#[derive(Debug)]
pub struct Room {
    pub config: RoomConfig,
    roster: Mutex<Roster>,
    /// Every line said in the room goes into this one channel, and every member has a receiver of it. It
    /// keeps the last `config.queue` lines (rounded up to a power of two), once, for all the members: a
    /// member that falls further behind than that misses the oldest and is told how many (step 3).
    pub said: broadcast::Sender<Said>,
}

#[derive(Debug, Default)]
struct Roster {
    /// The members, by connection id, in order of joining (what `* online: ...` lists).
    members: Vec<(u64, String)>,
    /// Connections open now, named or not: `--max-members` bounds these.
    connections: usize,
    /// Connections accepted since the server started; also the source of their ids.
    served: u64,
    turned_away: u64,
}
// ANCHOR_END: room

impl Room {
    /// An empty room with these limits.
    pub fn new(config: RoomConfig) -> Room {
        let (said, _) = broadcast::channel(config.queue.max(1));
        Room {
            config,
            roster: Mutex::default(),
            said,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Roster> {
        // Every change under this lock is one push or one remove, never left half done: a task that
        // panicked while holding it left good data, so take it rather than panic in every other task.
        self.roster.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for one more connection, if fewer than `max_members` are open: `None` means the room is
    /// full (and counts it). The place is given back when the returned [`Place`] drops, however the
    /// connection's task ends (even aborted).
    pub fn connect(self: &Arc<Self>) -> Option<Place> {
        let mut roster = self.lock();
        if roster.connections >= self.config.max_members {
            roster.turned_away += 1;
            return None;
        }
        roster.connections += 1;
        roster.served += 1;
        Some(Place {
            room: Arc::clone(self),
            id: roster.served,
        })
    }

    // ANCHOR: join
    /// Makes `name` a member: the `* online: ...` line it gets first and its receiver of the room's lines,
    /// or the error line that says why the name was refused (invalid, or taken).
    ///
    /// The receiver is made under the same lock as the push and the `* NAME joined` line: whoever joins
    /// next either is in the roster already (and hears it) or is not yet (and sees NAME in its `* online`
    /// line), never both, never neither. A receiver gets only what is sent after it was made.
    pub fn join(&self, id: u64, name: &str) -> Result<(String, broadcast::Receiver<Said>), String> {
        if !is_valid_name(name) {
            return Err(invalid_name(name));
        }
        let mut roster = self.lock();
        if roster.members.iter().any(|(_, taken)| taken == name) {
            return Err(name_taken(name));
        }
        let receiver = self.said.subscribe();
        tell_others(&self.said, id, &joined(name));
        roster.members.push((id, name.to_string()));
        let online = protocol::online(roster.members.iter().map(|(_, name)| name.as_str()));
        Ok((online, receiver))
    }
    // ANCHOR_END: join

    /// Removes member `id` and tells the others `* NAME left`, under one lock; does nothing if it is not
    /// a member (any more). Returns whether it removed it.
    pub fn leave(&self, id: u64) -> bool {
        let mut roster = self.lock();
        let Some(index) = roster.members.iter().position(|(member, _)| *member == id) else {
            return false;
        };
        let (_, name) = roster.members.remove(index);
        tell_others(&self.said, id, &left(&name));
        true
    }

    /// The answer to `/who`: `* online: A, B, C`, in order of joining.
    pub fn who(&self) -> String {
        protocol::online(self.lock().members.iter().map(|(_, name)| name.as_str()))
    }

    /// The names online, in order of joining.
    pub fn names(&self) -> Vec<String> {
        self.lock()
            .members
            .iter()
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// Connections accepted since the server started, and connections turned away.
    pub fn served_and_turned_away(&self) -> (u64, u64) {
        let roster = self.lock();
        (roster.served, roster.turned_away)
    }
}

/// A connection's place in the room, held by its task. Dropping it, however the task ends (returned,
/// failed, or aborted at the stop's deadline), makes sure the member has left and frees the place.
#[derive(Debug)]
pub struct Place {
    room: Arc<Room>,
    /// The connection's id, which becomes the member's id once it has a name.
    pub id: u64,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.room.leave(self.id);
        self.room.lock().connections -= 1;
    }
}
