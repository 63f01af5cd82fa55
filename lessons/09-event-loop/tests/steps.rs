//! The exercise of lesson 09, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 9` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 9` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! The steps call your functions directly, the way the loop in `server.rs` does, on real sockets over
//! loopback: the test plays the loop (it calls `poll` and hands you the sockets), so each step needs only
//! the steps before it. Step 5 also runs the whole server (`chat-server-loop`, built from your code).
//! Every socket has a timeout and every wait for an event a deadline, so a step that waits for something
//! that never comes fails within seconds instead of hanging.

mod common;

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;

use common::{NO_EVENT_WITHIN, connected_pair, event_for, listening, next_events, server_end};
use event_loop::{
    BUSY, LISTENER, LineTooLong, Member, Outbox, Reading, Room, RoomConfig, WELCOME,
    accept_waiting, broadcast, interest_for, is_finished, leave, next_line, offer, read_available,
    write_pending,
};
use mio::{Interest, Poll, Token};
use shared::trace::Trace;
use socket2::{Domain, SockRef, Socket, Type};
use test_support::{IO_TIMEOUT, caught, connect, read_line};

/// A room with these limits and no trace.
fn room_with(max_members: usize, queue: usize) -> Room {
    let config = RoomConfig {
        max_members,
        max_line: 64,
        queue,
    };
    Room::new(config, Trace::off())
}

/// A `Poll` whose listener has `clients` connected and waiting, and the room after one call of your
/// `accept_waiting` for the listener's first event. The clients are in the order they connected.
fn accepted(clients: usize, room: &mut Room) -> (Poll, Vec<TcpStream>) {
    let (mut poll, listener, addr) = listening(LISTENER);
    let connected: Vec<TcpStream> = (0..clients).map(|_| connect(addr)).collect();
    assert!(
        event_for(&mut poll, LISTENER, IO_TIMEOUT),
        "the test's clients connected, but the listener got no event (this is the test's problem, not yours)"
    );
    let result = caught(|| accept_waiting(&listener, poll.registry(), room));
    match result {
        Ok(Ok(())) => {}
        Ok(Err(err)) if err.kind() == io::ErrorKind::WouldBlock => panic!(
            "accept_waiting returned Err(WouldBlock): on a non-blocking listener `WouldBlock` is how the \
             round ends (nobody else is waiting), not a failure: return Ok(()) then"
        ),
        Ok(Err(err)) => panic!("accept_waiting returned Err({:?}: {err})", err.kind()),
        Err(what) => panic!("accept_waiting {what}"),
    }
    (poll, connected)
}

/// The room's tokens in the order they were handed out, which is the order the clients connected in.
fn tokens_in_order(room: &Room) -> Vec<Token> {
    let mut tokens: Vec<Token> = room.members.keys().copied().collect();
    tokens.sort();
    tokens
}

