//! The bulk rows of `buffers bench`: one loopback transfer per application buffer size, timed, with the
//! system calls counted on both sides.

use std::io::{self, BufWriter, Write};
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use buffers::drain;

use super::BenchArgs;
use crate::loopback::loopback_pair;

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

/// Prints the table, one row per setting (the best of `--rounds` runs), and returns each row's name and
/// MB/s for the chart.
pub fn table(args: &BenchArgs) -> Result<Vec<(String, f64)>> {
    println!(
        "Bulk transfer over loopback, one connection, best of {} run(s); each write is followed by \
         the next at once. MB = 10^6 bytes.\n",
        args.rounds
    );
    println!("| application buffer | MB moved | MB/s | writes | reads | system calls per MB |");
    println!("|---|--:|--:|--:|--:|--:|");
    let mut rows = Vec::new();
    for setting in SETTINGS {
        let best = best_of(setting, bytes_to_move(setting, args), args.rounds)?;
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
    Ok(rows)
}

/// At most `--mib` MiB, and at most `--max-writes` system calls, so that the 1-byte rows take seconds,
/// not minutes; behind a BufWriter, its 1-byte `write_all` calls (no system call each, but not free)
/// stop at 64 MiB.
fn bytes_to_move(setting: Setting, args: &BenchArgs) -> u64 {
    let calls_size = setting.buf_writer.unwrap_or(setting.piece) as u64;
    let bytes = (args.mib << 20).min(calls_size.saturating_mul(args.max_writes));
    if setting.buf_writer.is_some() {
        bytes.min(64 << 20)
    } else {
        bytes
    }
}

/// The fastest of `rounds` transfers of `bytes` (at least one).
fn best_of(setting: Setting, bytes: u64, rounds: u32) -> Result<Measured> {
    let mut best = transfer(setting, bytes)?;
    for _ in 1..rounds {
        let run = transfer(setting, bytes)?;
        if run.mb_per_s() > best.mb_per_s() {
            best = run;
        }
    }
    Ok(best)
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

/// A throughput for the table: whole MB/s, with a decimal below 10 so that a slow row does not read 0.
fn rate(mb_per_s: f64) -> String {
    if mb_per_s < 10.0 {
        format!("{mb_per_s:.1}")
    } else {
        format!("{mb_per_s:.0}")
    }
}
