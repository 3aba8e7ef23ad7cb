//! Include and exclude patterns of a [`Scope`](crate::Scope): regexes (the
//! `regex` crate) and globs (the `globset` crate), matched against the full
//! URL string.
//!
//! Both use ASCII semantics. A serialised URL is always ASCII (the parser
//! percent-encodes everything else), so Unicode classes would buy nothing
//! but compile time, and a non-ASCII character in a pattern could never
//! match: it is rejected with a hint instead.

use globset::{GlobBuilder, GlobMatcher};
use regex::bytes::{Regex, RegexBuilder};

use crate::Error;

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    /// The pattern as the user wrote it, for messages.
    pub(crate) source: String,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    Regex(Regex),
    Glob(GlobMatcher),
}

/// A pattern as the builder received it; compiled only by `build()` so
/// that setters never fail.
#[derive(Debug, Clone)]
pub(crate) enum PatternSpec {
    /// A regex, matched anywhere in the URL.
    Regex(String),
    /// A glob, matched against the whole URL.
    Glob(String),
}

// ===== impl Pattern =====

pub(crate) fn compile_all(specs: &[PatternSpec]) -> Result<Vec<Pattern>, Error> {
    specs.iter().map(Pattern::compile).collect()
}

impl Pattern {
    fn compile(spec: &PatternSpec) -> Result<Self, Error> {
        // A URL string is ASCII (the parser percent-encodes everything
        // else), so a non-ASCII pattern character could never match: say so
        // instead of silently matching nothing.
        const NON_ASCII: &str = "URLs are matched in their ASCII form; \
                                 percent-encode non-ASCII characters (é is %C3%A9)";
        match spec {
            PatternSpec::Regex(source) if !source.is_ascii() => {
                Err(Error::regex(source, NON_ASCII))
            }
            PatternSpec::Glob(source) if !source.is_ascii() => Err(Error::glob(source, NON_ASCII)),
            PatternSpec::Regex(source) => {
                // ASCII semantics (see the module docs); it also spares
                // the regex crate's Unicode tables.
                let regex = RegexBuilder::new(source)
                    .unicode(false)
                    .build()
                    .map_err(|e| Error::regex(source, e))?;
                Ok(Self {
                    source: source.clone(),
                    matcher: Matcher::Regex(regex),
                })
            }
            PatternSpec::Glob(source) => {
                let glob = GlobBuilder::new(source)
                    .literal_separator(true)
                    // Explicit: the platform default differs on Windows.
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| Error::glob(source, e.kind()))?;
                Ok(Self {
                    source: source.clone(),
                    matcher: Matcher::Glob(glob.compile_matcher()),
                })
            }
        }
    }

    pub(crate) fn is_match(&self, url: &str) -> bool {
        match &self.matcher {
            Matcher::Regex(re) => re.is_match(url.as_bytes()),
            Matcher::Glob(glob) => glob.is_match(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Scope, ScopeMode};

    #[test]
    fn invalid_patterns_name_the_pattern() {
        let e = Scope::builder()
            .mode(ScopeMode::Any)
            .include_regex("a(")
            .build()
            .unwrap_err();
        assert!(e.is_pattern());
        assert_eq!(e.input(), "a(");
        assert!(
            e.to_string().starts_with("invalid regex pattern \"a(\": "),
            "{e}"
        );
        assert!(e.to_string().contains("unclosed group"), "{e}");

        let e = Scope::builder()
            .mode(ScopeMode::Any)
            .exclude_glob("https://h/[a-")
            .build()
            .unwrap_err();
        assert!(e.is_pattern());
        assert_eq!(
            e.to_string(),
            "invalid glob pattern \"https://h/[a-\": unclosed character class; missing ']'"
        );
        // Non-ASCII characters cannot occur in a URL string.
        let e = Scope::builder()
            .mode(ScopeMode::Any)
            .include_regex("/café")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("percent-encode"), "{e}");
        assert!(
            Scope::builder()
                .mode(ScopeMode::Any)
                .exclude_glob("*é*")
                .build()
                .is_err()
        );
    }

    fn matches(spec: PatternSpec, url: &str) -> bool {
        compile_all(&[spec]).unwrap()[0].is_match(url)
    }

    #[test]
    fn glob_star_stays_in_a_segment_and_double_star_crosses() {
        let g = |p: &str| PatternSpec::Glob(p.to_owned());
        assert!(matches(g("https://h/*"), "https://h/a"));
        assert!(!matches(g("https://h/*"), "https://h/a/b"));
        assert!(matches(g("https://h/**"), "https://h/a/b"));
        assert!(matches(g("https://*.h/x"), "https://www.h/x"));
        // Globs match the whole URL, not a part of it.
        assert!(!matches(g("/x"), "https://h/x"));
        // `?` is a wildcard; `[?]` a literal query mark.
        assert!(matches(g("https://h/p[?]id=*"), "https://h/p?id=3"));
        assert!(!matches(g("https://h/p[?]id=*"), "https://h/p/id=3"));
        assert!(matches(g(r"https://h/\*"), "https://h/*"));
        assert!(!matches(g(r"https://h/\*"), "https://h/a"));
    }

    #[test]
    fn regex_is_unanchored_and_ascii() {
        let r = |p: &str| PatternSpec::Regex(p.to_owned());
        assert!(matches(r("/x"), "https://h/x/y"));
        assert!(!matches(r("^/x"), "https://h/x/y"));
        assert!(matches(r(r"(?i)\.PDF$"), "https://h/a.pdf"));
        assert!(matches(r(r"^https://h/\w+$"), "https://h/a_1"));
        assert!(!matches(r(r"^https://h/\w+$"), "https://h/a%C3%A9"));
        assert!(matches(r("/caf%C3%A9"), "https://h/caf%C3%A9"));
    }
}
