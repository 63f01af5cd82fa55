//! Lesson 05, your version. Replace each `todo!()` and run `cargo run -- check 5` after every step.
//! Stuck? `cargo run -- hint 5`. Lost? `cargo run -- reset 5` puts this file back as it was.
//!
//! Step 1 is [`parse_url`] (and `split_host_port`), step 2 [`request_head`], step 3 [`read_head`] (and
//! `read_head_line`), step 4 [`framing`] and the body copies `copy_exactly` and `copy_until_close`, step 5
//! `copy_chunked` (and `read_chunk_line`). The types, the `Host` header, the status line and header line
//! parsers, the error helpers and [`copy_body`], which picks the copy for each framing, are given.
// Until you write the bodies, parameters and helpers are unused; this keeps the compiler quiet about it.
#![allow(unused_variables, unused_mut, unused_imports, dead_code)]

use std::fmt;
use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::Ipv6Addr;

use shared::trace::Preview;

/// What a URL says about where to send a request: the host and port to connect to, and the target that
/// goes into the request line (path and query; a `#fragment` is for the browser and never sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// A name (`example.com`), an IPv4 address (`127.0.0.1`) or an IPv6 address without its brackets (`::1`).
    pub host: String,
    /// 80 when the URL gives none: the port HTTP is registered on.
    pub port: u16,
    /// `/path?query`, at least `/`.
    pub target: String,
}

/// What is wrong with a URL; the message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// `https://...`: the bytes would have to go through TLS first.
    Https,
    /// A scheme other than http, such as `ftp://`; or none at all.
    NotHttp(String),
    /// Nothing between `http://` and the path.
    NoHost,
    /// A port that is not a number from 1 to 65535.
    BadPort(String),
    /// A character that cannot go into a request line or a host name as it is (a space, a control
    /// character, a non-ASCII letter), or a part this client does not support (`user@`).
    BadCharacter(String),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Https => write!(
                f,
                "https:// needs TLS (encryption), which is not part of this lesson: fetch it with curl, or \
                 use an http:// URL"
            ),
            UrlError::NotHttp(scheme) if scheme.is_empty() => write!(
                f,
                "the URL has no scheme: write it as http://HOST[:PORT][/PATH], e.g. http://127.0.0.1:8000/"
            ),
            UrlError::NotHttp(scheme) => write!(
                f,
                "`{scheme}://` is not HTTP: only http:// URLs can be fetched, e.g. http://127.0.0.1:8000/"
            ),
            UrlError::NoHost => write!(
                f,
                "the URL has no host: write it as http://HOST[:PORT][/PATH], e.g. http://localhost:8000/"
            ),
            UrlError::BadPort(port) => write!(
                f,
                "`{port}` is not a port: write a number from 1 to 65535 after the colon, or nothing for 80"
            ),
            UrlError::BadCharacter(what) => write!(f, "{what}"),
        }
    }
}

impl std::error::Error for UrlError {}

/// Takes apart `http://host[:port][/path][?query][#fragment]`.
///
/// The scheme is matched without regard to case; the host may be a name, an IPv4 address or an IPv6
/// address in brackets (`http://[::1]:8000/`). The target keeps the path and the query as they are written:
/// percent-escapes (`%20`) are already what goes on the wire, so they are not decoded.
pub fn parse_url(text: &str) -> Result<Url, UrlError> {
    // TODO(step 1): take the URL apart from the left, with `str` methods:
    //   - `text.split_once("://")` gives the scheme and the rest; no `://` at all is
    //     `Err(UrlError::NotHttp(String::new()))`. Compare the scheme with `eq_ignore_ascii_case`: `https`
    //     is `UrlError::Https`, anything else but `http` is `UrlError::NotHttp(scheme.to_string())`;
    //   - the authority (host and port) ends at the first `/`, `?` or `#` (`rest.find(['/', '?', '#'])`,
    //     or the end of the string); `split_at` cuts it off;
    //   - the target is what follows, without the `#fragment` (`split('#').next()`); empty becomes `/`,
    //     and a target that starts with `?` gets a `/` in front;
    //   - a character of the target that is not visible ASCII (`!c.is_ascii_graphic()`) is a
    //     `UrlError::BadCharacter(message)`: `percent_encoded(c)` (given) says how to write it instead;
    //   - an `@` in the authority (`user@host`) is a `BadCharacter` too: check it before looking for the
    //     port, or `user:password@host` looks like a bad port;
    //   - `split_host_port(authority)?` (below) does the rest.
    todo!("step 1: take the URL apart")
}

