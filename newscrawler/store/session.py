"""The archive as one crawl sees it: one connection, the spool, the crawl's id and counts.

The spider, the pipelines and the crawl-record extension share one ``CrawlArchive`` per
crawler (``archive_for``). Every write goes through here, so "MongoDB is unreachable" is
handled in one place: articles and rejects go to the spool and are written on the next
successful connection or run.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import uuid
import weakref

from pymongo.errors import PyMongoError

from newscrawler import config

from newscrawler.store.connection import (
    describe_error, get_client, redact_uri, resolve_mongo_uri,
)
from newscrawler.store.errors import ArchiveUnavailable
from newscrawler.store.spool import Spool, spool_directory
from newscrawler.store.store import ArticleStore

logger = logging.getLogger(__name__)

# Fields every archived article carries, null when unknown (so documents share one shape).
RECORD_FIELDS = (
    "article_id", "url", "title", "published_at", "byline", "authors", "editor", "source",
    "category", "column", "tags", "keywords", "summary", "body_html", "body_text", "images",
    "thumbnail_url", "extraction",
)
# Kept from the item besides the record: set by pipelines.
EXTRA_FIELDS = ("content_hash", "thumbnail", "thumbnail_error", "duplicate_of", "fetched_url", "warc")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_crawl_id() -> str:
    return f"{utcnow():%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


class CrawlArchive:
    def __init__(self, settings, crawler=None, crawl_id: str | None = None):
        self.settings = settings
        self.crawler = crawler  # for its stats, which exist only once the crawl starts
        self.crawl_id = crawl_id or new_crawl_id()
        self.spool = Spool(spool_directory(config.data_dir(settings)), crawl_id=self.crawl_id)
        self._store: ArticleStore | None = None
        self._client = None
        self.uri: str | None = None
        self.unavailable_logged = False
        # After a failure, MongoDB is not tried again for this many seconds: each try blocks the
        # crawl for the driver's server-selection timeout (5 s), for every batch and list page.
        self.retry_interval = float(config.setting(settings, "ARCHIVE_RETRY_INTERVAL"))
        self._retry_at = 0.0
        self.resumed: list[str] = []  # unfinished earlier crawls this one resumes (interrupted_crawls)
        # The crawl record's fields known so far (spider, args, job, worker, ...): written again
        # in full at the end, so a record whose start MongoDB missed is still complete.
        self.record: dict = {}

    # -- connection -----------------------------------------------------------------
    @property
    def store(self) -> ArticleStore:
        """The store, connecting on first use; raises ArchiveUnavailable."""
        if self._store is None:
            wait = self._retry_at - time.monotonic()
            if wait > 0:
                raise ArchiveUnavailable(f"MongoDB was unreachable: not tried again for {wait:.0f} s")
            uri, embedded = resolve_mongo_uri(self.settings)
            self.uri = uri
            # Journaled writes (j: true) unless the URI says otherwise: without it a server
            # killed (kill -9, OOM, power) loses writes it had acknowledged -- measured on
            # SecantusDB: all 50 of 50 -- and the crawl would believe them archived.
            durable = {} if re.search(r"[?&](journal|w)=", uri, re.I) else {"journal": True}
            client = get_client(uri, **durable)
            store = ArticleStore(client[config.setting(self.settings, "MONGO_DATABASE")], uri)
            try:
                store.ensure_indexes()
            except ArchiveUnavailable:
                client.close()
                raise
            self._client, self._store = client, store
            db = store.db
            logger.info("Archive: %s database %s%s", redact_uri(uri), db.name,
                        " (embedded server)" if embedded else "")
        return self._store

    def _unavailable(self, exc: Exception, what: str) -> None:
        if not self.unavailable_logged:
            logger.error("MongoDB unavailable (%s): %s are spooled to %s and written on the next "
                         "successful connection or run", exc, what, self.spool.directory)
            self.unavailable_logged = True
        self._inc("newscrawler/archive_unavailable")
        self._retry_at = time.monotonic() + self.retry_interval
        # Reconnect on a later attempt: the server may come back.
        if self._client is not None:
            self._client.close()
        self._client = self._store = None

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler is not None and count:
            self.crawler.stats.inc_value(key, count)

    def retry_now(self) -> None:
        """Try MongoDB at the next write even if it failed moments ago (the crawl's last writes)."""
        self._retry_at = 0.0

    def close(self) -> None:
        self.spool.close()
        if self._client is not None:
            self._client.close()
        self._client = self._store = None

    # -- reads ----------------------------------------------------------------------
    def existing_ids(self, ids: list[int]) -> set[int]:
        """Ids already archived (one query); none when the archive is unreachable."""
        if not ids:
            return set()
        try:
            return self.store.existing_ids(ids)
        except ArchiveUnavailable as exc:
            self._unavailable(exc, "articles")
            return set()

    # -- writes ---------------------------------------------------------------------
    def write_articles(self, docs: list[dict]) -> dict[str, int] | None:
        """Archive a batch: new, updated (old version kept as a revision) or unchanged.

        On failure the batch is spooled; returns the counts, or None when spooled.
        """
        if not docs:
            return {"new": 0, "updated": 0, "unchanged": 0}
        try:
            self.replay_spool(raise_errors=True)
            counts = self.store.write_articles(docs, self.crawl_id)
        except ArchiveUnavailable as exc:
            self._unavailable(exc, "articles")
            for doc in docs:
                self.spool.append({"kind": "article", "doc": doc})
            self._inc("newscrawler/spooled", len(docs))
            return None
        for key, value in counts.items():
            self._inc(f"newscrawler/{key}", value)
        return counts

    def reject(self, url: str | None, reason: str, article_id: int | None = None) -> None:
        doc = {"url": url, "reason": reason, "article_id": article_id, "at": utcnow()}
        try:
            self.store.add_reject(crawl_id=self.crawl_id, **doc)
        except ArchiveUnavailable as exc:
            self._unavailable(exc, "rejects")
            self.spool.append({"kind": "reject", "doc": doc})
            self._inc("newscrawler/spooled")

    def replay_spool(self, raise_errors: bool = False) -> int:
        """Write what earlier failures spooled (this run's or a previous one's).

        While MongoDB is still unreachable the entries stay spooled (and the error is raised
        only when ``raise_errors``)."""
        if not self.spool.pending():
            return 0

        def write(entries: list[dict]) -> None:
            articles = [e["doc"] for e in entries if e.get("kind") == "article"]
            rejects = [e["doc"] for e in entries if e.get("kind") == "reject"]
            records = [e["doc"] for e in entries if e.get("kind") == "crawl"]
            if articles:
                counts = self.store.write_articles(articles, self.crawl_id)
                for key, value in counts.items():
                    self._inc(f"newscrawler/{key}", value)
            for doc in rejects:
                self.store.add_reject(crawl_id=self.crawl_id, **doc)
            for doc in records:  # an earlier crawl's record, MongoDB being down when it ended
                self._write_record(doc, replayed_by=self.crawl_id)

        try:
            written = self.spool.replay(write)
        except ArchiveUnavailable as exc:
            if raise_errors:
                raise
            self._unavailable(exc, "articles")
            return 0
        if written:
            logger.info("Archive: wrote %d spooled entries", written)
            self._inc("newscrawler/spool_replayed", written)
        return written

    def start_crawl(self, spider_name: str, args: dict) -> None:
        self.record.update(spider=spider_name, args=args, started_at=utcnow())
        try:
            self.store.start_crawl(self.crawl_id, spider_name, args)
        except ArchiveUnavailable as exc:
            self._unavailable(exc, "articles")

    def set_record_fields(self, fields: dict) -> None:
        """Top-level fields of this crawl's record, written now if MongoDB answers (and in any
        case again with the record's end)."""
        from newscrawler.store.store import bson_safe

        self.record.update(fields)
        try:
            self.store.crawls.update_one({"crawl_id": self.crawl_id},
                                         {"$set": {k: bson_safe(v) for k, v in fields.items()}})
        except (ArchiveUnavailable, PyMongoError) as exc:
            logger.warning("The crawl record of %s is not updated yet (%s): %s", self.crawl_id,
                           ", ".join(fields), exc)

    def interrupted_crawls(self, spider_name: str) -> list[str]:
        """Ids of earlier crawls of this spider that never finished (killed, crashed).

        Their list pages may have been archived only in part, so this crawl must not stop a
        column at the first page that holds nothing new (``resumed`` remembers them, and
        ``finish_crawl`` marks them interrupted once this crawl has finished)."""
        try:
            found = self.store.crawls.find(
                {"spider": spider_name, "finished_at": None, "crawl_id": {"$ne": self.crawl_id}},
                {"crawl_id": 1, "_id": 0})
            self.resumed = [doc["crawl_id"] for doc in found]
        except (ArchiveUnavailable, PyMongoError) as exc:
            self._unavailable(exc if isinstance(exc, ArchiveUnavailable) else
                              ArchiveUnavailable(describe_error(exc)), "articles")
            self.resumed = []
        return self.resumed

    def column_walks(self, base_url: str, column_ids: list[int]) -> dict[int, dict] | None:
        """What earlier runs walked of these columns (store/walks.py); None when the archive
        does not answer (the spider then keeps its old stopping rule)."""
        from newscrawler.store.walks import load_walks

        try:
            return load_walks(self.store.db, base_url, column_ids)
        except (ArchiveUnavailable, PyMongoError) as exc:
            self._unavailable(exc if isinstance(exc, ArchiveUnavailable) else
                              ArchiveUnavailable(describe_error(exc)), "articles")
            return None

    def save_column_walk(self, base_url: str, column_id: int, head: int | None, gaps: list[dict],
                         settled: set[tuple]) -> bool:
        """Merge what this run walked of a column into its stored state. Not saved (MongoDB
        down) is safe: the next run walks down to the old head and the old gaps again."""
        from newscrawler.store.walks import save_walk

        try:
            save_walk(self.store.db, base_url, column_id, head, gaps, settled, self.crawl_id)
            return True
        except (ArchiveUnavailable, PyMongoError, RuntimeError) as exc:
            logger.warning("Column %s: what this crawl walked is not saved (%s); the next crawl "
                           "walks the column down to where the last saved walk began", column_id, exc)
            return False

    def finish_crawl(self, stats: dict, finish_reason: str, fields: dict | None = None) -> bool:
        """Write this crawl's whole record: its counts, finish reason and every field set so far.

        When MongoDB is unreachable the record is spooled like the articles and written by the
        next run that reaches it (so a crawl that ran through an outage is not later taken for
        an interrupted one). Returns True when written now."""
        # No retry_now() here: the pipeline's last flush just tried MongoDB (one wait at close).
        self.record.update(fields or {})
        doc = {**self.record, "crawl_id": self.crawl_id, "stats": stats, "finish_reason": finish_reason,
               "finished_at": utcnow()}
        try:
            self._write_record(doc)
            if finish_reason == "finished" and self.resumed:
                self.store.crawls.update_many(
                    {"crawl_id": {"$in": self.resumed}, "finished_at": None},
                    {"$set": {"finish_reason": "interrupted", "resumed_by": self.crawl_id}})
            return True
        except (ArchiveUnavailable, PyMongoError) as exc:
            self.spool.append({"kind": "crawl", "doc": doc})
            self.spool.close()
            logger.error("The crawl record of %s could not be written (%s): spooled to %s, written on "
                         "the next successful connection or run", self.crawl_id,
                         exc if isinstance(exc, ArchiveUnavailable) else describe_error(exc), self.spool.path)
            return False

    def _write_record(self, doc: dict, replayed_by: str | None = None) -> None:
        fields = {k: v for k, v in doc.items()
                  if k not in ("crawl_id", "stats", "finish_reason", "finished_at", "started_at")}
        if replayed_by:
            fields["recorded_by"] = replayed_by  # written late, from the spool, by this crawl
        self.store.finish_crawl(doc["crawl_id"], doc.get("stats") or {}, doc.get("finish_reason"),
                                fields=fields, finished_at=doc.get("finished_at"),
                                started_at=doc.get("started_at"))


_ARCHIVES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def archive_for(crawler) -> CrawlArchive:
    """The crawl's one CrawlArchive (created on first use)."""
    archive = _ARCHIVES.get(crawler)
    if archive is None:
        archive = _ARCHIVES[crawler] = CrawlArchive(crawler.settings, crawler)
    return archive


def item_document(item) -> dict:
    """The MongoDB document of an item: every record field (null when unknown) plus extras."""
    from itemadapter import ItemAdapter

    adapter = ItemAdapter(item)
    doc = {key: adapter.get(key) for key in RECORD_FIELDS}
    for key in ("authors", "tags", "keywords", "images"):
        doc[key] = list(doc[key] or [])
    for key in EXTRA_FIELDS:
        if adapter.get(key) is not None:
            doc[key] = adapter.get(key)
    doc["last_crawled_at"] = utcnow()
    return doc
