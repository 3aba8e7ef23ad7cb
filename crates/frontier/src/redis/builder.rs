//! [`RedisBuilder`]: where the crawl is, its name and the worker's, the
//! configuration and (for tests) a clock; checked before anything connects.

use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrocrawl_core::{Error, ErrorKind, Result};
use ferrocrawl_url::SeenSet;
use tokio::sync::OnceCell;

use super::scripts::Scripts;
use super::{Inner, RedisFrontier, codec};
use crate::clock::SharedClock;
use crate::config::FrontierConfig;

impl RedisFrontier {
    /// A frontier at `url` (`redis://HOST:PORT/DB` or `valkey://…`;
    /// `?crawl=NAME&worker=NAME` may name the crawl and the worker), with
    /// the default configuration. `rediss://` is refused by `build`: this
    /// build has no TLS.
    pub fn builder(url: impl Into<String>) -> RedisBuilder {
        RedisBuilder {
            url: url.into(),
            crawl: None,
            worker: None,
            cfg: FrontierConfig::default(),
            clock: None,
            outage: super::outage::OUTAGE_MAX,
        }
    }
}

/// Builds a [`RedisFrontier`]: [`RedisFrontier::builder`].
#[derive(Debug)]
pub struct RedisBuilder {
    url: String,
    crawl: Option<String>,
    worker: Option<String>,
    cfg: FrontierConfig,
    clock: Option<SharedClock>,
    outage: Duration,
}

// ===== impl RedisBuilder =====

impl RedisBuilder {
    /// The crawl's name: several crawls share one Redis by name. It may also
    /// come from the location, `redis://HOST:PORT/DB?crawl=NAME`; this wins.
    pub fn crawl(mut self, name: impl Into<String>) -> Self {
        self.crawl = Some(name.into());
        self
    }

    /// This worker's name, unique among the crawl's live workers and the
    /// same when a worker restarts (it then takes its old leases back and
    /// undoes its acks since its last checkpoint). May also come from the
    /// location (`?worker=NAME`); this wins. Default `worker`.
    pub fn worker(mut self, name: impl Into<String>) -> Self {
        self.worker = Some(name.into());
        self
    }

    /// How to schedule. Every worker of a crawl should use the same.
    pub fn config(mut self, cfg: FrontierConfig) -> Self {
        self.cfg = cfg;
        self
    }

    /// Read the time from `clock` instead of the Redis server: for tests
    /// that move time by hand. Workers on different machines must not use
    /// this: their clocks disagree, the server's doesn't.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How long a worker rides out a Redis it can't reach (restarted, failed
    /// over, a network cut), retrying each call with backoff, before the
    /// call fails. Default 2 minutes.
    pub fn outage(mut self, max: Duration) -> Self {
        self.outage = max;
        self
    }

    /// Checks the location and names, without connecting: the connection
    /// is made on the first call (or by [`RedisBuilder::connect`]).
    pub fn build(self) -> Result<RedisFrontier> {
        let Location {
            client,
            shown,
            crawl,
            worker,
        } = Location::parse(&self.url)?;
        let crawl = self.crawl.or(crawl).ok_or_else(|| {
            config_error(&shown, "no crawl name; add ?crawl=NAME to the location")
        })?;
        let worker = self
            .worker
            .or(worker)
            .unwrap_or_else(|| "worker".to_owned());
        for (what, name) in [("crawl", &crawl), ("worker", &worker)] {
            check_name(&shown, what, name)?;
        }
        let cfg_json = codec::config_json(&self.cfg);
        Ok(RedisFrontier {
            inner: Arc::new(Inner {
                prefix: format!("ferrocrawl:{{{crawl}}}:"),
                shown,
                crawl,
                worker,
                cfg: self.cfg,
                cfg_json,
                clock: self.clock,
                client,
                conn: OnceCell::new(),
                scripts: Scripts::new(),
                known: Mutex::new(SeenSet::new()),
                robots: Mutex::new(HashMap::new()),
                held: Mutex::new(HashSet::new()),
                outage: self.outage,
            }),
        })
    }

    /// [`RedisBuilder::build`], then connect and open this worker's part
    /// of the crawl now, so a wrong address or a foreign crawl is reported
    /// before anything else.
    pub async fn connect(self) -> Result<RedisFrontier> {
        let f = self.build()?;
        f.conn().await?;
        Ok(f)
    }
}

/// A parsed location: the client (not connected yet), the location as
/// shown in messages, and the names its query may give.
pub(super) struct Location {
    pub client: redis::Client,
    pub shown: String,
    pub crawl: Option<String>,
    pub worker: Option<String>,
}

impl Location {
    /// `redis://HOST:PORT/DB` or `valkey://…`, with `?crawl=NAME&worker=NAME`
    /// taken out; `rediss://` is refused (no TLS in this build).
    pub fn parse(url: &str) -> Result<Location> {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (url, None),
        };
        let mut crawl = None;
        let mut worker = None;
        let mut rest = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            match pair.split_once('=') {
                Some(("crawl", v)) => crawl = Some(v.to_owned()),
                Some(("worker", v)) => worker = Some(v.to_owned()),
                _ if pair.is_empty() => {}
                _ => rest.push(pair),
            }
        }
        let shown = shown(url);
        if let Some(("rediss" | "valkeys", _)) = base.split_once("://") {
            return Err(config_error(
                &shown,
                "TLS connections (rediss://) are not built in; reach Redis over a private \
                 network or a TLS tunnel (stunnel, spiped) with redis://",
            ));
        }
        let scheme_fixed = match base.split_once("://") {
            Some(("valkey", r)) => format!("redis://{r}"),
            _ => base.to_owned(),
        };
        let target = if rest.is_empty() {
            scheme_fixed
        } else {
            format!("{scheme_fixed}?{}", rest.join("&"))
        };
        let client = redis::Client::open(target.as_str())
            .map_err(|e| config_error(&shown, &format!("not a Redis location: {e}")))?;
        Ok(Location {
            client,
            shown,
            crawl,
            worker,
        })
    }
}

/// A crawl's or a worker's name: letters, digits, `-`, `_` and `.`.
pub(super) fn check_name(shown: &str, what: &str, name: &str) -> Result<()> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(config_error(
            shown,
            &format!("invalid {what} name `{name}`: use letters, digits, `-`, `_` and `.`"),
        ));
    }
    Ok(())
}

/// The location without a password, for messages.
fn shown(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(at)) if at > scheme.len() => {
            let host = &url[at + 1..];
            let user = rest.split_once(':').map_or("", |(u, _)| u);
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

pub(super) fn config_error(shown: &str, why: &str) -> Error {
    Error::new(ErrorKind::Config, format!("frontier {shown}: {why}"))
}
