//! `ferrocrawl fetch`: many URLs, concurrently, one JSON line each.

mod input;
mod record;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use ferrocrawl::header::{HeaderName, HeaderValue};
use ferrocrawl::{AddrPolicy, Client, Fetched, Fetcher, Method, Request, RetryPolicy};

use crate::args::FetchArgs;
use crate::exit;
use crate::limits::fit_concurrency;
use crate::progress::{Progress, Tally};

use self::input::Input;
use self::record::Record;

/// Run the command; returns the exit code.
pub async fn run(args: FetchArgs, quiet: bool) -> anyhow::Result<u8> {
    // Everything the user got wrong is reported before the first request.
    let template = request_template(&args)?;
    let inputs = input::gather(&args)?;
    let save_dir = prepare_save_dir(args.save.as_ref())?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => {
            Box::new(BufWriter::new(File::create(path).with_context(|| {
                format!("cannot create output file {}", path.display())
            })?))
        }
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let concurrency = fit_concurrency(args.concurrency);
    let mut builder = Client::builder()
        .connect_timeout(args.connect_timeout)
        .read_timeout(args.read_timeout)
        .total_timeout(args.timeout)
        .max_body(args.max_body)
        .max_redirects(args.max_redirects)
        .cookies(!args.no_cookies)
        .danger_accept_invalid_certs(args.insecure)
        .http2_prior_knowledge(args.http2_prior_knowledge);
    if let Some(ua) = &args.user_agent {
        builder = builder.user_agent(ua.clone());
    }
    if let Some(proxy) = &args.proxy {
        builder = builder.proxy(proxy.clone());
    }
    // The URLs given are fetched wherever they are; a redirect into a
    // private, loopback or link-local address is refused like a crawl's link.
    if !args.allow_private {
        let named = inputs
            .iter()
            .filter_map(|i| i.url.as_ref().ok())
            .filter_map(|u| u.host_str().map(str::to_owned))
            .collect::<std::collections::HashSet<_>>();
        builder = builder.address_policy(AddrPolicy::deny_private([]).allow_hosts(named));
    }
    let client = builder.build().context("invalid client settings")?;
    let fetcher = Fetcher::builder(client)
        .concurrency(concurrency)
        .per_host(args.per_host)
        .retry(RetryPolicy {
            max_retries: args.retries,
            ..RetryPolicy::default()
        })
        .build();

    if !quiet {
        warn_if_one_host_dominates(&inputs, args.per_host, concurrency);
    }
    let progress = Progress::new(inputs.len() as u64, quiet);
    let mut tally = Tally::default();

    // Bad lines are reported first, in input order; the rest go out.
    let mut jobs = Vec::with_capacity(inputs.len());
    for (i, inp) in inputs.iter().enumerate() {
        match &inp.url {
            Ok(url) => {
                let mut req = template.clone();
                req.url = url.clone();
                jobs.push((i, req));
            }
            Err(msg) => {
                Record::invalid(&inp.raw, inp.line, msg.clone()).write_to(&mut out)?;
                tally.error("invalid_url");
                progress.tick(tally.failed);
            }
        }
    }
    let mut results = fetcher.run(jobs);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut interrupted = false;
    loop {
        tokio::select! {
            next = results.recv() => match next {
                Some((i, fetched)) => {
                    write_result(&inputs[i], &fetched, &args, save_dir.as_ref(), &mut out, &mut tally)?;
                    progress.tick(tally.failed);
                }
                None => break,
            },
            _ = &mut ctrl_c => {
                interrupted = true;
                break;
            }
        }
    }
    out.flush().context("cannot write the output")?;
    progress.finish();
    if !quiet {
        eprint!("{}", tally.summary(progress.elapsed()));
    }
    if interrupted {
        let left = inputs.len() as u64 - tally.done;
        eprintln!(
            "interrupted: {left} of {} requests did not finish",
            inputs.len()
        );
        return Ok(exit::INTERRUPTED);
    }
    Ok(if tally.failed > 0 {
        exit::SOME_FAILED
    } else {
        exit::OK
    })
}

