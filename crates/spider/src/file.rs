//! The spider file as written: serde types that mirror the TOML, keeping the
//! byte spans of everything [`crate::compile`] may have to point at.
//!
//! Every table denies unknown keys, so a misspelt key is an error at its
//! position ("unknown field `feilds`, expected one of …") rather than a
//! setting silently ignored. [`crate::read`] puts the parts together.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

/// The whole file but its rules (which [`crate::read`] reads one by one).
#[derive(Debug)]
pub(crate) struct SpiderFile {
    pub name: Option<Spanned<String>>,
    pub start: Starts,
    /// The one settings tree every surface fills (`ferrocrawl_engine::Settings`).
    pub settings: ferrocrawl_engine::Settings,
    pub sink: Option<Spanned<Sinks>>,
    pub failures: Option<Spanned<String>>,
}

/// The keys a spider file may have at the top.
pub(crate) const TOP_KEYS: &[&str] = &["name", "start", "settings", "rules", "sink", "failures"];

/// `start`: one URL, a list of URLs, or `[[start]]` tables.
#[derive(Debug, Default)]
pub(crate) struct Starts(pub Vec<Spanned<Start>>);

/// One start entry. A plain string is `{ url = "…" }`.
#[derive(Debug, Default)]
pub(crate) struct Start {
    pub url: Option<Spanned<String>>,
    pub vars: BTreeMap<Spanned<String>, Spanned<Var>>,
    pub request: RequestSpec,
}

// serde's `flatten` would lose the spans (it buffers values), so the tables
// that share keys list them all and are split up after.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a start table such as `{ url = \"https://…\", label = \"list\" }`"
)]
struct StartTable {
    url: Option<Spanned<String>>,
    #[serde(default)]
    vars: BTreeMap<Spanned<String>, Spanned<Var>>,
    label: Option<Spanned<String>>,
    method: Option<Spanned<String>>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    body: Option<String>,
    json: Option<Spanned<toml::Value>>,
    priority: Option<i32>,
}

/// What a start entry or a follow spec may say about the request it makes.
#[derive(Debug, Default)]
pub(crate) struct RequestSpec {
    pub label: Option<Spanned<String>>,
    pub method: Option<Spanned<String>>,
    pub headers: BTreeMap<String, Spanned<String>>,
    pub body: Option<String>,
    pub json: Option<Spanned<toml::Value>>,
    pub priority: Option<i32>,
}

/// A template variable: a range of integers or a list of values.
#[derive(Debug)]
pub(crate) enum Var {
    Range(Range),
    List(Vec<String>),
}

/// `{ from = 0, to = 9990, step = 18 }`, both ends included.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a range such as `{ from = 0, to = 100, step = 10 }`"
)]
pub(crate) struct Range {
    pub from: i64,
    pub to: i64,
    #[serde(default = "one")]
    pub step: i64,
}

fn one() -> i64 {
    1
}

/// `[rules.NAME]`: what to do with a page whose request has label NAME (or,
/// for requests without a label, whose URL matches `pattern`).
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a rule table, such as `[rules.book]` with `fields.title = \"h1::text\"`"
)]
pub(crate) struct Rule {
    pub pattern: Option<Spanned<String>>,
    pub items: Option<Spanned<ExprSpec>>,
    #[serde(default)]
    pub fields: BTreeMap<Spanned<String>, Spanned<Field>>,
    #[serde(default)]
    pub follow: Vec<Spanned<Follow>>,
    pub paginate: Option<Spanned<Paginate>>,
    pub key: Option<Spanned<String>>,
    #[serde(default)]
    pub required: Vec<Spanned<String>>,
    pub dedupe: Option<bool>,
    pub sink: Option<Spanned<Sinks>>,
}

/// `paginate`: the next pages of a list, made from the page's own URL by
/// counting a query parameter on, until a page comes back empty or up to a
/// total the first page states.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as `{ param = \"offset\", step = 20, until_empty = \"$.results[*]\" }`"
)]
pub(crate) struct Paginate {
    pub param: Spanned<String>,
    pub step: Option<Spanned<i64>>,
    pub start: Option<i64>,
    pub until_empty: Option<Spanned<ExprSpec>>,
    pub total: Option<Spanned<ExprSpec>>,
    pub pages: Option<Spanned<ExprSpec>>,
}

/// An expression as a bare string (JSONPath if it starts with `$`, CSS
/// otherwise) or a table naming its language.
#[derive(Debug, Default)]
pub(crate) struct ExprSpec(pub Expr);

/// An expression in one language: the keys shared by fields, follow specs
/// and `items`.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table with one of `css`, `xpath`, `jsonpath` or `regex`"
)]
pub(crate) struct Expr {
    pub css: Option<Spanned<String>>,
    pub xpath: Option<Spanned<String>>,
    pub jsonpath: Option<Spanned<String>>,
    pub regex: Option<Spanned<String>>,
}

