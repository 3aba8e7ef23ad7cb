//! Following one redirect: where to, with which method, body and headers.

use ferrocrawl_core::{Body, Error, ErrorKind, Redirect, Request, Result};
use http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HeaderMap, HeaderName, PROXY_AUTHORIZATION,
};
use http::{Method, StatusCode};
use url::Url;

/// What the next hop of a redirect chain sends.
#[derive(Debug)]
pub(crate) struct NextHop {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Body>,
}

/// The statuses that carry a `Location` to follow.
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Work out the hop after `hop` answered `status` with `location`, recording
/// `hop` in `chain`. Errors on an unusable Location, a loop, or too many hops.
pub(crate) fn follow(
    mut hop: NextHop,
    status: StatusCode,
    location: &[u8],
    chain: &mut Vec<Redirect>,
    max: usize,
) -> Result<NextHop> {
    let loc_text = String::from_utf8_lossy(location);
    let next = hop.url.join(loc_text.trim()).map_err(|e| {
        Error::new(
            ErrorKind::InvalidUrl,
            format!("redirect to an invalid Location {loc_text:?}: {e}"),
        )
        .with_url(hop.url.clone())
    })?;
    chain.push(Redirect {
        url: hop.url.clone(),
        status: status.as_u16(),
    });
    if chain.iter().any(|r| r.url == next) {
        let path: Vec<&str> = chain.iter().map(|r| r.url.as_str()).collect();
        return Err(Error::new(
            ErrorKind::RedirectLoop,
            format!("redirect loop: {} -> {next}", path.join(" -> ")),
        )
        .with_url(next));
    }
    if chain.len() > max {
        return Err(Error::new(
            ErrorKind::TooManyRedirects { limit: max },
            format!("more than {max} redirects"),
        )
        .with_url(next));
    }
    if becomes_get(status, &hop.method) {
        hop.method = Method::GET;
        hop.body = None;
        for name in BODY_HEADERS {
            hop.headers.remove(name);
        }
    }
    if next.origin() != hop.url.origin() {
        for name in ORIGIN_BOUND {
            hop.headers.remove(name);
        }
    }
    hop.url = next;
    Ok(hop)
}

/// Whether a redirect answered with `status` turns a `method` request into a
/// GET without a body. RFC 9110 §15.4: 303 turns into GET; 301/302 turn POST
/// into GET as every browser does; 307/308 keep the method and body.
fn becomes_get(status: StatusCode, method: &Method) -> bool {
    match status.as_u16() {
        303 => *method != Method::HEAD,
        301 | 302 => *method == Method::POST,
        _ => false,
    }
}

/// The headers that describe a body, dropped with it.
const BODY_HEADERS: [HeaderName; 2] = [CONTENT_TYPE, CONTENT_LENGTH];

/// Credentials set by the caller are for the origin they named, not for
/// wherever it redirects. (Cookies from the jar are re-chosen per URL.)
const ORIGIN_BOUND: [HeaderName; 3] = [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE];

