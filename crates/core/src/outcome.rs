//! [`Outcome`]: what happens next to a request, as data rather than errors.

use std::time::Duration;

use crate::error::Error;
use crate::request::Request;

/// Why a request will be tried again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryReason {
    /// The server asked us to slow down (429, or 503 with `Retry-After`).
    /// Does not use up the retry budget.
    Throttled {
        /// The status that asked.
        status: u16,
    },
    /// A status that is usually temporary (500, 502, 503, 504, 408, …).
    Status(u16),
    /// A transient network error (timeout, connection refused or reset).
    Error(String),
}

impl RetryReason {
    /// Whether this retry counts against the retry budget.
    pub fn uses_budget(&self) -> bool {
        !matches!(self, RetryReason::Throttled { .. })
    }
}

/// What happens next to a request once an attempt has ended.
#[derive(Debug)]
pub enum Outcome {
    /// Finished; nothing more to do.
    Done,
    /// Try the same request again, no earlier than `after` from now.
    Retry {
        /// How long to wait first.
        after: Duration,
        /// Why.
        reason: RetryReason,
    },
    /// Replace the request with another one (for example a followed redirect).
    Reschedule(Box<Request>),
    /// Give up on purpose (out of scope, disallowed, filtered).
    Drop {
        /// Why, for the log and the failures sink.
        reason: String,
    },
    /// Give up: the request failed for good. The crawl goes on.
    Fail {
        /// What went wrong.
        error: Error,
    },
    /// Stop the whole crawl.
    Fatal {
        /// What went wrong.
        error: Error,
    },
}
