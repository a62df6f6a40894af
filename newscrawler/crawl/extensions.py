"""The crawl record: every run, scheduled or ad hoc, leaves one document in ``crawls``.

Besides the counts (``stats``) and the finish reason, the record names the job the run
belongs to (``job``: ``NEWSCRAWLER_JOB``, set by ``newscrawler crawl --job``; null for an ad
hoc run), the worker (host, pid, Scrapyd job, Redis namespace when distributed), the field
coverage of the new articles (``coverage``) and the monitoring alerts (``alerts``, a list;
empty when all is well). See monitoring.py. The record's writes run in a worker thread (the
reactor does not wait on MongoDB); what the record holds is read from the stats on the reactor,
when the spider_closed handlers before this one (the monitors) have run. A run that was no crawl (``scrapy parse``,
``scrapy check``, ``scrapy shell``: the spider's own start() never ran) is recorded too, with
``sample: true`` and no alerts.
"""

from __future__ import annotations

import logging
import os
import socket

from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from newscrawler.crawl import stats as keys
from newscrawler.crawl.context import CrawlContext

logger = logging.getLogger(__name__)

# Crawl-record counts and the stats keys they come from.
RECORD_COUNTS = {
    "list_pages": keys.LIST_PAGES,
    "pages": keys.ARTICLE_PAGES,
    "later_pages": keys.LATER_PAGES,
    "incomplete_articles": keys.INCOMPLETE_ARTICLES,
    "new": keys.NEW,
    "updated": keys.UPDATED,
    "unchanged": keys.UNCHANGED,
    "rejected": keys.REJECTED,
    "errors": keys.ERRORS,
    # Pages not fetched because the site gave no answer (connection refused, timed out, no DNS).
    "unanswered": keys.UNANSWERED,
    "spooled": keys.SPOOLED,
    "duplicates_in_crawl": keys.DUPLICATES_IN_CRAWL,
    "content_duplicates": keys.CONTENT_DUPLICATES,
    "thumbnails_ok": keys.THUMBNAILS_OK,
    "thumbnails_failed": keys.THUMBNAILS_FAILED,
    "http_403": keys.HTTP_403,
    # Links past NBD_MAX_LINKS_PER_LIST_PAGE on a list page (not followed; alerted on).
    "links_over_cap": keys.LINKS_OVER_CAP,
    "requests": "downloader/request_count",
    "warc_responses": keys.WARC_RESPONSES,
    "warc_errors": keys.WARC_ERRORS,
    "warc_pointers_withheld": keys.WARC_POINTERS_WITHHELD,
    "archive_unavailable": keys.ARCHIVE_UNAVAILABLE,
    # Spool writes that failed (disk full), and entries written neither to MongoDB nor the spool.
    "spool_errors": keys.SPOOL_ERRORS,
    "unsaved": keys.UNSAVED,
    # Column walks left unfinished (stopped, a list page failed): the next crawl continues them.
    "incomplete_walks": keys.INCOMPLETE_WALKS,
    "log_errors": "log_count/ERROR",
    # The archive across time: archived articles found gone, still gone, back again.
    "deleted": keys.DELETED,
    "still_deleted": keys.STILL_DELETED,
    "restored": keys.RESTORED,
    "deletions_withdrawn": keys.DELETIONS_WITHDRAWN,
    # Revisits (crawl/revisit.py): checked = not_modified + same + edited + deleted ones + failed.
    "checked": keys.REVISIT_CHECKED,
    "not_modified": keys.REVISIT_NOT_MODIFIED,
    "same": keys.REVISIT_SAME,
    "edited": keys.REVISIT_EDITED,
    "failed_checks": keys.REVISIT_FAILED,
    # Backfills (crawl/backfill.py): ids archived already, ids that are no article (404/410).
    "skipped_archived": keys.BACKFILL_SKIPPED,
    "not_articles": keys.BACKFILL_NOT_ARTICLES,
}


def crawl_counts(stats: dict) -> dict[str, int]:
    """The crawl record's counts from a crawl's stats."""
    return {name: int(stats.get(key, 0) or 0) for name, key in RECORD_COUNTS.items()}


class CrawlRecord:
    def __init__(self, crawler):
        self.crawler = crawler
        self.archive = CrawlContext.of(crawler).archive

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    async def spider_opened(self, spider):
        args = spider.crawl_arguments() if hasattr(spider, "crawl_arguments") else {}
        settings = self.crawler.settings
        worker = {"host": socket.gethostname(), "pid": os.getpid()}
        if getattr(spider, "_job", None):  # Scrapyd's job id (passed as the _job argument)
            worker["scrapyd_job"] = spider._job
        fields = {"job": settings.get("NEWSCRAWLER_JOB") or None, "worker": worker, "alerts": []}
        await maybe_deferred_to_future(deferToThread(self._open_record, spider.name, args, fields))
        logger.info("Crawl %s started", self.archive.crawl_id)

    def _open_record(self, spider_name: str, args: dict, fields: dict) -> None:
        self.archive.start_crawl(spider_name, args)
        self.archive.set_record_fields(fields)

    def _close_record(self, counts: dict, reason: str, fields: dict) -> None:
        self.archive.finish_crawl(counts, reason, fields)
        self.archive.close()

    async def spider_closed(self, spider, reason):
        # Read now, on the reactor: the handlers before this one (monitoring) have run; the
        # handlers after it run while the record is written.
        counts = crawl_counts(self.crawler.stats.get_stats())
        blocked = self.crawler.stats.get_value(keys.BLOCKED)
        if blocked:
            counts["blocked"] = blocked
        stats = self.crawler.stats.get_stats()
        from newscrawler.crawl.monitoring import crawl_coverage

        fields = {"coverage": crawl_coverage(stats), "alerts": list(stats.get(keys.ALERTS) or [])}
        if not keys.is_crawl(stats):
            fields["sample"] = True  # scrapy parse / check / shell: its args were never walked
        if stats.get(keys.REDIS_NAMESPACE):
            fields["worker"] = {**self.archive.record.get("worker", {}),
                                "redis": {"url": stats.get(keys.REDIS_URL),
                                          "namespace": stats[keys.REDIS_NAMESPACE],
                                          "first_worker": stats.get(keys.REDIS_FRESH),
                                          "last_worker": stats.get(keys.REDIS_LAST_WORKER)}}
        await maybe_deferred_to_future(deferToThread(self._close_record, counts, reason, fields))
        logger.info("Crawl %s finished (%s): %s", self.archive.crawl_id, reason,
                    ", ".join(f"{k} {v}" for k, v in counts.items() if v))
