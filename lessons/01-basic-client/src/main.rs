//! `basic-client`: connect, optionally send a request, print what the server sends until it closes.
//!
//! ```text
//! basic-client                          # localhost:7878, e.g. the lesson 02 server
//! basic-client 127.0.0.1:7878           # the address a server prints, pasted as it is
//! basic-client example.org 80 --send 'GET / HTTP/1.0' --send ''
//! basic-client --trace --send Alice     # see every socket call on stderr
//! ```

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use basic_client::{connect, receive_text, send_request};
use clap::{CommandFactory, Parser};
use shared::ServerAddr;
use shared::cli::{TraceArg, parse_duration};
use shared::trace::{Trace, Traced, is_timeout};

/// Connect to a TCP server, optionally send lines, and print what it sends until it closes the connection.
#[derive(Parser, Debug)]
#[command(name = "basic-client", version)]
struct Cli {
    /// The server, as HOST:PORT: the address a server prints (127.0.0.1:7878, localhost:7878, [::1]:7878).
    /// A name may resolve to several addresses; each is tried.
    #[arg(value_name = "HOST:PORT", default_value = "localhost:7878")]
    server: String,

    /// The port, when the host and the port come as two arguments instead (basic-client example.org 80).
    #[arg(value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    port: Option<u16>,

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
    let server = server_of(cli);
    let stream = connect_to(&server, cli.connect_timeout, &trace)?;
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
        send_request(&mut stream, request_of(&cli.send).as_bytes())
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

/// The server from the command line: `HOST:PORT`, or `HOST PORT` as two arguments. A mistake is a usage
/// error (exit status 2), like clap's own.
fn server_of(cli: &Cli) -> ServerAddr {
    let server = match cli.port {
        Some(port) => ServerAddr::from_parts(&cli.server, port),
        None => cli.server.parse(),
    };
    server.unwrap_or_else(|message| {
        Cli::command()
            .error(clap::error::ErrorKind::ValueValidation, message)
            .exit()
    })
}

/// Resolves the server's name, then connects to the first of its addresses that accepts (step 1's
/// `connect`), with advice when none does.
fn connect_to(server: &ServerAddr, timeout: Duration, trace: &Trace) -> Result<TcpStream> {
    // Name resolution (DNS, /etc/hosts) happens before any socket exists, and can fail on its own.
    let addrs: Vec<SocketAddr> = server.resolve().map_err(|err| {
        anyhow::anyhow!(
            "resolving {}: {err} - is the host name spelled right?",
            server.host
        )
    })?;
    trace.event(format_args!("resolve {} -> {addrs:?}", server.host));
    connect(&addrs, timeout, trace).map_err(|err| {
        let tried: Vec<String> = addrs.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "connecting to {server} (tried {}): {err} - {}",
            tried.join(", "),
            connect_advice(&err)
        )
    })
}

/// What to try when no address accepted the connection.
fn connect_advice(err: &io::Error) -> &'static str {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => {
            "nothing listens there: is the server running? Start the lesson 02 server with \
             `cargo run -p single-server`, or `nc -l 127.0.0.1 7878`"
        }
        _ if is_timeout(err) => {
            "no answer at all: is the address right, or is a firewall dropping packets?"
        }
        _ => "check the host and port",
    }
}

/// The lines of `--send`, each with its newline.
fn request_of(lines: &[String]) -> String {
    lines.iter().map(|line| format!("{line}\n")).collect()
}
