//! `fetch-bench`: downloads the same large body with `http-fetch` (at several read buffer sizes) and with
//! `curl`, round after round, from a server in a process of its own, and prints each client's throughput
//! (median and spread over the rounds) and CPU time, and the ratios of http-fetch to curl, paired round by
//! round.
//!
//! ```text
//! bash lessons/05-http-fetch/compare-curl.sh      # builds both in release mode, then runs this
//! bash lessons/05-http-fetch/compare-curl.sh --self-check   # http-fetch in curl's place: the noise
//! bash lessons/05-http-fetch/compare-curl.sh --quick   # 16 MiB, 2 rounds: a check that it still runs
//! ```
//!
//! Fairness, because an unfair harness decides the ratio by itself (the chapter shows by how much):
//! - the server is a separate process (this program started again with `--serve`), so it shares nothing
//!   with the process that starts and times the clients;
//! - every round runs every client once, and the order changes from round to round: each client takes
//!   every position in a round, with a different client before it, forwards and then backwards (so the
//!   default rounds are twice the number of clients);
//! - one round before the measured ones warms up the programs and the server, and is not counted;
//! - both clients write the body to /dev/null, so the disk is not measured, and both run as separate
//!   processes, started the same way.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;

/// Download one large body with http-fetch (at several read buffer sizes) and with curl, from a local
/// server in a process of its own, in a changing order, and print the throughputs side by side. Build with
/// --release: a debug build measures the debug build.
#[derive(Parser, Debug)]
#[command(name = "fetch-bench", version)]
struct Cli {
    /// The body's size in MiB. Each download's time includes starting its program (a few milliseconds,
    /// more for curl, which loads more libraries): the bigger the body, the less that counts.
    #[arg(long, value_name = "MIB", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..=16 * 1024))]
    size: u64,

    /// How many measured rounds, each running every client once. The default, 10, is twice the number
    /// of clients: every client takes every position in a round once forwards and once backwards.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,

    /// The http-fetch program (by default the release build beside this one: target/release/http-fetch).
    #[arg(long, value_name = "PATH")]
    http_fetch: Option<PathBuf>,

    /// The curl program.
    #[arg(long, value_name = "PATH", default_value = "curl")]
    curl: PathBuf,

    /// Run http-fetch with its default buffer in curl's place: the same program measured twice, so the
    /// ratio should be 1.00, and how far it is from that is the benchmark's own noise.
    #[arg(long)]
    self_check: bool,

    /// Run as the benchmark's server, sending a body of this many bytes: the benchmark starts itself
    /// with it, so that the server is a process of its own.
    #[arg(long, value_name = "BYTES", hide = true)]
    serve: Option<u64>,
}

/// How long one download may take before it is stopped: 16 GiB at a slow 100 MB/s takes under 3 minutes.
const DOWNLOAD_LIMIT: Duration = Duration::from_secs(300);

/// The read buffer sizes http-fetch is run with; 64 KiB is its default.
const BUFFER_SIZES: [u32; 4] = [4 * 1024, 16 * 1024, 64 * 1024, 256 * 1024];
const DEFAULT_BUFFER: u32 = 64 * 1024;

/// One client of the benchmark: its name in the table, its program and its arguments.
struct Client {
    name: String,
    program: PathBuf,
    args: Vec<String>,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(bytes) = cli.serve {
        return serve_forever(bytes);
    }
    let http_fetch = match &cli.http_fetch {
        Some(path) => path.clone(),
        // Examples are built into target/release/examples/, one folder below the lesson's programs.
        None => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .context("finding the folder this program was built in")?
            .join("http-fetch"),
    };
    if !http_fetch.exists() {
        bail!(
            "{} is missing: build it first with `cargo build --release -p http-fetch`",
            http_fetch.display()
        );
    }
    let bytes = cli.size * 1024 * 1024;
    let server = Server::start(bytes)?;
    let url = format!("http://{}/big", server.addr);
    let mut clients = clients(&http_fetch, &cli.curl, &url);
    if cli.self_check {
        let curl = clients.last_mut().expect("curl is measured");
        curl.name = "http-fetch again, in curl's place".into();
        curl.program = http_fetch.clone();
        curl.args = ["-o", "/dev/null", &url].map(String::from).to_vec();
    }

    println!(
        "downloading {} MiB from {url} (a server process of its own), to /dev/null",
        cli.size
    );
    println!(
        "{} measured round(s) after 1 warm-up round; each round runs every client once, in an order \
         that changes from round to round",
        cli.rounds
    );
    let load_before = load_average();
    run_round(&clients, 0)?;
    // took[client][round]
    let mut took = vec![Vec::new(); clients.len()];
    for round in 0..cli.rounds as usize {
        for (times, this) in took.iter_mut().zip(run_round(&clients, round)?) {
            times.push(this);
        }
    }
    println!();
    print_table(&clients, &took, bytes);
    println!();
    print_ratios(&clients, &took, cli.rounds);
    if !cli.self_check {
        println!("curl: {}", version_line(&cli.curl));
    }
    println!(
        "load average (1 min) before: {load_before}, after: {}",
        load_average()
    );
    Ok(())
}

