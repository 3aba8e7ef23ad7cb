//! Canonical form of a URL: one spelling for every way of writing the same
//! page, so that a crawler fetches it once.
//!
//! The rules are deliberately conservative. Anything the server could tell
//! apart stays as it is: path case (`/A` and `/a` are different pages on
//! most servers — folding it is a known spider-rs bug), `+` versus `%20`,
//! trailing slashes, `www.`, the order of query parameters. Changes to the
//! query (sorting, stripping tracking parameters) are opt-in.

use std::borrow::Cow;

use url::Url;

use crate::Error;

/// Query parameters that only carry click or campaign tracking and never
/// select content. Stripped by [`CanonicalizerBuilder::strip_tracking`], as
/// is every parameter starting with one of [`TRACKING_PREFIXES`].
///
/// Names are compared exactly (case-sensitively) against the parameter name
/// after percent-escape normalisation.
pub const TRACKING_PARAMS: &[&str] = &[
    "fbclid",    // Facebook
    "gclid",     // Google Ads
    "gclsrc",    // Google Ads
    "dclid",     // Google Display (DoubleClick)
    "gbraid",    // Google Ads (iOS)
    "wbraid",    // Google Ads (iOS)
    "msclkid",   // Microsoft Ads
    "mc_cid",    // Mailchimp campaign
    "mc_eid",    // Mailchimp recipient
    "_ga",       // Google Analytics cross-domain
    "_gl",       // Google Analytics cross-domain
    "yclid",     // Yandex
    "igshid",    // Instagram
    "twclid",    // Twitter/X
    "ttclid",    // TikTok
    "li_fat_id", // LinkedIn
    "_hsenc",    // HubSpot
    "_hsmi",     // HubSpot
    "mkt_tok",   // Marketo
];

/// Prefixes of tracking parameter names (`utm_source`, `utm_medium`, …).
pub const TRACKING_PREFIXES: &[&str] = &["utm_"];

/// Query parameters that carry a session id: a fresh value per visit names
/// the same page, and a site that puts one in every link makes a crawl that
/// never ends. Stripped by [`CanonicalizerBuilder::strip_session_ids`]
/// (compared case-insensitively), as is every parameter starting with one of
/// [`SESSION_PREFIXES`] and a `;jsessionid=…` path parameter.
pub const SESSION_PARAMS: &[&str] = &[
    "jsessionid",
    "phpsessid",
    "sessionid",
    "session_id",
    "sessid",
    "sess_id",
    "sid",
    "cfid",
    "cftoken",
    "oscsid",
    "zenid",
    "wts_sessionid",
];

/// Prefixes of session parameter names (`ASPSESSIONIDQQGGQGPB`, …),
/// compared case-insensitively.
pub const SESSION_PREFIXES: &[&str] = &["aspsessionid"];

/// Turns URLs into their canonical form.
///
/// [`Canonicalizer::default()`] applies only the rules that never change
/// which page a URL names:
///
/// - scheme and host are lower case, and internationalised hosts are in
///   their ASCII (punycode) form — the `url` crate already guarantees both
///   for `http`/`https`; opaque hosts of other schemes are lower-cased here;
/// - the default port is dropped (also done by the `url` crate);
/// - the fragment is dropped, and so is an empty query (`?`);
/// - percent-escapes in the path and query are normalised: escapes of
///   unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded, all others
///   are written with upper-case hex (`%2f` becomes `%2F`);
/// - the case of the path and query is preserved.
///
/// Sorting query parameters and stripping tracking parameters are opt-in
/// through [`Canonicalizer::builder`], because a server may answer
/// differently to them.
///
/// Canonicalization is idempotent: canonicalizing a canonical URL returns
/// it unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Canonicalizer {
    sort_query: bool,
    strip_tracking: bool,
    strip_session_ids: bool,
    strip_names: Vec<String>,
    strip_prefixes: Vec<String>,
}

/// Configures a [`Canonicalizer`]; created by [`Canonicalizer::builder`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct CanonicalizerBuilder {
    inner: Canonicalizer,
}

// ===== impl Canonicalizer =====

impl Canonicalizer {
    /// Starts from the safe defaults (see [`Canonicalizer`]).
    pub fn builder() -> CanonicalizerBuilder {
        CanonicalizerBuilder::default()
    }

    /// Returns the canonical form of `url`.
    pub fn canonicalize(&self, url: &Url) -> Url {
        self.canonicalize_owned(url.clone())
    }

