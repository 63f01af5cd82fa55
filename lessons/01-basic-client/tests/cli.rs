//! The `basic-client` program, run as a learner runs it: against fixture servers, a Python server, a closed
//! port and a silent server. Every run has a timeout.

use std::net::TcpListener;

use assert_cmd::Command;
use predicates::prelude::*;
use test_support::fixtures::{CannedServer, EchoServer, FeedServer};
use test_support::{PROCESS_TIMEOUT, Peer, ServerProcess, peer};

fn client() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_basic-client"));
    cmd.timeout(PROCESS_TIMEOUT);
    cmd
}

#[test]
fn help_explains_every_argument() {
    client()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("HOST").and(predicate::str::contains("--send")))
        .stdout(
            predicate::str::contains("--read-timeout").and(predicate::str::contains("--trace")),
        );
}

#[test]
fn prints_everything_the_server_sends_until_it_closes() {
    let text = "Welcome\nçà et là ☕\n";
    let bytes = text.as_bytes();
    let feed = FeedServer::start([&bytes[..9], &bytes[9..20], &bytes[20..]]);
    client()
        .args(["127.0.0.1", &feed.addr().port().to_string()])
        .assert()
        .success()
        .stdout(text);
}

/// The other side is Python, written the way a Python tutorial would write it: it reads until `recv`
/// returns b"" (our half-close), then answers and closes.
#[test]
fn sends_lines_and_half_closes_for_a_python_server() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let script = r#"
import socket, sys
host, port = sys.argv[-1].rsplit(":", 1)
server = socket.socket()
server.bind((host, int(port)))
server.listen()
print("listening on %s:%d" % server.getsockname(), flush=True)
conn, _ = server.accept()
conn.settimeout(3)
request = b""
while True:
    data = conn.recv(1024)
    if not data:
        break
    request += data
conn.sendall(request.decode("utf-8").upper().encode("utf-8"))
conn.close()
"#;
    let server = ServerProcess::start(python, ["-c", script]);
    client()
        .args([
            "127.0.0.1",
            &server.addr().port().to_string(),
            "--send",
            "hello",
            "--send",
            "wörld",
        ])
        .assert()
        .success()
        .stdout("HELLO\nWÖRLD\n");
}

#[test]
fn a_closed_port_is_refused_with_advice() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    client()
        .args(["127.0.0.1", &port.to_string()])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("Connection refused")
                .and(predicate::str::contains("is the server running?")),
        );
}

#[test]
fn a_silent_server_ends_in_a_read_timeout_not_a_hang() {
    let silent = CannedServer::silent();
    client()
        .args([
            "127.0.0.1",
            &silent.addr().port().to_string(),
            "--read-timeout",
            "300ms",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing arrived for 300ms"));
}

#[test]
fn trace_shows_every_socket_call() {
    let echo = EchoServer::start();
    client()
        .args([
            "127.0.0.1",
            &echo.addr().port().to_string(),
            "--send",
            "Alice",
            "--trace",
        ])
        .assert()
        .success()
        .stdout("Alice\n")
        .stderr(predicate::str::contains(format!(
            "[trace] connect {}",
            echo.addr()
        )))
        .stderr(predicate::str::contains(
            "[trace] write 6 bytes \"Alice\\n\"",
        ))
        .stderr(predicate::str::contains("[trace] shutdown(Write)"))
        .stderr(predicate::str::contains(
            "[trace] read 0 bytes (peer closed)",
        ))
        .stderr(predicate::str::contains("[trace] close"));
}

#[test]
fn bad_usage_exits_2() {
    client().args(["--read-timeout", "0"]).assert().code(2);
    client().args(["localhost", "not-a-port"]).assert().code(2);
    client().args(["localhost", "0"]).assert().code(2);
}

/// `localhost` may resolve to `::1` and `127.0.0.1`; the server listens on the IPv4 one only. The client
/// tries each address in turn, so it connects either way, and `--trace` shows what was resolved.
#[test]
fn a_host_name_is_resolved_and_each_address_tried() {
    let feed = FeedServer::start(["found you\n"]);
    client()
        .args(["localhost", &feed.addr().port().to_string(), "--trace"])
        .assert()
        .success()
        .stdout("found you\n")
        .stderr(predicate::str::contains("[trace] resolve localhost -> ["))
        .stderr(predicate::str::contains(format!(
            "[trace] connect {}",
            feed.addr()
        )));
}

#[test]
fn ipv6_works_the_same_way() {
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        eprintln!("skipped: this machine has no IPv6 loopback (::1)");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        use std::io::Write;
        let (mut stream, _) = listener.accept().unwrap();
        stream.write_all(b"hello over IPv6\n").unwrap();
    });
    client()
        .args(["::1", &port.to_string()])
        .assert()
        .success()
        .stdout("hello over IPv6\n");
    server.join().unwrap();
}

/// Servers print `listening on IP:PORT`; pasting that as the host gets advice, not just a DNS error.
#[test]
fn an_address_with_its_port_in_one_argument_gets_advice() {
    let feed = FeedServer::start(["never read\n"]);
    let port = feed.addr().port();
    client()
        .arg(format!("127.0.0.1:{port}"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "basic-client 127.0.0.1 {port}"
        )));
}

/// The chapter shows this program's `--help`: it must be the real one.
#[test]
fn the_help_shown_in_the_book_is_current() {
    test_support::assert_help_quoted_in_book(
        env!("CARGO_BIN_EXE_basic-client"),
        "cargo run -q -p basic-client -- --help",
    );
}
