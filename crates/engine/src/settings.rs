//! [`Settings`]: every setting of a crawl, in one serde tree.
//!
//! The builder's setters, a spider file's `[settings]` table, the CLI's flags
//! and the Python API all fill this one struct, so each default lives here
//! and nowhere else. [`Settings::table`] documents them (the CLI prints it
//! under `--help`, docs/spiders.md carries it, and a test keeps both in
//! step with the struct).

use std::fmt::Write as _;
use std::time::Duration;

use ferrocrawl_fetch::ClientBuilder;
use ferrocrawl_frontier::{AutoThrottle, FrontierConfig, MAX_DELAY, Order};
use ferrocrawl_url::ScopeMode;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Every setting of a crawl. Missing keys take their defaults; unknown keys
/// are refused. Durations are written as `500ms`, `2s`, `1m`; sizes as
/// `512KiB`, `32MiB` or a number of bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Requests in flight at once, over all hosts.
    #[serde(deserialize_with = "at_least_one")]
    pub concurrency: usize,
    /// Requests in flight at once per host (`host:port`), robots.txt included.
    #[serde(deserialize_with = "at_least_one")]
    pub per_host: usize,
    /// Minimum time between request starts to one host (at most a day).
    #[serde(with = "delay")]
    pub delay: Duration,
    /// Spread each delay over 0.5-1.5x of itself.
    pub jitter: bool,
    /// Fetch and obey robots.txt.
    pub obey_robots: bool,
    /// Longest robots.txt `Crawl-delay` honoured (at most a day).
    #[serde(with = "delay")]
    pub max_crawl_delay: Duration,
    /// Adapt each host's delay to its latency, as Scrapy's AutoThrottle.
    pub auto_throttle: bool,
    /// What a `Retry-After` holds back: `auto` (a 429, or a run of 503s on
    /// different URLs, holds the host; a single 503 only its request),
    /// `host` (every one holds the host) or `request` (never the host).
    pub throttle: ThrottleScope,
    /// Stop leasing pages after this many.
    pub max_pages: Option<u64>,
    /// Stop leasing a host's pages after this many of them (0: no limit).
    pub max_pages_per_host: u64,
    /// Follow links at most this deep (start requests are depth 0).
    pub max_depth: Option<u32>,
    /// Stop leasing pages after this many body bytes.
    #[serde(with = "size_opt")]
    pub max_bytes: Option<u64>,
    /// `bfs` (oldest first) or `dfs` (newest first), among equal priorities.
    pub order: CrawlOrder,
    /// The User-Agent header; its first word is the robots.txt agent name.
    pub user_agent: Option<String>,
    /// Total time allowed per attempt, body included.
    #[serde(with = "duration")]
    pub timeout: Duration,
    /// Retries per page for temporary failures (5xx, timeouts, resets).
    pub retries: u32,
    /// The HTTP statuses retried (with backoff), up to `retries` times.
    pub retry_statuses: Vec<u16>,
    /// Headers sent with every request unless it sets them (Scrapy's
    /// `DEFAULT_REQUEST_HEADERS`), e.g. `Accept-Language`.
    #[serde(deserialize_with = "header_table")]
    pub headers: std::collections::BTreeMap<String, String>,
    /// Send a `Referer` header, the page a request was found on, with
    /// followed requests (not from https to http).
    pub referer: bool,
    /// Redirects followed in a row from one request; 0 follows none.
    pub max_redirects: u32,
    /// Largest body accepted, after decompression.
    #[serde(with = "size")]
    pub max_body: u64,
    /// Proxy for every request: `http://`, `https://`, `socks5://` or `socks5h://`.
    pub proxy: Option<String>,
    /// Accept invalid TLS certificates (test servers only).
    pub insecure: bool,
    /// Which hosts links may lead to: `host`, `domain` or `any`.
    pub scope: ScopeSetting,
    /// More domains in scope, each with its subdomains, on top of `scope`.
    pub allow_domains: Vec<String>,
    /// Only follow URLs matching one of these regexes.
    pub include: Vec<String>,
    /// Never follow URLs matching these regexes.
    pub exclude: Vec<String>,
    /// Only follow URLs matching one of these globs.
    pub include_glob: Vec<String>,
    /// Never follow URLs matching these globs.
    pub exclude_glob: Vec<String>,
    /// Trap guard: longest URL followed.
    pub max_url_length: usize,
    /// Trap guard: deepest path followed, in segments.
    pub max_path_depth: usize,
    /// Trap guard: most repetitions of one path segment.
    pub max_repeated_segments: usize,
    /// Sort query parameters when deduplicating URLs.
    pub sort_query: bool,
    /// Remove tracking parameters (`utm_*`, `fbclid`, ...) from URLs.
    pub strip_tracking: bool,
    /// Remove session-id parameters (`jsessionid`, `PHPSESSID`, `sid`, ...) from URLs.
    pub strip_session_ids: bool,
    /// Stop following a query parameter once pages that differ only in it
    /// turn out to be the same page (near-duplicate URLs).
    pub near_duplicates: bool,
    /// Follow `rel=nofollow` links too.
    pub follow_nofollow: bool,
    /// Follow links to non-HTML files too (images, archives, ...).
    pub all_extensions: bool,
    /// Also seed from the start URLs' sitemaps (robots.txt `Sitemap:` lines and `/sitemap.xml`).
    pub sitemaps: bool,
    /// Add each successful HTML page's main content (boilerplate removed),
    /// as `markdown` or `text`, and its metadata to its page record; `None`
    /// (the default) adds nothing.
    pub content: Option<ContentFormat>,
    /// Allow requests to private, loopback and link-local addresses even when no start URL is one.
    pub allow_private: bool,
    /// Requests queued in memory before the queue moves to a temporary
    /// file (an in-memory frontier; 0: never).
    pub spill_after: u64,
    /// How long a lease is held before another worker may take it over.
    #[serde(with = "duration")]
    pub lease_ttl: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            concurrency: 64,
            per_host: 4,
            delay: Duration::ZERO,
            jitter: true,
            obey_robots: true,
            max_crawl_delay: Duration::from_secs(30),
            auto_throttle: false,
            throttle: ThrottleScope::Auto,
            max_pages: None,
            max_pages_per_host: 100_000,
            max_depth: None,
            max_bytes: None,
            order: CrawlOrder::Bfs,
            user_agent: None,
            timeout: Duration::from_secs(60),
            retries: 2,
            retry_statuses: ferrocrawl_fetch::RetryPolicy::default().retry_statuses,
            headers: std::collections::BTreeMap::new(),
            referer: true,
            max_redirects: 10,
            max_body: 32 << 20,
            proxy: None,
            insecure: false,
            scope: ScopeSetting::Host,
            allow_domains: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            include_glob: Vec::new(),
            exclude_glob: Vec::new(),
            max_url_length: 2048,
            max_path_depth: 32,
            max_repeated_segments: 3,
            sort_query: false,
            strip_tracking: false,
            strip_session_ids: true,
            near_duplicates: true,
            follow_nofollow: false,
            all_extensions: false,
            sitemaps: false,
            content: None,
            allow_private: false,
            spill_after: 100_000,
            lease_ttl: Duration::from_secs(600),
        }
    }
}

