//! `chat-client-async`: lesson 08's chat client as one tokio task: what the server sends is printed as it
//! arrives, while you type; each line you type is sent. Ctrl-D (end of input) stops sending, and the
//! client prints what is left until the server closes.
//!
//! ```text
//! chat-client-async 127.0.0.1:7878 --name alice
//! printf 'hello\n/quit\n' | chat-client-async 127.0.0.1:7878 --name bob
//! ```

use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use async_chat::TracedStream;
use clap::Parser;
use shared::ServerAddr;
use shared::cli::TraceArg;
use tokio::sync::mpsc;

/// How long connecting may take: loopback answers at once, a distant server within a few seconds.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How many typed lines may wait for the socket: a paste of a few thousand lines waits in the terminal,
/// not in memory.
const TYPED_LINES: usize = 64;

/// Chat in a room served by `chat-server-async` (or any server of the room protocol): what arrives is
/// printed as it arrives, while you type. The first line you type is your name, unless `--name` gives it.
#[derive(Parser, Debug)]
#[command(name = "chat-client-async", version)]
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
            eprintln!("chat-client-async: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    let trace = cli.trace.tracer();
    // Connecting is the one thing to do before anything else, so it may block: lesson 01's `connect`.
    let addrs = cli
        .server
        .resolve()
        .with_context(|| format!("resolving {}", cli.server))?;
    let stream = basic_client::connect(&addrs, CONNECT_TIMEOUT, &trace).map_err(|err| {
        anyhow::anyhow!(
            "connecting to {}: {err} - is the chat server running?",
            cli.server
        )
    })?;
    if let Some(name) = &cli.name {
        (&stream)
            .write_all(format!("{name}\n").as_bytes())
            .context("sending the name")?;
    }
    stream
        .set_nonblocking(true)
        .context("making the socket non-blocking")?;
    let typed = spawn_typing();
    // One task, one thread: nothing here needs more.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(async {
        let stream = tokio::net::TcpStream::from_std(stream).context("registering the socket")?;
        async_chat::chat(TracedStream::new(stream, trace), typed, tokio::io::stdout())
            .await
            .with_context(|| format!("chatting with {}", cli.server))
    })
    // Returning from `main` ends the process, and with it the typing thread, still blocked reading the
    // terminal: as in lesson 08, no call can wake it, and there is nothing left for it to do.
}

/// Reads the lines typed, on a thread of its own, into a channel; the channel closes at end of input.
fn spawn_typing() -> mpsc::Receiver<String> {
    let (lines, typed) = mpsc::channel(TYPED_LINES);
    thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            // Fails once the chat has ended: nothing more to send.
            if lines.blocking_send(line).is_err() {
                break;
            }
        }
    });
    typed
}
