//! From TOML text to the file as written ([`SpiderFile`]), reporting every
//! mistake rather than the first.
//!
//! toml's parser recovers from syntax errors, but serde stops at the first
//! value it can't take. So the document is parsed once into a spanned tree,
//! and each part a user writes on its own (a top-level key, a setting, a
//! rule, each of its fields and follow specs) is deserialized on its own: a
//! mistake in one leaves the others checked. The messages are serde's,
//! reworded where they name Rust types rather than what to write.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::de::{DeserializeOwned, IntoDeserializer as _};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::SpiderError;
use crate::file::{Field, Follow, Rule, SpiderFile, Starts, TOP_KEYS};

/// Reads a spider file's text; `None` when anything in it could not be
/// read, every mistake then being in `errors`.
pub(crate) struct Reader<'a> {
    pub file: &'a str,
    pub source: &'a str,
    pub errors: &'a RefCell<Vec<SpiderError>>,
}

/// A rule as read, and whether part of it could not be (then the checks of
/// the rule as a whole are skipped: they would report what is missing
/// because of the first mistake).
pub(crate) struct ReadRule {
    pub rule: Spanned<Rule>,
    pub damaged: bool,
}

/// A rule and its name (the label it handles).
pub(crate) type NamedRule = (Spanned<String>, ReadRule);

