//! The room protocol (chapter 08), checked against any room server program: the same
//! checks run against lessons 08, 09 and 10, so the suite is the spec and depends on no lesson's crate.
//!
//! A lesson's `tests/protocol.rs` is one line; [`room_protocol_tests!`](crate::room_protocol_tests)
//! generates one `#[test]` per check:
//!
//! ```ignore
//! test_support::room_protocol_tests!(env!("CARGO_BIN_EXE_chat-server"));
//! ```
//!
//! Each check starts the program itself ([`ServerProcess`], port 0, the options it needs: every room server
//! takes `--addr`, `--max-members`, `--max-line`, `--queue` and prints `listening on ADDR`), joins members
//! over raw `TcpStream`s with timeouts, as `nc` would, and compares what arrives with the protocol's literal
//! lines. What each check proves is in its name and its doc comment: the welcome; invalid and taken names
//! (an error, then another try); `* online: ...` in order of joining; `* NAME joined`; a message to every
//! other member and not back; empty lines; `/who`; `/quit`, end of stream and a reset, each giving the
//! others `* NAME left` exactly once; unknown commands; `\r\n`; the line cap; non-UTF-8 lines;
//! `--max-members`; a slow member (skipped lines counted, the others not delayed); 200 members at once.
//!
//! No check sleeps to wait for the server: a member has joined when its `* online` line has arrived, and
//! the others know when their `* NAME joined` has. That something did *not* arrive is shown by order: a
//! later line from another member arrives first. Every failure says which rule broke, what was sent and
//! what came instead.

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use crate::{IO_TIMEOUT, ServerProcess, with_timeouts};

/// Generates one `#[test]` per check of [`test_support::room`](crate::room) against `program` (the path of
/// a room server, usually `env!("CARGO_BIN_EXE_...")`).
#[macro_export]
macro_rules! room_protocol_tests {
    ($program:expr) => {
        $crate::room_protocol_tests!($program, options = []);
    };
    // The same checks with more options for every start, e.g. `options = ["--runtime", "current-thread"]`.
    ($program:expr, options = [$($option:expr),* $(,)?]) => {
        $crate::room_protocol_tests!(@each $program, [$($option),*];
            a_new_connection_gets_the_welcome,
            an_invalid_name_gets_an_error_and_another_try,
            a_taken_name_gets_an_error_and_another_try,
            online_lists_the_members_in_order_of_joining,
            the_others_get_joined,
            a_message_goes_to_every_other_member_and_not_back,
            empty_lines_are_ignored,
            who_lists_the_members_online,
            quit_closes_and_the_others_get_left_once,
            end_of_stream_ends_membership_and_the_others_get_left_once,
            a_reset_ends_membership_and_the_others_get_left_once,
            any_other_slash_command_is_unknown,
            crlf_line_endings_are_accepted,
            a_line_over_the_cap_gets_an_error_and_is_closed_and_left_once,
            a_non_utf8_line_gets_an_error_and_the_member_stays,
            a_member_over_max_members_gets_busy_and_is_closed,
            a_slow_member_gets_skipped_count_and_never_delays_the_others,
            two_hundred_members_all_see_each_others_lines,
        );
    };
    (@each $program:expr, $options:tt; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::room::with_options(&$options, || $crate::room::$check($program));
            }
        )*
    };
}

/// The room's literal lines (chapter 08, "The room protocol").
pub const WELCOME: &str = "Welcome! What is your name?";
/// What a member over `--max-members` gets before the server closes its connection.
pub const BUSY: &str = "busy, try again later";
/// The answer to a line starting with `/` that is not a command.
pub const UNKNOWN_COMMAND: &str = "error: unknown command";

