//! What the lesson's tests share: the room served on a thread, and members that join it.
#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;

use chat::{RoomConfig, Stop, Summary, serve};
use shared::trace::Trace;
use test_support::{ServerThread, try_read_line};

/// The room, served on a thread over a listener on port 0, and its stop.
pub struct RoomServer {
    pub server: ServerThread<Summary>,
    pub stop: Stop,
}

impl RoomServer {
    pub fn start(config: RoomConfig) -> RoomServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let stop = Stop::new(&listener).expect("a stop");
        let (tx, rx) = mpsc::channel();
        tx.send(stop.clone()).unwrap();
        let server = ServerThread::on(listener, move |listener| {
            let stop = rx.recv().expect("the stop");
            serve(listener, &config, &stop, &Trace::off())
        });
        RoomServer { server, stop }
    }

    /// Connects and reads `Welcome! What is your name?`.
    #[track_caller]
    pub fn connect(&self, who: &str) -> TcpStream {
        let mut stream = self.server.connect(who);
        self.expect(
            &mut stream,
            who,
            chat::WELCOME,
            "the first line of every connection",
        );
        stream
    }

    /// Connects, sends `name` and reads its `* online: ...` line, which is returned.
    #[track_caller]
    pub fn join(&self, name: &str) -> (TcpStream, String) {
        let mut stream = self.connect(name);
        self.send(&mut stream, name, &format!("{name}\n"));
        let online = self.line(
            &mut stream,
            name,
            "its `* online: ...` line after sending its name",
        );
        (stream, online)
    }

    #[track_caller]
    pub fn send(&self, stream: &mut TcpStream, who: &str, text: &str) {
        self.server.send(stream, text.as_bytes(), who);
    }

    /// The next line `who` receives, or a failure that says what `who` was waiting for.
    #[track_caller]
    pub fn line(&self, stream: &mut TcpStream, who: &str, waiting_for: &str) -> String {
        match try_read_line(stream) {
            Ok(line) => line,
            Err(problem) => panic!(
                "{who} was waiting for {waiting_for}, but {problem}\n  server side: {}",
                self.server.state()
            ),
        }
    }

    /// Checks that the next line `who` receives is `expected`.
    #[track_caller]
    pub fn expect(&self, stream: &mut TcpStream, who: &str, expected: &str, why: &str) {
        let line = self.line(stream, who, &format!("{expected:?} ({why})"));
        assert_eq!(line, expected, "{who} should receive {expected:?}: {why}");
    }
}

/// Writes `bytes` and ignores a failure (for members that are about to be checked another way).
pub fn say(stream: &mut TcpStream, bytes: &str) {
    let _ = stream.write_all(bytes.as_bytes());
}
