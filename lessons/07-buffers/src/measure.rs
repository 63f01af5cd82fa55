//! What the measuring functions return, and the buffers' sizes: given code, the same in the exercise and
//! the solution. The book includes its parts by their `ANCHOR` names.

use std::io;

use socket2::SockRef;

// ANCHOR: drained
/// What [`drain`](crate::drain) read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    /// Bytes read in all.
    pub bytes: u64,
    /// Calls to `read` that returned bytes (the last one, returning 0, is not counted).
    pub reads: u64,
}
// ANCHOR_END: drained

// ANCHOR: sizes
/// A socket's kernel buffers, as `getsockopt` reads them back: `(SO_SNDBUF, SO_RCVBUF)` in bytes.
pub fn buffer_sizes<'s>(socket: impl Into<SockRef<'s>>) -> io::Result<(usize, usize)> {
    let socket = socket.into();
    Ok((socket.send_buffer_size()?, socket.recv_buffer_size()?))
}
// ANCHOR_END: sizes
