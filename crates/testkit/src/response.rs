//! Response building blocks shared by the route handlers.

use std::convert::Infallible;
use std::fmt;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HeaderValue, LOCATION};
use hyper::{Response, StatusCode};

/// Every response body: fixed buffers and the streaming `/drip` body alike.
pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

/// What a handler wants done with the connection.
pub(crate) enum Reply {
    /// Send this response.
    Respond(Response<Body>),
    /// Close the connection without answering (`/flaky?mode=reset`).
    Reset,
}

impl From<Response<Body>> for Reply {
    fn from(response: Response<Body>) -> Self {
        Reply::Respond(response)
    }
}

impl From<Handled> for Reply {
    fn from(handled: Handled) -> Self {
        Reply::Respond(handled.unwrap_or_else(BadRequest::into_response))
    }
}

/// What most handlers return: a response, or a complaint about the request
/// that becomes a 400.
pub(crate) type Handled = Result<Response<Body>, BadRequest>;

/// A malformed request parameter, answered with 400 and this explanation.
///
/// Kept as a message rather than a ready response so `Result`s stay small
/// and `?` can carry it out of parameter parsing.
#[derive(Debug)]
pub(crate) struct BadRequest(String);

impl BadRequest {
    /// A complaint explaining `why` the request was refused.
    pub(crate) fn new(why: impl fmt::Display) -> Self {
        BadRequest(why.to_string())
    }

    /// The 400 response carrying the explanation.
    pub(crate) fn into_response(self) -> Response<Body> {
        text(
            StatusCode::BAD_REQUEST,
            format!("bad request: {}\n", self.0),
        )
    }
}

/// The error a service returns to make hyper drop the connection unanswered.
#[derive(Debug)]
pub(crate) struct ResetConnection;

impl fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection reset on purpose by the test server")
    }
}

impl std::error::Error for ResetConnection {}

/// Wraps a complete buffer as a body.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

/// A response with the given status, content type and body.
pub(crate) fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A 200 response with a content type chosen at run time.
pub(crate) fn with_owned_type(content_type: String, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(full(body));
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        response.headers_mut().insert(CONTENT_TYPE, v);
    }
    response
}

/// A `text/plain` response.
pub(crate) fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    with_body(status, "text/plain; charset=utf-8", body)
}

/// A 404 for paths no route knows.
pub(crate) fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "not found\n")
}

/// An `application/json` response.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    with_body(status, "application/json", value.to_string())
}

/// A redirect to `location`, refused if it cannot be a header value.
pub(crate) fn redirect(status: StatusCode, location: &str) -> Handled {
    let value = HeaderValue::from_str(location)
        .map_err(|_| BadRequest::new("redirect target is not a valid header value"))?;
    let mut response = text(status, format!("redirecting to {location}\n"));
    response.headers_mut().insert(LOCATION, value);
    Ok(response)
}

/// Parses a redirect status (302 when absent), accepting only the codes
/// that mean "redirect".
pub(crate) fn redirect_status(raw: Option<&str>) -> Result<StatusCode, BadRequest> {
    let Some(raw) = raw else {
        return Ok(StatusCode::FOUND);
    };
    match raw.parse::<u16>().map(StatusCode::from_u16) {
        Ok(Ok(status)) if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) => Ok(status),
        _ => Err(BadRequest::new(format!(
            "status must be one of 301, 302, 303, 307, 308, got {raw:?}"
        ))),
    }
}
