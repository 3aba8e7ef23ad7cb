//! [`Job`]: the one way to run a whole crawl, from Rust, the CLI and Python.
//!
//! A job is [`Settings`] (the one tree the builder, spider files and CLI
//! flags fill), a frontier location (`memory:`, `sqlite:PATH`; `redis://`
//! is parsed and refused by name until it is built in), outputs (item
//! routes into sinks, page lines, saved pages) and handlers (a [`Router`],
//! or a spider file's rules).
//!
//! [`Job::run`] owns the lifecycle: it opens or resumes the state, opens the
//! outputs cut back to the state's checkpoint, crawls with items committed
//! before their pages count as done, pauses on Ctrl-C, and at the end
//! removes the state of a finished crawl or keeps the state of one that was
//! paused or stopped by a budget. Outputs are configured, never handed in
//! opened, so none can be attached without exactly-once commits.
//!
//! ```no_run
//! # async fn demo() -> ferrocrawl::Result<()> {
//! use ferrocrawl::{Job, ItemRoute};
//!
//! let report = Job::new("docs")
//!     .seed("http://127.0.0.1:8082/")
//!     .configure(|s| s.per_host = 16)
//!     .pages_to(Some("pages.jsonl".into()))
//!     .frontier("sqlite:docs.state")?
//!     .run()
//!     .await?;
//! println!("{} pages, {} failed", report.summary.pages, report.summary.failed);
//! # Ok(()) }
//! ```

mod items;
mod mirror;
mod pages;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrocrawl_engine::{Crawler, Event, Output, Router, Settings, Stats, Stopper, Summary};
use ferrocrawl_fetch::ClientBuilder;
use ferrocrawl_frontier::{
    BoxFrontier, Checkpoint, FrontierLocation, MemoryFrontier, Resumed, SqliteFrontier,
};
use ferrocrawl_spider::{SinkKind, SinkSpec, Spider};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use items::{ItemRoute, RouteReport};

use crate::{Error, ErrorKind, Request, Result, Url};

/// A whole crawl: settings, frontier, outputs and handlers. Build it with
/// its methods, then [`Job::run`] it (or [`Job::start`] it to watch it).
#[derive(Debug)]
pub struct Job {
    name: String,
    settings: Settings,
    frontier: FrontierLocation,
    identity: Option<String>,
    seeds: Vec<String>,
    requests: Vec<Request>,
    router: Option<Router>,
    routes: Vec<ItemRoute>,
    failures: Option<PathBuf>,
    table: Option<String>,
    /// `None`: no page lines; `Some(None)`: on stdout.
    pages: Option<Option<PathBuf>>,
    save: Option<PathBuf>,
    client: Option<ClientBuilder>,
    /// The crawl's name in a shared frontier (default: the job's name).
    crawl_name: Option<String>,
    /// This worker's name in a shared frontier.
    worker: Option<String>,
    /// Every item, also into this channel (a live stream, with backpressure).
    stream: Option<mpsc::Sender<Value>>,
}

impl ItemRoute {
    /// Every label's items into `target`: a `.db`/`.sqlite` file (SQLite),
    /// `.jsonl`, `.csv`, a `postgres://` URL, or `-` for stdout.
    pub fn to(target: &str) -> Result<ItemRoute> {
        let kind = SinkKind::of(target).map_err(|e| Error::new(ErrorKind::Config, e))?;
        Ok(ItemRoute {
            rule: None,
            sink: SinkSpec {
                kind,
                to: target.to_owned(),
                table: None,
                key: None,
            },
            key: None,
            required: Vec::new(),
            dedupe: true,
        })
    }

    /// Only the items of requests labelled `rule`.
    pub fn rule(mut self, rule: impl Into<String>) -> ItemRoute {
        self.rule = Some(rule.into());
        self
    }

    /// Upsert and deduplicate by this field (it becomes required).
    pub fn key(mut self, key: impl Into<String>) -> ItemRoute {
        self.key = Some(key.into());
        self
    }

    /// The table of a database sink (default: the job's name).
    pub fn table(mut self, table: impl Into<String>) -> ItemRoute {
        self.sink.table = Some(table.into());
        self
    }
}

