//! The exercise of lesson 04, one test per step, in the order you do them.
//!
//! Run them with `cargo run -- check 4` (it tests your `src/exercise.rs`). Each test's doc comment is the
//! task; `cargo run -- hint 4` gives a hint for the first step that fails. If the text and the tests
//! disagree, the tests are right.
//!
//! `serve` runs on a thread, on a socket the test bound to `127.0.0.1:0`; it never returns, and the thread
//! ends with the test program. `request` is tested against peers written here (a socket on a thread that
//! answers as the test decides), so steps 3 and 4 do not depend on your server. Every socket here has a
//! timeout (`test_support::IO_TIMEOUT`), and `request` runs on a thread the test stops waiting for, so a
//! step that waits for something that never comes fails within seconds instead of hanging.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{
    RequestOutcome, ScriptedPeer, ask_with_hint, assert_no_reply, call_request, client,
    closed_port, connected_to, describe, hello_reply, show, show_all, start_server, with_timeouts,
};
use test_support::IO_TIMEOUT;
use udp_pair::{ClientConfig, Reply, ServerConfig, answer, client_socket, is_refused, split_tag};

/// A reply as text, for comparisons whose failures read well. Every expected reply is ASCII.
#[track_caller]
fn text(bytes: &[u8]) -> String {
    let zeros = bytes.iter().filter(|byte| **byte == 0).count();
    assert!(
        zeros == 0,
        "the reply has {} bytes, {zeros} of them zero bytes: it looks like a whole buffer was used. Use only \
         the bytes that `recv_from` wrote, `&buf[..len]`",
        bytes.len()
    );
    String::from_utf8_lossy(bytes).into_owned()
}

/// A config for `request` with a short timeout, so that the waits of a test add up to little.
fn quick(timeout_ms: u64, tries: u32) -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_millis(timeout_ms),
        tries,
        ..ClientConfig::default()
    }
}

/// How long a test lets `request` run before it gives up on it: far more than the config's waits add up
/// to, far less than a hang.
const REQUEST_LIMIT: Duration = Duration::from_secs(2);

/// Step 1: `serve` answers each datagram with the reply `answer` makes, sent back to the address the
/// datagram came from: one socket serves every client, with no `listen`, no `accept` and no connection.
/// `answer(b"Alice")` is `Hello, Alice!` and a newline. A client sends `Alice` to the server and receives
/// exactly `Hello, Alice!\n`, from the server's address; then a second client (another socket) sends `Bob`
/// and receives `Hello, Bob!\n`. Then both send before either reads, and each receives its own reply.
/// Last (on Linux), `recv_from` fails once, as it does after a reply that found no one: `serve` reports
/// it and goes on answering.
#[test]
fn step_1_answer_each_datagram_where_it_came_from() {
    assert_eq!(
        text(&answer(b"Alice")),
        "Hello, Alice!\n",
        "answer(b\"Alice\"): the reply is `Hello, ` then the name, `!` and a newline"
    );
    assert_eq!(text(&answer(b"Bob")), "Hello, Bob!\n", "answer(b\"Bob\")");

    let server = start_server(ServerConfig::default());
    let alice = client();
    assert_eq!(
        text(&server.ask(&alice, b"Alice", "Alice")),
        "Hello, Alice!\n",
        "Alice sent `Alice` as one datagram"
    );
    let bob = client();
    let hint = "Alice was answered, but not Bob, who sent from another socket: the server's socket must \
                not be connected to the first client (a connected UDP socket only hears from its peer). \
                Answer each datagram to the address its own `recv_from` returned";
    assert_eq!(
        text(&ask_with_hint(
            &server,
            &bob,
            b"Bob",
            "Bob, the second client,",
            hint
        )),
        "Hello, Bob!\n",
        "Bob sent `Bob`"
    );

    server.send(&alice, b"Alice again", "Alice");
    server.send(&bob, b"Bob again", "Bob");
    assert_eq!(
        text(&server.receive(&bob, "Bob, after both sent,")),
        "Hello, Bob again!\n",
        "Alice and Bob sent one datagram each before reading: Bob's reply must go to Bob"
    );
    assert_eq!(
        text(&server.receive(&alice, "Alice, after both sent,")),
        "Hello, Alice again!\n",
        "Alice and Bob sent one datagram each before reading: Alice's reply must go to Alice"
    );

    #[cfg(target_os = "linux")]
    check_serve_goes_on_after_a_failed_recv_from();
}

