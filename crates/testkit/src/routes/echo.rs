//! Endpoints that describe the request back: `/anything`, `/headers`,
//! `/user-agent`, `/cookies`, `/cookies/set`.

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, COOKIE, HeaderValue, SET_COOKIE, USER_AGENT};
use hyper::{HeaderMap, Request, Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::query::Query;
use crate::response::{BadRequest, Body, Handled, json as json_response, redirect};

/// The largest request body `/anything` reads back.
const MAX_ECHO_BODY: usize = 16 << 20;

/// `/anything[/…]`, any method → the request as JSON: method, path, query,
/// headers, body, plus `form` for urlencoded bodies and `json` for JSON ones.
pub(super) async fn anything(request: Request<Incoming>, query: &Query) -> Handled {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, MAX_ECHO_BODY)
        .collect()
        .await
        .map_err(|e| BadRequest::new(format!("reading the request body: {e}")))?
        .to_bytes();
    let media_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();

    let mut echo = Map::new();
    echo.insert("method".into(), parts.method.as_str().into());
    echo.insert("path".into(), parts.uri.path().into());
    echo.insert("query".into(), pairs_object(query.pairs()));
    echo.insert("headers".into(), headers_object(&parts.headers));
    echo.insert("body".into(), String::from_utf8_lossy(&body).into());
    if media_type == "application/x-www-form-urlencoded" {
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
        echo.insert("form".into(), pairs_object(&form));
    }
    if media_type == "application/json" {
        // A body that is not valid JSON echoes as null rather than failing,
        // so tests of malformed submissions still see what was sent.
        let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        echo.insert("json".into(), value);
    }
    Ok(json_response(StatusCode::OK, &Value::Object(echo)))
}

/// `/headers` → the request headers as one flat JSON object.
pub(super) fn headers(headers: &HeaderMap) -> Response<Body> {
    json_response(StatusCode::OK, &headers_object(headers))
}

/// `/user-agent` → `{"user-agent": "…"}` (null when none was sent).
pub(super) fn user_agent(headers: &HeaderMap) -> Response<Body> {
    let agent = headers
        .get(USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    json_response(StatusCode::OK, &json!({ "user-agent": agent }))
}

/// `/cookies` → the cookies the request carried, as `{name: value}`.
pub(super) fn cookies(headers: &HeaderMap) -> Response<Body> {
    let mut jar = Map::new();
    // Clients may send one Cookie header or several (HTTP/2 style).
    for header in headers.get_all(COOKIE) {
        let header = String::from_utf8_lossy(header.as_bytes());
        for pair in header.split(';') {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            jar.insert(name.trim().to_owned(), value.trim().into());
        }
    }
    json_response(StatusCode::OK, &Value::Object(jar))
}

/// `/cookies/set?name=value&…` → one `Set-Cookie` per pair (Path=/), then
/// a 302 to `/cookies` so a client with a jar shows what it stored.
pub(super) fn set_cookies(query: &Query) -> Handled {
    let mut response = redirect(StatusCode::FOUND, "/cookies")?;
    for (name, value) in query.pairs() {
        let cookie = HeaderValue::from_str(&format!("{name}={value}; Path=/"))
            .map_err(|_| BadRequest::new(format!("cookie {name:?} is not a valid header value")))?;
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Header names (lowercase, as `http` stores them) to values; repeated
/// headers are joined with ", " as RFC 9110 allows.
fn headers_object(headers: &HeaderMap) -> Value {
    let mut object = Map::new();
    for name in headers.keys() {
        let joined = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        object.insert(name.as_str().to_owned(), joined.into());
    }
    Value::Object(object)
}

/// Query or form pairs as an object; a repeated key keeps its last value.
fn pairs_object(pairs: &[(String, String)]) -> Value {
    let object = pairs
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    Value::Object(object)
}
