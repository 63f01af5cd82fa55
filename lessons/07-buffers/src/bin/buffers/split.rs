//! `buffers split`: how reads cut and merge messages, and how framing finds them again.

use std::io::{BufReader, Read, Write};
use std::net::Shutdown;

use anyhow::Result;
use buffers::{DEFAULT_MAX_FRAME, FrameReader, write_frame};
use shared::trace::{Preview, Trace, Traced};
use single_server::{Line, read_line};

use crate::loopback::{TIMEOUT, loopback_pair};

/// The messages `split` sends, each with its own `write`.
const MESSAGES: [&str; 4] = ["one", "two", "three", "four"];

// ANCHOR: split_command
pub fn split(trace: &Trace) -> Result<()> {
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
