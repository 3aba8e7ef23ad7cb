//! Registrable domains (eTLD+1) from the Public Suffix List.
//!
//! The list is compiled into the binary by the `psl` crate (a generated
//! `match` over labels, no parsing or allocation at run time, `no_std`, one
//! tiny dependency). `addr` was the alternative: it wraps the same `psl`
//! data behind a full domain/e-mail parser we do not need, so it would only
//! add build time. Updating the list means bumping `psl`.

use url::Host;

/// Returns the registrable domain of `host`: its public suffix plus one
/// label (`www.example.co.uk` → `example.co.uk`).
///
/// Both ICANN and private-section suffixes count, so `foo.blogspot.com` is
/// its own registrable domain. A TLD that is not on the list is treated as
/// a one-label suffix (the PSL's implicit `*` rule).
///
/// The input is normalised like a URL host first (case folding and IDNA
/// mapping). The answer keeps the input's form: an ASCII or punycode input
/// gives an ASCII answer, a Unicode input a (lower-case, IDNA-mapped)
/// Unicode answer. One trailing dot is ignored.
///
/// Returns `None` for IP addresses (also bracketed IPv6), for public
/// suffixes themselves (`co.uk`), for single-label hosts such as
/// `localhost`, and for anything that is not a valid host name (empty
/// labels, forbidden characters).
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.strip_suffix('.').unwrap_or(host);
    // Empty labels (`.example.com`, `a..b`) are rejected up front: the URL
    // host parser accepts them, the PSL algorithm does not.
    if host.is_empty() || host.split('.').any(str::is_empty) {
        return None;
    }
    // `Host::parse` does the IDNA mapping and case folding, and recognises
    // IPv4 (in all its legacy spellings) and bracketed IPv6.
    let ascii = match Host::parse(host).ok()? {
        Host::Domain(d) => d,
        Host::Ipv4(_) | Host::Ipv6(_) => return None,
    };
    // IDNA mapping may turn other dot characters (`。`) into `.`; check
    // again on the result.
    if ascii.split('.').any(str::is_empty) {
        return None;
    }
    let domain = psl::domain_str(&ascii)?;
    if host.is_ascii() {
        return Some(domain.to_owned());
    }
    // Unicode in, Unicode out: take as many labels from the Unicode form
    // as the ASCII answer has. IDNA maps label for label, so the counts
    // line up.
    let labels = domain.split('.').count();
    let unicode = url::quirks::domain_to_unicode(&ascii);
    let parts: Vec<&str> = unicode.split('.').collect();
    let start = parts.len().checked_sub(labels)?;
    Some(parts[start..].join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rd(s: &str) -> Option<String> {
        registrable_domain(s)
    }

    #[test]
    fn common_cases() {
        assert_eq!(rd("www.example.com").as_deref(), Some("example.com"));
        assert_eq!(rd("a.b.example.co.uk").as_deref(), Some("example.co.uk"));
        assert_eq!(rd("Example.COM.").as_deref(), Some("example.com"));
        assert_eq!(rd("co.uk"), None);
        assert_eq!(rd("com"), None);
    }

    #[test]
    fn private_suffixes_count() {
        assert_eq!(rd("foo.blogspot.com").as_deref(), Some("foo.blogspot.com"));
        assert_eq!(rd("blogspot.com"), None);
    }

    #[test]
    fn none_for_ips_single_labels_and_junk() {
        for host in [
            "127.0.0.1",
            "0x7f.1",
            "[::1]",
            "::1",
            "localhost",
            "",
            ".",
            "..",
            ".example.com",
            "a..example.com",
            "exa mple.com",
            "a/b.com",
        ] {
            assert_eq!(rd(host), None, "{host:?}");
        }
    }

    #[test]
    fn unicode_in_unicode_out() {
        assert_eq!(rd("www.食狮.中国").as_deref(), Some("食狮.中国"));
        assert_eq!(
            rd("www.xn--85x722f.xn--fiqs8s").as_deref(),
            Some("xn--85x722f.xn--fiqs8s")
        );
        assert_eq!(rd("WWW.BÜCHER.de").as_deref(), Some("bücher.de"));
        // Ideographic full stop is a dot after IDNA mapping.
        assert_eq!(rd("www。bücher。de").as_deref(), Some("bücher.de"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for host in [
            "%",
            "[",
            "]",
            "xn--",
            "xn--a.xn--b",
            "\u{0}",
            "a.\u{200b}",
            "。",
            "a。。b",
        ] {
            let _ = rd(host);
        }
    }
}
