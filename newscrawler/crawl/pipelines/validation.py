"""Validation: a record without title, publish time or body never reaches the archive.

It is written to ``rejects`` with its URL, the reason and the crawl, counted in the crawl's
stats, and dropped; nothing disappears silently.
"""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newscrawler.crawl.context import CrawlContext

REQUIRED_FIELDS = ("article_id", "title", "published_at", "body_text")


class ValidationPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.archive = CrawlContext.of(crawler).archive

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @staticmethod
    def rejection_reason(adapter: ItemAdapter) -> str | None:
        error = adapter.get("extraction_error")
        if error:
            return f"{error.get('reason')}: {error.get('message')}"
        missing = [name for name in REQUIRED_FIELDS if not adapter.get(name)]
        return f"missing {', '.join(missing)}" if missing else None

    def process_item(self, item):
        adapter = ItemAdapter(item)
        reason = self.rejection_reason(adapter)
        if reason is None:
            return item
        url = adapter.get("url") or adapter.get("fetched_url")
        self.archive.reject(url, reason, adapter.get("article_id"))
        stats = self.crawler.stats
        stats.inc_value("newscrawler/rejected")
        code = (adapter.get("extraction_error") or {}).get("reason", "missing_fields")
        stats.inc_value(f"newscrawler/rejected/{code}")
        raise DropItem(f"rejected {url}: {reason}")
