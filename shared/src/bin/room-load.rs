//! `room-load`: many members of a room server (the room protocol, lessons 08 to 10), some of them slow, and
//! how long a line takes to reach everyone.
//!
//! ```text
//! room-load --addr 127.0.0.1:7878 --members 100 --slow 1 --label "lesson 08"
//! room-load --addr 127.0.0.1:7878 --members 1000 --talkers 4 --lines 50 --pid 12345 --no-header
//! ```
//!
//! It joins N members (`m0`, `m1`, ...) and waits for each one's `* online` line. The last S of them are
//! slow: a tiny receive buffer, and they never read until the end, so the server's writes to them block
//! once the kernel's buffers are full. K talkers (the first members) then send L lines each, one at a time:
//! each line carries its send time, and the next is sent once every other member that reads has it (or
//! `--timeout` is up). A line's latency is the time until the last of them got it: a server that waits for
//! its slow members shows it here. The output is one Markdown table row (after a header, unless
//! `--no-header`), so that runs against several servers make one table.
//!
//! Exit status 0 when the run finished (failures are a result, counted in the row), 1 when no member could
//! join, 2 for bad usage.

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use shared::ServerAddr;
use shared::cli::parse_duration;
use shared::load::Histogram;
use socket2::{Domain, Socket, Type};

/// Load a room server with members, some slow, and report how long each line took to reach everyone.
///
/// Columns: label (--label); members (asked for; any that could not join are counted in errors); slow (members that never read); lines (sent by
/// all talkers); delivered (lines that reached every other member that reads, within --timeout); errors
/// (members that could not join, and members that read but did not get every line: their connection
/// failed, or nothing came within --timeout; each is said on stderr);
/// p50 / p99 / max (time from a line's sending until the last member that reads got it, over the lines
/// delivered); and with --pid, the server's resident memory now (VmRSS) and at its peak (VmHWM) and its
/// thread count, from /proc/PID/status once every member has joined; lines/s (the lines delivered to
/// everyone, counted once per member that got them, over the time the talkers talked).
#[derive(Parser, Debug)]
#[command(name = "room-load", version)]
struct Cli {
    /// The room server, as IP:PORT or HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:7878")]
    addr: ServerAddr,

    /// Members to join (each a connection, and a thread here while it reads).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..=10_000))]
    members: u32,

    /// Members that send lines (the first ones; never slow ones).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    talkers: u32,

    /// Lines each talker sends, one at a time.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    lines: u32,

    /// Lines each talker sends first, waited for like the others but not measured nor counted. While the
    /// members join, each hears `* NAME joined` for every later one and does not read it yet: with
    /// thousands of members, the first line reaches them behind all that. A warm-up line drains it.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000))]
    warmup: u32,

    /// Pad each line to about this many bytes. On loopback the kernel buffers megabytes for a member that
    /// does not read (the server's send buffer grows up to net.ipv4.tcp_wmem's maximum): a server that
    /// waits for a slow member shows it only once the lines add up to more than that.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    bytes: u32,

    /// Members (the last ones) with a tiny receive buffer that never read until the end.
    #[arg(long, default_value_t = 0)]
    slow: u32,

    /// The server's process id, to report its memory and threads from /proc/PID/status (Linux).
    #[arg(long)]
    pid: Option<u32>,

    /// The longest any wait may take: a connection, a join, one line reaching everyone (e.g. 500ms, 30s).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    timeout: Duration,

    /// The first column of the row: which server this was.
    #[arg(long, value_name = "TEXT", default_value = "room")]
    label: String,

    /// Print only the row, not the header lines before it.
    #[arg(long)]
    no_header: bool,

    /// Members that join at once: each sends its name while up to this many before it still wait for
    /// their `* online` line, so that a join does not wait for the one before it. Every join is announced
    /// to every member (n * n / 2 lines for n members), which makes 10,000 joins take a while. Keep it
    /// under the server's listen backlog (128 at least).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    join_window: u32,

    /// Give each member that only listens (neither a talker nor slow) a receive buffer of this many bytes,
    /// set before it connects. While thousands join it does not read their `* NAME joined` lines, and with
    /// TCP_NODELAY each is a segment of its own: on the kernel's default buffers 10,000 such members hold
    /// more than `net.ipv4.tcp_mem` allows TCP in all, and the kernel, under memory pressure, drops
    /// segments and waits for retransmissions. A few KiB each keeps them in bounds: the server's queue
    /// for them fills instead, and it skips and counts lines, as the room protocol says.
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(1024..=16_777_216))]
    listen_buffer: Option<u32>,

    /// Say on stderr how long the joins took, all together (`room-load: N members joined in S s`).
    #[arg(long)]
    join_time: bool,
}