impl Job {
    /// An empty job called `name` (it names the default table, state and
    /// failures files), with default settings and an in-memory frontier.
    pub fn new(name: impl Into<String>) -> Job {
        Job {
            name: name.into(),
            settings: Settings::default(),
            frontier: FrontierLocation::Memory,
            crawl_name: None,
            worker: None,
            stream: None,
            identity: None,
            seeds: Vec::new(),
            requests: Vec::new(),
            router: None,
            routes: Vec::new(),
            failures: None,
            table: None,
            pages: None,
            save: None,
            client: None,
        }
    }

    /// The job a spider file describes: its settings, start requests, rules
    /// (as a router) and sinks (its `[sink]`, or `NAME.db`), its failures
    /// file (beside the first file sink), and a resumable state,
    /// `NAME.state` beside the first file sink.
    pub fn from_spider(spider: &Spider) -> Job {
        let fallback = SinkSpec {
            kind: SinkKind::Sqlite,
            to: format!("{}.db", spider.name()),
            table: None,
            key: None,
        };
        // One route per rule and sink: a rule with two sinks writes every
        // item to both.
        let routes: Vec<ItemRoute> = spider
            .outputs()
            .iter()
            .flat_map(|o| {
                let sinks = spider.sinks_of(o);
                let sinks = if sinks.is_empty() {
                    std::slice::from_ref(&fallback)
                } else {
                    sinks
                };
                sinks.iter().map(|sink| ItemRoute {
                    rule: Some(o.rule.clone()),
                    sink: sink.clone(),
                    key: o.key.clone(),
                    required: o.required.clone(),
                    dedupe: o.dedupe,
                })
            })
            .collect();
        let first = routes.first().map_or(fallback.clone(), |r| r.sink.clone());
        let beside_first = |file: String| match first.kind {
            SinkKind::Jsonl | SinkKind::Csv | SinkKind::Sqlite => Path::new(&first.to)
                .parent()
                .map(|d| d.join(&file))
                .unwrap_or_else(|| PathBuf::from(&file)),
            SinkKind::Stdout | SinkKind::Postgres => PathBuf::from(file),
        };
        let failures = spider
            .failures()
            .map(PathBuf::from)
            .unwrap_or_else(|| match first.kind {
                SinkKind::Jsonl | SinkKind::Csv | SinkKind::Sqlite => {
                    Path::new(&first.to).with_extension("failures.jsonl")
                }
                _ => PathBuf::from(format!("{}.failures.jsonl", spider.name())),
            });
        // Which crawl a state file belongs to: the spider and where its items
        // go. Editing a selector keeps the state usable; another sink doesn't.
        let targets: Vec<String> = routes
            .iter()
            .map(|r| {
                let rule = r.rule.as_deref().unwrap_or("*");
                let table = r.sink.table.as_deref().unwrap_or("");
                format!("{rule}={}#{table}", r.sink.to)
            })
            .collect();
        let identity = format!("ferrocrawl run {} -> {}", spider.name(), targets.join(", "));
        let mut job = Job::new(spider.name())
            .settings(spider.settings().clone())
            .router(spider.router())
            .failures(failures)
            .table(spider.name().replace('-', "_"))
            .identity(identity);
        job.frontier = FrontierLocation::Sqlite(beside_first(format!("{}.state", spider.name())));
        job.routes = routes;
        for r in spider.start_requests() {
            job = job.request(r.clone());
        }
        job
    }

    /// Replace every setting.
    pub fn settings(mut self, settings: Settings) -> Job {
        self.settings = settings;
        self
    }

    /// Change settings in place: `.configure(|s| s.per_host = 16)`.
    pub fn configure(mut self, change: impl FnOnce(&mut Settings)) -> Job {
        change(&mut self.settings);
        self
    }

    /// The settings so far.
    pub fn current_settings(&self) -> &Settings {
        &self.settings
    }

    /// Where the frontier lives: `memory:` (the default), `sqlite:PATH`
    /// (resumable), or `redis://HOST:PORT/DB` (shared by many workers; the
    /// `redis` feature, or refused by name).
    pub fn frontier(mut self, location: &str) -> Result<Job> {
        let location: FrontierLocation = location.parse()?;
        if let Some(e) = location.not_built_in() {
            return Err(e);
        }
        self.frontier = location;
        Ok(self)
    }

