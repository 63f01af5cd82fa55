//! The reference solution of lesson 07. The book includes its parts by their `ANCHOR` names.

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;

use crate::{Drained, FrameReader, PREFIX_LEN};

// ANCHOR: frame
/// Writes `payload` as one frame: its length (4 bytes, big-endian), then the bytes. A payload of 4 GiB
/// or more is an `InvalidInput` error, and nothing is written.
///
/// Two `write_all` calls: give it a `BufWriter` (and flush) so that they leave as one write; on a bare
/// `TcpStream` they are two system calls, and two small segments (see Nagle in the chapter).
pub fn write_frame(out: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len()).map_err(|_| {
        io::Error::new(
            ErrorKind::InvalidInput,
            format!(
                "a frame of {} bytes does not fit a 4-byte length",
                payload.len()
            ),
        )
    })?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(payload)
}
// ANCHOR_END: frame

// ANCHOR: frame_reader
/// The next frame's bytes from `frames`, or `None` when the stream ends cleanly between two frames.
///
/// An end of stream inside a frame is an `UnexpectedEof` error, and a length over the cap is an
/// `InvalidData` error, found before anything is allocated. After an error the stream is no longer at a
/// frame boundary: close the connection.
pub fn read_frame<R: Read>(frames: &mut FrameReader<R>) -> io::Result<Option<Vec<u8>>> {
    let mut prefix = [0u8; PREFIX_LEN];
    // Not `read_exact` at once: an end of stream before the first byte is the clean end, and only the
    // first read can tell.
    let mut got = 0;
    while got < PREFIX_LEN {
        match frames.reader.read(&mut prefix[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!(
                        "the stream ended inside a frame's length ({got} of {PREFIX_LEN} bytes)"
                    ),
                ));
            }
            Ok(n) => got += n,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    let len = u32::from_be_bytes(prefix) as usize;
    if len > frames.max_frame {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!(
                "a frame of {len} bytes is over the limit of {} bytes",
                frames.max_frame
            ),
        ));
    }
    let mut payload = vec![0u8; len];
    frames.reader.read_exact(&mut payload).map_err(|err| {
        if err.kind() == ErrorKind::UnexpectedEof {
            io::Error::new(
                ErrorKind::UnexpectedEof,
                format!("the stream ended inside a frame of {len} bytes"),
            )
        } else {
            err
        }
    })?;
    Ok(Some(payload))
}
// ANCHOR_END: frame_reader

// ANCHOR: fill
/// Writes to `stream`, without blocking, pieces of `piece` bytes until the kernel takes no more
/// (`WouldBlock`), and returns how many bytes it took. With a peer that does not read, that is what
/// fits in this side's send buffer and the peer's receive buffer: flow control at work. A `piece` of 0
/// is taken as 1.
///
/// The stream is back in blocking mode on return, error or not.
pub fn fill_until_blocked(stream: &TcpStream, piece: usize) -> io::Result<u64> {
    let data = vec![0x55u8; piece.max(1)];
    stream.set_nonblocking(true)?;
    let mut taken = 0u64;
    let result = loop {
        match (&*stream).write(&data) {
            Ok(0) => break Err(io::Error::from(ErrorKind::WriteZero)),
            Ok(n) => taken += n as u64,
            Err(err) if err.kind() == ErrorKind::WouldBlock => break Ok(taken),
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => break Err(err),
        }
    };
    stream.set_nonblocking(false)?;
    result
}
// ANCHOR_END: fill

// ANCHOR: drain
/// Reads `input` to its end with a buffer of `buf_size` bytes, throwing the bytes away, and counts the
/// bytes and the reads. Each read returns what has arrived, at most the buffer's size. A `buf_size` of 0
/// is taken as 1.
pub fn drain(input: &mut impl Read, buf_size: usize) -> io::Result<Drained> {
    let mut buf = vec![0u8; buf_size.max(1)];
    let mut drained = Drained::default();
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(drained),
            Ok(n) => {
                drained.bytes += n as u64;
                drained.reads += 1;
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
}
// ANCHOR_END: drain
