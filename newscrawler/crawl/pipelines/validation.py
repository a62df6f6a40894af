"""Validation: a record without title, publish time or body never reaches the archive.

It is written to ``rejects`` with its URL, the reason's code and message and the crawl,
counted in the crawl's stats, and dropped; nothing disappears silently. The write runs in a
worker thread: MongoDB's answer (or its timeout, when it is down) is not waited for on the
reactor.
"""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from newscrawler.crawl.context import CrawlContext
from newscrawler.record import REQUIRED_FIELDS


class ValidationPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.archive = CrawlContext.of(crawler).archive

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @staticmethod
    def rejection(adapter: ItemAdapter) -> tuple[str, str] | None:
        """(code, message) of an item that must not be archived, else None."""
        error = adapter.get("extraction_error")
        if error:
            return error.get("code") or "extraction_failed", error.get("message") or ""
        missing = [name for name in REQUIRED_FIELDS if not adapter.get(name)]
        return ("missing_fields", f"missing {', '.join(missing)}") if missing else None

    async def process_item(self, item):
        adapter = ItemAdapter(item)
        rejection = self.rejection(adapter)
        if rejection is None:
            return item
        code, message = rejection
        url = adapter.get("url") or adapter.get("fetched_url")
        await maybe_deferred_to_future(deferToThread(self.archive.reject, url, code, message,
                                                     adapter.get("article_id")))
        raise DropItem(f"rejected {url}: {code}: {message}")
