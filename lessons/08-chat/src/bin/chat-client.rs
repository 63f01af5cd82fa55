//! `chat-client`: a chat client both ways at once. What the server sends is printed as it arrives, while
//! you type; each line you type is sent. Ctrl-D (end of input) stops sending, and the client prints what
//! is left until the server closes.
//!
//! ```text
//! chat-client 127.0.0.1:7878 --name alice
//! printf 'hello\n/quit\n' | chat-client 127.0.0.1:7878 --name bob
//! ```

use std::io::{self, BufReader, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use shared::ServerAddr;
use shared::cli::TraceArg;

/// How long connecting may take: loopback answers at once, a distant server within a few seconds.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Chat in a room served by `chat-server` (or any server of the room protocol): what arrives is printed as
/// it arrives, while you type. The first line you type is your name, unless `--name` gives it.
#[derive(Parser, Debug)]
#[command(name = "chat-client", version)]
struct Cli {
    /// The server.
    #[arg(value_name = "HOST:PORT", default_value = "localhost:7878")]
    server: ServerAddr,

    /// Send this name first, instead of typing it.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    #[command(flatten)]
    trace: TraceArg,
}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("chat-client: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    let trace = cli.trace.tracer();
    let stream = connect(&cli.server, &trace)?;
    if let Some(name) = &cli.name {
        (&stream)
            .write_all(format!("{name}\n").as_bytes())
            .context("sending the name")?;
    }
    let input = BufReader::new(io::stdin());
    chat::chat(stream, input, io::stdout(), &trace)
        .with_context(|| format!("chatting with {}", cli.server))
    // Returning from `main` ends the process, and with it the input thread, still blocked reading the
    // terminal: no call can wake it, and there is nothing left for it to do.
}

/// Connects to the first address of `server` that answers, with lesson 01's `connect`.
fn connect(server: &ServerAddr, trace: &shared::trace::Trace) -> Result<TcpStream> {
    let addrs = server
        .resolve()
        .with_context(|| format!("resolving {server}"))?;
    basic_client::connect(&addrs, CONNECT_TIMEOUT, trace).map_err(|err| {
        anyhow::anyhow!("connecting to {server}: {err} - is the chat server running?")
    })
}
