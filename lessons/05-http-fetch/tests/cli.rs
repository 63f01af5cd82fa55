//! The `http-fetch` program itself: against every kind of broken response (a canned server that sends
//! exactly the wrong bytes), against real servers (`python3 -m http.server`, a chunked server of the
//! test's own), against `curl`, beside the tutorials' client and against their server (`python/fetch.py`,
//! `python/hello_server.py`), and with its output file, its redirects and its usage errors.
//!
//! Every run of the program is stopped after `PROCESS_TIMEOUT`; every server listens on port 0 and stops
//! when its test ends. A test that needs `python3` or `curl` says so and skips when it is missing, except
//! under `CI=true` or `REQUIRE_PEERS=1`, where that is a failure.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use assert_cmd::Command;
use http_fetch::MAX_HEAD;
use test_support::fixtures::{AfterResponse, CannedServer};
use test_support::{IO_TIMEOUT, PROCESS_TIMEOUT, Peer, ServerProcess, peer, with_timeouts};

const PROGRAM: &str = env!("CARGO_BIN_EXE_http-fetch");

/// `http-fetch` with a timeout on the whole run.
fn http_fetch() -> Command {
    let mut command = Command::new(PROGRAM);
    command.timeout(PROCESS_TIMEOUT);
    command
}

fn url(addr: SocketAddr, target: &str) -> String {
    format!("http://{addr}{target}")
}

/// A `200 OK` response with `body`, framed by its length.
fn ok_response(body: &[u8]) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    response
}

/// `len` bytes from a small pseudo-random generator (xorshift): every byte value, no pattern a lost or
/// repeated block could hide in, and the same bytes on every run.
fn random_bytes(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[3]
        })
        .collect()
}

/// Checks that two byte strings are equal, and says where they first differ (instead of printing
/// megabytes).
#[track_caller]
fn assert_same_bytes(actual: &[u8], expected: &[u8], what: &str) {
    if actual != expected {
        let at = actual
            .iter()
            .zip(expected)
            .position(|(a, b)| a != b)
            .unwrap_or(actual.len().min(expected.len()));
        panic!(
            "{what}: {} bytes instead of {}, first difference at byte {at}",
            actual.len(),
            expected.len()
        );
    }
}

/// Stderr as text; checks that the program did not panic, whatever else happened.
#[track_caller]
fn stderr_of(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "http-fetch panicked:\n{stderr}"
    );
    stderr
}

/// Runs `http-fetch ARGS` and checks that it failed with status 1, that stderr names the `kind` of
/// error ("network error", "protocol error", "output error") and says each of `phrases`, and that it
/// wrote nothing on stdout. Returns stderr.
#[track_caller]
fn assert_fails(args: &[&str], kind: &str, phrases: &[&str]) -> String {
    let output = http_fetch()
        .args(args)
        .output()
        .expect("running http-fetch");
    let stderr = stderr_of(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "http-fetch {args:?} should fail with status 1; stderr:\n{stderr}"
    );
    assert!(
        stderr.starts_with(&format!("http-fetch: {kind}: ")),
        "the message should begin with `http-fetch: {kind}: `:\n{stderr}"
    );
    for phrase in phrases {
        assert!(
            stderr.contains(phrase),
            "the message should say {phrase:?}:\n{stderr}"
        );
    }
    stderr
}

/// Fetches from a canned server that answers `response` (and then does `after`), and checks the failure
/// as [`assert_fails`] does.
#[track_caller]
fn assert_response_fails(
    response: impl Into<Vec<u8>>,
    after: AfterResponse,
    kind: &str,
    phrases: &[&str],
) -> String {
    let server = CannedServer::respond(response).then(after).start();
    let target = url(server.addr(), "/");
    assert_fails(&[&target, "--timeout", "2s"], kind, phrases)
}

/// A folder of its own for one test, under the system's temporary folder, removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "http-fetch-cli-{label}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("creating a temporary folder");
        TempDir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.join(name).to_string_lossy().into_owned()
    }

    /// The names in the folder, hidden ones included, sorted.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .expect("listing the temporary folder")
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A child process that is killed when this value drops, so that a failing test leaves none behind.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `python3 -m http.server` serving a folder, on a port the kernel picks; killed when dropped.
struct PythonServer {
    _child: KillOnDrop,
    addr: SocketAddr,
}

impl PythonServer {
    /// Starts the server and reads its port from its first line, `Serving HTTP on 127.0.0.1 port N
    /// (http://127.0.0.1:N/) ...`. `-u` makes Python write that line at once instead of buffering it.
    fn start(python: &Path, dir: &TempDir) -> Self {
        let mut child = KillOnDrop(
            StdCommand::new(python)
                .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
                .arg("--directory")
                .arg(&dir.0)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("starting python3 -m http.server"),
        );
        let stdout = BufReader::new(child.0.stdout.take().expect("stdout is piped"));
        let (line_tx, first_line) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = stdout.lines();
            let _ = line_tx.send(lines.next());
            // Whatever else it prints is read, so that the server never blocks on a full pipe.
            lines.for_each(drop);
        });
        let line = match first_line.recv_timeout(PROCESS_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            other => panic!(
                "python3 -m http.server printed no first line within {PROCESS_TIMEOUT:?}: {other:?}"
            ),
        };
        let port: u16 = line
            .split_whitespace()
            .skip_while(|word| *word != "port")
            .nth(1)
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in python's first line {line:?}"));
        PythonServer {
            _child: child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    fn url(&self, target: &str) -> String {
        url(self.addr, target)
    }
}

