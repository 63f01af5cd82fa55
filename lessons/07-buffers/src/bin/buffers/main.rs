//! `buffers`: the kernel's socket buffers, framing and flow control, measured on loopback.
//!
//! ```text
//! buffers sizes                 # SO_SNDBUF and SO_RCVBUF: defaults, what a request reads back as, and why
//! buffers fill                  # how much a sender can write to a peer that does not read
//! buffers split                 # how reads cut and merge messages, and how framing recovers them
//! buffers receive [--frames]    # what a sender of yours sent, read by read or frame by frame
//! buffers bench --svg chart.svg # throughput and system calls for buffer sizes from 1 byte to 1 MiB
//! buffers bench --nodelay       # Nagle's algorithm and delayed ACKs on small request/response exchanges
//! buffers bench --iperf3        # the best setting next to iperf3, in the same run
//! ```
//!
//! Each command is a module of its own: `sizes.rs`, `fill.rs`, `split.rs` and `receive.rs` show the lesson's functions
//! at work; `bench.rs` and its folder hold the benchmark, its chart and iperf3.

mod bench;
mod fill;
mod loopback;
mod receive;
mod sizes;
mod split;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    version,
    about = "What happens between write and read: the kernel's socket buffers, framing and flow control, \
             measured on loopback"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The default SO_SNDBUF and SO_RCVBUF of a TCP and a UDP socket, what a requested size reads back
    /// as, and the kernel settings they come from.
    Sizes,
    /// How many bytes a sender can write to a peer that does not read before a write would block, with
    /// the buffer sizes left alone and set small.
    Fill {
        /// The size set with SO_SNDBUF and SO_RCVBUF in the rows that set one.
        #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024,
              value_parser = clap::value_parser!(u32).range(1..=i32::MAX as i64))]
        small: u32,
    },
    /// Sends a few messages and shows how the receiver's reads cut them, then the same with line framing
    /// and with length-prefix framing, which recover the messages every time.
    Split {
        #[command(flatten)]
        trace: shared::cli::TraceArg,
    },
    /// Takes one connection from a sender of yours (a Python script, nc) and shows what each read of 1024
    /// bytes returns, or with --frames the length-prefixed frames, until the sender closes.
    Receive {
        #[command(flatten)]
        listen: shared::cli::ListenArgs,
        /// Read frames (a 4-byte big-endian length, then that many bytes) instead of showing the reads.
        #[arg(long)]
        frames: bool,
        /// Give up when nothing comes for this long and the sender has not closed (250ms, 2s, ...).
        #[arg(long, value_name = "DURATION", default_value = "10s",
              value_parser = shared::cli::parse_duration)]
        idle: Duration,
        #[command(flatten)]
        trace: shared::cli::TraceArg,
    },
    /// Bulk transfer over loopback for application buffers from 1 byte to 1 MiB, and with BufWriter:
    /// throughput and system calls per MB.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sizes => sizes::sizes(),
        Command::Fill { small } => fill::fill(small as usize),
        Command::Split { trace } => split::split(&trace.tracer()),
        Command::Receive {
            listen,
            frames,
            idle,
            trace,
        } => receive::receive(listen.addr, frames, idle, &trace.tracer()),
        Command::Bench(args) => bench::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("buffers: {err:#}");
            ExitCode::FAILURE
        }
    }
}
