//! # Lesson 01: a basic TCP client
//!
//! **Goal**: a client that connects to a server by host and port, optionally sends a request, and prints
//! everything the server sends until the server closes the connection. It is Python's
//! `socket.create_connection((host, port))`, `sendall`, `shutdown(SHUT_WR)` and a `recv` loop, in Rust.
//!
//! **Concepts**, in the order of the exercise steps:
//! 1. [`connect`]: a host name resolves to several addresses (IPv4 and IPv6); try each in turn, with a
//!    timeout, and keep the first that accepts. "Connection refused" means the machine answered: nothing
//!    listens on that port.
//! 2. [`receive_text`]: `read` returns what has arrived so far, not a message; `Ok(0)` is end of stream,
//!    the server closed. Loop until then.
//! 3. [`receive_text`] again: a UTF-8 character can arrive split across two reads; decoding each read on
//!    its own corrupts it.
//! 4. [`send_request`]: `write_all` (a single `write` may write less than asked), then `shutdown(Write)` so
//!    the server reads end of stream and knows the request is complete, while we can still read the answer.
//!
//! **Left out on purpose**: servers (lesson 02), timeouts on writes, non-blocking sockets, TLS.
//!
//! The program is `src/main.rs` (`cargo run -p basic-client -- --help`); your code goes in
//! `src/exercise.rs` and is checked by `cargo run -- check 1`.

// `cargo run -- check 1` builds the library from your exercise; every other build uses the solution.
#[cfg_attr(feature = "exercise", path = "exercise.rs")]
#[cfg_attr(not(feature = "exercise"), path = "solution.rs")]
mod imp;

pub use imp::*;
