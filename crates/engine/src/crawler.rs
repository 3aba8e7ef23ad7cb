//! [`Crawler`]: the loop.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use ferrocrawl_core::{Request, Result};
use ferrocrawl_frontier::{Ack, BoxFrontier, Completion, DropReason, Dropped, Lease, Status};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep};

use crate::builder::{CrawlerBuilder, Ctx};
use crate::event::{Event, PageRecord};
use crate::output::{NoOutput, Output};
use crate::page::{self, Done};
use crate::stats::Stats;

/// How a crawl ended.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Pages fetched (any status).
    pub pages: u64,
    /// Pages that failed for good.
    pub failed: u64,
    /// Requests dropped by robots.txt.
    pub dropped: u64,
    /// Links not followed: out of scope.
    pub out_of_scope: u64,
    /// Requests left queued (budget reached, or stopped early).
    pub left_queued: u64,
    /// Hosts that reached the per-host page budget (`max_pages_per_host`).
    pub full_hosts: u64,
    /// Requests left queued on those hosts.
    pub left_on_full_hosts: u64,
    /// Acks the frontier ignored as stale (a lease that had expired).
    pub stale_acks: u64,
    /// Time requests were told to wait by `Retry-After` (429, 503), summed.
    pub throttled_wait: Duration,
    /// Links cut by a trap guard or skipped by extension (each a dropped line).
    pub cut: u64,
    /// HTML pages fetched whose main content could not be extracted (the
    /// `content` setting): each record says why in `content_error`.
    pub content_failed: u64,
    /// Body bytes downloaded.
    pub bytes: u64,
    /// Items emitted by handlers.
    pub items: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Stopped by [`Crawler::stop`] before the frontier was finished.
    pub stopped: bool,
}

/// A configured crawl. Build it with [`Crawler::builder`], run it once.
pub struct Crawler {
    pub(crate) ctx: Arc<Ctx>,
    pub(crate) frontier: BoxFrontier,
    pub(crate) seeds: Vec<Request>,
    pub(crate) concurrency: usize,
    /// Time between commits, at most, while work arrives.
    pub(crate) commit_every: Duration,
    pub(crate) stop_tx: watch::Sender<bool>,
}

// ===== impl Crawler =====

/// Time between commits, at most, while work arrives, unless the builder
/// says otherwise ([`CrawlerBuilder::commit_every`]).
pub(crate) const COMMIT_EVERY: Duration = Duration::from_millis(500);

/// The longest an idle crawl sleeps before asking the frontier again.
const IDLE_RECHECK: Duration = Duration::from_secs(1);

impl Crawler {
    /// A builder with neutral library defaults.
    pub fn builder() -> CrawlerBuilder {
        CrawlerBuilder::default()
    }

