use std::net::{SocketAddr, TcpListener, TcpStream};

use socket2::{Domain, Socket, Type};

/// The buffer size [`small_buffer_pair`] asks for. Linux doubles it and applies its minimum, so the real
/// buffers are a few kilobytes: a request of a few hundred kilobytes cannot fit in them.
const SMALL_BUFFER: usize = 4096;

/// A connected pair `(client, server)` on loopback with tiny socket buffers: a small send buffer on the
/// client and a small receive buffer on the server, set before the connection exists, so that the kernel
/// cannot grow them (autotuning) and the window stays small.
///
/// While the server side does not read, the client can write only a few kilobytes before `write` blocks:
/// the way to make short writes and flow control happen on loopback, where buffers are usually huge.
/// Neither socket has a timeout yet: the test decides.
pub fn small_buffer_pair() -> (TcpStream, TcpStream) {
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).expect("creating a socket");
    // SO_RCVBUF on the listener is inherited by the accepted socket; it must be set before listen() for
    // the window it advertises in the handshake to be small.
    listener
        .set_recv_buffer_size(SMALL_BUFFER)
        .expect("setting SO_RCVBUF");
    listener
        .bind(&loopback.into())
        .expect("binding 127.0.0.1:0");
    listener.listen(1).expect("listen");
    let listener: TcpListener = listener.into();

    let client = Socket::new(Domain::IPV4, Type::STREAM, None).expect("creating a socket");
    client
        .set_send_buffer_size(SMALL_BUFFER)
        .expect("setting SO_SNDBUF");
    client
        .connect(&listener.local_addr().expect("listener address").into())
        .expect("connecting on loopback");
    let (server, _) = listener.accept().expect("accepting on loopback");
    (client.into(), server)
}
