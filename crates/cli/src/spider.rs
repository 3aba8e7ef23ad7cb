//! `ferrocrawl run`, `check` and `new`: declarative spiders.

#[cfg(test)]
use std::path::Path;
#[cfg(test)]
use std::time::Duration;

use anyhow::Context as _;
use ferrocrawl::crawl::FrontierLocation;
use ferrocrawl::spider::{SinkKind, SinkSpec, Spider};
use ferrocrawl::{Job, JobReport};

use crate::args::{CheckArgs, NewArgs, RunArgs};
use crate::exit;
use crate::limits::fit_concurrency;
use crate::state;

/// `ferrocrawl check`: compile each file; print a summary or the mistake.
pub fn check(args: CheckArgs) -> anyhow::Result<u8> {
    let mut code = exit::OK;
    for path in &args.spiders {
        match Spider::from_file(path) {
            Ok(spider) => print!("{}", describe(&spider)),
            Err(e) => {
                print_mistakes(&e);
                code = exit::USAGE;
            }
        }
    }
    Ok(code)
}

/// Every mistake in a spider file, each as an `error:` of its own.
fn print_mistakes(e: &ferrocrawl::spider::SpiderError) {
    for m in e.mistakes() {
        eprintln!("error: {m}\n");
    }
    if e.mistakes().len() > 1 {
        eprintln!("{} mistakes in {}", e.mistakes().len(), e.file_name());
    }
}

/// What a spider will do, for `check`.
fn describe(spider: &Spider) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let starts = spider.start_requests();
    let _ = writeln!(out, "{}: ok, spider `{}`", spider.file(), spider.name());
    if let (Some(first), Some(last)) = (starts.first(), starts.last()) {
        let _ = write!(
            out,
            "  start: {} requests, {} {}",
            starts.len(),
            first.method,
            first.url
        );
        if starts.len() > 1 {
            let _ = write!(out, " ... {}", last.url);
        }
        out.push('\n');
    }
    let rules: Vec<&str> = spider.rule_names().collect();
    let _ = writeln!(out, "  rules: {}", rules.join(", "));
    for o in spider.outputs() {
        let sinks = spider.sinks_of(o);
        let sink = if sinks.is_empty() {
            default_sink(spider).to_string()
        } else {
            sinks
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" and ")
        };
        let _ = writeln!(
            out,
            "  items of `{}` -> {sink}{}",
            o.rule,
            o.key
                .as_ref()
                .map_or(String::new(), |k| format!(", key {k}"))
        );
    }
    let s = spider.settings();
    let _ = writeln!(
        out,
        "  settings: concurrency {}, per host {}, delay {}, robots.txt {}",
        s.concurrency,
        s.per_host,
        humantime::format_duration(s.delay),
        if s.obey_robots { "obeyed" } else { "ignored" }
    );
    out
}

/// `ferrocrawl new NAME`: write NAME.toml, never over an existing file.
pub fn new(args: NewArgs) -> anyhow::Result<u8> {
    let name = args.name.trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        eprintln!(
            "error: `{name}` is not a spider name: use letters, digits, `_` and `-` (it names the file NAME.toml)"
        );
        return Ok(exit::USAGE);
    }
    let path = args.dir.join(format!("{name}.toml"));
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "error: {} already exists; pick another name or remove it first",
                path.display()
            );
            return Ok(exit::USAGE);
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot create {}", path.display()));
        }
    };
    std::io::Write::write_all(&mut file, ferrocrawl::spider::starter(name).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wrote {0}; edit its start URL and rules, then:\n  ferrocrawl check {0}\n  ferrocrawl run {0}",
        path.display()
    );
    Ok(exit::OK)
}

/// The sink items go to when the file names none: `NAME.db` (SQLite).
fn default_sink(spider: &Spider) -> SinkSpec {
    SinkSpec {
        kind: SinkKind::Sqlite,
        to: format!("{}.db", spider.name()),
        table: None,
        key: None,
    }
}

/// The job `ferrocrawl run ARGS` runs: the spider's, with the flags over it.
pub fn job(spider: &Spider, args: &RunArgs) -> Job {
    let mut job = Job::from_spider(spider);
    let mut settings = job.current_settings().clone();
    args.settings.apply(&mut settings);
    settings.concurrency = fit_concurrency(settings.concurrency);
    job = job.settings(settings);
    if let Some(f) = &args.failures {
        job = job.failures(f.clone());
    }
    if args.no_state {
        job = job.frontier_at(FrontierLocation::Memory);
    } else if let Some(path) = &args.state {
        job = job.frontier_at(FrontierLocation::Sqlite(path.clone()));
    }
    job
}

