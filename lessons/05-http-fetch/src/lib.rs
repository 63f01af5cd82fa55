//! # Lesson 05: an HTTP fetch: the web is bytes on a socket
//!
//! **Goal**: `http-fetch URL`, a small curl for plain HTTP written on a bare `TcpStream`. It sends a
//! request head it wrote byte by byte, reads the response head up to the blank line, and then reads the
//! body exactly as far as the head says: no further (the connection may stay open), no less (a cut
//! response is an error, not a short file). It is the Python tutorial's
//! `s.sendall(b"GET / HTTP/1.1\r\nHost: ...\r\n\r\n")` and `s.recv(4096)`, with what the tutorial leaves
//! out: where the response ends.
//!
//! **Concepts**, in the order of the exercise steps:
//! 1. [`parse_url`]: `http://host:port/path?query` taken apart into what the socket needs (host and port)
//!    and what the request line needs (the target); errors that say what is wrong.
//! 2. [`request_head`]: a request is lines of text ending in `\r\n`, then an empty line. `Host` is
//!    required in HTTP/1.1; `Connection: close` asks the server to close after answering.
//! 3. [`read_head`]: the status line and headers, read line by line through a `BufRead` up to the blank
//!    line, with a cap ([`MAX_HEAD`]): however the bytes are cut into reads, the result is the same.
//! 4. [`framing`] and [`copy_body`]: a body ends after `Content-Length` bytes, or when the server closes
//!    the connection; it is streamed to the output, never held whole in memory.
//! 5. [`copy_body`] with [`Framing::Chunked`]: `Transfer-Encoding: chunked`, a body sent in pieces of
//!    announced size, ended by a piece of size 0 and optional trailers.
//!
//! **Left out on purpose**: TLS (`https://`; use curl, or a crate such as `rustls`), keeping a connection
//! open for a second request, compression, HTTP/2 and 3, proxies, cookies and authentication.
//!
//! The program is `src/main.rs` (`cargo run -p http-fetch -- --help`); your code goes in
//! `src/exercise.rs` and is checked by `cargo run -- check 5`. The types, constants and helpers your code
//! uses are given in `src/url.rs`, `src/head.rs` and `src/body.rs`.

// Given: the URL's type and errors, the heads' types and line parsers, the framing and the copy that picks
// the body's loop. Compiled in both builds; read them first.
mod body;
mod head;
mod url;
pub use body::*;
pub use head::*;
pub use url::*;

// `cargo run -- check 5` builds the library from your exercise; every other build uses the solution.
#[cfg_attr(feature = "exercise", path = "exercise.rs")]
#[cfg_attr(not(feature = "exercise"), path = "solution.rs")]
mod imp;

pub use imp::*;
