//! The one error type of ferrocrawl's library crates.

use std::fmt;
use std::time::Duration;

use url::Url;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which timeout fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Establishing the connection (TCP, TLS, proxy handshake).
    Connect,
    /// Waiting for the next bytes from the server (headers or a body chunk).
    Read,
    /// The whole request, including redirects and the body.
    Total,
}

/// Why a crawl state file (a durable frontier's database) can't be used.
///
/// The file is never modified in any of these cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateProblem {
    /// The file is not an SQLite database (a text file, random bytes).
    NotSqlite,
    /// An SQLite database, but not a ferrocrawl state file.
    Foreign,
    /// A ferrocrawl state file of a schema version this build can't read.
    Version {
        /// The file's schema version.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// A state file of a different crawl (another spider or command).
    OtherCrawl,
    /// Another running process has the file open.
    Locked,
    /// A state file of this crawl whose contents are damaged.
    Damaged,
}

/// What went wrong, in a form callers can match on.
///
/// The enum is non-exhaustive: new kinds may be added.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A URL (from a user, a link or a `Location` header) could not be used.
    InvalidUrl,
    /// A request could not be built (bad header name or value, bad method).
    InvalidRequest,
    /// A timeout fired.
    Timeout(TimeoutPhase),
    /// The connection could not be established (refused, DNS, TLS, proxy).
    Connect,
    /// The connection broke while sending the request or reading the answer.
    Transport,
    /// The body grew past the configured cap (measured after decompression).
    BodyTooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// More redirects than allowed.
    TooManyRedirects {
        /// The cap.
        limit: usize,
    },
    /// A redirect chain came back to a URL it had already visited.
    RedirectLoop,
    /// A redirect whose `Location` is missing, empty or not a URL.
    BadRedirect,
    /// A body could not be decoded (JSON, compression).
    Decode,
    /// The connection ended before the body's declared length (or its last
    /// chunk) arrived.
    TruncatedBody,
    /// The server reset the connection after it had started to answer.
    ConnectionReset,
    /// The client or a component was configured wrongly.
    Config,
    /// An I/O error outside HTTP (files, state).
    Io,
    /// The target address is off limits (private, loopback, link-local).
    Forbidden,
    /// A spider's handler failed on a response.
    Handler,
    /// A page a handler was waiting for came back with an error status (4xx,
    /// or 5xx after the retries), so nothing was extracted from it.
    HttpStatus,
    /// A crawl state file can't be used; nothing was changed in it.
    State(StateProblem),
    /// The run was stopped at once (a second Ctrl-C, a cancelled task)
    /// before it could finish or pause.
    Interrupted,
}

impl ErrorKind {
    /// A short stable name, used in summaries and JSON output (`"timeout"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::InvalidUrl => "invalid_url",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Timeout(TimeoutPhase::Connect) => "connect_timeout",
            ErrorKind::Timeout(TimeoutPhase::Read) => "read_timeout",
            ErrorKind::Timeout(TimeoutPhase::Total) => "total_timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Transport => "transport",
            ErrorKind::BodyTooLarge { .. } => "body_too_large",
            ErrorKind::TooManyRedirects { .. } => "too_many_redirects",
            ErrorKind::RedirectLoop => "redirect_loop",
            ErrorKind::BadRedirect => "bad_redirect",
            ErrorKind::Decode => "decode",
            ErrorKind::TruncatedBody => "truncated_body",
            ErrorKind::ConnectionReset => "connection_reset",
            ErrorKind::Config => "config",
            ErrorKind::Io => "io",
            ErrorKind::Forbidden => "forbidden_address",
            ErrorKind::Handler => "handler",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::State(_) => "state",
            ErrorKind::Interrupted => "interrupted",
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An error from a ferrocrawl library crate.
///
/// `Display` prints this level only; the cause is available through
/// [`std::error::Error::source`].
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    url: Option<Url>,
    source: Option<BoxError>,
}

// ===== impl Error =====

impl Error {
    /// A new error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                url: None,
                source: None,
            }),
        }
    }

    /// Attach the URL the error is about.
    pub fn with_url(mut self, url: Url) -> Error {
        self.inner.url = Some(url);
        self
    }

    /// Attach the underlying cause.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Error {
        self.inner.source = Some(source.into());
        self
    }

    /// A timeout error for `phase` after `after`.
    pub fn timeout(phase: TimeoutPhase, after: Duration) -> Error {
        let what = match phase {
            TimeoutPhase::Connect => "connecting",
            TimeoutPhase::Read => "waiting for data",
            TimeoutPhase::Total => "the whole request",
        };
        Error::new(
            ErrorKind::Timeout(phase),
            format!("timed out after {after:?} {what}"),
        )
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// The URL the error is about, if known.
    pub fn url(&self) -> Option<&Url> {
        self.inner.url.as_ref()
    }

    /// Any timeout fired.
    pub fn is_timeout(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Timeout(_))
    }

    /// The connection could not be established.
    pub fn is_connect(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::Connect | ErrorKind::Timeout(TimeoutPhase::Connect)
        )
    }

    /// The body was larger than the cap.
    pub fn is_body_too_large(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::BodyTooLarge { .. })
    }

    /// The redirect chain was too long or looped.
    pub fn is_redirect(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::TooManyRedirects { .. } | ErrorKind::RedirectLoop
        )
    }

    /// A crawl state file can't be used (see [`StateProblem`]); which problem
    /// it is is in [`Error::kind`].
    pub fn is_state(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::State(_))
    }

    /// Trying the same request again may succeed (network trouble, timeouts).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::Timeout(_)
                | ErrorKind::Connect
                | ErrorKind::Transport
                | ErrorKind::TruncatedBody
                | ErrorKind::ConnectionReset
        )
    }

    /// The message plus every cause, joined by `": "`, for one-line logs.
    pub fn display_chain(&self) -> String {
        let mut out = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            let text = cause.to_string();
            // hyper and reqwest repeat their cause in their own message now and then.
            if !out.contains(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            next = cause.source();
        }
        out
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ferrocrawl::Error");
        d.field("kind", &self.inner.kind);
        d.field("message", &self.inner.message);
        if let Some(url) = &self.inner.url {
            d.field("url", &url.as_str());
        }
        if let Some(source) = &self.inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)?;
        if let Some(url) = &self.inner.url {
            write!(f, " ({url})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|e| &**e as &(dyn std::error::Error + 'static))
    }
}

impl From<url::ParseError> for Error {
    fn from(e: url::ParseError) -> Error {
        Error::new(ErrorKind::InvalidUrl, format!("invalid URL: {e}")).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_level_and_chain_has_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = Error::new(ErrorKind::Connect, "could not connect")
            .with_url("http://127.0.0.1:9/".parse().unwrap())
            .with_source(io);
        assert_eq!(e.to_string(), "could not connect (http://127.0.0.1:9/)");
        assert_eq!(
            e.display_chain(),
            "could not connect (http://127.0.0.1:9/): refused"
        );
        assert!(e.is_connect());
        assert!(e.is_transient());
        assert!(!e.is_timeout());
    }

    #[test]
    fn timeout_names_its_phase() {
        let e = Error::timeout(TimeoutPhase::Read, Duration::from_secs(3));
        assert!(e.is_timeout());
        assert_eq!(e.kind().name(), "read_timeout");
        assert!(e.to_string().contains("3s"));
    }
}
