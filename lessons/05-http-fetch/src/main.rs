//! `http-fetch`: fetches an http:// URL over a plain `TcpStream` and writes the body to stdout or a file.
//!
//! ```text
//! http-fetch http://127.0.0.1:8000/                 # the body on stdout
//! http-fetch -i http://127.0.0.1:8000/              # the status line and headers, then the body
//! http-fetch -o big.bin http://127.0.0.1:8000/big   # into a file, which appears only once complete
//! http-fetch -L --trace http://127.0.0.1:8000/dir   # follow redirects; every socket call on stderr
//! ```

use std::fs::{self, File};
use std::io::{self, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{self, ExitCode};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use http_fetch::{
    Framing, Head, Method, Url, UrlError, copy_body, framing, is_protocol_error, parse_url,
    read_head, request_head,
};
use shared::cli::{TraceArg, parse_duration};
use shared::trace::{Trace, Traced, is_timeout};

/// Fetch an http:// URL with a request written by hand on a TCP socket, and write the response's body to
/// stdout (or to a file with -o). Exit status: 0 for a 2xx response, 3 for any other status (an HTTP
/// error, or a redirect not followed), 1 for a network or protocol error, 2 for bad usage, 141 when the
/// reader of the output went away (`| head`), as a program ended by SIGPIPE.
#[derive(Parser, Debug)]
#[command(name = "http-fetch", version)]
struct Cli {
    /// The URL: http://HOST[:PORT][/PATH][?QUERY] (https is not part of this lesson).
    #[arg(value_name = "URL", value_parser = parse_url_arg)]
    url: Url,

    /// Write the body to FILE instead of stdout. The file appears only when the whole body has arrived.
    #[arg(short, long, value_name = "FILE", value_parser = parse_output_arg)]
    output: Option<PathBuf>,

    /// Write the status line and headers before the body (and the heads of informational responses, such
    /// as 100 Continue, before them).
    #[arg(short, long)]
    include: bool,

    /// Send HEAD instead of GET and write only the status line and headers.
    #[arg(short = 'I', long)]
    head: bool,

    /// Follow redirects (a 3xx status with a Location header), at most 10, to http:// URLs only.
    #[arg(short = 'L', long)]
    location: bool,

    /// The longest wait for connecting, for each read and write, and for a reader of a FIFO given to -o
    /// (e.g. 500ms, 10s).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    timeout: Duration,

    /// The size of the read buffer, in bytes (1024 to 16777216). Each read of the socket takes at most
    /// this much, and the body is written out from it as it is.
    #[arg(long, value_name = "BYTES", default_value_t = BUFFER_SIZE,
          value_parser = clap::value_parser!(u32).range(1024..=16 * 1024 * 1024))]
    buffer_size: u32,

    #[command(flatten)]
    trace: TraceArg,
}

// ANCHOR: exit_codes
/// The exit status for a response whose status is not 2xx: the server answered, but not with the thing
/// asked for. curl's `--fail` uses 22 for the same; any number that is not 0, 1 or 2 would do.
const EXIT_HTTP_STATUS: u8 = 3;

/// The exit status when the reader of the output went away (`http-fetch URL | head -1`): the status a
/// shell shows for a program ended by `SIGPIPE`, as every program of the course ends then, quietly.
const EXIT_BROKEN_PIPE: u8 = 141;

/// The most redirects followed for one fetch (curl's default is 50, browsers stop at about 20). A loop of
/// redirects ends with an error instead of going round for ever.
const MAX_REDIRECTS: usize = 10;
// ANCHOR_END: exit_codes

// ANCHOR: buffer_size
/// The default size of the read buffer (`--buffer-size`). The body is written straight from it, so each
/// `read` of the socket is at most one `write` of the output: 64 KiB moves a large download in few system
/// calls (4 KiB takes up to 16 times as many), while one buffer per connection costs nothing worth
/// counting. `compare-curl.sh` measures it: in the chapter's run, 4 KiB took almost twice the CPU time,
/// and 16, 64 and 256 KiB were level within the benchmark's noise (the chapter has the tables).
const BUFFER_SIZE: u32 = 64 * 1024;
// ANCHOR_END: buffer_size

