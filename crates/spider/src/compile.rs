//! From the file as written to a [`Spider`]: every expression compiled, every
//! reference checked, every mistake reported at its place.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::sync::atomic::AtomicU64;

use ferrocrawl_core::{Method, Request, Url};
use ferrocrawl_extract::fields::{Pattern, Processor, Selector};
use regex::Regex;
use serde_json::Value;
use toml::Spanned;

use crate::error::SpiderError;
use crate::file::{self, Expr, SpiderFile, Var};
use crate::read::{NamedRule, ReadRule, Reader};
use crate::rules::{Field, Follow, Meta, OnError, Paginate, Rule, Source, Until, Watched};
use crate::spider::{Output, SinkKind, Spider};
use crate::template::Template;

/// Most start requests one file may expand to.
const MAX_START: usize = 1_000_000;

/// Compiles `source`, the text of the spider file `file`: the spider, or
/// every mistake found in it.
pub(crate) fn compile(file: &str, source: &str) -> Result<Spider, SpiderError> {
    let errors = RefCell::new(Vec::new());
    let read = Reader {
        file,
        source,
        errors: &errors,
    }
    .read();
    let compiler = Compiler {
        file,
        source,
        errors: &errors,
    };
    let spider = read.and_then(|(raw, rules, damaged)| compiler.spider(raw, rules, &damaged));
    match (SpiderError::merge(errors.into_inner()), spider) {
        (Some(e), _) => Err(e),
        (None, Some(spider)) => Ok(spider),
        (None, None) => Err(SpiderError::file(
            file,
            "could not be compiled, and no mistake was recorded: please report this".into(),
        )),
    }
}

struct Compiler<'a> {
    file: &'a str,
    source: &'a str,
    /// Every mistake found so far.
    errors: &'a RefCell<Vec<SpiderError>>,
}

