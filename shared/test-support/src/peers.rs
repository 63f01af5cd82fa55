use std::env;
use std::path::PathBuf;

/// A real program a test talks to, and the Debian package that installs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// `nc` from netcat-openbsd.
    Nc,
    /// `socat`.
    Socat,
    /// `curl`.
    Curl,
    /// `python3`.
    Python3,
    /// `iperf3`, the reference for loopback throughput.
    Iperf3,
}

impl Peer {
    /// The command's name.
    pub fn command(self) -> &'static str {
        match self {
            Peer::Nc => "nc",
            Peer::Socat => "socat",
            Peer::Curl => "curl",
            Peer::Python3 => "python3",
            Peer::Iperf3 => "iperf3",
        }
    }

    /// The Debian package that provides it.
    pub fn package(self) -> &'static str {
        match self {
            Peer::Nc => "netcat-openbsd",
            Peer::Socat => "socat",
            Peer::Curl => "curl",
            Peer::Python3 => "python3",
            Peer::Iperf3 => "iperf3",
        }
    }
}

/// Finds `peer` on the `PATH`.
///
/// When it is missing, the test should be skipped: this prints why and returns `None`. Under `CI=true` or
/// `REQUIRE_PEERS=1` a missing peer is a failure instead, so CI can never pass by skipping.
pub fn peer(peer: Peer) -> Option<PathBuf> {
    let found = env::var_os("PATH").and_then(|path| {
        env::split_paths(&path)
            .map(|dir| dir.join(peer.command()))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        let required = env::var("CI").is_ok_and(|v| v == "true")
            || env::var("REQUIRE_PEERS").is_ok_and(|v| v == "1");
        let install = format!("install it with `apt-get install {}`", peer.package());
        if required {
            panic!(
                "`{}` is required here (CI=true or REQUIRE_PEERS=1) but is not on the PATH: {install}",
                peer.command()
            );
        }
        eprintln!(
            "skipped: this test talks to `{}`, which is not installed; {install}",
            peer.command()
        );
    }
    found
}