fn main() -> ExitCode {
    shared::cli::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(head) if head.status / 100 == 2 => ExitCode::SUCCESS,
        Ok(head) => {
            eprintln!("http-fetch: {}", status_problem(&head, cli.location));
            ExitCode::from(EXIT_HTTP_STATUS)
        }
        // Whoever read the output has all it wanted: not an error worth a message.
        Err(err) if output_failure(&err).is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) => {
            ExitCode::from(EXIT_BROKEN_PIPE)
        }
        Err(err) => {
            eprintln!("http-fetch: {}: {err:#}", classify(&err));
            ExitCode::FAILURE
        }
    }
}

/// `-o ""` is no file name; clap's own message for it ("a value is required") does not say what to give.
fn parse_output_arg(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        return Err(
            "an empty file name: give the file to write the body to (e.g. -o page.html), or \
                    leave out -o to write the body to stdout"
                .into(),
        );
    }
    Ok(PathBuf::from(text))
}

/// Checks the URL while the arguments are parsed, so a bad one is a usage error (exit status 2).
fn parse_url_arg(text: &str) -> Result<Url, String> {
    parse_url(text).map_err(|err| err.to_string())
}

/// What a non-2xx final status means, in words.
fn status_problem(head: &Head, followed: bool) -> String {
    let status = format!("{} {}", head.status, head.reason);
    match (head.status / 100, head.header("Location")) {
        (3, Some(location)) if !followed => {
            format!("HTTP status {status}: a redirect to {location}; add -L to follow it")
        }
        (3, _) => format!("HTTP status {status}, with no Location to follow"),
        (4, _) => format!("HTTP error status {status}: the server refused the request"),
        (5, _) => format!("HTTP error status {status}: the server failed to answer"),
        _ => format!("HTTP status {status} is not a success (2xx)"),
    }
}

/// The failure to write the output, if that is what `err` is (and not the network or the server).
fn output_failure(err: &anyhow::Error) -> Option<&io::Error> {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<io::Error>())
        .filter(|io_err| is_output_failure(io_err))
}

/// Whether `err` is a write to the output that failed ([`OutputFailed`]).
fn is_output_failure(err: &io::Error) -> bool {
    err.get_ref()
        .is_some_and(|inner| inner.is::<OutputFailed>())
}

/// "network error" or "protocol error": which side of the exchange broke, found in the error's chain.
fn classify(err: &anyhow::Error) -> &'static str {
    if output_failure(err).is_some() {
        return "output error";
    }
    let io_error = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<io::Error>());
    match io_error {
        Some(io_err) if is_protocol_error(io_err) => "protocol error",
        Some(_) => "network error",
        None if err.chain().any(|cause| cause.is::<UrlError>()) => "protocol error",
        None => "error",
    }
}

/// Fetches the URL, following redirects if asked, and returns the final response's head.
fn run(cli: &Cli) -> Result<Head> {
    let trace = cli.trace.tracer();
    let method = if cli.head { Method::Head } else { Method::Get };
    let mut output = Output::open(cli.output.as_deref(), cli.timeout)?;
    let mut url = cli.url.clone();
    let mut redirects = 0;
    loop {
        let fetched = fetch(&url, method, cli, &trace, &mut output)
            .with_context(|| format!("fetching {url}"))?;
        let location = match fetched {
            Fetched::Done(head) => {
                output.finish()?;
                return Ok(head);
            }
            Fetched::Redirect(location) => location,
        };
        redirects += 1;
        if redirects > MAX_REDIRECTS {
            return Err(http_fetch::protocol_error(format!(
                "more than {MAX_REDIRECTS} redirects (the limit): the last one was to {location}"
            ))
            .into());
        }
        url = resolve_location(&url, &location)
            .with_context(|| format!("following the redirect from {url} to {location}"))?;
        trace.event(format_args!("redirect to {url}"));
    }
}

