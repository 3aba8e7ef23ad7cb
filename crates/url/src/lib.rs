//! URL handling for ferrocrawl: canonical forms, request fingerprints, the
//! seen set, registrable domains and crawl scope. Pure and synchronous: no
//! I/O, no global state.
//!
//! - [`Canonicalizer`] rewrites a URL into one canonical spelling (scheme
//!   and host case, default port, fragment, percent-escapes; optionally
//!   sorted query and stripped tracking parameters). Path case is kept.
//! - [`fingerprint`] turns a canonical URL (plus method and body for
//!   non-`GET` requests) into a stable 128-bit [`Fingerprint`].
//! - [`SeenSet`] is an exact, compact set of fingerprints.
//! - [`registrable_domain`] gives the eTLD+1 of a host from the Public
//!   Suffix List.
//! - [`Scope`] decides whether a discovered URL is followed, and says why
//!   not with an [`OutOfScope`].
//!
//! Invalid inputs (URLs, patterns, domains, builder settings) give an
//! [`Error`] naming the input. Nothing here panics on any input.
//!
//! # Example
//!
//! ```
//! use ferrocrawl_url::{Canonicalizer, Scope, ScopeMode, SeenSet, fingerprint};
//!
//! let canon = Canonicalizer::builder().strip_tracking(true).build()?;
//! let scope = Scope::builder()
//!     .seed(canon.canonicalize_str("https://www.example.com/")?)
//!     .mode(ScopeMode::Domain)
//!     .exclude_glob("https://*.example.com/**/*.pdf")
//!     .build()?;
//! let mut seen = SeenSet::new();
//!
//! let a = canon.canonicalize_str("HTTPS://Blog.Example.com:443/%7Eann/Post?utm_source=x#top")?;
//! assert_eq!(a.as_str(), "https://blog.example.com/~ann/Post");
//! assert!(scope.check(&a).is_ok());
//! assert!(seen.insert(fingerprint(&a, "GET", None)));
//!
//! // The same page spelled differently is not new.
//! let b = canon.canonicalize_str("https://blog.example.com/~ann/Post")?;
//! assert!(!seen.insert(fingerprint(&b, "GET", None)));
//!
//! let pdf = canon.canonicalize_str("https://www.example.com/files/report.pdf")?;
//! let why = scope.check(&pdf).unwrap_err();
//! assert_eq!(
//!     why.to_string(),
//!     "URL matches exclude pattern \"https://*.example.com/**/*.pdf\""
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod canonical;
mod domain;
mod error;
mod fingerprint;
mod pattern;
mod scope;
mod seen;

pub use canonical::{
    Canonicalizer, CanonicalizerBuilder, SESSION_PARAMS, SESSION_PREFIXES, TRACKING_PARAMS,
    TRACKING_PREFIXES,
};
pub use domain::registrable_domain;
pub use error::Error;
pub use fingerprint::{Fingerprint, fingerprint};
pub use scope::{
    DEFAULT_MAX_DEPTH, DEFAULT_MAX_SEGMENT_REPEATS, DEFAULT_MAX_URL_LEN, OutOfScope, Scope,
    ScopeBuilder, ScopeMode,
};
pub use seen::SeenSet;
