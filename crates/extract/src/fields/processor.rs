//! Processors: the clean-up steps between the selected values and the field's value.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use regex::Regex;
use serde_json::{Number, Value};
use url::Url;

/// One clean-up step, applied in order by [`apply`].
///
/// Steps that convert each value (`Trim`, `AbsoluteUrl`, `ParseNumber`, `ParseDate`)
/// drop a value they cannot convert, as Scrapy's `MapCompose` does, so a field whose only
/// value does not parse ends up `null` (or its `Default`) rather than failing the item.
#[derive(Debug, Clone, PartialEq)]
pub enum Processor {
    /// Trims whitespace from each string (other values are kept as they are).
    Trim,
    /// Joins the values into one string with this separator (numbers and booleans in
    /// their JSON form; nulls, arrays and objects are left out). Makes the field a
    /// single value.
    Join(String),
    /// Keeps only the first value. Makes the field a single value.
    First,
    /// Resolves each string as a URL reference against the base URL given to [`apply`]
    /// (use [`Document::base_url`](super::Document::base_url), which honours
    /// `<base href>`). Only `http`/`https` results are kept, so `javascript:` and
    /// `mailto:` links drop out.
    AbsoluteUrl,
    /// Turns each value into a number: the first number in a string (`"£51.77"` → 51.77,
    /// `"1,234"` → 1234, `"3.5 stars"` → 3.5; commas group thousands), or a number as is.
    ParseNumber,
    /// Turns each string into an ISO 8601 date (`2024-05-01`), date-time
    /// (`2024-05-01T10:30:00`) or, when the input has an offset, RFC 3339 date-time.
    /// With `Some(format)` the string must match that chrono format (`%d/%m/%Y`); with
    /// `None`, RFC 3339, RFC 2822, `YYYY-MM-DD[ HH:MM[:SS]]`, `YYYY/MM/DD`,
    /// `1 May 2024` and `May 1, 2024` (full or abbreviated English month) are accepted.
    ParseDate(Option<String>),
    /// If there are no values at this point, uses this one. Makes the field a single
    /// value when it applies (give an array to default to a list).
    Default(Value),
}

/// The names [`Processor::from_str`] accepts, for error messages and help texts.
const NAMES: &str =
    "trim, first, join[:SEPARATOR], absolute-url, number, date[:FORMAT], default:VALUE";

/// Parses a processor as a command line or a config file writes it: a name, and for
/// some a `:` and an argument.
///
/// | text | processor |
/// | --- | --- |
/// | `trim` | [`Processor::Trim`] |
/// | `first` | [`Processor::First`] |
/// | `join`, `join:SEP` | [`Processor::Join`] with a space, or with `SEP` (taken as is) |
/// | `absolute-url` | [`Processor::AbsoluteUrl`] |
/// | `number` | [`Processor::ParseNumber`] |
/// | `date`, `date:FORMAT` | [`Processor::ParseDate`] with the common forms, or a chrono format |
/// | `default:VALUE` | [`Processor::Default`]: `VALUE` as JSON if it parses, else as a string |
///
/// Names are case-insensitive, and `_` may stand for `-` (`absolute_url`); `url`,
/// `parse-number` and `parse-date` are accepted too. The error is a message for the
/// user that quotes the input and lists the names.
///
/// ```
/// use ferrocrawl_extract::fields::Processor;
/// use serde_json::json;
///
/// assert_eq!("trim".parse(), Ok(Processor::Trim));
/// assert_eq!("join:, ".parse(), Ok(Processor::Join(", ".into())));
/// assert_eq!("date:%d/%m/%Y".parse(), Ok(Processor::ParseDate(Some("%d/%m/%Y".into()))));
/// assert_eq!("default:0".parse(), Ok(Processor::Default(json!(0))));
/// assert_eq!("default:n/a".parse(), Ok(Processor::Default(json!("n/a"))));
/// assert!("frist".parse::<Processor>().is_err_and(|e| e.contains("frist")));
/// ```
impl std::str::FromStr for Processor {
    type Err = String;