/// How one request ended.
enum Fetched {
    /// A final response; its body, if any, has been written.
    Done(Head),
    /// A redirect to follow, to this `Location`; nothing was written.
    Redirect(String),
}

// ANCHOR: fetch
/// One request and its response, on a connection of its own.
fn fetch(url: &Url, method: Method, cli: &Cli, trace: &Trace, out: &mut Output) -> Result<Fetched> {
    let stream = connect(url, cli.timeout, trace)?;
    let stream = Traced::new(stream, trace.clone());
    // The whole head in one `write_all`: written line by line, each line could leave as its own packet.
    (&stream)
        .write_all(&request_head(method, url))
        .map_err(|err| explain_timeout(err, cli.timeout))
        .context("sending the request")?;

    let mut reader = BufReader::with_capacity(cli.buffer_size as usize, &stream);
    let (informational, head) = read_final_head(&mut reader)
        .map_err(|err| explain_timeout(err, cli.timeout))
        .context("reading the response head")?;
    if cli.location
        && matches!(head.status, 301 | 302 | 303 | 307 | 308)
        && let Some(location) = head.header("Location")
    {
        return Ok(Fetched::Redirect(location.to_string()));
    }
    let framing = framing(method, &head).context("reading the response head")?;
    if framing != Framing::NoBody {
        check_codings(&head).context("reading the response head")?;
    }
    if cli.include || cli.head {
        // Every head, as curl -i shows them: a `100 Continue` too, before the final one.
        for shown in informational.iter().chain([&head]) {
            out.write_all(&show_head(shown))
                .with_context(|| format!("writing the head to {}", out.name()))?;
        }
    }
    copy_body(&mut reader, framing, out).map_err(|err| {
        // One loop reads the socket and writes the output: say which of the two failed.
        let what = if is_output_failure(&err) {
            format!("writing the body to {}", out.name())
        } else {
            describe_body(framing)
        };
        anyhow::Error::new(explain_timeout(err, cli.timeout)).context(what)
    })?;
    Ok(Fetched::Done(head))
}
// ANCHOR_END: fetch

/// Connects to every address of the URL's host in turn (lesson 01's `connect`), and gives the socket the
/// timeout for reads and writes.
fn connect(url: &Url, timeout: Duration, trace: &Trace) -> Result<TcpStream> {
    let addrs: Vec<_> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .with_context(|| format!("resolving the host name {}", url.host))?
        .collect();
    trace.event(format_args!("resolve {} -> {addrs:?}", url.host));
    let stream = basic_client::connect(&addrs, timeout, trace).map_err(|err| {
        let advice = match err.kind() {
            io::ErrorKind::ConnectionRefused => {
                " - nothing listens there: is the server running (e.g. python3 -m http.server 8000)?"
            }
            _ if is_timeout(&err) => " (--timeout): is the host up, and the port right?",
            _ => "",
        };
        // The system's words first, then the advice; the kind is kept, so it is still a network error.
        io::Error::new(err.kind(), format!("{err}{advice}"))
    })
    .with_context(|| format!("connecting to {} port {}", url.host, url.port))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    Ok(stream)
}

/// Reads the head of the final response, and before it the informational ones (`100 Continue`, `103
/// Early Hints`) that a server may send first, returned apart for `-i`. At most a few: the cap on the head
/// holds for each one.
fn read_final_head(reader: &mut impl io::BufRead) -> io::Result<(Vec<Head>, Head)> {
    let mut informational = Vec::new();
    for _ in 0..10 {
        let head = read_head(reader)?;
        if head.status / 100 != 1 || head.status == 101 {
            return Ok((informational, head));
        }
        informational.push(head);
    }
    Err(http_fetch::protocol_error(
        "more than 10 informational (1xx) responses",
    ))
}

