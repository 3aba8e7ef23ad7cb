//! [`Fetcher`]: run many requests with global and per-host limits and retries.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ferrocrawl_core::{Request, Response, Result};
use tokio::sync::{Semaphore, mpsc};

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
/// A request waits for its host's slot before it takes a global slot, so a
/// busy host never holds global slots idle. Between attempts it holds
/// neither: the wait is scheduling, not a sleep inside a download.
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
    /// the last one. Dropping the receiver stops the batch.
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
        let global = Arc::new(Semaphore::new(self.concurrency));
        // Bounds the tasks alive at once, so a million-line input costs a
        // window of tasks, not a million. Twice the concurrency keeps every
        // slot busy while finished tasks are replaced.
        let window = Arc::new(Semaphore::new(self.concurrency.saturating_mul(2).max(256)));
        for (tag, request) in requests {
            let Ok(slot) = Arc::clone(&window).acquire_owned().await else {
                return;
            };
            if tx.is_closed() {
                return;
            }
            let this = self.clone();
            let global = Arc::clone(&global);
            let tx = tx.clone();
            tokio::spawn(async move {
                let fetched = this.fetch_one(request, &global).await;
                // A closed channel means the caller stopped listening.
                let _ = tx.send((tag, fetched)).await;
                drop(slot);
            });
        }
    }

    /// Fetch one request to its final result, retrying as the policy says.
    pub async fn fetch_one(&self, mut request: Request, global: &Semaphore) -> Fetched {
        let key = request.host_key();
        let started = tokio::time::Instant::now();
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
            let decision = self
                .retry
                .decide(&request, result.as_ref(), SystemTime::now());
            request.attempts += 1;
            match decision {
                Some((after, reason)) => {
                    if reason.uses_budget() {
                        request.retries += 1;
                    }
                    tracing::debug!(url = %request.url, ?reason, ?after, "retrying");
                    tokio::time::sleep(after).await;
                }
                None => {
                    let result = result.map(|mut resp| {
                        resp.attempts = request.attempts;
                        resp.request = request.clone();
                        resp
                    });
                    return Fetched {
                        request,
                        result,
                        elapsed: started.elapsed(),
                    };
                }
            }
        }
    }
}
