//! Crawl scope: which discovered URLs the crawl follows.
//!
//! A URL is in scope when, in this order (the first failing check is the
//! reason reported):
//!
//! 1. its scheme is `http` or `https`;
//! 2. it is at most `max_url_len` bytes long;
//! 3. its host passes the [`ScopeMode`], or is one of the domains added
//!    with [`ScopeBuilder::allow_domain`] or a subdomain of one;
//! 4. it matches no exclude pattern;
//! 5. it matches one of the include patterns, if there are any;
//! 6. its path is at most `max_depth` segments deep;
//! 7. no path segment occurs more than `max_segment_repeats` times.
//!
//! Checks 2, 6 and 7 are trap guards: calendars, session ids in paths and
//! relative-link loops (`/a/b/a/b/a/b/…`) generate endless URLs that are all
//! in scope by host.

use std::collections::HashSet;
use std::fmt;

use url::{Host, Url};

use crate::pattern::{Pattern, PatternSpec, compile_all};
use crate::{Error, registrable_domain};

/// Default for [`ScopeBuilder::max_url_len`], in bytes.
pub const DEFAULT_MAX_URL_LEN: usize = 2048;
/// Default for [`ScopeBuilder::max_depth`], in path segments.
pub const DEFAULT_MAX_DEPTH: usize = 32;
/// Default for [`ScopeBuilder::max_segment_repeats`].
pub const DEFAULT_MAX_SEGMENT_REPEATS: usize = 3;

/// Which hosts are in scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScopeMode {
    /// The host of a seed, exactly (the default). `www.example.com` and
    /// `example.com` are different hosts; the port is not compared.
    #[default]
    Host,
    /// Any host with the same registrable domain as a seed
    /// (`blog.example.co.uk` for a seed on `www.example.co.uk`). A seed on
    /// an IP address or a single-label host only admits that host.
    Domain,
    /// The listed domains and all their subdomains, whatever the seeds.
    /// A leading `.` or `*.` is accepted and means the same. To add domains
    /// to the seeds' hosts or domains instead, keep [`ScopeMode::Host`] or
    /// [`ScopeMode::Domain`] and use [`ScopeBuilder::allow_domain`].
    Domains(Vec<String>),
    /// Every host.
    Any,
}

/// Why a URL is out of scope. `Display` gives a sentence for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutOfScope {
    /// Only `http` and `https` URLs are crawled.
    Scheme {
        /// The URL's scheme.
        scheme: String,
    },
    /// The URL is longer than the limit.
    TooLong {
        /// Length of the URL in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// The host is not allowed by the [`ScopeMode`] nor an allowed domain.
    OtherHost {
        /// The URL's host (empty if it has none).
        host: String,
    },
    /// The URL matches an exclude pattern.
    Excluded {
        /// The pattern as it was given.
        pattern: String,
    },
    /// There are include patterns and the URL matches none.
    NotIncluded,
    /// The path has more segments than the limit.
    TooDeep {
        /// Number of path segments.
        depth: usize,
        /// The limit.
        max: usize,
    },
    /// One path segment occurs more often than the limit.
    RepeatedSegment {
        /// The segment, as it appears in the URL (percent-encoded).
        segment: String,
        /// How often it occurs.
        count: usize,
    },
}

impl OutOfScope {
    /// Whether a trap guard cut the URL (too long, too deep, a segment
    /// repeated), rather than the scope's hosts or patterns leaving it out.
    pub fn is_trap_guard(&self) -> bool {
        matches!(
            self,
            OutOfScope::TooLong { .. }
                | OutOfScope::TooDeep { .. }
                | OutOfScope::RepeatedSegment { .. }
        )
    }
}

impl fmt::Display for OutOfScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scheme { scheme } => {
                write!(
                    f,
                    "scheme {scheme:?} is not crawled (only http and https are)"
                )
            }
            Self::TooLong { len, max } => write!(
                f,
                "URL is {len} bytes long, over the limit of {max} (likely a crawler trap)"
            ),
            Self::OtherHost { host } => write!(f, "host {host:?} is outside the crawl scope"),
            Self::Excluded { pattern } => write!(f, "URL matches exclude pattern {pattern:?}"),
            Self::NotIncluded => write!(f, "URL matches none of the include patterns"),
            Self::TooDeep { depth, max } => write!(
                f,
                "path is {depth} segments deep, over the limit of {max} (likely a crawler trap)"
            ),
            Self::RepeatedSegment { segment, count } if segment.is_empty() => write!(
                f,
                "path has {count} empty segments (`//`), likely a crawler trap"
            ),
            Self::RepeatedSegment { segment, count } => write!(
                f,
                "path segment {segment:?} occurs {count} times, likely a crawler trap"
            ),
        }
    }
}

