//! `ferrocrawl status`: a shared crawl's progress, read from Redis by
//! anyone (it takes no part in the crawl), or the list of crawls there.

use std::time::{Duration, SystemTime};

use ferrocrawl::crawl::{CrawlStatus, RedisFrontier, RedisObserver};
use serde_json::{Value, json};

use crate::args::StatusArgs;
use crate::exit;

/// A worker silent for longer is not counted as active; a crawl with no
/// active worker and work left is stalled. Workers talk to Redis at least
/// every second while they crawl.
const ACTIVE: Duration = Duration::from_secs(30);

/// Shows one crawl (`--job`), or every crawl in the database.
pub async fn run(args: StatusArgs) -> anyhow::Result<u8> {
    let mut redis = RedisFrontier::observe(&args.frontier)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match &args.job {
        Some(name) => {
            let status = redis
                .status(name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if args.json {
                let mut v = crawl_json(&status);
                v["location"] = json!(redis.location());
                println!("{v:#}");
            } else {
                print!("{}", crawl_text(redis.location(), &status));
            }
        }
        None => {
            let all = every_crawl(&mut redis).await?;
            if args.json {
                let crawls: Vec<Value> = all.iter().map(crawl_json).collect();
                println!(
                    "{:#}",
                    json!({ "location": redis.location(), "crawls": crawls })
                );
            } else {
                print!("{}", list_text(redis.location(), &all));
            }
        }
    }
    Ok(exit::OK)
}

async fn every_crawl(redis: &mut RedisObserver) -> anyhow::Result<Vec<CrawlStatus>> {
    let names = redis.crawls().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut all = Vec::with_capacity(names.len());
    for name in names {
        all.push(
            redis
                .status(&name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    Ok(all)
}

/// `finished`, `running` (a worker seen lately) or `stalled`.
fn state(s: &CrawlStatus) -> &'static str {
    if s.status.finished {
        "finished"
    } else if active(s) > 0 {
        "running"
    } else {
        "stalled"
    }
}

fn active(s: &CrawlStatus) -> usize {
    s.workers.iter().filter(|w| w.ago <= ACTIVE).count()
}

fn crawl_json(s: &CrawlStatus) -> Value {
    let c = &s.status.counts;
    let millis = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    };
    let workers: Vec<Value> = s
        .workers
        .iter()
        .map(|w| {
            json!({
                "name": w.name,
                "last_seen_ms": millis(w.last_seen),
                "last_seen_ago_ms": w.ago.as_millis() as u64,
                "active": w.ago <= ACTIVE,
                "leases": w.leases,
                "uncommitted": w.uncommitted,
            })
        })
        .collect();
    json!({
        "crawl": s.crawl,
        "state": state(s),
        "finished": s.status.finished,
        "pages": { "done": c.done, "failed": c.failed, "dropped": c.dropped, "bytes": c.bytes },
        "queue": {
            "queued": c.queued,
            "leased": c.leased,
            "waiting": c.waiting,
            "seen": s.added,
            "hosts": c.hosts,
            "full_hosts": c.full_hosts,
        },
        "expired_leases": c.expired,
        "stale_acks": c.stale,
        "workers": workers,
        "read_at_ms": millis(s.read_at),
    })
}

fn crawl_text(location: &str, s: &CrawlStatus) -> String {
    let c = &s.status.counts;
    let mut out = format!("crawl `{}` at {location}: {}\n", s.crawl, state(s));
    out.push_str(&format!(
        "  pages    {} done, {} failed, {} dropped by robots.txt, {} downloaded\n",
        c.done,
        c.failed,
        c.dropped,
        bytes(c.bytes)
    ));
    out.push_str(&format!(
        "  queue    {} queued, {} leased, {} waiting to retry; {} URLs seen on {} host{}\n",
        c.queued,
        c.leased,
        c.waiting,
        s.added,
        c.hosts,
        if c.hosts == 1 { "" } else { "s" }
    ));
    if c.expired > 0 || c.stale > 0 {
        out.push_str(&format!(
            "  taken back: {} leases (expired, or their worker restarted); {} late acks ignored\n",
            c.expired, c.stale
        ));
    }
    out.push_str(&format!(
        "  workers  {} seen, {} in the last {}s\n",
        s.workers.len(),
        active(s),
        ACTIVE.as_secs()
    ));
    if !s.workers.is_empty() {
        let width = s
            .workers
            .iter()
            .map(|w| w.name.len())
            .max()
            .unwrap_or(0)
            .max(6);
        out.push_str(&format!(
            "    {:<width$}  {:>10}  {:>6}  {:>11}\n",
            "WORKER", "LAST SEEN", "LEASES", "UNCOMMITTED"
        ));
        for w in &s.workers {
            out.push_str(&format!(
                "    {:<width$}  {:>10}  {:>6}  {:>11}\n",
                w.name,
                ago(w.ago),
                w.leases,
                w.uncommitted
            ));
        }
    }
    if state(s) == "stalled" {
        out.push_str(&format!(
            "  no worker was seen in the last {}s: start one (ferrocrawl crawl|run … --frontier \
             {location} --job {}), with a stopped worker's --worker name to take its work back\n",
            ACTIVE.as_secs(),
            s.crawl
        ));
    }
    out
}

fn list_text(location: &str, all: &[CrawlStatus]) -> String {
    if all.is_empty() {
        return format!(
            "no crawls at {location}: a worker started with --frontier {location} makes one\n"
        );
    }
    let width = all.iter().map(|s| s.crawl.len()).max().unwrap_or(0).max(5);
    let mut out = format!("crawls at {location}:\n");
    out.push_str(&format!(
        "{:<width$}  {:<8}  {:>9}  {:>7}  {:>9}  {:>6}  {:>7}  {:>9}\n",
        "CRAWL", "STATE", "DONE", "FAILED", "QUEUED", "LEASED", "WORKERS", "LAST SEEN"
    ));
    for s in all {
        let c = &s.status.counts;
        let last = s
            .workers
            .first()
            .map_or_else(|| "-".to_owned(), |w| ago(w.ago));
        out.push_str(&format!(
            "{:<width$}  {:<8}  {:>9}  {:>7}  {:>9}  {:>6}  {:>7}  {:>9}\n",
            s.crawl,
            state(s),
            c.done,
            c.failed,
            c.queued,
            c.leased,
            format!("{}/{}", active(s), s.workers.len()),
            last
        ));
    }
    out
}

/// `0.4s ago`, `12s ago`, `5m 3s ago`, `2h 10m ago`.
fn ago(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 10 {
        format!("{:.1}s ago", d.as_secs_f64())
    } else if secs < 60 {
        format!("{secs}s ago")
    } else if secs < 3600 {
        format!("{}m {}s ago", secs / 60, secs % 60)
    } else {
        format!("{}h {}m ago", secs / 3600, secs / 60 % 60)
    }
}

/// `512 B`, `3.2 MiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_at_a_glance() {
        assert_eq!(ago(Duration::from_millis(420)), "0.4s ago");
        assert_eq!(ago(Duration::from_secs(42)), "42s ago");
        assert_eq!(ago(Duration::from_secs(303)), "5m 3s ago");
        assert_eq!(ago(Duration::from_secs(7800)), "2h 10m ago");
    }

    #[test]
    fn sizes_read_at_a_glance() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
    }
}
