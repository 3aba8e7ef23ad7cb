//! HTML character reference decoding, for tokenizers that hand out raw attribute values.
//!
//! Follows the tokenizer's "character reference state": numeric references with the
//! windows-1252 remapping of C1 controls, named references by longest match, and the
//! attribute rule that a legacy name without `;` followed by `=` or an alphanumeric stays
//! literal (`?a=1&copy=2` is not `?a=1©=2`).

use std::borrow::Cow;

use crate::entities::{LEGACY, NAMED};

/// Decodes the character references in `s`; `in_attribute` selects the attribute rule.
pub(crate) fn decode(s: &str, in_attribute: bool) -> Cow<'_, str> {
    let Some(first) = s.find('&') else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first]);
    let mut rest = &s[first..];
    while let Some(after) = rest.strip_prefix('&') {
        let consumed = if let Some(num) = after.strip_prefix('#') {
            numeric(num, &mut out).map(|n| n + 1)
        } else {
            named(after, in_attribute, &mut out)
        };
        let consumed = consumed.unwrap_or_else(|| {
            out.push('&');
            0
        });
        rest = &after[consumed..];
        let next = rest.find('&').unwrap_or(rest.len());
        out.push_str(&rest[..next]);
        rest = &rest[next..];
    }
    Cow::Owned(out)
}

/// `s` follows `&#`. Returns the bytes consumed after `#`, or `None` if there are no digits.
fn numeric(s: &str, out: &mut String) -> Option<usize> {
    let (radix, digits_at) = match s.as_bytes().first() {
        Some(b'x' | b'X') => (16, 1),
        _ => (10, 0),
    };
    let digits = s[digits_at..]
        .bytes()
        .take_while(|b| (*b as char).is_digit(radix))
        .count();
    if digits == 0 {
        return None;
    }
    let mut value: u32 = 0;
    for b in s[digits_at..digits_at + digits].bytes() {
        let d = (b as char).to_digit(radix).unwrap_or(0);
        // Saturate: anything past U+10FFFF becomes U+FFFD anyway.
        value = value.saturating_mul(radix).saturating_add(d).min(0x11_0000);
    }
    out.push(numeric_char(value));
    let mut used = digits_at + digits;
    if s[used..].starts_with(';') {
        used += 1;
    }
    Some(used)
}

/// The "numeric character reference end state" mapping.
fn numeric_char(value: u32) -> char {
    const C1: [u16; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    let value = match value {
        0 => 0xFFFD,
        0x80..=0x9F => u32::from(C1[(value - 0x80) as usize]),
        v => v,
    };
    char::from_u32(value).unwrap_or('\u{FFFD}')
}

/// The longest entity name is `CounterClockwiseContourIntegral`.
const MAX_NAME: usize = 31;

/// `s` follows `&`. Returns the bytes consumed, or `None` to leave the `&` literal.
fn named(s: &str, in_attribute: bool, out: &mut String) -> Option<usize> {
    let run = s.bytes().take_while(u8::is_ascii_alphanumeric).count();
    if run == 0 {
        return None;
    }
    if run <= MAX_NAME
        && s[run..].starts_with(';')
        && let Some(value) = lookup(NAMED, &s[..run])
    {
        out.push_str(value);
        return Some(run + 1);
    }
    // Legacy names match without `;`, by longest prefix.
    let (len, value) = (2..=run.min(6))
        .rev()
        .find_map(|len| lookup(LEGACY, &s[..len]).map(|v| (len, v)))?;
    if in_attribute {
        // The attribute rule: followed by `=` or an alphanumeric, the text stays as is.
        let next = s.as_bytes().get(len);
        if next.is_some_and(|b| *b == b'=' || b.is_ascii_alphanumeric()) {
            return None;
        }
    }
    out.push_str(value);
    Some(len)
}

/// Looks `name` up in one of the sorted tables.
fn lookup(table: &'static [(&'static str, &'static str)], name: &str) -> Option<&'static str> {
    table
        .binary_search_by(|(n, _)| n.as_bytes().cmp(name.as_bytes()))
        .ok()
        .map(|i| table[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(s: &str) -> String {
        decode(s, true).into_owned()
    }

    fn text(s: &str) -> String {
        decode(s, false).into_owned()
    }

    #[test]
    fn nothing_to_decode_borrows() {
        assert!(matches!(decode("/plain/path?a=b", true), Cow::Borrowed(_)));
    }

    #[test]
    fn numeric() {
        assert_eq!(attr("&#65;&#x42;&#X43;&#0068"), "ABCD");
        assert_eq!(
            attr("&#0;&#x110000;&#xD800;&#99999999999999999999;"),
            "\u{FFFD}".repeat(4)
        );
        assert_eq!(attr("&#x80;&#x9F;&#x81;"), "\u{20AC}\u{178}\u{81}");
        assert_eq!(attr("&#;&#x;&#xZ"), "&#;&#x;&#xZ");
    }

    #[test]
    fn named() {
        assert_eq!(attr("&amp;&lt;&gt;&quot;&apos;&sol;"), "&<>\"'/");
        assert_eq!(
            attr("&alpha;&Amacr;&CounterClockwiseContourIntegral;"),
            "\u{3B1}\u{100}\u{2233}"
        );
        assert_eq!(attr("&acE;"), "\u{223E}\u{333}");
        assert_eq!(attr("&nosuch; & &;"), "&nosuch; & &;");
    }

    #[test]
    fn legacy_names_without_semicolon() {
        assert_eq!(text("&amp &copy2 &notit;"), "& ©2 ¬it;");
        // In attributes, followed by `=` or an alphanumeric, they stay literal.
        assert_eq!(attr("?a=1&copy=2&amp;b"), "?a=1&copy=2&b");
        assert_eq!(attr("&copy2 &notit; &amp &amp-"), "&copy2 &notit; & &-");
    }

    #[test]
    fn tables_are_sorted_for_binary_search() {
        for table in [NAMED, LEGACY] {
            assert!(
                table
                    .windows(2)
                    .all(|w| w[0].0.as_bytes() < w[1].0.as_bytes())
            );
        }
        assert_eq!(NAMED.len(), 2125);
        assert_eq!(LEGACY.len(), 106);
        assert!(NAMED.iter().all(|(n, _)| n.len() <= MAX_NAME));
    }
}