/// Step 1: `accept_waiting` accepts every client waiting on the listener, until `accept` says
/// `WouldBlock`, and `admit`s each: a token of its own from `room.new_token()` (never `LISTENER`), its
/// stream registered with the `Poll` for `READABLE` under that token, a `Member` in `room.members`, and
/// `room.welcome(token)`. Three clients connect before the first `poll`: its one event on the listener
/// stands for all three, so one `accept` per event greets one and leaves two waiting forever. A client over
/// `max_members` is turned away with `room.turn_away(stream)`.
#[test]
fn step_1_every_waiting_client_is_accepted_and_greeted() {
    let mut room = room_with(16, 8);
    let (mut poll, mut clients) = accepted(3, &mut room);
    assert_eq!(
        room.members.len(),
        3,
        "three clients were waiting when the listener's one event came, and one call of accept_waiting \
         should admit all three. The event is edge-triggered: it says \"clients arrived\" once, however \
         many did, and no new event comes for the ones still waiting. Loop on `accept` until WouldBlock"
    );
    let tokens: HashSet<Token> = room.members.keys().copied().collect();
    assert!(
        !tokens.contains(&LISTENER),
        "a member got the token LISTENER (Token(0)): the loop would take its events for the listener's. \
         Take each member's token from `room.new_token()`"
    );
    for (token, member) in &room.members {
        assert_eq!(
            member.outbox.lines.front().map(Vec::as_slice),
            Some(WELCOME.as_bytes()),
            "each new member's outbox starts with the welcome: call `room.welcome(token)` once it is in \
             `room.members` (member {token:?} has {:?})",
            member.outbox.lines
        );
    }
    assert_eq!(room.served, 3, "`room.welcome` counts the members served");

    for client in &mut clients {
        client.write_all(b"x").unwrap();
    }
    let mut heard = HashSet::new();
    while heard.len() < tokens.len() {
        let events = next_events(&mut poll, NO_EVENT_WITHIN);
        assert!(
            !events.is_empty(),
            "each client sent a byte, and the Poll should report each member's token as readable, but it \
             reported only {heard:?} of {tokens:?}: `admit` registers each stream with \
             `registry.register(&mut stream, token, Interest::READABLE)` before putting it in the room"
        );
        heard.extend(events.iter().map(|seen| seen.token));
    }
    assert!(
        heard.is_subset(&tokens),
        "the Poll reported tokens {heard:?}, but the members have {tokens:?}: register each stream with \
         the same token it has in `room.members`"
    );

    let mut room = room_with(2, 8);
    let (_poll, mut clients) = accepted(3, &mut room);
    assert_eq!(
        (room.members.len(), room.turned_away),
        (2, 1),
        "with --max-members 2, three waiting clients make two members and one turned away: when \
         `room.members.len()` is at `room.config.max_members`, call `room.turn_away(stream)` instead"
    );
    let third = &mut clients[2];
    assert_eq!(
        read_line(third),
        BUSY,
        "the client over the bound should read the busy line"
    );
}

/// Step 2: `read_available` reads everything the socket has into `input`: it calls `read` until
/// `WouldBlock` (return `Reading::Drained`), `Ok(0)` (the peer closed: `Reading::Closed`) or `input`
/// holding `limit` bytes (`Reading::Full`, never more). `next_line` cuts the first complete line out of
/// `input` without its `\n` or `\r\n`: `None` while the line has not ended, and `LineTooLong` once it
/// is longer than `max_line` (ended or not; `max_line` bytes and a `\r` may still be a line). 8 KiB sent
/// at once come with one readable event: one read of 4 KiB per event leaves the rest waiting, and no new
/// event comes for it.
#[test]
fn step_2_everything_sent_is_read_and_cut_into_lines() {
    let member = Token(1);
    let mut poll = Poll::new().unwrap();
    let (mut stream, mut client) = connected_pair();
    poll.registry()
        .register(&mut stream, member, Interest::READABLE)
        .unwrap();
    client.write_all(&[b'a'; 8192]).unwrap();
    let mut input = Vec::new();
    while input.len() < 8192 {
        assert!(
            event_for(&mut poll, member, NO_EVENT_WITHIN),
            "the client sent 8192 bytes at once and read_available has read {} of them, but no new event \
             comes: the one event said \"bytes arrived\" for all of them. Call `read` until it says \
             WouldBlock, not once per event",
            input.len()
        );
        let reading = caught(|| read_available(&mut stream, &mut input, 64 * 1024));
        match reading {
            Ok(Ok(Reading::Drained)) => {}
            Ok(Ok(other)) => panic!(
                "with 8192 bytes sent and the limit at 64 KiB, read_available should return Drained once \
                 `read` says WouldBlock, but it returned {other:?}"
            ),
            Ok(Err(err)) if err.kind() == io::ErrorKind::WouldBlock => panic!(
                "read_available returned Err(WouldBlock): that is how a round of reading ends, return \
                 Ok(Reading::Drained)"
            ),
            Ok(Err(err)) => panic!("read_available returned Err({:?}: {err})", err.kind()),
            Err(what) => panic!("read_available {what}"),
        }
    }
    assert_eq!(
        input.len(),
        8192,
        "read_available should append what it reads to `input`"
    );

    client.write_all(&[b'b'; 300]).unwrap();
    assert!(event_for(&mut poll, member, IO_TIMEOUT));
    let mut small = Vec::new();
    let reading = read_available(&mut stream, &mut small, 100).expect("read_available");
    assert_eq!(
        (reading, small.len()),
        (Reading::Full, 100),
        "with `limit` 100 and 300 bytes waiting, read_available should read exactly 100 (read into a \
         slice no longer than the room left) and return Full"
    );

    client.write_all(b"bye\n").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    let mut reading = Reading::Drained;
    while reading != Reading::Closed {
        assert!(
            event_for(&mut poll, member, NO_EVENT_WITHIN),
            "the client sent its last bytes and closed its sending side, but read_available returned \
             {reading:?} and no new event came: `read` returning Ok(0) is the end of the stream, return \
             Reading::Closed"
        );
        reading = read_available(&mut stream, &mut rest, 64 * 1024).expect("read_available");
    }
    assert!(
        rest.ends_with(b"bye\n"),
        "the bytes before the end are kept"
    );

    cut_lines();
}

