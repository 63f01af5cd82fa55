//! The lessons talking to each other: lesson 01's client against lesson 02's and lesson 03's servers, on
//! loopback, all from their libraries (the reference solutions), the way the chapters tell the learner to
//! run them.

use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use basic_client::{connect, receive_text, send_request};
use shared::trace::{Trace, Traced};
use single_server::{Config, serve};
use test_support::{IO_TIMEOUT, with_timeouts};

/// Runs lesson 01's client, sending `lines`, against a lesson 02 server that serves one client, and
/// returns what the client printed.
fn client_session(lines: &str, config: Config) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        serve(
            listener,
            &Config {
                max_clients: Some(1),
                ..config
            },
            &Trace::off(),
        )
    });

    let stream = with_timeouts(
        connect(&[addr], IO_TIMEOUT, &Trace::off()).expect("connecting to lesson 02"),
    );
    let mut stream = Traced::new(stream, Trace::off());
    if !lines.is_empty() {
        send_request(&mut stream, lines.as_bytes()).expect("sending the lines");
    }
    let mut printed = Vec::new();
    receive_text(&stream, &mut printed).expect("reading the server's answer");
    // Closing our side ends the server's polite close at once, instead of after its drain timeout.
    drop(stream);
    server
        .join()
        .expect("the server thread panicked")
        .expect("serve failed");
    String::from_utf8(printed).expect("lesson 01 prints UTF-8")
}

#[test]
fn lesson_01_client_greets_lesson_02_server() {
    assert_eq!(
        client_session("Alice\nBob\r\n", Config::default()),
        "Welcome\nHello, Alice!\nHello, Bob!\n"
    );
}

#[test]
fn exit_ends_the_session_before_end_of_stream() {
    assert_eq!(
        client_session("Alice\nexit\nnever answered\n", Config::default()),
        "Welcome\nHello, Alice!\n"
    );
}

#[test]
fn the_server_tells_an_idle_client_why_it_closes() {
    let config = Config {
        idle_timeout: Duration::from_millis(200),
        ..Config::default()
    };
    let printed = client_session("", config);
    assert!(
        printed.starts_with("Welcome\nerror: idle for 200ms"),
        "the client should print the server's idle notice, got {printed:?}"
    );
}

#[test]
fn an_over_long_line_is_refused_and_the_client_reads_why() {
    let config = Config {
        max_line: 16,
        ..Config::default()
    };
    let printed = client_session(&format!("{}\n", "x".repeat(10_000)), config);
    assert_eq!(printed, "Welcome\nerror: line too long (max 16 bytes)\n");
}

/// Lesson 01's client, sending `lines`, against a lesson 03 server that already serves `others` idle
/// clients; returns what the client printed. The server is stopped and must report what it did.
fn client_session_with_lesson_03(lines: &str, others: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = threaded_server::Stop::new(&listener).unwrap();
    let server = {
        let stop = stop.clone();
        let config = threaded_server::Config {
            grace: Duration::from_millis(100),
            ..threaded_server::Config::default()
        };
        thread::spawn(move || threaded_server::serve(listener, &config, &stop, &Trace::off()))
    };
    // Idle clients that stay connected: lesson 02 would make the client below wait for them.
    let idle: Vec<_> = (0..others)
        .map(|_| {
            let mut idle = test_support::connect(addr);
            assert_eq!(test_support::read_line(&mut idle), "Welcome\n");
            idle
        })
        .collect();

    let stream = with_timeouts(
        connect(&[addr], IO_TIMEOUT, &Trace::off()).expect("connecting to lesson 03"),
    );
    let mut stream = Traced::new(stream, Trace::off());
    send_request(&mut stream, lines.as_bytes()).expect("sending the lines");
    let mut printed = Vec::new();
    receive_text(&stream, &mut printed).expect("reading the server's answer");
    drop(stream);

    stop.stop();
    let summary = server
        .join()
        .expect("the server thread panicked")
        .expect("serve failed");
    assert_eq!(summary.served, others as u64 + 1);
    assert_eq!(
        summary.closed_at_stop, others,
        "the idle clients are closed at the stop"
    );
    drop(idle);
    String::from_utf8(printed).expect("lesson 01 prints UTF-8")
}

#[test]
fn lesson_01_client_is_answered_by_lesson_03_while_others_are_connected() {
    assert_eq!(
        client_session_with_lesson_03("Alice\nwho\n", 3),
        "Welcome\nHello, Alice!\nonline: 4, served: 4\n"
    );
}
