//! Redirect endpoints: `/redirect/{n}`, `/redirect-forever/{n}`, `/redirect-to`,
//! `/redirect-loop`.

use hyper::StatusCode;

use super::State;
use crate::query::Query;
use crate::response::{BadRequest, Handled, redirect, redirect_status, text};

/// `/redirect/{n}?status=…&absolute=1`: a chain of `n` redirects ending in
/// 200 `done`. The options travel along in each `Location`, so every hop of
/// the chain behaves the same.
pub(super) fn chain(state: &State, raw: &str, query: &Query) -> Handled {
    let n: u64 = raw
        .parse()
        .map_err(|_| BadRequest::new(format!("redirect count must be a number, got {raw:?}")))?;
    let status = redirect_status(query.get("status"))?;
    if n == 0 {
        return Ok(text(StatusCode::OK, "done"));
    }
    let absolute = query
        .get("absolute")
        .is_some_and(|v| v == "1" || v == "true");

    let mut location = String::new();
    if absolute {
        location.push_str(&format!("http://{}", state.addr));
    }
    location.push_str(&format!("/redirect/{}", n - 1));
    let mut options = Vec::new();
    if let Some(raw_status) = query.get("status") {
        options.push(format!("status={raw_status}"));
    }
    if absolute {
        options.push("absolute=1".to_owned());
    }
    if !options.is_empty() {
        location.push('?');
        location.push_str(&options.join("&"));
    }
    redirect(status, &location)
}

/// `/redirect-forever/{n}` → 302 to `/redirect-forever/{n + 1}`: an endless
/// chain of fresh URLs, which dedup alone never ends.
pub(super) fn forever(raw: &str) -> Handled {
    let n: u64 = raw
        .parse()
        .map_err(|_| BadRequest::new(format!("redirect number must be a number, got {raw:?}")))?;
    redirect(
        StatusCode::FOUND,
        &format!("/redirect-forever/{}", n.saturating_add(1)),
    )
}

/// `/redirect-to?url=U&status=S` → a redirect to `U`, taken verbatim.
pub(super) fn to(query: &Query) -> Handled {
    let url = query
        .get("url")
        .ok_or_else(|| BadRequest::new("missing query parameter url"))?;
    redirect(redirect_status(query.get("status"))?, url)
}

/// `/redirect-loop` → 302 to `/redirect-loop-b`.
pub(super) fn loop_a() -> Handled {
    redirect(StatusCode::FOUND, "/redirect-loop-b")
}

/// `/redirect-loop-b` → 302 back to `/redirect-loop`.
pub(super) fn loop_b() -> Handled {
    redirect(StatusCode::FOUND, "/redirect-loop")
}

/// `/bad-location/{kind}`: a 302 whose `Location` is wrong in one way:
/// `none` (no header), `empty`, `invalid` (`http://[::1`, not a URL), or
/// `raw` (`/caf` followed by the raw byte 0xE9, Latin-1 "é", which a
/// browser percent-encodes and follows to `/caf%E9`).
pub(super) fn bad_location(kind: &str) -> Handled {
    let value: &[u8] = match kind {
        "none" => return Ok(text(StatusCode::FOUND, "moved, but where?\n")),
        "empty" => b"",
        "invalid" => b"http://[::1",
        "raw" => b"/caf\xe9",
        other => {
            return Err(BadRequest::new(format!(
                "kind must be none, empty, invalid or raw, got {other:?}"
            )));
        }
    };
    let mut response = text(StatusCode::FOUND, "moved\n");
    let value = hyper::header::HeaderValue::from_bytes(value)
        .map_err(|_| BadRequest::new("not a header value"))?;
    response
        .headers_mut()
        .insert(hyper::header::LOCATION, value);
    Ok(response)
}
