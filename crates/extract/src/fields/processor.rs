//! Processors: the clean-up steps between the selected values and the field's value.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};
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
    /// Collapses each run of whitespace in each string to one space and trims the ends,
    /// as XPath's `normalize-space()` does.
    Normalize,
    /// Replaces every match of the pattern in each string with the replacement
    /// (`$1`, `${name}` refer to groups), as Python's `re.sub` does.
    Replace(Pattern, String),
    /// Keeps, of each string, the pattern's first match: its first group if it has
    /// groups, else the whole match (Scrapy's `.re_first()`); a string that does not
    /// match is dropped.
    Re(Pattern),
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
    /// (`2024-05-01T10:30:00`) or, when the input has an offset, RFC 3339 date-time;
    /// a date given only to the month or the year stays that precise (`1991-12`,
    /// `2004`), as ISO 8601 allows.
    /// With `Some(format)` the string must match that chrono format (`%d/%m/%Y`); with
    /// `None`, the common forms are accepted: RFC 3339, RFC 2822, `YYYY-MM-DD[ HH:MM[:SS]]`,
    /// `YYYY/MM/DD`, `YYYY.MM.DD`, `DD.MM.YYYY`, `1 May 2024`, `May 1, 2024`,
    /// `Monday, May 1st, 2024` (English month names, full or abbreviated, any case),
    /// `March 1979`, `1991-12`, `2004`, and CJK dates (`2008年11月5日`, `2008年11月`,
    /// `2008년 11월 5일`).
    ParseDate(Option<String>),
    /// If there are no values at this point, uses this one. Makes the field a single
    /// value when it applies (give an array to default to a list).
    Default(Value),
}

/// A compiled regular expression in a processor; equal when written the same.
#[derive(Debug, Clone)]
pub struct Pattern(Regex);

impl Pattern {
    /// Compiles `pattern` (`regex` crate syntax), or says what is wrong with it.
    pub fn new(pattern: &str) -> Result<Pattern, String> {
        regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
            .map(Pattern)
            .map_err(|e| {
                format!(
                    "invalid regex `{pattern}`: {}",
                    e.to_string().lines().last().unwrap_or("")
                )
            })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.as_str() == other.as_str()
    }
}

/// The names [`Processor::from_str`] accepts, for error messages and help texts.
const NAMES: &str = "trim, normalize, first, join[:SEPARATOR], absolute-url, number, \
                     date[:FORMAT], default:VALUE, replace:/PATTERN/REPLACEMENT/, re:PATTERN";

/// Parses a processor as a command line or a config file writes it: a name, and for
/// some a `:` and an argument.
///
/// | text | processor |
/// | --- | --- |
/// | `trim` | [`Processor::Trim`] |
/// | `normalize` | [`Processor::Normalize`] |
/// | `replace:/PATTERN/REPLACEMENT/` | [`Processor::Replace`] (`\/` for a `/` in either) |
/// | `re:PATTERN` | [`Processor::Re`] |
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
            "normalize" | "normalize-space" => no_arg(Processor::Normalize),
            "replace" => {
                let (pattern, with) = arg.and_then(split_replace).ok_or_else(|| {
                    format!(
                        "`{text}`: write `replace:/PATTERN/REPLACEMENT/`, e.g. `replace:/\\s+/ /`"
                    )
                })?;
                Ok(Processor::Replace(Pattern::new(&pattern)?, with))
            }
            "re" | "regex" => match arg {
                Some(p) if !p.is_empty() => Ok(Processor::Re(Pattern::new(p)?)),
                _ => Err(format!(
                    "`{text}`: write the pattern after `re:`, e.g. `re:(\\d+) pages`"
                )),
            },
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
/// value or a `Default` supplied it. When nothing is left the result is `null`. Values a
/// conversion could not read are dropped; [`apply_checked`] also says which.
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
    apply_checked(values, processors, base).value
}

/// A field's value, and the values its conversions could not read.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The field's value, as [`apply`] gives it.
    pub value: Value,
    /// Each value a `number` or `date` step could not convert (and so dropped).
    pub problems: Vec<Problem>,
}

/// A value a processor could not convert.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The processor, as written in a spider file (`date`, `number`).
    pub processor: &'static str,
    /// The value it was given.
    pub value: Value,
    /// Why it could not convert it, for the user.
    pub reason: String,
}

