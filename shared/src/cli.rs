//! The arguments every lesson program shares. Flatten them into a lesson's clap parser:
//!
//! ```
//! use clap::Parser;
//! use shared::cli::{ListenArgs, TraceArg};
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     listen: ListenArgs,
//!     #[command(flatten)]
//!     trace: TraceArg,
//! }
//!
//! let cli = Cli::parse_from(["server", "--addr", "127.0.0.1:0", "--trace"]);
//! assert_eq!(cli.listen.addr.port(), 0);
//! assert!(cli.trace.tracer().is_on());
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use crate::trace::Trace;

/// `--addr`: where a server listens.
#[derive(Args, Debug, Clone)]
pub struct ListenArgs {
    /// Address to listen on. Port 0 lets the kernel pick a free port (the `listening on` line says which).
    /// Loopback by default: other machines cannot connect. Use 0.0.0.0:PORT to accept them too.
    #[arg(long, value_name = "IP:PORT", value_parser = parse_listen_addr,
          default_value_t = SocketAddr::from(([127, 0, 0, 1], crate::DEFAULT_PORT)))]
    pub addr: SocketAddr,
}

/// `--trace`: print every socket event on stderr.
#[derive(Args, Debug, Clone, Copy)]
pub struct TraceArg {
    /// Print each socket call and what it did (connect or accept, read or receive N bytes, write or send N
    /// bytes, shutdown, close) on stderr, one line each.
    #[arg(long)]
    pub trace: bool,
}

impl TraceArg {
    /// The tracer this flag asks for: on (to stderr) or off.
    pub fn tracer(self) -> Trace {
        if self.trace {
            Trace::stderr()
        } else {
            Trace::off()
        }
    }
}

/// Parses `--addr`: an IP address and a port, with an error that says what to write.
///
/// A listening socket binds to an address of this machine, so a host name is refused rather than resolved:
/// `localhost` could mean `127.0.0.1` or `::1`, and a server must say which.
pub fn parse_listen_addr(text: &str) -> Result<SocketAddr, String> {
    text.trim().parse().map_err(|_| {
        format!(
            "`{text}` is not IP:PORT; write an IP address and a port like 127.0.0.1:7878, [::1]:7878 or \
             0.0.0.0:7878 (all interfaces), with a port from 0 (the kernel picks one) to 65535; host names \
             such as localhost are not accepted here"
        )
    })
}

/// Parses a duration given on the command line: `250ms`, `2s`, or a number of seconds (`1.5`).
///
/// Use it as `#[arg(long, value_parser = shared::cli::parse_duration)]`. Zero is refused: a zero socket
/// timeout is an error in std (it would otherwise mean "no timeout at all", the opposite of what was asked).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write it like 250ms, 2s or 1.5"))?;
    let duration = Duration::try_from_secs_f64(value * scale)
        .map_err(|_| format!("`{text}` is not a duration between 1ms and a few years"))?;
    if duration < Duration::from_millis(1) {
        return Err(format!(
            "`{text}` is too short: a timeout must be at least 1ms"
        ));
    }
    Ok(duration)
}

/// Makes the program end quietly when the reader of its standard output goes away, as in
/// `buffers sizes | head -3`: call it first thing in `main`.
///
/// A C program is killed by `SIGPIPE` there, silently. Rust ignores that signal, so the next `println!`
/// fails, and `println!` panics on failure: "failed printing to stdout: Broken pipe", with a backtrace
/// hint, for what is not an error at all. This panic hook turns that one panic into a quiet exit with
/// status 141, the status a shell shows for a program ended by `SIGPIPE`; any other panic is reported
/// as before.
pub fn exit_quietly_on_broken_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        report(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_are_ip_and_port() {
        assert_eq!(
            parse_listen_addr("127.0.0.1:0"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 0)))
        );
        assert!(parse_listen_addr("[::1]:7878").is_ok());
        for bad in ["localhost:7878", "7878", "127.0.0.1:99999", "127.0.0.1"] {
            let err = parse_listen_addr(bad).expect_err(bad);
            assert!(err.contains("127.0.0.1:7878"), "{err}");
        }
    }

    #[test]
    fn durations_in_three_spellings() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn zero_negative_and_nonsense_are_refused() {
        for bad in ["0", "0ms", "-1", "soon", "", "1e400"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
