"""Article counts for ``newscrawler stats``, kept up to date at write time.

Why: every statistic over the archive (per day, per category, per author) is a group over
all articles, and SecantusDB decodes every document it groups: slow on a large archive
(the README's "Query speed", from ``benchmarks/bench_query.py``). So the counts live in a small collection,
``article_counts``, one document per (kind, key) with its count ``n``:

* ``day`` (Beijing date of ``published_at``), ``category``, ``author``: articles;
* ``reject`` (the reason's code: not_html, fetch_failed, ...): rejected pages;
* ``total`` (key ""): articles.

:func:`rebuild_counts` computes them all by aggregation (the server groups; only the groups
come back) and marks the collection as built; from then on the write path keeps them exact
with :func:`record_article_writes` and :func:`record_rejects`, which do nothing before a
build (increments on top of nothing would be wrong, and stats then aggregate instead).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.database import Database

from newscrawler.store.indexes import ARTICLES, REJECTS, REVISIONS
from newscrawler.nbd.dates import UTC, beijing_date

COLLECTION = "article_counts"
META_ID = "meta"
COUNTS_INDEXES = [IndexModel([("kind", ASCENDING), ("key", ASCENDING)])]
_DAY_FORMAT = {"format": "%Y-%m-%d", "date": "$published_at", "timezone": "+08:00"}
_MONTH_FORMAT = {**_DAY_FORMAT, "format": "%Y-%m"}


def _keys(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (kind, key) counters one article adds to."""
    keys = [("total", "")]
    if isinstance(doc.get("published_at"), dt.datetime):
        keys.append(("day", beijing_date(doc["published_at"])))
    if doc.get("category"):
        keys.append(("category", doc["category"]))
    keys.extend(("author", a) for a in dict.fromkeys(doc.get("authors") or []) if a)
    return keys


def _is_built(db: Database) -> bool:
    return db[COLLECTION].find_one({"_id": META_ID}, {"_id": 1}) is not None


def _apply(db: Database, deltas: Counter) -> None:
    now = dt.datetime.now(UTC)
    ops = [
        UpdateOne({"_id": f"{kind}:{key}"}, {"$inc": {"n": n}, "$set": {"kind": kind, "key": key}}, upsert=True)
        for (kind, key), n in sorted(deltas.items()) if n
    ]
    ops.append(UpdateOne({"_id": META_ID}, {"$set": {"updated_at": now}}))
    db[COLLECTION].bulk_write(ops, ordered=False)


def record_article_writes(db: Database, changes: Iterable[tuple[Mapping | None, Mapping | None]]) -> None:
    """Count written articles: ``(old, new)`` per article, ``old`` None for a new article,
    ``new`` None for a removed one. An update that keeps date, category and authors is free."""
    deltas: Counter = Counter()
    for old, new in changes:
        if old is not None:
            deltas.subtract(_keys(old))
        if new is not None:
            deltas.update(_keys(new))
    if any(deltas.values()) and _is_built(db):
        _apply(db, deltas)


def record_rejects(db: Database, codes: Iterable[str]) -> None:
    """Count rejected pages by their reason's code (a handful of keys, never one per page)."""
    deltas = Counter(("reject", str(code)) for code in codes)
    if deltas and _is_built(db):
        _apply(db, deltas)


