//! The exercise of lesson 05, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 5` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 5` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! Steps 3 to 5 talk to a `CannedServer` on `127.0.0.1:0`: a server that reads a request and answers with
//! bytes the test chose, however broken, cut into pieces or kept open. Each step tests its own functions
//! only: a step does not need the ones before it to pass. Every socket here has a timeout
//! (`test_support::IO_TIMEOUT`), and your `read_head` and `copy_body` run on a thread the test stops
//! waiting for after 2 seconds, so a function that waits for bytes that never come fails within seconds
//! instead of hanging.

mod common;

use std::io::{ErrorKind, Write};
use std::net::Shutdown;

use common::{BodyRun, Delivery, HeadRun, describe, run_copy_body, run_read_head, show};
use http_fetch::{
    Framing, Head, MAX_CHUNK_LINE, MAX_HEAD, Method, USER_AGENT, Url, UrlError, framing, parse_url,
    request_head,
};
use test_support::fixtures::{AfterResponse, CannedServer};
use test_support::{connect, read_until_closed};

/// Checks that `parse_url(text)` is `Ok` with this host, port and target.
#[track_caller]
fn assert_parses(text: &str, host: &str, port: u16, target: &str, why: &str) {
    let expected = Url {
        host: host.into(),
        port,
        target: target.into(),
    };
    match parse_url(text) {
        Ok(url) => assert!(
            url == expected,
            "parse_url({text:?}) returned {url:?}, but it should be {expected:?}: {why}"
        ),
        Err(err) => panic!(
            "parse_url({text:?}) returned Err({err:?}) (\"{err}\"), but it is a good URL and should be \
             {expected:?}: {why}"
        ),
    }
}

/// Checks that `parse_url(text)` fails with `expected` (for `BadCharacter`, any message).
#[track_caller]
fn assert_rejects(text: &str, expected: UrlError, why: &str) {
    // A `BadCharacter`'s message is the learner's own words: any message will do, so none is shown.
    let wanted = match &expected {
        UrlError::BadCharacter(_) => {
            "Err(UrlError::BadCharacter(message)), with a message of your own saying what is wrong"
                .to_string()
        }
        other => format!("Err(UrlError::{other:?})"),
    };
    match parse_url(text) {
        Err(UrlError::BadCharacter(_)) if matches!(expected, UrlError::BadCharacter(_)) => {}
        Err(err) if err == expected => {}
        Err(err) => {
            panic!("parse_url({text:?}) returned Err({err:?}), but it should be {wanted}: {why}")
        }
        Ok(url) => {
            panic!("parse_url({text:?}) returned Ok({url:?}), but it should be {wanted}: {why}")
        }
    }
}

