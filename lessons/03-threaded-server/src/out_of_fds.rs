//! The hardening beside the lesson: accepting when the process may run out of file descriptors, and
//! `accept` failures that pass. Not part of the exercise (the exercise's accept loop reports a failed
//! `accept`, pauses and goes on); the solution's accept loop uses [`Acceptor`], and `tests/pitfalls.rs`
//! shows why (`a_server_out_of_file_descriptors_turns_clients_away_and_recovers`).
// The exercise's accept loop does not use this module.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::fs::File;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// How many `accept` failures in a row (other than running out of file descriptors) the server tolerates
/// before it gives up, as in lesson 02: with [`ACCEPT_RETRY_PAUSE`], about a second of failing.
const ACCEPT_ATTEMPTS: u32 = 20;

/// How long the accept loop pauses after a failed `accept`, so that a failure that repeats at once does
/// not keep a CPU busy.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// What [`Acceptor::accept`] got.
pub(crate) enum Accepted {
    /// A client to serve.
    Client(TcpStream, SocketAddr),
    /// A client that took the last file descriptor: there is none left to serve it with, so it is to be
    /// turned away at once (it hears `busy` instead of waiting in silence).
    NoDescriptorLeft(TcpStream, SocketAddr),
    /// `accept` failed, was reported, and the acceptor has paused: try again.
    Failed,
}

// ANCHOR: out_of_fds
/// `listener.accept()`, with a way out when the process has no file descriptor left for a new connection.
///
/// Every client holds descriptors (its socket, and the copy kept for the stop). When the process has used
/// all it may (`ulimit -n`), `accept` fails with `EMFILE` (on Linux at once, even before a client is
/// there), and the next client waits in the backlog, unanswered, until one leaves. The spare descriptor,
/// kept for this moment, is closed to make room: `accept` then takes the next client, and the spare is
/// taken back if there is room. If there is not, that client is [`Accepted::NoDescriptorLeft`].
pub(crate) struct Acceptor<'a> {
    listener: &'a TcpListener,
    /// One descriptor held in reserve (an open `/dev/null`), closed to make room for one more `accept`.
    spare: Option<File>,
    /// Failures in a row that were not about descriptors.
    failures: u32,
}

impl<'a> Acceptor<'a> {
    pub(crate) fn new(listener: &'a TcpListener) -> Self {
        Acceptor {
            listener,
            spare: reserve_fd(),
            failures: 0,
        }
    }

    /// The next client, or a failure reported and paused over; `Err` only after [`ACCEPT_ATTEMPTS`]
    /// failures in a row that were not about descriptors.
    pub(crate) fn accept(&mut self) -> io::Result<Accepted> {
        match self.accept_with_spare() {
            Ok((stream, peer)) => {
                self.failures = 0;
                if self.spare.is_none() {
                    return Ok(Accepted::NoDescriptorLeft(stream, peer));
                }
                Ok(Accepted::Client(stream, peer))
            }
            // No descriptor, not even the spare: pause (a client leaving frees some), do not spin.
            Err(err) if is_out_of_fds(&err) => {
                eprintln!("accept failed: {err} (waiting for a client to leave)");
                thread::sleep(ACCEPT_RETRY_PAUSE);
                Ok(Accepted::Failed)
            }
            Err(err) => {
                self.failures += 1;
                if self.failures == ACCEPT_ATTEMPTS {
                    return Err(err);
                }
                eprintln!("accept failed: {err} (trying again)");
                thread::sleep(ACCEPT_RETRY_PAUSE);
                Ok(Accepted::Failed)
            }
        }
    }

    /// `accept`, closing the spare descriptor to make room when there is no other.
    fn accept_with_spare(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        if self.spare.is_none() {
            // A client has left since we last ran out, perhaps: take a spare again.
            self.spare = reserve_fd();
        }
        match self.listener.accept() {
            Err(err) if is_out_of_fds(&err) && self.spare.is_some() => {
                eprintln!(
                    "accept failed: {err} (closing the spare descriptor to accept the next client)"
                );
                drop(self.spare.take());
                let accepted = self.listener.accept();
                self.spare = reserve_fd();
                accepted
            }
            other => other,
        }
    }
}
// ANCHOR_END: out_of_fds

// ANCHOR: reserve_fd
/// Opens a file that does nothing, to hold one file descriptor in reserve for the out-of-descriptors
/// case. `None` if even that fails; the server then only pauses and retries.
fn reserve_fd() -> Option<File> {
    let null = if cfg!(windows) { "NUL" } else { "/dev/null" };
    File::open(null).ok()
}

/// Whether `accept` failed because the process (`EMFILE`) or the whole system (`ENFILE`) has no file
/// descriptor left. std has no `ErrorKind` for these, so we compare the error numbers, which are the same
/// on Linux and macOS.
fn is_out_of_fds(err: &io::Error) -> bool {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    cfg!(unix) && matches!(err.raw_os_error(), Some(ENFILE | EMFILE))
}
// ANCHOR_END: reserve_fd
