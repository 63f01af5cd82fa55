//! The exercise of lesson 10, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 10` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 10` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! The steps run your functions on a tokio runtime, on real sockets over loopback; the test's own thread
//! plays the members with blocking sockets that have timeouts, so a step that waits for something that
//! never comes fails within seconds instead of hanging. Each step needs only the steps before it: step 1
//! is checked on the welcome alone, which comes before any line is read.

mod common;

use std::io::Write;
use std::net::Shutdown;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_chat::{
    Line, RoomConfig, STOPPING, Said, Summary, next_for, read_line, serve, stop_members,
    tell_others,
};
use common::{OnRuntime, await_read, config, connected_pair, runtime, sessions};
use shared::trace::Trace;
use test_support::room::{BUSY, Member, WELCOME};
use test_support::{IO_TIMEOUT, caught};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

/// The whole server (`serve`, given, around your `accept_loop` and `stop_members`) on a runtime of its
/// own; `finish` stops it and returns its summary.
fn server(config: RoomConfig, deadline: Duration) -> OnRuntime<Summary> {
    OnRuntime::start(move |listener, stopped| async move {
        let stop_requested = async {
            let _ = stopped.await;
        };
        serve(listener, config, stop_requested, deadline, Trace::off()).await
    })
}

/// Step 1: `accept_loop` gives every connection a task of its own with `tasks.spawn`, so that each is
/// welcomed at once, however long the ones before it take; and one over `--max-members` is turned away
/// with `busy, try again later`.
#[test]
fn step_1_every_connection_gets_a_task_of_its_own() {
    let served = server(config(8, 16), Duration::from_secs(1));
    let mut first = Member::connect(served.addr());
    first.expect("a new connection gets the welcome", WELCOME);
    // `first` says nothing: its task waits for its name. A loop that awaits each connection's work
    // before accepting the next one never gets to `second`.
    let mut second = Member::connect(served.addr());
    second.expect(
        "each connection is welcomed at once, while the one before it is still choosing a name \
         (spawn the connection's work with `tasks.spawn(...)`; do not `.await` it in the loop)",
        WELCOME,
    );
    drop(served);

    let full = server(config(0, 16), Duration::from_secs(1));
    let mut turned_away = Member::connect(full.addr());
    turned_away.expect(
        "a connection over --max-members gets busy (`room.connect()` returned None: `turn_away`)",
        BUSY,
    );
    turned_away.expect_closed("after busy, the connection is closed");
}

/// A stream that gives at most `max` bytes per read, so that a line arrives in many reads.
struct Trickle<S> {
    inner: S,
    max: usize,
}

impl<S: AsyncRead + Unpin> AsyncRead for Trickle<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let max = self.max.min(buf.remaining()).min(16);
        let mut bytes = [0u8; 16];
        let mut small = ReadBuf::new(&mut bytes[..max]);
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, &mut small);
        buf.put_slice(small.filled());
        polled
    }
}

/// Runs your `read_line` on `reader`, at most `IO_TIMEOUT`, and says what went wrong in words.
async fn next(
    reader: &mut (impl AsyncRead + Unpin),
    input: &mut Vec<u8>,
    max_line: usize,
    waiting_for: &str,
) -> Line {
    match tokio::time::timeout(IO_TIMEOUT, read_line(reader, input, max_line)).await {
        Ok(Ok(line)) => line,
        Ok(Err(err)) => panic!("read_line failed while {waiting_for}: {err}"),
        Err(_) => panic!(
            "read_line did not return within {IO_TIMEOUT:?} while {waiting_for}; input held {:?}",
            String::from_utf8_lossy(input)
        ),
    }
}

fn complete(text: &str) -> Line {
    Line::Complete(text.as_bytes().to_vec())
}

