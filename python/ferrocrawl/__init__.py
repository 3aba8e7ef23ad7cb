"""ferrocrawl: a fast, polite, resumable crawler. The engine is Rust; your code is Python.

Fetch many URLs at once::

    import asyncio, ferrocrawl

    async def main():
        urls = [f"http://127.0.0.1:8090/delay/5?i={i}" for i in range(100)]
        results = await ferrocrawl.fetch(urls, concurrency=100, per_host=100)
        print(sum(r.ok for r in results), "ok")   # 100 ok, in about 5 s

    asyncio.run(main())

Crawl with handlers chosen by label, items into a database::

    router = ferrocrawl.Router()

    @router.route("list")
    async def parse_list(response, ctx):
        for book in response.json()["results"]:
            ctx.follow(f"/api/book/{book['id']}", "detail")
        if response.json()["next"]:
            ctx.follow(response.json()["next"], "list")

    @router.route("detail")
    def parse_detail(response, ctx):
        ctx.emit(response.json())

    job = ferrocrawl.Job(
        "books",
        start=[ferrocrawl.Request("http://127.0.0.1:8090/api/book/?limit=18&offset=0", label="list")],
        router=router,
        sinks=[{"to": "books.db", "key": "id"}],
        frontier="sqlite:books.state",
        settings={"concurrency": 64, "per_host": 64},
    )
    report = await job.run()

Everything that waits is awaitable and the event loop is never blocked:
fetching, politeness, the frontier and the sinks run on the engine's own
threads, and the GIL is held only to build and read Python objects.
"""

from __future__ import annotations

import asyncio
import atexit
import inspect
import logging
import os
from dataclasses import dataclass, field
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Generator,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import _native
from ._native import FerrocrawlError, SpiderFileError

__all__ = [
    "Context",
    "FerrocrawlError",
    "FetchCall",
    "HTTPError",
    "Job",
    "Request",
    "Response",
    "Router",
    "Selector",
    "SelectorList",
    "SpiderFileError",
    "fetch",
    "run_spider",
    "settings_help",
]

log = logging.getLogger("ferrocrawl")

# Lets the engine's threads leave Python before the interpreter finalizes.
atexit.register(_native._quiesce)

# Settings that are durations: a number is seconds.
_DURATIONS = ("delay", "max_crawl_delay", "timeout", "lease_ttl")


class HTTPError(FerrocrawlError):
    """A response with an error status (or no response), from :meth:`Response.raise_for_status`."""


@dataclass
class Request:
    """A request to fetch or follow.

    ``label`` picks the handler (as in Crawlee's router); ``data`` is passed on to
    that handler as ``ctx.data`` (Scrapy's ``cb_kwargs``). A relative ``url`` is
    resolved against the page that follows it.
    """

    url: str
    label: Optional[str] = None
    data: Optional[Dict[str, Any]] = None
    method: str = "GET"
    headers: Optional[Dict[str, str]] = None
    body: Optional[Union[bytes, str]] = None
    json: Any = None
    priority: int = 0
    dont_filter: bool = False


class Selector:
    """A piece of HTML (an element) or text, to select inside: what
    ``response.css("article")`` gives for each element.

    ``Selector(text, url)`` also selects in any text you have.
    """

    __slots__ = ("_text", "_url")

    def __init__(self, text: str, url: str = "http://localhost/") -> None:
        self._text = text
        self._url = url

    def css(self, query: str) -> "SelectorList":
        """CSS, with parsel's ``::text`` and ``::attr(name)``."""
        return _selected(_native.select_text(self._text, self._url, "css", query), "css", query, self._url)

    def xpath(self, query: str) -> "SelectorList":
        """XPath 1.0 (``//a/@href``, ``//h1/text()``)."""
        return _selected(_native.select_text(self._text, self._url, "xpath", query), "xpath", query, self._url)

    def jsonpath(self, query: str) -> "SelectorList":
        """JSONPath (RFC 9535), when the text is JSON."""
        return SelectorList(_native.select_text(self._text, self._url, "jsonpath", query))

    def re(self, pattern: str) -> List[str]:
        """Each match of a regular expression: its first group, or the whole match."""
        return list(_native.select_text(self._text, self._url, "re", pattern))

    def get(self) -> str:
        """The element's HTML."""
        return self._text

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        short = self._text if len(self._text) < 60 else self._text[:57] + "..."
        return f"<Selector {short!r}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Selector):
            return self._text == other._text
        return self._text == other