impl std::error::Error for OutOfScope {}

/// Decides whether a URL belongs to the crawl. Built by [`Scope::builder`].
///
/// [`Scope::check`] runs these checks in order and reports the first that
/// fails:
///
/// 1. the scheme is `http` or `https` ([`OutOfScope::Scheme`]);
/// 2. the URL is at most `max_url_len` bytes ([`OutOfScope::TooLong`]);
/// 3. the host passes the [`ScopeMode`] or is in an allowed domain
///    ([`OutOfScope::OtherHost`]);
/// 4. no exclude pattern matches ([`OutOfScope::Excluded`]);
/// 5. an include pattern matches, if there are any
///    ([`OutOfScope::NotIncluded`]);
/// 6. the path is at most `max_depth` segments ([`OutOfScope::TooDeep`]);
/// 7. no segment occurs more than `max_segment_repeats` times
///    ([`OutOfScope::RepeatedSegment`]).
///
/// Check the canonical form of a URL, so that patterns see one spelling.
#[derive(Debug, Clone)]
pub struct Scope {
    mode: CompiledMode,
    /// Domains admitted with their subdomains whatever the mode.
    allowed: Vec<String>,
    includes: Vec<Pattern>,
    excludes: Vec<Pattern>,
    max_url_len: usize,
    max_depth: usize,
    max_segment_repeats: usize,
}

#[derive(Debug, Clone)]
enum CompiledMode {
    /// Hosts (as serialised by `url`) that match exactly.
    Hosts(HashSet<String>),
    /// Registrable domains, plus exact hosts for seeds that have none.
    Domains {
        domains: HashSet<String>,
        hosts: HashSet<String>,
    },
    /// Listed domains, matched with their subdomains.
    Listed(Vec<String>),
    Any,
}

/// Configures a [`Scope`]. Setters never fail; [`ScopeBuilder::build`]
/// checks everything.
#[derive(Debug, Clone)]
#[must_use]
pub struct ScopeBuilder {
    seeds: Vec<Url>,
    mode: ScopeMode,
    allowed: Vec<String>,
    includes: Vec<PatternSpec>,
    excludes: Vec<PatternSpec>,
    max_url_len: usize,
    max_depth: usize,
    max_segment_repeats: usize,
}

// ===== impl Scope =====

impl Scope {
    /// Starts a scope with the default mode ([`ScopeMode::Host`]) and the
    /// default trap guards.
    pub fn builder() -> ScopeBuilder {
        ScopeBuilder {
            seeds: Vec::new(),
            mode: ScopeMode::default(),
            allowed: Vec::new(),
            includes: Vec::new(),
            excludes: Vec::new(),
            max_url_len: DEFAULT_MAX_URL_LEN,
            max_depth: DEFAULT_MAX_DEPTH,
            max_segment_repeats: DEFAULT_MAX_SEGMENT_REPEATS,
        }
    }

