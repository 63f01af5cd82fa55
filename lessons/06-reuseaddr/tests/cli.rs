//! The `reuseaddr` program itself: the demo's transcript, and the server stopped and started again as a
//! learner would, against `nc` and the tutorials' Python server (`python/restart_server.py`). Every child
//! process has a timeout, and each server is killed when its test ends.
//!
//! Tests that start a server again on the same port use a loopback address of their own (127.0.0.30 and
//! up), where no other test's socket can take or hold that port in between.
//!
//! A test that needs `nc` or `python3` says so and skips when it is missing, except under `CI=true` or
//! `REQUIRE_PEERS=1`, where that is a failure.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use test_support::{
    IO_TIMEOUT, PROCESS_TIMEOUT, Peer, ServerProcess, assert_help_quoted_in_book, connect, peer,
    read_line, read_until_closed,
};

const PROGRAM: &str = env!("CARGO_BIN_EXE_reuseaddr");

/// The tutorials' first server, as a learner types it before the "port reuse" line (the chapter's
/// "From Python" starts from it).
const RESTART_SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/restart_server.py");

/// `reuseaddr` with a timeout on the whole run.
fn reuseaddr() -> Command {
    let mut command = Command::new(PROGRAM);
    command.timeout(PROCESS_TIMEOUT);
    command
}

/// Connects to a `serve`, reads its line, and then the end of the stream: the server closes first.
#[track_caller]
fn greeted_and_closed_by(addr: SocketAddr) -> (SocketAddr, SocketAddr) {
    let mut client = connect(addr);
    let ends = (client.local_addr().unwrap(), client.peer_addr().unwrap());
    let line = read_line(&mut client);
    assert!(
        line.starts_with("Hello from reuseaddr serve"),
        "the server's line: {line:?}"
    );
    let mut rest = Vec::new();
    client
        .read_to_end(&mut rest)
        .expect("the server should close its end first, so the client reads the end of the stream");
    assert!(rest.is_empty(), "nothing after the line: {rest:?}");
    ends
}

