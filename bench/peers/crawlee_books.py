"""The books job in Crawlee for Python, equivalent to examples/books.rs and
examples/python/books.py: walk the JSON list API, fetch every detail, upsert
each record into SQLite by id. HttpCrawler (no browser), 64 in flight.

    python crawlee_books.py http://127.0.0.1:8090 books.db
"""
import asyncio
import inspect
import json
import sqlite3
import sys
from urllib.parse import urljoin

from crawlee import ConcurrencySettings, Request
from crawlee.crawlers import HttpCrawler, HttpCrawlingContext
from crawlee.router import Router

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8090"
db = sqlite3.connect(sys.argv[2] if len(sys.argv) > 2 else "books.db")
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE IF NOT EXISTS books (id INTEGER PRIMARY KEY, doc TEXT)")

router = Router[HttpCrawlingContext]()


async def body(context):
    data = context.http_response.read()
    if inspect.isawaitable(data):
        data = await data
    return json.loads(data)


@router.handler("LIST")
async def parse_list(context: HttpCrawlingContext) -> None:
    page = await body(context)
    await context.add_requests(
        [Request.from_url(f"{base}/api/book/{b['id']}", label="DETAIL") for b in page["results"]]
    )
    if page["next"]:
        await context.add_requests([Request.from_url(urljoin(context.request.url, page["next"]), label="LIST")])


@router.handler("DETAIL")
async def parse_detail(context: HttpCrawlingContext) -> None:
    book = await body(context)
    db.execute(
        "INSERT INTO books (id, doc) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
        (book["id"], json.dumps(book)),
    )


async def main() -> None:
    crawler = HttpCrawler(
        request_handler=router,
        concurrency_settings=ConcurrencySettings(min_concurrency=64, desired_concurrency=64, max_concurrency=64),
        max_request_retries=2,
    )
    await crawler.run([Request.from_url(f"{base}/api/book/?limit=18&offset=0", label="LIST")])
    db.commit()


asyncio.run(main())
