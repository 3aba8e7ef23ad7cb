//! The slow streaming body behind `/drip`.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// Yields `total` bytes of `x`, `chunk` at a time: the first chunk at once,
/// each later one `interval` after the previous.
///
/// A hand-written body rather than a channel and a producer task: nothing
/// is left running when the client hangs up, and the tokio sleep keeps it
/// working under a paused test clock.
#[derive(Debug)]
pub(crate) struct Drip {
    remaining: u64,
    chunk: Bytes,
    interval: Duration,
    sleep: Pin<Box<Sleep>>,
    first: bool,
    /// Whether `size_hint` tells the length; hyper turns a known length
    /// into `Content-Length` and an unknown one into chunked encoding.
    sized: bool,
}

impl Drip {
    /// A body of `total` bytes sent in pieces of `chunk` bytes (at least 1).
    pub(crate) fn new(total: u64, chunk: usize, interval: Duration) -> Self {
        let chunk = chunk.max(1);
        Drip {
            remaining: total,
            chunk: Bytes::from(vec![b'x'; chunk]),
            interval,
            sleep: Box::pin(tokio::time::sleep(interval)),
            first: true,
            sized: true,
        }
    }

    /// The same body with its length kept secret, so that HTTP/1.1 sends it
    /// chunked, without `Content-Length`.
    pub(crate) fn without_length(mut self) -> Self {
        self.sized = false;
        self
    }
}

impl Body for Drip {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        if !self.first && self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let this = &mut *self;
        this.first = false;
        let deadline = Instant::now() + this.interval;
        this.sleep.as_mut().reset(deadline);
        let len = usize::try_from(this.remaining)
            .unwrap_or(usize::MAX)
            .min(this.chunk.len());
        this.remaining -= len as u64;
        Poll::Ready(Some(Ok(Frame::data(this.chunk.slice(..len)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        if self.sized {
            SizeHint::with_exact(self.remaining)
        } else {
            SizeHint::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test(start_paused = true)]
    async fn drips_every_interval() {
        let start = Instant::now();
        let mut body = Drip::new(10, 4, Duration::from_millis(100));
        assert_eq!(body.size_hint().exact(), Some(10));
        let mut sizes = Vec::new();
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            assert!(data.iter().all(|b| *b == b'x'));
            sizes.push(data.len());
        }
        assert_eq!(sizes, [4, 4, 2]);
        // Paused clock: exactly two intervals elapsed, between three chunks.
        assert_eq!(start.elapsed(), Duration::from_millis(200));
    }

    #[tokio::test(start_paused = true)]
    async fn a_drip_without_length_hides_it() {
        let mut body = Drip::new(10, 4, Duration::from_millis(100)).without_length();
        assert_eq!(body.size_hint().exact(), None);
        let mut len = 0;
        while let Some(frame) = body.frame().await {
            len += frame.unwrap().into_data().unwrap().len();
        }
        assert_eq!(len, 10);
    }
}
