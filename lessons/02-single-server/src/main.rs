//! `single-server`: the greeting protocol, one client at a time.
//!
//! ```text
//! single-server                          # listens on 127.0.0.1:7878
//! single-server --addr 127.0.0.1:0       # any free port; the `listening on` line says which
//! single-server --once --trace           # serve one client, show every socket call on stderr, exit
//! ```

use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use shared::cli::{ListenArgs, TraceArg, parse_duration};
use single_server::{Config, DEFAULT_MAX_LINE, serve};

/// The biggest `--max-line` accepted: 16 MiB. The server may hold this much for a client; a typo of a few
/// zeros should not let one client take gigabytes.
const MAX_MAX_LINE: u32 = 16 * 1024 * 1024;

/// Serve the greeting protocol over TCP, one client at a time: `Welcome`, then `Hello, X!` for each line X,
/// until the client sends `exit` or closes.
#[derive(Parser, Debug)]
#[command(name = "single-server", version)]
struct Cli {
    #[command(flatten)]
    listen: ListenArgs,

    /// Serve one client, then exit with status 0.
    #[arg(long)]
    once: bool,

    /// The longest line accepted, in bytes before its newline. A longer line gets an error line and the
    /// connection is closed.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE as u32,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_MAX_LINE)))]
    max_line: u32,

    /// Drop a client that sends nothing (or does not read the replies) for this long (e.g. 500ms, 60s).
    // Keep in step with `DEFAULT_IDLE_TIMEOUT` (a test below checks).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    idle_timeout: Duration,

    #[command(flatten)]
    trace: TraceArg,
}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("single-server: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    let trace = cli.trace.tracer();
    // `bind` is Python's `socket()`, `bind()` and `listen()` in one call (on Unix with `SO_REUSEADDR` too,
    // so a restarted server can bind while old connections linger in TIME_WAIT). std asks for a backlog of
    // 128 (Python: `listen(128)`): that many clients can finish their handshake and wait while we serve
    // someone else; the kernel caps it at `net.core.somaxconn`. A bigger backlog would only let more clients
    // wait longer for this one-at-a-time server; a client past a full backlog sees its connect hang (Linux
    // drops its handshake and it retries) or fail.
    let listener = TcpListener::bind(cli.listen.addr)
        .map_err(|err| anyhow::anyhow!(shared::bind_error_message(cli.listen.addr, &err)))?;
    // With port 0 the kernel chose the port: only the bound socket knows which.
    let addr = listener
        .local_addr()
        .context("asking the listener for its address")?;
    trace.event(format_args!("bind {addr}, listen (backlog 128)"));
    shared::announce_listening(addr).context("printing the address on stdout")?;

    let config = Config {
        max_line: cli.max_line as usize,
        idle_timeout: cli.idle_timeout,
        max_clients: cli.once.then_some(1),
    };
    serve(listener, &config, &trace).with_context(|| format!("accepting clients on {addr}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use single_server::DEFAULT_IDLE_TIMEOUT;

    #[test]
    fn defaults_are_the_library_defaults() {
        let cli = Cli::parse_from(["single-server"]);
        assert_eq!(cli.idle_timeout, DEFAULT_IDLE_TIMEOUT);
        assert_eq!(cli.max_line as usize, DEFAULT_MAX_LINE);
        assert_eq!(cli.listen.addr.port(), shared::DEFAULT_PORT);
    }
}