/// The second half of step 2: `next_line` on pieces of lines, as reads deliver them.
fn cut_lines() {
    let mut input = b"hel".to_vec();
    assert_eq!(
        next_line(&mut input, 64),
        Ok(None),
        "\"hel\" has no `\\n` yet: next_line returns None and keeps it for the rest of the line"
    );
    assert_eq!(input, b"hel", "a line not ended yet stays in `input`");
    input.extend_from_slice(b"lo\r\nsecond\nthi");
    let lines = [next_line(&mut input, 64), next_line(&mut input, 64)];
    assert_eq!(
        lines,
        [Ok(Some(b"hello".to_vec())), Ok(Some(b"second".to_vec()))],
        "\"hel\" then \"lo\\r\\nsecond\\nthi\" are the lines \"hello\" (a line may arrive in many reads, \
         and `\\r\\n` ends it as `\\n` does) and \"second\" (many lines may arrive in one)"
    );
    assert_eq!(
        (next_line(&mut input, 64), input.as_slice()),
        (Ok(None), b"thi".as_slice()),
        "after the two lines, \"thi\" waits for its end: remove each line and its ending from `input` \
         (`drain(..=end)`), nothing more"
    );

    let mut ended = b"12345678\r\n".to_vec();
    assert_eq!(
        next_line(&mut ended, 8),
        Ok(Some(b"12345678".to_vec())),
        "a line of exactly `max_line` bytes is allowed, with `\\r\\n` or `\\n` after it"
    );
    let mut not_yet = b"12345678\r".to_vec();
    assert_eq!(
        next_line(&mut not_yet, 8),
        Ok(None),
        "`max_line` bytes and a `\\r` may still be an allowed line whose `\\n` is on its way"
    );
    let mut too_long = b"123456789\n".to_vec();
    assert_eq!(
        next_line(&mut too_long, 8),
        Err(LineTooLong),
        "a line of 9 bytes is over a `max_line` of 8"
    );
    let mut never_ends = b"1234567890".to_vec();
    assert_eq!(
        next_line(&mut never_ends, 8),
        Err(LineTooLong),
        "10 bytes without a `\\n` are over a `max_line` of 8 already: say so now, or a peer that never \
         sends `\\n` makes `input` grow without end"
    );
}

/// The lines of the 256 KiB test: numbered, so that a lost or repeated piece shows where, and longer than
/// the socket buffers, so that a `write` takes part of a line.
fn numbered_lines(total: usize) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut size = 0;
    while size < total {
        let filler = "x".repeat(100 + 97 * (lines.len() % 200));
        let line = format!("line {:06} {filler}\n", lines.len()).into_bytes();
        size += line.len();
        lines.push(line);
    }
    lines
}

