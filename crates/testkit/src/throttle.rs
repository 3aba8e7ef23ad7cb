//! State and header formatting behind `/throttle/{k}`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// How a `Retry-After` header expresses its delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryAfterForm {
    /// Delta-seconds, e.g. `Retry-After: 3`.
    Seconds,
    /// An IMF-fixdate, e.g. `Retry-After: Sun, 06 Nov 1994 08:49:37 GMT`.
    Date,
}

impl RetryAfterForm {
    /// Parses the `form` query parameter.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        match raw {
            "secs" | "seconds" => Some(Self::Seconds),
            "date" => Some(Self::Date),
            _ => None,
        }
    }
}

/// The `Retry-After` value meaning "`secs` seconds after `now`".
///
/// `now` is a parameter so tests can pin the clock; the date form is
/// wall-clock time because that is what a client compares it against.
pub(crate) fn retry_after_value(form: RetryAfterForm, secs: u64, now: SystemTime) -> String {
    match form {
        RetryAfterForm::Seconds => secs.to_string(),
        RetryAfterForm::Date => httpdate::fmt_http_date(now + Duration::from_secs(secs)),
    }
}

/// Per-(key, k) request counters.
///
/// Keyed by k as well as key so `/throttle/2?key=a` and `/throttle/5?key=a`
/// are independent sequences, which keeps tests that reuse a key honest.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    seen: Mutex<HashMap<(String, u64), u64>>,
}

impl Throttle {
    /// Counts one request for `(key, limit)` and says whether it is still
    /// within the first `limit` requests, i.e. should be refused.
    pub(crate) fn refuse(&self, key: &str, limit: u64) -> bool {
        let mut seen = self
            .seen
            .lock()
            // One increment per critical section: a poisoned map is consistent.
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = seen.entry((key.to_owned(), limit)).or_insert(0);
        *n += 1;
        *n <= limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_k_are_refused_per_key_and_limit() {
        let t = Throttle::default();
        assert!(t.refuse("a", 2));
        assert!(t.refuse("a", 2));
        assert!(!t.refuse("a", 2));
        assert!(!t.refuse("a", 2));
        // A different key or limit starts its own sequence.
        assert!(t.refuse("b", 2));
        assert!(t.refuse("a", 3));
        assert!(!t.refuse("z", 0));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(retry_after_value(RetryAfterForm::Seconds, 7, now), "7");
        let date = retry_after_value(RetryAfterForm::Date, 60, now);
        assert_eq!(date, "Sun, 06 Nov 1994 08:50:37 GMT");
        let parsed = httpdate::parse_http_date(&date).unwrap();
        assert_eq!(parsed, now + Duration::from_secs(60));
        assert_eq!(RetryAfterForm::parse("secs"), Some(RetryAfterForm::Seconds));
        assert_eq!(RetryAfterForm::parse("date"), Some(RetryAfterForm::Date));
        assert_eq!(RetryAfterForm::parse("soon"), None);
    }
}
