//! [`Spider`]: a compiled spider file, ready to crawl.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use ferrocrawl_core::Request;
use ferrocrawl_engine::{Crawler, CrawlerBuilder, Router};
use ferrocrawl_sink::{BoxSink, CsvSink, Error as SinkError, JsonlSink, PostgresSink, SqliteSink};
use regex::Regex;

use crate::error::SpiderError;
use crate::rules::Rule;

/// A spider compiled from a TOML file: start requests, rules as a
/// [`Router`], settings, and where each rule's items go.
///
/// ```
/// let spider = ferrocrawl_spider::Spider::parse("books.toml", r#"
///     start = ["http://127.0.0.1:8090/books/?page=1"]
///     [rules.list]
///     pattern = "/books/\\?page="
///     follow = [{ css = "a.book::attr(href)", label = "book" }]
///     [rules.book]
///     fields.title = "h1::text"
///     key = "title"
/// "#)?;
/// assert_eq!(spider.name(), "books");
/// assert_eq!(spider.start_requests().len(), 1);
/// # Ok::<(), ferrocrawl_spider::SpiderError>(())
/// ```
pub struct Spider {
    name: String,
    file: String,
    settings: Settings,
    start: Vec<Request>,
    rules: Arc<Vec<Rule>>,
    patterns: Arc<Vec<(String, Regex)>>,
    outputs: Vec<Output>,
    default_sinks: Vec<SinkSpec>,
    failures: Option<String>,
}

/// A selector that matched nothing on any page its rule ran on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// The rule.
    pub rule: String,
    /// Which selector: "field `title`", "follow spec 2", "items"…
    pub what: String,
    /// The expression as written.
    pub expression: String,
    /// Pages the rule ran on (in this process).
    pub pages: u64,
}

impl fmt::Display for Unmatched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rule `{}`: {} (`{}`) matched nothing on any of its {} pages",
            self.rule, self.what, self.expression, self.pages
        )
    }
}

pub use ferrocrawl_engine::Settings;

/// Where one rule's items go, and what they must satisfy on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The rule (and label) whose items these are.
    pub rule: String,
    /// The rule's own sinks (each gets every item); empty means the
    /// file's `[sink]`, or the default.
    pub sinks: Vec<SinkSpec>,
    /// The item key: upsert key of database sinks, dedupe key of the pipeline.
    pub key: Option<String>,
    /// Fields that must be present and not empty (the key is implied).
    pub required: Vec<String>,
    /// Drop items whose key was seen before in this run. Default on.
    pub dedupe: bool,
}

/// A sink as the file names it.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkSpec {
    /// What kind, from the target's form.
    pub kind: SinkKind,
    /// A file path, `-` for stdout, or a `postgres://` URL.
    pub to: String,
    /// Table of a database sink.
    pub table: Option<String>,
    /// Upsert key.
    pub key: Option<String>,
}

/// The kinds of sink a target can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    /// JSON Lines on standard output (`-`).
    Stdout,
    /// A `.jsonl` / `.ndjson` file.
    Jsonl,
    /// A `.csv` file.
    Csv,
    /// A `.db` / `.sqlite` / `.sqlite3` file.
    Sqlite,
    /// A `postgres://` or `postgresql://` URL.
    Postgres,
}

impl SinkKind {
    /// The kind a target names, or what to write instead.
    pub fn of(to: &str) -> Result<SinkKind, String> {
        let lower = to.to_ascii_lowercase();
        let ext = Path::new(&lower).extension().and_then(|e| e.to_str());
        if to == "-" {
            Ok(SinkKind::Stdout)
        } else if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Ok(SinkKind::Postgres)
        } else {
            match ext {
                Some("jsonl" | "ndjson") => Ok(SinkKind::Jsonl),
                Some("csv") => Ok(SinkKind::Csv),
                Some("db" | "sqlite" | "sqlite3") => Ok(SinkKind::Sqlite),
                _ => Err(format!(
                    "cannot tell what kind of sink `{to}` is: name a .db/.sqlite file (SQLite), \
                     .jsonl, .csv, a postgres:// URL, or - for stdout"
                )),
            }
        }
    }
}

impl SinkSpec {
    /// Open (create) the sink; `table` is used when the spec names none.
    pub async fn open(&self, table: &str, key: Option<String>) -> Result<BoxSink, SinkError> {
        self.open_at(table, key, None).await
    }

    /// Open the sink to resume a crawl: a file sink is cut back to
    /// `committed` bytes (what the crawl state recorded) and appended to;
    /// `None` starts it over. Database sinks upsert, so they just open.
    pub async fn open_at(
        &self,
        table: &str,
        key: Option<String>,
        committed: Option<u64>,
    ) -> Result<BoxSink, SinkError> {
        let table = self.table.as_deref().unwrap_or(table);
        Ok(match (self.kind, committed) {
            (SinkKind::Stdout, _) => BoxSink::new(JsonlSink::stdout()),
            (SinkKind::Jsonl, None) => BoxSink::new(JsonlSink::create(&self.to).await?),
            (SinkKind::Jsonl, Some(at)) => BoxSink::new(JsonlSink::resume(&self.to, at).await?),
            (SinkKind::Csv, None) => BoxSink::new(CsvSink::create(&self.to, None).await?),
            (SinkKind::Csv, Some(at)) => BoxSink::new(CsvSink::resume(&self.to, None, at).await?),
            (SinkKind::Sqlite, _) => BoxSink::new(SqliteSink::open(&self.to, table, key).await?),
            (SinkKind::Postgres, _) => {
                BoxSink::new(PostgresSink::connect(&self.to, table, key).await?)
            }
        })
    }
}