/// A body sent with a coding this client cannot undo (`Transfer-Encoding: gzip, chunked`) is an error
/// that names it: written out as it came, it would look like a download and be compressed bytes.
fn check_codings(head: &Head) -> io::Result<()> {
    let codings: Vec<&str> = head
        .headers_named("Transfer-Encoding")
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    match codings.iter().find(|c| !c.eq_ignore_ascii_case("chunked")) {
        None => Ok(()),
        Some(coding) => Err(http_fetch::protocol_error(format!(
            "the body is sent with `Transfer-Encoding: {}`, and this client can undo `chunked` only, \
             not `{coding}`: written as it came, the output would be encoded bytes, not the resource",
            codings.join(", ")
        ))),
    }
}

/// What was being read when the body failed.
fn describe_body(framing: Framing) -> String {
    match framing {
        Framing::NoBody => "reading the body".into(),
        Framing::Length(n) => format!("reading the body ({n} bytes, by Content-Length)"),
        Framing::Chunked => "reading the body (chunked)".into(),
        Framing::UntilClose => "reading the body (until the server closes)".into(),
    }
}

/// A timeout's own message, `Resource temporarily unavailable`, says nothing useful: say what it was. The
/// kind is kept, so it is still a network error.
fn explain_timeout(err: io::Error, timeout: Duration) -> io::Error {
    if is_timeout(&err) {
        io::Error::new(
            err.kind(),
            format!(
                "timed out: nothing moved for {timeout:?} (--timeout); the server may be slow, stuck, or \
                 not an HTTP server"
            ),
        )
    } else {
        err
    }
}

