//! The programs, run for real: `nc` as members, the tutorial-style Python client, and the lesson's own
//! client driven through a pipe; `--help` as the chapter shows it; Ctrl-C.

use std::process::Command;

use test_support::{Peer, Piped, ServerProcess, peer};

const SERVER: &str = env!("CARGO_BIN_EXE_chat-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_chat-client");

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

/// The lesson's client, driven through a pipe: it prints what arrives while its input waits, and `--name`
/// sends the name first.
#[test]
fn the_chat_client_through_a_pipe() {
    let server = ServerProcess::start(SERVER, Vec::<String>::new());
    let addr = server.addr().to_string();
    let mut alice = Command::new(CLIENT);
    alice.args([&addr, "--name", "alice"]);
    let alice = Piped::start(alice);
    alice.wait_for("alice", |l| l == "* online: alice");
    let mut bob = Command::new(CLIENT);
    bob.args([&addr, "--name", "bob"]);
    let mut bob = Piped::start(bob);
    // Alice has typed nothing, and sees Bob arrive and speak: both ways at once.
    alice.wait_for("alice", |l| l == "* bob joined");
    bob.type_line("hi alice");
    alice.wait_for("alice", |l| l == "bob: hi alice");
    // End of input: the client shuts down its sending side, the server ends the membership and closes,
    // and the client exits.
    bob.end_input();
    alice.wait_for("alice", |l| l == "* bob left");
    let status = bob.wait_exit();
    assert!(
        status,
        "the client exits with success once the server has closed"
    );
}

/// The tutorial's alternating client works as far as alternating allows: it sees the welcome, sends its
/// name, and its `recv(1024)` after each line returns whatever had arrived, which may answer an earlier line.
#[test]
fn the_tutorial_style_python_client_joins_and_alternates() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(SERVER, Vec::<String>::new());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/chat_client.py");
    let mut command = Command::new(python);
    command.arg(script).arg(server.addr().to_string());
    let mut client = Piped::start(command);
    client.wait_for("python", |l| l == "server: Welcome! What is your name?");
    client.type_line("py");
    client.wait_for("python", |l| l.contains("* online: py"));
    client.type_line("/who");
    client.wait_for("python", |l| l.contains("* online: py"));
    client.type_line("quit");
    client.wait_for("python", |l| l.ends_with("[+] closing"));
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
        "cargo run -q -p chat --bin chat-server -- --help",
    );
}
