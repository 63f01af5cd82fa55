//! The given parts of the two heads: the request's method and `User-Agent` (step 2), the response's
//! [`Head`] with its cap and the parsers of its status line and header lines (step 3), and the error kind
//! that says "the server broke the protocol". The same in the exercise and the solution; the book includes
//! its parts by their `ANCHOR` names.
// The line parsers are for step 3's `read_head`: unused until the exercise's version is written.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::io::{self, ErrorKind};

use shared::trace::Preview;

// ANCHOR: method
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
// ANCHOR_END: method

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
// ANCHOR_END: head

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

// ANCHOR: lines
/// `HTTP/1.1 200 OK` into its three parts.
pub(crate) fn parse_status_line(line: &[u8]) -> io::Result<(String, u16, String)> {
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
pub(crate) fn parse_header_line(line: &[u8]) -> io::Result<(String, String)> {
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
// ANCHOR_END: lines