/// Splits `host[:port]` or `[v6-address][:port]`.
fn split_host_port(authority: &str) -> Result<(String, u16), UrlError> {
    // TODO(step 1): two shapes:
    //   - `[::1]:8080`: `authority.strip_prefix('[')`, then `split_once(']')`; the host is inside the
    //     brackets, and what follows `]` is empty (no port) or `:` and the port;
    //   - `example.com:8080`: `split_once(':')`, or the whole authority is the host.
    //   An empty host is `UrlError::NoHost`. No port (or `:` and nothing) means 80; otherwise
    //   `port.parse::<u16>()`, where an error or 0 is `UrlError::BadPort(port.to_string())`.
    todo!("step 1: split the host and the port")
}

/// `%20` for a space: what a character becomes in a URL.
fn percent_encoded(c: char) -> String {
    let mut utf8 = [0u8; 4];
    c.encode_utf8(&mut utf8)
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect()
}

impl Url {
    /// The `Host` header's value: the host, and the port when it is not 80; an IPv6 address in brackets.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl fmt::Display for Url {
    /// The URL written back in full: `http://host:port/target`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.target)
    }
}

/// The two request methods the program sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Asks for the resource: a head, then the body.
    Get,
    /// Asks for the head only: the same headers as `GET` would have, and never a body.
    Head,
}

impl Method {
    /// The method's name as it goes into the request line.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
        }
    }
}

/// Sent in the `User-Agent` header, so that a server's log says which program asked.
pub const USER_AGENT: &str = concat!("http-fetch/", env!("CARGO_PKG_VERSION"));

/// The bytes of a request for `url`: the request line, the headers, each line ended by `\r\n`, and the
/// empty line that ends the head. A `GET` or `HEAD` request has no body, so this is the whole request.
///
/// `Connection: close` asks the server to close the connection after its answer. It is only a request:
/// a body framed by its length still has to be read by its length.
pub fn request_head(method: Method, url: &Url) -> Vec<u8> {
    // TODO(step 2): one `format!` with every line of the head, then `.into_bytes()`:
    //   - the request line: `method.as_str()`, the target (`url.target`) and `HTTP/1.1`, one space
    //     between each;
    //   - `Host: ` and `url.host_header()` (given: it adds the port when it is not 80);
    //   - `User-Agent: ` and the constant `USER_AGENT`, then `Accept: */*` and `Connection: close`;
    //   - every line ends with `\r\n`, and an empty line ends the head.
    //   A `\` at the end of a line inside a string literal continues it on the next line (the spaces at
    //   the start of the next line are skipped), which keeps the lines of the head readable.
    todo!("step 2: the bytes of the request head")
}

/// The most a response head (status line and headers) may take. A server that sends more without the
/// blank line that ends the head is broken or hostile; without a cap, it could make the client hold
/// gigabytes. Real servers send a few hundred bytes; 64 KiB is what many proxies allow.
pub const MAX_HEAD: usize = 64 * 1024;

/// The status line and headers of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// `200`, `404`: three digits.
    pub status: u16,
    /// `OK`, `Not Found`: for people; may be empty.
    pub reason: String,
    /// The headers in the order received, names as sent. A name can appear more than once.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The value of the first header called `name` (case does not matter in header names).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers_named(name).next()
    }

    /// The values of every header called `name`, in order.
    pub fn headers_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> {
        self.headers
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// An error in what the server sent (not in the network): `InvalidData`, with `message`.
pub fn protocol_error(message: impl Into<String>) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, message.into())
}

/// Whether `err` means the server broke the protocol (a bad or cut response) rather than the network
/// failing (refused, reset, timed out).
pub fn is_protocol_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::InvalidData | ErrorKind::UnexpectedEof
    )
}

/// Reads the response head: the status line, then header lines, up to the empty line that ends them.
/// The reader is left at the first byte of the body.
///
/// `reader` is a `BufRead` (a `BufReader` around the socket), so lines are found in whatever pieces the
/// bytes arrive: one read or a thousand, the result is the same. At most [`MAX_HEAD`] bytes are read.
/// Lines may end in `\r\n` or a bare `\n`.
pub fn read_head(reader: &mut impl BufRead) -> io::Result<Head> {
    // TODO(step 3): `let mut budget = MAX_HEAD;` for the whole head, then:
    //   - the status line: `read_head_line(reader, &mut budget)?` (below); `None` (the end of the stream
    //     before any byte) is an `UnexpectedEof` error: `io::Error::new(ErrorKind::UnexpectedEof, "...")`;
    //     `parse_status_line(&line)?` (given) gives the version, the status and the reason;
    //   - then a loop: each line, read the same way, is a header (`parse_header_line(&line)?`, given)
    //     pushed on a `Vec`, until the empty line, which ends the head (`break`). `None` here means the
    //     connection closed before the empty line: `UnexpectedEof` too.
    //   Read only through `reader`: a `BufReader` of your own, or a `read` into a buffer of your own, would
    //   take bytes of the body with it.
    todo!("step 3: read the response head")
}