def rebuild_counts(db: Database) -> dict[str, Any]:
    """Recompute every count by aggregation and mark them built; returns the meta document.

    Run it once on an existing archive (``newscrawler stats --rebuild``), or to repair
    counts after writes that bypassed the store. Writes during the rebuild may be missed.
    """
    (facets,) = db[ARTICLES].aggregate([{"$facet": {
        "total": [{"$count": "n"}],
        "day": [{"$match": {"published_at": {"$type": "date"}}},
                {"$group": {"_id": {"$dateToString": _DAY_FORMAT}, "n": {"$sum": 1}}}],
        "category": [{"$match": {"category": {"$nin": [None, ""]}}},
                     {"$group": {"_id": "$category", "n": {"$sum": 1}}}],
        "author": [{"$unwind": "$authors"}, {"$match": {"authors": {"$nin": [None, ""]}}},
                   {"$group": {"_id": "$authors", "n": {"$sum": 1}}}],
    }}])
    rows = [("total", "", facets["total"][0]["n"] if facets["total"] else 0)]
    rows += [(kind, group["_id"], group["n"]) for kind in ("day", "category", "author") for group in facets[kind]]
    rows += [("reject", str(group["_id"]), group["n"])
             for group in db[REJECTS].aggregate([{"$group": {"_id": "$reason", "n": {"$sum": 1}}}])]
    coll = db[COLLECTION]
    coll.create_indexes(COUNTS_INDEXES)
    coll.delete_many({})
    meta = {"_id": META_ID, "built_at": dt.datetime.now(UTC), "updated_at": dt.datetime.now(UTC)}
    docs = [{"_id": f"{kind}:{key}", "kind": kind, "key": key, "n": n} for kind, key, n in rows]
    for start in range(0, len(docs), 1000):
        coll.insert_many(docs[start:start + 1000], ordered=False)
    coll.insert_one(meta)
    return meta


def read_counts(db: Database, *, top_n: int, first_day: str) -> dict[str, Any] | None:
    """The statistics from the kept counts, or None when they were never built."""
    coll = db[COLLECTION]
    meta = coll.find_one({"_id": META_ID})
    if meta is None:
        return None

    def rows(kind: str, **range_: str) -> list[dict]:
        key = {"$gte": range_["since"]} if range_ else None
        filter_ = {"kind": kind, "key": key} if key else {"kind": kind}
        return [r for r in coll.find(filter_, {"_id": 0, "key": 1, "n": 1}) if r["n"] > 0]

    total = coll.find_one({"_id": "total:"})
    authors = sorted(rows("author"), key=lambda r: (-r["n"], r["key"]))[:top_n]
    return _shape(
        total=total["n"] if total else 0,
        days=rows("day", since=first_day),
        categories=rows("category"),
        authors=authors,
        rejects=rows("reject"),
        source="counts",
        as_of=meta.get("updated_at"),
    )


def aggregate_counts(db: Database, *, top_n: int, first_day: str) -> dict[str, Any]:
    """The statistics by aggregation over the collections (exact; a full scan of articles)."""
    start = dt.datetime.fromisoformat(first_day).replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    (facets,) = db[ARTICLES].aggregate([{"$facet": {
        "total": [{"$count": "n"}],
        "days": [{"$match": {"published_at": {"$gte": start}}},
                 {"$group": {"_id": {"$dateToString": _DAY_FORMAT}, "n": {"$sum": 1}}}],
        "categories": [{"$match": {"category": {"$nin": [None, ""]}}},
                       {"$group": {"_id": "$category", "n": {"$sum": 1}}}],
        "authors": [{"$unwind": "$authors"}, {"$match": {"authors": {"$nin": [None, ""]}}},
                    {"$group": {"_id": "$authors", "n": {"$sum": 1}}},
                    {"$sort": {"n": DESCENDING, "_id": ASCENDING}}, {"$limit": top_n}],
    }}])
    rejects = db[REJECTS].aggregate([{"$group": {"_id": "$reason", "n": {"$sum": 1}}}])

    def rows(groups: Iterable[Mapping]) -> list[dict]:
        return [{"key": g["_id"], "n": g["n"]} for g in groups]

    return _shape(
        total=facets["total"][0]["n"] if facets["total"] else 0,
        days=rows(facets["days"]),
        categories=rows(facets["categories"]),
        authors=rows(facets["authors"]),
        rejects=[{"key": str(r["key"]), "n": r["n"]} for r in rows(rejects)],
        source="aggregation",
        as_of=dt.datetime.now(UTC),
    )