    /// The crawl's name in a shared frontier, so that several crawls share
    /// one Redis (default: the job's name, or `?crawl=` in the location).
    pub fn crawl_name(mut self, name: impl Into<String>) -> Job {
        self.crawl_name = Some(name.into());
        self
    }

    /// This worker's name in a shared frontier: unique among the crawl's
    /// live workers, and the same when it restarts (it then takes its
    /// leases back at once; under a new name they come back after
    /// `lease_ttl`). Default: `HOST-PID`. Its file outputs are its own:
    /// `items.jsonl` is written as `items.WORKER.jsonl`.
    pub fn worker(mut self, name: impl Into<String>) -> Job {
        self.worker = Some(name.into());
        self
    }

    /// [`Job::frontier`] with a parsed location.
    pub fn frontier_at(mut self, location: FrontierLocation) -> Job {
        self.frontier = location;
        self
    }

    /// The frontier location.
    pub fn frontier_location(&self) -> &FrontierLocation {
        &self.frontier
    }

    /// Which crawl a state file belongs to; a state file of another identity
    /// is refused. By default the name, start URLs and outputs.
    pub fn identity(mut self, identity: impl Into<String>) -> Job {
        self.identity = Some(identity.into());
        self
    }

    /// Add a start URL (checked when the job starts).
    pub fn seed(mut self, url: impl Into<String>) -> Job {
        self.seeds.push(url.into());
        self
    }

    /// Add a start request (any method, body, label, priority).
    pub fn request(mut self, request: Request) -> Job {
        self.requests.push(request);
        self
    }

    /// Handlers by label.
    pub fn router(mut self, router: Router) -> Job {
        self.router = Some(router);
        self
    }

    /// Send items down a route (into a sink, through a pipeline).
    pub fn items(mut self, route: ItemRoute) -> Job {
        self.routes.push(route);
        self
    }

    /// Where items that fail a pipeline stage or a sink go, with their
    /// reasons (default: `NAME.failures.jsonl`).
    pub fn failures(mut self, path: impl Into<PathBuf>) -> Job {
        self.failures = Some(path.into());
        self
    }

    /// The table of database sinks that name none (default: the name).
    pub fn table(mut self, table: impl Into<String>) -> Job {
        self.table = Some(table.into());
        self
    }

    /// One JSON line per page, drop and unrouted item, into `path` (stdout
    /// with `None`).
    pub fn pages_to(mut self, path: Option<PathBuf>) -> Job {
        self.pages = Some(path);
        self
    }

    /// Save every page's body under `dir`/HOST/PATH; with the `content`
    /// setting, each successful HTML page's main content instead, as
    /// `dir`/HOST/PATH.md (or `.txt`).
    pub fn save_pages(mut self, dir: impl Into<PathBuf>) -> Job {
        self.save = Some(dir.into());
        self
    }

    /// Every item also into `channel`, as its page is handled: a live stream
    /// for a consumer in the same process. The channel's capacity is the
    /// backpressure: while it is full the crawl waits, so a slow consumer
    /// slows the crawl down and memory stays flat. If the receiver is
    /// dropped, the crawl goes on without it. The stream is not part of the
    /// state: a page handled again after a crash or kill -9 streams its
    /// items again, where the sinks (exactly once) don't write them twice.
    pub fn item_channel(mut self, channel: mpsc::Sender<Value>) -> Job {
        self.stream = Some(channel);
        self
    }

    /// The base HTTP client (headers, cookies...); the settings apply on top.
    pub fn client(mut self, client: ClientBuilder) -> Job {
        self.client = Some(client);
        self
    }

    /// The state file, for a job with a `sqlite:` frontier.
    pub fn state_path(&self) -> Option<&Path> {
        match &self.frontier {
            FrontierLocation::Sqlite(p) => Some(p),
            _ => None,
        }
    }

    /// Whether some output writes to stdout (which a resume can't cut back).
    pub fn writes_to_stdout(&self) -> bool {
        matches!(self.pages, Some(None))
            || self.routes.iter().any(|r| r.sink.kind == SinkKind::Stdout)
    }

