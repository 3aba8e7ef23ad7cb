//! Where the URLs come from: arguments, a file, or stdin.

use std::io::{IsTerminal, Read};

use anyhow::{Context, bail};
use ferrocrawl::Url;

use crate::args::FetchArgs;

/// One URL as the user gave it.
#[derive(Debug)]
pub struct Input {
    /// The line number in the file or stdin, from 1; `None` for arguments.
    pub line: Option<u64>,
    /// The text as given (lossily decoded if it was not UTF-8).
    pub raw: String,
    /// The parsed URL, or why it cannot be fetched.
    pub url: Result<Url, String>,
}

/// Gather every URL to fetch, in order: arguments first, then `--input`
/// (or stdin when neither is given). An unreadable file is an error before
/// anything is sent.
pub fn gather(args: &FetchArgs) -> anyhow::Result<Vec<Input>> {
    let mut inputs: Vec<Input> = args
        .urls
        .iter()
        .map(|raw| Input {
            line: None,
            url: parse_url(raw),
            raw: raw.clone(),
        })
        .collect();
    let bytes = match &args.input {
        Some(path) if path.as_os_str() == "-" => Some(read_stdin()?),
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("cannot read input file {}", path.display()))?,
        ),
        None if args.urls.is_empty() => {
            if std::io::stdin().is_terminal() {
                bail!(
                    "no URLs given: pass them as arguments, with -i FILE, or on stdin \
                     (see ferrocrawl fetch --help)"
                );
            }
            Some(read_stdin()?)
        }
        None => None,
    };
    if let Some(bytes) = bytes {
        inputs.extend(lines(&bytes));
    }
    if inputs.is_empty() {
        bail!(
            "no URLs to fetch: the input had no URL lines (blank lines and # comments are skipped)"
        );
    }
    Ok(inputs)
}

fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut buf)
        .context("cannot read URLs from stdin")?;
    Ok(buf)
}

/// Split input bytes into URL lines. Blank lines and `#` comments are not
/// URLs and are skipped; every other line becomes an [`Input`], valid or not,
/// so nothing the user gave is lost.
fn lines(bytes: &[u8]) -> Vec<Input> {
    let mut out = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let number = i as u64 + 1;
        let (raw, url) = match std::str::from_utf8(line) {
            Ok(text) => {
                let t = text.trim();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                (t.to_owned(), parse_url(t))
            }
            Err(_) => (
                String::from_utf8_lossy(line).trim().to_owned(),
                Err("the line is not valid UTF-8; save the file as UTF-8".to_owned()),
            ),
        };
        out.push(Input {
            line: Some(number),
            raw,
            url,
        });
    }
    out
}

/// Parse one URL, explaining what is wrong in words a user can act on.
pub fn parse_url(raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    let url = Url::parse(raw).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => {
            format!("not a valid URL: {raw:?} has no scheme; write it as http://… or https://…")
        }
        other => format!("not a valid URL: {raw:?}: {other}"),
    })?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(url),
        "http" | "https" => Err(format!("not a valid URL: {raw:?} has no host")),
        other => Err(format!(
            "unsupported scheme {other:?} in {raw:?}: only http and https can be fetched"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_numbers_and_bad_lines() {
        let inputs = lines(b"http://a/\n\n# note\nnot a url\r\nftp://x/\n\xff\xfe\nhttps://b/x\n");
        let got: Vec<(Option<u64>, bool)> =
            inputs.iter().map(|i| (i.line, i.url.is_ok())).collect();
        assert_eq!(
            got,
            vec![
                (Some(1), true),
                (Some(4), false),
                (Some(5), false),
                (Some(6), false),
                (Some(7), true)
            ]
        );
        assert!(inputs[1].url.as_ref().unwrap_err().contains("no scheme"));
        assert!(
            inputs[2]
                .url
                .as_ref()
                .unwrap_err()
                .contains("unsupported scheme")
        );
        assert!(inputs[3].url.as_ref().unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn hostless_http_is_rejected() {
        assert!(parse_url("http://").is_err());
        assert!(parse_url("http:///path").is_ok() == parse_url("http:///path").is_ok());
    }
}
