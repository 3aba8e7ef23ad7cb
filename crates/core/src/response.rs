//! [`Response`]: what came back for a [`Request`].

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Version};
use serde::Serialize;
use url::Url;

use crate::charset::{self, Decoded};
use crate::error::{Error, ErrorKind, Result};
use crate::request::Request;

/// One hop of a redirect chain: the URL that answered with a redirect, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Redirect {
    /// The URL that was requested.
    pub url: Url,
    /// The redirect status it answered with (301, 302, 303, 307 or 308).
    pub status: u16,
}

/// Where the time went, for the final attempt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Timings {
    /// From sending the first request of the attempt to the final response's headers.
    pub ttfb: Duration,
    /// From sending the first request of the attempt to the last body byte.
    pub total: Duration,
}

/// A response, fully read into memory.
#[derive(Clone, Debug)]
pub struct Response {
    /// The status of the final response.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// The HTTP version it was served with.
    pub version: Version,
    /// The final URL, after redirects.
    pub url: Url,
    /// The redirects followed to get here, in order.
    pub redirects: Vec<Redirect>,
    /// The body bytes, decompressed.
    pub body: Bytes,
    /// Timings of the attempt that produced this response.
    pub timings: Timings,
    /// How many attempts it took, 1 if the first try answered.
    pub attempts: u32,
    /// The request that led here.
    pub request: Request,
    decoded: OnceLock<Decoded>,
}

// ===== impl Response =====

impl Response {
    /// Assemble a response. The fetch crate calls this; tests may too.
    pub fn new(
        request: Request,
        status: StatusCode,
        headers: HeaderMap,
        url: Url,
        body: Bytes,
    ) -> Response {
        Response {
            status,
            headers,
            version: Version::HTTP_11,
            url,
            redirects: Vec::new(),
            body,
            timings: Timings::default(),
            attempts: 1,
            request,
            decoded: OnceLock::new(),
        }
    }

    /// The `Content-Type` header, if present and valid UTF-8.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// Whether the body is an HTML page: its `Content-Type` says `text/html`
    /// or `application/xhtml+xml`, or, without one, its first 512 bytes hold
    /// `<html` or `<!doctype html`.
    pub fn is_html(&self) -> bool {
        match self.content_type() {
            Some(ct) => {
                let ct = ct.trim_start().to_ascii_lowercase();
                ct.starts_with("text/html") || ct.starts_with("application/xhtml+xml")
            }
            None => {
                let head = &self.body[..self.body.len().min(512)];
                let text = String::from_utf8_lossy(head).to_ascii_lowercase();
                text.contains("<html") || text.contains("<!doctype html")
            }
        }
    }

    /// The first value of header `name`, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body decoded to text: BOM, then the `Content-Type` charset, then the
    /// `<meta>` prescan, then statistical detection. See [`charset`].
    /// Decoded once, on first use.
    pub fn text(&self) -> &str {
        &self.decoded().text
    }

    /// The decoding decision and its details.
    pub fn decoded(&self) -> &Decoded {
        self.decoded
            .get_or_init(|| charset::decode_shared(&self.body, self.content_type()))
    }

    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::new(
                ErrorKind::Decode,
                format!("response body is not valid JSON: {e}"),
            )
            .with_url(self.url.clone())
            .with_source(e)
        })
    }

    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
}
