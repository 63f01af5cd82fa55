//! The classic surprises of UDP, happening on loopback. Each test shows one and what the lesson's code does
//! about it; the chapter's "Pitfalls" section names them. They assert what happened, never how long it
//! took.
//!
//! Run them with `cargo test -p udp-pair --test pitfalls`.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::time::Duration;

use common::{SILENCE, client, closed_port, start_server, with_timeouts};
use shared::trace::{Trace, is_timeout};
use test_support::{IO_TIMEOUT, connect};
use udp_pair::{ClientConfig, Reply, ServerConfig, client_socket, request};

/// Receives one datagram on `socket` into a buffer of `size` bytes; panics on a timeout or an error.
#[track_caller]
fn receive(socket: &UdpSocket, size: usize) -> Vec<u8> {
    let mut buf = vec![0u8; size];
    let (len, _) = socket
        .recv_from(&mut buf)
        .unwrap_or_else(|err| panic!("expected a datagram, but {:?}: {err}", err.kind()));
    buf.truncate(len);
    buf
}

/// Checks that nothing arrives on `socket` for [`SILENCE`].
#[track_caller]
fn assert_nothing_arrives(socket: &UdpSocket, why: &str) {
    socket.set_read_timeout(Some(SILENCE)).unwrap();
    let mut buf = [0u8; 2048];
    match socket.recv_from(&mut buf) {
        Err(err) if is_timeout(&err) => {}
        Ok((len, from)) => panic!(
            "{why}, but {:?} arrived from {from}",
            String::from_utf8_lossy(&buf[..len])
        ),
        Err(err) => panic!("{why}, but receiving failed: {:?}: {err}", err.kind()),
    }
    socket.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
}

/// Each send is one datagram: two `send_to` calls arrive as two `recv_from` results, each one whole, even
/// when both are waiting and the buffer could hold both; and one `send_to` of two lines is one datagram,
/// which the receiver gets in one piece (splitting it is up to the application). TCP is a stream of bytes:
/// two writes waiting in the receiver's buffer come out of one `read` together, and the reader has to find
/// the boundaries itself (lesson 02's lines). This is why the lesson's server splits nothing.
#[test]
fn each_send_is_one_datagram() {
    let receiver = client();
    let sender = client();
    let to = receiver.local_addr().unwrap();
    sender.send_to(b"Alice", to).unwrap();
    sender.send_to(b"Bob", to).unwrap();
    sender.send_to(b"Carol\nDave\n", to).unwrap();
    assert_eq!(
        receive(&receiver, 1024),
        b"Alice",
        "the first datagram, alone"
    );
    assert_eq!(
        receive(&receiver, 1024),
        b"Bob",
        "the second datagram, alone"
    );
    assert_eq!(
        receive(&receiver, 1024),
        b"Carol\nDave\n",
        "one datagram with two lines in it, in one piece"
    );

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut writer = connect(listener.local_addr().unwrap());
    let (mut reader, _) = listener.accept().unwrap();
    reader.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    writer.write_all(b"Alice").unwrap();
    writer.write_all(b"Bob").unwrap();
    // Both writes have arrived once 8 bytes can be peeked at (peek leaves them in the buffer).
    let mut buf = [0u8; 1024];
    while reader.peek(&mut buf).unwrap() < 8 {
        std::thread::yield_now();
    }
    let n = reader.read(&mut buf).unwrap();
    assert_eq!(
        &buf[..n],
        b"AliceBob",
        "two TCP writes waiting in the buffer come out of one read together"
    );
}

/// A datagram bigger than the buffer given to `recv_from` is cut to the buffer's size, and `recv_from`
/// says nothing: it returns the bytes that fit, as if that were the whole datagram. The rest is gone: the
/// next `recv_from` does not return it, it waits for the next datagram. Python's `recvfrom(10)` does the
/// same. The lesson's server gives its buffer one byte more than the largest request it accepts: a
/// datagram that fills the buffer is too long, and gets an error reply instead of a reply to half a name.
#[test]
fn a_datagram_bigger_than_the_buffer_is_cut_without_an_error() {
    let receiver = client();
    let sender = client();
    let datagram: Vec<u8> = (0..100u8).collect();
    sender
        .send_to(&datagram, receiver.local_addr().unwrap())
        .unwrap();
    let mut small = [0u8; 10];
    let (len, from) = receiver
        .recv_from(&mut small)
        .expect("a datagram that does not fit is not an error");
    assert_eq!(
        len, 10,
        "recv_from returns what fits, nothing says more was sent"
    );
    assert_eq!(from, sender.local_addr().unwrap());
    assert_eq!(small, datagram[..10], "the first 10 bytes");
    assert_nothing_arrives(
        &receiver,
        "the other 90 bytes are thrown away: nothing more should arrive",
    );
}