    fn default_identity(&self) -> String {
        let mut starts: Vec<&str> = self.seeds.iter().map(String::as_str).collect();
        starts.extend(self.requests.iter().map(|r| r.url.as_str()));
        let mut outs: Vec<String> = self.routes.iter().map(|r| r.sink.to.clone()).collect();
        if let Some(p) = &self.pages {
            outs.push(p.as_ref().map_or("-".into(), |p| p.display().to_string()));
        }
        format!(
            "job {}: {} -> {}",
            self.name,
            starts.join(" "),
            outs.join(", ")
        )
    }

    /// The files this job writes, to keep the state file off them.
    fn output_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self
            .routes
            .iter()
            .filter(|r| {
                matches!(
                    r.sink.kind,
                    SinkKind::Jsonl | SinkKind::Csv | SinkKind::Sqlite
                )
            })
            .map(|r| PathBuf::from(&r.sink.to))
            .collect();
        if let Some(Some(p)) = &self.pages {
            files.push(p.clone());
        }
        if !self.routes.is_empty() {
            files.push(self.failures_path());
        }
        files
    }

    /// Joins the shared crawl at `url` as this job's worker: its file
    /// outputs become its own (`out.jsonl` → `out.WORKER.jsonl`, each cut
    /// back to its own checkpoint on a restart); an SQLite sink is refused.
    #[cfg(feature = "redis")]
    async fn join_crawl(
        &mut self,
        url: &str,
        cfg: ferrocrawl_frontier::FrontierConfig,
    ) -> Result<ferrocrawl_frontier::RedisFrontier> {
        if let Some(r) = self.routes.iter().find(|r| r.sink.kind == SinkKind::Sqlite) {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "the SQLite sink {} can't be shared by the workers of a crawl on {url}: each \
                     would hold its own copy, and a page another worker took over could be in \
                     two. Use PostgreSQL (upserts from every worker), or JSONL or CSV (one file \
                     per worker)",
                    r.sink.to
                ),
            ));
        }
        let worker = self.worker.clone().unwrap_or_else(default_worker);
        if worker.is_empty()
            || !worker
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(Error::new(
                ErrorKind::Config,
                format!("`{worker}` is not a worker name: use letters, digits, `-`, `_` and `.`"),
            ));
        }
        let failures = per_worker(&self.failures_path(), &worker);
        self.failures = Some(failures);
        for r in &mut self.routes {
            if matches!(r.sink.kind, SinkKind::Jsonl | SinkKind::Csv) {
                r.sink.to = per_worker(Path::new(&r.sink.to), &worker)
                    .to_string_lossy()
                    .into_owned();
            }
        }
        if let Some(Some(p)) = &self.pages {
            self.pages = Some(Some(per_worker(p, &worker)));
        }
        let mut builder = ferrocrawl_frontier::RedisFrontier::builder(url)
            .worker(worker)
            .config(cfg);
        match &self.crawl_name {
            Some(name) => builder = builder.crawl(name.clone()),
            None if !url.contains("crawl=") => builder = builder.crawl(self.name.clone()),
            None => {}
        }
        builder.connect().await
    }

    fn failures_path(&self) -> PathBuf {
        self.failures
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("{}.failures.jsonl", self.name)))
    }

    /// Open the frontier (resuming its state), open the outputs at the
    /// state's checkpoint, and start crawling. Read its events with
    /// [`RunningJob::next_event`], or just [`RunningJob::finish`] it.
    #[cfg_attr(not(feature = "redis"), allow(unused_mut))]
    pub async fn start(mut self) -> Result<RunningJob> {
        let identity = self
            .identity
            .clone()
            .unwrap_or_else(|| self.default_identity());
        let cfg = self.settings.frontier_config();
        let mut empty_state = false;
        #[cfg(feature = "redis")]
        let mut redis = match self.frontier.clone() {
            FrontierLocation::Redis(url) => Some(self.join_crawl(&url, cfg.clone()).await?),
            _ => None,
        };
        let (frontier, resumed): (BoxFrontier, Option<Resumed>) = match &self.frontier {
            FrontierLocation::Memory => (Arc::new(MemoryFrontier::new(cfg)), None),
            FrontierLocation::Sqlite(path) => {
                if let Some(out) = self.output_files().iter().find(|o| same_file(path, o)) {
                    return Err(Error::new(
                        ErrorKind::Config,
                        format!(
                            "the state file {} is also an output ({}): the state is removed when \
                             the crawl finishes, and the output with it; name another state file",
                            path.display(),
                            out.display()
                        ),
                    ));
                }
                empty_state = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0);
                let (f, resumed) = SqliteFrontier::open(path, cfg, &identity)?;
                // Only the engine commits, after the outputs have flushed.
                f.set_manual_commit(true);
                (Arc::new(f), Some(resumed))
            }
            #[cfg(feature = "redis")]
            FrontierLocation::Redis(url) => match redis.take() {
                Some(f) => (Arc::new(f), None),
                None => {
                    return Err(Error::new(
                        ErrorKind::Config,
                        format!("frontier {url} was not opened (a bug: please report it)"),
                    ));
                }
            },
            #[allow(
                unreachable_patterns,
                reason = "every location is built in with all features"
            )]
            other => {
                return Err(other.not_built_in().unwrap_or_else(|| {
                    Error::new(
                        ErrorKind::Config,
                        format!("frontier {other} is not built in"),
                    )
                }));
            }
        };
        let checkpoint: Option<Checkpoint> = match (&resumed, &self.frontier) {
            (Some(r), _) if !r.created => Some(frontier.checkpoint().await?),
            // A worker of a shared crawl: its own checkpoint, if it had one.
            (None, FrontierLocation::Redis(_)) => {
                Some(frontier.checkpoint().await?).filter(|c| !c.is_empty())
            }
            _ => None,
        };
        let outputs = self.open_outputs(checkpoint.as_ref()).await?;
        let mut builder = Crawler::builder()
            .settings(self.settings.clone())
            // Saving content needs no body: the record carries the content.
            .keep_bodies(self.save.is_some() && self.settings.content.is_none());
        if let Some(client) = self.client {
            builder = builder.client(client);
        }
        if let Some(router) = self.router {
            builder = builder.router(router);
        }
        for s in self.seeds {
            builder = builder.seed(s);
        }
        for r in self.requests {
            builder = builder.request(r);
        }
        if matches!(self.frontier, FrontierLocation::Redis(_)) {
            // A worker that restarts fetches again what it did since its
            // last commit; in a shared crawl restarts are routine, and a
            // commit is one script and the outputs' flush.
            builder = builder.commit_every(SHARED_COMMIT_EVERY);
        }
        let crawler = builder.build_boxed(frontier).await?;
        let (tx, events) = mpsc::channel(1024);
        let stats = crawler.stats();
        let stopper = crawler.stopper();
        let task = tokio::spawn(crawler.run_into(tx, outputs));
        let state = match self.frontier {
            FrontierLocation::Sqlite(p) => Some(p),
            _ => None,
        };
        Ok(RunningJob {
            resumed,
            empty_state,
            state,
            stats,
            stopper,
            events,
            task,
        })
    }

    async fn open_outputs(&self, resume: Option<&Checkpoint>) -> Result<JobOutputs> {
        let items = match self.routes.is_empty() {
            true => None,
            false => {
                let table = self
                    .table
                    .clone()
                    .unwrap_or_else(|| self.name.replace('-', "_"));
                let failures = self.failures_path();
                Some(items::ItemWriters::open(&self.routes, failures, &table, resume).await?)
            }
        };
        let pages = match &self.pages {
            None => None,
            Some(path) => Some(pages::PageLines::open(path.as_deref(), resume).await?),
        };
        let mirror = match &self.save {
            None => None,
            Some(dir) => Some(mirror::Mirror::new(dir, self.settings.content)?),
        };
        Ok(JobOutputs {
            items,
            pages,
            mirror,
            stream: self.stream.clone(),
            save_errors: 0,
            stray: 0,
        })
    }

    /// Start, pause on the first Ctrl-C (in-flight requests finish and are
    /// saved), quit at once on the second (the state keeps its last commit),
    /// and finish.
    pub async fn run(self) -> Result<JobReport> {
        let mut running = self.start().await?;
        let mut interrupts = 0;
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                event = running.events.recv() => {
                    if event.is_none() {
                        break;
                    }
                }
                _ = &mut ctrl_c => {
                    ctrl_c.set(tokio::signal::ctrl_c());
                    interrupts += 1;
                    if interrupts > 1 {
                        running.task.abort();
                        return Err(Error::new(
                            ErrorKind::Interrupted,
                            "stopped at once; the state keeps its last commit",
                        ));
                    }
                    running.pause();
                }
            }
        }
        running.finish().await
    }
}