class SelectorList(list):
    """What a selector found: a list, with parsel's ``get()`` and ``getall()``.

    Text and attribute values are ``str``; elements (a CSS selector without
    ``::text``/``::attr``) are :class:`Selector` objects to select inside.
    """

    def get(self, default: Any = None) -> Any:
        """The first value (an element's HTML), or ``default``."""
        for v in self:
            return v.get() if isinstance(v, Selector) else v
        return default

    def getall(self) -> List[Any]:
        """Every value (elements as their HTML)."""
        return [v.get() if isinstance(v, Selector) else v for v in self]

    def css(self, query: str) -> "SelectorList":
        """Select inside each element, in order."""
        return SelectorList(x for v in self if isinstance(v, Selector) for x in v.css(query))

    def xpath(self, query: str) -> "SelectorList":
        return SelectorList(x for v in self if isinstance(v, Selector) for x in v.xpath(query))

    def re(self, pattern: str) -> List[str]:
        """Each value's matches of ``pattern``."""
        out: List[str] = []
        for v in self:
            out.extend(Selector(str(v)).re(pattern))
        return out


def _is_element_query(kind: str, query: str) -> bool:
    if kind == "css":
        return "::" not in query
    return False


def _selected(values: List[Any], kind: str, query: str, url: str) -> SelectorList:
    if kind == "css" and _is_element_query(kind, query):
        return SelectorList(Selector(v, url) for v in values)
    if kind == "xpath":
        return SelectorList(
            Selector(v, url) if isinstance(v, str) and v.startswith("<") and v.endswith(">") else v
            for v in values
        )
    return SelectorList(values)


class Response:
    """A response, or the error that took its place (``ok`` is false, ``error`` says why).

    ``text()`` is the body decoded by its charset (headers, BOM, ``<meta>``, or
    detection), ``json()`` parses it, and ``css``/``xpath``/``jsonpath``/``re``
    select in it with the engines of spider files.
    """

    __slots__ = ("_r",)

    def __init__(self, native: "_native.NativeResponse") -> None:
        self._r = native

    @property
    def url(self) -> str:
        """The final URL, after redirects."""
        return self._r.url

    @property
    def status(self) -> Optional[int]:
        """The HTTP status, or ``None`` if no response came."""
        return self._r.status

    @property
    def ok(self) -> bool:
        """A response came and its status is below 400."""
        return self._r.error is None and self._r.status is not None and self._r.status < 400

    @property
    def error(self) -> Optional[str]:
        """Why no response came (after the retries), or ``None``."""
        e = self._r.error
        return None if e is None else e[1]

    @property
    def error_kind(self) -> Optional[str]:
        """The error's kind (``timeout``, ``connect``, ...), or ``None``."""
        e = self._r.error
        return None if e is None else e[0]

    @property
    def headers(self) -> Dict[str, str]:
        """Header names in lower case; repeated headers joined by ``", "``."""
        return self._r.headers

    @property
    def body(self) -> bytes:
        return self._r.body

    @property
    def encoding(self) -> Optional[str]:
        """The charset the body was decoded with."""
        return self._r.encoding

    @property
    def request_url(self) -> str:
        """The URL that was asked for."""
        return self._r.request_url

    @property
    def label(self) -> Optional[str]:
        return self._r.label

    @property
    def data(self) -> Dict[str, Any]:
        """What the page that followed this one passed on (``data=``)."""
        return self._r.data

    @property
    def depth(self) -> int:
        return self._r.depth

    @property
    def elapsed(self) -> float:
        """Seconds from the first attempt's start to the end."""
        return self._r.elapsed

    def text(self) -> str:
        return self._r.text()

    def json(self) -> Any:
        return self._r.json()

    def css(self, query: str) -> SelectorList:
        """CSS with parsel's ``::text`` and ``::attr(name)``; elements are :class:`Selector`."""
        return _selected(self._r.select("css", query), "css", query, self.url)

    def xpath(self, query: str) -> SelectorList:
        """XPath 1.0 over the HTML."""
        return _selected(self._r.select("xpath", query), "xpath", query, self.url)

    def jsonpath(self, query: str) -> SelectorList:
        """JSONPath (RFC 9535) over the JSON body."""
        return SelectorList(self._r.select("jsonpath", query))

    def re(self, pattern: str) -> List[str]:
        """Each match in the text: its first group, or the whole match."""
        return list(self._r.select("re", pattern))

    def links(self) -> List[str]:
        """The page's links, absolute, as a crawl follows them."""
        return self._r.links()

    def main_text(self) -> str:
        """The page's main content as plain text: the article without
        navigation, ads or footers (blocks separated by blank lines)."""
        return self._r.main_text()

    def markdown(self) -> str:
        """The page's main content as Markdown: headings at their levels,
        lists, GFM tables, fenced code with its language, absolute links."""
        return self._r.markdown()

    def metadata(self) -> Dict[str, Optional[str]]:
        """Title, author, date, language, canonical URL and description."""
        return self._r.metadata()

    def urljoin(self, href: str) -> str:
        from urllib.parse import urljoin

        return urljoin(self.url, href)

    def raise_for_status(self) -> "Response":
        """Raise :class:`HTTPError` if no response came or its status is 400 or more."""
        if self._r.error is not None:
            raise HTTPError(f"{self.request_url}: {self.error}")
        if self.status is not None and self.status >= 400:
            raise HTTPError(f"{self.url} answered {self.status}")
        return self

    def __repr__(self) -> str:
        if self._r.error is not None:
            return f"<Response {self.request_url} error={self.error_kind}>"
        return f"<Response {self.status} {self.url}>"


