//! A job's items: one writer per route (a rule's label, or every label),
//! each a pipeline (required fields, the key, dedupe) in front of a sink
//! shared by the routes that name it, with rejects in the failures file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ferrocrawl_engine::Output;
use ferrocrawl_frontier::Checkpoint;
use ferrocrawl_sink::{BoxSink, CsvSink, Item, ItemWriter, JsonlSink, Pipeline, SharedSink, Sink};
use ferrocrawl_spider::{PROBLEMS_KEY, SinkKind, SinkSpec};
use serde_json::Value;

use crate::{Error, ErrorKind, Result, Url};

/// Where one rule's items go (or every rule's, with no `rule`).
#[derive(Clone, Debug)]
pub struct ItemRoute {
    /// The label (rule) whose items take this route; `None` takes the items
    /// of every label no other route names.
    pub rule: Option<String>,
    /// The sink.
    pub sink: SinkSpec,
    /// The field items are upserted and deduplicated by.
    pub key: Option<String>,
    /// Fields an item must have.
    pub required: Vec<String>,
    /// Drop items whose key was written before (in this crawl).
    pub dedupe: bool,
}

/// How a route looks in the summary: its rule (or `*`), its sink and its
/// counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteReport {
    /// The rule, or `*` for the route that takes every label.
    pub rule: String,
    /// The sink, as the summary names it.
    pub sink: String,
    /// Items written.
    pub written: u64,
    /// Items a pipeline stage rejected (in the failures file).
    pub rejected: u64,
    /// Items the sink refused (in the failures file).
    pub refused: u64,
}

/// Items buffered before one write to a route's sink.
const BATCH: usize = 1_000;

/// The failures file's checkpoint id.
const FAILURES: &str = "failures";

/// The name a sink's committed length is kept under in the crawl state.
fn checkpoint_name(id: &str) -> String {
    format!("sink:{id}")
}

/// A checkpoint value for an output's committed length.
pub(crate) fn offset_bytes(at: u64) -> Vec<u8> {
    at.to_le_bytes().to_vec()
}

/// The committed length saved under `name`, if any.
pub(crate) fn offset(checkpoint: &Checkpoint, name: &str) -> Option<u64> {
    checkpoint
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, b)| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map(u64::from_le_bytes)
}

/// Where to open a file sink: fresh (`None`), or cut back to its checkpoint
/// (the whole file when the state never saved one: nothing was committed).
fn resume_at(resume: Option<&Checkpoint>, id: &str, path: &Path) -> Option<u64> {
    let checkpoint = resume?;
    match offset(checkpoint, &checkpoint_name(id)) {
        // Nothing committed, and no file (an empty failures file is removed
        // at the end of a run): start it afresh.
        Some(0) | None if !path.exists() => None,
        Some(at) => Some(at),
        None => Some(0),
    }
}

fn sink_error(what: String, e: ferrocrawl_sink::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}")).with_source(e)
}

struct RouteWriter {
    rule: String,
    sink: String,
    writer: ItemWriter<SharedSink, SharedSink>,
    urls: Vec<String>,
    items: Vec<Item>,
}

impl RouteWriter {
    async fn write(&mut self) -> Result<()> {
        if self.items.is_empty() {
            return Ok(());
        }
        let urls: Vec<&str> = self.urls.iter().map(String::as_str).collect();
        let items = std::mem::take(&mut self.items);
        let result = self.writer.accept_many(&urls, items).await;
        self.urls.clear();
        result.map_err(|e| {
            let what = format!("cannot write the items of rule `{}`", self.rule);
            sink_error(what, e)
        })
    }
}

/// Every route's writer, and the shared sinks and failures file.
pub(crate) struct ItemWriters {
    routes: Vec<RouteWriter>,
    /// Route indexes by label (a rule may write to several sinks); the
    /// catch-all routes are `any`.
    by_rule: HashMap<String, Vec<usize>>,
    any: Vec<usize>,
    /// Values processors could not convert, written to the failures file.
    pub field_problems: u64,
    sinks: Vec<(String, SharedSink)>,
    failures: SharedSink,
    pub failures_path: PathBuf,
    /// Items from labels no route takes.
    pub stray: u64,
}