/// Reads until the peer closes, or until more than `most` bytes came (then stops, and closes).
fn read_at_most(client: &mut TcpStream, most: usize) -> Result<Vec<u8>, (Vec<u8>, io::Error)> {
    let mut received = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    while received.len() <= most {
        match client.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err((received, err)),
        }
    }
    Ok(received)
}

/// A connection whose buffers are tiny on both sides: the server's send buffer and the client's receive
/// buffer (set before it connects, so the window is small from the start).
fn small_buffers_pair() -> (mio::net::TcpStream, TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket
        .connect(&listener.local_addr().unwrap().into())
        .unwrap();
    let client = test_support::with_timeouts(socket.into());
    let (stream, client) = server_end(&listener, client);
    SockRef::from(&stream).set_send_buffer_size(4096).unwrap();
    (stream, client)
}

/// Step 3: `write_pending` writes the outbox's lines with `write` until they are all written or `write`
/// says `WouldBlock` (then return Ok: the rest waits for the next writable event). A write may take
/// part of a line: `outbox.written` says how far into the first line it got, and a line leaves the outbox
/// only once all of it is written. Not `write_all`: on a non-blocking socket it fails with `WouldBlock`
/// part way and nobody knows how much it wrote. `interest_for` asks for `READABLE`, and `WRITABLE` too
/// only while something waits in the outbox. 256 KiB go through tiny socket buffers, byte for byte.
#[test]
fn step_3_a_large_outbox_is_written_through_small_buffers() {
    let empty = Outbox::default();
    assert_eq!(
        interest_for(&empty),
        Interest::READABLE,
        "with nothing to write, ask for READABLE only: a socket with room in its send buffer is writable \
         nearly all the time, and WRITABLE would wake the loop for nothing"
    );

    let lines = numbered_lines(1 << 18);
    let expected: Vec<u8> = lines.concat();
    let mut outbox = Outbox::default();
    outbox.lines.extend(lines);
    assert_eq!(
        interest_for(&outbox),
        Interest::READABLE | Interest::WRITABLE,
        "with lines waiting, ask for both: READABLE (the member may still talk) and WRITABLE (to hear \
         when there is room in the send buffer again)"
    );

    let (mut stream, mut client) = small_buffers_pair();
    let most = expected.len();
    let reader = thread::spawn(move || read_at_most(&mut client, most));
    let member = Token(1);
    let mut poll = Poll::new().unwrap();
    poll.registry()
        .register(&mut stream, member, Interest::WRITABLE)
        .unwrap();
    let mut rounds = 0;
    let mut failed = None;
    while !outbox.is_empty() {
        assert!(
            event_for(&mut poll, member, IO_TIMEOUT),
            "{} lines still wait in the outbox, and no writable event came: return from write_pending \
             only when `write` says WouldBlock (the event comes once there is room again), or when \
             the outbox is empty",
            outbox.lines.len()
        );
        match caught(|| write_pending(&mut stream, &mut outbox)) {
            Ok(Ok(())) => rounds += 1,
            Ok(Err(err)) if err.kind() == io::ErrorKind::WouldBlock => panic!(
                "write_pending returned Err(WouldBlock) after {rounds} rounds: the send buffer is full, \
                 which is normal. Keep what did not fit in the outbox and return Ok(()); (`write_all` \
                 fails like this part way, and does not say how much it wrote)"
            ),
            Ok(Err(err)) => {
                failed = Some(err); // what the client got says more: see it first
                break;
            }
            Err(what) => panic!("write_pending {what}"),
        }
    }
    drop(stream);
    let received = match reader.join().unwrap() {
        Ok(received) => received,
        Err((received, err)) => panic!(
            "the client's read failed after {} of {} bytes: {err}",
            received.len(),
            expected.len()
        ),
    };
    if received != expected {
        let at = received
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(received.len().min(expected.len()));
        panic!(
            "the client should receive the {} bytes of the outbox exactly, but received {} bytes, differing \
             from byte {at} on ({:?} where {:?} was sent). A `write` that takes part of a line returns how \
             much: add it to `outbox.written`, write from `&line[outbox.written..]` next, and pop the \
             line only when it is all written",
            expected.len(),
            received.len(),
            String::from_utf8_lossy(&received[at..received.len().min(at + 24)]),
            String::from_utf8_lossy(&expected[at..expected.len().min(at + 24)]),
        );
    }
    assert_eq!(
        outbox.written, 0,
        "an empty outbox has nothing half written"
    );
    if let Some(err) = failed {
        panic!("write_pending returned Err({:?}: {err})", err.kind());
    }
    assert!(
        rounds > 1,
        "256 KiB through 4 KiB buffers should take many rounds; it took {rounds}: the test's buffers were \
         not small (this is the test's problem)"
    );
}

