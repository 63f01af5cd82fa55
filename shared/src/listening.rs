use std::io::{self, Write};
use std::net::SocketAddr;

/// What a server prints before its address, as the first line on stdout.
pub const LISTENING_PREFIX: &str = "listening on ";

/// Prints `listening on ADDR` on stdout and flushes it.
///
/// Call it once the listener is bound, with `listener.local_addr()`, never with the address you asked for:
/// with `--addr 127.0.0.1:0` the kernel picks the port, and only the bound socket knows which. Tests and
/// people wait for this line instead of sleeping, so it must be flushed at once (stdout is line-buffered on
/// a terminal but block-buffered in a pipe).
pub fn announce_listening(addr: SocketAddr) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{LISTENING_PREFIX}{addr}")?;
    out.flush()
}
