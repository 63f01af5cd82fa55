//! The program, run for real: `nc` as members, lesson 08's client (through its crate) as another, the
//! tutorial-style Python `selectors` room as a peer of the same protocol; `--help` as the chapter shows
//! it; Ctrl-C. Lesson 08's protocol checks run against this server in tests/protocol.rs.

use std::io::{self, BufReader, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::mpsc;
use std::thread;

use shared::trace::Trace;
use test_support::room::Member;
use test_support::{IO_TIMEOUT, Peer, Piped, ServerProcess, connect, peer};

const SERVER: &str = env!("CARGO_BIN_EXE_chat-server-loop");

fn nc_member(nc: &std::path::Path, server: &ServerProcess, name: &str) -> Piped {
    let addr = server.addr();
    let mut command = Command::new(nc);
    command
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string());
    let mut member = Piped::start(command);
    member.wait_for(name, |l| l == "Welcome! What is your name?");
    member.type_line(name);
    member.wait_for(name, |l| l.starts_with("* online: "));
    member
}

#[test]
fn nc_members_chat_in_the_room() {
    let Some(nc) = peer(Peer::Nc) else { return };
    let server = ServerProcess::start(SERVER, ["--max-members", "8"]);
    let mut alice = nc_member(&nc, &server, "alice");
    let mut bob = nc_member(&nc, &server, "bob");
    alice.wait_for("alice", |l| l == "* bob joined");
    alice.type_line("hello bob");
    bob.wait_for("bob", |l| l == "alice: hello bob");
    bob.type_line("/who");
    bob.wait_for("bob", |l| l == "* online: alice, bob");
    bob.type_line("/quit");
    alice.wait_for("alice", |l| l == "* bob left");
}

/// What lesson 08's `chat` printed, passed on as it is written.
struct Printed(mpsc::Sender<Vec<u8>>);

impl Write for Printed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = self.0.send(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Lesson 08's client, `chat::chat` from its crate, is a member of this room as it was of lesson 08's:
/// it sends what is typed (here: a name and one line, then the end of input), prints what arrives, and
/// returns once the server has closed the connection after the end of its stream.
#[test]
fn lesson_08s_client_is_a_member() {
    let server = ServerProcess::start(SERVER, Vec::<String>::new());
    let mut ann = Member::connect(server.addr());
    ann.expect("the welcome", "Welcome! What is your name?");
    ann.send("ann\n");
    ann.expect("ann is alone", "* online: ann");

    let typed = BufReader::new(io::Cursor::new(b"bob\nhi ann\n".to_vec()));
    let (out, printed) = mpsc::channel();
    let (done_tx, done) = mpsc::channel();
    let stream = TcpStream::connect(server.addr()).expect("connecting");
    thread::spawn(move || {
        let _ = done_tx.send(chat::chat(stream, typed, Printed(out), &Trace::off()));
    });
    ann.expect("bob's name line joins him", "* bob joined");
    ann.expect("bob's typed line reaches ann", "bob: hi ann");
    ann.expect(
        "at the end of bob's input the client shuts down its sending side: bob leaves",
        "* bob left",
    );
    match done.recv_timeout(IO_TIMEOUT) {
        Ok(result) => result.expect("chat returns Ok once the server has closed"),
        Err(_) => panic!("lesson 08's client should return once the server closed"),
    }
    let shown: Vec<u8> = printed.try_iter().flatten().collect();
    assert_eq!(
        String::from_utf8_lossy(&shown),
        "Welcome! What is your name?\n* online: ann, bob\n",
        "the client prints what the server sent bob"
    );
}

/// The tutorial-style room (python/selectors_chat.py) speaks the same protocol: it is the "before" the
/// chapter compares with, so it must be a room that works, however wastefully it waits.
#[test]
fn the_python_selectors_room_is_a_room_too() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/selectors_chat.py");
    let server = ServerProcess::start(python, [script]);
    let mut ann = Member::connect(server.addr());
    ann.expect("the welcome", "Welcome! What is your name?");
    ann.send("ann\n");
    ann.expect("ann is alone", "* online: ann");
    let mut bob = Member::connect(server.addr());
    bob.expect("the welcome", "Welcome! What is your name?");
    bob.send("bob\n");
    bob.expect("bob joins ann", "* online: ann, bob");
    ann.expect("ann hears bob join", "* bob joined");
    ann.send("hi bob\n");
    bob.expect("ann's line reaches bob", "ann: hi bob");
    bob.send("/quit\n");
    bob.expect_closed("/quit closes bob's connection");
    ann.expect("ann hears bob leave", "* bob left");
}

/// Many members connected at once, before the loop has looked at any of them: every one is greeted (one
/// event on the listener stands for all of them).
#[test]
fn a_crowd_arriving_at_once_is_greeted() {
    let server = ServerProcess::start(SERVER, ["--max-members", "64"]);
    let mut crowd: Vec<TcpStream> = (0..50).map(|_| connect(server.addr())).collect();
    for (i, member) in crowd.iter_mut().enumerate() {
        let line = test_support::try_read_line(member);
        assert_eq!(
            line.as_deref(),
            Ok("Welcome! What is your name?\n"),
            "member {i} of 50 connected at once should be greeted"
        );
    }
}

#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let server = ServerProcess::start(SERVER, Vec::<String>::new());
    let (ok, stderr) = server.interrupt();
    assert!(ok, "Ctrl-C ends the server with success; stderr: {stderr}");
    assert!(
        stderr.contains("stopped: served 0 connection(s)"),
        "{stderr}"
    );
}

#[test]
fn the_help_in_the_chapter_is_the_programs() {
    test_support::assert_help_quoted_in_book(
        SERVER,
        "cargo run -q -p event-loop --bin chat-server-loop -- --help",
    );
}
