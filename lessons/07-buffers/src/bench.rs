//! `buffers bench`: bulk transfers over loopback with application buffers from 1 byte to 1 MiB, the
//! cost of small round trips with and without TCP_NODELAY, and iperf3 in the same run.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use buffers::drain;
use clap::Args;

use crate::{chart, loopback_pair};

#[derive(Args)]
pub struct BenchArgs {
    /// The most MiB each setting moves. Small buffers move less (see --max-writes and the "MB moved"
    /// column), so that they finish in seconds.
    #[arg(long, value_name = "MIB", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..=65536))]
    mib: u64,
    /// The most system calls `write` each setting makes: a 1-byte buffer moves this many bytes.
    #[arg(long, value_name = "COUNT", default_value_t = 1 << 20,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_writes: u64,
    /// Each setting runs this many times; the table shows the best run.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    rounds: u32,
    /// Also draw the table as a bar chart, to this SVG file.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Instead of bulk transfers: small request/response round trips with and without TCP_NODELAY.
    #[arg(long, conflicts_with_all = ["svg", "iperf3", "mib", "max_writes", "rounds"])]
    nodelay: bool,
    /// Also run `iperf3 -c 127.0.0.1` against `iperf3 -s`, and compare it with the best setting.
    #[arg(long)]
    iperf3: bool,
    /// How long each iperf3 run lasts, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=60))]
    iperf3_time: u32,
}

/// One bulk setting: how the sender writes and the receiver reads.
#[derive(Clone, Copy)]
struct Setting {
    name: &'static str,
    /// The size of each `write` the application makes.
    piece: usize,
    /// The receiver's read buffer.
    read_buffer: usize,
    /// The writes go through a `BufWriter` of this size.
    buf_writer: Option<usize>,
}

const SETTINGS: [Setting; 9] = [
    Setting::plain("1 B", 1),
    Setting::plain("16 B", 16),
    Setting::plain("256 B", 256),
    Setting::plain("4 KiB", 4 << 10),
    Setting::plain("64 KiB", 64 << 10),
    // iperf3's own size: its -l defaults to 128 KiB for TCP.
    Setting::plain("128 KiB", 128 << 10),
    Setting::plain("256 KiB", 256 << 10),
    Setting::plain("1 MiB", 1 << 20),
    Setting {
        name: "1 B into BufWriter (8 KiB)",
        piece: 1,
        read_buffer: 8 << 10,
        buf_writer: Some(8 << 10),
    },
];

impl Setting {
    const fn plain(name: &'static str, size: usize) -> Setting {
        Setting {
            name,
            piece: size,
            read_buffer: size,
            buf_writer: None,
        }
    }
}

/// What one run of a setting measured.
#[derive(Clone, Copy)]
struct Measured {
    bytes: u64,
    seconds: f64,
    writes: u64,
    reads: u64,
}

impl Measured {
    fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds
    }
}

/// A writer that counts the calls that reach the socket.
struct Counting<W> {
    inner: W,
    writes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

pub fn run(args: &BenchArgs) -> Result<()> {
    if args.nodelay {
        return nodelay();
    }
    // What could fail at the end is checked first, not after a minute of measuring.
    if let Some(folder) = args.svg.as_ref().and_then(|path| path.parent())
        && !folder.as_os_str().is_empty()
        && !folder.is_dir()
    {
        bail!("--svg: the folder {} does not exist", folder.display());
    }
    if args.iperf3 {
        Command::new("iperf3")
            .arg("--version")
            .output()
            .context("--iperf3: iperf3 is not installed (sudo apt-get install iperf3)")?;
    }
    if cfg!(debug_assertions) {
        println!(
            "Note: this is a debug build, which measures the debug build: for real figures, run it with \
             cargo run --release.\n"
        );
    }
    println!(
        "Bulk transfer over loopback, one connection, best of {} run(s); each write is followed by \
         the next at once. MB = 10^6 bytes.\n",
        args.rounds
    );
    println!("| application buffer | MB moved | MB/s | writes | reads | system calls per MB |");
    println!("|---|--:|--:|--:|--:|--:|");
    let mut rows = Vec::new();
    for setting in SETTINGS {
        // At most --max-writes system calls, so that the 1-byte rows take seconds, not minutes; behind a
        // BufWriter, its 1-byte `write_all` calls (no system call each, but not free) stop at 64 MiB.
        let calls_size = setting.buf_writer.unwrap_or(setting.piece) as u64;
        let mut bytes = (args.mib << 20).min(calls_size.saturating_mul(args.max_writes));
        if setting.buf_writer.is_some() {
            bytes = bytes.min(64 << 20);
        }
        let mut best: Option<Measured> = None;
        for _ in 0..args.rounds {
            let run = transfer(setting, bytes)?;
            if best.is_none_or(|b| run.mb_per_s() > b.mb_per_s()) {
                best = Some(run);
            }
        }
        let best = best.expect("at least one round");
        let calls_per_mb = (best.writes + best.reads) as f64 / (best.bytes as f64 / 1e6);
        println!(
            "| {} | {:.0} | {} | {} | {} | {:.0} |",
            setting.name,
            best.bytes as f64 / 1e6,
            rate(best.mb_per_s()),
            best.writes,
            best.reads,
            calls_per_mb
        );
        rows.push((setting.name.to_string(), best.mb_per_s()));
    }

    if args.iperf3 {
        let (name, ours) = rows
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .cloned()
            .expect("rows");
        // Best of as many runs as the settings had, like them.
        let mut theirs = 0f64;
        for _ in 0..args.rounds {
            theirs = theirs.max(iperf3(args.iperf3_time).context("running iperf3")?);
        }
        println!("\n| client | MB/s |\n|---|--:|");
        println!("| buffers bench, {name} | {ours:.0} |");
        println!(
            "| iperf3 -c 127.0.0.1 -t {} (best of {}) | {theirs:.0} |",
            args.iperf3_time, args.rounds
        );
        println!("\nbuffers bench (best) / iperf3: {:.2}", ours / theirs);
        rows.push((format!("iperf3 -t {}", args.iperf3_time), theirs));
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, chart::bars(&rows))
            .with_context(|| format!("writing {}", path.display()))?;
        println!("\nchart written to {}", path.display());
    }
    Ok(())
}

