//! Plain endpoints: `/`, `/delay`, `/status`, `/json`, `/bytes`, `/__stats`.

use std::time::Duration;

use hyper::header::{CONTENT_LENGTH, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::json;

use crate::query::Query;
use crate::response::{BadRequest, Body, Handled, json as json_response, text, with_body};
use crate::stats::Stats;

/// The longest `/delay` accepted, so a typo cannot park a handler for days.
const MAX_DELAY_SECS: f64 = 3600.0;

/// The largest `/bytes` body, to keep a typo from exhausting memory.
const MAX_BYTES: u64 = 256 << 20;

/// `/` → 200 `ok`.
pub(super) fn root() -> Response<Body> {
    text(StatusCode::OK, "ok")
}

/// `/delay/{secs}`: sleeps on the tokio clock (so paused-clock tests can
/// skip the wait), then answers `slept {secs}` echoing the path segment.
pub(super) async fn delay(raw: &str) -> Handled {
    let secs: f64 = match raw.parse() {
        Ok(secs) if (0.0..=MAX_DELAY_SECS).contains(&secs) => secs,
        _ => {
            return Err(BadRequest::new(format!(
                "delay must be a number of seconds in 0..={MAX_DELAY_SECS}, got {raw:?}"
            )));
        }
    };
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    Ok(text(StatusCode::OK, format!("slept {raw}")))
}

/// `/status/{code}` → that status with a one-line body.
pub(super) fn status(raw: &str) -> Handled {
    let status = match raw.parse::<u16>().map(StatusCode::from_u16) {
        // 1xx are interim responses: hyper cannot send one as the final
        // answer, so they are refused rather than mangled.
        Ok(Ok(status)) if status.as_u16() >= 200 => status,
        _ => {
            return Err(BadRequest::new(format!(
                "status must be a code in 200..=999, got {raw:?}"
            )));
        }
    };
    if matches!(status.as_u16(), 204 | 304) {
        // These may not carry a body.
        return Ok(text(status, ""));
    }
    let reason = status.canonical_reason().unwrap_or("Unknown");
    Ok(text(status, format!("{} {reason}\n", status.as_u16())))
}

/// `/json` → a small fixed document with a nested array.
pub(super) fn json() -> Response<Body> {
    json_response(
        StatusCode::OK,
        &json!({
            "name": "ferrocrawl-testkit",
            "version": 1,
            "ok": true,
            "tags": ["crawler", "test", "json"],
            "nested": {
                "items": [
                    {"id": 1, "title": "first"},
                    {"id": 2, "title": "second"},
                ],
                "count": 2,
            },
        }),
    )
}

/// `/bytes/{n}?seed=S` → `n` pseudo-random bytes, the same for the same seed.
pub(super) fn bytes(raw: &str, query: &Query) -> Handled {
    let n = match raw.parse::<u64>() {
        Ok(n) if n <= MAX_BYTES => n,
        _ => {
            return Err(BadRequest::new(format!(
                "byte count must be in 0..={MAX_BYTES}, got {raw:?}"
            )));
        }
    };
    let seed = query.parse_or("seed", 0u64)?;
    let len = usize::try_from(n).expect("MAX_BYTES fits in usize");
    let mut data = vec![0u8; len];
    fastrand::Rng::with_seed(seed).fill(&mut data);
    let mut response = with_body(StatusCode::OK, "application/octet-stream", data);
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(n));
    Ok(response)
}

/// `/__stats` → the server's counters as JSON.
pub(super) fn stats(stats: &Stats) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &json!({
            "in_flight": stats.in_flight(),
            "max_in_flight": stats.max_in_flight(),
            "requests": stats.requests(),
            "connections": stats.connections(),
        }),
    )
}