/// The status line and headers as received, for `-i` and `-I`.
fn show_head(head: &Head) -> Vec<u8> {
    let mut text = format!("{} {} {}\r\n", head.version, head.status, head.reason);
    for (name, value) in &head.headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

// ANCHOR: redirect
/// The URL a `Location` header points to, from the URL that answered with it: an absolute `http://` URL,
/// `//host/path` (same scheme), `/path` (same host and port), or a path relative to the current one.
fn resolve_location(base: &Url, location: &str) -> Result<Url> {
    let location = location.trim();
    if location.contains("://") {
        return parse_url(location).context("the redirect goes to a URL this client cannot fetch");
    }
    if let Some(rest) = location.strip_prefix("//") {
        return Ok(parse_url(&format!("http://{rest}"))?);
    }
    let target = if location.starts_with('/') {
        location.to_string()
    } else {
        // Relative to the current path's folder: `b` from `/a/x?q` is `/a/b`.
        let path = base.target.split('?').next().unwrap_or("/");
        let folder = &path[..path.rfind('/').map_or(0, |slash| slash + 1)];
        format!("{folder}{location}")
    };
    Ok(parse_url(&format!(
        "http://{}{target}",
        base.host_header()
    ))?)
}
// ANCHOR_END: redirect

// ANCHOR: output
/// Where the body goes: stdout, or a file that only appears, under its name, once the fetch is complete.
enum Output {
    Stdout(io::StdoutLock<'static>),
    /// Written under a temporary name in the same folder, renamed at the end: a download that fails half
    /// way never leaves a file that looks complete. Dropped without `finish`, the temporary file is removed.
    File {
        file: File,
        temporary: PathBuf,
        path: PathBuf,
        finished: bool,
    },
    /// Something that is not a regular file (a pipe, /dev/null), and its name: written directly, it cannot
    /// be renamed.
    Special(File, PathBuf),
}

impl Output {
    /// Opens the output before connecting, so that a bad one fails first; `timeout` caps the wait for a
    /// reader of a FIFO.
    fn open(path: Option<&Path>, timeout: Duration) -> Result<Output> {
        let Some(path) = path else {
            return Ok(Output::Stdout(io::stdout().lock()));
        };
        if fs::metadata(path).is_ok_and(|meta| meta.is_dir()) {
            // Found before connecting, not after the whole download when the rename fails.
            let err = io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("{} is a folder: give a file name", path.display()),
            );
            return Err(OutputFailed::wrap(err).into());
        }
        if fs::metadata(path).is_ok_and(|meta| !meta.is_file()) {
            let file = open_special(path, timeout)
                .map_err(OutputFailed::wrap)
                .with_context(|| format!("opening {}", path.display()))?;
            return Ok(Output::Special(file, path.to_path_buf()));
        }
        let name = path
            .file_name()
            .with_context(|| format!("{} is not a file name", path.display()))?;
        let temporary = path.with_file_name(format!(
            ".{}.{}.part",
            name.to_string_lossy(),
            process::id()
        ));
        // The error names the file asked for, not the temporary name the learner never chose.
        let file = File::create(&temporary)
            .map_err(OutputFailed::wrap)
            .with_context(
                || match path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                    Some(dir) if !dir.is_dir() => format!(
                        "cannot create {}: the folder {} does not exist",
                        path.display(),
                        dir.display()
                    ),
                    _ => format!(
                        "creating {} (as {} until it is complete)",
                        path.display(),
                        temporary.display()
                    ),
                },
            )?;
        Ok(Output::File {
            file,
            temporary,
            path: path.to_path_buf(),
            finished: false,
        })
    }

    /// What the output is, for messages: `stdout` or the file's name.
    fn name(&self) -> String {
        match self {
            Output::Stdout(_) => "stdout".into(),
            Output::File { path, .. } => path.display().to_string(),
            Output::Special(_, path) => path.display().to_string(),
        }
    }

    /// Flushes everything, and gives a file its real name.
    fn finish(&mut self) -> Result<()> {
        match self {
            Output::Stdout(out) => out.flush().map_err(OutputFailed::wrap)?,
            Output::Special(file, _) => file.flush().map_err(OutputFailed::wrap)?,
            Output::File {
                file,
                temporary,
                path,
                finished,
            } => {
                file.flush().map_err(OutputFailed::wrap)?;
                fs::rename(&*temporary, &*path)
                    .map_err(OutputFailed::wrap)
                    .with_context(|| {
                        format!("renaming {} to {}", temporary.display(), path.display())
                    })?;
                *finished = true;
            }
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = match self {
            Output::Stdout(out) => out.write(buf),
            Output::File { file, .. } | Output::Special(file, _) => file.write(buf),
        };
        result.map_err(OutputFailed::wrap)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = match self {
            Output::Stdout(out) => out.flush(),
            Output::File { file, .. } | Output::Special(file, _) => file.flush(),
        };
        result.map_err(OutputFailed::wrap)
    }
}

/// Opens for writing something that is not a regular file, waiting at most `timeout`. Opening a FIFO
/// (named pipe) for writing waits until a program opens it for reading, for ever if none does; so the
/// open runs on a thread of its own, and is given up after `timeout` (the thread ends with the program).
fn open_special(path: &Path, timeout: Duration) -> io::Result<File> {
    let (opened_tx, opened) = std::sync::mpsc::channel();
    let owned = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = opened_tx.send(File::create(owned));
    });
    opened.recv_timeout(timeout).unwrap_or_else(|_| {
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "no program opened it for reading within {timeout:?} (--timeout): a FIFO (named pipe) \
                 cannot be written until one does; start the reader first (e.g. `cat {}`), or with \
                 http-fetch",
                path.display()
            ),
        ))
    })
}

/// A failure to write the output (a full disk, a closed pipe as in `http-fetch URL | head -c 10`), marked
/// so that it is not blamed on the network: the body is copied from the socket to the output in one loop.
#[derive(Debug)]
struct OutputFailed(io::Error);

impl OutputFailed {
    fn wrap(err: io::Error) -> io::Error {
        io::Error::new(err.kind(), OutputFailed(err))
    }
}

impl std::fmt::Display for OutputFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The "output error:" in front of the whole message already says what failed.
        self.0.fmt(f)
    }
}

impl std::error::Error for OutputFailed {}

impl Drop for Output {
    fn drop(&mut self) {
        if let Output::File {
            temporary,
            finished: false,
            ..
        } = self
        {
            let _ = fs::remove_file(temporary);
        }
    }
}
// ANCHOR_END: output