impl Cli {
    /// Whether member `i` is one of the slow ones (the last --slow members).
    fn is_slow(&self, i: u32) -> bool {
        i >= self.members - self.slow
    }
}

/// A member's connection, shared by its reader thread and the end of the run (which shuts it down) as one
/// file descriptor: a clone (`try_clone`) would make 10,000 members cost 20,000 of them.
#[derive(Clone)]
struct Conn(Arc<TcpStream>);

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

const HEADER: &str = "| server | members | slow | lines | delivered | errors \
    | line to everyone p50 | p99 | max | VmRSS | VmHWM | threads | lines/s |\n\
    |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|";

/// What the members that read have received: for each line (talker, number), how many got it and the
/// longest it took to reach one of them; and how many readers failed before they had every line.
#[derive(Default)]
struct Tally {
    got: HashMap<(u32, u32), (u32, Duration)>,
    failed: u32,
}

struct Shared {
    tally: Mutex<Tally>,
    changed: Condvar,
    start: Instant,
    /// How many members that read each line should reach: every reader but the talker's own.
    others: u32,
    latencies: Histogram,
}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    if cli.slow > cli.members - cli.talkers.min(cli.members) || cli.talkers >= cli.members {
        eprintln!(
            "room-load: --talkers plus --slow must leave at least one other member that reads"
        );
        return ExitCode::from(2);
    }
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("room-load: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    let addr = cli
        .addr
        .resolve()
        .with_context(|| format!("looking up {}", cli.addr))?[0];
    check_open_files(cli.members)?;
    let mut errors = 0u32;
    let mut members = Vec::new();
    // One --timeout for all the joins together: a server that never answers costs one timeout, not one
    // per member.
    let joins = Instant::now();
    let deadline = joins + cli.timeout;
    let left = || {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            bail!("not tried: joining took longer than --timeout");
        }
        Ok(left)
    };
    // Up to --join-window members have sent their name and wait for their `* online` line.
    let mut waiting = VecDeque::new();
    let mut finish = |(i, started): (u32, Result<TcpStream>)| {
        let joined = started.and_then(|stream| {
            let member = await_online(stream, left()?)?;
            member.get_ref().0.set_read_timeout(Some(cli.timeout))?;
            Ok(member)
        });
        match joined {
            Ok(member) => members.push((i, member)),
            Err(err) => {
                errors += 1;
                if errors <= 5 {
                    eprintln!("room-load: m{i}: {err:#}");
                }
            }
        }
    };
    for i in 0..cli.members {
        let buffer = receive_buffer(cli, i);
        waiting.push_back((i, left().and_then(|left| start_join(addr, i, buffer, left))));
        if waiting.len() >= cli.join_window as usize {
            finish(waiting.pop_front().expect("a member waits"));
        }
    }
    waiting.into_iter().for_each(finish);
    if members.is_empty() {
        bail!("no member could join {addr}");
    }
    if cli.join_time {
        eprintln!(
            "room-load: {} members joined in {:.2} s",
            members.len(),
            joins.elapsed().as_secs_f64()
        );
    }
    let status = cli.pid.map(server_status);
    let shared = Arc::new(Shared {
        tally: Mutex::new(Tally::default()),
        changed: Condvar::new(),
        start: Instant::now(),
        others: readers_joined(cli, &members).saturating_sub(1),
        latencies: Histogram::default(),
    });
    let talking = Instant::now();
    let (delivered, reader_errors) = talk(cli, &shared, members);
    // Every line delivered reached every other member that reads: that many lines written by the server.
    let rate = (delivered * u64::from(shared.others)) as f64 / talking.elapsed().as_secs_f64();
    errors += reader_errors;
    println!(
        "{}",
        row(cli, &shared, delivered, errors, status.as_deref(), rate)
    );
    Ok(())
}

/// How many of the members that joined read (are not slow).
fn readers_joined(cli: &Cli, members: &[(u32, BufReader<Conn>)]) -> u32 {
    let readers = members.iter().filter(|(i, _)| !cli.is_slow(*i)).count();
    u32::try_from(readers).unwrap_or(u32::MAX)
}