class FetchCall:
    """The batch :func:`fetch` started: ``await`` it for every response in the
    order of the URLs, or ``async for`` over it for each as it completes."""

    def __init__(self, stream: "_native.FetchStream") -> None:
        self._stream = stream
        self._used = False

    def _take(self) -> "_native.FetchStream":
        if self._used:
            raise RuntimeError("a fetch() batch is read once: await it or iterate it, not both")
        self._used = True
        return self._stream

    def __len__(self) -> int:
        return self._stream.total

    async def _all(self) -> List[Response]:
        stream = self._take()
        out: List[Optional[Response]] = [None] * stream.total
        while True:
            batch = await stream.next_batch()
            if not batch:
                break
            for i, r in batch:
                out[i] = Response(r)
        return out  # type: ignore[return-value]

    def __await__(self) -> Generator[Any, None, List[Response]]:
        return self._all().__await__()

    def __aiter__(self) -> AsyncIterator[Response]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[Response]:
        stream = self._take()
        while True:
            batch = await stream.next_batch()
            if not batch:
                return
            for _, r in batch:
                yield Response(r)


def fetch(
    urls: Iterable[Union[str, Request]],
    *,
    concurrency: int = 100,
    per_host: int = 8,
    timeout: float = 30.0,
    retries: int = 2,
    headers: Optional[Mapping[str, str]] = None,
    user_agent: Optional[str] = None,
    proxy: Optional[str] = None,
    cookies: bool = False,
) -> FetchCall:
    """Fetch many URLs at once: ``concurrency`` in flight, ``per_host`` per host.

    ``await fetch(urls)`` gives one :class:`Response` per URL, in order; a URL that
    failed (after ``retries`` retries with backoff, honouring ``Retry-After``) gives a
    response with ``ok`` false and ``error`` set, never an exception. ``async for r in
    fetch(urls)`` gives each as it completes. ``proxy`` is an ``http://``,
    ``https://`` or ``socks5://`` URL; ``cookies=True`` keeps the cookies servers
    set, for the whole batch.
    """
    stream = _native.fetch_stream(
        list(urls),
        concurrency=concurrency,
        per_host=per_host,
        timeout=float(timeout),
        retries=retries,
        headers=dict(headers) if headers else None,
        user_agent=user_agent,
        proxy=proxy,
        cookies=cookies,
    )
    return FetchCall(stream)


class Context:
    """What a handler does with its page: ``emit`` items, ``follow`` requests."""

    __slots__ = ("_c", "response")

    def __init__(self, native: "_native.NativeContext", response: Response) -> None:
        self._c = native
        self.response = response

    @property
    def data(self) -> Dict[str, Any]:
        """What the page that followed this one passed on (``data=``)."""
        return self._c.data

    def emit(self, item: Mapping[str, Any]) -> None:
        """Emit an item (a dict). It is written with the page, exactly once."""
        self._c.emit(item)

    def follow(
        self,
        url: Union[str, Request],
        label: Optional[str] = None,
        *,
        data: Optional[Dict[str, Any]] = None,
        **request: Any,
    ) -> None:
        """Follow ``url`` (relative to this page) with ``label``, passing ``data`` on.

        Other keywords are :class:`Request` fields (``method``, ``headers``, ``body``,
        ``json``, ``priority``, ``dont_filter``). A :class:`Request` is followed as is.
        """
        if isinstance(url, Request):
            self._c.follow(url)
        else:
            self._c.follow(Request(url, label=label, data=data, **request))

    def follow_links(self, label: Optional[str] = None) -> int:
        """Follow every link on the page with ``label``; returns how many."""
        links = self.response.links()
        for href in links:
            self._c.follow(Request(href, label=label))
        return len(links)


