//! The two things the charset decision needs from a `Content-Type` value: the
//! MIME type's essence (`type/subtype`, lower-cased) and its `charset`
//! parameter.
//!
//! This follows the WHATWG Fetch "extract a MIME type" and MIME Sniffing
//! "parse a MIME type" algorithms, because browsers use them and pages are
//! authored against browsers: e.g. a combined header value
//! `text/html, text/html;charset=gbk` means GBK, and `*/*` is ignored.

/// A parsed `Content-Type` value, reduced to what charset sniffing uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MimeType {
    /// `type/subtype`, ASCII lower-cased.
    pub(crate) essence: String,
    /// The raw `charset` parameter value (unquoted), if there was one.
    pub(crate) charset: Option<Vec<u8>>,
}

/// What kind of body a MIME type announces, as far as charset rules go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// HTML: a `<meta>` inside the document may declare the encoding.
    Html,
    /// XML (incl. RSS/Atom): the XML declaration may declare the encoding.
    Xml,
    /// JSON: always UTF-8 (RFC 8259 §8.1).
    Json,
    /// Other text: nothing declares the encoding, so it is guessed.
    Text,
    /// Not text at all (images, archives, …): guessing would only invent a
    /// meaning for bytes that have none.
    Binary,
}

impl MimeType {
    /// Classifies the essence.
    pub(crate) fn kind(&self) -> Kind {
        let essence = self.essence.as_str();
        let (top, sub) = essence.split_once('/').unwrap_or((essence, ""));
        match essence {
            // XHTML is listed before the `+xml` rule on purpose: crawled
            // XHTML is in practice HTML that may carry a `<meta charset>`,
            // and the prescan falls back on the XML declaration anyway.
            "text/html" | "application/xhtml+xml" => Kind::Html,
            "text/xml" | "application/xml" => Kind::Xml,
            // `text/json` is not registered but is served in the wild; it is
            // still JSON and still UTF-8.
            "application/json" | "text/json" => Kind::Json,
            "application/javascript"
            | "application/x-javascript"
            | "application/ecmascript"
            | "application/x-ecmascript" => Kind::Text,
            _ if sub.ends_with("+xml") => Kind::Xml,
            _ if sub.ends_with("+json") => Kind::Json,
            _ if top == "text" => Kind::Text,
            _ => Kind::Binary,
        }
    }
}

/// HTTP whitespace (Fetch): tab, LF, CR, space.
fn is_http_whitespace(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\r' | b' ')
}

/// An HTTP token code point (RFC 9110 `tchar`).
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn trim_http_whitespace(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s
        && is_http_whitespace(*first)
    {
        s = rest;
    }
    while let [rest @ .., last] = s
        && is_http_whitespace(*last)
    {
        s = rest;
    }
    s
}

/// Fetch "extract a MIME type" over one header value, which may itself be
/// several comma-joined values (that is how repeated headers are combined).
/// `None` when no part is a valid MIME type.
pub(crate) fn extract(value: &str) -> Option<MimeType> {
    let mut result: Option<MimeType> = None;
    let mut essence: Option<String> = None;
    let mut charset: Option<Vec<u8>> = None;
    for part in split_values(value.as_bytes()) {
        let Some(mut mime) = parse(part) else {
            continue;
        };
        if mime.essence == "*/*" {
            continue;
        }
        if essence.as_deref() == Some(mime.essence.as_str()) {
            // Same type repeated without a charset keeps the earlier charset.
            if mime.charset.is_none() {
                mime.charset.clone_from(&charset);
            }
        } else {
            charset.clone_from(&mime.charset);
            essence = Some(mime.essence.clone());
        }
        result = Some(mime);
    }
    result
}

/// Splits at commas that are not inside a quoted string (Fetch "get, decode,
/// and split").
fn split_values(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut parts = Vec::new();
    for (i, &b) in value.iter().enumerate() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quotes = false;
            }
        } else if b == b'"' {
            in_quotes = true;
        } else if b == b',' {
            parts.push(value.get(start..i).unwrap_or_default());
            start = i + 1;
        }
    }
    parts.push(value.get(start..).unwrap_or_default());
    parts.into_iter()
}