/// Whether two paths name one file (the second may not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    let resolve = |p: &Path| {
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let dir = std::fs::canonicalize(&parent).unwrap_or(parent);
        p.file_name().map(|n| dir.join(n))
    };
    resolve(a).is_some() && resolve(a) == resolve(b)
}

/// A job that has started: its events, its counters, a way to pause it.
pub struct RunningJob {
    /// What the state file held, for a `sqlite:` frontier (`created` when
    /// the crawl starts afresh).
    pub resumed: Option<Resumed>,
    /// The state file was there but empty (0 bytes): a new crawl started in
    /// it, with nothing to resume.
    pub empty_state: bool,
    state: Option<PathBuf>,
    stats: Arc<Stats>,
    stopper: Stopper,
    events: mpsc::Receiver<Event>,
    task: JoinHandle<Result<(Summary, JobOutputs)>>,
}

impl std::fmt::Debug for RunningJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningJob")
            .field("resumed", &self.resumed)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl RunningJob {
    /// Live counters.
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.stats)
    }

    /// Pause: no new requests; those in flight finish and are saved; the
    /// state is kept for the same job to resume.
    pub fn pause(&self) {
        self.stopper.stop();
    }

    /// A handle that pauses the job from elsewhere.
    pub fn pauser(&self) -> Stopper {
        self.stopper.clone()
    }

    /// The state file, for a `sqlite:` frontier.
    pub fn state_path(&self) -> Option<&Path> {
        self.state.as_deref()
    }

    /// The next page, drop or item event; `None` once the crawl has ended.
    /// Events are for display: the outputs have written them already.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Stop the crawl at once, without its final commit (the state keeps
    /// the last one).
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Wait for the crawl to end, close the outputs, and remove the state
    /// of a finished crawl (or keep it, with work left).
    pub async fn finish(mut self) -> Result<JobReport> {
        // Nobody may be reading the events: drain them so the crawl never
        // waits on a full channel.
        while self.events.recv().await.is_some() {}
        let (summary, outputs) = match self.task.await {
            Ok(done) => done?,
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Interrupted,
                    format!("the crawl task ended: {e}"),
                ));
            }
        };
        let mut report = outputs.close().await?;
        report.resumed = self.resumed;
        report.state = match self.state {
            None => StateFate::None,
            Some(path) if summary.stopped || summary.left_queued > 0 => StateFate::Kept {
                path,
                queued: summary.left_queued,
            },
            Some(path) => {
                remove_state(&path);
                StateFate::Removed(path)
            }
        };
        report.summary = summary;
        Ok(report)
    }
}

