"""A one-line progress report on a terminal: pages, new articles, errors (like Scrapy's LogStats,
but one line rewritten in place). On with NEWSCRAWLER_PROGRESS (`newscrawler crawl` sets it when
its output is a terminal)."""

from __future__ import annotations

import datetime as dt
import sys
import time

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
        self._first_settled = None  # backfill ids settled when first shown (the rate counts from there)
        self._started = 0.0

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
        line = (f"pages {get(keys.ARTICLE_PAGES, 0)}  new {get(keys.NEW, 0)}  "
                f"updated {get(keys.UPDATED, 0)}  rejected {get(keys.REJECTED, 0)}  "
                f"errors {get(keys.ERRORS, 0)}")
        if get(keys.BACKFILL_TOTAL):
            return self.backfill_bar(get(keys.BACKFILL_SETTLED, 0), get(keys.BACKFILL_TOTAL), "ids") + line
        if get(keys.BACKFILL_DAYS):  # a date backfill: how far back its column walks reached
            return self.backfill_bar(get(keys.BACKFILL_DAYS_COVERED, 0), get(keys.BACKFILL_DAYS), "days") + line
        return line

    def backfill_bar(self, done, total, unit: str) -> str:
        """``[#####     ] 1200/5000 ids  19/min  ETA 3:20:00  ``: ids settled (earlier runs of
        the range included), or a date backfill's days of the window covered; this run's rate,
        and the time left at that rate."""
        if self._first_settled is None:
            self._first_settled, self._started = done, time.monotonic()
        minutes = (time.monotonic() - self._started) / 60
        rate = (done - self._first_settled) / minutes if minutes > 0 else 0.0
        eta = str(dt.timedelta(seconds=round((total - done) / rate * 60))) if rate > 0 else "-"
        filled = min(20, int(20 * done / total)) if total else 0
        shown = (lambda n: f"{n:.0f}") if unit == "ids" else (lambda n: f"{n:.1f}".removesuffix(".0"))
        return (f"[{'#' * filled}{' ' * (20 - filled)}] {shown(done)}/{total} {unit}  {shown(rate)}/min  "
                f"ETA {eta}  ")

    def start(self, spider=None) -> None:
        self._loop = create_looping_call(lambda: self.stream.write("\r" + self.line() + "   "))
        self._loop.start(self.interval, now=False)

    def stop(self, spider=None, reason=None) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
            self.stream.write("\r" + self.line() + "   \n")
