//! `HOST:PORT`, the one way every client program of the course is told where its server is: the form a
//! server prints in its `listening on 127.0.0.1:7878` line, so it can be pasted as it is.

use std::fmt;
use std::io;
use std::net::{Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::str::FromStr;

/// Where a client connects: a host (a name such as `localhost`, or an IP address) and a port.
///
/// Written `HOST:PORT`: `127.0.0.1:7878`, `localhost:7878`, and an IPv6 address in brackets,
/// `[::1]:7878` (its own colons would otherwise run into the port's). Use it as a clap argument:
///
/// ```
/// use shared::ServerAddr;
///
/// let server: ServerAddr = "[::1]:7878".parse().unwrap();
/// assert_eq!((server.host.as_str(), server.port), ("::1", 7878));
/// assert_eq!(server.to_string(), "[::1]:7878");
/// assert!("127.0.0.1 7878".parse::<ServerAddr>().unwrap_err().contains("127.0.0.1:7878"));
/// ```
///
/// The host is only checked for its shape here; whether it exists is known once it is resolved, when the
/// program runs ([`ServerAddr::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddr {
    /// The host, without brackets: `localhost`, `127.0.0.1`, `::1`.
    pub host: String,
    /// The port, 1 to 65535 (port 0 means "any port" to `bind`, and no server can be reached there).
    pub port: u16,
}

/// How to write a server, for error messages.
const HOW: &str =
    "write HOST:PORT, the way servers print it: 127.0.0.1:7878, localhost:7878 or [::1]:7878";

impl ServerAddr {
    /// A host and a port given separately (`basic-client 127.0.0.1 7878`); brackets around an IPv6 host
    /// are optional here.
    pub fn from_parts(host: &str, port: u16) -> Result<ServerAddr, String> {
        let host = host.trim();
        let host = host
            .strip_prefix('[')
            .and_then(|inner| inner.strip_suffix(']'))
            .unwrap_or(host);
        check_host(host, host)?;
        check_port(port)?;
        Ok(ServerAddr {
            host: host.to_string(),
            port,
        })
    }

    /// Every address the host resolves to (DNS, `/etc/hosts`), in the order the system gives them: a name
    /// may have several, IPv6 and IPv4, and a client tries each in turn.
    pub fn resolve(&self) -> io::Result<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port).to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} has no address", self.host),
            ));
        }
        Ok(addrs)
    }
}

impl FromStr for ServerAddr {
    type Err = String;

    fn from_str(text: &str) -> Result<ServerAddr, String> {
        let text = text.trim();
        if text.split_whitespace().count() == 2 {
            let joined = text.split_whitespace().collect::<Vec<_>>().join(":");
            return Err(format!(
                "`{text}` has a space where the colon goes: {HOW} ({joined})"
            ));
        }
        if text.contains("://") {
            return Err(format!(
                "`{text}` looks like a URL: {HOW} (no scheme, no path)"
            ));
        }
        if text.parse::<Ipv6Addr>().is_ok() {
            return Err(format!(
                "`{text}` reads as an IPv6 address with no port: an IPv6 address goes in brackets, before its \
                 port, as in [::1]:7878"
            ));
        }
        let Some((host, port)) = text.rsplit_once(':') else {
            return Err(format!("`{text}` has no port: {HOW}"));
        };
        let host = match host.strip_prefix('[') {
            Some(inner) => inner
                .strip_suffix(']')
                .ok_or_else(|| format!("`{text}` opens a [ it does not close: {HOW}"))?,
            None if host.contains(':') => {
                return Err(format!("`{text}`: an IPv6 address goes in brackets: {HOW}"));
            }
            None => host,
        };
        check_host(host, text)?;
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("`{port}` is not a port (1 to 65535): {HOW}"))?;
        check_port(port)?;
        Ok(ServerAddr {
            host: host.to_string(),
            port,
        })
    }
}

/// A host is a name or an address: not empty, no spaces, no slashes (`http://` belongs to a URL).
fn check_host(host: &str, text: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err(format!("`{text}` has no host: {HOW}"));
    }
    if host.contains("//") || host.contains('/') {
        return Err(format!(
            "`{text}` looks like a URL: {HOW} (no scheme, no path)"
        ));
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{text}` has a space or a control character in its host: {HOW}"
        ));
    }
    Ok(())
}

fn check_port(port: u16) -> Result<(), String> {
    if port == 0 {
        return Err(
            "`0` is not a port to connect to: port 0 only means \"any free port\" to a server's bind; use \
             the port the server printed (`listening on ...`)"
                .to_string(),
        );
    }
    Ok(())
}

impl fmt::Display for ServerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> (String, u16) {
        let addr: ServerAddr = text.parse().unwrap_or_else(|err| panic!("{text}: {err}"));
        (addr.host, addr.port)
    }

    #[test]
    fn host_and_port_in_the_three_shapes() {
        assert_eq!(parsed("127.0.0.1:7878"), ("127.0.0.1".into(), 7878));
        assert_eq!(parsed("localhost:80"), ("localhost".into(), 80));
        assert_eq!(parsed("[::1]:7878"), ("::1".into(), 7878));
        assert_eq!(parsed(" example.org:8080 "), ("example.org".into(), 8080));
    }

    #[test]
    fn every_mistake_says_how_to_write_it() {
        for (bad, says) in [
            ("127.0.0.1", "has no port"),
            ("127.0.0.1 7878", "127.0.0.1:7878"),
            ("::1", "[::1]:7878"),
            ("::1:7878", "brackets"),
            ("[::1:7878", "does not close"),
            (":7878", "no host"),
            ("localhost:http", "not a port"),
            ("localhost:99999", "not a port"),
            ("127.0.0.1:0", "`0` is not a port"),
            ("http://localhost:7878", "URL"),
            ("", "no port"),
        ] {
            let err = bad.parse::<ServerAddr>().expect_err(bad);
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }

    #[test]
    fn parts_and_display_round_trip() {
        let v6 = ServerAddr::from_parts("[::1]", 7878).unwrap();
        assert_eq!(v6, ServerAddr::from_parts("::1", 7878).unwrap());
        assert_eq!(v6.to_string().parse::<ServerAddr>().unwrap(), v6);
        assert_eq!(
            ServerAddr::from_parts("localhost", 7878)
                .unwrap()
                .to_string(),
            "localhost:7878"
        );
        assert!(ServerAddr::from_parts("localhost", 0).is_err());
    }

    #[test]
    fn loopback_resolves() {
        let addrs = "127.0.0.1:7878"
            .parse::<ServerAddr>()
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(addrs, [SocketAddr::from(([127, 0, 0, 1], 7878))]);
    }
}
