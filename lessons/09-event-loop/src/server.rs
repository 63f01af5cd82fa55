//! The event loop: one thread, one `Poll`, every socket of the room. Given code, the same in the exercise
//! and the solution; it calls your functions for each event.
//!
//! `poll` sleeps until at least one registered socket is ready, then returns the events: a token and what
//! became possible (readable, writable). For each, the loop does what is possible *now* without waiting:
//! accept, read, write; then it waits again. Nothing in this thread may block: while it waits in one
//! `read`, nobody else is served.

use std::io;
use std::time::{Duration, Instant};

use chat::RoomConfig;
use mio::event::Event;
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Registry, Token};
use shared::trace::{Trace, TracedNonBlocking};
use threaded_server::Stop;

use crate::session::{close_after_flush, on_line, tell};
use crate::{
    LISTENER, LineTooLong, Member, Reading, Room, accept_waiting, interest_for, is_finished, leave,
    next_line, read_available, write_pending,
};

/// How many events one `poll` may return. More ready sockets than this are not lost: the next `poll`
/// returns the rest at once.
const EVENTS_PER_POLL: usize = 1024;

/// How many rounds of reading one member gets per turn of the loop. A member that sends faster than the
/// room can handle would otherwise keep the loop reading its socket forever while everyone else waits;
/// after this many, it goes to the back of the line (see `Later`).
const READS_PER_TURN: usize = 16;

/// What a member's input buffer may hold beyond the line cap: one read's worth. With the cap at the
/// default 1 KiB, a round reads up to 5 KiB before the lines are cut out of it.
pub const READ_CHUNK: usize = 4096;

/// How long the loop stops accepting after a failed `accept` (out of file descriptors, say). Edge-triggered:
/// the connection that failed stays in the backlog and no new event will come for it, so the loop must
/// come back by itself.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// What a server did, returned by [`serve`] once it has stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Connections welcomed (whether or not they ever chose a name).
    pub served: u64,
    /// Connections that got [`BUSY`](crate::BUSY).
    pub turned_away: u64,
    /// Connections still open at the stop, which the server closed.
    pub closed_at_stop: usize,
    /// How many times `poll` returned: a loop with nothing to do should not wake at all.
    pub wakeups: u64,
}

/// Serves the room on `listener` until `stop` is requested (lesson 03's stop: it sets a flag and connects,
/// which wakes `poll`), on this thread alone; then closes the connections still open.
pub fn serve(
    listener: std::net::TcpListener,
    config: &RoomConfig,
    stop: &Stop,
    trace: &Trace,
) -> io::Result<Summary> {
    // mio's sockets are non-blocking; a std listener handed to mio must be made so first.
    listener.set_nonblocking(true)?;
    let mut listener = TcpListener::from_std(listener);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut room = Room::new(config.clone(), trace.clone());
    let wakeups = run(&mut poll, &listener, &mut room, stop)?;
    let closed_at_stop = room.members.len();
    room.members.clear(); // dropping a member's stream closes it
    Ok(Summary {
        served: room.served,
        turned_away: room.turned_away,
        closed_at_stop,
        wakeups,
    })
}

// ANCHOR: event_loop
/// The loop: wait for events, do what each one makes possible, write what is pending, wait again.
fn run(poll: &mut Poll, listener: &TcpListener, room: &mut Room, stop: &Stop) -> io::Result<u64> {
    let mut events = Events::with_capacity(EVENTS_PER_POLL);
    let mut later = Later::default();
    let mut wakeups = 0;
    loop {
        wait(poll, &mut events, later.timeout())?;
        wakeups += 1;
        room.trace
            .event(format_args!("poll: {} events", events.iter().count()));
        if stop.is_requested() {
            return Ok(wakeups);
        }
        for event in events.iter() {
            match event.token() {
                LISTENER => accept(listener, poll.registry(), room, &mut later),
                token => on_member_event(room, poll.registry(), token, event, &mut later),
            }
        }
        later.catch_up(listener, poll.registry(), room);
        flush_pending(room, poll.registry());
    }
}

/// What a member's event makes possible: reading, writing, or both.
fn on_member_event(
    room: &mut Room,
    registry: &Registry,
    token: Token,
    event: &Event,
    later: &mut Later,
) {
    // An error or a hang-up is also "readable": the next `read` says what happened.
    if event.is_readable() || event.is_read_closed() || event.is_error() {
        read_member(room, registry, token, later);
    }
    if event.is_writable() {
        room.pending.insert(token);
    }
}
// ANCHOR_END: event_loop

/// `poll`, where a signal arriving meanwhile (`Interrupted`) is just a wake-up with no events.
fn wait(poll: &mut Poll, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
    match poll.poll(events, timeout) {
        Err(err) if err.kind() == io::ErrorKind::Interrupted => {
            events.clear();
            Ok(())
        }
        result => result,
    }
}

