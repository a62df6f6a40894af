"""The crawl's progress on a terminal, drawn by rich: article pages fetched, new and updated
articles as they are stored, rejected pages, errors, the time so far; for a backfill a bar of
the ids settled (or a date backfill's days of its window covered) with the rate and the time left. On with NEWSCRAWLER_PROGRESS (the crawl
verbs set it when standard error is a terminal, whether the log goes there or to a file).

While it shows, the log lines that go to the terminal (warnings, with the progress on) are
printed above it through rich's console, so they do not tear it. It is redrawn once a second
from the reactor (no thread of rich's own), and its last state stays on the screen when the
crawl ends, however it ends (the crawl runner stops it after a forced shutdown too).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from newscrawler.crawl import stats as keys


class ProgressLine:
    def __init__(self, crawler, console=None, interval: float = 1.0):
        self.crawler = crawler
        self.console = console
        self.interval = interval
        self._loop = None
        self._progress = None
        self._task = None
        self._proxied: list[tuple[logging.StreamHandler, object]] = []
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

    # -- what it shows (plain text: the tests read it) ----------------------------------------

    def counts(self) -> str:
        get = self.crawler.stats.get_value
        return (f"pages {get(keys.ARTICLE_PAGES, 0)}  new {get(keys.NEW, 0)}  "
                f"updated {get(keys.UPDATED, 0)}  rejected {get(keys.REJECTED, 0)}  "
                f"errors {get(keys.ERRORS, 0)}")

    def bar(self) -> tuple[float, int, str] | None:
        """(done, total, unit) of a backfill: ids settled of the range (earlier runs included),
        or a date backfill's days of the window its column walks reached; None for a crawl of
        columns (no end known beforehand)."""
        get = self.crawler.stats.get_value
        if get(keys.BACKFILL_TOTAL):
            return get(keys.BACKFILL_SETTLED, 0), get(keys.BACKFILL_TOTAL), "ids"
        if get(keys.BACKFILL_DAYS):
            return get(keys.BACKFILL_DAYS_COVERED, 0), get(keys.BACKFILL_DAYS), "days"
        return None

    def backfill_bar(self, done, total, unit: str) -> str:
        """``1200/5000 ids  19/min  ETA 3:20:00``: what is done of the total, this run's rate,
        and the time left at that rate (rich draws the bar itself)."""
        if self._first_settled is None:
            self._first_settled, self._started = done, time.monotonic()
        minutes = (time.monotonic() - self._started) / 60
        rate = (done - self._first_settled) / minutes if minutes > 0 else 0.0
        eta = str(dt.timedelta(seconds=round((total - done) / rate * 60))) if rate > 0 else "-"
        shown = (lambda n: f"{n:.0f}") if unit == "ids" else (lambda n: f"{n:.1f}".removesuffix(".0"))
        return f"{shown(done)}/{total} {unit}  {shown(rate)}/min  ETA {eta}"

    def line(self) -> str:
        bar = self.bar()
        return f"{self.backfill_bar(*bar)}  {self.counts()}" if bar else self.counts()

    # -- drawing ----------------------------------------------------------------------------------

    def start(self, spider=None) -> None:
        self.show()
        self._loop = create_looping_call(self.refresh)
        self._loop.start(self.interval, now=False)

    def show(self) -> None:
        """Put the progress on the terminal (redrawn by refresh())."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.console = self.console or Console(stderr=True)
        self._progress = Progress(SpinnerColumn(), BarColumn(bar_width=20), TextColumn("{task.fields[text]}"),
                                  TimeElapsedColumn(), console=self.console, auto_refresh=False,
                                  redirect_stdout=False, redirect_stderr=False)
        self._task = self._progress.add_task("crawl", total=None, text=self.line())
        self._progress.start()
        self._log_above()

    def refresh(self) -> None:
        if self._progress is None:
            return
        bar = self.bar()
        self._progress.update(self._task, text=self.line(), total=bar[1] if bar else None,
                              completed=bar[0] if bar else 0)
        self._progress.refresh()

    def stop(self, spider=None, reason=None) -> None:
        """The last state drawn and left on the screen; safe to call twice."""
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self._progress is None:
            return
        self.refresh()
        self._progress.stop()
        self._progress = None
        for handler, stream in self._proxied:
            handler.setStream(stream)
        self._proxied = []

    def _log_above(self) -> None:
        """The log handlers writing to this terminal print through rich's console (above the
        progress) while it shows; a log file is left as it is."""
        from rich.file_proxy import FileProxy

        for handler in logging.getLogger().handlers:
            stream = getattr(handler, "stream", None)
            if type(handler) is logging.StreamHandler and stream in (sys.stderr, sys.__stderr__) and stream.isatty():
                self._proxied.append((handler, stream))
                handler.setStream(FileProxy(self.console, stream))
