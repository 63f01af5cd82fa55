//! `buffers sizes`: SO_SNDBUF and SO_RCVBUF, their defaults, what a request reads back as, and where the
//! defaults come from.

use anyhow::Result;
use buffers::buffer_sizes;
use socket2::{Domain, Socket, Type};

use crate::loopback::loopback_pair;

// ANCHOR: sizes_command
pub fn sizes() -> Result<()> {
    defaults()?;
    requests()?;
    settings();
    Ok(())
}

/// The sizes of a new TCP socket, a connected one and a UDP socket, left alone.
fn defaults() -> Result<()> {
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
    Ok(())
}

/// Sizes from 1 byte to 64 MiB asked for with setsockopt, and what each reads back as.
fn requests() -> Result<()> {
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
    Ok(())
}

/// The kernel settings the defaults and the caps come from.
fn settings() {
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
}
// ANCHOR_END: sizes_command

/// A kernel setting from /proc/sys, as written there, or `-` where it cannot be read.
fn sysctl(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|text| text.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "-".into())
}
