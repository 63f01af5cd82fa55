//! The `single-server` program itself, against real tools: `nc`, `python3`, and a second program holding
//! its port. Each server runs as a child process on port 0 and is killed when its test ends; every other
//! child process has a timeout.
//!
//! A test that needs `nc` or `python3` says so and skips when it is missing, except under `CI=true` or
//! `REQUIRE_PEERS=1`, where that is a failure.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};

use assert_cmd::Command;
use common::assert_closed;
use predicates::prelude::*;
use test_support::{
    PROCESS_TIMEOUT, Peer, ServerProcess, connect, peer, read_line, read_until_closed, reset,
};

const SERVER: &str = env!("CARGO_BIN_EXE_single-server");

/// The client a Python tutorial has you write (the chapter's "From Python" starts from it).
const TUTORIAL_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/greeting_client.py");

#[test]
fn help_describes_every_option() {
    Command::new(SERVER)
        .arg("--help")
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--addr")
                .and(predicate::str::contains("--once"))
                .and(predicate::str::contains("--max-line"))
                .and(predicate::str::contains("--idle-timeout"))
                .and(predicate::str::contains("--trace"))
                .and(predicate::str::contains("127.0.0.1:7878"))
                .and(predicate::str::contains("[default: 8192]"))
                .and(predicate::str::contains("[default: 60s]")),
        );
}

#[test]
fn bad_usage_exits_with_status_2() {
    for args in [
        &["--max-line", "0"][..],
        &["--idle-timeout", "soon"],
        &["--bogus"],
    ] {
        Command::new(SERVER)
            .args(args)
            .timeout(PROCESS_TIMEOUT)
            .assert()
            .code(2);
    }
}

/// `nc -N` sends its input and then shuts down its sending side; `-C` ends each line with `\r\n`.
#[test]
fn serves_nc() {
    let Some(nc) = peer(Peer::Nc) else { return };
    let server = ServerProcess::start(SERVER, ["--once"]);
    let port = server.addr().port().to_string();
    Command::new(nc)
        .args(["-C", "-N", "127.0.0.1", &port])
        .write_stdin("Alice\nBob\n")
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout("Welcome\nHello, Alice!\nHello, Bob!\n");
    let (exited_ok, stderr) = server.wait_for_exit();
    assert!(
        exited_ok,
        "--once should exit with status 0; stderr:\n{stderr}"
    );
}

/// The Python client a learner coming from Python would write, including a line that is not UTF-8 and one
/// over the cap.
#[test]
fn serves_python3() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(SERVER, ["--once", "--max-line", "16"]);
    let script = r#"
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
    f = s.makefile("rb")
    print(f.readline())
    s.sendall(b"Alice\n")
    print(f.readline())
    s.sendall(b"caf\xe9\n")
    print(f.readline())
    s.sendall(b"x" * 1000)
    print(f.readline())
    print(f.read())
"#;
    let port = server.addr().port().to_string();
    Command::new(python)
        .args(["-c", script, &port])
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout(concat!(
            "b'Welcome\\n'\n",
            "b'Hello, Alice!\\n'\n",
            "b'error: line is not UTF-8\\n'\n",
            "b'error: line too long (max 16 bytes)\\n'\n",
            "b''\n",
        ));
    let (exited_ok, stderr) = server.wait_for_exit();
    assert!(
        exited_ok,
        "--once should exit with status 0; stderr:\n{stderr}"
    );
}

/// `python/greeting_client.py`, the client a Python tutorial has you write: names sent with `send` and no
/// newline. The server reads lines, so it waits for a `\n` that never comes while the client waits for a
/// reply; the idle timeout ends the standoff, and its notice says what was missing. (The client then sends
/// `Bob` into a closing connection and its next `recv` returns `b''`: it prints nothing more.)
#[test]
fn a_tutorial_client_without_newlines_is_told_why_nobody_answers() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(SERVER, ["--once", "--idle-timeout", "300ms"]);
    Command::new(python)
        .arg(TUTORIAL_CLIENT)
        .arg(server.addr().to_string())
        .args(["Alice", "Bob"])
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout(
            "Welcome\nerror: idle for 300ms after 5 bytes without a newline, closing the connection \
             (end each line with \\n)\n",
        );
    let (exited_ok, stderr) = server.wait_for_exit();
    assert!(
        exited_ok,
        "--once should exit with status 0; stderr:\n{stderr}"
    );
}

