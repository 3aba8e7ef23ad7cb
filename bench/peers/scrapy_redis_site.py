"""scrapy-redis on testkit's generated site, for bench/distributed-peer.sh
(issue 13: scrapy-redis through the worker-kill test of
crates/cli/tests/distributed_chaos.rs, as a peer).

One worker process:

    python scrapy_redis_site.py WORKER_NAME

with the environment:

    REDIS_URL    redis://127.0.0.1:PORT/0 (required)
    OUT_DIR      where items.WORKER_NAME.jsonl is appended (default .)
    SITE_PREFIX  the site's path prefix to stay within, e.g. /site/5000/10/
    DELAY        DOWNLOAD_DELAY in seconds (default 0.024, see below)
    IDLE_CLOSE   seconds without a response, with nothing to fetch, before
                 the worker closes (default 10, see below)

The crawl is seeded by pushing {"url": ...} onto the list `site:start_urls`
(scrapy-redis's RedisSpider reads its start URLs there).

What it uses of scrapy-redis, unchanged: its scheduler and dupefilter
(`scrapy_redis.scheduler.Scheduler`, `scrapy_redis.dupefilter.RFPDupeFilter`),
its default queue (`scrapy_redis.queue.PriorityQueue`, a sorted set popped
with ZRANGE + ZREMRANGEBYRANK in MULTI/EXEC), SCHEDULER_PERSIST = True
(a restarted worker finds the queue and the fingerprints where they were).

Pace: ours (the chaos test) runs `concurrency = 8, per_host = 8,
delay = "6ms"` per worker with the host's delay shared by the four workers
through Redis, about 170 pages/s at the site. Scrapy's delay is per process,
so each worker here has DOWNLOAD_DELAY = 4 x 6 ms = 0.024 s (randomized
0.5-1.5x, as ours), CONCURRENT_REQUESTS = CONCURRENT_REQUESTS_PER_DOMAIN = 8:
the four together reach the site at the same ~170 pages/s.

Ending: a RedisSpider never closes by default (MAX_IDLE_TIME_BEFORE_CLOSE
= 0). scrapy-redis 0.9.1's MAX_IDLE_TIME_BEFORE_CLOSE counts from the moment
the class was imported or the start-URL list was last non-empty, not from the
worker's last activity, so a worker busy for longer than the limit would close
at its first idle moment, even while the others are still finding links. So
this spider keeps MAX_IDLE_TIME_BEFORE_CLOSE = IDLE_CLOSE but moves scrapy-redis's
own idle clock (`spider_idle_start_time`) to every response it receives: a
worker ends once it has had nothing to fetch from Redis and no response for
IDLE_CLOSE seconds (Scrapy checks idleness every 5 s, so 10-15 s in practice).
"""

import json
import os
import sys
import time

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy_redis.spiders import RedisSpider

WORKER = sys.argv[1] if len(sys.argv) > 1 else "w0"
OUT_DIR = os.environ.get("OUT_DIR", ".")
PREFIX = os.environ.get("SITE_PREFIX", "/site/")
IDLE_CLOSE = int(os.environ.get("IDLE_CLOSE", "10"))


class SitePipeline:
    """One JSON line per item, appended and flushed at once (a SIGKILL loses
    at most the line being written)."""

    def open_spider(self, spider):
        path = os.path.join(OUT_DIR, f"items.{WORKER}.jsonl")
        self.f = open(path, "a", encoding="utf-8")

    def close_spider(self, spider):
        self.f.close()

    def process_item(self, item, spider):
        self.f.write(json.dumps(item) + "\n")
        self.f.flush()
        return item


class SiteSpider(RedisSpider):
    name = "site"
    redis_key = "site:start_urls"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.spider_idle_start_time = int(time.time())
        crawler.signals.connect(spider._busy, signal=signals.response_received)
        return spider

    def _busy(self, *args, **kwargs):
        # scrapy-redis's idle clock, restarted by every response.
        self.spider_idle_start_time = int(time.time())

    def parse(self, response):
        yield {
            "url": response.url,
            "title": response.css("h1::text").get(),
            "worker": WORKER,
        }
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if url.split("://", 1)[-1].split("/", 1)[-1].startswith(PREFIX.lstrip("/")):
                yield scrapy.Request(url, callback=self.parse)


def main():
    settings = {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "REDIS_URL": os.environ["REDIS_URL"],
        "MAX_IDLE_TIME_BEFORE_CLOSE": IDLE_CLOSE,
        "ROBOTSTXT_OBEY": False,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "DOWNLOAD_DELAY": float(os.environ.get("DELAY", "0.024")),
        "RANDOMIZE_DOWNLOAD_DELAY": True,
        "RETRY_ENABLED": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "ITEM_PIPELINES": {SitePipeline: 100},
    }
    process = CrawlerProcess(settings)
    process.crawl(SiteSpider)
    process.start()


if __name__ == "__main__":
    main()
