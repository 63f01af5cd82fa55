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

/// What to try when `bind` on `addr` failed with `err`: the message a server prints, with its advice.
///
/// ```
/// let err = std::io::Error::from(std::io::ErrorKind::AddrInUse);
/// let message = shared::bind_error_message("127.0.0.1:7878".parse().unwrap(), &err);
/// assert!(message.starts_with("binding 127.0.0.1:7878: "));
/// assert!(message.contains("--addr 127.0.0.1:0"));
/// ```
pub fn bind_error_message(addr: SocketAddr, err: &io::Error) -> String {
    let advice = match err.kind() {
        io::ErrorKind::AddrInUse => {
            "another program listens there: is an earlier server still running (`ss -ltnp` shows who listens on TCP, `ss -lunp` on UDP)? \
             Stop it, or pick another port with --addr 127.0.0.1:0"
        }
        io::ErrorKind::PermissionDenied => {
            "ports below 1024 need special privileges: use a port above 1024, like the default 7878"
        }
        io::ErrorKind::AddrNotAvailable => {
            "this machine has no such address: use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)"
        }
        _ => "check the address given with --addr",
    };
    format!("binding {addr}: {err} - {advice}")
}
