"""Run the `nbd` spider in this process and return its crawl record.

The `crawl` and `demo` verbs use this; Scrapy's own `scrapy crawl nbd` is the same crawl.
Twisted's reactor starts once per process, so one process runs one crawl.
"""

from __future__ import annotations

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from newscrawler import config
from newscrawler.crawl import stats as keys
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


def run_crawl(spider_args: dict, overrides: dict | None = None, progress: bool = False,
              spider_class=None, alerts_in_summary: bool = False) -> dict:
    """Crawl with the `nbd` spider (or ``spider_class``); returns {crawl_id, finish_reason, counts, stats}.

    ``alerts_in_summary``: the caller prints the alerts when the crawl ends, so a log that goes
    to the terminal leaves its ``ALERT`` lines out (a log file keeps them)."""
    from scrapy import signals

    from newscrawler.crawl.spider import NbdSpider

    settings = project_settings({**(overrides or {}), "NEWSCRAWLER_PROGRESS": progress})
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_class or NbdSpider)
    outcome: dict = {}

    def closed(spider, reason):
        outcome["finish_reason"] = reason
        outcome["stats"] = dict(crawler.stats.get_stats())

    crawler.signals.connect(closed, signal=signals.spider_closed)
    if alerts_in_summary:  # once the crawler has installed its log handler (it replaces the process's)
        crawler.signals.connect(_alerts_off_the_terminal, signal=signals.spider_opened)
    process.crawl(crawler, **{k: v for k, v in spider_args.items() if v is not None})
    process.start()
    _stop_progress(crawler)
    archive = CrawlContext.of(crawler).archive
    if crawler.stats is not None and ("stats" in outcome or crawler.stats.get_value(keys.CRAWL_STARTED)):
        # The final stats: spider_closed handlers that ran after ours (monitoring, the crawl
        # record) added to them; or, when the reactor was stopped before they ran (a second
        # Ctrl-C forces the shutdown), what the crawl had counted by then.
        outcome["stats"] = dict(crawler.stats.get_stats())
    stats = outcome.get("stats", {})
    counts = crawl_counts(stats)
    reason = outcome.get("finish_reason", "not started")
    if not archive.record_closed and "started_at" in archive.record:
        # Stopped before the crawl record was closed: it says so, with the counts so far,
        # rather than "running" until the next crawl.
        reason = "interrupted"
        archive.interrupt_crawl(counts)
        archive.close()
    return {"crawl_id": archive.crawl_id, "finish_reason": reason, "counts": counts, "stats": stats}


def _alerts_off_the_terminal(spider=None) -> None:
    import logging

    from newscrawler.crawl.monitoring import AlertLines

    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:  # Scrapy's handler when there is no LOG_FILE
            handler.addFilter(AlertLines())


def _stop_progress(crawler) -> None:
    """The progress display stops with the crawl, also when spider_closed never came (a
    forced shutdown): its last state stays on the screen and the terminal is left as it was."""
    from newscrawler.crawl.progress import ProgressLine

    for extension in getattr(getattr(crawler, "extensions", None), "middlewares", ()):
        if isinstance(extension, ProgressLine):
            extension.stop()

