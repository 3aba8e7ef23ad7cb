//! Handing pages to the asyncio loop, in batches, without the GIL.
//!
//! A page's task queues its call (the handler, the Rust response, a oneshot
//! to answer on) and waits; it never takes the GIL, so the engine's threads
//! never stall behind Python. The first call queued since the loop last
//! drained wakes the loop: one byte down a socket pair whose other end the
//! loop watches (`loop.add_reader`), or, on a loop that can't watch sockets,
//! `call_soon_threadsafe`. The drain (`ferrocrawl._drain`, on the loop's
//! thread, where the GIL is held anyway) builds the Python objects, runs
//! every plain handler in place and starts a task only for `async def`
//! ones. A busy crawl wakes the loop once per batch of pages.

use std::io::{ErrorKind as IoKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use ferrocrawl::Response;
use ferrocrawl::crawl::Handled;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3_async_runtimes::TaskLocals;
use tokio::sync::oneshot;

use crate::job::NativeContext;
use crate::response::NativeResponse;

/// What a handler call ends with: its items and requests, and the exception
/// it raised, if any.
pub type Outcome = (Handled, Option<PyErr>);

/// One handler call waiting for the loop.
pub struct Call {
    pub func: Arc<Py<PyAny>>,
    pub response: Response,
    pub done: oneshot::Sender<Outcome>,
}

/// How the loop is woken.
enum Wake {
    /// A byte down this socket; the loop reads the other end.
    Socket { tx: UnixStream, rx: UnixStream },
    /// `call_soon_threadsafe`, with the GIL.
    Threadsafe,
}

/// The queue of a job's handler calls, and how to reach its loop.
#[derive(Default)]
pub struct Dispatcher {
    queue: Mutex<Vec<Call>>,
    scheduled: AtomicBool,
    locals: OnceLock<TaskLocals>,
    /// `ferrocrawl._drain`.
    drain: OnceLock<Py<PyAny>>,
    /// This dispatcher as the Python object `drain` is called with.
    handle: OnceLock<Py<NativeDispatcher>>,
    wake: OnceLock<Wake>,
}

impl Dispatcher {
    /// Ties the dispatcher to the running loop; called once, on the loop's
    /// thread, when the job starts.
    pub fn bind(
        self: &Arc<Self>,
        py: Python<'_>,
        locals: TaskLocals,
        drain: Py<PyAny>,
    ) -> PyResult<()> {
        let handle = Py::new(
            py,
            NativeDispatcher {
                inner: Arc::clone(self),
            },
        )?;
        let event_loop = locals.event_loop(py);
        let wake = match UnixStream::pair().and_then(|(tx, rx)| {
            tx.set_nonblocking(true)?;
            rx.set_nonblocking(true)?;
            Ok((tx, rx))
        }) {
            Ok((tx, rx)) => {
                match event_loop
                    .call_method1("add_reader", (rx.as_raw_fd(), drain.bind(py), &handle))
                {
                    Ok(_) => Wake::Socket { tx, rx },
                    // A loop that can't watch sockets (Windows' proactor).
                    Err(_) => Wake::Threadsafe,
                }
            }
            Err(_) => Wake::Threadsafe,
        };
        let _ = self.wake.set(wake);
        let _ = self.locals.set(locals);
        let _ = self.drain.set(drain);
        let _ = self.handle.set(handle);
        Ok(())
    }

    /// Stops watching the socket; on the loop's thread, after the job.
    pub fn unbind(&self, py: Python<'_>) -> PyResult<()> {
        if let (Some(Wake::Socket { rx, .. }), Some(locals)) = (self.wake.get(), self.locals.get())
        {
            locals
                .event_loop(py)
                .call_method1("remove_reader", (rx.as_raw_fd(),))?;
        }
        Ok(())
    }

    /// Queues a call and wakes the loop unless a wake-up is pending. Takes
    /// the GIL only on a loop that can't watch sockets.
    pub fn push(&self, call: Call) -> Result<(), String> {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(call);
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        match self.wake.get() {
            Some(Wake::Socket { tx, .. }) => match (&*tx).write(&[1]) {
                // A full socket holds wake-ups already.
                Ok(_) => Ok(()),
                Err(e) if e.kind() == IoKind::WouldBlock => Ok(()),
                Err(e) => Err(format!("cannot wake the event loop: {e}")),
            },
            Some(Wake::Threadsafe) => {
                Python::attach(|py| self.schedule(py)).map_err(|e| e.to_string())
            }
            None => Err("the job's event loop is not known (a bug: please report it)".to_owned()),
        }
    }

    fn schedule(&self, py: Python<'_>) -> PyResult<()> {
        let (Some(locals), Some(drain), Some(handle)) =
            (self.locals.get(), self.drain.get(), self.handle.get())
        else {
            return Err(pyo3::exceptions::PyRuntimeError::new_err("no event loop"));
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item("context", locals.context(py))?;
        locals.event_loop(py).call_method(
            "call_soon_threadsafe",
            (drain.bind(py), handle.bind(py)),
            Some(&kwargs),
        )?;
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
    /// after this wakes the loop again.
    fn take<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        if let Some(Wake::Socket { rx, .. }) = self.inner.wake.get() {
            let mut buf = [0u8; 256];
            while matches!((&*rx).read(&mut buf), Ok(n) if n > 0) {}
        }
        self.inner.scheduled.store(false, Ordering::Release);
        let calls =
            std::mem::take(&mut *self.inner.queue.lock().unwrap_or_else(|p| p.into_inner()));
        let list = PyList::empty(py);
        for c in calls {
            let elapsed = c.response.timings.total.as_secs_f64();
            let ctx = NativeContext::new(&c.response, c.done);
            let response = Py::new(py, NativeResponse::ok(c.response, elapsed))?;
            list.append((c.func.clone_ref(py), response, Py::new(py, ctx)?))?;
        }
        Ok(list)
    }
}