/// The clients measured: http-fetch at each buffer size, then curl. Both write to /dev/null.
fn clients(http_fetch: &Path, curl: &Path, url: &str) -> Vec<Client> {
    let mut clients: Vec<Client> = BUFFER_SIZES
        .iter()
        .map(|size| Client {
            name: if *size == DEFAULT_BUFFER {
                format!("http-fetch --buffer-size {}K (default)", size / 1024)
            } else {
                format!("http-fetch --buffer-size {}K", size / 1024)
            },
            program: http_fetch.to_path_buf(),
            args: vec![
                "--buffer-size".into(),
                size.to_string(),
                "-o".into(),
                "/dev/null".into(),
                url.into(),
            ],
        })
        .collect();
    clients.push(Client {
        name: "curl".into(),
        program: curl.to_path_buf(),
        args: ["-s", "-f", "-o", "/dev/null", url]
            .map(String::from)
            .to_vec(),
    });
    clients
}

/// The order of the clients in round `round`: rotated by one more each round, and backwards in every
/// other set of `n` rounds. Over `2 * n` rounds each client runs in each position twice, after a different
/// client each time, so that no client always follows the same one (say, the one with the biggest buffer).
fn order(n: usize, round: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).map(|i| (i + round) % n).collect();
    if (round / n) % 2 == 1 {
        order.reverse();
    }
    order
}

/// What one download cost, in seconds: from start to exit, and the client's CPU time (user and system),
/// where the system tells it.
#[derive(Debug, Clone, Copy, Default)]
struct Took {
    wall: f64,
    cpu: Option<f64>,
}

/// Runs every client once, in this round's order; returns what each took, in the clients' order.
fn run_round(clients: &[Client], round: usize) -> Result<Vec<Took>> {
    let mut took = vec![Took::default(); clients.len()];
    for i in order(clients.len(), round) {
        let client = &clients[i];
        took[i] = download(&client.program, &client.args)
            .with_context(|| format!("running {}", client.name))?;
    }
    Ok(took)
}

/// The median of some numbers (the mean of the middle two when there is an even number of them).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 0 {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    }
}

/// The smallest and largest of some numbers.
fn range(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(0.0, f64::max);
    (min, max)
}

/// Each client's throughput over the rounds: the median, and the slowest and fastest round; and the
/// median of its CPU time.
fn print_table(clients: &[Client], took: &[Vec<Took>], bytes: u64) {
    println!(
        "{:<38} {:>12} {:>9} {:>9} {:>14}",
        "client", "median MB/s", "min MB/s", "max MB/s", "median CPU ms"
    );
    for (client, times) in clients.iter().zip(took) {
        let speeds: Vec<f64> = times.iter().map(|t| bytes as f64 / t.wall / 1e6).collect();
        let (min, max) = range(&speeds);
        let cpu: Option<Vec<f64>> = times.iter().map(|t| t.cpu).collect();
        let cpu = cpu.map_or("unknown".to_string(), |cpu| {
            format!("{:.0}", median(&cpu) * 1000.0)
        });
        println!(
            "{:<38} {:>12.0} {:>9.0} {:>9.0} {cpu:>14}",
            client.name,
            median(&speeds),
            min,
            max
        );
    }
}

/// http-fetch's default against curl (the last client), round by round: the two ran in the same round,
/// close in time, so a change in the machine's load hits both; the median of these ratios is the
/// comparison. Throughput (higher is faster), then CPU time (lower is less work).
fn print_ratios(clients: &[Client], took: &[Vec<Took>], rounds: u32) {
    let ours = BUFFER_SIZES
        .iter()
        .position(|size| *size == DEFAULT_BUFFER)
        .expect("the default is measured");
    let curl = took.len() - 1;
    let other = if clients[curl].name == "curl" {
        "curl"
    } else {
        "itself"
    };
    let pairs = || took[ours].iter().zip(&took[curl]);
    // Throughput ratio: their time over ours.
    let speed: Vec<f64> = pairs()
        .map(|(mine, theirs)| theirs.wall / mine.wall)
        .collect();
    let (min, max) = range(&speed);
    println!(
        "throughput, http-fetch (default buffer) / {other}, paired round by round: median {:.2}, from \
         {min:.2} to {max:.2} over {rounds} round(s)",
        median(&speed)
    );
    let cpu: Option<Vec<f64>> = pairs()
        .map(|(mine, theirs)| Some(mine.cpu? / theirs.cpu?.max(1e-6)))
        .collect();
    if let Some(cpu) = cpu {
        let (min, max) = range(&cpu);
        println!(
            "CPU time, http-fetch (default buffer) / {other}, paired round by round: median {:.2}, from \
             {min:.2} to {max:.2}",
            median(&cpu)
        );
    }
}

