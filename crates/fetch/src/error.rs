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
    err.with_url(url.clone()).with_source(e)
}
