//! Between Python objects and the engine's types: errors, requests, JSON.

use ferrocrawl::{Method, Request, Url};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use serde_json::Value;

create_exception!(
    ferrocrawl,
    FerrocrawlError,
    PyException,
    "A crawl, fetch or configuration error from the engine; the message names the input and says what to do."
);
create_exception!(
    ferrocrawl,
    SpiderFileError,
    FerrocrawlError,
    "A spider file with mistakes: the message lists each, with its line and column."
);

/// An engine error as a Python exception.
pub fn py_err(e: &ferrocrawl::Error) -> PyErr {
    FerrocrawlError::new_err(e.display_chain())
}

/// A JSON value as a Python object (dicts, lists, str, int, float, bool, None).
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A Python object as a JSON value, or a `TypeError` naming `what` and the
/// type that does not convert.
pub fn from_py(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    pythonize::depythonize::<Value>(obj).map_err(|e| {
        let ty = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".to_owned());
        PyTypeError::new_err(format!(
            "{what} must be JSON-like (dict, list, str, int, float, bool, None); \
             a {ty} is not: {e}"
        ))
    })
}

/// A URL, resolved against `base` when one is given.
pub fn parse_url(raw: &str, base: Option<&Url>) -> PyResult<Url> {
    let parsed = match base {
        Some(base) => base.join(raw.trim()),
        None => Url::parse(raw.trim()),
    };
    parsed.map_err(|e| match base {
        Some(base) => PyValueError::new_err(format!("cannot follow {raw:?} from {base}: {e}")),
        None => PyValueError::new_err(format!(
            "{raw:?} is not a URL ({e}); write it in full, e.g. http://127.0.0.1:8090/"
        )),
    })
}

/// A request from a URL string or a `ferrocrawl.Request` (any object with
/// its attributes: `url`, `method`, `label`, `data`, `headers`, `body`,
/// `json`, `priority`, `dont_filter`). Relative URLs resolve against `base`.
pub fn request_from_py(obj: &Bound<'_, PyAny>, base: Option<&Url>) -> PyResult<Request> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Request::get(parse_url(&s.to_cow()?, base)?));
    }
    let url: String = obj
        .getattr("url")
        .map_err(|_| {
            PyTypeError::new_err(
                "a request is a URL string or a ferrocrawl.Request(url, label=..., data=...)",
            )
        })?
        .extract()?;
    let method: String =
        typed::<String>(attr(obj, "method"), "method")?.unwrap_or_else(|| "GET".to_owned());
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| PyValueError::new_err(format!("{method:?} is not an HTTP method")))?;
    let mut request = Request::new(method, parse_url(&url, base)?);
    if let Some(label) = typed::<String>(attr(obj, "label"), "label")? {
        request = request.label(label);
    }
    if let Ok(data) = obj.getattr("data")
        && !data.is_none()
    {
        let value = from_py(&data, "a request's data")?;
        if !value.is_object() {
            return Err(PyTypeError::new_err(
                "a request's data must be a dict (it is passed on to the child's handler as ctx.data)",
            ));
        }
        request = request.user_data(DATA_KEY, value);
    }
    if let Ok(headers) = obj.getattr("headers")
        && !headers.is_none()
    {
        let headers = headers.cast::<PyDict>().map_err(|_| {
            PyTypeError::new_err("a request's headers must be a dict of str to str")
        })?;
        for (k, v) in headers.iter() {
            request = request.header(k.extract::<String>()?, v.extract::<String>()?);
        }
    }
    if let Ok(json) = obj.getattr("json")
        && !json.is_none()
    {
        request = request.json(&from_py(&json, "a request's json")?);
    }
    if let Ok(body) = obj.getattr("body")
        && !body.is_none()
    {
        let bytes: Vec<u8> = if let Ok(b) = body.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else if let Ok(s) = body.cast::<PyString>() {
            s.to_cow()?.as_bytes().to_vec()
        } else {
            return Err(PyTypeError::new_err(
                "a request's body must be bytes or str",
            ));
        };
        request = request.body(bytes);
    }
    if let Some(priority) = typed::<i32>(attr(obj, "priority"), "priority")? {
        request = request.priority(priority);
    }
    if let Some(dont_filter) = typed::<bool>(attr(obj, "dont_filter"), "dont_filter")? {
        request.dont_filter = dont_filter;
    }
    Ok(request)
}

/// The key of a request's user data that holds what its handler passes on
/// (spider files' `data`, Scrapy's `cb_kwargs`).
pub const DATA_KEY: &str = "data";

/// An optional attribute: absent or `None` is `None`.
fn attr<'py>(obj: &Bound<'py, PyAny>, name: &str) -> Option<Bound<'py, PyAny>> {
    obj.getattr(name).ok().filter(|v| !v.is_none())
}

/// A request attribute's value, or a `TypeError` naming the attribute.
fn typed<T>(v: Option<Bound<'_, PyAny>>, name: &str) -> PyResult<Option<T>>
where
    T: for<'a, 'py> FromPyObject<'a, 'py>,
    for<'a, 'py> <T as FromPyObject<'a, 'py>>::Error: Into<PyErr>,
{
    v.map(|v| {
        v.extract::<T>().map_err(|e| {
            let e: PyErr = e.into();
            PyTypeError::new_err(format!("a request's {name}: {e}"))
        })
    })
    .transpose()
}

/// What a channel holds now, waiting for at least one (at most 1,024):
/// empty once it is closed. One wake-up of the event loop takes them all.
pub async fn recv_batch<T>(rx: &tokio::sync::Mutex<tokio::sync::mpsc::Receiver<T>>) -> Vec<T> {
    let mut rx = rx.lock().await;
    let mut batch = Vec::new();
    if let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < 1024
            && let Ok(next) = rx.try_recv()
        {
            batch.push(next);
        }
    }
    batch
}
