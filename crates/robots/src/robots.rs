//! The rules of one host's robots.txt, as they apply to our agent.

use std::sync::Arc;
use std::time::Duration;

use url::{Position, Url};

use crate::agent::product_token;
use crate::body;

/// The longest `Crawl-delay` we believe: anything longer is a typo or a
/// way of saying "go away", which is what `Disallow` is for.
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Parsed robots.txt rules for one user agent.
///
/// Parsing happens once; [`is_allowed`](Self::is_allowed) then only walks
/// the rules of our group, longest first. Cloning is cheap (an `Arc`), so
/// a cache can hand out copies freely.
///
/// ```
/// use ferrocrawl_robots::Robots;
/// use url::Url;
///
/// let robots = Robots::parse(b"User-agent: *\nDisallow: /private\n", "ferrocrawl/0.1");
/// assert!(!robots.is_allowed(&Url::parse("https://example.com/private/x").unwrap()));
/// assert!(robots.is_allowed(&Url::parse("https://example.com/public").unwrap()));
/// ```
#[derive(Clone, Debug)]
pub struct Robots {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    rules: robotxt::Robots,
    /// robotxt's sitemaps, less those we could not fetch (not http(s)).
    sitemaps: Vec<Url>,
    /// What the rules were made from, so they can be stored and rebuilt.
    source: Source,
}

/// The owned form of [`RobotsSource`].
#[derive(Debug)]
enum Source {
    Parsed {
        body: Box<[u8]>,
        user_agent: Box<str>,
    },
    AllowAll,
    DisallowAll,
}

/// What a [`Robots`] was made from: enough to store it (a durable frontier
/// keeps its robots.txt cache on disk) and rebuild the same rules later.
///
/// ```
/// use ferrocrawl_robots::{Robots, RobotsSource};
///
/// let robots = Robots::parse(b"User-agent: *\nDisallow: /x\n", "ferrocrawl");
/// let RobotsSource::Parsed { body, user_agent } = robots.source() else { unreachable!() };
/// let again = Robots::parse(body, user_agent);
/// # let _ = again;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RobotsSource<'a> {
    /// Made by [`Robots::parse`]; parse these again for the same rules.
    Parsed {
        /// The body as given, cut to [`MAX_BODY`](crate::MAX_BODY) (the part
        /// that is read).
        body: &'a [u8],
        /// The user agent given.
        user_agent: &'a str,
    },
    /// Made by [`Robots::allow_all`].
    AllowAll,
    /// Made by [`Robots::disallow_all`].
    DisallowAll,
}

// ===== impl Robots =====

impl Robots {
    /// Parses a robots.txt body for `user_agent`.
    ///
    /// `user_agent` may be a product token (`"ferrocrawl"`) or a whole
    /// `User-Agent` header (`"ferrocrawl/0.1 (+url)"`): only its
    /// [product token](crate::product_token) is matched, case-insensitively.
    /// The body may be any bytes; invalid UTF-8 is tolerated, and only the
    /// first [`MAX_BODY`](crate::MAX_BODY) bytes (500 KiB) are read.
    pub fn parse(body: &[u8], user_agent: &str) -> Robots {
        let prepared = body::prepare(body);
        let rules = robotxt::Robots::parse(&prepared, product_token(user_agent));
        let source = Source::Parsed {
            body: body::cap(body).into(),
            user_agent: user_agent.into(),
        };
        Self::from_rules(rules, source)
    }

    /// Rules that allow every URL (no robots.txt, or a 4xx for it).
    pub fn allow_all() -> Robots {
        Self::from_rules(robotxt::Robots::allow_all(), Source::AllowAll)
    }

    /// Rules that disallow every URL but `/robots.txt` itself (a 5xx for
    /// robots.txt, or the host unreachable).
    pub fn disallow_all() -> Robots {
        Self::from_rules(robotxt::Robots::disallow_all(), Source::DisallowAll)
    }

    fn from_rules(rules: robotxt::Robots, source: Source) -> Robots {
        let sitemaps = rules
            .sitemaps()
            .iter()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .cloned()
            .collect();
        Robots {
            inner: Arc::new(Inner {
                rules,
                sitemaps,
                source,
            }),
        }
    }