    fn from_str(text: &str) -> Result<Processor, String> {
        let (name, arg) = match text.split_once(':') {
            Some((name, arg)) => (name, Some(arg)),
            None => (text, None),
        };
        let name = name.trim().to_ascii_lowercase().replace('_', "-");
        let no_arg = |p: Processor| match arg {
            None => Ok(p),
            Some(_) => Err(format!(
                "processor `{name}` takes no argument (in `{text}`)"
            )),
        };
        match name.as_str() {
            "trim" => no_arg(Processor::Trim),
            "first" => no_arg(Processor::First),
            "absolute-url" | "url" => no_arg(Processor::AbsoluteUrl),
            "number" | "parse-number" => no_arg(Processor::ParseNumber),
            "join" => Ok(Processor::Join(arg.unwrap_or(" ").to_owned())),
            "date" | "parse-date" => match arg {
                Some("") => Err(format!(
                    "`{text}`: write a chrono format after `date:`, e.g. `date:%d/%m/%Y`"
                )),
                arg => Ok(Processor::ParseDate(arg.map(str::to_owned))),
            },
            "default" => match arg {
                Some(value) => Ok(Processor::Default(
                    serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned())),
                )),
                None => Err(format!(
                    "`{text}`: write the value after `default:`, e.g. `default:0`"
                )),
            },
            _ => Err(format!("unknown processor `{text}`: use one of {NAMES}")),
        }
    }
}

/// Runs the processors in order over the values a selector gave, and returns the
/// field's value.
///
/// The result is an array of the values, unless a `First` or `Join` made it a single
/// value or a `Default` supplied it. When nothing is left the result is `null`.
///
/// ```
/// use ferrocrawl_extract::fields::{Processor, apply};
/// use serde_json::json;
/// use url::Url;
///
/// let base = Url::parse("https://example.com/").expect("valid URL");
/// let prices = vec![json!("£51.77"), json!("n/a"), json!("£1,234")];
/// assert_eq!(apply(prices.clone(), &[Processor::ParseNumber], &base), json!([51.77, 1234]));
/// assert_eq!(apply(prices, &[Processor::First], &base), json!("£51.77"));
/// assert_eq!(apply(vec![], &[Processor::ParseNumber], &base), json!([]));
/// assert_eq!(apply(vec![], &[Processor::First], &base), json!(null));
/// assert_eq!(apply(vec![], &[Processor::Default(json!(0))], &base), json!(0));
/// ```
pub fn apply(values: Vec<Value>, processors: &[Processor], base: &Url) -> Value {
    let mut values = values;
    // Whether the field is one value (after First, Join or Default) rather than a list.
    let mut single = false;
    for processor in processors {
        match processor {
            Processor::Trim => values = map(values, trim),
            Processor::Join(separator) => {
                single = true;
                values = join(values, separator);
            }
            Processor::First => {
                single = true;
                values.truncate(1);
            }
            Processor::AbsoluteUrl => values = map(values, |v| absolute_url(v, base)),
            Processor::ParseNumber => values = map(values, parse_number),
            Processor::ParseDate(format) => {
                values = map(values, |v| parse_date(v, format.as_deref()));
            }
            Processor::Default(default) => {
                if values.is_empty() {
                    single = true;
                    values.push(default.clone());
                }
            }
        }
    }
    // A list that matched nothing is an empty list (`[]`), not a missing
    // value: `all = true` fields keep their type.
    match (single, values.len()) {
        (true, 0) => Value::Null,
        (true, _) => values.swap_remove(0),
        (false, _) => Value::Array(values),
    }
}

fn map(values: Vec<Value>, f: impl FnMut(Value) -> Option<Value>) -> Vec<Value> {
    values.into_iter().filter_map(f).collect()
}

fn trim(value: Value) -> Option<Value> {
    Some(match value {
        Value::String(s) => Value::String(s.trim().to_owned()),
        other => other,
    })
}

