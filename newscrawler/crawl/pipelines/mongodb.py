"""MongoDB: batched, unordered upserts, flushed when full and when the spider closes.

The write itself (new / updated with a revision / unchanged) lives in the archive
(``CrawlArchive.write_articles``), which spools a batch when MongoDB is unreachable.

A flush runs in a worker thread: pymongo waits on the server there, and the reactor goes on
downloading and extracting meanwhile. Flushes are serialized (one lock), so the archive sees
one batch at a time, as it would in a single thread.
"""

from __future__ import annotations

import threading

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from newscrawler.store.session import archive_for, item_document

# Sent (on the reactor thread, with ``article_ids``) once a batch is stored: written to MongoDB,
# or spooled when MongoDB is down. A shared crawl's queue (distributed.py) counts an article
# request as done only then.
articles_stored = object()


class MongoPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.archive = archive_for(crawler)
        self.batch_size = crawler.settings.getint("MONGO_BATCH_SIZE")
        self.batch: list[dict] = []
        self._write_lock = threading.Lock()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        # Items a previous run could not write go first.
        self.archive.replay_spool()

    async def process_item(self, item):
        self.batch.append(item_document(item))
        if len(self.batch) >= self.batch_size:
            await self.flush()
        return item

    def _write(self, batch: list[dict]) -> None:
        with self._write_lock:
            self.archive.write_articles(batch)

    async def flush(self) -> None:
        batch, self.batch = self.batch, []
        if batch:
            await maybe_deferred_to_future(deferToThread(self._write, batch))
            self.crawler.signals.send_catch_log(articles_stored, article_ids=[d.get("article_id") for d in batch])

    async def close_spider(self, spider=None):
        self.archive.retry_now()  # the last batch: try MongoDB even if it failed moments ago
        await self.flush()
        # MongoDB may have come back after the last batch was spooled: write the spool now
        # rather than at the next run (it stays spooled if MongoDB is still down).
        await maybe_deferred_to_future(deferToThread(self._replay))

    def _replay(self) -> None:
        with self._write_lock:
            self.archive.replay_spool()
