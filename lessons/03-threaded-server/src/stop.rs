//! The stop: what Ctrl-C (or a test) uses to end a running server from another thread. Given code, the
//! same in the exercise and the solution, except [`Stop::stop`]'s work, which is yours
//! ([`request_stop`](crate::request_stop), step 4).
// Until your functions in exercise.rs use them, some of these are unused in the exercise build.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

/// Stops a running [`serve`](crate::serve), from any thread: the Ctrl-C handler in `main`, or a test.
///
/// Clones share the same stop. Create it from the listener before handing the listener to `serve`: it
/// keeps the listener's address, to wake the accept loop up.
#[derive(Debug, Clone)]
pub struct Stop {
    pub(crate) inner: Arc<StopState>,
}

#[derive(Debug)]
pub(crate) struct StopState {
    /// Set once, by [`Stop::stop`]; read by the accept loop after every `accept`.
    pub(crate) requested: AtomicBool,
    /// Where [`Stop::stop`] connects to wake up an `accept` that is waiting for a client.
    pub(crate) wake_addr: SocketAddr,
    /// The socket for that connection, made in advance: a server that has used every file descriptor it
    /// may have could not make one at the moment it is asked to stop. (std makes a socket and connects it
    /// in one call; socket2 can make it now and connect it later.) Taken by the first [`Stop::stop`].
    pub(crate) wake_socket: Mutex<Option<Socket>>,
}

/// How long [`Stop::stop`] tries to connect to its own server. On loopback a connection takes microseconds;
/// a server so overloaded that its backlog is full still sees the flag at its next `accept`.
pub const WAKE_TIMEOUT: Duration = Duration::from_secs(1);

impl Stop {
    /// A stop for the server that will accept on `listener`.
    pub fn new(listener: &TcpListener) -> io::Result<Stop> {
        let mut wake_addr = listener.local_addr()?;
        // A listener on every interface (0.0.0.0 or [::]) is also reachable on loopback, and "connect to
        // 0.0.0.0" is not something to rely on.
        if wake_addr.ip().is_unspecified() {
            wake_addr.set_ip(match wake_addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        let wake_socket = Socket::new(Domain::for_address(wake_addr), Type::STREAM, None)?;
        Ok(Stop {
            inner: Arc::new(StopState {
                requested: AtomicBool::new(false),
                wake_addr,
                wake_socket: Mutex::new(Some(wake_socket)),
            }),
        })
    }

    /// Asks the server to stop: no new clients; the connected ones get
    /// [`Config::grace`](crate::Config::grace) to finish. Returns at once; `serve` returns when the stop is
    /// complete. (The work is [`request_stop`](crate::request_stop).)
    pub fn stop(&self) {
        crate::request_stop(self);
    }

    /// Whether [`Stop::stop`] has been called.
    pub fn is_requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    /// The socket made in advance for the wake-up connection; `None` once a stop has taken it.
    pub(crate) fn take_wake_socket(&self) -> Option<Socket> {
        self.inner
            .wake_socket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

// ANCHOR: ctrl_c
/// The exit status after a second Ctrl-C: 128 + SIGINT (2), what a shell reports for a program that Ctrl-C
/// ended.
pub const INTERRUPTED_TWICE: i32 = 130;

/// A [`Stop`] for `listener`, requested by Ctrl-C or SIGTERM (`kill PID`); a second Ctrl-C exits at once
/// with [`INTERRUPTED_TWICE`]. Lesson 08's room server stops the same way.
pub fn stop_on_ctrl_c(listener: &TcpListener) -> anyhow::Result<Stop> {
    use anyhow::Context;
    let stop = Stop::new(listener).context("preparing the stop")?;
    let on_signal = stop.clone();
    // The handler runs on a thread of `ctrlc`'s, not inside the signal handler itself, so it may do what
    // `stop` does: set a flag and connect. SIGTERM (`kill PID`) stops the server the same way.
    ctrlc::set_handler(move || {
        if on_signal.is_requested() {
            // The second Ctrl-C: the person does not want to wait for the grace period.
            eprintln!("interrupted again: exiting now");
            std::process::exit(INTERRUPTED_TWICE);
        }
        eprintln!("interrupted: stopping (Ctrl-C again to exit at once)");
        on_signal.stop();
    })
    .context("installing the Ctrl-C handler")?;
    Ok(stop)
}
// ANCHOR_END: ctrl_c