fn join(values: Vec<Value>, separator: &str) -> Vec<Value> {
    if values.is_empty() {
        // Nothing was selected: keep it that way so that `Default` still applies.
        return values;
    }
    let parts: Vec<String> = values
        .into_iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        })
        .collect();
    vec![Value::String(parts.join(separator))]
}

fn absolute_url(value: Value, base: &Url) -> Option<Value> {
    let Value::String(reference) = value else {
        return None;
    };
    let url = base.join(reference.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| Value::String(url.into()))
}

/// The first number in a text: an optional sign, digits with optional thousands commas
/// (only in groups of three, so "1,5" reads as 1), and an optional fraction.
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|[-+]?\.[0-9]+")
        .expect("the number pattern is a valid regex")
});

fn parse_number(value: Value) -> Option<Value> {
    let text = match value {
        Value::Number(n) => return Some(Value::Number(n)),
        Value::String(s) => s,
        _ => return None,
    };
    let found = NUMBER.find(&text)?.as_str().replace(',', "");
    let digits = found.strip_prefix('+').unwrap_or(&found);
    // Whole numbers stay integers (a count, an id); others, or integers too big for
    // i64, become floats.
    if let Ok(int) = digits.parse::<i64>() {
        return Some(Value::Number(int.into()));
    }
    let float: f64 = digits.parse().ok()?;
    Number::from_f64(float).map(Value::Number)
}

/// Forms tried, in order, for `ParseDate(None)` after RFC 3339 and RFC 2822.
const DATE_TIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
];
const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d %B %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%b %d, %Y",
];

fn parse_date(value: Value, format: Option<&str>) -> Option<Value> {
    let Value::String(text) = value else {
        return None;
    };
    let text = text.trim();
    let iso = match format {
        Some(format) => parse_with(text, format),
        None => parse_common(text),
    }?;
    Some(Value::String(iso))
}

/// Tries a user format as a date-time with offset, a date-time, then a date, since a
/// chrono format string does not say which of those it describes.
fn parse_with(text: &str, format: &str) -> Option<String> {
    if let Ok(dt) = DateTime::parse_from_str(text, format) {
        return Some(dt.to_rfc3339());
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(text, format) {
        return Some(naive_date_time(dt));
    }
    NaiveDate::parse_from_str(text, format)
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

fn parse_common(text: &str) -> Option<String> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.to_rfc3339());
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(text) {
        return Some(dt.to_rfc3339());
    }
    if let Some(dt) = DATE_TIME_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    {
        return Some(naive_date_time(dt));
    }
    DATE_FORMATS
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
        .map(|d| d.format("%Y-%m-%d").to_string())
}

