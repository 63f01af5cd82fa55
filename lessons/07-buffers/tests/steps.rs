//! The exercise of lesson 07, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 7` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 7` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! Steps 1 and 2 work on bytes in memory, cut into reads and writes as the test chooses, and on a real
//! connection on loopback; step 2 reads frames the test wrote itself, so it does not need your step 1.
//! Step 3 fills real connections on loopback, step 4 reads real connections and bytes in memory. Every
//! socket has a timeout (`test_support::IO_TIMEOUT`), and your functions run on a thread the test stops
//! waiting for after 2 seconds, so a function that waits for something that never comes, or loops for
//! ever, fails within seconds instead of hanging.
//!
//! Two checks need more memory than a test should touch: a payload of 4 GiB (step 1) and a length of
//! 4 GiB from the peer (step 2). On Linux they run in a copy of this test program started with its address
//! space capped (`ulimit -v`): the 4 GiB payload is only reserved, never touched, and a function that asks
//! for 4 GiB more gets an allocation failure there instead of this machine's memory.

use std::fmt::Debug;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use buffers::{DEFAULT_MAX_FRAME, Drained, FrameReader, drain, fill_until_blocked, write_frame};
use test_support::{
    IO_TIMEOUT, Outcome, SmallReads, caught, caught_any, describe, on_thread, small_buffer_pair,
    with_timeouts,
};

/// How long a test lets one of your functions run. On loopback every call here takes microseconds (a
/// fill, a few milliseconds); this is shorter than the sockets' own timeout, so a function that waits for
/// something that never comes is reported as still waiting, instead of returning the timeout's error
/// later.
const LIMIT: Duration = Duration::from_secs(2);

/// Bytes in hexadecimal, `00 00 00 05 68 65`, the first 16 of them.
fn hex(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    match bytes.len() {
        0 => "nothing".into(),
        1..=16 => shown.join(" "),
        len => format!("{} ... ({len} bytes)", shown.join(" ")),
    }
}

/// A payload for messages: `"hello"`, or `1000 bytes` when it is long.
fn show(bytes: &[u8]) -> String {
    if bytes.len() > 40 {
        format!("{} bytes", bytes.len())
    } else {
        format!("{:?}", String::from_utf8_lossy(bytes))
    }
}

/// `len` bytes that are not all alike, so that a byte out of place shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A frame as the test writes it, without your `write_frame`: the length in 4 bytes, big-endian, then
/// the payload.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut bytes = (payload.len() as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(payload);
    bytes
}

/// A connection on loopback with the kernel's default buffers: `(client, server)`, both with
/// [`IO_TIMEOUT`] on reads and writes.
fn loopback_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    let addr = listener.local_addr().expect("the listener's address");
    let client = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connecting on loopback");
    let (server, _) = listener.accept().expect("accepting on loopback");
    (with_timeouts(client), with_timeouts(server))
}

/// A connection on loopback with tiny buffers (`small_buffer_pair`): the client can write only a few
/// kilobytes before the server reads. Both have [`IO_TIMEOUT`] on reads and writes.
fn small_pair() -> (TcpStream, TcpStream) {
    let (client, server) = small_buffer_pair();
    (with_timeouts(client), with_timeouts(server))
}

/// Reads `stream` until the end of the stream and counts the bytes, written here so that step 3 does not
/// depend on your `drain`.
fn count_to_end(stream: &mut TcpStream) -> io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
}

/// Whether `stream` is in non-blocking mode now: the `O_NONBLOCK` flag, read back with `fcntl`.
#[cfg(unix)]
fn is_nonblocking(stream: &TcpStream) -> bool {
    socket2::SockRef::from(stream)
        .nonblocking()
        .expect("reading the socket's O_NONBLOCK flag back (fcntl)")
}

/// Whether `stream` is in non-blocking mode now. Windows cannot read the mode back, but a read tells,
/// on a stream with nothing to read: a non-blocking socket says `WouldBlock` at once, a blocking one
/// waits for its read timeout, which Windows reports as `TimedOut`.
#[cfg(not(unix))]
fn is_nonblocking(stream: &TcpStream) -> bool {
    let before = stream.read_timeout().expect("reading the read timeout");
    stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .expect("setting a read timeout");
    let result = (&*stream).read(&mut [0u8; 1]);
    stream
        .set_read_timeout(before)
        .expect("setting the read timeout back");
    matches!(result, Err(err) if err.kind() == ErrorKind::WouldBlock)
}

/// A writer that takes at most `max` bytes per `write`, and fails its first `write` with `Interrupted`,
/// as a write may when a signal arrives: what a socket whose buffers are nearly full does.
struct ShortWrites {
    written: Vec<u8>,
    max: usize,
    interrupt_next: bool,
}

impl ShortWrites {
    fn new(max: usize) -> Self {
        ShortWrites {
            written: Vec::new(),
            max,
            interrupt_next: true,
        }
    }
}

impl Write for ShortWrites {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if std::mem::take(&mut self.interrupt_next) {
            return Err(io::Error::new(
                ErrorKind::Interrupted,
                "interrupted by a signal (simulated)",
            ));
        }
        let n = buf.len().min(self.max);
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A reader that fails every other `read` with `Interrupted` (the first one included) before passing
/// the next one on: a signal arriving while the program waits for bytes, at every place a read can be.
struct Interrupting<R> {
    inner: R,
    interrupt_next: bool,
}

impl<R> Interrupting<R> {
    fn new(inner: R) -> Self {
        Interrupting {
            inner,
            interrupt_next: true,
        }
    }
}

impl<R: Read> Read for Interrupting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt_next = !self.interrupt_next;
        if !self.interrupt_next {
            return Err(io::Error::new(
                ErrorKind::Interrupted,
                "interrupted by a signal (simulated)",
            ));
        }
        self.inner.read(buf)
    }
}

/// A reader that counts the bytes it passes on, and the largest buffer it was asked to fill: what the
/// code under test took and how.
struct Counted<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
    largest_buffer: Arc<AtomicUsize>,
}

/// The counters of a [`Counted`] reader, kept by the test while the reader is away.
#[derive(Clone, Default)]
struct Counters {
    bytes: Arc<AtomicU64>,
    largest_buffer: Arc<AtomicUsize>,
}

