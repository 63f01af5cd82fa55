//! Running a program with a time limit and keeping what it printed.
//!
//! A learner's step can hang (a loop that never sees `Ok(0)`, a read with no timeout), so the runner never
//! waits for a test program without a deadline: past it, the program is killed and the report says so.

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// What a program printed, and how it ended.
#[derive(Debug)]
pub struct Finished {
    /// `None` when the program was killed because it ran past its time limit.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }

    pub fn success(&self) -> bool {
        self.status.is_some_and(|status| status.success())
    }
}

/// How long to keep reading output after the program has ended. A program may leave a child process
/// behind (a server a test started) that still holds the output pipes open; its output is not worth
/// waiting for.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

enum Chunk {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    /// One of the two pipes reached end of stream.
    Closed,
}

/// What to do once if the program is still running after a while, so the person waiting is told that it
/// is still going, and until when, instead of staring at a silent terminal.
pub struct Reminder<'a> {
    pub after: Duration,
    /// Called once, with what the program has printed on stdout so far.
    pub remind: &'a mut dyn FnMut(&str),
}

/// Runs `command` with no input, capturing stdout and stderr, and kills it if it runs longer than `limit`.
/// A `reminder` is called once if the program is still running after its `after`.
pub fn run_with_limit(
    command: &mut Command,
    limit: Duration,
    reminder: Option<Reminder>,
) -> io::Result<Finished> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let chunks = read_both_pipes(&mut child);
    let mut output = Output::default();
    let status = wait_or_kill(&mut child, &chunks, &mut output, limit, reminder)?;
    output.drain(&chunks);
    Ok(Finished {
        status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// Each pipe gets a reader thread: reading only one at a time could deadlock with a program that fills
/// the other pipe's buffer and waits for us to empty it.
fn read_both_pipes(child: &mut Child) -> Receiver<Chunk> {
    let (sender, chunks) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    spawn_reader(stdout, sender.clone(), Chunk::Stdout);
    spawn_reader(stderr, sender, Chunk::Stderr);
    chunks
}

/// Waits for the child to exit, keeping its output as it comes; kills it at the deadline (`None`).
fn wait_or_kill(
    child: &mut Child,
    chunks: &Receiver<Chunk>,
    output: &mut Output,
    limit: Duration,
    mut reminder: Option<Reminder>,
) -> io::Result<Option<ExitStatus>> {
    let started = Instant::now();
    let deadline = started + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            // Already exited between try_wait and now? Then kill fails harmlessly and wait reaps it.
            let _ = child.kill();
            child.wait()?;
            return Ok(None);
        }
        if let Some(due) = reminder.take_if(|reminder| now >= started + reminder.after) {
            (due.remind)(&String::from_utf8_lossy(&output.stdout));
        }
        // Waiting on the channel doubles as the pause between two looks at the child.
        let pause = (deadline - now).min(Duration::from_millis(20));
        if let Ok(chunk) = chunks.recv_timeout(pause) {
            output.keep(chunk);
        }
    }
}

/// What the two pipes have given so far.
struct Output {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    open_pipes: u8,
}

impl Default for Output {
    fn default() -> Self {
        Output {
            stdout: Vec::new(),
            stderr: Vec::new(),
            open_pipes: 2,
        }
    }
}

impl Output {
    fn keep(&mut self, chunk: Chunk) {
        match chunk {
            Chunk::Stdout(bytes) => self.stdout.extend_from_slice(&bytes),
            Chunk::Stderr(bytes) => self.stderr.extend_from_slice(&bytes),
            Chunk::Closed => self.open_pipes -= 1,
        }
    }

    /// What is left in the pipes once the program has ended, for at most `DRAIN_LIMIT`.
    fn drain(&mut self, chunks: &Receiver<Chunk>) {
        let drain_deadline = Instant::now() + DRAIN_LIMIT;
        while self.open_pipes > 0 {
            let left = drain_deadline.saturating_duration_since(Instant::now());
            match chunks.recv_timeout(left) {
                Ok(chunk) => self.keep(chunk),
                Err(_) => break,
            }
        }
    }
}

fn spawn_reader(
    mut pipe: impl Read + Send + 'static,
    sender: mpsc::Sender<Chunk>,
    wrap: fn(Vec<u8>) -> Chunk,
) {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if sender.send(wrap(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = sender.send(Chunk::Closed);
    });
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn output_and_status_are_kept() {
        let finished = run_with_limit(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(10),
            None,
        )
        .unwrap();
        assert_eq!(finished.stdout, "out\n");
        assert_eq!(finished.stderr, "err\n");
        assert_eq!(finished.status.unwrap().code(), Some(3));
        assert!(!finished.timed_out());
    }

    #[test]
    fn a_program_past_its_limit_is_killed_and_what_it_printed_is_kept() {
        let started = Instant::now();
        let finished = run_with_limit(
            Command::new("sh").args(["-c", "echo started; exec sleep 30"]),
            Duration::from_millis(500),
            None,
        )
        .unwrap();
        assert!(finished.timed_out());
        assert_eq!(finished.stdout, "started\n");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn the_reminder_comes_once_with_the_output_so_far_and_only_for_a_slow_program() {
        let mut calls = Vec::new();
        let mut remind = |stdout: &str| calls.push(stdout.to_string());
        let finished = run_with_limit(
            Command::new("sh").args(["-c", "echo started; exec sleep 30"]),
            Duration::from_millis(800),
            Some(Reminder {
                after: Duration::from_millis(300),
                remind: &mut remind,
            }),
        )
        .unwrap();
        assert!(finished.timed_out());
        assert_eq!(calls, ["started\n"]);

        let mut called = false;
        let mut remind = |_: &str| called = true;
        run_with_limit(
            Command::new("sh").args(["-c", "exit 0"]),
            Duration::from_secs(10),
            Some(Reminder {
                after: Duration::from_secs(5),
                remind: &mut remind,
            }),
        )
        .unwrap();
        assert!(!called);
    }
}