/// Removes a state file and SQLite's WAL and index files beside it.
fn remove_state(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("cannot remove {}: {e}", Path::new(&p).display()),
        }
    }
}

/// What became of the state file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StateFate {
    /// No state file (an in-memory frontier).
    #[default]
    None,
    /// The crawl finished: the file is gone, the next run starts afresh.
    Removed(PathBuf),
    /// Work is left (paused, or a budget was reached): the same job resumes.
    Kept {
        /// The file.
        path: PathBuf,
        /// Requests still queued.
        queued: u64,
    },
}

/// How a job ended.
#[derive(Clone, Debug, Default)]
pub struct JobReport {
    /// The crawl's counters.
    pub summary: Summary,
    /// Each item route's counts.
    pub routes: Vec<RouteReport>,
    /// Items written, each counted once however many sinks it went to.
    pub items_written: u64,
    /// Items rejected or refused (each is in the failures file).
    pub items_failed: u64,
    /// Values a field's processors could not convert (each is in the
    /// failures file with its field and reason; the item was written
    /// without it).
    pub field_problems: u64,
    /// Items whose label no route takes (and no page file holds).
    pub stray_items: u64,
    /// The failures file, when items have routes.
    pub failures_path: Option<PathBuf>,
    /// Pages that could not be saved.
    pub save_errors: u64,
    /// What the state file held when the job started.
    pub resumed: Option<Resumed>,
    /// What became of the state file.
    pub state: StateFate,
}

impl JobReport {
    /// Everything that failed: pages, their main content, items and saves. A crawl whose count
    /// is not zero did not fully succeed.
    pub fn failures(&self) -> u64 {
        self.summary.failed
            + self.summary.content_failed
            + self.items_failed
            + self.field_problems
            + self.save_errors
    }
}

