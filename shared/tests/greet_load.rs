//! `greet-load` against small greeting servers written here: each on `127.0.0.1:0`, a thread per client,
//! a timeout on every socket. The tool itself runs under a time limit, so a hang fails the test.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use assert_cmd::Command;
use predicates::str::contains;

const SOCKET_TIMEOUT: Duration = Duration::from_secs(5);

/// How a test server answers each line of a session after `Welcome`.
#[derive(Clone, Copy)]
enum Server {
    /// The greeting protocol: `Hello, X!`, until `exit`.
    Greets,
    /// Says `busy, try again later` and closes, like lesson 03 over its bound.
    Busy,
    /// Greets, then reads lines and never answers.
    Silent,
    /// Answers every line with the same wrong reply.
    Wrong,
}

fn start(server: Server) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    // The accept loop ends with the test process.
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || serve(stream, server));
        }
    });
    addr
}

fn serve(stream: TcpStream, server: Server) -> std::io::Result<()> {
    stream.set_read_timeout(Some(SOCKET_TIMEOUT))?;
    stream.set_write_timeout(Some(SOCKET_TIMEOUT))?;
    let mut writer = &stream;
    if let Server::Busy = server {
        return writer.write_all(b"busy, try again later\n");
    }
    writer.write_all(b"Welcome\n")?;
    for line in BufReader::new(&stream).lines() {
        let line = line?;
        match (server, line.as_str()) {
            (_, "exit") => break,
            (Server::Greets, name) => writer.write_all(format!("Hello, {name}!\n").as_bytes())?,
            (Server::Wrong, _) => writer.write_all(b"Hello, stranger!\n")?,
            _ => {}
        }
    }
    Ok(())
}

fn greet_load(addr: impl ToString, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_greet-load"));
    let addr = addr.to_string();
    command
        .args(["--addr", &addr])
        .args(args)
        .timeout(Duration::from_secs(20));
    command
}

/// The cells of the first table line greet-load prints with `args`, after checking it succeeded.
fn cells(addr: SocketAddr, args: &[&str]) -> Vec<String> {
    let output = greet_load(addr, args).assert().success();
    let text = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    let line = text
        .lines()
        .find(|line| line.starts_with('|'))
        .expect("a table line");
    line.trim_matches('|')
        .split(" | ")
        .map(|cell| cell.trim().to_string())
        .collect()
}

#[test]
fn counts_every_client_and_round_trip() {
    let addr = start(Server::Greets);
    let row = cells(addr, &["--clients", "4", "--rounds", "3", "--row", "test"]);
    // label, greeted, busy, failed, round trips
    assert_eq!(row[..5], ["test", "4", "0", "0", "12"]);
    assert_eq!(row.len(), cells(addr, &["--header"]).len());

    greet_load(addr, &["--clients", "4", "--rounds", "3"])
        .assert()
        .success()
        .stdout(contains("4 greeted, 0 turned away (busy), 0 failed"))
        .stdout(contains("round trips:  12 in"));
}

#[test]
fn time_mode_stops_on_time() {
    greet_load(start(Server::Greets), &["--clients", "2", "--seconds", "1"])
        .assert()
        .success()
        .stdout(contains("2 greeted, 0 turned away (busy), 0 failed"));
}

#[test]
fn a_busy_line_counts_as_turned_away() {
    let row = cells(start(Server::Busy), &["--clients", "3", "--row", "busy"]);
    assert_eq!(row[..5], ["busy", "0", "3", "0", "0"]);
}

#[test]
fn a_server_that_never_answers_fails_within_the_timeout() {
    greet_load(
        start(Server::Silent),
        &["--clients", "2", "--timeout", "1s"],
    )
    .assert()
    .code(1)
    .stderr(contains("all 2 clients failed"))
    .stderr(contains("waiting for the reply to client-"))
    .stderr(contains("no answer within 1s"));
}

#[test]
fn a_wrong_reply_is_a_failure() {
    let expected = r#"sent client-0-0, expected "Hello, client-0-0!\n", got "Hello, stranger!\n""#;
    greet_load(start(Server::Wrong), &["--clients", "1", "--rounds", "2"])
        .assert()
        .code(1)
        .stderr(contains(expected));
}

#[test]
fn a_closed_port_is_refused() {
    // A port that was just free: bound, then closed. Nobody else is likely to take it within the test.
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    drop(listener);
    greet_load(addr, &["--clients", "2"])
        .assert()
        .code(1)
        .stderr(contains("connecting to"))
        .stderr(contains("is the server running"));
}

#[test]
fn bad_usage_exits_with_2() {
    for args in [
        &["--clients", "0"][..],
        &["--clients", "2001"],
        &["--rounds", "3", "--seconds", "2"],
        &["--timeout", "0"],
        &["--timeout", "601s"],
        &["--header", "--row", "x"],
    ] {
        greet_load("127.0.0.1:9", args).assert().code(2);
    }
    greet_load("no-port", &[]).assert().code(2);
}
