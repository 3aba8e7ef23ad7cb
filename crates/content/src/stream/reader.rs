//! The tokenizer's input: a copy of `ferrocrawl-extract`'s `PageReader` (its
//! `reader.rs`, decision 0012), a page in memory with a delimiter search that
//! compiles down to a few instructions per eight bytes. Copied for the spike;
//! a shared crate would hold one copy.

use std::convert::Infallible;

use html5gum::Reader;

/// A page for html5gum to read, as UTF-8 bytes.
pub(crate) struct PageReader<'a> {
    input: &'a [u8],
}

impl<'a> PageReader<'a> {
    pub(crate) fn new(page: &'a str) -> Self {
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