/// A client that sent its request and closed its socket before the reply came: the reply finds no one,
/// the kernel answers "port unreachable", and the server's next `recv_from` fails with
/// `ConnectionRefused`. Windows does that by default; Linux when the socket asks (`IP_RECVERR`), as the
/// test's does. `serve` must report it and go on.
#[cfg(target_os = "linux")]
fn check_serve_goes_on_after_a_failed_recv_from() {
    let server = common::start_server_after_a_client_left(ServerConfig::default());
    let hint = "Before Bob, a client sent `Alice` and closed its socket: the reply to it found no one, the \
                kernel answered \"port unreachable\", and that came back to the server's socket as an \
                error of its next `recv_from` (ConnectionRefused; Windows does this by default, Linux when \
                the socket asks with IP_RECVERR, as this test's does). One client's error must not stop the \
                server: report it with `trace.event(...)` and `continue`, instead of `recv_from(...)?`";
    // Two clients: if the error came only after Bob's request, Carol's finds the server stopped.
    for name in ["Bob", "Carol"] {
        let who = format!("{name}, after a client that left,");
        let reply = ask_with_hint(&server, &client(), name.as_bytes(), &who, hint);
        assert_eq!(text(&reply), format!("Hello, {name}!\n"), "{who}");
    }
}

/// Step 2: a server never trusts a datagram. With `max_datagram: 16`, a datagram of exactly 16 bytes is
/// answered, but one of 17 or 100 bytes gets `error: datagram too long (max 16 bytes)\n`: `recv_from` cuts
/// a datagram to the buffer's size without an error, so the buffer needs one byte more than the largest
/// request. An empty datagram gets `error: empty datagram\n` and one that is not UTF-8
/// `error: datagram is not UTF-8\n`. A trailing `\n` or `\r\n` (what `nc -u` sends) is not part of the
/// name. A request that starts with a tag, `#N ` (`split_tag` splits it off), gets the tag back:
/// `#7 Bob` gets `#7 Hello, Bob!\n`, and a tagged datagram that is too long gets its error after the
/// tag. After each bad datagram the server goes on. With
/// `max_datagram: 5000`, 5000 bytes are answered and 5001 are too long.
#[test]
fn step_2_bad_datagrams_and_tags() {
    for (datagram, tag, rest) in [
        (&b"#7 Bob"[..], &b"#7 "[..], &b"Bob"[..]),
        (b"#123 Carol Smith", b"#123 ", b"Carol Smith"),
        (b"#7 ", b"#7 ", b""),
        (b"#00000000000000000001 x", b"#00000000000000000001 ", b"x"),
        (b"Bob", b"", b"Bob"),
        (b"", b"", b""),
        (b"#7", b"", b"#7"),
        (b"#7Bob", b"", b"#7Bob"),
        (b"# Bob", b"", b"# Bob"),
        (b"#x7 Bob", b"", b"#x7 Bob"),
        (b" #7 Bob", b"", b" #7 Bob"),
        (
            b"#000000000000000000001 x",
            b"",
            b"#000000000000000000001 x",
        ),
    ] {
        let (got_tag, got_rest) = split_tag(datagram);
        assert_eq!(
            (show(got_tag), show(got_rest)),
            (show(tag), show(rest)),
            "split_tag({}) should be (tag, rest): a tag is `#`, 1 to 20 digits and a space, at the very \
             start; anything else is no tag (an empty tag, and the whole datagram as the rest)",
            show(datagram)
        );
    }

    for (datagram, expected, why) in [
        (
            &b"Alice\n"[..],
            "Hello, Alice!\n",
            "a trailing \\n is not part of the name",
        ),
        (
            b"Alice\r\n",
            "Hello, Alice!\n",
            "a trailing \\r\\n is not part of the name",
        ),
        (b"", "error: empty datagram\n", "an empty datagram"),
        (b"\n", "error: empty datagram\n", "a newline alone is empty"),
        (
            b"\xff\xfe",
            "error: datagram is not UTF-8\n",
            "bytes that are not UTF-8",
        ),
        (b"#7 Bob", "#7 Hello, Bob!\n", "the tag comes back first"),
        (
            b"#7 Bob\n",
            "#7 Hello, Bob!\n",
            "a tag, and a newline that is not part of the name",
        ),
        (
            b"#7 ",
            "#7 error: empty datagram\n",
            "a tag and nothing after it",
        ),
        (
            b"#7 \xff",
            "#7 error: datagram is not UTF-8\n",
            "a tag, then bytes that are not UTF-8",
        ),
        (
            b"#7Bob",
            "Hello, #7Bob!\n",
            "no space after the digits: not a tag",
        ),
    ] {
        assert_eq!(
            text(&answer(datagram)),
            expected,
            "answer({}): {why}",
            show(datagram)
        );
    }

    let server = start_server(ServerConfig {
        max_datagram: 16,
        drop_every: None,
    });
    let client = client();
    let too_long = "error: datagram too long (max 16 bytes)\n";
    assert_eq!(
        text(&server.ask(
            &client,
            b"0123456789abcdef",
            "a client sending exactly 16 bytes"
        )),
        "Hello, 0123456789abcdef!\n",
        "with max_datagram: 16, a datagram of 16 bytes is not too long: only more than 16 is"
    );
    for size in [17, 100] {
        let datagram = vec![b'x'; size];
        let reply = text(&server.ask(
            &client,
            &datagram,
            &format!("a client sending {size} bytes"),
        ));
        if let Some(name) = reply
            .strip_prefix("Hello, ")
            .and_then(|rest| rest.strip_suffix("!\n"))
        {
            panic!(
                "with max_datagram: 16, a datagram of {size} bytes should get {too_long:?}, but it was \
                 answered {reply:?}: the server read only {} of its bytes. `recv_from` puts what fits in \
                 your buffer and throws the rest away, without an error (Python's `recvfrom(16)` too). \
                 Make the buffer `max_datagram + 1` bytes: a datagram that fills it is too long",
                name.len()
            );
        }
        assert_eq!(
            reply, too_long,
            "with max_datagram: 16, a datagram of {size} bytes is too long"
        );
    }
    assert_eq!(
        text(&server.ask(
            &client,
            b"#5 a name far too long",
            "a client sending 22 bytes, tagged `#5 `,"
        )),
        format!("#5 {too_long}"),
        "with max_datagram: 16, a tagged datagram that is too long gets the error with its tag first, so \
         that the client knows which request failed: the tag is in the part that arrived \
         (`split_tag(&buf[..config.max_datagram])`)"
    );
    let empty_hint = "An empty datagram is a datagram like any other: `recv_from` returns `Ok((0, from))`. \
                      In TCP, reading 0 bytes meant the end of the stream; UDP has no stream to end. Answer \
                      it with the error line and go on";
    assert_eq!(
        text(&ask_with_hint(
            &server,
            &client,
            b"",
            "a client sending an empty datagram",
            empty_hint
        )),
        "error: empty datagram\n",
        "an empty datagram"
    );
    for (datagram, expected) in [
        (&b"\xff\xfe"[..], "error: datagram is not UTF-8\n"),
        (b"Bob\r\n", "Hello, Bob!\n"),
        (b"#7 Bob", "#7 Hello, Bob!\n"),
        (b"#8 \xff", "#8 error: datagram is not UTF-8\n"),
        (b"Alice", "Hello, Alice!\n"),
    ] {
        assert_eq!(
            text(&server.ask(&client, datagram, "a client, after the bad datagrams,")),
            expected,
            "the server should go on after each bad datagram; the datagram was {}",
            show(datagram)
        );
    }

    let server = start_server(ServerConfig {
        max_datagram: 5000,
        drop_every: None,
    });
    let name = vec![b'y'; 5000];
    let reply = server.ask(&client, &name, "a client sending 5000 bytes");
    assert!(
        reply.len() == 5009 && reply.starts_with(b"Hello, yyy") && reply.ends_with(b"y!\n"),
        "with max_datagram: 5000, a datagram of 5000 bytes should be answered `Hello, yyy...y!` with all \
         5000 bytes of the name, but the reply was {}: size the buffer from `config.max_datagram` (plus \
         one), not a fixed 1024 or 4096",
        show(&reply)
    );
    assert_eq!(
        text(&server.ask(&client, &[b'y'; 5001], "a client sending 5001 bytes")),
        "error: datagram too long (max 5000 bytes)\n",
        "with max_datagram: 5000, a datagram of 5001 bytes is too long"
    );
}

