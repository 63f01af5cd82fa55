//! The helper crate: plumbing that every lesson program uses, and no lesson content. (The tests' support
//! is the `test-support` crate in `shared/test-support`, a dev-dependency only.)
//!
//! Read the lessons first; come here when a lesson's `main.rs` or tests use something from `shared::`.
//!
//! - [`cli`]: the `--addr` and `--trace` arguments every lesson program shares (clap derive, flattened).
//! - [`ServerAddr`]: `HOST:PORT`, how every client program is told where its server is.
//! - [`announce_listening`]: the `listening on ADDR` line a server prints once it is bound, and
//!   [`bind_error_message`], what it says when it cannot bind.
//! - [`trace`]: the `--trace` wrapper that prints one line per socket event to stderr.
//! - [`greeting`]: the lines of the greeting protocol (lessons 01 to 03), written once.
//! - [`load`]: the engine of `greet-load`, which runs many greeting clients at once against a server and
//!   reports counts, round trips and waits as percentiles (lessons 02 and 03 compare their servers with it).

pub mod cli;
pub mod greeting;
pub mod load;
pub mod trace;

mod listening;
mod server_addr;
pub use listening::{LISTENING_PREFIX, announce_listening, bind_error_message};
pub use server_addr::ServerAddr;

/// The course's default port: 7878 is "rust" typed on a phone keypad.
///
/// Every lesson server listens on `127.0.0.1:7878` unless told otherwise with `--addr`, so lesson 01's
/// client finds lesson 02's (or 03's) server without arguments. Tests never use it: they ask for port 0.
pub const DEFAULT_PORT: u16 = 7878;
