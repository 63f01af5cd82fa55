//! What runs on one connection: the welcome, the name, then the member's lines until it leaves; and the
//! member's writer thread. Given code, the same in the exercise and the solution: it calls the functions
//! you write (`join`, `who`, `broadcast`, `write_queued`, `leave`) at the right moments.
// Until your functions in exercise.rs use them, some of these are unused in the exercise build.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::io::{self, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

use shared::trace::Traced;
use single_server::{Line, read_line};

use crate::protocol::{self, Request};
use crate::{Place, Room, RoomConfig, broadcast, join, leave, who, write_queued};

/// A member, once it has a name: what its reading thread keeps.
struct Joined {
    id: u64,
    name: String,
    /// A sender of its own queue, for the answers to its own lines (`/who`, errors), which go through the
    /// queue like everything else so that only the writer thread writes to the socket.
    own: SyncSender<String>,
    queue: Receiver<String>,
}

// ANCHOR: serve_connection
/// One connection, from `Welcome!` to its close: choose a name, then read the member's lines until it
/// leaves. Runs on the connection's own thread; the member's writer thread runs beside it. The socket is
/// shared (`Arc`), not copied: reading and writing through `&TcpStream` need no second descriptor.
pub fn serve_connection(
    stream: Arc<Traced<TcpStream>>,
    place: Place,
    room: &Arc<Room>,
    config: &RoomConfig,
) -> io::Result<()> {
    (&*stream).write_all(protocol::WELCOME.as_bytes())?;
    let mut reader = BufReader::new(&*stream);
    let Some(member) = choose_name(&mut reader, &stream, room, place.id, config)? else {
        return Ok(());
    };
    // From here on only the writer thread writes to the socket.
    let writer = spawn_writer(&stream, member.queue, room, member.id)?;
    let end = read_member_lines(
        &mut reader,
        room,
        &member.name,
        member.id,
        &member.own,
        config,
    );
    // However the lines ended (`/quit`, end of stream, a reset, a line too long), the member leaves: the
    // others are told, exactly once, even if the writer thread's failed write made it leave already.
    leave(room, member.id);
    // The last sender of the queue goes; the writer writes what is still queued (an error line, say),
    // then ends, and the connection closes when the last holder of `stream` (this thread, or the room's
    // entry, which `place` removes) drops it.
    drop(member.own);
    let _ = writer.join();
    end
}
// ANCHOR_END: serve_connection

/// Reads name lines until one is accepted by [`join`]: the member, or `None` when the connection ended
/// first (end of stream, or a line over the cap, which is answered).
fn choose_name(
    reader: &mut BufReader<&Traced<TcpStream>>,
    stream: &Traced<TcpStream>,
    room: &Room,
    id: u64,
    config: &RoomConfig,
) -> io::Result<Option<Joined>> {
    let mut out = stream;
    loop {
        let bytes = match read_line(reader, config.max_line) {
            Ok(Line::Complete(bytes)) => bytes,
            Ok(Line::TooLong) => {
                out.write_all(protocol::line_too_long(config.max_line).as_bytes())?;
                return Ok(None);
            }
            Ok(Line::EndOfStream) => return Ok(None),
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(err) => return Err(err),
        };
        let Ok(name) = String::from_utf8(bytes) else {
            out.write_all(protocol::NOT_UTF8.as_bytes())?;
            continue;
        };
        // Each member's bound: at most `config.queue` lines wait for its writer thread.
        let (own, queue) = mpsc::sync_channel(config.queue);
        match join(room, id, &name, own.clone()) {
            Ok(online) => {
                out.write_all(online.as_bytes())?;
                return Ok(Some(Joined {
                    id,
                    name,
                    own,
                    queue,
                }));
            }
            Err(refusal) => out.write_all(refusal.as_bytes())?,
        }
    }
}

/// The member's lines, until it leaves: what each asks for, done.
fn read_member_lines(
    reader: &mut BufReader<&Traced<TcpStream>>,
    room: &Room,
    name: &str,
    id: u64,
    own: &SyncSender<String>,
    config: &RoomConfig,
) -> io::Result<()> {
    loop {
        let bytes = match read_line(reader, config.max_line) {
            Ok(Line::Complete(bytes)) => bytes,
            Ok(Line::TooLong) => {
                answer(own, protocol::line_too_long(config.max_line));
                return Ok(());
            }
            Ok(Line::EndOfStream) => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(err) => return Err(err),
        };
        let Ok(line) = std::str::from_utf8(&bytes) else {
            answer(own, protocol::NOT_UTF8.to_string());
            continue;
        };
        match protocol::request(line) {
            Request::Nothing => {}
            Request::Quit => return Ok(()),
            Request::Who => answer(own, who(room)),
            Request::Unknown => answer(own, protocol::UNKNOWN_COMMAND.to_string()),
            Request::Say(text) => broadcast(room, id, &protocol::message(name, text)),
        }
    }
}

/// Queues an answer to the member's own line. A member whose queue is full does not read, so it would
/// not see the answer soon anyway: it is dropped rather than waited for.
fn answer(own: &SyncSender<String>, line: String) {
    let _ = own.try_send(line);
}

// ANCHOR: spawn_writer
/// Starts the member's writer thread: [`write_queued`] from its queue to its socket. When a write fails
/// (the member reset, or the stop shut its socket), the member leaves at once, and its socket is shut down
/// both ways so that its reading thread, blocked in `read`, ends too.
fn spawn_writer(
    stream: &Arc<Traced<TcpStream>>,
    queue: Receiver<String>,
    room: &Arc<Room>,
    id: u64,
) -> io::Result<JoinHandle<()>> {
    let (stream, room) = (Arc::clone(stream), Arc::clone(room));
    thread::Builder::new()
        .name(format!("writer {id}"))
        .spawn(move || {
            if write_queued(queue, &mut &*stream).is_err() {
                let _ = stream.shutdown(Shutdown::Both);
                leave(&room, id);
            }
        })
}
// ANCHOR_END: spawn_writer
