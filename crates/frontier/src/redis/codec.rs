//! What goes into the scripts and what comes back: arguments, requests,
//! acks, checkpoints and replies.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrocrawl_core::{Error, ErrorKind, Request, Result, TimeoutPhase};
use ferrocrawl_robots::{Availability, RobotsSource};
use ferrocrawl_url::Fingerprint;
use redis::Value;

use crate::config::{FrontierConfig, Order};
use crate::lease::{Ack, Checkpoint, Counts, DropReason, Dropped, Lease, LeaseKind, Status};
use crate::policy::{self, FAR_FUTURE, RobotsRetry};

/// A script's reply.
pub(super) type Reply = Value;

/// Most robots.txt retry waits sent to the scripts; later attempts wait as
/// long as the last one (the backoff is capped long before).
const MAX_WAITS: u32 = 20;

/// A script's key (the crawl's prefix) and arguments.
pub(super) struct Args {
    prefix: String,
    args: Vec<Vec<u8>>,
}

/// A value that goes into a script's arguments.
pub(super) trait Arg {
    fn bytes(self) -> Vec<u8>;
}

impl Arg for i64 {
    fn bytes(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}
impl Arg for &str {
    fn bytes(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl Arg for String {
    fn bytes(self) -> Vec<u8> {
        self.into_bytes()
    }
}
impl Arg for Vec<u8> {
    fn bytes(self) -> Vec<u8> {
        self
    }
}
impl Arg for &[u8] {
    fn bytes(self) -> Vec<u8> {
        self.to_vec()
    }
}

impl Args {
    pub fn new(prefix: &str) -> Args {
        Args {
            prefix: prefix.to_owned(),
            args: Vec::new(),
        }
    }

    /// Arguments to append to another [`Args`] later.
    pub fn detached() -> Args {
        Args::new("")
    }

    pub fn push(&mut self, v: impl Arg) {
        self.args.push(v.bytes());
    }

    pub fn append(&mut self, other: Args) {
        self.args.extend(other.args);
    }

    pub async fn invoke(
        &self,
        script: &redis::Script,
        conn: &mut impl redis::aio::ConnectionLike,
    ) -> redis::RedisResult<Value> {
        let mut call = script.prepare_invoke();
        call.key(self.prefix.as_str());
        for a in &self.args {
            call.arg(a.as_slice());
        }
        call.invoke_async(conn).await
    }
}

/// A duration in whole milliseconds, at most [`FAR_FUTURE`].
pub(super) fn millis(d: Duration) -> i64 {
    i64::try_from(d.min(FAR_FUTURE).as_millis()).unwrap_or(i64::MAX)
}

/// Milliseconds since the epoch (not capped: a date is not a wait).
pub(super) fn millis_since_epoch(t: SystemTime) -> i64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub(super) fn time_from_millis(ms: i64) -> SystemTime {
    let d = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    UNIX_EPOCH.checked_add(d).unwrap_or(UNIX_EPOCH)
}

/// The configuration as the scripts read it (`CFG` in `lib.lua`). The
/// robots.txt retry waits come from [`policy::robots_unavailable`] and
/// [`policy::robots_unreachable`], one per attempt.
pub(super) fn config_json(cfg: &FrontierConfig) -> String {
    let opt = |v: Option<u64>| v.map_or(-1, |m| i64::try_from(m).unwrap_or(i64::MAX));
    let wait = |r: RobotsRetry| match r {
        RobotsRetry::At(at) => millis(policy::until(UNIX_EPOCH, at)),
        RobotsRetry::GiveUp => 0,
    };
    let unavailable_wait = wait(policy::robots_unavailable(
        &FrontierConfig {
            robots_attempts: u32::MAX,
            ..cfg.clone()
        },
        1,
        UNIX_EPOCH,
    ));
    let unreachable_waits: Vec<i64> = (1..cfg.robots_attempts.min(MAX_WAITS + 1))
        .map(|n| wait(policy::robots_unreachable(cfg, n, false, UNIX_EPOCH)))
        .collect();
    let mut json = serde_json::json!({
        "far": millis(FAR_FUTURE),
        "per_host": cfg.per_host,
        "delay": millis(cfg.delay),
        "obey": cfg.obey_robots,
        "robots_attempts": cfg.robots_attempts,
        "unavailable_wait": unavailable_wait,
        "unreachable_waits": unreachable_waits,
        "dfs": cfg.order == Order::Dfs,
        "max_pages": opt(cfg.max_pages),
        "max_pages_per_host": opt(cfg.max_pages_per_host),
        "max_bytes": opt(cfg.max_bytes),
        "ttl": millis(cfg.lease_ttl),
    });
    if let Some(at) = cfg.auto_throttle {
        json["at"] = serde_json::json!({
            "target": at.target_concurrency,
            "max": millis(at.max_delay),
        });
    }
    json.to_string()
}

/// A request's 6 arguments for `push_many` (lib.lua): its fingerprint as a
/// seen-set bucket and field, host, robots.txt URL, priority, JSON.
///
/// The seen set is 65,536 hashes (`s:XXXX`, by the fingerprint's first two
/// bytes) whose fields are its next 8 bytes: 80 bits in all, about 12 bytes
/// a URL in Redis while the buckets stay small listpacks.
pub(super) fn push_request(args: &mut Args, fp: Option<Fingerprint>, r: &Request) -> Result<()> {
    match fp {
        Some(fp) => {
            let b = fp.to_bytes();
            args.push(format!("{:02x}{:02x}", b[0], b[1]));
            args.push(&b[2..10]);
        }
        None => {
            args.push("");
            args.push("");
        }
    }
    push_target(args, r)
}

/// Host, robots.txt URL, priority and JSON of a request.
fn push_target(args: &mut Args, r: &Request) -> Result<()> {
    args.push(r.host_key());
    args.push(
        ferrocrawl_robots::robots_url(&r.url)
            .map(|u| u.to_string())
            .unwrap_or_default(),
    );
    args.push(i64::from(r.priority));
    args.push(encode_request(r)?);
    Ok(())
}

fn encode_request(r: &Request) -> Result<Vec<u8>> {
    serde_json::to_vec(r).map_err(|e| {
        Error::new(
            ErrorKind::InvalidRequest,
            format!("can't store the request for {} in Redis: {e}", r.url),
        )
    })
}

/// An ack's 9 arguments (see complete.lua).
pub(super) fn push_ack(
    args: &mut Args,
    cfg: &FrontierConfig,
    lease: &Lease,
    ack: &Ack,
) -> Result<()> {
    args.push(lease.id.0 as i64);
    args.push(lease.token as i64);
    let before = args.args.len();
    match ack {
        Ack::Done {
            status,
            bytes,
            latency,
        } => {
            args.push("d");
            args.push(i64::from(*status));
            args.push(i64::try_from(*bytes).unwrap_or(i64::MAX));
            args.push(millis(*latency));
        }
        Ack::Failed => args.push("f"),
        Ack::Retry {
            request,
            after,
            throttled,
        } => {
            args.push("t");
            args.push(millis(*after));
            args.push(if *throttled { "1" } else { "0" });
            push_target(args, request)?;
        }
        Ack::RobotsFailed { error } => {
            args.push("x");
            args.push(if *error.kind() == ErrorKind::Forbidden {
                "1"
            } else {
                "0"
            });
            args.push(error.kind().name());
            args.push(error.to_string());
        }
        Ack::Robots {
            robots,
            availability,
        } => {
            args.push("r");
            match availability {
                Availability::Fetched | Availability::NotFound => args.push("k"),
                Availability::TemporarilyUnavailable => args.push("u"),
            }
            let cd = robots
                .crawl_delay()
                .map_or(-1, |_| millis(policy::crawl_delay(cfg, robots)));
            args.push(cd);
            match robots.source() {
                RobotsSource::Parsed { body, user_agent } => {
                    args.push("p");
                    args.push(body);
                    args.push(user_agent);
                }
                RobotsSource::AllowAll => args.push("a"),
                RobotsSource::DisallowAll => args.push("d"),
            }
        }
    }
    while args.args.len() < before + 7 {
        args.push("");
    }
    Ok(())
}

/// `len name len value ...`, lengths as 4 bytes little-endian.
pub(super) fn encode_checkpoint(c: &Checkpoint) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in c {
        for part in [name.as_bytes(), value.as_slice()] {
            out.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

pub(super) fn decode_checkpoint(mut raw: &[u8]) -> Option<Checkpoint> {
    let take = |raw: &mut &[u8]| -> Option<Vec<u8>> {
        let (len, rest) = raw.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        let part = rest.get(..len)?.to_vec();
        *raw = &rest[len..];
        Some(part)
    };
    let mut out = Vec::new();
    while !raw.is_empty() {
        let name = String::from_utf8(take(&mut raw)?).ok()?;
        let value = take(&mut raw)?;
        out.push((name, value));
    }
    Some(out)
}

// ===== replies =====

fn bad(what: &str, v: &Value) -> Error {
    Error::new(
        ErrorKind::Io,
        format!(
            "the Redis frontier's script answered {v:?} where {what} was expected; \
             is another program writing the crawl's keys?"
        ),
    )
}

pub(super) fn int(v: Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(i),
        other => Err(bad("an integer", &other)),
    }
}

fn array(v: Value) -> Result<Vec<Value>> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Nil => Ok(Vec::new()),
        other => Err(bad("a list", &other)),
    }
}

fn bytes(v: Value) -> Result<Vec<u8>> {
    match v {
        Value::BulkString(b) => Ok(b),
        Value::SimpleString(s) => Ok(s.into_bytes()),
        other => Err(bad("a string", &other)),
    }
}

fn text(v: Value) -> Result<String> {
    String::from_utf8(bytes(v)?).map_err(|e| bad("UTF-8 text", &Value::BulkString(e.into_bytes())))
}

pub(super) fn ints<const N: usize>(v: Value) -> Result<[i64; N]> {
    let shown = format!("{v:?}");
    let a = array(v)?;
    let mut out = [0; N];
    if a.len() != N {
        return Err(bad(&format!("{N} integers"), &Value::SimpleString(shown)));
    }
    for (slot, v) in out.iter_mut().zip(a) {
        *slot = int(v)?;
    }
    Ok(out)
}

fn decode_request(json: &[u8]) -> Result<Request> {
    serde_json::from_slice(json).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!(
                "a request stored in Redis can't be read ({e}); was the crawl written by \
                 another version?"
            ),
        )
    })
}

