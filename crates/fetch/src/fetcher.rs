//! [`Fetcher`]: run many requests with global and per-host limits and retries.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ferrocrawl_core::{Request, Response, Result};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::{self, JoinSet};
use tokio::time::Instant;

use crate::batch::{Batch, Job};
use crate::client::Client;
use crate::limit::HostLimiter;
use crate::retry::RetryPolicy;

/// The end of one request: its final state (attempt counts included) and
/// what the last attempt produced.
#[derive(Debug)]
pub struct Fetched {
    /// The request as it ended: `attempts` counts every try, `retries` those
    /// that used the retry budget.
    pub request: Request,
    /// The final response, or the error of the last attempt.
    pub result: Result<Response>,
    /// From the first attempt's start to the end, retry waits included.
    pub elapsed: Duration,
}

/// What follows an attempt.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "made once per attempt and moved straight out; Done is the common case, so boxing it would add an allocation per request"
)]
enum Step {
    /// Try again after this long, holding no slot meanwhile.
    Retry(Duration),
    /// The final result.
    Done(Result<Response>),
}

/// Configuration of a [`Fetcher`].
#[derive(Debug)]
pub struct FetcherBuilder {
    client: Client,
    concurrency: usize,
    per_host: usize,
    retry: RetryPolicy,
}

/// Runs a batch of requests: at most `concurrency` in flight overall and
/// `per_host` per host, each retried by its [`RetryPolicy`].
///
/// A batch schedules by host: requests wait in per-host queues, and one
/// starts only when its host has a free slot and a global slot is free, so a
/// busy host never holds global slots idle and never keeps other hosts'
/// requests from starting, whatever the input's order. Between attempts a
/// request holds neither slot: the wait is scheduling, not a sleep inside a
/// download.
///
/// The per-host limit is shared by clones of a fetcher: two batches running
/// at once (or [`Fetcher::fetch_one`] beside a batch) stay within `per_host`
/// together.
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: Client,
    concurrency: usize,
    hosts: Arc<HostLimiter>,
    retry: Arc<RetryPolicy>,
}

// ===== impl FetcherBuilder =====

impl FetcherBuilder {
    /// Requests in flight at once, over all hosts. Default 100; at least 1.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Requests in flight at once per `host:port`. Default 8; at least 1.
    pub fn per_host(mut self, n: usize) -> Self {
        self.per_host = n.max(1);
        self
    }

    /// The retry policy. Default [`RetryPolicy::default`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Build the fetcher.
    pub fn build(self) -> Fetcher {
        Fetcher {
            client: self.client,
            concurrency: self.concurrency,
            hosts: HostLimiter::new(self.per_host),
            retry: Arc::new(self.retry),
        }
    }
}

// ===== impl Fetcher =====

impl Fetcher {
    /// A builder around `client`.
    pub fn builder(client: Client) -> FetcherBuilder {
        FetcherBuilder {
            client,
            concurrency: 100,
            per_host: 8,
            retry: RetryPolicy::default(),
        }
    }

    /// Start fetching `requests` in the background. Each request carries a
    /// tag of the caller's (an index, a line number) that comes back with its
    /// result. Results arrive in completion order; the channel closes after
    /// the last one. Dropping the receiver stops the batch, aborting the
    /// requests in flight.
    ///
    /// `requests` is read lazily, as slots free up that no request already
    /// read can take. When its head is all one host, the requests behind it
    /// are read ahead to find other hosts, up to `max(64 × concurrency,
    /// 65,536)` requests read and not yet finished: queued requests are
    /// cheap, but a million-line input is never held at once.
    pub fn run<K, I>(&self, requests: I) -> mpsc::Receiver<(K, Fetched)>
    where
        K: Send + 'static,
        I: IntoIterator<Item = (K, Request)> + Send + 'static,
        I::IntoIter: Send,
    {
        let (tx, rx) = mpsc::channel(self.concurrency.min(4096));
        let this = self.clone();
        tokio::spawn(async move { this.drive(requests, tx).await });
        rx
    }

