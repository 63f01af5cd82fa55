//! `udp-client`: sends each message as one datagram and prints the reply, sending again when none comes.
//!
//! ```text
//! udp-client 127.0.0.1:7878 Alice Bob          # prints Hello, Alice! and Hello, Bob!
//! udp-client localhost:7878 Alice --trace      # every send, reply and retry on stderr
//! udp-client 127.0.0.1:7878 Alice --tries 5 --timeout 200ms
//! ```

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use shared::ServerAddr;
use shared::cli::{TraceArg, parse_duration};
use udp_pair::{ClientConfig, Reply, client_socket, is_refused, request};

/// Send each message as one UDP datagram to a server of lesson 04 and print each reply. A message with no
/// reply is sent again, up to --tries times. The exit status is 0 when every message was answered, and
/// not with an error.
#[derive(Parser, Debug)]
#[command(name = "udp-client", version)]
struct Cli {
    /// The server, as HOST:PORT (e.g. 127.0.0.1:7878 or localhost:7878).
    #[arg(value_name = "HOST:PORT")]
    server: ServerAddr,

    /// The messages, one datagram each, in order.
    #[arg(value_name = "MESSAGE", required = true)]
    messages: Vec<String>,

    /// How long to wait for each reply before sending again (e.g. 200ms, 1s).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    timeout: Duration,

    /// How many times a message is sent at most, the first time included (1 to 100).
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    tries: u32,

    /// Send the messages without their tags (`#1 `), for a server that does not echo them, like the
    /// tutorials' `udp_server.py`. A late reply can then no longer be told from the right one.
    #[arg(long)]
    no_tags: bool,

    #[command(flatten)]
    trace: TraceArg,
}

/// A message is at most this long: it must fit in one datagram the lesson's server accepts (1024 bytes,
/// with room for the tag).
const MAX_MESSAGE: usize = 1000;

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("udp-client: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Sends every message; returns whether each one was answered.
fn run(cli: &Cli) -> Result<bool> {
    let trace = cli.trace.tracer();
    if let Some(long) = cli
        .messages
        .iter()
        .find(|message| message.len() > MAX_MESSAGE)
    {
        bail!(
            "a message of {} bytes is too long: the limit is {MAX_MESSAGE} bytes, one datagram",
            long.len()
        );
    }
    // A datagram goes to one address: the first the name resolves to.
    let server = cli
        .server
        .resolve()
        .with_context(|| format!("looking up the host in `{}`", cli.server))?[0];
    let socket =
        client_socket(server).with_context(|| format!("making a UDP socket for {server}"))?;
    if let Ok(local) = socket.local_addr() {
        trace.event(format_args!(
            "bind {local}, connect {server} (UDP: nothing is sent)"
        ));
    }
    let config = ClientConfig {
        timeout: cli.timeout,
        tries: cli.tries,
        tagged: !cli.no_tags,
    };
    // ANCHOR: requests
    let mut all_answered = true;
    let mut warned = false;
    for (id, message) in (1..).zip(&cli.messages) {
        match request(&socket, id, message, &config, &trace) {
            Ok(Some(reply)) => {
                all_answered &= print_reply(message, reply.text());
                warned |= warn_once_if_untagged(&reply, config.tagged, warned);
            }
            Ok(None) => {
                all_answered = false;
                eprintln!(
                    "udp-client: {message:?}: no reply after {} tries ({:?} each)",
                    config.tries, config.timeout
                );
            }
            Err(err) if is_refused(&err) => bail!(
                "{message:?}: {err} - nothing listens on UDP {server}: is the lesson 04 server running?"
            ),
            Err(err) => {
                return Err(err).with_context(|| format!("sending {message:?} to {server}"));
            }
        }
    }
    // ANCHOR_END: requests
    Ok(all_answered)
}

/// Prints the reply to `message`; returns whether the message was served. A reply that is an error line
/// (too long, not UTF-8) means it was not.
fn print_reply(message: &str, reply: &str) -> bool {
    if reply.starts_with("error: ") {
        eprintln!("udp-client: {message:?}: the server says {reply:?}");
        return false;
    }
    println!("{reply}");
    true
}

/// Says once, on stderr, that the server answers without the tags it was sent, and what that costs;
/// returns whether it said so now. With `--no-tags` nothing is said: the user chose it.
fn warn_once_if_untagged(reply: &Reply, tagged: bool, warned: bool) -> bool {
    if warned || !tagged || !matches!(reply, Reply::Untagged(_)) {
        return false;
    }
    eprintln!(
        "udp-client: the server does not echo the tags it is sent (it answered {:?}): replies are taken \
         in the order they come, so a late reply can no longer be told from the right one. --no-tags \
         sends the messages without them.",
        reply.text()
    );
    true
}
