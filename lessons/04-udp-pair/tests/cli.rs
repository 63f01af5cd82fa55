//! The `udp-server` and `udp-client` programs themselves: against each other, against real tools (`nc -u`,
//! `python3`) in both directions, and where nobody answers. Each server runs as a child process on port 0
//! and is killed when its test ends; every other child process has a timeout.
//!
//! A test that needs `nc` or `python3` says so and skips when it is missing, except under `CI=true` or
//! `REQUIRE_PEERS=1`, where that is a failure.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use assert_cmd::Command;
use common::{SILENCE, client, closed_port, show_all};
use predicates::prelude::*;
use test_support::{IO_TIMEOUT, PROCESS_TIMEOUT, Peer, ServerProcess, peer};

const SERVER: &str = env!("CARGO_BIN_EXE_udp-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_udp-client");

/// `udp-client` with a timeout on the whole run.
/// The tutorials' kind of UDP server and client, in Python (the chapter's "From Python" starts from them).
const TUTORIAL_SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/udp_server.py");
const TUTORIAL_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/udp_client.py");

fn udp_client() -> Command {
    let mut command = Command::new(CLIENT);
    command.timeout(PROCESS_TIMEOUT);
    command
}

#[test]
fn help_describes_every_option_of_both_programs() {
    Command::new(SERVER)
        .arg("--help")
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--addr")
                .and(predicate::str::contains("--max-datagram"))
                .and(predicate::str::contains("--drop-every"))
                .and(predicate::str::contains("--trace"))
                .and(predicate::str::contains("Hello, X!"))
                .and(predicate::str::contains("127.0.0.1:7878"))
                .and(predicate::str::contains("[default: 1024]")),
        );
    udp_client().arg("--help").assert().success().stdout(
        predicate::str::contains("HOST:PORT")
            .and(predicate::str::contains("MESSAGE"))
            .and(predicate::str::contains("--timeout"))
            .and(predicate::str::contains("--tries"))
            .and(predicate::str::contains("--trace"))
            .and(predicate::str::contains("[default: 1s]"))
            .and(predicate::str::contains("[default: 3]")),
    );
}

#[test]
fn bad_usage_exits_with_status_2_and_says_why() {
    for (args, says) in [
        (&["--max-datagram", "0"][..], "0 is not in 1..=65507"),
        (&["--max-datagram", "65508"], "65508 is not in 1..=65507"),
        (
            &["--drop-every", "0"],
            "'--drop-every <N>': 0 is not in 1..",
        ),
        (
            &["--addr", "localhost:7878"],
            "`localhost:7878` is not IP:PORT",
        ),
        (&["--bogus"], "--bogus"),
    ] {
        Command::new(SERVER)
            .args(args)
            .timeout(PROCESS_TIMEOUT)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(says));
    }
    for (args, says) in [
        (&["127.0.0.1:7878"][..], "<MESSAGE>"),
        (
            &["127.0.0.1", "Alice"],
            "`127.0.0.1` has no port: write HOST:PORT",
        ),
        (&["127.0.0.1:x", "Alice"], "`x` is not a port"),
        (&["127.0.0.1:0", "Alice"], "`0` is not a port"),
        (&["::1:7878", "Alice"], "[::1]:7878"),
        (
            &["127.0.0.1:7878", "Alice", "--tries", "0"],
            "0 is not in 1..=100",
        ),
        (
            &["127.0.0.1:7878", "Alice", "--timeout", "0"],
            "`0` is too short",
        ),
    ] {
        udp_client()
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(says));
    }
}

#[test]
fn an_address_in_use_is_a_clear_error_with_status_1() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
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
fn client_and_server_talk() {
    let server = ServerProcess::start(SERVER, ["--trace"]);
    udp_client()
        .args([&server.addr().to_string(), "Alice", "Bob", "#9 not a tag"])
        .assert()
        .success()
        .stdout("Hello, Alice!\nHello, Bob!\nHello, #9 not a tag!\n")
        .stderr("");
    let stderr = server.stop();
    assert!(
        stderr.contains("[trace] recv_from 127.0.0.1:")
            && stderr.contains("8 bytes \"#1 Alice\"")
            && stderr.contains("[trace] send_to 127.0.0.1:")
            && stderr.contains("17 bytes \"#1 Hello, Alice!\\n\""),
        "the server's trace should show each datagram received and each reply sent; it was:\n{stderr}"
    );
}

/// An error reply is an answer: the client reports it on stderr at once, goes on with the next message,
/// and exits with status 1. A message too long for the server (`--max-datagram 16`) gets its error with
/// its tag, so the client knows which request failed instead of waiting for a reply until its 30 s
/// timeout (the run is stopped after `PROCESS_TIMEOUT`, 10 s).
#[test]
fn an_error_reply_is_reported_at_once_with_status_1() {
    let server = ServerProcess::start(SERVER, ["--max-datagram", "16"]);
    udp_client()
        .args([
            &server.addr().to_string(),
            "Alice",
            "",
            "a name far too long for 16 bytes",
            "Bob",
            "--timeout",
            "30s",
        ])
        .assert()
        .code(1)
        .stdout("Hello, Alice!\nHello, Bob!\n")
        .stderr(
            predicate::str::contains("\"\": the server says \"error: empty datagram\"").and(
                predicate::str::contains(
                    "\"a name far too long for 16 bytes\": the server says \"error: datagram too long \
                     (max 16 bytes)\"",
                ),
            ),
        );
}

