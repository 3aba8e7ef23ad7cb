//! Where a host's robots.txt lives.

use url::Url;

/// The robots.txt URL for `page`: `scheme://host[:port]/robots.txt`.
///
/// Credentials, query and fragment are dropped; the port stays (RFC 9309
/// §2.3: the file applies to one scheme, host and port). `None` for URLs
/// that are not http(s) or have no host.
///
/// ```
/// use ferrocrawl_robots::robots_url;
/// use url::Url;
///
/// let page = Url::parse("https://user:pw@example.com:8443/a/b?c#d").unwrap();
/// assert_eq!(robots_url(&page).unwrap().as_str(), "https://example.com:8443/robots.txt");
/// ```
pub fn robots_url(page: &Url) -> Option<Url> {
    robotxt::robots_url(page).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn robots(page: &str) -> Option<String> {
        robots_url(&Url::parse(page).unwrap()).map(String::from)
    }

    #[test]
    fn http_and_https_keep_scheme_host_and_port() {
        assert_eq!(
            robots("http://example.com/a/b").as_deref(),
            Some("http://example.com/robots.txt")
        );
        assert_eq!(
            robots("https://Example.COM/").as_deref(),
            Some("https://example.com/robots.txt")
        );
        assert_eq!(
            robots("http://example.com:8080/x?y").as_deref(),
            Some("http://example.com:8080/robots.txt")
        );
        assert_eq!(
            robots("https://example.com:443/x").as_deref(),
            Some("https://example.com/robots.txt")
        );
        assert_eq!(
            robots("https://[::1]:3000/x#f").as_deref(),
            Some("https://[::1]:3000/robots.txt")
        );
        assert_eq!(
            robots("http://127.0.0.1:80/").as_deref(),
            Some("http://127.0.0.1/robots.txt")
        );
    }

    #[test]
    fn credentials_are_dropped() {
        assert_eq!(
            robots("https://u:p@example.com/").as_deref(),
            Some("https://example.com/robots.txt")
        );
    }

    #[test]
    fn other_schemes_have_none() {
        for page in [
            "ftp://example.com/x",
            "mailto:a@b.c",
            "file:///etc/passwd",
            "data:text/plain,hi",
        ] {
            assert_eq!(robots(page), None, "{page}");
        }
    }
}