impl Reader<'_> {
    fn record(&self, span: Range<usize>, message: String) {
        self.errors
            .borrow_mut()
            .push(SpiderError::at(self.file, self.source, span, message));
    }

    /// The file's parts that could be read (the others' mistakes
    /// recorded), with which top-level keys could not; `None` when the
    /// TOML itself is broken.
    pub(crate) fn read(&self) -> Option<(SpiderFile, Vec<NamedRule>, Vec<String>)> {
        let (doc, syntax) = DeTable::parse_recoverable(self.source);
        if !syntax.is_empty() {
            // A broken document: what serde would say about it is noise.
            for e in syntax {
                self.record(e.span().unwrap_or(0..0), e.message().trim().to_owned());
            }
            return None;
        }
        let mut damaged = Vec::new();
        let mut file = SpiderFile {
            name: None,
            start: Starts::default(),
            settings: ferrocrawl_engine::Settings::default(),
            sink: None,
            failures: None,
        };
        let mut rules = Vec::new();
        for (key, value) in doc.into_inner() {
            let span = key.span();
            let before = self.errors.borrow().len();
            let name: &str = key.get_ref().as_ref();
            match name {
                "name" => file.name = self.value(value),
                "start" => file.start = self.value(value).unwrap_or_default(),
                "settings" => file.settings = self.settings(value),
                "rules" => rules = self.rules(value),
                "sink" => file.sink = self.value(value),
                "failures" => file.failures = self.value(value),
                other => self.record(
                    span,
                    format!(
                        "unknown field `{other}`, expected one of {}",
                        TOP_KEYS
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            }
            if self.errors.borrow().len() > before {
                damaged.push(name.to_owned());
            }
        }
        Some((file, rules, damaged))
    }

    /// One value as `T`, or its mistake recorded.
    fn value<T: DeserializeOwned>(&self, value: Spanned<DeValue<'_>>) -> Option<T> {
        let span = value.span();
        T::deserialize(value.into_deserializer())
            .map_err(|e| self.record(e.span().unwrap_or(span), reword(e.message())))
            .ok()
    }

    /// `[settings]`, each key checked on its own so that every wrong one is
    /// reported.
    fn settings(&self, value: Spanned<DeValue<'_>>) -> ferrocrawl_engine::Settings {
        let span = value.span();
        let DeValue::Table(table) = value.get_ref() else {
            self.record(
                span,
                "`settings` is a table: write `[settings]` and a key on each line".into(),
            );
            return ferrocrawl_engine::Settings::default();
        };
        let mut all_ok = true;
        for (k, v) in table {
            let mut one = DeTable::new();
            one.insert(k.clone(), v.clone());
            all_ok &= self
                .value::<ferrocrawl_engine::Settings>(Spanned::new(
                    span.clone(),
                    DeValue::Table(one),
                ))
                .is_some();
        }
        let whole = all_ok.then(|| self.value(value)).flatten();
        whole.unwrap_or_default()
    }

    /// `[rules.NAME]` tables, each field and follow spec read on its own.
    fn rules(&self, value: Spanned<DeValue<'_>>) -> Vec<NamedRule> {
        let span = value.span();
        let DeValue::Table(table) = value.into_inner() else {
            self.record(
                span,
                "`rules` is a table of rules: write `[rules.NAME]`".into(),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, rule) in table {
            let name = Spanned::new(name.span(), name.into_inner().into_owned());
            out.push((name, self.rule(rule)));
        }
        out
    }

    fn rule(&self, value: Spanned<DeValue<'_>>) -> ReadRule {
        let span = value.span();
        let before = self.errors.borrow().len();
        let DeValue::Table(table) = value.into_inner() else {
            self.record(
                span.clone(),
                "a rule is a table: write `[rules.NAME]` and its keys under it".into(),
            );
            return ReadRule {
                rule: Spanned::new(span, Rule::default()),
                damaged: true,
            };
        };
        let (mut fields_value, mut follow_value) = (None, None);
        let mut rest = DeTable::new();
        for (k, v) in table {
            match k.get_ref().as_ref() {
                "fields" => fields_value = Some(v),
                "follow" => follow_value = Some(v),
                _ => {
                    rest.insert(k, v);
                }
            }
        }
        let mut rule: Rule = self
            .value(Spanned::new(span.clone(), DeValue::Table(rest)))
            .unwrap_or_default();
        if let Some(v) = fields_value {
            rule.fields = self.fields(v);
        }
        if let Some(v) = follow_value {
            let vspan = v.span();
            match v.into_inner() {
                DeValue::Array(specs) => {
                    rule.follow = specs
                        .into_iter()
                        .filter_map(|spec| self.value::<Spanned<Follow>>(spec))
                        .collect();
                }
                _ => self.record(
                    vspan,
                    "`follow` is a list of follow specs: `follow = [{ css = \"a::attr(href)\", label = \"RULE\" }]`"
                        .into(),
                ),
            }
        }
        ReadRule {
            rule: Spanned::new(span, rule),
            damaged: self.errors.borrow().len() > before,
        }
    }

    /// `fields.NAME = …`, each read on its own.
    fn fields(&self, value: Spanned<DeValue<'_>>) -> BTreeMap<Spanned<String>, Spanned<Field>> {
        let span = value.span();
        let DeValue::Table(table) = value.into_inner() else {
            self.record(
                span,
                "`fields` is a table: write `fields.NAME = \"SELECTOR\"`".into(),
            );
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        for (name, field) in table {
            if let Some(f) = self.value::<Spanned<Field>>(field) {
                out.insert(Spanned::new(name.span(), name.into_inner().into_owned()), f);
            }
        }
        out
    }
}

static INVALID_TYPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^invalid type: (?P<found>.+?), expected (?P<expected>.+)$")
        .expect("the invalid-type pattern is a valid regex")
});

/// serde's message in the words of the file: what to write here, and what
/// was written instead (not Rust's type names).
pub(crate) fn reword(message: &str) -> String {
    let message = message.trim();
    if let Some(c) = INVALID_TYPE.captures(message) {
        let expected = match &c["expected"] {
            "usize" | "u8" | "u16" | "u32" | "u64" | "i32" | "i64" | "an integer" => {
                "a whole number".to_owned()
            }
            "f32" | "f64" => "a number".to_owned(),
            "a boolean" | "bool" => "`true` or `false`".to_owned(),
            "a sequence" => "a list `[…]`".to_owned(),
            "a string" | "a borrowed string" => "a string in quotes".to_owned(),
            other => other.to_owned(),
        };
        let found = found(&c["found"]);
        return format!("this takes {expected}, not {found}");
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        return format!("this table needs `{field}`");
    }
    message.to_owned()
}

/// serde's name for what it found, as the file has it.
fn found(serde: &str) -> String {
    let (kind, value) = serde.split_once(' ').unwrap_or((serde, ""));
    let value = value.trim_matches('`');
    match kind {
        "map" => "a table".to_owned(),
        "sequence" => "a list".to_owned(),
        "string" => format!("the string {value}"),
        "integer" | "floating" => format!("the number {}", value.trim_start_matches("point ")),
        "boolean" => format!("`{value}`"),
        _ => serde.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::reword;

    #[test]
    fn serde_messages_say_what_to_write() {
        assert_eq!(
            reword("invalid type: map, expected a string"),
            "this takes a string in quotes, not a table"
        );
        assert_eq!(
            reword("invalid type: string \"ten\", expected usize"),
            "this takes a whole number, not the string \"ten\""
        );
        assert_eq!(
            reword("invalid type: integer `5`, expected a boolean"),
            "this takes `true` or `false`, not the number 5"
        );
        assert_eq!(reword("missing field `to`"), "this table needs `to`");
        assert_eq!(reword("unknown field `x`"), "unknown field `x`");
    }
}
