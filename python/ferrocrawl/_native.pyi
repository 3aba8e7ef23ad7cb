"""Type stubs of the Rust extension module; the public API is ``ferrocrawl``."""

from os import PathLike
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple, Union

class FerrocrawlError(Exception):
    """A crawl, fetch or configuration error from the engine."""

class SpiderFileError(FerrocrawlError):
    """A spider file with mistakes, each with its line and column."""

class NativeResponse:
    url: str
    request_url: str
    status: Optional[int]
    method: str
    label: Optional[str]
    depth: int
    attempts: int
    elapsed: float
    data: Dict[str, Any]
    error: Optional[Tuple[str, str]]
    headers: Dict[str, str]
    body: bytes
    encoding: Optional[str]
    content_type: Optional[str]
    def text(self) -> str: ...
    def json(self) -> Any: ...
    def select(self, kind: str, expr: str) -> List[Any]: ...
    def links(self) -> List[str]: ...
    def main_text(self) -> str: ...
    def markdown(self) -> str: ...
    def metadata(self) -> Dict[str, Optional[str]]: ...

class NativeContext:
    url: str
    data: Dict[str, Any]
    def emit(self, item: Any) -> None: ...
    def follow(self, request: Any) -> None: ...
    def finish(self, exc: Optional[BaseException] = None) -> None: ...

class NativeDispatcher:
    def take(self) -> List[Tuple[Callable[..., Any], NativeResponse, NativeContext]]: ...

class ItemStream:
    def next_batch(self) -> Awaitable[List[Dict[str, Any]]]: ...
    def close(self) -> None: ...

class NativeJob:
    def __init__(
        self,
        name: str,
        *,
        start: Sequence[Any],
        routes: Dict[str, Callable[..., Any]],
        default: Optional[Callable[..., Any]],
        settings: Dict[str, Any],
        frontier: str,
        sinks: Sequence[Union[str, Dict[str, Any]]],
        pages: Optional[str],
        failures: Optional[str],
        save: Optional[str],
        drain: Callable[[NativeDispatcher], None],
        worker: Optional[str] = None,
    ) -> None: ...
    @staticmethod
    def from_spider(
        path: Union[str, "PathLike[str]"], *, sink: Optional[str] = None, frontier: Optional[str] = None
    ) -> "NativeJob": ...
    def item_stream(self, capacity: int) -> ItemStream: ...
    def run(self) -> Awaitable[Dict[str, Any]]: ...
    def pause(self) -> None: ...
    def unbind(self) -> None: ...
    def stats(self) -> Dict[str, int]: ...

class FetchStream:
    total: int
    def next_batch(self) -> Awaitable[List[Tuple[int, NativeResponse]]]: ...

def fetch_stream(
    requests: List[Any],
    *,
    concurrency: int = 100,
    per_host: int = 8,
    timeout: float = 30.0,
    retries: int = 2,
    headers: Optional[Dict[str, str]] = None,
    user_agent: Optional[str] = None,
    proxy: Optional[str] = None,
    cookies: bool = False,
) -> FetchStream: ...
def select_text(text: str, url: str, kind: str, expr: str) -> List[Any]: ...
def settings_docs() -> List[Tuple[str, str, str]]: ...
def _quiesce() -> None: ...