Handler = Callable[[Response, Context], Any]


class Router:
    """Handlers by label, as in Crawlee::

        router = ferrocrawl.Router()

        @router.route("list")
        async def parse_list(response, ctx): ...

        @router.default
        def anything_else(response, ctx): ...

    Handlers may be plain functions or ``async def``; they may also ``yield`` items
    (dicts) and :class:`Request` objects, as Scrapy callbacks do.
    """

    def __init__(self) -> None:
        self.routes: Dict[str, Handler] = {}
        self.default_handler: Optional[Handler] = None

    def route(self, label: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.routes[label] = fn
            return fn

        return register

    def default(self, fn: Handler) -> Handler:
        self.default_handler = fn
        return fn


# Handler tasks still running, kept from the garbage collector.
_running: "set[asyncio.Future[None]]" = set()


def _drain(dispatcher: Any) -> None:
    """Runs the handler calls the engine queued (on the job's loop, in one
    wake-up): plain handlers in place, ``async def`` ones as tasks."""
    for fn, native_response, native_ctx in dispatcher.take():
        response = Response(native_response)
        ctx = Context(native_ctx, response)
        try:
            result = fn(response, ctx)
            if inspect.isawaitable(result) or inspect.isasyncgen(result):
                task = asyncio.ensure_future(_finish_async(fn, result, ctx))
                _running.add(task)
                task.add_done_callback(_running.discard)
                continue
            _returned(ctx, result)
        except Exception as e:
            _failed(fn, response, e)
            native_ctx.finish(e)
            continue
        native_ctx.finish(None)


async def _finish_async(fn: Handler, result: Any, ctx: Context) -> None:
    try:
        if inspect.isawaitable(result):
            result = await result
        if inspect.isasyncgen(result):
            async for out in result:
                _yielded(ctx, out)
        else:
            _returned(ctx, result)
    except BaseException as e:
        _failed(fn, ctx.response, e)
        ctx._c.finish(e)
        if not isinstance(e, Exception):
            raise
        return
    ctx._c.finish(None)


def _failed(fn: Handler, response: Response, e: BaseException) -> None:
    log.error(
        "handler %s raised on %s",
        getattr(fn, "__name__", fn),
        response.url,
        exc_info=(type(e), e, e.__traceback__),
    )


def _returned(ctx: Context, result: Any) -> None:
    """What a handler gave back: a generator, a list, an item or a request
    are outputs, as in a Scrapy callback; ``None`` is nothing."""
    if result is None:
        return
    if inspect.isgenerator(result) or isinstance(result, (list, tuple)):
        for out in result:
            _yielded(ctx, out)
    else:
        _yielded(ctx, result)


def _yielded(ctx: Context, out: Any) -> None:
    if isinstance(out, Request):
        ctx.follow(out)
    elif isinstance(out, Mapping):
        ctx.emit(out)
    elif out is not None:
        raise TypeError(
            f"a handler may yield or return dicts (items) and ferrocrawl.Request objects, not {type(out).__name__}"
        )


def _settings(settings: Optional[Mapping[str, Any]], overrides: Mapping[str, Any]) -> Dict[str, Any]:
    merged: Dict[str, Any] = dict(settings or {})
    merged.update(overrides)
    for key in _DURATIONS:
        v = merged.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            merged[key] = f"{round(v * 1000)}ms"
    return merged


class Job:
    """A whole crawl: start requests, handlers, settings, a frontier and sinks.

    - ``start``: URLs or :class:`Request` objects (with labels).
    - ``router``: a :class:`Router`; without one, the crawl follows links and
      records pages (``pages=``).
    - ``settings``: the settings of spider files' ``[settings]`` (see
      :func:`settings_help`), also as keywords: ``Job(..., concurrency=64)``.
      Durations are seconds or strings (``"500ms"``).
    - ``frontier``: ``"memory:"`` (default), ``"sqlite:PATH"`` (resumable: pause
      or kill it, run the same job again and it goes on, nothing lost or
      written twice), or ``"redis://HOST:PORT/DB"`` (many workers, one crawl).
    - ``sinks``: targets (``"books.db"``, ``"out.jsonl"``, ``"out.csv"``,
      ``"postgres://..."``) or dicts ``{"to", "key", "table", "rule"}``; with a
      ``key`` rows are upserted.
    - ``pages``: a JSON-lines file of every page (``"-"`` for stdout).

    ``await job.run()`` runs it and returns its report (a dict). Cancelling that
    task, or Ctrl-C under ``asyncio.run``, pauses the crawl: requests in flight
    finish and are committed, and a ``sqlite:`` job resumes where it stopped.
    ``async for item in job.items()`` runs it and streams its items, with
    backpressure. A job runs once.
    """

    def __init__(
        self,
        name: str = "job",
        *,
        start: Sequence[Union[str, Request]] = (),
        router: Optional[Router] = None,
        settings: Optional[Mapping[str, Any]] = None,
        frontier: str = "memory:",
        sinks: Sequence[Union[str, Mapping[str, Any]]] = (),
        pages: Optional[Union[str, "os.PathLike[str]"]] = None,
        failures: Optional[Union[str, "os.PathLike[str]"]] = None,
        save: Optional[Union[str, "os.PathLike[str]"]] = None,
        worker: Optional[str] = None,
        **setting_overrides: Any,
    ) -> None:
        router = router or Router()
        self._native = _native.NativeJob(
            name,
            start=list(start),
            routes=dict(router.routes),
            default=router.default_handler,
            settings=_settings(settings, setting_overrides),
            frontier=frontier,
            sinks=[s if isinstance(s, str) else dict(s) for s in sinks],
            pages=os.fspath(pages) if pages is not None else None,
            failures=os.fspath(failures) if failures is not None else None,
            save=os.fspath(save) if save is not None else None,
            drain=_drain,
            worker=worker,
        )
        self._run: Optional[asyncio.Future] = None
        self.report: Optional[Dict[str, Any]] = None

    @classmethod
    def _wrap(cls, native: Any) -> "Job":
        job = cls.__new__(cls)
        job._native = native
        job._run = None
        job.report = None
        return job

    def _ensure_started(self) -> "asyncio.Future[Dict[str, Any]]":
        if self._run is None:
            self._run = asyncio.ensure_future(self._native.run())
        return self._run

    async def run(self) -> Dict[str, Any]:
        """Run the crawl to its end (or until paused) and return its report."""
        run = self._ensure_started()
        try:
            self.report = await asyncio.shield(run)
        except asyncio.CancelledError:
            # Pause, as the CLI does on Ctrl-C: in-flight requests finish and
            # are committed, so the state resumes exactly where it stopped.
            self._native.pause()
            try:
                self.report = await run
            except Exception:  # the crawl's own error, if any, after the pause
                log.exception("the crawl failed while pausing")
            raise
        finally:
            if run.done():
                self._native.unbind()
        return self.report

    def pause(self) -> None:
        """Pause: no new requests; those in flight finish and are committed."""
        self._native.pause()

    def stats(self) -> Dict[str, int]:
        """Live counters: pages, failed, dropped, queued, items, bytes."""
        return self._native.stats()

    async def items(self, buffer: int = 64) -> AsyncIterator[Dict[str, Any]]:
        """Run the job and yield each item as its page is handled.

        At most ``buffer`` items wait for you: while they do, the crawl waits
        too, so a slow consumer slows the crawl and memory stays flat. After the
        last item, the report is in ``job.report`` (and ``await job.run()``
        returns it). Items also go to the sinks, if any.
        """
        stream = self._native.item_stream(buffer)
        run = self._ensure_started()
        try:
            while True:
                batch = await stream.next_batch()
                if not batch:
                    break
                for item in batch:
                    yield item
        finally:
            stream.close()
            if run.done():
                self._native.unbind()
            else:
                # Left early: the crawl goes on without the stream; stop
                # watching for its handler calls once it ends.
                run.add_done_callback(lambda _: self._native.unbind())
        self.report = await run


async def run_spider(
    path: Union[str, "os.PathLike[str]"],
    *,
    sink: Optional[str] = None,
    frontier: Optional[str] = None,
) -> Dict[str, Any]:
    """Run a spider file (``ferrocrawl run``'s TOML) and return its report.

    ``sink`` replaces its sinks (``"books.db"``, ``"postgres://..."``);
    ``frontier`` its state (by default ``NAME.state`` beside its first sink,
    so a paused or killed run resumes).
    """
    job = Job._wrap(_native.NativeJob.from_spider(os.fspath(path), sink=sink, frontier=frontier))
    return await job.run()


def settings_help() -> List[Tuple[str, str, str]]:
    """Every setting: ``(key, default, what it does)``."""
    return _native.settings_docs()
