"""The archive's write path (and the reads the pipeline and spider need).

``ArticleStore`` is what the MongoDB pipeline talks to. Every write of an article is an
idempotent upsert keyed by ``article_id``, so retries and spool replays never duplicate, and
``first_seen_at`` is set only when a document is inserted. Every pymongo failure that is not
a per-document write error surfaces as :class:`ArchiveUnavailable` (redacted URI in the
message), the one type the pipeline catches to spool items instead of losing them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, PyMongoError

from newscrawler.store.connection import describe_client, describe_error, redact_uri
from newscrawler.store.counts import record_article_writes, record_rejects
from newscrawler.store.errors import ArchiveUnavailable
from newscrawler.store.fulltext import INDEXED_FIELDS, LATE_WRITE, note_late_writes
from newscrawler.timeutil import utcnow
from newscrawler.store.indexes import ARTICLES, CRAWLS, REJECTS, REVISIONS, ensure_indexes

logger = logging.getLogger(__name__)

ID_BATCH = 500  # ids per $in query: a batch the index serves quickly (see indexes.py)
DUPLICATE_KEY = 11000  # MongoDB's error code of a unique index refusing a document
_BSON_SCALARS = (str, int, float, bool, bytes, datetime, type(None))


@dataclass
class BulkResult:
    """What one ``upsert_many`` did. ``inserted_ids``: article ids that were new."""

    inserted_ids: list[int] = field(default_factory=list)
    matched: int = 0
    modified: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # {article_id, code, message}

    @property
    def inserted(self) -> int:
        return len(self.inserted_ids)

    @property
    def unchanged(self) -> int:
        """Documents that existed and were identical (the upsert changed nothing)."""
        return self.matched - self.modified


# Crawl fields that exclude each other: the crawl that records one removes the other, so an
# article whose thumbnail is stored on a later crawl no longer says it failed (and one whose
# thumbnail failed no longer points to files that are not all there).
EXCLUSIVE_FIELDS = {"thumbnail": "thumbnail_error", "thumbnail_error": "thumbnail"}


class ArticleStore:
    """Articles, revisions, rejects and crawl records in one database.

    ``uri`` only names the server in error messages (redacted); without it the client's
    host list is used.
    """

    def __init__(self, db: Database, uri: str | None = None):
        self.db = db
        self.uri = redact_uri(uri) if uri else describe_client(db.client)
        self.articles = db[ARTICLES]
        self.revisions = db[REVISIONS]
        self.rejects = db[REJECTS]
        self.crawls = db[CRAWLS]

    # -- setup ----------------------------------------------------------------------------

    def ping(self) -> None:
        """Raise ArchiveUnavailable unless the server answers (e.g. before replaying a spool)."""
        with self._unavailable_on_error("ping"):
            self.db.client.admin.command("ping")

    def ensure_indexes(self) -> None:
        """Create missing archive indexes (idempotent; see ``indexes.py``)."""
        with self._unavailable_on_error("creating indexes"):
            ensure_indexes(self.db)

    # -- articles -------------------------------------------------------------------------

    def upsert_many(self, docs: Iterable[Mapping[str, Any]],
                    conditions: Mapping[int, Mapping[str, Any]] | None = None,
                    insert_only: Iterable[int] = ()) -> BulkResult:
        """Insert or update articles by ``article_id`` with one unordered bulk write.

        ``conditions``: article id -> fields the stored document must still have (the version
        this write was computed from); such a document is updated only if it does, never
        inserted (a concurrent crawl that changed it first wins; see ``write_articles``).
        ``insert_only``: ids of documents that were not archived when this write was computed;
        they are inserted only if still missing (a concurrent crawl that inserted first wins).

        ``$set`` takes the whole document (minus ``_id``); ``first_seen_at`` goes to
        ``$setOnInsert`` so it keeps the first crawl's time. A document without one gets its
        ``last_crawled_at`` (right for spool replays, which happen later), else now.
        Per-document failures are returned in ``errors``; the other documents are written.

        An ``insert_only`` document is a plain insert, not an upsert (no lookup first: more
        inserts a second on SecantusDB, ``benchmarks/bench_scale.py``); one that another crawl
        inserted first fails on the unique ``article_id`` index and is left out of
        ``inserted_ids`` (not an error), as a matched upsert was.
        """
        ops, ids = [], []
        now = utcnow()
        insert_only = set(insert_only)
        for doc in docs:
            fields = {k: v for k, v in doc.items() if k not in ("_id", "first_seen_at")}
            first_seen = doc.get("first_seen_at") or doc.get("last_crawled_at") or now
            condition = (conditions or {}).get(doc["article_id"])
            if doc["article_id"] in insert_only:
                ops.append(InsertOne({**fields, "first_seen_at": first_seen}))
                ids.append(doc["article_id"])
                continue
            update = {"$set": fields, "$setOnInsert": {"first_seen_at": first_seen}}
            stale = {other: "" for field, other in EXCLUSIVE_FIELDS.items() if field in fields and other not in fields}
            if stale:
                update["$unset"] = stale
            ops.append(UpdateOne({"article_id": doc["article_id"], **(condition or {})}, update,
                                 upsert=condition is None))
            ids.append(doc["article_id"])
        if not ops:
            return BulkResult()
        action = f"writing {len(ops)} article(s)"
        try:
            raw = self.articles.bulk_write(ops, ordered=False).bulk_api_result
        except BulkWriteError as exc:  # some documents failed, the others were written
            if exc.details.get("writeConcernErrors"):
                raise self._unavailable(action, exc) from None
            raw = exc.details
        except PyMongoError as exc:
            raise self._unavailable(action, exc) from None
        errors = raw.get("writeErrors", [])
        inserts = {i for i, op in enumerate(ops) if isinstance(op, InsertOne)}
        # An insert another crawl beat (its article_id already there): not written, no error.
        beaten = {e["index"] for e in errors if e["index"] in inserts and e.get("code") == DUPLICATE_KEY}
        failed = {e["index"] for e in errors}
        result = BulkResult(
            inserted_ids=[ids[u["index"]] for u in raw.get("upserted", [])]
            + [ids[i] for i in sorted(inserts - failed)],
            matched=raw.get("nMatched", 0),
            modified=raw.get("nModified", 0),
            errors=[{"article_id": ids[e["index"]], "code": e.get("code"), "message": e.get("errmsg", "")}
                    for e in errors if e["index"] not in beaten],
        )
        for error in result.errors:
            logger.error("article %s was not written: %s", error["article_id"], error["message"])
        return result

    def write_articles(self, docs: Iterable[Mapping[str, Any]], crawl_id: str | None,
                       _attempt: int = 0) -> dict[str, int]:
        """Archive a batch of records; returns counts ``{new, updated, unchanged, stale, errors}``.

        Compares each record's ``content_hash`` with the stored one: equal -> unchanged (the
        document is still refreshed: thumbnail, tags, ``last_crawled_at``); different ->
        updated, the stored version goes to ``article_revisions`` and ``revision`` + 1.
        A record crawled BEFORE the stored version (``last_crawled_at`` older, e.g. from a spool
        replayed after a newer crawl) is stale and skipped, so a replay never undoes an edit.
        A new record whose text is already archived under another id gets ``duplicate_of``.

        Two crawls writing one article at once: an existing article is replaced only if it is
        still the version read (revision and content hash), a new one is inserted only if it is
        still missing, and an old version is kept once per revision number, so the crawl that
        loses the race re-reads and writes again (unchanged, or a further revision keeping the
        winner's version) instead of overwriting it or keeping the old version twice.
        """
        docs = list(docs)
        now = utcnow()
        stored = self.get_many(doc["article_id"] for doc in docs)
        known_hashes = self._ids_by_content_hash(
            doc.get("content_hash") for doc in docs if doc["article_id"] not in stored)
        counts = dict.fromkeys(("new", "updated", "unchanged", "stale", "errors"), 0)
        to_write, replaced, conditions, kinds = [], [], {}, {}
        changed: set[int] = set()  # ids whose record this write changes (new, edited, fields moved)
        for doc in docs:
            old = stored.get(doc["article_id"])
            if old is not None:
                conditions[doc["article_id"]] = {"revision": old.get("revision"),
                                                 "content_hash": old.get("content_hash")}
            crawled_at = _aware(doc.get("last_crawled_at")) or now
            new = {**doc, "crawl_id": crawl_id, "last_crawled_at": crawled_at}
            # updated_at: when the crawl saw the record change (the search index follows it).
            if old is None:
                kind = "new"
                changed.add(doc["article_id"])
                new.update(revision=1, updated_at=crawled_at)
                original = known_hashes.get(doc.get("content_hash"))
                if original is not None and not doc.get("duplicate_of"):
                    new["duplicate_of"] = original
            elif old.get("last_crawled_at") and crawled_at < _aware(old["last_crawled_at"]):
                counts["stale"] += 1
                continue
            elif old.get("content_hash") == doc.get("content_hash"):
                kind = "unchanged"
                # The same text, but a summary, tag or category the search index holds may
                # have changed: the index follows updated_at.
                moved = _indexed_fields_changed(old, doc)
                if moved:
                    changed.add(doc["article_id"])
                new.update(revision=old.get("revision", 1),
                           updated_at=crawled_at if moved else old.get("updated_at", crawled_at))
            else:
                kind = "updated"
                changed.add(doc["article_id"])
                replaced.append(old)
                new.update(revision=old.get("revision", 1) + 1, updated_at=crawled_at)
            counts[kind] += 1
            kinds[doc["article_id"]] = kind
            to_write.append(new)
        self.save_revisions(replaced, crawl_id)  # first: a crash in between loses no version
        new_ids = {aid for aid, kind in kinds.items() if kind == "new"}
        result = self.upsert_many(to_write, conditions, insert_only=new_ids)
        counts["errors"] = len(result.errors)
        not_written = {error["article_id"] for error in result.errors}
        # New articles another crawl inserted between our read and our write.
        lost: set[int] = new_ids - set(result.inserted_ids) - not_written
        # Every other write either matched, inserted or failed; the rest found their article
        # changed by another crawl since it was read.
        if result.matched + len(lost) + result.inserted + len(result.errors) < len(to_write):
            lost |= self._not_written(to_write, conditions)
        if lost:
            if _attempt < 3:
                for article_id in lost:
                    counts[kinds[article_id]] -= 1
                again = self.write_articles([d for d in docs if d["article_id"] in lost], crawl_id, _attempt + 1)
                for key, value in again.items():
                    counts[key] = counts.get(key, 0) + value
            else:
                counts["errors"] += len(lost)
                logger.error("articles %s changed under this crawl 4 times: not written", sorted(lost))
        # A page that answers again is no longer deleted (the episode stays in its history).
        back = [aid for aid in kinds if (stored.get(aid) or {}).get("deleted_at") is not None
                and aid not in not_written | lost]
        if back:
            counts["restored"] = len(self.clear_deleted(back, crawl_id))
        # Changes stamped long before now (a spool replayed, pages crawled earlier): the search
        # index may have taken a later updated_at already, so they are noted for its next build.
        late = [d["updated_at"] for d in to_write if d["article_id"] in changed
                and d["article_id"] not in not_written | lost and now - d["updated_at"] > LATE_WRITE]
        if late:
            with self._unavailable_on_error("noting late writes for the search index"):
                note_late_writes(self.db, min(late))
        # The kept counts behind `stats` (a retried write counts itself in its own call).
        with self._unavailable_on_error("updating the archive counts"):
            record_article_writes(self.db, [(stored.get(d["article_id"]), d) for d in to_write
                                            if d["article_id"] not in not_written | lost])
        return counts

    def _not_written(self, written: list[dict[str, Any]], conditions: Mapping[int, Any]) -> set[int]:
        """Ids of conditional writes that did not land (the stored document is not ours)."""
        ours = {d["article_id"]: d for d in written if d["article_id"] in conditions}
        lost = set()
        with self._unavailable_on_error("reading articles back"):
            for batch in _batches(ours):
                for doc in self.articles.find({"article_id": {"$in": batch}},
                                              {"article_id": 1, "crawl_id": 1, "content_hash": 1,
                                               "revision": 1, "_id": 0}):
                    mine = ours[doc["article_id"]]
                    if any(doc.get(k) != mine.get(k) for k in ("crawl_id", "content_hash", "revision")):
                        lost.add(doc["article_id"])
        return lost

    def mark_deleted(self, ids: Iterable[int], status: int | str, crawl_id: str | None, *,
                     target: str | None = None, at: datetime | None = None) -> tuple[list[int], list[int]]:
        """Mark archived articles the site took down (store/deletions.py): (newly, already)."""
        from newscrawler.store.deletions import mark_deleted

        with self._unavailable_on_error("marking deleted articles"):
            return mark_deleted(self.articles, ids, status, crawl_id, target=target, at=at)

    def clear_deleted(self, ids: Iterable[int], crawl_id: str | None, *,
                      at: datetime | None = None) -> list[int]:
        """Unmark deleted articles that answer again (the episode kept in their history)."""
        from newscrawler.store.deletions import clear_deleted

        with self._unavailable_on_error("unmarking deleted articles"):
            return clear_deleted(self.articles, ids, crawl_id, at=at)

    def existing_ids(self, ids: Iterable[int]) -> set[int]:
        """Those of ``ids`` already archived (the spider's incremental check), one query per batch."""
        found: set[int] = set()
        with self._unavailable_on_error("looking up article ids"):
            for batch in _batches(ids):
                cursor = self.articles.find({"article_id": {"$in": batch}}, {"article_id": 1, "_id": 0})
                found.update(doc["article_id"] for doc in cursor)
        return found

    def get_many(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Stored documents (without ``_id``) by article id, for dedup and revision checks."""
        docs: dict[int, dict[str, Any]] = {}
        with self._unavailable_on_error("reading articles"):
            for batch in _batches(ids):
                for doc in self.articles.find({"article_id": {"$in": batch}}, {"_id": 0}):
                    docs[doc["article_id"]] = doc
        return docs

    def _ids_by_content_hash(self, hashes: Iterable[str | None]) -> dict[str, int]:
        """An archived article id for each of ``hashes`` that is already archived."""
        wanted = [h for h in dict.fromkeys(hashes) if h]
        found: dict[str, int] = {}
        with self._unavailable_on_error("looking up content hashes"):
            for batch in _batches(wanted):
                for doc in self.articles.find({"content_hash": {"$in": batch}},
                                              {"content_hash": 1, "article_id": 1, "_id": 0}):
                    found.setdefault(doc["content_hash"], doc["article_id"])
        return found

    def save_revisions(self, old_docs: Iterable[Mapping[str, Any]], crawl_id: str | None) -> None:
        """``save_revision`` for several articles in one insert."""
        now = utcnow()
        revisions = [{**{k: v for k, v in old.items() if k != "_id"}, "revised_at": now,
                      "replaced_by_crawl": crawl_id} for old in old_docs]
        if revisions:
            # Keyed by (article_id, revision): a version kept by a concurrent crawl, or by this
            # write before a crash, is not kept a second time.
            ops = [UpdateOne({"article_id": r["article_id"], "revision": r.get("revision")},
                             {"$setOnInsert": r}, upsert=True) for r in revisions]
            with self._unavailable_on_error("saving revisions"):
                self.revisions.bulk_write(ops, ordered=False)

    # -- rejects and crawls ---------------------------------------------------------------

    def add_reject(self, url: str | None, code: str, crawl_id: str | None, *, message: str | None = None,
                   article_id: int | None = None, at: datetime | None = None) -> None:
        """Record a page that yielded no valid article, so it can be looked at and retried.

        ``code`` is the short reason (not_html, fetch_failed, ...) it is counted by; it is also
        stored as ``reason``, the field earlier archives and their queries know. ``message``
        says more. ``at`` defaults to now; a spooled reject passes its original time.
        """
        doc = {"url": url, "reason": code, "code": code, "message": message, "crawl_id": crawl_id,
               "at": at or utcnow()}
        if article_id is not None:
            doc["article_id"] = article_id
        with self._unavailable_on_error("recording a reject"):
            self.rejects.insert_one(doc)
            record_rejects(self.db, [code])

    def start_crawl(self, crawl_id: str, spider: str, args: Mapping[str, Any] | None = None) -> None:
        """Open the crawl's record. Upserted, so a resumed crawl keeps its first ``started_at``."""
        with self._unavailable_on_error("recording the crawl start"):
            self.crawls.update_one(
                {"crawl_id": crawl_id},
                {"$set": {"spider": spider, "args": bson_safe(dict(args or {})),
                          "finished_at": None, "finish_reason": None},
                 "$setOnInsert": {"started_at": utcnow(), "stats": {}}},
                upsert=True,
            )

    def finish_crawl(self, crawl_id: str, stats: Mapping[str, Any], finish_reason: str | None, *,
                     fields: Mapping[str, Any] | None = None, finished_at: datetime | None = None,
                     started_at: datetime | None = None) -> None:
        """Close the crawl's record with its stats and any other top-level ``fields`` (created
        here if the start was not recorded). A record replayed from the spool passes the times
        it was made with."""
        with self._unavailable_on_error("recording the crawl end"):
            self.crawls.update_one(
                {"crawl_id": crawl_id},
                {"$set": {**{k: bson_safe(v) for k, v in (fields or {}).items()},
                          "finished_at": finished_at or utcnow(), "stats": bson_safe(dict(stats)),
                          "finish_reason": finish_reason},
                 # A crawl running beside another may have been taken for an interrupted one by
                 # it (marked "interrupted", resumed_by); finishing itself proves otherwise.
                 "$unset": {"resumed_by": ""},
                 "$setOnInsert": {"started_at": started_at or stats.get("start_time")}},
                upsert=True,
            )

    # -- errors ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _unavailable_on_error(self, action: str) -> Iterator[None]:
        """Turn any pymongo error into ArchiveUnavailable (the traceback would add nothing)."""
        try:
            yield
        except PyMongoError as exc:
            raise self._unavailable(action, exc) from None

    def _unavailable(self, action: str, exc: Exception) -> ArchiveUnavailable:
        return ArchiveUnavailable(f"MongoDB at {self.uri} failed while {action}: {describe_error(exc)}",
                                  uri=self.uri)


def bson_safe(value: Any) -> Any:
    """``value`` storable as BSON: dots and leading ``$`` in keys replaced, odd types as str.

    Scrapy stats have keys like ``downloader/response_status_count/200`` and
    ``log_count/INFO``; others (from extensions) may have dots, and values may be types BSON
    has no encoding for (timedelta, Decimal, sets).
    """
    if isinstance(value, Mapping):
        return {_safe_key(str(k)): bson_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [bson_safe(v) for v in value]
    return value if isinstance(value, _BSON_SCALARS) else str(value)


def _safe_key(key: str) -> str:
    key = key.replace(".", "_")
    return "_" + key[1:] if key.startswith("$") else key


def _batches(ids: Iterable[Any]) -> Iterator[list[Any]]:
    """``ids`` de-duplicated (order kept) in lists of ``ID_BATCH``, one ``$in`` query each."""
    batch: list[Any] = []
    for article_id in dict.fromkeys(ids):
        batch.append(article_id)
        if len(batch) == ID_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _indexed_fields_changed(old: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    """True when ``doc`` changes a field the search index copies (times to BSON's milliseconds)."""
    for name in INDEXED_FIELDS:
        if name == "revision" or name not in doc:
            continue
        before, after = old.get(name), doc.get(name)
        if isinstance(before, datetime) and isinstance(after, datetime):
            before, after = _aware(before), _aware(after)
            after = after.replace(microsecond=after.microsecond // 1000 * 1000)
        if before != after:
            return True
    return False


def _aware(value: datetime | None) -> datetime | None:
    """A datetime comparable with the archive's (tz-aware UTC); naive ones are taken as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


__all__ = ["ArchiveUnavailable", "ArticleStore", "BulkResult", "bson_safe"]
