"""The archive as one crawl sees it: one connection, the spool, the crawl's id and counts.

The spider, the pipelines and the crawl-record extension share one ``CrawlArchive`` per
crawl (held by ``newscrawler.crawl.context.CrawlContext``). Every write goes through here, so "MongoDB is unreachable" is
handled in one place: articles and rejects go to the spool and are written on the next
successful connection or run. What the spool cannot take either (disk full) is kept in memory
(``unsaved``), counted (``newscrawler/spool_errors``, ``newscrawler/unsaved``) and tried again
at the end of the crawl (``retry_unsaved``): never reported as archived or spooled.

Threads: one archive is used by the reactor thread (spider, validation pipeline, crawl record)
and by the MongoDB pipeline's worker thread (batches and replays, one at a time). MongoDB
operations of the two run concurrently (pymongo's client is thread-safe); what they share is
guarded by ``_lock``: the connection (connecting, retiring it after a failure, the retry time)
and the in-memory ``unsaved`` entries. A failure seen by one thread retires the connection
without closing it under the other: the client is closed by its last user (``_using``). The
spool guards its own file (see spool.py).
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

from pymongo.errors import PyMongoError

from newscrawler import config
from newscrawler.timeutil import new_run_id, utcnow

from newscrawler.store.connection import (
    describe_error, get_client, journaled_options, redact_uri, resolve_mongo_uri,
)
from newscrawler.store.errors import ArchiveUnavailable
from newscrawler.store.spool import Spool, spool_directory
from newscrawler.store.store import ArticleStore

logger = logging.getLogger(__name__)

# The crawl's stats keys this session counts under (newscrawler.crawl.stats names every key).
STAT_PREFIX = "newscrawler/"
ARCHIVE_UNAVAILABLE = STAT_PREFIX + "archive_unavailable"
REJECTED = STAT_PREFIX + "rejected"
SPOOLED = STAT_PREFIX + "spooled"
SPOOL_ERRORS = STAT_PREFIX + "spool_errors"
SPOOL_TORN_LINES = STAT_PREFIX + "spool_torn_lines"
SPOOL_BAD_LINES = STAT_PREFIX + "spool_bad_lines"
SPOOL_REPLAYED = STAT_PREFIX + "spool_replayed"
UNSAVED = STAT_PREFIX + "unsaved"


def written_key(outcome: str) -> str:
    """The key counting articles written with ``outcome`` (new, updated, unchanged, stale)."""
    return STAT_PREFIX + outcome


def rejected_key(code: str) -> str:
    return f"{REJECTED}/{code}"




class _Connection:
    """A client and its store, with the number of operations using it right now."""

    def __init__(self, client, store: ArticleStore):
        self.client = client
        self.store = store
        self.users = 0
        self.retired = False  # failed: no new operation gets it; closed once unused


class CrawlArchive:
    def __init__(self, settings, crawler=None, crawl_id: str | None = None):
        self.settings = settings
        self.crawler = crawler  # for its stats, which exist only once the crawl starts
        self.crawl_id = crawl_id or new_run_id()
        self.spool = Spool(spool_directory(config.data_dir(settings)), crawl_id=self.crawl_id)
        self._lock = threading.RLock()  # the connection and ``unsaved`` (see the module's doc)
        self._connection: _Connection | None = None
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
        self.record_closed = False  # finish_crawl or interrupt_crawl wrote (or spooled) its end
        # Spool entries neither MongoDB nor the spool could take: retried by retry_unsaved().
        self.unsaved: list[dict] = []

    # -- connection -----------------------------------------------------------------
    @property
    def store(self) -> ArticleStore:
        """The store, connecting on first use; raises ArchiveUnavailable.

        For reads outside this class; the archive's own operations go through ``_using``."""
        with self._lock:
            return self._connect().store

    @contextmanager
    def _using(self):
        """The store for one operation (from any thread).

        A failure retires the connection (the next operation reconnects: the server may come
        back, or the embedded one under a new address); a retired client is closed by its last
        user, so a thread's failure never closes the client another thread is still using."""
        with self._lock:
            connection = self._connect()
            connection.users += 1
        try:
            yield connection.store
        except (ArchiveUnavailable, PyMongoError):
            self._retire(connection)
            raise
        finally:
            self._release(connection)

    def _retire(self, connection: _Connection) -> None:
        with self._lock:
            connection.retired = True
            if self._connection is connection:
                self._connection = None

    def _release(self, connection: _Connection) -> None:
        with self._lock:
            connection.users -= 1
            unused = connection.retired and connection.users == 0
        if unused:
            connection.client.close()

    def _connect(self) -> _Connection:
        """The current connection, made if there is none (the caller holds ``_lock``)."""
        if self._connection is None:
            wait = self._retry_at - time.monotonic()
            if wait > 0:
                raise ArchiveUnavailable(f"MongoDB was unreachable: not tried again for {wait:.0f} s")
            uri, embedded = resolve_mongo_uri(self.settings)
            self.uri = uri
            client = get_client(uri, **journaled_options(uri))
            store = ArticleStore(client[config.setting(self.settings, "MONGO_DATABASE")], uri)
            try:
                store.ensure_indexes()
            except ArchiveUnavailable:
                client.close()
                raise
            self._connection = _Connection(client, store)
            logger.info("Archive: %s database %s%s", redact_uri(uri), store.db.name,
                        " (embedded server)" if embedded else "")
        return self._connection

    def _unavailable(self, exc: Exception, what: str) -> None:
        """Log and count a failed operation; MongoDB is not tried again for retry_interval."""
        with self._lock:
            first = not self.unavailable_logged
            self.unavailable_logged = True
            self._retry_at = time.monotonic() + self.retry_interval
        if first:
            logger.error("MongoDB unavailable (%s): %s are spooled to %s and written on the next "
                         "successful connection or run", exc, what, self.spool.directory)
        self._inc(ARCHIVE_UNAVAILABLE)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler is not None and count:
            self.crawler.stats.inc_value(key, count)

    def retry_now(self) -> None:
        """Try MongoDB at the next write even if it failed moments ago (the crawl's last writes)."""
        self._retry_at = 0.0

    def close(self) -> None:
        if self.unsaved:
            logger.error("%d entries (articles, rejects) could be written neither to MongoDB nor to the "
                         "spool %s: lost for this run (a later crawl fetches the articles again)",
                         len(self.unsaved), self.spool.directory)
        self.spool.close()
        with self._lock:
            connection, self._connection = self._connection, None
            unused = connection is not None and connection.users == 0
            if connection is not None:
                connection.retired = True  # else closed by its last user
        if unused:
            connection.client.close()

    # -- reads ----------------------------------------------------------------------
    def existing_ids(self, ids: list[int]) -> set[int]:
        """Ids already archived (one query); none when the archive is unreachable."""
        if not ids:
            return set()
        try:
            with self._using() as store:
                return store.existing_ids(ids)
        except ArchiveUnavailable as exc:
            self._unavailable(exc, "articles")
            return set()

    # -- deletions (store/deletions.py) ----------------------------------------------
    def mark_deleted(self, article_id: int, status, target: str | None = None) -> tuple[list, list] | None:
        """Mark an archived article the site took down: (newly marked, already marked) ids,
        both empty when it is not archived; None when the archive does not answer (the page
        is then recorded as a reject, and the next check sees it gone again)."""
        try:
            with self._using() as store:
                return store.mark_deleted([article_id], status, self.crawl_id, target=target)
        except ArchiveUnavailable as exc:
            self._unavailable(exc, "deletions")
            return None

    def clear_deleted(self, ids: list[int]) -> list[int]:
        """Unmark deleted articles whose page answers again; [] when the archive does not answer."""
        try:
            with self._using() as store:
                return store.clear_deleted(ids, self.crawl_id)
        except ArchiveUnavailable as exc:
            self._unavailable(exc, "deletions")
            return []

    def record_checks(self, checks: list[dict]) -> bool:
        """Write what revisit checks found (store/revisits.py); False when the archive does not
        answer (those articles stay due: the next revisit checks them again)."""
        from newscrawler.store.revisits import record_checks

        try:
            with self._using() as store:
                record_checks(store.articles, checks)
            return True
        except (ArchiveUnavailable, PyMongoError) as exc:
            self._unavailable(exc if isinstance(exc, ArchiveUnavailable) else
                              ArchiveUnavailable(describe_error(exc)), "revisit checks")
            return False

    # -- writes ---------------------------------------------------------------------
    def write_articles(self, docs: list[dict]) -> dict[str, int] | None:
        """Archive a batch: new, updated (old version kept as a revision) or unchanged.

        On failure the batch is spooled (or, if the spool fails too, kept in ``unsaved``);
        returns the counts, or None when not written.
        """
        if not docs:
            return {"new": 0, "updated": 0, "unchanged": 0}
        try:
            self.replay_spool(raise_errors=True)
            with self._using() as store:
                counts = store.write_articles(docs, self.crawl_id)
        except ArchiveUnavailable as exc:
            self._unavailable(exc, "articles")
            self._spool([{"kind": "article", "doc": doc} for doc in docs])
            return None
        for key, value in counts.items():
            self._inc(written_key(key), value)
        if self.unsaved:  # MongoDB answers again: what neither it nor the spool took earlier
            self.retry_unsaved()
        return counts

    def reject(self, url: str | None, code: str, message: str | None = None,
               article_id: int | None = None) -> None:
        """Record a page that gave no article: in ``rejects`` (spooled when MongoDB is down) and
        in the crawl's stats, by its short ``code`` (not_html, fetch_failed, ...); the
        ``message`` says more and never holds the URL (``url`` does)."""
        self._inc(REJECTED)
        self._inc(rejected_key(code))
        doc = {"url": url, "code": code, "message": message, "article_id": article_id, "at": utcnow()}
        try:
            with self._using() as store:
                store.add_reject(crawl_id=self.crawl_id, **_reject_fields(doc))
        except ArchiveUnavailable as exc:
            self._unavailable(exc, "rejects")
            self._spool([{"kind": "reject", "doc": doc}])

    def _spool(self, entries: list[dict]) -> bool:
        """Spool entries MongoDB did not take; if the spool fails too, keep them in ``unsaved``."""
        try:
            self.spool.append_many(entries)
        except OSError as exc:
            with self._lock:
                self.unsaved.extend(entries)
                unsaved = len(self.unsaved)
            self._inc(SPOOL_ERRORS)
            self._set(UNSAVED, unsaved)
            logger.error("Could not spool %d entries to %s (%s): kept in memory (%d in all), tried again "
                         "at the end of the crawl", len(entries), self.spool.path, describe_error(exc), unsaved)
            return False
        self._inc(SPOOLED, sum(1 for e in entries if e.get("kind") != "crawl"))
        return True

    def retry_unsaved(self) -> int:
        """Write (or else spool) the entries kept in memory; returns how many are still unsaved."""
        with self._lock:
            entries, self.unsaved = self.unsaved, []
        if entries:
            try:
                self._write_entries(entries)
                logger.info("Archive: wrote %d entries the spool could not take", len(entries))
            except ArchiveUnavailable as exc:
                self._unavailable(exc, "articles")
                self._spool(entries)
        with self._lock:
            unsaved = len(self.unsaved)
        if entries:
            self._set(UNSAVED, unsaved)
        return unsaved

    def _set(self, key: str, value) -> None:
        if self.crawler is not None:
            self.crawler.stats.set_value(key, value)

    def replay_spool(self, raise_errors: bool = False) -> int:
        """Write what earlier failures spooled (this run's or a previous one's).

        While MongoDB is still unreachable the entries stay spooled (and the error is raised
        only when ``raise_errors``)."""
        if not self.spool.pending():
            return 0
        torn, bad = self.spool.torn_lines, self.spool.bad_lines
        try:
            written = self.spool.replay(self._write_entries)
        except ArchiveUnavailable as exc:
            if raise_errors:
                raise
            self._unavailable(exc, "articles")
            return 0
        except OSError as exc:  # the spool's disk, not MongoDB: what was written stays written
            self._inc(SPOOL_ERRORS)
            logger.error("Replaying the spool %s failed: %s", self.spool.directory, describe_error(exc))
            return 0
        finally:
            self._inc(SPOOL_TORN_LINES, self.spool.torn_lines - torn)
            self._inc(SPOOL_BAD_LINES, self.spool.bad_lines - bad)
        if written:
            logger.info("Archive: wrote %d spooled entries", written)
            self._inc(SPOOL_REPLAYED, written)
        return written

    def _write_entries(self, entries: list[dict]) -> None:
        """Write spool entries (articles, rejects, crawl records) to MongoDB."""
        articles = [e["doc"] for e in entries if e.get("kind") == "article"]
        rejects = [e["doc"] for e in entries if e.get("kind") == "reject"]
        records = [e["doc"] for e in entries if e.get("kind") == "crawl"]
        with self._using() as store:
            if articles:
                counts = store.write_articles(articles, self.crawl_id)
                for key, value in counts.items():
                    self._inc(written_key(key), value)
            for doc in rejects:
                store.add_reject(crawl_id=self.crawl_id, **_reject_fields(doc))
        for doc in records:  # an earlier crawl's record, MongoDB being down when it ended
            self._write_record(doc, replayed_by=self.crawl_id)

    def start_crawl(self, spider_name: str, args: dict) -> None:
        self.record.update(spider=spider_name, args=args, started_at=utcnow())
        try:
            with self._using() as store:
                store.start_crawl(self.crawl_id, spider_name, args)
        except ArchiveUnavailable as exc:
            self._unavailable(exc, "articles")

    def set_record_fields(self, fields: dict) -> None:
        """Top-level fields of this crawl's record, written now if MongoDB answers (and in any
        case again with the record's end)."""
        from newscrawler.store.store import bson_safe

        self.record.update(fields)
        try:
            with self._using() as store:
                store.crawls.update_one({"crawl_id": self.crawl_id},
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
            with self._using() as store:
                found = store.crawls.find(
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
        self.record_closed = True
        try:
            self._write_record(doc)
            if finish_reason == "finished" and self.resumed:
                with self._using() as store:
                    store.crawls.update_many(
                        {"crawl_id": {"$in": self.resumed}, "finished_at": None},
                        {"$set": {"finish_reason": "interrupted", "resumed_by": self.crawl_id}})
            return True
        except (ArchiveUnavailable, PyMongoError) as exc:
            error = exc if isinstance(exc, ArchiveUnavailable) else describe_error(exc)
            if self._spool([{"kind": "crawl", "doc": doc}]):
                self.spool.close()
                logger.error("The crawl record of %s could not be written (%s): spooled to %s, written on "
                             "the next successful connection or run", self.crawl_id, error, self.spool.path)
            else:
                logger.error("The crawl record of %s could be written neither to MongoDB (%s) nor to the "
                             "spool: the next crawl of this spider takes this one for an interrupted one",
                             self.crawl_id, error)
            return False

    def interrupt_crawl(self, stats: dict) -> bool:
        """Close the record of a crawl stopped before it could close itself (a second Ctrl-C
        stops the reactor at once): its counts so far and finish reason ``interrupted``, when
        in ``interrupted_at``. ``finished_at`` stays unset: its walks and batches may be cut
        short, and the next crawl of the spider treats it as the interrupted crawl it is
        (interrupted_crawls). Returns True when written."""
        if self.record_closed or "started_at" not in self.record:
            return False
        self.record_closed = True
        try:
            with self._using() as store:
                store.crawls.update_one({"crawl_id": self.crawl_id}, {"$set": {
                    "stats": stats, "finish_reason": "interrupted", "interrupted_at": utcnow()}})
            return True
        except (ArchiveUnavailable, PyMongoError) as exc:
            logger.error("The crawl record of %s could not be closed as interrupted (%s): it shows as running "
                         "until the next crawl of this spider", self.crawl_id, exc)
            return False

    def _write_record(self, doc: dict, replayed_by: str | None = None) -> None:
        fields = {k: v for k, v in doc.items()
                  if k not in ("crawl_id", "stats", "finish_reason", "finished_at", "started_at")}
        if replayed_by:
            fields["recorded_by"] = replayed_by  # written late, from the spool, by this crawl
        with self._using() as store:
            store.finish_crawl(doc["crawl_id"], doc.get("stats") or {}, doc.get("finish_reason"),
                               fields=fields, finished_at=doc.get("finished_at"),
                               started_at=doc.get("started_at"))




def _reject_fields(doc: dict) -> dict:
    """A spooled reject as ``add_reject`` takes it; a spool written before rejects had a code
    holds ``reason`` = "code: message"."""
    if "reason" in doc and "code" not in doc:
        doc = dict(doc)
        code, _, message = str(doc.pop("reason")).partition(": ")
        doc.update(code=code, message=message or None)
    return doc
