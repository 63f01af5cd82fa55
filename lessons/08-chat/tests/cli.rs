//! The programs, run for real: `nc` as members, the tutorial-style Python client, and the lesson's own
//! client driven through a pipe; `--help` as the chapter shows it; Ctrl-C.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;

use test_support::{IO_TIMEOUT, PROCESS_TIMEOUT, Peer, ServerProcess, peer};

const SERVER: &str = env!("CARGO_BIN_EXE_chat-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_chat-client");

/// A child process whose stdout lines arrive on a channel; killed when dropped.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Running {
    fn start(mut command: Command) -> Running {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the program");
        let stdin = child.stdin.take();
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            stdin,
            lines,
        }
    }

    fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for a line that `matches`, skipping the others; panics with what came instead.
    #[track_caller]
    fn wait_for(&self, who: &str, matches: impl Fn(&str) -> bool) -> String {
        let mut seen = Vec::new();
        loop {
            match self.lines.recv_timeout(IO_TIMEOUT) {
                Ok(line) if matches(&line) => return line,
                Ok(line) => seen.push(line),
                Err(_) => panic!("{who} did not print the line expected; it printed {seen:?}"),
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nc_member(nc: &std::path::Path, server: &ServerProcess, name: &str) -> Running {
    let addr = server.addr();
    let mut command = Command::new(nc);
    command
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string());
    let mut member = Running::start(command);
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
    let alice = Running::start(alice);
    alice.wait_for("alice", |l| l == "* online: alice");
    let mut bob = Command::new(CLIENT);
    bob.args([&addr, "--name", "bob"]);
    let mut bob = Running::start(bob);
    // Alice has typed nothing, and sees Bob arrive and speak: both ways at once.
    alice.wait_for("alice", |l| l == "* bob joined");
    bob.type_line("hi alice");
    alice.wait_for("alice", |l| l == "bob: hi alice");
    // End of input: the client shuts down its sending side, the server ends the membership and closes,
    // and the client exits.
    drop(bob.stdin.take());
    alice.wait_for("alice", |l| l == "* bob left");
    let status = wait_exit(&mut bob.child);
    assert!(
        status,
        "the client exits with success once the server has closed"
    );
}

fn wait_exit(child: &mut Child) -> bool {
    let deadline = std::time::Instant::now() + PROCESS_TIMEOUT;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the client did not exit within {PROCESS_TIMEOUT:?}");
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
    let mut client = Running::start(command);
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
