//! `buffers fill`: how many bytes a sender can write to a peer that does not read, before a write would
//! block: flow control, measured.

use std::net::Shutdown;

use anyhow::{Context, Result};
use buffers::{buffer_sizes, drain, fill_until_blocked};

use crate::loopback::loopback_pair;

// ANCHOR: fill_command
pub fn fill(small: usize) -> Result<()> {
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
        let read_back = drain(&mut server, 64 * 1024)?.bytes;
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
