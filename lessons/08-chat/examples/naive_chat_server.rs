//! A naive room server, written to be measured, not to be copied: the same room protocol as `chat-server`,
//! but with no queues and no writer threads. Each member's reading thread writes a line to every other
//! member itself, *while holding the roster's lock*. It is what a first chat server usually is, and what
//! `book/src/08-chat/compare.sh` runs beside `chat-server` with one member that never reads: once that
//! member's socket buffers are full, one `write` blocks, with the lock held, and the whole room waits.
//!
//! `cargo run --release -p chat --example naive_chat_server -- --addr 127.0.0.1:0`. It takes the options
//! every room server takes; `--queue` is accepted and ignored (there is no queue), and so is `--trace`.

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use chat::protocol::{self, Request};
use clap::Parser;
use shared::cli::{ListenArgs, TraceArg};
use single_server::{Line, read_line};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    listen: ListenArgs,
    #[arg(long, default_value_t = chat::DEFAULT_MAX_MEMBERS)]
    max_members: usize,
    #[arg(long, default_value_t = chat::DEFAULT_MAX_LINE)]
    max_line: usize,
    /// Accepted for the room servers' common options; this server has no queue.
    #[arg(long, default_value_t = chat::DEFAULT_QUEUE)]
    queue: usize,
    #[command(flatten)]
    trace: TraceArg,
}

/// The roster: id, name and the socket itself. Writing to the sockets happens under this lock.
type Roster = Arc<Mutex<Vec<(u64, String, TcpStream)>>>;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let listener = TcpListener::bind(cli.listen.addr)?;
    shared::announce_listening(listener.local_addr()?)?;
    let roster: Roster = Arc::default();
    let open = Arc::new(Mutex::new(0usize));
    for (id, stream) in listener.incoming().enumerate() {
        let Ok(mut stream) = stream else { continue };
        {
            let mut open = open.lock().unwrap();
            if *open >= cli.max_members {
                let _ = stream.write_all(protocol::BUSY.as_bytes());
                continue;
            }
            *open += 1;
        }
        let (roster, open, max_line) = (Arc::clone(&roster), Arc::clone(&open), cli.max_line);
        thread::spawn(move || {
            let _ = member(stream, id as u64, &roster, max_line);
            *open.lock().unwrap() -= 1;
        });
    }
    Ok(())
}

/// The naive broadcast: lock, write to each other member, unlock. A member whose buffers are full blocks
/// the `write_all`, and with it everyone waiting for the lock.
fn broadcast(roster: &Roster, from: u64, line: &str) {
    let members = roster.lock().unwrap();
    for (id, _, stream) in members.iter() {
        if *id != from {
            let _ = (&*stream).write_all(line.as_bytes());
        }
    }
}

fn member(stream: TcpStream, id: u64, roster: &Roster, max_line: usize) -> std::io::Result<()> {
    (&stream).write_all(protocol::WELCOME.as_bytes())?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let name = loop {
        let Ok(Line::Complete(bytes)) = read_line(&mut reader, max_line) else {
            return Ok(());
        };
        let name = String::from_utf8_lossy(&bytes).into_owned();
        let mut members = roster.lock().unwrap();
        if !protocol::is_valid_name(&name) {
            (&stream).write_all(protocol::invalid_name(&name).as_bytes())?;
        } else if members.iter().any(|(_, n, _)| *n == name) {
            (&stream).write_all(protocol::name_taken(&name).as_bytes())?;
        } else {
            members.push((id, name.clone(), stream.try_clone()?));
            let online = protocol::online(members.iter().map(|(_, n, _)| n.as_str()));
            (&stream).write_all(online.as_bytes())?;
            break name;
        }
    };
    broadcast(roster, id, &protocol::joined(&name));
    while let Ok(Line::Complete(bytes)) = read_line(&mut reader, max_line) {
        let Ok(line) = std::str::from_utf8(&bytes) else {
            (&stream).write_all(protocol::NOT_UTF8.as_bytes())?;
            continue;
        };
        match protocol::request(line) {
            Request::Nothing => {}
            Request::Quit => break,
            Request::Who => {
                let members = roster.lock().unwrap();
                let online = protocol::online(members.iter().map(|(_, n, _)| n.as_str()));
                (&stream).write_all(online.as_bytes())?;
            }
            Request::Unknown => (&stream).write_all(protocol::UNKNOWN_COMMAND.as_bytes())?,
            Request::Say(text) => broadcast(roster, id, &protocol::message(&name, text)),
        }
    }
    roster
        .lock()
        .unwrap()
        .retain(|(member, _, _)| *member != id);
    broadcast(roster, id, &protocol::left(&name));
    Ok(())
}
