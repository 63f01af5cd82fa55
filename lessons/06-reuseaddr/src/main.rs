//! `reuseaddr`: "Address already in use", reproduced and explained.
//!
//! ```text
//! reuseaddr demo                         # the whole story in one run, step by step
//! reuseaddr serve --no-reuse             # a server to stop and start again, as you would: see the error
//! reuseaddr serve                        # the same with SO_REUSEADDR: it starts again at once
//! ```

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use reuseaddr::{
    Holders, Reuse, Side, TcpState, close_connection, connect_pair, listen, read_tcp_table,
    reuse_address_is_on, traced, wait_for_state, wait_until_gone, who_holds,
};
use shared::cli::{ListenArgs, TraceArg, parse_duration, parse_listen_addr};
use shared::trace::{Trace, Traced};
use socket2::{Domain, Socket, Type};

#[derive(Parser)]
#[command(
    version,
    about = "Why a restarted server gets \"Address already in use\": TIME_WAIT and SO_REUSEADDR, shown on \
             real sockets"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Reproduce "Address already in use" and explain it, in numbered steps: a listener without
    /// SO_REUSEADDR closes a connection first, its end waits in TIME_WAIT, and binding the address again
    /// fails until SO_REUSEADDR is on (on both sockets); std's TcpListener sets it for you.
    Demo {
        /// Where the demo's first listener binds. Port 0 lets the kernel pick a free port; the later
        /// steps use other free ports of the same IP.
        #[arg(long, value_name = "IP:PORT", value_parser = parse_listen_addr,
              default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        #[command(flatten)]
        trace: TraceArg,
    },
    /// A server to stop (Ctrl-C) and start again by hand. Each client gets one line, and the server closes
    /// the connection first, so a connection usually leaves its TIME_WAIT on the server's side (serve says
    /// when the client was quicker).
    Serve {
        #[command(flatten)]
        listen: ListenArgs,
        /// Make the listener without SO_REUSEADDR, as Python's socket.socket() does: started again within
        /// 60 s of serving a client, it fails with "Address already in use".
        #[arg(long)]
        no_reuse: bool,
        /// How long a client may take to close its end after the server's line (with nc, press
        /// Ctrl-D). Clients are served one at a time, so a client that stays holds the next ones back.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30s")]
        timeout: Duration,
        #[command(flatten)]
        trace: TraceArg,
    },
}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo { addr, trace } => demo(addr, &trace.tracer()),
        Command::Serve {
            listen,
            no_reuse,
            timeout,
            trace,
        } => serve(listen.addr, no_reuse, timeout, &trace.tracer()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("reuseaddr: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// How long a step waits for a connection to reach the state it expects: on loopback it takes well
/// under a millisecond, so a second means something is wrong.
const STATE_WAIT: Duration = Duration::from_secs(1);

/// The timeout of every socket of the demo: loopback answers in microseconds.
const DEMO_TIMEOUT: Duration = Duration::from_secs(3);

/// Prints one step of the demo: its number, what was done, and what it proves.
struct Transcript {
    step: u32,
    surprises: Vec<String>,
}

impl Transcript {
    fn step(&mut self, what: impl std::fmt::Display) {
        self.step += 1;
        println!("\n{}. {what}", self.step);
    }

    fn note(&self, text: impl std::fmt::Display) {
        for line in text.to_string().lines() {
            println!("   {line}");
        }
    }

    /// Records a result that differs from what Linux does, so that the run ends with an error.
    fn surprise(&mut self, text: String) {
        self.note(format!("UNEXPECTED: {text}"));
        self.surprises.push(text);
    }
}

/// [`listen`], which traces each call it makes, and the address it got (port 0 is a port the kernel
/// picks: `getsockname` says which).
fn traced_listen(addr: SocketAddr, reuse: Reuse, trace: &Trace) -> io::Result<TcpListener> {
    let listener = listen(addr, reuse, trace)?;
    trace.event(format_args!("listening on {}", listener.local_addr()?));
    Ok(listener)
}

/// Whether a bind with SO_REUSEADDR on would pass what holds `addr`, asked of the kernel: a socket with
/// the option is bound there and closed at once, without `listen`, so no client can connect to it.
fn reuse_would_bind(addr: SocketAddr, trace: &Trace) -> bool {
    let trace = trace.labelled("would SO_REUSEADDR help?");
    let domain = Domain::for_address(addr);
    let Ok(socket) = traced(&trace, "socket", Socket::new(domain, Type::STREAM, None)) else {
        return false;
    };
    let bound = traced(
        &trace,
        "setsockopt(SO_REUSEADDR, 1)",
        socket.set_reuse_address(true),
    )
    .and_then(|()| {
        traced(
            &trace,
            format_args!("bind {addr}"),
            socket.bind(&addr.into()),
        )
    });
    drop(socket);
    trace.event("close");
    bound.is_ok()
}

/// Binds with `reuse` and reports the outcome in words; returns the listener when it bound.
fn try_bind(addr: SocketAddr, reuse: Reuse, trace: &Trace) -> (Option<TcpListener>, String) {
    match traced_listen(addr, reuse, trace) {
        Ok(listener) => (Some(listener), "bound".to_string()),
        Err(err) => (None, err.to_string()),
    }
}

fn option_word(reuse: Reuse) -> &'static str {
    if reuse.address { "on" } else { "off" }
}

// ANCHOR: demo
/// The demo: each step does one thing on real sockets and says what it proves. Each listener after the
/// first is on a fresh port, so that a step's TIME_WAIT does not disturb the next ones.
fn demo(addr: SocketAddr, trace: &Trace) -> Result<()> {
    println!("reuseaddr demo: why a server started again gets \"Address already in use\"");
    let mut t = Transcript {
        step: 0,
        surprises: Vec::new(),
    };
    let listener = listener_without_reuse(&mut t, addr, trace)?;
    server_closes_first(&mut t, &listener, trace)?;
    let addr = close_listener(listener, trace)?;
    rebind_without_reuse(&mut t, addr, trace);
    rebind_with_reuse_on_the_new_socket_only(&mut t, addr, trace);
    let addr = reuse_on_both_sockets(&mut t, addr.ip(), trace)?;
    std_sets_the_option(&mut t, addr, trace)?;
    client_closes_first(&mut t, addr.ip(), trace)?;
    two_live_listeners(&mut t, addr.ip(), trace)?;
    in_short(t)
}
// ANCHOR_END: demo

/// Step 1: a listener made with socket2, which leaves SO_REUSEADDR off.
fn listener_without_reuse(
    t: &mut Transcript,
    addr: SocketAddr,
    trace: &Trace,
) -> Result<TcpListener> {
    // A fixed --addr used again within 60 s finds this very trap: say so, as `serve` does.
    let listener = traced_listen(addr, Reuse::NONE, trace)
        .map_err(|err| bind_failed(addr, Reuse::NONE, err, trace))?;
    let addr = listener.local_addr()?;
    t.step(format!(
        "A listener made with socket2, SO_REUSEADDR off: {addr}"
    ));
    t.note(format!(
        "SO_REUSEADDR reads back {}: socket2 leaves a new socket as the kernel makes it.",
        option_word(Reuse {
            address: reuse_address_is_on(&listener)?,
            port: false,
        })
    ));
    Ok(listener)
}

/// Step 2: one connection, which the server closes first; its end is left in TIME_WAIT.
fn server_closes_first(t: &mut Transcript, listener: &TcpListener, trace: &Trace) -> Result<()> {
    let closed = close_one(listener, Side::Server, trace)?;
    t.step(format!(
        "A client connects from {}; the server closes first, the client reads the end of the stream \
         (0 bytes) and closes too.",
        closed.remote
    ));
    show_time_wait(t, closed, "the server's end, which closed first")
}

// ANCHOR: rebind_without_reuse
/// Step 3: nothing listens any more, and a bind without SO_REUSEADDR still fails: Python's Errno 98.
fn rebind_without_reuse(t: &mut Transcript, addr: SocketAddr, trace: &Trace) {
    t.step(format!(
        "The listener is closed: nothing listens on {addr}. Bind it again, SO_REUSEADDR off:"
    ));
    let (again, outcome) = try_bind(addr, Reuse::NONE, trace);
    t.note(&outcome);
    if again.is_some() {
        t.surprise(format!(
            "the bind worked although {addr} had a connection in TIME_WAIT"
        ));
    } else {
        t.note(
            "This is Python's \"OSError: [Errno 98] Address already in use\". The connection in \
             TIME_WAIT still holds the address, although nothing listens.",
        );
        explain_holders(t, addr, Reuse::NONE, trace);
    }
}
// ANCHOR_END: rebind_without_reuse

/// Step 4: the forum's fix, SO_REUSEADDR on the new socket only, is refused on Linux.
fn rebind_with_reuse_on_the_new_socket_only(t: &mut Transcript, addr: SocketAddr, trace: &Trace) {
    t.step(format!("Bind {addr} again, SO_REUSEADDR on this time:"));
    let (again, outcome) = try_bind(addr, Reuse::ADDRESS, trace);
    t.note(&outcome);
    if again.is_some() {
        t.note("Bound: this system lets the new socket alone decide (BSD and macOS do).");
    } else {
        t.note(
            "Still refused: the connection in TIME_WAIT was made without the option, and Linux asks it \
             of both sockets. A server that ran without SO_REUSEADDR blocks its successor for up to \
             60 s, whatever the successor sets.",
        );
    }
}

/// Step 5: with SO_REUSEADDR on the old listener and the new one, the bind passes TIME_WAIT; without it
/// on the new one, it does not. Returns the address, whose TIME_WAIT step 6 uses.
fn reuse_on_both_sockets(t: &mut Transcript, ip: IpAddr, trace: &Trace) -> Result<SocketAddr> {
    let reusing = traced_listen(SocketAddr::new(ip, 0), Reuse::ADDRESS, trace)
        .context("binding a second listener")?;
    let addr = reusing.local_addr()?;
    t.step(format!(
        "The same again with SO_REUSEADDR on from the start, as std does, on {addr}:"
    ));
    let closed = close_one(&reusing, Side::Server, trace)?;
    close_listener(reusing, trace)?;
    show_time_wait(t, closed, "the server's end, as before")?;
    let (plain, outcome) = try_bind(addr, Reuse::NONE, trace);
    t.note(format!("bind {addr}, SO_REUSEADDR off: {outcome}"));
    if plain.is_some() {
        t.surprise(format!(
            "the bind worked although {addr} had a connection in TIME_WAIT"
        ));
    }
    let (reused, outcome) = try_bind(addr, Reuse::ADDRESS, trace);
    t.note(format!("bind {addr}, SO_REUSEADDR on:  {outcome}"));
    if reused.is_none() {
        t.surprise(format!(
            "SO_REUSEADDR on both sockets did not let the bind pass TIME_WAIT: {outcome}"
        ));
    } else {
        t.note("Both sockets have the option: the bind passes the TIME_WAIT connection.");
    }
    Ok(addr)
}

/// Step 6: std's `TcpListener::bind` sets SO_REUSEADDR (on Unix), so it binds past step 5's TIME_WAIT.
fn std_sets_the_option(t: &mut Transcript, addr: SocketAddr, trace: &Trace) -> Result<()> {
    t.step(format!("std's TcpListener::bind(\"{addr}\"):"));
    let std_listener = match TcpListener::bind(addr) {
        Ok(listener) => {
            trace.event(format_args!("TcpListener::bind {addr}: listening"));
            listener
        }
        Err(err) => {
            trace.event(format_args!("TcpListener::bind {addr}: failed: {err}"));
            t.surprise(format!("std's bind failed: {err}"));
            return Ok(());
        }
    };
    let on = reuse_address_is_on(&std_listener)?;
    t.note(format!(
        "bound, and SO_REUSEADDR reads back {}.",
        if on { "on" } else { "off" }
    ));
    if on {
        t.note(
            "The connection of step 5 is still in TIME_WAIT on this address: std set the option (on \
             Unix) before it bound, so a Rust server started again at once just works, where the same \
             Python server fails.",
        );
    } else {
        t.note("std leaves the option off here (on Windows it would let another program steal the port).");
    }
    Ok(())
}

/// Step 7: when the client closes first, the TIME_WAIT is on the client's port, and the server's is free.
fn client_closes_first(t: &mut Transcript, ip: IpAddr, trace: &Trace) -> Result<()> {
    let listener = traced_listen(SocketAddr::new(ip, 0), Reuse::NONE, trace)
        .context("binding a third listener")?;
    let addr = listener.local_addr()?;
    t.step(format!(
        "Once more without SO_REUSEADDR, on {addr}, but the client closes first this time:"
    ));
    let closed = close_one(&listener, Side::Client, trace)?;
    close_listener(listener, trace)?;
    show_time_wait(t, closed, "the client's end, which closed first")?;
    // The server's end goes through LAST_ACK: wait until it is gone, or the bind could come too early.
    if !wait_until_gone(closed.remote, closed.local, STATE_WAIT).unwrap_or(true) {
        t.surprise(format!("the server's end {} did not close", closed.remote));
    }
    let (plain, outcome) = try_bind(addr, Reuse::NONE, trace);
    t.note(format!("bind {addr}, SO_REUSEADDR off: {outcome}"));
    if plain.is_some() {
        t.note(
            "The server's end did not wait: TIME_WAIT belongs to the side that closes first. A server \
             whose clients close first (an HTTP client that is done) leaves its port free.",
        );
    } else {
        t.surprise(format!(
            "the bind failed although the client closed first: {outcome}"
        ));
    }
    Ok(())
}

/// Step 8: two live listeners on one address: refused with SO_REUSEADDR, allowed with SO_REUSEPORT.
fn two_live_listeners(t: &mut Transcript, ip: IpAddr, trace: &Trace) -> Result<()> {
    let first = traced_listen(SocketAddr::new(ip, 0), Reuse::ADDRESS, trace)
        .context("binding a fourth listener")?;
    let addr = first.local_addr()?;
    t.step(format!(
        "A live listener on {addr} (SO_REUSEADDR on); a second one on the same address:"
    ));
    let (second, outcome) = try_bind(addr, Reuse::ADDRESS, trace);
    t.note(format!("second listener, SO_REUSEADDR on: {outcome}"));
    if second.is_some() {
        t.surprise("two live listeners shared an address with SO_REUSEADDR".into());
    } else {
        t.note("SO_REUSEADDR never lets two live listeners share an address on Linux.");
    }
    drop((first, second));
    let first = traced_listen(SocketAddr::new(addr.ip(), 0), Reuse::PORT, trace);
    let Ok(first) = first else {
        t.note("SO_REUSEPORT is not available on this system.");
        return Ok(());
    };
    let addr = first.local_addr()?;
    let (second, outcome) = try_bind(addr, Reuse::PORT, trace);
    t.note(format!(
        "two listeners on {addr}, both with SO_REUSEPORT: {outcome}"
    ));
    if second.is_some() {
        t.note(
            "SO_REUSEPORT is the option for that: Linux spreads new connections among the listeners \
             (several processes of one server, each with its own accept loop).",
        );
    } else {
        t.surprise(format!(
            "SO_REUSEPORT did not let two listeners share {addr}: {outcome}"
        ));
    }
    Ok(())
}

/// The end of the demo: the lesson in three sentences, or the steps that went otherwise than on Linux.
fn in_short(t: Transcript) -> Result<()> {
    println!();
    if t.surprises.is_empty() {
        println!(
            "In short: the side that closes first keeps its end in TIME_WAIT for 60 s, and that holds the \
             address. SO_REUSEADDR, on the old socket and the new one, lets a new listener bind past it. \
             std's TcpListener sets it for you on Unix."
        );
        Ok(())
    } else {
        anyhow::bail!(
            "{} step(s) did not go as on Linux: {}",
            t.surprises.len(),
            t.surprises.join("; ")
        )
    }
}

/// Closes a listener of the demo (the connections it accepted are closed already); returns its address.
fn close_listener(listener: TcpListener, trace: &Trace) -> Result<SocketAddr> {
    let addr = listener.local_addr()?;
    drop(listener);
    trace.event(format_args!("close listener {addr}"));
    Ok(addr)
}

/// One connection to `listener`, closed with `first` closing first.
fn close_one(listener: &TcpListener, first: Side, trace: &Trace) -> Result<reuseaddr::Closed> {
    let (client, server) =
        connect_pair(listener, DEMO_TIMEOUT).context("connecting to the demo's listener")?;
    trace.event(format_args!(
        "connect {} -> {}; accept",
        client.local_addr()?,
        client.peer_addr()?
    ));
    let closed = close_connection(client, server, first).context("closing the connection")?;
    // What close_connection returned; what it did inside (its reads, its closes) shows in the table.
    trace.event(format_args!(
        "close_connection(client, server, Side::{first:?}): returned, the first to close was {} -> {}",
        closed.local, closed.remote
    ));
    Ok(closed)
}

/// Shows the connection's end in the kernel's table, and checks that it is in TIME_WAIT.
fn show_time_wait(t: &mut Transcript, closed: reuseaddr::Closed, whose: &str) -> Result<()> {
    let (local, remote) = (closed.local, closed.remote);
    let server_port = match closed.first {
        Side::Server => local.port(),
        Side::Client => remote.port(),
    };
    match wait_for_state(local, remote, TcpState::TimeWait, STATE_WAIT) {
        Ok(true) => {
            t.note("The kernel's TCP table (/proc/net/tcp) for this connection:");
            for entry in read_tcp_table()?.iter().filter(|entry| {
                (entry.local == local && entry.remote == remote)
                    || (entry.local == remote && entry.remote == local)
            }) {
                t.note(format!(
                    "  {:<22} -> {:<22} {}",
                    entry.local, entry.remote, entry.state
                ));
            }
            t.note(format!(
                "In TIME_WAIT: {whose}. It stays 60 s. See it yourself in that time:\n  ss -tan state \
                 time-wait '( sport = :{port} or dport = :{port} )'",
                port = server_port
            ));
        }
        Ok(false) => t.surprise(format!(
            "{local} -> {remote} did not reach TIME_WAIT within {STATE_WAIT:?}"
        )),
        Err(err) if err.kind() == io::ErrorKind::Unsupported => t.note(format!(
            "({err}.) Its end {local} is in TIME_WAIT: {whose}."
        )),
        Err(err) => return Err(err).context("reading the kernel's TCP table"),
    }
    Ok(())
}

/// Says who holds `addr`, from the kernel's table, when it can be read.
fn explain_holders(t: &Transcript, addr: SocketAddr, reuse: Reuse, trace: &Trace) {
    if let Ok(table) = read_tcp_table() {
        let holders = who_holds(addr, &table);
        let passes = !reuse.address && holders.listening == 0 && reuse_would_bind(addr, trace);
        let advice = advice(&holders, reuse, passes, " (std's TcpListener::bind does)");
        t.note(format!("Who holds it: {advice}."));
    }
}

// ANCHOR: serve
/// Serves clients one at a time: one line each, then the server closes first.
fn serve(addr: SocketAddr, no_reuse: bool, timeout: Duration, trace: &Trace) -> Result<()> {
    let reuse = if no_reuse {
        Reuse::NONE
    } else {
        Reuse::ADDRESS
    };
    let listener =
        traced_listen(addr, reuse, trace).map_err(|err| bind_failed(addr, reuse, err, trace))?;
    shared::announce_listening(listener.local_addr()?)?;
    eprintln!(
        "SO_REUSEADDR is {}. Each client gets one line, then this server closes first, which leaves the \
         connection in TIME_WAIT on this side for 60 s. Stop me with Ctrl-C and start me again.",
        option_word(reuse)
    );
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            // A connection that failed before we took it concerns that client only.
            Err(err) => {
                eprintln!("accept failed: {err} (going on)");
                continue;
            }
        };
        trace.event(format_args!("accept {peer}"));
        let local = stream.local_addr()?;
        match serve_one(Traced::new(stream, trace.clone()), timeout) {
            Ok(()) => println!("served {peer}: {}", who_waits(local, peer)),
            Err(err) => println!("{peer}: {err:#}"),
        }
    }
}