/// A folder with a text file, a binary file of a few MB, and a subfolder with a file in it.
fn site() -> (TempDir, Vec<u8>) {
    let dir = TempDir::new("site");
    let binary = random_bytes(3 * 1024 * 1024 + 17);
    fs::write(dir.join("big.bin"), &binary).unwrap();
    fs::write(dir.join("hello.txt"), "Hello from python3 -m http.server\n").unwrap();
    fs::create_dir(dir.join("docs")).unwrap();
    fs::write(dir.join("docs/index.html"), "<h1>the docs</h1>\n").unwrap();
    (dir, binary)
}

// --- Broken responses: each one a clean error with status 1, never a panic ---

/// Lesson 02's greeting server is not an HTTP server: its first line is no status line.
#[test]
fn a_response_without_a_status_line_is_a_protocol_error() {
    assert_response_fails(
        "Welcome\n",
        AfterResponse::Close,
        "protocol error",
        &[
            "no status line",
            "is this an HTTP server?",
            "the response began with \"Welcome\"",
        ],
    );
}

#[test]
fn an_invalid_status_code_is_a_protocol_error() {
    assert_response_fails(
        "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
        AfterResponse::Close,
        "protocol error",
        &["`2x0` is not a status code"],
    );
}

/// The server closes after a header line, before the blank line that ends the head.
#[test]
fn headers_cut_by_a_close_are_a_protocol_error() {
    assert_response_fails(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
        AfterResponse::Close,
        "protocol error",
        &[
            "closed in the middle of the headers",
            "before the blank line",
        ],
    );
}

/// The server sends part of the head and then nothing: the read timeout ends the wait.
#[test]
fn headers_that_stop_coming_end_with_the_timeout() {
    let server = CannedServer::respond("HTTP/1.1 200 OK\r\nServer: slow\r\n")
        .then(AfterResponse::Hang)
        .start();
    assert_fails(
        &[&url(server.addr(), "/"), "--timeout", "500ms"],
        "network error",
        &[
            "reading the response head",
            "timed out: nothing moved for 500ms (--timeout)",
        ],
    );
}

/// 100 KiB of header lines and no blank line in sight: the client stops at `MAX_HEAD` (64 KiB).
#[test]
fn a_head_over_the_cap_is_a_protocol_error() {
    let mut response = b"HTTP/1.1 200 OK\r\n".to_vec();
    let mut n = 0;
    while response.len() < 100 * 1024 {
        response.extend_from_slice(format!("X-Filler-{n}: {}\r\n", "x".repeat(100)).as_bytes());
        n += 1;
    }
    response.extend_from_slice(b"Content-Length: 2\r\n\r\nok");
    assert!(response.len() > MAX_HEAD);
    assert_response_fails(
        response,
        AfterResponse::Close,
        "protocol error",
        &[
            &format!("over {} KiB", MAX_HEAD / 1024),
            "the limit, MAX_HEAD",
        ],
    );
}

#[test]
fn a_content_length_that_is_not_a_number_is_a_protocol_error() {
    assert_response_fails(
        "HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\nhello",
        AfterResponse::Close,
        "protocol error",
        &["Content-Length `five` is not a number"],
    );
}

#[test]
fn two_different_content_lengths_are_a_protocol_error() {
    assert_response_fails(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
        AfterResponse::Close,
        "protocol error",
        &["two different Content-Length values, 5 and 7"],
    );
}

/// Ten bytes announced, five sent, then a normal close: a short body is an error, not a short file.
#[test]
fn a_body_shorter_than_its_content_length_is_a_protocol_error() {
    let output = http_fetch_cut_body(AfterResponse::Close);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("http-fetch: protocol error: ")
            && stderr.contains("reading the body (10 bytes, by Content-Length)")
            && stderr.contains("closed after 5 of the 10 bytes announced"),
        "{stderr}"
    );
    assert_eq!(
        output.stdout, b"hello",
        "what arrived was written as it came"
    );
}

/// The same cut body ended by a reset (RST) instead of a close: that is the network failing.
#[test]
fn a_reset_in_the_middle_of_the_body_is_a_network_error() {
    let output = http_fetch_cut_body(AfterResponse::Reset);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("http-fetch: network error: ")
            && stderr.contains("reading the body (10 bytes, by Content-Length)")
            && stderr.contains("Connection reset"),
        "{stderr}"
    );
}

/// `http-fetch` against a server that announces 10 bytes, sends 5 and then does `after`.
fn http_fetch_cut_body(after: AfterResponse) -> Output {
    let server = CannedServer::respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello")
        .then(after)
        .start();
    http_fetch()
        .args([&url(server.addr(), "/"), "--timeout", "2s"])
        .output()
        .expect("running http-fetch")
}