    /// `Ok(())` if `url` is in scope, otherwise the first reason it is not
    /// (see [`Scope`] for the order of the checks).
    pub fn check(&self, url: &Url) -> Result<(), OutOfScope> {
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(OutOfScope::Scheme {
                scheme: scheme.to_owned(),
            });
        }
        let len = url.as_str().len();
        if len > self.max_url_len {
            return Err(OutOfScope::TooLong {
                len,
                max: self.max_url_len,
            });
        }
        if !self.host_allowed(url) {
            return Err(OutOfScope::OtherHost {
                host: url.host_str().unwrap_or_default().to_owned(),
            });
        }
        let text = url.as_str();
        if let Some(p) = self.excludes.iter().find(|p| p.is_match(text)) {
            return Err(OutOfScope::Excluded {
                pattern: p.source.clone(),
            });
        }
        if !self.includes.is_empty() && !self.includes.iter().any(|p| p.is_match(text)) {
            return Err(OutOfScope::NotIncluded);
        }
        self.check_path(url)
    }

    /// Shorthand for `self.check(url).is_ok()`.
    pub fn allows(&self, url: &Url) -> bool {
        self.check(url).is_ok()
    }

    fn host_allowed(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return matches!(self.mode, CompiledMode::Any);
        };
        let in_mode = match &self.mode {
            CompiledMode::Any => true,
            CompiledMode::Hosts(hosts) => hosts.contains(host),
            CompiledMode::Domains { domains, hosts } => match url.host() {
                Some(Host::Domain(d)) => match registrable_domain(d) {
                    Some(rd) => domains.contains(&rd),
                    None => hosts.contains(host),
                },
                _ => hosts.contains(host),
            },
            CompiledMode::Listed(listed) => listed.iter().any(|d| is_same_or_subdomain(host, d)),
        };
        in_mode || self.allowed.iter().any(|d| is_same_or_subdomain(host, d))
    }

    fn check_path(&self, url: &Url) -> Result<(), OutOfScope> {
        // http(s) URLs always have a hierarchical path.
        let Some(segments) = url.path_segments() else {
            return Ok(());
        };
        // A trailing slash ends the path, it is not one more level.
        let path = url.path();
        let depth = segments.count() - usize::from(path.ends_with('/'));
        if depth > self.max_depth {
            return Err(OutOfScope::TooDeep {
                depth,
                max: self.max_depth,
            });
        }
        if depth <= self.max_segment_repeats {
            // No segment can repeat too often: the common case, without a copy.
            return Ok(());
        }
        let parts = path
            .strip_prefix('/')
            .unwrap_or(path)
            .split('/')
            .take(depth);
        let (mut stack, mut heap) = ([""; 32], Vec::new());
        let segments: &mut [&str] = if depth <= stack.len() {
            for (slot, part) in stack.iter_mut().zip(parts) {
                *slot = part;
            }
            &mut stack[..depth]
        } else {
            heap.extend(parts);
            &mut heap
        };
        // Sorting groups equal segments; O(n log n) even when max_depth is
        // set very high. The most repeated segment is reported, ties go to
        // the smallest.
        segments.sort_unstable();
        let mut worst: Option<(&str, usize)> = None;
        for run in segments.chunk_by(|a, b| a == b) {
            let count = run.len();
            if count > self.max_segment_repeats && worst.is_none_or(|(_, c)| count > c) {
                worst = Some((run[0], count));
            }
        }
        match worst {
            Some((segment, count)) => Err(OutOfScope::RepeatedSegment {
                segment: segment.to_owned(),
                count,
            }),
            None => Ok(()),
        }
    }
}

/// `host` is `domain` or ends with `.domain`.
fn is_same_or_subdomain(host: &str, domain: &str) -> bool {
    match host.strip_suffix(domain) {
        Some("") => true,
        Some(rest) => rest.ends_with('.'),
        None => false,
    }
}

// ===== impl ScopeBuilder =====

impl ScopeBuilder {
    /// Adds a seed URL; [`ScopeMode::Host`] and [`ScopeMode::Domain`] take
    /// their hosts from the seeds.
    pub fn seed(mut self, url: Url) -> Self {
        self.seeds.push(url);
        self
    }

    /// Adds several seed URLs.
    pub fn seeds(mut self, urls: impl IntoIterator<Item = Url>) -> Self {
        self.seeds.extend(urls);
        self
    }

    /// Sets which hosts are in scope; default [`ScopeMode::Host`].
    pub fn mode(mut self, mode: ScopeMode) -> Self {
        self.mode = mode;
        self
    }

    /// Also admits `domain` and all its subdomains, on top of what the
    /// mode admits: with [`ScopeMode::Host`] the seeds' hosts stay exact,
    /// with [`ScopeMode::Domain`] their registrable domains stay whole. A
    /// leading `.` or `*.` is accepted and means the same.
    pub fn allow_domain(mut self, domain: impl Into<String>) -> Self {
        self.allowed.push(domain.into());
        self
    }

    /// Adds an include regex, matched anywhere in the full URL (anchor it
    /// with `^…$` to match the whole URL). Regexes use the `regex` crate's
    /// syntax with ASCII semantics: URLs are ASCII (non-ASCII is
    /// percent-encoded), so `\w`, `\d` and `(?i)` are ASCII-only, and a
    /// pattern with a non-ASCII character is an error (write `%C3%A9`, not
    /// `é`).
    pub fn include_regex(mut self, pattern: impl Into<String>) -> Self {
        self.includes.push(PatternSpec::Regex(pattern.into()));
        self
    }

