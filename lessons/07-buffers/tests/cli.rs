//! The `buffers` program itself: each subcommand prints its table, the benchmark draws its chart and
//! runs next to iperf3, `receive` shows what the tutorials' kind of sender (`python/send_messages.py`)
//! sends, and the framing reads what Python writes. Every child process has a timeout.
//! No test looks at a throughput or a duration: those are for the tables, not for assertions.
//!
//! A test that needs `python3` or `iperf3` says so and skips when it is missing, except under `CI=true`
//! or `REQUIRE_PEERS=1`, where that is a failure.

use std::net::TcpListener;

use assert_cmd::Command;
use buffers::FrameReader;
use predicates::prelude::*;
use test_support::{
    Exited, PROCESS_TIMEOUT, Peer, ServerProcess, accept_within, assert_help_quoted_in_book, peer,
};

const PROGRAM: &str = env!("CARGO_BIN_EXE_buffers");

/// The tutorials' kind of sender, in Python (the chapter's "From Python" starts from it).
const TUTORIAL_SENDER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/send_messages.py");

/// `buffers` with a timeout on the whole run.
fn buffers() -> Command {
    let mut command = Command::new(PROGRAM);
    command.timeout(PROCESS_TIMEOUT);
    command
}

/// Runs `buffers ARGS`, checks that it succeeded, and returns its stdout.
#[track_caller]
fn stdout_of(args: &[&str]) -> String {
    let output = buffers().args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "buffers {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn help_lists_the_five_subcommands() {
    buffers().arg("--help").assert().success().stdout(
        predicate::str::contains("sizes")
            .and(predicate::str::contains("fill"))
            .and(predicate::str::contains("split"))
            .and(predicate::str::contains("receive"))
            .and(predicate::str::contains("bench")),
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        &["bench", "--mib", "0"][..],
        &["bench", "--max-writes", "0"],
        &["bench", "--rounds", "many"],
        &["fill", "--small", "-1"],
        &["receive", "--addr", "localhost:0"],
        &["receive", "--idle", "0s"],
        &["resize"],
        &[],
    ] {
        let output = buffers().args(args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "buffers {args:?} is bad usage: exit 2; stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn sizes_prints_the_defaults_the_requests_and_their_sources() {
    let stdout = stdout_of(&["sizes"]);
    for phrase in [
        "| TCP, new |",
        "| TCP, connected on loopback |",
        "| UDP |",
        "| requested | read back |",
        "net.ipv4.tcp_wmem",
        "net.core.rmem_max",
    ] {
        assert!(
            stdout.contains(phrase),
            "sizes should show {phrase:?}:\n{stdout}"
        );
    }
    #[cfg(target_os = "linux")]
    assert!(
        stdout.contains("| 65536 | 131072 | doubled |"),
        "Linux doubles a request:\n{stdout}"
    );
}

#[test]
fn fill_shows_four_settings_and_loses_nothing() {
    let stdout = stdout_of(&["fill", "--small", "8192"]);
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|line| line.ends_with("| yes |"))
        .collect();
    assert_eq!(rows.len(), 4, "four rows, each read back whole:\n{stdout}");
    assert!(stdout.contains("set to 8192"), "{stdout}");
}

#[test]
fn split_shows_merged_and_cut_reads_and_recovers_the_messages() {
    let stdout = stdout_of(&["split"]);
    for phrase in [
        "1 read(s): \"onetwothreefour\"",
        "3 read(s): \"onetw\" \"othre\" \"efour\"",
        "read_line over 5-byte reads: [\"one\", \"two\", \"three\", \"four\"]",
        "FrameReader over 5-byte reads: [\"one\", \"two\", \"three\", \"four\"]",
    ] {
        assert!(
            stdout.contains(phrase),
            "split should show {phrase:?}:\n{stdout}"
        );
    }
}

#[test]
fn split_traces_every_read() {
    buffers()
        .args(["split", "--trace"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("[trace sender] write 5 bytes \"three\"")
                .and(predicate::str::contains(
                    "[trace receiver] read 5 bytes \"onetw\"",
                ))
                .and(predicate::str::contains(
                    "[trace receiver] read 0 bytes (peer closed)",
                )),
        );
}

/// The bench's table and chart, at a size that takes a moment: every setting has its row and its bar.
#[test]
fn bench_prints_a_row_per_setting_and_draws_the_chart() {
    let dir = std::env::temp_dir().join(format!("buffers-chart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let chart = dir.join("chart.svg");
    let stdout = stdout_of(&[
        "bench",
        "--mib",
        "1",
        "--max-writes",
        "4096",
        "--rounds",
        "1",
        "--svg",
        chart.to_str().unwrap(),
    ]);
    let names = [
        "1 B",
        "16 B",
        "256 B",
        "4 KiB",
        "64 KiB",
        "128 KiB",
        "256 KiB",
        "1 MiB",
        "1 B into BufWriter (8 KiB)",
    ];
    let svg = std::fs::read_to_string(&chart).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    for name in names {
        assert!(
            stdout.contains(&format!("| {name} |")),
            "a row for {name}:\n{stdout}"
        );
        assert!(
            svg.contains(&format!(">{name}</text>")),
            "a bar for {name}:\n{svg}"
        );
    }
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<rect x=").count(), names.len(), "one bar each");
}

#[test]
fn bench_nodelay_compares_three_ways_of_sending_a_request() {
    let stdout = stdout_of(&["bench", "--nodelay"]);
    for row in [
        "| two writes (length, then body) | off |",
        "| two writes (length, then body) | on |",
        "| one write (both together) | off |",
    ] {
        assert!(stdout.contains(row), "a row {row:?}:\n{stdout}");
    }
}

/// The comparison the chapter quotes: the best setting next to iperf3 in the same run.
#[test]
fn bench_runs_next_to_iperf3() {
    if peer(Peer::Iperf3).is_none() {
        return;
    }
    let stdout = stdout_of(&[
        "bench",
        "--mib",
        "4",
        "--max-writes",
        "4096",
        "--rounds",
        "1",
        "--iperf3",
        "--iperf3-time",
        "1",
    ]);
    assert!(
        stdout.contains("| iperf3 -c 127.0.0.1 -t 1 (best of 1) |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("buffers bench (best) / iperf3: "),
        "{stdout}"
    );
}

/// `buffers receive ARGS --addr 127.0.0.1:0`, killed if the test ends first.
fn start_receive(args: &[&str]) -> ServerProcess {
    ServerProcess::start(PROGRAM, ["receive"].iter().chain(args))
}

/// How the tutorials' sender ended: its exit status and what it wrote on stderr.
struct SenderEnd {
    code: Option<i32>,
    stderr: String,
}

/// Runs `python/send_messages.py` against `buffers receive ARGS`, and returns how `receive` ended and
/// how the sender did.
fn tutorial_sender_against_receive(
    python: &std::path::Path,
    args: &[&str],
) -> (Option<i32>, String, String, SenderEnd) {
    let receiver = start_receive(args);
    let sender = Command::new(python)
        .args([TUTORIAL_SENDER, &receiver.addr().to_string()])
        .timeout(PROCESS_TIMEOUT)
        .output()
        .expect("running python/send_messages.py");
    let sender = SenderEnd {
        code: sender.status.code(),
        stderr: String::from_utf8_lossy(&sender.stderr).into_owned(),
    };
    let exited = receiver.wait_for_output();
    (exited.code, exited.stdout, exited.stderr, sender)
}

/// The tutorials' sender sends `one`, `two`, `three` and `four`, one `send()` each, and counts on each
/// arriving as a message. `receive` shows the reads: the bytes all come, in order, but how many reads they
/// take is up to the timing (on loopback, often one: `onetwothreefour`), and no read says where a send
/// began.
#[test]
fn the_tutorials_sender_sends_bytes_not_messages() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let (code, stdout, stderr, sender) = tutorial_sender_against_receive(&python, &[]);
    assert_eq!(
        sender.code,
        Some(0),
        "the sender failed:\n{}",
        sender.stderr
    );
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let read: String = stdout
        .lines()
        .filter(|line| line.starts_with("read "))
        .map(|line| line.split_once(" bytes ").unwrap().1.trim_matches('"'))
        .collect();
    assert_eq!(
        read, "onetwothreefour",
        "the reads, put together:\n{stdout}"
    );
    assert!(
        stdout.contains("the sender closed: 15 bytes in ")
            && stdout.contains("not where the sender's writes began"),
        "{stdout}"
    );
}

/// Against `receive --frames`, the same sender cannot work: it puts no length before its messages. The
/// first 4 bytes, `onet`, make a length of 1,869,505,908, over the cap, and the error says what they
/// are: text, not a length. Nothing is allocated for it. `receive` then closes with the sender's bytes
/// unread, so the kernel answers with a reset, and a `send()` of the sender's that comes after it fails
/// with `BrokenPipeError` (or `ConnectionResetError`): whether one does is up to the timing.
#[test]
fn receive_frames_says_why_the_tutorials_sender_is_not_framed() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let (code, stdout, stderr, sender) = tutorial_sender_against_receive(&python, &["--frames"]);
    let cut_off = ["BrokenPipeError", "ConnectionResetError"]
        .iter()
        .any(|error| sender.stderr.contains(error));
    assert!(
        sender.code == Some(0) || cut_off,
        "the sender failed, and not for being cut off:\n{}",
        sender.stderr
    );
    assert_eq!(code, Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    for phrase in [
        "a frame of 1869505908 bytes is over the limit of 1048576 bytes",
        "its 4 bytes of length were 6f 6e 65 74 \"onet\", which is text, not a length",
        "without a length before each",
    ] {
        assert!(stderr.contains(phrase), "{phrase:?} in:\n{stderr}");
    }
}

/// The tutorials' client sends, then waits in `recv(1024)` for a reply that `receive` never sends: after
/// `--idle`, `receive` says so and closes, and the client's `recv` returns `b''`.
#[test]
fn receive_says_why_it_gives_up_on_a_sender_that_waits_for_a_reply() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let receiver = start_receive(&["--idle", "300ms"]);
    let (host, port) = (
        receiver.addr().ip().to_string(),
        receiver.addr().port().to_string(),
    );
    let script = format!(
        "import socket\ns = socket.create_connection(('{host}', {port}))\ns.send(b'nihaoma')\nprint(s.recv(1024))\n"
    );
    let client = Command::new(python)
        .args(["-c", &script])
        .timeout(PROCESS_TIMEOUT)
        .output()
        .unwrap();
    let Exited {
        code,
        stdout,
        stderr,
    } = receiver.wait_for_output();
    assert_eq!(code, Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("read 1: 7 bytes \"nihaoma\""), "{stdout}");
    assert!(
        stderr.contains("nothing came for 300ms, and the sender has not closed the connection: is it waiting for a reply?"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&client.stdout), "b''\n");
}

/// Framed, the same messages come out whole: Python's `struct.pack(">I", len(m)) + m`, each with one
/// `sendall`, read by `receive --frames`.
#[test]
fn receive_frames_finds_what_python_struct_pack_frames() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let receiver = start_receive(&["--frames"]);
    let (host, port) = (
        receiver.addr().ip().to_string(),
        receiver.addr().port().to_string(),
    );
    let script = format!(
        "import socket, struct\ns = socket.create_connection(('{host}', {port}))\nfor m in [b'one', b'two', b'three', b'four']:\n    s.sendall(struct.pack('>I', len(m)) + m)\ns.close()\n"
    );
    Command::new(python)
        .args(["-c", &script])
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success();
    let Exited {
        code,
        stdout,
        stderr,
    } = receiver.wait_for_output();
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    for frame in [
        "frame 1: 3 bytes \"one\"",
        "frame 2: 3 bytes \"two\"",
        "frame 3: 5 bytes \"three\"",
        "frame 4: 4 bytes \"four\"",
        "the sender closed after 4 frame(s)",
    ] {
        assert!(stdout.contains(frame), "{frame:?} in:\n{stdout}");
    }
}

/// Length-prefix framing is a convention both sides must share: Python's
/// `struct.pack(">I", len(m)) + m` writes exactly what `FrameReader` reads.
#[test]
fn frame_reader_reads_what_python_struct_pack_writes() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = format!(
        r#"
import socket, struct
s = socket.create_connection(("127.0.0.1", {port}), timeout=5)
for m in [b"one", b"", b"three" * 1000, "héllo".encode()]:
    s.sendall(struct.pack(">I", len(m)) + m)
s.close()
"#
    );
    let mut child = std::process::Command::new(python)
        .args(["-c", &script])
        .spawn()
        .unwrap();
    let (stream, _) = accept_within(&listener, PROCESS_TIMEOUT).expect("python3 did not connect");
    let mut frames = FrameReader::new(stream, 1 << 20);
    let mut got = Vec::new();
    while let Some(frame) = frames.read_frame().unwrap() {
        got.push(frame);
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(
        got,
        [
            b"one".to_vec(),
            Vec::new(),
            b"three".repeat(1000),
            "héllo".as_bytes().to_vec()
        ]
    );
}

#[test]
fn the_help_shown_in_the_book_is_current() {
    assert_help_quoted_in_book(PROGRAM, "cargo run -q -p buffers -- --help");
}

/// `buffers bench --nodelay | head -1`: when the reader of its output goes away, the program ends
/// quietly with status 141 (as if ended by SIGPIPE), instead of std's panic "failed printing to stdout".
/// The first line is printed at once and the table only after its round trips, so the pipe is closed
/// in between.
#[cfg(unix)]
#[test]
fn a_closed_output_pipe_ends_the_program_quietly() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command as StdCommand, Stdio};

    let mut child = StdCommand::new(PROGRAM)
        .args(["bench", "--nodelay"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("round trips"), "{first:?}");
    // The reader is gone: the BufReader and its pipe were dropped with the statement above.
    let deadline = std::time::Instant::now() + PROCESS_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("buffers did not end after its output pipe closed");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(141), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
}