/// Everything a job writes, committed together before the frontier is.
struct JobOutputs {
    items: Option<items::ItemWriters>,
    pages: Option<pages::PageLines>,
    mirror: Option<mirror::Mirror>,
    stream: Option<mpsc::Sender<Value>>,
    save_errors: u64,
    stray: u64,
}

impl JobOutputs {
    async fn close(self) -> Result<JobReport> {
        let mut report = JobReport {
            stray_items: self.stray,
            save_errors: self.save_errors,
            ..JobReport::default()
        };
        if let Some(p) = self.pages {
            p.close().await?;
        }
        if let Some(items) = self.items {
            report.stray_items += items.stray;
            report.failures_path = Some(items.failures_path.clone());
            report.field_problems = items.field_problems;
            report.routes = items.close().await?;
            // A rule writing to two sinks writes each item twice: count it
            // once, as its best-served sink has it.
            let mut by_rule: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
            for r in &report.routes {
                let e = by_rule.entry(r.rule.as_str()).or_default();
                e.0 = e.0.max(r.written);
                e.1 = e.1.max(r.rejected + r.refused);
            }
            report.items_written = by_rule.values().map(|(w, _)| w).sum();
            report.items_failed = by_rule.values().map(|(_, f)| f).sum();
        }
        Ok(report)
    }
}

impl Output for JobOutputs {
    async fn accept(&mut self, page: &Url, label: Option<&str>, items: Vec<Value>) -> Result<()> {
        let streamed = self.stream.is_some();
        if let Some(tx) = &self.stream {
            for item in &items {
                if tx.send(item.clone()).await.is_err() {
                    // The consumer has gone; the crawl and the sinks go on.
                    self.stream = None;
                    break;
                }
            }
        }
        match (&mut self.items, &mut self.pages) {
            (Some(w), _) if w.takes(label) => w.accept(page, label, items).await,
            (_, Some(p)) => p.items(page, label, &items).await,
            _ if streamed => Ok(()),
            _ => {
                self.stray += items.len() as u64;
                Ok(())
            }
        }
    }

    async fn page(&mut self, record: &ferrocrawl_engine::PageRecord) -> Result<()> {
        // A page that can't be saved fails that save only; the crawl goes on.
        if let Some(m) = &self.mirror
            && let Err(e) = m.save_page(record)
        {
            self.save_errors += 1;
            tracing::warn!("{}", e.display_chain());
        }
        match &mut self.pages {
            Some(p) => p.page(record).await,
            None => Ok(()),
        }
    }

    async fn dropped(&mut self, url: &Url, reason: &str) -> Result<()> {
        match &mut self.pages {
            Some(p) => p.dropped(url, reason).await,
            None => Ok(()),
        }
    }

    async fn commit(&mut self) -> Result<Checkpoint> {
        let mut checkpoint = Vec::new();
        if let Some(w) = &mut self.items {
            checkpoint.extend(w.commit().await?);
        }
        if let Some(p) = &mut self.pages {
            checkpoint.extend(p.commit().await?);
        }
        Ok(checkpoint)
    }
}

/// How often a worker of a shared crawl commits while pages finish, at
/// most (a lone crawl: every 500 ms). Measured in
/// `crates/cli/tests/distributed_chaos.rs`: with 500 ms, 20 worker kills
/// cost 8% of a 5,000-page crawl fetched twice.
const SHARED_COMMIT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// `out.jsonl` → `out.WORKER.jsonl`: a worker's own copy of a file output.
#[cfg(feature = "redis")]
fn per_worker(path: &Path, worker: &str) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = match (stem, path.extension()) {
        (Some(stem), Some(ext)) => format!("{stem}.{worker}.{}", ext.to_string_lossy()),
        (Some(stem), None) => format!("{stem}.{worker}"),
        (None, _) => format!("{worker}.out"),
    };
    path.with_file_name(name)
}

/// `HOST-PID`: unique among live workers; a restarted worker gets a new
/// name unless it is given one (`--worker`).
#[cfg(feature = "redis")]
fn default_worker() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| {
            h.trim()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
                .collect::<String>()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    format!("{host}-{}", std::process::id())
}
