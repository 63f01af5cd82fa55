//! The helper crate: plumbing that every lesson uses, and no lesson content.
//!
//! Read the lessons first; come here when a lesson's `main.rs` or tests use something from `shared::`.
//!
//! - [`cli`]: the `--addr` and `--trace` arguments every lesson program shares (clap derive, flattened).
//! - [`announce_listening`]: the `listening on ADDR` line a server prints once it is bound, and
//!   [`bind_error_message`], what it says when it cannot bind.
//! - [`trace`]: the `--trace` wrapper that prints one line per socket event to stderr.
//! - [`testing`]: test support: timeouts on every socket, a lesson server started as a child process on
//!   port 0, real peers (`nc`, `python3`) found or skipped, a reader that splits reads.
//! - [`fixtures`]: small servers a test can talk to before the learner has written the other side:
//!   a feed server, an echo server and a canned-response server.
//! - [`load`]: the engine of `greet-load`, which runs many greeting clients at once against a server and
//!   reports counts, round trips and waits as percentiles (lessons 02 and 03 compare their servers with it).

pub mod cli;
pub mod fixtures;
pub mod load;
pub mod testing;
pub mod trace;

mod listening;
pub use listening::{LISTENING_PREFIX, announce_listening, bind_error_message};

/// The course's default port: 7878 is "rust" typed on a phone keypad.
///
/// Every lesson server listens on `127.0.0.1:7878` unless told otherwise with `--addr`, so lesson 01's
/// client finds lesson 02's (or 03's) server without arguments. Tests never use it: they ask for port 0.
pub const DEFAULT_PORT: u16 = 7878;
