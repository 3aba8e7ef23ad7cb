//! Handlers: the callbacks of a spider, chosen by a request's label.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ferrocrawl_core::{Error, ErrorKind, Request, Response, Result, Url};
use ferrocrawl_extract::{LinkOptions, extract_links};
use serde::Serialize;

/// A handler turns a response into items and new requests.
///
/// Handlers are plain functions: parsing is CPU work, and the engine does
/// all the waiting. Each runs in the page's own task, so handlers for
/// different pages run in parallel on every core.
pub type Handler = Arc<dyn Fn(&Response, &mut Context<'_>) -> Result<()> + Send + Sync>;

/// What an [`AsyncHandler`] made of a page: its items and the requests to
/// follow (scoped, deduplicated and given their depth like any link).
#[derive(Debug, Default)]
pub struct Handled {
    /// Items, each a JSON object.
    pub items: Vec<serde_json::Value>,
    /// Requests to follow.
    pub follow: Vec<Request>,
}

/// The future an [`AsyncHandler`] returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Handled>> + Send>>;

/// A handler that waits: it gets the response itself and may await other
/// work before it returns its [`Handled`] items and requests. This is how
/// handlers that live elsewhere run, such as Python ones on an asyncio loop:
/// the page's task waits for them without holding a thread.
pub type AsyncHandler = Arc<dyn Fn(Response) -> HandlerFuture + Send + Sync>;

/// One route's handler, plain or waiting.
#[derive(Clone)]
pub(crate) enum Route {
    Plain(Handler),
    Waiting(AsyncHandler),
}

/// Handlers by label, like Crawlee's `router.addHandler('DETAIL', …)`.
///
/// A request without a label, or with a label nothing is registered for,
/// goes to the default handler; without one, the engine follows the page's
/// links as in a plain crawl.
#[derive(Clone, Default)]
pub struct Router {
    handlers: HashMap<String, Route>,
    default: Option<Route>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut labels: Vec<&String> = self.handlers.keys().collect();
        labels.sort();
        f.debug_struct("Router")
            .field("labels", &labels)
            .field("default", &self.default.is_some())
            .finish()
    }
}

impl Router {
    /// An empty router.
    pub fn new() -> Router {
        Router::default()
    }

    /// Handle requests labelled `label` with `handler`.
    pub fn route<F>(mut self, label: impl Into<String>, handler: F) -> Router
    where
        F: Fn(&Response, &mut Context<'_>) -> Result<()> + Send + Sync + 'static,
    {
        self.handlers
            .insert(label.into(), Route::Plain(Arc::new(handler)));
        self
    }

    /// Handle requests labelled `label` with a handler that waits (see
    /// [`AsyncHandler`]).
    pub fn route_async(mut self, label: impl Into<String>, handler: AsyncHandler) -> Router {
        self.handlers.insert(label.into(), Route::Waiting(handler));
        self
    }

    /// Handle requests whose label has no handler of its own with a handler
    /// that waits.
    pub fn default_async(mut self, handler: AsyncHandler) -> Router {
        self.default = Some(Route::Waiting(handler));
        self
    }

    /// Handle requests whose label has no handler of its own.
    pub fn default_handler<F>(mut self, handler: F) -> Router
    where
        F: Fn(&Response, &mut Context<'_>) -> Result<()> + Send + Sync + 'static,
    {
        self.default = Some(Route::Plain(Arc::new(handler)));
        self
    }

    /// Whether no handler is registered (a plain crawl follows links).
    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty() && self.default.is_none()
    }

    /// The handler for `label`, if any.
    pub(crate) fn get(&self, label: Option<&str>) -> Option<&Route> {
        label
            .and_then(|l| self.handlers.get(l))
            .or(self.default.as_ref())
    }
}

/// What a handler can do with a response: emit items and follow requests.
pub struct Context<'a> {
    response: &'a Response,
    links: &'a LinkOptions,
    items: Vec<serde_json::Value>,
    follow: Vec<Request>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(response: &'a Response, links: &'a LinkOptions) -> Context<'a> {
        Context {
            response,
            links,
            items: Vec::new(),
            follow: Vec::new(),
        }
    }

    pub(crate) fn into_parts(self) -> (Vec<serde_json::Value>, Vec<Request>) {
        (self.items, self.follow)
    }

    /// The request being handled (its label, user data, depth…).
    pub fn request(&self) -> &Request {
        &self.response.request
    }

    /// Emit an item: anything that serializes to a JSON object.
    pub fn emit<T: Serialize + ?Sized>(&mut self, item: &T) -> Result<()> {
        let value = serde_json::to_value(item).map_err(|e| {
            Error::new(ErrorKind::Handler, format!("item does not serialize: {e}")).with_source(e)
        })?;
        if !value.is_object() {
            return Err(Error::new(
                ErrorKind::Handler,
                format!("an item must serialize to a JSON object, not {value}"),
            ));
        }
        self.items.push(value);
        Ok(())
    }

    /// Follow a request (any method, body, label, priority, user data). Its
    /// depth and referrer are filled in; it is deduplicated and scoped like
    /// any link.
    pub fn follow(&mut self, request: Request) {
        self.follow.push(request);
    }

    /// Follow `href` (relative to the response's URL) with `label`.
    pub fn follow_url(&mut self, href: &str, label: &str) -> Result<()> {
        let url = self.resolve(href)?;
        self.follow.push(Request::get(url).label(label));
        Ok(())
    }

    /// Follow every link on the (HTML) page with `label`, as a plain crawl
    /// would; returns how many.
    pub fn follow_links(&mut self, label: Option<&str>) -> usize {
        let page = extract_links(self.response.text(), &self.response.url, self.links);
        let n = page.links.len();
        for link in page.links {
            let mut r = Request::get(link.url);
            r.label = label.map(str::to_owned);
            self.follow.push(r);
        }
        n
    }

    /// `href` resolved against the response's final URL.
    pub fn resolve(&self, href: &str) -> Result<Url> {
        self.response.url.join(href.trim()).map_err(|e| {
            Error::new(
                ErrorKind::InvalidUrl,
                format!("cannot follow {href:?} from {}: {e}", self.response.url),
            )
        })
    }
}