    /// [`Canonicalizer::canonicalize`] in place, for a URL the caller no longer needs:
    /// an already canonical URL comes back without a copy.
    pub fn canonicalize_owned(&self, url: Url) -> Url {
        let mut out = url;
        out.set_fragment(None);
        lowercase_opaque_host(&mut out);

        if let Some(path) = normalize_escapes(out.path()) {
            // Decoding cannot create a `.` or `..` segment that `set_path`
            // would resolve: the parser already removed every segment that
            // spells one, including `%2e` forms.
            out.set_path(&path);
        }
        if self.strip_session_ids
            && let Some(path) = strip_path_session(out.path())
        {
            out.set_path(&path);
        }

        if let Some(query) = out.query() {
            let normalized = normalize_escapes(query);
            let mut query: Cow<'_, str> = match normalized {
                Some(q) => Cow::Owned(q),
                None => Cow::Borrowed(query),
            };
            if self.rewrites_query() {
                let rewritten = self.rewrite_query(&query);
                if rewritten != query {
                    query = Cow::Owned(rewritten);
                }
            }
            if query.is_empty() {
                out.set_query(None);
            } else if let Cow::Owned(q) = query {
                out.set_query(Some(&q));
            }
        }
        out
    }

    /// Parses `s` as an absolute URL and returns its canonical form.
    pub fn canonicalize_str(&self, s: &str) -> Result<Url, Error> {
        let url = Url::parse(s).map_err(|e| Error::url(s, e))?;
        Ok(self.canonicalize(&url))
    }

    fn rewrites_query(&self) -> bool {
        self.sort_query
            || self.strip_tracking
            || self.strip_session_ids
            || !self.strip_names.is_empty()
            || !self.strip_prefixes.is_empty()
    }

    /// Drops stripped and empty pairs and optionally sorts the rest. Pairs
    /// are kept byte for byte as they were (already escape-normalised), so
    /// `a+b` and `a%20b` stay different.
    fn rewrite_query(&self, query: &str) -> String {
        let mut pairs: Vec<(&str, Option<&str>, &str)> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((key, value)) => (key, Some(value), pair),
                None => (pair, None, pair),
            })
            .filter(|(key, _, _)| !self.is_stripped(key))
            .collect();
        if self.sort_query {
            // Stable, by key then value; `a` (no `=`) sorts before `a=`.
            pairs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        }
        let mut out = String::with_capacity(query.len());
        for (i, (_, _, pair)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(pair);
        }
        out
    }

    fn is_stripped(&self, key: &str) -> bool {
        let builtin = self.strip_tracking
            && (TRACKING_PARAMS.contains(&key)
                || TRACKING_PREFIXES.iter().any(|p| key.starts_with(p)));
        let session = self.strip_session_ids && is_session_param(key);
        builtin
            || session
            || self.strip_names.iter().any(|n| n == key)
            || self
                .strip_prefixes
                .iter()
                .any(|p| key.starts_with(p.as_str()))
    }
}

// ===== impl CanonicalizerBuilder =====

impl CanonicalizerBuilder {
    /// Sort query parameters by name, then value (stable; values are not
    /// re-encoded). Off by default: some servers read parameters in order.
    pub fn sort_query(mut self, yes: bool) -> Self {
        self.inner.sort_query = yes;
        self
    }

    /// Remove the tracking parameters in [`TRACKING_PARAMS`] and those
    /// starting with a prefix in [`TRACKING_PREFIXES`]. Off by default.
    pub fn strip_tracking(mut self, yes: bool) -> Self {
        self.inner.strip_tracking = yes;
        self
    }

    /// Remove session-id parameters ([`SESSION_PARAMS`], names starting
    /// with [`SESSION_PREFIXES`]) from the query and `;jsessionid=…`-style
    /// parameters from the path. Off by default here; crawls turn it on
    /// (the `strip_session_ids` setting).
    pub fn strip_session_ids(mut self, yes: bool) -> Self {
        self.inner.strip_session_ids = yes;
        self
    }

    /// Always remove the query parameter named exactly `name` (compared
    /// after escape normalisation), whether or not
    /// [`strip_tracking`](Self::strip_tracking) is on.
    pub fn strip_param(mut self, name: impl Into<String>) -> Self {
        self.inner.strip_names.push(name.into());
        self
    }