/// Step 2: `read_line` returns the next line from an async socket, capped: a line may come in many reads
/// (here 3 bytes at a time), many lines in one (each is returned without reading again), `\r\n` is
/// accepted, a line over the cap is `TooLong` as soon as the cap is passed (without waiting for its end),
/// and the end of the stream is `EndOfStream`.
#[test]
fn step_2_read_line_cuts_capped_lines_out_of_what_arrives() {
    runtime().block_on(async {
        let (server, mut client) = connected_pair();
        let mut reader = Trickle {
            inner: server,
            max: 3,
        };
        let mut input = Vec::new();
        client.write_all(b"hello\r\nworld\n\n").unwrap();
        let got = next(&mut reader, &mut input, 16, "reading `hello`, 3 bytes a read").await;
        assert_eq!(got, complete("hello"), "the first line, without its \\r\\n");
        let got = next(&mut reader, &mut input, 16, "reading `world`").await;
        assert_eq!(got, complete("world"));
        let got = next(&mut reader, &mut input, 16, "reading an empty line").await;
        assert_eq!(got, complete(""), "an empty line is a line");

        // Three lines in one read: the second and third are in `input` already; nothing more comes.
        let (mut server, mut client) = connected_pair();
        let mut input = Vec::new();
        client.write_all(b"a\nb\nc\n").unwrap();
        for want in ["a", "b", "c"] {
            let waiting_for = format!(
                "returning {want:?}, already in `input` (look for a line there before reading again)"
            );
            let got = next(&mut server, &mut input, 16, &waiting_for).await;
            assert_eq!(got, complete(want));
        }

        // Over the cap, and no newline in sight: known as soon as more than the cap has arrived.
        client.write_all(&[b'x'; 40]).unwrap();
        let got = next(&mut server, &mut input, 16, "40 bytes without a newline, cap 16").await;
        assert_eq!(got, Line::TooLong, "a line longer than the cap is TooLong");
        assert!(
            input.len() <= 2 * 40,
            "what is held for one line stays near the cap (it held {} bytes)",
            input.len()
        );

        let (mut server, client) = connected_pair();
        let mut input = Vec::new();
        client.shutdown(Shutdown::Write).unwrap();
        let got = next(&mut server, &mut input, 16, "the peer closed").await;
        assert_eq!(got, Line::EndOfStream, "read_buf returning 0 is the end of the stream");
    });
}

fn said(from: u64, line: &str) -> Said {
    Said {
        from,
        line: line.into(),
    }
}

/// Step 3: `tell_others` puts a line in the room's channel (never waiting, even with nobody listening),
/// and `next_for` gives a member every line but its own; a member that fell behind by more than the
/// channel keeps gets `* N messages skipped` (N the lines it missed), then the lines still kept, and
/// stays a member; `None` once the room is gone.
#[test]
fn step_3_the_room_channel_skips_own_lines_and_counts_what_was_missed() {
    runtime().block_on(async {
        let (room, _) = broadcast::channel::<Said>(4);
        let nobody = caught(|| tell_others(&room, 1, "hello?\n"));
        assert!(
            nobody.is_ok(),
            "tell_others with nobody else in the room must not fail or panic"
        );

        let mut bob = room.subscribe();
        tell_others(&room, 2, "bob's own line\n");
        tell_others(&room, 1, "alice: hi\n");
        let got = tokio::time::timeout(IO_TIMEOUT, next_for(&mut bob, 2))
            .await
            .expect("next_for should return at once: a line waits");
        assert_eq!(
            got.as_deref(),
            Some("alice: hi\n"),
            "bob gets alice's line, not his own"
        );

        // Ten lines while bob reads none: the channel keeps 4.
        for i in 0..10 {
            room.send(said(1, &format!("alice: {i}\n"))).unwrap();
        }
        let got = tokio::time::timeout(IO_TIMEOUT, next_for(&mut bob, 2))
            .await
            .expect("next_for should return at once");
        assert_eq!(
            got.as_deref(),
            Some("* 6 messages skipped\n"),
            "a member 6 lines behind what the channel keeps is told so (RecvError::Lagged(6)), and stays"
        );
        for i in 6..10 {
            let got = tokio::time::timeout(IO_TIMEOUT, next_for(&mut bob, 2))
                .await
                .expect("next_for should return at once");
            assert_eq!(
                got.as_deref(),
                Some(format!("alice: {i}\n").as_str()),
                "after the notice, the lines still kept, in order"
            );
        }
        drop(room);
        let got = tokio::time::timeout(IO_TIMEOUT, next_for(&mut bob, 2))
            .await
            .expect("next_for should return at once once the room is gone");
        assert_eq!(got, None, "RecvError::Closed: the room is gone");
    });
}

