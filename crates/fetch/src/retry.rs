//! [`RetryPolicy`]: whether, and when, to try a request again.

use std::time::{Duration, SystemTime};

use ferrocrawl_core::{Error, Request, Response, RetryReason};
use http::HeaderMap;
use http::header::RETRY_AFTER;

/// When to retry. Decisions are pure: the caller does the waiting, with no
/// connection slot held.
///
/// - Throttling, meaning 429 or 503 with `Retry-After`, waits as long as the
///   server asks (or a backoff when it doesn't say) and does not use the retry
///   budget; it is bounded by `max_throttled` and `max_retry_after` instead.
/// - Other temporary failures (the statuses in `retry_statuses`, timeouts,
///   refused or reset connections) use the budget, `max_retries`, and wait an
///   exponential backoff with jitter, or `Retry-After` when the server sent one.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries allowed per request for temporary failures. Default 2.
    pub max_retries: u32,
    /// Throttled answers tolerated per request before giving up. Default 10.
    pub max_throttled: u32,
    /// First backoff; each retry doubles it. Default 500 ms.
    pub base_delay: Duration,
    /// Largest backoff. Default 60 s.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured. A server asking for more is not
    /// retried: its answer is final. Default 5 min.
    pub max_retry_after: Duration,
    /// Statuses worth retrying. Default 408, 500, 502, 503, 504, 522, 524.
    pub retry_statuses: Vec<u16>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            max_throttled: 10,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
            retry_statuses: vec![408, 500, 502, 503, 504, 522, 524],
        }
    }
}

// ===== impl RetryPolicy =====

impl RetryPolicy {
    /// No retries at all (throttling included).
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_retries: 0,
            max_throttled: 0,
            ..RetryPolicy::default()
        }
    }

    /// Decide about an attempt of `request` (whose `retries` and `attempts`
    /// count the attempts before this one). `None` means the result is final.
    pub fn decide(
        &self,
        request: &Request,
        result: Result<&Response, &Error>,
        now: SystemTime,
    ) -> Option<(Duration, RetryReason)> {
        let throttled_so_far = request.attempts.saturating_sub(request.retries);
        match result {
            Ok(resp) => {
                let status = resp.status.as_u16();
                let asked = parse_retry_after(&resp.headers, now);
                let throttled = status == 429 || (status == 503 && asked.is_some());
                if throttled {
                    if throttled_so_far >= self.max_throttled {
                        return None;
                    }
                    let after = asked.unwrap_or_else(|| self.backoff(throttled_so_far));
                    return (after <= self.max_retry_after)
                        .then_some((after, RetryReason::Throttled { status }));
                }
                if self.retry_statuses.contains(&status) && request.retries < self.max_retries {
                    let after = asked.unwrap_or_else(|| self.backoff(request.retries));
                    return (after <= self.max_retry_after)
                        .then_some((after, RetryReason::Status(status)));
                }
                None
            }
            Err(e) if e.is_transient() && request.retries < self.max_retries => Some((
                self.backoff(request.retries),
                RetryReason::Error(e.kind().name().to_owned()),
            )),
            Err(_) => None,
        }
    }

    /// The wait before retry number `n + 1`: `base * 2^n`, capped at
    /// `max_delay`, then a random point in its upper half. The jitter keeps
    /// many clients that failed together from retrying together.
    pub fn backoff(&self, n: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(n.min(30)).unwrap_or(u32::MAX));
        let capped = exp.min(self.max_delay);
        capped.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

/// The `Retry-After` header as a wait from `now`: delta-seconds or an
/// HTTP-date (RFC 9110 §10.2.3). A date in the past means "now". Unparsable
/// values are ignored.
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocrawl_core::{ErrorKind, TimeoutPhase};
    use http::StatusCode;

    fn resp(status: u16, retry_after: Option<&str>) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(v) = retry_after {
            headers.insert(RETRY_AFTER, v.parse().unwrap());
        }
        let url: url::Url = "http://h/".parse().unwrap();
        Response::new(
            Request::get(url.clone()),
            StatusCode::from_u16(status).unwrap(),
            headers,
            url,
            Default::default(),
        )
    }

    fn req(retries: u32, attempts: u32) -> Request {
        let mut r = Request::get("http://h/".parse().unwrap());
        r.retries = retries;
        r.attempts = attempts;
        r
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "120".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(120)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(90));
        h.insert(RETRY_AFTER, date.parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(90)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        h.insert(RETRY_AFTER, past.parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), None);
    }

    #[test]
    fn throttling_does_not_use_the_budget() {
        let p = RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        };
        let now = SystemTime::now();
        let r = resp(429, Some("7"));
        let (after, reason) = p.decide(&req(0, 3), Ok(&r), now).unwrap();
        assert_eq!(after, Duration::from_secs(7));
        assert!(!reason.uses_budget());
        // 503 with Retry-After is throttling; without it, an ordinary retry.
        let r = resp(503, Some("1"));
        assert!(p.decide(&req(0, 0), Ok(&r), now).is_some());
        let r = resp(503, None);
        assert!(p.decide(&req(0, 0), Ok(&r), now).is_none());
    }

    #[test]
    fn throttling_is_bounded() {
        let p = RetryPolicy::default();
        let now = SystemTime::now();
        let r = resp(429, Some("1"));
        assert!(p.decide(&req(0, 10), Ok(&r), now).is_none());
        let r = resp(429, Some("3600"));
        assert!(p.decide(&req(0, 0), Ok(&r), now).is_none());
    }

    #[test]
    fn budget_applies_to_statuses_and_errors() {
        let p = RetryPolicy::default();
        let now = SystemTime::now();
        let r = resp(502, None);
        assert!(p.decide(&req(1, 1), Ok(&r), now).is_some());
        assert!(p.decide(&req(2, 2), Ok(&r), now).is_none());
        let e = Error::timeout(TimeoutPhase::Read, Duration::from_secs(1));
        assert!(p.decide(&req(0, 0), Err(&e), now).is_some());
        let e = Error::new(ErrorKind::BodyTooLarge { limit: 1 }, "big");
        assert!(p.decide(&req(0, 0), Err(&e), now).is_none());
        let r = resp(404, None);
        assert!(p.decide(&req(0, 0), Ok(&r), now).is_none());
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let p = RetryPolicy::default();
        for n in 0..40 {
            let d = p.backoff(n);
            let full = p.base_delay.saturating_mul(1 << n.min(30)).min(p.max_delay);
            assert!(d >= full / 2 && d <= full, "n={n} d={d:?}");
        }
    }
}
