//! `chat-server-loop`: the room protocol (chapter 08), every member served by one thread and one `mio::Poll`.
//!
//! ```text
//! chat-server-loop                          # listens on 127.0.0.1:7878; Ctrl-C stops it
//! chat-server-loop --addr 127.0.0.1:0       # any free port; the `listening on` line says which
//! chat-server-loop --trace                  # every wake-up of the loop and every socket call on stderr
//! ```

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use event_loop::{
    DEFAULT_MAX_LINE, DEFAULT_MAX_MEMBERS, DEFAULT_QUEUE, RoomConfig, Summary, serve,
};
use shared::cli::{ListenArgs, TraceArg};
use threaded_server::{backlog_for, listen, stop_on_ctrl_c};

/// The biggest `--max-members`: 100,000. A member here costs a file descriptor and a few kilobytes, not
/// two threads; the open-file limit (`ulimit -n`) is what runs out first, and `accept` then fails (the
/// loop says so and tries again).
const MAX_MAX_MEMBERS: u32 = 100_000;

/// The biggest `--max-line` and `--queue`, as lesson 08's: with both at the top, one member could make the
/// room hold 64 KiB x 4096 = 256 MiB, which is already more than a chat should.
const MAX_MAX_LINE: u32 = 64 * 1024;
const MAX_QUEUE: u32 = 4096;

/// Serve a chat room over TCP on one thread, usable with `nc`: the first line is your name, then each line
/// goes to every other member. `/who` lists the members, `/quit` leaves. Ctrl-C stops the server.
#[derive(Parser, Debug)]
#[command(name = "chat-server-loop", version)]
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

    /// Each member's bound: how many lines may wait for it. When its outbox is full, newer lines for it are
    /// skipped and counted, and it is told `* N messages skipped`.
    #[arg(long, value_name = "LINES", default_value_t = DEFAULT_QUEUE as u32,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_QUEUE)))]
    queue: u32,

    #[command(flatten)]
    trace: TraceArg,
}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(summary) => {
            eprintln!(
                "stopped: served {} connection(s), turned {} away, closed {} at the stop; the loop woke {} time(s)",
                summary.served, summary.turned_away, summary.closed_at_stop, summary.wakeups
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("chat-server-loop: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<Summary> {
    let trace = cli.trace.tracer();
    let backlog = backlog_for(cli.max_members as usize);
    let listener = listen(cli.listen.addr, backlog)
        .map_err(|err| anyhow::anyhow!(shared::bind_error_message(cli.listen.addr, &err)))?;
    let addr = listener
        .local_addr()
        .context("asking the listener for its address")?;
    trace.event(format_args!("bind {addr}, listen (backlog {backlog})"));
    // Lesson 03's stop: Ctrl-C (or SIGTERM) sets a flag and connects, which wakes `poll`; the loop sees the
    // flag and returns. A second Ctrl-C exits at once.
    let stop = stop_on_ctrl_c(&listener)?;
    shared::announce_listening(addr).context("printing the address on stdout")?;
    let config = RoomConfig {
        max_members: cli.max_members as usize,
        max_line: cli.max_line as usize,
        queue: cli.queue as usize,
    };
    serve(listener, &config, &stop, &trace).with_context(|| format!("serving the room on {addr}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_lesson_08s() {
        let cli = Cli::parse_from(["chat-server-loop"]);
        let defaults = RoomConfig::default();
        assert_eq!(cli.max_members as usize, defaults.max_members);
        assert_eq!(cli.max_line as usize, defaults.max_line);
        assert_eq!(cli.queue as usize, defaults.queue);
    }
}