/// `ferrocrawl run`: crawl by the spider's rules into its sinks, resumably.
pub async fn run(args: RunArgs, quiet: bool) -> anyhow::Result<u8> {
    let mut spider = match Spider::from_file(&args.spider) {
        Ok(s) => s,
        Err(e) => {
            print_mistakes(&e);
            return Ok(exit::USAGE);
        }
    };
    if let Some(to) = &args.sink
        && let Err(e) = spider.override_sink(to)
    {
        eprintln!("error: --sink: {e}");
        return Ok(exit::USAGE);
    }
    let job = match args.shared.apply(job(&spider, &args)) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("error: {}", e.display_chain());
            return Ok(exit::USAGE);
        }
    };
    let watched = match state::watch(job, quiet, true).await? {
        Ok(w) => w,
        Err(code) => return Ok(code),
    };
    let report = &watched.report;
    // Selectors that never matched: a misspelt class, a changed site.
    let unmatched = spider.unmatched();
    for u in &unmatched {
        let level = if args.strict { "error" } else { "warning" };
        eprintln!("{level}: {u}");
    }
    if !quiet {
        print_summary(report);
        if report.stray_items > 0 {
            eprintln!(
                "{} items came from pages without a rule that emits items",
                report.stray_items
            );
        }
        if watched.unshown_failures > 0 {
            eprintln!(
                "({} more page failures not shown)",
                watched.unshown_failures
            );
        }
    }
    state::say_state(report, quiet);
    let code = state::exit_code(report);
    if args.strict && !unmatched.is_empty() && code == exit::OK {
        eprintln!(
            "{} selectors matched nothing (--strict): check them with `ferrocrawl extract URL -s SELECTOR`",
            unmatched.len()
        );
        return Ok(exit::SOME_FAILED);
    }
    Ok(code)
}

fn print_summary(report: &JobReport) {
    let s = &report.summary;
    let secs = s.elapsed.as_secs_f64();
    let rate = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    let written = report.items_written;
    eprintln!(
        "{}: {} pages in {:.2}s ({:.0}/s), {} items written ({:.0}/s), {} failed pages, {} dropped by robots.txt",
        if s.stopped { "stopped" } else { "done" },
        s.pages,
        secs,
        rate(s.pages),
        written,
        rate(written),
        s.failed,
        s.dropped,
    );
    for r in &report.routes {
        eprintln!(
            "  {} -> {}: {} items written, {} rejected, {} refused by the sink",
            r.rule, r.sink, r.written, r.rejected, r.refused
        );
    }
    if let (1.., Some(path)) = (report.field_problems, &report.failures_path) {
        eprintln!(
            "{} field values could not be converted and were left out; each is in {} with its field, value and reason",
            report.field_problems,
            path.display()
        );
    }
    if let (1.., Some(path)) = (report.items_failed, &report.failures_path) {
        eprintln!(
            "{} items did not get through; each is in {} with its reason",
            report.items_failed,
            path.display()
        );
    }
    crate::crawl::budgets(s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use ferrocrawl::crawl::{CrawlOrder, Crawler, ScopeSetting, Settings};

    use crate::args::{Cli, Command};

    /// The three surfaces fill one settings tree: the same settings written
    /// as builder calls, in a spider file and as flags come out equal.
    #[test]
    fn builder_spider_file_and_flags_give_equal_settings() {
        let builder = Crawler::builder()
            .per_host(8)
            .delay(Duration::from_millis(1500))
            .auto_throttle(true)
            .max_pages(Some(100))
            .max_depth(Some(3))
            .scope(ScopeSetting::Domain)
            .allow_domain("cdn.example.org")
            .order(CrawlOrder::Dfs)
            .obey_robots(false)
            .retries(5)
            .retry_statuses([429, 503])
            .header("Accept-Language", "fr")
            .referer(false)
            .max_redirects(3);
        let file = r#"
            name = "same"
            start = ["http://127.0.0.1:1/"]
            [settings]
            per_host = 8
            delay = "1500ms"
            auto_throttle = true
            max_pages = 100
            max_depth = 3
            scope = "domain"
            allow_domains = ["cdn.example.org"]
            order = "dfs"
            obey_robots = false
            retries = 5
            retry_statuses = [429, 503]
            headers = { Accept-Language = "fr" }
            referer = false
            max_redirects = 3
            [rules.page]
            pattern = "/"
            fields.title = "title::text"
        "#;
        let spider = Spider::parse("same.toml", file).unwrap_or_else(|e| panic!("{e}"));
        let argv = [
            "ferrocrawl",
            "crawl",
            "--per-host",
            "8",
            "--delay",
            "1500ms",
            "--auto-throttle",
            "--max-pages",
            "100",
            "--max-depth",
            "3",
            "--scope",
            "domain",
            "--allow-domain",
            "cdn.example.org",
            "--dfs",
            "--ignore-robots",
            "--retries",
            "5",
            "--retry-status",
            "429",
            "--retry-status",
            "503",
            "-H",
            "Accept-Language: fr",
            "--no-referer",
            "--max-redirects",
            "3",
            "http://127.0.0.1:1/",
        ];
        let Command::Crawl(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not a crawl");
        };
        let mut from_flags = Settings::default();
        args.settings.apply(&mut from_flags);
        assert_eq!(builder.current_settings(), spider.settings());
        assert_eq!(spider.settings(), &from_flags);
        assert_ne!(
            from_flags,
            Settings::default(),
            "the input changed something"
        );
        // `run` lays the flags over the file's settings: the same flags over
        // the defaults give the same tree too.
        let argv = ["ferrocrawl", "run", "--per-host", "8", "same.toml"];
        let Command::Run(run) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not a run");
        };
        let job = job(&spider, &run);
        assert_eq!(job.current_settings().per_host, 8);
        assert_eq!(job.current_settings().delay, Duration::from_millis(1500));
    }

    #[test]
    fn failures_and_state_go_beside_the_sink() {
        let text =
            ferrocrawl::spider::starter("shop").replace("to = \"shop.db\"", "to = \"out/shop.db\"");
        let spider = Spider::parse("s.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        let job = Job::from_spider(&spider);
        assert_eq!(
            job.frontier_location(),
            &FrontierLocation::Sqlite(Path::new("out/shop.state").into())
        );
    }
}