/// One lease from `lease.lua`.
pub(super) struct LeaseRow {
    pub id: u64,
    pub kind: LeaseKind,
    pub expires_ms: i64,
    pub host: String,
    pub request: Request,
    /// The robots.txt version to check the page against; 0: none.
    pub robots_version: i64,
}

/// The kind names a stored unreachable host's error may have.
fn kind_name(name: &str) -> &'static str {
    [
        ErrorKind::Connect,
        ErrorKind::Forbidden,
        ErrorKind::Transport,
        ErrorKind::Io,
        ErrorKind::ConnectionReset,
        ErrorKind::Timeout(TimeoutPhase::Connect),
        ErrorKind::Timeout(TimeoutPhase::Read),
        ErrorKind::Timeout(TimeoutPhase::Total),
    ]
    .iter()
    .map(ErrorKind::name)
    .find(|n| *n == name)
    .unwrap_or("connect")
}

/// `lease.lua`'s reply: the leases, and the requests dropped on the way.
pub(super) fn leased(v: Value) -> Result<(Vec<LeaseRow>, Vec<Dropped>)> {
    let mut parts = array(v)?.into_iter();
    let (Some(rows), Some(drops)) = (parts.next(), parts.next()) else {
        return Err(bad("leases and drops", &Value::Nil));
    };
    let mut leases = Vec::new();
    for row in array(rows)? {
        let mut f = array(row)?.into_iter();
        let mut next = || f.next().ok_or_else(|| bad("a lease", &Value::Nil));
        let id = u64::try_from(int(next()?)?).unwrap_or(0);
        let kind = match text(next()?)?.as_str() {
            "r" => LeaseKind::Robots,
            _ => LeaseKind::Page,
        };
        let expires_ms = int(next()?)?;
        let host = text(next()?)?;
        let payload = bytes(next()?)?;
        let robots_version = int(next()?)?;
        let request = match kind {
            LeaseKind::Page => decode_request(&payload)?,
            LeaseKind::Robots => {
                let url = String::from_utf8_lossy(&payload);
                let url = url.parse().map_err(|e| {
                    Error::new(
                        ErrorKind::Io,
                        format!("the robots.txt URL `{url}` stored in Redis is invalid: {e}"),
                    )
                })?;
                Request::get(url)
            }
        };
        leases.push(LeaseRow {
            id,
            kind,
            expires_ms,
            host,
            request,
            robots_version,
        });
    }
    let mut dropped = Vec::new();
    for d in array(drops)? {
        let mut f = array(d)?.into_iter();
        let mut next = || {
            f.next()
                .ok_or_else(|| bad("a dropped request", &Value::Nil))
        };
        let why = text(next()?)?;
        let request = decode_request(&bytes(next()?)?)?;
        let kind = text(next()?)?;
        let message = text(next()?)?;
        let reason = match why.as_str() {
            "x" => DropReason::Unreachable {
                kind: kind_name(&kind),
                message,
            },
            _ => DropReason::RobotsUnavailable,
        };
        dropped.push(Dropped { request, reason });
    }
    Ok((leases, dropped))
}