impl Compiler<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> SpiderError {
        SpiderError::at(self.file, self.source, span, message.into())
    }

    /// The value, or `None` with its mistake recorded.
    fn ok<T>(&self, result: Result<T, SpiderError>) -> Option<T> {
        result.map_err(|e| self.errors.borrow_mut().push(e)).ok()
    }

    /// The spider, compiled from what could be read; `damaged` names the
    /// top-level keys that could not (their absence is not a mistake again).
    fn spider(
        &self,
        raw: SpiderFile,
        raw_rules: Vec<NamedRule>,
        damaged: &[String],
    ) -> Option<Spider> {
        let before = self.errors.borrow().len();
        let name = match raw.name {
            Some(n) if n.get_ref().trim().is_empty() => {
                self.ok::<()>(Err(self.err(n.span(), "the name is empty")));
                String::new()
            }
            Some(n) => n.into_inner(),
            None => std::path::Path::new(self.file)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("spider")
                .to_owned(),
        };
        if raw_rules.is_empty() && !damaged.iter().any(|d| d == "rules") {
            self.ok::<()>(Err(SpiderError::file(
                self.file,
                "no rules: add a `[rules.NAME]` table saying what to extract or follow on a page"
                    .into(),
            )));
        }
        // Rules in file order: patterns are tried in that order.
        let mut raw_rules = raw_rules;
        raw_rules.sort_by_key(|(k, _)| k.span().start);
        let labels: Vec<String> = raw_rules.iter().map(|(k, _)| k.get_ref().clone()).collect();
        let patterns: Vec<(String, Regex)> = raw_rules
            .iter()
            .filter_map(|(k, r)| {
                r.rule
                    .get_ref()
                    .pattern
                    .as_ref()
                    .map(|p| (k.get_ref().clone(), p))
            })
            .filter_map(|(label, p)| self.ok(self.regex(p)).map(|re| (label, re)))
            .collect();
        // A pattern that did not compile can't be blamed on the URLs it
        // would have matched.
        let all_patterns = patterns.len()
            == raw_rules
                .iter()
                .filter(|(_, r)| r.rule.get_ref().pattern.is_some())
                .count();
        let default_sinks = match raw.sink {
            Some(s) => self.sinks(s),
            None => Vec::new(),
        };
        // The names data passed by follow specs gives each label's items
        // (`None`: to whichever rule a pattern picks).
        let passed = passed_names(&raw_rules);
        let mut rules = Vec::new();
        let mut outputs = Vec::new();
        for (label, rule) in raw_rules {
            let context = RuleContext {
                labels: &labels,
                have_patterns: !patterns.is_empty(),
                passed: &passed,
                default_sinks: &default_sinks,
            };
            if let Some((rule, output)) = self.rule(label, rule, &context) {
                outputs.extend(output);
                rules.push(rule);
            }
        }
        let start = if damaged.iter().any(|d| d == "start") {
            Vec::new()
        } else {
            self.starts(raw.start, &labels, &patterns, all_patterns)
        };
        let settings = raw.settings;
        let failures = raw.failures.map(|f| f.into_inner());
        if self.errors.borrow().len() > before {
            return None;
        }
        Some(Spider::new(
            name,
            self.file.to_owned(),
            settings,
            start,
            rules,
            patterns,
            outputs,
            default_sinks.into_iter().map(|s| s.spec).collect(),
            failures,
        ))
    }

    fn regex(&self, p: &Spanned<String>) -> Result<Regex, SpiderError> {
        regex::RegexBuilder::new(p.get_ref())
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                self.err(
                    p.span(),
                    format!(
                        "invalid regex `{}`: {}",
                        p.get_ref(),
                        e.to_string().lines().last().unwrap_or("")
                    ),
                )
            })
    }

    fn label(
        &self,
        label: &Option<Spanned<String>>,
        labels: &[String],
    ) -> Result<Option<String>, SpiderError> {
        match label {
            None => Ok(None),
            Some(l) if labels.contains(l.get_ref()) => Ok(Some(l.get_ref().clone())),
            Some(l) => Err(self.err(
                l.span(),
                format!(
                    "no rule is labelled `{}`: expected one of {}",
                    l.get_ref(),
                    list(labels)
                ),
            )),
        }
    }

    fn rule(
        &self,
        label: Spanned<String>,
        read: ReadRule,
        cx: &RuleContext<'_>,
    ) -> Option<(Rule, Option<Output>)> {
        let before = self.errors.borrow().len();
        let span = label.span();
        let name = label.into_inner();
        let rule = read.rule.into_inner();
        let items = rule
            .items
            .as_ref()
            .and_then(|s| self.ok(self.selector(&s.get_ref().0, s.span(), "items")));
        if let (Some(s), true) = (&rule.items, rule.fields.is_empty())
            && s.get_ref().0.jsonpath.is_none()
        {
            self.ok::<()>(Err(self.err(
                s.span(),
                "`items` without `fields` emits whole JSON objects, so it needs a `jsonpath`; \
                 with `css`, `xpath` or `regex`, add `fields` to extract from each match",
            )));
        }
        let field_names: Vec<String> = rule.fields.keys().map(|k| k.get_ref().clone()).collect();
        let mut required: Vec<String> = Vec::new();
        let mut fields = Vec::new();
        for (fname, field) in rule.fields {
            if field.get_ref().required {
                required.push(fname.get_ref().clone());
            }
            fields.extend(self.field(fname.into_inner(), field, "field"));
        }
        // What this rule's items may hold: its fields, and data passed to it.
        let mut known: Vec<String> = field_names.clone();
        known.extend(
            cx.passed
                .get(&Some(name.clone()))
                .into_iter()
                .flatten()
                .cloned(),
        );
        let open = items.is_some() && field_names.is_empty() || cx.passed.contains_key(&None);
        for r in &rule.required {
            if !open && !known.contains(r.get_ref()) {
                self.ok::<()>(Err(self.err(
                    r.span(),
                    format!(
                        "`{}` is required but the rule has no such field: expected one of {}",
                        r.get_ref(),
                        list(&known)
                    ),
                )));
            }
            required.push(r.get_ref().clone());
        }
        let has_follow = !rule.follow.is_empty();
        let has_paginate = rule.paginate.is_some();
        let mut follow = Vec::new();
        for (i, f) in rule.follow.into_iter().enumerate() {
            let fspan = f.span();
            let f = f.into_inner();
            if f.request.label.is_none() && !cx.have_patterns {
                self.ok::<()>(Err(self.err(
                    fspan,
                    "this follow spec has no `label`, and no rule has a `pattern` to choose one \
                     by URL: add `label = \"RULE\"`",
                )));
                continue;
            }
            follow.extend(self.follow(f, fspan, i + 1, cx.labels));
        }
        let paginate = rule.paginate.and_then(|p| self.paginate(p));
        let emits = rule.items.is_some() || !field_names.is_empty();
        if !read.damaged && !emits && !has_follow && !has_paginate {
            self.ok::<()>(Err(self.err(
                span.clone(),
                format!(
                    "rule `{name}` does nothing: give it `fields` (or `items`) to extract, `follow` specs or `paginate`"
                ),
            )));
        }
        let sinks = match rule.sink {
            Some(s) => self.sinks(s),
            None => Vec::new(),
        };
        let key = match &rule.key {
            Some(k) => Some(k.clone()),
            None => sinks.iter().chain(cx.default_sinks).find_map(|s| {
                s.spec
                    .key
                    .as_ref()
                    .map(|k| Spanned::new(s.key_span.clone(), k.clone()))
            }),
        };
        if let Some(k) = &key
            && emits
            && !open
            && !read.damaged
            && !known.contains(k.get_ref())
        {
            self.ok::<()>(Err(self.err(
                k.span(),
                format!(
                    "the key `{}` names no field of rule `{name}`: expected one of {}",
                    k.get_ref(),
                    list(&known)
                ),
            )));
        }
        if self.errors.borrow().len() > before {
            return None;
        }
        let output = emits.then(|| Output {
            rule: name.clone(),
            sinks: sinks.into_iter().map(|s| s.spec).collect(),
            key: key.map(Spanned::into_inner),
            required,
            dedupe: rule.dedupe.unwrap_or(true),
        });
        let items = items.map(|s| Watched::new(s, "items".to_owned()));
        Some((
            Rule {
                name,
                items,
                fields,
                follow,
                paginate,
                pages: AtomicU64::new(0),
            },
            output,
        ))
    }

    fn paginate(&self, p: Spanned<file::Paginate>) -> Option<Paginate> {
        let span = p.span();
        let p = p.into_inner();
        let step = p.step.as_ref().map_or(1, |s| *s.get_ref());
        if step == 0 {
            let at = p.step.as_ref().map_or(span.clone(), Spanned::span);
            self.ok::<()>(Err(
                self.err(at, "a step of 0 would ask for the same page forever")
            ));
            return None;
        }
        if p.param.get_ref().trim().is_empty() {
            self.ok::<()>(Err(self.err(
                p.param.span(),
                "name the query parameter that counts pages, e.g. `param = \"page\"`",
            )));
            return None;
        }
        let ends: Vec<(&str, &Spanned<file::ExprSpec>)> = [
            ("until_empty", &p.until_empty),
            ("total", &p.total),
            ("pages", &p.pages),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        let (end, expr) = match ends.as_slice() {
            [one] => *one,
            [] => {
                self.ok::<()>(Err(self.err(
                    span,
                    "say when pagination stops: `until_empty = \"SELECTOR\"` (a page where it \
                     matches nothing is the last), `total = \"SELECTOR\"` (the number of items the \
                     first page states) or `pages = \"SELECTOR\"` (the number of pages)",
                )));
                return None;
            }
            [_, second, ..] => {
                self.ok::<()>(Err(self.err(
                    second.1.span(),
                    "give one of `until_empty`, `total` and `pages`",
                )));
                return None;
            }
        };
        let selector =
            self.ok(self.selector(&expr.get_ref().0, expr.span(), &format!("`{end}`")))?;
        let until = match end {
            "until_empty" => Until::Empty(selector),
            "total" => Until::Total(selector),
            _ => Until::Pages(selector),
        };
        Some(Paginate {
            param: p.param.into_inner(),
            step,
            start: p.start.unwrap_or(if step == 1 { 1 } else { 0 }),
            until,
        })
    }

    fn selector(
        &self,
        expr: &Expr,
        span: Range<usize>,
        what: &str,
    ) -> Result<Selector, SpiderError> {
        let given: Vec<(&str, &Spanned<String>)> = [
            ("css", &expr.css),
            ("xpath", &expr.xpath),
            ("jsonpath", &expr.jsonpath),
            ("regex", &expr.regex),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        let (lang, e) = match given.as_slice() {
            [one] => *one,
            [] => {
                return Err(self.err(
                    span,
                    format!(
                        "{what} needs an expression: one of `css`, `xpath`, `jsonpath` or `regex`"
                    ),
                ));
            }
            [_, second, ..] => {
                return Err(self.err(
                    second.1.span(),
                    format!(
                        "{what} has more than one expression ({}): give exactly one",
                        given.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        };
        // A bare-string field has no span of its own; point at the whole value.
        let espan = if e.span().is_empty() { span } else { e.span() };
        let compiled = match lang {
            "css" => Selector::css(e.get_ref()),
            "jsonpath" => Selector::jsonpath(e.get_ref()),
            "regex" => Selector::regex(e.get_ref()),
            #[cfg(feature = "xpath")]
            _ => Selector::xpath(e.get_ref()),
            #[cfg(not(feature = "xpath"))]
            _ => {
                return Err(self.err(
                    espan,
                    "XPath is not in this build of ferrocrawl (the `xpath` feature is off): \
                     rebuild with `--features xpath`, or write the selector in CSS \
                     (`h1::text`, `a::attr(href)`; see docs/decisions/0008-xpath.md)",
                ));
            }
        };
        compiled.map_err(|err| self.err(espan, err.to_string()))
    }

    /// A field (`what` is "field" or "data"); its mistakes recorded.
    fn field(&self, name: String, field: Spanned<file::Field>, what: &str) -> Option<Field> {
        let span = field.span();
        let field = field.into_inner();
        let before = self.errors.borrow().len();
        let label = format!("{what} `{name}`");
        let source = match &field.meta {
            Some(m) => {
                let meta = match m.get_ref().as_str() {
                    "url" => Some(Meta::Url),
                    "status" => Some(Meta::Status),
                    "label" => Some(Meta::Label),
                    "depth" => Some(Meta::Depth),
                    "referrer" => Some(Meta::Referrer),
                    other => {
                        self.ok::<()>(Err(self.err(
                            m.span(),
                            format!("unknown meta `{other}`: expected one of url, status, label, depth, referrer"),
                        )));
                        None
                    }
                };
                let e = &field.expr;
                if e.css.is_some() || e.xpath.is_some() || e.jsonpath.is_some() || e.regex.is_some()
                {
                    self.ok::<()>(Err(self.err(
                        m.span(),
                        "a field takes its value from `meta` or from an expression, not both",
                    )));
                }
                meta.map(Source::Meta)
            }
            None => match &field.content {
                Some(c) => {
                    let e = &field.expr;
                    if e.css.is_some()
                        || e.xpath.is_some()
                        || e.jsonpath.is_some()
                        || e.regex.is_some()
                    {
                        self.ok::<()>(Err(self.err(
                            c.span(),
                            "a field takes the page's `content` or an expression, not both",
                        )));
                    }
                    match c.get_ref().as_str() {
                        "markdown" => Some(Source::Content { markdown: true }),
                        "text" => Some(Source::Content { markdown: false }),
                        other => {
                            self.ok::<()>(Err(self.err(
                                c.span(),
                                format!("`content = \"{other}\"`: write \"markdown\" or \"text\" (the page's main content, boilerplate removed)"),
                            )));
                            None
                        }
                    }
                }
                None => self
                    .ok(self.selector(&field.expr, span.clone(), &label))
                    .map(|s| Source::Select(Watched::new(s, label.clone()))),
            },
        };
        let mut processors = Vec::new();
        for p in &field.process {
            processors.extend(self.ok(self.processor(p)));
        }
        let explicit_single = processors
            .iter()
            .any(|p| matches!(p, Processor::First | Processor::Join(_)));
        if !field.all && !explicit_single {
            // Like Scrapy's `.get()`: one value unless `all = true`.
            processors.insert(0, Processor::First);
        }
        if let Some(d) = field.default {
            processors.push(Processor::Default(toml_to_json(d)));
        }
        let on_error = match field
            .on_error
            .as_ref()
            .map(|o| (o.get_ref().as_str(), o.span()))
        {
            None | Some(("fail", _)) => OnError::Fail,
            Some(("keep", _)) => OnError::Keep,
            Some(("null", _)) => OnError::Null,
            Some((other, at)) => {
                self.ok::<()>(Err(self.err(
                    at,
                    format!(
                        "`on_error = \"{other}\"`: write \"fail\" (the default: the value is left \
                         out and written to the failures file), \"keep\" (kept unconverted) or \
                         \"null\" (left out without a word)"
                    ),
                )));
                OnError::Fail
            }
        };
        let mut sub = Vec::new();
        for (sname, sfield) in field.fields {
            sub.extend(self.field(sname.into_inner(), sfield, &format!("{label}, field")));
        }
        if self.errors.borrow().len() > before {
            return None;
        }
        Some(Field {
            name,
            source: source?,
            processors,
            sub,
            on_error,
        })
    }

    fn processor(&self, p: &Spanned<file::Process>) -> Result<Processor, SpiderError> {
        const NAMES: &str = "trim, normalize, first, join, absolute_url, number, date, \
                             or a table: { join = \", \" }, { date = \"%d/%m/%Y\" }, { default = 0 }, \
                             { replace = [\"PATTERN\", \"REPLACEMENT\"] }, { re = \"PATTERN\" }";
        let bad = |msg: String| self.err(p.span(), msg);
        Ok(match p.get_ref() {
            // The names `ferrocrawl extract -p` takes too (`join:, ` and all).
            file::Process::Name(n) => n.parse().map_err(bad)?,
            file::Process::Arg(n, v) => match (n.as_str(), v) {
                ("join", toml::Value::String(s)) => Processor::Join(s.clone()),
                ("date", toml::Value::String(s)) => Processor::ParseDate(Some(s.clone())),
                ("default", v) => Processor::Default(toml_to_json(v.clone())),
                ("re" | "regex", toml::Value::String(s)) => {
                    Processor::Re(Pattern::new(s).map_err(bad)?)
                }
                ("replace", toml::Value::Array(a)) => match a.as_slice() {
                    [toml::Value::String(pattern), toml::Value::String(with)] => {
                        Processor::Replace(Pattern::new(pattern).map_err(bad)?, with.clone())
                    }
                    _ => {
                        return Err(bad(
                            "`replace` takes two strings: `{ replace = [\"PATTERN\", \"REPLACEMENT\"] }`"
                                .into(),
                        ));
                    }
                },
                ("replace", v) => {
                    return Err(bad(format!(
                        "`replace` takes two strings, `[\"PATTERN\", \"REPLACEMENT\"]`, not {}",
                        v.type_str()
                    )));
                }
                ("join" | "date" | "re" | "regex", v) => {
                    return Err(bad(format!("`{n}` takes a string, not {}", v.type_str())));
                }
                (other, _) => {
                    return Err(bad(format!(
                        "unknown processor `{other}`: expected {NAMES}"
                    )));
                }
            },
        })
    }

    /// The `n`th follow spec of a rule; its mistakes recorded.
    fn follow(
        &self,
        f: file::Follow,
        span: Range<usize>,
        n: usize,
        labels: &[String],
    ) -> Option<Follow> {
        let before = self.errors.borrow().len();
        let what = format!("follow spec {n}");
        let selector = self.ok(self.selector(&f.expr, span.clone(), &what));
        let template = match &f.template {
            Some(t) => match Template::parse(t.get_ref()) {
                Err((at, msg)) => {
                    self.ok::<()>(Err(self.err(t.span().start + 1 + at..t.span().end, msg)));
                    None
                }
                Ok(parsed) => {
                    if let Some(h) = parsed.holes().find(|h| !h.is_empty() && *h != "value") {
                        self.ok::<()>(Err(self.err(
                            t.span(),
                            format!("a follow template has one hole, `{{}}` (or `{{value}}`), for the selected value; `{{{h}}}` is not one"),
                        )));
                    } else if parsed.holes().next().is_none() {
                        self.ok::<()>(Err(
                            self.err(t.span(), "the template has no `{}` for the selected value")
                        ));
                    }
                    Some(parsed)
                }
            },
            None => None,
        };
        let scope = f.scope.as_ref().and_then(|s| {
            self.ok(self.selector(&s.get_ref().0, s.span(), &format!("the scope of {what}")))
                .map(|sel| Watched::new(sel, format!("the scope of {what}")))
        });
        let mut data = Vec::new();
        for (name, field) in f.data {
            data.extend(self.field(name.into_inner(), field, &format!("{what}, data")));
        }
        let request = self.ok(self.request_spec(&f.request, labels));
        if self.errors.borrow().len() > before {
            return None;
        }
        Some(Follow {
            selector: Watched::new(selector?, what),
            template,
            request: request?,
            scope,
            data,
        })
    }

    /// A request's fixed parts, as a prototype whose URL is replaced.
    fn request_spec(
        &self,
        spec: &file::RequestSpec,
        labels: &[String],
    ) -> Result<Request, SpiderError> {
        let placeholder = Url::parse("http://placeholder.invalid/")
            .map_err(|e| SpiderError::file(self.file, format!("internal URL error: {e}")))?;
        let mut r = Request::get(placeholder);
        if let Some(m) = &spec.method {
            let upper = m.get_ref().to_ascii_uppercase();
            r.method = Method::from_bytes(upper.as_bytes()).map_err(|_| {
                self.err(
                    m.span(),
                    format!(
                        "`{}` is not an HTTP method: write e.g. GET or POST",
                        m.get_ref()
                    ),
                )
            })?;
        }
        for (name, value) in &spec.headers {
            if http::HeaderName::from_bytes(name.as_bytes()).is_err()
                || http::HeaderValue::from_str(value.get_ref()).is_err()
            {
                return Err(self.err(
                    value.span(),
                    format!(
                        "invalid header `{name}: {}`: names are tokens, values printable text",
                        value.get_ref()
                    ),
                ));
            }
            r = r.header(name.clone(), value.get_ref().clone());
        }
        match (&spec.body, &spec.json) {
            (Some(_), Some(j)) => {
                return Err(self.err(j.span(), "give `body` or `json`, not both"));
            }
            (Some(b), None) => r = r.body(b.clone()),
            (None, Some(j)) => r = r.json(&toml_to_json(j.get_ref().clone())),
            (None, None) => {}
        }
        if let Some(p) = spec.priority {
            r = r.priority(p);
        }
        r.label = self.label(&spec.label, labels)?;
        Ok(r)
    }

    /// The start requests; each entry's mistakes recorded.
    fn starts(
        &self,
        starts: file::Starts,
        labels: &[String],
        patterns: &[(String, Regex)],
        all_patterns: bool,
    ) -> Vec<Request> {
        if starts.0.is_empty() {
            self.ok::<()>(Err(SpiderError::file(
                self.file,
                "no start URLs: add `start = [\"http://…\"]` or a `[[start]]` table".into(),
            )));
        }
        let mut out = Vec::new();
        for entry in starts.0 {
            if let Some(more) =
                self.ok(self.start(entry, labels, patterns, all_patterns, out.len()))
            {
                out.extend(more);
            }
        }
        out
    }

    /// One start entry's requests (`already` made by the entries before).
    fn start(
        &self,
        entry: Spanned<file::Start>,
        labels: &[String],
        patterns: &[(String, Regex)],
        all_patterns: bool,
        already: usize,
    ) -> Result<Vec<Request>, SpiderError> {
        let mut out = Vec::new();
        {
            let span = entry.span();
            let entry = entry.into_inner();
            let Some(url) = &entry.url else {
                return Err(self.err(span, "a start entry needs a `url`"));
            };
            let uspan = if url.span().is_empty() {
                span.clone()
            } else {
                url.span()
            };
            let template = Template::parse(url.get_ref())
                .map_err(|(at, msg)| self.err(uspan.start + 1 + at..uspan.end, msg))?;
            let vars = self.vars(&entry.vars, &template, uspan.clone())?;
            let proto = self.request_spec(&entry.request, labels)?;
            let total = vars
                .iter()
                .try_fold(1usize, |n, (_, v)| n.checked_mul(v.len()));
            if total.is_none_or(|t| already + t > MAX_START) {
                return Err(self.err(
                    uspan,
                    format!("this expands to more than {MAX_START} start requests: narrow the ranges, or follow pagination links instead"),
                ));
            }
            for values in product(&vars) {
                let text = template.render(|name| {
                    values
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map_or("", |(_, v)| v.as_str())
                });
                let parsed = Url::parse(&text).map_err(|e| {
                    self.err(
                        uspan.clone(),
                        format!("`{text}` is not a valid absolute URL: {e}"),
                    )
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(self.err(
                        uspan.clone(),
                        format!("`{text}`: only http and https URLs can be crawled"),
                    ));
                }
                let mut r = proto.clone();
                r.url = parsed;
                if r.label.is_none() {
                    r.label = patterns
                        .iter()
                        .find(|(_, re)| re.is_match(r.url.as_str()))
                        .map(|(l, _)| l.clone());
                    if r.label.is_none() && all_patterns {
                        return Err(self.err(
                            uspan,
                            format!(
                                "start URL `{text}` has no `label` and matches no rule's `pattern`: \
                                 add `label = \"RULE\"` (one of {})",
                                list(labels)
                            ),
                        ));
                    }
                }
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Each variable's values, in the order the template uses them.
    fn vars<'v>(
        &self,
        vars: &'v BTreeMap<Spanned<String>, Spanned<Var>>,
        template: &Template,
        url_span: Range<usize>,
    ) -> Result<Vec<(&'v str, Vec<String>)>, SpiderError> {
        let used: HashSet<&str> = template.holes().collect();
        for hole in &used {
            if !vars.keys().any(|k| k.get_ref() == hole) {
                return Err(self.err(
                    url_span,
                    format!("the URL uses `{{{hole}}}` but no `vars.{hole}` is defined"),
                ));
            }
        }
        let mut out = Vec::new();
        for (name, var) in vars {
            if !used.contains(name.get_ref().as_str()) {
                return Err(self.err(
                    name.span(),
                    format!(
                        "`vars.{0}` is not used: put `{{{0}}}` in the URL",
                        name.get_ref()
                    ),
                ));
            }
            let values = match var.get_ref() {
                Var::List(v) if v.is_empty() => {
                    return Err(self.err(var.span(), "an empty list gives no start URLs"));
                }
                Var::List(v) => v.clone(),
                Var::Range(r) => {
                    if r.step == 0 || (r.to - r.from).signum() * r.step.signum() < 0 {
                        return Err(self.err(
                            var.span(),
                            format!(
                                "a range from {} to {} needs a step that moves toward {} (got {})",
                                r.from, r.to, r.to, r.step
                            ),
                        ));
                    }
                    let count = (r.to - r.from) / r.step + 1;
                    if count as u128 > MAX_START as u128 {
                        return Err(self.err(
                            var.span(),
                            format!("this range has {count} values, more than {MAX_START}"),
                        ));
                    }
                    (0..count)
                        .map(|i| (r.from + i * r.step).to_string())
                        .collect()
                }
            };
            out.push((name.get_ref().as_str(), values));
        }
        Ok(out)
    }

    /// Every sink of a `sink` key; mistakes recorded.
    fn sinks(&self, sinks: Spanned<file::Sinks>) -> Vec<ReadSink> {
        let outer = sinks.span();
        let mut out = Vec::new();
        for s in sinks.into_inner().0 {
            let span = if s.span().is_empty() {
                outer.clone()
            } else {
                s.span()
            };
            let s = s.into_inner();
            let to_span = if s.to.span().is_empty() {
                span.clone()
            } else {
                s.to.span()
            };
            let kind = match SinkKind::of(s.to.get_ref()) {
                Ok(k) => k,
                Err(m) => {
                    self.ok::<()>(Err(self.err(to_span, m)));
                    continue;
                }
            };
            if let Some(t) = &s.table
                && !t
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                self.ok::<()>(Err(
                    self.err(t.span(), "a table name is letters, digits and `_`")
                ));
                continue;
            }
            let key_span = s.key.as_ref().map_or(span.clone(), Spanned::span);
            out.push(ReadSink {
                spec: crate::spider::SinkSpec {
                    kind,
                    to: s.to.into_inner(),
                    table: s.table.map(Spanned::into_inner),
                    key: s.key.map(Spanned::into_inner),
                },
                key_span,
            });
        }
        out
    }
}

/// A sink as compiled, with where its key was written (to point at it).
struct ReadSink {
    spec: crate::spider::SinkSpec,
    key_span: Range<usize>,
}

/// What a rule is compiled against: the file's other parts.
struct RuleContext<'a> {
    labels: &'a [String],
    have_patterns: bool,
    /// Field names that follow specs pass on, by the label they follow to.
    passed: &'a BTreeMap<Option<String>, Vec<String>>,
    default_sinks: &'a [ReadSink],
}

/// The names of the `data` each follow spec passes on, by the label of the
/// requests it makes (`None`: chosen by pattern, so any rule).
fn passed_names(rules: &[NamedRule]) -> BTreeMap<Option<String>, Vec<String>> {
    let mut out: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    for (_, r) in rules {
        for f in &r.rule.get_ref().follow {
            let f = f.get_ref();
            if f.data.is_empty() {
                continue;
            }
            let label = f.request.label.as_ref().map(|l| l.get_ref().clone());
            out.entry(label)
                .or_default()
                .extend(f.data.keys().map(|k| k.get_ref().clone()));
        }
    }
    out
}

/// Every combination of the variables' values.
fn product<'a, 'v>(vars: &'a [(&'v str, Vec<String>)]) -> Vec<Vec<(&'v str, &'a String)>> {
    let mut out: Vec<Vec<(&'v str, &'a String)>> = vec![Vec::new()];
    for (name, values) in vars {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push((*name, v));
                    p
                })
            })
            .collect();
    }
    out
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "(none)".into();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// TOML values as JSON (dates become their RFC 3339 text).
pub(crate) fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}
