//! `fetch-bench`: downloads the same large body with `http-fetch` and with `curl`, one after the other in
//! the same run, from a server inside this program, and prints both throughputs and their ratio.
//!
//! ```text
//! bash lessons/05-http-fetch/compare-curl.sh      # builds both in release mode, then runs this
//! target/release/examples/fetch-bench --size 16 --rounds 1   # again, once built; a quick check
//! ```
//!
//! Both clients write the body to /dev/null, so the disk is not measured; both run as separate
//! processes, started the same way. The server writes the body from one 1 MiB buffer in memory, with
//! `Content-Length`, so it costs as little as a server can and is the same for both.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;

/// Download one large body with http-fetch (at several read buffer sizes) and with curl, from a local
/// server, and print the throughputs side by side. Build with --release: a debug build measures the
/// debug build.
#[derive(Parser, Debug)]
#[command(name = "fetch-bench", version)]
struct Cli {
    /// The body's size in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256,
          value_parser = clap::value_parser!(u64).range(1..=16 * 1024))]
    size: u64,

    /// How many times each client downloads it; the table shows the best and the median.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=50))]
    rounds: u32,

    /// The http-fetch program (by default the release build: target/release/http-fetch).
    #[arg(long, value_name = "PATH")]
    http_fetch: Option<PathBuf>,

    /// The curl program.
    #[arg(long, value_name = "PATH", default_value = "curl")]
    curl: PathBuf,
}

/// How long one download may take before it is stopped: 16 GiB at a slow 100 MB/s takes under 3 minutes.
const DOWNLOAD_LIMIT: Duration = Duration::from_secs(300);

/// The read buffer sizes http-fetch is run with; 64 KiB is its default.
const BUFFER_SIZES: [u32; 4] = [4 * 1024, 16 * 1024, 64 * 1024, 256 * 1024];
const DEFAULT_BUFFER: u32 = 64 * 1024;

fn main() -> Result<()> {
    let cli = Cli::parse();
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
    let addr = start_server(bytes)?;
    let url = format!("http://{addr}/big");

    let mut clients: Vec<(String, Vec<String>, PathBuf)> = BUFFER_SIZES
        .iter()
        .map(|size| {
            let name = if *size == DEFAULT_BUFFER {
                format!("http-fetch --buffer-size {}K (default)", size / 1024)
            } else {
                format!("http-fetch --buffer-size {}K", size / 1024)
            };
            let args = vec![
                "--buffer-size".into(),
                size.to_string(),
                "-o".into(),
                "/dev/null".into(),
                url.clone(),
            ];
            (name, args, http_fetch.clone())
        })
        .collect();
    clients.push((
        "curl".into(),
        vec![
            "-s".into(),
            "-f".into(),
            "-o".into(),
            "/dev/null".into(),
            url.clone(),
        ],
        cli.curl.clone(),
    ));
    let curl_version = version_line(&cli.curl);

    println!(
        "downloading {} MiB from {url}, {} round(s), to /dev/null",
        cli.size, cli.rounds
    );
    let mut seconds: Vec<Vec<f64>> = vec![Vec::new(); clients.len()];
    // Round by round, every client once, so that a change in the machine's load hits them all alike.
    for _ in 0..cli.rounds {
        for ((name, args, program), times) in clients.iter().zip(&mut seconds) {
            let took = download(program, args).with_context(|| format!("running {name}"))?;
            times.push(took.as_secs_f64());
        }
    }

    println!();
    println!("{:<38} {:>12} {:>12}", "client", "best MB/s", "median MB/s");
    let mut best = Vec::new();
    let mut median = Vec::new();
    for ((name, _, _), times) in clients.iter().zip(&mut seconds) {
        times.sort_by(f64::total_cmp);
        let fastest = bytes as f64 / times[0] / 1e6;
        let middle = bytes as f64 / times[times.len() / 2] / 1e6;
        println!("{name:<38} {fastest:>12.0} {middle:>12.0}");
        best.push(fastest);
        median.push(middle);
    }
    let ours = BUFFER_SIZES
        .iter()
        .position(|size| *size == DEFAULT_BUFFER)
        .expect("the default is measured");
    let curl = clients.len() - 1;
    println!();
    println!(
        "http-fetch (default buffer) / curl: {:.2} best, {:.2} median",
        best[ours] / best[curl],
        median[ours] / median[curl]
    );
    println!("curl: {curl_version}");
    Ok(())
}

/// Runs one download to the end and returns how long it took; fails if the client fails or hangs.
fn download(program: &Path, args: &[String]) -> Result<Duration> {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    loop {
        if let Some(status) = child.try_wait()? {
            let took = start.elapsed();
            if !status.success() {
                bail!("{} {args:?} exited with {status}", program.display());
            }
            return Ok(took);
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

/// A server on 127.0.0.1:0 that answers every request with a body of `bytes` bytes, a thread per client.
fn start_server(bytes: u64) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the benchmark server")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || {
                // A client that goes away early is not the server's problem.
                let _ = serve(stream, bytes);
            });
        }
    });
    Ok(addr)
}

/// Reads the request head and sends the response.
fn serve(stream: TcpStream, bytes: u64) -> std::io::Result<()> {
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
    let block: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    Ok(())
}
