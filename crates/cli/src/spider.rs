//! `ferrocrawl run`, `check` and `new`: declarative spiders.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use ferrocrawl::crawl::{Checkpoint, Event, Output as CrawlOutput, Summary};
use ferrocrawl::sink::{BoxSink, Item, ItemWriter, JsonlSink, Pipeline, SharedSink, Sink};
use ferrocrawl::spider::{Output, SinkKind, SinkSpec, Spider};
use ferrocrawl::{ErrorKind, Url};
use serde_json::Value;

use crate::args::{CheckArgs, NewArgs, RunArgs};
use crate::crawl::{progress_bar, tick};
use crate::exit;
use crate::limits::fit_concurrency;

/// Page failures printed one by one before only counting them.
const SHOWN_FAILURES: u64 = 10;

/// `ferrocrawl check`: compile each file; print a summary or the mistake.
pub fn check(args: CheckArgs) -> anyhow::Result<u8> {
    let mut code = exit::OK;
    for path in &args.spiders {
        match Spider::from_file(path) {
            Ok(spider) => print!("{}", describe(&spider)),
            Err(e) => {
                eprintln!("error: {e}");
                code = exit::USAGE;
            }
        }
    }
    Ok(code)
}

/// What a spider will do, for `check`.
fn describe(spider: &Spider) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let starts = spider.start_requests();
    let _ = writeln!(out, "{}: ok, spider `{}`", spider.file(), spider.name());
    if let (Some(first), Some(last)) = (starts.first(), starts.last()) {
        let _ = write!(
            out,
            "  start: {} requests, {} {}",
            starts.len(),
            first.method,
            first.url
        );
        if starts.len() > 1 {
            let _ = write!(out, " ... {}", last.url);
        }
        out.push('\n');
    }
    let rules: Vec<&str> = spider.rule_names().collect();
    let _ = writeln!(out, "  rules: {}", rules.join(", "));
    for o in spider.outputs() {
        let sink = spider
            .sink_of(o)
            .map_or_else(|| default_sink(spider).to_string(), ToString::to_string);
        let _ = writeln!(
            out,
            "  items of `{}` -> {sink}{}",
            o.rule,
            o.key
                .as_ref()
                .map_or(String::new(), |k| format!(", key {k}"))
        );
    }
    let s = spider.settings();
    let _ = writeln!(
        out,
        "  settings: concurrency {}, per host {}, delay {}, robots.txt {}",
        s.concurrency,
        s.per_host,
        humantime::format_duration(s.delay),
        if s.obey_robots { "obeyed" } else { "ignored" }
    );
    out
}

/// `ferrocrawl new NAME`: write NAME.toml, never over an existing file.
pub fn new(args: NewArgs) -> anyhow::Result<u8> {
    let name = args.name.trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        eprintln!(
            "error: `{name}` is not a spider name: use letters, digits, `_` and `-` (it names the file NAME.toml)"
        );
        return Ok(exit::USAGE);
    }
    let path = args.dir.join(format!("{name}.toml"));
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "error: {} already exists; pick another name or remove it first",
                path.display()
            );
            return Ok(exit::USAGE);
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot create {}", path.display()));
        }
    };
    std::io::Write::write_all(&mut file, ferrocrawl::spider::starter(name).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wrote {0}; edit its start URL and rules, then:\n  ferrocrawl check {0}\n  ferrocrawl run {0}",
        path.display()
    );
    Ok(exit::OK)
}

/// The sink items go to when the file names none: `NAME.db` (SQLite).
fn default_sink(spider: &Spider) -> SinkSpec {
    SinkSpec {
        kind: SinkKind::Sqlite,
        to: format!("{}.db", spider.name()),
        table: None,
        key: None,
    }
}

/// Where rejected items go unless told: beside the first file sink.
fn default_failures(spider: &Spider, sink: &SinkSpec) -> PathBuf {
    match sink.kind {
        SinkKind::Jsonl | SinkKind::Csv | SinkKind::Sqlite => {
            Path::new(&sink.to).with_extension("failures.jsonl")
        }
        SinkKind::Stdout | SinkKind::Postgres => {
            PathBuf::from(format!("{}.failures.jsonl", spider.name()))
        }
    }
}

/// Items buffered before one write to a rule's sink.
const BATCH: usize = 1_000;

/// The crawl's output: one writer per rule that emits items (rules naming
/// the same sink share it), each batching its items.
struct Writers {
    by_rule: HashMap<String, RuleWriter>,
    sinks: Vec<(String, SharedSink)>,
    failures: SharedSink,
    failures_path: PathBuf,
    /// Items from pages whose label has no rule that emits items.
    stray: u64,
}

struct RuleWriter {
    writer: ItemWriter<SharedSink, SharedSink>,
    urls: Vec<String>,
    items: Vec<Item>,
}

