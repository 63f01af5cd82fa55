//! The reference solution of lesson 05. The book includes its parts by their `ANCHOR` names.

use std::fmt;
use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::Ipv6Addr;

use shared::trace::Preview;

// ANCHOR: url
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
    let text = text.trim();
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(UrlError::NotHttp(String::new()));
    };
    if scheme.eq_ignore_ascii_case("https") {
        return Err(UrlError::Https);
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(UrlError::NotHttp(scheme.to_string()));
    }
    // The authority (host and port) ends where the path, the query or the fragment begins.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(end);
    let target = rest.split('#').next().unwrap_or_default();
    let target = match target.strip_prefix('?') {
        Some(_) => format!("/{target}"),
        None if target.is_empty() => "/".to_string(),
        None => target.to_string(),
    };
    if let Some(bad) = target.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(UrlError::BadCharacter(format!(
            "{bad:?} cannot go into a request line as it is: percent-encode it ({}), as a browser does",
            percent_encoded(bad)
        )));
    }
    if authority.contains('@') {
        return Err(UrlError::BadCharacter(
            "user names and passwords in URLs (`user@host`) are not supported here".into(),
        ));
    }
    let (host, port) = split_host_port(authority)?;
    Ok(Url { host, port, target })
}

/// Splits `host[:port]` or `[v6-address][:port]`.
fn split_host_port(authority: &str) -> Result<(String, u16), UrlError> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (address, after) = bracketed.split_once(']').ok_or_else(|| {
            UrlError::BadCharacter(format!(
                "`{authority}`: the `[` of an IPv6 address has no `]` to close it"
            ))
        })?;
        if address.parse::<Ipv6Addr>().is_err() {
            return Err(UrlError::BadCharacter(format!(
                "`[{address}]` is not an IPv6 address"
            )));
        }
        match after.strip_prefix(':') {
            Some(port) => (address, Some(port)),
            None if after.is_empty() => (address, None),
            None => return Err(UrlError::BadPort(after.to_string())),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    if !authority.starts_with('[')
        && let Some(bad) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
    {
        return Err(UrlError::BadCharacter(format!(
            "{bad:?} cannot be in a host name: letters, digits, `-` and `.` only (an IPv6 address goes \
             in [brackets])"
        )));
    }
    let port = match port {
        // `http://host:/` is allowed and means the default port.
        None | Some("") => 80,
        Some(port) => match port.parse::<u16>() {
            Ok(number) if number > 0 && port.bytes().all(|b| b.is_ascii_digit()) => number,
            _ => return Err(UrlError::BadPort(port.to_string())),
        },
    };
    Ok((host.to_string(), port))
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
// ANCHOR_END: url

// ANCHOR: request
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
    format!(
        "{method} {target} HTTP/1.1\r\n\
         Host: {host}\r\n\
         User-Agent: {USER_AGENT}\r\n\
         Accept: */*\r\n\
         Connection: close\r\n\
         \r\n",
        method = method.as_str(),
        target = url.target,
        host = url.host_header(),
    )
    .into_bytes()
}
// ANCHOR_END: request

// ANCHOR: head
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
    let mut budget = MAX_HEAD;
    let status_line = match read_head_line(reader, &mut budget)? {
        Some(line) => line,
        None => {
            return Err(io::Error::new(
                ErrorKind::UnexpectedEof,
                "the server closed the connection without sending a response",
            ));
        }
    };
    let (version, status, reason) = parse_status_line(&status_line)?;
    let mut headers = Vec::new();
    loop {
        let line = read_head_line(reader, &mut budget)?.ok_or_else(|| {
            io::Error::new(
                ErrorKind::UnexpectedEof,
                "the connection closed in the middle of the headers, before the blank line that ends \
                 them",
            )
        })?;
        if line.is_empty() {
            break;
        }
        headers.push(parse_header_line(&line)?);
    }
    Ok(Head {
        version,
        status,
        reason,
        headers,
    })
}

/// Reads one line of the head, without its line ending; `None` at end of stream before any byte of it.
/// `budget` is what is left of [`MAX_HEAD`].
fn read_head_line(reader: &mut impl BufRead, budget: &mut usize) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    // `take` stops `read_until` at the budget even if no `\n` ever comes.
    let n = reader.take(*budget as u64).read_until(b'\n', &mut line)?;
    *budget -= n;
    if line.last() != Some(&b'\n') {
        if n == 0 && *budget > 0 {
            return Ok(None);
        }
        if *budget == 0 {
            return Err(protocol_error(format!(
                "the response head is over {} KiB without the blank line that ends it (the limit, \
                 MAX_HEAD)",
                MAX_HEAD / 1024
            )));
        }
        return Err(io::Error::new(
            ErrorKind::UnexpectedEof,
            format!(
                "the connection closed in the middle of a line of the response head: {}",
                Preview(&line)
            ),
        ));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(line))
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
// ANCHOR_END: head