/// Step 3: datagrams get lost, and UDP does not send them again: `request` does. It sends the request
/// (`tag_for(id, config)`, here `#1 `, then the message, one datagram) on its connected socket, waits at most
/// `config.timeout` for the reply, and after each timeout sends again, at most `config.tries` times in all;
/// it returns the reply without its tag and newline (`Reply::Tagged`), or `Ok(None)` when no reply came. Against a peer that ignores the first
/// datagram and answers the second, `request(1, "Alice")` returns `Hello, Alice!` after sending `#1 Alice`
/// twice. Against a peer that never answers, it returns `Ok(None)` after exactly `tries` sends, each
/// followed by a wait. On the server's side, `drop_every: Some(2)` makes `serve` ignore every second
/// datagram, as a lossy network would (`dropped_on_purpose` decides).
#[test]
fn step_3_wait_with_a_timeout_and_send_again() {
    let config = quick(250, 3);
    let peer = ScriptedPeer::start(Box::new(|nth, datagram| match nth {
        1 => vec![],
        _ => vec![hello_reply(datagram)],
    }));
    let socket = Arc::new(connected_to(peer.addr()));
    let (outcome, took) = call_request(&socket, 1, "Alice", &config, REQUEST_LIMIT);
    // Once answered, both sends have arrived; otherwise what arrived is for the failure message only.
    let answered = matches!(outcome, Ok(Ok(Some(_))));
    let sent = peer.received(if answered { 2 } else { 0 });
    match &outcome {
        Ok(Ok(Some(Reply::Tagged(reply)))) if reply == "Hello, Alice!" => {}
        Ok(Ok(Some(Reply::Tagged(reply)))) if reply.starts_with("#1 ") || reply.ends_with('\n') => {
            panic!(
                "request(1, \"Alice\") returned Ok(Some({reply:?})): return the reply without its tag (`#1 `) \
             and without its newline"
            )
        }
        Ok(Ok(None)) if sent.len() < 2 => panic!(
            "request(1, \"Alice\") with tries: 3 returned Ok(None) after sending {}: the peer ignored the \
             first datagram, as a lossy network would, and would have answered the next one. After each \
             timeout, send the request again, up to `config.tries` times in all",
            show_all(&sent)
        ),
        Ok(Ok(None)) => panic!(
            "request(1, \"Alice\") with tries: 3 and a timeout of 250ms returned Ok(None) after {took:?}, \
             having sent {}: the peer answered the second datagram at once, but request did not wait for \
             the reply. After each send, wait up to `config.timeout` for it (a read timeout on the socket, \
             then `recv`) before sending again",
            show_all(&sent)
        ),
        Ok(Err(err)) if shared::trace::is_timeout(err) => panic!(
            "request(1, \"Alice\") returned Err({:?}: {err}), the timeout of `recv`, after sending {}: a \
             timeout is not a failure of the request. It means \"no reply yet\": send again, and after the \
             last try return `Ok(None)`",
            err.kind(),
            show_all(&sent)
        ),
        Err(what) if what.starts_with("had not returned") && sent.len() < 2 => panic!(
            "request(1, \"Alice\") with a timeout of 250ms {what}, and had sent {} only: the peer ignored \
             the first datagram and the wait for a reply never ended. Give the socket a read timeout \
             (`socket.set_read_timeout(Some(config.timeout))`) before waiting with `recv`; a timeout is \
             the error that `shared::trace::is_timeout` recognises, and means: send again",
            show_all(&sent)
        ),
        other => panic!(
            "the peer ignored the first datagram and answered the second; request(1, \"Alice\") should \
             return Ok(Some(\"Hello, Alice!\")), but it {}. The peer received {}",
            describe(other),
            show_all(&sent)
        ),
    }
    assert_eq!(
        show_all(&sent),
        show_all(&[b"#1 Alice".to_vec(), b"#1 Alice".to_vec()]),
        "request(1, \"Alice\") should send `#1 Alice` (`tag_for(1, config)`, then the message), once, and once more \
         after the first timeout; then stop, once answered"
    );

    let silent = with_timeouts(UdpSocket::bind("127.0.0.1:0").expect("binding a UDP socket"));
    let socket = Arc::new(connected_to(silent.local_addr().expect("its address")));
    let config = quick(50, 3);
    let (outcome, took) = call_request(&socket, 3, "Carol", &config, REQUEST_LIMIT);
    let sent = drain(&silent);
    match &outcome {
        Ok(Ok(None)) => {}
        Ok(Err(err)) if shared::trace::is_timeout(err) => panic!(
            "against a peer that never answers, request should return Ok(None) after 3 tries, but it \
             returned Err({:?}: {err}), the timeout of `recv`: a timeout is not a failure of the request, \
             it means \"send again\" (and after the last try, `Ok(None)`). The peer received {}",
            err.kind(),
            show_all(&sent)
        ),
        other => panic!(
            "against a peer that never answers, request(3, \"Carol\") with tries: 3 and a timeout of 50ms \
             should return Ok(None), but {took:?} after the call it {}. The peer received {}",
            describe(other),
            show_all(&sent)
        ),
    }
    assert_eq!(
        show_all(&sent),
        show_all(&vec![b"#3 Carol".to_vec(); 3]),
        "against a peer that never answers, request(3, \"Carol\") with tries: 3 should send `#3 Carol` \
         exactly 3 times (the first send counts as a try)"
    );
    assert!(
        took >= config.timeout * (config.tries - 1),
        "against a peer that never answers, request with tries: 3 and a timeout of 50ms returned Ok(None) \
         after only {took:?}: it sent again without waiting. Each try waits up to `config.timeout` for the \
         reply (a read timeout on the socket) before the next send"
    );

    let server = start_server(ServerConfig {
        drop_every: Some(2),
        ..ServerConfig::default()
    });
    let client = client();
    assert_eq!(
        text(&ask_with_hint(
            &server,
            &client,
            b"one",
            "a client sending its first datagram",
            "With drop_every: Some(2), datagram 1 is answered and datagram 2 dropped: add 1 to the \
             count first (the first datagram is number 1), then ask `dropped_on_purpose`",
        )),
        "Hello, one!\n",
        "with drop_every: Some(2), the first datagram is answered"
    );
    server.send(&client, b"two", "the client");
    assert_no_reply(
        &client,
        "with drop_every: Some(2), the second datagram is ignored on purpose: count the datagrams that \
         arrive and ask `dropped_on_purpose(config, received, from, trace)`; when it says `true`, \
         `continue` without answering. So",
    );
    assert_eq!(
        text(&server.ask(&client, b"three", "the client sending its third datagram")),
        "Hello, three!\n",
        "with drop_every: Some(2), the third datagram is answered"
    );
}