impl Counters {
    fn wrap<R>(&self, inner: R) -> Counted<R> {
        Counted {
            inner,
            bytes: Arc::clone(&self.bytes),
            largest_buffer: Arc::clone(&self.largest_buffer),
        }
    }

    fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::SeqCst)
    }

    fn largest_buffer(&self) -> usize {
        self.largest_buffer.load(Ordering::SeqCst)
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.largest_buffer.fetch_max(buf.len(), Ordering::SeqCst);
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

/// A reader that returns its bytes, then fails with `ConnectionReset`: a peer that crashed.
struct ResetAfter {
    bytes: &'static [u8],
}

impl Read for ResetAfter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.bytes.is_empty() {
            return Err(io::Error::new(
                ErrorKind::ConnectionReset,
                "connection reset by peer (simulated)",
            ));
        }
        let n = buf.len().min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------------
// A copy of this test program with a capped address space (Linux), for the two checks that involve
// 4 GiB.

/// Set in the copy of this test program that [`in_capped_child`] starts: which check to run there.
const CHILD_VAR: &str = "BUFFERS_STEPS_CHILD";

/// How the copy reports what your function did, one `key: value` line each, on stdout.
const CHILD_MARK: &str = "buffers-steps-child ";

/// What the copy of the test program reported, or why it reported nothing.
#[cfg(target_os = "linux")]
enum ChildRun {
    /// Its `key: value` lines.
    Reported(Vec<(String, String)>),
    /// The allocation that failed (`memory allocation of N bytes failed`): N.
    AllocationFailed(String),
    /// The address space could not be capped here (a lower hard limit): the check is skipped.
    Skipped(String),
    /// It did not finish within the limit, or ended without a report: what is known.
    Other(String),
}

#[cfg(target_os = "linux")]
impl ChildRun {
    fn get(&self, key: &str) -> &str {
        match self {
            ChildRun::Reported(lines) => lines
                .iter()
                .find(|(k, _)| k == key)
                .map_or("", |(_, v)| v.as_str()),
            _ => "",
        }
    }
}

/// Prints one `key: value` line of a child's report.
fn report(key: &str, value: impl std::fmt::Display) {
    println!("{CHILD_MARK}{key}: {value}");
}

/// Runs the test `test` of this program again, alone, in a child process whose address space is capped
/// at `cap_mib` MiB (`ulimit -v`), with [`CHILD_VAR`] set to `case`; waits for it at most [`IO_TIMEOUT`].
#[cfg(target_os = "linux")]
fn in_capped_child(test: &str, case: &str, cap_mib: u64) -> ChildRun {
    use std::process::{Command, Stdio};

    let exe = std::env::current_exe().expect("the path of this test program");
    let mut child = Command::new("sh")
        .args([
            "-c",
            r#"ulimit -v "$1" 2>/dev/null || exit 97; shift; exec "$@""#,
            "sh",
            &(cap_mib * 1024).to_string(),
        ])
        .arg(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, case)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting a copy of this test program with sh");
    // The report is a few lines: the pipes cannot fill up while the child runs, so they are read after.
    let deadline = Instant::now() + IO_TIMEOUT;
    let status = loop {
        match child
            .try_wait()
            .expect("waiting for the copy of this test program")
        {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => break None,
            None => thread::sleep(Duration::from_millis(2)),
        }
    };
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        return ChildRun::Other(format!("had not returned after {IO_TIMEOUT:?}"));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    if status.code() == Some(97) {
        return ChildRun::Skipped(format!("`ulimit -v {}` failed", cap_mib * 1024));
    }
    let lines: Vec<(String, String)> = stdout
        .lines()
        // libtest writes `test NAME ... ` before the test's own output, on the same line.
        .filter_map(|line| line.split_once(CHILD_MARK)?.1.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if lines.iter().any(|(k, _)| k == "outcome") {
        return ChildRun::Reported(lines);
    }
    if let Some(line) = stderr
        .lines()
        .find(|line| line.starts_with("memory allocation of"))
    {
        let size = line
            .trim_start_matches("memory allocation of ")
            .trim_end_matches(" bytes failed");
        return ChildRun::AllocationFailed(size.to_string());
    }
    let tail: Vec<&str> = stderr.lines().rev().take(4).collect();
    ChildRun::Other(format!(
        "ended ({status}) without saying what it returned; its last words: {}",
        tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
    ))
}

// ---------------------------------------------------------------------------------------------------
// Step 1

/// Calls `write_frame(out, payload)` and checks what `out` received, saying what is wrong in words.
#[track_caller]
fn assert_frame_written<W: Write>(
    out: W,
    written: impl Fn(&W) -> Vec<u8>,
    payload: &[u8],
    how: &str,
) {
    let mut out = out;
    let call = format!("write_frame(out, {}){how}", show(payload));
    let expected = frame(payload);
    let result = match caught(|| write_frame(&mut out, payload)) {
        Ok(result) => result,
        Err(what) => panic!("{call} {what}"),
    };
    let got = written(&out);
    if let Err(err) = result {
        let advice = if err.kind() == ErrorKind::Interrupted {
            "Interrupted means \"try again\": `write_all` does, where `write` hands it to you"
        } else {
            "the payload fits a 4-byte length, and the writer takes every byte"
        };
        panic!(
            "{call} returned Err({:?}: {err}) after writing {}: {advice}",
            err.kind(),
            hex(&got)
        );
    }
    if got == expected {
        return;
    }
    let len = payload.len() as u32;
    let advice = if got.starts_with(&len.to_le_bytes()) && len.to_le_bytes() != len.to_be_bytes() {
        format!(
            "the length {len} came out little-endian ({}), least significant byte first. The network's \
             byte order is big-endian, most significant first: `to_be_bytes()` gives {}",
            hex(&len.to_le_bytes()),
            hex(&len.to_be_bytes())
        )
    } else if got == payload {
        "only the payload came out: the reader needs its length first, 4 bytes, big-endian".into()
    } else if got.len() < expected.len() && expected.starts_with(&got) {
        format!(
            "the first {} of the {} bytes came out, and the rest never did. `write` may take only part \
             of what it is given (it returns how many bytes it took); `write_all` writes them all",
            got.len(),
            expected.len()
        )
    } else if got.len() == expected.len() + 4 && got[4..] == expected[..] {
        "the length came out twice".into()
    } else if got.len() != expected.len() {
        format!(
            "{} bytes came out instead of {}: the length takes exactly 4 bytes (a `u32`), then the \
             payload as it is",
            got.len(),
            expected.len()
        )
    } else {
        format!(
            "the length of {} bytes is {}: 4 bytes, a `u32` in big-endian order (`to_be_bytes()`)",
            payload.len(),
            hex(&len.to_be_bytes())
        )
    };
    panic!(
        "{call} wrote {}, but it should write {}: {advice}",
        hex(&got),
        hex(&expected)
    );
}

/// Step 1: `write_frame(out, payload)` writes one frame: the payload's length in 4 bytes, as a `u32` in
/// big-endian (network) byte order, most significant byte first, then the payload. `"hello"` is
/// `00 00 00 05 68 65 6c 6c 6f`, an empty payload `00 00 00 00`, 300 bytes start with `00 00 01 2c`. It
/// writes every byte, however many a `write` takes (`write_all`), into any `Write`, a `Vec` or a
/// `TcpStream`. A payload of 4 GiB or more (over `u32::MAX` bytes) has a length that 4 bytes cannot hold:
/// that is an error of kind `InvalidInput`, returned before anything is written.
#[test]
fn step_1_write_a_length_then_the_bytes() {
    if let Ok(case) = std::env::var(CHILD_VAR) {
        return child_case(&case);
    }
    let vec = |out: &Vec<u8>| out.clone();
    for payload in [
        b"hello".to_vec(),
        Vec::new(),
        b"x".to_vec(),
        pattern(300),
        pattern(70_000),
    ] {
        assert_frame_written(Vec::new(), vec, &payload, "");
    }

    // Two frames in a row: the second follows the first.
    let mut out = Vec::new();
    let mut twice = || -> io::Result<()> {
        write_frame(&mut out, b"one")?;
        write_frame(&mut out, b"two")
    };
    match caught(&mut twice) {
        Ok(Ok(())) => {}
        other => panic!(
            "write_frame(out, \"one\") then write_frame(out, \"two\") {}",
            describe(&other)
        ),
    }
    let expected = [frame(b"one"), frame(b"two")].concat();
    assert!(
        out == expected,
        "write_frame(out, \"one\") then write_frame(out, \"two\") wrote {}, but it should be {}: each call \
         writes one frame after what is already there",
        hex(&out),
        hex(&expected)
    );

    // A writer that takes 3 bytes at a time, and is interrupted first.
    for payload in [b"hello".to_vec(), pattern(1000)] {
        assert_frame_written(
            ShortWrites::new(3),
            |out: &ShortWrites| out.written.clone(),
            &payload,
            ", `out` taking at most 3 bytes per write and interrupted once",
        );
    }

    // A real connection.
    let (mut client, mut server) = loopback_pair();
    let payload = pattern(20_000);
    match caught(|| write_frame(&mut client, &payload)) {
        Ok(Ok(())) => {}
        other => panic!("write_frame(a TcpStream, 20000 bytes) {}", describe(&other)),
    }
    client
        .shutdown(Shutdown::Write)
        .expect("shutting the test's client down for writing");
    let mut received = Vec::new();
    server
        .read_to_end(&mut received)
        .expect("the test reading what write_frame sent");
    assert!(
        received == frame(&payload),
        "write_frame(a TcpStream, 20000 bytes) sent {}, but it should send {}",
        hex(&received),
        hex(&frame(&payload))
    );

    payload_of_4_gib();
}

/// A payload of 4 GiB, in a copy of this program whose address space is capped: on Linux, 64-bit.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn payload_of_4_gib() {
    // The payload is 4 GiB of zeros, which the kernel only reserves; the cap leaves 1 GiB
    // more, so a function that copies it fails to allocate instead of filling this machine's memory.
    let run = in_capped_child("step_1_write_a_length_then_the_bytes", "4gib", 5 * 1024);
    let call = "write_frame(out, a payload of 4294967296 bytes)";
    let why = "4294967296 is 2^32, one more than a u32 holds: 4 bytes cannot say how long it is";
    match &run {
        ChildRun::Skipped(why) => {
            eprintln!("skipped the payload of 4 GiB: {why}");
        }
        ChildRun::AllocationFailed(size) => panic!(
            "{call} asked for {size} bytes of memory (the test's copy of the program is capped at 1 GiB \
             more than the payload): it copied the payload, or made the frame in a new buffer, before \
             the length was checked. {why}, so the check comes first: `u32::try_from(payload.len())` \
             and its InvalidInput error before any allocation and any write (after the copy, it comes \
             too late); then write the payload from where it is, `write_all(payload)`, with no copy"
        ),
        ChildRun::Other(what) => panic!("{call} {what}. {why}"),
        ChildRun::Reported(_) => {
            let kind = run.get("kind");
            let written = run.get("written");
            let outcome = run.get("outcome");
            let advice = match kind {
                "InvalidInput" if written == "nothing" => return,
                "InvalidInput" => format!(
                    "the error is right, but it came after {written} had been written: check the length \
                     before the first `write_all`, so that nothing half-written is left on the stream"
                ),
                "panicked" => "a panic is not an answer the caller can handle: turn the failure of \
                     `u32::try_from(payload.len())` into an io::Error with `map_err`, instead of \
                     `unwrap()` or `expect()`"
                    .into(),
                _ if written.starts_with("00 00 00 00") => {
                    "the length came out as 00 00 00 00: `as u32` cut 2^32 down to 0. \
                     `u32::try_from(payload.len())` fails instead: turn that into an InvalidInput error, \
                     before writing anything"
                        .into()
                }
                _ if written != "nothing" => "it wrote without checking the length first, and went on \
                     until the test's writer refused more than 16 bytes: check \
                     `u32::try_from(payload.len())` before the first `write_all`, and return its \
                     InvalidInput error"
                    .into(),
                "Ok" => "the payload cannot be framed: return an error of kind InvalidInput, which \
                         `u32::try_from(payload.len())` tells when"
                    .into(),
                other => format!(
                    "the error should be of kind InvalidInput (the caller gave a payload too long), not \
                     {other}: `io::Error::new(ErrorKind::InvalidInput, ...)` in the `map_err`"
                ),
            };
            panic!("{call} {outcome}, and `out` received {written}: {advice}. {why}.");
        }
    }
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn payload_of_4_gib() {}

/// A writer that keeps the first bytes it is given and refuses more: where a function that writes a
/// 4 GiB payload stops.
struct Refusing {
    kept: Vec<u8>,
}

impl Write for Refusing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = 16usize.saturating_sub(self.kept.len());
        if room == 0 {
            return Err(io::Error::other(
                "the test's writer refuses more than 16 bytes",
            ));
        }
        let n = buf.len().min(room);
        self.kept.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the copy of this program runs: one check, reported on stdout for the test that started it.
fn child_case(case: &str) {
    match case {
        #[cfg(target_pointer_width = "64")]
        "4gib" => {
            // Zeros from `vec!` are fresh pages from the kernel, not written to: only reading them
            // would map them, and then the one shared page of zeros.
            let payload = vec![0u8; 1 << 32];
            let mut out = Refusing { kept: Vec::new() };
            let outcome = caught_any(|| write_frame(&mut out, &payload));
            report("written", hex(&out.kept));
            report_outcome(&outcome);
        }
        "cap" => {
            let counters = Counters::default();
            let stream: &[u8] = &[0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4];
            let mut reader = FrameReader::new(counters.wrap(stream), 1024);
            let outcome = caught_any(|| reader.read_frame());
            report("consumed", counters.bytes());
            report_outcome(&outcome);
        }
        other => panic!("unknown {CHILD_VAR}: {other}"),
    }
}

/// Reports an outcome's kind (`Ok`, the error's kind, or `panicked`) and its description.
fn report_outcome<T: Debug>(outcome: &Outcome<io::Result<T>>) {
    let kind = match outcome {
        Ok(Ok(_)) => "Ok".to_string(),
        Ok(Err(err)) => format!("{:?}", err.kind()),
        Err(_) => "panicked".to_string(),
    };
    report("kind", kind);
    report("outcome", describe(outcome).replace('\n', " "));
}

// ---------------------------------------------------------------------------------------------------
// Step 2

/// What reading frames until the end did: the frames, how it ended, and how many bytes were taken from
/// the stream.
struct FramesRun {
    frames: Vec<Vec<u8>>,
    /// The last call: `Ok(None)`, an error, a panic, still running; or `Ok(Some(..))` when the test
    /// stopped calling because there should be no frames left.
    last: Outcome<io::Result<Option<Vec<u8>>>>,
    consumed: u64,
}

/// Calls `read_frame` on a `FrameReader::new(reader, max)` until it returns `None` or an error, at most
/// `calls` times, on a thread given [`LIMIT`] in all.
fn read_frames<R: Read + Send + 'static>(reader: R, max: usize, calls: usize) -> FramesRun {
    let counters = Counters::default();
    let frames = Arc::new(Mutex::new(Vec::new()));
    let mut frame_reader = FrameReader::new(counters.wrap(reader), max);
    let found = Arc::clone(&frames);
    let last = on_thread(LIMIT, move || {
        let mut last = Ok(None);
        for _ in 0..calls {
            last = frame_reader.read_frame();
            match &last {
                Ok(Some(frame)) => found
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(frame.clone()),
                _ => break,
            }
        }
        last
    });
    let frames = frames.lock().unwrap_or_else(|p| p.into_inner()).clone();
    FramesRun {
        frames,
        last,
        consumed: counters.bytes(),
    }
}

/// How a stream reaches `read_frame` in a test.
#[derive(Debug, Clone, Copy)]
enum Delivery {
    /// From memory, each read filling the buffer it is given: frames merged into one read.
    Whole,
    /// Each read returning at most N bytes.
    SmallReads(usize),
    /// At most N bytes per read, and every other read interrupted, the first one included.
    Interrupted(usize),
    /// Over a real connection on loopback, sent in one write.
    Socket,
}

impl Delivery {
    fn describe(self) -> String {
        match self {
            Delivery::Whole => String::new(),
            Delivery::SmallReads(n) => format!(", each read returning at most {n} byte(s)"),
            Delivery::Interrupted(n) => format!(
                ", each read returning at most {n} byte(s) and every other read failing with \
                 Interrupted"
            ),
            Delivery::Socket => ", over a real connection on loopback".into(),
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Delivery::Whole => {
                "here one read could return every frame at once: read no more than this frame's bytes \
                 (the 4 of the length, then exactly the length), or the next frame is lost"
            }
            Delivery::SmallReads(_) | Delivery::Socket => {
                "a read returns what it has, which may be less than asked for: read the length in a loop \
                 until all 4 bytes are there, and the payload with `read_exact`"
            }
            Delivery::Interrupted(_) => {
                "an error of kind Interrupted means \"call read again\": nothing was read, and nothing is \
                 wrong"
            }
        }
    }

    /// `read_frames` on `stream` delivered this way.
    fn read_frames(self, stream: &[u8], max: usize, calls: usize) -> FramesRun {
        let bytes = stream.to_vec();
        match self {
            Delivery::Whole => read_frames(io::Cursor::new(bytes), max, calls),
            Delivery::SmallReads(n) => {
                read_frames(SmallReads::new(io::Cursor::new(bytes), n), max, calls)
            }
            Delivery::Interrupted(n) => read_frames(
                Interrupting::new(SmallReads::new(io::Cursor::new(bytes), n)),
                max,
                calls,
            ),
            Delivery::Socket => {
                let (mut client, server) = loopback_pair();
                client
                    .write_all(&bytes)
                    .expect("the test sending the frames");
                client
                    .shutdown(Shutdown::Write)
                    .expect("the test shutting down its side");
                read_frames(server, max, calls)
            }
        }
    }
}

/// Reads `payloads`, framed by the test, back from one stream with `read_frame`, and then the clean end.
#[track_caller]
fn assert_frames_read_back(payloads: &[Vec<u8>], delivery: Delivery) {
    let stream: Vec<u8> = payloads.iter().flat_map(|p| frame(p)).collect();
    let shown: Vec<String> = payloads.iter().map(|p| show(p)).collect();
    let call = format!(
        "read_frame, called again and again on a stream of {} frames [{}]{}",
        payloads.len(),
        shown.join(", "),
        delivery.describe()
    );
    let run = delivery.read_frames(&stream, DEFAULT_MAX_FRAME, payloads.len() + 1);
    for (index, (got, want)) in run.frames.iter().zip(payloads).enumerate() {
        assert!(
            got == want,
            "{call}: frame {} came back as {} ({}), but it should be {} ({}): {}",
            index + 1,
            show(got),
            hex(got),
            show(want),
            hex(want),
            delivery.advice()
        );
    }
    if run.frames.len() < payloads.len() {
        let missing = &payloads[run.frames.len()];
        let advice = match &run.last {
            Err(what) if what.contains("todo!()") => panic!("{call}: the first call {what}"),
            Ok(Ok(None)) if missing.is_empty() => {
                "the next frame is empty (length 0): it is a frame, `Some(vec![])`; only the end of \
                 the stream before a frame's first byte is `None`"
            }
            Ok(Ok(None)) => "the stream had not ended: only a read that returns 0 is its end",
            Ok(Err(_)) | Err(_) => delivery.advice(),
            Ok(Ok(Some(_))) => "",
        };
        panic!(
            "{call}: after {} frame(s), the next call {}, but frame {} ({}) was next: {advice}",
            run.frames.len(),
            describe(&run.last),
            run.frames.len() + 1,
            show(missing)
        );
    }
    match &run.last {
        Ok(Ok(None)) => {}
        Err(what) if what.starts_with("had not returned") => panic!(
            "{call}: after the {} frames, the stream ends cleanly, and the next call should return \
             Ok(None), but it {what}. A read that returns Ok(0) is the end of the stream, and reading \
             again returns 0 again, for ever: with no byte of the next frame read yet, return Ok(None)",
            payloads.len()
        ),
        Ok(Ok(Some(_))) => panic!(
            "{call}: after the {} frames, the next call returned yet another frame, {}, but the stream \
             had ended: a read returning 0 before a frame's first byte is the clean end, `Ok(None)`",
            payloads.len(),
            run.frames.last().map_or_else(String::new, |f| show(f))
        ),
        other => panic!(
            "{call}: after the {} frames, the stream ends cleanly, and the next call should return \
             Ok(None), but it {}. A read that returns 0 before the first byte of a frame is that clean \
             end; `read_exact` cannot tell it from an end inside the length",
            payloads.len(),
            describe(other)
        ),
    }
    assert!(
        run.consumed == stream.len() as u64,
        "{call}: read_frame took {} bytes from the stream, but it holds {}",
        run.consumed,
        stream.len()
    );
}

/// The error `read_frame` returned for `stream`, delivered as told, after the frames it holds; fails
/// unless it is an error of kind `kind`.
#[track_caller]
fn frame_error(
    stream: &[u8],
    max: usize,
    delivery: Delivery,
    frames_first: usize,
    kind: ErrorKind,
    what: &str,
    advice: &str,
) -> (io::Error, u64) {
    let call = format!(
        "read_frame on {what} ({}){}",
        hex(stream),
        delivery.describe()
    );
    let run = delivery.read_frames(stream, max, frames_first + 1);
    if let Err(what) = &run.last {
        if what.contains("todo!()") {
            panic!("{call} {what}");
        }
    }
    match run.last {
        Ok(Err(err)) if err.kind() == kind && run.frames.len() == frames_first => {
            (err, run.consumed)
        }
        Err(what) if what.starts_with("had not returned") => panic!(
            "{call} {what}, but it should return an error of kind {kind:?}: {advice}. A read that \
             returns Ok(0) is the end of the stream, and reading again returns 0 again, for ever"
        ),
        other => panic!(
            "{call} {}{}, but it should return an error of kind {kind:?}: {advice}",
            if run.frames.len() > frames_first {
                format!("returned {} frame(s) and then ", run.frames.len())
            } else {
                String::new()
            },
            describe(&other)
        ),
    }
}

/// Step 2: `read_frame(frames)` (which `FrameReader::read_frame` calls) reads the next frame back: 4 bytes of length (big-endian), then
/// that many bytes, which it returns as `Some(payload)`, whatever the reads return: frames merged into one
/// read, cut one byte per read, or interrupted (`ErrorKind::Interrupted`: call `read` again); empty frames
/// included. When the stream ends cleanly, before a frame's first byte, it returns `None`. When it ends
/// inside a frame, that is an error of kind `UnexpectedEof`, with a message that says where: inside the
/// length, or inside the payload (the two messages differ). A length over the reader's `max_frame` is
/// an error of kind `InvalidData`, found before anything is allocated and before any byte of the payload
/// is read: only the 4 bytes of the length are taken from the stream (with a length of `FF FF FF FF`, a
/// reader that allocated first would ask for 4 GiB). It never takes more bytes from the stream than the
/// frame it returns: the next frame is still there for the next call.
#[test]
fn step_2_read_frames_back_whatever_the_reads() {
    if let Ok(case) = std::env::var(CHILD_VAR) {
        return child_case(&case);
    }
    let payloads = vec![
        b"hello".to_vec(),
        Vec::new(),
        b"a frame of its own".to_vec(),
        pattern(1000),
        b"x".to_vec(),
        Vec::new(),
    ];
    for delivery in [
        Delivery::Whole,
        Delivery::SmallReads(1),
        Delivery::SmallReads(3),
        Delivery::Interrupted(2),
        Delivery::Socket,
    ] {
        assert_frames_read_back(&payloads, delivery);
    }
    assert_frames_read_back(&[], Delivery::Whole);

    // Ends in the middle of a frame.
    for delivery in [
        Delivery::Whole,
        Delivery::SmallReads(1),
        Delivery::Interrupted(1),
    ] {
        let (in_length, _) = frame_error(
            &[0, 0],
            DEFAULT_MAX_FRAME,
            delivery,
            0,
            ErrorKind::UnexpectedEof,
            "a stream that ends after 2 bytes of a length",
            "the peer stopped in the middle of a frame's length, which is not the clean end (that is \
             a read returning 0 before any byte of a frame). Count the bytes of the length read so far",
        );
        let mut cut = frame(b"hello");
        cut.truncate(7);
        let (in_payload, _) = frame_error(
            &cut,
            DEFAULT_MAX_FRAME,
            delivery,
            0,
            ErrorKind::UnexpectedEof,
            "a stream that ends after 3 bytes of a frame of 5",
            "a read that returns 0 inside the payload is the end of the stream, not the end of the \
             frame: the frame is incomplete. `read_exact` says so with UnexpectedEof",
        );
        let first = frame(b"first");
        let (after_a_frame, _) = frame_error(
            &[first.as_slice(), &[0, 0, 0]].concat(),
            DEFAULT_MAX_FRAME,
            delivery,
            1,
            ErrorKind::UnexpectedEof,
            "a frame, then a stream that ends after 3 bytes of the next length",
            "the count of the length's bytes starts again at 0 for each frame",
        );
        let messages = [
            in_length.to_string(),
            in_payload.to_string(),
            after_a_frame.to_string(),
        ];
        assert!(
            messages[0] != messages[1],
            "read_frame's UnexpectedEof says {:?} for a stream that ended inside the length, and the same \
             for one that ended inside the payload: say where it ended, e.g. \"the stream ended inside \
             a frame's length (2 of 4 bytes)\" and \"the stream ended inside a frame of 5 bytes\"",
            messages[0]
        );
        assert!(
            !messages.iter().any(|m| m == "failed to fill whole buffer"),
            "read_frame's UnexpectedEof messages are {messages:?}: \"failed to fill whole buffer\" is \
             `read_exact`'s, and does not say which buffer. Replace it with `map_err`, with a message \
             that says the stream ended inside a frame of N bytes"
        );
    }

    // The cap.
    let exactly = [frame(&pattern(10)), frame(b"next")].concat();
    let run = Delivery::Whole.read_frames(&exactly, 10, 3);
    assert!(
        run.frames == [pattern(10), b"next".to_vec()] && matches!(run.last, Ok(Ok(None))),
        "read_frame with max_frame 10, on a frame of exactly 10 bytes and then one of 4, returned {} \
         frame(s) of {:?} bytes, then {}, but both frames are within the cap: only a length over \
         `max_frame` is refused",
        run.frames.len(),
        run.frames.iter().map(Vec::len).collect::<Vec<_>>(),
        describe(&run.last)
    );
    for (stream, max, what) in [
        (
            frame(&pattern(11)),
            10,
            "a frame of 11 bytes, with max_frame 10",
        ),
        (
            [&0x0010_0001u32.to_be_bytes()[..], &pattern(100)].concat(),
            DEFAULT_MAX_FRAME,
            "a length of 1 MiB + 1 (00 10 00 01) and 100 bytes, with max_frame DEFAULT_MAX_FRAME (1 MiB)",
        ),
    ] {
        for delivery in [Delivery::Whole, Delivery::Interrupted(1)] {
            let (_, consumed) = frame_error(
                &stream,
                max,
                delivery,
                0,
                ErrorKind::InvalidData,
                what,
                "the length is over the cap: return `io::Error::new(ErrorKind::InvalidData, ...)` as \
                 soon as the length is known, before allocating or reading the payload",
            );
            assert!(
                consumed == 4,
                "read_frame on {what}{} returned InvalidData, as it should, but only after taking \
                 {consumed} bytes from the stream: it should stop after the 4 bytes of the length, which \
                 are all it needs to refuse the frame. A peer that sends a huge length must not make it \
                 read (or allocate) that much",
                delivery.describe()
            );
        }
    }

    length_of_4_gib();
}

/// A length of 4 GiB from the peer, in a copy of this program whose address space is capped: on Linux.
#[cfg(target_os = "linux")]
fn length_of_4_gib() {
    let run = in_capped_child("step_2_read_frames_back_whatever_the_reads", "cap", 1024);
    let call = "read_frame on a length of FF FF FF FF (4 GiB - 1) with max_frame 1024";
    match &run {
        ChildRun::Skipped(why) => eprintln!("skipped the length of 4 GiB: {why}"),
        ChildRun::AllocationFailed(size) => panic!(
            "{call} asked for {size} bytes of memory before it found the length over the cap (the test's \
             copy of the program is capped at 1 GiB, and failed to allocate). A peer decides the \
             length: compare it with `self.max_frame` first, and allocate only a length that passed"
        ),
        ChildRun::Other(what) => panic!("{call} {what}"),
        ChildRun::Reported(_) => {
            assert!(
                run.get("kind") == "InvalidData" && run.get("consumed") == "4",
                "{call} {} after taking {} bytes from the stream, but it should return an error of \
                 kind InvalidData after the 4 bytes of the length",
                run.get("outcome"),
                run.get("consumed")
            );
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn length_of_4_gib() {}

// ---------------------------------------------------------------------------------------------------
// Step 3

/// Runs `fill_until_blocked(stream, piece)` on a thread; gives the stream back if it returned.
fn run_fill(stream: TcpStream, piece: usize) -> (Outcome<io::Result<u64>>, Option<TcpStream>) {
    match on_thread(LIMIT, move || {
        let result = fill_until_blocked(&stream, piece);
        (result, stream)
    }) {
        Ok((result, stream)) => (Ok(result), Some(stream)),
        Err(what) => (Err(what), None),
    }
}

/// Calls `fill_until_blocked` on `client`, whose peer does not read, and fails with a message that says
/// what went wrong unless it returns a count; gives back the count and the stream.
#[track_caller]
fn fill(client: TcpStream, piece: usize, what: &str) -> (u64, TcpStream) {
    let call = format!("fill_until_blocked({what}, {piece})");
    let probe = client.try_clone().expect("a second handle on the socket");
    let timeout = client.write_timeout().expect("reading the write timeout");
    let start = Instant::now();
    let (outcome, stream) = run_fill(client, piece);
    let elapsed = start.elapsed();
    match (outcome, stream) {
        (Ok(Ok(taken)), Some(stream)) => {
            let now = stream.write_timeout().expect("reading the write timeout");
            assert!(
                now == timeout,
                "{call} returned Ok({taken}) after {elapsed:.1?}, and the stream's write timeout is now \
                 {now:?} instead of {timeout:?}: leave the caller's timeouts alone. A write that waits \
                 for a timeout is slow and still blocking; `set_nonblocking(true)` makes a write that \
                 finds no room return at once"
            );
            (taken, stream)
        }
        (Err(what), _) if what.contains("todo!()") => panic!("{call} {what}"),
        (Err(what), _) if what.starts_with("had not returned") => {
            let advice = if is_nonblocking(&probe) {
                "The stream is in non-blocking mode, so a write that finds no room returns WouldBlock \
                 at once: that WouldBlock is the answer, the buffers are full. Stop the loop there; \
                 writing again only gets another WouldBlock, for ever"
            } else {
                "The stream is in blocking mode, so a write that finds no room waits for the peer to \
                 read, and this peer never reads (the test gave the stream a write timeout of 3 s, so \
                 it would even look like it worked, a few seconds later). Call \
                 `stream.set_nonblocking(true)` before the loop"
            };
            panic!(
                "{call} {what}: its peer never reads, so the buffers fill up in a few milliseconds. \
                 {advice}"
            )
        }
        (Ok(Err(err)), _) if err.kind() == ErrorKind::WouldBlock => panic!(
            "{call} returned Err(WouldBlock: {err}) after {elapsed:.1?}: WouldBlock is not a failure \
             here, it is the end the function waits for (the buffers are full). Stop writing then and \
             return `Ok(count)`"
        ),
        (other, _) => panic!(
            "{call} {}, but it was given a fresh connection whose peer does not read: the writes should \
             succeed until WouldBlock",
            describe(&other)
        ),
    }
}

/// Checks that `stream` is in blocking mode after `call`.
#[track_caller]
fn assert_blocking_again(stream: &TcpStream, call: &str, outcome: &str) {
    assert!(
        !is_nonblocking(stream),
        "{call} {outcome}, but left the stream in non-blocking mode: set it back with \
         `set_nonblocking(false)` before returning, error or not. Whoever uses the stream next expects \
         a read to wait for bytes, not to fail with WouldBlock"
    );
}

/// Shuts the client down, reads everything at the server, and checks that it is what the fills took.
#[track_caller]
fn assert_all_arrive(client: &TcpStream, server: &mut TcpStream, taken: u64, what: &str) {
    client
        .shutdown(Shutdown::Write)
        .expect("the test shutting the client down for writing");
    let received = count_to_end(server).expect("the test reading everything at the server");
    assert!(
        received == taken,
        "fill_until_blocked({what}, ..) returned {taken} in all, but the peer then read {received} bytes: \
         the count should be the bytes the kernel took, the sum of what each `write` returned (`Ok(n)`, \
         which can be less than the piece), not the bytes offered. Flow control loses nothing: every \
         byte taken arrives"
    );
}

/// Step 3: `fill_until_blocked(stream, piece)` writes pieces of `piece` bytes to `stream`, whose peer
/// never reads, in non-blocking mode, until a write fails with `WouldBlock`: the send buffer and the
/// peer's receive buffer are full. It returns how many bytes the kernel took in all (what the writes
/// returned, not what they were offered), and leaves the stream in blocking mode again, whether it
/// returns the count or an error. No byte is lost: once the peer reads, exactly that many arrive. Right
/// after, a second call finds the buffers still full and gets (almost) nothing in. Any error other than
/// `WouldBlock` is returned, still restoring blocking mode. A blocking write would wait for a peer that
/// never reads: the test gives up after 2 seconds.
#[test]
fn step_3_write_until_the_buffers_are_full() {
    // Small buffers: a few kilobytes. Pieces smaller and larger than the room there is.
    for piece in [1000, 64 * 1024] {
        let what = "a stream with small buffers";
        let (client, mut server) = small_pair();
        let (first, client) = fill(client, piece, what);
        let call = format!("fill_until_blocked({what}, {piece})");
        assert!(
            first > 0,
            "{call} returned Ok(0), but the connection is fresh and its buffers empty: the first writes \
             succeed. Count what each `Ok(n)` says"
        );
        assert_blocking_again(&client, &call, &format!("returned Ok({first})"));
        let (second, client) = fill(client, piece, what);
        assert!(
            second <= first / 4,
            "{call} returned Ok({first}), then a second call right after returned Ok({second}): the \
             first call stopped before the buffers were full. Only WouldBlock says they are; a write \
             that takes less than the piece (`Ok(n)` with n < piece) only means the room was smaller \
             than the piece, so write again"
        );
        assert_all_arrive(&client, &mut server, first + second, what);
    }

    // The kernel's default buffers: megabytes on loopback.
    let what = "a stream with the default buffers";
    let (client, mut server) = loopback_pair();
    let (taken, client) = fill(client, 64 * 1024, what);
    assert_blocking_again(
        &client,
        &format!("fill_until_blocked({what}, 65536)"),
        &format!("returned Ok({taken})"),
    );
    assert_all_arrive(&client, &mut server, taken, what);

    // A write that fails: the stream is shut down for writing, so every write is a broken pipe.
    let (client, _server) = small_pair();
    client
        .shutdown(Shutdown::Write)
        .expect("the test shutting the client down for writing");
    let probe = client.try_clone().expect("a second handle on the socket");
    let call = "fill_until_blocked(a stream shut down for writing, 1000)";
    let (outcome, _) = run_fill(client, 1000);
    match &outcome {
        Ok(Err(err)) if err.kind() != ErrorKind::WouldBlock => {
            assert_blocking_again(
                &probe,
                call,
                &format!("returned Err({:?}: {err})", err.kind()),
            );
        }
        Err(what) if what.contains("todo!()") => panic!("{call} {what}"),
        other => panic!(
            "{call} {}, but every write there fails (BrokenPipe): that error should be returned, as an \
             `Err`. Only WouldBlock means that the buffers are full",
            describe(other)
        ),
    }
}

// ---------------------------------------------------------------------------------------------------
// Step 4

/// Calls `drain(input, buf_size)` on a thread and fails unless it returns `expected`; `counters` are
/// those of a [`Counted`] around the input, for the message.
#[track_caller]
fn assert_drained<R: Read + Send + 'static>(
    input: R,
    buf_size: usize,
    expected: Drained,
    what: &str,
    why: &str,
) {
    let counters = Counters::default();
    let mut input = counters.wrap(input);
    let call = format!("drain({what}, {buf_size})");
    let outcome = on_thread(LIMIT, move || drain(&mut input, buf_size));
    let got = match outcome {
        Ok(Ok(got)) => got,
        Err(what) if what.contains("todo!()") => panic!("{call} {what}"),
        Err(what) if what.starts_with("had not returned") => panic!(
            "{call} {what}: the stream had ended. The end is a read that returns Ok(0): return then \
             (reading again returns 0 again, for ever)"
        ),
        other => panic!(
            "{call} {}, but it should return {expected:?}: {}",
            describe(&other),
            if matches!(&other, Ok(Err(err)) if err.kind() == ErrorKind::Interrupted) {
                "Interrupted means \"read again\": nothing was read, and nothing is wrong"
            } else if buf_size == 0 {
                "a `buf_size` of 0 is taken as 1 (`buf_size.max(1)`): a buffer of 0 bytes cannot read \
                 anything"
            } else {
                "read until a read returns Ok(0)"
            }
        ),
    };
    let largest = counters.largest_buffer();
    assert!(
        largest <= buf_size.max(1),
        "{call}: a read was given a buffer of {largest} bytes, but the buffer should be `buf_size` \
         bytes, {buf_size}: the size of the buffer is what this function measures"
    );
    if got == expected {
        return;
    }
    let advice = if buf_size == 0 && got.bytes == 0 {
        "a read into a buffer of 0 bytes returns Ok(0) at once, whatever the stream holds, and Ok(0) \
         looks like the end of the stream: nothing was read. Take a `buf_size` of 0 as 1 \
         (`buf_size.max(1)`), as the doc comment says"
            .to_string()
    } else if got.bytes < expected.bytes {
        format!(
            "it stopped after {} of the {} bytes. A read that returns fewer bytes than the buffer holds \
             is not the end: only Ok(0) is",
            got.bytes, expected.bytes
        )
    } else if got.bytes == expected.bytes && got.reads == expected.reads + 1 {
        "one read too many: the last read, which returns 0, is the end, not a read that returned bytes"
            .to_string()
    } else if got.bytes == expected.bytes && got.reads > expected.reads {
        "more reads than returned bytes: count a read only when it returns Ok(n) with n > 0 (an \
         Interrupted read read nothing)"
            .to_string()
    } else {
        why.to_string()
    };
    panic!("{call} returned {got:?}, but it should return {expected:?} ({why}): {advice}");
}

/// Step 4: `drain(input, buf_size)` reads `input` to its end, a read returning `Ok(0)`, with a buffer of
/// `buf_size` bytes, and returns how many bytes it read and how many reads returned bytes (the last read,
/// which returns 0, does not count). A read returns what has arrived, at most the buffer's size: with a
/// buffer of 1 byte, a stream of N bytes takes N reads; a read that returns less than the buffer holds is
/// not the end. An `Interrupted` read is called again and is not counted; any other error is returned.
/// A `buf_size` of 0 is taken as 1: a read into an empty buffer returns `Ok(0)` at once, which would look
/// like the end of the stream. On real connections on loopback, and on bytes in memory cut into small reads.
#[test]
fn step_4_count_the_reads_to_the_end() {
    // Bytes in memory, each read returning at most 7 bytes: exactly ceil(1000 / min(7, buf_size)) reads.
    let data = pattern(1000);
    for buf_size in [1, 5, 7, 100, 64 * 1024] {
        let per_read = buf_size.min(7) as u64;
        let expected = Drained {
            bytes: 1000,
            reads: 1000_u64.div_ceil(per_read),
        };
        let why = match 1000 % per_read {
            0 => format!("each read returns {per_read} byte(s)"),
            last => format!("each read returns {per_read} byte(s), the last one {last}"),
        };
        assert_drained(
            SmallReads::new(io::Cursor::new(data.clone()), 7),
            buf_size,
            expected,
            "1000 bytes, each read returning at most 7",
            &why,
        );
        assert_drained(
            Interrupting::new(SmallReads::new(io::Cursor::new(data.clone()), 7)),
            buf_size,
            expected,
            "1000 bytes, each read returning at most 7 and every other read failing with Interrupted",
            &why,
        );
    }
    // A buffer of 0 bytes: taken as 1, so 1000 reads of 1 byte.
    assert_drained(
        SmallReads::new(io::Cursor::new(data.clone()), 7),
        0,
        Drained {
            bytes: 1000,
            reads: 1000,
        },
        "1000 bytes, each read returning at most 7",
        "a buf_size of 0 is taken as 1: each read returns 1 byte",
    );
    assert_drained(
        io::Cursor::new(Vec::new()),
        4096,
        Drained::default(),
        "an empty stream",
        "the first read returns 0: nothing was read, in no read",
    );

    // A real connection: the server sends and closes.
    for (len, buf_size) in [(5000usize, 1usize), (200_000, 4096), (200_000, 64 * 1024)] {
        let (client, mut server) = loopback_pair();
        let sender = thread::spawn(move || {
            server.write_all(&pattern(len))?;
            server.shutdown(Shutdown::Write)
        });
        let what = format!("a connection on which the peer sends {len} bytes and closes");
        let counters = Counters::default();
        let mut input = counters.wrap(client);
        let call = format!("drain({what}, {buf_size})");
        let outcome = on_thread(LIMIT, move || drain(&mut input, buf_size));
        let got = match outcome {
            Ok(Ok(got)) => got,
            Err(what) if what.contains("todo!()") => panic!("{call} {what}"),
            other => panic!(
                "{call} {}, but it should read the {len} bytes and stop at the end of the stream (a read \
                 returning Ok(0))",
                describe(&other)
            ),
        };
        sender
            .join()
            .expect("the sender thread")
            .expect("the test's server sending");
        let most = len as u64;
        let least = len.div_ceil(buf_size) as u64;
        assert!(
            got.bytes == len as u64 && (least..=most).contains(&got.reads),
            "{call} returned {got:?}, but it should read {len} bytes, in at least {least} reads (each at \
             most {buf_size} bytes) and at most {most}: count the bytes of each read that returns Ok(n), \
             n > 0, and stop at Ok(0)"
        );
        if buf_size == 1 {
            assert!(
                got.reads == got.bytes,
                "{call} returned {got:?}: with a buffer of 1 byte every read returns 1 byte, so there are \
                 as many reads as bytes"
            );
        }
    }

    // An error that is not the end.
    let call = "drain(a stream that sends 10 bytes and is then reset, 4)";
    let outcome = on_thread(LIMIT, || {
        drain(
            &mut ResetAfter {
                bytes: b"0123456789",
            },
            4,
        )
    });
    match outcome {
        Ok(Err(err)) if err.kind() == ErrorKind::ConnectionReset => {}
        Err(what) if what.contains("todo!()") => panic!("{call} {what}"),
        other => panic!(
            "{call} {}, but it should return the error, Err(ConnectionReset): a reset is not the end of \
             the stream (that is Ok(0)), and the caller must know that bytes may be missing",
            describe(&other)
        ),
    }
}
