//! `ferrocrawl._native`: the Rust half of the Python package.
//!
//! The engine (fetching, politeness, the frontier, resume, sinks) runs on a
//! tokio runtime of its own threads; Python code runs on the caller's
//! asyncio loop. Every call that waits returns an asyncio awaitable, so the
//! loop is never blocked, and the GIL is held only to build or read Python
//! objects. Python handlers are scheduled on the loop that started the job
//! (see `job.rs`), where plain and `async def` handlers both run.
//!
//! The public API is the pure-Python layer in `ferrocrawl/__init__.py`; this
//! module is its engine room, so names here start with `_` or are only
//! reached through that layer.

mod convert;
mod dispatch;
mod fetch;
mod job;
mod response;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pyo3::prelude::*;

/// Set once the engine's runtime has run anything for Python.
static USED: AtomicBool = AtomicBool::new(false);

/// Notes that the runtime's threads may call into Python from now on.
pub(crate) fn mark_used() {
    USED.store(true, Ordering::Relaxed);
}

/// Called at interpreter exit (`atexit`), before finalization starts.
///
/// The runtime's threads hand results to asyncio with the GIL held, and
/// CPython lets other threads run while they write to the loop's wake-up
/// pipe. If the main thread ends the program in that moment, the thread
/// wakes up into a finalizing interpreter, which kills it mid-Rust-frame (a
/// crash at exit). Releasing the GIL here for a moment lets every such
/// thread finish first.
#[pyfunction]
fn _quiesce(py: Python<'_>) {
    if USED.load(Ordering::Relaxed) {
        py.detach(|| std::thread::sleep(Duration::from_millis(50)));
    }
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<response::NativeResponse>()?;
    m.add_class::<job::NativeContext>()?;
    m.add_class::<job::NativeJob>()?;
    m.add_class::<job::ItemStream>()?;
    m.add_class::<dispatch::NativeDispatcher>()?;
    m.add_class::<fetch::FetchStream>()?;
    m.add_function(wrap_pyfunction!(fetch::fetch_stream, m)?)?;
    m.add_function(wrap_pyfunction!(response::select_text, m)?)?;
    m.add_function(wrap_pyfunction!(job::settings_docs, m)?)?;
    m.add_function(wrap_pyfunction!(_quiesce, m)?)?;
    m.add(
        "FerrocrawlError",
        m.py().get_type::<convert::FerrocrawlError>(),
    )?;
    m.add(
        "SpiderFileError",
        m.py().get_type::<convert::SpiderFileError>(),
    )?;
    Ok(())
}
