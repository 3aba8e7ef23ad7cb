//! Compiled rules, and the handler that runs them on a page.

use ferrocrawl_core::{Response, Result, Url};
use ferrocrawl_engine::Context;
use ferrocrawl_extract::fields::{Document, Processor, Selector, apply};
use regex::Regex;
use serde_json::{Map, Value};

use crate::template::Template;

/// What to do with a page of one label.
#[derive(Debug)]
pub(crate) struct Rule {
    pub name: String,
    /// Each match is an item (a JSON object as is, or a scope for `fields`).
    pub items: Option<Selector>,
    pub fields: Vec<Field>,
    pub follow: Vec<Follow>,
}

/// One field of an item.
#[derive(Debug)]
pub(crate) struct Field {
    pub name: String,
    pub source: Source,
    pub processors: Vec<Processor>,
}

/// Where a field's value comes from.
#[derive(Debug)]
pub(crate) enum Source {
    Select(Selector),
    Meta(Meta),
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
    pub selector: Selector,
    pub template: Option<Template>,
    /// Method, headers, body, label and priority; the URL is replaced.
    pub request: ferrocrawl_core::Request,
}

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
        let doc = Document::new(resp.text(), &resp.url);
        match &self.items {
            Some(items) => {
                for scope in items.select(&doc) {
                    match scope {
                        Value::Object(o) if self.fields.is_empty() => ctx.emit(&o)?,
                        scope => {
                            let text = match scope {
                                Value::String(s) => s,
                                other => other.to_string(),
                            };
                            let sub = Document::new(&text, doc.base_url());
                            ctx.emit(&self.item(&sub, resp))?;
                        }
                    }
                }
            }
            None if !self.fields.is_empty() => ctx.emit(&self.item(&doc, resp))?,
            None => {}
        }
        for f in &self.follow {
            for value in f.selector.select(&doc) {
                let text = match &value {
                    Value::String(s) => s.trim().to_owned(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(_) | Value::Null | Value::Array(_) | Value::Object(_) => {
                        tracing::warn!(url = %resp.url, rule = %self.name, %value, "follow: not a URL or an id, skipped");
                        continue;
                    }
                };
                if text.is_empty() {
                    continue;
                }
                let href = match &f.template {
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
                let mut next = f.request.clone();
                if next.label.is_none() {
                    next.label = label_for(patterns, &url);
                }
                next.url = url;
                ctx.follow(next);
            }
        }
        Ok(())
    }

    fn item(&self, doc: &Document, resp: &Response) -> Map<String, Value> {
        let mut item = Map::new();
        for f in &self.fields {
            let values = match &f.source {
                Source::Select(s) => s.select(doc),
                Source::Meta(m) => vec![meta(*m, resp)],
            };
            item.insert(f.name.clone(), apply(values, &f.processors, doc.base_url()));
        }
        item
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
