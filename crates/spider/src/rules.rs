//! Compiled rules, and the handler that runs them on a page.

use std::sync::atomic::{AtomicU64, Ordering};

use ferrocrawl_core::{Response, Result, Url};
use ferrocrawl_engine::Context;
use ferrocrawl_extract::fields::{
    Applied, Document, Processor, Selector, apply, apply_checked, apply_keeping,
};
use regex::Regex;
use serde_json::{Map, Value, json};

use crate::template::Template;

/// The key under which an item carries the values its processors could not
/// convert, to the job that writes it: the job takes it off and writes each
/// to the failures file. Never written to a sink.
pub const PROBLEMS_KEY: &str = "__ferrocrawl_problems";

/// The user-data key a followed request carries its `data` fields under.
pub(crate) const DATA_KEY: &str = "data";

/// What to do with a page of one label.
#[derive(Debug)]
pub(crate) struct Rule {
    pub name: String,
    /// Each match is an item (a JSON object as is, or a scope for `fields`).
    pub items: Option<Watched<Selector>>,
    pub fields: Vec<Field>,
    pub follow: Vec<Follow>,
    pub paginate: Option<Paginate>,
    /// Pages this rule ran on (in this process).
    pub pages: AtomicU64,
}

/// A selector, and on how many pages it matched anything.
#[derive(Debug)]
pub(crate) struct Watched<T> {
    pub selector: T,
    /// What it is, for the warning: "field `title`", "follow spec 2".
    pub what: String,
    pub hits: AtomicU64,
}

impl<T> Watched<T> {
    pub(crate) fn new(selector: T, what: String) -> Watched<T> {
        Watched {
            selector,
            what,
            hits: AtomicU64::new(0),
        }
    }
}

impl Watched<Selector> {
    /// Selects, and counts a page where it matched.
    fn select(&self, doc: &Document) -> Vec<Value> {
        let values = self.selector.select(doc);
        if !values.is_empty() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        values
    }
}

/// One field of an item.
#[derive(Debug)]
pub(crate) struct Field {
    pub name: String,
    pub source: Source,
    pub processors: Vec<Processor>,
    /// Each selected value is made an object of these fields.
    pub sub: Vec<Field>,
    pub on_error: OnError,
}

/// What a value that a processor cannot convert becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnError {
    /// Dropped, and written to the failures file with the reason.
    Fail,
    /// Kept as it was, unconverted.
    Keep,
    /// Dropped without a word (the user said so).
    Null,
}

/// Where a field's value comes from.
#[derive(Debug)]
pub(crate) enum Source {
    Select(Watched<Selector>),
    Meta(Meta),
    /// The page's main content, boilerplate removed: Markdown, or text.
    Content {
        markdown: bool,
    },
}

/// Facts about the page rather than its content.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Meta {
    Url,
    Status,
    Label,
    Depth,
    Referrer,
}

/// Where to go next from a page.
#[derive(Debug)]
pub(crate) struct Follow {
    pub selector: Watched<Selector>,
    pub template: Option<Template>,
    /// Method, headers, body, label and priority; the URL is replaced.
    pub request: ferrocrawl_core::Request,
    /// The parts of the page each link and its data come from.
    pub scope: Option<Watched<Selector>>,
    /// Fields passed to the followed page's items.
    pub data: Vec<Field>,
}

/// The next pages of a list, by counting a query parameter on.
#[derive(Debug)]
pub(crate) struct Paginate {
    pub param: String,
    pub step: i64,
    /// The parameter's value on a URL that lacks it, and the first page's.
    pub start: i64,
    pub until: Until,
}

/// When pagination stops.
#[derive(Debug)]
pub(crate) enum Until {
    /// At the first page where this selects nothing.
    Empty(Selector),
    /// The first page says how many items there are: every page is made
    /// from it at once.
    Total(Selector),
    /// The first page says how many pages there are.
    Pages(Selector),
}

/// Most pages one `paginate` makes from a stated total.
const MAX_PAGES: i64 = 1_000_000;