#[test]
fn a_bad_chunk_size_line_is_a_protocol_error() {
    assert_response_fails(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n",
        AfterResponse::Close,
        "protocol error",
        &[
            "reading the body (chunked)",
            "bad chunk size line \"zz\"",
            "hexadecimal",
        ],
    );
}

/// Chunks, and then a close where the chunk of size 0 should have been.
#[test]
fn a_chunked_body_without_its_last_chunk_is_a_protocol_error() {
    assert_response_fails(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        AfterResponse::Close,
        "protocol error",
        &[
            "reading the body (chunked)",
            "before the last chunk (size 0)",
        ],
    );
}

/// A body sent with a coding other than `chunked` (here compressed with gzip, then chunked) cannot be
/// written out as the resource: it is an error that names the coding, and nothing is written.
#[test]
fn a_transfer_coding_it_cannot_decode_is_an_error_that_names_it() {
    assert_response_fails(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        AfterResponse::Close,
        "protocol error",
        &[
            "`Transfer-Encoding: gzip, chunked`",
            "can undo `chunked` only, not `gzip`",
        ],
    );
    assert_response_fails(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: br\r\n\r\nhello",
        AfterResponse::Close,
        "protocol error",
        &["not `br`"],
    );
}

/// A server that accepts the connection, reads the request and never answers: `--timeout 500ms` ends
/// the wait (the run is stopped after `PROCESS_TIMEOUT`, 10 s, which the default `--timeout` of 10 s
/// would reach).
#[test]
fn a_server_that_never_answers_ends_with_the_timeout() {
    let server = CannedServer::silent();
    assert_fails(
        &[&url(server.addr(), "/"), "--timeout", "500ms"],
        "network error",
        &[
            "reading the response head",
            "timed out: nothing moved for 500ms (--timeout)",
        ],
    );
    assert_eq!(server.requests().len(), 1, "the request was sent");
}

// --- Bad URLs and unreachable servers ---

#[test]
fn bad_urls_are_usage_errors_with_status_2() {
    for (bad, says) in [
        ("https://127.0.0.1/", "https:// needs TLS"),
        ("127.0.0.1:8000/", "the URL has no scheme"),
        ("ftp://127.0.0.1/", "`ftp://` is not HTTP"),
        ("http:///path", "the URL has no host"),
        ("http://127.0.0.1:99999/", "`99999` is not a port"),
        ("http://127.0.0.1:0/", "`0` is not a port"),
        ("http://127.0.0.1:x/", "`x` is not a port"),
        ("http://exa mple.com/", "' ' cannot be in a host name"),
        ("http://127.0.0.1/a b", "percent-encode it (%20)"),
        ("http://user@127.0.0.1/", "user names and passwords"),
        ("http://[::1/", "has no `]` to close it"),
        ("http://[not-v6]/", "is not an IPv6 address"),
        ("", "the URL has no scheme"),
    ] {
        let output = http_fetch().arg(bad).output().expect("running http-fetch");
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{bad:?}: nothing on stdout");
        assert!(
            stderr.contains(says),
            "{bad:?} should say {says:?}:\n{stderr}"
        );
    }
    let output = http_fetch().output().expect("running http-fetch");
    assert_eq!(output.status.code(), Some(2), "no URL at all");
    assert!(stderr_of(&output).contains("<URL>"));
}

/// `-o ""` is a usage error (status 2) that says what to give, not clap's "a value is required".
#[test]
fn an_empty_output_name_is_a_usage_error_that_says_so() {
    let output = http_fetch()
        .args(["-o", "", "http://127.0.0.1:1/"])
        .output()
        .expect("running http-fetch");
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("an empty file name: give the file to write the body to"),
        "{stderr}"
    );
}

/// Nothing listens on the port: the kernel answers at once with a reset, and the message says what to
/// check.
#[test]
fn a_closed_port_is_a_network_error_that_says_what_to_check() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // The listener is dropped: nothing listens on `addr` any more.
    assert_fails(
        &[&url(addr, "/")],
        "network error",
        &[
            &format!("connecting to 127.0.0.1 port {}", addr.port()),
            "Connection refused",
            "is the server running",
        ],
    );
}

/// 192.0.2.1 is reserved for documentation (RFC 5737): nothing answers there. Depending on the machine
/// the connect times out or fails at once ("Network is unreachable"); either way it is a network error.
#[test]
fn an_address_nobody_answers_is_a_network_error() {
    assert_fails(
        &["http://192.0.2.1:9/", "--timeout", "300ms"],
        "network error",
        &["connecting to 192.0.2.1 port 9"],
    );
}

// --- Real servers ---

