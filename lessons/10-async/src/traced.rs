//! `--trace` for async sockets: lesson 01's trace lines (`read 7 bytes "hello\n"`, `write 12 bytes`,
//! `shutdown(Write)`, `close`) for a tokio stream. Given code, the same in the exercise and the solution.
//!
//! A read or write that cannot go on yet returns `Poll::Pending` to the runtime instead of blocking; that
//! is not traced (it is the runtime's business, and it would be most of the lines). What is traced is what
//! completed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use shared::trace::{Trace, report_read, report_write};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A stream that reports every completed read and write, its shutdown and its close to a [`Trace`]. It
/// behaves exactly like the stream it wraps: tracing only watches.
#[derive(Debug)]
pub struct TracedStream<S> {
    inner: S,
    trace: Trace,
}

impl<S> TracedStream<S> {
    /// Wraps `inner`; with an off tracer this costs one branch per call.
    pub fn new(inner: S, trace: Trace) -> Self {
        TracedStream { inner, trace }
    }

    /// The wrapped stream, e.g. to ask for `peer_addr()`.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TracedStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let (before, room) = (buf.filled().len(), buf.remaining());
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(result) = &polled
            && this.trace.is_on()
        {
            let got = &buf.filled()[before..];
            if result.is_ok() && got.is_empty() && room > 0 {
                this.trace.event("read 0 bytes (peer closed)");
            } else {
                report_read(&this.trace, &counted(result, got.len()), got);
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TracedStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(result) = &polled {
            report_write(&this.trace, result, buf);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        match &polled {
            Poll::Ready(Ok(())) => this.trace.event("shutdown(Write)"),
            Poll::Ready(Err(err)) => this
                .trace
                .event(format_args!("shutdown(Write) failed: {err}")),
            Poll::Pending => {}
        }
        polled
    }
}

impl<S> Drop for TracedStream<S> {
    /// Dropping a stream closes it; the trace says so.
    fn drop(&mut self) {
        self.trace.event("close");
    }
}

/// A completed read as `read` would have returned it: the byte count, or the error (copied, for the trace).
fn counted(result: &io::Result<()>, n: usize) -> io::Result<usize> {
    match result {
        Ok(()) => Ok(n),
        Err(err) => Err(io::Error::new(err.kind(), err.to_string())),
    }
}
