"""ferrocrawl.fetch: the seed's demo, errors as values, results as they complete."""

import asyncio
import time

import ferrocrawl


def test_100_delayed_requests_take_one_delay_not_a_hundred(testkit):
    # The seed's demo: 100 requests that each take 5 s, all in flight at once.
    urls = [f"{testkit}/delay/5?i={i}" for i in range(100)]

    async def main():
        started = time.monotonic()
        results = await ferrocrawl.fetch(urls, concurrency=100, per_host=100)
        return results, time.monotonic() - started

    results, took = asyncio.run(main())
    assert len(results) == 100
    assert all(r.ok and r.status == 200 for r in results), [r for r in results if not r.ok][:3]
    # In the order of the URLs.
    assert [r.url for r in results] == urls
    assert took <= 5.1, f"100 x /delay/5 took {took:.2f}s"


def test_async_for_yields_each_result_as_it_completes(testkit):
    urls = [f"{testkit}/delay/1", f"{testkit}/delay/0"]

    async def main():
        return [r.url async for r in ferrocrawl.fetch(urls, concurrency=2, per_host=2)]

    assert asyncio.run(main()) == [urls[1], urls[0]]


def test_a_failed_url_is_a_response_with_its_error_not_an_exception(testkit):
    async def main():
        return await ferrocrawl.fetch(
            ["http://127.0.0.1:1/refused", f"{testkit}/status/404", f"{testkit}/json"], retries=0
        )

    refused, missing, fine = asyncio.run(main())
    assert not refused.ok and refused.status is None
    assert refused.error_kind == "connect" and "127.0.0.1:1" in refused.error
    assert not missing.ok and missing.status == 404 and missing.error is None
    assert fine.ok and isinstance(fine.json(), dict)
    for bad in (refused, missing):
        try:
            bad.raise_for_status()
        except ferrocrawl.HTTPError:
            pass
        else:
            raise AssertionError(f"{bad!r} did not raise")


def test_a_malformed_url_is_a_clear_error(testkit):
    try:
        ferrocrawl.fetch(["not a url"])
    except ValueError as e:
        assert "not a URL" in str(e)
    else:
        raise AssertionError("a malformed URL was accepted")


def test_charsets_are_decoded(testkit):
    async def main():
        return await ferrocrawl.fetch(
            [f"{testkit}/charset/gbk/header", f"{testkit}/charset/shift_jis/meta", f"{testkit}/charset/latin1/none"]
        )

    gbk, sjis, latin1 = asyncio.run(main())
    assert gbk.encoding == "GBK", gbk.encoding
    assert sjis.encoding == "Shift_JIS", sjis.encoding
    assert latin1.encoding == "windows-1252", latin1.encoding
    for page in (gbk, sjis, latin1):
        assert "\ufffd" not in page.text(), page.text()[:200]


def test_selectors_are_the_spider_files_engines(testkit):
    async def main():
        return (await ferrocrawl.fetch([f"{testkit}/books/?page=1"]))[0]

    page = asyncio.run(main())
    assert page.css("title::text").get() == "Books, page 1"
    titles = page.css("article.book h3 a::attr(title)").getall()
    assert len(titles) == 20 and titles[0] == "The Quiet Compass 1"
    assert page.xpath("//li[@class='next']/a/@href").get() == "?page=2"
    assert page.re(r"£(\d+\.\d+)")[:2] == ["10.95", "21.35"]
    # Elements are selectors, as in parsel: select inside each.
    books = page.css("article.book")
    assert len(books) == 20
    assert [b.css("p.price::text").get() for b in books][:2] == ["£10.95", "£21.35"]
    assert page.css("nothing-here::text").get("none") == "none"
    assert f"{testkit}/books/1" in page.links()


def test_main_content_as_text_and_markdown(testkit):
    # A GBK page: the content comes out as correct UTF-8, boilerplate-free.
    async def main():
        return (await ferrocrawl.fetch([f"{testkit}/charset/gbk/header"]))[0]

    page = asyncio.run(main())
    text = page.main_text()
    assert "北京是中华人民共和国的首都" in text, text[:200]
    markdown = page.markdown()
    assert "北京是中华人民共和国的首都" in markdown and "\ufffd" not in markdown
    meta = page.metadata()
    assert set(meta) == {"title", "author", "date", "language", "canonical_url", "description"}
    assert meta["title"] == "Charset test page" or meta["title"] == "Sample text", meta


def test_cookies_and_headers_for_a_batch(testkit):
    async def main():
        return await ferrocrawl.fetch(
            [f"{testkit}/cookies/set?flavour=oat", f"{testkit}/headers"],
            concurrency=1,
            per_host=1,
            cookies=True,
            headers={"X-Demo": "yes"},
        )

    set_cookie, headers = asyncio.run(main())
    assert set_cookie.ok, set_cookie
    assert "yes" in headers.text().lower(), headers.text()[:300]