/// Everything that has arrived on `peer`, waiting at most a moment for more. Everything `request` sent
/// has arrived once it has returned; the wait only makes sure there is nothing more.
fn drain(peer: &UdpSocket) -> Vec<Vec<u8>> {
    peer.set_read_timeout(Some(common::SILENCE))
        .expect("setting a read timeout");
    let mut received = Vec::new();
    let mut buf = [0u8; 2048];
    while let Ok(len) = peer.recv(&mut buf) {
        received.push(buf[..len].to_vec());
    }
    received
}

/// Step 4: a reply is matched to its request by its tag. A datagram that starts with another request's
/// tag (a late reply to an earlier request, a duplicate) is ignored, and the wait goes on until this try's
/// deadline: it does not start a new try, nor a new full timeout. A datagram with no tag at all comes from
/// a server that does not echo tags: it is taken as `Reply::Untagged` (a peer answering `#3 Carol` with
/// `Hello, #3 Carol!`). A peer answers `#2 Bob` with
/// `#1 Hello, old!\n`, `#21 Hello, older!\n` and then `#2 Hello, Bob!\n`: `request(2, "Bob")` returns
/// `Hello, Bob!`, having sent once. A peer that answers `#1 Alice` twice: `request(1, ...)` then
/// `request(2, "Bob")` on the same socket returns `Hello, Bob!`. A peer sending stale replies every 10 ms cannot keep `request` waiting
/// beyond `tries` x `timeout`. Then `client_socket(server)` binds a socket to port 0 of the server's
/// family and connects it; to a port where nothing listens, `request` on it returns an error that
/// `is_refused` recognises, at once instead of after the timeouts: only a timeout means "send again".
#[test]
fn step_4_match_replies_and_hear_refusals() {
    let config = quick(1000, 2);
    let peer = ScriptedPeer::start(Box::new(|_, datagram| {
        vec![
            b"#1 Hello, old!\n".to_vec(),
            b"#21 Hello, older!\n".to_vec(),
            hello_reply(datagram),
        ]
    }));
    let socket = Arc::new(connected_to(peer.addr()));
    let (outcome, _) = call_request(&socket, 2, "Bob", &config, REQUEST_LIMIT);
    match &outcome {
        Ok(Ok(Some(Reply::Tagged(reply)))) if reply == "Hello, Bob!" => {}
        Ok(Ok(Some(Reply::Tagged(reply)))) if reply.contains("old") => panic!(
            "request(2, \"Bob\") returned Ok(Some({reply:?})): that is a late reply to another request, \
             which arrived first. A datagram is the reply to this request only if it starts with this \
             request's tag, space included (`#2 `; `#21 ` is another request's): ignore any other one and \
             wait on (`strip_prefix` tells both)"
        ),
        other => panic!(
            "the peer answered `#2 Bob` with late replies to requests #1 and #21, then `#2 Hello, Bob!\\n`: \
             request(2, \"Bob\") should return Ok(Some(\"Hello, Bob!\")), but it {}. A datagram without this request's tag must not end \
             the try: loop on `recv` until the try's deadline, and return the first datagram that starts \
             with `#2 `",
            describe(other)
        ),
    }
    let sent = peer.received(1);
    assert_eq!(
        show_all(&sent),
        show_all(&[b"#2 Bob".to_vec()]),
        "the reply to `#2 Bob` came right after two late ones: request should ignore them and go on \
         waiting for this try's reply, not send again"
    );

    let peer = ScriptedPeer::start(Box::new(|_, datagram| {
        if datagram.starts_with(b"#1 ") {
            vec![hello_reply(datagram), hello_reply(datagram)]
        } else {
            vec![hello_reply(datagram)]
        }
    }));
    let socket = Arc::new(connected_to(peer.addr()));
    let (first, _) = call_request(&socket, 1, "Alice", &config, REQUEST_LIMIT);
    assert!(
        matches!(&first, Ok(Ok(Some(Reply::Tagged(reply)))) if reply == "Hello, Alice!"),
        "request(1, \"Alice\") should return Ok(Some(\"Hello, Alice!\")), but it {}",
        describe(&first)
    );
    let (second, _) = call_request(&socket, 2, "Bob", &config, REQUEST_LIMIT);
    match &second {
        Ok(Ok(Some(Reply::Tagged(reply)))) if reply == "Hello, Bob!" => {}
        other => panic!(
            "the peer answered request #1 twice (a network may duplicate a datagram); the duplicate was \
             still waiting in the socket when request(2, \"Bob\") began. It should return \
             Ok(Some(\"Hello, Bob!\")), but it {}: ignore every datagram that does not start with this \
             request's tag (`#2 `), and keep waiting",
            describe(other)
        ),
    }

    // The tutorials' server answers `#3 Carol` with `Hello, #3 Carol!`: no tag in front.
    let peer = ScriptedPeer::start(Box::new(|_, datagram| {
        vec![format!("Hello, {}!\n", String::from_utf8_lossy(datagram)).into_bytes()]
    }));
    let socket = Arc::new(connected_to(peer.addr()));
    let (outcome, _) = call_request(&socket, 3, "Carol", &config, REQUEST_LIMIT);
    match &outcome {
        Ok(Ok(Some(Reply::Untagged(reply)))) if reply == "Hello, #3 Carol!" => {}
        other => panic!(
            "a peer that does not echo tags answered `#3 Carol` with `Hello, #3 Carol!\\n`: request(3, \
             \"Carol\") should return Ok(Some(Reply::Untagged(\"Hello, #3 Carol!\"))), but it {}. A reply \
             with no tag at all is the server's answer, not another request's: take it as \
             `Reply::Untagged` (only a reply that starts with another tag is ignored), so that the client \
             never says \"no reply\" when replies came",
            describe(other)
        ),
    }

    let (outcome, took) = stale_flood(quick(100, 2));
    match &outcome {
        Ok(Ok(None)) => {}
        Err(what) if what.starts_with("had not returned") => panic!(
            "request(2, \"Bob\") with tries: 2 and a timeout of 100ms, against a peer that answers only \
             with stale replies (`#1 ...`, one every 10 ms), should return Ok(None) after about 200ms, but \
             it {what}: each stale datagram started a new wait. Compute the try's deadline once \
             (`Instant::now() + config.timeout`) and, before each `recv`, set the read timeout to what is \
             left of it (`deadline.saturating_duration_since(Instant::now())`; when that is zero, the \
             try is over: `set_read_timeout` refuses a zero duration)"
        ),
        other => panic!(
            "request(2, \"Bob\") against a peer that answers only with stale replies (`#1 ...`) should \
             return Ok(None) after its tries, but {took:?} after the call it {}",
            describe(other)
        ),
    }

    let peer = ScriptedPeer::start(Box::new(|_, datagram| vec![hello_reply(datagram)]));
    let socket = match client_socket(peer.addr()) {
        Ok(socket) => with_timeouts(socket),
        Err(err) => panic!(
            "client_socket({}) failed: {:?}: {err}{}",
            peer.addr(),
            err.kind(),
            if err.kind() == std::io::ErrorKind::AddrInUse {
                ". Bind port 0 of any address (`0.0.0.0:0`, or `[::]:0` for an IPv6 server), not the \
                 server's address: the server has it"
            } else {
                ""
            }
        ),
    };
    check_connected(&socket, peer.addr());
    let (outcome, _) = call_request(&Arc::new(socket), 1, "Dave", &config, REQUEST_LIMIT);
    assert!(
        matches!(&outcome, Ok(Ok(Some(Reply::Tagged(reply)))) if reply == "Hello, Dave!"),
        "request on the socket from client_socket({}) should return Ok(Some(\"Hello, Dave!\")), but it {}",
        peer.addr(),
        describe(&outcome)
    );

    // An IPv6 server needs an IPv6 socket: binding `127.0.0.1:0` whatever the server would fail here.
    if let Ok(v6_server) = UdpSocket::bind("[::1]:0") {
        let v6_addr = v6_server.local_addr().expect("the IPv6 socket's address");
        match client_socket(v6_addr) {
            Ok(socket) => assert!(
                socket.local_addr().is_ok_and(|local| local.is_ipv6()),
                "client_socket({v6_addr}) should bind an IPv6 socket (port 0 of `[::]`) for an IPv6 server"
            ),
            Err(err) => panic!(
                "client_socket({v6_addr}) failed: {:?}: {err}. For an IPv6 server, bind port 0 of the \
                 IPv6 family (`[::]:0`): an IPv4 socket cannot connect to an IPv6 address",
                err.kind()
            ),
        }
    }

    let nobody = closed_port();
    let socket = match client_socket(nobody) {
        Ok(socket) => with_timeouts(socket),
        Err(err) => panic!(
            "client_socket({nobody}) failed: {:?}: {err}. Connecting a UDP socket sends nothing, so it \
             succeeds even where nothing listens",
            err.kind()
        ),
    };
    check_connected(&socket, nobody);
    let config = quick(2000, 2);
    let (outcome, took) = call_request(
        &Arc::new(socket),
        1,
        "Alice",
        &config,
        Duration::from_secs(1),
    );
    match &outcome {
        Ok(Err(err)) if is_refused(err) => {}
        Ok(Ok(None)) => panic!(
            "nothing listens on {nobody}: request should return the error ConnectionRefused, but it \
             returned Ok(None) after {took:?}: it took the error that `recv` returned for a timeout. Only \
             a timeout (`is_timeout(&err)`) means \"no reply yet, send again\"; return any other error"
        ),
        Err(what) if what.starts_with("had not returned") => panic!(
            "nothing listens on {nobody}: request should return the error ConnectionRefused at once, but \
             it {what}, with a timeout of 2s. The kernel's \"port unreachable\" comes back on a connected \
             socket as an error of `recv` (or of the next `send`): return it, do not wait on"
        ),
        other => panic!(
            "nothing listens on {nobody}: request should return an error of kind ConnectionRefused, but \
             it {}",
            describe(other)
        ),
    }
}

