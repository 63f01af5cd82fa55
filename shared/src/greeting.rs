//! The greeting protocol's lines, written once: lesson 02's server sends them, lesson 03's adds the busy
//! line, and `greet-load` checks them.
//!
//! ```text
//! server: Welcome
//! client: Alice
//! server: Hello, Alice!
//! client: exit                      (or end of stream: the server closes)
//! ```
//!
//! Every line ends with `\n`; the server accepts `\r\n` too.

/// The first line a server sends on every connection it serves.
pub const WELCOME: &str = "Welcome\n";

/// The line that ends a session: the server closes the connection.
pub const EXIT: &str = "exit";

/// What a server over its bound on clients (lesson 03) sends instead of [`WELCOME`], before it closes.
pub const BUSY: &str = "busy, try again later\n";

/// The reply to the line `name`: `Hello, NAME!` and its `\n`.
pub fn hello(name: &str) -> String {
    format!("Hello, {name}!\n")
}
