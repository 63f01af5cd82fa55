//! The room's client, async: lesson 08's `chat` (print what arrives while you type) as one task that
//! waits for two things at once with `select!`. Given code, the same in the exercise and the solution.

use tokio::io::{self, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// How much is read from the server at a time.
const CHUNK: usize = 4096;

// ANCHOR: chat
/// Prints what the server sends on `output` as it arrives, while it sends each line that comes out of
/// `typed`. When `typed` ends (end of input), shuts down the sending side and goes on printing until
/// the server closes; returns then, even if the user is still typing.
///
/// Typed lines come through a channel, from a thread of their own (see `chat-client-async`): a read of
/// the terminal cannot be cancelled, and a runtime waits for its reads when it shuts down.
pub async fn chat(
    stream: impl AsyncRead + AsyncWrite,
    mut typed: mpsc::Receiver<String>,
    mut output: impl AsyncWrite + Unpin,
) -> io::Result<()> {
    let (mut from_server, mut to_server) = io::split(stream);
    let mut buf = vec![0u8; CHUNK];
    let mut typing = true;
    loop {
        tokio::select! {
            read = from_server.read(&mut buf) => {
                let n = read?;
                if n == 0 {
                    return output.flush().await;
                }
                output.write_all(&buf[..n]).await?;
                output.flush().await?;
            }
            line = typed.recv(), if typing => match line {
                Some(line) => to_server.write_all(format!("{line}\n").as_bytes()).await?,
                None => {
                    to_server.shutdown().await?;
                    typing = false;
                }
            },
        }
    }
}
// ANCHOR_END: chat
