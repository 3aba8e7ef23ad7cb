//! What the frontier hands out and what it is told back.

use std::fmt;
use std::time::{Duration, SystemTime};

use ferrocrawl_core::{Error, Request};
use ferrocrawl_robots::{Availability, Robots};

/// Identifies a lease; unique within a frontier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeaseId(pub u64);

/// What a lease asks the engine to fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseKind {
    /// A page of the crawl.
    Page,
    /// The host's robots.txt; ack it with [`Ack::Robots`].
    Robots,
}

/// A request handed out for fetching. It holds a slot of its host until it
/// is acked, reclaimed, or expires.
///
/// A lease is valid while its `(id, token)` pair is the one the frontier
/// holds for it and its expiry has not passed. After expiry the frontier
/// may take the request back (on the next `lease` call, by any handle) and
/// lease it again under a new token: an ack or reclaim that comes with the
/// old token is *stale*, counted in [`Counts::stale`] and ignored, so a
/// worker that lost its lease can never ack over the new holder.
#[derive(Debug)]
pub struct Lease {
    /// Its id.
    pub id: LeaseId,
    /// The fencing token: grows with every lease the frontier grants.
    pub token: u64,
    /// When the frontier may take the request back.
    pub expires: SystemTime,
    /// What it is for.
    pub kind: LeaseKind,
    /// The request to fetch.
    pub request: Request,
}

/// How a lease ended.
#[derive(Debug)]
pub enum Ack {
    /// The page was fetched (whatever its status).
    Done {
        /// HTTP status.
        status: u16,
        /// Body bytes, counted against the byte budget.
        bytes: u64,
        /// Time to the response headers, for the adaptive throttle.
        latency: Duration,
    },
    /// Gave up on the page; it counts as failed.
    Failed,
    /// Try again after `after`. The request carries its updated attempt
    /// counts. `throttled` (429, or 503 with Retry-After) also holds back the
    /// whole host for that long.
    Retry {
        /// The request to queue again.
        request: Box<Request>,
        /// How long to wait first.
        after: Duration,
        /// The server asked us to slow down.
        throttled: bool,
    },
    /// A [`LeaseKind::Robots`] lease whose robots.txt could not be fetched
    /// at all (connection refused, DNS failure, a refused address): asked
    /// again soon, and after the configured attempts (at once for a refused
    /// address) the host's pages fail with this error.
    RobotsFailed {
        /// Why.
        error: Error,
    },
    /// The answer to a [`LeaseKind::Robots`] lease.
    Robots {
        /// The rules.
        robots: Robots,
        /// Whether to trust them for long (fetched, not found) or ask again soon.
        availability: Availability,
    },
}

impl Ack {
    /// `Done` without latency information.
    pub fn done(status: u16, bytes: u64) -> Ack {
        Ack::Done {
            status,
            bytes,
            latency: Duration::ZERO,
        }
    }
}

/// Why a request was dropped instead of fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// robots.txt disallows it.
    Disallowed,
    /// robots.txt answered 5xx (or 429) on every attempt, which RFC 9309
    /// treats as "disallow everything".
    RobotsUnavailable,
    /// The host could not be reached at all for its robots.txt: its pages
    /// fail with this error (kind name and message), they are not dropped.
    Unreachable {
        /// The error kind's name (`connect`, `forbidden_address`, ...).
        kind: &'static str,
        /// What happened.
        message: String,
    },
}

impl DropReason {
    /// Whether a request dropped for this reason counts as a failure: the
    /// host was unreachable or its robots.txt kept failing, so nothing the
    /// user asked for was fetched. Only a robots.txt rule is a plain drop.
    pub fn is_failure(&self) -> bool {
        !matches!(self, DropReason::Disallowed)
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::Disallowed => f.write_str("disallowed by robots.txt"),
            DropReason::RobotsUnavailable => f.write_str(
                "robots.txt kept answering with a server error (5xx or 429), which RFC 9309 \
                 reads as \"disallow everything\"",
            ),
            DropReason::Unreachable { message, .. } => write!(f, "host unreachable: {message}"),
        }
    }
}

/// A request the frontier dropped, and why.
#[derive(Debug)]
pub struct Dropped {
    /// The request.
    pub request: Request,
    /// Why.
    pub reason: DropReason,
}

/// The result of [`crate::Frontier::lease`].
#[derive(Debug, Default)]
pub struct Leased {
    /// Requests to fetch now.
    pub leases: Vec<Lease>,
    /// Requests dropped while choosing them.
    pub dropped: Vec<Dropped>,
}

/// The result of [`crate::Frontier::push`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PushStats {
    /// Queued.
    pub added: usize,
    /// Seen before.
    pub duplicate: usize,
    /// Deeper than the depth budget.
    pub too_deep: usize,
}

/// One atomic step of the protocol: push the requests a page found, ack
/// its lease (or several pages' leases), and record the sinks' checkpoint,
/// all or nothing. Children are pushed before the acks are applied, so the
/// frontier never looks finished in between and a crash can't lose them.
#[derive(Debug, Default)]
pub struct Completion {
    /// New requests (links, redirects, a handler's follows).
    pub children: Vec<Request>,
    /// How each lease ended. A stale lease is counted and skipped.
    pub acks: Vec<(Lease, Ack)>,
    /// What the outputs had durably written, for resume: when given, the
    /// whole step (and every call before it) is durable when it returns.
    pub checkpoint: Option<Checkpoint>,
}

/// What [`crate::Frontier::complete`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Completed {
    /// What happened to the children.
    pub pushed: PushStats,
    /// Acks applied.
    pub acked: usize,
    /// Acks ignored as stale (the lease had expired and moved on, or was
    /// acked already).
    pub stale: usize,
}

/// What item sinks had durably written at a commit: named opaque values,
/// e.g. `("items.jsonl", byte length)`.
pub type Checkpoint = Vec<(String, Vec<u8>)>;

/// The frontier's state in one answer: [`crate::Frontier::status`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Nothing queued that may still be fetched, nothing leased, no retry
    /// waiting: the crawl is over.
    pub finished: bool,
    /// How long until a lease may become available: zero if one may be
    /// leased now, `None` if nothing is queued (or the budget is spent).
    pub next_ready: Option<Duration>,
    /// The counters.
    pub counts: Counts,
}

/// Counters for progress displays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting to be leased.
    pub queued: u64,
    /// Leased and not yet acked.
    pub leased: u64,
    /// Set aside, waiting out a retry's backoff (queued again when it ends,
    /// and on resume).
    pub waiting: u64,
    /// Pages acked `Done`.
    pub done: u64,
    /// Pages acked `Failed`.
    pub failed: u64,
    /// Requests dropped (robots).
    pub dropped: u64,
    /// Hosts seen.
    pub hosts: u64,
    /// Body bytes downloaded.
    pub bytes: u64,
    /// Acks and reclaims ignored because their lease was no longer held.
    pub stale: u64,
    /// Leases taken back after their expiry.
    pub expired: u64,
    /// Hosts that reached the per-host page budget.
    pub full_hosts: u64,
    /// Requests queued on those hosts, never to be leased in this run.
    pub queued_on_full_hosts: u64,
}
