//! `ferrocrawl extract`: fetch one page and print what selectors yield on
//! it, like `scrapy shell` for one question.

use std::io::{BufWriter, ErrorKind, Write};
use std::net::IpAddr;

use anyhow::{Context, bail};
use ferrocrawl::fields::{Document, FieldError, Problem, Processor, Selector, apply_checked};
use ferrocrawl::{AddrPolicy, Client, Request, Url};
use serde_json::Value;

use crate::args::{ClientArgs, ExtractArgs, SelectorArgs};
use crate::exit;

/// One selector as the user gave it, compiled.
struct Query {
    /// `css`, `jsonpath` or `regex`: the flag's name.
    kind: &'static str,
    selector: Selector,
}

/// Run the command; returns the exit code.
pub async fn run(args: ExtractArgs, quiet: bool) -> anyhow::Result<u8> {
    // Everything the user got wrong is reported before the request.
    let url = page_url(&args.url)?;
    let queries = compile(&args.selectors)?;
    let processors = args
        .processors
        .iter()
        .map(|p| p.parse::<Processor>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("-p/--processor: {e}"))?;
    let client = build_client(&args.client, &url).await?;

    let resp = match client.execute(&Request::get(url.clone())).await {
        Ok(resp) => resp,
        Err(e) => {
            eprintln!("error: cannot fetch {url}: {e}");
            return Ok(exit::SOME_FAILED);
        }
    };
    if !quiet {
        eprintln!(
            "{} {} ({} bytes{})",
            resp.status,
            resp.url,
            resp.body.len(),
            resp.content_type()
                .map(|t| format!(", {t}"))
                .unwrap_or_default()
        );
    }
    let mut code = exit::OK;
    if let Some(format) = args.selectors.content {
        if !resp.is_html() {
            eprintln!(
                "error: {} is not an HTML page ({}): --content extracts the main content of HTML pages",
                resp.url,
                resp.content_type()
                    .unwrap_or("no Content-Type, and no <html> in its first bytes")
            );
            return Ok(exit::SOME_FAILED);
        }
        let content = ferrocrawl_content::extract(resp.text(), &resp.url);
        if content.text.is_empty() {
            eprintln!("no content: the page has no main text");
            code = exit::SOME_FAILED;
        }
        match crate::content::print(&content, format, &resp.url, args.json) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::BrokenPipe => return Ok(code),
            Err(e) => return Err(e).context("cannot write to stdout"),
        }
    }
    let doc = Document::new(resp.text(), &resp.url);
    let results: Vec<Selected> = queries
        .iter()
        .map(|q| values(q, &doc, &processors, args.first))
        .collect();
    let groups: Vec<(&Query, Vec<Value>)> = queries
        .iter()
        .zip(&results)
        .map(|(q, r)| (q, r.values.clone()))
        .collect();

    // With only --content there are no groups, and nothing more to print.
    let printed = if groups.is_empty() {
        Ok(())
    } else {
        print(&groups, args.json)
    };
    match printed {
        Ok(()) => {}
        // `| head` closed the pipe: what was wanted was printed.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e).context("cannot write to stdout"),
    }

    // `1` means "no answer", the same code other commands use for failures.
    for (query, r) in queries.iter().zip(&results) {
        let shown = format!(
            "--{} {}",
            query.kind,
            shell_quote(query.selector.expression())
        );
        for p in &r.problems {
            eprintln!(
                "{shown}: processor `{}` left out {}: {}",
                p.processor, p.value, p.reason
            );
        }
        if r.values.is_empty() && r.matched > 0 {
            eprintln!(
                "{shown} matched {} values, but the processors left none",
                r.matched
            );
            code = exit::SOME_FAILED;
        } else if r.values.is_empty() {
            eprintln!("no match: {shown}");
            code = exit::SOME_FAILED;
        }
    }
    if resp.status.as_u16() >= 400 {
        eprintln!("error: HTTP status {} from {}", resp.status, resp.url);
        code = exit::SOME_FAILED;
    }
    Ok(code)
}

/// The URL to fetch: absolute http(s).
fn page_url(raw: &str) -> anyhow::Result<Url> {
    let url = Url::parse(raw.trim()).with_context(|| {
        format!("invalid URL {raw:?}: write an absolute URL such as http://127.0.0.1:8080/")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("invalid URL {raw:?}: only http and https URLs can be fetched");
    }
    Ok(url)
}

/// A selector language's compiler, e.g. [`Selector::css`].
type Compile = fn(&str) -> Result<Selector, FieldError>;

/// Compiles every selector, in the order css, xpath, jsonpath, regex; the first
/// invalid one is the error (its message names it and says what is wrong).
fn compile(args: &SelectorArgs) -> anyhow::Result<Vec<Query>> {
    let kinds: Vec<(&'static str, &[String], Compile)> = vec![
        ("css", &args.css, Selector::css),
        #[cfg(feature = "xpath")]
        ("xpath", &args.xpath, Selector::xpath),
        ("jsonpath", &args.jsonpath, Selector::jsonpath),
        ("regex", &args.regex, Selector::regex),
    ];
    let mut out = Vec::new();
    for (kind, exprs, compile) in kinds {
        for expr in exprs {
            let selector = compile(expr).with_context(|| format!("--{kind}"))?;
            out.push(Query { kind, selector });
        }
    }
    Ok(out)
}

/// The client: the library's defaults with the user's flags. The page's own
/// addresses are allowed even if private (the user named them); redirects
/// into other private addresses need --allow-private, as in a crawl.
async fn build_client(args: &ClientArgs, url: &Url) -> anyhow::Result<Client> {
    let policy = if args.allow_private {
        AddrPolicy::allow_all()
    } else {
        AddrPolicy::deny_private(addresses(url).await)
    };
    let mut builder = Client::builder()
        .total_timeout(args.timeout)
        .max_body(args.max_body)
        .danger_accept_invalid_certs(args.insecure)
        .address_policy(policy);
    if let Some(ua) = &args.user_agent {
        builder = builder.user_agent(ua.clone());
    }
    if let Some(proxy) = &args.proxy {
        builder = builder.proxy(proxy.clone());
    }
    builder.build().context("invalid client settings")
}

/// The addresses `url`'s host stands for; none if it does not resolve (the
/// fetch then fails and says why).
async fn addresses(url: &Url) -> Vec<IpAddr> {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(url::Host::Domain(host)) => {
            let port = url.port_or_known_default().unwrap_or(80);
            match tokio::net::lookup_host((host, port)).await {
                Ok(addrs) => addrs.map(|a| a.ip()).collect(),
                Err(_) => Vec::new(),
            }
        }
        None => Vec::new(),
    }
}