/// Accepts what is waiting; a failure (other than `WouldBlock`) pauses accepting for a moment.
fn accept(listener: &TcpListener, registry: &Registry, room: &mut Room, later: &mut Later) {
    if let Err(err) = accept_waiting(listener, registry, room) {
        eprintln!("accept failed: {err}; trying again in {ACCEPT_RETRY_PAUSE:?}");
        later.accept_at = Some(Instant::now() + ACCEPT_RETRY_PAUSE);
    }
}

/// Reads what `token`'s member sent, a bounded amount per turn, and handles each complete line.
fn read_member(room: &mut Room, registry: &Registry, token: Token, later: &mut Later) {
    let limit = room.config.max_line + 2 + READ_CHUNK; // a whole line with its `\r\n`, and one more read
    for _ in 0..READS_PER_TURN {
        let Some(member) = room.members.get_mut(&token) else {
            return; // gone already: an earlier event of this turn ended it
        };
        if member.closing {
            return;
        }
        let trace = member_trace(&room.trace, member);
        let mut stream = TracedNonBlocking::new(&mut member.stream, &trace);
        let reading = read_available(&mut stream, &mut member.input, limit);
        handle_lines(room, token);
        match reading {
            Ok(Reading::Drained) => return,
            Ok(Reading::Full) => continue,
            Ok(Reading::Closed) => return close_after_flush(room, token),
            Err(err) => {
                room.trace.event(format_args!("read failed: {err}"));
                return leave(room, registry, token);
            }
        }
    }
    later.still_readable.push(token); // its turn is over; more is waiting
}

/// Cuts every complete line out of the member's input and does what each asks.
fn handle_lines(room: &mut Room, token: Token) {
    let max_line = room.config.max_line;
    loop {
        let Some(member) = room.members.get_mut(&token) else {
            return;
        };
        match next_line(&mut member.input, max_line) {
            Ok(Some(line)) => on_line(room, token, line),
            Ok(None) => return,
            Err(LineTooLong) => {
                tell(room, token, &chat::protocol::line_too_long(max_line));
                return close_after_flush(room, token);
            }
        }
    }
}

/// Writes to every member with something pending; leaving members may make more pending (`* NAME left`).
fn flush_pending(room: &mut Room, registry: &Registry) {
    while !room.pending.is_empty() {
        let tokens: Vec<Token> = room.pending.drain().collect();
        for token in tokens {
            flush_member(room, registry, token);
        }
    }
}

/// Writes what fits, then closes the member if it is finished, or asks for the events it now needs.
fn flush_member(room: &mut Room, registry: &Registry, token: Token) {
    let Some(member) = room.members.get_mut(&token) else {
        return;
    };
    let trace = member_trace(&room.trace, member);
    let mut stream = TracedNonBlocking::new(&mut member.stream, &trace);
    let written = write_pending(&mut stream, &mut member.outbox)
        .and_then(|()| update_interest(registry, token, member));
    match written {
        Err(err) => {
            trace.event(format_args!("write failed: {err}"));
            leave(room, registry, token);
        }
        Ok(()) if is_finished(member) => leave(room, registry, token),
        Ok(()) => {}
    }
}

/// Re-registers the member's socket when the events it needs have changed (a system call each time).
fn update_interest(registry: &Registry, token: Token, member: &mut Member) -> io::Result<()> {
    let wanted = interest_for(&member.outbox);
    if wanted != member.interest {
        registry.reregister(&mut member.stream, token, wanted)?;
        member.interest = wanted;
    }
    Ok(())
}

/// The trace for one member's socket calls, labelled with its address (only built when tracing is on).
fn member_trace(trace: &Trace, member: &Member) -> Trace {
    if trace.is_on() {
        trace.labelled(member.peer)
    } else {
        Trace::off()
    }
}

/// What the loop must come back to without an event: members whose turn ended with more to read, and an
/// accept paused after a failure. Edge-triggered readiness is not repeated, so the loop remembers.
#[derive(Debug, Default)]
struct Later {
    still_readable: Vec<Token>,
    accept_at: Option<Instant>,
}

impl Later {
    /// How long `poll` may sleep: not at all while a member has more to read; until the paused accept is
    /// due; else until an event comes.
    fn timeout(&self) -> Option<Duration> {
        if !self.still_readable.is_empty() {
            return Some(Duration::ZERO);
        }
        self.accept_at
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// Gives the members with more to read their next turn, and retries a paused accept that is due.
    fn catch_up(&mut self, listener: &TcpListener, registry: &Registry, room: &mut Room) {
        for token in std::mem::take(&mut self.still_readable) {
            read_member(room, registry, token, self);
        }
        if self.accept_at.is_some_and(|at| at <= Instant::now()) {
            self.accept_at = None;
            accept(listener, registry, room, self);
        }
    }
}
