"""ferrocrawl.Job with Python handlers: the books job, exactly once, a good asyncio citizen."""

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

import ferrocrawl

sys.path.insert(0, os.path.dirname(__file__))
import books_job  # noqa: E402

BOOKS = 10_000


def rows(db):
    with sqlite3.connect(db) as c:
        return c.execute("select count(*), count(distinct id) from books").fetchone()


def jsonl_ids(path, writing=False):
    """The ids in a JSON-lines file. `writing`: a process is appending to it,
    so a last line without its newline yet is not read."""
    with open(path) as f:
        lines = f.read().split("\n")
    if writing:
        lines = lines[:-1]
    return [json.loads(line)["id"] for line in lines if line.strip()]


def test_books_job_into_sqlite_twice_without_duplicates_and_the_loop_keeps_ticking(testkit, tmp_path):
    """The seed's job with Python handlers: 10,556 requests, 10,000 rows, twice.

    Meanwhile an asyncio.sleep(0.01) ticker keeps ticking: the loop is never blocked.
    """
    gaps = []

    async def main():
        stop = asyncio.Event()

        async def ticker():
            last = time.monotonic()
            while not stop.is_set():
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        report = await books_job.job(testkit, str(tmp_path)).run()
        stop.set()
        await tick
        return report

    first = asyncio.run(main())
    assert first["pages"] == 10_556 and first["failed"] == 0, first
    assert first["items_written"] == BOOKS and first["failures"] == 0, first
    assert first["state"] == "removed" and not os.path.exists(tmp_path / "books.state")
    assert rows(tmp_path / "books.db") == (BOOKS, BOOKS)
    # The ticker ran all along: no gap anywhere near a blocked loop.
    assert len(gaps) > 100, len(gaps)
    assert max(gaps) < 0.5, f"the event loop was blocked for {max(gaps):.3f}s"
    book = sqlite3.connect(tmp_path / "books.db").execute("select * from books limit 1").fetchone()
    assert book is not None

    # A second run updates every row: still 10,000, none twice.
    os.remove(tmp_path / "books.jsonl")
    second = asyncio.run(books_job.job(testkit, str(tmp_path)).run())
    assert second["items_written"] == BOOKS, second
    assert rows(tmp_path / "books.db") == (BOOKS, BOOKS)


def test_kill_9_and_resume_writes_every_item_exactly_once(testkit, tmp_path):
    first = 8_000  # 2,000 books: enough pages to kill it in the middle
    script = os.path.join(os.path.dirname(__file__), "books_job.py")
    out = tmp_path / "books.jsonl"
    total = BOOKS - first
    kills = 0
    for _ in range(3):
        before = len(jsonl_ids(out, writing=True)) if out.exists() else 0
        # Kill only in the middle: near the end the job may be finishing
        # (its state already removed) when the signal lands.
        target = before + 200
        if target > total - 300:
            break
        proc = subprocess.Popen([sys.executable, script, testkit, str(tmp_path), str(first)])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and len(jsonl_ids(out, writing=True)) >= target:
                break
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        written = len(jsonl_ids(out, writing=True)) if out.exists() else 0
        assert os.path.exists(tmp_path / "books.state") or written == total, (proc.returncode, written)
    assert kills >= 1, "the job ended before it could be killed"
    # Then run to the end.
    done = subprocess.run([sys.executable, script, testkit, str(tmp_path), str(first)], timeout=300)
    assert done.returncode == 0
    ids = jsonl_ids(out)
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} items written twice"
    assert sorted(ids) == list(range(first + 1, BOOKS + 1))
    assert rows(tmp_path / "books.db") == (BOOKS - first, BOOKS - first)


