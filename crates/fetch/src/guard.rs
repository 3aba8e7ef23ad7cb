//! Refusing private, loopback, link-local and metadata addresses.
//!
//! A crawl seeded with public hosts must not be steered (by a link, a
//! redirect, or DNS) into the machine's own network. The check uses the
//! resolved IP at connect time, through a DNS resolver that drops forbidden
//! addresses, and checks IP-literal URLs before each request, since those
//! never reach a resolver.
//!
//! Through a proxy, the proxy resolves and connects: only the proxy's own
//! address is ours to resolve, and it is exempt (the user named it). Host
//! names behind an HTTP or `socks5h://` proxy are not checked here; IP
//! literals still are.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ferrocrawl_core::{Error, ErrorKind, Result};
use url::{Host, Url};

/// Which addresses may be connected to.
#[derive(Clone, Debug, Default)]
pub struct AddrPolicy {
    allow_private: bool,
    allowed: HashSet<IpAddr>,
    /// Hosts as the user wrote them (names lowercased, IP literals as
    /// `Url::host_str` gives them): reached wherever they resolve.
    hosts: HashSet<String>,
}

impl AddrPolicy {
    /// Refuse every forbidden address except those in `allowed` (typically
    /// the addresses of the seeds, so local crawls work).
    pub fn deny_private(allowed: impl IntoIterator<Item = IpAddr>) -> AddrPolicy {
        AddrPolicy {
            allow_private: false,
            allowed: allowed.into_iter().collect(),
            hosts: HashSet::new(),
        }
    }

    /// Also allow these hosts, by name as written: a URL the user names
    /// directly is fetched wherever its host resolves, while a redirect to
    /// another host (or a name that resolves to loopback) is still checked.
    /// Unlike [`AddrPolicy::deny_private`], this allows no address as such.
    pub fn allow_hosts<S: AsRef<str>>(mut self, hosts: impl IntoIterator<Item = S>) -> AddrPolicy {
        self.hosts
            .extend(hosts.into_iter().map(|h| h.as_ref().to_ascii_lowercase()));
        self
    }

    /// Whether `host` (a name or an IP literal) was named by the user.
    pub fn names(&self, host: &str) -> bool {
        !self.hosts.is_empty() && self.hosts.contains(&host.to_ascii_lowercase())
    }

    /// Allow everything (`--allow-private`).
    pub fn allow_all() -> AddrPolicy {
        AddrPolicy {
            allow_private: true,
            allowed: HashSet::new(),
            hosts: HashSet::new(),
        }
    }

    /// Whether `ip` may be connected to.
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.allow_private || !is_forbidden(ip) || self.allowed.contains(&canonical_ip(ip))
    }

    /// Check a URL whose host is an IP literal; hostnames pass here and are
    /// checked when resolved.
    pub fn check_url(&self, url: &Url) -> Result<()> {
        let ip = match url.host() {
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        };
        if self.permits(ip) || url.host_str().is_some_and(|h| self.names(h)) {
            return Ok(());
        }
        Err(refused(&ip.to_string(), &[ip]).with_url(url.clone()))
    }
}

fn refused(host: &str, ips: &[IpAddr]) -> Error {
    let list: Vec<String> = ips.iter().map(ToString::to_string).collect();
    Error::new(
        ErrorKind::Forbidden,
        format!(
            "refusing to connect to {host} ({}): private, loopback, link-local or reserved \
             address; pass --allow-private to allow it",
            list.join(", ")
        ),
    )
}

/// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Addresses a crawler of public sites has no business reaching.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match canonical_ip(ip) {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, cloud metadata included
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, 100.64/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, 198.18/15
        || a >= 240 // reserved
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7 (AWS metadata fd00:ec2::254 too)
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local, deprecated
        || ip.to_ipv4().is_some_and(|v4| ip.segments()[..6] == [0; 6] && forbidden_v4(v4)) // IPv4-compatible
}

/// A DNS resolver that drops addresses the policy forbids, so the check
/// holds at connect time whatever a name resolves to (DNS rebinding).
#[derive(Clone, Debug)]
pub(crate) struct GuardedResolver {
    pub policy: Arc<AddrPolicy>,
    /// The configured proxy's host name, lowercase: the user chose it, so it is
    /// connected to wherever it resolves (a proxy on localhost is common).
    pub proxy_host: Option<String>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = Arc::clone(&self.policy);
        let exempt = self
            .proxy_host
            .as_deref()
            .is_some_and(|p| name.as_str().eq_ignore_ascii_case(p))
            || self.policy.names(name.as_str());
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if exempt {
                return Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs);
            }
            let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
            let permitted: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| policy.permits(a.ip()))
                .collect();
            if permitted.is_empty() && !ips.is_empty() {
                return Err(
                    Box::new(refused(&host, &ips)) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(permitted.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classifies_addresses() {
        for bad in [
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "fc00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_forbidden(ip(bad)), "{bad} must be forbidden");
        }
        for good in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(!is_forbidden(ip(good)), "{good} must be allowed");
        }
    }

    #[test]
    fn seeds_are_allowed_and_literals_checked() {
        let policy = AddrPolicy::deny_private([ip("127.0.0.1")]);
        assert!(policy.permits(ip("127.0.0.1")));
        assert!(policy.permits(ip("::ffff:127.0.0.1")));
        assert!(!policy.permits(ip("127.0.0.2")));
        assert!(
            policy
                .check_url(&"http://127.0.0.1:8080/".parse().unwrap())
                .is_ok()
        );
        let err = policy
            .check_url(&"http://169.254.169.254/latest/".parse().unwrap())
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Forbidden);
        assert!(err.to_string().contains("--allow-private"));
        assert!(
            policy
                .check_url(&"http://example.com/".parse().unwrap())
                .is_ok()
        );
        assert!(AddrPolicy::allow_all().permits(ip("10.0.0.1")));
    }

    #[test]
    fn named_hosts_are_allowed_by_name_only() {
        let policy = AddrPolicy::deny_private([]).allow_hosts(["127.0.0.1", "LocalHost"]);
        let url = |s: &str| s.parse::<Url>().unwrap();
        assert!(policy.check_url(&url("http://127.0.0.1:8080/")).is_ok());
        assert!(policy.names("localhost"));
        // No address is allowed as such: another spelling of it is checked.
        assert!(!policy.permits(ip("127.0.0.1")));
        assert!(policy.check_url(&url("http://127.0.0.2/")).is_err());
        assert!(policy.check_url(&url("http://169.254.169.254/")).is_err());
    }
}