    /// Adds an include glob, matched against the whole URL. `*` and `?` do
    /// not match `/`, `**` does (`https://example.com/blog/**`); `{a,b}`
    /// and `[abc]` work as in a shell, `\` escapes. Note that `?` is a
    /// wildcard: write `[?]` for a literal query mark. As for regexes,
    /// non-ASCII characters must be percent-encoded.
    pub fn include_glob(mut self, pattern: impl Into<String>) -> Self {
        self.includes.push(PatternSpec::Glob(pattern.into()));
        self
    }

    /// Adds an exclude regex (syntax as for
    /// [`include_regex`](Self::include_regex)). Excludes win over includes.
    pub fn exclude_regex(mut self, pattern: impl Into<String>) -> Self {
        self.excludes.push(PatternSpec::Regex(pattern.into()));
        self
    }

    /// Adds an exclude glob (syntax as for
    /// [`include_glob`](Self::include_glob)). Excludes win over includes.
    pub fn exclude_glob(mut self, pattern: impl Into<String>) -> Self {
        self.excludes.push(PatternSpec::Glob(pattern.into()));
        self
    }

    /// Longest URL in scope, in bytes; default [`DEFAULT_MAX_URL_LEN`].
    pub fn max_url_len(mut self, max: usize) -> Self {
        self.max_url_len = max;
        self
    }

    /// Most path segments in scope (`/a/b/` has 2); default
    /// [`DEFAULT_MAX_DEPTH`]. 0 admits only the root path.
    pub fn max_depth(mut self, max: usize) -> Self {
        self.max_depth = max;
        self
    }

    /// Most occurrences of any one path segment, anywhere in the path;
    /// default [`DEFAULT_MAX_SEGMENT_REPEATS`] (so `/a/b/a/b/a/b/a` is
    /// out). Empty segments (`//`) count too.
    pub fn max_segment_repeats(mut self, max: usize) -> Self {
        self.max_segment_repeats = max;
        self
    }

    /// Compiles the patterns and checks the seeds and limits.
    ///
    /// Fails, naming the input, on a pattern that does not compile, a
    /// listed or allowed domain that is not a host name, a seed that is not
    /// an `http(s)` URL with a host, [`ScopeMode::Host`] or
    /// [`ScopeMode::Domain`] without seeds, an empty
    /// [`ScopeMode::Domains`] list, or a limit of 0 for the URL length or
    /// segment repeats (nothing would be in scope).
    pub fn build(self) -> Result<Scope, Error> {
        if self.max_url_len == 0 {
            return Err(Error::setting("max_url_len", "0 would exclude every URL"));
        }
        if self.max_segment_repeats == 0 {
            return Err(Error::setting(
                "max_segment_repeats",
                "0 would exclude every URL with a path",
            ));
        }
        let mut seed_hosts = Vec::with_capacity(self.seeds.len());
        for seed in &self.seeds {
            let host = match (seed.scheme(), seed.host()) {
                ("http" | "https", Some(host)) => host,
                _ => {
                    return Err(Error::url(
                        seed.as_str(),
                        "a seed must be an http or https URL with a host",
                    ));
                }
            };
            seed_hosts.push(host);
        }
        let mode = match self.mode {
            ScopeMode::Host | ScopeMode::Domain if seed_hosts.is_empty() => {
                return Err(Error::setting(
                    "mode",
                    "host and domain scopes need at least one seed URL",
                ));
            }
            ScopeMode::Host => {
                CompiledMode::Hosts(seed_hosts.iter().map(ToString::to_string).collect())
            }
            ScopeMode::Domain => {
                let mut domains = HashSet::new();
                let mut hosts = HashSet::new();
                for host in &seed_hosts {
                    let rd = match host {
                        Host::Domain(d) => registrable_domain(d),
                        Host::Ipv4(_) | Host::Ipv6(_) => None,
                    };
                    match rd {
                        Some(rd) => domains.insert(rd),
                        None => hosts.insert(host.to_string()),
                    };
                }
                CompiledMode::Domains { domains, hosts }
            }
            ScopeMode::Domains(list) => {
                if list.is_empty() {
                    return Err(Error::setting("mode", "the domain list is empty"));
                }
                CompiledMode::Listed(
                    list.iter()
                        .map(|d| normalize_listed_domain(d))
                        .collect::<Result<_, _>>()?,
                )
            }
            ScopeMode::Any => CompiledMode::Any,
        };
        let allowed = self
            .allowed
            .iter()
            .map(|d| normalize_listed_domain(d))
            .collect::<Result<_, _>>()?;
        Ok(Scope {
            mode,
            allowed,
            includes: compile_all(&self.includes)?,
            excludes: compile_all(&self.excludes)?,
            max_url_len: self.max_url_len,
            max_depth: self.max_depth,
            max_segment_repeats: self.max_segment_repeats,
        })
    }
}