/// Step 1: `parse_url` takes `http://host[:port][/path][?query][#fragment]` apart into what the socket
/// needs, the host and the port (80 when none is written), and what the request line needs, the target:
/// the path and the query as written, at least `/` (`http://h?q=1` has the target `/?q=1`); a `#fragment`
/// is for the browser and is dropped. The scheme may be written in any case (`HTTP://`). An IPv6 address
/// is written in brackets, `http://[::1]:8080/`, and its host is `::1`. Bad URLs are errors that say what
/// is wrong: `UrlError::Https` for https, `NotHttp("ftp")` for another scheme, `NotHttp("")` for none,
/// `NoHost` for `http:///x` or `http://:8000/`, `BadPort` for a port that is not a number from 1 to 65535,
/// and `BadCharacter` for any character of the target that is not visible ASCII (a space, a tab, `é`: it
/// must be percent-encoded, `%20`), a host with a character other than letters, digits, `-`, `.` and `_`,
/// or a `user@` before the host. After an IPv6 address's `]` comes nothing or `:` and the port: anything
/// else (`http://[::1]x/`) is `BadPort` with what follows the `]`.
#[test]
fn step_1_take_a_url_apart() {
    assert_parses(
        "http://example.com/",
        "example.com",
        80,
        "/",
        "the simplest URL: no port means 80, the port HTTP is registered on",
    );
    assert_parses(
        "http://127.0.0.1:8000/files/a.txt",
        "127.0.0.1",
        8000,
        "/files/a.txt",
        "the port follows the host and a `:`; the target is everything from the first `/` on",
    );
    assert_parses(
        "http://example.com",
        "example.com",
        80,
        "/",
        "no path at all: the request line still needs a target, and it is `/`",
    );
    assert_parses(
        "http://localhost:8080/search?q=rust&page=2",
        "localhost",
        8080,
        "/search?q=rust&page=2",
        "the query is part of the target: the server needs it",
    );
    assert_parses(
        "http://example.com/page#section-2",
        "example.com",
        80,
        "/page",
        "a `#fragment` names a place in the page for the browser; it is never sent",
    );
    assert_parses(
        "http://example.com/a?b=1#c",
        "example.com",
        80,
        "/a?b=1",
        "the query stays, the fragment goes",
    );
    assert_parses(
        "http://example.com?q=1",
        "example.com",
        80,
        "/?q=1",
        "the authority (host and port) ends at the first `/`, `?` or `#`; a target always starts with \
         `/`, so a query without a path becomes `/?q=1`",
    );
    assert_parses(
        "http://example.com:8000#top",
        "example.com",
        8000,
        "/",
        "the authority ends at `#` too, and with the fragment gone nothing is left: the target is `/`",
    );
    assert_parses(
        "http://example.com/a%20b",
        "example.com",
        80,
        "/a%20b",
        "percent escapes are already what goes on the wire: keep them as written",
    );
    assert_parses(
        "HTTP://example.com/Path",
        "example.com",
        80,
        "/Path",
        "the scheme is matched without regard to case (`eq_ignore_ascii_case`); the path is kept as \
         written",
    );
    assert_parses(
        "http://[::1]:8080/x",
        "::1",
        8080,
        "/x",
        "an IPv6 address has colons of its own, so a URL writes it in [brackets]: the host is what is \
         inside them, and the port follows `]:`",
    );
    assert_parses(
        "http://[::1]/",
        "::1",
        80,
        "/",
        "an IPv6 address in brackets with no port: the port is 80 (do not look for a `:` inside the \
         brackets)",
    );
    assert_parses(
        "http://example.com:65535/",
        "example.com",
        65535,
        "/",
        "65535 is the highest port",
    );

    assert_rejects(
        "https://example.com/",
        UrlError::Https,
        "https needs TLS, which this lesson leaves out: say so, instead of sending plain text to a \
         server that expects encryption",
    );
    assert_rejects(
        "ftp://example.com/file.txt",
        UrlError::NotHttp("ftp".into()),
        "another scheme: `NotHttp` with the scheme as written before `://`",
    );
    assert_rejects(
        "example.com/index.html",
        UrlError::NotHttp(String::new()),
        "no `://` at all: no scheme, `NotHttp(\"\")` (its message shows how to write the URL)",
    );
    assert_rejects(
        "localhost:8000",
        UrlError::NotHttp(String::new()),
        "no `://`: a host and a port are not a URL",
    );
    assert_rejects(
        "http:///index.html",
        UrlError::NoHost,
        "nothing between `http://` and the path",
    );
    assert_rejects(
        "http://:8000/",
        UrlError::NoHost,
        "a port, but no host before it",
    );
    for port in ["0", "65536", "99999999999", "http", "80a"] {
        assert_rejects(
            &format!("http://example.com:{port}/"),
            UrlError::BadPort(port.into()),
            "a port is a number from 1 to 65535 (`parse::<u16>()` turns down what does not fit in 16 \
             bits; 0 fits, but no one can connect to it); `BadPort` carries the text as written",
        );
    }
    assert_rejects(
        "http://example.com:+80/",
        UrlError::BadPort("+80".into()),
        "a port is digits only: Rust's `parse::<u16>()` accepts a leading `+`, and a URL has none, so \
         check as well that every byte is a digit (`port.bytes().all(|b| b.is_ascii_digit())`)",
    );
    assert_rejects(
        "http://example.com/my file.txt",
        UrlError::BadCharacter(String::new()),
        "a space would end the target in the request line (`GET /my file.txt HTTP/1.1` has four parts): \
         any character in the target that is not visible ASCII (`char::is_ascii_graphic`) is a \
         `BadCharacter`, whose message says to write it `%20`",
    );
    assert_rejects(
        "http://example.com/a\tb",
        UrlError::BadCharacter(String::new()),
        "a tab in the target: like a space, it is not visible ASCII, and a server may take it for the \
         end of the target. Check for every character that is not `char::is_ascii_graphic`, not for a \
         space only",
    );
    assert_rejects(
        "http://example.com/caf\u{e9}",
        UrlError::BadCharacter(String::new()),
        "a non-ASCII letter in the target (`\u{e9}`, two bytes in UTF-8): a request line is ASCII, so it \
         must be percent-encoded (`%C3%A9`, which `percent_encoded` gives). `is_ascii_graphic` is false \
         for it; a check for spaces or control characters lets it through",
    );
    assert_rejects(
        "http://exa\tmple.com/",
        UrlError::BadCharacter(String::new()),
        "a tab in the host: a host name is letters, digits, `-`, `.` and `_` only (`is_ascii_alphanumeric` \
         and those three); check every character of the host, unless it is an IPv6 address in brackets",
    );
    assert_rejects(
        "http://b\u{fc}cher.example/",
        UrlError::BadCharacter(String::new()),
        "a non-ASCII letter in the host: a name like this goes on the wire in its ASCII form \
         (`xn--bcher-kva.example`, punycode), which this client does not make; a host is letters, \
         digits, `-`, `.` and `_` only",
    );
    assert_rejects(
        "http://[::1]x/",
        UrlError::BadPort("x".into()),
        "after the `]` of an IPv6 address comes nothing (port 80) or `:` and the port; `x` is neither, \
         and taking it for \"no port\" would connect to port 80, which the URL never said. Anything else \
         after `]` is `BadPort` with that text",
    );
    assert_rejects(
        "http://user@example.com/",
        UrlError::BadCharacter(String::new()),
        "a `user@` before the host is not supported here: an `@` in the authority is a `BadCharacter`",
    );
    assert_rejects(
        "http://user:secret@example.com/",
        UrlError::BadCharacter(String::new()),
        "a `user:password@` before the host: look for the `@` in the authority before splitting the \
         port off at a `:`, or the password looks like a bad port",
    );
}

/// Compares a request head with the one expected, and says what differs in terms of HTTP.
#[track_caller]
fn assert_request(got: &[u8], expected: &str, what: &str) {
    if got == expected.as_bytes() {
        return;
    }
    let shown = format!(
        "\n  expected: {}\n  got:      {}",
        show(expected.as_bytes()),
        show(got)
    );
    let text = String::from_utf8_lossy(got);
    if text.replace("\r\n", "").contains('\n') {
        panic!(
            "{what}: every line of an HTTP head ends with `\\r\\n` (carriage return, line feed), not a \
             bare `\\n`: many servers accept `\\n`, but the standard and some servers do not{shown}"
        );
    }
    if !text.ends_with("\r\n\r\n") {
        panic!(
            "{what}: the head must end with an empty line, so it ends with `\\r\\n\\r\\n`: that is how \
             the server knows the request is complete (without it, the server waits for more \
             headers){shown}"
        );
    }
    let got_lines: Vec<&str> = text.split("\r\n").collect();
    for (i, line) in expected.split("\r\n").enumerate() {
        let got_line = got_lines.get(i).copied().unwrap_or("(nothing)");
        if got_line == line {
            continue;
        }
        let advice = if i == 0 {
            "the request line is the method, the target and `HTTP/1.1`, separated by one space each \
             (`method.as_str()`, `url.target`)"
        } else if line.starts_with("Host:") {
            "`Host` says which site is wanted (one address can serve many): its value is \
             `url.host_header()` (given), which adds the port when it is not 80 and brackets around an \
             IPv6 address"
        } else if line.starts_with("User-Agent:") {
            "`User-Agent` is the constant `USER_AGENT`"
        } else if line.starts_with("Accept:") {
            "`Accept: */*` says any type of content will do"
        } else if line.starts_with("Connection:") {
            "`Connection: close` asks the server to close the connection after its answer, instead of \
             keeping it open for another request"
        } else {
            "the headers come in this order: Host, User-Agent, Accept, Connection, then the empty line"
        };
        panic!(
            "{what}: line {} should be {line:?}, but it is {got_line:?}: {advice}{shown}",
            i + 1
        );
    }
    panic!("{what}: the head has more than the expected lines{shown}");
}

