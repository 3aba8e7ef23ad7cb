//! Mapping reqwest's errors onto [`ferrocrawl_core::Error`].

use std::time::Duration;

use ferrocrawl_core::{Error, ErrorKind, TimeoutPhase};
use url::Url;

/// Turn a reqwest error into ours, keeping it as the source.
pub(crate) fn from_reqwest(
    e: reqwest::Error,
    url: &Url,
    connect: Duration,
    read: Duration,
) -> Error {
    // Our address guard refuses inside reqwest's resolver; say so plainly
    // rather than "could not connect".
    let mut cause = std::error::Error::source(&e);
    let mut cut: Option<ErrorKind> = None;
    while let Some(c) = cause {
        if let Some(ours) = as_ours(c)
            && *ours.kind() == ErrorKind::Forbidden
        {
            return Error::new(ErrorKind::Forbidden, ours.to_string()).with_url(url.clone());
        }
        // A body cut short, or a connection reset, whatever layer (the
        // decompressor, the body reader) reports it.
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::UnexpectedEof => cut = Some(ErrorKind::TruncatedBody),
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe => cut = cut.or(Some(ErrorKind::ConnectionReset)),
                _ => {}
            }
        }
        cause = c.source();
    }
    if let (Some(kind), false) = (cut, e.is_connect() || e.is_timeout()) {
        let what = match kind {
            ErrorKind::TruncatedBody => "the connection ended before the whole body arrived",
            _ => "the server reset the connection in the middle of its answer",
        };
        return Error::new(kind, what)
            .with_url(url.clone())
            .with_source(e.without_url());
    }
    let err = if e.is_timeout() && e.is_connect() {
        Error::timeout(TimeoutPhase::Connect, connect)
    } else if e.is_timeout() {
        Error::timeout(TimeoutPhase::Read, read)
    } else if e.is_connect() {
        Error::new(ErrorKind::Connect, "could not connect")
    } else if e.is_builder() {
        Error::new(ErrorKind::InvalidRequest, "could not build the request")
    } else if e.is_decode() {
        Error::new(ErrorKind::Decode, "could not decode the body")
    } else if e.is_body() {
        Error::new(ErrorKind::Transport, "the body was cut off")
    } else {
        Error::new(ErrorKind::Transport, "the connection failed")
    };
    // Our error names the URL once; reqwest's would name it again.
    err.with_url(url.clone()).with_source(e.without_url())
}

/// Our own error inside a cause, however the layers between wrapped it: as
/// itself, or as the payload of an `io::Error` (whose `source()` skips its
/// payload, so the chain alone never shows it).
fn as_ours<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a Error> {
    if let Some(ours) = cause.downcast_ref::<Error>() {
        return Some(ours);
    }
    cause
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .and_then(|inner| inner.downcast_ref::<Error>())
}