/// A binary file of 3 MB from Python's server, to stdout and with `-o`: the same bytes as on disk, and
/// `-o` leaves exactly the file (no temporary `.part` file).
#[test]
fn a_binary_file_from_python_arrives_byte_for_byte() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let (site, binary) = site();
    let server = PythonServer::start(&python, &site);

    let output = http_fetch()
        .arg(server.url("/big.bin"))
        .output()
        .expect("running http-fetch");
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stderr, "", "nothing on stderr when all is well");
    assert_same_bytes(&output.stdout, &binary, "the body on stdout");

    let downloads = TempDir::new("downloads");
    let output = http_fetch()
        .args(["-o", &downloads.arg("big.bin"), &server.url("/big.bin")])
        .output()
        .expect("running http-fetch");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(output.stdout.is_empty(), "with -o, nothing on stdout");
    assert_same_bytes(
        &fs::read(downloads.join("big.bin")).unwrap(),
        &binary,
        "the file written by -o",
    );
    assert_eq!(downloads.names(), ["big.bin"], "exactly the file");
}

/// Python answers `/docs` (a folder, without its slash) with `301 Moved Permanently` to `/docs/`. Without
/// `-L` that is status 3 and a message that says how to follow it; with `-L` it is the folder's page.
#[test]
fn a_redirect_from_python_is_followed_with_dash_l_only() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let (site, _) = site();
    let server = PythonServer::start(&python, &site);

    let output = http_fetch()
        .arg(server.url("/docs"))
        .output()
        .expect("running http-fetch");
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("301 Moved Permanently")
            && stderr.contains("a redirect to /docs/")
            && stderr.contains("add -L to follow it"),
        "{stderr}"
    );

    let output = http_fetch()
        .args(["-L", &server.url("/docs")])
        .output()
        .expect("running http-fetch");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        output.stdout, b"<h1>the docs</h1>\n",
        "/docs/ is its index.html"
    );
}

#[test]
fn a_404_from_python_exits_with_status_3_and_says_so() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let (site, _) = site();
    let server = PythonServer::start(&python, &site);
    let output = http_fetch()
        .arg(server.url("/no-such-file"))
        .output()
        .expect("running http-fetch");
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("HTTP error status 404") && stderr.contains("the server refused"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("Error code: 404"),
        "the error page is the body, written as for any status"
    );
}

/// `-I` sends HEAD and prints the status line and headers only; `-i` prints them, then the body.
#[test]
fn dash_i_shows_the_head_and_dash_capital_i_shows_only_the_head() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let (site, _) = site();
    let server = PythonServer::start(&python, &site);
    let body = b"Hello from python3 -m http.server\n";

    let output = http_fetch()
        .args(["-I", &server.url("/hello.txt")])
        .output()
        .expect("running http-fetch");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let head = String::from_utf8(output.stdout).expect("a head is text");
    // Python's server answers in HTTP/1.0 (its `protocol_version`); either version is fine here.
    assert!(
        head.starts_with("HTTP/1.") && head.contains(" 200 OK\r\n"),
        "{head:?}"
    );
    assert!(
        head.contains(&format!("\r\nContent-Length: {}\r\n", body.len())),
        "{head:?}"
    );
    assert!(
        head.ends_with("\r\n\r\n") && head.matches("\r\n\r\n").count() == 1,
        "the head and nothing after it: {head:?}"
    );

    let output = http_fetch()
        .args(["-i", &server.url("/hello.txt")])
        .output()
        .expect("running http-fetch");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = String::from_utf8(output.stdout).expect("text");
    let (shown_head, shown_body) = text.split_once("\r\n\r\n").expect("a head, then a body");
    assert!(
        shown_head.starts_with("HTTP/1.") && shown_head.contains(" 200 OK\r\n"),
        "{text:?}"
    );
    assert!(
        shown_head
            .to_ascii_lowercase()
            .contains("\r\ncontent-type: text/plain"),
        "{text:?}"
    );
    assert_eq!(shown_body.as_bytes(), body);
}

/// A `100 Continue` before the final response: `-i` shows both heads, as `curl -i` does (byte for byte
/// when curl is there), and the body after them.
#[test]
fn dash_i_shows_a_100_continue_head_as_curl_does() {
    let response = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let server = CannedServer::respond(response).start();
    let output = http_fetch()
        .args(["-i", &url(server.addr(), "/")])
        .output()
        .expect("running http-fetch");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), response);
    let Some(curl) = peer(Peer::Curl) else {
        return;
    };
    let theirs = StdCommand::new(curl)
        .args(["-s", "-i", "--max-time", "5", &url(server.addr(), "/")])
        .output()
        .expect("running curl");
    assert_eq!(
        String::from_utf8_lossy(&theirs.stdout),
        String::from_utf8_lossy(&output.stdout),
        "curl -i and http-fetch -i"
    );
}

/// The same URLs fetched by `curl -s` and by `http-fetch` give the same bytes.
#[test]
fn curl_and_http_fetch_get_the_same_bytes() {
    let (Some(python), Some(curl)) = (peer(Peer::Python3), peer(Peer::Curl)) else {
        return;
    };
    let (site, _) = site();
    let server = PythonServer::start(&python, &site);
    for target in ["/big.bin", "/", "/docs/", "/hello.txt"] {
        let by_curl = Command::new(&curl)
            .args(["-s", "--max-time", "10", &server.url(target)])
            .timeout(PROCESS_TIMEOUT)
            .output()
            .expect("running curl");
        assert!(by_curl.status.success(), "curl {target} failed");
        let ours = http_fetch()
            .arg(server.url(target))
            .output()
            .expect("running http-fetch");
        assert!(ours.status.success(), "{}", stderr_of(&ours));
        assert_same_bytes(&ours.stdout, &by_curl.stdout, target);
    }
}