/// Step 4: `member_loop` waits on the member's socket and on the room at once (`select!`): a line from
/// the room reaches a member that is waiting for its own next line; and a line that arrives in two pieces,
/// with a line from the room in between, is sent whole (what was read stays in `member.input`, which is
/// why `read_line` takes it from outside). `/who` is answered; `/quit` ends the membership.
#[test]
fn step_4_a_member_task_waits_on_its_socket_and_the_room_at_once() {
    let (served, reads) = sessions(config(8, 16));
    let mut alice = Member::connect(served.addr()); // connection 0
    alice.expect("the welcome", WELCOME);
    alice.send("alice\n");
    alice.expect("alice is alone", "* online: alice");
    let mut bob = Member::connect(served.addr()); // connection 1
    bob.expect("the welcome", WELCOME);
    bob.send("bob\n");
    bob.expect("bob joins", "* online: alice, bob");
    alice.expect(
        "alice, waiting for her own next line, hears bob join: the room's lines reach a member \
         while its task waits on its socket",
        "* bob joined",
    );
    alice.send("hi bob\n");
    bob.expect("alice's line reaches bob", "alice: hi bob");

    // Half a line from bob, read by his task; then a line from the room for him; then the rest.
    await_read(&reads, 1, "bob\n".len());
    bob.send("hel");
    await_read(&reads, 1, 3);
    alice.send("in between\n");
    bob.expect(
        "alice's line reaches bob between his two pieces",
        "alice: in between",
    );
    bob.send("lo\n");
    alice.expect(
        "bob's line, sent in two pieces with a line from the room in between, arrives whole: what \
         was read before the room's line won the select! must stay in member.input",
        "bob: hello",
    );

    bob.send("/who\n");
    bob.expect("/who is answered", "* online: alice, bob");
    bob.send("/quit\n");
    bob.expect_closed("/quit ends the membership: the connection closes");
    alice.expect("the others hear it", "* bob left");
    served.finish(IO_TIMEOUT);
}

/// Step 5: `stop_members` tells every task to finish (`stop.send(true)`) and waits for them all, at most
/// `deadline`, then aborts the ones still running and says how many. Members are told `* the server is
/// stopping` and their connections close.
#[test]
fn step_5_the_stop_tells_every_member_and_waits_at_most_a_deadline() {
    // Tasks, with no sockets: one ends when told, one never ends by itself.
    runtime().block_on(async {
        let (stop, stopped) = watch::channel(false);
        let ended = Arc::new(AtomicBool::new(false));
        let aborted = Arc::new(AtomicBool::new(false));
        let mut tasks = JoinSet::new();
        let (mut told, flag) = (stopped.clone(), Arc::clone(&ended));
        tasks.spawn(async move {
            let _ = told.changed().await;
            flag.store(true, Ordering::SeqCst);
        });
        let dropped = DropFlag(Arc::clone(&aborted));
        tasks.spawn(async move {
            let _kept = dropped;
            std::future::pending::<()>().await;
        });
        let started = Instant::now();
        let deadline = Duration::from_millis(300);
        let stopping = stop_members(&mut tasks, &stop, deadline);
        let count = tokio::time::timeout(IO_TIMEOUT, stopping)
            .await
            .expect("stop_members must return soon after its deadline, whatever the tasks do");
        let took = started.elapsed();
        assert!(
            ended.load(Ordering::SeqCst),
            "a task waiting for the stop is told (stop.send(true))"
        );
        assert_eq!(
            count, 1,
            "one task was still running at the deadline, and aborted"
        );
        assert!(
            aborted.load(Ordering::SeqCst),
            "the task still running at the deadline is aborted and dropped (tasks.shutdown().await)"
        );
        assert!(
            took >= deadline,
            "stop_members waits for the deadline before it aborts (it returned after {took:?})"
        );
        assert!(tasks.is_empty(), "no task is left in the set");

        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let mut told = stopped.clone();
        tasks.spawn(async move {
            let _ = told.changed().await;
        });
        let started = Instant::now();
        let count = stop_members(&mut tasks, &stop, Duration::from_secs(10)).await;
        assert_eq!(count, 0, "every task ended by itself: none aborted");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "when every task has ended, stop_members returns at once, not at the deadline"
        );
    });

    // The whole server: a member and a connection still choosing its name.
    let served = server(config(8, 16), Duration::from_secs(2));
    let mut alice = Member::connect(served.addr());
    alice.expect("the welcome", WELCOME);
    alice.send("alice\n");
    alice.expect("alice is alone", "* online: alice");
    let mut unnamed = Member::connect(served.addr());
    unnamed.expect("the welcome", WELCOME);
    let summary = served.finish(Duration::from_secs(5));
    alice.expect("a member is told the server stops", STOPPING.trim_end());
    alice.expect_closed("then its connection closes");
    unnamed.expect_closed("a connection still choosing its name is closed too");
    assert_eq!(
        summary.closed_at_stop, 2,
        "two connections were open at the stop: {summary:?}"
    );
    assert_eq!(summary.aborted, 0, "both ended by themselves: {summary:?}");
}

/// Sets its flag when dropped: an aborted task drops what it held.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}
