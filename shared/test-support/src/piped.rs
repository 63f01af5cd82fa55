//! A program run as a person runs it in a terminal: lines typed on its stdin, lines it prints read as
//! they come, and killed when the test ends (no orphans). For clients (`nc`, a chat client), where
//! [`ServerProcess`](crate::ServerProcess) is for servers.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use crate::{IO_TIMEOUT, PROCESS_TIMEOUT};

/// A child process whose stdout lines arrive on a channel; killed when dropped.
pub struct Piped {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Piped {
    /// Starts `command` with its stdin and stdout piped (stderr thrown away).
    #[track_caller]
    pub fn start(mut command: Command) -> Piped {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("could not start {:?}: {err}", command.get_program()));
        let stdin = child.stdin.take();
        let out = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let (tx, lines) = mpsc::channel();
        // A thread reads the pipe: a child blocked on a full pipe would look like a hung program.
        thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Piped {
            child,
            stdin,
            lines,
        }
    }

    /// Types `line` and Enter.
    #[track_caller]
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        if let Err(err) = stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stdin.flush())
        {
            panic!("typing {line:?} failed: {err} (the program exited?)");
        }
    }

    /// Ends the input, as Ctrl-D does in a terminal.
    pub fn end_input(&mut self) {
        self.stdin = None;
    }

    /// Waits for a printed line that `matches`, skipping the others; panics with what came instead.
    #[track_caller]
    pub fn wait_for(&self, who: &str, matches: impl Fn(&str) -> bool) -> String {
        let mut seen = Vec::new();
        loop {
            match self.lines.recv_timeout(IO_TIMEOUT) {
                Ok(line) if matches(&line) => return line,
                Ok(line) => seen.push(line),
                Err(_) => panic!("{who} did not print the line expected; it printed {seen:?}"),
            }
        }
    }

    /// Waits at most [`PROCESS_TIMEOUT`] for the program to exit; whether it exited with success.
    #[track_caller]
    pub fn wait_exit(&mut self) -> bool {
        let deadline = Instant::now() + PROCESS_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            // std has no wait with a timeout: look again soon (this waits for an exit, not readiness).
            thread::sleep(Duration::from_millis(20));
        }
        panic!("the program did not exit within {PROCESS_TIMEOUT:?}");
    }
}

impl Drop for Piped {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
