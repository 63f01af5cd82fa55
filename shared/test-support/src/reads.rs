use std::io::{self, Read};

/// A reader that returns at most `max` bytes per `read`, whatever the caller's buffer size.
///
/// A real network splits data wherever it likes; on loopback it rarely does. Wrapping a real socket in
/// `SmallReads` makes the split happen every time, so a test can check that code does not assume a
/// message (or a UTF-8 character) arrives in one read.
#[derive(Debug)]
pub struct SmallReads<R> {
    inner: R,
    max: usize,
    interrupt_next: bool,
}

impl<R> SmallReads<R> {
    /// Reads at most `max` bytes at a time (at least 1).
    pub fn new(inner: R, max: usize) -> Self {
        SmallReads {
            inner,
            max: max.max(1),
            interrupt_next: false,
        }
    }

    /// Makes the first `read` fail with `ErrorKind::Interrupted`, as a read does when a signal arrives
    /// before any data (Ctrl-Z and `fg`, a timer, a debugger). The right answer is to call `read` again.
    pub fn interrupt_first_read(mut self) -> Self {
        self.interrupt_next = true;
        self
    }
}

impl<R: Read> Read for SmallReads<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if std::mem::take(&mut self.interrupt_next) {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "interrupted by a signal (simulated)",
            ));
        }
        let len = buf.len().min(self.max);
        self.inner.read(&mut buf[..len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_returns_more_than_max() {
        let mut reader = SmallReads::new(&b"hello"[..], 2);
        let mut buf = [0u8; 16];
        assert_eq!(reader.read(&mut buf).unwrap(), 2);
        assert_eq!(reader.read(&mut buf).unwrap(), 2);
        assert_eq!(reader.read(&mut buf).unwrap(), 1);
        assert_eq!(reader.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn interrupts_only_the_first_read() {
        let mut reader = SmallReads::new(&b"hi"[..], 8).interrupt_first_read();
        let mut buf = [0u8; 8];
        assert_eq!(
            reader.read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::Interrupted
        );
        assert_eq!(reader.read(&mut buf).unwrap(), 2);
    }
}
