"""Re-extraction: run the CURRENT extractor over archived pages and archive what changed.

For each selected article that has a ``warc`` location, the stored response is read back
by file and offset, the extractor runs on it with the same inputs the crawl gave it (the
fetched URL, the column the crawl found it in, the crawl's base URL, the HTTP charset),
and the result goes through the same record clean-up as a crawl (``ArticleRecord`` ->
``to_document``). If any record field differs from the archived one, the article is
rewritten through the archive's write path (``ArticleStore.write_articles``): the previous
version goes to ``article_revisions`` and ``revision`` goes up by one.

``write_articles`` keeps a revision only when ``content_hash`` (title + body text) changes.
A re-extraction that repairs other fields (authors, editor, time, category...) must keep the
previous version too, so for those the revision is saved first and the revision number is
raised after the write. Every rewrite carries ``reextracted_at``; the run is recorded in
``crawls`` (spider ``reextract``) and its id is the revision's ``replaced_by_crawl``.
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

from newscrawler.record import PAGE_FIELDS, ArticleRecord, content_hash
from newscrawler.store.store import ArticleStore
from newscrawler.nbd.extract import ExtractionError, extract_article
from newscrawler.timeutil import new_run_id, utcnow
from newscrawler.warc.reader import WarcReadError, read_response

logger = logging.getLogger(__name__)

# Compared with the archived record (``extraction`` is how, not what: its version changes
# with every extractor release and would make every article "changed").
COMPARED_FIELDS = tuple(f for f in PAGE_FIELDS if f not in ("article_id", "extraction"))
BATCH_SIZE = 100
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
    written: Counter = field(default_factory=Counter)        # write_articles counts
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
                "missing_ids": self.missing_ids, "examples": self.examples}


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


def changed_fields(old: dict, new: dict) -> list[str]:
    return [f for f in COMPARED_FIELDS if _normal(old.get(f)) != _normal(new.get(f))]


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
    try:
        path, offset = warc_dir / str(where["file"]), int(where["offset"])
        length = int(where["length"]) if where.get("length") is not None else None
    except (KeyError, TypeError, ValueError) as exc:
        return _Result(old, "failed", reason="bad_location", message=f"unusable warc location {where!r}: {exc}")
    try:
        page = read_response(path, offset, length, where.get("record_id"))
        body = page.content()
    except WarcReadError as exc:
        return _Result(old, "failed", reason=exc.reason, message=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bad Content-Encoding, say: one article fails
        return _Result(old, "failed", reason="unreadable", message=f"{type(exc).__name__}: {exc}")
    charset = http_content_type_encoding(page.content_type)
    try:
        record = extract_article(body, page.url, base_url=page.base_url or default_base_url,
                                 column_id=page.column_id, charset=charset)
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


def _refresh_search_tokens(doc: dict, old: dict, fields: list[str]) -> None:
    """Articles that carry ``search_tokens`` get them recomputed when title or body changed."""
    if "search_tokens" in old and {"title", "body_text"} & set(fields):
        from newscrawler.store.search import search_tokens

        doc["search_tokens"] = search_tokens(doc.get("title"), doc.get("body_text"))


def write_changes(store: ArticleStore, results: list[_Result], run_id: str) -> Counter:
    """Archive re-extracted records, keeping every previous version (see the module doc)."""
    if not results:
        return Counter()
    now = utcnow()
    docs = []
    same_hash: list[_Result] = []
    for result in results:
        doc, old = result.doc, result.old
        doc["reextracted_at"] = now
        # The page was fetched then: not a newer crawl (and not stale against the stored one).
        doc["last_crawled_at"] = old.get("last_crawled_at") or now
        _refresh_search_tokens(doc, old, result.fields)
        if doc["content_hash"] == old.get("content_hash"):
            same_hash.append(result)
        docs.append(doc)
    # Revisions first (as write_articles does): a crash in between loses no version.
    store.save_revisions([r.old for r in same_hash], run_id)
    counts = Counter(store.write_articles(docs, run_id))
    ops = []
    bumped = {id(r) for r in same_hash}
    for result in results:
        update: dict[str, Any] = {"updated_at": now}
        if id(result) in bumped:
            update["revision"] = int(result.old.get("revision") or 1) + 1
        # Only where this run's write landed (not skipped as stale).
        ops.append(UpdateOne({"article_id": result.old["article_id"], "reextracted_at": now}, {"$set": update}))
    store.articles.bulk_write(ops, ordered=False)
    counts["revised"] = counts.get("updated", 0) + len(same_hash)
    return counts


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
        changes = []
        for old in batch:
            result = reextract_one(old, warc_dir, default_base_url)
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
