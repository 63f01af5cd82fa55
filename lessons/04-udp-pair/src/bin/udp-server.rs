//! `udp-server`: answers each datagram `X` with `Hello, X!`, sent back to its sender.
//!
//! ```text
//! udp-server                          # listens on UDP 127.0.0.1:7878
//! udp-server --addr 127.0.0.1:0       # any free port; the `listening on` line says which
//! udp-server --drop-every 2 --trace   # ignore every 2nd datagram, as a lossy network would
//! ```

use std::net::UdpSocket;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use shared::cli::{ListenArgs, TraceArg};
use udp_pair::{DEFAULT_MAX_DATAGRAM, ServerConfig, serve};

/// The biggest `--max-datagram`: 65,507 bytes, the most a UDP datagram can carry over IPv4 (65,535 for the
/// IP packet, minus 20 for the IP header and 8 for the UDP header).
const MAX_MAX_DATAGRAM: u32 = 65_507;

/// Answer UDP datagrams: each datagram X gets `Hello, X!` back, sent to the address it came from. There is no
/// connection: one socket serves every client.
#[derive(Parser, Debug)]
#[command(name = "udp-server", version)]
struct Cli {
    #[command(flatten)]
    listen: ListenArgs,

    /// The biggest request accepted, in bytes. A bigger datagram gets an error reply.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DATAGRAM as u32,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_MAX_DATAGRAM)))]
    max_datagram: u32,

    /// Ignore every Nth datagram (the Nth, the 2Nth, ...), as a lossy network would, to see a client retry.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    drop_every: Option<u64>,

    #[command(flatten)]
    trace: TraceArg,
}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("udp-server: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    let trace = cli.trace.tracer();
    // ANCHOR: bind
    // Python's `socket(AF_INET, SOCK_DGRAM)` and `bind()`. No `listen`: there are no connections to queue.
    let socket = UdpSocket::bind(cli.listen.addr)
        .map_err(|err| anyhow::anyhow!(shared::bind_error_message(cli.listen.addr, &err)))?;
    // ANCHOR_END: bind
    let addr = socket
        .local_addr()
        .context("asking the socket for its address")?;
    trace.event(format_args!("bind {addr} (UDP)"));
    shared::announce_listening(addr).context("printing the address on stdout")?;
    let config = ServerConfig {
        max_datagram: cli.max_datagram as usize,
        drop_every: cli.drop_every,
    };
    serve(&socket, &config, &trace).with_context(|| format!("serving on {addr}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_library_defaults() {
        let cli = Cli::parse_from(["udp-server"]);
        let defaults = ServerConfig::default();
        assert_eq!(cli.max_datagram as usize, defaults.max_datagram);
        assert_eq!(cli.drop_every, defaults.drop_every);
        assert_eq!(cli.listen.addr.port(), shared::DEFAULT_PORT);
    }
}