impl ItemWriters {
    /// Open every route's sink (cut back to the checkpoint when resuming).
    /// `table` names the table of database sinks that name none.
    pub async fn open(
        routes: &[ItemRoute],
        failures_path: PathBuf,
        table: &str,
        resume: Option<&Checkpoint>,
    ) -> Result<ItemWriters> {
        let opened = match resume_at(resume, FAILURES, &failures_path) {
            Some(at) => JsonlSink::resume(&failures_path, at).await,
            None => JsonlSink::create(&failures_path).await,
        };
        let failures_sink = opened.map_err(|e| {
            let what = format!("cannot open the failures file {}", failures_path.display());
            sink_error(what, e)
        })?;
        let failures_sink = SharedSink::new(BoxSink::new(failures_sink));
        let mut sinks: Vec<(String, SharedSink)> = Vec::new();
        // File sinks resumed at a committed offset: what they hold already.
        let mut resumed: HashMap<String, u64> = HashMap::new();
        let mut writers = ItemWriters {
            routes: Vec::new(),
            by_rule: HashMap::new(),
            any: Vec::new(),
            field_problems: 0,
            sinks: Vec::new(),
            failures: failures_sink.clone(),
            failures_path,
            stray: 0,
        };
        for route in routes {
            let spec = &route.sink;
            let table = spec.table.clone().unwrap_or_else(|| table.to_owned());
            let id = format!("{}#{table}", spec.to);
            let rule = route.rule.clone().unwrap_or_else(|| "*".to_owned());
            let sink = match sinks.iter().find(|(k, _)| *k == id) {
                Some((_, s)) => s.clone(),
                None => {
                    let at = match spec.kind {
                        SinkKind::Jsonl | SinkKind::Csv => {
                            resume_at(resume, &id, Path::new(&spec.to))
                        }
                        _ => None,
                    };
                    if let Some(at @ 1..) = at {
                        resumed.insert(id.clone(), at);
                    }
                    let opened = spec.open_at(&table, route.key.clone(), at).await;
                    let opened = opened.map_err(|e| {
                        sink_error(format!("cannot open the sink {spec} for rule `{rule}`"), e)
                    })?;
                    let shared = SharedSink::new(opened);
                    sinks.push((id.clone(), shared.clone()));
                    shared
                }
            };
            let mut pipeline = pipeline(route);
            if let (Some(&upto), Some(_), true) = (resumed.get(&id), &route.key, route.dedupe) {
                remember_written(&mut pipeline, spec, upto)?;
            }
            let index = writers.routes.len();
            match &route.rule {
                Some(r) => writers.by_rule.entry(r.clone()).or_default().push(index),
                None => writers.any.push(index),
            }
            writers.routes.push(RouteWriter {
                rule,
                sink: spec.to_string(),
                writer: ItemWriter::new(pipeline, sink, failures_sink.clone()),
                urls: Vec::new(),
                items: Vec::new(),
            });
        }
        writers.sinks = sinks;
        Ok(writers)
    }

    /// Whether items of `label` have a route.
    pub fn takes(&self, label: Option<&str>) -> bool {
        !self.routes_of(label).is_empty()
    }

    fn routes_of(&self, label: Option<&str>) -> &[usize] {
        label
            .and_then(|l| self.by_rule.get(l))
            .map_or(self.any.as_slice(), Vec::as_slice)
    }

    /// Buffer a page's items on their routes (each route gets every item);
    /// write a full batch. The values an item's processors could not
    /// convert go to the failures file, once.
    pub async fn accept(
        &mut self,
        page: &Url,
        label: Option<&str>,
        items: Vec<Value>,
    ) -> Result<()> {
        let routes = self.routes_of(label).to_vec();
        if routes.is_empty() {
            self.stray += items.len() as u64;
            return Ok(());
        }
        let mut problems = Vec::new();
        let mut objects = Vec::with_capacity(items.len());
        for item in items {
            if let Value::Object(mut item) = item {
                if let Some(Value::Array(found)) = item.remove(PROBLEMS_KEY) {
                    problems.extend(found.into_iter().map(|p| problem_record(p, page, &item)));
                }
                objects.push(item);
            }
        }
        if !problems.is_empty() {
            self.field_problems += problems.len() as u64;
            self.failures
                .write(&problems)
                .await
                .map_err(|e| sink_error("cannot write to the failures file".into(), e))?;
        }
        let last = routes.len() - 1;
        let mut objects = Some(objects);
        for (n, i) in routes.into_iter().enumerate() {
            let w = &mut self.routes[i];
            let batch = if n == last {
                objects.take().unwrap_or_default()
            } else {
                objects.clone().unwrap_or_default()
            };
            for item in batch {
                w.urls.push(page.to_string());
                w.items.push(item);
            }
            if w.items.len() >= BATCH {
                w.write().await?;
            }
        }
        Ok(())
    }