/// Breadth-first or depth-first among equal priorities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrawlOrder {
    /// Oldest first.
    #[default]
    Bfs,
    /// Newest first.
    Dfs,
}

/// How a page's main content is written (the `content` setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentFormat {
    /// CommonMark with GFM tables, links and images absolute.
    Markdown,
    /// Plain text, blocks separated by blank lines.
    Text,
}

/// What a `Retry-After` (429, or 503 with the header) holds back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThrottleScope {
    /// A 429 holds back the host; a 503 only its own request, unless 503s
    /// come on several different URLs of the host in a row.
    #[default]
    Auto,
    /// Every one holds back the whole host.
    Host,
    /// Only the request that got it waits.
    Request,
}

/// 503s with `Retry-After` on this many different URLs of one host in a
/// row mean the host as a whole is throttling (`ThrottleScope::Auto`).
pub const HOST_THROTTLE_RUN: u32 = 3;

/// Which hosts a crawl may go to, on top of `allow_domains`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeSetting {
    /// The start URLs' hosts, exactly.
    #[default]
    Host,
    /// The start URLs' registrable domains, with every subdomain.
    Domain,
    /// Anywhere.
    Any,
}

impl ScopeSetting {
    /// The engine's scope mode.
    pub fn mode(self) -> ScopeMode {
        match self {
            ScopeSetting::Host => ScopeMode::Host,
            ScopeSetting::Domain => ScopeMode::Domain,
            ScopeSetting::Any => ScopeMode::Any,
        }
    }
}

