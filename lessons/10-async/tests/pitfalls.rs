//! The classic bugs of async code, each shown happening on real sockets over loopback:
//!
//! - a blocking call inside a task stalls every other task of a current-thread runtime (and one worker
//!   of a multi-thread one), because a task only lets go of its thread at an `.await`;
//! - `read_line` raced in `select!` loses the part of a line it had read when another branch wins;
//! - `?` on a lagging `broadcast` receiver turns a slow member into a disconnected one.
//!
//! The fourth, a `std::sync::MutexGuard` held across an `.await`, cannot be shown running: it does not
//! compile. It is the `compile_fail` example in `src/room.rs` (`cargo test --doc -p async-chat`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, mpsc};

use async_chat::{Room, session};
use common::{NO_LINE_WITHIN, OnRuntime, Reported, await_read, config};
use test_support::{IO_TIMEOUT, connect};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

/// How the third connection's task waits for its byte: blocking the runtime's thread, or on a thread of
/// tokio's blocking pool (`spawn_blocking`), which is what a blocking call in async code must use.
#[derive(Clone, Copy, PartialEq)]
enum Blocker {
    InTheTask,
    SpawnBlocking,
}

/// The room's sessions for connections 0 and 1; connection 2 gets a task that says "blocking now" on
/// the returned channel and then does a blocking `std` read of its socket until the test sends a byte.
fn room_with_a_blocking_call(blocker: Blocker) -> (OnRuntime<()>, mpsc::Receiver<()>) {
    let (blocking_now, started) = mpsc::channel();
    let served = OnRuntime::start(move |listener, stopped| async move {
        let room = Arc::new(Room::new(config(8, 16)));
        let (_stop, stop_rx) = watch::channel(false);
        let accepting = async {
            for connection in 0.. {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                if connection == 2 {
                    let mut stream = stream.into_std().expect("the blocker's socket");
                    stream.set_nonblocking(false).unwrap();
                    stream.set_read_timeout(Some(2 * IO_TIMEOUT)).unwrap();
                    let blocking_now = blocking_now.clone();
                    let mut wait_for_a_byte = move || {
                        let _ = blocking_now.send(());
                        let _ = stream.read(&mut [0u8; 1]); // blocks this thread
                    };
                    match blocker {
                        Blocker::InTheTask => drop(tokio::spawn(async move { wait_for_a_byte() })),
                        Blocker::SpawnBlocking => {
                            drop(tokio::task::spawn_blocking(wait_for_a_byte))
                        }
                    }
                    continue;
                }
                let Some(place) = room.connect() else {
                    continue;
                };
                let (room, stop_rx) = (Arc::clone(&room), stop_rx.clone());
                tokio::spawn(async move {
                    let _ = session(stream, &place, &room, stop_rx).await;
                });
            }
        };
        tokio::select! {
            () = accepting => {}
            _ = stopped => {}
        }
    });
    (served, started)
}

/// Joins `name` over a raw connection and returns its reader.
fn join(addr: std::net::SocketAddr, name: &str) -> BufReader<TcpStream> {
    let mut stream = connect(addr);
    stream.write_all(format!("{name}\n").as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while !line.starts_with("* online") {
        line.clear();
        reader.read_line(&mut line).expect("joining");
    }
    reader
}

/// Reads one line within the socket's read timeout: `None` when nothing came.
fn line_within(reader: &mut BufReader<TcpStream>, within: std::time::Duration) -> Option<String> {
    reader.get_ref().set_read_timeout(Some(within)).unwrap();
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(n) if n > 0 => Some(line),
        _ => None,
    }
}

/// One task blocks (a `std` read, as a `std::thread::sleep` or a blocking DNS lookup would) on a
/// current-thread runtime: alice's line does not reach bob until the blocking call returns, because the
/// one thread that would run their tasks is stuck in it. Done with `spawn_blocking` instead, the room
/// goes on.
#[test]
fn a_blocking_call_in_a_task_stalls_every_member_on_a_current_thread_runtime() {
    let (served, blocking_now) = room_with_a_blocking_call(Blocker::InTheTask);
    let mut alice = join(served.addr(), "alice");
    let mut bob = join(served.addr(), "bob");
    assert_eq!(
        line_within(&mut alice, IO_TIMEOUT).as_deref(),
        Some("* bob joined\n")
    );
    let mut blocker = connect(served.addr());
    blocking_now
        .recv_timeout(IO_TIMEOUT)
        .expect("the blocking task should start");
    alice.get_mut().write_all(b"hi bob\n").unwrap();
    assert_eq!(
        line_within(&mut bob, NO_LINE_WITHIN),
        None,
        "while one task blocks the runtime's only thread, no other task runs: bob gets nothing"
    );
    blocker.write_all(b"x").unwrap(); // the blocking read returns; the thread is free again
    assert_eq!(
        line_within(&mut bob, IO_TIMEOUT).as_deref(),
        Some("alice: hi bob\n"),
        "once the blocking call returns, the waiting tasks run"
    );

    let (served, blocking_now) = room_with_a_blocking_call(Blocker::SpawnBlocking);
    let mut alice = join(served.addr(), "alice");
    let mut bob = join(served.addr(), "bob");
    let _ = line_within(&mut alice, IO_TIMEOUT);
    let _blocker = connect(served.addr());
    blocking_now
        .recv_timeout(IO_TIMEOUT)
        .expect("the blocking call should start");
    alice.get_mut().write_all(b"hi bob\n").unwrap();
    assert_eq!(
        line_within(&mut bob, IO_TIMEOUT).as_deref(),
        Some("alice: hi bob\n"),
        "with spawn_blocking the call waits on a thread of its own, and the room goes on meanwhile"
    );
}

