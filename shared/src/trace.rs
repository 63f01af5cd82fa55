//! `--trace`: one line on stderr for every socket event, so you can see what each call did.
//!
//! ```text
//! [trace] connect 127.0.0.1:7878
//! [trace] write 6 bytes "Alice\n"
//! [trace] shutdown(Write)
//! [trace] read 24 bytes "Welcome\nHello, Alice!\n"
//! [trace] read 0 bytes (peer closed)
//! [trace] close
//! ```
//!
//! [`Trace`] is the switch (and where the lines go); [`Traced`] wraps a socket and reports its reads, writes,
//! shutdown and close. Events that happen before there is a stream to wrap (resolving, connecting, binding,
//! accepting) are reported with [`Trace::event`].

use std::fmt::{self, Display, Write as _};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};

/// How many bytes of data a trace line shows; the rest is elided with `...`.
const PREVIEW_BYTES: usize = 40;

/// Where trace lines go, and whether they go anywhere.
///
/// Cheap to clone; clones share the destination. Off by default.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    sink: Option<Sink>,
    /// Printed in each line, e.g. the peer's address when a server traces many connections.
    label: Option<Arc<str>>,
}

#[derive(Clone, Debug)]
enum Sink {
    Stderr,
    Memory(TraceLog),
}

/// The lines a [`Trace::memory`] tracer recorded, for tests.
#[derive(Clone, Debug, Default)]
pub struct TraceLog(Arc<Mutex<Vec<String>>>);

impl TraceLog {
    /// Every line recorded so far, without the `[trace]` prefix.
    pub fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl Trace {
    /// A tracer that prints nothing.
    pub fn off() -> Self {
        Self::default()
    }

    /// A tracer that prints each event as one line on stderr.
    pub fn stderr() -> Self {
        Trace {
            sink: Some(Sink::Stderr),
            label: None,
        }
    }

    /// A tracer that records lines in memory, for tests that check what was traced.
    pub fn memory() -> (Self, TraceLog) {
        let log = TraceLog::default();
        (
            Trace {
                sink: Some(Sink::Memory(log.clone())),
                label: None,
            },
            log,
        )
    }

    /// The same destination, with a label in every line: `[trace 127.0.0.1:40312] read 6 bytes`.
    pub fn labelled(&self, label: impl Display) -> Self {
        Trace {
            sink: self.sink.clone(),
            label: Some(label.to_string().into()),
        }
    }

    /// Whether events are printed anywhere.
    pub fn is_on(&self) -> bool {
        self.sink.is_some()
    }

    /// Reports one event, e.g. `trace.event(format_args!("connect {addr}"))`.
    ///
    /// Nothing is formatted when tracing is off.
    pub fn event(&self, what: impl Display) {
        let Some(sink) = &self.sink else { return };
        match sink {
            // One write_all of a whole line, so lines from several threads do not interleave.
            Sink::Stderr => {
                let line = match &self.label {
                    Some(label) => format!("[trace {label}] {what}\n"),
                    None => format!("[trace] {what}\n"),
                };
                // Tracing must never make the program fail: a closed stderr loses the line, nothing more.
                let _ = io::stderr().lock().write_all(line.as_bytes());
            }
            Sink::Memory(log) => {
                let line = match &self.label {
                    Some(label) => format!("{label}: {what}"),
                    None => what.to_string(),
                };
                log.0
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(line);
            }
        }
    }
}

/// Shows bytes as a short quoted string: printable ASCII as is, `\n`, `\r`, `\t`, other bytes as `\xNN`,
/// at most [`PREVIEW_BYTES`] of them.
pub struct Preview<'a>(pub &'a [u8]);

impl Display for Preview<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = &self.0[..self.0.len().min(PREVIEW_BYTES)];
        f.write_char('"')?;
        for &byte in shown {
            match byte {
                b'\n' => f.write_str("\\n")?,
                b'\r' => f.write_str("\\r")?,
                b'\t' => f.write_str("\\t")?,
                b'"' => f.write_str("\\\"")?,
                b'\\' => f.write_str("\\\\")?,
                0x20..=0x7e => f.write_char(byte as char)?,
                _ => write!(f, "\\x{byte:02x}")?,
            }
        }
        f.write_char('"')?;
        if self.0.len() > shown.len() {
            f.write_str("...")?;
        }
        Ok(())
    }
}