/// The request a crawl queues when `request` was answered with the redirect
/// `status` to `target`: the same request moved, with the method, body and
/// header rules of a followed redirect, one more hop, and a fresh retry
/// budget (the budget is per URL).
///
/// ```
/// use ferrocrawl_fetch::{Request, redirected};
/// use http::{Method, StatusCode};
///
/// let form = "https://a.example/form".parse().expect("valid URL");
/// let post = Request::post(form)
///     .header("Authorization", "Bearer t")
///     .header("Content-Type", "application/x-www-form-urlencoded")
///     .body(b"q=1".to_vec());
/// let done = "https://b.example/done".parse().expect("valid URL");
/// let next = redirected(&post, StatusCode::SEE_OTHER, done);
/// assert_eq!(next.method, Method::GET);
/// assert!(next.body.is_none() && next.headers.is_empty());
/// assert_eq!(next.redirects, 1);
/// ```
pub fn redirected(request: &Request, status: StatusCode, target: Url) -> Request {
    let mut moved = request.clone();
    let drop_headers = |moved: &mut Request, names: &[HeaderName]| {
        moved
            .headers
            .retain(|(name, _)| !names.iter().any(|n| n.as_str().eq_ignore_ascii_case(name)));
    };
    if becomes_get(status, &moved.method) {
        moved.method = Method::GET;
        moved.body = None;
        drop_headers(&mut moved, &BODY_HEADERS);
    }
    if target.origin() != request.url.origin() {
        drop_headers(&mut moved, &ORIGIN_BOUND);
    }
    moved.url = target;
    moved.redirects = request.redirects.saturating_add(1);
    moved.retries = 0;
    moved.attempts = 0;
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crawl_hop_is_a_fresh_request_for_the_new_url() {
        let mut retried = Request::get("https://a.example/x".parse().unwrap())
            .header("authorization", "Bearer t")
            .header("Accept", "text/html")
            .label("PAGE");
        retried.retries = 2;
        retried.attempts = 3;
        retried.redirects = 4;
        let same = redirected(
            &retried,
            StatusCode::MOVED_PERMANENTLY,
            "https://a.example/y".parse().unwrap(),
        );
        assert_eq!((same.retries, same.attempts, same.redirects), (0, 0, 5));
        assert_eq!(same.url.as_str(), "https://a.example/y");
        assert_eq!(same.label.as_deref(), Some("PAGE"));
        assert_eq!(same.header_value("Authorization"), Some("Bearer t"));
        // Another origin: the credentials stay behind, whatever their case.
        let moved = redirected(
            &retried,
            StatusCode::TEMPORARY_REDIRECT,
            "https://b.example/y".parse().unwrap(),
        );
        assert_eq!(moved.header_value("authorization"), None);
        assert_eq!(moved.header_value("accept"), Some("text/html"));
        assert_eq!(moved.method, Method::GET);
    }

    fn hop(method: Method, url: &str) -> NextHop {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, "Bearer x".parse().unwrap());
        headers.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        NextHop {
            method,
            url: url.parse().unwrap(),
            headers,
            body: Some(b"x".to_vec()),
        }
    }

    #[test]
    fn see_other_becomes_get_without_body() {
        let mut chain = Vec::new();
        let next = follow(
            hop(Method::POST, "http://a/x"),
            StatusCode::SEE_OTHER,
            b"/y",
            &mut chain,
            5,
        )
        .unwrap();
        assert_eq!(next.method, Method::GET);
        assert!(next.body.is_none());
        assert!(next.headers.get(CONTENT_TYPE).is_none());
        assert_eq!(next.url.as_str(), "http://a/y");
        assert_eq!(chain.len(), 1);
    }

    #[test]
    fn permanent_redirect_keeps_method_and_body() {
        let mut chain = Vec::new();
        let next = follow(
            hop(Method::PUT, "http://a/x"),
            StatusCode::PERMANENT_REDIRECT,
            b"/y",
            &mut chain,
            5,
        )
        .unwrap();
        assert_eq!(next.method, Method::PUT);
        assert!(next.body.is_some());
    }

    #[test]
    fn cross_origin_drops_authorization() {
        let mut chain = Vec::new();
        let next = follow(
            hop(Method::GET, "http://a/x"),
            StatusCode::FOUND,
            b"http://b/y",
            &mut chain,
            5,
        )
        .unwrap();
        assert!(next.headers.get(AUTHORIZATION).is_none());
        let mut chain = Vec::new();
        let same = follow(
            hop(Method::GET, "http://a/x"),
            StatusCode::FOUND,
            b"/z",
            &mut chain,
            5,
        )
        .unwrap();
        assert!(same.headers.get(AUTHORIZATION).is_some());
    }

    #[test]
    fn loop_and_cap_are_errors() {
        let mut chain = Vec::new();
        let h = follow(
            hop(Method::GET, "http://a/1"),
            StatusCode::FOUND,
            b"/2",
            &mut chain,
            5,
        )
        .unwrap();
        let e = follow(h, StatusCode::FOUND, b"/1", &mut chain, 5).unwrap_err();
        assert_eq!(*e.kind(), ErrorKind::RedirectLoop);

        let mut chain = Vec::new();
        let h = follow(
            hop(Method::GET, "http://a/1"),
            StatusCode::FOUND,
            b"/2",
            &mut chain,
            1,
        )
        .unwrap();
        let e = follow(h, StatusCode::FOUND, b"/3", &mut chain, 1).unwrap_err();
        assert_eq!(*e.kind(), ErrorKind::TooManyRedirects { limit: 1 });
    }

    #[test]
    fn bad_location_is_a_clear_error() {
        let mut chain = Vec::new();
        let e = follow(
            hop(Method::GET, "http://a/1"),
            StatusCode::FOUND,
            b"http://[::1",
            &mut chain,
            5,
        )
        .unwrap_err();
        assert_eq!(*e.kind(), ErrorKind::InvalidUrl);
        assert!(e.to_string().contains("invalid Location"));
    }
}