/// The values `query` yields on `doc`, after the processors and `--first`.
/// What one selector gave: its values after the processors, how many it
/// matched before them, and what the processors could not convert.
struct Selected {
    values: Vec<Value>,
    matched: usize,
    problems: Vec<Problem>,
}

fn values(query: &Query, doc: &Document, processors: &[Processor], first: bool) -> Selected {
    let raw = query.selector.select(doc);
    let matched = raw.len();
    let mut problems = Vec::new();
    let mut values = if processors.is_empty() {
        raw
    } else {
        // `apply` returns a list, unless First or Join (or a Default that
        // applied) made it one value, which may itself be an array.
        let single = processors
            .iter()
            .any(|p| matches!(p, Processor::First | Processor::Join(_)))
            || (raw.is_empty()
                && processors
                    .iter()
                    .any(|p| matches!(p, Processor::Default(_))));
        let applied = apply_checked(raw, processors, doc.base_url());
        problems = applied.problems;
        match applied.value {
            Value::Null => Vec::new(),
            Value::Array(list) if !single => list,
            one => vec![one],
        }
    };
    if first {
        values.truncate(1);
    }
    Selected {
        values,
        matched,
        problems,
    }
}

/// Prints the values: one per line, or in labelled groups for several
/// selectors; with `json`, one JSON array.
fn print(groups: &[(&Query, Vec<Value>)], json: bool) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    if json {
        let array = match groups {
            [(_, values)] => Value::Array(values.clone()),
            _ => Value::Array(
                groups
                    .iter()
                    .map(|(q, values)| {
                        serde_json::json!({
                            q.kind: q.selector.expression(),
                            "values": values,
                        })
                    })
                    .collect(),
            ),
        };
        serde_json::to_writer(&mut out, &array)?;
        writeln!(out)?;
    } else if let [(_, values)] = groups {
        write_values(&mut out, values)?;
    } else {
        for (i, (q, values)) in groups.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            let n = values.len();
            let plural = if n == 1 { "" } else { "s" };
            writeln!(
                out,
                "# {}: {} ({n} value{plural})",
                q.kind,
                q.selector.expression()
            )?;
            write_values(&mut out, values)?;
        }
    }
    out.flush()
}

/// Strings as they are, anything else as compact JSON, one per line.
fn write_values(out: &mut impl Write, values: &[Value]) -> std::io::Result<()> {
    for value in values {
        match value {
            Value::String(s) => writeln!(out, "{s}")?,
            other => {
                serde_json::to_writer(&mut *out, other)?;
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

/// `'expr'` for messages, so the user can paste it back.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(page_url(" http://127.0.0.1:8080/x ").is_ok());
        for bad in ["127.0.0.1/x", "ftp://x/", "file:///etc/passwd", ""] {
            let err = page_url(bad).unwrap_err().to_string();
            assert!(err.contains("invalid URL"), "{bad}: {err}");
        }
    }

    #[test]
    fn processors_shape_the_values() {
        let url = Url::parse("https://b.example/list/").unwrap();
        let doc = Document::new(
            r#"<p> a </p><p>£1,234.50</p><a href="x">x</a><a href="mailto:m@x">m</a>"#,
            &url,
        );
        let query = |css: &str| Query {
            kind: "css",
            selector: Selector::css(css).unwrap(),
        };
        let p =
            |list: &[&str]| -> Vec<Processor> { list.iter().map(|s| s.parse().unwrap()).collect() };
        let q = query("p::text");
        assert_eq!(values(&q, &doc, &[], false).values, [" a ", "£1,234.50"]);
        assert_eq!(values(&q, &doc, &[], true).values, [" a "]);
        assert_eq!(
            values(&q, &doc, &p(&["number"]), false).values,
            [serde_json::json!(1234.5)]
        );
        assert_eq!(
            values(&q, &doc, &p(&["trim", "join:|"]), false).values,
            ["a|£1,234.50"]
        );
        let links = query("a::attr(href)");
        assert_eq!(
            values(&links, &doc, &p(&["absolute-url"]), false).values,
            ["https://b.example/list/x"]
        );
        let none = query("h1::text");
        let nothing = values(&none, &doc, &p(&["trim"]), false);
        assert!(nothing.values.is_empty() && nothing.matched == 0);
        assert_eq!(
            values(&none, &doc, &p(&["default:[1,2]"]), false).values,
            [serde_json::json!([1, 2])]
        );
        // A processor that empties what matched says why.
        let emptied = values(&q, &doc, &p(&["first", "date"]), false);
        assert!(emptied.values.is_empty());
        assert_eq!(emptied.matched, 2);
        assert_eq!(emptied.problems[0].processor, "date");
    }

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("h1::text"), "'h1::text'");
        assert_eq!(shell_quote("a[title='x']"), r"'a[title='\''x'\'']'");
    }
}
