"""The books job in Scrapy, equivalent to examples/books.rs: walk the JSON
list API, fetch every detail, upsert each record into SQLite by id.

    scrapy runspider scrapy_books.py -a base=http://127.0.0.1:8090 -a db=books.db
"""
import json
import sqlite3

import scrapy


class SqliteUpsert:
    def open_spider(self, spider):
        self.db = sqlite3.connect(spider.db)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS books (id INTEGER PRIMARY KEY, doc TEXT)")

    def process_item(self, item, spider):
        self.db.execute("INSERT INTO books (id, doc) VALUES (?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                        (item["id"], json.dumps(dict(item))))
        return item

    def close_spider(self, spider):
        self.db.commit()
        self.db.close()


class Books(scrapy.Spider):
    name = "books"
    custom_settings = {
        "CONCURRENT_REQUESTS": 64,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 64,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": False,
        "LOG_LEVEL": "WARNING",
        "ITEM_PIPELINES": {__name__ + ".SqliteUpsert": 100},
    }

    def __init__(self, base="http://127.0.0.1:8090", db="books.db", **kw):
        super().__init__(**kw)
        self.base, self.db = base, db

    def start_requests(self):
        yield scrapy.Request(f"{self.base}/api/book/?limit=18&offset=0", callback=self.parse_list)

    def parse_list(self, response):
        page = json.loads(response.text)
        for book in page["results"]:
            yield response.follow(f"/api/book/{book['id']}", callback=self.parse_detail)
        if page["next"]:
            yield response.follow(page["next"], callback=self.parse_list)

    def parse_detail(self, response):
        yield json.loads(response.text)
