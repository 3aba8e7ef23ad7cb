//! [`Pipeline`]: ordered stages that check, fix up and deduplicate items
//! before they reach a sink.

use std::collections::HashSet;
use std::fmt;

use serde_json::Value;

use crate::Item;

/// A transform stage's function: changes the item in place, or rejects it
/// with a reason.
type TransformFn = Box<dyn FnMut(&mut Item) -> Result<(), String> + Send>;
/// A validate stage's function: accepts the item, or rejects it with a reason.
type ValidateFn = Box<dyn FnMut(&Item) -> Result<(), String> + Send>;

/// Ordered stages an item passes through before it is written.
///
/// Stages run in the order they were added. The first stage that rejects an
/// item stops it, and [`Pipeline::process`] returns a [`Rejected`] that
/// names the stage and the reason: an item never vanishes silently (an
/// [`ItemWriter`](crate::ItemWriter) writes it to its failures sink).
///
/// Built-in stages are named after what they do (`require`, `default`,
/// `rename`, `remove`, `dedupe`); [`Pipeline::transform`] and
/// [`Pipeline::validate`] take a name of your choosing. Every stage counts
/// the items it passed and rejected ([`Pipeline::stats`]).
///
/// ```
/// use ferrocrawl_sink::{Item, Pipeline};
/// use serde_json::json;
///
/// let mut pipeline = Pipeline::new()
///     .rename("title", "name")
///     .require(["id", "name"])
///     .default_value("currency", json!("GBP"))
///     .remove(["debug"])
///     .transform("price_to_pence", |item| {
///         let price = item.get("price").and_then(|p| p.as_f64()).ok_or("price is not a number")?;
///         item.insert("price".into(), json!((price * 100.0).round() as i64));
///         Ok(())
///     })
///     .validate("price_positive", |item| match item.get("price").and_then(|p| p.as_i64()) {
///         Some(p) if p > 0 => Ok(()),
///         _ => Err("price must be > 0".into()),
///     })
///     .dedupe("id");
///
/// let item = |v: serde_json::Value| -> Item { v.as_object().cloned().unwrap_or_default() };
/// let ok = pipeline.process(item(json!({"id": 1, "title": "Dune", "price": 9.99, "debug": "x"})));
/// assert_eq!(ok.ok(), Some(item(json!({"id": 1, "name": "Dune", "price": 999, "currency": "GBP"}))));
///
/// let again = pipeline.process(item(json!({"id": 1, "name": "Dune", "price": 9.99})));
/// assert_eq!(again.map_err(|r| r.stage).err().as_deref(), Some("dedupe"));
/// let unnamed = pipeline.process(item(json!({"id": 2, "price": 1})));
/// assert_eq!(unnamed.map_err(|r| r.reason).err().as_deref(), Some("missing required field \"name\""));
/// ```
#[derive(Default)]
pub struct Pipeline {
    stages: Vec<Stage>,
}

struct Stage {
    name: String,
    kind: Kind,
    passed: u64,
    rejected: u64,
}

enum Kind {
    Require(Vec<String>),
    Default(String, Value),
    Rename {
        from: String,
        to: String,
    },
    Remove(Vec<String>),
    Transform(TransformFn),
    Validate(ValidateFn),
    Dedupe {
        field: String,
        seen: HashSet<String>,
    },
}

/// An item a stage (or a sink) refused, with the stage's name and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The item as the rejecting stage saw it (a transform that fails may
    /// have changed it already).
    pub item: Item,
    /// The stage's name: `require`, `dedupe`, a transform's or validator's
    /// name, or `sink` when the sink refused the item.
    pub stage: String,
    /// Why, for a person: names the field or the check.
    pub reason: String,
}

/// One stage's counters, for progress displays and summaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageStats {
    /// The stage's name.
    pub stage: String,
    /// Items that went through the stage.
    pub passed: u64,
    /// Items the stage rejected.
    pub rejected: u64,
}

/// The dedupe keys an admitted item claimed: released again if the sink
/// refuses the item, so that it does not block a later good one.
#[derive(Debug, Default)]
pub(crate) struct Claims(Vec<(usize, String)>);

// ===== impl Pipeline =====

impl Pipeline {
    /// An empty pipeline: every item passes unchanged.
    pub fn new() -> Pipeline {
        Pipeline::default()
    }