impl RuleWriter {
    async fn write(&mut self) -> Result<(), ferrocrawl::sink::Error> {
        if self.items.is_empty() {
            return Ok(());
        }
        let urls: Vec<&str> = self.urls.iter().map(String::as_str).collect();
        let items = std::mem::take(&mut self.items);
        let result = self.writer.accept_many(&urls, items).await;
        self.urls.clear();
        result
    }
}

fn sink_error(rule: &str, e: ferrocrawl::sink::Error) -> ferrocrawl::Error {
    ferrocrawl::Error::new(
        ErrorKind::Io,
        format!("cannot write the items of rule `{rule}`: {e}"),
    )
    .with_source(e)
}

impl CrawlOutput for Writers {
    async fn accept(
        &mut self,
        page: &Url,
        label: Option<&str>,
        items: Vec<Value>,
    ) -> ferrocrawl::Result<()> {
        let Some((rule, w)) = label.and_then(|l| self.by_rule.get_mut(l).map(|w| (l, w))) else {
            self.stray += items.len() as u64;
            return Ok(());
        };
        for item in items {
            if let Value::Object(item) = item {
                w.urls.push(page.to_string());
                w.items.push(item);
            }
        }
        if w.items.len() >= BATCH {
            w.write().await.map_err(|e| sink_error(rule, e))?;
        }
        Ok(())
    }

    async fn commit(&mut self) -> ferrocrawl::Result<Checkpoint> {
        for (rule, w) in &mut self.by_rule {
            w.write().await.map_err(|e| sink_error(rule, e))?;
            w.writer.flush().await.map_err(|e| sink_error(rule, e))?;
        }
        Ok(Vec::new())
    }
}

impl Writers {
    async fn open(spider: &Spider, failures: Option<&Path>) -> anyhow::Result<Writers> {
        let fallback = default_sink(spider);
        let first = spider
            .outputs()
            .first()
            .and_then(|o| spider.sink_of(o))
            .unwrap_or(&fallback);
        let failures_path = failures
            .map(Path::to_owned)
            .or_else(|| spider.failures().map(PathBuf::from))
            .unwrap_or_else(|| default_failures(spider, first));
        let failures_sink = SharedSink::new(BoxSink::new(
            JsonlSink::create(&failures_path).await.with_context(|| {
                format!(
                    "cannot create the failures file {}",
                    failures_path.display()
                )
            })?,
        ));
        let mut sinks: Vec<(String, SharedSink)> = Vec::new();
        let mut by_rule = HashMap::new();
        for o in spider.outputs() {
            let spec = spider.sink_of(o).unwrap_or(&fallback);
            let table = spec
                .table
                .clone()
                .unwrap_or_else(|| spider.name().replace('-', "_"));
            let id = format!("{}#{table}", spec.to);
            let sink = match sinks.iter().find(|(k, _)| *k == id) {
                Some((_, s)) => s.clone(),
                None => {
                    let opened = spec.open(&table, o.key.clone()).await.with_context(|| {
                        format!("cannot open the sink {spec} for rule `{}`", o.rule)
                    })?;
                    let shared = SharedSink::new(opened);
                    sinks.push((id, shared.clone()));
                    shared
                }
            };
            by_rule.insert(
                o.rule.clone(),
                RuleWriter {
                    writer: ItemWriter::new(pipeline(o), sink, failures_sink.clone()),
                    urls: Vec::new(),
                    items: Vec::new(),
                },
            );
        }
        Ok(Writers {
            by_rule,
            sinks,
            failures: failures_sink,
            failures_path,
            stray: 0,
        })
    }

    /// Closes every sink; returns the per-rule lines of the summary, the
    /// items written and the items that did not get through.
    async fn close(self) -> anyhow::Result<(Vec<String>, u64, u64)> {
        let mut rules: Vec<(String, RuleWriter)> = self.by_rule.into_iter().collect();
        rules.sort_by(|a, b| a.0.cmp(&b.0));
        let (mut lines, mut written, mut failed) = (Vec::new(), 0, 0);
        for (rule, w) in rules {
            let c = w.writer.counts();
            written += c.written;
            failed += c.failed();
            lines.push(format!(
                "  {rule}: {} items written, {} rejected, {} refused by the sink",
                c.written, c.rejected, c.refused
            ));
            w.writer
                .close()
                .await
                .with_context(|| format!("cannot close the sink of rule `{rule}`"))?;
        }
        for (id, sink) in self.sinks {
            sink.close()
                .await
                .with_context(|| format!("cannot close the sink {id}"))?;
        }
        self.failures
            .close()
            .await
            .context("cannot close the failures file")?;
        // Nothing failed: leave no empty file behind.
        if failed == 0 && std::fs::metadata(&self.failures_path).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(&self.failures_path);
        }
        Ok((lines, written, failed))
    }
}

/// Required fields (the key among them) and dedupe by key.
fn pipeline(o: &Output) -> Pipeline {
    let mut required = o.required.clone();
    if let Some(k) = &o.key
        && !required.contains(k)
    {
        required.insert(0, k.clone());
    }
    let mut p = Pipeline::new();
    if !required.is_empty() {
        p = p.require(required);
    }
    if let (Some(k), true) = (&o.key, o.dedupe) {
        p = p.dedupe(k.clone());
    }
    p
}

