"""Run the `nbd` spider in this process and return its crawl record.

The `crawl` and `demo` verbs use this; Scrapy's own `scrapy crawl nbd` is the same crawl.
Twisted's reactor starts once per process, so one process runs one crawl.
"""

from __future__ import annotations

import sys

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from newscrawler import config
from newscrawler.crawl.context import CrawlContext
from newscrawler.crawl.extensions import crawl_counts


def project_settings(overrides: dict | None = None):
    """The project's settings with the environment as it is now (settings.py read it when first
    imported, which a long-lived process or a test may have done under another environment)."""
    settings = get_project_settings()
    if not settings.get("BOT_NAME") or settings.get("BOT_NAME") == "scrapybot":
        settings.setmodule("newscrawler.crawl.settings", priority="project")
    settings.setdict(config.environment(), priority="project")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


class ProgressLine:
    """A one-line progress report on a terminal: pages, new articles, errors."""

    def __init__(self, crawler, stream=sys.stderr, interval: float = 1.0):
        self.crawler = crawler
        self.stream = stream
        self.interval = interval
        self._loop = None

    def line(self) -> str:
        get = self.crawler.stats.get_value
        return (f"pages {get('newscrawler/article_pages', 0)}  new {get('newscrawler/new', 0)}  "
                f"updated {get('newscrawler/updated', 0)}  rejected {get('newscrawler/rejected', 0)}  "
                f"errors {get('newscrawler/errors', 0)}")

    def start(self) -> None:
        from twisted.internet import task

        self._loop = task.LoopingCall(lambda: self.stream.write("\r" + self.line() + "   "))
        self._loop.start(self.interval, now=False)

    def stop(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
            self.stream.write("\r" + self.line() + "   \n")


def run_crawl(spider_args: dict, overrides: dict | None = None, progress: bool = False) -> dict:
    """Crawl with the `nbd` spider; returns {crawl_id, finish_reason, counts, stats}."""
    from scrapy import signals

    from newscrawler.crawl.spider import NbdSpider

    settings = project_settings(overrides)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NbdSpider)
    outcome: dict = {}
    line = ProgressLine(crawler) if progress else None

    def opened(spider):
        if line:
            line.start()

    def closed(spider, reason):
        if line:
            line.stop()
        outcome["finish_reason"] = reason
        outcome["stats"] = dict(crawler.stats.get_stats())

    crawler.signals.connect(opened, signal=signals.spider_opened)
    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler, **{k: v for k, v in spider_args.items() if v is not None})
    process.start()
    archive = CrawlContext.of(crawler).archive
    if crawler.stats is not None and "stats" in outcome:
        # The final stats: spider_closed handlers that ran after ours (monitoring, the crawl
        # record) added to them.
        outcome["stats"] = dict(crawler.stats.get_stats())
    stats = outcome.get("stats", {})
    counts = crawl_counts(stats)
    return {"crawl_id": archive.crawl_id, "finish_reason": outcome.get("finish_reason", "not started"),
            "counts": counts, "stats": stats}

