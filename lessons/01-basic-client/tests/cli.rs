//! The `basic-client` program, run as a learner runs it: against fixture servers, a Python server, a closed
//! port and a silent server. Every run has a timeout.

use std::net::TcpListener;

use assert_cmd::Command;
use predicates::prelude::*;
use test_support::fixtures::{CannedServer, EchoServer, FeedServer};
use test_support::{PROCESS_TIMEOUT, Peer, ServerProcess, peer};

/// The tutorials' kind of server and client, in Python (the chapter's "From Python" starts from them).
const TUTORIAL_SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/greeting_server.py");
const TUTORIAL_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/feed_client.py");

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

/// Servers print `listening on IP:PORT`: pasted as it is, that is the server to connect to.
#[test]
fn the_address_a_server_prints_can_be_pasted_as_it_is() {
    let feed = FeedServer::start(["found you\n"]);
    client()
        .arg(feed.addr().to_string())
        .assert()
        .success()
        .stdout("found you\n");
}

/// A server written without its port, or with a space for the colon, is a usage error that says how to
/// write it.
#[test]
fn a_server_without_its_port_is_a_usage_error_that_says_how_to_write_it() {
    for (server, says) in [
        ("127.0.0.1", "`127.0.0.1` has no port: write HOST:PORT"),
        ("127.0.0.1 7878", "a space where the colon goes"),
        ("::1", "[::1]:7878"),
    ] {
        client()
            .arg(server)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(says));
    }
}

/// `python/greeting_server.py` is the tutorials' server: it takes each `recv(1024)` for one message. This
/// client sends its lines in one write, so they arrive together, and that server answers them as one:
/// the client works, and shows the naive server's bug.
#[test]
fn a_tutorial_server_answers_two_lines_sent_together_as_one_message() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(&python, [TUTORIAL_SERVER]);
    let server_addr = server.addr().to_string();
    client()
        .args([&server_addr, "--send", "Alice"])
        .assert()
        .success()
        .stdout("Welcome\nHello, Alice!\n");
    client()
        .args([&server_addr, "--send", "Alice", "--send", "Bob"])
        .assert()
        .success()
        .stdout("Welcome\nHello, Alice\nBob!\n");
}

/// `python/feed_client.py` is the tutorials' client: it decodes each `recv(1024)` on its own. A feed whose
/// `é` straddles byte 1024 makes its first `recv` end in the middle of the character (1025 bytes sent in one
/// write arrive together on loopback, and `recv(1024)` returns 1024 of them): Python raises
/// `UnicodeDecodeError`. This lesson's client keeps the unfinished character for the next read (step 3).
#[test]
fn the_tutorial_client_breaks_on_a_character_split_between_reads_and_this_one_does_not() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let text = format!("{}\u{e9}\n", "a".repeat(1023));
    let feed = FeedServer::start([text.clone()]);
    Command::new(&python)
        .arg(TUTORIAL_CLIENT)
        .arg(feed.addr().to_string())
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xc3 in position 1023",
        ));
    client()
        .arg(feed.addr().to_string())
        .assert()
        .success()
        .stdout(text);
}

/// The chapter shows this program's `--help`: it must be the real one.
#[test]
fn the_help_shown_in_the_book_is_current() {
    test_support::assert_help_quoted_in_book(
        env!("CARGO_BIN_EXE_basic-client"),
        "cargo run -q -p basic-client -- --help",
    );
}
