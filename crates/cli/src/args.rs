//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ferrocrawl::crawl::MAX_DELAY;

const EXIT_CODES: &str = "\
Examples:
  ferrocrawl fetch -i urls.txt -c 500 --per-host 16 -o out.jsonl
  ferrocrawl crawl http://127.0.0.1:8082/ --per-host 16 -o pages.jsonl
  ferrocrawl new shop && ferrocrawl check shop.toml && ferrocrawl run shop.toml
  ferrocrawl extract http://127.0.0.1:8080/books/1 --css 'h1::text'
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
    #[command(after_help = CRAWL_EXAMPLES)]
    Crawl(CrawlArgs),
    /// Run a spider file: crawl from its start URLs, extract items by its rules, write them to its sinks.
    #[command(after_help = RUN_EXAMPLES)]
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
    /// Requests in flight at once (default: the file's settings.concurrency).
    #[arg(short, long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Requests in flight at once per host (default: the file's settings.per_host).
    #[arg(long, value_name = "N")]
    pub per_host: Option<usize>,
    /// Minimum time between request starts to one host, at most 1 day (default: the file's settings.delay).
    #[arg(long, value_parser = delay, value_name = "DURATION")]
    pub delay: Option<Duration>,
    /// Do not fetch or obey robots.txt.
    #[arg(long)]
    pub ignore_robots: bool,
    /// Stop after this many pages.
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u64>,
    /// Redirects followed in a row from one page (default: 10); the page whose redirect goes
    /// past this fails (too_many_redirects). 0 follows none.
    #[arg(long, value_name = "N")]
    pub max_redirects: Option<u32>,
    /// Keep the crawl's state (queue, seen set, progress) in FILE, to pause and resume
    /// [default: NAME.state beside the sink]. Removed when the crawl finishes.
    #[arg(long, value_name = "FILE", conflicts_with = "no_state")]
    pub state: Option<PathBuf>,
    /// Keep the crawl's state in memory only: nothing to resume from.
    #[arg(long)]
    pub no_state: bool,
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

Defaults are polite: robots.txt obeyed (Crawl-delay up to 30s), 4 requests at once per host.
Links and redirects into private, loopback or link-local addresses are refused unless a
seed is itself such an address, or --allow-private is given.