/// A member loop written with `reader.read_line(&mut line)` as one branch of `select!` and the room as
/// the other: a line arrives in two pieces, and the room's branch wins in between. `read_line` had
/// moved `hel` into its own future; dropped, the future takes them with it, and the member's next line
/// is `lo`. (The lesson's `read_line` keeps what it read in the member's `input`, outside the future.)
#[test]
fn read_line_in_select_loses_part_of_a_line_that_arrived_in_two_pieces() {
    let (reported, reads) = mpsc::channel();
    let (lines_tx, lines) = mpsc::channel();
    let (room_tx, mut room_rx) = tokio::sync::mpsc::channel::<()>(1);
    let (won_tx, won) = mpsc::channel();
    let served = OnRuntime::start(move |listener, _stopped| async move {
        let (stream, _) = listener.accept().await.expect("accepting");
        let mut reader = tokio::io::BufReader::new(Reported::new(stream, 0, reported));
        let mut line = String::new();
        loop {
            tokio::select! {
                read = reader.read_line(&mut line) => {
                    if !matches!(read, Ok(n) if n > 0) {
                        break;
                    }
                    let _ = lines_tx.send(std::mem::take(&mut line));
                }
                Some(()) = room_rx.recv() => {
                    let _ = won_tx.send(());
                }
            }
        }
    });
    let mut client = connect(served.addr());
    client.write_all(b"hel").unwrap();
    await_read(&reads, 0, 3);
    room_tx
        .blocking_send(())
        .expect("the room's branch is waiting");
    won.recv_timeout(IO_TIMEOUT)
        .expect("the room's branch should win while the line is half there");
    client.write_all(b"lo\n").unwrap();
    let got = lines
        .recv_timeout(IO_TIMEOUT)
        .expect("a line should arrive once its end has");
    assert_eq!(
        got, "lo\n",
        "read_line is not cancel safe: the `hel` it had read went with the future select! dropped"
    );
}

/// A slow member's task written with `let said = receiver.recv().await?;`: the room says 20 lines while
/// the member's task cannot run (one thread, and the talker does not `.await` between its lines), the
/// channel keeps 4, and `recv` returns `Err(Lagged(16))`. The `?` ends the task, and with it the
/// member's connection: a slow member is now a disconnected one. (The lesson's `next_for` turns it into
/// `* 16 messages skipped` and goes on.)
#[test]
fn a_question_mark_on_a_lagging_receiver_disconnects_the_slow_member() {
    let (ended_tx, ended) = mpsc::channel();
    let (talk_tx, mut talk) = tokio::sync::mpsc::channel::<()>(1);
    let served = OnRuntime::start(move |listener, _stopped| async move {
        let (room, mut receiver) = broadcast::channel::<Arc<str>>(4);
        let (mut stream, _) = listener.accept().await.expect("accepting");
        let member = tokio::spawn(async move {
            let result: Result<(), RecvError> = async {
                loop {
                    let said = receiver.recv().await?;
                    let _ = stream.write_all(said.as_bytes()).await;
                }
            }
            .await;
            let _ = ended_tx.send(result);
            // Returning drops `stream`: the connection closes.
        });
        let _ = talk.recv().await;
        for i in 0..20 {
            let _ = room.send(format!("alice: line {i}\n").into());
        }
        let _ = member.await;
    });
    let mut slow = connect(served.addr());
    talk_tx.blocking_send(()).expect("the talker is waiting");
    let result = ended
        .recv_timeout(IO_TIMEOUT)
        .expect("the member's task should end");
    assert_eq!(
        result,
        Err(RecvError::Lagged(16)),
        "20 lines said, 4 kept: the receiver lagged by 16, and `?` returned that as an error"
    );
    let mut rest = Vec::new();
    let closed = slow.read_to_end(&mut rest);
    assert!(
        closed.is_ok() && rest.is_empty(),
        "the slow member got no line and no notice, only the end of its connection: {closed:?}, {:?}",
        String::from_utf8_lossy(&rest)
    );
}
