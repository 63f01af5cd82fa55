//! `chat-server`: the room protocol (chapter 08), a reading thread and a writer thread per member.
//!
//! ```text
//! chat-server                          # listens on 127.0.0.1:7878; Ctrl-C stops it cleanly
//! chat-server --addr 127.0.0.1:0       # any free port; the `listening on` line says which
//! chat-server --queue 4 --trace        # a small queue to see lines skipped, every socket call on stderr
//! ```

use std::process::ExitCode;

use anyhow::{Context, Result};
use chat::{DEFAULT_MAX_LINE, DEFAULT_MAX_MEMBERS, DEFAULT_QUEUE, RoomConfig, Summary, serve};
use clap::Parser;
use shared::cli::{ListenArgs, TraceArg};
use threaded_server::{backlog_for, listen, stop_on_ctrl_c};

/// The biggest `--max-members`: 10,000. Each member is two threads here; past a few thousand, a thread per
/// socket is the wrong design (lesson 09 serves many sockets on one thread).
const MAX_MAX_MEMBERS: u32 = 10_000;

/// The biggest `--max-line` and `--queue`: with both at the top, one member could make the room hold
/// 64 KiB x 4096 = 256 MiB, which is already more than a chat should.
const MAX_MAX_LINE: u32 = 64 * 1024;
const MAX_QUEUE: u32 = 4096;

/// Serve a chat room over TCP, usable with `nc`: the first line is your name, then each line goes to every
/// other member. `/who` lists the members, `/quit` leaves. Ctrl-C stops the server.
#[derive(Parser, Debug)]
#[command(name = "chat-server", version)]
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

    /// Each member's bound: how many lines may wait for it. When its queue is full, newer lines for it are
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
                "stopped: served {} connection(s), turned {} away, closed {} at the stop",
                summary.served, summary.turned_away, summary.closed_at_stop
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("chat-server: {err:#}");
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
    // ANCHOR: ctrl_c
    // Lesson 03's stop: Ctrl-C (or SIGTERM) sets a flag and connects to wake the accept loop. Then `serve`
    // shuts down every connection (each member leaves the usual way) and waits for the threads. A second
    // Ctrl-C exits at once.
    let stop = stop_on_ctrl_c(&listener)?;
    // ANCHOR_END: ctrl_c
    shared::announce_listening(addr).context("printing the address on stdout")?;
    let config = RoomConfig {
        max_members: cli.max_members as usize,
        max_line: cli.max_line as usize,
        queue: cli.queue as usize,
    };
    serve(listener, &config, &stop, &trace).with_context(|| format!("accepting members on {addr}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_library_defaults() {
        let cli = Cli::parse_from(["chat-server"]);
        let defaults = RoomConfig::default();
        assert_eq!(cli.max_members as usize, defaults.max_members);
        assert_eq!(cli.max_line as usize, defaults.max_line);
        assert_eq!(cli.queue as usize, defaults.queue);
    }
}
