"""Re-extraction: run the CURRENT extractor over archived pages and archive what changed.

For each selected article that has a ``warc`` location, the stored response is read back
by file and offset (every page of an article over several: ``warc.later_pages``), the extractor runs on it with the same inputs the crawl gave it (the
fetched URL, the column the crawl found it in, the crawl's base URL, the HTTP charset),
and the result goes through the same record clean-up as a crawl (``ArticleRecord`` ->
``to_document``). If any record field differs from the archived one, the article is
rewritten: the previous version goes to ``article_revisions`` and ``revision`` goes up by one.

A crawl's ``write_articles`` keeps a revision only when ``content_hash`` (title + body text)
changes; a re-extraction that repairs other fields (authors, editor, time, category...) must
keep the previous version too, so re-extracted records are written here (``write_changes``),
idempotently: a run killed mid-write and run again leaves history whole. Every rewrite carries
``reextracted_at``; the run is recorded in ``crawls`` (spider ``reextract``) and its id is the
revision's ``replaced_by_crawl``. An article whose page cannot be read back (file missing, cut
or corrupt) is marked so that the next crawl fetches it again (``pointers.mark_for_refetch``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo import UpdateOne
from w3lib.encoding import http_content_type_encoding

from newscrawler.store.counts import record_article_writes
from newscrawler.record import PAGE_FIELDS, ArticleRecord, content_hash
from newscrawler.store.store import ArticleStore
from newscrawler.nbd.extract import ExtractionError, PageInput, extract_article_pages
from newscrawler.timeutil import new_run_id, utcnow
from newscrawler.warc.pointers import DanglingPointer, mark_for_refetch, page_pointers
from newscrawler.warc.reader import WarcReadError, read_response

logger = logging.getLogger(__name__)

# Compared with the archived record (``extraction`` is how, not what: its version changes
# with every extractor release and would make every article "changed").
COMPARED_FIELDS = tuple(f for f in PAGE_FIELDS if f not in ("article_id", "extraction"))
BATCH_SIZE = 100
# Read failures that mean the article's page is not kept: the next crawl fetches it again.
PAGE_LOST = ("missing_file", "truncated", "corrupt", "wrong_record")
MAX_EXAMPLES = 20




@dataclass
class ReextractReport:
    run_id: str
    dry_run: bool = False
    selected: int = 0              # articles matching the filters
    without_warc: int = 0          # of those, archived before pages were kept (skipped)
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    field_changes: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)       # by reason
    examples: list[dict] = field(default_factory=list)       # first failures and changes
    written: Counter = field(default_factory=Counter)        # write_changes counts
    history_repaired: int = 0      # articles left half-written by an earlier run (repair_history)
    marked_for_refetch: int = 0    # pages lost (PAGE_LOST): the next crawl fetches them again
    missing_ids: list[int] = field(default_factory=list)     # --id values not archived

    @property
    def processed(self) -> int:
        return self.changed + self.unchanged + self.failed

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "dry_run": self.dry_run, "selected": self.selected,
                "without_warc": self.without_warc, "changed": self.changed,
                "unchanged": self.unchanged, "failed": self.failed,
                "field_changes": dict(self.field_changes.most_common()),
                "failures": dict(self.failures.most_common()), "written": dict(self.written),
                "missing_ids": self.missing_ids, "history_repaired": self.history_repaired,
                "marked_for_refetch": self.marked_for_refetch,
                "examples": self.examples}


def _normal(value: Any) -> Any:
    """A value as compared: datetimes in UTC to the millisecond (what BSON keeps)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        value = value.astimezone(dt.timezone.utc)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    return value


# Fields added after articles were archived, with the value an archived one had: a record
# from before pages were counted is a one-page, complete one (not "changed" for lack of them).
LEGACY_VALUES = {"pages": 1, "pages_missing": []}


def changed_fields(old: dict, new: dict) -> list[str]:
    return [f for f in COMPARED_FIELDS if _normal(old.get(f, LEGACY_VALUES.get(f))) != _normal(new.get(f))]


def selection_filter(ids: Iterable[int] | None = None, since: dt.datetime | None = None,
                     until: dt.datetime | None = None) -> dict:
    """The articles to re-extract: ids, and/or ``since <= published_at < until`` (UTC bounds)."""
    query: dict[str, Any] = {}
    ids = list(ids or [])
    if ids:
        query["article_id"] = {"$in": ids}
    bounds = {}
    if since is not None:
        bounds["$gte"] = since
    if until is not None:
        bounds["$lt"] = until
    if bounds:
        query["published_at"] = bounds
    return query


@dataclass
class _Result:
    old: dict
    status: str                        # changed | unchanged | failed
    fields: list[str] = field(default_factory=list)
    doc: dict | None = None
    reason: str | None = None
    message: str | None = None


