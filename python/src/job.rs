//! `ferrocrawl.Job`: a whole crawl, with Python handlers run on the asyncio
//! loop that runs the job.
//!
//! A page's task (on the tokio runtime) builds the response and a context,
//! schedules the handler on the loop with `call_soon_threadsafe`, and waits
//! for it without holding a thread or the GIL. The handler's items and
//! requests come back in the context, and go through the engine as a Rust
//! handler's do: scoped, deduplicated, committed with the page.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ferrocrawl::crawl::{
    AsyncHandler, Handled, HandlerFuture, Router, SETTINGS_DOCS, Settings, Stats, Stopper,
};
use ferrocrawl::spider::Spider;
use ferrocrawl::{Error, ErrorKind, ItemRoute, Job, JobReport, Request, Response, StateFate, Url};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::convert::{DATA_KEY, SpiderFileError, from_py, py_err, request_from_py, to_py};
use crate::dispatch::{Call, Dispatcher, Outcome};

/// What a handler does with its page: items out, requests to follow.
#[pyclass(frozen, module = "ferrocrawl._native")]
pub struct NativeContext {
    url: Url,
    request: Request,
    out: Mutex<Handled>,
    /// Says the handler is done, with what it made and what it raised.
    done: Mutex<Option<oneshot::Sender<Outcome>>>,
}

impl NativeContext {
    pub fn new(response: &Response, done: oneshot::Sender<Outcome>) -> NativeContext {
        NativeContext {
            url: response.url.clone(),
            request: response.request.clone(),
            out: Mutex::new(Handled::default()),
            done: Mutex::new(Some(done)),
        }
    }

