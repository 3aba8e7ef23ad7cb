//! The crate's one error type.
//!
//! Everything that can fail here fails because of an input the caller gave:
//! a URL string that does not parse, a pattern or domain handed to a builder
//! that does not compile. The error therefore always names that input.

use std::fmt;

/// An invalid URL, pattern, domain or builder setting.
///
/// The type is opaque so that new cases can be added without breaking
/// callers; ask it questions with the `is_*` predicates and [`Error::input`].
///
/// `Display` prints one self-contained line (regex syntax errors add the
/// regex crate's caret diagram below it): the offending input and what is
/// wrong with it. The underlying problem is folded into that message, so
/// [`std::error::Error::source`] is `None` and a report that walks the chain
/// does not print the problem twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: Kind,
}

/// What went wrong; private so variants can change freely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Kind {
    #[error("invalid URL {}: {problem}", Quoted(input))]
    Url { input: String, problem: String },
    #[error("invalid regex pattern {}: {problem}", Quoted(input))]
    Regex { input: String, problem: String },
    #[error("invalid glob pattern {}: {problem}", Quoted(input))]
    Glob { input: String, problem: String },
    #[error("invalid domain {}: {problem}", Quoted(input))]
    Domain { input: String, problem: String },
    #[error("invalid setting {}: {problem}", Quoted(input))]
    Setting { input: String, problem: String },
}

// ===== impl Error =====

impl Error {
    pub(crate) fn url(input: &str, problem: impl fmt::Display) -> Self {
        Self::new(Kind::Url {
            input: input.to_owned(),
            problem: problem.to_string(),
        })
    }

    pub(crate) fn regex(input: &str, problem: impl fmt::Display) -> Self {
        Self::new(Kind::Regex {
            input: input.to_owned(),
            problem: problem.to_string(),
        })
    }

    pub(crate) fn glob(input: &str, problem: impl fmt::Display) -> Self {
        Self::new(Kind::Glob {
            input: input.to_owned(),
            problem: problem.to_string(),
        })
    }

    pub(crate) fn domain(input: &str, problem: impl fmt::Display) -> Self {
        Self::new(Kind::Domain {
            input: input.to_owned(),
            problem: problem.to_string(),
        })
    }

    /// A builder setting that cannot work, e.g. an empty parameter prefix
    /// that would strip every query parameter. `input` names the setting.
    pub(crate) fn setting(input: &str, problem: impl fmt::Display) -> Self {
        Self::new(Kind::Setting {
            input: input.to_owned(),
            problem: problem.to_string(),
        })
    }

    fn new(kind: Kind) -> Self {
        Self { kind }
    }

    /// The input that was rejected: the URL string, pattern, domain or the
    /// name of the builder setting.
    pub fn input(&self) -> &str {
        match &self.kind {
            Kind::Url { input, .. }
            | Kind::Regex { input, .. }
            | Kind::Glob { input, .. }
            | Kind::Domain { input, .. }
            | Kind::Setting { input, .. } => input,
        }
    }

    /// True if a URL string did not parse.
    pub fn is_url(&self) -> bool {
        matches!(self.kind, Kind::Url { .. })
    }

    /// True if an include or exclude pattern (regex or glob) did not compile.
    pub fn is_pattern(&self) -> bool {
        matches!(self.kind, Kind::Regex { .. } | Kind::Glob { .. })
    }

    /// True if a domain given to a scope did not parse as a host name.
    pub fn is_domain(&self) -> bool {
        matches!(self.kind, Kind::Domain { .. })
    }

    /// True if a builder was given settings that cannot work together
    /// (for example a host-scoped crawl without any seed).
    pub fn is_setting(&self) -> bool {
        matches!(self.kind, Kind::Setting { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for Error {}

/// Prints an input in quotes, cut to a readable length: crawled URLs can be
/// megabytes long and an error message ends up in a log line.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 200;
        if self.0.len() <= MAX {
            return write!(f, "{:?}", self.0);
        }
        let mut end = MAX;
        // Cut on a char boundary; `is_char_boundary(0)` is always true, so
        // the loop ends.
        while !self.0.is_char_boundary(end) {
            end -= 1;
        }
        write!(f, "{:?}… ({} bytes)", &self.0[..end], self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_input_and_problem() {
        let e = Error::glob("a[", "unclosed character class");
        assert_eq!(
            e.to_string(),
            r#"invalid glob pattern "a[": unclosed character class"#
        );
        assert!(e.is_pattern());
        assert_eq!(e.input(), "a[");
        assert!(std::error::Error::source(&e).is_none());
    }

    #[test]
    fn long_inputs_are_cut_on_a_char_boundary() {
        let input = "é".repeat(300);
        let msg = Error::url(&input, "too long").to_string();
        assert!(msg.len() < 300, "{msg}");
        assert!(msg.contains("(600 bytes)"), "{msg}");
        assert_eq!(Error::url(&input, "x").input(), input);
    }

    #[test]
    fn predicates_match_kinds() {
        assert!(Error::url("x", "y").is_url());
        assert!(Error::regex("x", "y").is_pattern());
        assert!(Error::domain("x", "y").is_domain());
        assert!(Error::setting("x", "y").is_setting());
        assert!(!Error::setting("x", "y").is_url());
    }
}
