//! [`Request`]: what to fetch and the crawl data that travels with it.

use std::time::Duration;

use http::Method;
use serde::{Deserialize, Serialize};
use url::Url;

/// A request body: raw bytes. The matching `content-type` header is set by the
/// helper that made it ([`Request::form`], [`Request::json`]) or by the caller.
pub type Body = Vec<u8>;

/// Per-request timeouts. `None` means "use the client's setting".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    /// Establishing a new connection (TCP, TLS, proxy handshake).
    pub connect: Option<Duration>,
    /// The longest wait for the next bytes: the response headers, then each body chunk.
    pub read: Option<Duration>,
    /// The whole request, redirects and body included.
    pub total: Option<Duration>,
}

/// What a request is fetched for. Users' labels route handlers, so the
/// crawl's own kinds of work are told apart by this, not by a label.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A page of the crawl: recorded, handled, its links followed.
    #[default]
    Page,
    /// A sitemap (or sitemap index) whose URLs seed the crawl; it is not a
    /// page of its own.
    Sitemap {
        /// Indexes followed to reach it: 0 for a sitemap named by the
        /// seeds' robots.txt or at `/sitemap.xml`.
        nesting: u32,
    },
}

// ===== impl RequestKind =====

impl RequestKind {
    /// A page of the crawl.
    pub fn is_page(&self) -> bool {
        matches!(self, RequestKind::Page)
    }
}

/// An HTTP request plus the crawl data that travels with it.
///
/// Setters never fail; bad header names or values are reported when the
/// request is sent. The type is serializable so that frontiers can store it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Any HTTP method.
    #[serde(with = "method_serde")]
    pub method: Method,
    /// The URL, including the query.
    pub url: Url,
    /// Header lines in order; a name may repeat.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Which handler deals with the response (the "callback").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Free-form data for the handler.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub user_data: serde_json::Map<String, serde_json::Value>,
    /// Higher runs first. Default 0.
    #[serde(default)]
    pub priority: i32,
    /// Links followed from the seed to reach this request. Seeds are depth 0.
    #[serde(default)]
    pub depth: u32,
    /// The page this request was found on; `None` for seeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<Url>,
    /// Retries used from the retry budget. Throttling (429, 503 with
    /// `Retry-After`) does not count here.
    #[serde(default)]
    pub retries: u32,
    /// Every attempt made so far, throttled ones included.
    #[serde(default)]
    pub attempts: u32,
    /// Redirects followed in a row to reach this request: 0 for a request
    /// made from a link or a seed, one more per hop when a crawl follows a
    /// redirect. Crawls stop following past their cap.
    #[serde(default)]
    pub redirects: u32,
    /// What it is fetched for. Default [`RequestKind::Page`].
    #[serde(default, skip_serializing_if = "RequestKind::is_page")]
    pub kind: RequestKind,
    /// Skip duplicate filtering for this request.
    #[serde(default)]
    pub dont_filter: bool,
    /// Per-request timeouts overriding the client's.
    #[serde(default)]
    pub timeouts: Timeouts,
    /// Time spent on earlier attempts (retries), in milliseconds, so a
    /// failure after retries reports the whole time it took.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub spent_ms: u64,
    /// The HTTP status of the last earlier attempt that got a response, so a
    /// failure after retries keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

// ===== impl Request =====

impl Request {
    /// A request with `method` for `url`, no headers and no body.
    pub fn new(method: Method, url: Url) -> Request {
        Request {
            method,
            url,
            headers: Vec::new(),
            body: None,
            label: None,
            user_data: serde_json::Map::new(),
            priority: 0,
            depth: 0,
            referrer: None,
            retries: 0,
            attempts: 0,
            redirects: 0,
            kind: RequestKind::Page,
            dont_filter: false,
            timeouts: Timeouts::default(),
            spent_ms: 0,
            last_status: None,
        }
    }

    /// A GET request for `url`.
    pub fn get(url: Url) -> Request {
        Request::new(Method::GET, url)
    }

    /// A POST request for `url`.
    pub fn post(url: Url) -> Request {
        Request::new(Method::POST, url)
    }

    /// Set the method.
    pub fn method(mut self, method: Method) -> Request {
        self.method = method;
        self
    }

    /// Append a header line. A name given twice is sent twice.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Replace every header line named `name` (case-insensitive) with one line.
    pub fn set_header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Append `key=value` to the query string, percent-encoded.
    pub fn query(mut self, key: &str, value: &str) -> Request {
        self.url.query_pairs_mut().append_pair(key, value);
        self
    }

    /// Set a raw body.
    pub fn body(mut self, body: impl Into<Body>) -> Request {
        self.body = Some(body.into());
        self
    }

