//! Handing pages to the asyncio loop, in batches.
//!
//! Each page's task queues its call and waits on a oneshot; the first call
//! queued since the loop last drained schedules one drain with
//! `call_soon_threadsafe`. The drain (Python, `ferrocrawl._drain`) runs
//! every plain handler in place and starts a task only for `async def`
//! ones. So a busy crawl wakes the loop once per batch of pages, not once
//! per page, and a plain handler costs a function call, not a Task.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3_async_runtimes::TaskLocals;

/// One handler call waiting for the loop.
pub struct Call {
    pub func: Arc<Py<PyAny>>,
    pub response: Py<PyAny>,
    pub context: Py<PyAny>,
}

/// The queue of a job's handler calls, and how to reach its loop.
#[derive(Default)]
pub struct Dispatcher {
    queue: Mutex<Vec<Call>>,
    scheduled: AtomicBool,
    /// The loop (and contextvars) of the task that ran the job.
    pub locals: OnceLock<TaskLocals>,
    /// `ferrocrawl._drain`.
    drain: OnceLock<Py<PyAny>>,
    /// This dispatcher as the Python object `drain` is called with.
    handle: OnceLock<Py<NativeDispatcher>>,
}

impl Dispatcher {
    /// Sets what a drain needs; called once, when the job starts running.
    pub fn bind(
        self: &Arc<Self>,
        py: Python<'_>,
        locals: TaskLocals,
        drain: Py<PyAny>,
    ) -> PyResult<()> {
        let _ = self.locals.set(locals);
        let _ = self.drain.set(drain);
        let handle = Py::new(
            py,
            NativeDispatcher {
                inner: Arc::clone(self),
            },
        )?;
        let _ = self.handle.set(handle);
        Ok(())
    }

    /// Queues a call; schedules a drain unless one is pending already.
    pub fn push(&self, py: Python<'_>, call: Call) -> PyResult<()> {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(call);
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let (Some(locals), Some(drain), Some(handle)) =
            (self.locals.get(), self.drain.get(), self.handle.get())
        else {
            self.scheduled.store(false, Ordering::Release);
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "the job's event loop is not known (a bug: please report it)",
            ));
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item("context", locals.context(py))?;
        let scheduled = locals.event_loop(py).call_method(
            "call_soon_threadsafe",
            (drain.bind(py), handle.bind(py)),
            Some(&kwargs),
        );
        if let Err(e) = scheduled {
            // The loop is closed: nothing will drain.
            self.scheduled.store(false, Ordering::Release);
            return Err(e);
        }
        Ok(())
    }
}

/// A dispatcher as the drain sees it.
#[pyclass(frozen, module = "ferrocrawl._native")]
pub struct NativeDispatcher {
    inner: Arc<Dispatcher>,
}

#[pymethods]
impl NativeDispatcher {
    /// Every queued call, as `(func, response, context)`; a call queued
    /// after this schedules the next drain.
    fn take<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.inner.scheduled.store(false, Ordering::Release);
        let calls =
            std::mem::take(&mut *self.inner.queue.lock().unwrap_or_else(|p| p.into_inner()));
        let list = PyList::empty(py);
        for c in calls {
            list.append((c.func.clone_ref(py), c.response, c.context))?;
        }
        Ok(list)
    }
}
