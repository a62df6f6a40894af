"""The archive's indexes, declared once and created idempotently.

Each index exists for a query people (or the pipeline) run; see ARCHITECTURE.md for the
collections. Default index names (``category_1_published_at_-1``) are used on purpose: an
index someone created by hand with the same keys is then recognised instead of conflicting.

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

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

ARTICLES = "articles"
REVISIONS = "article_revisions"
REJECTS = "rejects"
CRAWLS = "crawls"
COLUMN_WALKS = "column_walks"
BACKFILLS = "backfills"

INDEXES: dict[str, list[IndexModel]] = {
    ARTICLES: [
        IndexModel([("article_id", ASCENDING)], unique=True),  # upsert key, lookups
        IndexModel([("published_at", DESCENDING)]),  # latest, date ranges
        IndexModel([("category", ASCENDING), ("published_at", DESCENDING)]),  # section pages
        IndexModel([("authors", ASCENDING), ("published_at", DESCENDING)]),  # by author
        IndexModel([("tags", ASCENDING), ("published_at", DESCENDING)]),  # by tag
        IndexModel([("source", ASCENDING), ("published_at", DESCENDING)]),  # by outlet
        IndexModel([("content_hash", ASCENDING)]),  # duplicate detection
        IndexModel([("updated_at", ASCENDING)]),  # what changed since the search index's last build
        IndexModel([("next_check_at", ASCENDING)]),  # revisits due (store/revisits.py)
        # query --edited (revision > 1) and --deleted (deleted_at in a range), stats per day:
        # single fields, since a range is what SecantusDB serves (not $ne / $exists / $type).
        IndexModel([("revision", ASCENDING)]),
        IndexModel([("deleted_at", ASCENDING)]),
        IndexModel([("deletion_history.deleted_at", ASCENDING)]),  # past episodes, per day
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
    """Create every archive index that is missing; returns the index names per collection.

    Idempotent (creating an existing index with the same keys and options is a no-op), so
    the pipeline calls it at every start and an upgraded index list reaches old archives.
    """
    return {name: db[name].create_indexes(models) for name, models in INDEXES.items()}


__all__ = ["ARTICLES", "BACKFILLS", "COLUMN_WALKS", "CRAWLS", "INDEXES", "REJECTS", "REVISIONS", "ensure_indexes"]
