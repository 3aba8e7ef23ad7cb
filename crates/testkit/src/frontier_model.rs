//! The frontier suite's property test: random sequences of operations run
//! against a backend and against a plain reference model of the protocol;
//! after every step the two must agree on what was added, what is queued,
//! leased and waiting, which acks were stale, and whether the crawl is over.
//!
//! The model knows nothing of politeness (it runs with no delay, no robots,
//! a per-host limit above the URL pool) and so checks the protocol itself:
//! dedup, leases and their expiry, fenced acks, retries, reclaims,
//! `complete`, and the finish test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code asserts by unwrapping"
)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use ferrocrawl_core::Request;
use ferrocrawl_frontier::{Ack, BoxFrontier, Completion, FrontierConfig, Lease, ManualClock};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::frontier_suite::Backend;

const TTL: u64 = 10;

#[derive(Clone, Debug)]
enum Op {
    Push(Vec<(u8, u8)>),
    Lease(u8),
    Done(u8),
    Failed(u8),
    Retry(u8, u8),
    Complete(u8, Vec<(u8, u8)>),
    Reclaim(u8, u8),
    Stale(u8),
    Advance(u8),
}

fn url((host, path): (u8, u8)) -> String {
    format!("http://h{}/p{}", host % 3, path % 8)
}

fn urls() -> impl Strategy<Value = Vec<(u8, u8)>> {
    prop::collection::vec((any::<u8>(), any::<u8>()), 0..5)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => urls().prop_map(Op::Push),
        3 => (1..5u8).prop_map(Op::Lease),
        2 => any::<u8>().prop_map(Op::Done),
        1 => any::<u8>().prop_map(Op::Failed),
        1 => (any::<u8>(), 0..4u8).prop_map(|(i, s)| Op::Retry(i, s)),
        2 => (any::<u8>(), urls()).prop_map(|(i, c)| Op::Complete(i, c)),
        1 => (any::<u8>(), 0..3u8).prop_map(|(i, s)| Op::Reclaim(i, s)),
        1 => any::<u8>().prop_map(Op::Stale),
        2 => (0..(2 * TTL as u8)).prop_map(Op::Advance),
    ]
}

/// The reference: sets and lists, time as seconds.
#[derive(Debug, Default)]
struct Model {
    now: u64,
    seen: HashSet<String>,
    queued: BTreeSet<String>,
    /// Outstanding leases: (url, token, expiry).
    leased: Vec<(String, u64, u64)>,
    /// Retries and reclaims waiting: url -> due.
    delayed: BTreeMap<String, u64>,
    done: u64,
    failed: u64,
    stale: u64,
    expired: u64,
}

impl Model {
    fn push(&mut self, urls: &[String]) -> usize {
        let mut added = 0;
        for u in urls {
            if self.seen.insert(u.clone()) {
                self.queued.insert(u.clone());
                added += 1;
            }
        }
        added
    }

    /// What every lease, complete and reclaim does first.
    fn expire(&mut self) {
        let now = self.now;
        let (gone, kept): (Vec<_>, Vec<_>) = self.leased.drain(..).partition(|l| l.2 <= now);
        self.leased = kept;
        for (u, _, _) in gone {
            self.expired += 1;
            self.queued.insert(u);
        }
    }

    fn release(&mut self) {
        let now = self.now;
        let due: Vec<String> = self
            .delayed
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(u, _)| u.clone())
            .collect();
        for u in due {
            self.delayed.remove(&u);
            self.queued.insert(u);
        }
    }

    /// Ends the lease with `token` if it is held; false if stale.
    fn take(&mut self, token: u64) -> Option<String> {
        let i = self.leased.iter().position(|l| l.1 == token)?;
        Some(self.leased.remove(i).0)
    }

    fn later(&mut self, url: String, after: u64) {
        if after == 0 {
            self.queued.insert(url);
        } else {
            self.delayed.insert(url, self.now + after);
        }
    }
}

fn cfg() -> FrontierConfig {
    FrontierConfig {
        obey_robots: false,
        jitter: false,
        per_host: 100,
        lease_ttl: Duration::from_secs(TTL),
        ..FrontierConfig::default()
    }
}

fn requests(urls: &[String]) -> Vec<Request> {
    urls.iter()
        .map(|u| Request::get(u.parse().unwrap()))
        .collect()
}

fn copy(l: &Lease) -> Lease {
    Lease {
        request: l.request.clone(),
        ..*l
    }
}

struct Run {
    f: BoxFrontier,
    clock: ManualClock,
    model: Model,
    /// Leases as the frontier handed them out, by token.
    held: Vec<Lease>,
    /// Copies of leases that ended, to ack again.
    ended: Vec<Lease>,
}

impl Run {
    /// Index `i` into the held leases, taking it out.
    fn pick(&mut self, i: u8) -> Option<Lease> {
        if self.held.is_empty() {
            return None;
        }
        let l = self.held.remove(usize::from(i) % self.held.len());
        self.ended.push(copy(&l));
        Some(l)
    }