impl Settings {
    /// The frontier's share of the settings.
    pub fn frontier_config(&self) -> FrontierConfig {
        FrontierConfig {
            per_host: self.per_host.max(1),
            delay: self.delay,
            jitter: self.jitter,
            obey_robots: self.obey_robots,
            max_crawl_delay: self.max_crawl_delay,
            order: match self.order {
                CrawlOrder::Bfs => Order::Bfs,
                CrawlOrder::Dfs => Order::Dfs,
            },
            max_pages: self.max_pages,
            max_pages_per_host: (self.max_pages_per_host > 0).then_some(self.max_pages_per_host),
            max_depth: self.max_depth,
            max_bytes: self.max_bytes,
            auto_throttle: self.auto_throttle.then(AutoThrottle::default),
            lease_ttl: self.lease_ttl,
            spill_after: (self.spill_after > 0).then_some(self.spill_after),
            ..FrontierConfig::default()
        }
    }

    /// The HTTP client's share of the settings, over `base` (headers,
    /// cookies and the rest that settings don't name).
    pub fn client(&self, base: ClientBuilder) -> ClientBuilder {
        let mut c = base
            .total_timeout(self.timeout)
            .max_body(self.max_body)
            .danger_accept_invalid_certs(self.insecure);
        if let Some(ua) = &self.user_agent {
            c = c.user_agent(ua.clone());
        }
        for (name, value) in &self.headers {
            c = c.default_header(name.clone(), value.clone());
        }
        if let Some(proxy) = &self.proxy {
            c = c.proxy(proxy.clone());
        }
        c
    }

    /// One line per setting: its key (as in a spider file's `[settings]`),
    /// its default and what it does, for `--help`.
    pub fn table() -> String {
        let mut out = String::new();
        for (key, default, doc) in Settings::described() {
            let _ = writeln!(out, "  {key:<22} {default:<9} {doc}");
        }
        out
    }

    /// The same as a Markdown table, for docs/spiders.md (a test keeps the
    /// file's copy current).
    pub fn markdown() -> String {
        let mut out = String::from("| key | default | what it does |\n|---|---|---|\n");
        for (key, default, doc) in Settings::described() {
            let _ = writeln!(out, "| `{key}` | `{default}` | {doc} |");
        }
        out
    }

