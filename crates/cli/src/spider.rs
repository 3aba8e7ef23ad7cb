//! `ferrocrawl run`, `check` and `new`: declarative spiders.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ferrocrawl::crawl::{Checkpoint, Crawler, Output as CrawlOutput, Summary};
use ferrocrawl::sink::{BoxSink, CsvSink, Item, ItemWriter, JsonlSink, Pipeline, SharedSink, Sink};
use ferrocrawl::spider::{Output, SinkKind, SinkSpec, Spider};
use ferrocrawl::{ErrorKind, Url};
use serde_json::Value;

use crate::args::{CheckArgs, NewArgs, RunArgs};
use crate::exit;
use crate::limits::fit_concurrency;
use crate::state::{self, Ran};

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

/// The failures file's id among the sinks.
const FAILURES: &str = "failures";

/// The name a sink's committed length is kept under in the crawl state.
fn checkpoint_name(id: &str) -> String {
    format!("sink:{id}")
}

/// How far each output file was committed when the crawl state was last
/// saved; `None` when the crawl starts afresh (files are created anew).
type Resume<'a> = Option<&'a (dyn Fn(&str) -> anyhow::Result<Option<u64>> + Sync)>;

/// Where to open a file sink: fresh, or cut back to its checkpoint (the
/// whole file when the state never saved one, i.e. nothing was committed).
fn resume_at(resume: Resume<'_>, id: &str, path: &Path) -> anyhow::Result<Option<u64>> {
    let Some(lookup) = resume else {
        return Ok(None);
    };
    Ok(match lookup(&checkpoint_name(id))? {
        // Nothing committed, and no file (an empty failures file is
        // removed at the end of a run): start it afresh.
        Some(0) | None if !path.exists() => None,
        Some(at) => Some(at),
        None => Some(0),
    })
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
        // What each file holds for certain, for the state to keep with its
        // acks: on resume the files are cut back to it.
        let files = self
            .sinks
            .iter()
            .map(|(id, sink)| (id.as_str(), sink))
            .chain([(FAILURES, &self.failures)]);
        Ok(files
            .filter_map(|(id, sink)| {
                sink.committed()
                    .map(|at| (checkpoint_name(id), state::offset_bytes(at)))
            })
            .collect())
    }
}

