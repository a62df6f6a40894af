"""MongoDB: batched, unordered upserts, flushed when full, when the first article of a batch
has waited MONGO_FLUSH_INTERVAL seconds (a slow, polite crawl stores as it goes), and when the
spider closes.

The write itself (new / updated with a revision / unchanged) lives in the archive
(``CrawlArchive.write_articles``), which spools a batch when MongoDB is unreachable.

A flush runs in a worker thread: pymongo waits on the server there, and the reactor goes on
downloading and extracting meanwhile. Flushes are serialized (one lock), so the archive sees
one batch at a time, as it would in a single thread.
"""

from __future__ import annotations

import logging
import threading
import time

from itemadapter import ItemAdapter
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from newscrawler.crawl import stats as keys
from newscrawler.crawl.context import CrawlContext
from newscrawler.crawl.middlewares.warc import write_ahead
from newscrawler.record import ArticleRecord

logger = logging.getLogger(__name__)

# Sent (on the reactor thread, with ``article_ids``) once a batch is stored: written to MongoDB,
# or spooled when MongoDB is down. A shared crawl's queue (distributed.py) counts an article
# request as done only then.
articles_stored = object()
# Sent (awaited, once) when the pipeline has closed: every article of the crawl is written or
# spooled. The coverage of the new articles is counted then (monitoring.CoverageStats), before
# the spider_closed handlers (the monitors, the crawl record) read it.
archive_flushed = object()
# Send it (awaited) to have the batch written now, not when full: a backfill whose walk waits
# only on its last articles being stored (crawl/backfill.py) asks for it.
flush_wanted = object()


class MongoPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.archive = CrawlContext.of(crawler).archive
        self.batch_size = crawler.settings.getint("MONGO_BATCH_SIZE")
        self.flush_interval = crawler.settings.getfloat("MONGO_FLUSH_INTERVAL")
        self.batch: list[dict] = []
        self.batch_started = 0.0  # when the batch's first article came (time.monotonic)
        self._write_lock = threading.Lock()

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.flush, signal=flush_wanted)
        return pipeline

    def open_spider(self, spider=None):
        # Items a previous run could not write go first.
        self.archive.replay_spool()

    async def process_item(self, item):
        # The spider yields ArticleRecord; a pipeline of a deployment may have made it a dict.
        record = item if isinstance(item, ArticleRecord) else ArticleRecord.from_dict(ItemAdapter(item).asdict())
        if not self.batch:
            self.batch_started = time.monotonic()
        self.batch.append(record.to_document())
        if len(self.batch) >= self.batch_size or time.monotonic() - self.batch_started >= self.flush_interval:
            await self.flush()
        return item

    def _write(self, batch: list[dict]) -> None:
        with self._write_lock:
            self.archive.write_articles(batch)

    async def flush(self) -> None:
        batch, self.batch = self.batch, []
        if batch:
            # The pages first: no article may point to a WARC record that is not on disk.
            await write_ahead(self.crawler, batch)
            await maybe_deferred_to_future(deferToThread(self._write, batch))
            self.crawler.signals.send_catch_log(articles_stored, article_ids=[d.get("article_id") for d in batch])

    async def close_spider(self, spider=None):
        try:
            self.archive.retry_now()  # the last batch: try MongoDB even if it failed moments ago
            await self.flush()
            # MongoDB may have come back after the last batch was spooled: write the spool now
            # rather than at the next run (it stays spooled if MongoDB is still down). Items the
            # spool could not take either (disk full) get their last chance here.
            await maybe_deferred_to_future(deferToThread(self._replay))
            self._alert_spool_errors()
        finally:
            await self.crawler.signals.send_catch_log_async(archive_flushed)

    def _replay(self) -> None:
        with self._write_lock:
            self.archive.replay_spool()
            self.archive.retry_unsaved()

    def _alert_spool_errors(self) -> None:
        """A spool that failed is an alert (the crawl exits non-zero), even if all was saved later."""
        stats = self.crawler.stats
        errors = stats.get_value(keys.SPOOL_ERRORS)
        if not errors:
            return
        unsaved = len(self.archive.unsaved)
        alert = (f"spool: {errors} write error(s) under {self.archive.spool.directory}; "
                 + (f"{unsaved} entries written neither to MongoDB nor to the spool, lost for this run"
                    if unsaved else "every entry was written to MongoDB or the spool in the end"))
        keys.add_alerts(stats, alert)
        logger.error("ALERT %s", alert)