def test_cancelling_the_task_pauses_and_the_job_resumes(testkit, tmp_path):
    async def main():
        job = books_job.job(testkit, str(tmp_path), 8_000)
        task = asyncio.create_task(job.run())
        while job.stats()["items"] < 300:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return job.report

    paused = asyncio.run(main())
    assert paused is not None and paused["stopped"] and paused["state"] == "kept", paused
    assert 0 < paused["items_written"] < 2_000
    assert os.path.exists(tmp_path / "books.state")

    resumed = asyncio.run(books_job.job(testkit, str(tmp_path), 8_000).run())
    assert resumed["resumed"], resumed
    assert paused["items_written"] + resumed["items_written"] == 2_000, (paused, resumed)
    ids = jsonl_ids(tmp_path / "books.jsonl")
    assert len(ids) == len(set(ids)) == 2_000


def test_a_handler_exception_fails_its_page_with_the_traceback_and_the_crawl_goes_on(testkit, tmp_path):
    router = ferrocrawl.Router()

    @router.route("list")
    def parse_list(response, ctx):
        for book in response.json()["results"]:
            ctx.follow(f"/api/book/{book['id']}", "detail")

    @router.route("detail")
    async def parse_detail(response, ctx):
        book = response.json()
        if book["id"] % 3 == 0:
            raise ValueError(f"no thirds, please: {book['id']}")
        ctx.emit(book)

    pages = tmp_path / "pages.jsonl"
    job = ferrocrawl.Job(
        "errors",
        start=[ferrocrawl.Request(f"{testkit}/api/book/?limit=30&offset=0", label="list")],
        router=router,
        sinks=[str(tmp_path / "items.jsonl")],
        pages=str(pages),
    )
    report = asyncio.run(job.run())
    assert report["failed"] == 10 and report["items_written"] == 20, report
    assert report["failures"] >= 10
    failed = [json.loads(line) for line in open(pages) if '"error"' in line]
    failed = [f for f in failed if f.get("error")]
    assert len(failed) == 10
    message = failed[0]["error"]["message"]
    assert "ValueError: no thirds, please" in message, message
    assert "parse_detail" in message and "Traceback" in message, message
    assert "handler `detail`" in message


def test_items_stream_with_backpressure(testkit):
    """A slow consumer slows the crawl: the crawl never runs far ahead of it."""
    router = ferrocrawl.Router()

    @router.route("list")
    def parse_list(response, ctx):
        page = response.json()
        for book in page["results"]:
            ctx.emit(book)
        if page["next"]:
            ctx.follow(page["next"], "list")

    async def main():
        job = ferrocrawl.Job(
            "stream",
            start=[ferrocrawl.Request(f"{testkit}/api/book/?limit=10&offset=0", label="list")],
            router=router,
            concurrency=8,
            per_host=8,
        )
        seen = 0
        ahead = []
        async for item in job.items(buffer=16):
            seen += 1
            await asyncio.sleep(0.002)
            ahead.append(job.stats()["items"] - seen)
            if seen == 300:
                break
        job.pause()
        report = await job.run()
        return seen, ahead, report

    seen, ahead, report = asyncio.run(main())
    assert seen == 300
    # Items emitted but not yet consumed stay bounded by the buffer and the
    # pages in flight (8 pages x 10 items), never the whole catalogue.
    assert max(ahead) <= 16 + 8 * 10 + 10, max(ahead)
    assert report["stopped"] and report["items"] < 1_000, report


def test_items_stream_gives_every_item_then_the_report(testkit):
    router = ferrocrawl.Router()

    @router.route("list")
    def parse_list(response, ctx):
        for book in response.json()["results"]:
            yield ferrocrawl.Request(f"/api/book/{book['id']}", label="detail")

    @router.route("detail")
    def parse_detail(response, ctx):
        yield response.json()

    async def main():
        job = ferrocrawl.Job(
            "stream",
            start=[ferrocrawl.Request(f"{testkit}/api/book/?limit=50&offset=0", label="list")],
            router=router,
        )
        ids = [item["id"] async for item in job.items()]
        return ids, job.report

    ids, report = asyncio.run(main())
    assert sorted(ids) == list(range(1, 51))
    assert report["pages"] == 51