    /// Always remove query parameters whose name starts with `prefix`.
    pub fn strip_param_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.inner.strip_prefixes.push(prefix.into());
        self
    }

    /// Checks the settings and returns the canonicalizer.
    ///
    /// Fails on an empty parameter name or prefix: an empty prefix would
    /// strip every parameter, which is never what a config file meant.
    pub fn build(self) -> Result<Canonicalizer, Error> {
        if self.inner.strip_names.iter().any(String::is_empty) {
            return Err(Error::setting("strip_param", "empty parameter name"));
        }
        if self.inner.strip_prefixes.iter().any(String::is_empty) {
            return Err(Error::setting(
                "strip_param_prefix",
                "empty prefix would strip every query parameter",
            ));
        }
        Ok(self.inner)
    }
}

// ===== helpers =====

/// Whether a query parameter name is a session id's.
fn is_session_param(key: &str) -> bool {
    SESSION_PARAMS.iter().any(|p| key.eq_ignore_ascii_case(p))
        || SESSION_PREFIXES.iter().any(|p| {
            key.len() >= p.len() && key.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
        })
}

/// The path without `;name=value` session parameters in its segments
/// (`/a;jsessionid=F00/b` → `/a/b`), or `None` if there are none.
fn strip_path_session(path: &str) -> Option<String> {
    if !path.contains(';') {
        return None;
    }
    let mut changed = false;
    let segments: Vec<String> = path
        .split('/')
        .map(|segment| {
            let mut parts = segment.split(';');
            let mut kept = parts.next().unwrap_or_default().to_owned();
            for param in parts {
                let name = param.split_once('=').map_or(param, |(n, _)| n);
                if is_session_param(name) {
                    changed = true;
                } else {
                    kept.push(';');
                    kept.push_str(param);
                }
            }
            kept
        })
        .collect();
    changed.then(|| segments.join("/"))
}

/// RFC 3986 unreserved characters: escaping them never changes meaning.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(b: Option<&u8>) -> Option<u8> {
    match *b? {
        d @ b'0'..=b'9' => Some(d - b'0'),
        h @ b'a'..=b'f' => Some(h - b'a' + 10),
        h @ b'A'..=b'F' => Some(h - b'A' + 10),
        _ => None,
    }
}

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Whether appending the decoded `byte` to `out` would turn a stray `%`
/// (one not followed by two hex digits) into an escape: `%%30a` must not
/// become `%0a`, which the next pass would read as an escape of a newline.
/// `next` is the input byte after the escape being decoded. Escapes that
/// follow are covered when their turn comes, by the `%H` case.
fn completes_escape(out: &str, byte: u8, next: Option<&u8>) -> bool {
    if !byte.is_ascii_hexdigit() {
        return false;
    }
    let tail = out.as_bytes();
    match tail {
        [.., b'%', h] if h.is_ascii_hexdigit() => true,
        [.., b'%'] => next.is_some_and(u8::is_ascii_hexdigit),
        _ => false,
    }
}

/// Decodes escapes of unreserved characters and upper-cases the hex of the
/// others. Returns `None` when `s` is already normal, to spare a copy on the
/// common path. A `%` not followed by two hex digits is left alone, and an
/// escape stays encoded where decoding it would complete such a stray `%`
/// into a new escape (which would break idempotence).
pub(crate) fn normalize_escapes(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    let mut copied_to = 0;
    let mut from = 0;
    while let Some(offset) = s[from..].find('%') {
        let at = from + offset;
        let (Some(hi), Some(lo)) = (hex_value(bytes.get(at + 1)), hex_value(bytes.get(at + 2)))
        else {
            from = at + 1;
            continue;
        };
        // `at` and `at + 3` are char boundaries: `%` and hex digits are ASCII.
        out.push_str(&s[copied_to..at]);
        let byte = hi * 16 + lo;
        if is_unreserved(byte) && !completes_escape(&out, byte, bytes.get(at + 3)) {
            out.push(char::from(byte));
            changed = true;
        } else {
            out.push('%');
            out.push(char::from(UPPER_HEX[usize::from(hi)]));
            out.push(char::from(UPPER_HEX[usize::from(lo)]));
            changed |= s[at + 1..at + 3].bytes().any(|b| b.is_ascii_lowercase());
        }
        copied_to = at + 3;
        from = at + 3;
    }
    out.push_str(&s[copied_to..]);
    changed.then_some(out)
}

