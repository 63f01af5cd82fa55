//! iperf3 in the same run as the table: its server and client on loopback, and what its client measured.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

/// Runs iperf3's server and client on loopback and returns what the client measured, in MB/s.
pub fn iperf3(seconds: u32) -> Result<f64> {
    // Another program may take the free port between our look and iperf3's bind: try a few ports.
    let (mut server, port) = (0..3)
        .find_map(|_| start_iperf3_server().transpose())
        .context("iperf3 -s did not start listening on any of 3 free ports")??;
    let output = Command::new("iperf3")
        .args([
            "-c",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            &seconds.to_string(),
            // A server that does not answer fails the run in 3 s instead of hanging it.
            "--connect-timeout",
            "3000",
            "-J",
        ])
        .output()
        .context("running `iperf3 -c`")?;
    let _ = server.kill();
    let _ = server.wait();
    let json = String::from_utf8_lossy(&output.stdout);
    received_bits_per_second(&json)
        .map(|bits| bits / 8.0 / 1e6)
        .with_context(|| format!("no sum_received in iperf3's output:\n{json}"))
}

/// `end.sum_received.bits_per_second` from iperf3's JSON, read without a JSON parser: the number after
/// the first `"bits_per_second":` that follows `"sum_received"`.
fn received_bits_per_second(json: &str) -> Option<f64> {
    let after = &json[json.find("\"sum_received\"")?..];
    let after = &after[after.find("\"bits_per_second\"")? + "\"bits_per_second\"".len()..];
    let number: String = after
        .trim_start_matches([':', ' ', '\t'])
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        .collect();
    number.parse().ok()
}

/// Starts `iperf3 -s` for one test on a free port of 127.0.0.1, and waits until it listens; `None` when it
/// ended without listening (the port was taken meanwhile).
fn start_iperf3_server() -> Result<Option<(std::process::Child, u16)>> {
    // A free port: bound by the kernel's choice, then let go for iperf3 (which takes a port number).
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut server = Command::new("iperf3")
        // --forceflush: iperf3's stdout is a pipe here, which it would otherwise buffer, "listening" too.
        .args([
            "-s",
            "-1",
            "-B",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--forceflush",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting `iperf3 -s` (is iperf3 installed? apt-get install iperf3)")?;
    let mut lines = BufReader::new(server.stdout.take().expect("piped")).lines();
    // iperf3 prints "Server listening" once it has called listen(): a connect works from then on. (No
    // probe connection: with -1 the server would take it for its one client.) It exits at once when its
    // bind fails, which ends the lines.
    let ready = lines
        .by_ref()
        .any(|line| line.is_ok_and(|l| l.contains("listening")));
    if !ready {
        let _ = server.kill();
        let _ = server.wait();
        return Ok(None);
    }
    Ok(Some((server, port)))
}

#[cfg(test)]
mod tests {
    use super::received_bits_per_second;

    #[test]
    fn the_received_throughput_is_found_in_iperf3_json() {
        let json = r#"{"end": {"sum_sent": {"bits_per_second": 1.5e10}, "sum_received": {"seconds": 3, "bits_per_second": 29812345678.5}}}"#;
        assert_eq!(received_bits_per_second(json), Some(29812345678.5));
        assert_eq!(received_bits_per_second("{}"), None);
    }
}
