"""Article counts for ``newscrawler stats``, kept up to date at write time.

Why: every statistic over the archive (per day, per category, per author) is a group over
all articles, and SecantusDB decodes every document it groups: slow on a large archive
(the README's "Query speed", from ``benchmarks/bench_query.py``). So the counts live in a small collection,
``article_counts``:

* ``total:`` (``{kind: "total", key: "", n}``): articles;
* one document per kind holding a map from key to count (``{_id: kind, kind, counts: {key: n}}``):
  ``day`` (Beijing date of ``published_at``), ``category``, ``author``: articles; ``reject`` (the
  reason's code: not_html, fetch_failed, ...): rejected pages. Keys are escaped (``%``, ``.``,
  ``$`` and NUL as ``%XX``, the empty key as ``%``), since a field name may hold none of them;
* ``meta``: when they were built and last updated, and their ``layout`` (2).

One document per kind, not one per key: a batch of articles then changes the counts with a few
updates (one per kind it touches) where one per key cost an update per author, per day and per
category of the batch, about as much server time as writing the articles themselves
(``benchmarks/bench_write.py`` shows both). Layout 1, one document per (kind, key), is still
read, and the first write to such an archive converts it.

:func:`rebuild_counts` computes them all by aggregation (the server groups; only the groups
come back) and marks the collection as built; from then on the write path keeps them exact
with :func:`record_article_writes` and :func:`record_rejects`, which do nothing before a
build (increments on top of nothing would be wrong, and stats then aggregate instead).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from newscrawler.store.indexes import ARTICLES, REJECTS, REVISIONS
from newscrawler.timeutil import UTC, beijing_date

COLLECTION = "article_counts"
META_ID = "meta"
TOTAL_ID = "total:"
LAYOUT = 2  # one document per kind (layout 1: one per kind and key)
KINDS = ("day", "category", "author", "reject")
_DAY_FORMAT = {"format": "%Y-%m-%d", "date": "$published_at", "timezone": "+08:00"}
_MONTH_FORMAT = {**_DAY_FORMAT, "format": "%Y-%m"}
_ESCAPES = {"%": "%25", ".": "%2E", "$": "%24", "\x00": "%00"}
_ESCAPED = re.compile("|".join(re.escape(c) for c in _ESCAPES))
_UNESCAPED = {v: k for k, v in _ESCAPES.items()}


def _escape(key: str) -> str:
    """``key`` as a field name of a counts map (dots would be paths, ``$`` operators; a field
    name is never empty, so "" is a lone ``%``, which no other key escapes to)."""
    return _ESCAPED.sub(lambda m: _ESCAPES[m.group()], key) or "%"


def _unescape(name: str) -> str:
    return "" if name == "%" else re.sub("%(?:25|2E|24|00)", lambda m: _UNESCAPED[m.group()], name)


def _keys(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (kind, key) counters one article adds to."""
    keys = [("total", "")]
    if isinstance(doc.get("published_at"), dt.datetime):
        keys.append(("day", beijing_date(doc["published_at"])))
    if doc.get("category"):
        keys.append(("category", doc["category"]))
    keys.extend(("author", a) for a in dict.fromkeys(doc.get("authors") or []) if a)
    return keys


def _layout(db: Database) -> int | None:
    """The kept counts' layout, None when they were never built."""
    meta = db[COLLECTION].find_one({"_id": META_ID}, {"_id": 0, "layout": 1})
    return None if meta is None else int(meta.get("layout") or 1)


def _maps(db: Database, layout: int, kinds: Iterable[str] = KINDS) -> dict[str, dict[str, int]]:
    """Each of ``kinds``' counts, key -> n (keys with nothing counted left out)."""
    coll = db[COLLECTION]
    kinds = list(kinds)
    maps: dict[str, dict[str, int]] = {kind: {} for kind in kinds}
    if layout == 1:
        for row in coll.find({"kind": {"$in": kinds}, "key": {"$exists": True}}, {"_id": 0, "kind": 1, "key": 1, "n": 1}):
            if row.get("n", 0) > 0:
                maps[row["kind"]][str(row["key"])] = maps[row["kind"]].get(str(row["key"]), 0) + row["n"]
        return maps
    for doc in coll.find({"_id": {"$in": kinds}}, {"counts": 1}):
        maps[doc["_id"]] = {_unescape(name): n for name, n in (doc.get("counts") or {}).items() if n > 0}
    return maps


