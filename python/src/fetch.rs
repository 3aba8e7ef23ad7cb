//! `ferrocrawl.fetch`: a batch of requests, many in flight, results as they
//! complete.

use std::sync::Arc;
use std::time::Duration;

use ferrocrawl::{Client, Fetched, Fetcher, RetryPolicy};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tokio::sync::{Mutex, mpsc};

use crate::convert::{py_err, request_from_py};
use crate::response::NativeResponse;

/// Results of a batch as they complete: `await next()` gives
/// `(index, response)`, or `None` after the last one.
#[pyclass(frozen, module = "ferrocrawl._native")]
pub struct FetchStream {
    rx: Arc<Mutex<mpsc::Receiver<(usize, Fetched)>>>,
    total: usize,
}

#[pymethods]
impl FetchStream {
    /// How many requests the batch has.
    #[getter]
    fn total(&self) -> usize {
        self.total
    }

    /// The results that have completed since the last call, waiting for
    /// at least one: a list of `(index, response)`, empty at the end. One
    /// wake-up of the event loop takes all that are ready.
    fn next_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rx = Arc::clone(&self.rx);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let batch = crate::convert::recv_batch(&rx).await;
            Python::attach(|py| -> PyResult<Py<PyAny>> {
                let list = PyList::empty(py);
                for (i, fetched) in batch {
                    let elapsed = fetched.elapsed.as_secs_f64();
                    let resp = match fetched.result {
                        Ok(r) => NativeResponse::ok(r, elapsed),
                        Err(e) => NativeResponse::failed(fetched.request, &e, elapsed),
                    };
                    list.append((i, Py::new(py, resp)?))?;
                }
                Ok(list.into_any().unbind())
            })
        })
    }
}

/// Start fetching `requests` (URL strings or `ferrocrawl.Request`s): at
/// most `concurrency` in flight, `per_host` per host, each retried by the
/// policy. Must be called with a running event loop's runtime around.
#[pyfunction]
#[pyo3(signature = (requests, *, concurrency=100, per_host=8, timeout=30.0, retries=2, headers=None, user_agent=None, proxy=None, cookies=false))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub fn fetch_stream(
    requests: Vec<Bound<'_, PyAny>>,
    concurrency: usize,
    per_host: usize,
    timeout: f64,
    retries: u32,
    headers: Option<Bound<'_, PyDict>>,
    user_agent: Option<String>,
    proxy: Option<String>,
    cookies: bool,
) -> PyResult<FetchStream> {
    if !(timeout.is_finite() && timeout > 0.0) {
        return Err(PyValueError::new_err(format!(
            "timeout={timeout}: give the seconds one attempt may take, e.g. 30"
        )));
    }
    let mut batch = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        batch.push((i, request_from_py(r, None)?));
    }
    let mut client = Client::builder()
        .total_timeout(Duration::from_secs_f64(timeout))
        .cookies(cookies);
    if let Some(proxy) = proxy {
        client = client.proxy(proxy);
    }
    if let Some(ua) = user_agent {
        client = client.user_agent(ua);
    }
    if let Some(headers) = headers {
        for (k, v) in headers.iter() {
            client = client.default_header(k.extract::<String>()?, v.extract::<String>()?);
        }
    }
    let client = client.build().map_err(|e| py_err(&e))?;
    let retry = RetryPolicy {
        max_retries: retries,
        ..RetryPolicy::default()
    };
    let fetcher = Fetcher::builder(client)
        .concurrency(concurrency)
        .per_host(per_host)
        .retry(retry)
        .build();
    let total = batch.len();
    crate::mark_used();
    // `run` spawns onto the runtime it is called in.
    let _guard = pyo3_async_runtimes::tokio::get_runtime().enter();
    let rx = fetcher.run(batch);
    Ok(FetchStream {
        rx: Arc::new(Mutex::new(rx)),
        total,
    })
}
