//! The room: who is connected, who is a member, and each member's queue, behind one lock. Given code, the
//! same in the exercise and the solution; the functions you write (`join`, `who`, `broadcast`, `leave`,
//! `offer`) work on it.
// Until your functions in exercise.rs use them, some of these are unused in the exercise build.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use shared::trace::Traced;

// ANCHOR: room
/// Everything the connections' threads share.
///
/// One mutex guards it all: joining reads and changes the roster at once (is the name taken? add the
/// member), and a broadcast must see one roster, not one that changes halfway through. The rule that makes
/// one lock enough: nothing that can wait (a socket write, a blocking `send` on a full queue) is ever done
/// while holding it. Under the lock, a broadcast only *offers* a line to each queue, which never waits.
#[derive(Debug, Default)]
pub struct Room {
    pub(crate) state: Mutex<RoomState>,
}

#[derive(Debug, Default)]
pub struct RoomState {
    /// The members, in order of joining (what `* online: ...` lists).
    pub members: Vec<Member>,
    /// Every open connection's socket, named or not, shared with its threads (one descriptor, three
    /// holders), kept so that the stop can shut them down.
    pub(crate) connections: HashMap<u64, Arc<Traced<TcpStream>>>,
    /// Connections accepted since the server started; also the source of their ids.
    pub(crate) served: u64,
}

/// One member of the room.
#[derive(Debug)]
pub struct Member {
    /// Its connection's id: unique for the server's lifetime (a name can come back after a member leaves).
    pub id: u64,
    pub name: String,
    /// The sending end of its bounded queue; its writer thread holds the receiving end. Dropping the
    /// member drops this, and the writer thread ends once it has written what was queued.
    pub queue: SyncSender<String>,
    /// Lines skipped since the queue was last full (step 5), announced with `* N messages skipped`.
    pub skipped: u64,
}
// ANCHOR_END: room

impl Room {
    /// The room's state, locked.
    pub fn lock(&self) -> MutexGuard<'_, RoomState> {
        // A thread that panicked while holding the lock poisons it. Every change here is one push or one
        // remove, never left half done, so the data is still good: take it, rather than make every other
        // connection's thread panic too.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `stream`'s connection if fewer than `max` are open: `None` means the room is full. The
    /// place is given back when the returned [`Place`] drops.
    pub fn connect(self: &Arc<Self>, stream: &Arc<Traced<TcpStream>>, max: usize) -> Option<Place> {
        let mut state = self.lock();
        if state.connections.len() >= max {
            return None;
        }
        state.served += 1;
        let id = state.served;
        state.connections.insert(id, Arc::clone(stream));
        Some(Place {
            room: Arc::clone(self),
            id,
        })
    }

    /// The names online, in order of joining.
    pub fn names(&self) -> Vec<String> {
        self.lock().members.iter().map(|m| m.name.clone()).collect()
    }

    /// How many connections have been accepted since the server started.
    pub fn served(&self) -> u64 {
        self.lock().served
    }

    /// Shuts down every connection still open, both ways, and says how many there were: their threads'
    /// reads return end of stream and their writes fail, so each leaves the room the usual way.
    pub fn shut_down_all(&self) -> usize {
        let state = self.lock();
        for stream in state.connections.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        state.connections.len()
    }
}

/// A connection's place in the room, held by its thread; dropping it (however the thread ends) frees it.
#[derive(Debug)]
pub struct Place {
    pub(crate) room: Arc<Room>,
    /// The connection's id, which becomes the member's id once it has a name.
    pub id: u64,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.room.lock().connections.remove(&self.id);
    }
}