    fn described() -> impl Iterator<Item = (&'static str, String, &'static str)> {
        let defaults = serde_json::to_value(Settings::default()).unwrap_or_default();
        DOCS.iter().map(move |(key, doc)| {
            let default = match defaults.get(key) {
                Some(serde_json::Value::Null) | None => "none".to_owned(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            };
            (*key, default, *doc)
        })
    }
}

/// What each key does, in the order `--help` and the docs list them. A test
/// checks that this names every field of [`Settings`] and nothing else.
pub const DOCS: &[(&str, &str)] = &[
    ("concurrency", "requests in flight at once, over all hosts"),
    (
        "per_host",
        "requests in flight at once per host (host:port)",
    ),
    (
        "delay",
        "minimum time between request starts to one host (at most 1 day)",
    ),
    ("jitter", "spread each delay over 0.5-1.5x of itself"),
    ("obey_robots", "fetch and obey robots.txt"),
    (
        "max_crawl_delay",
        "longest robots.txt Crawl-delay honoured (at most 1 day)",
    ),
    (
        "auto_throttle",
        "adapt each host's delay to its latency (Scrapy's AutoThrottle)",
    ),
    (
        "throttle",
        "what Retry-After holds back: auto (429, or 503s on several URLs: the host), host or request",
    ),
    ("max_pages", "stop after this many pages"),
    (
        "max_pages_per_host",
        "stop leasing a host's pages after this many (0: no limit)",
    ),
    (
        "max_depth",
        "follow links at most this deep (start URLs are depth 0)",
    ),
    (
        "max_bytes",
        "stop after downloading this much (e.g. 500MiB)",
    ),
    ("order", "bfs or dfs among equal priorities"),
    (
        "user_agent",
        "User-Agent; its first word is the robots.txt agent name",
    ),
    ("timeout", "total time per attempt, body included"),
    (
        "retries",
        "retries per page for temporary failures (5xx, timeouts, resets)",
    ),
    ("retry_statuses", "the HTTP statuses retried, with backoff"),
    (
        "headers",
        "headers sent with every request that does not set them, e.g. { Accept-Language = \"en\" }",
    ),
    (
        "referer",
        "send Referer (the page a link was found on) with followed requests",
    ),
    (
        "max_redirects",
        "redirects followed in a row from one request; 0 follows none",
    ),
    ("max_body", "largest body accepted, after decompression"),
    (
        "proxy",
        "http://, https://, socks5:// or socks5h:// proxy for every request",
    ),
    (
        "insecure",
        "accept invalid TLS certificates (test servers only)",
    ),
    (
        "scope",
        "which hosts links may lead to: host, domain or any",
    ),
    (
        "allow_domains",
        "more domains in scope, each with its subdomains",
    ),
    ("include", "only follow URLs matching one of these regexes"),
    ("exclude", "never follow URLs matching these regexes"),
    (
        "include_glob",
        "only follow URLs matching one of these globs",
    ),
    ("exclude_glob", "never follow URLs matching these globs"),
    ("max_url_length", "trap guard: longest URL followed"),
    (
        "max_path_depth",
        "trap guard: deepest path followed, in segments",
    ),
    (
        "max_repeated_segments",
        "trap guard: most repetitions of one path segment",
    ),
    (
        "sort_query",
        "sort query parameters when deduplicating URLs",
    ),
    (
        "strip_tracking",
        "remove tracking parameters (utm_*, fbclid, ...)",
    ),
    (
        "strip_session_ids",
        "remove session-id parameters (jsessionid, PHPSESSID, sid, ...)",
    ),
    (
        "near_duplicates",
        "stop following a query parameter once pages differing only in it prove the same (30 pages)",
    ),
    ("follow_nofollow", "follow rel=nofollow links too"),
    ("all_extensions", "follow links to non-HTML files too"),
    ("sitemaps", "also seed from the start URLs' sitemaps"),
    (
        "content",
        "add each HTML page's main content (markdown or text) and metadata to its record",
    ),
    (
        "allow_private",
        "allow private, loopback and link-local addresses",
    ),
    (
        "spill_after",
        "requests queued in memory before the queue moves to a temporary file (0: never)",
    ),
    (
        "lease_ttl",
        "how long a request may be held before another worker takes it over",
    ),
];

/// Header names and values a request can carry; an invalid one is refused
/// by name here rather than failing every request.
fn header_table<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
    let table = std::collections::BTreeMap::<String, String>::deserialize(d)?;
    for (name, value) in &table {
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(serde::de::Error::custom(format!(
                "`{name}` is not a header name: letters, digits and `-`, e.g. Accept-Language"
            )));
        }
        if http::HeaderValue::from_str(value).is_err() {
            return Err(serde::de::Error::custom(format!(
                "the value of header `{name}` has characters a header can't carry (line breaks, control characters)"
            )));
        }
    }
    Ok(table)
}

