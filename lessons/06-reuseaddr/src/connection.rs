//! Given: the two ends of a test connection, made in one call, and what closing one of them leaves.
//! Compiled in both builds; step 3's `close_connection` is yours.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

// ANCHOR: connect_pair
/// Which end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The end that called `connect`.
    Client,
    /// The end that `accept` returned.
    Server,
}

/// Opens one connection to `listener` and accepts it: `(client, server)`, both with `timeout` on reads
/// and writes. `connect` returns once the handshake is done, so the connection is already waiting in the
/// listener's queue and `accept` does not block.
pub fn connect_pair(
    listener: &TcpListener,
    timeout: Duration,
) -> io::Result<(TcpStream, TcpStream)> {
    let client = TcpStream::connect_timeout(&listener.local_addr()?, timeout)?;
    let (server, _) = listener.accept()?;
    for stream in [&client, &server] {
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
    }
    Ok((client, server))
}
// ANCHOR_END: connect_pair

// ANCHOR: closed
/// A connection closed by [`close_connection`](crate::close_connection): which side closed first, and the
/// connection as that side saw it. That side's socket is the one left in `TIME_WAIT`, on `local`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    pub first: Side,
    pub local: SocketAddr,
    pub remote: SocketAddr,
}
// ANCHOR_END: closed