    /// Write and flush everything; what each file holds for certain.
    pub async fn commit(&mut self) -> Result<Checkpoint> {
        for w in &mut self.routes {
            w.write().await?;
            w.writer.flush().await.map_err(|e| {
                sink_error(format!("cannot write the items of rule `{}`", w.rule), e)
            })?;
        }
        let files = self
            .sinks
            .iter()
            .map(|(id, sink)| (id.as_str(), sink))
            .chain([(FAILURES, &self.failures)]);
        Ok(files
            .filter_map(|(id, sink)| {
                sink.committed()
                    .map(|at| (checkpoint_name(id), offset_bytes(at)))
            })
            .collect())
    }

    /// Close every sink; each route's counts.
    pub async fn close(self) -> Result<Vec<RouteReport>> {
        let mut reports = Vec::new();
        let mut failed = 0;
        for w in self.routes {
            let c = w.writer.counts();
            failed += c.failed();
            reports.push(RouteReport {
                rule: w.rule.clone(),
                sink: w.sink.clone(),
                written: c.written,
                rejected: c.rejected,
                refused: c.refused,
            });
            w.writer.close().await.map_err(|e| {
                sink_error(format!("cannot close the sink of rule `{}`", w.rule), e)
            })?;
        }
        for (id, sink) in self.sinks {
            sink.close()
                .await
                .map_err(|e| sink_error(format!("cannot close the sink {id}"), e))?;
        }
        self.failures
            .close()
            .await
            .map_err(|e| sink_error("cannot close the failures file".into(), e))?;
        // Nothing failed: leave no empty file behind.
        if failed == 0
            && self.field_problems == 0
            && std::fs::metadata(&self.failures_path).is_ok_and(|m| m.len() == 0)
        {
            let _ = std::fs::remove_file(&self.failures_path);
        }
        reports.sort_by(|a, b| a.rule.cmp(&b.rule));
        Ok(reports)
    }
}

impl Output for ItemWriters {
    async fn accept(&mut self, page: &Url, label: Option<&str>, items: Vec<Value>) -> Result<()> {
        ItemWriters::accept(self, page, label, items).await
    }

    async fn commit(&mut self) -> Result<Checkpoint> {
        ItemWriters::commit(self).await
    }
}

/// A failures-file line for a value a processor could not convert: the
/// field, the value and the reason, with the page and the item (written,
/// with the field left out or kept as the spider says).
fn problem_record(problem: Value, page: &Url, item: &Item) -> Item {
    let mut record = match problem {
        Value::Object(o) => o,
        other => {
            let mut o = Item::new();
            o.insert("reason".into(), other);
            o
        }
    };
    record.insert("stage".into(), Value::String("field".into()));
    record.insert("url".into(), Value::String(page.to_string()));
    record.insert("item".into(), Value::Object(item.clone()));
    record
}

/// Seeds a resumed route's dedupe with the keys its file already holds, so
/// an item seen before the pause is not written again after it (database
/// sinks upsert instead).
fn remember_written(pipeline: &mut Pipeline, spec: &SinkSpec, upto: u64) -> Result<()> {
    let path = Path::new(&spec.to);
    let remember = |item: Item| pipeline.remember(&item);
    let bad = match spec.kind {
        SinkKind::Csv => CsvSink::read_committed(path, upto, remember),
        _ => JsonlSink::read_committed(path, upto, remember),
    }
    .map_err(|e| sink_error(format!("cannot read {} to resume it", path.display()), e))?;
    if bad > 0 {
        tracing::warn!(
            "{}: {bad} records written before the pause could not be read back; their keys are \
             not deduplicated against",
            path.display()
        );
    }
    Ok(())
}

/// Required fields (the key among them) and dedupe by key.
fn pipeline(route: &ItemRoute) -> Pipeline {
    let mut required = route.required.clone();
    if let Some(k) = &route.key
        && !required.contains(k)
    {
        required.insert(0, k.clone());
    }
    let mut p = Pipeline::new();
    if !required.is_empty() {
        p = p.require(required);
    }
    if let (Some(k), true) = (&route.key, route.dedupe) {
        p = p.dedupe(k.clone());
    }
    p
}
