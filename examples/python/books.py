"""The seed's main job, in Python: a paginated JSON list API, every detail
record, upserted by id into SQLite (or PostgreSQL). Run it twice: still
10,000 rows. Kill it (or Ctrl-C): run it again and it resumes.

    cargo run --release -p ferrocrawl-testkit -- --addr 127.0.0.1:8090 &
    python examples/python/books.py [http://127.0.0.1:8090] [books.db | postgres://...]
"""

import asyncio
import sys

import ferrocrawl

router = ferrocrawl.Router()


@router.route("list")
async def parse_list(response, ctx):
    page = response.json()
    for book in page["results"]:
        ctx.follow(f"/api/book/{book['id']}", "detail", data={"list_page": response.url})
    if page["next"]:
        ctx.follow(page["next"], "list")


@router.route("detail")
def parse_detail(response, ctx):
    book = response.json()
    book["list_page"] = ctx.data["list_page"]  # passed on by the list page (cb_kwargs)
    yield book


async def main(base: str, target: str) -> None:
    job = ferrocrawl.Job(
        "books",
        start=[ferrocrawl.Request(f"{base}/api/book/?limit=18&offset=0", label="list")],
        router=router,
        sinks=[{"to": target, "key": "id", "table": "books"}],
        frontier="sqlite:books-py.state",  # resumable
        concurrency=64,
        per_host=64,
    )
    report = await job.run()
    print(
        f"{report['items_written']} books into {target} from {report['pages']} pages "
        f"in {report['elapsed']:.1f}s, {report['failures']} failures",
        file=sys.stderr,
    )
    sys.exit(1 if report["failures"] else 0)


if __name__ == "__main__":
    args = sys.argv[1:] + [None, None]
    asyncio.run(main(args[0] or "http://127.0.0.1:8090", args[1] or "books.db"))