impl Rule {
    /// Extract the page's items and follow its requests.
    ///
    /// A follow value that makes no valid URL is skipped with a warning: one
    /// odd link must not fail the page's items.
    pub(crate) fn run(
        &self,
        resp: &Response,
        ctx: &mut Context<'_>,
        patterns: &[(String, Regex)],
    ) -> Result<()> {
        self.pages.fetch_add(1, Ordering::Relaxed);
        let doc = Document::new(resp.text(), &resp.url);
        let data = passed_data(resp);
        match &self.items {
            Some(items) => {
                for scope in items.select(&doc) {
                    match scope {
                        Value::Object(mut o) if self.fields.is_empty() => {
                            merge_data(&mut o, data);
                            ctx.emit(&o)?;
                        }
                        scope => {
                            let sub = sub_document(scope, &doc);
                            let mut item = item(&self.fields, &sub, resp);
                            merge_data(&mut item, data);
                            ctx.emit(&item)?;
                        }
                    }
                }
            }
            None if !self.fields.is_empty() => {
                let mut item = item(&self.fields, &doc, resp);
                merge_data(&mut item, data);
                ctx.emit(&item)?;
            }
            None => {}
        }
        for f in &self.follow {
            match &f.scope {
                Some(scope) => {
                    for part in scope.select(&doc) {
                        let sub = sub_document(part, &doc);
                        f.follow_from(&sub, resp, ctx, patterns, &self.name);
                    }
                }
                None => f.follow_from(&doc, resp, ctx, patterns, &self.name),
            }
        }
        if let Some(p) = &self.paginate {
            p.next_pages(&doc, resp, ctx);
        }
        Ok(())
    }

    /// Selectors that matched nothing on any page this rule ran on, as
    /// (what, expression); empty when the rule never ran.
    pub(crate) fn unmatched(&self) -> Vec<(String, String)> {
        if self.pages.load(Ordering::Relaxed) == 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut check = |w: &Watched<Selector>| {
            if w.hits.load(Ordering::Relaxed) == 0 {
                out.push((w.what.clone(), w.selector.expression().to_owned()));
            }
        };
        if let Some(items) = &self.items {
            check(items);
        }
        watch_fields(&self.fields, &mut check);
        for f in &self.follow {
            if let Some(s) = &f.scope {
                check(s);
            }
            check(&f.selector);
            watch_fields(&f.data, &mut check);
        }
        out
    }
}

/// Calls `check` with the selector of each field and sub-field.
fn watch_fields(fields: &[Field], check: &mut impl FnMut(&Watched<Selector>)) {
    for f in fields {
        if let Source::Select(s) = &f.source {
            check(s);
        }
        watch_fields(&f.sub, check);
    }
}

impl Follow {
    fn follow_from(
        &self,
        doc: &Document,
        resp: &Response,
        ctx: &mut Context<'_>,
        patterns: &[(String, Regex)],
        rule: &str,
    ) {
        let values = self.selector.select(doc);
        if values.is_empty() {
            return;
        }
        let data = (!self.data.is_empty()).then(|| item(&self.data, doc, resp));
        for value in values {
            let text = match &value {
                Value::String(s) => s.trim().to_owned(),
                Value::Number(n) => n.to_string(),
                // `"next": null` on the last page of an API: nothing to follow.
                Value::Null => continue,
                Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
                    tracing::warn!(url = %resp.url, %rule, %value, "follow: not a URL or an id, skipped");
                    continue;
                }
            };
            if text.is_empty() {
                continue;
            }
            let href = match &self.template {
                Some(t) => t.render(|_| text.as_str()),
                None => text,
            };
            let url = match doc.base_url().join(&href) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => u,
                Ok(u) => {
                    tracing::debug!(url = %u, "follow: not http(s), skipped");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(page = %resp.url, %href, "follow: invalid URL ({e}), skipped");
                    continue;
                }
            };
            let mut next = self.request.clone();
            if next.label.is_none() {
                next.label = label_for(patterns, &url);
            }
            next.url = url;
            if let Some(data) = &data {
                // Its problems travel with it, to be reported with the item.
                next.user_data
                    .insert(DATA_KEY.to_owned(), Value::Object(data.clone()));
            }
            ctx.follow(next);
        }
    }
}

impl Paginate {
    /// The page's value of the parameter (`start` when the URL lacks it).
    fn current(&self, url: &Url) -> Option<i64> {
        match url.query_pairs().find(|(k, _)| *k == self.param) {
            Some((_, v)) => v.trim().parse().ok(),
            None => Some(self.start),
        }
    }

    fn next_pages(&self, doc: &Document, resp: &Response, ctx: &mut Context<'_>) {
        let Some(current) = self.current(&resp.url) else {
            tracing::warn!(url = %resp.url, param = %self.param, "paginate: the parameter is not a whole number; no next page");
            return;
        };
        match &self.until {
            Until::Empty(selector) => {
                if !selector.select(doc).is_empty() {
                    self.push(resp, ctx, current + self.step);
                }
            }
            Until::Total(selector) | Until::Pages(selector) => {
                // Only the first page makes the others, all at once.
                if current != self.start {
                    return;
                }
                let stated = apply(
                    selector.select(doc),
                    &[Processor::First, Processor::ParseNumber],
                    doc.base_url(),
                );
                let Some(n) = stated.as_f64() else {
                    tracing::warn!(url = %resp.url, expression = %selector.expression(), "paginate: the page states no number of items or pages; no next pages");
                    return;
                };
                let n = n.max(0.0).min(MAX_PAGES as f64 * self.step.abs() as f64) as i64;
                let mut value = current + self.step;
                let mut made = 0;
                loop {
                    let more = match self.until {
                        Until::Total(_) => value < self.start + n,
                        _ => value <= n,
                    };
                    if !more || made >= MAX_PAGES {
                        break;
                    }
                    self.push(resp, ctx, value);
                    value += self.step;
                    made += 1;
                }
            }
        }
    }

