//! What a robots.txt fetch result means for the crawl (RFC 9309 §2.3.1).

use crate::Robots;

/// The outcome of fetching a robots.txt, after the HTTP client has followed
/// redirects (RFC 9309 §2.3.1.2: at least five hops).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FetchResult<'a> {
    /// The server answered: the final status and body.
    Status(u16, &'a [u8]),
    /// No answer: DNS, connection, TLS or timeout error.
    Unreachable,
}

/// How long the caller may trust the rules [`from_fetch`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Availability {
    /// The file was fetched and parsed: cache it for long (RFC 9309 §2.4
    /// says no more than 24 hours unless the server says otherwise).
    Fetched,
    /// There is no file (4xx, or redirects not followed): everything is
    /// allowed, and that answer can be cached like a fetched file.
    NotFound,
    /// The server failed (5xx, 429) or was unreachable: everything is
    /// disallowed *for now*; ask again soon.
    TemporarilyUnavailable,
}

/// The rules for a robots.txt fetch result, and how long they hold.
///
/// | result | rules | availability |
/// | --- | --- | --- |
/// | 2xx | the body, parsed | `Fetched` |
/// | 3xx (redirects not followed, e.g. more than 5 hops) | allow all | `NotFound` |
/// | 4xx but 429 (404, 401, 403, 410, ...) | allow all | `NotFound` |
/// | 429 Too Many Requests | disallow all | `TemporarilyUnavailable` |
/// | 5xx, unreachable, or a status outside 200-599 | disallow all | `TemporarilyUnavailable` |
///
/// 429 is a 4xx, which RFC 9309 would read as "no file, crawl everything";
/// but a server that is rate-limiting us is asking us to slow down, not to
/// crawl freely, so we treat it like a 5xx (as Google does).
///
/// ```
/// use ferrocrawl_robots::{Availability, FetchResult, from_fetch};
///
/// let (_, availability) = from_fetch(FetchResult::Status(404, b""), "ferrocrawl");
/// assert_eq!(availability, Availability::NotFound);
/// ```
pub fn from_fetch(result: FetchResult<'_>, user_agent: &str) -> (Robots, Availability) {
    match result {
        FetchResult::Status(200..=299, body) => {
            (Robots::parse(body, user_agent), Availability::Fetched)
        }
        FetchResult::Status(429, _) => unavailable(),
        FetchResult::Status(300..=499, _) => (Robots::allow_all(), Availability::NotFound),
        FetchResult::Status(..) | FetchResult::Unreachable => unavailable(),
    }
}

fn unavailable() -> (Robots, Availability) {
    (Robots::disallow_all(), Availability::TemporarilyUnavailable)
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;

    fn check(result: FetchResult<'_>) -> (bool, Availability) {
        let (robots, availability) = from_fetch(result, "ferrocrawl");
        let page = Url::parse("https://example.com/page").unwrap();
        (robots.is_allowed(&page), availability)
    }

    #[test]
    fn success_parses_the_body() {
        let body = b"User-agent: *\nDisallow: /page";
        assert_eq!(
            check(FetchResult::Status(200, body)),
            (false, Availability::Fetched)
        );
        assert_eq!(
            check(FetchResult::Status(203, b"")),
            (true, Availability::Fetched)
        );
    }

    #[test]
    fn client_errors_allow_all() {
        for status in [400, 401, 403, 404, 410, 451, 499] {
            let body = b"User-agent: *\nDisallow: /";
            assert_eq!(
                check(FetchResult::Status(status, body)),
                (true, Availability::NotFound)
            );
        }
    }

    #[test]
    fn unfollowed_redirects_allow_all() {
        assert_eq!(
            check(FetchResult::Status(301, b"")),
            (true, Availability::NotFound)
        );
        assert_eq!(
            check(FetchResult::Status(308, b"")),
            (true, Availability::NotFound)
        );
    }

    #[test]
    fn server_errors_and_unreachable_disallow_for_now() {
        let later = (false, Availability::TemporarilyUnavailable);
        for status in [500, 502, 503, 504, 599, 429, 100, 0, 600, 999] {
            assert_eq!(check(FetchResult::Status(status, b"")), later, "{status}");
        }
        assert_eq!(check(FetchResult::Unreachable), later);
    }
}
