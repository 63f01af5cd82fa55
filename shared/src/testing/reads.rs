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
}

impl<R> SmallReads<R> {
    /// Reads at most `max` bytes at a time (at least 1).
    pub fn new(inner: R, max: usize) -> Self {
        SmallReads {
            inner,
            max: max.max(1),
        }
    }
}

impl<R: Read> Read for SmallReads<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
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
}
