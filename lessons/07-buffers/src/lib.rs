//! # Lesson 07: buffers, framing and flow control, measured
//!
//! **Goal**: see what happens between a `write` and the other side's `read`. The kernel keeps a send
//! buffer on one side and a receive buffer on the other; `write` returns once the bytes are in the first,
//! and `read` returns whatever has reached the second. So reads cut and merge messages as they please, a
//! sender whose peer does not read ends up blocked (never losing data), and the size of the buffers you
//! pass decides how many system calls a transfer costs.
//!
//! **Concepts**, in the order of the exercise steps:
//! 1. [`write_frame`]: a message boundary the reader can find again, a length before the bytes (the
//!    other way, a delimiter, is lesson 02's `read_line`).
//! 2. [`read_frame`], behind [`FrameReader::read_frame`]: reading one frame back whatever the reads
//!    return, telling a clean end of stream from one in the middle of a frame, and refusing a length over
//!    the cap before allocating.
//! 3. [`fill_until_blocked`]: flow control, measured: non-blocking writes to a peer that does not read
//!    succeed until the buffers are full, then `WouldBlock`; nothing is lost.
//! 4. [`drain`]: a read returns what has arrived, up to the buffer's size: counting reads shows the cost
//!    of a small buffer.
//!
//! **Left out on purpose**: the congestion window and the network between two machines (on loopback
//! there is none), zero-copy (`sendfile`, `splice`, `MSG_ZEROCOPY`), and async I/O.
//!
//! The program is `src/bin/buffers/` (`cargo run -q -p buffers -- --help`), one file per subcommand:
//! `sizes`, `fill`, `split`, `receive` (a peer for your own sender, in Python or anything else), and
//! `bench` (the benchmark, its chart and iperf3, in `bench.rs` and `bench/`, apart from the lesson). Your code goes in `src/exercise.rs` and is checked by
//! `cargo run -- check 7`.

// Given: the frame format, the frame reader's state, what `drain` counts and the buffers' sizes,
// compiled in both builds.
mod frame;
mod measure;
pub use frame::*;
pub use measure::*;

// `cargo run -- check 7` builds the library from your exercise; every other build uses the solution.
#[cfg_attr(feature = "exercise", path = "exercise.rs")]
#[cfg_attr(not(feature = "exercise"), path = "solution.rs")]
mod imp;

pub use imp::*;
