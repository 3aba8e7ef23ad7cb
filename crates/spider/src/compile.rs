//! From the file as written to a [`Spider`]: every expression compiled, every
//! reference checked, every mistake reported at its place.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use ferrocrawl_core::{Method, Request, Url};
use ferrocrawl_extract::fields::{Processor, Selector};
use regex::Regex;
use serde_json::Value;
use toml::Spanned;

use crate::error::SpiderError;
use crate::file::{self, Expr, SpiderFile, Var};
use crate::rules::{Field, Follow, Meta, Rule, Source};
use crate::spider::{Output, SinkKind, Spider};
use crate::template::Template;

/// Most start requests one file may expand to.
const MAX_START: usize = 1_000_000;

/// Compiles `source`, the text of the spider file `file`.
pub(crate) fn compile(file: &str, source: &str) -> Result<Spider, SpiderError> {
    let raw: SpiderFile = toml::from_str(source).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        SpiderError::at(file, source, span, e.message().trim().to_owned())
    })?;
    Compiler { file, source }.spider(raw)
}

struct Compiler<'a> {
    file: &'a str,
    source: &'a str,
}

impl Compiler<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> SpiderError {
        SpiderError::at(self.file, self.source, span, message.into())
    }

    fn spider(&self, raw: SpiderFile) -> Result<Spider, SpiderError> {
        let name = match raw.name {
            Some(n) if n.get_ref().trim().is_empty() => {
                return Err(self.err(n.span(), "the name is empty"));
            }
            Some(n) => n.into_inner(),
            None => std::path::Path::new(self.file)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("spider")
                .to_owned(),
        };
        if raw.rules.is_empty() {
            return Err(SpiderError::file(
                self.file,
                "no rules: add a `[rules.NAME]` table saying what to extract or follow on a page"
                    .into(),
            ));
        }
        // Rules in file order: patterns are tried in that order.
        let mut raw_rules: Vec<_> = raw.rules.into_iter().collect();
        raw_rules.sort_by_key(|(k, _)| k.span().start);
        let labels: Vec<String> = raw_rules.iter().map(|(k, _)| k.get_ref().clone()).collect();
        let patterns: Vec<(String, Regex)> = raw_rules
            .iter()
            .filter_map(|(k, r)| {
                r.get_ref()
                    .pattern
                    .as_ref()
                    .map(|p| (k.get_ref().clone(), p))
            })
            .map(|(label, p)| Ok((label, self.regex(p)?)))
            .collect::<Result<_, SpiderError>>()?;
        let default_sink = match raw.sink {
            Some(s) => Some(self.sink(s)?),
            None => None,
        };
        let mut rules = Vec::new();
        let mut outputs = Vec::new();
        for (label, rule) in raw_rules {
            let (rule, output) = self.rule(label, rule, &labels, !patterns.is_empty())?;
            outputs.extend(output);
            rules.push(rule);
        }
        let start = self.starts(raw.start, &labels, &patterns)?;
        let settings = raw.settings;
        let failures = raw.failures.map(|f| f.into_inner());
        Ok(Spider::new(
            name,
            self.file.to_owned(),
            settings,
            start,
            rules,
            patterns,
            outputs,
            default_sink,
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
        rule: Spanned<file::Rule>,
        labels: &[String],
        have_patterns: bool,
    ) -> Result<(Rule, Option<Output>), SpiderError> {
        let span = label.span();
        let name = label.into_inner();
        let rule = rule.into_inner();
        let items = match &rule.items {
            Some(s) => Some(self.selector(s.get_ref(), s.span(), "items")?),
            None => None,
        };
        if let (Some(s), true) = (&rule.items, rule.fields.is_empty())
            && s.get_ref().jsonpath.is_none()
        {
            return Err(self.err(
                s.span(),
                "`items` without `fields` emits whole JSON objects, so it needs a `jsonpath`; \
                 with `css`, `xpath` or `regex`, add `fields` to extract from each match",
            ));
        }
        let mut fields = Vec::new();
        let mut required: Vec<String> = Vec::new();
        for (fname, field) in rule.fields {
            let fspan = field.span();
            let field = field.into_inner();
            if field.required {
                required.push(fname.get_ref().clone());
            }
            fields.push(self.field(fname.into_inner(), field, fspan)?);
        }
        for r in &rule.required {
            if !fields.iter().any(|f| &f.name == r.get_ref()) && items.is_none() {
                return Err(self.err(
                    r.span(),
                    format!(
                        "`{}` is required but the rule has no such field: expected one of {}",
                        r.get_ref(),
                        list(&fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>())
                    ),
                ));
            }
            required.push(r.get_ref().clone());
        }
        let mut follow = Vec::new();
        for f in rule.follow {
            let fspan = f.span();
            let f = f.into_inner();
            if f.request.label.is_none() && !have_patterns {
                return Err(self.err(
                    fspan,
                    "this follow spec has no `label`, and no rule has a `pattern` to choose one \
                     by URL: add `label = \"RULE\"`",
                ));
            }
            follow.push(self.follow(f, fspan, labels)?);
        }
        let emits = items.is_some() || !fields.is_empty();
        if !emits && follow.is_empty() {
            return Err(self.err(
                span,
                format!(
                    "rule `{name}` does nothing: give it `fields` (or `items`) to extract, or `follow` specs"
                ),
            ));
        }
        let sink = match rule.sink {
            Some(s) => Some(self.sink(s)?),
            None => None,
        };
        let key = match rule.key {
            Some(k) => Some(k.into_inner()),
            None => sink
                .as_ref()
                .and_then(|s: &crate::spider::SinkSpec| s.key.clone()),
        };
        let output = emits.then(|| Output {
            rule: name.clone(),
            sink,
            key,
            required,
            dedupe: rule.dedupe.unwrap_or(true),
        });
        Ok((
            Rule {
                name,
                items,
                fields,
                follow,
            },
            output,
        ))
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

    fn field(
        &self,
        name: String,
        field: file::Field,
        span: Range<usize>,
    ) -> Result<Field, SpiderError> {
        let source = match &field.meta {
            Some(m) => {
                let meta = match m.get_ref().as_str() {
                    "url" => Meta::Url,
                    "status" => Meta::Status,
                    "label" => Meta::Label,
                    "depth" => Meta::Depth,
                    "referrer" => Meta::Referrer,
                    other => {
                        return Err(self.err(
                            m.span(),
                            format!("unknown meta `{other}`: expected one of url, status, label, depth, referrer"),
                        ));
                    }
                };
                let e = &field.expr;
                if e.css.is_some() || e.xpath.is_some() || e.jsonpath.is_some() || e.regex.is_some()
                {
                    return Err(self.err(
                        m.span(),
                        "a field takes its value from `meta` or from an expression, not both",
                    ));
                }
                Source::Meta(meta)
            }
            None => Source::Select(self.selector(
                &field.expr,
                span.clone(),
                &format!("field `{name}`"),
            )?),
        };
        let mut processors = Vec::new();
        for p in &field.process {
            processors.push(self.processor(p)?);
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
        Ok(Field {
            name,
            source,
            processors,
        })
    }

    fn processor(&self, p: &Spanned<file::Process>) -> Result<Processor, SpiderError> {
        const NAMES: &str = "trim, first, join, absolute_url, number, date, \
                             or a table: { join = \", \" }, { date = \"%d/%m/%Y\" }, { default = 0 }";
        let bad = |msg: String| self.err(p.span(), msg);
        Ok(match p.get_ref() {
            // The names `ferrocrawl extract -p` takes too (`join:, ` and all).
            file::Process::Name(n) => n.parse().map_err(bad)?,
            file::Process::Arg(n, v) => match (n.as_str(), v) {
                ("join", toml::Value::String(s)) => Processor::Join(s.clone()),
                ("date", toml::Value::String(s)) => Processor::ParseDate(Some(s.clone())),
                ("default", v) => Processor::Default(toml_to_json(v.clone())),
                ("join" | "date", v) => {
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

    fn follow(
        &self,
        f: file::Follow,
        span: Range<usize>,
        labels: &[String],
    ) -> Result<Follow, SpiderError> {
        let selector = self.selector(&f.expr, span, "a follow spec")?;
        let template = match &f.template {
            Some(t) => {
                let parsed = Template::parse(t.get_ref())
                    .map_err(|(at, msg)| self.err(t.span().start + 1 + at..t.span().end, msg))?;
                if let Some(h) = parsed.holes().find(|h| !h.is_empty() && *h != "value") {
                    return Err(self.err(
                        t.span(),
                        format!("a follow template has one hole, `{{}}` (or `{{value}}`), for the selected value; `{{{h}}}` is not one"),
                    ));
                }
                if parsed.holes().next().is_none() {
                    return Err(
                        self.err(t.span(), "the template has no `{}` for the selected value")
                    );
                }
                Some(parsed)
            }
            None => None,
        };
        let request = self.request_spec(&f.request, labels)?;
        Ok(Follow {
            selector,
            template,
            request,
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

    fn starts(
        &self,
        starts: file::Starts,
        labels: &[String],
        patterns: &[(String, Regex)],
    ) -> Result<Vec<Request>, SpiderError> {
        if starts.0.is_empty() {
            return Err(SpiderError::file(
                self.file,
                "no start URLs: add `start = [\"http://…\"]` or a `[[start]]` table".into(),
            ));
        }
        let mut out = Vec::new();
        for entry in starts.0 {
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
            if total.is_none_or(|t| out.len() + t > MAX_START) {
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
                    if r.label.is_none() {
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

    fn sink(&self, s: Spanned<file::SinkSpec>) -> Result<crate::spider::SinkSpec, SpiderError> {
        let s = s.into_inner();
        let kind = SinkKind::of(s.to.get_ref()).map_err(|m| self.err(s.to.span(), m))?;
        if let Some(t) = &s.table
            && !t
                .get_ref()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(self.err(t.span(), "a table name is letters, digits and `_`"));
        }
        Ok(crate::spider::SinkSpec {
            kind,
            to: s.to.into_inner(),
            table: s.table.map(Spanned::into_inner),
            key: s.key.map(Spanned::into_inner),
        })
    }
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