fn at_least_one<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = usize::deserialize(d)?;
    if n == 0 {
        return Err(serde::de::Error::custom("must be at least 1"));
    }
    Ok(n)
}

/// Parses a duration as the settings write it (`500ms`, `2s`, `1m`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| {
        format!("`{s}` is not a duration ({e}): write a duration such as 500ms, 10s or 2m")
    })
}

/// Parses a per-host delay: a duration of at most [`MAX_DELAY`].
pub fn parse_delay(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d > MAX_DELAY {
        return Err(format!(
            "`{s}` is longer than the maximum of 1 day (24h): a longer delay between two \
             requests to one host would keep the crawl from ending"
        ));
    }
    Ok(d)
}

/// Parses a byte size: a number with an optional K/M/G suffix (KiB = KB = K = 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?}: write a number such as 512KiB, 32MiB or 1GiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "invalid size unit in {s:?}: use B, KiB, MiB or GiB"
            ));
        }
    };
    match n.checked_mul(mult) {
        Some(0) => Err("size must be at least 1 byte".to_owned()),
        Some(v) => Ok(v),
        None => Err(format!("size {s:?} is too large")),
    }
}

fn format_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

fn format_size(n: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{}{unit}", n >> shift);
        }
    }
    n.to_string()
}

/// A size written as a string (`32MiB`) or a number of bytes.
#[derive(Deserialize)]
#[serde(untagged)]
enum SizeInput {
    Number(u64),
    Text(String),
}

mod duration {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        parse_duration(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

mod delay {
    use super::*;

    pub use super::duration::serialize;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        parse_delay(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

mod size {
    use super::*;

    pub fn serialize<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_size(*n))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        match SizeInput::deserialize(d)? {
            SizeInput::Number(0) => Err(serde::de::Error::custom("size must be at least 1 byte")),
            SizeInput::Number(n) => Ok(n),
            SizeInput::Text(t) => parse_size(&t).map_err(serde::de::Error::custom),
        }
    }
}

mod size_opt {
    use super::*;

    pub fn serialize<S: Serializer>(n: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match n {
            Some(n) => s.serialize_str(&format_size(*n)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        super::size::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_name_every_setting_and_nothing_else() {
        let value = serde_json::to_value(Settings::default()).unwrap_or_default();
        let keys: Vec<&str> = value
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let documented: Vec<&str> = DOCS.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, documented, "DOCS follows the struct, in its order");
    }

    #[test]
    fn docs_spiders_md_carries_the_current_settings_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/spiders.md");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let table = Settings::markdown();
        assert!(
            text.contains(&table),
            "docs/spiders.md is out of date: its [settings] table must read\n{table}"
        );
    }

    #[test]
    fn settings_round_trip_through_their_text_form() {
        let s = Settings {
            delay: Duration::from_millis(1500),
            max_bytes: Some(500 << 20),
            order: CrawlOrder::Dfs,
            scope: ScopeSetting::Domain,
            ..Settings::default()
        };
        let text = serde_json::to_string(&s).unwrap_or_default();
        assert!(text.contains("\"delay\":\"1s 500ms\""), "{text}");
        assert!(text.contains("\"max_bytes\":\"500MiB\""), "{text}");
        let back: Settings = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, s);
    }

    #[test]
    fn bad_values_are_refused_with_what_to_write() {
        let err = |json: &str| {
            serde_json::from_str::<Settings>(json)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(r#"{"delay": "2 days"}"#).contains("maximum of 1 day"));
        assert!(err(r#"{"timeout": "soon"}"#).contains("such as 500ms"));
        assert!(err(r#"{"per_host": 0}"#).contains("at least 1"));
        assert!(err(r#"{"max_body": "12XB"}"#).contains("use B, KiB"));
        assert!(err(r#"{"scope": "planet"}"#).contains("host"));
        assert!(err(r#"{"per_hots": 3}"#).contains("per_host"));
        assert_eq!(parse_size("32MiB"), Ok(32 << 20));
        assert!(parse_size("0").is_err());
    }
}