/// [`apply`], also returning the values that `ParseNumber` and `ParseDate` could not
/// convert, so that a caller can report them instead of losing them in silence.
///
/// ```
/// use ferrocrawl_extract::fields::{Processor, apply_checked};
/// use serde_json::json;
/// use url::Url;
///
/// let base = Url::parse("https://example.com/").expect("valid URL");
/// let born = vec![json!("March 1979"), json!("in the spring")];
/// let applied = apply_checked(born, &[Processor::ParseDate(None)], &base);
/// assert_eq!(applied.value, json!(["1979-03"]));
/// assert_eq!(applied.problems[0].value, json!("in the spring"));
/// ```
pub fn apply_checked(values: Vec<Value>, processors: &[Processor], base: &Url) -> Applied {
    run(values, processors, base, false)
}

/// [`apply`], keeping each value that `ParseNumber` or `ParseDate` could not convert
/// as it was instead of dropping it.
///
/// ```
/// use ferrocrawl_extract::fields::{Processor, apply_keeping};
/// use serde_json::json;
/// use url::Url;
///
/// let base = Url::parse("https://example.com/").expect("valid URL");
/// let born = vec![json!("circa 1900")];
/// let kept = apply_keeping(born, &[Processor::First, Processor::ParseDate(None)], &base);
/// assert_eq!(kept, json!("circa 1900"));
/// ```
pub fn apply_keeping(values: Vec<Value>, processors: &[Processor], base: &Url) -> Value {
    run(values, processors, base, true).value
}

fn run(values: Vec<Value>, processors: &[Processor], base: &Url, keep: bool) -> Applied {
    let mut values = values;
    let mut problems = Vec::new();
    // Whether the field is one value (after First, Join or Default) rather than a list.
    let mut single = false;
    for processor in processors {
        match processor {
            Processor::Trim => values = map(values, trim),
            Processor::Normalize => values = map(values, normalize),
            Processor::Replace(pattern, with) => {
                values = map(values, |v| replace(v, pattern, with));
            }
            Processor::Re(pattern) => values = map(values, |v| first_match(v, pattern)),
            Processor::Join(separator) => {
                single = true;
                values = join(values, separator);
            }
            Processor::First => {
                single = true;
                values.truncate(1);
            }
            Processor::AbsoluteUrl => values = map(values, |v| absolute_url(v, base)),
            Processor::ParseNumber => {
                values = convert(values, "number", keep, &mut problems, parse_number);
            }
            Processor::ParseDate(format) => {
                values = convert(values, "date", keep, &mut problems, |v| {
                    parse_date(v, format.as_deref())
                });
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
    let value = match (single, values.len()) {
        (true, 0) => Value::Null,
        (true, _) => values.swap_remove(0),
        (false, _) => Value::Array(values),
    };
    Applied { value, problems }
}

/// Converts each value, keeping the ones that convert and noting the others (or, with
/// `keep`, keeping them unconverted).
fn convert(
    values: Vec<Value>,
    processor: &'static str,
    keep: bool,
    problems: &mut Vec<Problem>,
    f: impl Fn(Value) -> Result<Value, String>,
) -> Vec<Value> {
    let mut out = Vec::with_capacity(values.len());
    for value in values {
        match f(value.clone()) {
            Ok(v) => out.push(v),
            Err(_) if keep => out.push(value),
            Err(reason) => problems.push(Problem {
                processor,
                value,
                reason,
            }),
        }
    }
    out
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

fn parse_number(value: Value) -> Result<Value, String> {
    let text = match value {
        Value::Number(n) => return Ok(Value::Number(n)),
        Value::String(s) => s,
        other => return Err(format!("{} is not text", kind_of(&other))),
    };
    let no_number = || format!("no number in {text:?}");
    let found = NUMBER
        .find(&text)
        .ok_or_else(no_number)?
        .as_str()
        .replace(',', "");
    let digits = found.strip_prefix('+').unwrap_or(&found);
    // Whole numbers stay integers (a count, an id); others, or integers too big for
    // i64, become floats.
    if let Ok(int) = digits.parse::<i64>() {
        return Ok(Value::Number(int.into()));
    }
    digits
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .ok_or_else(no_number)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn normalize(value: Value) -> Option<Value> {
    Some(match value {
        Value::String(s) => {
            Value::String(super::css::collapse_whitespace(std::iter::once(s.as_str())))
        }
        other => other,
    })
}

fn replace(value: Value, pattern: &Pattern, with: &str) -> Option<Value> {
    Some(match value {
        Value::String(s) => Value::String(pattern.0.replace_all(&s, with).into_owned()),
        other => other,
    })
}

fn first_match(value: Value, pattern: &Pattern) -> Option<Value> {
    let Value::String(s) = value else {
        return Some(value);
    };
    let caps = pattern.0.captures(&s)?;
    let m = caps.get(1).or_else(|| caps.get(0))?;
    Some(Value::String(m.as_str().to_owned()))
}

/// `/PATTERN/REPLACEMENT/` (the last `/` optional), with `\/` for a `/` in either.
fn split_replace(arg: &str) -> Option<(String, String)> {
    let body = arg.strip_prefix('/')?;
    let mut parts = vec![String::new()];
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                chars.next();
                parts.last_mut()?.push('/');
            }
            '/' => parts.push(String::new()),
            c => parts.last_mut()?.push(c),
        }
    }
    match parts.as_slice() {
        [pattern, with] | [pattern, with, _] if !pattern.is_empty() => {
            Some((pattern.clone(), with.clone()))
        }
        _ => None,
    }
}

/// Forms tried, in order, for `ParseDate(None)` after RFC 3339 and RFC 2822.
const DATE_TIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
];
const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y", "%d %B %Y", "%B %d %Y", "%d %b %Y", "%b %d %Y",
    "%d-%b-%Y", "%d-%B-%Y",
];