/// Checks that `socket`, made by `client_socket(server)`, is connected to `server` and bound to a port of
/// its own.
#[track_caller]
fn check_connected(socket: &UdpSocket, server: SocketAddr) {
    match socket.peer_addr() {
        Ok(peer) => assert_eq!(
            peer, server,
            "client_socket({server}) should connect the socket to {server}"
        ),
        Err(err) => panic!(
            "the socket from client_socket({server}) is not connected ({:?}: {err}): `connect` it to the \
             server after binding it. On UDP that sends nothing; it makes `send` and `recv` work without \
             an address, makes the kernel drop datagrams from anyone else, and lets it report \"nothing \
             listens there\" as an error",
            err.kind()
        ),
    }
    let local = socket.local_addr().expect("the socket's own address");
    assert!(
        local.is_ipv4() && local.port() != 0,
        "client_socket({server}) should bind to port 0 of the server's family (IPv4 here), so the kernel \
         picks a free port; it is bound to {local}"
    );
}

/// Runs `request(2, "Bob")` against a peer that answers the first datagram with a stale reply every 10 ms,
/// for up to [`IO_TIMEOUT`], and never with the right one.
fn stale_flood(config: ClientConfig) -> (RequestOutcome, Duration) {
    let peer = with_timeouts(UdpSocket::bind("127.0.0.1:0").expect("binding a UDP socket"));
    let addr = peer.local_addr().expect("its address");
    let done = Arc::new(AtomicBool::new(false));
    let flooding = Arc::clone(&done);
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let Ok((_, from)) = peer.recv_from(&mut buf) else {
            return;
        };
        let until = Instant::now() + IO_TIMEOUT;
        while !flooding.load(Ordering::SeqCst) && Instant::now() < until {
            let _ = peer.send_to(b"#1 Hello, old!\n", from);
            // Pacing the flood, not waiting for anything to be ready.
            thread::sleep(Duration::from_millis(10));
        }
    });
    let socket = Arc::new(connected_to(addr));
    let result = call_request(&socket, 2, "Bob", &config, Duration::from_millis(1500));
    done.store(true, Ordering::SeqCst);
    result
}