/// Moves `bytes` from a sender thread to this thread as `setting` says, and times it.
fn transfer(setting: Setting, bytes: u64) -> Result<Measured> {
    let (client, mut server) = loopback_pair(None)?;
    let sender = thread::spawn(move || -> io::Result<u64> {
        let mut counted = Counting {
            inner: &client,
            writes: 0,
        };
        let piece = vec![0xA5u8; setting.piece];
        let mut left = bytes;
        match setting.buf_writer {
            Some(capacity) => {
                let mut out = BufWriter::with_capacity(capacity, &mut counted);
                while left > 0 {
                    let n = (setting.piece as u64).min(left) as usize;
                    out.write_all(&piece[..n])?;
                    left -= n as u64;
                }
                out.flush()?;
            }
            None => {
                while left > 0 {
                    let n = (setting.piece as u64).min(left) as usize;
                    counted.write_all(&piece[..n])?;
                    left -= n as u64;
                }
            }
        }
        let writes = counted.writes;
        client.shutdown(std::net::Shutdown::Write)?;
        Ok(writes)
    });
    let started = Instant::now();
    let drained = drain(&mut server, setting.read_buffer).context("receiving")?;
    let seconds = started.elapsed().as_secs_f64();
    let writes = sender
        .join()
        .map_err(|_| anyhow::anyhow!("the sender thread panicked"))?
        .context("sending")?;
    if drained.bytes != bytes {
        bail!("sent {bytes} bytes but received {}", drained.bytes);
    }
    Ok(Measured {
        bytes,
        seconds,
        writes,
        reads: drained.reads,
    })
}

/// How many request/response round trips each `--nodelay` row makes.
const ROUND_TRIPS: u32 = 20;

// ANCHOR: nodelay
/// Small round trips: a request of a 4-byte length and 100 bytes, answered with 100 bytes.
fn nodelay() -> Result<()> {
    println!(
        "{ROUND_TRIPS} request/response round trips on one connection: a request of a 4-byte length and \
         100 bytes, a reply of 100 bytes.\n"
    );
    println!("| how the client sends the request | TCP_NODELAY | mean round trip | slowest |");
    println!("|---|---|--:|--:|");
    for (two_writes, nodelay) in [(true, false), (true, true), (false, false)] {
        let times = round_trips(two_writes, nodelay)?;
        let mean = times.iter().sum::<Duration>() / times.len() as u32;
        let slowest = times.iter().max().copied().unwrap_or_default();
        println!(
            "| {} | {} | {mean:.2?} | {slowest:.2?} |",
            if two_writes {
                "two writes (length, then body)"
            } else {
                "one write (both together)"
            },
            if nodelay { "on" } else { "off" }
        );
    }
    println!(
        "\nWith two writes and Nagle's algorithm on (TCP_NODELAY off), the body waits until the length \
         is acknowledged, and the server delays its ACK (40 ms at least on Linux) hoping to send it with a \
         reply, which cannot come before the body: each round trip waits for the timer. TCP_NODELAY, \
         or one write of the whole request, removes the wait."
    );
    Ok(())
}
// ANCHOR_END: nodelay

fn round_trips(two_writes: bool, nodelay: bool) -> Result<Vec<Duration>> {
    let (mut client, server) = loopback_pair(None)?;
    client.set_nodelay(nodelay)?;
    let echo = thread::spawn(move || -> io::Result<()> {
        let mut server = server;
        let mut request = [0u8; 104];
        for _ in 0..ROUND_TRIPS {
            server.read_exact(&mut request)?;
            server.write_all(&[0x42; 100])?;
        }
        Ok(())
    });
    let body = [0x41u8; 100];
    let mut reply = [0u8; 100];
    let mut times = Vec::new();
    for _ in 0..ROUND_TRIPS {
        let started = Instant::now();
        if two_writes {
            client.write_all(&(body.len() as u32).to_be_bytes())?;
            client.write_all(&body)?;
        } else {
            let mut request = Vec::with_capacity(104);
            request.extend_from_slice(&(body.len() as u32).to_be_bytes());
            request.extend_from_slice(&body);
            client.write_all(&request)?;
        }
        client.read_exact(&mut reply)?;
        times.push(started.elapsed());
    }
    echo.join()
        .map_err(|_| anyhow::anyhow!("the server thread panicked"))??;
    Ok(times)
}

/// Runs iperf3's server and client on loopback and returns what the client measured, in MB/s.
fn iperf3(seconds: u32) -> Result<f64> {
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

/// A throughput for the table: whole MB/s, with a decimal below 10 so that a slow row does not read 0.
fn rate(mb_per_s: f64) -> String {
    if mb_per_s < 10.0 {
        format!("{mb_per_s:.1}")
    } else {
        format!("{mb_per_s:.0}")
    }
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
