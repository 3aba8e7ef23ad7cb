//! The JSON line written for each request.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use ferrocrawl::{Error, Redirect, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::args::BodyMode;

/// One output line. Field order is the order users read them in.
#[derive(Serialize)]
pub struct Record<'a> {
    /// The URL as the user gave it.
    pub url: &'a str,
    /// Line number in the input file or stdin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    final_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<serde_json::Map<String, serde_json::Value>>,
    /// Seconds from the first attempt to the end, retry waits included.
    elapsed: f64,
    attempts: u32,
    #[serde(skip_serializing_if = "<[Redirect]>::is_empty")]
    redirects: &'a [Redirect],
    error: Option<ErrorRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    charset: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<usize>,
}

/// An error as it appears in the output.
#[derive(Serialize)]
pub struct ErrorRecord {
    /// A stable name: `invalid_url`, `connect`, `read_timeout`, …
    pub kind: String,
    /// What happened, with its causes.
    pub message: String,
}

impl<'a> Record<'a> {
    /// A record for an input that never became a request.
    pub fn invalid(url: &'a str, line: Option<u64>, message: String) -> Record<'a> {
        let message = match line {
            Some(n) => format!("line {n}: {message}"),
            None => message,
        };
        Record::empty(
            url,
            line,
            ErrorRecord {
                kind: "invalid_url".to_owned(),
                message,
            },
        )
    }

    /// A record for a request whose last attempt failed.
    pub fn failed(
        url: &'a str,
        line: Option<u64>,
        error: &Error,
        elapsed: f64,
        attempts: u32,
    ) -> Record<'a> {
        let mut r = Record::empty(
            url,
            line,
            ErrorRecord {
                kind: error.kind().name().to_owned(),
                message: error.display_chain(),
            },
        );
        r.elapsed = elapsed;
        r.attempts = attempts;
        r
    }

    /// A record for a response whose body could not be saved (`--save`): the
    /// response's status, headers and redirects as usual, no body, and an error
    /// of kind `save` saying what to fix. The run goes on.
    pub fn unsaved(
        url: &'a str,
        line: Option<u64>,
        resp: &'a Response,
        elapsed: f64,
        message: String,
    ) -> Record<'a> {
        let mut r = Record::head(url, line, resp, elapsed);
        r.error = Some(ErrorRecord {
            kind: "save".to_owned(),
            message,
        });
        r
    }

    fn empty(url: &'a str, line: Option<u64>, error: ErrorRecord) -> Record<'a> {
        Record {
            url,
            line,
            final_url: None,
            status: None,
            headers: None,
            elapsed: 0.0,
            attempts: 0,
            redirects: &[],
            error: Some(error),
            charset: None,
            body: None,
            body_base64: None,
            path: None,
            sha256: None,
            bytes: None,
        }
    }

    /// A record for a response. With `save`, the body goes to a file named by
    /// its sha256 (identical bodies share one file).
    pub fn response(
        url: &'a str,
        line: Option<u64>,
        resp: &'a Response,
        elapsed: f64,
        mode: BodyMode,
        save: Option<&Path>,
    ) -> std::io::Result<Record<'a>> {
        let mut r = Record::head(url, line, resp, elapsed);
        if let Some(dir) = save {
            let digest = format!("{:x}", Sha256::digest(&resp.body));
            let path = dir.join(&digest);
            if !path.exists() {
                std::fs::write(&path, &resp.body)?;
            }
            r.path = Some(path.display().to_string());
            r.sha256 = Some(digest);
            return Ok(r);
        }
        let as_text = match mode {
            BodyMode::None => return Ok(r),
            BodyMode::Text => true,
            BodyMode::Base64 => false,
            BodyMode::Auto => is_textual(resp),
        };
        if as_text {
            let decoded = resp.decoded();
            r.charset = Some(decoded.encoding.name());
            r.body = Some(&decoded.text);
        } else {
            r.body_base64 = Some(base64::engine::general_purpose::STANDARD.encode(&resp.body));
        }
        Ok(r)
    }

    /// A response's record without its body: URL, status, headers, timing.
    fn head(url: &'a str, line: Option<u64>, resp: &'a Response, elapsed: f64) -> Record<'a> {
        let mut headers = serde_json::Map::new();
        for (name, value) in &resp.headers {
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            match headers.get_mut(name.as_str()) {
                // RFC 9110 §5.3: repeated fields combine with ", " (Set-Cookie
                // can't, so it becomes a list everywhere it repeats).
                Some(serde_json::Value::String(prev)) if name != "set-cookie" => {
                    prev.push_str(", ");
                    prev.push_str(&v);
                }
                Some(serde_json::Value::String(prev)) => {
                    let first = std::mem::take(prev);
                    headers.insert(name.as_str().to_owned(), serde_json::json!([first, v]));
                }
                Some(serde_json::Value::Array(list)) => list.push(v.into()),
                _ => {
                    headers.insert(name.as_str().to_owned(), v.into());
                }
            }
        }
        Record {
            url,
            line,
            final_url: Some(resp.url.as_str()),
            status: Some(resp.status.as_u16()),
            headers: Some(headers),
            elapsed,
            attempts: resp.attempts,
            redirects: &resp.redirects,
            error: None,
            charset: None,
            body: None,
            body_base64: None,
            path: None,
            sha256: None,
            bytes: Some(resp.body.len()),
        }
    }

    /// Write as one JSON line.
    pub fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, self)?;
        out.write_all(b"\n")
    }
}

fn is_textual(resp: &Response) -> bool {
    match resp.content_type() {
        Some(ct) => {
            let ct = ct.to_ascii_lowercase();
            ct.starts_with("text/")
                || ["json", "xml", "javascript", "html", "x-www-form-urlencoded"]
                    .iter()
                    .any(|t| ct.contains(t))
        }
        None => std::str::from_utf8(&resp.body).is_ok(),
    }
}