/// Special schemes (`http`, `https`, …) get lower-case ASCII hosts from the
/// parser; hosts of other schemes are opaque and keep their case, so fold
/// ASCII letters here, outside percent-escapes.
fn lowercase_opaque_host(url: &mut Url) {
    let Some(url::Host::Domain(host)) = url.host() else {
        return;
    };
    if !host.bytes().any(|b| b.is_ascii_uppercase()) {
        return;
    }
    let mut lower = String::with_capacity(host.len());
    let mut escape_left = 0;
    for c in host.chars() {
        if escape_left > 0 {
            // Hex digits of an escape: keep as written.
            escape_left -= 1;
            lower.push(c);
        } else if c == '%' {
            escape_left = 2;
            lower.push(c);
        } else {
            lower.push(c.to_ascii_lowercase());
        }
    }
    // A lower-cased valid opaque host is still valid; if the parser
    // disagrees, keeping the original is the safe choice.
    let original = url.clone();
    if url.set_host(Some(&lower)).is_err() {
        *url = original;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Canonicalizer::default()
            .canonicalize_str(s)
            .unwrap()
            .to_string()
    }

    fn canon_with(c: &Canonicalizer, s: &str) -> String {
        c.canonicalize_str(s).unwrap().to_string()
    }

    #[test]
    fn scheme_host_port_fragment() {
        assert_eq!(
            canon("HTTP://Example.COM:80/a#frag"),
            "http://example.com/a"
        );
        assert_eq!(canon("https://example.com:443/"), "https://example.com/");
        assert_eq!(
            canon("https://example.com:8443/"),
            "https://example.com:8443/"
        );
        assert_eq!(canon("http://example.com/?"), "http://example.com/");
        assert_eq!(canon("http://example.com/?#x"), "http://example.com/");
    }

    #[test]
    fn idna_hosts_come_out_ascii() {
        assert_eq!(
            canon("http://BÜCHER.example/"),
            "http://xn--bcher-kva.example/"
        );
        assert_eq!(
            canon("http://xn--BCHER-KVA.example/"),
            "http://xn--bcher-kva.example/"
        );
    }

    #[test]
    fn path_case_is_preserved() {
        assert_eq!(canon("http://h/A/b"), "http://h/A/b");
        assert_ne!(canon("http://h/A"), canon("http://h/a"));
    }

    #[test]
    fn escapes_are_normalised() {
        assert_eq!(canon("http://h/%7Euser/%7e"), "http://h/~user/~");
        assert_eq!(canon("http://h/a%2fb%2Fc"), "http://h/a%2Fb%2Fc");
        assert_eq!(canon("http://h/%41%62%2D%2e%5F"), "http://h/Ab-._");
        assert_eq!(canon("http://h/?q=%7e%3d%c3%a9"), "http://h/?q=~%3D%C3%A9");
        // Not an escape: left alone.
        assert_eq!(canon("http://h/%zz%4"), "http://h/%zz%4");
        // `%25` is a literal percent sign and must stay encoded.
        assert_eq!(canon("http://h/%2541"), "http://h/%2541");
    }

    #[test]
    fn plus_and_space_escapes_stay_distinct() {
        assert_ne!(canon("http://h/?q=a+b"), canon("http://h/?q=a%20b"));
    }

    #[test]
    fn query_order_kept_by_default() {
        assert_eq!(canon("http://h/?b=1&a=2"), "http://h/?b=1&a=2");
        assert_eq!(canon("http://h/?utm_source=x"), "http://h/?utm_source=x");
    }

    #[test]
    fn sort_query_sorts_by_key_then_value_stably() {
        let c = Canonicalizer::builder().sort_query(true).build().unwrap();
        assert_eq!(
            canon_with(&c, "http://h/?b=2&a=2&b=1&a"),
            "http://h/?a&a=2&b=1&b=2"
        );
        assert_eq!(canon_with(&c, "http://h/?b=1&&a=%7e"), "http://h/?a=~&b=1");
        assert_eq!(canon_with(&c, "http://h/?&&"), "http://h/");
    }

    #[test]
    fn session_ids_are_stripped_from_query_and_path_when_asked() {
        let c = Canonicalizer::builder()
            .strip_session_ids(true)
            .build()
            .unwrap();
        let canon = |s: &str| c.canonicalize_str(s).unwrap().to_string();
        for (raw, want) in [
            ("http://h/p?sid=8f3a9c&page=2", "http://h/p?page=2"),
            ("http://h/p?PHPSESSID=abc", "http://h/p"),
            (
                "http://h/p?page=1&JSESSIONID=x&q=a",
                "http://h/p?page=1&q=a",
            ),
            ("http://h/p?ASPSESSIONIDQQGGQGPB=ZZ", "http://h/p"),
            ("http://h/a;jsessionid=F00/b?x=1", "http://h/a/b?x=1"),
            ("http://h/a;v=2", "http://h/a;v=2"),
            ("http://h/p?side=1&sidebar=0", "http://h/p?side=1&sidebar=0"),
        ] {
            assert_eq!(canon(raw), want, "{raw}");
            assert_eq!(canon(&canon(raw)), want, "idempotent: {raw}");
        }
        let off = Canonicalizer::default();
        assert_eq!(
            off.canonicalize_str("http://h/p?sid=1").unwrap().as_str(),
            "http://h/p?sid=1",
            "off by default in the pure crate"
        );
    }

    #[test]
    fn strip_tracking_removes_builtin_and_user_names() {
        let c = Canonicalizer::builder()
            .strip_tracking(true)
            .strip_param("sessionid")
            .strip_param_prefix("pk_")
            .build()
            .unwrap();
        assert_eq!(
            canon_with(
                &c,
                "http://h/p?id=7&utm_source=n&utm_medium=e&fbclid=1&gclid=2&sessionid=3&pk_c=4&%5Fga=5"
            ),
            "http://h/p?id=7"
        );
        assert_eq!(canon_with(&c, "http://h/p?utm_source=n#x"), "http://h/p");
        // Exact names only: `fbclidx` is not a tracking parameter.
        assert_eq!(canon_with(&c, "http://h/?fbclidx=1"), "http://h/?fbclidx=1");
    }

    #[test]
    fn user_names_apply_without_builtin_list() {
        let c = Canonicalizer::builder().strip_param("sid").build().unwrap();
        assert_eq!(
            canon_with(&c, "http://h/?sid=1&utm_x=2"),
            "http://h/?utm_x=2"
        );
    }

    #[test]
    fn empty_names_are_rejected() {
        let e = Canonicalizer::builder()
            .strip_param_prefix("")
            .build()
            .unwrap_err();
        assert!(e.is_setting());
        assert!(Canonicalizer::builder().strip_param("").build().is_err());
    }

    #[test]
    fn opaque_hosts_are_lowercased() {
        assert_eq!(canon("foo://EXAMPLE.com/X"), "foo://example.com/X");
        assert_eq!(canon("foo://A%C3B/"), "foo://a%C3b/");
    }

    #[test]
    fn odd_non_special_urls_stay_stable() {
        let all = Canonicalizer::builder()
            .sort_query(true)
            .strip_tracking(true)
            .build()
            .unwrap();
        for s in [
            "non-spec:/.//%7e",
            "non-spec:/.//p%2f?%7e#x",
            "foo:%7e%2f",
            "mailto:%7E@EXAMPLE.com?subject=%7e",
            "foo://%41b/%7e",
            "foo://[::1]/%7E",
            "data:text/plain,%7e%7E",
            "javascript:alert(%27x%27)",
            "file:///C:/%7e",
            "blob:https://a/%7e",
        ] {
            let url = Url::parse(s).unwrap();
            for c in [&Canonicalizer::default(), &all] {
                let once = c.canonicalize(&url);
                assert_eq!(c.canonicalize(&once), once, "{s}");
                assert_eq!(Url::parse(once.as_str()).unwrap(), once, "{s}");
            }
        }
    }

    #[test]
    fn invalid_input_names_it() {
        let e = Canonicalizer::default()
            .canonicalize_str("not a url")
            .unwrap_err();
        assert!(e.is_url());
        assert!(e.to_string().contains("\"not a url\""), "{e}");
    }

    #[test]
    fn normalize_escapes_fast_path() {
        assert_eq!(normalize_escapes("/plain"), None);
        assert_eq!(normalize_escapes("/%2F"), None);
        assert_eq!(normalize_escapes("/%2f").as_deref(), Some("/%2F"));
        assert_eq!(normalize_escapes("%").as_deref(), None);
        assert_eq!(normalize_escapes("é%7e").as_deref(), Some("é~"));
    }

    #[test]
    fn decoding_never_completes_a_stray_percent() {
        // Found by the idempotence property: `%%30a` decoded to `%0a`.
        assert_eq!(normalize_escapes("%%30a"), None);
        assert_eq!(normalize_escapes("%%30%61").as_deref(), Some("%0%61"));
        assert_eq!(normalize_escapes("%0%61"), None);
        assert_eq!(normalize_escapes("%%30x").as_deref(), Some("%0x"));
        assert_eq!(normalize_escapes("%%7e").as_deref(), Some("%~"));
        assert_eq!(normalize_escapes("%A%62"), None);
        assert_eq!(canon("http://h/%%30a?%%30a"), "http://h/%%30a?%%30a");
    }
}