def history_per_day(db: Database, *, first_day: str) -> list[dict[str, Any]]:
    """Edits, deletions and restorations per Beijing day from ``first_day`` on, days with none
    left out: an edit is a kept earlier version (``article_revisions.revised_at``: when a crawl
    replaced it), a deletion an article first seen gone that day (``deleted_at``, of the marks
    and of the past episodes in ``deletion_history``), a restoration such an episode's end.

    Each count reads only the time stamps of that window through its index (the marks are few
    next to the archive), so it needs no kept counts.
    """
    start = dt.datetime.fromisoformat(first_day).replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    per_day: dict[str, Counter] = {}

    def count(kind: str, moment: Any) -> None:
        if isinstance(moment, dt.datetime):
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            if moment >= start:
                per_day.setdefault(beijing_date(moment), Counter())[kind] += 1

    for doc in db[REVISIONS].find({"revised_at": {"$gte": start}}, {"revised_at": 1, "_id": 0}):
        count("edits", doc.get("revised_at"))
    for doc in db[ARTICLES].find({"deleted_at": {"$gte": start}}, {"deleted_at": 1, "_id": 0}):
        count("deletions", doc.get("deleted_at"))
    for doc in db[ARTICLES].find({"deletion_history.deleted_at": {"$gte": start}},
                                 {"deletion_history": 1, "_id": 0}):
        for episode in doc.get("deletion_history") or []:
            if episode.get("withdrawn"):
                continue  # a mark taken back (too many gone at once: a broken site, not deletions)
            count("deletions", episode.get("deleted_at"))
            count("restored", episode.get("restored_at"))
    return [{"day": day, **{kind: per_day[day][kind] for kind in ("edits", "deletions", "restored")}}
            for day in sorted(per_day)]


def articles_per_month(db: Database, filter_: Mapping[str, Any] | None = None) -> dict[str, int]:
    """How many articles matching ``filter_`` were published in each Beijing month
    (``YYYY-MM`` -> count, months with none left out, articles without a time not counted).

    Without a filter, from the kept day counts once built (no article read); otherwise the
    server groups the matching articles (only the groups come back).
    """
    if not filter_ and _is_built(db):
        months: Counter = Counter()
        for row in db[COLLECTION].find({"kind": "day"}, {"_id": 0, "key": 1, "n": 1}):
            if row["n"] > 0:
                months[str(row["key"])[:7]] += row["n"]
        return dict(sorted(months.items()))
    pipeline = [{"$match": dict(filter_ or {})}, {"$match": {"published_at": {"$type": "date"}}},
                {"$group": {"_id": {"$dateToString": _MONTH_FORMAT}, "n": {"$sum": 1}}}]
    return {row["_id"]: row["n"] for row in sorted(db[ARTICLES].aggregate(pipeline), key=lambda r: r["_id"])}


def months_of(per_day: Mapping[str, int]) -> dict[str, int]:
    """Day counts (``YYYY-MM-DD`` -> n) summed per month (``YYYY-MM``), in order."""
    months: Counter = Counter()
    for day, n in per_day.items():
        months[day[:7]] += n
    return dict(sorted(months.items()))


def _shape(*, total, days, categories, authors, rejects, source, as_of) -> dict[str, Any]:
    """One result shape for both sources, sorted the same way."""

    def ranked(rows: list[dict], name: str, count: str = "articles") -> list[dict]:
        return [{name: r["key"], count: r["n"]} for r in sorted(rows, key=lambda r: (-r["n"], str(r["key"])))]

    # Articles without a category (site-wide columns have no section): one category per article,
    # so they are the total less the categories' sum; last, as category None.
    uncategorised = total - sum(r["n"] for r in categories)
    return {
        "articles": total,
        "days": [{"day": r["key"], "articles": r["n"]} for r in sorted(days, key=lambda r: r["key"])],
        "categories": ranked(categories, "category")
                      + ([{"category": None, "articles": uncategorised}] if uncategorised > 0 else []),
        "authors": ranked(authors, "author"),
        "rejects": {"total": sum(r["n"] for r in rejects), "by_reason": ranked(rejects, "reason", "count")},
        "source": source,
        "as_of": as_of,
    }


__all__ = [
    "COLLECTION",
    "COUNTS_INDEXES",
    "aggregate_counts",
    "articles_per_month",
    "history_per_day",
    "months_of",
    "read_counts",
    "rebuild_counts",
    "record_article_writes",
    "record_rejects",
]
