//! The `threaded-server` program itself, against real tools (`nc`, `python3`) and many clients at once.
//! Each server runs as a child process on port 0 and is killed when its test ends; every other child
//! process has a timeout.
//!
//! A test that needs `nc` or `python3` says so and skips when it is missing, except under `CI=true` or
//! `REQUIRE_PEERS=1`, where that is a failure.

mod common;

use std::io::Write;
use std::net::{Shutdown, TcpListener};

use assert_cmd::Command;
use predicates::prelude::*;
use test_support::{
    PROCESS_TIMEOUT, Peer, ServerProcess, connect, peer, read_line, read_until_closed,
};
use threaded_server::BUSY_LINE;

const SERVER: &str = env!("CARGO_BIN_EXE_threaded-server");
/// The tutorials' kind of client, in Python (the chapter's "From Python" starts from it).
const CLIENTS_AT_ONCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/clients_at_once.py");

#[test]
fn help_describes_every_option() {
    Command::new(SERVER)
        .arg("--help")
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--addr")
                .and(predicate::str::contains("--max-clients"))
                .and(predicate::str::contains("--max-line"))
                .and(predicate::str::contains("--idle-timeout"))
                .and(predicate::str::contains("--grace"))
                .and(predicate::str::contains("--trace"))
                .and(predicate::str::contains("busy, try again later"))
                .and(predicate::str::contains("127.0.0.1:7878"))
                .and(predicate::str::contains("[default: 256]"))
                .and(predicate::str::contains("[default: 5s]")),
        );
}

