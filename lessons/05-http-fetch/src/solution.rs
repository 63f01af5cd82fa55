//! The reference solution of lesson 05: the functions the exercise's steps ask for. The types, constants
//! and small helpers they use are given, in `url.rs`, `head.rs` and `body.rs`. The book includes its parts
//! by their `ANCHOR` names.

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::Ipv6Addr;

use shared::trace::Preview;

use crate::body::fill;
use crate::head::{parse_header_line, parse_status_line};
use crate::url::percent_encoded;
use crate::{
    Framing, Head, MAX_CHUNK_LINE, MAX_HEAD, Method, USER_AGENT, Url, UrlError, protocol_error,
};

// ANCHOR: parse_url
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
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => split_bracketed(authority, bracketed)?,
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
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
    Ok((host.to_string(), parse_port(port)?))
}

/// `[::1]:8080` (`bracketed` is what follows the `[`): the IPv6 address, and the port if there is one.
fn split_bracketed<'a>(
    authority: &str,
    bracketed: &'a str,
) -> Result<(&'a str, Option<&'a str>), UrlError> {
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
        Some(port) => Ok((address, Some(port))),
        None if after.is_empty() => Ok((address, None)),
        None => Err(UrlError::BadPort(after.to_string())),
    }
}

/// The port after the colon: 80 when there is none, else a number from 1 to 65535, in digits only.
fn parse_port(port: Option<&str>) -> Result<u16, UrlError> {
    match port {
        // `http://host:/` is allowed and means the default port.
        None | Some("") => Ok(80),
        Some(port) => match port.parse::<u16>() {
            Ok(number) if number > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(number),
            _ => Err(UrlError::BadPort(port.to_string())),
        },
    }
}
// ANCHOR_END: parse_url

// ANCHOR: request
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

// ANCHOR: read_head
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
// ANCHOR_END: read_head

// ANCHOR: framing
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
/// Copies exactly `length` bytes, writing straight from the reader's buffer (no copy in between).
pub(crate) fn copy_exactly(
    reader: &mut impl BufRead,
    length: u64,
    out: &mut impl Write,
) -> io::Result<()> {
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
pub(crate) fn copy_until_close(reader: &mut impl BufRead, out: &mut impl Write) -> io::Result<u64> {
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
/// Copies a chunked body: each chunk is a line with its size in hexadecimal, the bytes, and `\r\n`; a
/// chunk of size 0 ends the body and is followed by optional trailer lines and an empty line. Returns the
/// number of bytes of body (the chunks' contents, without the framing).
pub(crate) fn copy_chunked(reader: &mut impl BufRead, out: &mut impl Write) -> io::Result<u64> {
    let mut total = 0u64;
    loop {
        let line = read_chunk_line(reader, "a chunk size, before the last chunk (size 0)")?;
        let size = chunk_size(&line)?;
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
    skip_trailers(reader)?;
    Ok(total)
}

/// The size a chunk-size line announces: hexadecimal digits, and an optional `;extension`.
fn chunk_size(line: &[u8]) -> io::Result<u64> {
    // `1a;name=value`: what follows `;` is an extension, which this client ignores.
    let digits = line.split(|b| *b == b';').next().unwrap_or_default();
    let digits = String::from_utf8_lossy(digits);
    let digits = digits.trim_matches([' ', '\t']);
    u64::from_str_radix(digits, 16)
        .ok()
        .filter(|_| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            protocol_error(format!(
                "bad chunk size line {} (a hexadecimal number is expected)",
                Preview(line)
            ))
        })
}

/// Trailers: header lines after the last chunk, up to an empty line. This client does not use them, but
/// it must read them to find the end; together they are capped like a head.
fn skip_trailers(reader: &mut impl BufRead) -> io::Result<()> {
    let mut trailers = 0;
    loop {
        let line = read_chunk_line(reader, "the trailers, before the empty line that ends them")?;
        if line.is_empty() {
            return Ok(());
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
