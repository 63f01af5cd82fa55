//! `threaded-server`: the greeting protocol, a thread per client, at most `--max-clients` at once.
//!
//! ```text
//! threaded-server                          # listens on 127.0.0.1:7878; Ctrl-C stops it cleanly
//! threaded-server --addr 127.0.0.1:0       # any free port; the `listening on` line says which
//! threaded-server --max-clients 2 --trace  # a small bound to try by hand, every socket call on stderr
//! ```

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use shared::cli::{ListenArgs, TraceArg, parse_duration};
use single_server::DEFAULT_MAX_LINE;
use threaded_server::{
    Config, DEFAULT_MAX_CLIENTS, Summary, backlog_for, listen, serve, stop_on_ctrl_c,
};

/// The biggest `--max-clients` accepted: 10,000. Each client is a thread and two file descriptors; past a
/// few thousand, a thread per client is the wrong design (lesson 08 serves many sockets on one thread).
const MAX_MAX_CLIENTS: u32 = 10_000;

/// The biggest `--max-line` accepted: 16 MiB, as in lesson 02. Times `--max-clients`, it is what clients
/// can make the server hold.
const MAX_MAX_LINE: u32 = 16 * 1024 * 1024;

/// Serve the greeting protocol over TCP, each client on its own thread: `Welcome`, then `Hello, X!` for each
/// line X, `online: N, served: M` for the line `who`, until the client sends `exit` or closes. Ctrl-C stops
/// the server: no new clients, the connected ones get a grace period to finish.
#[derive(Parser, Debug)]
#[command(name = "threaded-server", version)]
struct Cli {
    #[command(flatten)]
    listen: ListenArgs,

    /// Serve at most this many clients at once. One more gets `busy, try again later` and is closed. The
    /// listen backlog is as big, for a burst of that many clients (at least 128, at most the system's limit).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CLIENTS as u32,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_MAX_CLIENTS)))]
    max_clients: u32,

    /// The longest line accepted, in bytes before its newline. A longer line gets an error line and the
    /// connection is closed.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE as u32,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_MAX_LINE)))]
    max_line: u32,

    /// Drop a client that sends nothing (or does not read the replies) for this long (e.g. 500ms, 60s).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    idle_timeout: Duration,

    /// After Ctrl-C, how long connected clients may go on before their connections are closed.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    grace: Duration,

    #[command(flatten)]
    trace: TraceArg,
}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(summary) => {
            eprintln!(
                "stopped: served {} client(s), turned {} away, closed {} at the stop",
                summary.served, summary.turned_away, summary.closed_at_stop
            );
            if summary.panicked > 0 {
                // Each panic ended one session; its message is above. A bug to fix all the same.
                eprintln!("{} client session(s) panicked", summary.panicked);
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("threaded-server: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<Summary> {
    let trace = cli.trace.tracer();
    // Room in the backlog for a burst of as many clients as the server serves (std's bind gives 128).
    let backlog = backlog_for(cli.max_clients as usize);
    let listener = listen(cli.listen.addr, backlog)
        .map_err(|err| anyhow::anyhow!(shared::bind_error_message(cli.listen.addr, &err)))?;
    let addr = listener
        .local_addr()
        .context("asking the listener for its address")?;
    trace.event(format_args!("bind {addr}, listen (backlog {backlog})"));

    // Ctrl-C (or SIGTERM) stops the server: `stop_on_ctrl_c` in src/stop.rs.
    let stop = stop_on_ctrl_c(&listener)?;
    shared::announce_listening(addr).context("printing the address on stdout")?;

    let config = Config {
        max_clients: cli.max_clients as usize,
        max_line: cli.max_line as usize,
        idle_timeout: cli.idle_timeout,
        grace: cli.grace,
    };
    serve(listener, &config, &stop, &trace).with_context(|| format!("accepting clients on {addr}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use threaded_server::DEFAULT_GRACE;

    #[test]
    fn defaults_are_the_library_defaults() {
        let cli = Cli::parse_from(["threaded-server"]);
        let defaults = Config::default();
        assert_eq!(cli.max_clients as usize, defaults.max_clients);
        assert_eq!(cli.max_line as usize, defaults.max_line);
        assert_eq!(cli.idle_timeout, defaults.idle_timeout);
        assert_eq!(cli.grace, DEFAULT_GRACE);
        assert_eq!(cli.listen.addr.port(), shared::DEFAULT_PORT);
    }
}