    /// What these rules were made from; the same constructor given the same
    /// input rebuilds the same rules.
    pub fn source(&self) -> RobotsSource<'_> {
        match &self.inner.source {
            Source::Parsed { body, user_agent } => RobotsSource::Parsed { body, user_agent },
            Source::AllowAll => RobotsSource::AllowAll,
            Source::DisallowAll => RobotsSource::DisallowAll,
        }
    }

    /// Whether our agent may fetch `url`.
    ///
    /// Only the path and query are matched (the fragment is not sent to
    /// servers, the host is the one the rules came from). `url::Url` has
    /// already percent-encoded them. Escapes of unreserved characters match
    /// only themselves, as in Google's matcher (`%62` in a rule matches
    /// `%62` in a URL, not `b`); other escapes are compared with their hex
    /// digits in upper case. `/robots.txt` is always allowed.
    pub fn is_allowed(&self, url: &Url) -> bool {
        let path = crate::body::literal_path(&url[Position::BeforePath..Position::AfterQuery]);
        self.inner.rules.is_allowed(&path)
    }

    /// The `Crawl-delay` of our group (or of `*` if no group names us).
    ///
    /// If the group gives several, the shortest wins. Values that are not
    /// a number of seconds, negative, or longer than a day are ignored.
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.inner
            .rules
            .crawl_delay()
            .filter(|d| *d <= MAX_CRAWL_DELAY)
    }

    /// The `Sitemap:` URLs of the file, in order, whatever their group.
    ///
    /// Relative and non-http(s) values are skipped: `parse` does not know
    /// the robots.txt URL to resolve them against.
    pub fn sitemaps(&self) -> &[Url] {
        &self.inner.sitemaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn delay(body: &str) -> Option<Duration> {
        Robots::parse(body.as_bytes(), "ferrocrawl").crawl_delay()
    }

    /// Issue 16: `Allow: /foo/bar/%62%61%7A` allowed `/foo/bar/baz` too
    /// (robotxt decodes such escapes); Google's matcher compares them as
    /// written, and so do we now.
    #[test]
    fn escapes_of_unreserved_characters_match_only_themselves() {
        let allow_escaped = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%62%61%7A\n";
        let r = Robots::parse(allow_escaped.as_bytes(), "FooBot");
        assert!(r.is_allowed(&url("http://foo.bar/foo/bar/%62%61%7A")));
        assert!(
            r.is_allowed(&url("http://foo.bar/foo/bar/%62%61%7a")),
            "hex case aside"
        );
        assert!(!r.is_allowed(&url("http://foo.bar/foo/bar/baz")));
        let allow_plain = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/baz\n";
        let r = Robots::parse(allow_plain.as_bytes(), "FooBot");
        assert!(r.is_allowed(&url("http://foo.bar/foo/bar/baz")));
        assert!(!r.is_allowed(&url("http://foo.bar/foo/bar/%62%61%7A")));
        // Other escapes keep robotxt's rule: hex digits in any case match.
        let slash = "User-agent: *\nDisallow: /a%2fb\n";
        let r = Robots::parse(slash.as_bytes(), "FooBot");
        assert!(!r.is_allowed(&url("http://foo.bar/a%2Fb")));
    }

    #[test]
    fn crawl_delay_integer_and_fraction() {
        assert_eq!(
            delay("User-agent: *\nCrawl-delay: 5"),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            delay("User-agent: *\nCrawl-delay: 0.5 # half"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(delay("User-agent: *\nCrawl-delay: 0"), Some(Duration::ZERO));
    }

    #[test]
    fn crawl_delay_absurd_values_are_ignored() {
        for value in ["-1", "NaN", "inf", "1e300", "86401", "5s", "", "abc", "1,5"] {
            assert_eq!(
                delay(&format!("User-agent: *\nCrawl-delay: {value}")),
                None,
                "{value}"
            );
        }
        assert_eq!(
            delay("User-agent: *\nCrawl-delay: 86400"),
            Some(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn crawl_delay_is_our_groups() {
        let body = "User-agent: *\nCrawl-delay: 9\n\nUser-agent: ferrocrawl\nCrawl-delay: 2\nCrawl-delay: 3\n";
        assert_eq!(delay(body), Some(Duration::from_secs(2)));
        let other = "User-agent: otherbot\nCrawl-delay: 2\n\nUser-agent: *\nCrawl-delay: 7\n";
        assert_eq!(delay(other), Some(Duration::from_secs(7)));
        assert_eq!(delay("User-agent: otherbot\nCrawl-delay: 2\n"), None);
    }

    #[test]
    fn sitemaps_in_order_absolute_http_only() {
        let body = "Sitemap: https://a.example/one.xml\n\
                    User-agent: otherbot\n\
                    Sitemap: /relative.xml\n\
                    Disallow: /\n\
                    sitemap: http://b.example/two.xml # comment\n\
                    Sitemap: ftp://c.example/three.xml\n\
                    Sitemap: not a url\n";
        let robots = Robots::parse(body.as_bytes(), "ferrocrawl");
        let got: Vec<&str> = robots.sitemaps().iter().map(Url::as_str).collect();
        assert_eq!(
            got,
            ["https://a.example/one.xml", "http://b.example/two.xml"]
        );
    }

    #[test]
    fn allow_all_and_disallow_all() {
        let page = url("https://example.com/a?b");
        assert!(Robots::allow_all().is_allowed(&page));
        assert!(!Robots::disallow_all().is_allowed(&page));
        assert!(Robots::disallow_all().is_allowed(&url("https://example.com/robots.txt")));
        assert_eq!(Robots::allow_all().crawl_delay(), None);
        assert!(Robots::disallow_all().sitemaps().is_empty());
    }

    #[test]
    fn query_is_matched_fragment_is_not() {
        let robots = Robots::parse(b"User-agent: *\nDisallow: /*?sort=\nDisallow: /*top", "x");
        assert!(!robots.is_allowed(&url("http://h/list?sort=asc")));
        assert!(robots.is_allowed(&url("http://h/list?page=2#top")));
    }

    #[test]
    fn full_user_agent_string_finds_its_group() {
        let body = b"User-agent: ferrocrawl\nDisallow: /mine\n\nUser-agent: *\nDisallow: /\n";
        let robots = Robots::parse(body, "ferrocrawl/0.1 (+https://example.com/bot)");
        assert!(robots.is_allowed(&url("http://h/other")));
        assert!(!robots.is_allowed(&url("http://h/mine")));
    }

    /// Exercises every accessor; the point is that none of it panics.
    fn poke(body: &[u8]) {
        for agent in ["ferrocrawl", "", "*", "ツ/1.0", "a b"] {
            let robots = Robots::parse(body, agent);
            for page in [
                "http://h/",
                "http://h/a/b?c=d",
                "https://h/%E3%83%84$*",
                "http://h/robots.txt",
            ] {
                let _ = robots.is_allowed(&url(page));
            }
            let _ = robots.crawl_delay();
            let _ = robots.sitemaps();
        }
    }

    /// A small xorshift: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % n as u64).unwrap()
        }
    }

    #[test]
    fn garbage_never_panics() {
        const PIECES: &[&[u8]] = &[
            b"User-agent:",
            b"useragent ",
            b"Allow:",
            b"disalow:",
            b"Crawl-delay:",
            b"Sitemap:",
            b" ",
            b"\t",
            b"\n",
            b"\r",
            b"\0",
            b"#",
            b"*",
            b"$",
            b"%",
            b"%e3",
            b"/",
            b"?",
            b"index.html",
            b"ferrocrawl",
            b"1e309",
            b"-0.5",
            b"http://",
            b"\xEF\xBB\xBF",
            b"\xFF\xFE",
            "ツ".as_bytes(),
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..2_000 {
            let mut body = Vec::new();
            for _ in 0..rng.below(60) {
                if rng.below(3) == 0 {
                    body.push(u8::try_from(rng.below(256)).unwrap());
                } else {
                    body.extend_from_slice(PIECES[rng.below(PIECES.len())]);
                }
            }
            poke(&body);
        }
    }

    #[test]
    fn truncated_files_never_panic() {
        let body = "\u{feff}# robots.txt\r\nUser-agent: ferrocrawl/1.0 ツ\r\nAllow: /a/index.html\r\n\
                    Disallow: /*.php$\nCrawl-delay: 1.5\n\nUser-agent: *\nDisallow: /%e3%83%84/\n\
                    Sitemap: https://h/s.xml\n";
        for end in 0..=body.len() {
            poke(&body.as_bytes()[..end]);
        }
    }

    #[test]
    fn huge_bodies_and_absurd_lines_stay_cheap() {
        let stars = format!(
            "User-agent: *\nDisallow: /{}b$\nAllow: /{}\n",
            "*a".repeat(200_000),
            "*".repeat(100_000)
        );
        let long = format!("User-agent: *\nDisallow: /{}\n", "x".repeat(3 << 20));
        let many = "User-agent: *\nDisallow: /*a*b*c*d$\n".repeat(100_000);
        for body in [stars, long, many] {
            let robots = Robots::parse(body.as_bytes(), "ferrocrawl");
            // Far longer than any URL a server accepts (8 KiB is typical).
            let page = url(&format!("http://h/{}", "a".repeat(16 << 10)));
            let _ = robots.is_allowed(&page);
        }
    }

    #[test]
    fn clones_share_the_rules() {
        let a = Robots::parse(b"User-agent: *\nDisallow: /", "x");
        let b = a.clone();
        assert!(Arc::ptr_eq(&a.inner, &b.inner));
    }

    #[test]
    fn source_rebuilds_the_same_rules() {
        let body = b"User-agent: *\nDisallow: /private\nCrawl-delay: 3\n";
        let robots = Robots::parse(body, "ferrocrawl/0.1");
        let RobotsSource::Parsed {
            body: kept,
            user_agent,
        } = robots.source()
        else {
            panic!("parsed rules remember their body");
        };
        assert_eq!((kept, user_agent), (&body[..], "ferrocrawl/0.1"));
        let again = Robots::parse(kept, user_agent);
        for path in ["/private/x", "/public", "/robots.txt"] {
            let u = url(&format!("https://h{path}"));
            assert_eq!(again.is_allowed(&u), robots.is_allowed(&u), "{path}");
        }
        assert_eq!(again.crawl_delay(), robots.crawl_delay());
        assert_eq!(Robots::allow_all().source(), RobotsSource::AllowAll);
        assert_eq!(Robots::disallow_all().source(), RobotsSource::DisallowAll);
        // Only the part that is read is kept.
        let mut huge = b"User-agent: *\nDisallow: /a\n".to_vec();
        huge.resize(crate::MAX_BODY * 2, b'#');
        let big = Robots::parse(&huge, "x");
        let RobotsSource::Parsed { body: kept, .. } = big.source() else {
            panic!("parsed");
        };
        assert!(kept.len() <= crate::MAX_BODY);
    }
}