/// Fails with the command to run when this process may not open a socket per member (and some spare).
fn check_open_files(members: u32) -> Result<()> {
    let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else {
        return Ok(());
    };
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3)?.parse::<u64>().ok());
    let needed = u64::from(members) + 64;
    match soft {
        Some(soft) if soft < needed => bail!(
            "{members} members need about {needed} open files, and this shell allows {soft}: run \
             `ulimit -n {needed}` first (in the same shell)"
        ),
        _ => Ok(()),
    }
}

/// The receive buffer member `i` asks for: tiny if it is slow, --listen-buffer if it only listens, else
/// the kernel's default (None).
fn receive_buffer(cli: &Cli, i: u32) -> Option<usize> {
    if cli.is_slow(i) {
        Some(1024)
    } else if i >= cli.talkers {
        cli.listen_buffer.map(|bytes| bytes as usize)
    } else {
        None
    }
}

/// Connects member `i`, with the receive buffer asked for, and sends its name.
fn start_join(
    addr: SocketAddr,
    i: u32,
    receive_buffer: Option<usize>,
    timeout: Duration,
) -> Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if let Some(bytes) = receive_buffer {
        // Before connecting, so the window it advertises stays small.
        socket.set_recv_buffer_size(bytes)?;
    }
    socket
        .connect_timeout(&addr.into(), timeout)
        .context("connecting")?;
    let stream: TcpStream = socket.into();
    // Each line is written alone: without this, Nagle's algorithm would hold one back for an ACK and
    // the table would show this tool's delay, not the server's.
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    (&stream).write_all(format!("m{i}\n").as_bytes())?;
    Ok(stream)
}

/// Waits for a member's `* online` line, the sign that it joined.
fn await_online(stream: TcpStream, timeout: Duration) -> Result<BufReader<Conn>> {
    stream.set_read_timeout(Some(timeout))?;
    let mut reader = BufReader::new(Conn(Arc::new(stream)));
    let mut line = String::new();
    loop {
        line.clear();
        let read = reader.read_line(&mut line).map_err(|err| {
            if shared::trace::is_timeout(&err) {
                anyhow::anyhow!("no `* online` line within {timeout:.0?} (last line {line:?})")
            } else {
                anyhow::Error::new(err).context("waiting for `* online`")
            }
        })?;
        if read == 0 {
            bail!("the server closed the connection before `* online` (last line {line:?})");
        }
        if line.starts_with("* online: ") {
            return Ok(reader);
        }
        if line.starts_with("busy") || line.starts_with("error: ") {
            bail!("the server answered {:?}", line.trim_end());
        }
    }
}

/// Starts a reader per member that reads, runs the talkers, then closes everything. Returns the lines
/// delivered to everyone and the readers that failed or got nothing.
fn talk(cli: &Cli, shared: &Arc<Shared>, members: Vec<(u32, BufReader<Conn>)>) -> (u64, u32) {
    let mut readers = Vec::new();
    let mut talkers = Vec::new();
    let mut slow = Vec::new();
    for (i, member) in members {
        let stream = Arc::clone(&member.get_ref().0);
        if cli.is_slow(i) {
            slow.push(stream);
            continue;
        }
        if i < cli.talkers {
            talkers.push((i, Arc::clone(&stream)));
        }
        let shared = Arc::clone(shared);
        let each = cli.warmup + cli.lines;
        let expect = cli.talkers * each - if i < cli.talkers { each } else { 0 };
        readers.push((
            stream,
            thread::spawn(move || read_lines(i, member, expect, &shared)),
        ));
    }
    let delivered: u64 = thread::scope(|scope| {
        let runs: Vec<_> = talkers
            .iter()
            .map(|(i, stream)| scope.spawn(move || send_lines(cli, shared, *i, stream)))
            .collect();
        runs.into_iter().map(|run| run.join().unwrap_or(0)).sum()
    });
    for stream in slow.iter().chain(readers.iter().map(|(stream, _)| stream)) {
        let _ = stream.shutdown(Shutdown::Both);
    }
    let failed = readers
        .into_iter()
        .map(|(_, reader)| u32::from(!reader.join().unwrap_or(false)))
        .sum();
    (delivered, failed)
}