def reextract_one(old: dict, warc_dir: Path, default_base_url: str | None) -> _Result:
    """Read the article's page back and extract it again; nothing is written."""
    where = old["warc"]
    try:  # every page of the article (page 1, then its later pages: pointers.page_pointers)
        locations = [(warc_dir / str(p["file"]), int(p["offset"]),
                      int(p["length"]) if p.get("length") is not None else None, p.get("record_id"))
                     for p in page_pointers(where)]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return _Result(old, "failed", reason="bad_location", message=f"unusable warc location {where!r}: {exc}")
    try:
        pages = [read_response(*location) for location in locations]
        inputs = [PageInput(page.content(), page.url, http_content_type_encoding(page.content_type))
                  for page in pages]
    except WarcReadError as exc:
        return _Result(old, "failed", reason=exc.reason, message=str(exc))
    except Exception as exc:  # noqa: BLE001 - whatever the page's bytes raise: one article fails
        return _Result(old, "failed", reason="unreadable", message=f"{type(exc).__name__}: {exc}")
    page = pages[0]
    try:
        record = extract_article_pages(inputs, base_url=page.base_url or default_base_url,
                                       column_id=page.column_id)
    except ExtractionError as exc:
        return _Result(old, "failed", reason=f"extraction:{exc.reason}", message=str(exc))
    if record["article_id"] != old["article_id"]:
        return _Result(old, "failed", reason="wrong_page",
                       message=f"the stored page is article {record['article_id']}, not {old['article_id']}")
    fresh = ArticleRecord.from_dict(record, fetched_url=old.get("fetched_url") or page.url, warc=where).to_document()
    fields = changed_fields(old, fresh)
    if not fields:
        return _Result(old, "unchanged")
    doc = {k: v for k, v in old.items() if k not in ("_id", "revision", "updated_at", "crawl_id")}
    doc.update({f: fresh.get(f) for f in PAGE_FIELDS})
    doc["content_hash"] = content_hash(doc.get("title"), doc.get("body_text"))
    return _Result(old, "changed", fields=fields, doc=doc)


def _new_version(result: _Result, run_id: str, now: dt.datetime) -> dict:
    """The article as this run writes it: the re-extracted record at the next revision."""
    doc, old = result.doc, result.old
    new = {k: v for k, v in doc.items() if k != "first_seen_at"}  # kept as the first crawl set it
    new.update(reextracted_at=now, revision=int(old.get("revision") or 1) + 1, updated_at=now, crawl_id=run_id,
               # The page was fetched then: not a newer crawl (and not stale against the stored one).
               last_crawled_at=old.get("last_crawled_at") or now)
    return new


def write_changes(store: ArticleStore, results: list[_Result], run_id: str) -> Counter:
    """Archive re-extracted records, keeping every previous version (see the module doc).

    Idempotent, so a run killed half-way and run again leaves a consistent history. Two steps
    per batch: the stored version of each article is kept as its revision N (an upsert keyed
    by article and N: repeating it changes nothing), then ONE update per article writes the new
    record together with revision N + 1, only if the article is still at revision N with the
    content read. Killed between the two, an article is still version N, unchanged: the next
    run finds it changed again and does both steps again. An article a crawl rewrote meanwhile
    is left to it (counted ``stale``).
    """
    if not results:
        return Counter()
    now = utcnow()
    store.save_revisions([r.old for r in results], run_id)
    news = {r.old["article_id"]: _new_version(r, run_id, now) for r in results}
    ops = [UpdateOne({"article_id": r.old["article_id"], "revision": r.old.get("revision"),
                      "content_hash": r.old.get("content_hash")},
                     {"$set": news[r.old["article_id"]]}) for r in results]
    matched = store.articles.bulk_write(ops, ordered=False).matched_count
    written = [r for r in results if r.old["article_id"] in _landed(store, news, run_id, now)] \
        if matched < len(ops) else results
    record_article_writes(store.db, [(r.old, news[r.old["article_id"]]) for r in written])
    return Counter(updated=len(written), revised=len(written), stale=len(results) - len(written))


def _landed(store: ArticleStore, news: dict[int, dict], run_id: str, now: dt.datetime) -> set[int]:
    """Ids of the articles this run's write reached (the others changed since they were read)."""
    found = store.articles.find({"article_id": {"$in": list(news)}, "crawl_id": run_id, "reextracted_at": now},
                                {"article_id": 1, "_id": 0})
    return {doc["article_id"] for doc in found}


