//! `buffers`: the kernel's socket buffers, framing and flow control, measured on loopback.
//!
//! ```text
//! buffers sizes                 # SO_SNDBUF and SO_RCVBUF: defaults, what a request reads back as, and why
//! buffers fill                  # how much a sender can write to a peer that does not read
//! buffers split                 # how reads cut and merge messages, and how framing recovers them
//! buffers bench --svg chart.svg # throughput and system calls for buffer sizes from 1 byte to 1 MiB
//! buffers bench --nodelay       # Nagle's algorithm and delayed ACKs on small request/response exchanges
//! buffers bench --iperf3        # the best setting next to iperf3, in the same run
//! ```

mod bench;
mod chart;

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use buffers::{DEFAULT_MAX_FRAME, FrameReader, buffer_sizes, fill_until_blocked, write_frame};
use clap::{Parser, Subcommand};
use shared::trace::{Preview, Trace, Traced};
use single_server::{Line, read_line};
use socket2::{Domain, Socket, Type};

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
    /// Bulk transfer over loopback for application buffers from 1 byte to 1 MiB, and with BufWriter:
    /// throughput and system calls per MB.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sizes => sizes(),
        Command::Fill { small } => fill(small as usize),
        Command::Split { trace } => split(&trace.tracer()),
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

/// The timeout of every socket here: loopback answers in microseconds, so this only stops a hang.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// A connected pair on loopback: `(client, server)`, both with [`TIMEOUT`]. `receive_buffer`, when
/// given, is set on the listener before `listen`, so the accepted socket has it from the handshake on
/// (the receive window it announces is fixed then).
pub(crate) fn loopback_pair(receive_buffer: Option<usize>) -> Result<(TcpStream, TcpStream)> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    if let Some(size) = receive_buffer {
        socket.set_recv_buffer_size(size)?;
    }
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    socket.listen(1)?;
    let listener: TcpListener = socket.into();
    let client = TcpStream::connect_timeout(&listener.local_addr()?, TIMEOUT)?;
    let (server, _) = listener.accept()?;
    for stream in [&client, &server] {
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
    }
    Ok((client, server))
}

/// A kernel setting from /proc/sys, as written there, or `-` where it cannot be read.
fn sysctl(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|text| text.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "-".into())
}

// ANCHOR: sizes_command
fn sizes() -> Result<()> {
    let fresh = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    let (tcp, _server) = loopback_pair(None)?;
    let udp = std::net::UdpSocket::bind("127.0.0.1:0")?;
    println!("Defaults, read back with getsockopt:\n");
    println!("| socket | SO_SNDBUF | SO_RCVBUF |");
    println!("|---|--:|--:|");
    for (name, (send, receive)) in [
        ("TCP, new", buffer_sizes(&fresh)?),
        ("TCP, connected on loopback", buffer_sizes(&tcp)?),
        ("UDP", buffer_sizes(&udp)?),
    ] {
        println!("| {name} | {send} | {receive} |");
    }
    println!(
        "\nA new TCP socket starts from net.ipv4.tcp_wmem and tcp_rmem (below). Once connected, Linux \
         sizes the send buffer for the connection (from its segment size, 64 KiB on loopback, and its \
         congestion control) and \
         grows both buffers as the transfer needs (autotuning), up to the third number of each."
    );

    println!("\nA size requested with setsockopt(SO_SNDBUF), and what it reads back as:\n");
    println!("| requested | read back | what the kernel did |");
    println!("|--:|--:|---|");
    for requested in [1usize, 1024, 4096, 65536, 1 << 20, 64 << 20] {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        socket.set_send_buffer_size(requested)?;
        let got = socket.send_buffer_size()?;
        let what = match got.cmp(&(requested * 2)) {
            std::cmp::Ordering::Equal => "doubled",
            std::cmp::Ordering::Greater => "raised to its minimum",
            std::cmp::Ordering::Less => "capped at net.core.wmem_max, then doubled",
        };
        println!("| {requested} | {got} | {what} |");
    }
    println!(
        "\nLinux doubles the size asked for (half of it is for its own bookkeeping), raises it to a \
         minimum, and caps the request at net.core.wmem_max (rmem_max for SO_RCVBUF). A size set by hand \
         also turns off the kernel's autotuning of that buffer for the connection."
    );

    println!("\nWhere the defaults come from (/proc/sys/net):\n");
    println!("| setting | value | what it is |");
    println!("|---|---|---|");
    for (path, what) in [
        (
            "ipv4/tcp_wmem",
            "TCP send buffer: min, default, max of autotuning",
        ),
        (
            "ipv4/tcp_rmem",
            "TCP receive buffer: min, default, max of autotuning",
        ),
        ("core/wmem_default", "send buffer of other sockets (UDP)"),
        ("core/rmem_default", "receive buffer of other sockets (UDP)"),
        ("core/wmem_max", "the cap on a SO_SNDBUF request"),
        ("core/rmem_max", "the cap on a SO_RCVBUF request"),
    ] {
        println!(
            "| net.{} | {} | {what} |",
            path.replace('/', "."),
            sysctl(&format!("/proc/sys/net/{path}"))
        );
    }
    Ok(())
}
// ANCHOR_END: sizes_command

