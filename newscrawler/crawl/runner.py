"""Run the `nbd` spider in this process and return its crawl record.

The `crawl` and `demo` verbs use this; Scrapy's own `scrapy crawl nbd` is the same crawl.
Twisted's reactor starts once per process, so one process runs one crawl.
"""

from __future__ import annotations

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


def run_crawl(spider_args: dict, overrides: dict | None = None, progress: bool = False,
              spider_class=None) -> dict:
    """Crawl with the `nbd` spider (or ``spider_class``); returns {crawl_id, finish_reason, counts, stats}."""
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

