//! # Lesson 08: a chat, both ways at once: a room served by threads
//!
//! **Goal**: the tutorials' chat alternates: its client blocks in `input()` and cannot show what arrives
//! meanwhile, and its server blocks in `recv` and cannot speak first. This lesson does both ways at once
//! with what lesson 03 taught, threads: a client with one thread for what you type and one for what
//! arrives, and a room (the room protocol of chapter 08, usable with `nc`) where each member has a reading
//! thread, a bounded queue and a writer thread, so that a member that never reads cannot slow the others.
//! Lessons 09 and 10 serve the same room with an event loop and with async, and reuse this crate's
//! [`protocol`], [`RoomConfig`] and client.
//!
//! **Concepts**, in the order of the exercise steps:
//! 1. [`chat`]: the client, both ways at once: a thread copies input to the socket, the main thread copies
//!    the socket to the output; `shutdown(Write)` at the end of input; the program exits when the server
//!    closes, even though the input thread is blocked reading (nothing can wake it, and nothing needs to).
//! 2. [`join`] and [`who`]: the roster, a `Vec` of members behind a `Mutex`; the name rule; a taken name
//!    checked and taken under one lock.
//! 3. [`broadcast`] and [`write_queued`]: each line to every other member through its bounded queue
//!    (`mpsc::sync_channel`), drained by its own writer thread: no thread writes to a socket while holding
//!    the roster's lock.
//! 4. [`leave`]: `/quit`, end of stream, a reset or a failed write removes the member exactly once, and
//!    the others hear `* NAME left` once, whatever order those happen in.
//! 5. [`offer`]: the slow member: its full queue skips and counts lines, then says `* N messages skipped`;
//!    the others are never delayed.
//!
//! **Left out on purpose**: history for late joiners, private messages, rooms, authentication (a name is
//! whoever asks first); a thread pool; one thread for many sockets (lesson 09) and async (lesson 10).
//!
//! The programs are `src/bin/chat-server.rs` and `src/bin/chat-client.rs`
//! (`cargo run -p chat --bin chat-server -- --help`); your code goes in `src/exercise.rs` and is checked by
//! `cargo run -- check 8`.

// Given: compiled in both builds (you do not write them). `protocol.rs` is the room's lines and name rule;
// `room.rs` the roster; `session.rs` one connection's life, calling your functions; `server.rs` the accept
// loop (lesson 03's, with its `Stop`).
mod config;
pub mod protocol;
mod room;
mod server;
mod session;
pub use config::*;
pub use protocol::{BUSY, WELCOME};
pub use room::{Member, Place, Room, RoomState};
pub use server::serve;
pub use session::serve_connection;
pub use threaded_server::Stop;

// `cargo run -- check 8` builds the library from your exercise; every other build uses the solution.
#[cfg_attr(feature = "exercise", path = "exercise.rs")]
#[cfg_attr(not(feature = "exercise"), path = "solution.rs")]
mod imp;
pub use imp::*;