impl Writers {
    async fn open(
        spider: &Spider,
        failures: Option<&Path>,
        resume: Resume<'_>,
    ) -> anyhow::Result<Writers> {
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
        let opened = match resume_at(resume, FAILURES, &failures_path)? {
            Some(at) => JsonlSink::resume(&failures_path, at).await,
            None => JsonlSink::create(&failures_path).await,
        };
        let failures_sink = SharedSink::new(BoxSink::new(opened.with_context(|| {
            format!("cannot open the failures file {}", failures_path.display())
        })?));
        let mut sinks: Vec<(String, SharedSink)> = Vec::new();
        // File sinks resumed at a committed offset: what they hold already.
        let mut resumed: HashMap<String, (SinkKind, PathBuf, u64)> = HashMap::new();
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
                    let at = match spec.kind {
                        SinkKind::Jsonl | SinkKind::Csv => {
                            resume_at(resume, &id, Path::new(&spec.to))?
                        }
                        _ => None,
                    };
                    if let Some(at @ 1..) = at {
                        resumed.insert(id.clone(), (spec.kind, PathBuf::from(&spec.to), at));
                    }
                    let opened =
                        spec.open_at(&table, o.key.clone(), at)
                            .await
                            .with_context(|| {
                                format!("cannot open the sink {spec} for rule `{}`", o.rule)
                            })?;
                    let shared = SharedSink::new(opened);
                    sinks.push((id.clone(), shared.clone()));
                    shared
                }
            };
            let mut pipeline = pipeline(o);
            if let (Some(file), Some(_), true) = (resumed.get(&id), &o.key, o.dedupe) {
                remember_written(&mut pipeline, file)?;
            }
            by_rule.insert(
                o.rule.clone(),
                RuleWriter {
                    writer: ItemWriter::new(pipeline, sink, failures_sink.clone()),
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

/// Seeds a resumed rule's dedupe with the keys its file already holds, so an
/// item seen before the pause is not written again after it (database sinks
/// upsert instead). Keys in a file that several rules share count for each.
fn remember_written(
    pipeline: &mut Pipeline,
    (kind, path, upto): &(SinkKind, PathBuf, u64),
) -> anyhow::Result<()> {
    let remember = |item: Item| pipeline.remember(&item);
    let bad = match kind {
        SinkKind::Csv => CsvSink::read_committed(path, *upto, remember),
        _ => JsonlSink::read_committed(path, *upto, remember),
    }
    .with_context(|| format!("cannot read {} to resume it", path.display()))?;
    if bad > 0 {
        eprintln!(
            "warning: {}: {bad} records written before the pause could not be read back; \
             their keys are not deduplicated against",
            path.display()
        );
    }
    Ok(())
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

/// `ferrocrawl run`: crawl by the spider's rules into its sinks, resumably.
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
    let builder = configure(&spider, &args);
    if args.no_state {
        let crawler = builder.build().await?;
        let writers = Writers::open(&spider, args.failures.as_deref(), None).await?;
        return Ok(drive(crawler, writers, quiet, None).await?.code);
    }
    let path = args.state.clone().unwrap_or_else(|| default_state(&spider));
    let state =
        match state::open(&path, builder.frontier_config(), &identity(&spider), quiet).await? {
            Ok(state) => state,
            Err(code) => return Ok(code),
        };
    if state.resuming && !quiet && writes_to_stdout(&spider) {
        eprintln!(
            "warning: resuming onto stdout: items of pages redone since the last save are printed again"
        );
    }
    let writers = if state.resuming {
        let lookup = |name: &str| state.offset(name);
        Writers::open(&spider, args.failures.as_deref(), Some(&lookup))
            .await
            .with_context(|| format!("cannot resume the output of {}", path.display()))?
    } else {
        Writers::open(&spider, args.failures.as_deref(), None).await?
    };
    let crawler = builder.build_with(state.frontier).await?;
    let ran = drive(crawler, writers, quiet, Some(&path)).await?;
    state::finish(&path, &ran, quiet);
    Ok(ran.code)
}

/// Whether any rule's items go to standard output, which a resume cannot
/// cut back as it does a file.
fn writes_to_stdout(spider: &Spider) -> bool {
    let fallback = default_sink(spider);
    spider
        .outputs()
        .iter()
        .any(|o| spider.sink_of(o).unwrap_or(&fallback).kind == SinkKind::Stdout)
}

/// The spider's settings with the command line's overrides.
fn configure(spider: &Spider, args: &RunArgs) -> ferrocrawl::crawl::CrawlerBuilder {
    let settings = spider.settings();
    let mut builder = spider.crawler().concurrency(fit_concurrency(
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
    if let Some(n) = args.max_redirects {
        builder = builder.max_redirects(n);
    }
    builder
}

/// `NAME.state` beside the first file sink (or here, for databases and stdout).
fn default_state(spider: &Spider) -> PathBuf {
    let fallback = default_sink(spider);
    let sink = spider
        .outputs()
        .first()
        .and_then(|o| spider.sink_of(o))
        .unwrap_or(&fallback);
    let dir = match sink.kind {
        SinkKind::Jsonl | SinkKind::Csv | SinkKind::Sqlite => Path::new(&sink.to)
            .parent()
            .map(Path::to_owned)
            .unwrap_or_default(),
        SinkKind::Stdout | SinkKind::Postgres => PathBuf::new(),
    };
    dir.join(format!("{}.state", spider.name()))
}

/// Which crawl a state file belongs to: the spider and where its items go.
/// Editing a selector keeps the state usable; another spider or sink doesn't.
fn identity(spider: &Spider) -> String {
    let fallback = default_sink(spider);
    let sinks: Vec<String> = spider
        .outputs()
        .iter()
        .map(|o| {
            let s = spider.sink_of(o).unwrap_or(&fallback);
            format!("{}={}#{}", o.rule, s.to, s.table.as_deref().unwrap_or(""))
        })
        .collect();
    format!("ferrocrawl run {} -> {}", spider.name(), sinks.join(", "))
}

/// Crawl into the writers, showing progress; close them; summarize.
async fn drive(
    crawler: Crawler,
    writers: Writers,
    quiet: bool,
    state: Option<&Path>,
) -> anyhow::Result<Ran> {
    let failures_path = writers.failures_path.clone();
    let Some(done) = state::watch(crawler, writers, quiet, true, state).await? else {
        return Ok(Ran {
            code: exit::INTERRUPTED,
            left_queued: 0,
        });
    };
    let (summary, writers) = (done.summary, done.output);
    let stray = writers.stray;
    let (lines, written, failed_items) = writers.close().await?;
    if !quiet {
        print_summary(&summary, written, failed_items, &failures_path, &lines);
        if stray > 0 {
            eprintln!("{stray} items came from pages without a rule that emits items");
        }
        if done.unshown_failures > 0 {
            eprintln!("({} more page failures not shown)", done.unshown_failures);
        }
    }
    Ok(Ran {
        code: state::exit_code(&summary, failed_items),
        left_queued: summary.left_queued,
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