/// Reads one line of the head, without its line ending; `None` at end of stream before any byte of it.
/// `budget` is what is left of [`MAX_HEAD`].
fn read_head_line(reader: &mut impl BufRead, budget: &mut usize) -> io::Result<Option<Vec<u8>>> {
    // TODO(step 3): `reader.take(*budget as u64).read_until(b'\n', &mut line)?` reads one line into a
    //   `Vec<u8>`, `\n` included, but never more than `budget` bytes (`read_until` alone would read on
    //   until it finds a `\n`, however far that is). It returns how many bytes it read: take them off the
    //   budget. Then, if the line does not end with `\n`:
    //   - no byte at all, with budget left: the end of the stream, `Ok(None)`;
    //   - the budget is used up: the head is too long, `Err(protocol_error(...))` (given);
    //   - otherwise the stream ended in the middle of the line: an `UnexpectedEof` error.
    //   Else remove the `\n`, and a `\r` before it if there is one (`pop`), and return `Ok(Some(line))`.
    todo!("step 3: one line of the head")
}

/// `HTTP/1.1 200 OK` into its three parts.
fn parse_status_line(line: &[u8]) -> io::Result<(String, u16, String)> {
    let bad =
        |why: &str| protocol_error(format!("{why}: the response began with {}", Preview(line)));
    let text = std::str::from_utf8(line).map_err(|_| bad("the status line is not text"))?;
    let mut parts = text.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/") {
        return Err(bad(
            "no status line (it starts with HTTP/1.1 and a status code): is this an HTTP server?",
        ));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(bad("only HTTP/1.0 and HTTP/1.1 are spoken here"));
    }
    let code = parts.next().unwrap_or_default();
    let status = match code.parse::<u16>() {
        Ok(status)
            if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) && status >= 100 =>
        {
            status
        }
        _ => {
            return Err(bad(&format!(
                "`{code}` is not a status code (three digits, 100 to 999)"
            )));
        }
    };
    let reason = parts.next().unwrap_or_default().to_string();
    Ok((version.to_string(), status, reason))
}

/// `Content-Type: text/html` into its name and value, the spaces around the value removed.
fn parse_header_line(line: &[u8]) -> io::Result<(String, String)> {
    let bad = |why: &str| protocol_error(format!("{why}: {}", Preview(line)));
    if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
        // An obsolete way of continuing the previous line, which RFC 9112 lets a client reject.
        return Err(bad(
            "a header line starts with a space (obsolete line folding)",
        ));
    }
    let colon = line
        .iter()
        .position(|b| *b == b':')
        .ok_or_else(|| bad("a header line has no `:`"))?;
    let name = &line[..colon];
    if name.is_empty() || !name.iter().all(|b| b.is_ascii_graphic()) {
        return Err(bad("a header name is empty or has a space in it"));
    }
    // A value is bytes; almost always ASCII. Anything else is shown, not trusted.
    let value = String::from_utf8_lossy(&line[colon + 1..]);
    Ok((
        String::from_utf8_lossy(name).into_owned(),
        value.trim_matches([' ', '\t']).to_string(),
    ))
}

/// Where the body of a response ends, as its head says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// There is no body: the response to `HEAD`, and the statuses 1xx, 204 and 304.
    NoBody,
    /// `Content-Length: N`: exactly N bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`: pieces of announced size, up to a piece of size 0.
    Chunked,
    /// Neither: the body is everything until the server closes the connection.
    UntilClose,
}

/// Decides where the body ends, in the order RFC 9112 (section 6.3) gives.
///
/// A `Content-Length` that is not a number, or two different ones, is an error: guessing would let the
/// client and a proxy in between disagree about where the response ends.
pub fn framing(method: Method, head: &Head) -> io::Result<Framing> {
    // TODO(step 4): in this order:
    //   - `NoBody` for `Method::Head`, and for the statuses 1xx (`head.status / 100 == 1`), 204 and 304;
    //   - `head.header("Transfer-Encoding")`: if there is one, its last coding (`rsplit(',').next()`,
    //     `trim`) decides: `chunked` (any case: `eq_ignore_ascii_case`) is `Chunked`, anything else
    //     `UntilClose`;
    //   - every `Content-Length` (`head.headers_named("Content-Length")`): each must parse as a `u64`
    //     (`value.parse::<u64>()`), and all must be the same; otherwise `Err(protocol_error(...))`. The
    //     length found is `Length(n)`;
    //   - none of these: `UntilClose`.
    todo!("step 4: where the body ends")
}