/// The body of the test's own chunked response, and the writes that send it: chunks of several sizes,
/// written in pieces that do not follow the chunks, uppercase and lowercase hex, extensions after `;`,
/// and a trailer after the last chunk.
fn chunked_writes() -> (Vec<u8>, Vec<&'static [u8]>) {
    let writes: Vec<&[u8]> = vec![
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n",
        b"Trailer: X-Checksum\r\n\r\n",
        b"7\r\nchunked\r\n",
        b"1;note=\"an extension\"\r\n \r\n1A\r\nabcdefghijklm",
        b"nopqrstuvwxyz\r\n",
        b"a;x=y;z\r\n0123456789\r",
        b"\n0\r\nX-Checksum: 1234\r\n",
        b"\r\n",
    ];
    (
        b"chunked abcdefghijklmnopqrstuvwxyz0123456789".to_vec(),
        writes,
    )
}

/// A server of the test's own for one connection: reads the request head, sends `writes` each in its own
/// write, and then keeps the connection open: the client has to see the end of the body in the framing.
/// Returns whether the client closed the connection (rather than the server's timeout ending the wait).
fn serve_once(writes: Vec<&'static [u8]>) -> (SocketAddr, thread::JoinHandle<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut stream = with_timeouts(stream);
        stream.set_nodelay(true).unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte) {
                Ok(1) => request.push(byte[0]),
                _ => return false,
            }
        }
        for piece in writes {
            if stream.write_all(piece).is_err() {
                return false;
            }
        }
        // `IO_TIMEOUT` ends this wait if the client never closes.
        matches!(stream.read(&mut [0u8; 16]), Ok(0))
    });
    (addr, thread)
}

#[test]
fn a_chunked_response_is_decoded() {
    let (body, writes) = chunked_writes();
    let (addr, server) = serve_once(writes.clone());
    let output = http_fetch()
        .arg(url(addr, "/chunked"))
        .output()
        .expect("running http-fetch");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&body)
    );
    assert!(
        server.join().unwrap(),
        "http-fetch should stop at the last chunk and close, without waiting for the server to close \
         (it waited {IO_TIMEOUT:?})"
    );

    // With -i, the head as it came, then the decoded body (no sizes, no trailer).
    let (addr, server) = serve_once(writes);
    let output = http_fetch()
        .args(["-i", &url(addr, "/chunked")])
        .output()
        .expect("running http-fetch");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let mut expected =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\
                         Trailer: X-Checksum\r\n\r\n"
            .to_vec();
    expected.extend_from_slice(&body);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&expected)
    );
    assert!(server.join().unwrap(), "the client closed");
}

/// A response sent a byte at a time (Nagle off, a write per byte) gives the same output as the same
/// response sent in one write. The server keeps the connection open afterwards, and `--timeout 2s` would
/// fail a client that waited for it to close.
#[test]
fn a_response_sent_a_byte_at_a_time_gives_the_same_output() {
    let body = random_bytes(3000);
    let run = |piece: usize| {
        let server = CannedServer::respond(ok_response(&body))
            .in_pieces_of(piece)
            .then(AfterResponse::Hang)
            .start();
        let output = http_fetch()
            .args([
                "-i",
                "--timeout",
                "2s",
                &url(server.addr(), "/one?at=a-time"),
            ])
            .output()
            .expect("running http-fetch");
        assert!(output.status.success(), "{}", stderr_of(&output));
        let requests = server.requests();
        let request = String::from_utf8_lossy(&requests[0]);
        assert!(
            request.starts_with(&format!(
                "GET /one?at=a-time HTTP/1.1\r\nHost: {}\r\n",
                server.addr()
            )),
            "{request:?}"
        );
        output.stdout
    };
    let whole = run(usize::MAX);
    let byte_by_byte = run(1);
    assert_same_bytes(&byte_by_byte, &whole, "the output, a byte at a time");
    assert!(whole.ends_with(&body), "the output ends with the body");
}

// --- The output file ---

