//! `buffers bench`: bulk transfers over loopback with application buffers from 1 byte to 1 MiB, the
//! cost of small round trips with and without TCP_NODELAY, and iperf3 in the same run.
//!
//! Not the lesson's code, but what measures it: `bulk.rs` times the transfers (with step 4's `drain` on
//! the receiving side), `nodelay.rs` the round trips, `iperf3.rs` runs iperf3, `chart.rs` draws the SVG.

mod bulk;
mod chart;
mod iperf3;
mod nodelay;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Args;

#[derive(Args)]
pub struct BenchArgs {
    /// The most MiB each setting moves. Small buffers move less (see --max-writes and the "MB moved"
    /// column), so that they finish in seconds.
    #[arg(long, value_name = "MIB", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub mib: u64,
    /// The most system calls `write` each setting makes: a 1-byte buffer moves this many bytes.
    #[arg(long, value_name = "COUNT", default_value_t = 1 << 20,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_writes: u64,
    /// Each setting runs this many times; the table shows the best run.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub rounds: u32,
    /// Also draw the table as a bar chart, to this SVG file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Instead of bulk transfers: small request/response round trips with and without TCP_NODELAY.
    #[arg(long, conflicts_with_all = ["svg", "iperf3", "mib", "max_writes", "rounds"])]
    pub nodelay: bool,
    /// Also run `iperf3 -c 127.0.0.1` against `iperf3 -s`, and compare it with the best setting.
    #[arg(long)]
    pub iperf3: bool,
    /// How long each iperf3 run lasts, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=60))]
    pub iperf3_time: u32,
}

pub fn run(args: &BenchArgs) -> Result<()> {
    if args.nodelay {
        return nodelay::nodelay();
    }
    check_before_measuring(args)?;
    if cfg!(debug_assertions) {
        println!(
            "Note: this is a debug build, which measures the debug build: for real figures, run it with \
             cargo run --release.\n"
        );
    }
    let mut rows = bulk::table(args)?;
    if args.iperf3 {
        rows.push(compare_with_iperf3(args, &rows)?);
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, chart::bars(&rows))
            .with_context(|| format!("writing {}", path.display()))?;
        println!("\nchart written to {}", path.display());
    }
    Ok(())
}

/// What could fail at the end is checked first, not after a minute of measuring.
fn check_before_measuring(args: &BenchArgs) -> Result<()> {
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
    Ok(())
}

/// Runs iperf3 as many times as each setting ran, prints its best next to the table's best and their
/// ratio, and returns iperf3's row for the chart.
fn compare_with_iperf3(args: &BenchArgs, rows: &[(String, f64)]) -> Result<(String, f64)> {
    let (name, ours) = rows
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .cloned()
        .context("no rows to compare with iperf3")?;
    let mut theirs = 0f64;
    for _ in 0..args.rounds {
        theirs = theirs.max(iperf3::iperf3(args.iperf3_time).context("running iperf3")?);
    }
    println!("\n| client | MB/s |\n|---|--:|");
    println!("| buffers bench, {name} | {ours:.0} |");
    println!(
        "| iperf3 -c 127.0.0.1 -t {} (best of {}) | {theirs:.0} |",
        args.iperf3_time, args.rounds
    );
    println!("\nbuffers bench (best) / iperf3: {:.2}", ours / theirs);
    Ok((format!("iperf3 -t {}", args.iperf3_time), theirs))
}
