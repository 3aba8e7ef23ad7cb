//! A response (or the error that took its place) as Python sees it, and the
//! selectors of spider files over it.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use ferrocrawl::crawl::{LinkOptions, extract_links};
use ferrocrawl::fields::{Document, Selector};
use ferrocrawl::{ContentExt, Request, Response, Url};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::convert::{DATA_KEY, to_py};

/// What came back for one request: a response, or the error of its last
/// attempt. Wrapped by `ferrocrawl.Response` in Python.
#[pyclass(frozen, module = "ferrocrawl._native")]
pub struct NativeResponse {
    request: Request,
    response: Option<Response>,
    error: Option<(String, String)>,
    elapsed: f64,
    /// The page parsed for selectors, the first time one is used.
    doc: Mutex<Option<Document>>,
}

impl NativeResponse {
    pub fn ok(response: Response, elapsed: f64) -> NativeResponse {
        NativeResponse {
            request: response.request.clone(),
            response: Some(response),
            error: None,
            elapsed,
            doc: Mutex::new(None),
        }
    }

    pub fn failed(request: Request, error: &ferrocrawl::Error, elapsed: f64) -> NativeResponse {
        NativeResponse {
            request,
            response: None,
            error: Some((error.kind().name().to_owned(), error.display_chain())),
            elapsed,
            doc: Mutex::new(None),
        }
    }

    fn text_str(&self) -> &str {
        self.response.as_ref().map_or("", |r| r.text())
    }
}

#[pymethods]
impl NativeResponse {
    /// The final URL (after redirects), or the request's URL if it failed.
    #[getter]
    fn url(&self) -> String {
        self.response
            .as_ref()
            .map_or_else(|| self.request.url.to_string(), |r| r.url.to_string())
    }

    /// The URL that was asked for.
    #[getter]
    fn request_url(&self) -> String {
        self.request.url.to_string()
    }

