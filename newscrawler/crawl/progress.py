"""A one-line progress report on a terminal: pages, new articles, errors (like Scrapy's LogStats,
but one line rewritten in place). On with NEWSCRAWLER_PROGRESS (`newscrawler crawl` sets it when
its output is a terminal)."""

from __future__ import annotations

import sys

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from newscrawler.crawl import stats as keys


class ProgressLine:
    def __init__(self, crawler, stream=sys.stderr, interval: float = 1.0):
        self.crawler = crawler
        self.stream = stream
        self.interval = interval
        self._loop = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSCRAWLER_PROGRESS"):
            raise NotConfigured
        line = cls(crawler)
        crawler.signals.connect(line.start, signal=signals.spider_opened)
        crawler.signals.connect(line.stop, signal=signals.spider_closed)
        return line

    def line(self) -> str:
        get = self.crawler.stats.get_value
        return (f"pages {get(keys.ARTICLE_PAGES, 0)}  new {get(keys.NEW, 0)}  "
                f"updated {get(keys.UPDATED, 0)}  rejected {get(keys.REJECTED, 0)}  "
                f"errors {get(keys.ERRORS, 0)}")

    def start(self, spider=None) -> None:
        self._loop = create_looping_call(lambda: self.stream.write("\r" + self.line() + "   "))
        self._loop.start(self.interval, now=False)

    def stop(self, spider=None, reason=None) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
            self.stream.write("\r" + self.line() + "   \n")
