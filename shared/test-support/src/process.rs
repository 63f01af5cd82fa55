use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use super::PROCESS_TIMEOUT;
use shared::LISTENING_PREFIX;

/// A lesson server running as a child process, for tests that check the real program.
///
/// [`ServerProcess::start`] passes `--addr 127.0.0.1:0` (unless the arguments already have an `--addr`),
/// waits for the `listening on ADDR` line and keeps the address. The process is killed when the value is
/// dropped, so a failing test leaves no server behind.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    stdout: Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Signalled when the child's stderr closes, which happens when the child exits.
    stderr_closed: Receiver<()>,
}

impl ServerProcess {
    /// Starts `program` with `args` and waits (at most [`PROCESS_TIMEOUT`]) until it announces its address.
    ///
    /// In a lesson's integration tests, `program` is `env!("CARGO_BIN_EXE_<name>")`.
    pub fn start<S: AsRef<OsStr>>(
        program: impl AsRef<OsStr>,
        args: impl IntoIterator<Item = S>,
    ) -> Self {
        // A Path, for its `display()` in messages.
        let program = std::path::Path::new(program.as_ref());
        let mut args: Vec<_> = args
            .into_iter()
            .map(|arg| arg.as_ref().to_owned())
            .collect();
        if !args.iter().any(|arg| arg == "--addr") {
            args.extend(["--addr".into(), "127.0.0.1:0".into()]);
        }
        let mut child = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("could not start {}: {err}", program.display()));

        // Pipes are read by threads: a child blocked on a full pipe would look like a hung server.
        let (lines_tx, stdout) = mpsc::channel();
        let out = BufReader::new(child.stdout.take().expect("stdout is piped"));
        thread::spawn(move || {
            for line in out.lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut err_pipe = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&stderr);
        let (closed_tx, stderr_closed) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(&buf[..n]);
            }
            let _ = closed_tx.send(());
        });

        let mut server = ServerProcess {
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            stdout,
            stderr,
            stderr_closed,
        };
        let first = match server.stdout.recv_timeout(PROCESS_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                panic!(
                    "{} printed no `listening on` line within {PROCESS_TIMEOUT:?}",
                    program.display()
                )
            }
            Err(RecvTimeoutError::Disconnected) => {
                let _ = server.child.wait();
                panic!(
                    "{} exited before printing `listening on ADDR`; its stderr:\n{}",
                    program.display(),
                    server.stderr_text()
                )
            }
        };
        server.addr = first
            .strip_prefix(LISTENING_PREFIX)
            .and_then(|addr| addr.trim().parse().ok())
            .unwrap_or_else(|| {
                panic!("the first line on stdout must be `listening on ADDR`, got {first:?}")
            });
        server
    }

    /// The address the server announced.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the server wrote on stderr so far (its `--trace` lines and error messages).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// Waits (at most [`PROCESS_TIMEOUT`]) for the server to exit by itself, e.g. after `--once`, and returns
    /// whether it exited successfully and everything it wrote on stderr.
    pub fn wait_for_exit(mut self) -> (bool, String) {
        // std's `Child::wait` has no timeout; the end of the child's stderr is the exit we can wait for.
        if self.stderr_closed.recv_timeout(PROCESS_TIMEOUT) == Err(RecvTimeoutError::Timeout) {
            panic!("the server did not exit within {PROCESS_TIMEOUT:?}");
        }
        let status = self
            .child
            .wait()
            .expect("waiting for the server's exit status");
        (status.success(), self.stderr_text())
    }

    /// Waits (at most [`PROCESS_TIMEOUT`]) for a program that ends by itself (one that serves one
    /// connection) and returns how it ended, with everything it printed after its `listening on` line.
    pub fn wait_for_output(mut self) -> Exited {
        let deadline = Instant::now() + PROCESS_TIMEOUT;
        if self.stderr_closed.recv_timeout(PROCESS_TIMEOUT) == Err(RecvTimeoutError::Timeout) {
            panic!("the program did not exit within {PROCESS_TIMEOUT:?}");
        }
        let status = self.child.wait().expect("waiting for the exit status");
        let mut stdout = String::new();
        // The stdout reader ends (the channel disconnects) once it has read the pipe to its end.
        while let Ok(line) = self
            .stdout
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        Exited {
            code: status.code(),
            stdout,
            stderr: self.stderr_text(),
        }
    }

    /// Sends the server SIGINT, as Ctrl-C in a terminal does (with the `kill` command, since std cannot send
    /// a signal), then waits (at most [`PROCESS_TIMEOUT`]) for it to exit and returns whether it exited
    /// successfully and everything it wrote on stderr.
    #[cfg(unix)]
    pub fn interrupt(self) -> (bool, String) {
        self.signal("INT");
        self.wait_for_exit()
    }

    /// Sends the server the signal `name` (`"INT"`, `"TERM"`) and returns at once.
    #[cfg(unix)]
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap_or_else(|err| panic!("could not run `kill -{name}`: {err}"));
        assert!(status.success(), "`kill -{name}` failed: {status}");
    }

    /// The server's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server (kill) and returns what it wrote on stderr.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.stderr_closed.recv_timeout(PROCESS_TIMEOUT);
        self.stderr_text()
    }
}

/// How a [`ServerProcess`] ended by itself: see [`ServerProcess::wait_for_output`].
#[derive(Debug)]
pub struct Exited {
    /// `None` when a signal ended it.
    pub code: Option<i32>,
    /// Its stdout after the `listening on` line.
    pub stdout: String,
    pub stderr: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