/// Sending to a port where nothing listens: `send_to` succeeds (the datagram leaves), and the kernel on the
/// other side answers with an ICMP "port unreachable" message. An unconnected socket cannot tell which of
/// its peers that message is about, so it reports nothing: `recv_from` waits until its timeout, as if the
/// datagram had been lost, and without a read timeout it would wait for ever.
#[test]
fn an_unconnected_socket_hears_nothing_from_a_closed_port() {
    let nobody = closed_port();
    let unconnected = client();
    unconnected
        .send_to(b"Alice", nobody)
        .expect("sending succeeds: the datagram leaves");
    unconnected.set_read_timeout(Some(SILENCE)).unwrap();
    let mut buf = [0u8; 64];
    let err = unconnected
        .recv_from(&mut buf)
        .expect_err("nothing listens there: no reply can come");
    assert!(
        is_timeout(&err),
        "the unconnected socket hears nothing about it, and waits until its timeout; got {:?}: {err}",
        err.kind()
    );
}

/// Unless it asks. With `IP_RECVERR` (Linux), an unconnected socket is told of the ICMP "port unreachable"
/// too: its next `recv_from` fails with `ConnectionRefused`, whoever the datagram was for. Windows does that
/// without being asked (as `ConnectionReset`): a server there hears, as an error of `recv_from`, that a
/// reply found no one, and must go on. Step 1 gives `serve` such a socket.
#[cfg(target_os = "linux")]
#[test]
fn asked_with_ip_recverr_an_unconnected_socket_hears_connection_refused() {
    let nobody = closed_port();
    let unconnected = client();
    common::report_icmp_errors(&unconnected);
    unconnected
        .send_to(b"Alice", nobody)
        .expect("sending succeeds: the datagram leaves");
    let mut buf = [0u8; 64];
    let err = unconnected
        .recv_from(&mut buf)
        .expect_err("nothing listens there: no reply can come");
    assert_eq!(
        err.kind(),
        ErrorKind::ConnectionRefused,
        "with IP_RECVERR, the unconnected socket hears the ICMP \"port unreachable\" as an error: {err}"
    );
    // The error is reported once: the socket goes on receiving.
    let sender = client();
    sender
        .send_to(b"Bob", unconnected.local_addr().unwrap())
        .unwrap();
    assert_eq!(receive(&unconnected, 64), b"Bob");
}

/// The same datagram from a *connected* socket (`client_socket`): the kernel knows which peer the ICMP
/// "port unreachable" is about, and the socket's next `recv` (or `send`) fails with `ConnectionRefused`, at
/// once. This is why the lesson's client connects its socket: "nothing listens there" comes back in
/// microseconds instead of after every retry.
#[test]
fn a_connected_socket_hears_connection_refused() {
    let nobody = closed_port();
    let connected = with_timeouts(client_socket(nobody).unwrap());
    connected
        .send(b"Alice")
        .expect("sending succeeds: the datagram leaves");
    let mut buf = [0u8; 64];
    let err = connected
        .recv(&mut buf)
        .expect_err("nothing listens there: no reply can come");
    assert_eq!(
        err.kind(),
        ErrorKind::ConnectionRefused,
        "the connected socket hears the ICMP \"port unreachable\" as an error: {err}"
    );
}

