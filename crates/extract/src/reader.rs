//! The tokenizer's input: a page held in memory, with a delimiter search that compiles
//! down to a few instructions per eight bytes.
//!
//! html5gum's own `StringReader` does the same job, but its search checks the delimiter
//! set with `<[u8]>::contains`, which stays a call into `memchr` for every chunk the
//! tokenizer reads: the set is a constant in each tokenizer state, yet the work of
//! preparing it is redone each time. Tokenizing through this reader made link extraction
//! about a fifth faster on the lab's pages, with byte-identical results (see
//! `docs/decisions/0012-page-reader.md`).

use std::convert::Infallible;

use html5gum::Reader;

/// A page for html5gum to read, as UTF-8 bytes.
pub struct PageReader<'a> {
    input: &'a [u8],
}

impl<'a> PageReader<'a> {
    /// Reads `page`.
    pub fn new(page: &'a str) -> Self {
        PageReader {
            input: page.as_bytes(),
        }
    }
}

impl Reader for PageReader<'_> {
    type Error = Infallible;

    #[inline(always)]
    fn read_byte(&mut self) -> Result<Option<u8>, Infallible> {
        let Some((&b, rest)) = self.input.split_first() else {
            return Ok(None);
        };
        self.input = rest;
        Ok(Some(b))
    }

    #[inline(always)]
    fn try_read_string(&mut self, s: &[u8], case_sensitive: bool) -> Result<bool, Infallible> {
        match self.input.get(..s.len()) {
            Some(next) if next == s || (!case_sensitive && next.eq_ignore_ascii_case(s)) => {
                self.input = &self.input[s.len()..];
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The next byte alone if `needle` holds it, else everything up to the first byte
    /// that `needle` holds (all the rest if none does).
    #[inline(always)]
    fn read_until<'b>(
        &'b mut self,
        needle: &[u8],
        _: &'b mut [u8; 4],
    ) -> Result<Option<&'b [u8]>, Infallible> {
        let Some(&first) = self.input.first() else {
            return Ok(None);
        };
        let end = if is_in(needle, first) {
            1
        } else {
            find(needle, self.input)
        };
        let (chunk, rest) = self.input.split_at(end);
        self.input = rest;
        Ok(Some(chunk))
    }
}

/// Whether `needle` holds `b`. A loop rather than `<[u8]>::contains`, so that it folds
/// into plain comparisons when `needle` is a constant.
#[inline(always)]
fn is_in(needle: &[u8], b: u8) -> bool {
    let mut i = 0;
    while i < needle.len() {
        if needle[i] == b {
            return true;
        }
        i += 1;
    }
    false
}

/// The index of the first byte of `haystack` that `needle` holds, or its length.
///
/// Eight bytes at a time (see [`flags`]): most chunks end within the first word, so that
/// one is tested alone, then two words at a time, then the last few bytes one by one.
#[inline(always)]
fn find(needle: &[u8], haystack: &[u8]) -> usize {
    let (words, tail) = haystack.as_chunks::<8>();
    let mut at = 0;
    let mut rest = words;
    if let Some((word, more)) = words.split_first() {
        let found = flags(needle, word);
        if found != 0 {
            return first_flagged(found);
        }
        at = 8;
        rest = more;
    }
    let mut pairs = rest.chunks_exact(2);
    for pair in &mut pairs {
        let (lo, hi) = (flags(needle, &pair[0]), flags(needle, &pair[1]));
        if lo | hi != 0 {
            return at
                + if lo != 0 {
                    first_flagged(lo)
                } else {
                    8 + first_flagged(hi)
                };
        }
        at += 16;
    }
    if let [word] = pairs.remainder() {
        let found = flags(needle, word);
        if found != 0 {
            return at + first_flagged(found);
        }
        at += 8;
    }
    at + tail
        .iter()
        .position(|&b| is_in(needle, b))
        .unwrap_or(tail.len())
}

