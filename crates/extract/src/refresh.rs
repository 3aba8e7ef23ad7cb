//! `<meta http-equiv=refresh content=…>` parsing, per the HTML spec's "shared declarative
//! refresh steps" (<https://html.spec.whatwg.org/#shared-declarative-refresh-steps>).

use crate::collect::is_ascii_ws;

/// Returns the URL part of a refresh `content` value, or `None` when the value is malformed
/// or names no URL (a plain reload of the same page is not a link).
///
/// Accepts `5`, `5; url=x`, `5,x`, `0;URL='x'`, `.5 url = "x"` and the other spellings the
/// spec allows. The returned slice is not trimmed at the end; URL parsing does that.
pub(crate) fn refresh_url(content: &str) -> Option<&str> {
    let s = content.trim_start_matches(is_ascii_ws);
    // The delay: digits, then any digits and dots. At least one digit, or a dot, is needed.
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 && !s.starts_with('.') {
        return None;
    }
    let s = &s[digits..];
    let s = s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    if s.is_empty() {
        return None;
    }
    // The separator: whitespace, `;` or `,`, each optional but one must be there.
    if !s.starts_with([';', ',']) && !s.starts_with(is_ascii_ws) {
        return None;
    }
    let s = s.trim_start_matches(is_ascii_ws);
    let s = s.strip_prefix([';', ',']).unwrap_or(s);
    let s = s.trim_start_matches(is_ascii_ws);
    if s.is_empty() {
        return None;
    }
    // `url=` is optional; when it is not spelled out in full, the whole rest is the URL,
    // except that a bare leading quote is still skipped (the spec jumps to "skip quotes"
    // only when the first letter is not `u`).
    let url = match strip_url_key(s) {
        Some(rest) => unquote(rest.trim_start_matches(is_ascii_ws)),
        None if s.starts_with(['u', 'U']) => s,
        None => unquote(s),
    };
    (!url.trim_matches(is_ascii_ws).is_empty()).then_some(url)
}

/// Strips `url` (any case), optional whitespace and `=`; `None` when that is not what follows.
fn strip_url_key(s: &str) -> Option<&str> {
    let key = s.get(..3)?;
    if !key.eq_ignore_ascii_case("url") {
        return None;
    }
    s[3..].trim_start_matches(is_ascii_ws).strip_prefix('=')
}

/// Drops a leading `'` or `"` and cuts at its partner, if any.
fn unquote(s: &str) -> &str {
    let Some(quote) = s.chars().next().filter(|c| *c == '\'' || *c == '"') else {
        return s;
    };
    let rest = &s[1..];
    rest.find(quote).map_or(rest, |end| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::refresh_url;

    #[test]
    fn spellings_from_the_spec() {
        assert_eq!(refresh_url("5; url=/next"), Some("/next"));
        assert_eq!(refresh_url("5;URL=/next"), Some("/next"));
        assert_eq!(refresh_url("0, url = '/q'x"), Some("/q"));
        assert_eq!(refresh_url("0;url=\"/q\""), Some("/q"));
        assert_eq!(refresh_url("0;url=\"/q"), Some("/q"));
        assert_eq!(refresh_url("3 /plain"), Some("/plain"));
        assert_eq!(refresh_url("3,/plain"), Some("/plain"));
        assert_eq!(refresh_url("  .5; url=/dot"), Some("/dot"));
        assert_eq!(refresh_url("1.5.2; url=/dots"), Some("/dots"));
        assert_eq!(refresh_url("0; 'quoted'"), Some("quoted"));
    }

    #[test]
    fn a_u_that_is_not_url_equals_keeps_the_whole_rest() {
        assert_eq!(refresh_url("0; urn:x"), Some("urn:x"));
        assert_eq!(refresh_url("0; url /x"), Some("url /x"));
        assert_eq!(refresh_url("0; uxyz"), Some("uxyz"));
    }

    #[test]
    fn no_url_or_malformed_is_none() {
        assert_eq!(refresh_url("5"), None);
        assert_eq!(refresh_url("5;"), None);
        assert_eq!(refresh_url("5; url="), None);
        assert_eq!(refresh_url("5; url=''"), None);
        assert_eq!(refresh_url(""), None);
        assert_eq!(refresh_url("url=/x"), None);
        assert_eq!(refresh_url("5x; url=/x"), None);
        assert_eq!(refresh_url("é"), None);
        assert_eq!(refresh_url("5 é"), Some("é"));
    }
}
