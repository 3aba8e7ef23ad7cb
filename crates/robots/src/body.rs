//! The body robotxt is given: capped, and rewritten line by line where
//! robotxt and the reference matcher (Google's, which RFC 9309 describes)
//! disagree. Each rewrite names the corpus cases it exists for; see
//! `docs/decisions/0004-robots-crate.md`.
//!
//! Only the *content* of lines changes; every line break byte is copied as
//! is, so robotxt splits the result into the same lines as the original.
//! Every rewrite but one shortens a line, and the one that adds a line is
//! bounded so the result never exceeds [`MAX_BODY`] (robotxt would cut it).

use crate::agent::token_len;

/// The number of bytes of a robots.txt body that are read: 500 KiB.
///
/// RFC 9309 §2.5 lets crawlers limit the size they parse to no less than
/// 500 kibibytes. The body is cut at the last line break within the limit,
/// so a rule cut in half never applies. This is robotxt's own limit, which
/// we apply first so that our rewrites see the same text it would.
pub const MAX_BODY: usize = robotxt::BYTE_LIMIT;

/// Bytes of a line that are kept. Google reads lines into a buffer of
/// 8 × 2083 bytes (eight times the longest URL browsers accept) and drops
/// the rest, keeping 16,663 bytes. `GoogleOnly_LineTooLong`.
const MAX_LINE: usize = 2083 * 8 - 1;

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Spellings robotxt accepts for the keys we rewrite. They must be the same
/// as robotxt's (`parse/lexer.rs`), so that we rewrite exactly the lines it
/// reads as these keys; a spelling we missed just keeps robotxt's meaning.
const USER_AGENT: &[&[u8]] = &[b"user-agent", b"user agent", b"useragent"];
const ALLOW: &[&[u8]] = &[b"allow", b"alow", b"allaw"];
const DISALLOW: &[&[u8]] = &[
    b"disallow",
    b"dissallow",
    b"dissalow",
    b"disalow",
    b"diasllow",
    b"disallaw",
];

/// Caps `body` and rewrites it for robotxt (see the module docs).
pub(crate) fn prepare(body: &[u8]) -> Vec<u8> {
    let body = skip_bom(cap(body));
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while !rest.is_empty() {
        let content_end = rest
            .iter()
            .position(|&b| is_line_break(b))
            .unwrap_or(rest.len());
        let breaks_end = rest[content_end..]
            .iter()
            .position(|&b| !is_line_break(b))
            .map_or(rest.len(), |n| content_end + n);
        let (line, breaks) = rest[..breaks_end].split_at(content_end);
        rest = &rest[breaks_end..];

        let line = &line[..line.len().min(MAX_LINE)];
        let rule = directive(line, ALLOW).or_else(|| directive(line, DISALLOW));
        let literal = rule.clone().and_then(|v| literal_escapes(&line[v]));
        if let Some(value) = directive(line, USER_AGENT) {
            out.extend_from_slice(&line[..value.start]);
            out.extend_from_slice(user_agent_token(&line[value]));
        } else if let (Some(value), Some(literal)) = (rule, literal)
            && out.len() + line.len() + literal.len() + breaks.len() + rest.len() <= MAX_BODY
        {
            // Escapes of unreserved characters match only themselves, as in
            // Google's matcher (ID_Encoding, case 068); kept only while the
            // longer line still fits.
            out.extend_from_slice(&line[..value.start]);
            out.extend_from_slice(&literal);
            out.extend_from_slice(&line[value.end..]);
        } else {
            out.extend_from_slice(line);
            if let Some(value) = directive(line, ALLOW)
                && let Some(dir) = index_html_dir(&line[value])
            {
                // Kept only while the whole result fits in MAX_BODY: what
                // is left to copy is at most `rest.len()` bytes.
                let extra = b"\nallow: ".len() + dir.len() + 1;
                if out.len() + extra + breaks.len() + rest.len() <= MAX_BODY {
                    out.extend_from_slice(b"\nallow: ");
                    out.extend_from_slice(dir);
                    out.push(b'$');
                }
            }
        }
        out.extend_from_slice(breaks);
    }
    out
}

