//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ferrocrawl::crawl::{CrawlOrder, ScopeSetting, Settings, ThrottleScope};

const EXIT_CODES: &str = "\
Examples:
  ferrocrawl fetch -i urls.txt -c 500 --per-host 16 -o out.jsonl
  ferrocrawl crawl http://127.0.0.1:8082/ --per-host 16 -o pages.jsonl
  ferrocrawl new shop && ferrocrawl check shop.toml && ferrocrawl run shop.toml
  ferrocrawl extract http://127.0.0.1:8080/books/1 --css 'h1::text'
  ferrocrawl status --frontier redis://127.0.0.1:6379/0 --job books
  ferrocrawl <command> --help      # flags, defaults and more examples

Exit codes (each command's --help says what counts as a failure):
  0    success, or stdout was closed by its reader (`| head`): the run stops quietly
  1    the run finished but some requests failed
  2    bad invocation (unknown flag, unreadable input, invalid option value)
  130  interrupted by Ctrl-C";

/// A fast, polite, resumable web crawler and scraper.
#[derive(Debug, Parser)]
#[command(name = "ferrocrawl", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// No progress bar, no summary, errors only.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch a list of URLs concurrently and write one JSON line per request.
    #[command(after_help = FETCH_EXAMPLES)]
    Fetch(FetchArgs),
    /// Crawl sites from seed URLs: follow links in scope, politely, and write one JSON line per page.
    #[command(after_help = with_settings(CRAWL_EXAMPLES))]
    Crawl(CrawlArgs),
    /// Run a spider file: crawl from its start URLs, extract items by its rules, write them to its sinks.
    #[command(after_help = with_settings(RUN_EXAMPLES))]
    Run(RunArgs),
    /// Check spider files: say what each would do, or point at each mistake by line and column.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Write a commented starter spider file, NAME.toml.
    #[command(after_help = NEW_EXAMPLES)]
    New(NewArgs),
    /// Fetch one page and print what CSS, JSONPath or regex selectors yield on it.
    #[command(after_help = EXTRACT_EXAMPLES)]
    Extract(ExtractArgs),
    /// Show a shared crawl's progress (all workers together), or list the crawls in a Redis.
    #[cfg(feature = "redis")]
    #[command(after_help = STATUS_EXAMPLES)]
    Status(StatusArgs),
}

const STATUS_EXAMPLES: &str = "\
Examples:
  # every crawl in this Redis database, one line each
  ferrocrawl status --frontier redis://127.0.0.1:6379/0

  # one crawl: pages done and failed over all workers, the queue, each worker and when
  # Redis last heard from it
  ferrocrawl status --frontier redis://127.0.0.1:6379/0 --job books

  # the same as JSON, for a script or a dashboard
  ferrocrawl status --frontier redis://127.0.0.1:6379/0 --job books --json

Read-only: it takes no part in the crawl and can run anywhere that reaches the Redis.
Counts are the frontier's: pages and requests, not items (each worker's sink has those).
A crawl whose workers were all silent for 30 s is shown as stalled: start one again
(with its --worker name, so it takes its work back).

Exit codes:
  0    the status was shown
  2    bad invocation, Redis unreachable, or no such crawl (the message lists those there are)";

/// `ferrocrawl status`.
#[cfg(feature = "redis")]
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The shared frontier: redis://HOST:PORT/DB (as given to the workers).
    #[arg(long, value_name = "LOCATION")]
    pub frontier: String,
    /// The crawl to show; without it, every crawl in that database, one line each.
    #[arg(long = "job", value_name = "NAME")]
    pub job: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

const RUN_EXAMPLES: &str = "\
Examples:
  # the books job: every list page of the API, every detail record, upserted by id
  ferrocrawl run examples/books.toml

  # the same into PostgreSQL instead of the file's SQLite sink
  ferrocrawl run examples/books.toml --sink postgres://crawler:secret@127.0.0.1/books

  # a quick look: 50 pages, items as JSON lines on stdout
  ferrocrawl run shop.toml --max-pages 50 --sink -