/// A date given to the month or the year only: `1991-12`, `1991/12`, `March 1979`,
/// `Mar. 1979`, `1979`.
static PARTIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?P<y1>[0-9]{4})[-/.](?P<m1>[0-9]{1,2})|(?P<mn>[A-Za-z]{3,9})\.?,? (?P<y2>[0-9]{4})|(?P<y3>[0-9]{4}))$")
        .expect("the partial date pattern is a valid regex")
});

/// CJK dates: `2008年11月5日`, `2008年11月`, `2008年`, `2008년 11월 5일`, with or
/// without spaces.
static CJK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<y>[0-9]{4})\s*[年년]\s*(?:(?P<m>[0-9]{1,2})\s*[月월]\s*(?:(?P<d>[0-9]{1,2})\s*[日일]?)?)?$")
        .expect("the CJK date pattern is a valid regex")
});

/// A weekday in front (`Monday, `), ordinal endings (`1st`) and commas are noise to
/// the formats above.
static NOISE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+|(?P<n>[0-9])(?:st|nd|rd|th)\b|,",
    )
    .expect("the date noise pattern is a valid regex")
});

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn parse_date(value: Value, format: Option<&str>) -> Result<Value, String> {
    let Value::String(text) = value else {
        return Err(format!("{} is not text", kind_of(&value)));
    };
    let text = text.trim();
    let iso = match format {
        Some(format) => parse_with(text, format)
            .ok_or_else(|| format!("{text:?} does not match the format {format:?}")),
        None => parse_common(text).ok_or_else(|| {
            format!(
                "{text:?} is not a date in a form ferrocrawl knows: give the format, \
                 e.g. {{ date = \"%d/%m/%Y\" }}"
            )
        }),
    }?;
    Ok(Value::String(iso))
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
    let cleaned = NOISE.replace_all(text, "$n");
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    // chrono's `%Y` takes fewer digits too (`march 1979` would be 19 March 79):
    // years before 1000 are not what a page means.
    if let Some(d) = DATE_FORMATS
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(&cleaned, f).ok())
        .filter(|d| d.year() >= 1000)
    {
        return Some(d.format("%Y-%m-%d").to_string());
    }
    partial(&cleaned).or_else(|| cjk(text))
}

/// `1991-12` → `1991-12`, `March 1979` → `1979-03`, `2004` → `2004`.
fn partial(text: &str) -> Option<String> {
    let caps = PARTIAL.captures(text)?;
    if let (Some(y), Some(m)) = (caps.name("y1"), caps.name("m1")) {
        return year_month(y.as_str(), m.as_str().parse().ok()?);
    }
    if let (Some(name), Some(y)) = (caps.name("mn"), caps.name("y2")) {
        let lower = name.as_str().to_ascii_lowercase();
        let month = MONTHS
            .iter()
            .position(|m| lower.starts_with(m) && month_name_fits(&lower, m))?;
        return year_month(y.as_str(), month as u32 + 1);
    }
    caps.name("y3").map(|y| y.as_str().to_owned())
}

/// Whether `name` is the month `abbr` written out, abbreviated, or as `Sept`.
fn month_name_fits(name: &str, abbr: &str) -> bool {
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    FULL.iter()
        .any(|full| full.starts_with(abbr) && full.starts_with(name))
}

fn year_month(year: &str, month: u32) -> Option<String> {
    (1..=12)
        .contains(&month)
        .then(|| format!("{year}-{month:02}"))
}

/// `2008年11月5日` → `2008-11-05`, `2008年11月` → `2008-11`, `2008年` → `2008`.
fn cjk(text: &str) -> Option<String> {
    let caps = CJK.captures(text)?;
    let year = caps.name("y")?.as_str();
    let Some(month) = caps.name("m") else {
        return Some(year.to_owned());
    };
    let month: u32 = month.as_str().parse().ok()?;
    match caps.name("d") {
        None => year_month(year, month),
        Some(day) => {
            let date =
                NaiveDate::from_ymd_opt(year.parse().ok()?, month, day.as_str().parse().ok()?)?;
            Some(date.format("%Y-%m-%d").to_string())
        }
    }
}

