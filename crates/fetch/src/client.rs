//! [`Client`]: one attempt of a request, redirects followed by hand.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrocrawl_core::{Error, ErrorKind, Redirect, Request, Response, Result, Timings};
use http::header::{HeaderMap, HeaderName, HeaderValue, LOCATION};
use tokio::time::timeout;
use url::Url;

use crate::body::read_body;
use crate::config::ClientBuilder;
use crate::error::from_reqwest;
use crate::redirect::{self, NextHop};

/// An HTTP client for crawling. Cheap to clone: clones share the connection
/// pool and the cookie jar.
///
/// [`Client::execute`] makes one attempt: it follows redirects (recording the
/// chain) but never retries and never sleeps; retrying is the caller's
/// decision (see [`crate::RetryPolicy`]).
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ClientBuilder,
    jar: Option<Arc<reqwest::cookie::Jar>>,
    default: reqwest::Client,
    /// Clients for requests that override the connect or read timeout.
    /// reqwest sets both per client, so each distinct pair gets its own pool
    /// (sharing the cookie jar). In practice there are one or two.
    by_timeouts: Mutex<HashMap<(Duration, Duration), reqwest::Client>>,
}

// ===== impl Client =====

impl Client {
    /// A builder with the defaults listed on [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_builder(config: ClientBuilder) -> Result<Client> {
        // reqwest is built without a bundled crypto provider; ring is ours.
        // An error only means one is installed already, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let jar = config
            .cookies
            .then(|| Arc::new(reqwest::cookie::Jar::default()));
        let default = build_reqwest(
            &config,
            jar.as_ref(),
            config.connect_timeout,
            config.read_timeout,
        )?;
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                jar,
                default,
                by_timeouts: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &ClientBuilder {
        &self.inner.config
    }

    /// Make one attempt at `request`: send it, follow redirects up to the
    /// cap, and read the body up to the cap. The total timeout covers all of it.
    pub async fn execute(&self, request: &Request) -> Result<Response> {
        let total = request
            .timeouts
            .total
            .unwrap_or(self.inner.config.total_timeout);
        match timeout(total, self.attempt(request)).await {
            Ok(result) => result,
            Err(_) => Err(Error::timeout(ferrocrawl_core::TimeoutPhase::Total, total)
                .with_url(request.url.clone())),
        }
    }

    async fn attempt(&self, request: &Request) -> Result<Response> {
        let cfg = &self.inner.config;
        let connect = request.timeouts.connect.unwrap_or(cfg.connect_timeout);
        let read = request.timeouts.read.unwrap_or(cfg.read_timeout);
        let client = self.client_for(connect, read)?;

        let mut hop = NextHop {
            method: request.method.clone(),
            url: request.url.clone(),
            headers: header_map(&request.headers, &request.url)?,
            body: request.body.clone(),
        };
        let mut chain: Vec<Redirect> = Vec::new();
        let start = Instant::now();
        loop {
            check_scheme(&hop.url)?;
            if let Some(policy) = &cfg.addr_policy {
                policy.check_url(&hop.url)?;
            }
            let mut builder = client
                .request(hop.method.clone(), hop.url.clone())
                .headers(hop.headers.clone());
            if let Some(body) = &hop.body {
                builder = builder.body(body.clone());
            }
            // reqwest enforces the connect timeout and the read timeout (on
            // every read, headers and body alike); the total one is ours.
            let resp = builder
                .send()
                .await
                .map_err(|e| from_reqwest(e, &hop.url, connect, read))?;
            let ttfb = start.elapsed();
            let status = resp.status();
            if cfg.max_redirects > 0
                && redirect::is_redirect(status)
                && let Some(location) = resp.headers().get(LOCATION)
            {
                let location = location.as_bytes().to_vec();
                // Drain a small redirect body so the connection can be reused.
                let _ = read_body(resp, 64 << 10, &hop.url, (connect, read)).await;
                hop = redirect::follow(hop, status, &location, &mut chain, cfg.max_redirects)?;
                continue;
            }
            let headers = resp.headers().clone();
            let version = resp.version();
            let body = read_body(resp, cfg.max_body, &hop.url, (connect, read)).await?;
            let mut response = Response::new(request.clone(), status, headers, hop.url, body);
            response.version = version;
            response.redirects = chain;
            response.timings = Timings {
                ttfb,
                total: start.elapsed(),
            };
            return Ok(response);
        }
    }

    fn client_for(&self, connect: Duration, read: Duration) -> Result<reqwest::Client> {
        let cfg = &self.inner.config;
        if (connect, read) == (cfg.connect_timeout, cfg.read_timeout) {
            return Ok(self.inner.default.clone());
        }
        let mut map = self
            .inner
            .by_timeouts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(c) = map.get(&(connect, read)) {
            return Ok(c.clone());
        }
        let c = build_reqwest(cfg, self.inner.jar.as_ref(), connect, read)?;
        map.insert((connect, read), c.clone());
        Ok(c)
    }
}

fn build_reqwest(
    cfg: &ClientBuilder,
    jar: Option<&Arc<reqwest::cookie::Jar>>,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        // Redirects are followed by hand so the chain is recorded and each hop
        // is checked (loops, schemes, header stripping).
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(cfg.user_agent.clone())
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .pool_idle_timeout(cfg.pool_idle_timeout)
        .tcp_nodelay(true)
        .tls_danger_accept_invalid_certs(cfg.accept_invalid_certs);
    if let Some(jar) = jar {
        b = b.cookie_provider(jar.clone());
    }
    if let Some(policy) = &cfg.addr_policy {
        let proxy_host = cfg
            .proxy
            .as_deref()
            .and_then(|p| Url::parse(p).ok())
            .and_then(|p| p.host_str().map(str::to_ascii_lowercase));
        b = b.dns_resolver(Arc::new(crate::guard::GuardedResolver {
            policy: Arc::clone(policy),
            proxy_host,
        }));
    }
    if cfg.http2_prior_knowledge {
        b = b.http2_prior_knowledge();
    }
    if !cfg.default_headers.is_empty() {
        let mut map = HeaderMap::new();
        for (name, value) in &cfg.default_headers {
            let (n, v) = header_pair(name, value)?;
            map.append(n, v);
        }
        b = b.default_headers(map);
    }
    match &cfg.proxy {
        Some(proxy) => {
            let p = reqwest::Proxy::all(proxy.as_str()).map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!(
                        "invalid proxy {proxy:?}: expected http://, https://, socks5:// or socks5h:// URL"
                    ),
                )
                .with_source(e)
            })?;
            b = b.proxy(p);
        }
        None => b = b.no_proxy(),
    }
    b.build().map_err(|e| {
        Error::new(ErrorKind::Config, "could not build the HTTP client").with_source(e)
    })
}

fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue)> {
    let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
        Error::new(
            ErrorKind::InvalidRequest,
            format!("invalid header name {name:?}"),
        )
        .with_source(e)
    })?;
    let v = HeaderValue::from_str(value).map_err(|e| {
        Error::new(
            ErrorKind::InvalidRequest,
            format!("invalid value for header {name}: {value:?}"),
        )
        .with_source(e)
    })?;
    Ok((n, v))
}

fn header_map(headers: &[(String, String)], url: &Url) -> Result<HeaderMap> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let (n, v) = header_pair(name, value).map_err(|e| e.with_url(url.clone()))?;
        map.append(n, v);
    }
    Ok(map)
}

fn check_scheme(url: &Url) -> Result<()> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(Error::new(
            ErrorKind::InvalidUrl,
            format!("unsupported URL scheme {other:?}: only http and https can be fetched"),
        )
        .with_url(url.clone())),
    }
}