def _convert_layout_1(db: Database) -> None:
    """Counts kept one document per (kind, key) rewritten one document per kind.

    Safe to run twice at once: a kind's document is only ever inserted (the second one's insert
    finds it there), and only the rows read are deleted.
    """
    coll = db[COLLECTION]
    rows = list(coll.find({"kind": {"$in": list(KINDS)}, "key": {"$exists": True}}, {"kind": 1, "key": 1, "n": 1}))
    maps: dict[str, Counter] = {kind: Counter() for kind in KINDS}
    for row in rows:
        maps[row["kind"]][_escape(str(row["key"]))] += int(row.get("n") or 0)
    for kind, counted in maps.items():
        try:
            coll.update_one({"_id": kind}, {"$setOnInsert": {"kind": kind, "counts": dict(counted)}}, upsert=True)
        except DuplicateKeyError:
            pass  # another writer converting at the same moment inserted it first
    coll.delete_many({"_id": {"$in": [row["_id"] for row in rows]}})
    coll.update_one({"_id": META_ID}, {"$set": {"layout": LAYOUT}})


def _apply(db: Database, deltas: Counter) -> None:
    """Add ``deltas`` ((kind, key) -> n) to built counts: one update per kind touched."""
    layout = _layout(db)
    if layout is None:
        return
    if layout == 1:
        _convert_layout_1(db)
    by_kind: dict[str, dict[str, int]] = {}
    for (kind, key), n in sorted(deltas.items()):
        if n:
            by_kind.setdefault(kind, {})[key] = n
    ops = []
    if by_kind.get("total", {}).get(""):
        ops.append(UpdateOne({"_id": TOTAL_ID}, {"$inc": {"n": by_kind.pop("total")[""]}}))
    ops.extend(UpdateOne({"_id": kind}, {"$inc": {f"counts.{_escape(key)}": n for key, n in keys.items()}})
               for kind, keys in by_kind.items())
    ops.append(UpdateOne({"_id": META_ID}, {"$set": {"updated_at": dt.datetime.now(UTC)}}))
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
    if any(deltas.values()):
        _apply(db, deltas)


def record_rejects(db: Database, codes: Iterable[str]) -> None:
    """Count rejected pages by their reason's code (a handful of keys, never one per page)."""
    deltas = Counter(("reject", str(code)) for code in codes)
    if deltas:
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
    maps: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
    for kind in ("day", "category", "author"):
        maps[kind] = {_escape(str(group["_id"])): group["n"] for group in facets[kind]}
    for group in db[REJECTS].aggregate([{"$group": {"_id": "$reason", "n": {"$sum": 1}}}]):
        maps["reject"][_escape(str(group["_id"]))] = group["n"]
    coll = db[COLLECTION]
    coll.delete_many({})
    now = dt.datetime.now(UTC)
    meta = {"_id": META_ID, "built_at": now, "updated_at": now, "layout": LAYOUT}
    coll.insert_many([{"_id": TOTAL_ID, "kind": "total", "key": "", "n": facets["total"][0]["n"] if facets["total"] else 0},
                      *({"_id": kind, "kind": kind, "counts": counted} for kind, counted in maps.items())])
    coll.insert_one(meta)  # last: the counts count from here on
    return meta


def read_counts(db: Database, *, top_n: int, first_day: str) -> dict[str, Any] | None:
    """The statistics from the kept counts, or None when they were never built."""
    coll = db[COLLECTION]
    meta = coll.find_one({"_id": META_ID})
    if meta is None:
        return None
    maps = _maps(db, int(meta.get("layout") or 1))

    def rows(kind: str) -> list[dict]:
        return [{"key": key, "n": n} for key, n in maps[kind].items()]

    total = coll.find_one({"_id": TOTAL_ID})
    authors = sorted(rows("author"), key=lambda r: (-r["n"], r["key"]))[:top_n]
    return _shape(
        total=total["n"] if total else 0,
        days=[r for r in rows("day") if r["key"] >= first_day],
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
    layout = None if filter_ else _layout(db)
    if layout is not None:
        return months_of(_maps(db, layout, ["day"])["day"])
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
    "KINDS",
    "META_ID",
    "TOTAL_ID",
    "aggregate_counts",
    "articles_per_month",
    "history_per_day",
    "months_of",
    "read_counts",
    "rebuild_counts",
    "record_article_writes",
    "record_rejects",
]