    async fn drive<K, I>(self, requests: I, tx: mpsc::Sender<(K, Fetched)>)
    where
        K: Send + 'static,
        I: IntoIterator<Item = (K, Request)>,
    {
        let mut input = requests.into_iter().fuse();
        let mut exhausted = false;
        let mut batch = Batch::new(self.concurrency, self.hosts.per_host());
        // One task per attempt running, so a task never waits for a slot.
        // Dropping the set (the receiver went away) aborts them all.
        let mut tasks = JoinSet::new();
        // Which host each task is for, to give its slot back if it panics.
        let mut hosts_by_task: HashMap<task::Id, Arc<str>> = HashMap::new();
        loop {
            // Order matters: queued requests take the free slots first; the
            // input is read only for slots that none of them can use.
            loop {
                while let Some(job) = batch.next_job() {
                    let key = Arc::clone(&job.key);
                    let this = self.clone();
                    let id = tasks.spawn(this.attempt_job(job)).id();
                    hosts_by_task.insert(id, key);
                    // Let the new tasks run every so often (tokio's task budget):
                    // thousands of requests all waiting on hyper's connection pool
                    // at once make each connection that opens scan every waiter
                    // (10,000 requests: +0.35 CPU-s, +0.5 s wall).
                    tokio::task::coop::consume_budget().await;
                }
                if exhausted || !batch.wants_input() {
                    break;
                }
                match input.next() {
                    Some((tag, request)) => batch.push(tag, request),
                    None => exhausted = true,
                }
            }
            if exhausted && batch.is_empty() {
                return;
            }
            let wake = batch.next_wake();
            tokio::select! {
                () = tx.closed() => return,
                Some(joined) = tasks.join_next_with_id() => {
                    let (id, job, step) = match joined {
                        Ok((id, (job, step))) => (id, job, step),
                        Err(e) => {
                            // The request's tag went down with its task, so
                            // its result is lost; the batch goes on.
                            tracing::error!("a fetch task failed: {e}");
                            if let Some(key) = hosts_by_task.remove(&e.id()) {
                                batch.attempted(&key);
                                batch.finished();
                            }
                            continue;
                        }
                    };
                    hosts_by_task.remove(&id);
                    batch.attempted(&job.key);
                    match step {
                        Step::Retry(after) => {
                            batch.sleep_until(job, Instant::now() + after);
                        }
                        Step::Done(result) => {
                            batch.finished();
                            let fetched = Fetched {
                                request: job.request,
                                result,
                                elapsed: job.started.map_or(Duration::ZERO, |s| s.elapsed()),
                            };
                            if tx.send((job.tag, fetched)).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                () = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)),
                    if wake.is_some() => batch.wake(Instant::now()),
            }
        }
    }

    /// One attempt of a batch's request, holding a slot of its host in the
    /// shared [`HostLimiter`] (free at once unless another batch or
    /// [`fetch_one`](Self::fetch_one) uses the same host).
    async fn attempt_job<K>(self, mut job: Job<K>) -> (Job<K>, Step) {
        job.started.get_or_insert_with(Instant::now);
        let result = {
            let _host = self.hosts.acquire(&job.key).await;
            self.client.execute(&job.request).await
        };
        let step = self.step(&mut job.request, result);
        (job, step)
    }

    /// Fetch one request to its final result, retrying as the policy says,
    /// with a slot of its host and one of `global` held during each attempt.
    pub async fn fetch_one(&self, mut request: Request, global: &Semaphore) -> Fetched {
        let key = request.host_key();
        let started = Instant::now();
        loop {
            let result = {
                // Order matters: host slot first, then a global slot.
                let _host = self.hosts.acquire(&key).await;
                let _slot = global
                    .acquire()
                    .await
                    .expect("the global semaphore is never closed");
                self.client.execute(&request).await
            };
            match self.step(&mut request, result) {
                Step::Retry(after) => tokio::time::sleep(after).await,
                Step::Done(result) => {
                    return Fetched {
                        request,
                        result,
                        elapsed: started.elapsed(),
                    };
                }
            }
        }
    }

    /// What follows an attempt of `request` that gave `result`: counts the
    /// attempt on the request and asks the retry policy.
    fn step(&self, request: &mut Request, result: Result<Response>) -> Step {
        let decision = self
            .retry
            .decide(request, result.as_ref(), SystemTime::now());
        request.attempts += 1;
        match decision {
            Some((after, reason)) => {
                if reason.uses_budget() {
                    request.retries += 1;
                }
                tracing::debug!(url = %request.url, ?reason, ?after, "retrying");
                Step::Retry(after)
            }
            None => Step::Done(result.map(|mut resp| {
                resp.attempts = request.attempts;
                resp.request = request.clone();
                resp
            })),
        }
    }
}