/// Brings a listed domain to the form `url` serialises hosts in
/// (lower case, punycode), so a plain string comparison works.
fn normalize_listed_domain(input: &str) -> Result<String, Error> {
    let trimmed = input.trim();
    let bare = trimmed
        .strip_prefix("*.")
        .or_else(|| trimmed.strip_prefix('.'))
        .unwrap_or(trimmed);
    let bare = bare.strip_suffix('.').unwrap_or(bare);
    if bare.is_empty() || bare.split('.').any(str::is_empty) {
        return Err(Error::domain(input, "empty label"));
    }
    let host = Host::parse(bare).map_err(|e| Error::domain(input, e))?;
    Ok(host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn host_scope(seed: &str) -> Scope {
        Scope::builder().seed(url(seed)).build().unwrap()
    }

    #[test]
    fn host_mode_is_the_default_and_does_not_fold_www() {
        let scope = host_scope("https://www.example.com/start");
        assert!(scope.allows(&url("https://www.example.com/other")));
        assert!(scope.allows(&url("http://www.example.com:8080/")));
        assert_eq!(
            scope.check(&url("https://example.com/")),
            Err(OutOfScope::OtherHost {
                host: "example.com".into()
            })
        );
        assert!(!scope.allows(&url("https://blog.www.example.com/")));
    }

    #[test]
    fn host_mode_with_several_seeds_and_ip_hosts() {
        let scope = Scope::builder()
            .seeds([
                url("http://127.0.0.1:8080/"),
                url("http://[::1]/"),
                url("http://a.test/"),
            ])
            .build()
            .unwrap();
        assert!(scope.allows(&url("http://127.0.0.1/x")));
        assert!(scope.allows(&url("http://[::1]:9/x")));
        assert!(scope.allows(&url("http://A.TEST/")));
        assert!(!scope.allows(&url("http://127.0.0.2/")));
    }

    #[test]
    fn domain_mode_uses_registrable_domains() {
        let scope = Scope::builder()
            .seed(url("https://www.example.co.uk/"))
            .seed(url("http://localhost:3000/"))
            .mode(ScopeMode::Domain)
            .build()
            .unwrap();
        assert!(scope.allows(&url("https://example.co.uk/")));
        assert!(scope.allows(&url("https://a.b.example.co.uk/")));
        assert!(scope.allows(&url("http://localhost/")));
        assert!(!scope.allows(&url("https://other.co.uk/")));
        assert!(!scope.allows(&url("https://co.uk/")));
        assert!(!scope.allows(&url("http://127.0.0.1/")));
        assert!(!scope.allows(&url("http://sub.localhost/")));
    }

    #[test]
    fn domains_mode_admits_listed_domains_and_subdomains() {
        let scope = Scope::builder()
            .mode(ScopeMode::Domains(vec![
                "Example.com".into(),
                "*.bücher.de".into(),
                ".org.test.".into(),
            ]))
            .build()
            .unwrap();
        assert!(scope.allows(&url("https://example.com/")));
        assert!(scope.allows(&url("https://deep.sub.example.com/")));
        assert!(!scope.allows(&url("https://notexample.com/")));
        assert!(!scope.allows(&url("https://example.com.evil.net/")));
        assert!(scope.allows(&url("https://www.xn--bcher-kva.de/")));
        assert!(scope.allows(&url("https://org.test/")));
    }

    #[test]
    fn allowed_domains_add_to_domain_mode_instead_of_replacing_it() {
        let scope = Scope::builder()
            .seed(url("https://www.example.org/"))
            .mode(ScopeMode::Domain)
            .allow_domain("other.net")
            .build()
            .unwrap();
        // The seed's registrable domain, whole, as without the listed domain.
        assert!(scope.allows(&url("https://www.example.org/")));
        assert!(scope.allows(&url("https://example.org/")));
        assert!(scope.allows(&url("https://blog.example.org/")));
        // Plus the listed domain and its subdomains.
        assert!(scope.allows(&url("https://other.net/")));
        assert!(scope.allows(&url("https://cdn.other.net/")));
        assert!(!scope.allows(&url("https://example.com/")));
    }

    #[test]
    fn allowed_domains_add_to_host_mode_and_keep_seed_hosts_exact() {
        let scope = Scope::builder()
            .seed(url("https://www.example.org/"))
            .allow_domain("*.Other.net")
            .build()
            .unwrap();
        assert!(scope.allows(&url("https://www.example.org/")));
        // The seed's host is not widened to its subdomains or parent.
        assert_eq!(
            scope.check(&url("https://blog.www.example.org/")),
            Err(OutOfScope::OtherHost {
                host: "blog.www.example.org".into()
            })
        );
        assert!(!scope.allows(&url("https://example.org/")));
        assert!(scope.allows(&url("https://other.net/")));
        assert!(scope.allows(&url("https://a.b.other.net/")));
        assert!(!scope.allows(&url("https://notother.net/")));
    }

    #[test]
    fn allowed_domains_add_to_listed_domains_and_are_checked() {
        let scope = Scope::builder()
            .mode(ScopeMode::Domains(vec!["example.org".into()]))
            .allow_domain("other.net")
            .build()
            .unwrap();
        assert!(scope.allows(&url("https://www.example.org/")));
        assert!(scope.allows(&url("https://www.other.net/")));
        let e = Scope::builder()
            .seed(url("https://example.org/"))
            .allow_domain("a b.com")
            .build()
            .unwrap_err();
        assert!(e.is_domain());
        assert_eq!(e.input(), "a b.com");
    }

    #[test]
    fn any_mode_admits_every_host_but_only_http() {
        let scope = Scope::builder().mode(ScopeMode::Any).build().unwrap();
        assert!(scope.allows(&url("https://anything.example/")));
        assert_eq!(
            scope.check(&url("ftp://example.com/")),
            Err(OutOfScope::Scheme {
                scheme: "ftp".into()
            })
        );
        assert!(!scope.allows(&url("mailto:a@example.com")));
        assert!(!scope.allows(&url("data:text/plain,x")));
    }

    #[test]
    fn too_long() {
        let scope = host_scope("http://h/");
        let long = format!("http://h/{}", "a".repeat(2048));
        assert_eq!(
            scope.check(&url(&long)),
            Err(OutOfScope::TooLong {
                len: 2057,
                max: 2048
            })
        );
        let ok = format!("http://h/{}", "a".repeat(2039));
        assert!(scope.allows(&url(&ok)));
        let short = Scope::builder()
            .seed(url("http://h/"))
            .max_url_len(12)
            .build()
            .unwrap();
        assert!(short.allows(&url("http://h/abc")));
        assert!(!short.allows(&url("http://h/abcd")));
    }

    #[test]
    fn too_deep() {
        let scope = host_scope("http://h/");
        let segs: Vec<String> = (0..33).map(|i| format!("s{i}")).collect();
        let path = segs.join("/");
        assert_eq!(
            scope.check(&url(&format!("http://h/{path}"))),
            Err(OutOfScope::TooDeep { depth: 33, max: 32 })
        );
        assert!(scope.allows(&url(&format!("http://h/{}/", segs[..32].join("/")))));
        let shallow = Scope::builder()
            .seed(url("http://h/"))
            .max_depth(0)
            .build()
            .unwrap();
        assert!(shallow.allows(&url("http://h/")));
        assert!(!shallow.allows(&url("http://h/a")));
    }

    #[test]
    fn repeated_segments() {
        let scope = host_scope("http://h/");
        assert_eq!(
            scope.check(&url("http://h/a/b/a/b/a/b/a")),
            Err(OutOfScope::RepeatedSegment {
                segment: "a".into(),
                count: 4
            })
        );
        assert!(scope.allows(&url("http://h/a/b/a/b/a/b")));
        // Not only consecutive repeats, and the worst one is reported.
        assert_eq!(
            scope.check(&url("http://h/x/c/y/c/z/c/d/c/d/c")),
            Err(OutOfScope::RepeatedSegment {
                segment: "c".into(),
                count: 5
            })
        );
        let err = scope.check(&url("http://h/a/////b")).unwrap_err();
        assert_eq!(
            err,
            OutOfScope::RepeatedSegment {
                segment: String::new(),
                count: 4
            }
        );
        assert!(err.to_string().contains("empty segments"), "{err}");
        let strict = Scope::builder()
            .seed(url("http://h/"))
            .max_segment_repeats(1)
            .build()
            .unwrap();
        assert!(!strict.allows(&url("http://h/a/a")));
        assert!(strict.allows(&url("http://h/a/b/")));
    }

    #[test]
    fn include_and_exclude_with_regex_and_glob() {
        let scope = Scope::builder()
            .seed(url("https://example.com/"))
            .include_glob("https://example.com/blog/**")
            .include_regex(r"(?i)/docs/v\d+/")
            .exclude_regex(r"\.pdf$")
            .exclude_glob("https://example.com/blog/*/drafts/**")
            .build()
            .unwrap();
        assert!(scope.allows(&url("https://example.com/blog/2024/post")));
        assert!(scope.allows(&url("https://example.com/DOCS/v12/intro")));
        assert_eq!(
            scope.check(&url("https://example.com/about")),
            Err(OutOfScope::NotIncluded)
        );
        assert_eq!(
            scope.check(&url("https://example.com/blog/a.pdf")),
            Err(OutOfScope::Excluded {
                pattern: r"\.pdf$".into()
            })
        );
        assert_eq!(
            scope.check(&url("https://example.com/blog/me/drafts/x")),
            Err(OutOfScope::Excluded {
                pattern: "https://example.com/blog/*/drafts/**".into()
            })
        );
        // `*` stays within a segment.
        assert!(scope.allows(&url("https://example.com/blog/a/b/drafts/x")));
    }

    #[test]
    fn exclude_alone_and_glob_braces() {
        let scope = Scope::builder()
            .mode(ScopeMode::Any)
            .exclude_glob("*://*/{login,logout}*")
            .build()
            .unwrap();
        assert!(scope.allows(&url("https://h/home")));
        assert!(!scope.allows(&url("https://h/logout?next=1")));
        assert!(!scope.allows(&url("http://h/login")));
    }

    #[test]
    fn invalid_settings_are_build_errors() {
        assert!(Scope::builder().build().unwrap_err().is_setting());
        assert!(Scope::builder().mode(ScopeMode::Domain).build().is_err());
        let e = Scope::builder().seed(url("ftp://h/")).build().unwrap_err();
        assert!(e.is_url());
        assert!(Scope::builder().seed(url("mailto:x@h")).build().is_err());
        let e = Scope::builder()
            .mode(ScopeMode::Domains(vec!["a b.com".into()]))
            .build()
            .unwrap_err();
        assert!(e.is_domain());
        assert_eq!(e.input(), "a b.com");
        assert!(
            Scope::builder()
                .mode(ScopeMode::Domains(vec![]))
                .build()
                .is_err()
        );
        assert!(
            Scope::builder()
                .mode(ScopeMode::Domains(vec![".".into()]))
                .build()
                .is_err()
        );
        let seeded = Scope::builder().seed(url("http://h/"));
        assert!(seeded.clone().max_url_len(0).build().is_err());
        assert!(seeded.max_segment_repeats(0).build().is_err());
    }

    #[test]
    fn reasons_read_as_sentences() {
        let cases = [
            (
                OutOfScope::OtherHost {
                    host: "x.com".into(),
                },
                "host \"x.com\" is outside the crawl scope",
            ),
            (
                OutOfScope::TooLong {
                    len: 3000,
                    max: 2048,
                },
                "URL is 3000 bytes long, over the limit of 2048 (likely a crawler trap)",
            ),
            (
                OutOfScope::TooDeep { depth: 40, max: 32 },
                "path is 40 segments deep, over the limit of 32 (likely a crawler trap)",
            ),
            (
                OutOfScope::RepeatedSegment {
                    segment: "a".into(),
                    count: 4,
                },
                "path segment \"a\" occurs 4 times, likely a crawler trap",
            ),
            (
                OutOfScope::NotIncluded,
                "URL matches none of the include patterns",
            ),
        ];
        for (reason, text) in cases {
            assert_eq!(reason.to_string(), text);
        }
    }
}