/// Flags the bytes of `word` that `needle` may hold, in their high bits; the lowest flag
/// is exact.
///
/// For each needle byte `n`, `v = x ^ splat(n)` is zero exactly where `x` holds `n`, and
/// `(v - splat(1)) & !v & splat(0x80)` flags zero bytes. The borrow of a zero byte can
/// also flag the byte above it, never one below, so the lowest flag of the union is a
/// true match. The word is read little-endian: its lowest byte comes first in the page.
#[inline(always)]
fn flags(needle: &[u8], word: &[u8; 8]) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let x = u64::from_le_bytes(*word);
    let mut found = 0;
    let mut i = 0;
    while i < needle.len() {
        let v = x ^ (ONES * u64::from(needle[i]));
        found |= v.wrapping_sub(ONES) & !v & HIGHS;
        i += 1;
    }
    found
}

/// The byte index of the lowest flag.
#[inline(always)]
fn first_flagged(found: u64) -> usize {
    (found.trailing_zeros() / 8) as usize
}

#[cfg(test)]
mod tests {
    use html5gum::{DefaultEmitter, Token, Tokenizer};
    use proptest::prelude::*;

    use super::*;

    /// Delimiter sets like the tokenizer's (which always adds `\r`), and some that
    /// provoke the borrow in [`flags`]: adjacent byte values, NUL, bytes above 0x7f.
    const NEEDLES: &[&[u8]] = &[
        b"\r",
        b"<\r",
        b"&<\0\r",
        b"\"&\0\r",
        b"\t\n\x0c />\0\r",
        b"\t\n\x0c />=\0\"'<\r",
        b"\x00\x01",
        b"\x01\x02",
        b"\x80\xff",
        b"\x7f\x80",
    ];

    fn infallible(token: Result<Token, Infallible>) -> Token {
        match token {
            Ok(token) => token,
            Err(never) => match never {},
        }
    }

    fn naive(needle: &[u8], haystack: &[u8]) -> usize {
        haystack
            .iter()
            .position(|b| needle.contains(b))
            .unwrap_or(haystack.len())
    }

    /// Bytes drawn mostly from the needles' neighbourhoods, so that matches, near misses
    /// and borrows all happen often.
    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            prop::sample::select(b"\0\x01\x02\t\n\x0c\r \"&'/<=>\x7f\x80\xff".to_vec()),
            any::<u8>(),
            Just(b'a'),
        ];
        prop::collection::vec(byte, 0..80)
    }

    proptest! {
        #[test]
        fn find_matches_a_plain_search(haystack in bytes(), at in 0..NEEDLES.len()) {
            let needle = NEEDLES[at];
            prop_assert_eq!(find(needle, &haystack), naive(needle, &haystack));
        }

        /// Whatever the input, html5gum produces the same tokens (errors included) from
        /// this reader as from its own.
        #[test]
        fn tokens_match_html5gums_reader(parts in prop::collection::vec(prop::sample::select(&[
            "<a href=\"x&amp;y\">", "<A HREF='Z'>", "<p class=c>", "</a>", "<br/>", "text ",
            "&lt;", "&notit;", "&#x41;", "<!-- c -->", "<!--", "-->", "<script>", "</script>",
            "<title>", "</title>", "<![CDATA[", "]]>", "<!DOCTYPE html>", "\r\n", "\r",
            "\0", "é", "<", ">", "=", "\"", "'", "  ", "<svg>", "<textarea>", "</textarea>",
        ][..]), 0..40)) {
            let page = parts.concat();
            let theirs: Vec<Token> = Tokenizer::new(page.as_str()).map(infallible).collect();
            let ours: Vec<Token> =
                Tokenizer::new_with_emitter(PageReader::new(&page), DefaultEmitter::<()>::default())
                    .map(infallible)
                    .collect();
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn finds_matches_at_every_offset_around_the_word_edges() {
        for len in 0..40 {
            for at in 0..len {
                let mut haystack = vec![b'a'; len];
                haystack[at] = b'<';
                assert_eq!(find(b"<\r", &haystack), at, "len {len}, at {at}");
            }
            assert_eq!(find(b"<\r", &vec![b'a'; len]), len);
        }
    }

    #[test]
    fn read_until_returns_a_needle_byte_alone() {
        let mut reader = PageReader::new("ab<<c");
        let mut buf = [0; 4];
        let mut chunks = Vec::new();
        while let Ok(Some(chunk)) = reader.read_until(b"<\r", &mut buf) {
            chunks.push(chunk.to_vec());
        }
        assert_eq!(chunks, [&b"ab"[..], b"<", b"<", b"c"]);
    }
}
