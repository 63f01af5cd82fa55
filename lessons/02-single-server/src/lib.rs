//! # Lesson 02: a server that greets its clients, one at a time
//!
//! **Goal**: a TCP server that binds an address, listens, and accepts clients one after another, forever. It
//! speaks the greeting protocol: it sends `Welcome`, answers each line `X` with `Hello, X!`, and closes the
//! connection on `exit` or at end of stream. It is Python's `socket.bind`, `listen`, an `accept` loop and
//! `conn.makefile().readline()`, in Rust, with the limits a server on a network needs.
//!
//! **Concepts**, in the order of the exercise steps:
//! 1. [`serve`]: `TcpListener::accept` in a loop gives one connected [`TcpStream`](std::net::TcpStream)
//!    per client; the listener is bound by the caller and passed in, so a test can bind port 0 and knows
//!    the address before anyone connects. [`serve_client`] greets the client with `Welcome`.
//! 2. [`read_line`] and [`serve_client`]: TCP carries bytes, not lines. A `BufReader` and `read_until(b'\n')`
//!    find the lines, whether two arrive in one read or one arrives in many; [`hello`] is the reply.
//! 3. [`read_line`] again: a cap on the line length (`take(max + 1)`), so that a client cannot make the
//!    server hold unbounded bytes; a line that is not UTF-8 gets an error line; and [`close_politely`]:
//!    closing a socket with unread input sends a reset, which can destroy the error line just sent.
//! 4. [`serve_client`] again: a read timeout drops a client that stays silent, because while one client
//!    is connected, every other client waits.
//! 5. [`serve`] again: one client's error (a reset, a disconnect in the middle of a line) ends that
//!    client's session, never the server.
//!
//! **Left out on purpose**: serving several clients at once (lesson 03 runs [`serve_client`] on a thread
//! per client), non-blocking sockets and async, TLS, stopping the server cleanly on Ctrl-C, and a deadline
//! on a whole line (a client that sends one byte just before each idle timeout keeps its place).
//!
//! The program is `src/main.rs` (`cargo run -p single-server -- --help`); your code goes in
//! `src/exercise.rs` and is checked by `cargo run -- check 2`.

// Given: the types and limits the functions use, compiled in both builds (you do not write them).
mod config;
mod session;
pub use config::*;
pub use session::*;

// `cargo run -- check 2` builds the library from your exercise; every other build uses the solution.
#[cfg_attr(feature = "exercise", path = "exercise.rs")]
#[cfg_attr(not(feature = "exercise"), path = "solution.rs")]
mod imp;

pub use imp::*;
