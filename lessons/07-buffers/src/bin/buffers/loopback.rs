//! The connections every command makes: both ends in this program, on loopback.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use anyhow::Result;
use socket2::{Domain, Socket, Type};

/// The timeout of every socket here: loopback answers in microseconds, so this only stops a hang.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A connected pair on loopback: `(client, server)`, both with [`TIMEOUT`]. `receive_buffer`, when
/// given, is set on the listener before `listen`, so the accepted socket has it from the handshake on
/// (the receive window it announces is fixed then).
pub fn loopback_pair(receive_buffer: Option<usize>) -> Result<(TcpStream, TcpStream)> {
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