/// `ferrocrawl run`: crawl by the spider's rules into its sinks.
pub async fn run(args: RunArgs, quiet: bool) -> anyhow::Result<u8> {
    let mut spider = match Spider::from_file(&args.spider) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    if let Some(to) = &args.sink
        && let Err(e) = spider.override_sink(to)
    {
        eprintln!("error: --sink: {e}");
        return Ok(exit::USAGE);
    }
    let mut builder = spider.crawler();
    let settings = spider.settings();
    builder = builder.concurrency(fit_concurrency(
        args.concurrency.unwrap_or(settings.concurrency),
    ));
    if let Some(n) = args.per_host {
        builder = builder.per_host(n);
    }
    if let Some(d) = args.delay {
        builder = builder.delay(d);
    }
    if args.ignore_robots {
        builder = builder.obey_robots(false);
    }
    if args.max_pages.is_some() {
        builder = builder.max_pages(args.max_pages);
    }
    let crawler = builder.build().await?;
    let writers = Writers::open(&spider, args.failures.as_deref()).await?;
    let failures_path = writers.failures_path.clone();

    let stats = crawler.stats();
    let stopper = crawler.stopper();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Event>(1024);
    let mut crawl = tokio::spawn(crawler.run_into(tx, writers));
    let bar = progress_bar(quiet);
    let ticker = tokio::spawn(tick(bar.clone(), Arc::clone(&stats)));
    let mut interrupts = 0;
    let mut page_failures = 0u64;
    let (summary, writers) = loop {
        tokio::select! {
            event = rx.recv() => match event {
                Some(Event::Page(page)) => {
                    if let Some(err) = &page.error {
                        page_failures += 1;
                        if page_failures <= SHOWN_FAILURES {
                            bar.suspend(|| eprintln!("failed: {} ({}): {}", page.url, err.kind, err.message));
                        }
                    }
                }
                Some(Event::Item { .. } | Event::Dropped { .. }) => {}
                None => break (&mut crawl).await.context("the crawl task panicked")??,
            },
            _ = tokio::signal::ctrl_c() => {
                interrupts += 1;
                if interrupts == 1 {
                    stopper.stop();
                    bar.suspend(|| eprintln!("stopping: finishing the requests in flight and writing their items (Ctrl-C again to quit now)"));
                } else {
                    bar.abandon();
                    eprintln!("stopped at once; items committed so far are in the sinks");
                    return Ok(exit::INTERRUPTED);
                }
            }
        }
    };
    ticker.abort();
    bar.finish_and_clear();
    let stray = writers.stray;
    let (lines, written, failed_items) = writers.close().await?;
    if !quiet {
        print_summary(&summary, written, failed_items, &failures_path, &lines);
        if stray > 0 {
            eprintln!("{stray} items came from pages without a rule that emits items");
        }
        if page_failures > SHOWN_FAILURES {
            eprintln!(
                "({} more page failures not shown)",
                page_failures - SHOWN_FAILURES
            );
        }
    }
    Ok(if summary.stopped {
        exit::INTERRUPTED
    } else if summary.failed > 0 || failed_items > 0 {
        exit::SOME_FAILED
    } else {
        exit::OK
    })
}

fn print_summary(s: &Summary, written: u64, failed_items: u64, failures: &Path, rules: &[String]) {
    let secs = s.elapsed.as_secs_f64();
    let rate = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    eprintln!(
        "{}: {} pages in {:.2}s ({:.0}/s), {} items written ({:.0}/s), {} failed pages, {} dropped by robots.txt",
        if s.stopped { "stopped" } else { "done" },
        s.pages,
        secs,
        rate(s.pages),
        written,
        rate(written),
        s.failed,
        s.dropped,
    );
    for l in rules {
        eprintln!("{l}");
    }
    if failed_items > 0 {
        eprintln!(
            "{failed_items} items did not get through; each is in {} with its reason",
            failures.display()
        );
    }
    if s.left_queued > 0 {
        eprintln!(
            "{} requests were left queued (budget reached or stopped)",
            s.left_queued
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_go_beside_the_sink() {
        let spider = Spider::parse("s.toml", &ferrocrawl::spider::starter("shop"))
            .unwrap_or_else(|e| panic!("{e}"));
        let db = SinkSpec {
            kind: SinkKind::Sqlite,
            to: "out/books.db".into(),
            table: None,
            key: None,
        };
        assert_eq!(
            default_failures(&spider, &db),
            Path::new("out/books.failures.jsonl")
        );
        let pg = SinkSpec {
            kind: SinkKind::Postgres,
            to: "postgres://h/db".into(),
            table: None,
            key: None,
        };
        assert_eq!(
            default_failures(&spider, &pg),
            Path::new("shop.failures.jsonl")
        );
    }
}