/// A socket (or any `Read + Write`) that reports every read, write, shutdown and its close to a [`Trace`].
///
/// It behaves exactly like the value it wraps: tracing only watches.
#[derive(Debug)]
pub struct Traced<S> {
    inner: S,
    trace: Trace,
}

impl<S> Traced<S> {
    /// Wraps `inner`; with an off tracer this costs one branch per call.
    pub fn new(inner: S, trace: Trace) -> Self {
        Traced { inner, trace }
    }

    /// The wrapped socket, e.g. to set a timeout or ask for `peer_addr()`.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The tracer this wrapper reports to.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
}

impl Traced<TcpStream> {
    /// `shutdown(how)`, traced as `shutdown(Write)`. Shutting down writing sends FIN: the peer reads end of
    /// stream (`Ok(0)`) while this side can still read the answer.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let result = self.inner.shutdown(how);
        match &result {
            Ok(()) => self.trace.event(format_args!("shutdown({how:?})")),
            Err(err) => self
                .trace
                .event(format_args!("shutdown({how:?}) failed: {err}")),
        }
        result
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }
}

/// Reports one read that returned `result` into `buf`, as [`Traced`] does: for a socket type this module
/// cannot wrap itself (lesson 10's async streams report each read once it completes).
pub fn report_read(trace: &Trace, result: &io::Result<usize>, buf: &[u8]) {
    trace_read(trace, result, buf);
}

/// Reports one write of `buf` that returned `result`, as [`Traced`] does (see [`report_read`]).
pub fn report_write(trace: &Trace, result: &io::Result<usize>, buf: &[u8]) {
    trace_write(trace, result, buf);
}

fn trace_read(trace: &Trace, result: &io::Result<usize>, buf: &[u8]) {
    trace_read_on(trace, result, buf, Blocking::Yes);
}

fn trace_write(trace: &Trace, result: &io::Result<usize>, buf: &[u8]) {
    trace_write_on(trace, result, buf, Blocking::Yes);
}

/// Whether the traced socket blocks: on a non-blocking one, `WouldBlock` is the normal end of a round, not
/// a timeout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Blocking {
    Yes,
    No,
}

fn trace_read_on(trace: &Trace, result: &io::Result<usize>, buf: &[u8], blocking: Blocking) {
    if !trace.is_on() {
        return;
    }
    match result {
        Err(err) if blocking == Blocking::No && err.kind() == io::ErrorKind::WouldBlock => {
            trace.event("read: would block (nothing more has arrived)")
        }
        Ok(0) if buf.is_empty() => trace.event("read 0 bytes (empty buffer)"),
        Ok(0) => trace.event("read 0 bytes (peer closed)"),
        Ok(n) => trace.event(format_args!("read {n} bytes {}", Preview(&buf[..*n]))),
        Err(err) if is_timeout(err) => trace.event(format_args!(
            "read timed out: nothing arrived within the socket's read timeout (the system calls it \"{err}\")"
        )),
        Err(err) => trace.event(format_args!("read failed: {err}")),
    }
}

fn trace_write_on(trace: &Trace, result: &io::Result<usize>, buf: &[u8], blocking: Blocking) {
    if !trace.is_on() {
        return;
    }
    match result {
        Err(err) if blocking == Blocking::No && err.kind() == io::ErrorKind::WouldBlock => {
            trace.event("write: would block (the send buffer is full)")
        }
        Ok(n) if *n < buf.len() => trace.event(format_args!(
            "write {n} of {} bytes (short write) {}",
            buf.len(),
            Preview(&buf[..*n])
        )),
        Ok(n) => trace.event(format_args!("write {n} bytes {}", Preview(&buf[..*n]))),
        Err(err) if is_timeout(err) => trace.event(format_args!(
            "write timed out: the peer took nothing within the socket's write timeout (the system calls it \"{err}\")"
        )),
        Err(err) => trace.event(format_args!("write failed: {err}")),
    }
}