impl fmt::Display for SinkSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            SinkKind::Stdout => "JSON Lines on stdout",
            SinkKind::Jsonl => "JSON Lines",
            SinkKind::Csv => "CSV",
            SinkKind::Sqlite => "SQLite",
            SinkKind::Postgres => "PostgreSQL",
        };
        // Never print a database password.
        let to = match self.kind {
            SinkKind::Postgres => redact(&self.to),
            _ => self.to.clone(),
        };
        write!(f, "{kind} {to}")?;
        if let Some(t) = &self.table {
            write!(f, " table {t}")?;
        }
        Ok(())
    }
}

fn redact(url: &str) -> String {
    match ferrocrawl_core::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

// ===== impl Spider =====

impl Spider {
    #[allow(clippy::too_many_arguments, reason = "one call site, the compiler")]
    pub(crate) fn new(
        name: String,
        file: String,
        settings: Settings,
        start: Vec<Request>,
        rules: Vec<Rule>,
        patterns: Vec<(String, Regex)>,
        outputs: Vec<Output>,
        default_sinks: Vec<SinkSpec>,
        failures: Option<String>,
    ) -> Spider {
        Spider {
            name,
            file,
            settings,
            start,
            rules: Arc::new(rules),
            patterns: Arc::new(patterns),
            outputs,
            default_sinks,
            failures,
        }
    }

    /// Reads and compiles the spider file at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Spider, SpiderError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let text = std::fs::read(path)
            .map_err(|e| SpiderError::file(&shown, format!("cannot read the spider file: {e}")))?;
        let text = String::from_utf8(text).map_err(|e| {
            SpiderError::file(
                &shown,
                format!(
                    "not UTF-8 text (invalid byte at offset {}): save the file as UTF-8",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        Spider::parse(&shown, &text)
    }

    /// Compiles the TOML `text`; `file` names it in error messages.
    pub fn parse(file: &str, text: &str) -> Result<Spider, SpiderError> {
        crate::compile::compile(file, text)
    }

    /// The spider's name (`name = …`, or the file's stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file it was compiled from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The settings, defaults filled in.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Start requests, ranges and templates expanded, each with its label.
    pub fn start_requests(&self) -> &[Request] {
        &self.start
    }

    /// Rule names in file order.
    pub fn rule_names(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.name.as_str())
    }

    /// One output per rule that emits items.
    pub fn outputs(&self) -> &[Output] {
        &self.outputs
    }

    /// The sinks an output writes to: its own, else the file's `[sink]`;
    /// empty means the default (`NAME.db`).
    pub fn sinks_of<'a>(&'a self, output: &'a Output) -> &'a [SinkSpec] {
        if output.sinks.is_empty() {
            &self.default_sinks
        } else {
            &output.sinks
        }
    }

    /// The file's `sink`s.
    pub fn default_sinks(&self) -> &[SinkSpec] {
        &self.default_sinks
    }

    /// Replaces the sinks of every output that uses the file's `sink` (the
    /// CLI's `--sink`) with `to`, keeping the first one's table and key.
    pub fn override_sink(&mut self, to: &str) -> Result<(), String> {
        let kind = SinkKind::of(to)?;
        let old = self.default_sinks.first();
        let replacement = SinkSpec {
            kind,
            to: to.to_owned(),
            table: old.and_then(|s| s.table.clone()),
            key: old.and_then(|s| s.key.clone()),
        };
        self.default_sinks = vec![replacement];
        Ok(())
    }

    /// Selectors that matched nothing on any page their rule ran on, so
    /// far (in this process). A crawl shows them as warnings; `--strict`
    /// makes them errors.
    pub fn unmatched(&self) -> Vec<Unmatched> {
        self.rules
            .iter()
            .flat_map(|rule| {
                let pages = rule.pages.load(std::sync::atomic::Ordering::Relaxed);
                rule.unmatched()
                    .into_iter()
                    .map(move |(what, expression)| Unmatched {
                        rule: rule.name.clone(),
                        what,
                        expression,
                        pages,
                    })
            })
            .collect()
    }

    /// `failures = …`: where rejected items go, if the file says.
    pub fn failures(&self) -> Option<&str> {
        self.failures.as_deref()
    }

    /// The rules as handlers, by label.
    pub fn router(&self) -> Router {
        let mut router = Router::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let rules = Arc::clone(&self.rules);
            let patterns = Arc::clone(&self.patterns);
            router = router.route(rule.name.clone(), move |resp, ctx| {
                rules[i].run(resp, ctx, &patterns)
            });
        }
        router
    }

    /// A crawler builder with the spider's start requests, rules and
    /// settings; the caller may override any of them before `build`.
    pub fn crawler(&self) -> CrawlerBuilder {
        let mut b = Crawler::builder()
            .settings(self.settings.clone())
            .router(self.router());
        for r in &self.start {
            b = b.request(r.clone());
        }
        b
    }
}

impl fmt::Debug for Spider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spider")
            .field("name", &self.name)
            .field("file", &self.file)
            .field("start", &self.start.len())
            .field(
                "rules",
                &self.rules.iter().map(|r| &r.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}
