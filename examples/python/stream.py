"""Stream a crawl's items into your own code, with backpressure: while this
loop is busy, the crawl waits (memory stays flat).

    python examples/python/stream.py [http://127.0.0.1:8090]
"""

import asyncio
import sys

import ferrocrawl

router = ferrocrawl.Router()


@router.route("page")
def books_on_page(response, ctx):
    for book in response.css("article.book"):
        yield {
            "title": book.css("h3 a::attr(title)").get(),
            "price": book.css("p.price::text").re(r"[\d.]+")[0],
            "url": response.urljoin(book.css("h3 a::attr(href)").get()),
        }
    next_page = response.css("li.next a::attr(href)").get()
    if next_page:
        yield ferrocrawl.Request(response.urljoin(next_page), label="page")


async def main(base: str) -> None:
    job = ferrocrawl.Job("stream", start=[ferrocrawl.Request(f"{base}/books/?page=1", label="page")], router=router)
    cheap = 0
    async for book in job.items(buffer=64):
        if float(book["price"]) < 10:
            cheap += 1
    print(f"{cheap} books under £10; {job.report['pages']} pages")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8090"))