    fn take(&self) -> Handled {
        std::mem::take(&mut *self.out.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[pymethods]
impl NativeContext {
    /// Emit an item: a dict (anything JSON-like inside).
    fn emit(&self, item: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = from_py(item, "an item")?;
        if !value.is_object() {
            return Err(PyTypeError::new_err(format!(
                "an item must be a dict, not {}",
                item.get_type().name()?
            )));
        }
        self.out
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .items
            .push(value);
        Ok(())
    }

    /// Follow a request (a URL, relative to the page, or a `Request`).
    fn follow(&self, request: &Bound<'_, PyAny>) -> PyResult<()> {
        let request = request_from_py(request, Some(&self.url))?;
        self.out
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .follow
            .push(request);
        Ok(())
    }

    /// The handler is done (`exc`: the exception it raised, or `None`).
    #[pyo3(signature = (exc=None))]
    fn finish(&self, exc: Option<Bound<'_, PyAny>>) {
        let tx = self.done.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(tx) = tx {
            let _ = tx.send((self.take(), exc.map(PyErr::from_value)));
        }
    }

    /// The page's final URL.
    #[getter]
    fn url(&self) -> String {
        self.url.to_string()
    }

    /// What the request's parent passed on with `data=`.
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.request.user_data.get(DATA_KEY) {
            Some(v) => to_py(py, v),
            None => Ok(PyDict::new(py).into_any()),
        }
    }
}

/// A Python handler as the engine's waiting handler.
fn python_handler(
    label: String,
    func: Arc<Py<PyAny>>,
    dispatcher: Arc<Dispatcher>,
) -> AsyncHandler {
    Arc::new(move |resp: Response| -> HandlerFuture {
        let (label, func, dispatcher) = (label.clone(), Arc::clone(&func), Arc::clone(&dispatcher));
        Box::pin(async move { call_handler(&label, func, &dispatcher, resp).await })
    })
}

async fn call_handler(
    label: &str,
    func: Arc<Py<PyAny>>,
    dispatcher: &Dispatcher,
    resp: Response,
) -> ferrocrawl::Result<Handled> {
    let url = resp.url.clone();
    let (done, outcome) = oneshot::channel();
    let call = Call {
        func,
        response: resp,
        done,
    };
    if let Err(why) = dispatcher.push(call) {
        return Err(Error::new(ErrorKind::Handler, format!("{url}: {why}")));
    }
    match outcome.await {
        Ok((handled, None)) => Ok(handled),
        Ok((_, Some(e))) => Err(handler_error(label, &url, &e)),
        Err(_) => Err(Error::new(
            ErrorKind::Handler,
            format!("{url}: the event loop stopped before the handler finished"),
        )),
    }
}

/// A handler's exception as the page's error, with its Python traceback.
fn handler_error(label: &str, url: &Url, e: &PyErr) -> Error {
    let described = Python::attach(|py| {
        let tb = e
            .traceback(py)
            .and_then(|t| t.format().ok())
            .unwrap_or_default();
        format!("{tb}{e}")
    });
    let label = match label {
        "" => "the default handler".to_owned(),
        l => format!("handler `{l}`"),
    };
    Error::new(
        ErrorKind::Handler,
        format!("{label} raised on {url}:\n{}", described.trim_end()),
    )
}

/// A crawl, built from the Python `Job`'s arguments; it runs once.
#[pyclass(frozen, module = "ferrocrawl._native")]
pub struct NativeJob {
    job: Mutex<Option<Job>>,
    dispatcher: Arc<Dispatcher>,
    drain: Option<Py<PyAny>>,
    pauser: Arc<Mutex<Option<Stopper>>>,
    pause_requested: Arc<AtomicBool>,
    stats: Arc<Mutex<Option<Arc<Stats>>>>,
}

impl NativeJob {
    fn wrap(job: Job, dispatcher: Arc<Dispatcher>, drain: Option<Py<PyAny>>) -> NativeJob {
        NativeJob {
            job: Mutex::new(Some(job)),
            dispatcher,
            drain,
            pauser: Arc::default(),
            pause_requested: Arc::default(),
            stats: Arc::default(),
        }
    }

    fn take_job(&self) -> PyResult<Job> {
        self.job
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| {
                PyRuntimeError::new_err(
                    "this Job has run already: a Job runs once; make a new one to run again \
                     (with the same sqlite: frontier it resumes)",
                )
            })
    }
}

#[pymethods]
impl NativeJob {
    /// Built by `ferrocrawl.Job`: see its docstring.
    #[new]
    #[pyo3(signature = (name, *, start, routes, default, settings, frontier, sinks, pages, failures, save, drain, worker=None))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn new(
        name: String,
        start: Vec<Bound<'_, PyAny>>,
        routes: Bound<'_, PyDict>,
        default: Option<Py<PyAny>>,
        settings: Bound<'_, PyDict>,
        frontier: String,
        sinks: Vec<Bound<'_, PyAny>>,
        pages: Option<String>,
        failures: Option<PathBuf>,
        save: Option<PathBuf>,
        drain: Py<PyAny>,
        worker: Option<String>,
    ) -> PyResult<NativeJob> {
        let settings: Settings = pythonize::depythonize(settings.as_any())
            .map_err(|e| PyValueError::new_err(format!("settings: {e}")))?;
        let dispatcher: Arc<Dispatcher> = Arc::default();
        let mut router = Router::new();
        for (label, func) in routes.iter() {
            let label: String = label.extract()?;
            let handler = python_handler(
                label.clone(),
                Arc::new(func.unbind()),
                Arc::clone(&dispatcher),
            );
            router = router.route_async(label, handler);
        }
        if let Some(func) = default {
            let handler = python_handler(String::new(), Arc::new(func), Arc::clone(&dispatcher));
            router = router.default_async(handler);
        }
        let mut job = Job::new(name)
            .settings(settings)
            .frontier(&frontier)
            .map_err(|e| py_err(&e))?;
        if !router.is_empty() {
            job = job.router(router);
        }
        for r in &start {
            job = job.request(request_from_py(r, None)?);
        }
        for sink in &sinks {
            job = job.items(item_route(sink)?);
        }
        if let Some(p) = pages {
            job = job.pages_to(if p == "-" {
                None
            } else {
                Some(PathBuf::from(p))
            });
        }
        if let Some(f) = failures {
            job = job.failures(f);
        }
        if let Some(dir) = save {
            job = job.save_pages(dir);
        }
        if let Some(w) = worker {
            job = job.worker(w);
        }
        Ok(NativeJob::wrap(job, dispatcher, Some(drain)))
    }

