//! Where a body ends ([`Framing`], step 4) and [`copy_body`], which picks the copy the exercise writes for
//! each framing (steps 4 and 5). The same in the exercise and the solution; the book includes its parts by
//! their `ANCHOR` names.
// `fill` is for the copies of steps 4 and 5: unused until the exercise's versions are written.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::io::{self, BufRead, ErrorKind, Write};

use crate::imp::{copy_chunked, copy_exactly, copy_until_close};

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
// ANCHOR_END: framing

// ANCHOR: copy_body
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
pub(crate) fn fill(reader: &mut impl BufRead) -> io::Result<&[u8]> {
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
// ANCHOR_END: copy_body

// ANCHOR: max_chunk_line
/// The longest chunk-size line accepted (the size in hex, and extensions after `;`). Real ones are a few
/// bytes; the cap keeps a hostile server from making the client hold a line of gigabytes.
pub const MAX_CHUNK_LINE: usize = 4096;
// ANCHOR_END: max_chunk_line