    /// Rejects items in which any of `fields` is missing, `null`, a string
    /// of only whitespace, an empty array or an empty object. The reason
    /// names the first such field.
    pub fn require<I, S>(self, fields: I) -> Pipeline
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let fields = fields.into_iter().map(Into::into).collect();
        self.stage("require", Kind::Require(fields))
    }

    /// Sets `field` to `value` where it is missing or `null`.
    pub fn default_value(self, field: impl Into<String>, value: Value) -> Pipeline {
        self.stage("default", Kind::Default(field.into(), value))
    }

    /// Moves the value of `from` to `to`, replacing any value `to` had.
    /// Items without `from` pass unchanged.
    pub fn rename(self, from: impl Into<String>, to: impl Into<String>) -> Pipeline {
        let (from, to) = (from.into(), to.into());
        self.stage("rename", Kind::Rename { from, to })
    }

    /// Removes `fields` from every item (those it lacks are ignored).
    pub fn remove<I, S>(self, fields: I) -> Pipeline
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let fields = fields.into_iter().map(Into::into).collect();
        self.stage("remove", Kind::Remove(fields))
    }

    /// A stage named `name` that changes items in place with `f`; when `f`
    /// returns `Err(reason)` the item is rejected with that reason.
    ///
    /// `f` gets `&mut Item` rather than the item itself so that a rejected
    /// item is kept for the failures sink without copying every item.
    pub fn transform<F>(self, name: impl Into<String>, f: F) -> Pipeline
    where
        F: FnMut(&mut Item) -> Result<(), String> + Send + 'static,
    {
        self.stage(name, Kind::Transform(Box::new(f)))
    }

    /// A stage named `name` that rejects items for which `check` returns
    /// `Err(reason)`.
    pub fn validate<F>(self, name: impl Into<String>, check: F) -> Pipeline
    where
        F: FnMut(&Item) -> Result<(), String> + Send + 'static,
    {
        self.stage(name, Kind::Validate(Box::new(check)))
    }

    /// Rejects an item whose `field` has a value an earlier item of this
    /// pipeline already had. Values are compared as text (a string as it is,
    /// anything else as JSON, so `7` and `"7"` are the same key). Items that
    /// lack the field, or hold `null`, pass: put a [`Pipeline::require`]
    /// before this stage to reject them.
    ///
    /// A value counts as seen once its item has passed every stage; under an
    /// [`ItemWriter`](crate::ItemWriter) it is forgotten again if the sink
    /// refuses the item. So a rejected item never blocks a later good one.
    /// The seen values are kept in memory for the pipeline's life.
    pub fn dedupe(self, field: impl Into<String>) -> Pipeline {
        let field = field.into();
        self.stage(
            "dedupe",
            Kind::Dedupe {
                field,
                seen: HashSet::new(),
            },
        )
    }

    fn stage(mut self, name: impl Into<String>, kind: Kind) -> Pipeline {
        self.stages.push(Stage {
            name: name.into(),
            kind,
            passed: 0,
            rejected: 0,
        });
        self
    }

    /// Runs `item` through every stage: the item as the last stage left it,
    /// or the first rejection.
    pub fn process(&mut self, item: Item) -> Result<Item, Rejected> {
        self.admit(item).map(|(item, _claims)| item)
    }

    /// Like [`Pipeline::process`], and also returns the dedupe keys the item
    /// claimed, for [`Pipeline::release`] should the sink refuse it.
    pub(crate) fn admit(&mut self, mut item: Item) -> Result<(Item, Claims), Rejected> {
        let mut claims = Claims::default();
        let mut rejection = None;
        for (index, stage) in self.stages.iter_mut().enumerate() {
            match stage.run(&mut item) {
                Ok(Some(key)) => claims.0.push((index, key)),
                Ok(None) => {}
                Err(reason) => {
                    stage.rejected += 1;
                    rejection = Some((stage.name.clone(), reason));
                    break;
                }
            }
            stage.passed += 1;
        }
        match rejection {
            None => Ok((item, claims)),
            Some((stage, reason)) => {
                // The item does not pass, so the keys it claimed in earlier
                // dedupe stages are free again.
                self.release(claims);
                Err(Rejected {
                    item,
                    stage,
                    reason,
                })
            }
        }
    }

    /// Marks the dedupe keys of `item` as seen, as if it had passed: for items
    /// written before, such as those a resumed crawl finds in its output file
    /// (`JsonlSink::read_committed`, `CsvSink::read_committed`). `item` is as
    /// written, so this holds when no stage after a dedupe renames or removes
    /// its field.
    pub fn remember(&mut self, item: &Item) {
        for stage in &mut self.stages {
            if let Kind::Dedupe { field, seen } = &mut stage.kind
                && let Some(key) = dedupe_key(item.get(field.as_str()))
            {
                seen.insert(key);
            }
        }
    }

    /// Forgets the dedupe keys an admitted item claimed.
    pub(crate) fn release(&mut self, claims: Claims) {
        for (index, key) in claims.0 {
            if let Some(Stage {
                kind: Kind::Dedupe { seen, .. },
                ..
            }) = self.stages.get_mut(index)
            {
                seen.remove(&key);
            }
        }
    }

    /// Each stage's counters, in stage order.
    pub fn stats(&self) -> Vec<StageStats> {
        self.stages
            .iter()
            .map(|s| StageStats {
                stage: s.name.clone(),
                passed: s.passed,
                rejected: s.rejected,
            })
            .collect()
    }

    /// Items rejected by any stage so far.
    pub fn rejected(&self) -> u64 {
        self.stages.iter().map(|s| s.rejected).sum()
    }
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.stages.iter().map(|s| &s.name))
            .finish()
    }
}