    /// The job a spider file describes (its settings, rules and sinks).
    #[staticmethod]
    #[pyo3(signature = (path, *, sink=None, frontier=None))]
    fn from_spider(
        path: PathBuf,
        sink: Option<String>,
        frontier: Option<String>,
    ) -> PyResult<NativeJob> {
        let mut spider =
            Spider::from_file(&path).map_err(|e| SpiderFileError::new_err(e.to_string()))?;
        if let Some(to) = &sink {
            spider
                .override_sink(to)
                .map_err(|e| PyValueError::new_err(format!("sink={to:?}: {e}")))?;
        }
        let mut job = Job::from_spider(&spider);
        if let Some(f) = frontier {
            job = job.frontier(&f).map_err(|e| py_err(&e))?;
        }
        Ok(NativeJob::wrap(job, Arc::default(), None))
    }

    /// Every item also into a stream of `capacity` (before `run`).
    fn item_stream(&self, capacity: usize) -> PyResult<ItemStream> {
        let mut slot = self.job.lock().unwrap_or_else(|p| p.into_inner());
        let job = slot.take().ok_or_else(|| {
            PyRuntimeError::new_err("items() must be asked for before the job runs")
        })?;
        let (tx, rx) = mpsc::channel(capacity.max(1));
        *slot = Some(job.item_channel(tx));
        Ok(ItemStream {
            rx: Arc::new(tokio::sync::Mutex::new(rx)),
        })
    }

    /// Run the job; the awaitable gives its report (a dict). Python
    /// handlers run on the loop this is called from.
    fn run<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let job = self.take_job()?;
        crate::mark_used();
        let locals = pyo3_async_runtimes::tokio::get_current_locals(py)?;
        if let Some(drain) = &self.drain {
            self.dispatcher.bind(py, locals, drain.clone_ref(py))?;
        }
        let (pauser, pause_requested, stats) = (
            Arc::clone(&self.pauser),
            Arc::clone(&self.pause_requested),
            Arc::clone(&self.stats),
        );
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let running = job.start().await.map_err(|e| py_err(&e))?;
            *stats.lock().unwrap_or_else(|p| p.into_inner()) = Some(running.stats());
            *pauser.lock().unwrap_or_else(|p| p.into_inner()) = Some(running.pauser());
            if pause_requested.load(Ordering::SeqCst) {
                running.pause();
            }
            let report = running.finish().await.map_err(|e| py_err(&e))?;
            Python::attach(|py| report_dict(py, &report).map(Bound::unbind))
        })
    }

    /// Stops the loop watching for handler calls (on the loop, after the run).
    fn unbind(&self, py: Python<'_>) -> PyResult<()> {
        self.dispatcher.unbind(py)
    }

    /// Pause: no new requests; those in flight finish and are committed.
    fn pause(&self) {
        self.pause_requested.store(true, Ordering::SeqCst);
        if let Some(p) = &*self.pauser.lock().unwrap_or_else(|p| p.into_inner()) {
            p.stop();
        }
    }

    /// Live counters (zeros before the job starts).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let stats = self.stats.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let get = |f: fn(&Stats) -> u64| stats.as_deref().map_or(0, f);
        d.set_item("pages", get(Stats::pages))?;
        d.set_item("failed", get(Stats::failed))?;
        d.set_item("dropped", get(Stats::dropped))?;
        d.set_item("queued", get(Stats::queued))?;
        d.set_item("items", get(Stats::items))?;
        d.set_item("bytes", get(Stats::bytes))?;
        Ok(d)
    }
}

