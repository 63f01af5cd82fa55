//! `buffers receive`: the receiving end for a program of yours (a Python sender, `nc`): it takes one
//! connection and shows what each read returns until the sender closes or, with `--frames`, the frames
//! `FrameReader` finds. Where the sender's bytes cannot be frames, the error says what they look like.

use std::io::{self, BufReader, ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use buffers::{DEFAULT_MAX_FRAME, FrameReader, PREFIX_LEN};
use shared::trace::{Preview, Trace, Traced, is_timeout};

/// The read buffer without `--frames`: Python's `recv(1024)`.
const READ_BUFFER: usize = 1024;

/// Listens on `addr`, accepts one sender, shows what it sent, and returns when it closes.
pub fn receive(addr: SocketAddr, frames: bool, idle: Duration, trace: &Trace) -> Result<()> {
    let listener =
        TcpListener::bind(addr).map_err(|err| anyhow!(shared::bind_error_message(addr, &err)))?;
    shared::announce_listening(listener.local_addr()?).context("printing the address on stdout")?;
    let (stream, peer) = listener.accept().context("accepting the sender")?;
    println!("accepted {peer}");
    // A sender that neither sends nor closes would keep this receiver for ever: `idle` bounds each wait.
    stream.set_read_timeout(Some(idle))?;
    let stream = Traced::new(stream, trace.clone());
    let result = if frames {
        show_frames(stream)
    } else {
        show_reads(stream)
    };
    result.map_err(|err| explain_idle(err, idle))
}

/// Prints each read of a 1024-byte buffer, until the end of the stream.
fn show_reads(mut stream: Traced<TcpStream>) -> io::Result<()> {
    let mut buf = [0u8; READ_BUFFER];
    let (mut reads, mut bytes) = (0, 0);
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        reads += 1;
        bytes += n;
        println!("read {reads}: {n} bytes {}", Preview(&buf[..n]));
    }
    println!(
        "the sender closed: {bytes} bytes in {reads} read(s) of at most {READ_BUFFER} bytes. A read returns \
         what has arrived: where the reads cut says when the bytes came, not where the sender's writes \
         began. To find its messages, the sender must mark them (--frames expects a length before each)."
    );
    Ok(())
}

/// Prints each frame, until the stream ends between two frames.
fn show_frames(stream: Traced<TcpStream>) -> io::Result<()> {
    let mut frames = FrameReader::new(LastBytes::new(BufReader::new(stream)), DEFAULT_MAX_FRAME);
    let mut count = 0;
    loop {
        match frames.read_frame() {
            Ok(Some(frame)) => {
                count += 1;
                println!("frame {count}: {} bytes {}", frame.len(), Preview(&frame));
            }
            Ok(None) => break,
            Err(err) if err.kind() == ErrorKind::InvalidData => {
                let prefix = frames.into_inner().last;
                return Err(io::Error::new(err.kind(), not_a_length(&err, &prefix)));
            }
            Err(err) => return Err(err),
        }
    }
    println!("the sender closed after {count} frame(s), between two frames: a clean end");
    Ok(())
}

/// The error for a refused length, with what its 4 bytes look like and what the sender may be doing.
fn not_a_length(err: &io::Error, prefix: &[u8]) -> String {
    let bytes: Vec<String> = prefix.iter().map(|b| format!("{b:02x}")).collect();
    let shown = format!(
        "{err}: its 4 bytes of length were {} {}",
        bytes.join(" "),
        Preview(prefix)
    );
    let little_endian = <[u8; PREFIX_LEN]>::try_from(prefix).map(u32::from_le_bytes);
    if prefix.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!(
            "{shown}, which is text, not a length: the sender writes its messages without a length \
             before each (a plain send() of the text?). Run without --frames to see its bytes as they come"
        )
    } else if let Ok(len) = little_endian
        && len as usize <= DEFAULT_MAX_FRAME
    {
        format!(
            "{shown}; read little-endian they would be {len}: the sender writes its length in the wrong \
             byte order (struct.pack(\"<I\") or \"I\", where \">I\" is big-endian, the network's order)"
        )
    } else {
        shown
    }
}

/// A read timeout, with what the sender may be waiting for.
fn explain_idle(err: io::Error, idle: Duration) -> anyhow::Error {
    if is_timeout(&err) {
        anyhow!(
            "nothing came for {idle:?}, and the sender has not closed the connection: is it waiting for a \
             reply? This receiver never sends one: it reads until the sender closes (or shuts down its \
             sending side), and gives up now"
        )
    } else {
        anyhow!(err).context("reading from the sender")
    }
}

/// A reader that keeps the last bytes it returned, up to a frame's length: when `FrameReader` refuses
/// a length, they are that length's 4 bytes.
struct LastBytes<R> {
    inner: R,
    last: Vec<u8>,
}

impl<R> LastBytes<R> {
    fn new(inner: R) -> Self {
        LastBytes {
            inner,
            last: Vec::with_capacity(PREFIX_LEN),
        }
    }
}

impl<R: Read> Read for LastBytes<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.last.extend_from_slice(&buf[..n]);
        let extra = self.last.len().saturating_sub(PREFIX_LEN);
        self.last.drain(..extra);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::not_a_length;
    use std::io::{Error, ErrorKind};

    #[test]
    fn a_refused_length_says_what_its_bytes_look_like() {
        let err = Error::new(ErrorKind::InvalidData, "too long");
        assert!(not_a_length(&err, b"onet").contains("which is text, not a length"));
        assert!(not_a_length(&err, &[3, 0, 0, 0]).contains("read little-endian they would be 3"));
        assert!(!not_a_length(&err, &[0xff; 4]).contains("little-endian"));
    }
}