/// A room whose members are the accepted `names.len() + 1` clients: one per name, named so with
/// `room.name_member`, and a last one that has not chosen a name. Outboxes and `pending` start empty.
fn named_room(names: &[&str], queue: usize) -> (Room, Poll, Vec<Token>, Vec<TcpStream>) {
    let mut room = room_with(16, queue);
    let (poll, clients) = accepted(names.len() + 1, &mut room);
    let tokens = tokens_in_order(&room);
    for (token, name) in tokens.iter().zip(names) {
        room.name_member(*token, name);
    }
    for member in room.members.values_mut() {
        member.outbox.lines.clear();
    }
    room.pending.clear();
    (room, poll, tokens, clients)
}

fn queued(member: &Member) -> Vec<String> {
    member
        .outbox
        .lines
        .iter()
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect()
}

/// Step 4: `offer` queues a line in an outbox of at most `queue` lines: when it is full, the line is
/// skipped and counted in `outbox.skipped`, and once there is room again the member first gets
/// `* N messages skipped`. `broadcast` offers a line to every named member but the sender (with
/// `room.config.queue`) and marks each in `room.pending`, to be written before the loop waits again. It
/// writes nothing itself: a member whose socket is full must not hold up the others.
#[test]
fn step_4_a_broadcast_reaches_every_other_member_bounded() {
    let mut outbox = Outbox::default();
    for n in 1..=5 {
        offer(&mut outbox, &format!("line {n}\n"), 3);
    }
    assert_eq!(
        (outbox.lines.len(), outbox.skipped),
        (3, 2),
        "five lines offered to an outbox of 3: three queued, two skipped and counted in `outbox.skipped`"
    );
    outbox.lines.clear(); // as if written
    offer(&mut outbox, "line 6\n", 3);
    let lines: Vec<&[u8]> = outbox.lines.iter().map(Vec::as_slice).collect();
    assert_eq!(
        lines,
        [b"* 2 messages skipped\n".as_slice(), b"line 6\n"],
        "with room again, the member first learns what it missed (`protocol::skipped(outbox.skipped)`), \
         then gets the line; and `skipped` starts again from 0"
    );
    assert_eq!(outbox.skipped, 0, "the skipped lines have been reported");

    let (mut room, _poll, tokens, mut clients) = named_room(&["ann", "bob", "cat"], 2);
    let (ann, bob, unnamed) = (tokens[0], tokens[1], tokens[3]);
    broadcast(&mut room, ann, "ann: hi\n");
    for (token, name) in [(bob, "bob"), (tokens[2], "cat")] {
        assert_eq!(
            queued(&room.members[&token]),
            ["ann: hi\n"],
            "ann's line goes to every other named member's outbox: {name}'s"
        );
        assert!(
            room.pending.contains(&token),
            "each member that got a line is marked in `room.pending`, or the loop never writes it"
        );
    }
    assert!(
        queued(&room.members[&ann]).is_empty(),
        "a member's line goes to the others, not back to the sender"
    );
    assert!(
        queued(&room.members[&unnamed]).is_empty() && !room.pending.contains(&unnamed),
        "a connection that has not chosen a name yet is not in the room: it gets no lines"
    );

    let member = room.members.get_mut(&bob).unwrap();
    write_pending(&mut member.stream, &mut member.outbox).expect("write_pending (step 3)");
    assert_eq!(
        read_line(&mut clients[1]),
        "ann: hi\n",
        "once written, bob reads ann's line"
    );

    broadcast(&mut room, ann, "ann: two\n");
    broadcast(&mut room, ann, "ann: three\n");
    broadcast(&mut room, ann, "ann: four\n");
    let cat = &room.members[&tokens[2]];
    assert_eq!(
        (cat.outbox.lines.len(), cat.outbox.skipped),
        (2, 2),
        "the room's queue is 2 (`room.config.queue`): cat, who has not been written to, holds 2 lines \
         and has skipped 2; broadcast offers each line with `offer(&mut member.outbox, line, queue)`"
    );
}

