//! The classic bugs of a chat, each shown happening on loopback: what the alternating client misses, what
//! writing under the roster's lock does to the room, and the races of names and leaving that the roster
//! must get right.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use chat::RoomConfig;
use common::RoomServer;
use test_support::{IO_TIMEOUT, reset, small_buffer_pair, try_read_line};

/// The tutorial's client, ported: wait for a typed line, send it, then `recv(1024)` once, and again. A line
/// the server sends while the client waits for input is not shown: it sits in the receive buffer until the
/// user types something, and then it comes out as if it answered that line.
#[test]
fn the_alternating_client_does_not_show_a_line_that_arrives_while_it_waits_for_input() {
    let room = RoomServer::start(RoomConfig::default());
    let (_alice, _) = room.join("Alice");
    let mut stream = room.connect("the alternating client");
    stream.write_all(b"Bob\n").unwrap();
    let (typed, input) = mpsc::channel::<String>();
    let (shown, output) = mpsc::channel::<String>();
    thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(line) = input.recv() {
            // `msg = input()` ... `c.send(msg)` ... `data = c.recv(1024)`
            let _ = stream.write_all(line.as_bytes());
            match stream.read(&mut buf) {
                Ok(n) if n > 0 => drop(shown.send(String::from_utf8_lossy(&buf[..n]).into_owned())),
                _ => break,
            }
        }
    });
    // `* online: Alice, Bob` has arrived by now (Alice's `* Bob joined` says Bob is a member), but the
    // client is in `input()`: nothing is shown.
    let (mut carol, _) = room.join("Carol");
    room.send(&mut carol, "Carol", "anyone there?\n");
    assert!(
        output.recv_timeout(Duration::from_millis(300)).is_err(),
        "the alternating client shows nothing until the user types"
    );
    typed.send("/who\n".into()).unwrap();
    let first = output
        .recv_timeout(IO_TIMEOUT)
        .expect("after typing, one recv");
    assert!(
        first.starts_with("* online: Alice, Bob\n"),
        "what the user sees after typing /who is what had waited in the buffer, not the answer: {first:?}"
    );
}

/// The naive room writes to every member while holding the roster's lock. One member that never reads
/// (tiny buffers, as lesson 07 made them) fills its socket buffers; the next `write` to it blocks, with the
/// lock held, and every other thread that wants the roster waits behind it.
#[test]
fn writing_under_the_roster_lock_lets_one_member_that_never_reads_stall_the_room() {
    let (never_reads, server_side) = small_buffer_pair();
    // The server side's send buffer is small too: set it on the accepted socket.
    socket2::SockRef::from(&server_side)
        .set_send_buffer_size(4096)
        .unwrap();
    server_side
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let roster = Arc::new(Mutex::new(vec![server_side]));
    // Set by the broadcaster, lock still held, once its write has given up (at the write timeout).
    let gave_up = Arc::new(AtomicBool::new(false));
    let (started, started_rx) = mpsc::channel();
    let broadcaster = {
        let (roster, gave_up) = (Arc::clone(&roster), Arc::clone(&gave_up));
        thread::spawn(move || {
            let members = roster.lock().unwrap();
            started.send(()).unwrap();
            let line = [b'x'; 1000];
            // The naive broadcast: write to each member, lock held, until a write cannot finish.
            loop {
                if let Err(err) = (&members[0]).write_all(&line) {
                    gave_up.store(true, Ordering::SeqCst);
                    return err;
                }
            }
        })
    };
    started_rx.recv_timeout(IO_TIMEOUT).unwrap();
    // Another member's thread wants the roster now, to pass on its own line.
    let other = {
        let (roster, gave_up) = (Arc::clone(&roster), Arc::clone(&gave_up));
        thread::spawn(move || {
            let _members = roster
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            gave_up.load(Ordering::SeqCst)
        })
    };
    let err = broadcaster.join().unwrap();
    assert!(
        shared::trace::is_timeout(&err),
        "the write was stuck until its timeout: {err}"
    );
    assert!(
        other.join().unwrap(),
        "the other member's thread got the roster only after the write to the member that never reads \
         had given up: the whole room waited for one member"
    );
    drop(never_reads);
}

/// Bob resets his connection; Alice's next lines reach Carol all the same: a failed write to Bob is his
/// writer thread's alone, and the broadcast only queued.
#[test]
fn a_member_that_vanishes_mid_broadcast_does_not_stop_the_broadcast_to_the_others() {
    let room = RoomServer::start(RoomConfig::default());
    let (mut alice, _) = room.join("Alice");
    let (bob, _) = room.join("Bob");
    let (mut carol, _) = room.join("Carol");
    reset(bob).unwrap();
    for i in 0..50 {
        room.send(&mut alice, "Alice", &format!("line {i}\n"));
    }
    let mut got = Vec::new();
    while got.len() < 50 {
        let line = room.line(&mut carol, "Carol", "Alice's lines");
        if line.starts_with("Alice: ") {
            got.push(line);
        }
    }
    assert_eq!(got[49], "Alice: line 49\n");
}

/// Two connections ask for the same name at the same moment: exactly one gets it, the other is told it is
/// taken. (Check and take under one lock; with two locks, both could see the name free.)
#[test]
fn a_name_taken_twice_at_the_same_moment_is_given_once() {
    let room = RoomServer::start(RoomConfig::default());
    for round in 0..20 {
        let name = format!("twin{round}");
        let mut a = room.connect("first");
        let mut b = room.connect("second");
        let both = format!("{name}\n{name}\n");
        let (first, second) = both.split_at(both.len() / 2);
        // Both lines go out as close together as two writes can.
        a.write_all(first.as_bytes()).unwrap();
        b.write_all(second.as_bytes()).unwrap();
        let la = try_read_line(&mut a).unwrap();
        let lb = try_read_line(&mut b).unwrap();
        let winners = [&la, &lb]
            .iter()
            .filter(|l| l.starts_with("* online"))
            .count();
        assert_eq!(winners, 1, "one name, one member: got {la:?} and {lb:?}");
    }
}

/// Bob and Carol leave at the same moment. Alice hears `* Bob left` and `* Carol left`, each once, whatever
/// the order, and then `/who` lists only her.
#[test]
fn two_members_leaving_at_the_same_moment_are_each_announced_once() {
    let room = RoomServer::start(RoomConfig::default());
    let (mut alice, _) = room.join("Alice");
    let (bob, _) = room.join("Bob");
    let (carol, _) = room.join("Carol");
    room.expect(
        &mut alice,
        "Alice",
        "* Bob joined\n",
        "a new member is announced",
    );
    room.expect(
        &mut alice,
        "Alice",
        "* Carol joined\n",
        "a new member is announced",
    );
    let leave = |s: TcpStream| thread::spawn(move || s.shutdown(Shutdown::Write));
    let (b, c) = (leave(bob), leave(carol));
    let _ = (b.join(), c.join());
    let mut left = vec![
        room.line(&mut alice, "Alice", "a left notice"),
        room.line(&mut alice, "Alice", "a left notice"),
    ];
    left.sort();
    assert_eq!(left, ["* Bob left\n", "* Carol left\n"]);
    room.send(&mut alice, "Alice", "/who\n");
    room.expect(&mut alice, "Alice", "* online: Alice\n", "no second notice");
}