/// Reads a member's lines until it has all `expect` talkers' lines, counting each at the tally. Returns
/// whether it got them all.
fn read_lines(i: u32, mut member: BufReader<Conn>, expect: u32, shared: &Shared) -> bool {
    let mut got = 0;
    let mut line = String::new();
    while got < expect {
        line.clear();
        match member.read_line(&mut line) {
            Ok(0) => break,
            Err(err) => {
                let what = if shared::trace::is_timeout(&err) {
                    format!(
                        "nothing arrived within --timeout {:?}",
                        member
                            .get_ref()
                            .0
                            .read_timeout()
                            .ok()
                            .flatten()
                            .unwrap_or_default()
                    )
                } else {
                    err.to_string()
                };
                eprintln!(
                    "room-load: m{i} stopped reading after {got} of its {expect} lines: {what}"
                );
                break;
            }
            Ok(_) => {}
        }
        let Some((talker, number, sent)) = parse(&line) else {
            continue; // `* mX joined`, `* N messages skipped`, ...
        };
        let now = shared.start.elapsed();
        got += 1;
        let mut tally = shared.tally.lock().expect("tally");
        let (count, last) = tally.got.entry((talker, number)).or_default();
        *count += 1;
        *last = (*last).max(now.saturating_sub(sent));
        let everyone = *count >= shared.others;
        drop(tally);
        // Only the line's talker waits for it, and only for its last reader: waking the talkers for
        // every line read would make this tool, not the server, the bottleneck with many talkers.
        if everyone {
            shared.changed.notify_all();
        }
    }
    if got < expect {
        shared.tally.lock().expect("tally").failed += 1;
        shared.changed.notify_all();
    }
    got == expect
}

/// `mT: NUMBER NANOS` from a talker, as (T, NUMBER, the send time since the start).
fn parse(line: &str) -> Option<(u32, u32, Duration)> {
    let (name, text) = line.trim_end().split_once(": ")?;
    let talker = name.strip_prefix('m')?.parse().ok()?;
    let mut words = text.split(' ');
    let (number, nanos) = (words.next()?, words.next()?);
    Some((
        talker,
        number.parse().ok()?,
        Duration::from_nanos(nanos.parse().ok()?),
    ))
}

/// Talker `i` sends its lines one at a time, each once the one before has reached every other reader
/// (or the timeout is up, or a reader failed). Returns how many reached them all, not counting the
/// `--warmup` lines sent first.
fn send_lines(cli: &Cli, shared: &Shared, i: u32, mut stream: &TcpStream) -> u64 {
    let mut delivered = 0;
    for number in 0..cli.warmup + cli.lines {
        let measured = number >= cli.warmup;
        let sent = shared.start.elapsed();
        let mut line = format!("{number} {} ", sent.as_nanos());
        let pad = (cli.bytes as usize).saturating_sub(line.len() + 1);
        line.extend(std::iter::repeat_n('x', pad));
        line.push('\n');
        if stream.write_all(line.as_bytes()).is_err() {
            break;
        }
        let deadline = Instant::now() + cli.timeout;
        let mut tally = shared.tally.lock().expect("tally");
        loop {
            let (count, wait) = tally.got.get(&(i, number)).copied().unwrap_or_default();
            if count >= shared.others {
                if measured {
                    shared.latencies.record(wait);
                    delivered += 1;
                }
                break;
            }
            // A reader that failed never gets this line: it is not delivered to everyone.
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tally.failed > 0 {
                break;
            }
            tally = shared.changed.wait_timeout(tally, left).expect("tally").0;
        }
        tally.got.remove(&(i, number));
    }
    delivered
}

/// VmRSS, VmHWM and Threads from /proc/PID/status, as table cells.
fn server_status(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map_or("?".to_owned(), |value| value.trim().to_owned())
    };
    format!(
        "{} | {} | {}",
        field("VmRSS:"),
        field("VmHWM:"),
        field("Threads:")
    )
}

fn row(
    cli: &Cli,
    shared: &Shared,
    delivered: u64,
    errors: u32,
    status: Option<&str>,
    rate: f64,
) -> String {
    let ms = |wait: Option<Duration>| {
        wait.map_or("-".to_owned(), |wait| {
            format!("{:.2} ms", wait.as_secs_f64() * 1000.0)
        })
    };
    let latencies = &shared.latencies;
    let body = format!(
        "| {} | {} | {} | {} | {delivered} | {errors} | {} | {} | {} | {} | {rate:.0} |",
        cli.label,
        cli.members,
        cli.slow,
        cli.talkers * cli.lines,
        ms(latencies.percentile(50.0)),
        ms(latencies.percentile(99.0)),
        ms(latencies.max()),
        status.unwrap_or("- | - | -"),
    );
    if cli.no_header {
        body
    } else {
        format!("{HEADER}\n{body}")
    }
}