def test_run_spider_runs_a_spider_file(testkit, tmp_path):
    spider = tmp_path / "books.toml"
    spider.write_text(
        f"""
name = "books"
start = [{{ url = "{testkit}/api/book/?limit=100&offset=9800", label = "list" }}]
[rules.list]
follow = [{{ jsonpath = "$.results[*].id", template = "/api/book/{{}}", label = "book" }}]
[rules.book]
items = {{ jsonpath = "$" }}
key = "id"
[sink]
to = "{tmp_path / 'books.db'}"
table = "books"
"""
    )
    report = asyncio.run(ferrocrawl.run_spider(spider))
    assert report["items_written"] == 100 and report["failures"] == 0, report
    assert rows(tmp_path / "books.db") == (100, 100)


def test_mistakes_are_clear_errors(testkit, tmp_path):
    with pytest.raises(ValueError, match="concurency"):
        ferrocrawl.Job("x", start=[testkit], settings={"concurency": 5})
    with pytest.raises(ValueError, match="not a URL"):
        ferrocrawl.Job("x", start=["nope"])
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nstart = 5\n')
    with pytest.raises(ferrocrawl.SpiderFileError, match=r"bad.toml:2:9: this takes a URL"):
        asyncio.run(ferrocrawl.run_spider(bad))

    async def twice():
        job = ferrocrawl.Job("once", start=[f"{testkit}/json"])
        await job.run()
        await job.run()  # the same report: a job runs once

    asyncio.run(twice())

    async def again():
        job = ferrocrawl.Job("once", start=[f"{testkit}/json"])
        await job.run()
        job._run = None
        await job.run()

    with pytest.raises(RuntimeError, match="runs once"):
        asyncio.run(again())


def test_ctrl_c_pauses_the_job_and_it_resumes(testkit, tmp_path):
    """SIGINT under asyncio.run cancels the main task: the job pauses (in-flight
    pages finish and are committed) and the next run goes on from there."""
    script = os.path.join(os.path.dirname(__file__), "books_job.py")
    out = tmp_path / "books.jsonl"
    proc = subprocess.Popen([sys.executable, script, testkit, str(tmp_path), "8000"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out.exists() and len(jsonl_ids(out, writing=True)) >= 200):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0, "an interrupted job must not exit 0"
    assert "KeyboardInterrupt" in err, err[-2000:]
    assert os.path.exists(tmp_path / "books.state"), "the paused job's state is kept"
    before = len(jsonl_ids(out, writing=True))
    assert 0 < before < 2_000
    done = subprocess.run([sys.executable, script, testkit, str(tmp_path), "8000"], timeout=300)
    assert done.returncode == 0
    ids = jsonl_ids(out)
    assert len(ids) == len(set(ids)) == 2_000


def test_handlers_may_return_or_yield_items_and_requests_as_scrapy_callbacks_do(testkit):
    router = ferrocrawl.Router()

    @router.route("list")
    def parse_list(response, ctx):
        return [ferrocrawl.Request(f"/api/book/{b['id']}", label=f"detail{b['id'] % 3}") for b in response.json()["results"]]

    @router.route("detail0")
    def returns_an_item(response, ctx):
        return response.json()

    @router.route("detail1")
    async def async_returns_an_item(response, ctx):
        await asyncio.sleep(0)
        return response.json()

    @router.route("detail2")
    async def async_generator(response, ctx):
        yield response.json()

    @router.default
    def wrong(response, ctx):
        return 42

    async def main():
        job = ferrocrawl.Job(
            "returns",
            start=[
                ferrocrawl.Request(f"{testkit}/api/book/?limit=9&offset=0", label="list"),
                ferrocrawl.Request(f"{testkit}/json", label="other"),
            ],
            router=router,
        )
        ids = sorted([item["id"] async for item in job.items()])
        return ids, job.report

    ids, report = asyncio.run(main())
    assert ids == list(range(1, 10))
    # Returning something that is neither an item nor a request fails the page.
    assert report["failed"] == 1, report