    async fn ack(&mut self, i: u8, ack: Ack, children: Vec<String>) -> Result<(), TestCaseError> {
        let added = self.model.push(&children);
        let Some(lease) = self.pick(i) else {
            let done = self.f.push(requests(&children)).await.unwrap();
            prop_assert_eq!(done.added, added);
            return Ok(());
        };
        let token = lease.token;
        let retry = match &ack {
            Ack::Retry { after, .. } => Some(after.as_secs()),
            _ => None,
        };
        let failed = matches!(ack, Ack::Failed);
        let done = self
            .f
            .complete(Completion {
                children: requests(&children),
                acks: vec![(lease, ack)],
                checkpoint: None,
            })
            .await
            .unwrap();
        prop_assert_eq!(done.pushed.added, added);
        self.model.expire();
        match self.model.take(token) {
            None => {
                self.model.stale += 1;
                prop_assert_eq!((done.acked, done.stale), (0, 1));
            }
            Some(url) => {
                prop_assert_eq!((done.acked, done.stale), (1, 0));
                match retry {
                    Some(after) => self.model.later(url, after),
                    None if failed => self.model.failed += 1,
                    None => self.model.done += 1,
                }
            }
        }
        Ok(())
    }

    async fn step(&mut self, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::Push(u) => {
                let u: Vec<String> = u.into_iter().map(url).collect();
                let added = self.model.push(&u);
                let got = self.f.push(requests(&u)).await.unwrap();
                prop_assert_eq!((got.added, got.duplicate), (added, u.len() - added));
            }
            Op::Lease(n) => {
                self.model.expire();
                self.model.release();
                let leased = self.f.lease(usize::from(n)).await.unwrap();
                prop_assert!(leased.dropped.is_empty());
                let want = usize::from(n).min(self.model.queued.len());
                prop_assert_eq!(leased.leases.len(), want);
                for l in leased.leases {
                    let u = l.request.url.to_string();
                    prop_assert!(self.model.queued.remove(&u), "leased {} not queued", u);
                    self.model.leased.push((u, l.token, self.model.now + TTL));
                    self.held.push(l);
                }
            }
            Op::Done(i) => self.ack(i, Ack::done(200, 1), Vec::new()).await?,
            Op::Failed(i) => self.ack(i, Ack::Failed, Vec::new()).await?,
            Op::Retry(i, s) => {
                let Some(l) = self.held.get(usize::from(i) % self.held.len().max(1)) else {
                    return Ok(());
                };
                let ack = Ack::Retry {
                    request: Box::new(l.request.clone()),
                    after: Duration::from_secs(u64::from(s)),
                    throttled: false,
                };
                self.ack(i, ack, Vec::new()).await?;
            }
            Op::Complete(i, c) => {
                let c = c.into_iter().map(url).collect();
                self.ack(i, Ack::done(200, 1), c).await?;
            }
            Op::Reclaim(i, s) => {
                let Some(lease) = self.pick(i) else {
                    return Ok(());
                };
                let token = lease.token;
                let after = u64::from(s);
                let ok = self
                    .f
                    .reclaim(lease, Duration::from_secs(after))
                    .await
                    .unwrap();
                self.model.expire();
                match self.model.take(token) {
                    None => {
                        self.model.stale += 1;
                        prop_assert!(!ok, "reclaim of a stale lease applied");
                    }
                    Some(url) => {
                        prop_assert!(ok, "reclaim of a held lease ignored");
                        self.model.later(url, after);
                    }
                }
            }
            Op::Stale(i) => {
                if self.ended.is_empty() {
                    return Ok(());
                }
                let l = copy(&self.ended[usize::from(i) % self.ended.len()]);
                let acked = self.f.ack(l, Ack::Failed).await.unwrap();
                self.model.expire();
                self.model.stale += 1;
                prop_assert!(!acked, "an ended lease acked again");
            }
            Op::Advance(s) => {
                self.model.now += u64::from(s);
                self.clock.advance(Duration::from_secs(u64::from(s)));
            }
        }
        self.compare().await
    }

    async fn compare(&self) -> Result<(), TestCaseError> {
        let st = self.f.status().await.unwrap();
        let m = &self.model;
        let c = st.counts;
        prop_assert_eq!(
            (c.queued, c.leased, c.done, c.failed, c.stale, c.expired),
            (
                m.queued.len() as u64,
                m.leased.len() as u64,
                m.done,
                m.failed,
                m.stale,
                m.expired
            )
        );
        let finished = m.queued.is_empty() && m.leased.is_empty() && m.delayed.is_empty();
        prop_assert_eq!(st.finished, finished);
        if !m.queued.is_empty() {
            prop_assert_eq!(st.next_ready, Some(Duration::ZERO), "queued work is ready");
        }
        Ok(())
    }
}

/// Runs the property test against backends made by `make`.
pub fn check<B: Backend>(make: impl Fn() -> B) {
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(op(), 1..60), |ops| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let backend = make();
            let clock = ManualClock::new();
            let f = backend.open(cfg(), &clock);
            let mut run = Run {
                f,
                clock,
                model: Model::default(),
                held: Vec::new(),
                ended: Vec::new(),
            };
            for op in ops {
                run.step(op).await?;
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("the frontier differs from the reference model: {e}");
    }
}
