"""The seed's first demo, in Python: 100 requests to a 5-second endpoint, all
in flight at once, in about 5 s (a blocking client needs 500 s).

    cargo run --release -p ferrocrawl-testkit -- --addr 127.0.0.1:8090 &
    python examples/python/fetch_demo.py [http://127.0.0.1:8090]
"""

import asyncio
import sys
import time

import ferrocrawl


async def main(base: str) -> None:
    urls = [f"{base}/delay/5?i={i}" for i in range(100)]
    started = time.monotonic()
    results = await ferrocrawl.fetch(urls, concurrency=100, per_host=100)
    took = time.monotonic() - started
    ok = sum(r.ok for r in results)
    print(f"{ok}/{len(results)} ok in {took:.2f}s")
    for r in results:
        if not r.ok:
            print(f"  {r.request_url}: {r.error or r.status}", file=sys.stderr)

    # The same, each result as it completes.
    async for r in ferrocrawl.fetch(urls[:5], per_host=5):
        print(r.status, r.url, f"{r.elapsed:.2f}s")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8090"))