/// Step 5: `is_finished` says whether the loop may close a member: it is `closing` (it said `/quit`, or
/// its stream ended) and its outbox is empty: what was said to it is written first. `leave` removes the
/// member from `room.members` (and from `room.pending`), deregisters its stream and drops it (which closes
/// it), and tells the others `* NAME left`; a second call for the same token finds nothing and says
/// nothing, so the line goes out exactly once.
#[test]
fn step_5_a_member_is_closed_only_once_its_lines_are_written() {
    let (mut room, poll, tokens, mut clients) = named_room(&["ann", "bob"], 8);
    let (ann, bob) = (tokens[0], tokens[1]);
    let member = room.members.get_mut(&ann).unwrap();
    assert!(
        !is_finished(member),
        "a member that is not closing is not finished"
    );
    member.closing = true;
    member
        .outbox
        .lines
        .push_back(b"* online: ann, bob\n".to_vec());
    assert!(
        !is_finished(member),
        "a closing member with a line still in its outbox is not finished: closing it now would lose the \
         answer to its `/who` (or anything else said to it) when its sending side is shut first"
    );
    member.outbox.lines.clear();
    assert!(
        is_finished(member),
        "a closing member with nothing left to write is finished"
    );

    leave(&mut room, poll.registry(), ann);
    assert!(
        !room.members.contains_key(&ann),
        "leave removes the member from `room.members`"
    );
    assert_eq!(
        queued(&room.members[&bob]),
        ["* ann left\n"],
        "the others hear `* ann left` (`protocol::left`, through broadcast)"
    );
    leave(&mut room, poll.registry(), ann);
    assert_eq!(
        queued(&room.members[&bob]),
        ["* ann left\n"],
        "leave called again for ann (a failed write after a failed read, say) must say nothing: remove the \
         member from the map first, and do nothing when it is not there"
    );
    let mut rest = Vec::new();
    match clients[0].read_to_end(&mut rest) {
        Ok(_) => {}
        Err(err) => panic!(
            "ann's connection should be closed once she has left (dropping her stream closes it), but \
             reading from it: {err}"
        ),
    }

    let mut server = test_support::room::Room::start(env!("CARGO_BIN_EXE_chat-server-loop"), &[]);
    let mut cat = server.join("cat", &mut []);
    let mut dan = server.join("dan", &mut [&mut cat]);
    cat.send("/who\n");
    cat.shut_down_sending();
    cat.expect(
        "a member that half-closes after `/who` still gets the answer: the server closes it only once \
         its outbox is written (is_finished)",
        &server.online(),
    );
    cat.expect_closed("after the end of its stream and its last line, the member is closed");
    dan.expect("the others hear that the member left, once", "* cat left");
    server.left("cat");
    dan.send("/who\n/quit\n");
    dan.expect(
        "`/who` and `/quit` in one write: the answer to `/who` comes before the close",
        &server.online(),
    );
    dan.expect_closed("`/quit` closes the member once its outbox is written");
}