Items that fail validation (a missing key or required field, a duplicate key,
a value the database refuses) are written with the reason to the failures file,
NAME.failures.jsonl beside the sink unless the file or --failures says otherwise.

Exit codes:
  0    the crawl finished and every item was written
  1    the crawl finished, but some pages failed or some items were rejected
  2    bad invocation, or a mistake in the spider file (shown with its line and column)
  130  stopped by Ctrl-C";

const CHECK_EXAMPLES: &str = "\
Examples:
  ferrocrawl check examples/books.toml
  ferrocrawl check spiders/*.toml

Exit codes:
  0    every file is valid
  2    some file has a mistake (printed with file:line:column, what is wrong and what is expected)";

const NEW_EXAMPLES: &str = "\
Examples:
  ferrocrawl new shop            # writes shop.toml, a working spider with every key explained
  ferrocrawl new shop -d spiders/

An existing file is never overwritten.";

/// `ferrocrawl run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The spider file (TOML).
    pub spider: PathBuf,
    /// Write items here instead of the file's [sink]: a .db/.sqlite file, .jsonl, .csv, a postgres:// URL, or - for stdout.
    #[arg(long, value_name = "TARGET")]
    pub sink: Option<String>,
    /// Write rejected items (with their reasons) to FILE.
    #[arg(long, value_name = "FILE")]
    pub failures: Option<PathBuf>,
    /// Settings over the file's [settings]: each flag names its key.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Keep the crawl's state (queue, seen set, progress) in FILE, to pause and resume
    /// [default: NAME.state beside the sink]. Removed when the crawl finishes.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["no_state", "frontier"])]
    pub state: Option<PathBuf>,
    /// Keep the crawl's state in memory only: nothing to resume from.
    #[arg(long, conflicts_with = "frontier")]
    pub no_state: bool,
    #[command(flatten)]
    pub shared: SharedArgs,
    /// Fail (exit 1) when a selector matched nothing on every page of its rule, instead
    /// of warning about it.
    #[arg(long)]
    pub strict: bool,
}

/// `ferrocrawl check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Spider files to check.
    #[arg(required = true)]
    pub spiders: Vec<PathBuf>,
}

/// `ferrocrawl new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The spider's name; the file is NAME.toml.
    pub name: String,
    /// Directory to write the file in.
    #[arg(short, long, default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
}

const CRAWL_EXAMPLES: &str = "\
Examples:
  # the whole site on one host, 16 requests at a time to it
  ferrocrawl crawl http://127.0.0.1:8082/ --per-host 16 -o pages.jsonl

  # a mirror of the pages, at most 3 links deep, skipping /api/
  ferrocrawl crawl http://127.0.0.1:8080/ --max-depth 3 --exclude '/api/' --save mirror/

  # every subdomain of the seed's registrable domain, politely, seeded from its sitemaps
  ferrocrawl crawl https://www.example.org/ --scope domain --delay 1s --sitemaps

  # resumable: Ctrl-C or kill it, then run the same command again (state in pages.jsonl.state)
  ferrocrawl crawl http://127.0.0.1:8082/ -o pages.jsonl --state

  # clean Markdown for an LLM or search pipeline: in each line, and as DIR/HOST/PATH.md
  ferrocrawl crawl http://127.0.0.1:8082/ --content markdown -o pages.jsonl --save md/

Defaults are polite: robots.txt obeyed (Crawl-delay up to 30s), 4 requests at once per host.
Links and redirects into private, loopback or link-local addresses are refused unless a
seed is itself such an address, or --allow-private is given.

Exit codes:
  0    the crawl finished (pages with HTTP error statuses are still a finished crawl)
  1    the crawl finished, but some pages failed (network errors, timeouts, refused addresses)
  2    bad invocation (unknown flag, invalid seed, invalid pattern)
  130  stopped by Ctrl-C";

/// What a Retry-After holds back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ThrottleArg {
    /// A 429, or 503s on several URLs in a row: the host; a lone 503: its request.
    Auto,
    /// Always the whole host.
    Host,
    /// Only the request that got it.
    Request,
}

/// Which hosts a crawl may follow links to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// The seeds' hosts, exactly (not their subdomains).
    Host,
    /// The seeds' registrable domains (example.org and all its subdomains).
    Domain,
    /// Anywhere.
    Any,
}

/// `ferrocrawl crawl`.
#[derive(Debug, Args)]
pub struct CrawlArgs {
    /// Start URLs.
    #[arg(required = true)]
    pub seeds: Vec<String>,
    /// Write the JSON lines to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also save every page under DIR/HOST/PATH (a mirror). A path ending in `/`, or one that
    /// is also a directory (`/a` next to `/a/b`), is saved as that directory's index.html.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// Keep the crawl's state (queue, seen set, progress) in FILE so that a stopped or killed
    /// crawl resumes when the same command runs again; `--state` alone uses OUTPUT.state.
    /// Removed when the crawl finishes.
    #[arg(long, value_name = "FILE", num_args = 0..=1, conflicts_with = "frontier")]
    pub state: Option<Option<PathBuf>>,
    #[command(flatten)]
    pub shared: SharedArgs,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// One crawl, many workers: `--frontier redis://…` on every process.
#[derive(Debug, Default, Args)]
pub struct SharedArgs {
    /// Where the queue and the seen set live: redis://HOST:PORT/DB shares one crawl among
    /// every process started with it, on this machine or others (each is a worker; file
    /// outputs become one per worker, out.WORKER.jsonl); also memory: or sqlite:PATH.
    #[arg(long, value_name = "LOCATION")]
    pub frontier: Option<String>,
    /// The crawl's name in a shared frontier, so that crawls can share one Redis
    /// [default: the spider's name; `crawl` for `ferrocrawl crawl`].
    #[arg(long = "job", value_name = "NAME", requires = "frontier")]
    pub job: Option<String>,
    /// This worker's name: unique among the crawl's workers, and the same when it restarts
    /// (it then takes its work back at once) [default: HOST-PID].
    #[arg(long, value_name = "NAME", requires = "frontier")]
    pub worker: Option<String>,
}

impl SharedArgs {
    /// The job with the frontier and names given, or the location's mistake.
    pub fn apply(&self, mut job: ferrocrawl::Job) -> ferrocrawl::Result<ferrocrawl::Job> {
        if let Some(location) = &self.frontier {
            job = job.frontier(location)?;
        }
        if let Some(name) = &self.job {
            job = job.crawl_name(name.clone());
        }
        if let Some(worker) = &self.worker {
            job = job.worker(worker.clone());
        }
        Ok(job)
    }
}

/// The settings of `ferrocrawl crawl` and `ferrocrawl run`: each flag sets one key of the
/// settings tree (`ferrocrawl::crawl::Settings`); a flag not given leaves it as the spider
/// file or the defaults (listed under --help) have it.
#[derive(Debug, Default, Args)]
pub struct SettingsArgs {
    /// Requests in flight at once, over all hosts [concurrency].
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub concurrency: Option<u64>,
    /// Requests in flight at once per host [per_host].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub per_host: Option<u64>,
    /// Minimum time between request starts to one host, randomized by 0.5-1.5x (e.g. 500ms,
    /// 2s); at most 1 day [delay].
    #[arg(long, value_parser = delay, value_name = "DURATION")]
    pub delay: Option<Duration>,
    /// Keep the delay exact instead of randomizing it [jitter = false].
    #[arg(long)]
    pub no_jitter: bool,
    /// Adapt each host's delay to its latency, like Scrapy's AutoThrottle [auto_throttle].
    #[arg(long)]
    pub auto_throttle: bool,
    /// What a Retry-After (429, or 503 with the header) holds back: auto (a 429, or 503s on
    /// several URLs in a row, hold the host; a lone 503 only its request), host or request
    /// [throttle].
    #[arg(long, value_enum, value_name = "SCOPE")]
    pub throttle: Option<ThrottleArg>,
    /// Do not fetch or obey robots.txt [obey_robots = false].
    #[arg(long)]
    pub ignore_robots: bool,
    /// Longest robots.txt Crawl-delay honoured; longer ones are cut to this; at most 1 day
    /// [max_crawl_delay].
    #[arg(long, value_parser = delay, value_name = "DURATION")]
    pub max_crawl_delay: Option<Duration>,
    /// Stop after this many pages [max_pages].
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u64>,
    /// Stop leasing a host's pages after this many; 0 for no limit [max_pages_per_host].
    #[arg(long, value_name = "N")]
    pub max_pages_per_host: Option<u64>,
    /// Keep session-id parameters (jsessionid, PHPSESSID, sid, ...) in URLs
    /// [strip_session_ids = false].
    #[arg(long)]
    pub keep_session_ids: bool,
    /// Keep following a query parameter even when pages differing only in it prove to be the
    /// same page [near_duplicates = false].
    #[arg(long)]
    pub keep_near_duplicates: bool,
    /// Follow links at most this deep (start URLs are depth 0) [max_depth].
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,
    /// Stop after downloading this much (e.g. 500MiB) [max_bytes].
    #[arg(long, value_parser = size, value_name = "SIZE")]
    pub max_bytes: Option<u64>,
    /// Depth-first instead of breadth-first [order = dfs].
    #[arg(long)]
    pub dfs: bool,
    /// Which hosts links may lead to [scope].
    #[arg(long, value_enum)]
    pub scope: Option<ScopeArg>,
    /// Also allow this domain and its subdomains, on top of what --scope allows (repeatable)
    /// [allow_domains].
    #[arg(long = "allow-domain", value_name = "DOMAIN")]
    pub allow_domains: Vec<String>,
    /// Only follow URLs matching this regex (repeatable) [include].
    #[arg(long, value_name = "REGEX")]
    pub include: Vec<String>,
    /// Never follow URLs matching this regex (repeatable) [exclude].
    #[arg(long, value_name = "REGEX")]
    pub exclude: Vec<String>,
    /// Only follow URLs matching this glob, e.g. 'http://*/docs/**' (repeatable) [include_glob].
    #[arg(long, value_name = "GLOB")]
    pub include_glob: Vec<String>,
    /// Never follow URLs matching this glob (repeatable) [exclude_glob].
    #[arg(long, value_name = "GLOB")]
    pub exclude_glob: Vec<String>,
    /// Trap guard: longest URL followed [max_url_length].
    #[arg(long, value_name = "N")]
    pub max_url_length: Option<usize>,
    /// Trap guard: deepest path followed, in segments [max_path_depth].
    #[arg(long, value_name = "N")]
    pub max_path_depth: Option<usize>,
    /// Trap guard: most repetitions of one path segment [max_repeated_segments].
    #[arg(long, value_name = "N")]
    pub max_repeated_segments: Option<usize>,
    /// Sort query parameters when deduplicating URLs [sort_query].
    #[arg(long)]
    pub sort_query: bool,
    /// Remove tracking parameters (utm_*, fbclid, gclid, ...) from URLs [strip_tracking].
    #[arg(long)]
    pub strip_tracking: bool,
    /// Follow rel=nofollow links too [follow_nofollow].
    #[arg(long)]
    pub follow_nofollow: bool,
    /// Follow links to non-HTML files too (images, archives, ...) [all_extensions].
    #[arg(long)]
    pub all_extensions: bool,
    /// Also seed the crawl with the URLs in the start URLs' sitemaps (robots.txt Sitemap: lines
    /// and /sitemap.xml), fetched politely like pages and counted toward --max-pages; with
    /// --ignore-robots only /sitemap.xml is read [sitemaps].
    #[arg(long)]
    pub sitemaps: bool,
    /// Allow links and redirects into private, loopback and link-local addresses
    /// [allow_private].
    #[arg(long)]
    pub allow_private: bool,
    /// Total time allowed per attempt (e.g. 30s, 2m) [timeout].
    #[arg(long, value_parser = duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// Retries per page for temporary failures [retries].
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// An HTTP status to retry (repeatable; replaces the default list) [retry_statuses].
    #[arg(long = "retry-status", value_name = "STATUS", value_parser = clap::value_parser!(u16).range(100..=599))]
    pub retry_statuses: Vec<u16>,
    /// A header for every request that does not set it, 'Name: value' (repeatable) [headers].
    #[arg(short = 'H', long = "header", value_name = "HEADER", value_parser = header)]
    pub headers: Vec<(String, String)>,
    /// Send no Referer header with followed requests [referer = false].
    #[arg(long)]
    pub no_referer: bool,
    /// Redirects followed in a row from one page; the page whose redirect goes past this fails
    /// (too_many_redirects); 0 follows none [max_redirects].
    #[arg(long, value_name = "N")]
    pub max_redirects: Option<u32>,
    /// User-Agent header; its first word is the robots.txt agent name [user_agent].
    #[arg(short = 'A', long, value_name = "UA")]
    pub user_agent: Option<String>,
    /// Proxy for every request: http://, https://, socks5:// or socks5h:// URL [proxy].
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Largest page accepted, after decompression [max_body].
    #[arg(long, value_parser = size, value_name = "SIZE")]
    pub max_body: Option<u64>,
    /// Accept invalid TLS certificates (test servers only) [insecure].
    #[arg(long)]
    pub insecure: bool,
    /// Add each HTML page's main content (the article, without navigation, ads or footers) to
    /// its line, as "markdown" or "text", with its metadata (author, date, language,
    /// canonical_url, description; title becomes the article's); with --save, saves
    /// DIR/HOST/PATH.md (or .txt) instead of the raw page [content].
    #[arg(long, value_name = "FORMAT")]
    pub content: Option<ContentFormat>,
}

impl SettingsArgs {
    /// Set each key a flag names; leave the rest as they are.
    pub fn apply(&self, s: &mut Settings) {
        let usize_of = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        if let Some(n) = self.concurrency {
            s.concurrency = usize_of(n);
        }
        if let Some(n) = self.per_host {
            s.per_host = usize_of(n);
        }
        set(&mut s.delay, self.delay);
        s.jitter &= !self.no_jitter;
        s.auto_throttle |= self.auto_throttle;
        if let Some(t) = self.throttle {
            s.throttle = match t {
                ThrottleArg::Auto => ThrottleScope::Auto,
                ThrottleArg::Host => ThrottleScope::Host,
                ThrottleArg::Request => ThrottleScope::Request,
            };
        }
        s.obey_robots &= !self.ignore_robots;
        set(&mut s.max_crawl_delay, self.max_crawl_delay);
        if self.max_pages.is_some() {
            s.max_pages = self.max_pages;
        }
        set(&mut s.max_pages_per_host, self.max_pages_per_host);
        s.strip_session_ids &= !self.keep_session_ids;
        s.near_duplicates &= !self.keep_near_duplicates;
        if self.max_depth.is_some() {
            s.max_depth = self.max_depth;
        }
        if self.max_bytes.is_some() {
            s.max_bytes = self.max_bytes;
        }
        if self.dfs {
            s.order = CrawlOrder::Dfs;
        }
        if let Some(scope) = self.scope {
            s.scope = match scope {
                ScopeArg::Host => ScopeSetting::Host,
                ScopeArg::Domain => ScopeSetting::Domain,
                ScopeArg::Any => ScopeSetting::Any,
            };
        }
        s.allow_domains.extend(self.allow_domains.iter().cloned());
        s.include.extend(self.include.iter().cloned());
        s.exclude.extend(self.exclude.iter().cloned());
        s.include_glob.extend(self.include_glob.iter().cloned());
        s.exclude_glob.extend(self.exclude_glob.iter().cloned());
        set(&mut s.max_url_length, self.max_url_length);
        set(&mut s.max_path_depth, self.max_path_depth);
        set(&mut s.max_repeated_segments, self.max_repeated_segments);
        s.sort_query |= self.sort_query;
        s.strip_tracking |= self.strip_tracking;
        s.follow_nofollow |= self.follow_nofollow;
        s.all_extensions |= self.all_extensions;
        s.sitemaps |= self.sitemaps;
        s.allow_private |= self.allow_private;
        set(&mut s.timeout, self.timeout);
        set(&mut s.retries, self.retries);
        if !self.retry_statuses.is_empty() {
            s.retry_statuses = self.retry_statuses.clone();
        }
        s.headers.extend(self.headers.iter().cloned());
        s.referer &= !self.no_referer;
        set(&mut s.max_redirects, self.max_redirects);
        if self.user_agent.is_some() {
            s.user_agent = self.user_agent.clone();
        }
        if self.proxy.is_some() {
            s.proxy = self.proxy.clone();
        }
        set(&mut s.max_body, self.max_body);
        s.insecure |= self.insecure;
        if let Some(format) = self.content {
            s.content = Some(match format {
                ContentFormat::Markdown => ferrocrawl::crawl::ContentFormat::Markdown,
                ContentFormat::Text => ferrocrawl::crawl::ContentFormat::Text,
            });
        }
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

/// A command's examples, then every setting with its key and default.
fn with_settings(examples: &str) -> String {
    format!(
        "{examples}\n\nSettings: the key (a spider file's [settings], and the flag's [key] above), \
         its default, what it does:\n{}",
        Settings::table()
    )
}

const FETCH_EXAMPLES: &str = "\
Examples:
  # 100 concurrent GETs of a slow endpoint: about 5 s, not 500 s
  yes http://127.0.0.1:8081/delay/5 | head -n 100 | ferrocrawl fetch --per-host 100 -o out.jsonl

  # a URL list, 500 in flight, bodies saved to files named by their sha256
  ferrocrawl fetch -i urls.txt -c 500 --per-host 16 --save bodies/ -o out.jsonl

  # a JSON POST with a header
  ferrocrawl fetch -X POST --json '{\"q\":\"rust\"}' -H 'Authorization: Bearer T' http://127.0.0.1:8080/api

Exit codes:
  0    every request succeeded
  1    the run finished but some requests failed (an error, or HTTP status >= 400)
  2    bad invocation (unknown flag, unreadable input file, invalid option value)
  130  interrupted by Ctrl-C";

/// `ferrocrawl fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// URLs to fetch. With none and no --input, URLs are read from stdin, one per line.
    pub urls: Vec<String>,
    /// Read URLs from FILE, one per line ('-' for stdin). Blank lines and lines starting with '#' are skipped.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Write the JSON lines to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Requests in flight at once, over all hosts.
    #[arg(short, long, default_value_t = 100, value_name = "N")]
    pub concurrency: usize,
    /// Requests in flight at once per host (host:port). Polite by default; raise it for your own servers.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub per_host: usize,
    /// Total time allowed per attempt, redirects and body included (e.g. 30s, 2m).
    #[arg(long, default_value = "120s", value_parser = duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Time allowed to open a connection.
    #[arg(long, default_value = "10s", value_parser = duration, value_name = "DURATION")]
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes from the server.
    #[arg(long, default_value = "30s", value_parser = duration, value_name = "DURATION")]
    pub read_timeout: Duration,
    /// Retries per request for temporary failures (5xx, timeouts, resets). 429 and 503 with Retry-After wait as asked and do not count.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub retries: u32,
    /// HTTP method.
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,
    /// Extra header, 'Name: value'. Repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Form body (sent as application/x-www-form-urlencoded, as is); '@FILE' reads it from a file. Implies POST.
    #[arg(short = 'd', long, value_name = "DATA", conflicts_with = "json")]
    pub data: Option<String>,
    /// JSON body (checked, sent as application/json); '@FILE' reads it from a file. Implies POST.
    #[arg(long, value_name = "JSON")]
    pub json: Option<String>,
    /// Proxy for every request: http://, https://, socks5:// or socks5h:// URL.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// User-Agent header.
    #[arg(short = 'A', long, value_name = "UA")]
    pub user_agent: Option<String>,
    /// Largest body accepted, after decompression (e.g. 512KiB, 32MiB, 1GiB).
    #[arg(long, default_value = "32MiB", value_parser = size, value_name = "SIZE")]
    pub max_body: u64,
    /// Redirects followed per request; 0 returns redirects as they are.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_redirects: usize,
    /// Save each body to DIR/<sha256> and record its path and sha256 instead of the body.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// How bodies appear in the output: text (decoded to UTF-8), base64, none, or auto (text for textual content types, base64 otherwise).
    #[arg(long, value_enum, default_value_t = BodyMode::Auto)]
    pub body: BodyMode,
    /// Do not keep cookies between requests.
    #[arg(long)]
    pub no_cookies: bool,
    /// Accept invalid TLS certificates (test servers only).
    #[arg(long)]
    pub insecure: bool,
    /// Speak HTTP/2 without negotiation (h2c).
    #[arg(long)]
    pub http2_prior_knowledge: bool,
    /// Follow redirects into private, loopback and link-local addresses too. The URLs given
    /// are always fetched, wherever they are; without this, a redirect elsewhere into such an
    /// address fails with forbidden_address.
    #[arg(long)]
    pub allow_private: bool,
}

/// How a body appears in the JSON output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BodyMode {
    /// Text for textual content types, base64 otherwise.
    Auto,
    /// Always decoded text.
    Text,
    /// Always base64.
    Base64,
    /// Leave bodies out.
    None,
}

const EXTRACT_EXAMPLES: &str = "\
Examples:
  # the text of a heading, and where a link points (relative URLs made absolute)
  ferrocrawl extract http://127.0.0.1:8080/books/1 --css 'h1::text'
  ferrocrawl extract 'http://127.0.0.1:8080/books/?page=1' \\
      --css 'li.next a::attr(href)' -p absolute-url

  # a JSON API, as one JSON array
  ferrocrawl extract http://127.0.0.1:8080/api/book/7 --jsonpath '$.authors[*]' --json

  # several selectors at once: one labelled group each; processors apply to every one
  ferrocrawl extract http://127.0.0.1:8080/books/1 \\
      --css 'p.price::text' --regex 'ISBN</th><td>(\\d+)' -p number

  # the page's main content, boilerplate removed, as Markdown (with --json: one object with
  # the metadata: title, author, date, language, canonical_url, description)
  ferrocrawl extract https://blog.example/post --content markdown

Selectors: --css takes CSS with an optional ::text (the element's own text nodes, as in
Scrapy), ' ::text' (all text inside), ::all-text (all text, whitespace collapsed) or
::attr(NAME) at the end (without any, each element's HTML); --jsonpath an RFC 9535 query; --regex a pattern whose first group (or
whole match) is the value. Values print one per line: strings as they are, anything else as
JSON. The page is fetched once, ignoring robots.txt, as a browser would.

Exit codes:
  0    every selector matched something
  1    a selector matched nothing, --content found no main text, or the page could not be
       fetched or had an HTTP error status (stderr says which); values that did match are
       still printed
  2    bad invocation (invalid URL, selector or processor: the message says what is wrong)";

/// `ferrocrawl extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The page to fetch.
    pub url: String,
    #[command(flatten)]
    pub selectors: SelectorArgs,
    /// Clean up each selector's values, in order (repeatable): trim, normalize, first,
    /// join[:SEP], absolute-url, number, date[:FORMAT], default:VALUE,
    /// replace:/PATTERN/REPLACEMENT/, re:PATTERN.
    #[arg(short = 'p', long = "processor", value_name = "PROCESSOR")]
    pub processors: Vec<String>,
    /// Print only the first value of each selector.
    #[arg(long)]
    pub first: bool,
    /// Print one JSON array: the values, or with several selectors one {kind: expression, values} object each.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// The selectors of `ferrocrawl extract`: at least one.
#[derive(Debug, Args)]
#[group(required = true, multiple = true)]
pub struct SelectorArgs {
    /// CSS selector, optionally ending in ::text or ::attr(NAME) (repeatable).
    #[arg(long, value_name = "SELECTOR")]
    pub css: Vec<String>,
    /// XPath expression over the HTML, e.g. '//h1/text()' or '//a/@href' (repeatable).
    #[cfg(feature = "xpath")]
    #[arg(long, value_name = "XPATH")]
    pub xpath: Vec<String>,
    /// JSONPath query over a JSON body, e.g. '$.results[*].name' (repeatable).
    #[arg(long, value_name = "QUERY")]
    pub jsonpath: Vec<String>,
    /// Regular expression over the body text; the first group is the value if there is one (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub regex: Vec<String>,
    /// The page's main content (the article, without navigation, ads or footers), printed
    /// before any selector's values.
    #[arg(long, value_name = "FORMAT")]
    pub content: Option<ContentFormat>,
}

/// How `extract --content` prints the main content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ContentFormat {
    /// Plain text, one paragraph per block.
    Text,
    /// Markdown (CommonMark with GFM tables), links and images absolute.
    Markdown,
}

/// HTTP client flags for a command that fetches a few pages a user names.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// User-Agent header.
    #[arg(short = 'A', long, value_name = "UA")]
    pub user_agent: Option<String>,
    /// Total time allowed for the request, redirects and body included (e.g. 30s, 2m).
    #[arg(long, default_value = "30s", value_parser = duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Largest body accepted, after decompression (e.g. 512KiB, 32MiB).
    #[arg(long, default_value = "32MiB", value_parser = size, value_name = "SIZE")]
    pub max_body: u64,
    /// Proxy for every request: http://, https://, socks5:// or socks5h:// URL.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Accept invalid TLS certificates (test servers only).
    #[arg(long)]
    pub insecure: bool,
    /// Allow redirects into private, loopback and link-local addresses (the URL given is always allowed).
    #[arg(long)]
    pub allow_private: bool,
}

fn duration(s: &str) -> Result<Duration, String> {
    ferrocrawl::crawl::parse_duration(s)
}

/// A duration for a per-host delay flag: at most a day.
fn delay(s: &str) -> Result<Duration, String> {
    ferrocrawl::crawl::parse_delay(s)
}

/// A header flag, 'Name: value', checked as a header can carry it.
fn header(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}`: write a header as 'Name: value'"))?;
    let (name, value) = (name.trim(), value.trim());
    if ferrocrawl::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("`{name}` is not a header name"));
    }
    if ferrocrawl::header::HeaderValue::from_str(value).is_err() {
        return Err(format!(
            "the value of `{name}` has characters a header can't carry"
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// Parse a byte size: a number with an optional K/M/G suffix (KiB = KB = K = 1024).
pub fn size(s: &str) -> Result<u64, String> {
    ferrocrawl::crawl::parse_size(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(size("512"), Ok(512));
        assert_eq!(size("32MiB"), Ok(32 << 20));
        assert_eq!(size("1g"), Ok(1 << 30));
        assert!(size("12XB").is_err());
        assert!(size("0").is_err());
        assert!(size("MiB").is_err());
    }

    #[test]
    fn delays_are_capped_at_a_day() {
        assert_eq!(delay("0s"), Ok(Duration::ZERO));
        assert_eq!(delay("24h"), Ok(ferrocrawl::crawl::MAX_DELAY));
        let err = delay("500000000000y").unwrap_err();
        assert!(err.contains("maximum of 1 day (24h)"), "{err}");
        assert!(delay("1day 1s").is_err());
        assert!(delay("soon").unwrap_err().contains("write a duration"));
    }
}
