//! What one line from a member asks of the room: its name first, then messages and commands (chapter 08's
//! room protocol, with lesson 08's lines). Given code, the same in the exercise and the solution: it is
//! lesson 08's session, but called by the loop for each line instead of looping itself.

use chat::protocol::{
    self, NOT_UTF8, Request, UNKNOWN_COMMAND, invalid_name, is_valid_name, joined, name_taken,
};
use mio::Token;

use crate::{Room, broadcast, offer};

/// Does what `line` (one line from `token`'s member, without its line ending) asks.
pub fn on_line(room: &mut Room, token: Token, line: Vec<u8>) {
    let Some(member) = room.members.get(&token) else {
        return;
    };
    if member.closing {
        return; // after `/quit`, the rest of what it sent is not read
    }
    let name = member.name.clone();
    let Ok(text) = String::from_utf8(line) else {
        tell(room, token, NOT_UTF8);
        return;
    };
    match name {
        None => choose_name(room, token, &text),
        Some(name) => on_request(room, token, &name, protocol::request(&text)),
    }
}

/// The first line is the name: invalid or taken gets an error and the member tries again.
fn choose_name(room: &mut Room, token: Token, name: &str) {
    if !is_valid_name(name) {
        tell(room, token, &invalid_name(name));
    } else if room.is_taken(name) {
        tell(room, token, &name_taken(name));
    } else {
        room.name_member(token, name);
        let online = protocol::online(room.names());
        tell(room, token, &online);
        broadcast(room, token, &joined(name));
    }
}

fn on_request(room: &mut Room, token: Token, name: &str, request: Request<'_>) {
    match request {
        Request::Nothing => {}
        Request::Quit => close_after_flush(room, token),
        Request::Who => {
            let online = protocol::online(room.names());
            tell(room, token, &online);
        }
        Request::Unknown => tell(room, token, UNKNOWN_COMMAND),
        Request::Say(text) => broadcast(room, token, &protocol::message(name, text)),
    }
}

/// Queues `line` for `token`'s member alone (through its bounded outbox, as every line) and marks it to
/// be written.
pub fn tell(room: &mut Room, token: Token, line: &str) {
    let queue = room.config.queue;
    if let Some(member) = room.members.get_mut(&token) {
        offer(&mut member.outbox, line, queue);
        room.pending.insert(token);
    }
}

/// The member is done talking: read nothing more from it, and close it once what waits for it is written.
pub fn close_after_flush(room: &mut Room, token: Token) {
    if let Some(member) = room.members.get_mut(&token) {
        member.closing = true;
        member.input.clear();
        room.pending.insert(token);
    }
}