/// Which end of a served connection waits in TIME_WAIT, from the kernel's table. Most often the server's:
/// it sends its FIN right after its line. But a client that closes as soon as it has the line (the
/// tutorials' clients: one `recv`, then `close`) can close before that FIN leaves, and then it is the
/// client that closed first.
fn who_waits(local: SocketAddr, peer: SocketAddr) -> &'static str {
    let here = "the server closed first; that connection is in TIME_WAIT here";
    match wait_for_state(local, peer, TcpState::TimeWait, CLOSE_CHECK) {
        Ok(false)
            if wait_for_state(peer, local, TcpState::TimeWait, CLOSE_CHECK).unwrap_or(false) =>
        {
            "the client closed first (once it had the line, before this server's FIN left), so the \
             TIME_WAIT is on the client's side, and this port is not held by it"
        }
        // Waiting on this side, or the table cannot be read (not Linux): what the server meant to do.
        _ => here,
    }
}

/// How long `serve` looks for a served connection's TIME_WAIT: on loopback it is there at once.
const CLOSE_CHECK: Duration = Duration::from_millis(100);

/// The most a client may send before it closes; more is thrown away with the connection.
const MAX_DRAIN: usize = 64 * 1024;

/// One client: a line, then the server's FIN first (`shutdown(Write)`), then waits for the client's FIN.
fn serve_one(stream: Traced<std::net::TcpStream>, timeout: Duration) -> Result<()> {
    stream.get_ref().set_read_timeout(Some(timeout))?;
    stream.get_ref().set_write_timeout(Some(timeout))?;
    (&stream).write_all(
        format!(
            "Hello from reuseaddr serve (pid {}). I close first: my end of this connection will wait \
             in TIME_WAIT.\n",
            std::process::id()
        )
        .as_bytes(),
    )?;
    // The FIN goes now: this side closes first. The socket stays open, to read the client's FIN: closing
    // it with unread bytes in it would send a reset instead (and leave no TIME_WAIT to see).
    stream.shutdown(Shutdown::Write)?;
    let mut buf = [0u8; 1024];
    let mut drained = 0;
    while drained <= MAX_DRAIN {
        match (&stream).read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => drained += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            // On a socket with a read timeout, the timeout comes back as WouldBlock ("Resource
            // temporarily unavailable") on Unix, TimedOut on Windows; the trace line says which it was.
            Err(err) if shared::trace::is_timeout(&err) => {
                anyhow::bail!(
                    "the client did not close its end within {} s (--timeout): dropped; with nc, \
                     press Ctrl-D after the line",
                    timeout.as_secs_f64()
                )
            }
            Err(err) => return Err(err).context("waiting for the client to close"),
        }
    }
    anyhow::bail!(
        "the client sent over {} KiB without closing: dropped",
        MAX_DRAIN / 1024
    )
}
// ANCHOR_END: serve