/// A field: a bare string is a selector (JSONPath if it starts with `$`,
/// CSS otherwise); a table says more.
#[derive(Debug, Default)]
pub(crate) struct Field {
    pub expr: Expr,
    pub meta: Option<Spanned<String>>,
    pub process: Vec<Spanned<Process>>,
    pub all: bool,
    pub required: bool,
    pub default: Option<toml::Value>,
    /// Sub-fields: each match becomes an object of these (a nested item).
    pub fields: BTreeMap<Spanned<String>, Spanned<Field>>,
    /// What a value a processor cannot convert becomes.
    pub on_error: Option<Spanned<String>>,
    /// The page's main content (`markdown` or `text`) instead of an expression.
    pub content: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a selector string, or a field table such as `{ css = \"h1::text\", process = [\"trim\"] }`"
)]
struct FieldTable {
    css: Option<Spanned<String>>,
    xpath: Option<Spanned<String>>,
    jsonpath: Option<Spanned<String>>,
    regex: Option<Spanned<String>>,
    meta: Option<Spanned<String>>,
    #[serde(default)]
    process: Vec<Spanned<Process>>,
    #[serde(default)]
    all: bool,
    #[serde(default)]
    required: bool,
    default: Option<toml::Value>,
    #[serde(default)]
    fields: BTreeMap<Spanned<String>, Spanned<Field>>,
    on_error: Option<Spanned<String>>,
    content: Option<Spanned<String>>,
}

/// A field processor: a name (`"trim"`) or a one-key table (`{ join = ", " }`).
#[derive(Debug)]
pub(crate) enum Process {
    Name(String),
    Arg(String, toml::Value),
}

/// A follow spec: where to find the next requests.
#[derive(Debug, Default)]
pub(crate) struct Follow {
    pub expr: Expr,
    pub template: Option<Spanned<String>>,
    pub request: RequestSpec,
    /// Each match of `scope` is a part of the page the link and the data
    /// are taken from (a product card on a list page).
    pub scope: Option<Spanned<ExprSpec>>,
    /// Fields passed on to the followed request and merged into the items
    /// of its page (Scrapy's `cb_kwargs`).
    pub data: BTreeMap<Spanned<String>, Spanned<Field>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a follow table such as `{ css = \"a.next::attr(href)\", label = \"list\" }`"
)]
struct FollowTable {
    css: Option<Spanned<String>>,
    xpath: Option<Spanned<String>>,
    jsonpath: Option<Spanned<String>>,
    regex: Option<Spanned<String>>,
    template: Option<Spanned<String>>,
    label: Option<Spanned<String>>,
    method: Option<Spanned<String>>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    body: Option<String>,
    json: Option<Spanned<toml::Value>>,
    priority: Option<i32>,
    scope: Option<Spanned<ExprSpec>>,
    #[serde(default)]
    data: BTreeMap<Spanned<String>, Spanned<Field>>,
}

impl<'de> Deserialize<'de> for Follow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = FollowTable::deserialize(d)?;
        Ok(Follow {
            expr: Expr {
                css: t.css,
                xpath: t.xpath,
                jsonpath: t.jsonpath,
                regex: t.regex,
            },
            template: t.template,
            request: RequestSpec {
                label: t.label,
                method: t.method,
                headers: t.headers,
                body: t.body,
                json: t.json,
                priority: t.priority,
            },
            scope: t.scope,
            data: t.data,
        })
    }
}

/// Where items go.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a sink: a file name or URL such as \"books.db\", or a table such as `{ to = \"books.db\", table = \"books\" }`"
)]
pub(crate) struct SinkSpec {
    pub to: Spanned<String>,
    pub table: Option<Spanned<String>>,
    pub key: Option<Spanned<String>>,
}

/// `sink`: one sink (a target string or a table) or a list of them, every
/// one of which gets every item.
#[derive(Debug)]
pub(crate) struct Sinks(pub Vec<Spanned<SinkSpec>>);

// ===== Deserialize impls for the shapes serde's derive can't express =====