/// The same tutorial client with a newline in its name is greeted. Its last message, `exit`, still has
/// none: the server sees the client leave in the middle of a line and says so on stderr.
#[test]
fn a_tutorial_client_with_a_newline_is_greeted_and_its_exit_reported() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(SERVER, ["--once"]);
    Command::new(python)
        .arg(TUTORIAL_CLIENT)
        .arg(server.addr().to_string())
        .arg("Carol\n")
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout("Welcome\nHello, Carol!\n");
    let (exited_ok, stderr) = server.wait_for_exit();
    assert!(
        exited_ok,
        "--once should exit with status 0; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("connection closed in the middle of a line (4 bytes without a newline)"),
        "the server should report the `exit` that came without its newline; stderr:\n{stderr}"
    );
}

#[test]
fn once_serves_one_client_then_exits_with_status_0() {
    let server = ServerProcess::start(SERVER, ["--once"]);
    let mut client = connect(server.addr());
    assert_eq!(read_line(&mut client), "Welcome\n");
    client.write_all(b"Alice\nexit\n").unwrap();
    assert_eq!(read_line(&mut client), "Hello, Alice!\n");
    assert_closed(&mut client, "`exit`");
    let (exited_ok, stderr) = server.wait_for_exit();
    assert!(
        exited_ok,
        "--once should exit with status 0; stderr:\n{stderr}"
    );
}

#[test]
fn an_address_in_use_is_a_clear_error_with_status_1() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    Command::new(SERVER)
        .args(["--addr", &addr])
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::contains(format!("binding {addr}"))
                .and(predicate::str::contains("in use"))
                .and(predicate::str::contains("--addr 127.0.0.1:0")),
        );
}

#[test]
fn trace_shows_bind_accept_reads_writes_and_close() {
    let server = ServerProcess::start(SERVER, ["--once", "--trace"]);
    let mut client = connect(server.addr());
    let me = client.local_addr().unwrap();
    assert_eq!(read_line(&mut client), "Welcome\n");
    client.write_all(b"Alice\n").unwrap();
    assert_eq!(read_line(&mut client), "Hello, Alice!\n");
    client.shutdown(Shutdown::Write).unwrap();
    assert!(read_until_closed(&mut client).is_empty());
    let (exited_ok, stderr) = server.wait_for_exit();
    assert!(exited_ok, "stderr:\n{stderr}");

    let expected = [
        format!("[trace] bind {}", server_addr_of(&stderr)),
        format!("[trace] accept {me}"),
        format!("[trace {me}] write 8 bytes \"Welcome\\n\""),
        format!("[trace {me}] read 6 bytes \"Alice\\n\""),
        format!("[trace {me}] write 14 bytes \"Hello, Alice!\\n\""),
        format!("[trace {me}] read 0 bytes (peer closed)"),
        format!("[trace {me}] close"),
    ];
    let mut rest = stderr.as_str();
    for line in &expected {
        let at = rest.find(line.as_str()).unwrap_or_else(|| {
            panic!("the trace lacks {line:?} (in this order); it was:\n{stderr}")
        });
        rest = &rest[at + line.len()..];
    }
}

/// The address in the trace's `bind` line, so the test need not know it in advance.
fn server_addr_of(stderr: &str) -> &str {
    stderr
        .lines()
        .find_map(|line| line.strip_prefix("[trace] bind "))
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("no `bind` line in the trace:\n{stderr}"))
}

#[test]
fn a_client_error_is_reported_on_stderr_and_the_server_goes_on() {
    let server = ServerProcess::start(SERVER, ["--idle-timeout", "5s"]);
    let mut first = connect(server.addr());
    let first_addr = first.local_addr().unwrap();
    assert_eq!(read_line(&mut first), "Welcome\n");
    first.write_all(b"Ali").unwrap();
    reset(first).unwrap();

    let mut second = connect(server.addr());
    assert_eq!(
        read_line(&mut second),
        "Welcome\n",
        "the server should go on after a client's reset"
    );
    second.write_all(b"exit\n").unwrap();
    let mut rest = Vec::new();
    let _ = second.read_to_end(&mut rest);
    let stderr = server.stop();
    assert!(
        stderr.contains(&format!("client {first_addr}: Connection reset by peer")),
        "the reset should be reported on stderr, with the client's address; stderr:\n{stderr}"
    );
}

/// The chapter shows this program's `--help`: it must be the real one.
#[test]
fn the_help_shown_in_the_book_is_current() {
    test_support::assert_help_quoted_in_book(
        env!("CARGO_BIN_EXE_single-server"),
        "cargo run -q -p single-server -- --help",
    );
}
