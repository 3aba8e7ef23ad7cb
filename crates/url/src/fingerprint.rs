//! Request fingerprints: a fixed-size identity for "the same request", used
//! to deduplicate the frontier and stored on disk with crawl state.
//!
//! # Stability
//!
//! Fingerprints are persisted (seen sets, resumable crawls), so the function
//! below is a file format: the hash (XXH3-128 with seed 0), the byte layout
//! fed to it and the method rules must never change between versions. The
//! `golden_values` test pins known outputs; if it fails, the change breaks
//! every stored crawl and needs a migration, not a new expected value.
//!
//! The bytes hashed are:
//!
//! - `GET` and `HEAD` (any case): the URL's serialisation (`Url::as_str`);
//! - any other method: `len(M) M len(U) U len(B) B`, where `M` is the
//!   method in ASCII upper case, `U` the URL's serialisation, `B` the body
//!   (empty if absent) and each `len` a 64-bit little-endian byte count.

use std::fmt;

use url::Url;
use xxhash_rust::xxh3::{Xxh3, xxh3_128};

/// A 128-bit identity of a request.
///
/// Build it with [`fingerprint`] from a URL that has already been through
/// [`Canonicalizer::canonicalize`](crate::Canonicalizer::canonicalize); the
/// fingerprint itself does no normalisation, so two spellings of one page
/// only share a fingerprint after canonicalization.
///
/// At 128 bits, a crawl of 10^12 distinct requests has a collision
/// probability around 10^-15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(u128);

/// Fingerprints the request `method canonical_url [body]`.
///
/// For `GET` and `HEAD` only the URL counts: they name the same resource,
/// so a page fetched by either is not fetched again by the other. For every
/// other method the method and body are included, so two `POST`s to one URL
/// with different bodies are different requests. A missing body and an
/// empty body are the same request. Methods are compared and hashed in
/// ASCII upper case, so `get` is `GET`.
pub fn fingerprint(canonical: &Url, method: &str, body: Option<&[u8]>) -> Fingerprint {
    let url = canonical.as_str().as_bytes();
    if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
        return Fingerprint(xxh3_128(url));
    }
    // Length-prefix every part so that no two (method, url, body) triples
    // feed the hash the same bytes.
    let body = body.unwrap_or_default();
    let mut hasher = Xxh3::new();
    hasher.update(&len_prefix(method.len()));
    for b in method.bytes() {
        hasher.update(&[b.to_ascii_uppercase()]);
    }
    hasher.update(&len_prefix(url.len()));
    hasher.update(url);
    hasher.update(&len_prefix(body.len()));
    hasher.update(body);
    Fingerprint(hasher.digest128())
}

/// Lengths are written as 8 little-endian bytes whatever the platform.
fn len_prefix(len: usize) -> [u8; 8] {
    // usize is at most 64 bits on every target Rust supports.
    u64::try_from(len).unwrap_or(u64::MAX).to_le_bytes()
}

// ===== impl Fingerprint =====

impl Fingerprint {
    /// Wraps a raw value, e.g. one read back from storage.
    pub const fn from_u128(value: u128) -> Self {
        Self(value)
    }

    /// The raw value.
    pub const fn as_u128(self) -> u128 {
        self.0
    }

    /// The 16 bytes to store, big-endian so that byte order sorts like the
    /// number and like the hex form.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// Reads back bytes written by [`Fingerprint::to_bytes`].
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(u128::from_be_bytes(bytes))
    }
}

/// 32 lower-case hex digits.
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::LowerHex for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

impl From<Fingerprint> for u128 {
    fn from(fp: Fingerprint) -> Self {
        fp.0
    }
}

impl From<u128> for Fingerprint {
    fn from(value: u128) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn golden_values() {
        // These values are stored on disk by crawls. Never update them
        // without a migration (see the module docs). Cross-checked against
        // the reference C implementation (python-xxhash `xxh3_128`) over
        // the byte layout documented in the module docs.
        let u = url("https://example.com/a?b=c");
        assert_eq!(
            fingerprint(&u, "GET", None).to_string(),
            "a1751e38c406f519e31491e470ae4711"
        );
        assert_eq!(
            fingerprint(&u, "POST", Some(b"x=1")).to_string(),
            "b5fefa3e9830898c99ab67e5fb2bff3c"
        );
    }

    #[test]
    fn get_and_head_use_only_the_url() {
        let u = url("https://example.com/");
        let get = fingerprint(&u, "GET", None);
        assert_eq!(get, fingerprint(&u, "HEAD", None));
        assert_eq!(get, fingerprint(&u, "get", Some(b"ignored")));
        assert_eq!(get.as_u128(), xxh3_128(u.as_str().as_bytes()));
    }

    #[test]
    fn other_methods_include_method_and_body() {
        let u = url("https://example.com/form");
        let get = fingerprint(&u, "GET", None);
        let post = fingerprint(&u, "POST", None);
        assert_ne!(get, post);
        assert_ne!(post, fingerprint(&u, "PUT", None));
        assert_ne!(post, fingerprint(&u, "POST", Some(b"a=1")));
        assert_ne!(
            fingerprint(&u, "POST", Some(b"a=1")),
            fingerprint(&u, "POST", Some(b"a=2"))
        );
        assert_eq!(post, fingerprint(&u, "POST", Some(b"")));
        assert_eq!(post, fingerprint(&u, "post", None));
    }

    #[test]
    fn different_urls_differ() {
        assert_ne!(
            fingerprint(&url("https://example.com/A"), "GET", None),
            fingerprint(&url("https://example.com/a"), "GET", None)
        );
    }

    #[test]
    fn bytes_round_trip() {
        let fp = fingerprint(&url("https://example.com/"), "GET", None);
        assert_eq!(Fingerprint::from_bytes(fp.to_bytes()), fp);
        assert_eq!(Fingerprint::from_u128(u128::from(fp)), fp);
        assert_eq!(fp.to_string().len(), 32);
        assert_eq!(format!("{fp:032x}"), fp.to_string());
    }
}