/// A sink: a target string, or a dict `{"to", "key", "table", "rule"}`.
fn item_route(sink: &Bound<'_, PyAny>) -> PyResult<ItemRoute> {
    if let Ok(s) = sink.cast::<PyString>() {
        return ItemRoute::to(&s.to_cow()?).map_err(|e| py_err(&e));
    }
    let d = sink.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(
            "a sink is a target (\"books.db\", \"out.jsonl\", \"postgres://...\") or a dict \
             {\"to\": ..., \"key\": ..., \"table\": ..., \"rule\": ...}",
        )
    })?;
    let get = |k: &str| -> PyResult<Option<String>> {
        match d.get_item(k)? {
            Some(v) if !v.is_none() => Ok(Some(v.extract()?)),
            _ => Ok(None),
        }
    };
    let to = get("to")?.ok_or_else(|| PyValueError::new_err("a sink dict needs \"to\""))?;
    let mut route = ItemRoute::to(&to).map_err(|e| py_err(&e))?;
    if let Some(k) = get("key")? {
        route = route.key(k);
    }
    if let Some(t) = get("table")? {
        route = route.table(t);
    }
    if let Some(r) = get("rule")? {
        route = route.rule(r);
    }
    Ok(route)
}

fn report_dict<'py>(py: Python<'py>, r: &JobReport) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    let s = &r.summary;
    d.set_item("pages", s.pages)?;
    d.set_item("failed", s.failed)?;
    d.set_item("dropped", s.dropped)?;
    d.set_item("out_of_scope", s.out_of_scope)?;
    d.set_item("cut", s.cut)?;
    d.set_item("content_failed", s.content_failed)?;
    d.set_item("bytes", s.bytes)?;
    d.set_item("items", s.items)?;
    d.set_item("items_written", r.items_written)?;
    d.set_item("items_failed", r.items_failed)?;
    d.set_item("field_problems", r.field_problems)?;
    d.set_item("stray_items", r.stray_items)?;
    d.set_item("failures", r.failures())?;
    d.set_item("elapsed", s.elapsed.as_secs_f64())?;
    d.set_item("stopped", s.stopped)?;
    d.set_item("left_queued", s.left_queued)?;
    d.set_item(
        "resumed",
        r.resumed.as_ref().is_some_and(|res| !res.created),
    )?;
    d.set_item(
        "failures_path",
        r.failures_path.as_ref().map(|p| p.display().to_string()),
    )?;
    let (state, state_path) = match &r.state {
        StateFate::None => (None, None),
        StateFate::Removed(p) => (Some("removed"), Some(p.display().to_string())),
        StateFate::Kept { path, .. } => (Some("kept"), Some(path.display().to_string())),
    };
    d.set_item("state", state)?;
    d.set_item("state_path", state_path)?;
    Ok(d.into_any())
}

/// A job's items as they are handled: `await next()` gives an item, or
/// `None` once the crawl has ended.
#[pyclass(frozen, module = "ferrocrawl._native")]
pub struct ItemStream {
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Value>>>,
}

#[pymethods]
impl ItemStream {
    /// The items ready now, waiting for at least one: a list, empty once
    /// the crawl has ended. One wake-up of the event loop takes them all.
    fn next_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rx = Arc::clone(&self.rx);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let batch = crate::convert::recv_batch(&rx).await;
            Python::attach(|py| -> PyResult<Py<PyAny>> {
                let list = PyList::empty(py);
                for v in &batch {
                    list.append(to_py(py, v)?)?;
                }
                Ok(list.into_any().unbind())
            })
        })
    }

    /// Stop receiving: the crawl goes on without the stream.
    fn close(&self) {
        if let Ok(mut rx) = self.rx.try_lock() {
            rx.close();
        }
    }
}

/// The settings, one line each (key, default, what it does).
#[pyfunction]
pub fn settings_docs() -> Vec<(String, String, String)> {
    let defaults = serde_json::to_value(Settings::default()).unwrap_or(Value::Null);
    SETTINGS_DOCS
        .iter()
        .map(|(key, doc)| {
            let default = defaults.get(*key).map(Value::to_string).unwrap_or_default();
            ((*key).to_owned(), default, (*doc).to_owned())
        })
        .collect()
}