// ===== impl Stage =====

impl Stage {
    /// Runs the stage on `item`: `Ok(Some(key))` when a dedupe stage passes
    /// the item under a key, `Err(reason)` when the stage rejects it.
    fn run(&mut self, item: &mut Item) -> Result<Option<String>, String> {
        match &mut self.kind {
            Kind::Require(fields) => {
                for field in fields.iter() {
                    match item.get(field) {
                        None | Some(Value::Null) => {
                            return Err(format!("missing required field {field:?}"));
                        }
                        Some(value) if is_empty(value) => {
                            return Err(format!("required field {field:?} is empty"));
                        }
                        Some(_) => {}
                    }
                }
            }
            Kind::Default(field, value) => {
                let slot = item.entry(field.clone()).or_insert(Value::Null);
                if slot.is_null() {
                    *slot = value.clone();
                }
            }
            Kind::Rename { from, to } => {
                if let Some(value) = item.remove(from.as_str()) {
                    item.insert(to.clone(), value);
                }
            }
            Kind::Remove(fields) => {
                for field in fields.iter() {
                    item.remove(field.as_str());
                }
            }
            Kind::Transform(f) => f(item)?,
            Kind::Validate(check) => check(item)?,
            Kind::Dedupe { field, seen } => {
                let Some(key) = dedupe_key(item.get(field.as_str())) else {
                    return Ok(None);
                };
                if !seen.insert(key.clone()) {
                    return Err(format!(
                        "duplicate {field:?} {key:?}: already seen in this run"
                    ));
                }
                return Ok(Some(key));
            }
        }
        Ok(None)
    }
}

/// What a dedupe stage compares: text as it is, other values as JSON; none
/// for a missing or null field (such items pass).
fn dedupe_key(value: Option<&Value>) -> Option<String> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Null => true,
        Value::Bool(_) | Value::Number(_) => false,
    }
}

// ===== impl Rejected =====

impl Rejected {
    /// The record an [`ItemWriter`](crate::ItemWriter) writes to its
    /// failures sink: `{"stage": .., "reason": .., "url": .., "item": {..}}`
    /// (`url` only when given).
    pub fn into_record(self, url: Option<&str>) -> Item {
        let mut record = Item::new();
        record.insert("stage".into(), Value::String(self.stage));
        record.insert("reason".into(), Value::String(self.reason));
        if let Some(url) = url {
            record.insert("url".into(), Value::String(url.to_owned()));
        }
        record.insert("item".into(), Value::Object(self.item));
        record
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rejected by {}: {}", self.stage, self.reason)
    }
}

impl std::error::Error for Rejected {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> Item {
        v.as_object().cloned().expect("test item is an object")
    }

    fn reason(p: &mut Pipeline, v: Value) -> String {
        p.process(item(v)).expect_err("rejected").reason
    }

    #[test]
    fn require_names_the_field_and_the_problem() {
        let mut p = Pipeline::new().require(["id", "name"]);
        assert!(p.process(item(json!({"id": 0, "name": "x"}))).is_ok());
        assert!(p.process(item(json!({"id": false, "name": "x"}))).is_ok());
        assert_eq!(
            reason(&mut p, json!({"id": 1})),
            r#"missing required field "name""#
        );
        assert_eq!(
            reason(&mut p, json!({"id": null, "name": "x"})),
            r#"missing required field "id""#
        );
        for empty in [json!(""), json!("  \n"), json!([]), json!({})] {
            assert_eq!(
                reason(&mut p, json!({"id": 1, "name": empty})),
                r#"required field "name" is empty"#
            );
        }
        assert_eq!(
            p.stats(),
            [StageStats {
                stage: "require".into(),
                passed: 2,
                rejected: 6
            }]
        );
    }

    #[test]
    fn default_fills_missing_and_null_only() {
        let mut p = Pipeline::new().default_value("currency", json!("GBP"));
        let out = |p: &mut Pipeline, v| p.process(item(v)).expect("passes");
        assert_eq!(out(&mut p, json!({}))["currency"], "GBP");
        assert_eq!(out(&mut p, json!({"currency": null}))["currency"], "GBP");
        assert_eq!(out(&mut p, json!({"currency": "EUR"}))["currency"], "EUR");
        assert_eq!(out(&mut p, json!({"currency": ""}))["currency"], "");
    }

