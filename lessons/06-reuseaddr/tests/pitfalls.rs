//! "Address already in use", and the fixes that are not fixes, happening on loopback. Each test shows one
//! surprise of restarting a server; the chapter's "Pitfalls" section names them. They assert what the
//! kernel did, never how long it took.
//!
//! Each test binds a port again after closing something on it. Another test's socket must not take that
//! port or hold it in between, so each test has a loopback address of its own (127.0.0.20 and up; all of
//! 127.0.0.0/8 is loopback on Linux), where nothing else binds.
//!
//! Run them with `cargo test -p reuseaddr --test pitfalls`.

use std::net::TcpListener;

use reuseaddr::{Reuse, listen, reuse_address_is_on};
use shared::trace::Trace;

#[cfg(target_os = "linux")]
mod linux {
    use std::io::{self, ErrorKind, Read};
    use std::net::{SocketAddr, TcpListener};
    use std::time::Duration;

    use reuseaddr::{
        Closed, Holders, Reuse, Side, TcpState, close_connection, connect_pair, listen,
        read_tcp_table, wait_for_state, wait_until_gone, who_holds,
    };
    use shared::trace::Trace;
    use test_support::IO_TIMEOUT;

    /// Port 0 on the loopback address 127.0.0.`n`: the kernel picks a free port there.
    fn own_address(n: u8) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, n], 0))
    }

    #[track_caller]
    fn assert_in_use(bound: io::Result<TcpListener>, why: &str) {
        match bound {
            Err(err) if err.kind() == ErrorKind::AddrInUse => {}
            Err(err) => panic!("expected AddrInUse ({why}), got another error: {err}"),
            Ok(listener) => panic!(
                "expected AddrInUse ({why}), but the bind worked: {:?}",
                listener.local_addr()
            ),
        }
    }

    #[track_caller]
    fn assert_bound(bound: io::Result<TcpListener>, why: &str) -> TcpListener {
        bound.unwrap_or_else(|err| panic!("expected the bind to work ({why}), got: {err}"))
    }

    /// How long a connection may take to reach the state a test waits for; on loopback it is at once.
    const STATE_WAIT: Duration = Duration::from_secs(2);

    /// A listener on 127.0.0.`n` and its address.
    fn listener_on(n: u8, reuse: Reuse) -> (TcpListener, SocketAddr) {
        let listener =
            listen(own_address(n), reuse, &Trace::off()).expect("binding the first listener");
        let addr = listener.local_addr().unwrap();
        (listener, addr)
    }

    /// One connection to `listener`, closed with `first` closing first; checks that the end of `first` is
    /// in TIME_WAIT.
    #[track_caller]
    fn close_first(listener: &TcpListener, first: Side) -> Closed {
        let (client, server) = connect_pair(listener, IO_TIMEOUT).expect("connecting");
        let closed = close_connection(client, server, first).expect("closing");
        assert!(
            wait_for_state(closed.local, closed.remote, TcpState::TimeWait, STATE_WAIT).unwrap(),
            "the {first:?} closed first, so its end {} should be in TIME_WAIT",
            closed.local
        );
        closed
    }

    fn holders(addr: SocketAddr) -> Holders {
        who_holds(addr, &read_tcp_table().expect("reading /proc/net/tcp"))
    }

    /// The restart every Python server author meets: the server closed a connection first, so its end
    /// is in TIME_WAIT (60 s), and a new listener without SO_REUSEADDR cannot bind the address, although
    /// nothing listens there any more.
    #[test]
    fn server_closes_first_then_a_plain_rebind_fails() {
        let (listener, addr) = listener_on(20, Reuse::NONE);
        close_first(&listener, Side::Server);
        drop(listener);

        assert_in_use(
            listen(addr, Reuse::NONE, &Trace::off()),
            "the server's end of the connection is in TIME_WAIT",
        );
        let held = holders(addr);
        assert_eq!(
            (held.listening, held.time_wait),
            (0, 1),
            "nothing listens; one connection in TIME_WAIT holds {addr}: {held:?}"
        );
    }

    /// TIME_WAIT belongs to the side that closes first: when the client closes first, the server's end
    /// goes through CLOSE_WAIT and LAST_ACK and is gone at once, and the port is free again.
    #[test]
    fn client_closes_first_then_a_plain_rebind_works() {
        let (listener, addr) = listener_on(21, Reuse::NONE);
        let closed = close_first(&listener, Side::Client);
        assert_eq!(closed.remote, addr, "the client's peer is the server");
        // The server's end is gone as soon as the client's last ACK arrives (LAST_ACK, then nothing).
        assert!(
            wait_until_gone(closed.remote, closed.local, STATE_WAIT).unwrap(),
            "the server's end should be closed for good"
        );
        drop(listener);

        assert_bound(
            listen(addr, Reuse::NONE, &Trace::off()),
            "the TIME_WAIT is on the client's end, another port",
        );
    }

    /// On Linux, SO_REUSEADDR passes a connection in TIME_WAIT only when that connection's socket had
    /// the option too (an accepted socket inherits it from its listener). A server that ran without it
    /// blocks its successor for 60 s, whatever the successor sets; with it on both, the bind works.
    #[test]
    fn so_reuseaddr_on_the_new_socket_alone_does_not_pass_time_wait() {
        let (listener, addr) = listener_on(22, Reuse::NONE);
        close_first(&listener, Side::Server);
        drop(listener);
        assert_in_use(
            listen(addr, Reuse::ADDRESS, &Trace::off()),
            "the connection in TIME_WAIT was made without SO_REUSEADDR",
        );

        let (listener, addr) = listener_on(23, Reuse::ADDRESS);
        close_first(&listener, Side::Server);
        drop(listener);
        assert_in_use(
            listen(addr, Reuse::NONE, &Trace::off()),
            "the new socket has no SO_REUSEADDR",
        );
        assert_bound(
            listen(addr, Reuse::ADDRESS, &Trace::off()),
            "both the connection in TIME_WAIT and the new socket have SO_REUSEADDR",
        );
    }

    /// SO_REUSEADDR is not "share the port": a second live listener is refused. SO_REUSEPORT is: both
    /// listeners bind, and the kernel spreads new connections among them.
    #[test]
    fn two_live_listeners_fail_with_so_reuseaddr_and_work_with_so_reuseport() {
        let (first, addr) = listener_on(24, Reuse::ADDRESS);
        assert_in_use(
            listen(addr, Reuse::ADDRESS, &Trace::off()),
            "a listener is live on the address",
        );
        drop(first);

        let (first, addr) = listener_on(24, Reuse::PORT);
        let second = assert_bound(
            listen(addr, Reuse::PORT, &Trace::off()),
            "both listeners have SO_REUSEPORT",
        );
        // Twenty connections: the kernel picks a listener for each from a hash of its addresses, so both
        // get some (that one gets all twenty has a chance of one in half a million).
        let clients: Vec<_> = (0..20)
            .map(|_| std::net::TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connecting"))
            .collect();
        let accepted = [&first, &second].map(|listener| {
            listener.set_nonblocking(true).unwrap();
            let mut count = 0;
            // `connect` returned after the handshake, so every connection already waits in a queue.
            while listener.accept().is_ok() {
                count += 1;
            }
            count
        });
        assert_eq!(
            accepted[0] + accepted[1],
            clients.len(),
            "every connection is accepted by one of the two listeners: {accepted:?}"
        );
        assert!(
            accepted[0] > 0 && accepted[1] > 0,
            "both listeners should get connections: {accepted:?}"
        );
    }

    /// Closing the listener does not close the connections it accepted. While one is still open (a
    /// child process or a thread still serving it), a new listener without SO_REUSEADDR cannot bind;
    /// with the option on both, as std does, it can.
    #[test]
    fn an_accepted_connection_still_open_blocks_a_plain_rebind() {
        let (listener, addr) = listener_on(25, Reuse::NONE);
        let (_client, _server) = connect_pair(&listener, IO_TIMEOUT).expect("connecting");
        drop(listener);
        assert_in_use(
            listen(addr, Reuse::NONE, &Trace::off()),
            "an accepted connection is still open on the address",
        );
        let held = holders(addr);
        assert_eq!(
            (held.listening, held.other),
            (0, 1),
            "no listener, one open connection on {addr}: {held:?}"
        );

        let (listener, addr) = listener_on(26, Reuse::ADDRESS);
        let (_client, _server) = connect_pair(&listener, IO_TIMEOUT).expect("connecting");
        drop(listener);
        assert_bound(
            listen(addr, Reuse::ADDRESS, &Trace::off()),
            "the open connection and the new listener both have SO_REUSEADDR",
        );
    }

    /// The "fix" found in forums: `SO_LINGER` with a zero timeout. `close` then sends a reset (RST)
    /// instead of a FIN: no TIME_WAIT, and the port is free, but the client gets "connection reset" where
    /// it expected an end of stream, and TIME_WAIT's protection of the next connection is gone.
    #[test]
    fn linger_zero_sends_a_reset_and_leaves_no_time_wait() {
        let (listener, addr) = listener_on(27, Reuse::NONE);
        let (mut client, server) = connect_pair(&listener, IO_TIMEOUT).expect("connecting");
        let (server_end, client_end) = (server.local_addr().unwrap(), server.peer_addr().unwrap());
        socket2::SockRef::from(&server)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(server);

        let mut buf = [0u8; 16];
        match client.read(&mut buf) {
            Err(err) if err.kind() == ErrorKind::ConnectionReset => {}
            other => {
                panic!("the client should see ConnectionReset, not an end of stream: {other:?}")
            }
        }
        let table = read_tcp_table().unwrap();
        assert!(
            !table
                .iter()
                .any(|entry| entry.local == server_end && entry.remote == client_end),
            "a reset connection leaves nothing behind on the server's side"
        );
        drop(listener);
        assert_bound(
            listen(addr, Reuse::NONE, &Trace::off()),
            "nothing holds the address",
        );
    }
}

/// std's `TcpListener::bind` turns SO_REUSEADDR on before it binds (on Unix), which is why a Rust server
/// restarted at once just works. socket2, like Python's `socket.socket()`, makes the socket as the
/// kernel does: off.
#[cfg(unix)]
#[test]
fn std_sets_so_reuseaddr_and_socket2_does_not() {
    let std_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    assert!(
        reuse_address_is_on(&std_listener).unwrap(),
        "std's TcpListener::bind sets SO_REUSEADDR on Unix"
    );

    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    assert!(
        !socket.reuse_address().unwrap(),
        "a new socket, from socket2 as from the kernel, has SO_REUSEADDR off"
    );
    let ours = listen("127.0.0.1:0".parse().unwrap(), Reuse::NONE, &Trace::off()).unwrap();
    assert!(!reuse_address_is_on(&ours).unwrap());
}
