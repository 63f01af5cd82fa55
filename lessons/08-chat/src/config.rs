//! What the room allows its members: given code, the same in the exercise and the solution, public so that
//! lessons 09 and 10 serve the same room with the same limits.

// ANCHOR: config
/// How many connections the room serves at once unless told otherwise: 256. Each one costs two threads
/// here (a reader and a writer, 2 MiB of stack address space each, a few pages touched) and a file
/// descriptor; lesson 09 serves ten thousand on one thread.
pub const DEFAULT_MAX_MEMBERS: usize = 256;

/// The longest line accepted, in bytes before its `\n`: 1 KiB, plenty for a chat line.
pub const DEFAULT_MAX_LINE: usize = 1024;

/// How many lines may wait for one member: 64. A member that reads keeps its queue near empty; 64 lines
/// absorb a burst while its socket buffers are full. What the room holds for a member that never reads is
/// at most `queue` times `max_line` (64 KiB at the defaults), whatever the others send.
pub const DEFAULT_QUEUE: usize = 64;

/// What the room allows its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomConfig {
    /// The most connections served at once (named or still choosing a name). One more gets
    /// [`BUSY`](crate::BUSY) and is closed.
    pub max_members: usize,
    /// The cap on a line, in bytes before its `\n`. A longer line gets an error line and the connection is
    /// closed.
    pub max_line: usize,
    /// Each member's bound: the lines that may wait for its writer thread. When it is full, newer lines for
    /// that member are skipped and counted.
    pub queue: usize,
}

impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig {
            max_members: DEFAULT_MAX_MEMBERS,
            max_line: DEFAULT_MAX_LINE,
            queue: DEFAULT_QUEUE,
        }
    }
}
// ANCHOR_END: config

/// What a server did, returned by [`serve`](crate::serve) once it has stopped and every thread has ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Connections welcomed (whether or not they ever chose a name).
    pub served: u64,
    /// Connections that got [`BUSY`](crate::BUSY).
    pub turned_away: u64,
    /// Connections still open at the stop, which the server shut down.
    pub closed_at_stop: usize,
}