/// A download that fails half way (a close or a reset after half the body) leaves nothing: no file at the
/// target, no temporary `.part` file beside it. A file already there keeps its old content.
#[test]
fn a_download_that_fails_half_way_leaves_no_file() {
    let body = random_bytes(50_000);
    let mut half = ok_response(&body);
    half.truncate(half.len() - body.len() / 2);
    for after in [AfterResponse::Close, AfterResponse::Reset] {
        let server = CannedServer::respond(half.clone()).then(after).start();
        let dir = TempDir::new("cut");
        let target = dir.arg("download.bin");
        let kind = if after == AfterResponse::Close {
            "protocol error"
        } else {
            "network error"
        };
        let args = ["-o", &target, &url(server.addr(), "/"), "--timeout", "2s"];
        let says = ["reading the body (50000 bytes, by Content-Length)"];
        assert_fails(&args, kind, &says);
        assert_eq!(
            dir.names(),
            Vec::<String>::new(),
            "after a failed download ({after:?}) the folder stays empty"
        );

        fs::write(dir.join("download.bin"), "the old version\n").unwrap();
        assert_fails(&args, kind, &says);
        assert_eq!(dir.names(), ["download.bin"]);
        assert_eq!(
            fs::read_to_string(dir.join("download.bin")).unwrap(),
            "the old version\n",
            "a failed download does not touch the file that was there"
        );
    }
}

#[test]
fn a_complete_download_leaves_exactly_the_file() {
    let body = random_bytes(200_000);
    let server = CannedServer::respond(ok_response(&body)).start();
    let dir = TempDir::new("complete");
    fs::write(dir.join("download.bin"), "the old version\n").unwrap();
    let output = http_fetch()
        .args(["-o", &dir.arg("download.bin"), &url(server.addr(), "/")])
        .output()
        .expect("running http-fetch");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(output.stdout.is_empty());
    assert_eq!(dir.names(), ["download.bin"], "exactly the file");
    assert_same_bytes(
        &fs::read(dir.join("download.bin")).unwrap(),
        &body,
        "the file, replaced",
    );
}

/// A file that cannot be created (its folder does not exist) is an output error, not a network error:
/// nothing was fetched.
#[test]
fn an_output_file_that_cannot_be_created_is_an_output_error() {
    let server = CannedServer::respond(ok_response(b"hello\n")).start();
    let dir = TempDir::new("no-folder");
    assert_fails(
        &[
            "-o",
            &dir.arg("missing/download.bin"),
            &url(server.addr(), "/"),
        ],
        "output error",
        &["missing"],
    );
    assert_eq!(dir.names(), Vec::<String>::new());
}

/// `-o` naming an existing folder cannot replace it: an output error, and the folder is left as it was
/// (no temporary file beside it). It is found before connecting, not after a whole download.
#[test]
fn an_output_path_that_is_a_folder_is_an_output_error() {
    let server = CannedServer::respond(ok_response(b"hello\n")).start();
    let dir = TempDir::new("folder");
    fs::create_dir(dir.join("downloads")).unwrap();
    assert_fails(
        &["-o", &dir.arg("downloads"), &url(server.addr(), "/")],
        "output error",
        &["downloads", "is a folder: give a file name"],
    );
    assert_eq!(dir.names(), ["downloads"]);
    assert!(dir.join("downloads").is_dir(), "still a folder");
}

/// A FIFO (named pipe) cannot be replaced by a renamed file without breaking whoever reads it, so `-o`
/// writes into it directly: `cat` reads the body from it, and it is still a FIFO afterwards.
#[cfg(unix)]
#[test]
fn a_fifo_as_output_is_written_directly() {
    use std::os::unix::fs::FileTypeExt;

    let dir = TempDir::new("fifo");
    let fifo = dir.join("pipe");
    let made = StdCommand::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("running mkfifo");
    assert!(made.success(), "mkfifo failed");
    let body = random_bytes(300_000);
    let server = CannedServer::respond(ok_response(&body)).start();

    // `cat` blocks in open() until http-fetch opens the FIFO to write, then copies it to its stdout.
    let mut cat = KillOnDrop(
        StdCommand::new("cat")
            .arg(&fifo)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting cat"),
    );
    let mut from_cat = cat.0.stdout.take().expect("stdout is piped");
    let (read_tx, read) = mpsc::channel();
    thread::spawn(move || {
        let mut received = Vec::new();
        let _ = from_cat.read_to_end(&mut received);
        let _ = read_tx.send(received);
    });

    let output = http_fetch()
        .args(["-o", &dir.arg("pipe"), &url(server.addr(), "/")])
        .output()
        .expect("running http-fetch");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let received = read
        .recv_timeout(PROCESS_TIMEOUT)
        .expect("cat did not finish: the FIFO was never written and closed");
    assert_same_bytes(&received, &body, "what cat read from the FIFO");
    assert!(
        fs::metadata(&fifo).unwrap().file_type().is_fifo(),
        "the FIFO is still a FIFO"
    );
    assert_eq!(dir.names(), ["pipe"], "no temporary file beside it");
}

/// `-o FIFO` with no program reading it: opening a FIFO for writing waits for a reader, so http-fetch gives
/// up after `--timeout` with an output error that says why, before connecting, instead of waiting for ever.
#[cfg(unix)]
#[test]
fn a_fifo_nobody_reads_is_an_output_error_after_the_timeout() {
    let dir = TempDir::new("lonely-fifo");
    let fifo = dir.join("pipe");
    let made = StdCommand::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("running mkfifo");
    assert!(made.success(), "mkfifo failed");
    let server = CannedServer::respond(ok_response(b"never read")).start();
    let started = std::time::Instant::now();
    assert_fails(
        &[
            "--timeout",
            "1s",
            "-o",
            &dir.arg("pipe"),
            &url(server.addr(), "/"),
        ],
        "output error",
        &[
            "no program opened it for reading within 1s (--timeout)",
            "a FIFO (named pipe) cannot be written until one does",
        ],
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it gave up after {:?}, not after about 1s",
        started.elapsed()
    );
    assert!(server.requests().is_empty(), "it did not connect first");
    assert_eq!(dir.names(), ["pipe"], "no temporary file beside it");
}

