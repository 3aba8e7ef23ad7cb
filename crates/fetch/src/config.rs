//! [`ClientBuilder`]: every knob of the HTTP client, with safe defaults.

use std::time::Duration;

use ferrocrawl_core::{Error, ErrorKind, Result};

use crate::client::Client;

/// Default `User-Agent`: names the tool and its version.
pub const DEFAULT_USER_AGENT: &str = concat!("ferrocrawl/", env!("CARGO_PKG_VERSION"));

/// Configuration of a [`Client`]. Setters never fail; [`ClientBuilder::build`]
/// validates.
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    pub(crate) user_agent: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
    pub(crate) total_timeout: Duration,
    pub(crate) max_redirects: usize,
    pub(crate) max_body: u64,
    pub(crate) cookies: bool,
    pub(crate) proxy: Option<String>,
    pub(crate) http2_prior_knowledge: bool,
    pub(crate) accept_invalid_certs: bool,
    pub(crate) default_headers: Vec<(String, String)>,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) addr_policy: Option<std::sync::Arc<crate::guard::AddrPolicy>>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(120),
            max_redirects: 10,
            max_body: 32 << 20,
            cookies: true,
            proxy: None,
            http2_prior_knowledge: false,
            accept_invalid_certs: false,
            default_headers: Vec::new(),
            pool_idle_timeout: Duration::from_secs(90),
            addr_policy: None,
        }
    }
}

// ===== impl ClientBuilder =====

impl ClientBuilder {
    /// `User-Agent` sent unless a request sets its own. Default: `ferrocrawl/VERSION`.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Time allowed to establish a connection (TCP, TLS, proxy). Default 10 s.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Longest wait for the next bytes (the headers, then each body chunk). Default 30 s.
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = d;
        self
    }

    /// Time allowed for a whole attempt, redirects and body included. Default 120 s.
    pub fn total_timeout(mut self, d: Duration) -> Self {
        self.total_timeout = d;
        self
    }

    /// Redirects followed before giving up; 0 returns 3xx responses as they are. Default 10.
    pub fn max_redirects(mut self, n: usize) -> Self {
        self.max_redirects = n;
        self
    }

    /// Largest body accepted, in bytes, counted after decompression. Default 32 MiB.
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// Keep a cookie jar shared by all requests of this client. Default on.
    pub fn cookies(mut self, on: bool) -> Self {
        self.cookies = on;
        self
    }

    /// Send every request through this proxy: `http://`, `https://`,
    /// `socks5://` or `socks5h://` (DNS through the proxy). Default none.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Speak HTTP/2 without negotiation (h2c). Default off: HTTP/2 is used
    /// when TLS negotiates it, HTTP/1.1 otherwise.
    pub fn http2_prior_knowledge(mut self, on: bool) -> Self {
        self.http2_prior_knowledge = on;
        self
    }

    /// Accept invalid TLS certificates. Default off; for test servers only.
    pub fn danger_accept_invalid_certs(mut self, on: bool) -> Self {
        self.accept_invalid_certs = on;
        self
    }

    /// A header sent with every request unless the request sets it.
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }

    /// Idle pooled connections are closed after this long. Default 90 s.
    pub fn pool_idle_timeout(mut self, d: Duration) -> Self {
        self.pool_idle_timeout = d;
        self
    }

    /// Refuse connections the policy forbids, checked on the resolved IP at
    /// connect time and on IP-literal URLs before every hop. Default none
    /// (the library is neutral; the crawler sets one).
    pub fn address_policy(mut self, policy: crate::guard::AddrPolicy) -> Self {
        self.addr_policy = Some(std::sync::Arc::new(policy));
        self
    }

    /// The `User-Agent` this client sends.
    pub fn user_agent_str(&self) -> &str {
        &self.user_agent
    }

    /// Validate and build the client.
    pub fn build(self) -> Result<Client> {
        if self.max_body == 0 {
            return Err(Error::new(
                ErrorKind::Config,
                "max_body must be at least 1 byte",
            ));
        }
        for (name, d) in [
            ("connect", self.connect_timeout),
            ("read", self.read_timeout),
            ("total", self.total_timeout),
        ] {
            if d.is_zero() {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("the {name} timeout must be longer than zero"),
                ));
            }
        }
        Client::from_builder(self)
    }
}