/// A socket timeout shows up as `WouldBlock` on Unix and `TimedOut` on Windows.
pub fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl<S: Read> Read for Traced<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.inner.read(buf);
        trace_read(&self.trace, &result, buf);
        result
    }
}

impl<S: Write> Write for Traced<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        trace_write(&self.trace, &result, buf);
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reading through a shared reference, like `&TcpStream`: lets one thread hold a `BufReader` over the socket
/// while it writes replies to the same socket.
impl<'a, S> Read for &'a Traced<S>
where
    &'a S: Read,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = (&self.inner).read(buf);
        trace_read(&self.trace, &result, buf);
        result
    }
}

impl<'a, S> Write for &'a Traced<S>
where
    &'a S: Write,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = (&self.inner).write(buf);
        trace_write(&self.trace, &result, buf);
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        (&self.inner).flush()
    }
}

/// A borrowed non-blocking socket (lesson 09's event loop), traced like [`Traced`] for as long as the borrow
/// lasts. `WouldBlock` is traced as what it means there (nothing more to read now, or a full send buffer),
/// and dropping the wrapper closes nothing, so it is made afresh for each round of calls.
#[derive(Debug)]
pub struct TracedNonBlocking<'a, S> {
    inner: &'a mut S,
    trace: &'a Trace,
}

impl<'a, S> TracedNonBlocking<'a, S> {
    /// Watches the calls made on `inner` through the wrapper.
    pub fn new(inner: &'a mut S, trace: &'a Trace) -> Self {
        TracedNonBlocking { inner, trace }
    }
}

impl<S: Read> Read for TracedNonBlocking<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.inner.read(buf);
        trace_read_on(self.trace, &result, buf, Blocking::No);
        result
    }
}

impl<S: Write> Write for TracedNonBlocking<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        trace_write_on(self.trace, &result, buf, Blocking::No);
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<S> Drop for Traced<S> {
    /// Dropping a socket closes it; the trace says so.
    fn drop(&mut self) {
        self.trace.event("close");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_escapes_and_elides() {
        assert_eq!(Preview(b"Hi\r\n\xff\"").to_string(), r#""Hi\r\n\xff\"""#);
        let long = [b'a'; PREVIEW_BYTES + 1];
        assert!(Preview(&long).to_string().ends_with("\"..."));
    }

    /// A read timeout comes back as `WouldBlock` ("Resource temporarily unavailable"): the line says what
    /// happened first, and quotes the system's words only after.
    #[test]
    fn a_read_timeout_is_traced_as_a_timeout_not_as_the_systems_words_alone() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_server, _) = listener.accept().unwrap();
        client
            .set_read_timeout(Some(std::time::Duration::from_millis(20)))
            .unwrap();
        let (trace, log) = Trace::memory();
        let mut client = Traced::new(client, trace);
        let err = client.read(&mut [0u8; 16]).unwrap_err();
        assert!(is_timeout(&err), "{err:?}");
        let lines = log.lines();
        assert!(
            lines[0].starts_with(
                "read timed out: nothing arrived within the socket's read timeout (the system calls it \""
            ),
            "{lines:?}"
        );
    }

    #[test]
    fn traced_reports_each_event_in_order() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server
            .set_read_timeout(Some(std::time::Duration::from_secs(3)))
            .unwrap();

        let (trace, log) = Trace::memory();
        let mut client = Traced::new(client, trace);
        client.write_all(b"ping\n").unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut received = Vec::new();
        (&server).read_to_end(&mut received).unwrap();
        (&server).write_all(b"pong\n").unwrap();
        drop(server);
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).unwrap();
        drop(client);

        assert_eq!(received, b"ping\n");
        assert_eq!(reply, b"pong\n");
        assert_eq!(
            log.lines(),
            [
                r#"write 5 bytes "ping\n""#,
                "shutdown(Write)",
                r#"read 5 bytes "pong\n""#,
                "read 0 bytes (peer closed)",
                "close",
            ]
        );
    }
}