#[test]
fn bad_usage_exits_with_status_2_and_says_why() {
    for (args, says) in [
        (&["--max-clients", "0"][..], "0 is not in 1..=10000"),
        (&["--max-clients", "100000"], "100000 is not in 1..=10000"),
        (&["--grace", "0"], "`0` is too short"),
        (&["--grace", "soon"], "`soon` is not a duration"),
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

/// `--trace` shows the accept loop's `accept` and each client's reads and writes, labelled with the client's
/// address. The test reads the trace after Ctrl-C: by then every thread has ended, and written all its lines.
#[cfg(unix)]
#[test]
fn trace_shows_accept_and_each_clients_reads_and_writes() {
    let server = ServerProcess::start(SERVER, ["--trace"]);
    let mut client = connect(server.addr());
    let me = client.local_addr().unwrap();
    assert_eq!(read_line(&mut client), "Welcome\n");
    client.write_all(b"Alice\n").unwrap();
    assert_eq!(read_line(&mut client), "Hello, Alice!\n");
    client.shutdown(Shutdown::Write).unwrap();
    assert!(read_until_closed(&mut client).is_empty());
    let (exited_ok, stderr) = server.interrupt();
    assert!(exited_ok, "stderr:\n{stderr}");

    let expected = [
        "[trace] bind 127.0.0.1:".to_string(),
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

/// `nc -N` sends its input and then shuts down its sending side; `-C` ends each line with `\r\n`.
#[test]
fn serves_nc_including_who() {
    let Some(nc) = peer(Peer::Nc) else { return };
    let server = ServerProcess::start(SERVER, ["--max-clients", "4"]);
    let port = server.addr().port().to_string();
    Command::new(nc)
        .args(["-C", "-N", "127.0.0.1", &port])
        .write_stdin("Alice\nwho\n")
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout("Welcome\nHello, Alice!\nonline: 1, served: 1\n");
}

/// `python/clients_at_once.py`, what a learner coming from Python writes to try a threaded server: two
/// clients at once, and a third over the bound of 2, who reads the busy line and then end of stream (`b''`).
#[test]
fn serves_python3_clients_at_once_up_to_the_bound() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(SERVER, ["--max-clients", "2"]);
    Command::new(python)
        .args([CLIENTS_AT_ONCE, &server.addr().to_string()])
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success()
        .stdout(concat!(
            "a: b'Welcome\\n'\n",
            "b: b'Welcome\\n'\n",
            "b: b'online: 2, served: 2\\n'\n",
            "c: b'busy, try again later\\n'\n",
            "c: b''\n",
            "a: b'Hello, Alice!\\n'\n",
        ));
}

/// The lesson's acceptance test: with `--max-clients 256`, 256 clients connected and held open at once are
/// all welcomed and each answered; the 257th is told `busy, try again later`. Then Ctrl-C: the server
/// gives the clients its grace period (here 500 ms), closes the 256 connections still open, and exits with
/// status 0 after its summary.
#[cfg(unix)]
#[test]
fn acceptance_256_clients_at_once_the_257th_is_busy_and_ctrl_c_exits_0() {
    let server = ServerProcess::start(SERVER, ["--max-clients", "256", "--grace", "500ms"]);
    let mut clients = Vec::new();
    for i in 0..256 {
        let mut client = connect(server.addr());
        let greeting = read_line(&mut client);
        assert_eq!(
            greeting, "Welcome\n",
            "client {i} should be welcomed, with {i} clients connected"
        );
        clients.push(client);
    }
    for (i, client) in clients.iter_mut().enumerate() {
        client
            .write_all(format!("client-{i}\n").as_bytes())
            .unwrap();
    }
    for (i, client) in clients.iter_mut().enumerate() {
        assert_eq!(read_line(client), format!("Hello, client-{i}!\n"));
    }

    let mut extra = connect(server.addr());
    assert_eq!(
        String::from_utf8_lossy(&read_until_closed(&mut extra)),
        BUSY_LINE,
        "the 257th client should be told busy, then the connection closed"
    );

    let (exited_ok, stderr) = server.interrupt();
    assert!(
        exited_ok,
        "Ctrl-C should stop the server with status 0; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("stopped: served 256 client(s), turned 1 away, closed 256 at the stop"),
        "stderr:\n{stderr}"
    );
    for (i, client) in clients.iter_mut().enumerate() {
        if let Err(problem) = common::read_closed_or_reset(client) {
            panic!("client {i} should have been closed at the stop, but {problem}");
        }
    }
}

/// The server's listen backlog is sized to `--max-clients` (std's `bind` always asks for 128): a burst of
/// as many clients as it serves waits in the backlog, handshake done, while the accept loop is busy. The
/// test makes the accept loop as busy as can be: it stops the server (`SIGSTOP`), and 250 clients connect,
/// each given 300 ms for its handshake. With a backlog of 128, the 130th would time out (the kernel drops
/// its SYN). Then `SIGCONT`: each is welcomed. Skipped where the system's limit is below 300.
#[cfg(target_os = "linux")]
#[test]
fn a_burst_of_max_clients_waits_in_the_backlog_while_the_server_is_busy() {
    use std::net::TcpStream;
    use std::time::Duration;

    const CLIENTS: usize = 250;
    match threaded_server::system_backlog_limit() {
        Some(limit) if limit >= 300 => {}
        limit => {
            eprintln!("skipped: the system's backlog limit ({limit:?}) is below 300");
            return;
        }
    }
    let server = ServerProcess::start(SERVER, ["--max-clients", "300", "--trace"]);
    server.signal("STOP");
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        match TcpStream::connect_timeout(&server.addr(), Duration::from_millis(300)) {
            Ok(client) => clients.push(test_support::with_timeouts(client)),
            Err(err) => {
                server.signal("CONT");
                panic!(
                    "client {i} of {CLIENTS}, connecting while the server was stopped: {err}. The backlog \
                     held only {i} connections: it should hold --max-clients (300); the server's trace \
                     says:\n{}",
                    server.stderr_text()
                );
            }
        }
    }
    server.signal("CONT");
    for (i, client) in clients.iter_mut().enumerate() {
        assert_eq!(read_line(client), "Welcome\n", "client {i}");
    }
    assert!(
        server.stderr_text().contains("listen (backlog 300)"),
        "the trace should say which backlog the server asked for: {}",
        server.stderr_text()
    );
    drop(clients);
    let (exited_ok, stderr) = server.interrupt();
    assert!(exited_ok, "stderr:\n{stderr}");
}

/// The chapter's measurement script, `book/src/03-threaded-server/compare.sh`, asks cargo where it built
/// each program instead of assuming `target/`. Here it runs in its `--quick` mode (4 clients, 5 rounds, a
/// debug build) with `CARGO_TARGET_DIR` naming another folder: a link to this test's own target folder, so
/// that nothing is built again. Lesson 03 and the tokio server each greet all 4 clients.
#[cfg(unix)]
#[test]
fn compare_sh_finds_its_programs_in_any_target_folder() {
    use std::path::Path;

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // `CARGO_BIN_EXE_...` is `<target folder>/<profile>/threaded-server`.
    let target = Path::new(SERVER).parent().and_then(Path::parent).unwrap();
    let elsewhere = std::env::temp_dir().join(format!("compare-sh-target-{}", std::process::id()));
    let _ = std::fs::remove_file(&elsewhere);
    std::os::unix::fs::symlink(target, &elsewhere).unwrap();
    let output = Command::new(root.join("book/src/03-threaded-server/compare.sh"))
        .args(["--quick", "--servers", "03 tokio"])
        .env("CARGO_TARGET_DIR", &elsewhere)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("running compare.sh");
    let _ = std::fs::remove_file(&elsewhere);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "compare.sh --quick failed with CARGO_TARGET_DIR={}:\n{stdout}\n{}",
        elsewhere.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "the programs are in {}/debug",
            elsewhere.display()
        )),
        "compare.sh should run the programs cargo built in CARGO_TARGET_DIR ({}); its stderr:\n{stderr}",
        elsewhere.display()
    );
    for row in [
        "| lesson 03 (thread per client) | 4 | 0 | 0 | 20 |",
        "| tokio (task per client) | 4 | 0 | 0 | 20 |",
    ] {
        assert!(
            stdout.contains(row),
            "compare.sh should print {row:?}:\n{stdout}"
        );
    }
}

/// The chapter shows this program's `--help`: it must be the real one.
#[test]
fn the_help_shown_in_the_book_is_current() {
    test_support::assert_help_quoted_in_book(
        env!("CARGO_BIN_EXE_threaded-server"),
        "cargo run -q -p threaded-server -- --help",
    );
}
