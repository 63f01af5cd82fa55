//! Lesson 07, your version. Replace each `todo!()` and run `cargo run -- check 7` after every step.
//! Stuck? `cargo run -- hint 7`. Lost? `cargo run -- reset 7` puts this file back as it was.
//!
//! Step 1 is [`write_frame`], step 2 [`read_frame`] (which [`FrameReader::read_frame`] calls), step 3
//! [`fill_until_blocked`], step 4 [`drain`]. The constants, [`FrameReader`] and its fields, [`Drained`] and
//! [`buffer_sizes`] are given, in `src/frame.rs` and `src/measure.rs`.
// Until you write the bodies, parameters and helpers are unused; this keeps the compiler quiet about it.
#![allow(unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;

use crate::{Drained, FrameReader, PREFIX_LEN};

/// Writes `payload` as one frame: its length (4 bytes, big-endian), then the bytes. A payload of 4 GiB
/// or more is an `InvalidInput` error, and nothing is written.
///
/// Two `write_all` calls: give it a `BufWriter` (and flush) so that they leave as one write; on a bare
/// `TcpStream` they are two system calls, and two small segments (see Nagle in the chapter).
pub fn write_frame(out: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    // TODO(step 1): the length first, as a `u32`:
    //   - `u32::try_from(payload.len())` fails for a payload of 4 GiB or more, whose length 4 bytes
    //     cannot hold. Turn that failure into `io::Error::new(ErrorKind::InvalidInput, ...)`
    //     (`map_err`), with a message that says how long the payload was; `as u32` would quietly cut
    //     the length instead;
    //   - its 4 bytes in network byte order: `to_be_bytes()` (big-endian: the most significant byte
    //     first, so 300 is 00 00 01 2C);
    //   - then `out.write_all(...)` the 4 bytes, and `out.write_all(payload)`. Not `write`: it may take
    //     only part of the bytes, and says how many.
    todo!("step 1: a 4-byte big-endian length, then the payload")
}

/// The next frame's bytes from `frames`, or `None` when the stream ends cleanly between two frames.
///
/// An end of stream inside a frame is an `UnexpectedEof` error, and a length over the cap is an
/// `InvalidData` error, found before anything is allocated. After an error the stream is no longer at a
/// frame boundary: close the connection.
pub fn read_frame<R: Read>(frames: &mut FrameReader<R>) -> io::Result<Option<Vec<u8>>> {
    // TODO(step 2): the 4 bytes of the length, into a `[0u8; PREFIX_LEN]`, with a loop around
    //   `frames.reader.read(&mut prefix[got..])`, counting the bytes `got` so far. A read may return
    //   fewer bytes than asked for (even 1), so keep reading until all 4 are there:
    //   - `Ok(0)` is the end of the stream. With no byte of this frame read yet, that is the clean
    //     end: `Ok(None)`. After 1 to 3 bytes, the peer stopped in the middle of a frame:
    //     `io::Error::new(ErrorKind::UnexpectedEof, ...)` with a message that says so, and how far it
    //     got. (`read_exact` cannot tell those two ends apart: both are its `UnexpectedEof`.)
    //   - an error of kind `ErrorKind::Interrupted` means "call again"; return any other error.
    // Then the length, `u32::from_be_bytes(prefix)`, as a `usize`:
    //   - over `frames.max_frame`, it is an `ErrorKind::InvalidData` error, returned BEFORE anything the
    //     size of the length is allocated: the length comes from the peer, and `FF FF FF FF` asks for
    //     4 GiB;
    //   - otherwise a `vec![0u8; len]` and `frames.reader.read_exact(...)` fill it, short reads and
    //     interruptions included. Its `UnexpectedEof` has a message that does not say where: replace
    //     it (`map_err`) with one that says the stream ended inside a frame of `len` bytes.
    //   Return `Ok(Some(payload))`.
    todo!("step 2: read one frame, whatever the reads return")
}

/// Writes to `stream`, without blocking, pieces of `piece` bytes until the kernel takes no more
/// (`WouldBlock`), and returns how many bytes it took. With a peer that does not read, that is what
/// fits in this side's send buffer and the peer's receive buffer: flow control at work. A `piece` of 0
/// is taken as 1.
///
/// The stream is back in blocking mode on return, error or not.
pub fn fill_until_blocked(stream: &TcpStream, piece: usize) -> io::Result<u64> {
    // TODO(step 3): a buffer of `piece` bytes (at least 1) to write again and again, and:
    //   - `stream.set_nonblocking(true)?`: from then on a `write` that finds no room returns at once
    //     with an error of kind `ErrorKind::WouldBlock`, instead of waiting for the peer to read;
    //   - a loop around `(&*stream).write(&data)` (`Write` is implemented for `&TcpStream`): `Ok(n)` adds
    //     `n` to the count, which may be less than `piece`; `WouldBlock` is the end: the buffers are
    //     full. `Interrupted` means "write again" (no test can provoke it here: the chapter says why);
    //     any other error ends the loop as an error (and
    //     `Ok(0)` as `ErrorKind::WriteZero`);
    //   - `stream.set_nonblocking(false)?` after the loop, whatever ended it: keep the loop's outcome in
    //     a variable (`break` can carry a value out of a `loop`) instead of returning from inside it with
    //     `?`, so that an error cannot skip this line.
    //   Return the count: how many bytes the kernel took, as a `u64`.
    todo!("step 3: write without blocking until the buffers are full")
}

/// Reads `input` to its end with a buffer of `buf_size` bytes, throwing the bytes away, and counts the
/// bytes and the reads. Each read returns what has arrived, at most the buffer's size. A `buf_size` of 0
/// is taken as 1.
pub fn drain(input: &mut impl Read, buf_size: usize) -> io::Result<Drained> {
    // TODO(step 4): a `vec![0u8; ...]` of `buf_size` bytes, at least 1 (a read into an empty buffer
    //   returns `Ok(0)` at once, which looks like the end of the stream), and a loop around
    //   `input.read(&mut buf)`, starting from `Drained::default()`:
    //   - `Ok(0)` is the end of the stream: return what was counted. It is not a read that returned
    //     bytes, so it does not count;
    //   - `Ok(n)`: `n` more bytes, and one more read. A read that returns less than the buffer holds is
    //     not the end: the next bytes may not have arrived yet;
    //   - `ErrorKind::Interrupted`: read again (it did not read anything); any other error is returned.
    todo!("step 4: read to the end, counting bytes and reads")
}
