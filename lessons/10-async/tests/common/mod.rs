//! What the steps and the pitfalls of lesson 10 share: a tokio runtime on a thread of its own that serves
//! on a listener bound to `127.0.0.1:0` (the test's own thread talks to it with blocking sockets that have
//! timeouts, as `nc` would), and a stream that tells the test when the server has read from it.

#![allow(dead_code)] // each test file uses its own part of this

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use async_chat::{Room, RoomConfig, session};
use test_support::IO_TIMEOUT;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

/// How long a test waits for a line that must *not* come (the server is stalled): when it does come, the
/// stall the test shows did not happen. Loopback answers in microseconds; half a second is plenty.
pub const NO_LINE_WITHIN: Duration = Duration::from_millis(500);

/// A room with these limits.
pub fn config(max_members: usize, queue: usize) -> RoomConfig {
    RoomConfig {
        max_members,
        max_line: 64,
        queue,
    }
}

/// A current-thread runtime, with the reactor and the timer, for a test that runs async code itself.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("starting a tokio runtime")
}

/// A future served on a current-thread runtime of its own thread, with a listener on `127.0.0.1:0` and a
/// stop it may wait for. Dropping it asks for the stop; [`OnRuntime::finish`] also waits for the result.
pub struct OnRuntime<T> {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    result: mpsc::Receiver<T>,
}

impl<T: Send + 'static> OnRuntime<T> {
    /// Binds, then runs `serve(listener, stop)` on a new thread's runtime.
    pub fn start<F, Fut>(serve: F) -> Self
    where
        F: FnOnce(TcpListener, oneshot::Receiver<()>) -> Fut + Send + 'static,
        Fut: Future<Output = T>,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel();
        let (done, result) = mpsc::channel();
        thread::spawn(move || {
            let runtime = runtime();
            let value = runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("registering the listener");
                serve(listener, stopped).await
            });
            let _ = done.send(value);
        });
        OnRuntime {
            addr,
            stop: Some(stop),
            result,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Asks for the stop and waits for what the served future returned, at most `within`.
    #[track_caller]
    pub fn finish(mut self, within: Duration) -> T {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.result.recv_timeout(within).unwrap_or_else(|_| {
            panic!("the server did not finish within {within:?} of the stop (or it panicked: see above)")
        })
    }
}

impl<T> Drop for OnRuntime<T> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The room's sessions (the given `session`, which calls your `read_line`, `tell_others` and
/// `member_loop`), each connection accepted by the test's own loop, not by your `accept_loop`, and each
/// stream a [`Reported`] one: `reads` gets `(connection, bytes)` for every read the server did, counting
/// connections from 0 in the order they were accepted. The stop tells every session to finish.
pub fn sessions(config: RoomConfig) -> (OnRuntime<()>, mpsc::Receiver<(usize, usize)>) {
    let (reported, reads) = mpsc::channel();
    let served = OnRuntime::start(move |listener, stopped| async move {
        let room = Arc::new(Room::new(config));
        let (stop, stop_rx) = watch::channel(false);
        let accepting = async {
            for connection in 0.. {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let Some(place) = room.connect() else {
                    continue;
                };
                let (room, stop_rx) = (Arc::clone(&room), stop_rx.clone());
                let stream = Reported::new(stream, connection, reported.clone());
                tokio::spawn(async move {
                    let _ = session(stream, &place, &room, stop_rx).await;
                });
            }
        };
        tokio::select! {
            () = accepting => {}
            _ = stopped => {}
        }
        let _ = stop.send(true);
    });
    (served, reads)
}

/// Waits until the server has read `bytes` bytes in all from `connection`'s socket.
#[track_caller]
pub fn await_read(reads: &mpsc::Receiver<(usize, usize)>, connection: usize, bytes: usize) {
    let mut read = 0;
    while read < bytes {
        match reads.recv_timeout(IO_TIMEOUT) {
            Ok((from, n)) if from == connection => read += n,
            Ok(_) => {}
            Err(_) => panic!(
                "the server read {read} of the {bytes} bytes sent on connection {connection} within \
                 {IO_TIMEOUT:?}: is the member's task reading its socket while it waits for the room?"
            ),
        }
    }
}

/// A stream that reports, for each read that completed, how many bytes it gave (`Ok(0)` included).
pub struct Reported<S> {
    inner: S,
    connection: usize,
    reads: mpsc::Sender<(usize, usize)>,
}

impl<S> Reported<S> {
    pub fn new(inner: S, connection: usize, reads: mpsc::Sender<(usize, usize)>) -> Self {
        Reported {
            inner,
            connection,
            reads,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Reported<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            let _ = self
                .reads
                .send((self.connection, buf.filled().len() - before));
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Reported<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A connection over loopback: the server's end as a tokio stream (made inside the caller's runtime), the
/// client's as a blocking `std::net::TcpStream` with timeouts.
pub fn connected_pair() -> (tokio::net::TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    let client = test_support::connect(listener.local_addr().unwrap());
    let (server, _) = test_support::accept_within(&listener, IO_TIMEOUT).expect("accepting");
    server.set_nonblocking(true).unwrap();
    let server = tokio::net::TcpStream::from_std(server).expect("registering with the runtime");
    (server, client)
}