fn naive_date_time(dt: NaiveDateTime) -> String {
    dt.format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn number(s: &str) -> Option<Value> {
        parse_number(json!(s))
    }

    #[test]
    fn parse_number_takes_the_first_number() {
        assert_eq!(number("£51.77"), Some(json!(51.77)));
        assert_eq!(number("1,234"), Some(json!(1234)));
        assert_eq!(number("3.5 stars"), Some(json!(3.5)));
        assert_eq!(number("In stock (22 available)"), Some(json!(22)));
        assert_eq!(number("-4 °C"), Some(json!(-4)));
        assert_eq!(number("+7"), Some(json!(7)));
        assert_eq!(number(".5"), Some(json!(0.5)));
        assert_eq!(number("1,5"), Some(json!(1)));
        assert_eq!(number("12,345,678.9"), Some(json!(12345678.9)));
        assert_eq!(number("99999999999999999999"), Some(json!(1e20)));
        assert_eq!(number("no digits"), None);
        assert_eq!(number(""), None);
        assert_eq!(parse_number(json!(3)), Some(json!(3)));
        assert_eq!(parse_number(json!(null)), None);
    }

    #[test]
    fn parse_date_common_forms() {
        let cases = [
            ("2024-05-01", "2024-05-01"),
            ("2024/05/01", "2024-05-01"),
            ("1 May 2024", "2024-05-01"),
            ("May 1, 2024", "2024-05-01"),
            ("1 Sep 2024", "2024-09-01"),
            ("Sep 1, 2024", "2024-09-01"),
            ("2024-05-01 10:30", "2024-05-01T10:30:00"),
            ("2024-05-01T10:30:15", "2024-05-01T10:30:15"),
            ("2024-05-01T10:30:15Z", "2024-05-01T10:30:15+00:00"),
            ("2024-05-01T10:30:15+02:00", "2024-05-01T10:30:15+02:00"),
            ("Wed, 01 May 2024 10:30:15 GMT", "2024-05-01T10:30:15+00:00"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_date(json!(input), None),
                Some(json!(expected)),
                "{input}"
            );
        }
        for bad in ["yesterday", "2024-13-01", "", "31 Feb 2024"] {
            assert_eq!(parse_date(json!(bad), None), None, "{bad}");
        }
        assert_eq!(parse_date(json!(20240501), None), None);
    }

    #[test]
    fn parse_date_with_a_format() {
        let fmt = |f: &str| Some(f.to_owned());
        let p = |s: &str, f: &str| parse_date(json!(s), fmt(f).as_deref());
        assert_eq!(p("01/05/2024", "%d/%m/%Y"), Some(json!("2024-05-01")));
        assert_eq!(
            p("01/05/2024 07:08", "%d/%m/%Y %H:%M"),
            Some(json!("2024-05-01T07:08:00"))
        );
        assert_eq!(
            p("01/05/2024 07:08 +0100", "%d/%m/%Y %H:%M %z"),
            Some(json!("2024-05-01T07:08:00+01:00"))
        );
        assert_eq!(p("2024-05-01", "%d/%m/%Y"), None);
        // A malformed format string is not a panic, just no value.
        assert_eq!(p("2024-05-01", "%Q%"), None);
    }

    #[test]
    fn processors_parse_from_text() {
        let p = |s: &str| s.parse::<Processor>();
        assert_eq!(p("Trim"), Ok(Processor::Trim));
        assert_eq!(p(" first "), Ok(Processor::First));
        assert_eq!(p("absolute_url"), Ok(Processor::AbsoluteUrl));
        assert_eq!(p("url"), Ok(Processor::AbsoluteUrl));
        assert_eq!(p("parse-number"), Ok(Processor::ParseNumber));
        assert_eq!(p("join"), Ok(Processor::Join(" ".into())));
        assert_eq!(p("join:"), Ok(Processor::Join(String::new())));
        assert_eq!(p("join::"), Ok(Processor::Join(":".into())));
        assert_eq!(p("date"), Ok(Processor::ParseDate(None)));
        assert_eq!(p("default:[]"), Ok(Processor::Default(json!([]))));
        assert_eq!(p("default:"), Ok(Processor::Default(json!(""))));
        for (bad, says) in [
            ("", "unknown processor ``"),
            ("frist", "unknown processor `frist`"),
            ("trim:x", "takes no argument"),
            ("date:", "chrono format"),
            ("default", "write the value"),
        ] {
            let err = p(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
        assert!(p("nope").unwrap_err().contains("absolute-url"));
    }

    #[test]
    fn absolute_url_keeps_only_web_urls() {
        let base = Url::parse("https://books.example/catalogue/index.html").unwrap();
        let abs = |s: &str| absolute_url(json!(s), &base);
        assert_eq!(
            abs(" ../media/a.jpg "),
            Some(json!("https://books.example/media/a.jpg"))
        );
        assert_eq!(abs("//cdn.example/x"), Some(json!("https://cdn.example/x")));
        assert_eq!(abs("mailto:a@b.c"), None);
        assert_eq!(abs("javascript:void(0)"), None);
        assert_eq!(abs("http://[::1"), None);
        assert_eq!(absolute_url(json!(1), &base), None);
    }
}