Exit codes:
  0    the crawl finished (pages with HTTP error statuses are still a finished crawl)
  1    the crawl finished, but some pages failed (network errors, timeouts, refused addresses)
  2    bad invocation (unknown flag, invalid seed, invalid pattern)
  130  stopped by Ctrl-C";

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
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    pub state: Option<Option<PathBuf>>,
    /// Requests in flight at once, over all hosts.
    #[arg(short, long, default_value_t = 64, value_name = "N")]
    pub concurrency: usize,
    /// Requests in flight at once per host.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub per_host: usize,
    /// Minimum time between request starts to one host, randomized by 0.5-1.5x (e.g. 500ms, 2s).
    /// At most 1 day: a longer wait between two requests is a crawl that never ends.
    #[arg(long, default_value = "0s", value_parser = delay, value_name = "DURATION")]
    pub delay: Duration,
    /// Adapt each host's delay to its latency (like Scrapy's AutoThrottle).
    #[arg(long)]
    pub auto_throttle: bool,
    /// Do not fetch or obey robots.txt.
    #[arg(long)]
    pub ignore_robots: bool,
    /// Longest robots.txt Crawl-delay honoured; longer ones are cut to this. At most 1 day:
    /// a robots.txt asking for more than a day is ignored as a typo anyway.
    #[arg(long, default_value = "30s", value_parser = delay, value_name = "DURATION")]
    pub max_crawl_delay: Duration,
    /// Stop after this many pages.
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u64>,
    /// Follow links at most this deep (seeds are depth 0).
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,
    /// Stop after downloading this much (e.g. 500MiB).
    #[arg(long, value_parser = size, value_name = "SIZE")]
    pub max_bytes: Option<u64>,
    /// Depth-first instead of breadth-first.
    #[arg(long)]
    pub dfs: bool,
    /// Which hosts links may lead to.
    #[arg(long, value_enum, default_value_t = ScopeArg::Host)]
    pub scope: ScopeArg,
    /// Also allow this domain and its subdomains, on top of what --scope allows (repeatable).
    #[arg(long = "allow-domain", value_name = "DOMAIN")]
    pub allow_domains: Vec<String>,
    /// Only follow URLs matching this regex (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub include: Vec<String>,
    /// Never follow URLs matching this regex (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub exclude: Vec<String>,
    /// Only follow URLs matching this glob, e.g. 'http://*/docs/**' (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include_glob: Vec<String>,
    /// Never follow URLs matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude_glob: Vec<String>,
    /// Trap guard: longest URL followed.
    #[arg(long, default_value_t = 2048, value_name = "N")]
    pub max_url_length: usize,
    /// Trap guard: deepest path followed, in segments.
    #[arg(long, default_value_t = 32, value_name = "N")]
    pub max_path_depth: usize,
    /// Trap guard: most repetitions of one path segment.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub max_repeated_segments: usize,
    /// Sort query parameters when deduplicating URLs.
    #[arg(long)]
    pub sort_query: bool,
    /// Remove tracking parameters (utm_*, fbclid, gclid, ...) from URLs.
    #[arg(long)]
    pub strip_tracking: bool,
    /// Follow rel=nofollow links too.
    #[arg(long)]
    pub follow_nofollow: bool,
    /// Follow links to non-HTML files too (images, archives, ...).
    #[arg(long)]
    pub all_extensions: bool,
    /// Also seed the crawl with the URLs in the seeds' sitemaps (robots.txt Sitemap: lines and /sitemap.xml). Sitemaps are fetched politely like pages and count toward --max-pages; with --ignore-robots only /sitemap.xml is read.
    #[arg(long)]
    pub sitemaps: bool,
    /// Allow links and redirects into private, loopback and link-local addresses.
    #[arg(long)]
    pub allow_private: bool,
    /// Total time allowed per attempt (e.g. 30s, 2m).
    #[arg(long, default_value = "60s", value_parser = duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Retries per page for temporary failures.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub retries: u32,
    /// Redirects followed in a row from one page; the page whose redirect goes past this fails
    /// (too_many_redirects). 0 follows none: redirects are recorded as they are.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_redirects: u32,
    /// User-Agent header; its first word is the robots.txt agent name.
    #[arg(short = 'A', long, value_name = "UA")]
    pub user_agent: Option<String>,
    /// Proxy for every request: http://, https://, socks5:// or socks5h:// URL.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Largest page accepted, after decompression.
    #[arg(long, default_value = "32MiB", value_parser = size, value_name = "SIZE")]
    pub max_body: u64,
    /// Accept invalid TLS certificates (test servers only).
    #[arg(long)]
    pub insecure: bool,
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

Selectors: --css takes CSS with an optional ::text or ::attr(NAME) at the end (without either,
each element's HTML); --jsonpath an RFC 9535 query; --regex a pattern whose first group (or
whole match) is the value. Values print one per line: strings as they are, anything else as
JSON. The page is fetched once, ignoring robots.txt, as a browser would.

Exit codes:
  0    every selector matched something
  1    a selector matched nothing, or the page could not be fetched or had an HTTP error
       status (stderr says which); values that did match are still printed
  2    bad invocation (invalid URL, selector or processor: the message says what is wrong)";

/// `ferrocrawl extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The page to fetch.
    pub url: String,
    #[command(flatten)]
    pub selectors: SelectorArgs,
    /// Clean up each selector's values, in order (repeatable): trim, first, join[:SEP],
    /// absolute-url, number, date[:FORMAT], default:VALUE.
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
    humantime::parse_duration(s)
        .map_err(|e| format!("{e}: write a duration such as 500ms, 10s or 2m"))
}

/// A duration for a per-host delay flag: at most [`MAX_DELAY`].
fn delay(s: &str) -> Result<Duration, String> {
    let d = duration(s)?;
    if d > MAX_DELAY {
        return Err(format!(
            "{} is longer than the maximum of 1 day (24h)",
            humantime::format_duration(d)
        ));
    }
    Ok(d)
}

/// Parse a byte size: a number with an optional K/M/G suffix (KiB = KB = K = 1024).
pub fn size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?}: write a number such as 512KiB, 32MiB or 1GiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "invalid size unit in {s:?}: use B, KiB, MiB or GiB"
            ));
        }
    };
    match n.checked_mul(mult) {
        Some(0) => Err("size must be at least 1 byte".to_owned()),
        Some(v) => Ok(v),
        None => Err(format!("size {s:?} is too large")),
    }
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
        assert_eq!(delay("24h"), Ok(MAX_DELAY));
        let err = delay("500000000000y").unwrap_err();
        assert!(err.contains("maximum of 1 day (24h)"), "{err}");
        assert!(delay("1day 1s").is_err());
        assert!(delay("soon").unwrap_err().contains("write a duration"));
    }
}
