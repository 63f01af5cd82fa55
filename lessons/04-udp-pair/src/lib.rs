//! # Lesson 04: a UDP pair: datagrams, no connection, loss and retries
//!
//! **Goal**: a UDP server that answers each datagram `X` with `Hello, X!`, sent back to whoever sent it,
//! and a client that sends each message as one datagram, waits for the reply with a timeout, and sends
//! again a bounded number of times. It is Python's `socket(AF_INET, SOCK_DGRAM)`, `recvfrom(1024)` and
//! `sendto`, with what the tutorials leave out: what happens when a datagram is lost, too big, late or
//! from a stranger.
//!
//! **Concepts**, in the order of the exercise steps:
//! 1. [`serve`]: no `listen`, no `accept`, no connection: one socket serves every client, `recv_from`
//!    returns one whole datagram and who sent it, and `send_to` replies to that address. [`answer`] makes
//!    the reply.
//! 2. [`serve`] and [`answer`] again: a datagram is cut to the buffer's size without an error, so the
//!    buffer has one byte more than the largest request accepted; an empty or non-UTF-8 datagram gets an
//!    error reply; a tag (`#7 `) is copied into the reply.
//! 3. [`request`]: UDP does not resend what is lost. The client waits with a timeout and sends again, a
//!    bounded number of times, then gives up and says so.
//! 4. [`request`] and [`client_socket`] again: a reply is matched to its request by its tag (a late reply
//!    or a duplicate is ignored), and a *connected* UDP socket hears "nothing listens here" as
//!    `ConnectionRefused` instead of waiting in silence.
//!
//! **Left out on purpose**: reliability beyond retries (ordering, acknowledgements, congestion control:
//! what TCP and QUIC add), broadcast and multicast, and datagrams bigger than one IP packet (fragmentation).
//!
//! The programs are `src/bin/udp-server.rs` and `src/bin/udp-client.rs`
//! (`cargo run -p udp-pair --bin udp-server -- --help`); your code goes in `src/exercise.rs` and is checked
//! by `cargo run -- check 4`.

// Given: the configs, tags and small helpers the functions use, compiled in both builds.
mod config;
mod datagram;
pub use config::*;
pub use datagram::*;

// `cargo run -- check 4` builds the library from your exercise; every other build uses the solution.
#[cfg_attr(feature = "exercise", path = "exercise.rs")]
#[cfg_attr(not(feature = "exercise"), path = "solution.rs")]
mod imp;

pub use imp::*;