/// Runs one download to the end and returns what it took; fails if the client fails or hangs.
fn download(program: &Path, args: &[String]) -> Result<Took> {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    loop {
        // On Linux the child's CPU time is read while it is a zombie (exited, not yet waited for):
        // waiting removes it, and its figures with it.
        let exited = match zombie_cpu(child.id()) {
            Ok(Some(cpu)) => Some((child.wait()?, Some(cpu))),
            Ok(None) => None,
            Err(()) => child.try_wait()?.map(|status| (status, None)),
        };
        if let Some((status, cpu)) = exited {
            let wall = start.elapsed().as_secs_f64();
            if !status.success() {
                bail!("{} {args:?} exited with {status}", program.display());
            }
            return Ok(Took { wall, cpu });
        }
        if start.elapsed() > DOWNLOAD_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{} did not finish within {DOWNLOAD_LIMIT:?}",
                program.display()
            );
        }
        // Polling for the child's exit: 1 ms is below the timer's noise on a download of many MiB.
        thread::sleep(Duration::from_millis(1));
    }
}

/// The CPU time (user and system, in seconds) of process `pid` once it has exited, from Linux's /proc;
/// `Ok(None)` while it runs, `Err(())` where there is no /proc/PID/stat (not Linux).
fn zombie_cpu(pid: u32) -> Result<Option<f64>, ()> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|_| ())?;
    // `pid (name) state ...`: the name may hold spaces and parentheses, so fields count from the last `)`.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .ok_or(())?
        .1
        .split_whitespace()
        .collect();
    if fields.first() != Some(&"Z") {
        return Ok(None);
    }
    // /proc/PID/schedstat's first field: the nanoseconds its main thread ran. Both clients download on
    // one thread; where the file is missing, the coarser clock ticks of /proc/PID/stat do.
    if let Some(nanos) = std::fs::read_to_string(format!("/proc/{pid}/schedstat"))
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok())
    {
        return Ok(Some(nanos as f64 / 1e9));
    }
    // Fields 14 and 15 of the line (11 and 12 after the name): utime and stime, in clock ticks of
    // 1/100 s (USER_HZ, 100 on Linux).
    let ticks: u64 = fields
        .get(11..13)
        .ok_or(())?
        .iter()
        .map(|f| f.parse::<u64>().map_err(|_| ()))
        .sum::<Result<u64, ()>>()?;
    Ok(Some(ticks as f64 / 100.0))
}

/// The first line of `curl --version`, so the table says what it was compared with.
fn version_line(program: &Path) -> String {
    Command::new(program)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "(version unknown)".into())
}

/// The system's load average over the last minute (Linux's /proc/loadavg): how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// The benchmark's server: this program run again with `--serve`, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    /// Starts the server process and reads the address it listens on from its first line.
    fn start(bytes: u64) -> Result<Server> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--serve", &bytes.to_string()])
            // The server ends when its stdin closes: when this program ends, however it ends.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the server process")?;
        let stdout: ChildStdout = child.stdout.take().context("the server's stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the server's address")?;
        let addr = line.trim().to_string();
        if addr.is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the server process printed no address");
        }
        Ok(Server { child, addr })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server process: listens on 127.0.0.1:0, prints its address, answers every request with a body of
/// `bytes` bytes (a thread per client), and ends when its stdin closes.
fn serve_forever(bytes: u64) -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the benchmark server")?;
    println!("{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    thread::spawn(|| {
        // Read until the benchmark closes the pipe (it ended), then end too.
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    let block: &'static [u8] = Vec::leak((0..1024 * 1024).map(|i| (i % 251) as u8).collect());
    for stream in listener.incoming().flatten() {
        thread::spawn(move || {
            // A client that goes away early is not the server's problem.
            let _ = serve(stream, bytes, block);
        });
    }
    Ok(())
}

/// Reads the request head and sends the response: the body from one 1 MiB block in memory, with a
/// `Content-Length`, so that it costs as little as a server can and is the same for every client.
fn serve(stream: TcpStream, bytes: u64, block: &[u8]) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(&stream);
    let mut line = Vec::new();
    // Up to the blank line, at most 100 lines of at most 8 KiB: enough for any client's request head.
    for _ in 0..100 {
        line.clear();
        (&mut reader).take(8192).read_until(b'\n', &mut line)?;
        if line == b"\r\n" || line == b"\n" || line.is_empty() {
            break;
        }
    }
    let mut out = &stream;
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {bytes}\r\n\
         Connection: close\r\n\r\n"
    )?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    Ok(())
}