def repair_history(store: ArticleStore, docs: list[dict], run_id: str) -> int:
    """Articles whose current revision number is also in ``article_revisions`` with other
    content: a write of an earlier version of this module (revision kept, record rewritten,
    but killed before the revision number went up). The record is the newer one: its number
    goes up, so history is whole again. ``docs`` are updated to match; returns how many were
    repaired."""
    by_revision = {(d["article_id"], d.get("revision")): d for d in docs}
    kept = store.revisions.find({"$or": [{"article_id": aid, "revision": rev} for aid, rev in by_revision]},
                                {"_id": 0})
    now = utcnow()
    broken = [by_revision[(rev["article_id"], rev.get("revision"))] for rev in kept
              if changed_fields(rev, by_revision[(rev["article_id"], rev.get("revision"))])]
    if not broken:
        return 0
    ops = [UpdateOne({"article_id": doc["article_id"], "revision": doc["revision"]},
                     {"$set": {"revision": doc["revision"] + 1, "updated_at": now, "history_repaired_by": run_id}})
           for doc in broken]
    repaired = store.articles.bulk_write(ops, ordered=False).modified_count
    for doc in broken:  # as stored now: a re-extraction of it below is conditional on it
        doc["revision"] += 1
    logger.warning("%d article(s) had a revision number already kept in article_revisions (a write "
                   "killed half-way): numbered after it", repaired)
    return repaired


def reextract(db, warc_dir: str | Path, *, query: dict, ids: Iterable[int] | None = None,
              default_base_url: str | None = None, dry_run: bool = False, batch_size: int = BATCH_SIZE,
              progress: Callable[[ReextractReport], None] | None = None,
              run_args: dict | None = None) -> ReextractReport:
    """Re-extract the articles matching ``query`` (a MongoDB filter on ``articles``)."""
    warc_dir = Path(warc_dir)
    store = ArticleStore(db)
    report = ReextractReport(run_id=new_run_id("reextract"), dry_run=dry_run)
    report.selected = store.articles.count_documents(query)
    with_warc = {**query, "warc.file": {"$exists": True}}
    report.without_warc = report.selected - store.articles.count_documents(with_warc)
    if ids:
        found = {d["article_id"] for d in store.articles.find(query, {"article_id": 1, "_id": 0})}
        report.missing_ids = [i for i in ids if i not in found]
    if not dry_run:
        store.start_crawl(report.run_id, "reextract", {**(run_args or {}), "warc_dir": str(warc_dir)})

    def run_batch(batch: list[dict]) -> None:
        if not dry_run:
            report.history_repaired += repair_history(store, batch, report.run_id)
        changes, lost = [], []
        for old in batch:
            result = reextract_one(old, warc_dir, default_base_url)
            if result.status == "failed" and result.reason in PAGE_LOST:
                lost.append(DanglingPointer(old["article_id"], old["warc"], result.reason))
            if result.status == "failed":
                report.failed += 1
                report.failures[result.reason] += 1
                logger.debug("article %s: %s", old["article_id"], result.message)
                if sum(e["status"] == "failed" for e in report.examples) < MAX_EXAMPLES:
                    report.examples.append({"article_id": old["article_id"], "status": "failed",
                                            "reason": result.reason, "message": result.message})
            elif result.status == "unchanged":
                report.unchanged += 1
            else:
                report.changed += 1
                report.field_changes.update(result.fields)
                changes.append(result)
                if sum(e["status"] == "changed" for e in report.examples) < MAX_EXAMPLES:
                    report.examples.append({"article_id": old["article_id"], "status": "changed",
                                            "fields": result.fields})
        if changes and not dry_run:
            report.written.update(write_changes(store, changes, report.run_id))
        if lost and not dry_run:
            report.marked_for_refetch += mark_for_refetch(store.articles, lost)
        if progress:
            progress(report)

    # The locations first, in file order (reads go forward through each file); the documents
    # then batch by batch, so the writes never disturb an open cursor over the same articles.
    def place(where: dict) -> tuple[str, int]:
        try:
            return str(where.get("file")), int(where.get("offset") or 0)
        except (TypeError, ValueError):
            return str(where.get("file")), 0  # reextract_one reports the bad location

    locations = sorted((*place(d["warc"]), d["article_id"])
                       for d in store.articles.find(with_warc, {"article_id": 1, "warc": 1, "_id": 0}))
    for start in range(0, len(locations), batch_size):
        wanted = [aid for _, _, aid in locations[start:start + batch_size]]
        docs = store.get_many(wanted)
        run_batch([docs[aid] for aid in wanted if aid in docs])
    if not dry_run:
        stats = {"pages": report.processed, "updated": report.changed, "unchanged": report.unchanged,
                 "errors": report.failed, "without_warc": report.without_warc,
                 "field_changes": dict(report.field_changes), "failures": dict(report.failures)}
        store.finish_crawl(report.run_id, stats, "finished")
    return report