/// `status.lua`'s answer.
pub(super) fn status(reply: Reply) -> Result<Status> {
    let v: [i64; 14] = ints(reply)?;
    let u = |x: i64| u64::try_from(x).unwrap_or(0);
    Ok(Status {
        finished: v[0] == 1,
        next_ready: (v[1] >= 0).then(|| Duration::from_millis(u(v[1]))),
        counts: Counts {
            queued: u(v[2]),
            leased: u(v[3]),
            waiting: u(v[4]),
            done: u(v[5]),
            failed: u(v[6]),
            dropped: u(v[7]),
            hosts: u(v[8]),
            bytes: u(v[9]),
            stale: u(v[10]),
            expired: u(v[11]),
            full_hosts: u(v[12]),
            queued_on_full_hosts: u(v[13]),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_round_trip_and_damage_is_seen() {
        let c: Checkpoint = vec![
            ("items.jsonl".into(), 1234u64.to_le_bytes().to_vec()),
            (String::new(), Vec::new()),
        ];
        let raw = encode_checkpoint(&c);
        assert_eq!(decode_checkpoint(&raw), Some(c));
        assert_eq!(decode_checkpoint(&raw[..raw.len() - 1]), None);
        assert_eq!(decode_checkpoint(&[]), Some(Vec::new()));
    }

    #[test]
    fn waits_are_whole_milliseconds_and_capped() {
        assert_eq!(millis(Duration::from_micros(2_999)), 2);
        assert_eq!(millis(Duration::MAX), millis(FAR_FUTURE));
        let t = UNIX_EPOCH + Duration::from_millis(1_767_225_600_123);
        assert_eq!(time_from_millis(millis_since_epoch(t)), t);
    }
}