/// The lesson's acceptance test: the server ignores every second datagram (`--drop-every 2`), as a lossy
/// network would, and the client still prints every reply, in order, and exits with status 0; its trace
/// shows why: no reply within the timeout, sending again.
#[test]
fn acceptance_every_message_is_answered_through_a_server_that_drops_every_second_datagram() {
    let server = ServerProcess::start(SERVER, ["--drop-every", "2", "--trace"]);
    let assert = udp_client()
        .args([
            &server.addr().to_string(),
            "Alice",
            "Bob",
            "Carol",
            "Dave",
            "--timeout",
            "200ms",
            "--trace",
        ])
        .assert()
        .success()
        .stdout("Hello, Alice!\nHello, Bob!\nHello, Carol!\nHello, Dave!\n");
    let client_trace = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        client_trace.contains("no reply within 200ms, sending again")
            && client_trace.contains("(try 2 of 3)"),
        "the client's trace should show a retry; it was:\n{client_trace}"
    );
    let server_trace = server.stop();
    assert!(
        server_trace.contains("dropped datagram 2 from 127.0.0.1:")
            && server_trace.contains("on purpose"),
        "the server's trace should show the datagrams it dropped; it was:\n{server_trace}"
    );
}

/// Nothing listens on the port: the client's socket is connected, so the kernel's "port unreachable"
/// comes back as an error at once, and the client says so with status 1, long before its 30 s timeout
/// (the run is stopped after `PROCESS_TIMEOUT`, 10 s).
#[test]
fn a_client_to_a_closed_port_says_nothing_listens_at_once() {
    let nobody = closed_port().to_string();
    udp_client()
        .args([&nobody, "Alice", "--timeout", "30s"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::contains("Connection refused")
                .and(predicate::str::contains(format!(
                    "nothing listens on UDP {nobody}"
                )))
                .and(predicate::str::contains("is the lesson 04 server running?")),
        );
}

/// A peer that receives and never answers: the client sends each message `--tries` times, waits
/// `--timeout` after each, says which message got no reply and exits with status 1. The peer received
/// exactly two copies of the request.
#[test]
fn a_client_to_a_silent_peer_gives_up_after_its_tries() {
    let silent = client();
    udp_client()
        .args([
            &silent.local_addr().unwrap().to_string(),
            "Alice",
            "--tries",
            "2",
            "--timeout",
            "100ms",
        ])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(
            "\"Alice\": no reply after 2 tries (100ms each)",
        ));
    silent.set_read_timeout(Some(SILENCE)).unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    while let Ok(len) = silent.recv(&mut buf) {
        received.push(buf[..len].to_vec());
    }
    assert_eq!(
        received,
        vec![b"#1 Alice".to_vec(); 2],
        "the silent peer should receive the tagged request twice: {}",
        show_all(&received)
    );
}

