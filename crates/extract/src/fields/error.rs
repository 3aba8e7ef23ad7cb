//! The error for an expression that does not compile.

use std::fmt;

/// An expression (CSS selector, JSONPath, regex or XPath) that could not be compiled.
///
/// These come from users' spider files, so `Display` names the language, quotes the
/// expression and says what is wrong, e.g. ``invalid CSS selector `h1[`: ...``.
pub struct FieldError {
    inner: Box<Inner>,
}

struct Inner {
    language: Language,
    expression: String,
    kind: Kind,
}

/// Which expression language the failing expression was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    Css,
    JsonPath,
    Regex,
    #[cfg(feature = "xpath")]
    XPath,
}

/// What is wrong with the expression, as a message for the user: the parsers' own error
/// types are turned into text when the expression is compiled, because some of them
/// (scraper's) print internal debugging text or borrow from the expression.
#[derive(Debug)]
pub(crate) enum Kind {
    Empty,
    Message(String),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Empty => f.write_str("the expression is empty"),
            Kind::Message(m) => f.write_str(m),
        }
    }
}

// ===== impl FieldError =====

impl FieldError {
    pub(crate) fn new(language: Language, expression: &str, kind: Kind) -> Self {
        FieldError {
            inner: Box::new(Inner {
                language,
                expression: expression.to_owned(),
                kind,
            }),
        }
    }

    /// The expression as the user wrote it.
    pub fn expression(&self) -> &str {
        &self.inner.expression
    }

    /// The expression was meant as a CSS selector.
    pub fn is_css(&self) -> bool {
        self.inner.language == Language::Css
    }

    /// The expression was meant as a JSONPath query.
    pub fn is_jsonpath(&self) -> bool {
        self.inner.language == Language::JsonPath
    }

    /// The expression was meant as a regular expression.
    pub fn is_regex(&self) -> bool {
        self.inner.language == Language::Regex
    }

    /// The expression was meant as an XPath expression.
    #[cfg(feature = "xpath")]
    pub fn is_xpath(&self) -> bool {
        self.inner.language == Language::XPath
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let language = match self.inner.language {
            Language::Css => "CSS selector",
            Language::JsonPath => "JSONPath",
            Language::Regex => "regex",
            #[cfg(feature = "xpath")]
            Language::XPath => "XPath",
        };
        write!(
            f,
            "invalid {language} `{}`: {}",
            self.inner.expression, self.inner.kind
        )
    }
}

impl fmt::Debug for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldError")
            .field("language", &self.inner.language)
            .field("expression", &self.inner.expression)
            .field("kind", &self.inner.kind)
            .finish()
    }
}

// No `source()`: `Display` already carries the parser's message, and repeating it as a
// cause would print it twice in an error chain.
impl std::error::Error for FieldError {}