    /// Set an `application/x-www-form-urlencoded` body from pairs.
    pub fn form<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Request {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            ser.append_pair(k.as_ref(), v.as_ref());
        }
        self.set_header("content-type", "application/x-www-form-urlencoded")
            .body(ser.finish().into_bytes())
    }

    /// Set a JSON body.
    pub fn json(self, value: &serde_json::Value) -> Request {
        // Serializing a `Value` cannot fail: its map keys are always strings.
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        self.set_header("content-type", "application/json")
            .body(bytes)
    }

    /// Set the label that routes the response to a handler.
    pub fn label(mut self, label: impl Into<String>) -> Request {
        self.label = Some(label.into());
        self
    }

    /// Set one `user_data` entry.
    pub fn user_data(mut self, key: impl Into<String>, value: serde_json::Value) -> Request {
        self.user_data.insert(key.into(), value);
        self
    }

    /// Set what the request is fetched for.
    pub fn kind(mut self, kind: RequestKind) -> Request {
        self.kind = kind;
        self
    }

    /// Set the priority (higher runs first).
    pub fn priority(mut self, priority: i32) -> Request {
        self.priority = priority;
        self
    }

    /// Set the total timeout for this request.
    pub fn timeout(mut self, total: Duration) -> Request {
        self.timeouts.total = Some(total);
        self
    }

    /// Set all per-request timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Request {
        self.timeouts = timeouts;
        self
    }

    /// The key politeness limits are counted by: `host:port`.
    pub fn host_key(&self) -> String {
        host_key(&self.url)
    }
}

/// The politeness key of a URL: its host and port (default port filled in).
pub(crate) fn host_key(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        // URLs without a host (data:, mailto:) never reach the network; give
        // them their scheme so they still have a key.
        (None, _) => url.scheme().to_owned(),
    }
}

mod method_serde {
    use http::Method;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(m: &Method, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(m.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Method, D::Error> {
        let s = String::deserialize(d)?;
        Method::from_bytes(s.as_bytes()).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        s.parse().unwrap()
    }

    #[test]
    fn query_is_appended_and_encoded() {
        let r = Request::get(url("http://h/p?a=1")).query("q", "a b&c");
        assert_eq!(r.url.as_str(), "http://h/p?a=1&q=a+b%26c");
    }

    #[test]
    fn form_sets_body_and_content_type() {
        let r = Request::post(url("http://h/")).form(&[("name", "Ada L"), ("x", "1&2")]);
        assert_eq!(r.body.as_deref(), Some(&b"name=Ada+L&x=1%262"[..]));
        assert_eq!(
            r.header_value("Content-Type"),
            Some("application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn json_replaces_content_type() {
        let r = Request::post(url("http://h/"))
            .header("content-type", "text/plain")
            .json(&serde_json::json!({"a": 1}));
        assert_eq!(r.body.as_deref(), Some(&br#"{"a":1}"#[..]));
        let cts: Vec<_> = r
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .collect();
        assert_eq!(cts.len(), 1);
    }

    #[test]
    fn serde_round_trip_keeps_everything() {
        let r = Request::new(
            Method::from_bytes(b"PURGE").unwrap(),
            url("https://h:8443/x"),
        )
        .header("x-a", "1")
        .body(b"raw".to_vec())
        .label("DETAIL")
        .user_data("id", serde_json::json!(7))
        .priority(-3)
        .timeout(Duration::from_millis(1500));
        let r = Request { redirects: 2, ..r }.kind(RequestKind::Sitemap { nesting: 1 });
        let s = serde_json::to_string(&r).unwrap();
        let back: Request = serde_json::from_str(&s).unwrap();
        assert_eq!(back, r);
    }

    /// Crawl state files keep requests as JSON: one stored before a field
    /// existed still loads, with the field's default.
    #[test]
    fn requests_stored_by_older_versions_load() {
        let old = r#"{"method":"GET","url":"http://h/a","priority":1,"depth":2,"retries":1,"attempts":1,"dont_filter":false,"timeouts":{"connect":null,"read":null,"total":null}}"#;
        let r: Request = serde_json::from_str(old).unwrap();
        assert_eq!((r.depth, r.retries, r.redirects), (2, 1, 0));
        assert_eq!(r.kind, RequestKind::Page);
    }

    /// Pages, the bulk of what a frontier stores, are written as before
    /// `kind` existed; sitemaps carry theirs.
    #[test]
    fn kind_is_stored_only_for_sitemaps() {
        let page = serde_json::to_string(&Request::get(url("http://h/"))).unwrap();
        assert!(!page.contains("kind"), "{page}");
        let sitemap =
            Request::get(url("http://h/sitemap.xml")).kind(RequestKind::Sitemap { nesting: 2 });
        let s = serde_json::to_string(&sitemap).unwrap();
        assert!(s.contains(r#""kind":{"sitemap":{"nesting":2}}"#), "{s}");
        let back: Request = serde_json::from_str(&s).unwrap();
        assert_eq!(back.kind, RequestKind::Sitemap { nesting: 2 });
    }

    #[test]
    fn host_key_fills_default_port() {
        assert_eq!(
            Request::get(url("http://Example.COM/")).host_key(),
            "example.com:80"
        );
        assert_eq!(Request::get(url("https://h:444/")).host_key(), "h:444");
    }
}