/// A child process that is killed when this value drops, so that a failing test leaves none behind.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `nc -u` (netcat-openbsd) sends each chunk it reads on stdin as one datagram, `Alice\n` here, and prints
/// what comes back. It never ends by itself (UDP has no end of stream to tell it the server is done), so
/// the test keeps its stdin open, reads the reply line, and kills it.
#[test]
fn the_server_answers_nc() {
    let Some(nc) = peer(Peer::Nc) else { return };
    let server = ServerProcess::start(SERVER, ["--trace"]);
    let mut nc = KillOnDrop(
        StdCommand::new(nc)
            .args(["-u", "127.0.0.1", &server.addr().port().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting nc"),
    );
    let stdout = BufReader::new(nc.0.stdout.take().expect("stdout is piped"));
    let (line_tx, line) = mpsc::channel();
    thread::spawn(move || {
        let _ = line_tx.send(stdout.lines().next());
    });
    let mut stdin = nc.0.stdin.take().expect("stdin is piped");
    stdin.write_all(b"Alice\n").unwrap();
    stdin.flush().unwrap();
    match line.recv_timeout(IO_TIMEOUT) {
        Ok(Some(Ok(line))) => assert_eq!(line, "Hello, Alice!", "nc's output"),
        other => panic!(
            "nc printed no reply within {IO_TIMEOUT:?} ({other:?}); the server's trace:\n{}",
            server.stderr_text()
        ),
    }
    drop(stdin);
    drop(nc);
    assert!(
        server.stop().contains("6 bytes \"Alice\\n\""),
        "nc sent `Alice` and its newline as one datagram"
    );
}

/// A client as a learner coming from Python writes it: `sendto`, then `recvfrom(1024)` with a timeout. The
/// reply comes from the server's port; a datagram too big for the server gets the error line.
#[test]
fn the_server_answers_a_python3_client() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(SERVER, std::iter::empty::<&str>());
    let script = r#"
import socket, sys
server = ("127.0.0.1", int(sys.argv[1]))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(5)
sock.sendto(b"Alice", server)
data, addr = sock.recvfrom(1024)
print(data, addr == server)
sock.sendto(b"x" * 2000, server)
data, addr = sock.recvfrom(1024)
print(data)
"#;
    Command::new(python)
        .args(["-c", script, &server.addr().port().to_string()])
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout(concat!(
            "b'Hello, Alice!\\n' True\n",
            "b'error: datagram too long (max 1024 bytes)\\n'\n",
        ));
}

/// A UDP server in a few lines of Python that answers `Hello, X!` and keeps the tag, as the lesson's
/// protocol says. It binds where `--addr` says (`ServerProcess` passes `--addr 127.0.0.1:0`) and prints
/// its `listening on` line like a lesson server, so the test knows its port without waiting.
const PYTHON_SERVER: &str = r#"
import re, socket, sys
host, port = sys.argv[sys.argv.index("--addr") + 1].rsplit(":", 1)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((host, int(port)))
print("listening on %s:%d" % sock.getsockname(), flush=True)
sock.settimeout(30)
while True:
    data, addr = sock.recvfrom(1024)
    tag, name = re.fullmatch(rb"(#\d+ )?(.*?)\r?\n?", data, re.S).groups()
    sock.sendto((tag or b"") + b"Hello, " + name + b"!\n", addr)
"#;

#[test]
fn the_client_talks_to_a_python3_server() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(python, ["-c", PYTHON_SERVER]);
    udp_client()
        .args([&server.addr().to_string(), "Alice", "Bob"])
        .assert()
        .success()
        .stdout("Hello, Alice!\nHello, Bob!\n");
    let stderr = server.stop();
    assert!(
        !stderr.contains("Traceback"),
        "the Python server failed:\n{stderr}"
    );
}

/// `python/udp_server.py`, the tutorials' UDP server, copies the datagram into its reply as it is, so the
/// tag lands inside it: `#1 dbb` gets `Hello, #1 dbb!`. The client takes such an untagged datagram as the
/// reply (it never claims "no reply" when replies came), says once what that costs, and with `--no-tags`
/// sends the names bare, as the tutorials' client does.
#[test]
fn the_client_works_with_the_tutorials_server_which_does_not_echo_tags() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(&python, [TUTORIAL_SERVER]);
    let server_addr = server.addr().to_string();
    udp_client()
        .args([&server_addr, "dbb", "lily"])
        .assert()
        .success()
        .stdout("Hello, #1 dbb!\nHello, #2 lily!\n")
        .stderr(predicate::str::contains(
            "the server does not echo the tags it is sent (it answered \"Hello, #1 dbb!\")",
        ))
        .stderr(predicate::str::contains(
            "a late reply can no longer be told",
        ))
        .stderr(predicate::str::contains("no reply").not());
    udp_client()
        .args([&server_addr, "dbb", "lily", "--no-tags"])
        .assert()
        .success()
        .stdout("Hello, dbb!\nHello, lily!\n")
        .stderr("");
}

/// `python/udp_client.py`, the tutorials' UDP client, gets its replies from the lesson's server.
#[test]
fn the_tutorials_client_is_answered_by_the_server() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(SERVER, std::iter::empty::<&str>());
    Command::new(&python)
        .args([TUTORIAL_CLIENT, &server.addr().to_string(), "dbb", "lily"])
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout("Hello, dbb!\nHello, lily!\n");
}

/// The tutorials' client has no timeout: when its datagram is lost (here the server drops every one,
/// `--drop-every 1`), its `recv` waits for ever, and only this test's time limit ends it. The lesson's
/// client, against the same server, gives up after its tries and says so.
#[test]
fn the_tutorials_client_waits_for_ever_for_a_lost_reply_and_this_one_does_not() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(SERVER, ["--drop-every", "1"]);
    Command::new(&python)
        .args([TUTORIAL_CLIENT, &server.addr().to_string(), "dbb"])
        .timeout(Duration::from_millis(500))
        .assert()
        .interrupted()
        .stdout("");
    udp_client()
        .args([&server.addr().to_string(), "dbb", "--timeout", "50ms"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "\"dbb\": no reply after 3 tries (50ms each)",
        ));
}

/// The chapter shows both programs' `--help`: they must be the real ones.
#[test]
fn the_help_shown_in_the_book_is_current() {
    test_support::assert_help_quoted_in_book(
        env!("CARGO_BIN_EXE_udp-server"),
        "cargo run -q -p udp-pair --bin udp-server -- --help",
    );
    test_support::assert_help_quoted_in_book(
        env!("CARGO_BIN_EXE_udp-client"),
        "cargo run -q -p udp-pair --bin udp-client -- --help",
    );
}