/// The error for a failed bind, with who holds the address when the kernel's table says, and what to do:
/// only advice that works, so the kernel is asked whether SO_REUSEADDR would get past the holders.
fn bind_failed(addr: SocketAddr, reuse: Reuse, err: io::Error, trace: &Trace) -> anyhow::Error {
    if err.kind() == io::ErrorKind::AddrInUse
        && let Ok(table) = read_tcp_table()
    {
        let holders = who_holds(addr, &table);
        let passes = !reuse.address && holders.listening == 0 && reuse_would_bind(addr, trace);
        let advice = advice(&holders, reuse, passes, " (here: leave out --no-reuse)");
        return anyhow::anyhow!("binding {addr}: {err} - {advice}");
    }
    anyhow::anyhow!("{}", shared::bind_error_message(addr, &err))
}

/// What to do about an `AddrInUse` from a `bind` made with `reuse`, given who holds the address (step 4's
/// count) and whether a bind with SO_REUSEADDR `passes` them (asked of the kernel): the advice of the
/// demo's step 3 and of `serve`'s error. Linux lets a bind pass a socket that is not listening only when
/// both have SO_REUSEADDR, and never a live listener.
fn advice(holders: &Holders, reuse: Reuse, passes: bool, here: &str) -> String {
    if holders.listening > 0 {
        return "a server is listening there now: stop it (`ss -ltnp` shows which program it is), or use \
                another port (SO_REUSEADDR never lets two live listeners share an address)"
            .into();
    }
    let mut advice = Vec::new();
    if holders.time_wait > 0 {
        let them = if holders.time_wait == 1 { "it" } else { "them" };
        let waiting = connections(holders.time_wait);
        advice.push(if passes {
            format!(
                "{waiting} in TIME_WAIT: this side closed {them} first, in the last 60 s, with \
                 SO_REUSEADDR on. Set it on the new socket too{here}: a bind with it passes TIME_WAIT \
                 (the kernel just said so); or wait for {them} to expire (at most 60 s)"
            )
        } else if reuse.address {
            format!(
                "{waiting} in TIME_WAIT, made by a program that did not set SO_REUSEADDR: Linux lets a \
                 bind pass TIME_WAIT only when both sockets have the option, so wait for {them} to expire \
                 (at most 60 s)"
            )
        } else {
            format!(
                "{waiting} in TIME_WAIT: this side closed {them} first, in the last 60 s, without \
                 SO_REUSEADDR. Linux lets a bind pass TIME_WAIT only when both sockets have the option, \
                 so setting it now would not help (a bind with it is refused too): wait for {them} to \
                 expire (at most 60 s)"
            )
        });
    }
    if holders.other > 0 {
        advice.push(format!(
            "{} on that port still open, perhaps accepted by an earlier server and still served by a \
             process it started: `ss -tanp` shows them{}",
            connections(holders.other),
            if passes && holders.time_wait == 0 {
                format!("; a bind with SO_REUSEADDR passes them (the kernel just said so){here}")
            } else {
                String::new()
            }
        ));
    }
    if advice.is_empty() {
        return "nothing in this machine's TCP table holds it any more: try again".into();
    }
    advice.join("; ")
}

/// "1 connection", "2 connections".
fn connections(count: usize) -> String {
    if count == 1 {
        "1 connection".into()
    } else {
        format!("{count} connections")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