/// Step 2: `request_head` writes the bytes of a request: the request line `GET /target HTTP/1.1`, then
/// the headers `Host` (`url.host_header()`, given: the port when it is not 80, brackets around an IPv6
/// address), `User-Agent: ` and [`USER_AGENT`], `Accept: */*` and `Connection: close`, in that order,
/// each line ended by `\r\n`, and an empty line (so the head ends with `\r\n\r\n`). `Method::Head` sends
/// `HEAD` instead of `GET`. The bytes then go on a real socket with `write_all`, and the server receives
/// exactly them.
#[test]
fn step_2_write_the_request_head() {
    let url = Url {
        host: "example.com".into(),
        port: 80,
        target: "/".into(),
    };
    assert_request(
        &request_head(Method::Get, &url),
        &format!(
            "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n\
             Connection: close\r\n\r\n"
        ),
        "request_head(Method::Get, http://example.com/)",
    );

    let url = Url {
        host: "127.0.0.1".into(),
        port: 8000,
        target: "/files/a.txt?x=1".into(),
    };
    assert_request(
        &request_head(Method::Head, &url),
        &format!(
            "HEAD /files/a.txt?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: {USER_AGENT}\r\n\
             Accept: */*\r\nConnection: close\r\n\r\n"
        ),
        "request_head(Method::Head, http://127.0.0.1:8000/files/a.txt?x=1)",
    );

    let url = Url {
        host: "::1".into(),
        port: 8080,
        target: "/".into(),
    };
    assert_request(
        &request_head(Method::Get, &url),
        &format!(
            "GET / HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n\
             Connection: close\r\n\r\n"
        ),
        "request_head(Method::Get, http://[::1]:8080/)",
    );

    let server = CannedServer::respond("HTTP/1.1 204 No Content\r\n\r\n").start();
    let url = Url {
        host: "127.0.0.1".into(),
        port: server.addr().port(),
        target: "/hello?name=you".into(),
    };
    let head = request_head(Method::Get, &url);
    let mut stream = connect(server.addr());
    stream
        .write_all(&head)
        .expect("sending the request head with write_all");
    // Nothing more will be sent: the server reads to the end of the head, or to the end of the stream.
    stream
        .shutdown(Shutdown::Write)
        .expect("shutting down the sending side");
    let answer = read_until_closed(&mut stream);
    assert_eq!(
        show(&answer),
        show(b"HTTP/1.1 204 No Content\r\n\r\n"),
        "the server answers any request with its canned response"
    );
    assert_eq!(
        server
            .requests()
            .iter()
            .map(|r| show(r))
            .collect::<Vec<_>>(),
        [show(&head)],
        "the server should have received exactly the bytes of request_head: a request head is nothing \
         but these bytes on the socket"
    );
}

/// The head of a response, for comparisons.
fn head(version: &str, status: u16, reason: &str, headers: &[(&str, &str)]) -> Head {
    Head {
        version: version.into(),
        status,
        reason: reason.into(),
        headers: headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
    }
}

/// Checks that `read_head` read `expected` and left the reader at the first byte of the body, `body`.
#[track_caller]
fn assert_head(run: &HeadRun, expected: &Head, body: &[u8], situation: &str) {
    let got = match &run.outcome {
        Ok(Ok(got)) => got,
        Err(what) if what.starts_with("had not returned") => panic!(
            "{situation}: read_head {what}. The server sent the whole head and then closed the \
             connection: read it line by line (`BufRead::read_until(b'\\n', ...)`) and stop at the empty \
             line; do not wait for the end of the stream"
        ),
        Ok(Err(err)) if err.kind() == ErrorKind::UnexpectedEof => panic!(
            "{situation}: read_head returned Err(UnexpectedEof: {err}), but the server sent the whole head \
             before closing: bytes went missing between your reads. Read every line through the reader \
             you are given: a `BufReader` of your own (one per line, say) fills its buffer from it, and the \
             bytes it did not hand out are lost when it is dropped"
        ),
        Ok(Err(err)) => panic!(
            "{situation}: read_head returned Err({:?}: {err}), but the head is valid. Remove each line's \
             ending (the `\\n`, then a `\\r` before it, if there is one) before parsing it, and stop at the \
             empty line: it ends the headers and is not one",
            err.kind()
        ),
        other => panic!(
            "{situation}: read_head should return Ok({expected:?}), but it {}",
            describe(other)
        ),
    };
    if got.status != expected.status
        || got.version != expected.version
        || got.reason != expected.reason
    {
        panic!(
            "{situation}: read_head returned version {:?}, status {}, reason {:?}, but the status line \
             was `{} {} {}`: the first line is the status line; `parse_status_line` (given) takes it \
             apart, once its line ending is removed",
            got.version, got.status, got.reason, expected.version, expected.status, expected.reason
        );
    }
    if got.headers != expected.headers {
        let line_ending = got
            .headers
            .iter()
            .any(|(name, value)| name.ends_with('\r') || value.ends_with('\r'));
        let advice = if line_ending {
            "a value ends with `\\r`: remove the line ending, `\\n` and then a `\\r` if there is one, \
             before `parse_header_line`"
        } else if got.headers.len() < expected.headers.len() {
            "some headers are missing: keep reading lines until the empty one, and keep every header, \
             even one whose name came before (a name can appear more than once)"
        } else {
            "each line after the status line, up to the empty line, is one header: \
             `parse_header_line` (given) makes a (name, value) of it; keep them in the order received"
        };
        panic!(
            "{situation}: read_head returned the headers\n  {:?}\nbut the server sent\n  {:?}\n{advice}",
            got.headers, expected.headers
        );
    }
    assert!(
        run.rest == body,
        "{situation}: read_head returned the right head, but afterwards the reader should be at the first \
         byte of the body, {}, and what was left in it was {}. Read the head through the `BufRead` you \
         are given, and nothing after the empty line: each `read_until` takes one line from the \
         reader's buffer and leaves the rest there (a new `BufReader`, or a `read` into a buffer of your \
         own, takes bytes the body needs)",
        show(body),
        show(&run.rest)
    );
}

