"""The archive's indexes, declared once and created idempotently.

Each index exists for a query people (or the pipeline) run; see ARCHITECTURE.md for the
collections. An index is known by its keys: one already there with the same keys (created by
hand, or by an earlier version with other options) is kept and not created again.

Every index costs every article written (SecantusDB writes its entries and reads the index
list per document) and bytes on disk per entry. So the marks few articles carry are indexed
only where they are: ``deleted_at`` and ``deletion_history.deleted_at`` sparse (their queries
are ranges, which a missing field never matches), ``revision`` partial on ``revision > 1`` (the
only question asked of it: ``query --edited``). SecantusDB serves those queries from them
(tests/test_history.py checks the plans).

What SecantusDB 0.7.0b3 serves from these indexes (``benchmarks/archive_queries.py`` prints
the figures, each beside the same query with no index; the README's "Query speed" has those
of ``benchmarks/bench_query.py``):

* The planner uses an index for the FILTER but never stops early for ``sort + limit``: it
  fetches every matching document, sorts in Python, then cuts. Cost follows the number of
  matches, so every list query should bound ``published_at`` as well. Hence the compound
  ``(field, published_at desc)`` indexes: equality on the prefix + a date range rides them.
* ``{category: c}`` + sort ``published_at`` desc, limit 20: served by the index, and much
  cheaper again with a ``published_at`` window added.
* ``$all`` of two values of an array field is a COLLSCAN, and ``$and`` / ``$or`` at top level
  are not index-planned either: one equality rides the index, the rest is checked in Python.
  (Search is not asked of MongoDB at all: the full-text index beside it answers, see
  ``store/fulltext.py``; the old per-article ``search_tokens`` and their index cost most of
  the archive's size and write time.)
* ``{updated_at: {$gte: t}}``: served by the index; the search index's incremental build.
* ``{published_at: {$gte, $lt}}``: served by the index, cost following the window's matches.
* ``find().sort(published_at desc).limit(20)``: linear in the archive (it walks the whole
  index); "latest 20" with a window of a few days is cheap.
* ``{authors: a}`` + sort, limit 20, and ``{source: s, published_at >= 30 days}``: served.
* ``{article_id: {$in: 500 ids}}``, projected (``existing_ids``): served by the index, where a
  scan would read the whole collection.
* Writes: the indexes make loading articles much slower than into a bare collection, and an
  unordered bulk upsert of 500 existing articles is still far above a polite crawl's rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

ARTICLES = "articles"
REVISIONS = "article_revisions"
REJECTS = "rejects"
CRAWLS = "crawls"
COLUMN_WALKS = "column_walks"
BACKFILLS = "backfills"

EDITED = {"revision": {"$gt": 1}}  # an article with an earlier version kept

INDEXES: dict[str, list[IndexModel]] = {
    ARTICLES: [
        IndexModel([("article_id", ASCENDING)], unique=True, name="id"),  # upsert key, lookups
        IndexModel([("published_at", DESCENDING)], name="published"),  # latest, date ranges
        IndexModel([("category", ASCENDING), ("published_at", DESCENDING)], name="category"),  # section pages
        IndexModel([("authors", ASCENDING), ("published_at", DESCENDING)], name="author"),  # by author
        IndexModel([("tags", ASCENDING), ("published_at", DESCENDING)], name="tag"),  # by tag
        IndexModel([("source", ASCENDING), ("published_at", DESCENDING)], name="source"),  # by outlet
        IndexModel([("content_hash", ASCENDING)], name="hash"),  # duplicate detection
        IndexModel([("updated_at", ASCENDING)], name="updated"),  # what changed since the search index's last build
        IndexModel([("next_check_at", ASCENDING)], name="due"),  # revisits due (store/revisits.py)
        # query --edited (revision > 1) and --deleted (deleted_at in a range), stats per day:
        # single fields, since a range is what SecantusDB serves (not $ne / $exists / $type),
        # holding only the articles that carry the mark.
        IndexModel([("revision", ASCENDING)], partialFilterExpression=EDITED, name="edited"),
        IndexModel([("deleted_at", ASCENDING)], sparse=True, name="deleted"),
        IndexModel([("deletion_history.deleted_at", ASCENDING)], sparse=True, name="deleted_before"),  # past episodes, per day
    ],
    REJECTS: [IndexModel([("crawl_id", ASCENDING)])],
    CRAWLS: [
        IndexModel([("crawl_id", ASCENDING)], unique=True),
        IndexModel([("started_at", DESCENDING)]),
    ],
    REVISIONS: [
        IndexModel([("article_id", ASCENDING), ("revised_at", DESCENDING)]),
        IndexModel([("revised_at", ASCENDING)]),  # edits per day (stats)
    ],
    # One walk state per column of a site (store/walks.py).
    COLUMN_WALKS: [IndexModel([("base_url", ASCENDING), ("column_id", ASCENDING)], unique=True)],
    # One checkpoint per id range of a site (store/backfills.py).
    BACKFILLS: [IndexModel([("base_url", ASCENDING), ("first", ASCENDING), ("last", ASCENDING)], unique=True)],
}


def ensure_indexes(db: Database) -> dict[str, list[str]]:
    """Create every archive index whose keys are not indexed yet; returns the index names per
    collection (of ours: the name the index has in this archive).

    Idempotent, so the pipeline calls it at every start and an upgraded index list reaches old
    archives. An index with the same keys and other options (an archive indexed before
    ``revision`` was partial, say) is left as it is: it answers the same queries.
    """
    names = {}
    for name, models in INDEXES.items():
        present = {index_key(spec): spec["name"] for spec in db[name].list_indexes()}
        missing = [model for model in models if index_key(model.document) not in present]
        if missing:
            db[name].create_indexes(missing)
        names[name] = [present.get(index_key(model.document), model.document["name"]) for model in models]
    return names


def index_key(spec: Mapping[str, Any]) -> tuple:
    """An index's keys, compared whatever number type a server lists a direction as (1, 1.0)."""
    return tuple((name, float(direction) if isinstance(direction, (int, float)) else str(direction))
                 for name, direction in dict(spec["key"]).items())


__all__ = ["ARTICLES", "BACKFILLS", "COLUMN_WALKS", "CRAWLS", "EDITED", "INDEXES", "REJECTS", "REVISIONS",
           "ensure_indexes", "index_key"]
