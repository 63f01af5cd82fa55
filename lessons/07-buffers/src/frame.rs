//! The frame format and the reader's state: given code, the same in the exercise and the solution. The
//! book includes its parts by their `ANCHOR` names.
// Until your `read_frame` reads `max_frame`, the exercise build leaves it unused.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::io::{self, Read};

// ANCHOR: frame_format
/// How many bytes the length of a frame takes: 4, a `u32` in big-endian (network) byte order, so a frame
/// holds at most 4 GiB less one byte, far more than any reader should accept.
pub const PREFIX_LEN: usize = 4;

/// The largest frame a [`FrameReader`] accepts unless told otherwise: 1 MiB. The reader allocates the
/// frame's length before it reads the bytes, so without a cap a peer that sends `FF FF FF FF` would make
/// it allocate 4 GiB.
pub const DEFAULT_MAX_FRAME: usize = 1024 * 1024;
// ANCHOR_END: frame_format

// ANCHOR: frame_reader
/// Reads the frames [`write_frame`](crate::write_frame) wrote, one by one, whatever sizes the reads
/// return.
pub struct FrameReader<R> {
    /// Where the frames come from: a socket, or a `BufReader` around one.
    pub(crate) reader: R,
    /// The cap on a frame's length, checked before anything is allocated.
    pub(crate) max_frame: usize,
}

impl<R: Read> FrameReader<R> {
    /// A reader that refuses frames over `max_frame` bytes.
    pub fn new(reader: R, max_frame: usize) -> Self {
        FrameReader { reader, max_frame }
    }

    /// The next frame's bytes, or `None` when the stream ends cleanly between two frames. Yours:
    /// [`read_frame`](crate::read_frame), step 2.
    pub fn read_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        crate::read_frame(self)
    }

    /// The reader inside, e.g. to write a reply on the same stream.
    pub fn into_inner(self) -> R {
        self.reader
    }
}
// ANCHOR_END: frame_reader