    #[getter]
    fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status.as_u16())
    }

    #[getter]
    fn method(&self) -> String {
        self.request.method.to_string()
    }

    #[getter]
    fn label(&self) -> Option<String> {
        self.request.label.clone()
    }

    #[getter]
    fn depth(&self) -> u32 {
        self.request.depth
    }

    #[getter]
    fn attempts(&self) -> u32 {
        self.response
            .as_ref()
            .map_or(self.request.attempts, |r| r.attempts)
    }

    /// Seconds from the first attempt's start to the end.
    #[getter]
    fn elapsed(&self) -> f64 {
        self.elapsed
    }

    /// What the request's parent passed on (`data=` when it was followed).
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.request.user_data.get(DATA_KEY) {
            Some(v) => to_py(py, v),
            None => Ok(PyDict::new(py).into_any()),
        }
    }

    /// `(kind, message)` of the error, or `None`.
    #[getter]
    fn error(&self) -> Option<(String, String)> {
        self.error.clone()
    }

    /// Header names (lower case) to values; repeated headers joined by `, `.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        if let Some(r) = &self.response {
            let mut joined: Vec<(String, String)> = Vec::new();
            for (name, value) in r.headers.iter() {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                match joined.iter_mut().find(|(n, _)| n == name.as_str()) {
                    Some((_, v)) => {
                        v.push_str(", ");
                        v.push_str(&value);
                    }
                    None => joined.push((name.as_str().to_owned(), value)),
                }
            }
            for (k, v) in joined {
                dict.set_item(k, v)?;
            }
        }
        Ok(dict)
    }

    /// The body as received (decompressed).
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.response.as_ref().map_or(&[][..], |r| &r.body[..]))
    }

    /// The charset the body was decoded with.
    #[getter]
    fn encoding(&self) -> Option<&'static str> {
        self.response.as_ref().map(|r| r.decoded().encoding.name())
    }

    #[getter]
    fn content_type(&self) -> Option<String> {
        self.response
            .as_ref()
            .and_then(|r| r.content_type().map(str::to_owned))
    }

    /// The body decoded to text: the charset from the headers, a BOM, the
    /// page's `<meta>`, or detection (GBK, Shift_JIS, Latin-1...).
    fn text(&self) -> &str {
        self.text_str()
    }

    /// The body parsed as JSON.
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = self.text_str();
        let value: serde_json::Value = py
            .detach(|| serde_json::from_str(text))
            .map_err(|e| PyValueError::new_err(format!("{} is not JSON: {e}", self.url())))?;
        to_py(py, &value)
    }

    /// The values `expr` selects (`kind`: css, xpath, jsonpath or re), as
    /// spider files select them.
    fn select<'py>(&self, py: Python<'py>, kind: &str, expr: &str) -> PyResult<Bound<'py, PyList>> {
        let selector = compiled(kind, expr)?;
        let url = self
            .response
            .as_ref()
            .map_or_else(|| self.request.url.clone(), |r| r.url.clone());
        let text = self.text_str();
        let values = py.detach(|| {
            let mut doc = self.doc.lock().unwrap_or_else(|p| p.into_inner());
            let doc = doc.get_or_insert_with(|| Document::new(text, &url));
            selector.select(doc)
        });
        values_list(py, &values)
    }

    /// The main content as plain text, boilerplate left out.
    fn main_text(&self, py: Python<'_>) -> String {
        match &self.response {
            Some(r) => py.detach(|| r.main_text()),
            None => String::new(),
        }
    }

    /// The main content as Markdown (CommonMark with GFM tables).
    fn markdown(&self, py: Python<'_>) -> String {
        match &self.response {
            Some(r) => py.detach(|| r.markdown()),
            None => String::new(),
        }
    }

    /// Title, author, date, language, canonical URL and description.
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        if let Some(r) = &self.response {
            let m = py.detach(|| r.metadata());
            d.set_item("title", m.title)?;
            d.set_item("author", m.author)?;
            d.set_item("date", m.date)?;
            d.set_item("language", m.language)?;
            d.set_item("canonical_url", m.canonical_url.map(|u| u.to_string()))?;
            d.set_item("description", m.description)?;
        }
        Ok(d)
    }

    /// The page's links (absolute), as a crawl would follow them.
    fn links(&self, py: Python<'_>) -> Vec<String> {
        let Some(r) = &self.response else {
            return Vec::new();
        };
        py.detach(|| {
            extract_links(r.text(), &r.url, &LinkOptions::default())
                .links
                .into_iter()
                .map(|l| l.url.to_string())
                .collect()
        })
    }
}

/// The values `expr` selects in `text` (an HTML or JSON fragment) fetched
/// from `url`: how `ferrocrawl.Selector` selects inside an element.
#[pyfunction]
pub fn select_text<'py>(
    py: Python<'py>,
    text: &str,
    url: &str,
    kind: &str,
    expr: &str,
) -> PyResult<Bound<'py, PyList>> {
    let selector = compiled(kind, expr)?;
    let url = Url::parse(url).map_err(|e| PyValueError::new_err(format!("{url:?}: {e}")))?;
    let values = py.detach(|| selector.select(&Document::new(text, &url)));
    values_list(py, &values)
}

fn values_list<'py>(py: Python<'py>, values: &[serde_json::Value]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for v in values {
        list.append(to_py(py, v)?)?;
    }
    Ok(list)
}

/// Compiled selectors, by kind and expression: handlers select with the same
/// few expressions on every page.
fn compiled(kind: &str, expr: &str) -> PyResult<Selector> {
    static CACHE: OnceLock<Mutex<HashMap<(String, String), Selector>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (kind.to_owned(), expr.to_owned());
    if let Some(s) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(s.clone());
    }
    let selector = match kind {
        "css" => Selector::css(expr),
        "xpath" => Selector::xpath(expr),
        "jsonpath" => Selector::jsonpath(expr),
        "re" => Selector::regex(expr),
        other => {
            return Err(PyValueError::new_err(format!(
                "{other:?} is not a selector kind: css, xpath, jsonpath or re"
            )));
        }
    }
    .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    // A handler building expressions from data would grow it without end.
    if cache.len() >= 4096 {
        cache.clear();
    }
    cache.insert(key, selector.clone());
    Ok(selector)
}