// ANCHOR: fill_command
fn fill(small: usize) -> Result<()> {
    println!("A sender writes without blocking to a peer that never reads, until WouldBlock:\n");
    println!(
        "| SO_SNDBUF (sender) | SO_RCVBUF (receiver) | bytes written before WouldBlock | all read back |"
    );
    println!("|---|---|--:|---|");
    for (send, receive) in [
        (None, None),
        (Some(small), None),
        (None, Some(small)),
        (Some(small), Some(small)),
    ] {
        let (client, mut server) = loopback_pair(receive)?;
        if let Some(size) = send {
            socket2::SockRef::from(&client).set_send_buffer_size(size)?;
        }
        let (sndbuf, _) = buffer_sizes(&client)?;
        let (_, rcvbuf) = buffer_sizes(&server)?;
        let taken = fill_until_blocked(&client, 64 * 1024).context("filling the buffers")?;
        // Flow control, not loss: every byte the kernel took arrives once the receiver reads.
        client.shutdown(Shutdown::Write)?;
        let read_back = buffers::drain(&mut server, 64 * 1024)?.bytes;
        let describe = |set: Option<usize>, now: usize| match set {
            Some(size) => format!("set to {size}, reads {now}"),
            None => format!("default, {now}"),
        };
        println!(
            "| {} | {} | {taken} | {} |",
            describe(send, sndbuf),
            describe(receive, rcvbuf),
            if read_back == taken {
                "yes".to_string()
            } else {
                format!("no: {read_back}")
            }
        );
    }
    println!(
        "\nThe bytes fill the receiver's buffer first (the peer announces how much room it has: the TCP \
         window), then the sender's. Then a blocking write waits; with a timeout, it returns the count it \
         managed (a short write), and the next one fails with WouldBlock or TimedOut. Nothing is ever \
         dropped."
    );
    Ok(())
}
// ANCHOR_END: fill_command

/// The messages `split` sends, each with its own `write`.
const MESSAGES: [&str; 4] = ["one", "two", "three", "four"];

// ANCHOR: split_command
fn split(trace: &Trace) -> Result<()> {
    println!(
        "The sender writes {MESSAGES:?}, one write each. The receiver reads after they have all arrived:\n"
    );
    let reads = reads_of(
        MESSAGES.iter().map(|m| m.as_bytes().to_vec()).collect(),
        1024,
        trace,
    )?;
    show_reads("a 1024-byte buffer", &reads);
    let reads = reads_of(
        MESSAGES.iter().map(|m| m.as_bytes().to_vec()).collect(),
        5,
        trace,
    )?;
    show_reads("a 5-byte buffer", &reads);
    println!(
        "\nThe reads cut the stream where they please: TCP delivers bytes, not messages. Two ways to find \
         the messages again:\n"
    );

    let (client, server) = loopback_pair(None)?;
    let client = Traced::new(client, trace.labelled("sender"));
    for message in MESSAGES {
        (&client).write_all(format!("{message}\n").as_bytes())?;
    }
    client.shutdown(Shutdown::Write)?;
    let mut reader = BufReader::with_capacity(5, Traced::new(server, trace.labelled("receiver")));
    let mut lines = Vec::new();
    while let Line::Complete(line) = read_line(&mut reader, 1024)? {
        lines.push(String::from_utf8_lossy(&line).into_owned());
    }
    println!("- a delimiter (`\\n`), read with lesson 02's read_line over 5-byte reads: {lines:?}");
    drop((client, reader));

    let (client, server) = loopback_pair(None)?;
    let client = Traced::new(client, trace.labelled("sender"));
    for message in MESSAGES {
        write_frame(&mut &client, message.as_bytes())?;
    }
    client.shutdown(Shutdown::Write)?;
    // The same 5-byte reads as above: they cut across the frames, and FrameReader puts them together.
    let mut frames = FrameReader::new(
        BufReader::with_capacity(5, Traced::new(server, trace.labelled("receiver"))),
        DEFAULT_MAX_FRAME,
    );
    let mut messages = Vec::new();
    while let Some(frame) = frames.read_frame()? {
        messages.push(String::from_utf8_lossy(&frame).into_owned());
    }
    println!(
        "- a length before each message (4 bytes, big-endian), read with FrameReader over 5-byte reads: {messages:?}"
    );
    Ok(())
}
// ANCHOR_END: split_command

/// Sends `messages` (one write each, with TCP_NODELAY so each leaves at once), closes, then reads them
/// all with a buffer of `buf_size`, and returns what each read returned.
fn reads_of(messages: Vec<Vec<u8>>, buf_size: usize, trace: &Trace) -> Result<Vec<Vec<u8>>> {
    let (client, server) = loopback_pair(None)?;
    client.set_nodelay(true)?;
    let client = Traced::new(client, trace.labelled("sender"));
    for message in &messages {
        (&client).write_all(message)?;
    }
    client.shutdown(Shutdown::Write)?;
    // Wait until every byte has arrived, with `peek`, which looks at the receive buffer without taking
    // anything out: the reads below then show how they cut what is there, not when it came.
    let total: usize = messages.iter().map(Vec::len).sum();
    let mut look = vec![0u8; total];
    let deadline = std::time::Instant::now() + TIMEOUT;
    while server.peek(&mut look)? < total {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the messages did not all arrive"
        );
        std::thread::yield_now();
    }
    let mut server = Traced::new(server, trace.labelled("receiver"));
    let mut buf = vec![0u8; buf_size];
    let mut reads = Vec::new();
    loop {
        let n = server.read(&mut buf)?;
        if n == 0 {
            return Ok(reads);
        }
        reads.push(buf[..n].to_vec());
    }
}

fn show_reads(buffer: &str, reads: &[Vec<u8>]) {
    let shown: Vec<String> = reads.iter().map(|read| Preview(read).to_string()).collect();
    println!(
        "- with {buffer}: {} read(s): {}",
        reads.len(),
        shown.join(" ")
    );
}
