"""What the components of one crawl share: its id, its archive session, its coverage tally.

Scrapy hands every component the crawler; the context hangs on it as one attribute, made by
whichever component asks first. The archive session opens on first use, so components that need
only the crawl id (the WARC writer, the Redis scheduler) never start a MongoDB connection.
"""

from __future__ import annotations

from newscrawler.store.session import CrawlArchive
from newscrawler.timeutil import new_run_id


class CoverageTally:
    """The fields of each article that reached the archive in this crawl (article id -> bits)."""

    def __init__(self) -> None:
        self.fields: dict[int, int] = {}

    def add(self, article_id: int, mask: int) -> None:
        self.fields[article_id] = mask


class CrawlContext:
    def __init__(self, crawler):
        self.crawler = crawler
        self.crawl_id = new_run_id()
        self.coverage = CoverageTally()
        self._archive: CrawlArchive | None = None
        # The WARC middleware, when the page archive is on: the MongoDB pipeline asks it to make
        # a batch's records durable before the articles pointing to them are written.
        self.page_archive = None

    @property
    def archive(self) -> CrawlArchive:
        if self._archive is None:
            self._archive = CrawlArchive(self.crawler.settings, self.crawler, crawl_id=self.crawl_id)
        return self._archive

    @classmethod
    def of(cls, crawler) -> "CrawlContext":
        context = getattr(crawler, "newscrawler_context", None)
        if context is None:
            context = crawler.newscrawler_context = cls(crawler)
        return context