/// An unconnected socket receives datagrams from anyone who knows its address: that is how one server
/// socket serves every client, and also why a client must check where a reply comes from (or that it
/// matches its request). A *connected* socket is filtered by the kernel: a stranger's datagram to it is
/// dropped, and only its peer's datagrams arrive. The lesson's client connects its socket; the server
/// cannot, it does not know its clients in advance.
#[test]
fn anyone_can_send_to_an_unconnected_socket() {
    let stranger = client();
    let unconnected = client();
    stranger
        .send_to(b"hi from a stranger", unconnected.local_addr().unwrap())
        .unwrap();
    let mut buf = [0u8; 64];
    let (len, from) = unconnected.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..len], b"hi from a stranger");
    assert_eq!(
        from,
        stranger.local_addr().unwrap(),
        "recv_from says who sent it"
    );

    let server = client();
    let connected = with_timeouts(client_socket(server.local_addr().unwrap()).unwrap());
    let connected_addr = connected.local_addr().unwrap();
    // client_socket binds to 0.0.0.0; on this machine, the socket is reached through loopback.
    let to = std::net::SocketAddr::from(([127, 0, 0, 1], connected_addr.port()));
    stranger.send_to(b"hi from a stranger", to).unwrap();
    server.send_to(b"hi from the server", to).unwrap();
    let len = connected.recv(&mut buf).unwrap();
    assert_eq!(
        &buf[..len],
        b"hi from the server",
        "only the peer's datagram arrives: the kernel dropped the stranger's"
    );
    assert_nothing_arrives(
        &connected,
        "the stranger's datagram should never arrive on the connected socket",
    );
}

/// A client that takes the first datagram that comes as the reply to its request goes wrong after a retry
/// whose first try was only late: both tries are answered, and the second answer, still waiting in the
/// socket, is read as the reply to the next request. Here `Alice` is sent twice (the retry), one reply is
/// read, then `Bob` is sent, and the next datagram is `Hello, Alice!` again. The lesson's `request` tags
/// each request (`#1 Alice`) and ignores any datagram without its own tag, so the same late duplicate
/// does not fool it.
#[test]
fn without_a_tag_a_late_reply_answers_the_next_request() {
    let server = start_server(ServerConfig::default());
    let naive = with_timeouts(client_socket(server.addr()).unwrap());
    naive.send(b"Alice").unwrap();
    naive.send(b"Alice").unwrap(); // the retry
    let mut buf = [0u8; 1024];
    let len = naive.recv(&mut buf).unwrap();
    assert_eq!(&buf[..len], b"Hello, Alice!\n");
    naive.send(b"Bob").unwrap();
    let len = naive.recv(&mut buf).unwrap();
    assert_eq!(
        &buf[..len],
        b"Hello, Alice!\n",
        "the untagged client reads the answer to its retry as the reply to `Bob`"
    );

    let tagged = with_timeouts(client_socket(server.addr()).unwrap());
    tagged.send(b"#1 Alice").unwrap();
    tagged.send(b"#1 Alice").unwrap(); // the retry
    let len = tagged.recv(&mut buf).unwrap();
    assert_eq!(&buf[..len], b"#1 Hello, Alice!\n");
    let reply = request(&tagged, 2, "Bob", &ClientConfig::default(), &Trace::off()).unwrap();
    assert_eq!(
        reply,
        Some(Reply::Tagged("Hello, Bob!".into())),
        "request(2, \"Bob\") skips `#1 Hello, Alice!`, which is not its reply"
    );
}

/// On a real network a datagram can be lost, and nobody is told: not the sender, not the receiver. Here
/// the lesson's server ignores every second datagram on purpose (`drop_every: Some(2)`, the `--drop-every`
/// option), and the lesson's client still gets every reply: after 50 ms without one, it sends the request
/// again. Its trace shows the retries.
#[test]
fn retries_recover_from_a_server_that_drops_datagrams() {
    let server = start_server(ServerConfig {
        drop_every: Some(2),
        ..ServerConfig::default()
    });
    let socket = with_timeouts(client_socket(server.addr()).unwrap());
    let config = ClientConfig {
        timeout: Duration::from_millis(50),
        tries: 3,
        ..ClientConfig::default()
    };
    let (trace, log) = Trace::memory();
    for (id, name) in (1..).zip(["Alice", "Bob", "Carol", "Dave", "Erin"]) {
        let reply = request(&socket, id, name, &config, &trace).unwrap();
        assert_eq!(
            reply,
            Some(Reply::Tagged(format!("Hello, {name}!"))),
            "request {id} should be answered in the end; the client's trace:\n{}",
            log.lines().join("\n")
        );
    }
    let retries = log
        .lines()
        .iter()
        .filter(|line| line.contains("sending again"))
        .count();
    assert!(
        retries >= 4,
        "the server dropped every second datagram: at least 4 of the 5 requests needed a second try; the \
         client's trace:\n{}",
        log.lines().join("\n")
    );
}