/// `value` with each percent-escape of an unreserved character (`%62`,
/// `%7e`) written as an escape of `%` itself (`%2562`, `%257E`), or `None`
/// if it has none. robotxt decodes such escapes on both sides (`%62` and
/// `b` match); Google's matcher, which RFC 9309 describes, compares them as
/// written. Paths get the same treatment ([`literal_path`]), so an escape
/// still matches itself, and only itself.
pub(crate) fn literal_escapes(value: &[u8]) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'%'
            && let Some(b) = hex_pair(value.get(i + 1..i + 3))
            && is_unreserved(b)
        {
            let o = out.get_or_insert_with(|| value[..i].to_vec());
            o.extend_from_slice(b"%25");
            o.extend(value[i + 1..i + 3].iter().map(u8::to_ascii_uppercase));
            i += 3;
            continue;
        }
        if let Some(o) = &mut out {
            o.push(value[i]);
        }
        i += 1;
    }
    out
}

/// A URL's path and query for matching: [`literal_escapes`] applied.
pub(crate) fn literal_path(path: &str) -> std::borrow::Cow<'_, str> {
    match literal_escapes(path.as_bytes()) {
        // Only ASCII bytes were added to valid UTF-8.
        Some(bytes) => String::from_utf8(bytes)
            .map_or(std::borrow::Cow::Borrowed(path), std::borrow::Cow::Owned),
        None => std::borrow::Cow::Borrowed(path),
    }
}

