//! One connection's task, from `Welcome!` to its close, and what each line asks of the room (lesson 08's
//! protocol). Given code, the same in the exercise and the solution: it calls your [`read_line`] (step 2),
//! [`tell_others`] (step 3) and [`member_loop`] (step 4).
// Until your functions in exercise.rs use them, some of these are unused in the exercise build.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use chat::protocol::{self, NOT_UTF8, Request, UNKNOWN_COMMAND, line_too_long};
use shared::trace::Trace;
use single_server::Line;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, watch};

use crate::{Place, Room, Said, TracedStream, member_loop, read_line, tell_others};

/// What a member's task keeps once the member has a name.
#[derive(Debug)]
pub struct Member {
    pub id: u64,
    pub name: String,
    /// Its receiver of the room's lines (step 3).
    pub said: broadcast::Receiver<Said>,
    /// What has arrived from its socket and is not a whole line yet. It lives here, outside any future,
    /// so that nothing read is lost when `select!` drops a read that was waiting (step 4).
    pub input: Vec<u8>,
}

// ANCHOR: serve_member
/// One connection's task: the welcome, a name, then [`member_loop`] until the member leaves. `place` is
/// given back when this ends (or the task is aborted), and the member leaves then if it has not yet.
/// What ends it early (a reset, a failed write) is said in the trace.
pub async fn serve_member(
    stream: TcpStream,
    peer: SocketAddr,
    place: Place,
    room: Arc<Room>,
    stop: watch::Receiver<bool>,
    trace: Trace,
) {
    let trace = trace.labelled(peer);
    let stream = TracedStream::new(stream, trace.clone());
    if let Err(err) = session(stream, &place, &room, stop).await {
        trace.event(format_args!("connection ended: {err}"));
    }
}

/// [`serve_member`]'s work, on any stream (the tests give it one they watch).
pub async fn session<S>(
    mut stream: S,
    place: &Place,
    room: &Room,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    stream.write_all(protocol::WELCOME.as_bytes()).await?;
    let mut input = Vec::new();
    // The stop may come while a connection still chooses its name: then it just ends.
    let chosen = tokio::select! {
        chosen = choose_name(&mut stream, &mut input, room, place.id) => chosen?,
        _ = stop.changed() => None,
    };
    let Some((name, said)) = chosen else {
        return Ok(());
    };
    let mut member = Member {
        id: place.id,
        name,
        said,
        input,
    };
    let end = member_loop(&mut stream, &mut member, room, &mut stop).await;
    room.leave(member.id);
    end
}
// ANCHOR_END: serve_member

/// Reads name lines until [`Room::join`] accepts one: the name and the member's receiver, or `None` when
/// the connection ended first (end of stream, or a line over the cap, which is answered).
async fn choose_name<S>(
    stream: &mut S,
    input: &mut Vec<u8>,
    room: &Room,
    id: u64,
) -> io::Result<Option<(String, broadcast::Receiver<Said>)>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let bytes = match read_line(stream, input, room.config.max_line).await? {
            Line::Complete(bytes) => bytes,
            Line::TooLong => {
                stream
                    .write_all(line_too_long(room.config.max_line).as_bytes())
                    .await?;
                return Ok(None);
            }
            Line::EndOfStream => return Ok(None),
        };
        let Ok(name) = String::from_utf8(bytes) else {
            stream.write_all(NOT_UTF8.as_bytes()).await?;
            continue;
        };
        match room.join(id, &name) {
            Ok((online, said)) => {
                stream.write_all(online.as_bytes()).await?;
                return Ok(Some((name, said)));
            }
            Err(refusal) => stream.write_all(refusal.as_bytes()).await?,
        }
    }
}

/// What the member's task does after a line from its member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Nothing more (an empty line, or a message, already told to the others).
    Nothing,
    /// Write this line to the member, and go on.
    Answer(String),
    /// The membership ends: write this line first, if any, then return.
    End(Option<String>),
}

// ANCHOR: respond
/// What `line`, read from `member`'s socket, asks of the room: messages go to the others (through your
/// [`tell_others`]), commands get their answer, and `/quit`, end of stream or a line over the cap end it.
pub fn respond(room: &Room, member: &Member, line: Line) -> Reply {
    let bytes = match line {
        Line::Complete(bytes) => bytes,
        Line::EndOfStream => return Reply::End(None),
        Line::TooLong => return Reply::End(Some(line_too_long(room.config.max_line))),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Reply::Answer(NOT_UTF8.to_string());
    };
    match protocol::request(text) {
        Request::Nothing => Reply::Nothing,
        Request::Quit => Reply::End(None),
        Request::Who => Reply::Answer(room.who()),
        Request::Unknown => Reply::Answer(UNKNOWN_COMMAND.to_string()),
        Request::Say(text) => {
            tell_others(
                &room.said,
                member.id,
                &protocol::message(&member.name, text),
            );
            Reply::Nothing
        }
    }
}
// ANCHOR_END: respond