/// Copies the body, framed as `framing` says, from `reader` to `out` as it arrives, and returns how many
/// bytes of body there were. It never reads past the body's end, and never holds more than the reader's
/// buffer.
///
/// A body that ends before its announced end is an `UnexpectedEof` error: the output has only part of it.
pub fn copy_body(
    reader: &mut impl BufRead,
    framing: Framing,
    out: &mut impl Write,
) -> io::Result<u64> {
    match framing {
        Framing::NoBody => Ok(0),
        Framing::Length(length) => copy_exactly(reader, length, out).map(|()| length),
        Framing::Chunked => copy_chunked(reader, out),
        Framing::UntilClose => copy_until_close(reader, out),
    }
}

/// The bytes the reader has ready, reading more from the socket if it has none; empty at end of stream.
fn fill(reader: &mut impl BufRead) -> io::Result<&[u8]> {
    loop {
        match reader.fill_buf() {
            // A signal interrupted the read before any byte came: ask again.
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
            Ok([]) => return Ok(&[]),
            // Today's borrow checker refuses to return these bytes from inside the loop; the second
            // `fill_buf` below returns the same bytes, already in the buffer, without reading again.
            Ok(_) => break,
        }
    }
    reader.fill_buf()
}

/// Copies exactly `length` bytes, writing straight from the reader's buffer (no copy in between).
fn copy_exactly(reader: &mut impl BufRead, length: u64, out: &mut impl Write) -> io::Result<()> {
    // TODO(step 4): a loop while bytes are left to copy: `fill(reader)?` (given) gives the bytes the
    //   reader has ready (empty at the end of the stream); write at most the bytes left of them
    //   (`out.write_all(&ready[..n])?`), then `reader.consume(n)` so the reader moves past them, and
    //   count them. An empty `ready` before the end is an `UnexpectedEof` error whose message says how many
    //   of the `length` bytes arrived. Never take more than `length` bytes out of the reader: what follows
    //   is not the body's.
    //   (Another way: `io::copy(&mut reader.take(length), out)?` copies at most `length` bytes and returns
    //   how many it copied.)
    todo!("step 4: copy exactly the announced bytes")
}

/// Copies everything until the server closes the connection.
fn copy_until_close(reader: &mut impl BufRead, out: &mut impl Write) -> io::Result<u64> {
    // TODO(step 4): the same loop as `copy_exactly`, without a length: write and `consume` everything
    //   `fill(reader)?` gives until it is empty (the server closed the connection), and return how many
    //   bytes that was. (`io::copy(reader, out)` does this loop too.)
    todo!("step 4: copy until the server closes")
}

/// The longest chunk-size line accepted (the size in hex, and extensions after `;`). Real ones are a few
/// bytes; the cap keeps a hostile server from making the client hold a line of gigabytes.
pub const MAX_CHUNK_LINE: usize = 4096;

/// Copies a chunked body: each chunk is a line with its size in hexadecimal, the bytes, and `\r\n`; a
/// chunk of size 0 ends the body and is followed by optional trailer lines and an empty line. Returns the
/// number of bytes of body (the chunks' contents, without the framing).
fn copy_chunked(reader: &mut impl BufRead, out: &mut impl Write) -> io::Result<u64> {
    // TODO(step 5): a loop, one chunk each time round:
    //   - the size line: `read_chunk_line(reader, "a chunk size, before the last chunk (size 0)")?`
    //     (below); what precedes a `;` is the size in hexadecimal (`u64::from_str_radix(digits, 16)`,
    //     after `String::from_utf8_lossy` and `trim`); a size that does not parse is
    //     `Err(protocol_error(...))`;
    //   - size 0 ends the chunks (`break`);
    //   - otherwise `copy_exactly(reader, size, out)?` copies the data, and the line after it must be
    //     empty (it is the `\r\n` that ends the data): anything else means the size was wrong,
    //     `protocol_error`.
    //   After the chunk of size 0, read lines (trailers, like headers; ignore them) up to an empty line,
    //   and return the number of bytes of data.
    todo!("step 5: copy a chunked body")
}

/// Reads one line of the chunked framing, without its line ending; `what` says which, and what has not
/// come yet, for errors.
fn read_chunk_line(reader: &mut impl BufRead, what: &str) -> io::Result<Vec<u8>> {
    // TODO(step 5): like `read_head_line` in step 3, with `MAX_CHUNK_LINE` as the cap of each line:
    //   `reader.take(MAX_CHUNK_LINE as u64).read_until(b'\n', &mut line)?`. A line without `\n` at its end
    //   is an error: `protocol_error` if it is `MAX_CHUNK_LINE` bytes long (too long), an `UnexpectedEof`
    //   otherwise ("the connection closed while reading {what}"). Return
    //   the line without `\n` and without a `\r` before it.
    todo!("step 5: one line of the chunked framing")
}