    /// The same request with the parameter set to `value`.
    fn push(&self, resp: &Response, ctx: &mut Context<'_>, value: i64) {
        let mut url = resp.request.url.clone();
        let mut pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        match pairs.iter_mut().find(|(k, _)| *k == self.param) {
            Some((_, v)) => *v = value.to_string(),
            None => pairs.push((self.param.clone(), value.to_string())),
        }
        url.query_pairs_mut().clear().extend_pairs(&pairs);
        let mut next = resp.request.clone();
        next.url = url;
        next.retries = 0;
        ctx.follow(next);
    }
}

/// The part of a page a scope matched, as a page of its own: an element's
/// HTML, or a JSON value.
fn sub_document(scope: Value, doc: &Document) -> Document {
    let text = match scope {
        Value::String(s) => s,
        other => other.to_string(),
    };
    Document::new(&text, doc.base_url())
}

/// The data the request was followed with, if any.
fn passed_data(resp: &Response) -> Option<&Map<String, Value>> {
    resp.request
        .user_data
        .get(DATA_KEY)
        .and_then(Value::as_object)
}

/// Data passed from the page that found this one fills the item's missing
/// or empty fields; the page's own values win.
fn merge_data(item: &mut Map<String, Value>, data: Option<&Map<String, Value>>) {
    for (k, v) in data.into_iter().flatten() {
        if k == PROBLEMS_KEY
            && let (Some(Value::Array(mine)), Value::Array(passed)) = (item.get_mut(k), v)
        {
            mine.extend(passed.iter().cloned());
            continue;
        }
        match item.get(k) {
            None | Some(Value::Null) => {
                item.insert(k.clone(), v.clone());
            }
            Some(_) => {}
        }
    }
}

/// The item `fields` make of `doc`, with the values processors could not
/// convert under [`PROBLEMS_KEY`].
fn item(fields: &[Field], doc: &Document, resp: &Response) -> Map<String, Value> {
    let mut out = Map::new();
    let mut problems = Vec::new();
    for f in fields {
        let values = match &f.source {
            Source::Select(s) => s.select(doc),
            Source::Meta(m) => vec![meta(*m, resp)],
            Source::Content { markdown } => {
                let c = ferrocrawl_content::extract(doc.text(), doc.base_url());
                let body = if *markdown { c.markdown } else { c.text };
                if body.trim().is_empty() {
                    Vec::new()
                } else {
                    vec![Value::String(body)]
                }
            }
        };
        let values = if f.sub.is_empty() {
            values
        } else {
            values
                .into_iter()
                .map(|v| {
                    let mut sub = item(&f.sub, &sub_document(v, doc), resp);
                    for p in take_problems(&mut sub) {
                        problems.push(p);
                    }
                    Value::Object(sub)
                })
                .collect()
        };
        let applied = match f.on_error {
            OnError::Keep => Applied {
                value: apply_keeping(values, &f.processors, doc.base_url()),
                problems: Vec::new(),
            },
            _ => apply_checked(values, &f.processors, doc.base_url()),
        };
        if f.on_error == OnError::Fail {
            for p in applied.problems {
                problems.push(json!({
                    "field": f.name,
                    "processor": p.processor,
                    "value": p.value,
                    "reason": p.reason,
                }));
            }
        }
        out.insert(f.name.clone(), applied.value);
    }
    if !problems.is_empty() {
        out.insert(PROBLEMS_KEY.to_owned(), Value::Array(problems));
    }
    out
}

fn take_problems(item: &mut Map<String, Value>) -> Vec<Value> {
    match item.remove(PROBLEMS_KEY) {
        Some(Value::Array(p)) => p,
        _ => Vec::new(),
    }
}

/// The label of the first rule whose pattern matches `url`.
pub(crate) fn label_for(patterns: &[(String, Regex)], url: &Url) -> Option<String> {
    patterns
        .iter()
        .find(|(_, re)| re.is_match(url.as_str()))
        .map(|(l, _)| l.clone())
}

fn meta(m: Meta, resp: &Response) -> Value {
    let r = &resp.request;
    match m {
        Meta::Url => Value::String(resp.url.to_string()),
        Meta::Status => Value::from(resp.status.as_u16()),
        Meta::Label => r.label.clone().map_or(Value::Null, Value::String),
        Meta::Depth => Value::from(r.depth),
        Meta::Referrer => r
            .referrer
            .as_ref()
            .map_or(Value::Null, |u| Value::String(u.to_string())),
    }
}
