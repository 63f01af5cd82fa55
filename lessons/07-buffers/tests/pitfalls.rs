//! What happens between `write` and `read`, happening on loopback: writes merge and split, a write can
//! take less than it was given, a peer that does not read stops the sender (and loses nothing), the
//! kernel changes the buffer sizes you ask for, and a length prefix must be checked before it is
//! trusted. The chapter's "Pitfalls" section names each test. They assert what happened, never how long
//! it took.
//!
//! Run them with `cargo test -p buffers --test pitfalls`.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use buffers::{FrameReader, buffer_sizes, drain, fill_until_blocked};
use test_support::{IO_TIMEOUT, connect, small_buffer_pair, with_timeouts};

/// A connected pair on loopback, `(client, server)`, with timeouts.
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = connect(listener.local_addr().unwrap());
    let (server, _) = listener.accept().unwrap();
    (client, with_timeouts(server))
}

/// Waits until `count` bytes are in `stream`'s receive buffer, looking with `peek` (which takes nothing
/// out), for at most [`IO_TIMEOUT`].
#[track_caller]
fn wait_for_bytes(stream: &TcpStream, count: usize) {
    let deadline = Instant::now() + IO_TIMEOUT;
    let mut look = vec![0u8; count];
    while stream.peek(&mut look).unwrap() < count {
        assert!(Instant::now() < deadline, "{count} bytes did not arrive");
        std::thread::yield_now();
    }
}

/// Two `write` calls are not two messages: once both have arrived, one `read` returns them together.
/// The receiver cannot tell where the first ended.
#[test]
fn two_writes_can_arrive_as_one_read() {
    let (mut client, mut server) = pair();
    client.set_nodelay(true).unwrap(); // each write leaves at once, as its own segment
    client.write_all(b"hello").unwrap();
    client.write_all(b"world").unwrap();
    wait_for_bytes(&server, 10);

    let mut buf = [0u8; 1024];
    let n = server.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"helloworld", "one read returns both writes");
}

/// One `write` is not one read either: a read returns at most its buffer's size, so a 100 KB write takes
/// many reads of 1 KiB, each one what had arrived and fitted.
#[test]
fn one_write_can_take_many_reads() {
    let (mut client, mut server) = pair();
    let message = vec![7u8; 100_000];
    let writer = std::thread::spawn(move || {
        client.write_all(&message).unwrap();
        client.shutdown(Shutdown::Write).unwrap();
    });
    let drained = drain(&mut server, 1024).unwrap();
    writer.join().unwrap();
    assert_eq!(drained.bytes, 100_000);
    assert!(
        drained.reads >= 98,
        "100,000 bytes in reads of at most 1024 bytes take at least 98 reads, got {}",
        drained.reads
    );
}

/// `write` may take less than it is given: to a peer that does not read, with a write timeout, a large
/// write returns the count of what fitted in the buffers once the timeout expires, and the rest is the
/// caller's to send. `write_all` loops over such short writes, but when it fails it cannot say how much
/// went.
#[test]
fn a_write_to_a_peer_that_does_not_read_is_short() {
    let (client, _server) = small_buffer_pair();
    client
        .set_write_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let big = vec![1u8; 4 << 20];
    let written = (&client)
        .write(&big)
        .expect("a write that took some bytes returns their count");
    assert!(
        written > 0 && written < big.len(),
        "a short write: {written} of {} bytes",
        big.len()
    );

    let err = (&client).write_all(&big).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "write_all gives up with the timeout's error, not a count: {err}"
    );
}

/// Flow control: a receiver that does not read stops the sender once its receive buffer and the
/// sender's send buffer are full. What is in flight is bounded by those two buffers, and nothing is
/// lost: the receiver gets every byte the sender's kernel took.
#[test]
fn flow_control_bounds_what_is_in_flight() {
    let (client, mut server) = small_buffer_pair();
    let (send, _) = buffer_sizes(&client).unwrap();
    let (_, receive) = buffer_sizes(&server).unwrap();
    let taken = fill_until_blocked(&client, 1024).unwrap();
    assert!(taken > 0, "the kernel takes some bytes before blocking");
    assert!(
        taken <= (send + receive) as u64,
        "at most SO_SNDBUF + SO_RCVBUF ({send} + {receive}) can be in flight, the kernel took {taken}"
    );

    client.shutdown(Shutdown::Write).unwrap();
    server.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let drained = drain(&mut server, 64 * 1024).unwrap();
    assert_eq!(drained.bytes, taken, "every byte taken arrives, none lost");
}

/// Linux doubles the size given to `SO_SNDBUF` (half is for its own bookkeeping), raises it to a
/// minimum, and caps the request at `net.core.wmem_max`.
#[cfg(target_os = "linux")]
#[test]
fn linux_doubles_a_requested_buffer_size() {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_send_buffer_size(65536).unwrap();
    assert_eq!(
        socket.send_buffer_size().unwrap(),
        131072,
        "65536 asked, twice that given"
    );

    socket.set_send_buffer_size(1).unwrap();
    let minimum = socket.send_buffer_size().unwrap();
    assert!(
        minimum > 2,
        "a minimum applies: 1 byte asked, {minimum} given"
    );

    let cap: usize = std::fs::read_to_string("/proc/sys/net/core/wmem_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    socket.set_send_buffer_size(cap * 4).unwrap();
    assert_eq!(
        socket.send_buffer_size().unwrap(),
        cap * 2,
        "a request over net.core.wmem_max ({cap}) is capped there, then doubled"
    );
}

/// A length prefix is the peer's word, not a fact: `FF FF FF FF` announces a 4 GiB frame. The reader
/// refuses it before allocating or reading any of it, and does not wait for bytes that will not come.
#[test]
fn a_frame_reader_refuses_an_over_long_frame() {
    let (mut client, server) = pair();
    client.write_all(&[0xFF, 0xFF, 0xFF, 0xFF]).unwrap();
    // The client stays connected and sends nothing more: a reader that waited for the frame would hang.
    let mut frames = FrameReader::new(Counting::new(server), 1024);
    let err = frames.read_frame().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
    assert!(
        err.to_string().contains("4294967295 bytes"),
        "the error says what was announced: {err}"
    );
    assert_eq!(frames.into_inner().bytes, 4, "only the prefix was read");
    drop(client);
}

/// A reader that counts the bytes it returned.
struct Counting<R> {
    inner: R,
    bytes: u64,
}

impl<R> Counting<R> {
    fn new(inner: R) -> Self {
        Counting { inner, bytes: 0 }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}