// ANCHOR: framing
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
    if method == Method::Head || head.status / 100 == 1 || head.status == 204 || head.status == 304
    {
        return Ok(Framing::NoBody);
    }
    if let Some(encodings) = head.header("Transfer-Encoding") {
        // Chunked must be the last encoding; anything else (say, gzip alone) ends with the connection.
        let last = encodings.rsplit(',').next().unwrap_or_default().trim();
        return Ok(if last.eq_ignore_ascii_case("chunked") {
            Framing::Chunked
        } else {
            Framing::UntilClose
        });
    }
    let mut length = None;
    // `Content-Length: 5, 5` and two `Content-Length: 5` lines are the same length said twice.
    for value in head
        .headers_named("Content-Length")
        .flat_map(|v| v.split(','))
    {
        let value = value.trim();
        let parsed = value
            .parse::<u64>()
            .ok()
            .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| protocol_error(format!("Content-Length `{value}` is not a number")))?;
        match length {
            Some(earlier) if earlier != parsed => {
                return Err(protocol_error(format!(
                    "the response has two different Content-Length values, {earlier} and {parsed}"
                )));
            }
            _ => length = Some(parsed),
        }
    }
    Ok(length.map_or(Framing::UntilClose, Framing::Length))
}
// ANCHOR_END: framing

// ANCHOR: body
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
    let mut left = length;
    while left > 0 {
        let ready = fill(reader)?;
        if ready.is_empty() {
            return Err(io::Error::new(
                ErrorKind::UnexpectedEof,
                format!(
                    "the connection closed after {} of the {length} bytes announced",
                    length - left
                ),
            ));
        }
        let n = ready.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        out.write_all(&ready[..n])?;
        reader.consume(n);
        left -= n as u64;
    }
    Ok(())
}

/// Copies everything until the server closes the connection.
fn copy_until_close(reader: &mut impl BufRead, out: &mut impl Write) -> io::Result<u64> {
    let mut total = 0;
    loop {
        let ready = fill(reader)?;
        if ready.is_empty() {
            return Ok(total);
        }
        let n = ready.len();
        out.write_all(ready)?;
        reader.consume(n);
        total += n as u64;
    }
}
// ANCHOR_END: body

// ANCHOR: chunked
/// The longest chunk-size line accepted (the size in hex, and extensions after `;`). Real ones are a few
/// bytes; the cap keeps a hostile server from making the client hold a line of gigabytes.
pub const MAX_CHUNK_LINE: usize = 4096;

/// Copies a chunked body: each chunk is a line with its size in hexadecimal, the bytes, and `\r\n`; a
/// chunk of size 0 ends the body and is followed by optional trailer lines and an empty line. Returns the
/// number of bytes of body (the chunks' contents, without the framing).
fn copy_chunked(reader: &mut impl BufRead, out: &mut impl Write) -> io::Result<u64> {
    let mut total = 0u64;
    loop {
        let line = read_chunk_line(reader, "a chunk size, before the last chunk (size 0)")?;
        // `1a;name=value`: what follows `;` is an extension, which this client ignores.
        let digits = line.split(|b| *b == b';').next().unwrap_or_default();
        let digits = String::from_utf8_lossy(digits);
        let digits = digits.trim_matches([' ', '\t']);
        let size = u64::from_str_radix(digits, 16)
            .ok()
            .filter(|_| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| {
                protocol_error(format!(
                    "bad chunk size line {} (a hexadecimal number is expected)",
                    Preview(&line)
                ))
            })?;
        if size == 0 {
            break;
        }
        copy_exactly(reader, size, out)?;
        total += size;
        // Each chunk's data is followed by a line ending, which must be there and be empty.
        let end = read_chunk_line(reader, "the end of a chunk, before the last chunk (size 0)")?;
        if !end.is_empty() {
            return Err(protocol_error(format!(
                "a chunk of {size} bytes is followed by {} instead of \\r\\n: the size was wrong",
                Preview(&end)
            )));
        }
    }
    // Trailers: header lines after the last chunk, up to an empty line. This client does not use them, but
    // it must read them to find the end; together they are capped like a head.
    let mut trailers = 0;
    loop {
        let line = read_chunk_line(reader, "the trailers, before the empty line that ends them")?;
        if line.is_empty() {
            return Ok(total);
        }
        trailers += line.len();
        if trailers > MAX_HEAD {
            return Err(protocol_error(format!(
                "the trailers are over {} KiB (the limit, MAX_HEAD)",
                MAX_HEAD / 1024
            )));
        }
    }
}

/// Reads one line of the chunked framing, without its line ending; `what` says which, and what has not
/// come yet, for errors.
fn read_chunk_line(reader: &mut impl BufRead, what: &str) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    reader
        .take(MAX_CHUNK_LINE as u64)
        .read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        if line.len() >= MAX_CHUNK_LINE {
            return Err(protocol_error(format!(
                "the line for {what} is over {MAX_CHUNK_LINE} bytes (the limit, MAX_CHUNK_LINE)"
            )));
        }
        return Err(io::Error::new(
            ErrorKind::UnexpectedEof,
            format!("the connection closed while reading {what}"),
        ));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}
// ANCHOR_END: chunked