thread_local! {
    /// Options added to every start on this thread (each test has a thread of its own).
    static MORE_OPTIONS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `check` with `options` added to every server it starts (one program, several configurations).
pub fn with_options<R>(options: &[&str], check: impl FnOnce() -> R) -> R {
    MORE_OPTIONS.with(|more| *more.borrow_mut() = options.iter().map(|o| o.to_string()).collect());
    check()
}

/// The options every check starts with; a check adds or overrides what it is about.
const BASE: [(&str, &str); 3] = [
    ("--max-members", "16"),
    ("--max-line", "256"),
    ("--queue", "64"),
];

/// A running room server and the members a check has joined, in order of joining.
pub struct Room {
    server: ServerProcess,
    /// The names online, in order of joining, as the check expects the server to list them.
    names: Vec<String>,
}

/// One member: a raw connection, read line by line.
pub struct Member {
    name: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// What this member sent last, for failure messages.
    last_sent: String,
}

impl Room {
    /// Starts `program` with `--max-members 16 --max-line 256 --queue 64`, each overridden by `options`
    /// if given there.
    pub fn start(program: impl AsRef<OsStr>, options: &[(&str, &str)]) -> Room {
        let mut args: Vec<String> = Vec::new();
        for (flag, default) in BASE {
            let value = options
                .iter()
                .find(|(f, _)| *f == flag)
                .map_or(default, |o| o.1);
            args.extend([flag.to_owned(), value.to_owned()]);
        }
        MORE_OPTIONS.with(|more| args.extend(more.borrow().iter().cloned()));
        let server = ServerProcess::start(program, args);
        Room {
            server,
            names: Vec::new(),
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// A connection that has read the welcome and sent nothing yet.
    #[track_caller]
    pub fn arrive(&self) -> Member {
        let mut member = Member::connect(self.addr());
        member.expect("a new connection gets the welcome", WELCOME);
        member
    }

    /// Joins `name`: the welcome, the name, `* online: ...` with everyone in order of joining, and
    /// `* NAME joined` at every member in `others`.
    #[track_caller]
    pub fn join(&mut self, name: &str, others: &mut [&mut Member]) -> Member {
        let mut member = self.arrive();
        self.name_and_online(&mut member, name);
        for other in others.iter_mut() {
            other.expect(
                "once named, every other member gets `* NAME joined`",
                &format!("* {name} joined"),
            );
        }
        member
    }

    /// Sends `name` as the name line of `member` (which has read the welcome, or an error) and expects
    /// the online list with it last.
    #[track_caller]
    pub fn name_and_online(&mut self, member: &mut Member, name: &str) {
        member.send(&format!("{name}\n"));
        member.name = name.to_owned();
        self.names.push(name.to_owned());
        let online = self.online();
        member.expect(
            "once named, the member gets `* online: ...` with everyone, in order of joining",
            &online,
        );
    }

    /// The `* online: ...` line the room should send now.
    pub fn online(&self) -> String {
        format!("* online: {}", self.names.join(", "))
    }

    /// Forgets `name` (after it has left), for later online lists.
    pub fn left(&mut self, name: &str) {
        self.names.retain(|n| n != name);
    }

    /// The server's stderr so far (its `--trace`, if a check passed it), for failure messages.
    pub fn stderr(&self) -> String {
        self.server.stderr_text()
    }
}

impl Member {
    /// Connects to `addr`, with [`IO_TIMEOUT`] on every read and write.
    #[track_caller]
    pub fn connect(addr: SocketAddr) -> Member {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
            .unwrap_or_else(|err| panic!("could not connect to the room server at {addr}: {err}"));
        Member::from_stream(with_timeouts(stream))
    }

    /// A member over an already connected stream (e.g. one with a tiny receive buffer).
    pub fn from_stream(stream: TcpStream) -> Member {
        let writer = stream.try_clone().expect("cloning a socket handle");
        Member {
            name: String::from("(not named yet)"),
            reader: BufReader::new(stream),
            writer,
            last_sent: String::from("nothing yet"),
        }
    }

    /// Waits up to `wait` for each line from now on, instead of [`IO_TIMEOUT`]: for the checks with
    /// hundreds of members, which a machine busy with other work serves more slowly.
    #[track_caller]
    pub fn wait_up_to(&mut self, wait: Duration) {
        self.reader
            .get_ref()
            .set_read_timeout(Some(wait))
            .expect("setting a read timeout");
    }

    /// The member's name (once named).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends `bytes` as they are (a line needs its own `\n`).
    #[track_caller]
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.last_sent = format!("{:?}", String::from_utf8_lossy(bytes));
        if let Err(err) = self.writer.write_all(bytes) {
            panic!(
                "member {} could not send {}: {err} (the server closed or stopped reading?)",
                self.name, self.last_sent
            );
        }
    }

    /// Sends `text` as it is (a line needs its own `\n`).
    #[track_caller]
    pub fn send(&mut self, text: &str) {
        self.send_bytes(text.as_bytes());
    }

    /// Shuts down this member's sending side (a half-close, like `nc -N` at the end of its input): the
    /// server reads end of stream, and may still write to it.
    #[track_caller]
    pub fn shut_down_sending(&mut self) {
        if let Err(err) = self.writer.shutdown(std::net::Shutdown::Write) {
            panic!(
                "member {} could not shut down its sending side: {err}",
                self.name
            );
        }
    }

    /// The next line, without its `\n` (a `\r` before it is kept: the server should send none), or what
    /// happened instead.
    pub fn next_line(&mut self) -> Result<String, String> {
        let mut line = Vec::new();
        match self.reader.read_until(b'\n', &mut line) {
            Ok(_) if line.ends_with(b"\n") => {
                line.pop();
                Ok(String::from_utf8_lossy(&line).into_owned())
            }
            Ok(_) => Err(format!(
                "the connection was closed (after {:?})",
                String::from_utf8_lossy(&line)
            )),
            Err(err) if shared::trace::is_timeout(&err) => Err(format!(
                "nothing (more) came within {:?} (after {:?})",
                self.reader
                    .get_ref()
                    .read_timeout()
                    .ok()
                    .flatten()
                    .unwrap_or(IO_TIMEOUT),
                String::from_utf8_lossy(&line)
            )),
            Err(err) => Err(format!("reading failed: {err}")),
        }
    }

    /// Expects the next line to be `want`; on anything else, fails saying `rule`, what this member sent
    /// last, and what came.
    #[track_caller]
    pub fn expect(&mut self, rule: &str, want: &str) {
        let got = self.next_line();
        if got.as_deref() != Ok(want) {
            panic!(
                "{}",
                self.broke(rule, &format!("the line {want:?}"), &describe_got(&got))
            );
        }
    }

    /// Expects the next line to start with `prefix`, and returns it.
    #[track_caller]
    pub fn expect_prefix(&mut self, rule: &str, prefix: &str) -> String {
        match self.next_line() {
            Ok(line) if line.starts_with(prefix) => line,
            got => panic!(
                "{}",
                self.broke(
                    rule,
                    &format!("a line starting {prefix:?}"),
                    &describe_got(&got)
                )
            ),
        }
    }

    /// Expects the server to close this connection (end of stream, or a reset) with no more lines.
    #[track_caller]
    pub fn expect_closed(&mut self, rule: &str) {
        let mut rest = Vec::new();
        let outcome = io::Read::read_to_end(&mut self.reader, &mut rest);
        let closed = match &outcome {
            Ok(_) => true,
            Err(err) => err.kind() == io::ErrorKind::ConnectionReset,
        };
        if !closed || !rest.is_empty() {
            let what = match outcome {
                Ok(_) => "it was closed".to_owned(),
                Err(err) if shared::trace::is_timeout(&err) => {
                    format!("it was still open after {IO_TIMEOUT:?}")
                }
                Err(err) => format!("reading failed: {err}"),
            };
            let got = format!(
                "{what}, with {:?} arriving first",
                String::from_utf8_lossy(&rest)
            );
            panic!(
                "{}",
                self.broke(rule, "the server to close the connection", &got)
            );
        }
    }

    /// The failure message: which rule, who sent what last, what was expected, what came.
    pub fn broke(&self, rule: &str, want: &str, got: &str) -> String {
        format!(
            "room protocol rule broken: {rule}.\nMember {} (last sent {}) expected {want}, but {got}",
            self.name, self.last_sent
        )
    }
}

fn describe_got(got: &Result<String, String>) -> String {
    match got {
        Ok(line) => format!("got the line {line:?}"),
        Err(problem) => problem.clone(),
    }
}

/// Shows that nothing else reached `member` before a fresh line: `from` sends `probe` and `member`'s
/// next line must be it. `rule` names what an earlier, unwanted line would have broken.
#[track_caller]
fn nothing_else_before(rule: &str, from: &mut Member, member: &mut Member, probe: &str) {
    from.send(&format!("{probe}\n"));
    member.expect(rule, &format!("{}: {probe}", from.name));
}

/// A new connection gets `Welcome! What is your name?` first.
pub fn a_new_connection_gets_the_welcome(program: &str) {
    let room = Room::start(program, &[]);
    room.arrive();
}

/// A name must be 1 to 32 letters, digits, `-` or `_`: an empty one, 33 characters, one with a space, one
/// with a non-ASCII letter each get `error: ...`, and the server waits for another name line; a 32-character
/// name with `-` and `_` is taken.
pub fn an_invalid_name_gets_an_error_and_another_try(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut member = room.arrive();
    let long = "a".repeat(33);
    for bad in ["", long.as_str(), "two words", "José"] {
        member.send(&format!("{bad}\n"));
        member.expect_prefix(
            &format!("an invalid name ({bad:?}) gets `error: ...` and another try"),
            "error: ",
        );
    }
    let longest = format!("A-b_9{}", "z".repeat(27));
    room.name_and_online(&mut member, &longest);
}

/// A name already online gets `error: ...`, and the server waits for another name line.
pub fn a_taken_name_gets_an_error_and_another_try(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut ann = room.join("ann", &mut []);
    let mut second = room.arrive();
    second.send("ann\n");
    second.expect_prefix("a taken name gets `error: ...` and another try", "error: ");
    room.name_and_online(&mut second, "ann2");
    ann.expect(
        "a taken name does not join: the others get `* NAME joined` only for the name that did",
        "* ann2 joined",
    );
}

/// `* online: A, B, NAME` lists the members in order of joining, the new one last.
pub fn online_lists_the_members_in_order_of_joining(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut zed = room.join("zed", &mut []);
    let mut amy = room.join("amy", &mut [&mut zed]);
    room.join("max", &mut [&mut zed, &mut amy]);
}

/// Once a member is named, every other member gets `* NAME joined`, and the member itself does not.
pub fn the_others_get_joined(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut ann = room.join("ann", &mut []);
    let mut bob = room.join("bob", &mut [&mut ann]);
    nothing_else_before(
        "a member does not get its own `* NAME joined`",
        &mut ann,
        &mut bob,
        "hi bob",
    );
}

/// A line `TEXT` goes to every other member as `NAME: TEXT`, and not back to the sender.
pub fn a_message_goes_to_every_other_member_and_not_back(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut ann = room.join("ann", &mut []);
    let mut bob = room.join("bob", &mut [&mut ann]);
    let mut cat = room.join("cat", &mut [&mut ann, &mut bob]);
    ann.send("hello, all: ünïcode too\n");
    let rule = "a message goes to every other member as `NAME: TEXT`";
    bob.expect(rule, "ann: hello, all: ünïcode too");
    cat.expect(rule, "ann: hello, all: ünïcode too");
    nothing_else_before(
        "a message does not go back to its sender",
        &mut bob,
        &mut ann,
        "back",
    );
}

/// Empty lines are ignored: nobody gets anything for them, not even an error.
pub fn empty_lines_are_ignored(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut ann = room.join("ann", &mut []);
    let mut bob = room.join("bob", &mut [&mut ann]);
    ann.send("\n\r\n");
    nothing_else_before(
        "empty lines are ignored (the others get nothing for them)",
        &mut ann,
        &mut bob,
        "after",
    );
    nothing_else_before(
        "empty lines are ignored (the sender gets nothing for them)",
        &mut bob,
        &mut ann,
        "ok",
    );
}

/// `/who` answers `* online: ...` (in order of joining) to the member who asked, and only to it.
pub fn who_lists_the_members_online(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut ann = room.join("ann", &mut []);
    let mut bob = room.join("bob", &mut [&mut ann]);
    let mut cat = room.join("cat", &mut [&mut ann, &mut bob]);
    bob.send("/who\n");
    bob.expect("`/who` answers `* online: ...`", &room.online());
    nothing_else_before(
        "`/who` is answered to the member who asked, not broadcast",
        &mut cat,
        &mut ann,
        "x",
    );
}

/// Shows that `* {name} left` came to `stayer` exactly once: after it, `/who` lists the room without it.
#[track_caller]
fn left_exactly_once(room: &mut Room, stayer: &mut Member, name: &str, how: &str) {
    stayer.expect(
        &format!("when a member's connection ends ({how}), the others get `* NAME left`"),
        &format!("* {name} left"),
    );
    room.left(name);
    stayer.send("/who\n");
    stayer.expect(
        &format!("`* NAME left` comes exactly once ({how}), and the member is no longer online"),
        &room.online(),
    );
}

/// `/quit` ends the membership: the server closes the connection, and the others get `* NAME left` once.
pub fn quit_closes_and_the_others_get_left_once(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut ann = room.join("ann", &mut []);
    let mut bob = room.join("bob", &mut [&mut ann]);
    bob.send("/quit\n");
    bob.expect_closed("`/quit` ends the membership: the server closes the connection");
    left_exactly_once(&mut room, &mut ann, "bob", "/quit");
}

/// End of stream from a member ends its membership: the server closes, the others get `* NAME left` once.
pub fn end_of_stream_ends_membership_and_the_others_get_left_once(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut ann = room.join("ann", &mut []);
    let mut bob = room.join("bob", &mut [&mut ann]);
    bob.writer
        .shutdown(std::net::Shutdown::Write)
        .expect("shutting down the sending side");
    bob.last_sent = "end of stream (shutdown of its sending side)".to_owned();
    bob.expect_closed("end of stream ends the membership: the server closes the connection");
    left_exactly_once(&mut room, &mut ann, "bob", "end of stream");
}

/// A member whose connection is reset (a crashed client) leaves: the others get `* NAME left` once.
pub fn a_reset_ends_membership_and_the_others_get_left_once(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut ann = room.join("ann", &mut []);
    let bob = room.join("bob", &mut [&mut ann]);
    let Member { reader, writer, .. } = bob;
    drop(writer);
    crate::reset(reader.into_inner()).expect("resetting the connection");
    left_exactly_once(&mut room, &mut ann, "bob", "a reset");
}

/// Any other line starting with `/` gets `error: unknown command`, and goes to nobody else.
pub fn any_other_slash_command_is_unknown(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut ann = room.join("ann", &mut []);
    let mut bob = room.join("bob", &mut [&mut ann]);
    for command in ["/nick bob2", "/", "/WHO"] {
        ann.send(&format!("{command}\n"));
        ann.expect(
            &format!(
                "any other line starting with `/` ({command:?}) gets `error: unknown command`"
            ),
            UNKNOWN_COMMAND,
        );
    }
    nothing_else_before(
        "an unknown command goes to nobody else",
        &mut ann,
        &mut bob,
        "still here",
    );
}

/// Lines ending `\r\n` are accepted, for the name, messages and commands; the `\r` is not passed on.
pub fn crlf_line_endings_are_accepted(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut ann = room.join("ann", &mut []);
    let mut bob = room.arrive();
    bob.send("bob\r\n");
    bob.name = "bob".to_owned();
    room.names.push("bob".to_owned());
    bob.expect("a name line ending `\\r\\n` is accepted", &room.online());
    ann.expect("a name line ending `\\r\\n` is accepted", "* bob joined");
    bob.send("hi\r\n");
    ann.expect(
        "a line ending `\\r\\n` goes on without its `\\r`",
        "bob: hi",
    );
    bob.send("/who\r\n");
    bob.expect("a command ending `\\r\\n` is accepted", &room.online());
}

/// A line over `--max-line` gets `error: ...`, the connection is closed, and the others get `* NAME left`
/// once; the line itself goes to nobody.
pub fn a_line_over_the_cap_gets_an_error_and_is_closed_and_left_once(program: &str) {
    let mut room = Room::start(program, &[("--max-line", "64")]);
    let mut ann = room.join("ann", &mut []);
    let mut bob = room.join("bob", &mut [&mut ann]);
    bob.send("ok, a short one\n");
    ann.expect(
        "a line under `--max-line` goes through",
        "bob: ok, a short one",
    );
    bob.send(&format!("{}\n", "x".repeat(200)));
    bob.expect_prefix(
        "a line over `--max-line` (64 bytes; 200 sent) gets `error: ...`",
        "error: ",
    );
    bob.expect_closed("a line over `--max-line` closes the connection after its error line");
    left_exactly_once(&mut room, &mut ann, "bob", "a line over the cap");
}

/// A line that is not UTF-8 gets `error: ...`, goes to nobody, and the member stays.
pub fn a_non_utf8_line_gets_an_error_and_the_member_stays(program: &str) {
    let mut room = Room::start(program, &[]);
    let mut ann = room.join("ann", &mut []);
    let mut bob = room.join("bob", &mut [&mut ann]);
    bob.send_bytes(b"caf\xe9 \xff\xfe\n");
    bob.expect_prefix("a line that is not UTF-8 gets `error: ...`", "error: ");
    nothing_else_before(
        "a line that is not UTF-8 goes to nobody, and the member stays",
        &mut bob,
        &mut ann,
        "still here",
    );
}

/// One member over `--max-members` gets `busy, try again later` (at once, or in answer to its name) and is
/// closed; the room does not list it.
pub fn a_member_over_max_members_gets_busy_and_is_closed(program: &str) {
    let mut room = Room::start(program, &[("--max-members", "2")]);
    let mut ann = room.join("ann", &mut []);
    let _bob = room.join("bob", &mut [&mut ann]);
    let mut third = Member::connect(room.addr());
    let rule = "a member over `--max-members` (2) gets `busy, try again later`";
    match third.next_line() {
        Ok(line) if line == BUSY => {}
        Ok(line) if line == WELCOME => {
            third.send("cat\n");
            third.expect(rule, BUSY);
        }
        got => panic!(
            "{}",
            third.broke(rule, &format!("{BUSY:?}"), &describe_got(&got))
        ),
    }
    third.expect_closed("a member over `--max-members` is closed after `busy, try again later`");
    ann.send("/who\n");
    ann.expect(
        "a member turned away as busy is not online, and nobody is told it joined",
        &room.online(),
    );
}

/// How long each line of the flood past a member that never reads is (under the `--max-line` the check
/// passes), and how many bytes the flood adds up to beyond the kernel's most for a socket's send buffer: the
/// server's send buffer to the slow member may grow that far (autotuning) before its writes block.
const FLOOD_LINE_BYTES: usize = 8000;
const FLOOD_MARGIN: usize = 1 << 20;

/// How many lines the flood has: well over what the kernel can hold for the slow member (its tiny receive
/// buffer, and the server's send buffer at the largest `tcp_wmem` allows), so the server's queue must fill.
fn flood_lines() -> usize {
    let max_send_buffer = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|text| text.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(4 << 20);
    (max_send_buffer + FLOOD_MARGIN) / FLOOD_LINE_BYTES
}

/// A connection to `addr` with a tiny receive buffer, set before connecting so the window stays small.
fn tiny_receiver(addr: SocketAddr) -> Member {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("creating a socket");
    socket
        .set_recv_buffer_size(1024)
        .expect("setting SO_RCVBUF");
    socket
        .connect_timeout(&addr.into(), IO_TIMEOUT)
        .expect("connecting the slow member");
    Member::from_stream(with_timeouts(socket.into()))
}

/// A member that never reads (a tiny receive buffer) does not delay the others: they get every line at
/// once. When it reads again, it gets `* N messages skipped` before any newer line, and every line it
/// missed is counted.
pub fn a_slow_member_gets_skipped_count_and_never_delays_the_others(program: &str) {
    let mut room = Room::start(program, &[("--queue", "8"), ("--max-line", "8192")]);
    let mut slow = Member::connect_tiny(&mut room, "slow");
    let mut talker = room.join("talker", &mut [&mut slow]);
    let mut fast = room.join("fast", &mut [&mut slow, &mut talker]);
    // `slow` reads nothing from here on. One line at a time, each waited for at `fast`: a server that
    // waits for `slow` stalls `fast` within a few lines, and the check fails at once.
    for i in 0..flood_lines() {
        let line = flood_line("talker", i);
        talker.send(&format!("{}\n", &line["talker: ".len()..]));
        fast.expect(
            "a slow member never delays the others: each gets every line without waiting",
            &line,
        );
    }
    read_after_skipping(&mut slow, &mut fast);
}

/// Line `i` of the flood, as the others receive it from `name`.
fn flood_line(name: &str, i: usize) -> String {
    let text = format!("line {i:05} ");
    format!(
        "{name}: {text}{}",
        "y".repeat(FLOOD_LINE_BYTES - text.len())
    )
}

/// The slow member reads again; after each line it reads, `fast` sends a fresh one. It must get the
/// talker's lines in order, then `* N messages skipped` before the first fresh line, with every line it
/// did not get counted.
fn read_after_skipping(slow: &mut Member, fast: &mut Member) {
    let flood = flood_lines();
    let (mut received, mut skipped, mut fresh_sent, mut last) = (0usize, 0usize, 0usize, None);
    let rule = "a slow member gets `* N messages skipped` before newer lines, counting every line it missed";
    loop {
        let line = slow.next_line().unwrap_or_else(|problem| {
            panic!(
                "{}",
                slow.broke(
                    rule,
                    "more lines (the rest of the flood, or a fresh one)",
                    &problem
                )
            )
        });
        if line.starts_with("fast: fresh ") {
            break;
        }
        if let Some(count) = line
            .strip_prefix("* ")
            .and_then(|rest| rest.strip_suffix(" messages skipped"))
        {
            skipped += count.parse::<usize>().unwrap_or_else(|_| {
                panic!(
                    "{}",
                    slow.broke(rule, "N to be a number", &format!("got {line:?}"))
                )
            });
        } else if let Some(i) =
            (0..flood).find(|&i| last.is_none_or(|l| i > l) && line == flood_line("talker", i))
        {
            received += 1;
            last = Some(i);
        } else {
            let want = "the talker's lines in order, or the skipped notice";
            panic!(
                "{}",
                slow.broke(
                    rule,
                    want,
                    &format!("got {line:?} (after {received} lines of the flood)")
                )
            );
        }
        fresh_sent += 1;
        fast.send(&format!("fresh {fresh_sent}\n"));
    }
    let missed = flood - received;
    if skipped == 0 || skipped < missed || skipped > missed + fresh_sent {
        panic!(
            "{}",
            slow.broke(
                rule,
                &format!(
                    "`* N messages skipped` lines adding up to the {missed} of {flood} lines it did \
                     not get, before the first fresh line"
                ),
                &format!("they added up to {skipped} (with {fresh_sent} fresh lines sent meanwhile)")
            )
        );
    }
}

impl Member {
    /// Joins `name` over a connection with a tiny receive buffer (no other members yet).
    fn connect_tiny(room: &mut Room, name: &str) -> Member {
        let mut member = tiny_receiver(room.addr());
        member.expect("a new connection gets the welcome", WELCOME);
        room.name_and_online(&mut member, name);
        member
    }
}

/// How long a member of a check with hundreds of members waits for each line: 40,000 lines go out at
/// once, and a loaded machine (a full `cargo test` on two cores) may take seconds where alone it takes
/// milliseconds.
const MANY_MEMBERS_WAIT: Duration = Duration::from_secs(20);

/// 200 members at once: each sends one line, and each receives the 199 others' lines.
pub fn two_hundred_members_all_see_each_others_lines(program: &str) {
    const MEMBERS: usize = 200;
    let mut room = Room::start(program, &[("--max-members", "250"), ("--queue", "1024")]);
    let mut members: Vec<Member> = Vec::with_capacity(MEMBERS);
    for i in 0..MEMBERS {
        // The earlier members' `* NAME joined` lines wait in their buffers; they are read below.
        let mut member = room.arrive();
        room.name_and_online(&mut member, &format!("m{i}"));
        member.wait_up_to(MANY_MEMBERS_WAIT);
        members.push(member);
    }
    for member in &mut members {
        let text = format!("hello from {}\n", member.name);
        member.send(&text);
    }
    for (i, member) in members.iter_mut().enumerate() {
        hears_everyone_else(member, i, MEMBERS);
    }
}

/// Member `i` of `members` gets the later members' `* mJ joined` (in order of joining) and every other
/// member's `mJ: hello from mJ` once, not its own. A message may overtake a `* mJ joined` still on its
/// way (the protocol orders neither against the other), so the two are read interleaved.
fn hears_everyone_else(member: &mut Member, i: usize, members: usize) {
    let mut next_joined = i + 1;
    let mut seen = vec![false; members];
    let mut heard = 0;
    while heard < members - 1 || next_joined < members {
        let line = member.next_line();
        if line.as_deref().ok() == Some(format!("* m{next_joined} joined").as_str()) {
            next_joined += 1;
            continue;
        }
        let from = line
            .as_deref()
            .ok()
            .and_then(|l| l.strip_prefix("m"))
            .and_then(|l| l.split_once(": hello from m"))
            .and_then(|(a, b)| (a == b).then(|| a.parse::<usize>().ok()).flatten());
        match from {
            Some(j) if j != i && j < members && !seen[j] => {
                seen[j] = true;
                heard += 1;
            }
            _ => panic!(
                "{}",
                member.broke(
                    "with 200 members, each gets `* mJ joined` for the later ones in order, and every \
                     other member's line once, not its own",
                    &format!(
                        "{}`mJ: hello from mJ` from one of the {} others not yet heard",
                        if next_joined < members {
                            format!("`* m{next_joined} joined` or ")
                        } else {
                            String::new()
                        },
                        members - 1 - heard
                    ),
                    &describe_got(&line)
                )
            ),
        }
    }
}
