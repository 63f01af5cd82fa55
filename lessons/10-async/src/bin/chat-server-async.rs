//! `chat-server-async`: the room protocol (chapter 08), a tokio task per member.
//!
//! ```text
//! chat-server-async                              # listens on 127.0.0.1:7878; Ctrl-C stops it
//! chat-server-async --addr 127.0.0.1:0           # any free port; the `listening on` line says which
//! chat-server-async --runtime current-thread     # every task on this one thread, as lesson 09's loop
//! chat-server-async --trace                      # every accept, read, write and close on stderr
//! ```

use std::process::ExitCode;

use anyhow::{Context, Result};
use async_chat::{
    DEFAULT_MAX_LINE, DEFAULT_MAX_MEMBERS, DEFAULT_QUEUE, RoomConfig, STOP_DEADLINE, Summary, serve,
};
use clap::{Parser, ValueEnum};
use shared::cli::{ListenArgs, TraceArg};
use threaded_server::{backlog_for, listen};

/// The biggest `--max-members`: 100,000. A member here costs a file descriptor and about a kilobyte;
/// the open-file limit (`ulimit -n`) is what runs out first, and `accept` then fails (the server says
/// so and tries again).
const MAX_MAX_MEMBERS: u32 = 100_000;

/// The biggest `--max-line` and `--queue`, as lesson 08's.
const MAX_MAX_LINE: u32 = 64 * 1024;
const MAX_QUEUE: u32 = 4096;

/// Serve a chat room over TCP with a tokio task per member, usable with `nc`: the first line is your name,
/// then each line goes to every other member. `/who` lists the members, `/quit` leaves. Ctrl-C stops the
/// server: every member is told, and the server waits for their tasks (at most 2 s).
#[derive(Parser, Debug)]
#[command(name = "chat-server-async", version)]
struct Cli {
    #[command(flatten)]
    listen: ListenArgs,

    /// Serve at most this many connections at once; one more gets `busy, try again later` and is closed.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_MEMBERS as u32,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_MAX_MEMBERS)))]
    max_members: u32,

    /// The longest line accepted, in bytes before its newline. A longer line gets an error line and the
    /// connection is closed.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE as u32,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_MAX_LINE)))]
    max_line: u32,

    /// How many lines the room keeps for its members (rounded up to a power of two). A member further
    /// behind than that misses the oldest and is told `* N messages skipped`.
    #[arg(long, value_name = "LINES", default_value_t = DEFAULT_QUEUE as u32,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_QUEUE)))]
    queue: u32,

    /// Which tokio runtime runs the tasks: a worker thread per core, or this thread alone.
    #[arg(long, value_enum, default_value_t = Runtime::MultiThread)]
    runtime: Runtime,

    #[command(flatten)]
    trace: TraceArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Runtime {
    /// Tasks spread over a worker thread per core; any worker may run any task.
    MultiThread,
    /// Every task on the main thread, as lesson 09's loop: one core, no locks contended.
    CurrentThread,
}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(summary) => {
            eprintln!(
                "stopped: served {} connection(s), turned {} away, {} open at the stop, {} aborted at the deadline",
                summary.served, summary.turned_away, summary.closed_at_stop, summary.aborted
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("chat-server-async: {err:#}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: run
fn run(cli: &Cli) -> Result<Summary> {
    let trace = cli.trace.tracer();
    let runtime = match cli.runtime {
        Runtime::MultiThread => tokio::runtime::Builder::new_multi_thread(),
        Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all() // the reactor (sockets, signals) and the timer
    .build()
    .context("starting the tokio runtime")?;
    let backlog = backlog_for(cli.max_members as usize);
    let listener = listen(cli.listen.addr, backlog)
        .map_err(|err| anyhow::anyhow!(shared::bind_error_message(cli.listen.addr, &err)))?;
    let addr = listener
        .local_addr()
        .context("asking the listener for its address")?;
    trace.event(format_args!("bind {addr}, listen (backlog {backlog})"));
    listener
        .set_nonblocking(true)
        .context("making the listener non-blocking")?;
    let config = RoomConfig {
        max_members: cli.max_members as usize,
        max_line: cli.max_line as usize,
        queue: cli.queue as usize,
    };
    runtime.block_on(async {
        // Registered with the runtime's reactor (its mio `Poll`): only inside the runtime.
        let listener = tokio::net::TcpListener::from_std(listener)
            .context("registering the listener with the runtime")?;
        let stop_requested = stop_signal().context("listening for Ctrl-C")?;
        shared::announce_listening(addr).context("printing the address on stdout")?;
        Ok(serve(listener, config, stop_requested, STOP_DEADLINE, trace).await)
    })
}
// ANCHOR_END: run

/// A future that completes at Ctrl-C (SIGINT) or SIGTERM (`kill PID`), as lesson 03's stop does.
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_lesson_08s() {
        let cli = Cli::parse_from(["chat-server-async"]);
        let defaults = RoomConfig::default();
        assert_eq!(cli.max_members as usize, defaults.max_members);
        assert_eq!(cli.max_line as usize, defaults.max_line);
        assert_eq!(cli.queue as usize, defaults.queue);
        assert_eq!(cli.runtime, Runtime::MultiThread);
    }
}