    /// Live counters.
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.ctx.stats)
    }

    /// A handle that stops the crawl gracefully: no new leases, in-flight
    /// requests finish, then `run` returns.
    pub fn stopper(&self) -> Stopper {
        Stopper(self.stop_tx.clone())
    }

    /// Crawl until the frontier is finished (or [`Stopper::stop`]), sending
    /// every page and drop to `events`. A failed page never stops the crawl;
    /// only frontier errors do.
    pub async fn run(self, events: mpsc::Sender<Event>) -> Result<Summary> {
        self.drive(events, NoOutput, false)
            .await
            .map(|(summary, _)| summary)
    }

    /// Crawl like [`Crawler::run`], but write items to `output` instead of
    /// sending them as events: a page is acked only after its items were
    /// accepted, and the frontier commits only after `output` has (see
    /// [`Output`]). Returns the output for the caller to close.
    pub async fn run_into<O: Output>(
        self,
        events: mpsc::Sender<Event>,
        output: O,
    ) -> Result<(Summary, O)> {
        self.drive(events, output, true).await
    }

    async fn drive<O: Output>(
        self,
        events: mpsc::Sender<Event>,
        mut output: O,
        use_output: bool,
    ) -> Result<(Summary, O)> {
        let started = Instant::now();
        let mut commit = Commits::new(self.commit_every);
        // A backend whose acks are durable at once can't roll one back with
        // the outputs: its pages' acks wait for the output's next commit.
        commit.hold = use_output && self.frontier.acks_durable_at_once();
        let stats = Arc::clone(&self.ctx.stats);
        let frontier = Arc::clone(&self.frontier);
        frontier.push(self.seeds.clone()).await?;
        if self.ctx.sitemaps {
            // The rest (robots.txt `Sitemap:` lines, indexes) comes from
            // leases, like links do.
            frontier
                .push(crate::sitemap::seeds(&self.ctx, &self.seeds))
                .await?;
        }
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
        let mut stop_rx = self.stop_tx.subscribe();
        let mut in_flight = 0usize;
        let mut stopping = *stop_rx.borrow();
        loop {
            if !stopping && in_flight < self.concurrency {
                let leased = frontier.lease(self.concurrency - in_flight).await?;
                for d in leased.dropped {
                    self.dropped(d, &events, use_output.then_some(&mut output))
                        .await?;
                }
                for lease in leased.leases {
                    in_flight += 1;
                    let ctx = Arc::clone(&self.ctx);
                    let tx = done_tx.clone();
                    tokio::spawn(async move {
                        let done = page::process(&ctx, lease).await;
                        // The loop outlives every task it spawned.
                        let _ = tx.send(done);
                    });
                }
            }
            if in_flight == 0 {
                // Idle: a good moment to commit (held acks must land before
                // the frontier can look finished).
                if commit.dirty() {
                    self.commit(&mut output, &mut commit).await?;
                }
                let status = frontier.status().await?;
                if stopping || status.finished {
                    break;
                }
                match status.next_ready {
                    Some(wait) => {
                        // At most a second: in a shared frontier another
                        // worker may finish the crawl, or free a host, first
                        // (the next ready time may be a lease's expiry).
                        tokio::select! {
                            _ = sleep(wait.min(IDLE_RECHECK)) => {}
                            _ = stop_rx.changed() => stopping = true,
                        }
                    }
                    None => {
                        // Not finished, nothing leased, nothing ready: only
                        // drops are pending; the next lease call returns them.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                continue;
            }
            let wake = if !stopping && in_flight < self.concurrency {
                frontier.status().await?.next_ready
            } else {
                None
            };
            tokio::select! {
                done = done_rx.recv() => {
                    let Some(done) = done else { break };
                    in_flight -= 1;
                    self.finish(done, &events, use_output.then_some(&mut output), &mut commit).await?;
                    while let Ok(done) = done_rx.try_recv() {
                        in_flight -= 1;
                        self.finish(done, &events, use_output.then_some(&mut output), &mut commit).await?;
                    }
                    if commit.due() {
                        self.commit(&mut output, &mut commit).await?;
                    }
                    let Status { counts, .. } = frontier.status().await?;
                    stats.queued.store(counts.queued, Relaxed);
                    stats.hosts.store(counts.hosts, Relaxed);
                }
                _ = sleep(wake.unwrap_or_default()), if wake.is_some() => {}
                _ = stop_rx.changed(), if !stopping => stopping = true,
            }
        }
        self.commit(&mut output, &mut commit).await?;
        let counts = frontier.status().await?.counts;
        let summary = Summary {
            pages: stats.pages(),
            failed: stats.failed(),
            dropped: stats.dropped(),
            out_of_scope: stats.out_of_scope(),
            // What a resume finds queued: retries waiting out a backoff too.
            left_queued: counts.queued + counts.waiting,
            full_hosts: counts.full_hosts,
            left_on_full_hosts: counts.queued_on_full_hosts,
            stale_acks: counts.stale,
            throttled_wait: Duration::from_millis(stats.throttled_ms.load(Relaxed)),
            cut: stats.cut.load(Relaxed),
            content_failed: stats.content_failed.load(Relaxed),
            bytes: stats.bytes(),
            items: stats.items(),
            elapsed: started.elapsed(),
            stopped: stopping,
        };
        Ok((summary, output))
    }

    /// A request the frontier dropped: a `dropped` line for a robots.txt
    /// rule; a failure for a host whose robots.txt kept failing (a dropped
    /// line, counted failed) or that could not be reached (a failed page).
    async fn dropped<O: Output>(
        &self,
        d: Dropped,
        events: &mpsc::Sender<Event>,
        output: Option<&mut O>,
    ) -> Result<()> {
        let stats = &self.ctx.stats;
        if let DropReason::Unreachable { kind, message } = &d.reason {
            stats.failed.fetch_add(1, Relaxed);
            let record = PageRecord::failed(&d.request, kind, message.clone());
            if let Some(o) = output {
                o.page(&record).await?;
            }
            let _ = events.send(Event::Page(Box::new(record))).await;
            return Ok(());
        }
        if d.reason.is_failure() {
            stats.failed.fetch_add(1, Relaxed);
        } else {
            stats.dropped.fetch_add(1, Relaxed);
        }
        let reason = d.reason.to_string();
        if let Some(o) = output {
            o.dropped(&d.request.url, &reason).await?;
        }
        let url = d.request.url;
        let _ = events.send(Event::Dropped { url, reason }).await;
        Ok(())
    }

    /// Commit the output, then the frontier with the output's checkpoint
    /// (and the acks held for it), in one completion.
    async fn commit<O: Output>(&self, output: &mut O, commit: &mut Commits) -> Result<()> {
        let checkpoint = output.commit().await?;
        let acks = std::mem::take(&mut commit.held);
        self.frontier
            .complete(Completion {
                children: Vec::new(),
                acks,
                checkpoint: Some(checkpoint),
            })
            .await?;
        commit.done();
        Ok(())
    }

    async fn finish<O: Output>(
        &self,
        done: Done,
        events: &mpsc::Sender<Event>,
        output: Option<&mut O>,
        commit: &mut Commits,
    ) -> Result<()> {
        let stats = &self.ctx.stats;
        stats.out_of_scope.fetch_add(done.out_of_scope, Relaxed);
        let mut output = output;
        for (url, reason) in done.cut {
            // Once per crawl: a trap offers the same cut link on every page.
            let fp = ferrocrawl_url::fingerprint(&url, "GET", None);
            let new = self
                .ctx
                .cut_reported
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(fp);
            if new {
                stats.cut.fetch_add(1, Relaxed);
                if let Some(o) = output.as_deref_mut() {
                    o.dropped(&url, &reason).await?;
                }
                let _ = events.send(Event::Dropped { url, reason }).await;
            }
        }
        if !done.items.is_empty() {
            stats.items.fetch_add(done.items.len() as u64, Relaxed);
            commit.items += done.items.len() as u64;
        }
        if let (Some(o), Some(record)) = (output.as_deref_mut(), &done.record) {
            o.page(record).await?;
        }
        if let (Some(o), false) = (output, done.items.is_empty()) {
            let request = &done.lease.request;
            o.accept(&request.url, request.label.as_deref(), done.items)
                .await?;
        } else if !done.items.is_empty() {
            for item in done.items {
                let _ = events
                    .send(Event::Item {
                        url: done.lease.request.url.clone(),
                        label: done.lease.request.label.clone(),
                        item,
                    })
                    .await;
            }
        }
        if let Some(record) = done.record {
            if record.error.is_some() {
                stats.failed.fetch_add(1, Relaxed);
            } else {
                stats.pages.fetch_add(1, Relaxed);
                stats.bytes.fetch_add(record.bytes, Relaxed);
            }
            // A closed channel means nobody listens; the crawl still completes.
            let _ = events.send(Event::Page(Box::new(record))).await;
        }
        commit.acks += 1;
        let (children, lease) = (done.follow, done.lease);
        let acks = if commit.hold {
            commit.held.push((lease, done.ack));
            Vec::new()
        } else {
            vec![(lease, done.ack)]
        };
        // The page's links and its ack in one step: the frontier never looks
        // finished in between, and a crash can't keep one without the other.
        self.frontier
            .complete(Completion {
                children,
                acks,
                checkpoint: None,
            })
            .await
            .map(drop)
    }
}

/// When to commit: after enough items or acks, or after a while.
struct Commits {
    items: u64,
    acks: u64,
    last: Instant,
    /// Hold acks until the output commits (see `drive`).
    hold: bool,
    held: Vec<(Lease, Ack)>,
    /// Time between commits, at most, while work arrives.
    every: Duration,
}

impl Commits {
    /// Items between commits, at most.
    const ITEMS: u64 = 2_000;
    /// Acks between commits, at most.
    const ACKS: u64 = 5_000;
    fn new(every: Duration) -> Commits {
        Commits {
            every,
            items: 0,
            acks: 0,
            last: Instant::now(),
            hold: false,
            held: Vec::new(),
        }
    }

    fn dirty(&self) -> bool {
        self.items > 0 || self.acks > 0
    }

    fn due(&self) -> bool {
        // Held acks hold host slots: commit them with every batch.
        !self.held.is_empty()
            || self.items >= Self::ITEMS
            || self.acks >= Self::ACKS
            || (self.dirty() && self.last.elapsed() >= self.every)
    }

    fn done(&mut self) {
        self.items = 0;
        self.acks = 0;
        self.last = Instant::now();
    }
}

/// Stops a running crawl gracefully.
#[derive(Clone, Debug)]
pub struct Stopper(watch::Sender<bool>);

impl Stopper {
    /// Stop leasing; let in-flight requests finish.
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}