#[test]
fn help_describes_both_commands_and_their_options() {
    reuseaddr()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("demo").and(predicate::str::contains("serve")));
    reuseaddr()
        .args(["serve", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--no-reuse")
                .and(predicate::str::contains("--addr"))
                .and(predicate::str::contains("--timeout"))
                .and(predicate::str::contains("--trace")),
        );
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        &["serve", "--addr", "localhost:7878"][..],
        &["demo", "--addr", "127.0.0.1"],
        &["serve", "--timeout", "0s"],
        &["restart"],
        &[],
    ] {
        let output = reuseaddr().args(args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "reuseaddr {args:?} is bad usage: exit 2; stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The promise: the demo reproduces "Address already in use" every time, and explains it. Run a
/// few times in a row, each leaving its connections in TIME_WAIT for the next.
#[cfg(target_os = "linux")]
#[test]
fn the_demo_reproduces_address_in_use_every_time_and_explains_it() {
    for _ in 0..5 {
        let output = reuseaddr()
            .args(["demo", "--addr", "127.0.0.30:0"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "the demo should go as on Linux:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        for phrase in [
            "SO_REUSEADDR reads back off",
            "TIME_WAIT",
            "the server's end, which closed first",
            "Address already in use (os error 98)",
            "Errno 98",
            "Linux asks it of both sockets",
            "SO_REUSEADDR on:  bound",
            "SO_REUSEADDR reads back on",
            "the client's end, which closed first",
            "SO_REUSEADDR off: bound",
            "both with SO_REUSEPORT: bound",
            "ss -tan state time-wait",
        ] {
            assert!(
                stdout.contains(phrase),
                "the demo should say {phrase:?}:\n{stdout}"
            );
        }
        for step in 1..=8 {
            assert!(
                stdout.contains(&format!("\n{step}. ")),
                "step {step} is missing:\n{stdout}"
            );
        }
        assert!(!stdout.contains("UNEXPECTED"), "{stdout}");
    }
}

/// Every trace line comes from a call that happened, where it happened: each system call of `listen`
/// is traced as it returns (a call the library skipped would be missing), a failed one with its error.
#[cfg(target_os = "linux")]
#[test]
fn the_demo_traces_each_socket_call() {
    let output = reuseaddr()
        .args(["demo", "--addr", "127.0.0.31:0", "--trace"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first: Vec<&str> = stderr.lines().take(5).collect();
    assert_eq!(
        first,
        [
            "[trace] socket",
            "[trace] setsockopt(SO_REUSEADDR, 0)",
            "[trace] bind 127.0.0.31:0",
            "[trace] listen(128)",
            first.get(4).copied().unwrap_or_default(),
        ],
        "{stderr}"
    );
    assert!(
        first[4].starts_with("[trace] listening on 127.0.0.31:"),
        "{stderr}"
    );
    for line in [
        "[trace] setsockopt(SO_REUSEADDR, 1)",
        "[trace] setsockopt(SO_REUSEPORT, 1)",
        ": failed: Address already in use (os error 98)",
        "; accept",
        "[trace] close_connection(client, server, Side::Server): returned",
        "[trace] close_connection(client, server, Side::Client): returned",
        "[trace] close listener 127.0.0.31:",
        "[trace] TcpListener::bind 127.0.0.31:",
    ] {
        assert!(stderr.contains(line), "{line:?} is missing:\n{stderr}");
    }
    // A listener that failed to bind never called listen: no line says it did.
    for line in stderr.lines() {
        assert!(
            !(line.contains("failed") && line.contains("listen(")),
            "a failed bind is the last call: {line}"
        );
    }
}

/// The server sends its line and closes first; the client sees the end of the stream; the server's end
/// is left in TIME_WAIT; and the server goes on with the next client.
#[cfg(target_os = "linux")]
#[test]
fn serve_closes_first_and_leaves_time_wait_on_its_side() {
    use reuseaddr::{TcpState, wait_for_state};

    let server = ServerProcess::start(PROGRAM, ["serve", "--addr", "127.0.0.32:0"]);
    let (client_end, server_end) = greeted_and_closed_by(server.addr());
    assert!(
        wait_for_state(server_end, client_end, TcpState::TimeWait, IO_TIMEOUT).unwrap(),
        "the server closed first: its end should be in TIME_WAIT"
    );
    greeted_and_closed_by(server.addr());
}

/// Stopped and started again at once without SO_REUSEADDR, the server fails the way Python's does, and
/// says why; with SO_REUSEADDR it still fails, because the connection in TIME_WAIT was made without it.
/// So the first message must not offer SO_REUSEADDR (leaving out --no-reuse) as the way out: it says to
/// wait.
#[cfg(target_os = "linux")]
#[test]
fn serve_started_again_without_reuse_fails_and_says_why() {
    let server = ServerProcess::start(PROGRAM, ["serve", "--no-reuse", "--addr", "127.0.0.33:0"]);
    let addr = server.addr().to_string();
    greeted_and_closed_by(server.addr());
    server.stop();

    reuseaddr()
        .args(["serve", "--no-reuse", "--addr", &addr])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains(format!("binding {addr}: Address already in use"))
                .and(predicate::str::contains(
                    "1 connection in TIME_WAIT: this side closed it first, in the last 60 s, without \
                     SO_REUSEADDR",
                ))
                .and(predicate::str::contains(
                    "setting it now would not help (a bind with it is refused too): wait for it to \
                     expire",
                ))
                .and(predicate::str::contains("--no-reuse").not()),
        );
    reuseaddr()
        .args(["serve", "--addr", &addr])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "made by a program that did not set SO_REUSEADDR",
        ));
}

/// After a server with SO_REUSEADDR (the default) served a client, `serve --no-reuse` fails there, and
/// its message says that leaving out --no-reuse gets past the TIME_WAIT: following it works.
#[cfg(target_os = "linux")]
#[test]
fn serve_without_reuse_after_one_with_it_offers_the_advice_that_works() {
    let server = ServerProcess::start(PROGRAM, ["serve", "--addr", "127.0.0.37:0"]);
    let addr = server.addr();
    greeted_and_closed_by(addr);
    server.stop();

    reuseaddr()
        .args([
            "serve",
            "--no-reuse",
            "--addr",
            &addr.to_string(),
            "--trace",
        ])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("1 connection in TIME_WAIT: this side closed it first")
                .and(predicate::str::contains("with SO_REUSEADDR on"))
                .and(predicate::str::contains("(here: leave out --no-reuse)"))
                // The kernel was asked, by a bind that did not listen; the trace shows it.
                .and(predicate::str::contains(format!(
                    "[trace would SO_REUSEADDR help?] bind {addr}\n"
                ))),
        );
    let again = ServerProcess::start(PROGRAM, ["serve", "--addr", &addr.to_string()]);
    assert_eq!(again.addr(), addr, "leaving out --no-reuse, as told, works");
    greeted_and_closed_by(addr);
}

/// A live listener holds the address: no option gets past it, so the message offers none, with
/// --no-reuse or without.
#[cfg(target_os = "linux")]
#[test]
fn serve_where_a_server_listens_says_to_stop_it_and_offers_no_option() {
    let server = ServerProcess::start(PROGRAM, ["serve", "--addr", "127.0.0.38:0"]);
    let addr = server.addr().to_string();
    for args in [
        &["serve", "--no-reuse", "--addr", &addr][..],
        &["serve", "--addr", &addr],
    ] {
        reuseaddr().args(args).assert().code(1).stderr(
            predicate::str::contains("a server is listening there now: stop it")
                .and(predicate::str::contains("--no-reuse").not())
                .and(predicate::str::contains("TIME_WAIT").not()),
        );
    }
    greeted_and_closed_by(server.addr());
}

/// With SO_REUSEADDR (the default), the server starts again at once on the same address.
#[cfg(target_os = "linux")]
#[test]
fn serve_with_reuse_starts_again_at_once() {
    let server = ServerProcess::start(PROGRAM, ["serve", "--addr", "127.0.0.34:0"]);
    let addr = server.addr();
    greeted_and_closed_by(addr);
    server.stop();

    let again = ServerProcess::start(PROGRAM, ["serve", "--addr", &addr.to_string()]);
    assert_eq!(again.addr(), addr);
    greeted_and_closed_by(addr);
}

/// A client that neither closes nor stops sending cannot hold the server: after `--timeout` it is
/// dropped, and the next client is served.
/// The trace says plainly that the read's error was the timeout.
#[test]
fn serve_drops_a_client_that_never_closes_and_goes_on() {
    let server = ServerProcess::start(PROGRAM, ["serve", "--timeout", "200ms", "--trace"]);
    let mut idle = connect(server.addr());
    let line = read_line(&mut idle);
    assert!(line.starts_with("Hello"), "{line:?}");
    // `idle` stays open and says nothing: the server waits for its FIN until the timeout.
    greeted_and_closed_by(server.addr());
    drop(idle);
    let stderr = server.stop();
    assert!(
        stderr.contains("read timed out: nothing arrived within the socket's read timeout"),
        "{stderr}"
    );
}

/// `nc` as the client: it prints the server's line and exits when the server closes.
#[test]
fn nc_gets_the_line_and_the_end_of_the_stream() {
    let Some(nc) = peer(Peer::Nc) else { return };
    let server = ServerProcess::start(PROGRAM, ["serve"]);
    let addr = server.addr();
    Command::new(nc)
        .args([addr.ip().to_string(), addr.port().to_string()])
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Hello from reuseaddr serve"));
}

/// Serves one client of the tutorials' server (`python/restart_server.py`): sends a line, reads the
/// answer and the end of the stream (the server closes first), then closes. Returns the client's end and
/// the server's.
#[track_caller]
fn served_once_by_python(addr: SocketAddr) -> (SocketAddr, SocketAddr) {
    let mut client = connect(addr);
    let ends = (client.local_addr().unwrap(), client.peer_addr().unwrap());
    client.write_all(b"hello\n").unwrap();
    assert_eq!(
        read_until_closed(&mut client),
        b"got it\n",
        "the tutorials' server answers one line and closes"
    );
    ends
}

/// The tutorials' server run again on `addr` (with `--reuse`, the forum's line, when asked): it should
/// stop at `bind` with Python's Errno 98.
#[track_caller]
fn assert_python_cannot_bind_again(python: &Path, addr: &str, reuse: bool) {
    let mut args = vec![RESTART_SERVER];
    if reuse {
        args.push("--reuse");
    }
    args.push(addr);
    let output = Command::new(python)
        .args(&args)
        .timeout(PROCESS_TIMEOUT)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(
        stderr.contains("OSError: [Errno 98] Address already in use"),
        "python3 {args:?} should fail at bind:\n{stderr}"
    );
}

/// The learner's own server (`python/restart_server.py`, no SO_REUSEADDR) serves a client and closes
/// first; started again at once, it fails with Errno 98, and so does the forum's fix (`--reuse`), since
/// the old socket lacked the option. `reuseaddr serve` cannot bind that address either, with SO_REUSEADDR
/// or without (the naive server's own bug, which no successor can undo), and its message says why: a
/// connection in TIME_WAIT made by a program without SO_REUSEADDR, so wait for it to expire.
#[cfg(target_os = "linux")]
#[test]
fn the_tutorials_server_started_again_fails_with_errno_98_and_serve_says_why() {
    use reuseaddr::{TcpState, wait_for_state};

    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(&python, [RESTART_SERVER, "--addr", "127.0.0.35:0"]);
    let addr = server.addr();
    let (client_end, server_end) = served_once_by_python(addr);
    let (exited_well, stderr) = server.wait_for_exit();
    assert!(exited_well, "it serves one client and exits: {stderr}");
    assert!(
        wait_for_state(server_end, client_end, TcpState::TimeWait, IO_TIMEOUT).unwrap(),
        "the Python server closed first: its end should be in TIME_WAIT"
    );

    let addr = addr.to_string();
    assert_python_cannot_bind_again(&python, &addr, false);
    assert_python_cannot_bind_again(&python, &addr, true);
    reuseaddr()
        .args(["serve", "--addr", &addr])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains(format!("binding {addr}: Address already in use"))
                .and(predicate::str::contains(
                    "1 connection in TIME_WAIT, made by a program that did not set SO_REUSEADDR",
                ))
                .and(predicate::str::contains("wait for it to expire")),
        );
    reuseaddr()
        .args(["serve", "--no-reuse", "--addr", &addr])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains(
                "1 connection in TIME_WAIT: this side closed it first, in the last 60 s, without \
                 SO_REUSEADDR",
            )
            .and(predicate::str::contains("--no-reuse").not()),
        );
}

/// After `reuseaddr serve` (with SO_REUSEADDR) served a client and stopped, the tutorials' server binds
/// its address only with the forum's line: SO_REUSEADDR on both sockets passes the TIME_WAIT. It then
/// serves a client as usual.
#[cfg(target_os = "linux")]
#[test]
fn after_serve_the_tutorials_server_binds_again_only_with_so_reuseaddr() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(PROGRAM, ["serve", "--addr", "127.0.0.36:0"]);
    let addr = server.addr();
    greeted_and_closed_by(addr);
    server.stop();

    assert_python_cannot_bind_again(&python, &addr.to_string(), false);
    let again = ServerProcess::start(
        &python,
        [RESTART_SERVER, "--reuse", "--addr", &addr.to_string()],
    );
    assert_eq!(again.addr(), addr);
    served_once_by_python(addr);
    let (exited_well, stderr) = again.wait_for_exit();
    assert!(exited_well, "{stderr}");
}

#[test]
fn the_help_shown_in_the_book_is_current() {
    assert_help_quoted_in_book(PROGRAM, "cargo run -q -p reuseaddr -- --help");
}