impl<'de> Deserialize<'de> for Starts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Starts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a URL, a list of URLs, or [[start]] tables")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Starts, E> {
                Err(E::custom(format!(
                    "write `start = [\"{s}\"]`: start is a list, even of one URL"
                )))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Starts, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = seq.next_element::<Spanned<StartEntry>>()? {
                    let span = entry.span();
                    out.push(Spanned::new(span, entry.into_inner().0));
                }
                Ok(Starts(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A start entry: a URL string or a table.
struct StartEntry(Start);

impl<'de> Deserialize<'de> for StartEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StartEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a URL or a table with `url`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<StartEntry, E> {
                // No span of its own: the entry's span (set by the caller) points here.
                Ok(StartEntry(Start {
                    url: Some(Spanned::new(0..0, s.to_owned())),
                    ..Start::default()
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StartEntry, A::Error> {
                let t = StartTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(StartEntry(Start {
                    url: t.url,
                    vars: t.vars,
                    request: RequestSpec {
                        label: t.label,
                        method: t.method,
                        headers: t.headers,
                        body: t.body,
                        json: t.json,
                        priority: t.priority,
                    },
                }))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Var {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Var;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a range `{ from = 0, to = 100, step = 10 }` or a list of values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Var, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<toml::Value>()? {
                    out.push(match v {
                        toml::Value::String(s) => s,
                        toml::Value::Integer(i) => i.to_string(),
                        toml::Value::Float(x) => x.to_string(),
                        toml::Value::Boolean(b) => b.to_string(),
                        other => {
                            return Err(de::Error::custom(format!(
                                "a variable's values are strings or numbers, not {}",
                                other.type_str()
                            )));
                        }
                    });
                }
                Ok(Var::List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Var, A::Error> {
                Range::deserialize(de::value::MapAccessDeserializer::new(map)).map(Var::Range)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a selector string or a table such as `{ css = \"h1::text\" }`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Field, E> {
                Ok(Field {
                    expr: Expr::auto(s),
                    ..Field::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field, A::Error> {
                let t = FieldTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Field {
                    expr: Expr {
                        css: t.css,
                        xpath: t.xpath,
                        jsonpath: t.jsonpath,
                        regex: t.regex,
                    },
                    meta: t.meta,
                    process: t.process,
                    all: t.all,
                    required: t.required,
                    default: t.default,
                    fields: t.fields,
                    on_error: t.on_error,
                    content: t.content,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Process {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Process;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a processor name such as \"trim\" or a table such as `{ join = \", \" }`",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Process, E> {
                Ok(Process::Name(s.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Process, A::Error> {
                let Some((name, value)) = map.next_entry::<String, toml::Value>()? else {
                    return Err(de::Error::custom(
                        "an empty table is not a processor: write e.g. `{ join = \", \" }`",
                    ));
                };
                if map.next_key::<String>()?.is_some() {
                    return Err(de::Error::custom(
                        "a processor table has one key, e.g. `{ join = \", \" }`; list several processors as separate entries",
                    ));
                }
                Ok(Process::Arg(name, value))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ExprSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExprSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a selector string, or a table such as `{ css = \"li.book\" }`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<ExprSpec, E> {
                Ok(ExprSpec(Expr::auto(s)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ExprSpec, A::Error> {
                Expr::deserialize(de::value::MapAccessDeserializer::new(map)).map(ExprSpec)
            }
        }
        d.deserialize_any(V)
    }
}

impl Expr {
    /// A bare string: JSONPath if it starts with `$`, CSS otherwise. It has
    /// no span of its own; the caller's covers it.
    fn auto(s: &str) -> Expr {
        let expr = Spanned::new(0..0, s.to_owned());
        if s.trim_start().starts_with('$') {
            Expr {
                jsonpath: Some(expr),
                ..Expr::default()
            }
        } else {
            Expr {
                css: Some(expr),
                ..Expr::default()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Sinks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Sinks;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a sink (\"books.db\", or `{ to = \"books.db\", table = \"books\" }`) or a list of them",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Sinks, E> {
                Ok(Sinks(vec![Spanned::new(0..0, SinkSpec::to(s))]))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Sinks, A::Error> {
                let spec = SinkSpec::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Sinks(vec![Spanned::new(0..0, spec)]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sinks, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = seq.next_element::<Spanned<SinkEntry>>()? {
                    let span = entry.span();
                    out.push(Spanned::new(span, entry.into_inner().0));
                }
                if out.is_empty() {
                    return Err(de::Error::custom(
                        "an empty list of sinks: name at least one, or leave `sink` out for NAME.db",
                    ));
                }
                Ok(Sinks(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// One sink in a list: a target string or a table.
struct SinkEntry(SinkSpec);

impl<'de> Deserialize<'de> for SinkEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SinkEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sink: \"books.db\", or `{ to = \"books.db\", table = \"books\" }`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<SinkEntry, E> {
                Ok(SinkEntry(SinkSpec::to(s)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SinkEntry, A::Error> {
                SinkSpec::deserialize(de::value::MapAccessDeserializer::new(map)).map(SinkEntry)
            }
        }
        d.deserialize_any(V)
    }
}

impl SinkSpec {
    /// `sink = "books.db"`: the target alone (its span is the caller's).
    fn to(target: &str) -> SinkSpec {
        SinkSpec {
            to: Spanned::new(0..0, target.to_owned()),
            table: None,
            key: None,
        }
    }
}
