//! # Lesson 03: a server that serves many clients at once, bounded, and stops cleanly
//!
//! **Goal**: lesson 02's greeting server made every client wait while it served another. This server
//! gives each client a thread of its own, so a slow or idle client no longer holds up the rest; it serves
//! at most `--max-clients` at once and tells the next one `busy, try again later`; its threads share
//! counters, reported by a new command, `who`; and on Ctrl-C it stops accepting, lets its clients finish
//! for a grace period, closes the rest, and waits for its threads before it exits. Each session is lesson
//! 02's code ([`single_server::serve_client_with`]), reused through its crate: this lesson adds only what
//! threads bring. It is Python's `threading.Thread(target=handle, args=(conn,))` per client, with the
//! limits and the stop that the tutorials leave out.
//!
//! **Concepts**, in the order of the exercise steps:
//! 1. [`serve_with`]: `std::thread::spawn` with the accepted stream moved into the thread (`move`): the
//!    accept loop goes straight back to `accept`. What a thread uses must be its own (`'static`): a clone
//!    of the [`Config`] and of the `--trace` switch, an `Arc` of what is shared.
//! 2. [`serve_with`] and [`admit`]: a bound. [`Clients`] knows who is online; a client over `max_clients`
//!    gets [`BUSY_LINE`] at once instead of waiting in the backlog; a place is given back by a guard's
//!    `Drop` ([`give_back`]), so a session that fails or panics still frees it.
//! 3. [`counts`] and [`answer`]: state shared between threads, behind a `Mutex` (and why not two
//!    atomics); the line `who` answers `online: N, served: M`.
//! 4. [`request_stop`] (what [`Stop::stop`] does) and the end of [`serve_with`]: a blocking `accept`
//!    cannot be interrupted, so the stop sets a flag and connects to the server to wake it; then the
//!    listener is closed, the clients get [`Config::grace`] to finish, the rest are shut down
//!    ([`wait_until_empty`], [`shut_down_all`]), and every thread is joined.
//!
//! **Left out on purpose**: a thread pool (the Rust Book builds one; a pool bounds threads the same way
//! but makes a client over the bound wait instead of hearing `busy`), one thread for many sockets (lesson 09:
//! non-blocking sockets and readiness, what Python's `selectors` does), and async Rust (lesson 10).
//!
//! The program is `src/main.rs` (`cargo run -p threaded-server -- --help`); your code goes in
//! `src/exercise.rs` and is checked by `cargo run -- check 3`.

// Given: the types the functions use, compiled in both builds (you do not write them). `clients.rs` and
// `stop.rs` call the functions you write for their methods; `out_of_fds.rs` is the solution's hardening;
// `backlog.rs` binds the listener with a backlog sized to `--max-clients`.
mod backlog;
mod clients;
mod config;
mod out_of_fds;
mod session;
mod stop;
pub use backlog::{STD_BACKLOG, backlog_for, listen, system_backlog_limit};
pub use clients::Clients;
pub use config::*;
pub use session::{Handler, greet_client, serve};
pub use stop::{INTERRUPTED_TWICE, Stop, WAKE_TIMEOUT, stop_on_ctrl_c};

// `cargo run -- check 3` builds the library from your exercise; every other build uses the solution.
#[cfg_attr(feature = "exercise", path = "exercise.rs")]
#[cfg_attr(not(feature = "exercise"), path = "solution.rs")]
mod imp;

pub use imp::*;
