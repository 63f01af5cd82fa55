//! The greeting protocol on tokio: one task per client instead of one thread. Not part of the lesson (async
//! Rust is lesson 10); it is the async peer in the chapter's measurement (`compare.sh`), which needs a
//! server of the same protocol that does not start a thread per client, to show where threads stop
//! scaling.
//!
//! ```text
//! cargo run --release -p threaded-server --example tokio_greeting_server -- --addr 127.0.0.1:0
//! ```
//!
//! Same lines as `threaded-server`: `Welcome`, `Hello, X!` for each line X, `online: N, served: M` for
//! `who`, `exit` or end of stream to leave, `error: line too long (max N bytes)` and the close for a line
//! over `--max-line`, `error: line is not UTF-8` and the session goes on, `busy, try again later` for a
//! client over `--max-clients`; the same listen backlog (`backlog_for`). Left out: the idle timeout (it
//! would need tokio's `time` feature; the measurement's clients are never idle) and a clean stop (the
//! script kills the server).

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, Result};
use clap::Parser;
use shared::cli::ListenArgs;
use shared::greeting::{BUSY, EXIT, WELCOME, hello};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Serve the greeting protocol on tokio, one task per client (the async peer of threaded-server, for the
/// chapter's measurement).
#[derive(Parser, Debug)]
#[command(name = "tokio_greeting_server")]
struct Cli {
    #[command(flatten)]
    listen: ListenArgs,

    /// Serve at most this many clients at once. One more gets `busy, try again later` and is closed.
    #[arg(long, value_name = "N", default_value_t = threaded_server::DEFAULT_MAX_CLIENTS,
          value_parser = clap::value_parser!(usize))]
    max_clients: usize,

    /// The longest line accepted, in bytes before its newline.
    #[arg(long, value_name = "BYTES", default_value_t = single_server::DEFAULT_MAX_LINE)]
    max_line: usize,
}

/// Who is online and how many were served, behind one lock as in lesson 03. A std `Mutex` is fine in async
/// code when it is never held across an `.await`.
#[derive(Default)]
struct Roster {
    online: usize,
    served: u64,
}

/// A client's place, given back when its task ends (however it ends), as lesson 03's `Seat`.
struct Seat(Arc<Mutex<Roster>>);

impl Drop for Seat {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).online -= 1;
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // A runtime with one worker thread per CPU, which all the clients' tasks share.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(serve(&cli))
}

async fn serve(cli: &Cli) -> Result<()> {
    let addr = cli.listen.addr;
    let listener = threaded_server::listen(addr, threaded_server::backlog_for(cli.max_clients))
        .map_err(|err| anyhow::anyhow!(shared::bind_error_message(addr, &err)))?;
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    shared::announce_listening(listener.local_addr()?).context("printing the address")?;

    let roster = Arc::new(Mutex::new(Roster::default()));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors, say: a short pause, so a failure that repeats does not spin.
                // (A blocking sleep holds one worker thread for that moment; the others go on.)
                eprintln!("accept failed: {err} (trying again)");
                std::thread::sleep(std::time::Duration::from_millis(50));
                continue;
            }
        };
        let Some(seat) = admit(&roster, cli.max_clients) else {
            tokio::spawn(turn_away(stream));
            continue;
        };
        let (roster, max_line) = (Arc::clone(&roster), cli.max_line);
        tokio::spawn(async move {
            let _seat = seat;
            if let Err(err) = greet(stream, max_line, &roster).await {
                eprintln!("client {peer}: {err}");
            }
        });
    }
}

/// A place for one more client, if fewer than `max` are online: the check and the taking under one lock.
fn admit(roster: &Arc<Mutex<Roster>>, max: usize) -> Option<Seat> {
    let mut counts = roster.lock().unwrap_or_else(PoisonError::into_inner);
    if counts.online >= max {
        return None;
    }
    counts.online += 1;
    counts.served += 1;
    Some(Seat(Arc::clone(roster)))
}

async fn turn_away(mut stream: TcpStream) {
    let _ = stream.write_all(BUSY.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// One client's session: lesson 02's protocol, with `who`.
async fn greet(stream: TcpStream, max_line: usize, roster: &Mutex<Roster>) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer.write_all(WELCOME.as_bytes()).await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        // At most `max_line` bytes and the newline: one byte more proves the line too long.
        let limit = max_line as u64 + 1;
        (&mut reader)
            .take(limit)
            .read_until(b'\n', &mut line)
            .await?;
        if line.last() != Some(&b'\n') {
            if line.len() <= max_line {
                // The end of the stream, perhaps in the middle of a line: the client is gone.
                return writer.shutdown().await;
            }
            let error = format!("error: line too long (max {max_line} bytes)\n");
            writer.write_all(error.as_bytes()).await?;
            writer.shutdown().await?;
            // Closing with unread bytes would send a reset that can destroy the error line: read and drop
            // what the client still sends, at most 16 reads of 4 KiB, as lesson 02's `close_politely`
            // (without its 1 s limit: this server has no timers).
            let mut sink = [0u8; 4096];
            for _ in 0..16 {
                if reader.read(&mut sink).await? == 0 {
                    break;
                }
            }
            return Ok(());
        }
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let reply = match std::str::from_utf8(&line) {
            Err(_) => "error: line is not UTF-8\n".to_string(),
            Ok(text) if text == EXIT => return writer.shutdown().await,
            Ok("who") => {
                let counts = roster.lock().unwrap_or_else(PoisonError::into_inner);
                format!("online: {}, served: {}\n", counts.online, counts.served)
            }
            Ok(text) => hello(text),
        };
        writer.write_all(reply.as_bytes()).await?;
    }
}