/// MIME Sniffing "parse a MIME type", keeping only the first `charset`
/// parameter. Deliberately lenient in one way: whitespace around the `=` of a
/// parameter is tolerated (`charset = utf-8`), because servers do send that
/// and the intent is unambiguous.
fn parse(input: &[u8]) -> Option<MimeType> {
    let input = trim_http_whitespace(input);
    let slash = input.iter().position(|&b| b == b'/')?;
    let (type_, rest) = input.split_at(slash);
    let rest = rest.get(1..).unwrap_or_default();
    let semicolon = rest.iter().position(|&b| b == b';').unwrap_or(rest.len());
    let (subtype, mut params) = rest.split_at(semicolon);
    let subtype = trim_http_whitespace(subtype);
    if type_.is_empty()
        || subtype.is_empty()
        || !type_.iter().all(|&b| is_token(b))
        || !subtype.iter().all(|&b| is_token(b))
    {
        return None;
    }
    let mut essence = String::with_capacity(type_.len() + 1 + subtype.len());
    // Token bytes are ASCII, so each byte is one char.
    essence.extend(type_.iter().map(|&b| char::from(b.to_ascii_lowercase())));
    essence.push('/');
    essence.extend(subtype.iter().map(|&b| char::from(b.to_ascii_lowercase())));

    let mut charset = None;
    // `params` starts at a ';' (or is empty).
    while let [_, rest @ ..] = params {
        let rest = trim_start(rest);
        let name_end = rest
            .iter()
            .position(|&b| b == b';' || b == b'=')
            .unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_end);
        let name = trim_http_whitespace(name);
        match after.first() {
            None => break,
            Some(b';') => {
                params = after;
                continue;
            }
            Some(_) => {}
        }
        // Skip the '='.
        let after = trim_start(after.get(1..).unwrap_or_default());
        let value;
        if after.first() == Some(&b'"') {
            let (unquoted, consumed) = quoted_string(after);
            value = unquoted;
            let tail = after.get(consumed..).unwrap_or_default();
            let next = tail.iter().position(|&b| b == b';').unwrap_or(tail.len());
            params = tail.get(next..).unwrap_or_default();
        } else {
            let end = after.iter().position(|&b| b == b';').unwrap_or(after.len());
            let (raw, tail) = after.split_at(end);
            params = tail;
            let raw = trim_http_whitespace(raw);
            if raw.is_empty() {
                continue;
            }
            value = raw.to_vec();
        }
        if charset.is_none() && name.eq_ignore_ascii_case(b"charset") {
            charset = Some(value);
        }
    }
    Some(MimeType { essence, charset })
}

fn trim_start(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s
        && is_http_whitespace(*first)
    {
        s = rest;
    }
    s
}

/// Fetch "collect an HTTP quoted string" with the extract-value flag:
/// `input` starts at the opening quote. Returns the unescaped value and how
/// many bytes were consumed. An unterminated string runs to the end.
fn quoted_string(input: &[u8]) -> (Vec<u8>, usize) {
    let mut value = Vec::new();
    let mut i = 1;
    while let Some(&b) = input.get(i) {
        i += 1;
        match b {
            b'"' => break,
            b'\\' => match input.get(i) {
                Some(&escaped) => {
                    value.push(escaped);
                    i += 1;
                }
                None => value.push(b'\\'),
            },
            _ => value.push(b),
        }
    }
    (value, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charset(ct: &str) -> Option<String> {
        extract(ct)
            .and_then(|m| m.charset)
            .map(|c| String::from_utf8(c).unwrap())
    }

    #[test]
    fn parses_essence_and_charset() {
        let m = extract("Text/HTML; Charset=\"GBK\"").unwrap();
        assert_eq!(m.essence, "text/html");
        assert_eq!(m.charset.as_deref(), Some(&b"GBK"[..]));
        assert_eq!(
            charset("text/html;charset=utf-8;charset=gbk").unwrap(),
            "utf-8"
        );
        assert_eq!(
            charset("text/html; foo=\"a;b\"; charset=koi8-r").unwrap(),
            "koi8-r"
        );
        assert_eq!(charset("text/html; charset = utf-8 ").unwrap(), "utf-8");
        assert_eq!(
            charset("text/html; charset=\"sh\\ift_jis\"").unwrap(),
            "shift_jis"
        );
        assert_eq!(
            charset("text/html; charset=\"unterminated").unwrap(),
            "unterminated"
        );
        assert_eq!(charset("text/html; charset="), None);
        assert_eq!(charset("text/html; charset"), None);
        assert_eq!(charset("text/html;;;"), None);
    }

    #[test]
    fn combined_values() {
        assert_eq!(charset("text/html, text/html;charset=gbk").unwrap(), "gbk");
        assert_eq!(charset("text/html;charset=gbk, text/html").unwrap(), "gbk");
        assert_eq!(charset("text/html;charset=gbk, text/plain"), None);
        assert_eq!(extract("text/html, */*").unwrap().essence, "text/html");
    }

    #[test]
    fn invalid_types() {
        for ct in [
            "",
            "text",
            "/html",
            "text/",
            "te xt/html",
            "text/ht\"ml",
            ",",
            ";charset=utf-8",
        ] {
            assert_eq!(extract(ct), None, "{ct:?}");
        }
    }

    #[test]
    fn kinds() {
        let kind = |ct: &str| extract(ct).unwrap().kind();
        assert_eq!(kind("text/html"), Kind::Html);
        assert_eq!(kind("application/xhtml+xml"), Kind::Html);
        assert_eq!(kind("application/rss+xml"), Kind::Xml);
        assert_eq!(kind("text/xml"), Kind::Xml);
        assert_eq!(kind("application/ld+json"), Kind::Json);
        assert_eq!(kind("application/json"), Kind::Json);
        assert_eq!(kind("text/css"), Kind::Text);
        assert_eq!(kind("application/javascript"), Kind::Text);
        assert_eq!(kind("image/png"), Kind::Binary);
        assert_eq!(kind("application/octet-stream"), Kind::Binary);
    }
}