    #[test]
    fn rename_and_remove() {
        let mut p = Pipeline::new()
            .rename("title", "name")
            .remove(["debug", "absent"]);
        assert_eq!(
            p.process(item(json!({"title": "A", "name": "old", "debug": 1})))
                .expect("passes"),
            item(json!({"name": "A"}))
        );
        assert_eq!(
            p.process(item(json!({"name": "kept"}))).expect("passes"),
            item(json!({"name": "kept"}))
        );
    }

    #[test]
    fn transform_and_validate_reject_with_their_reason() {
        let mut p = Pipeline::new()
            .transform("to_pence", |item| {
                let price = item
                    .get("price")
                    .and_then(Value::as_f64)
                    .ok_or_else(|| "price is not a number".to_string())?;
                item.insert("price".into(), json!((price * 100.0).round() as i64));
                Ok(())
            })
            .validate("positive", |item| {
                if item.get("price").and_then(Value::as_i64) > Some(0) {
                    Ok(())
                } else {
                    Err("price must be > 0".into())
                }
            });
        assert_eq!(
            p.process(item(json!({"price": 1.5}))).expect("passes")["price"],
            150
        );
        let r = p.process(item(json!({"price": "n/a"}))).expect_err("nan");
        assert_eq!(
            (r.stage.as_str(), r.reason.as_str()),
            ("to_pence", "price is not a number")
        );
        let r = p.process(item(json!({"price": -2}))).expect_err("neg");
        assert_eq!(
            (r.stage.as_str(), r.reason.as_str()),
            ("positive", "price must be > 0")
        );
        assert_eq!(
            r.item,
            item(json!({"price": -200})),
            "the item as the stage saw it"
        );
        let stats = p.stats();
        assert_eq!((stats[0].passed, stats[0].rejected), (2, 1));
        assert_eq!((stats[1].passed, stats[1].rejected), (1, 1));
        assert_eq!(p.rejected(), 2);
    }

    #[test]
    fn dedupe_compares_as_text_and_lets_keyless_items_pass() {
        let mut p = Pipeline::new().dedupe("id");
        assert!(p.process(item(json!({"id": 7}))).is_ok());
        let r = p.process(item(json!({"id": "7"}))).expect_err("dup");
        assert_eq!(r.stage, "dedupe");
        assert!(r.reason.contains(r#"duplicate "id" "7""#), "{}", r.reason);
        assert!(p.process(item(json!({"id": 8}))).is_ok());
        assert!(p.process(item(json!({}))).is_ok());
        assert!(p.process(item(json!({}))).is_ok());
        assert!(p.process(item(json!({"id": null}))).is_ok());
        assert!(p.process(item(json!({"id": [1, 2]}))).is_ok());
        assert!(p.process(item(json!({"id": [1, 2]}))).is_err());
    }

    #[test]
    fn an_item_rejected_after_dedupe_does_not_claim_its_key() {
        let mut p = Pipeline::new().dedupe("id").require(["name"]);
        assert!(p.process(item(json!({"id": 1}))).is_err());
        assert!(p.process(item(json!({"id": 1, "name": "ok"}))).is_ok());
        assert!(p.process(item(json!({"id": 1, "name": "again"}))).is_err());
        // Admitted, then released (the sink refused it): the key is free again.
        let (_, claims) = p
            .admit(item(json!({"id": 2, "name": "x"})))
            .expect("admitted");
        assert!(p.admit(item(json!({"id": 2, "name": "dup"}))).is_err());
        p.release(claims);
        assert!(p.admit(item(json!({"id": 2, "name": "y"}))).is_ok());
        assert!(p.admit(item(json!({"id": 2, "name": "z"}))).is_err());
    }

    #[test]
    fn stages_run_in_order() {
        // rename before require: the renamed field satisfies it.
        let mut p = Pipeline::new().rename("title", "name").require(["name"]);
        assert!(p.process(item(json!({"title": "A"}))).is_ok());
        // require before rename: it does not.
        let mut p = Pipeline::new().require(["name"]).rename("title", "name");
        assert!(p.process(item(json!({"title": "A"}))).is_err());
        assert_eq!(format!("{p:?}"), r#"["require", "rename"]"#);
    }

    #[test]
    fn rejected_record_has_stage_reason_url_and_item() {
        let r = Rejected {
            item: item(json!({"id": 1})),
            stage: "require".into(),
            reason: "missing required field \"name\"".into(),
        };
        assert_eq!(
            r.to_string(),
            "rejected by require: missing required field \"name\""
        );
        assert_eq!(
            Value::Object(r.clone().into_record(Some("https://x/1"))),
            json!({"stage": "require", "reason": "missing required field \"name\"",
                   "url": "https://x/1", "item": {"id": 1}})
        );
        assert!(!r.into_record(None).contains_key("url"));
    }

    #[test]
    fn pipeline_is_send() {
        fn send<T: Send>() {}
        send::<Pipeline>();
    }
}
