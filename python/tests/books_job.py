"""The books job with Python handlers, as a program: the kill -9 test runs it.

    python books_job.py BASE_URL OUT_DIR [FIRST_OFFSET]

Every detail record from FIRST_OFFSET on goes to OUT_DIR/books.jsonl (exactly
once: a JSON-lines file can't upsert, so a duplicate would show) and is
upserted by id into OUT_DIR/books.db; the state is OUT_DIR/books.state, so a
killed run resumes.
"""

import asyncio
import os
import sys

import ferrocrawl

router = ferrocrawl.Router()


@router.route("list")
async def parse_list(response, ctx):
    page = response.json()
    for book in page["results"]:
        ctx.follow(f"/api/book/{book['id']}", "detail", data={"list": response.url})
    if page["next"]:
        ctx.follow(page["next"], "list")


@router.route("detail")
def parse_detail(response, ctx):
    book = response.json()
    book["list"] = ctx.data["list"]
    yield book


def job(base, out, first=0, **settings):
    return ferrocrawl.Job(
        "books",
        start=[ferrocrawl.Request(f"{base}/api/book/?limit=18&offset={first}", label="list")],
        router=router,
        sinks=[
            {"to": os.path.join(out, "books.db"), "key": "id", "table": "books"},
            {"to": os.path.join(out, "books.jsonl")},
        ],
        failures=os.path.join(out, "books.failures.jsonl"),
        frontier="sqlite:" + os.path.join(out, "books.state"),
        settings={"concurrency": 32, "per_host": 32, **settings},
    )


if __name__ == "__main__":
    base, out = sys.argv[1], sys.argv[2]
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    report = asyncio.run(job(base, out, first).run())
    print(report["items_written"], report["pages"], report["state"], flush=True)
