//! `greet-load`: many clients of the greeting protocol at once, and how long they waited.
//!
//! ```text
//! greet-load --addr 127.0.0.1:7878 --clients 50 --rounds 200     # a readable report
//! greet-load --clients 50 --seconds 5                             # rounds until 5 s are up
//! greet-load --header; greet-load --row "lesson 02" ...           # a Markdown table, one row per server
//! ```
//!
//! What it measures and why percentiles: see `shared::load`. Exit status 0 when some client got an answer
//! (failures under load are a result, counted in the report), 1 when every client failed (no server, or a
//! server that does not speak the protocol), 2 for bad usage.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use shared::ServerAddr;
use shared::cli::parse_duration;
use shared::load::{self, Length, Plan, Report};

/// Run clients of the greeting protocol against a server, all at once, and report counts and waits.
#[derive(Parser, Debug)]
#[command(name = "greet-load", version)]
struct Cli {
    /// The server to load, as IP:PORT or HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:7878")]
    addr: ServerAddr,

    /// Clients at once, each with its own thread and connection. Capped at 2000: threads and sockets cost
    /// the machine, and a one-at-a-time server's backlog (128) is full long before that.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=2000))]
    clients: u32,

    /// Lines each client sends before `exit`.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    rounds: u32,

    /// Instead of --rounds: each client sends lines until this many seconds after the start.
    #[arg(long, conflicts_with = "rounds", value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: Option<u64>,

    /// The longest a client waits to connect, and for any answer (e.g. 500ms, 30s). A one-at-a-time server
    /// greets the last client only when all the others are done: raise it if that takes longer.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    timeout: Duration,

    /// Print one Markdown table row, labelled LABEL, instead of the report (see --header).
    #[arg(long, value_name = "LABEL")]
    row: Option<String>,

    /// Print the header of the table that --row rows belong to, and exit.
    #[arg(long, conflicts_with = "row")]
    header: bool,
}

/// The columns of `--row`, and the line under them (counts and waits right-aligned).
const HEADER: &str = "| server | greeted | busy | failed | round trips | per second \
    | round trip p50 | p99 | max | Welcome wait p50 | p99 | max |\n\
    |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|";

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("greet-load: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    if cli.header {
        println!("{HEADER}");
        return Ok(());
    }
    // A name may resolve to several addresses; every client of a run connects to the same one.
    let addr = cli
        .addr
        .resolve()
        .with_context(|| format!("looking up {}", cli.addr))?[0];
    let plan = Plan {
        addr,
        clients: cli.clients,
        length: match cli.seconds {
            Some(seconds) => Length::Time(Duration::from_secs(seconds)),
            None => Length::Rounds(cli.rounds),
        },
        timeout: cli.timeout,
    };
    let report = load::run(&plan)?;
    let first_error = report.first_error.as_deref().unwrap_or("none");
    if report.failed == u64::from(report.clients) {
        bail!(
            "all {} clients failed; the first: {first_error}",
            report.clients
        );
    }
    match &cli.row {
        Some(label) => {
            println!("{}", row(label, &report));
            if report.failed > 0 {
                eprintln!(
                    "greet-load: {} clients failed; the first: {first_error}",
                    report.failed
                );
            }
        }
        None => print_report(&plan, &report, first_error),
    }
    Ok(())
}

fn print_report(plan: &Plan, report: &Report, first_error: &str) {
    let length = match plan.length {
        Length::Rounds(rounds) => format!("{rounds} rounds"),
        Length::Time(time) => format!("{time:?} of rounds"),
    };
    println!(
        "{}: {} clients x {length}, timeout {:?}",
        plan.addr, report.clients, plan.timeout
    );
    // Greeted: the server accepted and answered. Busy: it answered "not now" (lesson 03's bound). Failed:
    // no answer in time, a reset, or a wrong reply; a client that was greeted can still fail later.
    println!(
        "clients:      {} greeted, {} turned away (busy), {} failed",
        report.greeted, report.turned_away, report.failed
    );
    // Throughput over the whole run, queueing included: what the server gets done, not how fast one is.
    println!(
        "round trips:  {} in {:.2}s, {} per second",
        report.round_trips,
        report.elapsed.as_secs_f64(),
        per_second(report)
    );
    // How fast the server answers a client it is serving.
    let [p50, p99, max] = waits(&report.round_trip);
    println!("round trip:   p50 {p50}, p99 {p99}, max {max}   (write a line, read its reply)");
    // How long a client waited to be served at all: a queue shows here first.
    let [p50, p99, max] = waits(&report.welcome_wait);
    println!("Welcome wait: p50 {p50}, p99 {p99}, max {max}   (connect, read Welcome)");
    println!("first error:  {first_error}");
}

fn row(label: &str, report: &Report) -> String {
    let [rt, wait] = [&report.round_trip, &report.welcome_wait].map(|h| waits(h).join(" | "));
    format!(
        "| {} | {} | {} | {} | {} | {} | {rt} | {wait} |",
        label.replace('|', "\\|"),
        report.greeted,
        report.turned_away,
        report.failed,
        report.round_trips,
        per_second(report)
    )
}

/// p50, p99 and max, shown as `37µs`, `1.25ms`, `159ms`, `2.50s`: three significant digits at most, as
/// the histogram knows no more.
fn waits(histogram: &load::Histogram) -> [String; 3] {
    let waits = [
        histogram.percentile(50.0),
        histogram.percentile(99.0),
        histogram.max(),
    ];
    waits.map(|wait| {
        let Some(wait) = wait else { return "-".into() };
        let micros = wait.as_micros() as f64;
        let (value, unit) = match micros {
            m if m < 1e3 => return format!("{m}µs"),
            m if m < 1e6 => (m / 1e3, "ms"),
            m => (m / 1e6, "s"),
        };
        let decimals = if value >= 100.0 {
            0
        } else if value >= 10.0 {
            1
        } else {
            2
        };
        format!("{value:.decimals$}{unit}")
    })
}

fn per_second(report: &Report) -> u64 {
    (report.round_trips as f64 / report.elapsed.as_secs_f64().max(1e-9)).round() as u64
}

/// `--timeout`: at most 10 minutes; a longer wait is a hung server, and the tool should say so.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let timeout = parse_duration(text)?;
    if timeout > Duration::from_secs(600) {
        return Err(format!("`{text}` is longer than the 10 minutes allowed"));
    }
    Ok(timeout)
}
