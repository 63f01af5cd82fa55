//! `basic-client`: connect, optionally send a request, print what the server sends until it closes.
//!
//! ```text
//! basic-client                          # localhost 7878, e.g. the lesson 02 server
//! basic-client example.org 80 --send 'GET / HTTP/1.0' --send ''
//! basic-client --trace --send Alice     # see every socket call on stderr
//! ```

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use basic_client::{connect, receive_text, send_request};
use clap::Parser;
use shared::cli::{TraceArg, parse_duration};
use shared::trace::{Traced, is_timeout};

/// Connect to a TCP server, optionally send lines, and print what it sends until it closes the connection.
#[derive(Parser, Debug)]
#[command(name = "basic-client", version)]
struct Cli {
    /// Host name or IP address of the server. A name may resolve to several addresses; each is tried.
    #[arg(default_value = "localhost")]
    host: String,

    /// TCP port of the server (1 to 65535).
    #[arg(default_value_t = shared::DEFAULT_PORT, value_parser = clap::value_parser!(u16).range(1..))]
    port: u16,

    /// A line to send (a newline is added). Repeat for several lines. After the last one the client
    /// shuts down its sending side, so the server sees the end of the request.
    #[arg(long, value_name = "LINE")]
    send: Vec<String>,

    /// Give up on an address that does not accept within this time (e.g. 500ms, 2s).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    connect_timeout: Duration,

    /// Give up when the server sends nothing for this long (e.g. 500ms, 30s).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    read_timeout: Duration,

    #[command(flatten)]
    trace: TraceArg,
}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("basic-client: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    let trace = cli.trace.tracer();
    let target = format!("{}:{}", cli.host, cli.port);

    // Name resolution (DNS, /etc/hosts) happens before any socket exists, and can fail on its own.
    let addrs: Vec<SocketAddr> = (cli.host.as_str(), cli.port)
        .to_socket_addrs()
        .map_err(|err| {
            anyhow::anyhow!("resolving {}: {err} - {}", cli.host, host_advice(&cli.host))
        })?
        .collect();
    trace.event(format_args!("resolve {} -> {addrs:?}", cli.host));

    let stream = connect(&addrs, cli.connect_timeout, &trace).map_err(|err| {
        let tried = addrs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let advice = match err.kind() {
            io::ErrorKind::ConnectionRefused => {
                "nothing listens there: is the server running? Start the lesson 02 server with \
                 `cargo run -p single-server`, or `nc -l 127.0.0.1 7878`"
            }
            _ if is_timeout(&err) => {
                "no answer at all: is the address right, or is a firewall dropping packets?"
            }
            _ => "check the host and port",
        };
        anyhow::anyhow!("connecting to {target} (tried {tried}): {err} - {advice}")
    })?;
    let peer = stream
        .peer_addr()
        .context("asking the socket for its peer")?;
    // Without a read timeout, a server that keeps the connection open and says nothing would keep us
    // waiting forever.
    stream
        .set_read_timeout(Some(cli.read_timeout))
        .context("setting the read timeout")?;
    let mut stream = Traced::new(stream, trace);

    if !cli.send.is_empty() {
        let mut request = String::new();
        for line in &cli.send {
            request.push_str(line);
            request.push('\n');
        }
        send_request(&mut stream, request.as_bytes())
            .with_context(|| format!("sending the request to {peer}"))?;
    }

    match receive_text(&stream, io::stdout().lock()) {
        Ok(_) => Ok(()),
        Err(err) if is_timeout(&err) => bail!(
            "reading from {peer}: nothing arrived for {:?} (--read-timeout) - the server is connected but \
             silent; is it waiting for a request? Try --send LINE",
            cli.read_timeout
        ),
        Err(err) => Err(err).with_context(|| format!("reading from {peer}")),
    }
}

/// What to try when `host` did not resolve. `127.0.0.1:7878` is how servers print their address, so it is
/// a natural thing to paste here; this program takes the host and the port as two arguments.
fn host_advice(host: &str) -> String {
    let unbracketed = |addr: &str| {
        addr.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string()
    };
    match host.rsplit_once(':') {
        // `name:port`, `1.2.3.4:port` or `[::1]:port`; a bare IPv6 address has colons but no brackets.
        Some((addr, port))
            if port.parse::<u16>().is_ok() && (!addr.contains(':') || addr.ends_with(']')) =>
        {
            format!(
                "give the host and the port as two arguments: basic-client {} {port}",
                unbracketed(addr)
            )
        }
        _ if host.starts_with('[') => {
            format!(
                "write an IPv6 address without brackets: basic-client {}",
                unbracketed(host)
            )
        }
        _ => "is the host name spelled right?".to_string(),
    }
}
