//! Misbehaving endpoints: `/throttle/{k}`, `/flaky`, `/drip`.

use std::time::{Duration, SystemTime};

use http_body_util::BodyExt;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Response, StatusCode};

use super::State;
use crate::drip::Drip;
use crate::flaky::{FailMode, fails};
use crate::query::Query;
use crate::response::{BadRequest, Handled, Reply, text};
use crate::throttle::{RetryAfterForm, retry_after_value};

/// The largest `/drip` body, so a typo cannot stream forever.
const MAX_DRIP_BYTES: u64 = 1 << 30;

/// `/throttle/{k}?key=K&status=429&retry_after=N&form=secs|date`: the first
/// `k` requests for `(key, k)` are refused with `status` and a
/// `Retry-After`, later ones get 200 `ok`.
///
/// Parameters are checked before the request is counted, so a malformed
/// request does not use up one of the `k` refusals.
pub(super) fn throttle(state: &State, raw_k: &str, query: &Query) -> Handled {
    let limit: u64 = raw_k
        .parse()
        .map_err(|_| BadRequest::new(format!("throttle count must be a number, got {raw_k:?}")))?;
    let status = match query.parse_or("status", 429u16)? {
        code @ 400..=599 => StatusCode::from_u16(code).map_err(|_| BadRequest::new("status"))?,
        code => {
            return Err(BadRequest::new(format!(
                "status must be 4xx or 5xx, got {code}"
            )));
        }
    };
    let retry_after = match query.get("retry_after") {
        Some("none") => None,
        _ => Some(query.parse_or("retry_after", 1u64)?),
    };
    let form = match query.get("form") {
        None => RetryAfterForm::Seconds,
        Some(raw) => RetryAfterForm::parse(raw)
            .ok_or_else(|| BadRequest::new(format!("form must be secs or date, got {raw:?}")))?,
    };
    let key = query.get("key").unwrap_or("");

    if !state.throttle.refuse(key, limit) {
        return Ok(text(StatusCode::OK, "ok"));
    }
    let mut response = text(status, format!("throttled: {key}\n"));
    if let Some(secs) = retry_after {
        let value = retry_after_value(form, secs, SystemTime::now());
        let value = HeaderValue::from_str(&value).expect("digits and IMF-fixdates are ASCII");
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    Ok(response)
}

/// `/flaky?rate=R&seed=S&mode=5xx|reset|stall&key=K`: hit `n` of `key`
/// fails, in the chosen way, when the seeded draw for `(S, K, n)` is below
/// `R`; otherwise 200 `ok`.
pub(super) async fn flaky(state: &State, query: &Query) -> Reply {
    let (rate, seed, mode) = match flaky_params(query) {
        Ok(parsed) => parsed,
        Err(complaint) => return complaint.into_response().into(),
    };
    let key = query.get("key").unwrap_or("");
    let n = state.flaky.next_hit(key);
    if !fails(seed, key, n, rate) {
        return text(StatusCode::OK, "ok").into();
    }
    match mode {
        FailMode::ServerError => text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("flaky failure {n}\n"),
        )
        .into(),
        FailMode::Reset => Reply::Reset,
        // Pending forever rather than a long sleep: under a paused test
        // clock a sleep would be skipped forward and eventually answer.
        // The handler is dropped (and in_flight decremented) when the
        // client gives up or the server stops.
        FailMode::Stall => std::future::pending().await,
    }
}

fn flaky_params(query: &Query) -> Result<(f64, u64, FailMode), BadRequest> {
    let rate: f64 = query.parse_or("rate", 0.5)?;
    if !(0.0..=1.0).contains(&rate) {
        return Err(BadRequest::new(format!(
            "rate must be in 0..=1, got {rate}"
        )));
    }
    let seed: u64 = query.parse_or("seed", 0)?;
    let mode = match query.get("mode") {
        None => FailMode::ServerError,
        Some(raw) => FailMode::parse(raw).ok_or_else(|| {
            BadRequest::new(format!("mode must be 5xx, reset or stall, got {raw:?}"))
        })?,
    };
    Ok((rate, seed, mode))
}

/// `/drip?bytes=N&chunk=C&interval_ms=M&chunked=1` → `N` bytes of `x`, `C`
/// at a time, one chunk every `M` ms, with `Content-Length: N`; with
/// `chunked=1`, without it (chunked transfer encoding), so a client learns
/// the size only by reading. With `declared=D` (more than `N`), the header
/// says `Content-Length: D` and the connection closes after `N` bytes: a
/// truncated body.
pub(super) fn drip(query: &Query) -> Handled {
    let (total, chunk, interval_ms) = drip_params(query)?;
    let chunked = query
        .get("chunked")
        .is_some_and(|v| v == "1" || v == "true");
    let declared: Option<u64> = match query.get("declared") {
        None => None,
        Some(_) => Some(query.parse_or("declared", 0)?),
    };
    let body = Drip::new(total, chunk, Duration::from_millis(interval_ms));
    let body = if chunked || declared.is_some() {
        body.without_length()
    } else {
        body
    };
    let mut response = Response::new(body.boxed_unsync());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if let Some(d) = declared {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(d));
    } else if !chunked {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(total));
    }
    Ok(response)
}

fn drip_params(query: &Query) -> Result<(u64, usize, u64), BadRequest> {
    let total: u64 = query.parse_or("bytes", 100)?;
    if total > MAX_DRIP_BYTES {
        return Err(BadRequest::new(format!(
            "bytes must be at most {MAX_DRIP_BYTES}"
        )));
    }
    let chunk: usize = query.parse_or("chunk", 10)?;
    let interval_ms: u64 = query.parse_or("interval_ms", 100)?;
    Ok((total, chunk, interval_ms))
}
