//! Lesson 05, your version. Replace each `todo!()` and run `cargo run -- check 5` after every step.
//! Stuck? `cargo run -- hint 5`. Lost? `cargo run -- reset 5` puts this file back as it was.
//!
//! Step 1 is [`parse_url`] (and `split_host_port`), step 2 [`request_head`], step 3 [`read_head`] (and
//! `read_head_line`), step 4 [`framing`] and the body copies `copy_exactly` and `copy_until_close`, step 5
//! `copy_chunked` (and `read_chunk_line`). The rest is given, the same for you and for the solution: read
//! it first. `url.rs` has the [`Url`] and its errors, and `percent_encoded`; `head.rs` the [`Method`], the
//! [`Head`], its cap [`MAX_HEAD`], the status line and header line parsers and [`protocol_error`]; `body.rs`
//! the [`Framing`], [`copy_body`] (which picks your copy for each framing), `fill` and [`MAX_CHUNK_LINE`].
// Until you write the bodies, parameters and helpers are unused; this keeps the compiler quiet about it.
#![allow(unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::Ipv6Addr;

use shared::trace::Preview;

use crate::body::fill;
use crate::head::{parse_header_line, parse_status_line};
use crate::url::percent_encoded;
use crate::{
    Framing, Head, MAX_CHUNK_LINE, MAX_HEAD, Method, USER_AGENT, Url, UrlError, protocol_error,
};

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
    //   - a character of the target that is not visible ASCII (`!c.is_ascii_graphic()`: a space, a tab,
    //     a non-ASCII letter such as `é`) is a `UrlError::BadCharacter(message)`: `percent_encoded(c)`
    //     (given) says how to write it instead;
    //   - an `@` in the authority (`user@host`) is a `BadCharacter` too: check it before looking for the
    //     port, or `user:password@host` looks like a bad port;
    //   - `split_host_port(authority)?` (below) does the rest.
    todo!("step 1: take the URL apart")
}

/// Splits `host[:port]` or `[v6-address][:port]`.
fn split_host_port(authority: &str) -> Result<(String, u16), UrlError> {
    // TODO(step 1): two shapes:
    //   - `[::1]:8080`: `authority.strip_prefix('[')`, then `split_once(']')`; the host is inside the
    //     brackets (`parse::<Ipv6Addr>()` checks it), and what follows `]` is empty (no port) or `:` and
    //     the port; anything else (`[::1]x`) is `UrlError::BadPort(after.to_string())`;
    //   - `example.com:8080`: `split_once(':')`, or the whole authority is the host. Such a host is
    //     letters, digits, `-`, `.` and `_` only (`is_ascii_alphanumeric()` and those three): any other
    //     character (a tab, `ü`) is a `UrlError::BadCharacter(message)`.
    //   An empty host is `UrlError::NoHost`. No port (or `:` and nothing) means 80; otherwise
    //   `port.parse::<u16>()`, where an error, 0 or a character that is not a digit (`parse` accepts a
    //   leading `+`) is `UrlError::BadPort(port.to_string())`.
    todo!("step 1: split the host and the port")
}

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
    //   `Vec<u8>` (not `read_line` into a `String`, which fails on a header value that is not UTF-8),
    //   `\n` included, but never more than `budget` bytes (`read_until` alone would read on
    //   until it finds a `\n`, however far that is). It returns how many bytes it read: take them off the
    //   budget. Then, if the line does not end with `\n`:
    //   - no byte at all, with budget left: the end of the stream, `Ok(None)`;
    //   - the budget is used up: the head is too long, `Err(protocol_error(...))` (given);
    //   - otherwise the stream ended in the middle of the line: an `UnexpectedEof` error.
    //   Else remove the `\n`, and a `\r` before it if there is one (`pop`), and return `Ok(Some(line))`.
    todo!("step 3: one line of the head")
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
    //     `UntilClose` (`chunked, gzip` too: `contains("chunked")` would look in the wrong place);
    //   - every `Content-Length` (`head.headers_named("Content-Length")`): each must be digits only
    //     (`value.bytes().all(|b| b.is_ascii_digit())`: `value.parse::<u64>()` alone accepts `+3`) that
    //     parse as a `u64`, and all must be the same; otherwise `Err(protocol_error(...))`. The length
    //     found is `Length(n)`;
    //   - none of these: `UntilClose`.
    todo!("step 4: where the body ends")
}

/// Copies exactly `length` bytes, writing straight from the reader's buffer (no copy in between).
pub(crate) fn copy_exactly(
    reader: &mut impl BufRead,
    length: u64,
    out: &mut impl Write,
) -> io::Result<()> {
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
pub(crate) fn copy_until_close(reader: &mut impl BufRead, out: &mut impl Write) -> io::Result<u64> {
    // TODO(step 4): the same loop as `copy_exactly`, without a length: write and `consume` everything
    //   `fill(reader)?` gives until it is empty (the server closed the connection), and return how many
    //   bytes that was. (`io::copy(reader, out)` does this loop too.)
    todo!("step 4: copy until the server closes")
}

/// Copies a chunked body: each chunk is a line with its size in hexadecimal, the bytes, and `\r\n`; a
/// chunk of size 0 ends the body and is followed by optional trailer lines and an empty line. Returns the
/// number of bytes of body (the chunks' contents, without the framing).
pub(crate) fn copy_chunked(reader: &mut impl BufRead, out: &mut impl Write) -> io::Result<u64> {
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
