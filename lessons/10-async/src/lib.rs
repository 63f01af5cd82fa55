//! # Lesson 10: async: the room with tokio tasks
//!
//! **Goal**: lesson 08 served the room with two threads per member, lesson 09 with one thread and a
//! readiness loop you wrote by hand. This lesson serves the same room (same protocol, same client, same
//! protocol tests) with a task per member: written like lesson 08's threads, one straight function per
//! member that reads and writes as if it could block, and run like lesson 09's loop, by a runtime that
//! parks each task where it would block and wakes it when its socket is ready. Lesson 09's `Poll`,
//! tokens and `WouldBlock` are all still there, inside tokio; `.await` is where your function lets go.
//!
//! **Concepts**, in the order of the exercise steps:
//! 1. [`accept_loop`]: a task per connection with `JoinSet::spawn`, and why awaiting the connection's
//!    work instead of spawning it serves one member at a time.
//! 2. [`read_line`]: a capped line from an async socket (`read_buf` into a buffer the caller keeps);
//!    `Ok(0)` ends the member.
//! 3. [`tell_others`] and [`next_for`]: one `tokio::sync::broadcast` channel for the room; a receiver
//!    that lags gets `Lagged(n)`, which becomes `* n messages skipped`, never a disconnect.
//! 4. [`member_loop`]: one task waits on its socket and on the room at once with `select!`, and which
//!    futures may be dropped half way (cancel safety).
//! 5. [`stop_members`]: a clean stop: Ctrl-C stops accepting, tells the members, and waits for their
//!    tasks, at most a deadline, then aborts the rest.
//!
//! **Left out on purpose**: `tokio-util`'s codecs and `CancellationToken` (a few lines of our own do what
//! this lesson needs, and show how); a server spread over several processes; TLS; timers for idle
//! members.
//!
//! The programs are `src/bin/chat-server-async.rs` and `src/bin/chat-client-async.rs`
//! (`cargo run -p async-chat --bin chat-server-async -- --help`); your code goes in `src/exercise.rs` and
//! is checked by `cargo run -- check 10`.

// Given: compiled in both builds (you do not write them). `room.rs` is the roster and the room's channel;
// `session.rs` one connection's task, calling your functions; `server.rs` the accept and the stop around
// your loop; `traced.rs` the `--trace` lines for async sockets; `client.rs` the async client.
mod client;
mod room;
mod server;
mod session;
mod traced;
pub use chat::protocol::{self, BUSY, WELCOME};
pub use chat::{DEFAULT_MAX_LINE, DEFAULT_MAX_MEMBERS, DEFAULT_QUEUE, RoomConfig};
pub use client::chat;
pub use room::{Place, Room, Said};
pub use server::{
    ACCEPT_RETRY_PAUSE, STOP_DEADLINE, STOPPING, Summary, accept_next, serve, turn_away,
};
pub use session::{Member, Reply, respond, serve_member, session};
pub use single_server::Line;
pub use traced::TracedStream;

// `cargo run -- check 10` builds the library from your exercise; every other build uses the solution.
#[cfg_attr(feature = "exercise", path = "exercise.rs")]
#[cfg_attr(not(feature = "exercise"), path = "solution.rs")]
mod imp;
pub use imp::*;