fn hex_pair(digits: Option<&[u8]>) -> Option<u8> {
    let digits = digits?;
    let hi = char::from(digits[0]).to_digit(16)?;
    let lo = char::from(digits[1]).to_digit(16)?;
    u8::try_from(hi * 16 + lo).ok()
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The first [`MAX_BODY`] bytes of `body`, cut at the last line break.
pub(crate) fn cap(body: &[u8]) -> &[u8] {
    // A line break right at the limit still completes the last line.
    let Some(window) = body.get(..=MAX_BODY) else {
        return body;
    };
    let end = window.iter().rposition(|&b| is_line_break(b)).unwrap_or(0);
    &body[..end]
}

/// Skips a UTF-8 byte order mark, or the start of one: Google skips any
/// leading bytes that match the BOM so far (`ID_UTF8ByteOrderMarkIsSkipped`
/// has a lone `EF` before `User-Agent`); robotxt only skips a whole BOM.
fn skip_bom(body: &[u8]) -> &[u8] {
    let n = body.iter().zip(BOM).take_while(|(a, b)| a == b).count();
    &body[n..]
}

/// Line breaks as robotxt splits them: `\n`, `\r`, and `\0`.
fn is_line_break(b: u8) -> bool {
    matches!(b, b'\n' | b'\r' | b'\0')
}

/// If `line` is a directive with one of `spellings` as its key, the range
/// of its value, the way robotxt's lexer reads it: optional leading blanks,
/// the key (any case), then `:` or at least one blank, then the value up to
/// a `#`, trimmed.
fn directive(line: &[u8], spellings: &[&[u8]]) -> Option<std::ops::Range<usize>> {
    let key_start = skip_blanks(line, 0);
    let rest = &line[key_start..];
    let key = spellings.iter().find(|s| {
        rest.get(..s.len())
            .is_some_and(|k| k.eq_ignore_ascii_case(s))
    })?;
    let key_end = key_start + key.len();
    let after_blanks = skip_blanks(line, key_end);
    let value_start = match line.get(after_blanks) {
        Some(b':') => after_blanks + 1,
        _ if after_blanks > key_end => after_blanks,
        _ => return None,
    };
    let value_end = line[value_start..]
        .iter()
        .position(|&b| b == b'#')
        .map_or(line.len(), |n| value_start + n);
    let value = &line[value_start..value_end];
    let start = value_start + value.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let end = value_end
        - value
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    Some(start..end.max(start))
}

fn skip_blanks(line: &[u8], from: usize) -> usize {
    from + line
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

/// The part of a `User-agent` value that names the group: `*` when it
/// starts with `*` followed by nothing or a blank, else its product token.
///
/// robotxt compares the whole value, so `User-Agent: FOO BAR` would not
/// apply to `Foo` (`ID_UserAgentValueCaseInsensitive`,
/// `GoogleOnly_AcceptUserAgentUpToFirstSpace`). A value with no token
/// (`ツ`, `*bot`) becomes empty: still a `User-agent` line, naming no one.
fn user_agent_token(value: &[u8]) -> &[u8] {
    match value {
        [b'*'] => value,
        [b'*', next, ..] if next.is_ascii_whitespace() => &value[..1],
        _ => &value[..token_len(value)],
    }
}

/// For an `Allow` pattern whose last segment starts with `index.htm`, the
/// pattern of its directory (up to and including the last `/`).
///
/// Google treats `Allow: /dir/index.html` as also allowing `/dir/` (and
/// only that URL, hence the `$` added by the caller):
/// `GoogleOnly_IndexHTMLisDirectory`. An extra, shorter rule gives the same
/// result under longest match: where the original matches, it is longer.
fn index_html_dir(pattern: &[u8]) -> Option<&[u8]> {
    let slash = pattern.iter().rposition(|&b| b == b'/')?;
    pattern[slash..]
        .starts_with(b"/index.htm")
        .then(|| &pattern[..=slash])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(body: &str) -> String {
        String::from_utf8(prepare(body.as_bytes())).unwrap()
    }

    #[test]
    fn user_agent_values_are_cut_to_their_token() {
        assert_eq!(prep("User-Agent: FOO BAR\n"), "User-Agent: FOO\n");
        assert_eq!(prep("  useragent  Foo/2.1 # x\r\n"), "  useragent  Foo\r\n");
        assert_eq!(prep("user agent:* baz"), "user agent:*");
        assert_eq!(prep("User-agent: *bot"), "User-agent: ");
        assert_eq!(prep("User-agent: ツ\n"), "User-agent: \n");
    }

    #[test]
    fn other_lines_are_untouched() {
        for line in [
            "user-agentx: foo bar",
            "Disallow: /a b",
            "# User-agent: foo bar",
            "Sitemap: http://a/b c",
            "Crawl-delay: 5 5",
        ] {
            assert_eq!(prep(line), line);
        }
    }

    #[test]
    fn line_breaks_are_copied() {
        let body = "User-agent: a b\r\r\nAllow: /x\0Disallow: /\r\n\n";
        assert_eq!(prep(body), body.replace("a b", "a"));
    }

    #[test]
    fn index_html_allows_its_directory() {
        assert_eq!(
            prep("Allow: /d/index.html\nDisallow: /"),
            "Allow: /d/index.html\nallow: /d/$\nDisallow: /"
        );
        assert_eq!(prep("Allow: /index.htm"), "Allow: /index.htm\nallow: /$");
        assert_eq!(prep("Allow: /d/xindex.html"), "Allow: /d/xindex.html");
        assert_eq!(prep("Disallow: /d/index.html"), "Disallow: /d/index.html");
    }

    #[test]
    fn long_lines_are_cut() {
        let line = format!("Allow: /{}", "a".repeat(20_000));
        assert_eq!(prepare(line.as_bytes()).len(), MAX_LINE);
    }

    #[test]
    fn bom_and_partial_bom_are_skipped() {
        assert_eq!(prepare(b"\xEF\xBB\xBFAllow: /"), b"Allow: /");
        assert_eq!(prepare(b"\xEFAllow: /"), b"Allow: /");
        assert_eq!(prepare(b"\xEF\x11\xBFAllow: /"), b"\x11\xBFAllow: /");
    }

    #[test]
    fn body_is_capped_at_a_line_break() {
        let line = "Disallow: /aaaaaaaaaaaaaaaaaaaaaaa\n";
        let body = line.repeat(MAX_BODY / line.len() + 10);
        let out = prepare(body.as_bytes());
        assert!(out.len() <= MAX_BODY);
        assert!(out.ends_with(b"/aaaaaaaaaaaaaaaaaaaaaaa"));
    }

    #[test]
    fn added_lines_never_exceed_the_cap() {
        let line = "Allow: /index.html\n";
        // Room for about 100 added lines.
        let body = line.repeat(MAX_BODY / line.len() - 55);
        let out = prepare(body.as_bytes());
        assert!(out.len() <= MAX_BODY);
        // The early rules got their directory rule, the last ones did not.
        assert!(out.starts_with(b"Allow: /index.html\nallow: /$\n"));
        assert!(out.ends_with(b"Allow: /index.html\nAllow: /index.html\n"));
    }
}