/// `http-fetch URL | head -1`: when the reader of stdout goes away, http-fetch ends quietly with status
/// 141 (as if ended by SIGPIPE), as every program of the course does, and says nothing on stderr.
#[cfg(unix)]
#[test]
fn a_closed_output_pipe_ends_the_program_quietly_with_141() {
    let body = "a line of the body\n".repeat(400_000);
    let server = CannedServer::respond(ok_response(body.as_bytes())).start();
    let mut child = KillOnDrop(
        StdCommand::new(PROGRAM)
            .args(["--timeout", "5s", &url(server.addr(), "/")])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting http-fetch"),
    );
    let mut first = String::new();
    BufReader::new(child.0.stdout.take().expect("stdout is piped"))
        .read_line(&mut first)
        .expect("reading the first line");
    assert_eq!(first, "a line of the body\n");
    // The reader is gone: the BufReader and its pipe were dropped with the statement above.
    let deadline = std::time::Instant::now() + PROCESS_TIMEOUT;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("waiting for http-fetch") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "http-fetch did not end after its output pipe closed"
        );
        thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    let _ = child
        .0
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut stderr);
    assert_eq!(status.code(), Some(141), "stderr: {stderr}");
    assert_eq!(
        stderr, "",
        "nothing on stderr: the reader had all it wanted"
    );
}

/// A write to the output that fails is called a write, and names the output, never "reading the body".
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_is_an_output_error_that_says_writing() {
    let server = CannedServer::respond(ok_response(&random_bytes(100_000))).start();
    let stderr = assert_fails(
        &["-o", "/dev/full", &url(server.addr(), "/")],
        "output error",
        &["writing the body to /dev/full", "No space left on device"],
    );
    assert!(
        !stderr.contains("reading"),
        "a write is not a read: {stderr}"
    );
}

// --- Redirects ---

/// A server that redirects every request to itself: `-L` follows 10 redirects (the limit), then stops
/// with status 1 and says why. The server saw the first request and the 10 that followed.
#[test]
fn a_redirect_loop_stops_at_the_limit() {
    let server = CannedServer::respond(
        "HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n",
    )
    .start();
    let output = http_fetch()
        .args(["-L", &url(server.addr(), "/start")])
        .output()
        .expect("running http-fetch");
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("http-fetch: protocol error: ")
            && stderr.contains("more than 10 redirects (the limit)")
            && stderr.contains("/again"),
        "{stderr}"
    );
    assert_eq!(server.requests().len(), 11);
    assert!(output.stdout.is_empty(), "a redirect's body is not written");
}

/// A redirect to https:// cannot be followed by a client without TLS: a clear error, not a request sent
/// in plain text to the TLS port.
#[test]
fn a_redirect_to_https_is_an_error_that_mentions_tls() {
    let server = CannedServer::respond(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: https://127.0.0.1/secure\r\nContent-Length: 0\r\n\r\n",
    )
    .start();
    let stderr = assert_fails(
        &["-L", &url(server.addr(), "/")],
        "protocol error",
        &["https://127.0.0.1/secure", "TLS"],
    );
    assert!(stderr.contains("following the redirect"), "{stderr}");
    assert_eq!(server.requests().len(), 1);
}

// --- The tutorials' programs: their client beside this one, their server against this one ---

/// The tutorials' kind of client and server, in Python (the chapter's "From Python" starts from them).
const TUTORIAL_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/fetch.py");
const TUTORIAL_SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/hello_server.py");

/// How long the tutorials' client (which has no timeout) may wait before the test stops it: a complete
/// response arrives in microseconds on loopback, so a client still waiting after this is waiting for ever.
const TUTORIAL_PATIENCE: Duration = Duration::from_secs(2);

/// `python3 python/fetch.py ADDR PATH`, stopped after [`TUTORIAL_PATIENCE`].
fn tutorial_fetch(python: &Path, addr: SocketAddr, path: &str) -> Output {
    Command::new(python)
        .arg(TUTORIAL_CLIENT)
        .arg(addr.to_string())
        .arg(path)
        .timeout(TUTORIAL_PATIENCE)
        .output()
        .expect("running python3 python/fetch.py")
}

