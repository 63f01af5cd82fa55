//! What a URL is once taken apart, and what can be wrong with one: given code, the same in the exercise
//! and the solution. Step 1's [`parse_url`](crate::parse_url) fills these in. The book includes its parts by
//! their `ANCHOR` names.
// `percent_encoded` is for step 1's error message: unused until the exercise's `parse_url` is written.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::fmt;

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
// ANCHOR_END: url

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

// ANCHOR: host_header
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
// ANCHOR_END: host_header

impl fmt::Display for Url {
    /// The URL written back in full: `http://host:port/target`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.target)
    }
}

/// `%20` for a space: what a character becomes in a URL.
pub(crate) fn percent_encoded(c: char) -> String {
    let mut utf8 = [0u8; 4];
    c.encode_utf8(&mut utf8)
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect()
}
