//! The clients being served, shared by the accept loop and every client's thread: the roster behind one
//! lock, and the seat a client's thread holds. Given code, the same in the exercise and the solution; the
//! methods marked "yours" call the functions you write in `exercise.rs` (steps 2 to 4).
// Until your functions in exercise.rs use them, some of these are unused in the exercise build.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::collections::HashMap;
use std::io;
use std::net::TcpStream;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use shared::trace::Trace;

// ANCHOR: roster
/// The clients being served: what the accept loop and every client's thread share.
///
/// One mutex guards it all. Admitting a client reads and changes several things at once (is there room?
/// count it served, put it on the list), and `who` reads two numbers that must agree: with two separate
/// atomic counters, `who` could see a client counted as served but not yet online. The stop needs the list
/// of connections anyway, and a list needs a lock. A `Condvar` lets the stopping server sleep until the last
/// client has left, instead of checking again and again.
#[derive(Debug, Default)]
pub struct Clients {
    pub(crate) roster: Mutex<Roster>,
    /// Notified each time a client leaves.
    pub(crate) left: Condvar,
}

#[derive(Debug, Default)]
pub(crate) struct Roster {
    /// One copy of each connected client's socket (`try_clone`), kept so that the stop can close them.
    pub(crate) online: HashMap<u64, TcpStream>,
    /// Clients admitted since the server started, including those online now.
    pub(crate) served: u64,
}
// ANCHOR_END: roster

impl Clients {
    /// How many clients are being served right now.
    pub fn online(&self) -> usize {
        self.lock().online.len()
    }

    /// How many clients have been admitted since the server started.
    pub fn served(&self) -> u64 {
        self.lock().served
    }

    /// Both numbers, read under one lock, so that they agree with each other: `(online, served)`. Yours:
    /// [`counts`](crate::counts), step 3.
    pub fn counts(&self) -> (usize, u64) {
        crate::counts(self)
    }

    // ANCHOR: lock
    /// The roster, locked.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Roster> {
        // A thread that panics while it holds the lock "poisons" the mutex, and `lock()` returns an error
        // from then on. Every change to the roster is one insert or one remove, so it is never left half
        // done: take the data anyway, rather than make every later client's thread panic too.
        self.roster.lock().unwrap_or_else(PoisonError::into_inner)
    }
    // ANCHOR_END: lock

    /// Gives `stream`'s client a place if there are fewer than `max` online. Yours:
    /// [`admit`](crate::admit), step 2.
    pub(crate) fn admit(self: &Arc<Self>, stream: &TcpStream, max: usize) -> Admission {
        crate::admit(self, stream, max)
    }

    /// Waits until no client is online, for at most `timeout`; whether they all left. Yours:
    /// [`wait_until_empty`](crate::wait_until_empty), step 4.
    pub(crate) fn wait_until_empty(&self, timeout: Duration) -> bool {
        crate::wait_until_empty(self, timeout)
    }

    /// Shuts down every connection still online; how many there were. Yours:
    /// [`shut_down_all`](crate::shut_down_all), step 4.
    pub(crate) fn shut_down_all(&self, trace: &Trace) -> usize {
        crate::shut_down_all(self, trace)
    }
}

/// What [`Clients::admit`] decided.
pub(crate) enum Admission {
    /// The client has a place, held by the seat.
    Admitted(Seat),
    /// `max_clients` are online already.
    Full,
    /// The client's socket could not be copied for the roster (no file descriptor left, say).
    Failed(io::Error),
}

// ANCHOR: seat
/// A client's place on the roster, held by its thread. Dropping it (when the thread ends, normally or by a
/// panic, since unwinding drops what the thread owns) gives the place back: yours,
/// [`give_back`](crate::give_back), step 2.
#[derive(Debug)]
pub(crate) struct Seat {
    pub(crate) clients: Arc<Clients>,
    pub(crate) id: u64,
}

impl Drop for Seat {
    fn drop(&mut self) {
        crate::give_back(&self.clients, self.id);
    }
}
// ANCHOR_END: seat
