//! The programs, run for real: `nc` as members, lesson 08's client (through its crate) as another, this
//! lesson's async client typed into; `--help` as the chapter shows it; Ctrl-C, which tells the members.
//! Lesson 08's protocol checks run against this server (both runtimes) and the Python asyncio room in
//! tests/protocol.rs.

use std::io::{self, BufReader, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::mpsc;
use std::thread;

use shared::trace::Trace;
use test_support::room::Member;
use test_support::{IO_TIMEOUT, Peer, Piped, ServerProcess, peer};

const SERVER: &str = env!("CARGO_BIN_EXE_chat-server-async");
const CLIENT: &str = env!("CARGO_BIN_EXE_chat-client-async");

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

/// Lesson 08's client, `chat::chat` from its crate, is a member of this room as it was of lesson 08's.
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
    ann.expect("at the end of bob's input, bob leaves", "* bob left");
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

/// The async client prints what arrives while it waits for typing, sends what is typed, and at the end
/// of input shuts down its sending side and exits once the server has closed.
#[test]
fn the_async_client_chats_while_you_type() {
    let server = ServerProcess::start(SERVER, Vec::<String>::new());
    let mut ann = Member::connect(server.addr());
    ann.expect("the welcome", "Welcome! What is your name?");
    ann.send("ann\n");
    ann.expect("ann is alone", "* online: ann");
    let mut command = Command::new(CLIENT);
    command
        .arg(server.addr().to_string())
        .args(["--name", "bob"]);
    let mut bob = Piped::start(command);
    bob.wait_for("bob", |l| l == "* online: ann, bob");
    ann.expect("bob joins", "* bob joined");
    ann.send("hi bob\n");
    bob.wait_for("bob, who has typed nothing yet", |l| l == "ann: hi bob");
    bob.type_line("hi ann");
    ann.expect("what bob types reaches ann", "bob: hi ann");
    bob.end_input();
    ann.expect("at the end of bob's input, bob leaves", "* bob left");
    assert!(
        bob.wait_exit(),
        "the client exits with success once the server has closed"
    );
}

/// Ctrl-C: every member is told, the server waits for their tasks and exits with success.
#[test]
fn ctrl_c_tells_the_members_and_stops_cleanly() {
    let server = ServerProcess::start(SERVER, ["--runtime", "current-thread"]);
    let mut ann = Member::connect(server.addr());
    ann.expect("the welcome", "Welcome! What is your name?");
    ann.send("ann\n");
    ann.expect("ann is alone", "* online: ann");
    let (ok, stderr) = server.interrupt();
    ann.expect("Ctrl-C tells every member", "* the server is stopping");
    ann.expect_closed("and closes their connections");
    assert!(ok, "Ctrl-C ends the server with success; stderr: {stderr}");
    assert!(
        stderr.contains(
            "stopped: served 1 connection(s), turned 0 away, 1 open at the stop, 0 aborted"
        ),
        "{stderr}"
    );
}

/// `--trace` shows what the tasks do to their sockets, each line labelled with the member's address.
#[test]
fn trace_shows_each_socket_event() {
    let server = ServerProcess::start(SERVER, ["--trace"]);
    let mut ann = Member::connect(server.addr());
    ann.expect("the welcome", "Welcome! What is your name?");
    ann.send("ann\n");
    ann.expect("ann is alone", "* online: ann");
    drop(ann);
    let stderr = server.stop();
    for want in [
        "] accept 127.0.0.1:",
        "write 28 bytes \"Welcome!",
        "read 4 bytes \"ann\\n\"",
    ] {
        assert!(
            stderr.contains(want),
            "the trace should show {want:?}:\n{stderr}"
        );
    }
}

#[test]
fn bad_options_are_usage_errors() {
    let status = Command::new(SERVER)
        .args(["--runtime", "green-threads"])
        .output()
        .expect("running the server");
    assert_eq!(status.status.code(), Some(2), "a bad option is exit code 2");
}

#[test]
fn the_help_in_the_chapter_is_the_programs() {
    test_support::assert_help_quoted_in_book(
        SERVER,
        "cargo run -q -p async-chat --bin chat-server-async -- --help",
    );
}
