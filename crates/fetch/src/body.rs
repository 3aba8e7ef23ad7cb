//! Reading a body with a size cap.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferrocrawl_core::{Error, ErrorKind, Result};
use url::Url;

use crate::error::from_reqwest;

/// The most a declared Content-Length reserves up front: a server has to
/// send that much before the buffer grows to the length it declared.
const INITIAL_HINT: u64 = 8 << 20;

/// Read `resp`'s body, at most `cap` bytes after decompression.
///
/// The cap is checked on every chunk as it arrives, so a decompression bomb
/// stops at the cap instead of filling memory.
pub(crate) async fn read_body(
    mut resp: reqwest::Response,
    cap: u64,
    url: &Url,
    (connect, read): (Duration, Duration),
) -> Result<Bytes> {
    let too_large = || {
        Error::new(
            ErrorKind::BodyTooLarge { limit: cap },
            format!("body is larger than the {cap}-byte cap (raise it with max_body)"),
        )
        .with_url(url.clone())
    };
    // Content-Length describes the bytes on the wire; with compression the
    // decoded body can be larger still, which the loop below catches.
    let declared = resp.content_length();
    if declared.is_some_and(|len| len > cap) {
        return Err(too_large());
    }
    // Most bodies arrive in one chunk: keep it as is, without a copy. Only a
    // second chunk starts a buffer, sized by Content-Length when known.
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    loop {
        // reqwest's read timeout bounds each wait, so a server that stalls
        // mid-body is noticed.
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let have = first.as_ref().map_or(0, Bytes::len) + buf.len();
                if have as u64 + chunk.len() as u64 > cap {
                    return Err(too_large());
                }
                if buf.is_empty() && first.is_none() {
                    first = Some(chunk);
                    continue;
                }
                if let Some(head) = first.take() {
                    let hint = declared.unwrap_or(0).min(cap).min(INITIAL_HINT);
                    let hint = usize::try_from(hint).unwrap_or(0);
                    buf.reserve(hint.max(head.len() + chunk.len()));
                    buf.extend_from_slice(&head);
                }
                let need = buf.len() + chunk.len();
                if need > buf.capacity()
                    && let Some(total) = declared.and_then(|d| usize::try_from(d).ok())
                    && total >= need
                {
                    // The server has sent more than the first hint and says
                    // how much is left: grow once to that, not by doubling
                    // (a 15 MB page would otherwise end in a 32 MiB buffer,
                    // with 16 MiB beside it while it is copied).
                    buf.reserve(total - buf.len());
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(first.unwrap_or_else(|| buf.freeze())),
            Err(e) => return Err(from_reqwest(e, url, connect, read)),
        }
    }
}
