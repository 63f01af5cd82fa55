//! # Lesson 06: SO_REUSEADDR, TIME_WAIT and "Address already in use"
//!
//! **Goal**: reproduce the error every Python server author meets when restarting a server,
//! `OSError: [Errno 98] Address already in use`, see exactly which socket causes it, and see what
//! `SO_REUSEADDR` changes. In Rust you never meet it by accident: `std::net::TcpListener::bind` turns
//! `SO_REUSEADDR` on for you on Unix. So this lesson makes its listeners the long way, with `socket2`,
//! where each system call (socket, setsockopt, bind, listen) is a call of its own.
//!
//! **Concepts**, in the order of the exercise steps:
//! 1. [`listen`]: a listener made call by call, with `SO_REUSEADDR` and `SO_REUSEPORT` on or off
//!    ([`Reuse`]), and [`reuse_address_is_on`] to read the option back.
//! 2. [`parse_tcp_table`]: the kernel's own list of TCP sockets (`/proc/net/tcp` on Linux), with each
//!    connection's state: `LISTEN`, `ESTABLISHED`, `TIME_WAIT`...
//! 3. [`close_connection`]: the side that closes first is the one left in `TIME_WAIT`, for 60 seconds on
//!    Linux, and that socket still holds its address and port.
//! 4. [`who_holds`]: when `bind` says "Address already in use", the table says why: a live listener,
//!    connections in `TIME_WAIT`, or connections still open.
//!
//! **Left out on purpose**: the TCP state machine beyond closing (see RFC 9293), `SO_LINGER` as a way of
//! life (the chapter shows why resetting connections is a bad fix), load balancing across processes with
//! `SO_REUSEPORT` beyond showing that it exists, and Windows' different rules (`SO_EXCLUSIVEADDRUSE`).
//!
//! The program is `src/main.rs` (`cargo run -q -p reuseaddr -- demo`); your code goes in
//! `src/exercise.rs` and is checked by `cargo run -- check 6`.

// Given: compiled in both builds, written once. The options a listener is made with, and the backlog:
mod reuse;
pub use reuse::*;
// The kernel's TCP table as types, and reading it (with step 2's parser):
mod tcp_table;
pub use tcp_table::*;
// A connection's two ends, made in one call, and what closing one first leaves:
mod connection;
pub use connection::*;

// `cargo run -- check 6` builds the library from your exercise; every other build uses the solution.
#[cfg_attr(feature = "exercise", path = "exercise.rs")]
#[cfg_attr(not(feature = "exercise"), path = "solution.rs")]
mod imp;
pub use imp::*;
