//! `buffers bench --nodelay`: small request/response round trips, with the request written in one
//! piece or two, with and without TCP_NODELAY: Nagle's algorithm meets delayed ACKs.

use std::io::{self, Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::loopback::loopback_pair;

/// How many request/response round trips each `--nodelay` row makes.
const ROUND_TRIPS: u32 = 20;

// ANCHOR: nodelay
/// Small round trips: a request of a 4-byte length and 100 bytes, answered with 100 bytes.
pub fn nodelay() -> Result<()> {
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