/// Checks that `read_head` failed with an error of kind `kind`.
#[track_caller]
fn assert_head_error(run: &HeadRun, kind: ErrorKind, situation: &str, advice: &str) {
    match &run.outcome {
        Ok(Err(err)) if err.kind() == kind => {}
        other => panic!(
            "{situation}: read_head should return an error of kind {kind:?}, but it {}. {advice}",
            describe(other)
        ),
    }
}

/// Step 3: `read_head` reads the response head from a `BufRead` (a `BufReader` around the socket): the
/// status line (`HTTP/1.1 200 OK`), then header lines up to the empty line that ends them, each without
/// its line ending (`\r\n`, or a bare `\n`); a header value may hold bytes that are not UTF-8
/// (`parse_header_line` shows them as \u{fffd}), so lines are bytes, not `String`s. It reads nothing after the empty line: the reader is left at
/// the first byte of the body. The result is the same when the server writes one byte at a time, and when
/// each read of the socket returns a few bytes only. A response that does not start with a status line,
/// or whose status is not three digits, is an `InvalidData` error; a connection closed before the empty
/// line is `UnexpectedEof`. A head over [`MAX_HEAD`] bytes is `InvalidData`, found without reading much
/// more than `MAX_HEAD` bytes, even when the server keeps sending header lines, or one endless line, and
/// never the empty line.
#[test]
fn step_3_read_the_response_head() {
    let response =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\n\
                     X-Padded:    value   \r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello\n";
    let expected = head(
        "HTTP/1.1",
        200,
        "OK",
        &[
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", "6"),
            ("X-Padded", "value"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ],
    );
    for delivery in [
        Delivery::Whole,
        Delivery::ServerPieces(1),
        Delivery::SmallReads(1),
        Delivery::SmallReads(5),
    ] {
        let run = run_read_head(response, delivery, AfterResponse::Close);
        assert_head(
            &run,
            &expected,
            b"hello\n",
            &format!(
                "the server sent a 200 response with five headers{}",
                delivery.describe()
            ),
        );
    }

    let run = run_read_head(
        b"HTTP/1.1 200 OK\r\nX-Name: caf\xe9\r\nContent-Length: 2\r\n\r\nok",
        Delivery::Whole,
        AfterResponse::Close,
    );
    let situation = "the server sent a header value with a byte that is not UTF-8, `X-Name: caf\\xe9` (`\u{e9}` \
                     in Latin-1), which HTTP allows: a header value is bytes";
    if let Ok(Err(err)) = &run.outcome
        && err.kind() == ErrorKind::InvalidData
    {
        panic!(
            "{situation}; read_head returned Err(InvalidData: {err}). Reading a line into a `String` \
             (`read_line`) fails on bytes that are not UTF-8: read each line into a `Vec<u8>` with \
             `read_until(b'\\n', ...)`, and let `parse_header_line` (given) turn the value into text (it \
             shows such a byte as \u{fffd})"
        );
    }
    assert_head(
        &run,
        &head(
            "HTTP/1.1",
            200,
            "OK",
            &[("X-Name", "caf\u{fffd}"), ("Content-Length", "2")],
        ),
        b"ok",
        situation,
    );

    let run = run_read_head(
        b"HTTP/1.0 404 Not Found\nServer: test\nContent-Length: 3\n\nabc",
        Delivery::Whole,
        AfterResponse::Close,
    );
    assert_head(
        &run,
        &head(
            "HTTP/1.0",
            404,
            "Not Found",
            &[("Server", "test"), ("Content-Length", "3")],
        ),
        b"abc",
        "the server ended its lines with a bare `\\n` (and the empty line is then `\\n` alone), which a \
         client should accept",
    );

    let filler = format!("X-Filler: {}\r\n", "f".repeat(100));
    let mut big = b"HTTP/1.1 200 OK\r\n".to_vec();
    let mut fillers = 0;
    while big.len() + filler.len() + 2 < MAX_HEAD - 1024 {
        big.extend_from_slice(filler.as_bytes());
        fillers += 1;
    }
    big.extend_from_slice(b"\r\n");
    let head_size = big.len();
    big.extend_from_slice(b"body");
    let run = run_read_head(&big, Delivery::Whole, AfterResponse::Close);
    match &run.outcome {
        Ok(Ok(got)) => assert!(
            got.headers.len() == fillers && run.rest == b"body",
            "the server sent a head of {head_size} bytes (under MAX_HEAD) with {fillers} headers, then \
             `body`: read_head returned {} headers and left {} in the reader",
            got.headers.len(),
            show(&run.rest)
        ),
        other => panic!(
            "the server sent a head of {head_size} bytes, less than MAX_HEAD ({MAX_HEAD}), and read_head \
             {}: the limit is MAX_HEAD for the whole head, not less",
            describe(other)
        ),
    }

    let run = run_read_head(
        b"SSH-2.0-OpenSSH_9.6\r\n",
        Delivery::Whole,
        AfterResponse::Close,
    );
    assert_head_error(
        &run,
        ErrorKind::InvalidData,
        "the server answered `SSH-2.0-OpenSSH_9.6` (it is not an HTTP server)",
        "Pass the first line to `parse_status_line` (given), and return its error with `?`",
    );
    let run = run_read_head(
        b"HTTP/1.1 2OO OK\r\n\r\n",
        Delivery::Whole,
        AfterResponse::Close,
    );
    assert_head_error(
        &run,
        ErrorKind::InvalidData,
        "the status line was `HTTP/1.1 2OO OK` (letters O, not zeros)",
        "Pass the first line to `parse_status_line` (given), and return its error with `?`",
    );
    let run = run_read_head(b"", Delivery::Whole, AfterResponse::Close);
    assert_head_error(
        &run,
        ErrorKind::UnexpectedEof,
        "the server closed the connection without sending anything",
        "`read_until` returns Ok(0) at the end of the stream: before the head is complete, that is an \
         error of kind UnexpectedEof (`io::Error::new(ErrorKind::UnexpectedEof, \"...\")`), not an \
         empty line",
    );
    let run = run_read_head(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
        Delivery::Whole,
        AfterResponse::Close,
    );
    assert_head_error(
        &run,
        ErrorKind::UnexpectedEof,
        "the server sent a status line and one header, then closed the connection before the empty line",
        "A head ends with an empty line, not with the end of the stream: when `read_until` returns \
         Ok(0) before the empty line, the response is cut, and that is an UnexpectedEof error",
    );
    let run = run_read_head(
        b"HTTP/1.1 200 OK\r\nContent-Len",
        Delivery::Whole,
        AfterResponse::Close,
    );
    assert_head_error(
        &run,
        ErrorKind::UnexpectedEof,
        "the server closed the connection in the middle of a header line",
        "A line that does not end with `\\n` was cut by the end of the stream: UnexpectedEof",
    );

    let mut lines = b"HTTP/1.1 200 OK\r\n".to_vec();
    while lines.len() < MAX_HEAD * 4 {
        lines.extend_from_slice(filler.as_bytes());
    }
    let mut endless = b"HTTP/1.1 200 OK\r\nX-Endless: ".to_vec();
    endless.resize(MAX_HEAD * 4, b'e');
    for (response, what) in [
        (
            &lines,
            format!(
                "header lines of {} bytes each, and never the empty line",
                filler.len()
            ),
        ),
        (&endless, "one header line that never ends".to_string()),
    ] {
        let run = run_read_head(response, Delivery::Whole, AfterResponse::Hang);
        let situation = format!(
            "the server sent {} bytes of {what}, and then kept the connection open",
            response.len()
        );
        match &run.outcome {
            Ok(Err(err)) if err.kind() == ErrorKind::InvalidData => {}
            Err(done) if done.starts_with("had not returned") => panic!(
                "{situation}: read_head {done}, having read {} bytes. A head over MAX_HEAD ({MAX_HEAD}) \
                 bytes is an InvalidData error: count the bytes of every line against one budget for the \
                 whole head, and cap each read with it (`reader.take(budget).read_until(...)`: \
                 `read_until` alone reads until it finds a `\\n`, however far that is)",
                run.consumed
            ),
            other => panic!(
                "{situation}: read_head should return an InvalidData error (the head is over MAX_HEAD, \
                 {MAX_HEAD} bytes), but it {}",
                describe(other)
            ),
        }
        assert!(
            run.consumed <= (MAX_HEAD + 16 * 1024) as u64,
            "{situation}: read_head returned its error, but only after reading {} bytes from the \
             socket: stop at MAX_HEAD ({MAX_HEAD}) bytes, with `take(budget)` on each read",
            run.consumed
        );
    }
}

/// A framing case: the method, the status, the headers, and the framing (or error kind) expected.
type FramingCase = (
    Method,
    u16,
    &'static [(&'static str, &'static str)],
    Result<Framing, ErrorKind>,
    &'static str,
);

/// Random-looking bytes: a body that no off-by-one or reordering can go through unchanged.
fn noise(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x2545_f491;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

/// Checks that `copy_body` returned `Ok(count)`, wrote `out` and left `left` in the reader.
#[track_caller]
fn assert_copied(run: &BodyRun, out: &[u8], left: &[u8], situation: &str, hang_advice: &str) {
    match &run.outcome {
        Ok(Ok(count)) if *count == out.len() as u64 => {}
        Ok(Ok(count)) => panic!(
            "{situation}: copy_body returned Ok({count}), but the body has {} bytes: return how many \
             bytes of body were copied",
            out.len()
        ),
        Err(what) if what.starts_with("had not returned") => panic!(
            "{situation}: copy_body {what}, having written {}. {hang_advice}",
            show(&run.out)
        ),
        other => panic!(
            "{situation}: copy_body should return Ok({}), but it {}, having written {}",
            out.len(),
            describe(other),
            show(&run.out)
        ),
    }
    if run.out != out {
        let first = run.out.iter().zip(out).position(|(a, b)| a != b);
        panic!(
            "{situation}: copy_body should write the {} bytes of the body, {}, but it wrote {} bytes, {}{}",
            out.len(),
            show(out),
            run.out.len(),
            show(&run.out),
            first.map_or(String::new(), |at| format!(
                " (the first difference is at byte {at})"
            ))
        );
    }
    assert!(
        run.left == left,
        "{situation}: after copy_body, the reader should still hold what follows the body, {}, but it \
         held {}: read exactly as far as the body goes, and leave the rest in the reader (`fill_buf` \
         shows what is there without taking it; `consume(n)` takes only `n` bytes of it)",
        show(left),
        show(&run.left)
    );
}

/// Checks that `copy_body` failed with an error of kind `kind`.
#[track_caller]
fn assert_copy_error(run: &BodyRun, kind: ErrorKind, situation: &str, advice: &str) {
    match &run.outcome {
        Ok(Err(err)) if err.kind() == kind => {}
        other => panic!(
            "{situation}: copy_body should return an error of kind {kind:?}, but it {}, having written \
             {}. {advice}",
            describe(other),
            show(&run.out)
        ),
    }
}

/// What follows a body on the connection in the tests: the start of something else, which is not the
/// body's to take.
const NEXT: &[u8] = b"NEXT!";

/// Step 4: `framing` says where the body ends, from the method and the head. No body after a `HEAD`
/// request, nor with the status 1xx, 204 or 304 (`NoBody`). Then a `Transfer-Encoding` whose last coding
/// is `chunked` means `Chunked`, and wins over a `Content-Length`; another `Transfer-Encoding` means
/// `UntilClose` (`chunked, gzip` too: only the last coding counts). Then `Content-Length: N` means
/// `Length(N)`; a value that is not digits only (`five`, `-1`, `+3`), or two different values, is an
/// `InvalidData` error (the same value twice is fine). Without either, the body
/// is everything `UntilClose`. Then `copy_body` with `Length(n)` copies exactly n bytes to the output and
/// returns n, and reads nothing further, even when the server keeps the connection open afterwards (it
/// must return at once, not wait for more); a body that ends sooner is an `UnexpectedEof` error whose
/// message says how many bytes arrived. `UntilClose` copies until the server closes; `NoBody` copies
/// nothing. A body of 3 MB arrives byte for byte.
#[test]
fn step_4_find_where_the_body_ends() {
    use Method::{Get, Head};
    let cases: &[FramingCase] = &[
        (
            Get,
            200,
            &[("Content-Length", "5")],
            Ok(Framing::Length(5)),
            "Content-Length: 5 means exactly 5 bytes",
        ),
        (
            Get,
            200,
            &[("content-length", "0")],
            Ok(Framing::Length(0)),
            "header names are matched without regard to case (`head.header(name)` does that)",
        ),
        (
            Get,
            404,
            &[("Content-Length", "9")],
            Ok(Framing::Length(9)),
            "an error status has a body like any other (the error page)",
        ),
        (
            Get,
            200,
            &[("Content-Type", "text/html")],
            Ok(Framing::UntilClose),
            "no Content-Length and no Transfer-Encoding: the body ends when the server closes",
        ),
        (
            Head,
            200,
            &[("Content-Length", "5")],
            Ok(Framing::NoBody),
            "the answer to HEAD has the headers GET would have, Content-Length included, but never a \
             body",
        ),
        (
            Get,
            204,
            &[],
            Ok(Framing::NoBody),
            "204 No Content has no body",
        ),
        (
            Get,
            304,
            &[("Content-Length", "5")],
            Ok(Framing::NoBody),
            "304 Not Modified has no body, whatever its Content-Length says (it is the length of the \
             copy the client already has)",
        ),
        (
            Get,
            101,
            &[],
            Ok(Framing::NoBody),
            "a 1xx status (here 101) has no body",
        ),
        (
            Get,
            200,
            &[("Transfer-Encoding", "chunked")],
            Ok(Framing::Chunked),
            "Transfer-Encoding: chunked",
        ),
        (
            Get,
            200,
            &[("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
            Ok(Framing::Chunked),
            "Transfer-Encoding wins over Content-Length: look at it first",
        ),
        (
            Get,
            200,
            &[("Transfer-Encoding", "gzip, chunked")],
            Ok(Framing::Chunked),
            "the codings are a list, and chunked is the last one (`rsplit(',')`, then `trim`)",
        ),
        (
            Get,
            200,
            &[("Transfer-Encoding", "chunked, gzip")],
            Ok(Framing::UntilClose),
            "only the last coding decides: here the body was cut into chunks and then compressed, so \
             what arrives is not in chunks, and it ends when the server closes. Looking for `chunked` \
             anywhere in the value (`contains`) finds it in the wrong place: take the last coding \
             (`rsplit(',').next()`, `trim`)",
        ),
        (
            Get,
            200,
            &[("Transfer-Encoding", "Chunked")],
            Ok(Framing::Chunked),
            "coding names are matched without regard to case (`eq_ignore_ascii_case`)",
        ),
        (
            Get,
            200,
            &[("Transfer-Encoding", "gzip"), ("Content-Length", "5")],
            Ok(Framing::UntilClose),
            "a Transfer-Encoding whose last coding is not chunked: the body ends when the server \
             closes (the Content-Length does not count when there is a Transfer-Encoding)",
        ),
        (
            Get,
            200,
            &[("Content-Length", "5"), ("Content-Length", "5")],
            Ok(Framing::Length(5)),
            "the same length said twice is still that length",
        ),
        (
            Get,
            200,
            &[("Content-Length", "five")],
            Err(ErrorKind::InvalidData),
            "a Content-Length that is not a number: `protocol_error(...)` (given) makes the InvalidData \
             error",
        ),
        (
            Get,
            200,
            &[("Content-Length", "-1")],
            Err(ErrorKind::InvalidData),
            "a negative Content-Length is not a length (`parse::<u64>()` refuses it)",
        ),
        (
            Get,
            200,
            &[("Content-Length", "+3")],
            Err(ErrorKind::InvalidData),
            "a Content-Length is digits only, and `+3` is not one: a proxy in between may read it \
             differently, or refuse it. Rust's `parse::<u64>()` accepts a leading `+`, so check as well \
             that every byte is a digit (`value.bytes().all(|b| b.is_ascii_digit())`)",
        ),
        (
            Get,
            200,
            &[("Content-Length", "5"), ("Content-Length", "50")],
            Err(ErrorKind::InvalidData),
            "two different lengths: the client cannot know where the body ends, and guessing lets a \
             server (or a proxy in between) smuggle a second response into the first. Check every \
             Content-Length (`head.headers_named(...)`), not only the first",
        ),
    ];
    for (method, status, headers, expected, why) in cases {
        let response = head("HTTP/1.1", *status, "", headers);
        let got = framing(*method, &response);
        let same = match (&got, expected) {
            (Ok(got), Ok(expected)) => got == expected,
            (Err(err), Err(kind)) => err.kind() == *kind,
            _ => false,
        };
        assert!(
            same,
            "framing({method:?}, a {status} response with the headers {headers:?}) should be {}, but \
             it is {}: {why}",
            match expected {
                Ok(framing) => format!("Ok({framing:?})"),
                Err(kind) => format!("an error of kind {kind:?}"),
            },
            match &got {
                Ok(framing) => format!("Ok({framing:?})"),
                Err(err) => format!("Err({:?}: {err})", err.kind()),
            }
        );
    }

    let keep_open = "The server keeps the connection open after the body (another response could follow): \
                     copy exactly the announced bytes and return, without reading further. \
                     `read_to_end`, or reading until `read` returns 0, waits for an end of stream that \
                     never comes";
    let run = run_copy_body(
        &[&b"hello"[..], NEXT].concat(),
        Framing::Length(5),
        Delivery::Whole,
        AfterResponse::Hang,
        NEXT.len(),
    );
    assert_copied(
        &run,
        b"hello",
        NEXT,
        "copy_body with Length(5), the server sending `hello` and then `NEXT!`, and keeping the \
         connection open",
        keep_open,
    );
    let run = run_copy_body(
        &[&b"hello, world"[..], NEXT].concat(),
        Framing::Length(12),
        Delivery::SmallReads(5),
        AfterResponse::Hang,
        NEXT.len(),
    );
    assert_copied(
        &run,
        b"hello, world",
        NEXT,
        "copy_body with Length(12), the server sending `hello, world` and then `NEXT!` (each read \
         returning at most 5 bytes), and keeping the connection open",
        "One read is not the whole body: keep reading until the 12 bytes are there (and no further). \
         A read that returns no byte means the server closed the connection",
    );
    let run = run_copy_body(
        NEXT,
        Framing::Length(0),
        Delivery::Whole,
        AfterResponse::Hang,
        NEXT.len(),
    );
    assert_copied(
        &run,
        b"",
        NEXT,
        "copy_body with Length(0), the server keeping the connection open",
        "A body of 0 bytes is complete before any read: return Ok(0) at once",
    );
    let run = run_copy_body(
        NEXT,
        Framing::NoBody,
        Delivery::Whole,
        AfterResponse::Hang,
        NEXT.len(),
    );
    assert_copied(
        &run,
        b"",
        NEXT,
        "copy_body with NoBody, the server keeping the connection open",
        "NoBody: there is nothing to read, return Ok(0) at once",
    );

    let text = b"no length was announced:\nthe body is everything until the server closes\n";
    let run = run_copy_body(
        text,
        Framing::UntilClose,
        Delivery::ServerPieces(7),
        AfterResponse::Close,
        0,
    );
    assert_copied(
        &run,
        text,
        b"",
        "copy_body with UntilClose, the server writing 7 bytes at a time and then closing",
        "The server closed the connection after the body: a read that returns 0 bytes (an empty \
         `fill_buf()`) is the end of the body",
    );

    let run = run_copy_body(
        b"7 bytes",
        Framing::Length(20),
        Delivery::Whole,
        AfterResponse::Close,
        0,
    );
    assert_copy_error(
        &run,
        ErrorKind::UnexpectedEof,
        "copy_body with Length(20), the server sending 7 bytes and closing",
        "A body that ends before its announced length is cut: what was written is only part of it. When \
         the stream ends early, return `io::Error::new(ErrorKind::UnexpectedEof, ...)`",
    );
    if let Ok(Err(err)) = &run.outcome {
        let message = err.to_string();
        assert!(
            message
                .split(|c: char| !c.is_ascii_digit())
                .any(|number| number == "7"),
            "copy_body with Length(20), the server sending 7 bytes and closing, returned the error \
             {message:?}: the message should say how many bytes arrived (7), and of how many, so that \
             whoever reads it knows how much is missing"
        );
    }

    let big = noise(3 * 1024 * 1024);
    let run = run_copy_body(
        &big,
        Framing::Length(big.len() as u64),
        Delivery::Whole,
        AfterResponse::Close,
        0,
    );
    assert_copied(
        &run,
        &big,
        b"",
        "copy_body with Length(3145728), the server sending 3 MB and closing",
        "A big body arrives in many reads: keep going until all the announced bytes are there",
    );
    let big = &big[..1024 * 1024];
    let run = run_copy_body(
        big,
        Framing::UntilClose,
        Delivery::Whole,
        AfterResponse::Close,
        0,
    );
    assert_copied(
        &run,
        big,
        b"",
        "copy_body with UntilClose, the server sending 1 MB and closing",
        "Copy until a read returns no byte",
    );
}

/// Step 5: `copy_body` with `Framing::Chunked` copies a chunked body: each chunk is a line with its size
/// in hexadecimal (`1a` or `1A`, possibly followed by an extension `;name=value`, ignored), then that many
/// bytes of data, then `\r\n`. A chunk of size 0 ends the body; trailer lines (like headers) may follow it,
/// up to an empty line. The output gets the data only, and `copy_body` returns how many bytes that is. It
/// reads nothing after the final empty line, even when the connection stays open, and works when the bytes
/// arrive one at a time. A size line that is not a hexadecimal number is `InvalidData`, and so is a
/// chunk whose data goes on past its size (no `\r\n` where it should end); a connection closed before the
/// end (no chunk of size 0, or in the middle of a chunk) is `UnexpectedEof`; a size line over
/// [`MAX_CHUNK_LINE`] bytes is `InvalidData`, found without reading much more than that.
#[test]
fn step_5_read_a_chunked_body() {
    let chunked =
        b"5\r\nhello\r\n1;name=value\r\n \r\n10\r\n0123456789abcdef\r\nA\r\nABCDEFGHIJ\r\n\
                    a\r\nabcdefghij\r\n0\r\nX-Checksum: 1234\r\nX-Other: x\r\n\r\n";
    let body = b"hello 0123456789abcdefABCDEFGHIJabcdefghij";
    let stream = [&chunked[..], NEXT].concat();
    for delivery in [
        Delivery::Whole,
        Delivery::ServerPieces(1),
        Delivery::SmallReads(1),
    ] {
        let run = run_copy_body(
            &stream,
            Framing::Chunked,
            delivery,
            AfterResponse::Hang,
            NEXT.len(),
        );
        let situation = format!(
            "copy_body with Chunked, the server sending {}, then `NEXT!`{}, and keeping the connection \
             open",
            show(chunked),
            delivery.describe()
        );
        if let Ok(Err(err)) = &run.outcome {
            let advice = if err.kind() == ErrorKind::InvalidData {
                "Check the parts: the size is hexadecimal (`u64::from_str_radix(digits, 16)`: `10` is 16 \
                 bytes, `A` and `a` are 10); what follows a `;` on the size line is an extension, to \
                 ignore; after a chunk's data comes `\\r\\n`, which must be read (and be empty) before \
                 the next size line"
            } else {
                "Each chunk's data is exactly `size` bytes (the same copy as `Length(size)`); after the \
                 chunk of size 0, read trailer lines up to the empty line"
            };
            panic!(
                "{situation}: copy_body should return Ok({}), but it returned Err({:?}: {err}), having \
                 written {}. {advice}",
                body.len(),
                err.kind(),
                show(&run.out)
            );
        }
        assert_copied(
            &run,
            body,
            NEXT,
            &situation,
            "The body ends with the empty line after the chunk of size 0 (and its trailers): stop \
             there, without waiting for more",
        );
    }

    let run = run_copy_body(
        &[&b"0\r\n\r\n"[..], NEXT].concat(),
        Framing::Chunked,
        Delivery::Whole,
        AfterResponse::Hang,
        NEXT.len(),
    );
    assert_copied(
        &run,
        b"",
        NEXT,
        "copy_body with Chunked, the server sending `0\\r\\n\\r\\n` (an empty body), then `NEXT!`, and \
         keeping the connection open",
        "The chunk of size 0 ends the body: then read lines up to the empty one (there are no \
         trailers here) and return",
    );

    let mut long_line = b"5;".to_vec();
    long_line.resize(MAX_CHUNK_LINE * 4, b'x');
    let errors: &[(&[u8], ErrorKind, &str, &str)] = &[
        (
            b"zz\r\nhello\r\n0\r\n\r\n",
            ErrorKind::InvalidData,
            "a size line `zz`",
            "`zz` is not a hexadecimal number: `u64::from_str_radix` fails; return `protocol_error(...)`",
        ),
        (
            b"\r\nhello\r\n0\r\n\r\n",
            ErrorKind::InvalidData,
            "an empty size line",
            "an empty line has no size: `from_str_radix(\"\", 16)` fails, return the InvalidData error",
        ),
        (
            b"3\r\nhello\r\n0\r\n\r\n",
            ErrorKind::InvalidData,
            "a chunk of size 3 with the data `hello`",
            "after the 3 bytes `hel` comes `lo`, not `\\r\\n`: the size was wrong, and the body cannot be \
             trusted. Check that the line after each chunk's data is empty",
        ),
        (
            b"5\r\nhello\r\n",
            ErrorKind::UnexpectedEof,
            "a chunk, and then the end of the stream (no chunk of size 0)",
            "the body ends only with a chunk of size 0: a line that does not end with `\\n` (here, \
             nothing at all) means the connection closed too soon",
        ),
        (
            b"5\r\nhel",
            ErrorKind::UnexpectedEof,
            "3 bytes of a chunk of 5, and then the end of the stream",
            "a chunk cut short is the same error as a body shorter than its Content-Length",
        ),
        (
            b"5\r\nhello",
            ErrorKind::UnexpectedEof,
            "a chunk's data, and then the end of the stream before its `\\r\\n`",
            "the line after the data is missing: the connection closed too soon",
        ),
        (
            b"5\r\nhello\r\n0\r\nX-Trailer: 1\r\n",
            ErrorKind::UnexpectedEof,
            "the chunk of size 0 and a trailer, and then the end of the stream before the empty line",
            "the trailers end with an empty line, not with the end of the stream",
        ),
    ];
    for (stream, kind, what, advice) in errors {
        let run = run_copy_body(
            stream,
            Framing::Chunked,
            Delivery::Whole,
            AfterResponse::Close,
            0,
        );
        assert_copy_error(
            &run,
            *kind,
            &format!(
                "copy_body with Chunked, the server sending {what}, {}, and closing",
                show(stream)
            ),
            advice,
        );
    }

    let run = run_copy_body(
        &long_line,
        Framing::Chunked,
        Delivery::Whole,
        AfterResponse::Hang,
        0,
    );
    match &run.outcome {
        Ok(Err(err)) if err.kind() == ErrorKind::InvalidData => {}
        Err(what) if what.starts_with("had not returned") => panic!(
            "copy_body with Chunked, the server sending a size line of {} bytes that never ends and \
             keeping the connection open: copy_body {what}. A size line over MAX_CHUNK_LINE \
             ({MAX_CHUNK_LINE}) bytes is an InvalidData error: cap each line you read \
             (`reader.take(MAX_CHUNK_LINE as u64).read_until(b'\\n', ...)`); without a cap, a server can \
             make the client read and hold as much as it likes",
            long_line.len()
        ),
        other => panic!(
            "copy_body with Chunked, the server sending a size line of {} bytes that never ends: copy_body \
             should return an InvalidData error (the line is over MAX_CHUNK_LINE, {MAX_CHUNK_LINE} \
             bytes), but it {}",
            long_line.len(),
            describe(other)
        ),
    }
}