fn write_result(
    inp: &Input,
    fetched: &Fetched,
    args: &FetchArgs,
    save_dir: Option<&PathBuf>,
    out: &mut impl Write,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let elapsed = fetched.elapsed.as_secs_f64();
    match &fetched.result {
        Ok(resp) => {
            tally.response(resp.status.as_u16(), resp.body.len(), fetched.elapsed);
            let rec = Record::response(
                &inp.raw,
                inp.line,
                resp,
                elapsed,
                args.body,
                save_dir.map(|p| p.as_path()),
            );
            match (rec, save_dir) {
                (Ok(rec), _) => rec.write_to(out)?,
                (Err(e), dir) => {
                    // One body that cannot be written (disk full, the directory
                    // removed) fails that request only; the run goes on.
                    tally.error("save");
                    let dir = dir.map_or_else(String::new, |d| d.display().to_string());
                    let message = format!(
                        "cannot save the body under {dir}: {e}; check that the --save directory \
                         exists and has space, then fetch this URL again"
                    );
                    Record::unsaved(&inp.raw, inp.line, resp, elapsed, message).write_to(out)?;
                }
            }
        }
        Err(e) => {
            tally.error(e.kind().name());
            Record::failed(&inp.raw, inp.line, e, elapsed, fetched.request.attempts)
                .write_to(out)?;
        }
    }
    Ok(())
}

/// The method, headers and body shared by every request, checked up front.
fn request_template(args: &FetchArgs) -> anyhow::Result<Request> {
    let placeholder = "http://placeholder.invalid/"
        .parse()
        .context("placeholder URL")?;
    let mut req = Request::get(placeholder);
    let body_implies_post = args.data.is_some() || args.json.is_some();
    req.method = match &args.method {
        Some(m) => Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| {
            anyhow::anyhow!("invalid method {m:?} for -X: use a token such as GET or POST")
        })?,
        None if body_implies_post => Method::POST,
        None => Method::GET,
    };
    if let Some(data) = &args.data {
        let body = read_arg_body(data, "--data")?;
        req = req
            .set_header("content-type", "application/x-www-form-urlencoded")
            .body(body);
    }
    if let Some(json) = &args.json {
        let body = read_arg_body(json, "--json")?;
        serde_json::from_slice::<serde_json::Value>(&body)
            .with_context(|| format!("--json is not valid JSON: {json:?}"))?;
        req = req
            .set_header("content-type", "application/json")
            .set_header("accept", "application/json")
            .body(body);
    }
    // -H comes last so it can override the content type set above.
    for h in &args.headers {
        let Some((name, value)) = h.split_once(':') else {
            bail!("invalid header {h:?} for -H: write it as 'Name: value'");
        };
        let (name, value) = (name.trim(), value.trim());
        HeaderName::from_bytes(name.as_bytes())
            .with_context(|| format!("invalid header name {name:?} in -H {h:?}"))?;
        HeaderValue::from_str(value)
            .with_context(|| format!("invalid header value {value:?} in -H {h:?}"))?;
        req = req.set_header(name, value);
    }
    Ok(req)
}

/// `@FILE` reads the file; anything else is the body itself.
fn read_arg_body(value: &str, flag: &str) -> anyhow::Result<Vec<u8>> {
    match value.strip_prefix('@') {
        Some(path) => {
            std::fs::read(path).with_context(|| format!("cannot read {flag} file {path}"))
        }
        None => Ok(value.as_bytes().to_vec()),
    }
}

fn prepare_save_dir(dir: Option<&PathBuf>) -> anyhow::Result<Option<PathBuf>> {
    let Some(dir) = dir else { return Ok(None) };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create --save directory {}", dir.display()))?;
    Ok(Some(dir.clone()))
}

/// Many URLs on one host with a small --per-host means waves, not parallelism:
/// say so, since it's the usual surprise.
fn warn_if_one_host_dominates(inputs: &[Input], per_host: usize, concurrency: usize) {
    let mut hosts: HashMap<String, usize> = HashMap::new();
    for url in inputs.iter().filter_map(|i| i.url.as_ref().ok()) {
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        *hosts.entry(key).or_default() += 1;
    }
    if let Some((host, n)) = hosts.into_iter().max_by_key(|(_, n)| *n)
        && n > per_host
        && per_host < concurrency
    {
        eprintln!(
            "note: {n} URLs are on {host}; --per-host {per_host} lets {per_host} of them run at once \
             (raise --per-host for servers you run)"
        );
    }
}