/// `python/fetch.py` reads until the server closes and splits at the first blank line. Against
/// `python3 -m http.server`, which answers in HTTP/1.0 and closes after each response, that works, for a
/// small text file and for a binary file of 3 MB: the same bytes as this client's.
#[test]
fn the_tutorial_client_and_this_one_get_the_same_files_from_python() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let (site, binary) = site();
    let server = PythonServer::start(&python, &site);
    for (target, expected) in [
        ("/hello.txt", &b"Hello from python3 -m http.server\n"[..]),
        ("/big.bin", &binary[..]),
    ] {
        let theirs = tutorial_fetch(&python, server.addr, target);
        assert!(
            theirs.status.success(),
            "fetch.py {target}: {}",
            String::from_utf8_lossy(&theirs.stderr)
        );
        assert_same_bytes(&theirs.stdout, expected, &format!("fetch.py {target}"));
        let ours = http_fetch()
            .arg(server.url(target))
            .output()
            .expect("running http-fetch");
        assert!(ours.status.success(), "{}", stderr_of(&ours));
        assert_same_bytes(&ours.stdout, expected, &format!("http-fetch {target}"));
    }
}

/// A server that answers with a `Content-Length` and keeps the connection open (an HTTP/1.1 server that
/// ignores `Connection: close`): `python/fetch.py` has the whole response and still waits for the close,
/// printing nothing, until the test stops it. `http-fetch` counts the bytes the head announced and is done.
#[test]
fn the_tutorial_client_waits_for_ever_on_a_connection_left_open_and_this_one_does_not() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = CannedServer::respond(ok_response(b"hello\n"))
        .then(AfterResponse::Hang)
        .start();
    let theirs = tutorial_fetch(&python, server.addr(), "/");
    assert!(
        !theirs.status.success() && theirs.stdout.is_empty(),
        "fetch.py should still be waiting for the close after {TUTORIAL_PATIENCE:?}, with nothing \
         written; it ended with {:?} and wrote {:?}",
        theirs.status,
        String::from_utf8_lossy(&theirs.stdout)
    );
    let server = CannedServer::respond(ok_response(b"hello\n"))
        .then(AfterResponse::Hang)
        .start();
    let ours = http_fetch()
        .args([&url(server.addr(), "/"), "--timeout", "2s"])
        .output()
        .expect("running http-fetch");
    assert!(ours.status.success(), "{}", stderr_of(&ours));
    assert_eq!(ours.stdout, b"hello\n");
}

/// A chunked body: `python/fetch.py` never reads the head, so it writes the chunks' sizes and line ends as
/// if they were the body. `http-fetch` writes the 22 bytes the chunks carry.
#[test]
fn the_tutorial_client_writes_a_chunked_body_with_its_framing_and_this_one_decodes_it() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let framed = "7\r\nHello, \r\nf\r\nchunked world!\n\r\n0\r\n\r\n";
    let response = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{framed}");
    let server = CannedServer::respond(response).start();
    let theirs = tutorial_fetch(&python, server.addr(), "/");
    assert!(theirs.status.success(), "{theirs:?}");
    assert_eq!(String::from_utf8_lossy(&theirs.stdout), framed);
    let ours = http_fetch()
        .arg(url(server.addr(), "/"))
        .output()
        .expect("running http-fetch");
    assert!(ours.status.success(), "{}", stderr_of(&ours));
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        "Hello, chunked world!\n"
    );
}

/// Ten bytes announced, five sent, then a close: `python/fetch.py` writes the five and succeeds, a cut
/// download that looks whole. `http-fetch` fails with status 1 and says how much of the body came.
#[test]
fn the_tutorial_client_takes_a_cut_body_for_a_whole_one_and_this_one_says_it_was_cut() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server =
        CannedServer::respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello").start();
    let theirs = tutorial_fetch(&python, server.addr(), "/");
    assert!(theirs.status.success(), "{theirs:?}");
    assert_eq!(theirs.stdout, b"hello");
    assert_fails(
        &[&url(server.addr(), "/"), "--timeout", "2s"],
        "protocol error",
        &["closed after 5 of the 10 bytes announced"],
    );
}

/// `python/hello_server.py` answers without a `Content-Length`: the body is everything until it closes.
/// `http-fetch` reads it that way (the trace shows the read of 0 bytes that ends it), and so does the
/// tutorials' client.
#[test]
fn a_tutorial_server_without_a_length_is_read_until_it_closes() {
    let Some(python) = peer(Peer::Python3) else {
        return;
    };
    let server = ServerProcess::start(&python, [TUTORIAL_SERVER]);
    let ours = http_fetch()
        .args(["--trace", "-i", &url(server.addr(), "/hello")])
        .output()
        .expect("running http-fetch");
    let stderr = stderr_of(&ours);
    assert!(ours.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<h1>Hello from /hello</h1>\n"
    );
    assert!(stderr.contains("read 0 bytes (peer closed)"), "{stderr}");
    let theirs = tutorial_fetch(&python, server.addr(), "/again");
    assert!(theirs.status.success(), "{theirs:?}");
    assert_eq!(theirs.stdout, b"<h1>Hello from /again</h1>\n");
}

// --- The book ---

/// The chapter shows the program's `--help`: it must be the real one.
#[test]
fn the_help_shown_in_the_book_is_current() {
    test_support::assert_help_quoted_in_book(
        env!("CARGO_BIN_EXE_http-fetch"),
        "cargo run -q -p http-fetch -- --help",
    );
}