fn naive_date_time(dt: NaiveDateTime) -> String {
    dt.format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn number(s: &str) -> Option<Value> {
        parse_number(json!(s)).ok()
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
        assert_eq!(parse_number(json!(3)).ok(), Some(json!(3)));
        assert_eq!(parse_number(json!(null)).ok(), None);
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
            // Less than a day: as precise as given (ISO 8601 reduced precision).
            ("1991-12", "1991-12"),
            ("1991/2", "1991-02"),
            ("March 1979", "1979-03"),
            ("march 1979", "1979-03"),
            ("Sept. 1979", "1979-09"),
            ("Dec, 2001", "2001-12"),
            ("2004", "2004"),
            // CJK.
            ("2008年11月", "2008-11"),
            ("2008年11月5日", "2008-11-05"),
            ("2008 年 1 月", "2008-01"),
            ("2008年", "2008"),
            ("2008년 11월 5일", "2008-11-05"),
            // Ordinals, weekdays, dots, missing commas.
            ("Monday, May 1st, 2024", "2024-05-01"),
            ("1st May 2024", "2024-05-01"),
            ("May 22nd 2024", "2024-05-22"),
            ("01.05.2024", "2024-05-01"),
            ("2024.05.01", "2024-05-01"),
            ("01-May-2024", "2024-05-01"),
            ("2024/05/01 10:30", "2024-05-01T10:30:00"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_date(json!(input), None).ok(),
                Some(json!(expected)),
                "{input}"
            );
        }
        for bad in [
            "yesterday",
            "2024-13-01",
            "",
            "31 Feb 2024",
            "1991-13",
            "Smarch 1979",
            "2008年13月",
            "2008年2月30日",
            "Mrch 1979",
        ] {
            assert_eq!(parse_date(json!(bad), None).ok(), None, "{bad}");
        }
        assert_eq!(parse_date(json!(20240501), None).ok(), None);
    }

    #[test]
    fn parse_date_with_a_format() {
        let fmt = |f: &str| Some(f.to_owned());
        let p = |s: &str, f: &str| parse_date(json!(s), fmt(f).as_deref()).ok();
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
    fn unreadable_values_are_problems_not_silence() {
        let base = Url::parse("https://example.com/").unwrap();
        let values = vec![json!("circa 1900"), json!("1901")];
        let applied = apply_checked(values, &[Processor::ParseDate(None)], &base);
        assert_eq!(applied.value, json!(["1901"]));
        assert_eq!(applied.problems.len(), 1);
        let problem = &applied.problems[0];
        assert_eq!(
            (problem.processor, &problem.value),
            ("date", &json!("circa 1900"))
        );
        assert!(
            problem.reason.contains("give the format"),
            "{}",
            problem.reason
        );
        let applied = apply_checked(
            vec![json!("n/a")],
            &[Processor::First, Processor::ParseNumber],
            &base,
        );
        assert_eq!(applied.value, json!(null));
        assert_eq!(applied.problems[0].processor, "number");
        let fmt = Processor::ParseDate(Some("%d/%m/%Y".into()));
        let applied = apply_checked(vec![json!("2024-05-01")], &[fmt], &base);
        assert!(applied.problems[0].reason.contains("%d/%m/%Y"));
    }

    #[test]
    fn text_processors_normalize_replace_and_re() {
        let base = Url::parse("https://example.com/").unwrap();
        let run = |p: &str, v: &str| apply(vec![json!(v)], &[p.parse().unwrap()], &base);
        assert_eq!(run("normalize", "  A\n  Light \t "), json!(["A Light"]));
        assert_eq!(run("replace:/\\s+/-/", "a  b\nc"), json!(["a-b-c"]));
        assert_eq!(run("replace:/£//", "£51.77"), json!(["51.77"]));
        assert_eq!(
            run("replace:/(\\w+)@(\\w+)/$2 at $1/", "me@host"),
            json!(["host at me"])
        );
        assert_eq!(run("replace:/a\\/b/c/", "xa/by"), json!(["xcy"]));
        assert_eq!(run("re:(\\d+) pages", "312 pages"), json!(["312"]));
        assert_eq!(run("re:\\d+", "page 7 of 9"), json!(["7"]));
        assert_eq!(run("re:(\\d+) pages", "none"), json!([]));
        for bad in [
            "replace",
            "replace:x",
            "replace://y/",
            "re:",
            "re:(",
            "replace:/(/x/",
        ] {
            assert!(bad.parse::<Processor>().is_err(), "{bad}");
        }
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