/// How big can a datagram be? Over IPv4 the IP packet's length field has 16 bits: 65,535 bytes, minus 20
/// for the IP header and 8 for the UDP header, leaves 65,507 bytes of data. A datagram of 65,507 bytes is
/// sent and received whole (with a big enough buffer: 65,536 bytes here), one byte more and `send_to` fails
/// with `EMSGSIZE`, "Message too long" (error 90 on Linux): nothing is sent. On a real network anything
/// over about 1,472 bytes (a 1,500-byte Ethernet frame) is cut into IP fragments, and losing any fragment
/// loses the whole datagram: keep datagrams small. (Linux only: other systems have lower limits of their
/// own, e.g. 9,216 bytes by default on macOS.)
#[cfg(target_os = "linux")]
#[test]
fn a_datagram_over_65507_bytes_is_refused() {
    let receiver = client();
    let sender = client();
    let to = receiver.local_addr().unwrap();
    let biggest: Vec<u8> = (0..65_507u32).map(|i| i as u8).collect();
    assert_eq!(sender.send_to(&biggest, to).unwrap(), 65_507);
    assert!(
        receive(&receiver, 65_536) == biggest,
        "the 65,507-byte datagram should arrive whole"
    );

    let err = sender
        .send_to(&[0u8; 65_508], to)
        .expect_err("65,508 bytes cannot fit in one IPv4 packet");
    // EMSGSIZE: std has no ErrorKind of its own for it, so the number tells.
    assert_eq!(
        err.raw_os_error(),
        Some(90),
        "send_to should fail with EMSGSIZE (90 on Linux), got {:?}: {err}",
        err.kind()
    );
    assert_nothing_arrives(&receiver, "nothing was sent");
}

/// A receiver that does not read fast enough loses datagrams, and nobody is told. Its receive buffer is
/// small here (`SO_RCVBUF`, which std cannot set; socket2 can): 2000 datagrams sent in a burst, and every
/// `send_to` succeeds, because sending a datagram only means handing it to the network. The receiver then
/// reads what its buffer kept: far fewer. The kernel counted the others (`UdpRcvbufErrors` in
/// `/proc/net/snmp` on Linux) and threw them away. TCP would have slowed the sender down instead (flow
/// control); with UDP, the application decides what a lost datagram costs (the lesson's client: a retry).
/// (Linux only: other systems may instead fail the sends with `ENOBUFS` when their queues fill up.)
#[cfg(target_os = "linux")]
#[test]
fn a_full_receive_buffer_drops_datagrams() {
    let receiver = client();
    let rcvbuf = socket2::SockRef::from(&receiver);
    rcvbuf
        .set_recv_buffer_size(4096)
        .expect("setting SO_RCVBUF");
    let buffer = rcvbuf.recv_buffer_size().expect("reading SO_RCVBUF");
    let sender = client();
    let to = receiver.local_addr().unwrap();
    let datagram = [b'x'; 100];
    let sent = 2000;
    for i in 0..sent {
        let n = sender
            .send_to(&datagram, to)
            .unwrap_or_else(|err| panic!("send_to number {i} failed: {:?}: {err}", err.kind()));
        assert_eq!(n, datagram.len(), "a datagram is sent whole or not at all");
    }

    receiver.set_read_timeout(Some(SILENCE)).unwrap();
    let mut received = 0;
    let mut buf = [0u8; 200];
    loop {
        match receiver.recv_from(&mut buf) {
            Ok((len, _)) => {
                assert_eq!(len, datagram.len(), "each datagram that arrives is whole");
                received += 1;
            }
            Err(err) if is_timeout(&err) => break,
            Err(err) => panic!(
                "the receiver is told nothing of the loss, but recv_from failed: {:?}: {err}",
                err.kind()
            ),
        }
    }
    assert!(
        received > 0,
        "some datagrams should fit in the receive buffer"
    );
    assert!(
        received < sent,
        "with a receive buffer of {buffer} bytes and nobody reading, {sent} datagrams cannot all be kept; \
         {received} arrived"
    );
}
