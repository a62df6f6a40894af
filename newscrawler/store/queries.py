"""Questions people ask the archive: which articles, one article, how much of what.

``ArticleQuery`` holds the filters a person gives (``newscrawler query`` / ``export``), each
value checked to be plain data (str, int, date/datetime), so user input can only ever be a
*value* compared for equality or a date bound, never a query operator or a field name.

Why the finding is planned rather than one ``find(filter).sort().limit()``: SecantusDB
fetches and decodes every candidate its index yields before it sorts and limits
(so ``find().sort(published_at).limit(20)`` costs time linear in the archive:
``benchmarks/archive_queries.py`` prints it). So a listing of the N newest asks for growing
windows of dates, newest first (1 hour, 4, 16, ... back from now), each served by a
compound ``(field, published_at)`` index, and stops as soon as it has N. Only ONE equality rides the index
with the window (SecantusDB uses a compound index only for exactly "equalities on its
leading fields + one range"); the most selective one is chosen, and the others are checked in
Python. A search (``ArticleQuery.search``) is answered by the full-text index beside the
archive (:mod:`newscrawler.store.fulltext`), not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pymongo import ASCENDING, DESCENDING
from pymongo.collection import Collection
from pymongo.database import Database

from newscrawler.store import counts
from newscrawler.store.indexes import ARTICLES, CRAWLS, EDITED, REVISIONS
from newscrawler.timeutil import BEIJING, UTC, beijing_date
from newscrawler.nbd.site import parse_article_url

SORTS = {"newest": DESCENDING, "oldest": ASCENDING}

# (ArticleQuery attribute, document field), most selective first: the first one given is
# the equality the index answers.
EQUALITY_FILTERS = (
    ("author", "authors"),
    ("tag", "tags"),
    ("category", "category"),
    ("source", "source"),
)

# An hour: the site publishes about 1,500 articles a day, and a day's window costs the server
# every one of them (latest 20: about 190 ms a day's window, 15 ms an hour's, bench_scale).
FIRST_WINDOW = dt.timedelta(hours=1)
WINDOW_GROWTH = 4  # at most; less once the hits so far tell how far back the rest lie
WINDOW_MARGIN = 1.25  # ask for a quarter more than the hit rate so far says is needed
# No article is older than this; the window that reaches it is left open (or ends at since).
ARCHIVE_FLOOR = dt.datetime(1990, 1, 1, tzinfo=UTC)
MONGO_RESOLUTION = dt.timedelta(milliseconds=1)  # BSON datetimes keep milliseconds

# Internal fields that are not part of an article as people see it (search_tokens: the old
# keyword search's, left in archives until `newscrawler index` removes them).
HIDDEN_FIELDS = ("_id", "search_tokens")


class QueryError(ValueError):
    """A filter value is invalid (wrong type, bad date, negative limit, ...)."""


def _as_utc(value: dt.date | dt.datetime, *, end: bool) -> dt.datetime:
    """A Beijing date or datetime as a UTC bound; ``end`` gives the exclusive end of it.

    A date means the whole Beijing day (``until`` 2024-12-03 includes 23:59 that day); a
    naive datetime is Beijing wall-clock time; ``until`` a datetime includes that instant.
    """
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=BEIJING)
        moment = moment.astimezone(UTC)
        if end:
            moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000) + MONGO_RESOLUTION
        return moment
    if isinstance(value, dt.date):
        day = value + dt.timedelta(days=1) if end else value
        return dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING).astimezone(UTC)
    raise QueryError(f"a date or datetime is required, not {type(value).__name__}")


@dataclass(frozen=True)
class ArticleQuery:
    """Filters over the archive's articles; every given filter must hold.

    ``since`` / ``until``: dates or datetimes in Beijing time (aware datetimes are converted),
    both inclusive. ``author`` / ``tag`` match one element of ``authors`` / ``tags``.
    ``search``: the full-text index's query language (:func:`newscrawler.store.fulltext.parse_search`),
    answered by that index, not by MongoDB. ``limit`` None or 0: all.
    """

    since: dt.date | dt.datetime | None = None
    until: dt.date | dt.datetime | None = None
    category: str | None = None
    author: str | None = None
    tag: str | None = None
    source: str | None = None
    search: str | None = None
    limit: int | None = None
    sort: str = "newest"
    edited: bool = False  # only articles with an earlier version kept (revision above 1)
    deleted: bool = False  # only articles marked deleted (store/deletions.py)

    def __post_init__(self) -> None:
        for name in ("category", "author", "tag", "source", "search"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise QueryError(f"{name} must be text, not {type(value).__name__}")
            if value is not None and not value.strip():
                raise QueryError(f"{name} is empty")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dt.date):
                raise QueryError(f"{name} must be a date or datetime, not {type(value).__name__}")
        if self.limit is not None and (isinstance(self.limit, bool) or not isinstance(self.limit, int)):
            raise QueryError(f"limit must be an integer, not {type(self.limit).__name__}")
        if self.limit is not None and self.limit < 0:
            raise QueryError(f"limit must be 0 (no limit) or more, not {self.limit}")
        for name in ("edited", "deleted"):
            if not isinstance(getattr(self, name), bool):
                raise QueryError(f"{name} must be true or false, not {type(getattr(self, name)).__name__}")
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")
        lower, upper = self.bounds()
        if lower and upper and lower >= upper:
            raise QueryError("since is after until")

    # -- the filter ---------------------------------------------------------------------
    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """``(lower, upper)`` UTC bounds of ``published_at``: ``lower <= t < upper``."""
        lower = _as_utc(self.since, end=False) if self.since is not None else None
        upper = _as_utc(self.until, end=True) if self.until is not None else None
        return lower, upper

    def equalities(self) -> dict[str, str]:
        """The equality conditions, most selective first (field -> value)."""
        return {field: getattr(self, attribute) for attribute, field in EQUALITY_FILTERS
                if getattr(self, attribute) is not None}

    def to_filter(self) -> dict[str, Any]:
        """The MongoDB filter of this query (the search, answered by the full-text index, apart).

        Correct on any MongoDB. Field names are constants and values plain str or datetime, so
        the filter is injection-free by construction.
        """
        filter_: dict[str, Any] = dict(self.equalities())
        date_range = _range(*self.bounds())
        if date_range:
            filter_["published_at"] = date_range
        return filter_

    def sort_spec(self) -> list[tuple[str, int]]:
        direction = SORTS[self.sort]
        return [("published_at", direction), ("article_id", direction)]


def _range(lower: dt.datetime | None, upper: dt.datetime | None) -> dict[str, dt.datetime]:
    out = {}
    if lower is not None:
        out["$gte"] = lower
    if upper is not None:
        out["$lt"] = upper
    return out


def _has(doc: Mapping[str, Any], field: str, value: Any) -> bool:
    """MongoDB's equality on one field, arrays matching any element."""
    stored = doc.get(field)
    return stored == value or (isinstance(stored, list) and value in stored)


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    for field in HIDDEN_FIELDS:
        doc.pop(field, None)
    return doc


# -- finding articles ------------------------------------------------------------------------


def find_articles(db: Database, query: ArticleQuery) -> list[dict[str, Any]]:
    """The articles matching ``query``, newest (or oldest) first, at most ``query.limit``."""
    return list(iter_articles(db, query))


def iter_articles(db: Database, query: ArticleQuery) -> Iterator[dict[str, Any]]:
    """Like :func:`find_articles`, streaming (exports of the whole archive stay small in memory).

    With ``query.search``: the full-text index's matches (of the data directory's index of this
    database, as it is: the command line brings it up to date first), ``query.sort`` order.
    """
    if query.search is not None:
        from newscrawler.store import fulltext

        yield from fulltext.search_articles(db, query)
        return
    if query.edited or query.deleted:
        yield from _marked_articles(db[ARTICLES], query)
        return
    coll = db[ARTICLES]
    equalities = query.equalities()
    primary = next(iter(equalities), None)
    windowed = bool(query.limit) and (primary is None or primary in _date_indexed_fields(coll)) and (
        query.sort == "newest" or query.since is not None
    )
    if windowed:
        residual = {f: v for f, v in equalities.items() if f != primary}

        def accept(doc: Mapping[str, Any]) -> bool:
            return all(_has(doc, f, v) for f, v in residual.items())

        yield from _windowed(coll, query, primary, equalities.get(primary), accept)
        return
    cursor = coll.find(query.to_filter(), sort=query.sort_spec())
    if query.limit:
        cursor = cursor.limit(query.limit)
    for doc in cursor:
        yield _clean(doc)


def _date_indexed_fields(coll: Collection) -> set[str | None]:
    """Equality fields with a ``(field, published_at)`` index; None if ``published_at`` is indexed."""
    out: set[str | None] = set()
    for info in coll.index_information().values():
        keys = [name for name, _direction in info["key"]]
        if keys == ["published_at"]:
            out.add(None)
        elif len(keys) == 2 and keys[1] == "published_at":
            out.add(keys[0])
    return out


def next_window(size: dt.timedelta, spanned: dt.timedelta, found: int, limit: int) -> dt.timedelta:
    """The next window's length, after windows covering ``spanned`` gave ``found`` of ``limit``.

    Every window costs the server a fetch of every candidate in it (it cannot stop early), so
    overshooting costs as much as the candidates themselves. With no hit yet the window grows
    ``WINDOW_GROWTH`` times; once there are hits, their rate says how much more time holds the
    rest (plus ``WINDOW_MARGIN``), never more than ``WINDOW_GROWTH`` times the last window nor
    less than ``FIRST_WINDOW``. A two-word search of common words fetched about three times the
    candidates it needed with plain x4 growth.
    """
    if found <= 0:
        return size * WINDOW_GROWTH
    needed = spanned * ((limit - found) / found) * WINDOW_MARGIN
    return max(FIRST_WINDOW, min(needed, size * WINDOW_GROWTH))


def _windowed(coll: Collection, query: ArticleQuery, field: str | None, value: Any, accept) -> Iterator[dict]:
    """The first ``query.limit`` accepted articles, asking for date windows that grow from the
    newest end (from ``since`` for oldest first) until enough are found or the range is done."""
    lower, upper = query.bounds()
    newest = query.sort == "newest"
    now = dt.datetime.now(UTC)
    size = FIRST_WINDOW
    if newest:
        near = upper  # the edge the next window starts from
        edge = min(upper, now) if upper else now
    else:
        near = lower
        edge = lower
    found = 0
    spanned = dt.timedelta(0)
    while True:
        far = edge - size if newest else edge + size
        last = (far <= lower if lower else far < ARCHIVE_FLOOR) if newest else (
            far >= upper if upper else far > now)
        if last:
            far = lower if newest else upper
        window = _range(far, near) if newest else _range(near, far)
        filter_ = {field: value} if field else {}
        filter_["published_at"] = window or {"$type": "date"}
        for doc in coll.find(filter_, sort=query.sort_spec()):
            if accept(doc):
                yield _clean(doc)
                found += 1
                if found >= query.limit:
                    return
        if last:
            break
        spanned += size
        near = edge = far
        size = next_window(size, spanned, found, query.limit)
    if lower is None and upper is None:
        # Articles without a publish time sort after all others, newest first.
        for doc in coll.find({**({field: value} if field else {}), "published_at": None},
                             sort=[("article_id", SORTS[query.sort])]):
            if accept(doc):
                yield _clean(doc)
                found += 1
                if found >= query.limit:
                    return


# Conditions SecantusDB serves from the single-field indexes on ``revision`` and ``deleted_at``
# (checked with explain(): ``$ne: None``, ``$exists`` and ``$type`` are collection scans there,
# a range is an index scan; tests/test_history.py checks the plans).
EDITED_FILTER = dict(EDITED)  # the revision index holds only these (indexes.py)
DELETED_FILTER = {"deleted_at": {"$gte": ARCHIVE_FLOOR}}


def _marked_articles(coll: Collection, query: ArticleQuery) -> Iterator[dict[str, Any]]:
    """``--edited`` / ``--deleted``: the index on the mark gives the candidates (few, next to
    the archive: the articles the site changed), every other filter is checked on them here,
    then they are sorted by publish time and cut to the limit."""
    filter_ = dict(DELETED_FILTER) if query.deleted else dict(EDITED_FILTER)
    lower, upper = query.bounds()
    equalities = query.equalities()

    def accept(doc: Mapping[str, Any]) -> bool:
        published = doc.get("published_at")
        if (lower or upper) and not isinstance(published, dt.datetime):
            return False
        published = _aware(published)
        return ((not query.edited or (doc.get("revision") or 1) > 1)
                and (lower is None or published >= lower) and (upper is None or published < upper)
                and all(_has(doc, f, v) for f, v in equalities.items()))

    found = [doc for doc in coll.find(filter_) if accept(doc)]
    oldest = dt.datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda d: (_aware(d.get("published_at")) or oldest, d.get("article_id") or 0),
               reverse=query.sort == "newest")
    for doc in found[:query.limit or None]:
        yield _clean(doc)


def _aware(moment: Any) -> Any:
    """pymongo hands back naive UTC datetimes unless the client is tz_aware."""
    if isinstance(moment, dt.datetime) and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


# -- one article -------------------------------------------------------------------------------


def article_id_of(ref: int | str) -> int | None:
    """The article id named by ``ref``: an id (int or digits) or an article URL on any host
    (a replica or mirror included), else None."""
    if isinstance(ref, bool):
        return None
    if isinstance(ref, int):
        return ref
    if not isinstance(ref, str):
        return None
    ref = ref.strip()
    if ref.isdigit():
        return int(ref)
    try:
        parts = urlsplit(ref if "//" in ref else f"https://{ref}")
        if parts.scheme in ("http", "https") and parts.hostname:
            return (parse_article_url(ref, base_url=f"{parts.scheme}://{parts.netloc}") or (None,))[0]
    except ValueError:  # not a URL at all (e.g. "[$ne]=1": urlsplit rejects the bracketed host)
        return None
    return None


def get_article(db: Database, ref: int | str) -> dict[str, Any] | None:
    """The archived article with this id or URL, or None.

    A URL is reduced to its article id (served by the unique index); only a URL that names
    no id is looked up as stored, by a scan.
    """
    if not isinstance(ref, (int, str)) or isinstance(ref, bool):
        raise QueryError(f"an article id or URL is required, not {type(ref).__name__}")
    article_id = article_id_of(ref)
    if article_id is not None:
        doc = db[ARTICLES].find_one({"article_id": article_id})
    elif ref.strip().lower().startswith(("http://", "https://")):
        doc = db[ARTICLES].find_one({"url": ref.strip()})
    else:
        raise QueryError(f"not an article id or URL: {ref!r}")
    return _clean(doc) if doc else None


def revision_count(db: Database, article_id: int) -> int:
    """How many earlier versions of the article are kept in ``article_revisions``."""
    return db[REVISIONS].count_documents({"article_id": article_id})


def article_versions(db: Database, doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every kept version of an article, oldest first: the earlier ones from
    ``article_revisions`` (each with ``revised_at``: when a crawl replaced it), then ``doc``
    (the current one). Served by the ``(article_id, revised_at)`` index."""
    earlier = list(db[REVISIONS].find({"article_id": doc["article_id"]}, {"_id": 0},
                                      sort=[("revised_at", ASCENDING)]))
    earlier.sort(key=lambda v: v.get("revision") or 0)
    return [*map(_clean, earlier), dict(doc)]


# -- statistics -------------------------------------------------------------------------------


def archive_stats(db: Database, top_n: int = 10, *, days: int = 14, exact: bool = False) -> dict[str, Any]:
    """Articles per Beijing day (the last ``days`` days), per category, the ``top_n`` authors,
    rejects by reason and the last crawls.

    Served from the counts kept at write time (:mod:`newscrawler.store.counts`) when they
    have been built, since aggregating 100,000 articles means decoding every one of them
    (seconds on SecantusDB); ``exact`` (or no counts) aggregates the collections instead.
    Either way the work is done by the server: no article is loaded into Python.
    """
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise QueryError(f"top must be a positive integer, not {top_n!r}")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise QueryError(f"days must be a positive integer, not {days!r}")
    today = beijing_date(dt.datetime.now(UTC))
    first_day = (dt.date.fromisoformat(today) - dt.timedelta(days=days - 1)).isoformat()
    summary = None if exact else counts.read_counts(db, top_n=top_n, first_day=first_day)
    stats = summary or counts.aggregate_counts(db, top_n=top_n, first_day=first_day)
    per_day = {row["day"]: row["articles"] for row in stats["days"]}
    stats["days"] = [
        {"day": day, "articles": per_day.get(day, 0)}
        for day in (
            (dt.date.fromisoformat(first_day) + dt.timedelta(days=i)).isoformat() for i in range(days)
        )
    ]
    history = {row["day"]: row for row in counts.history_per_day(db, first_day=first_day)}
    stats["history"] = [{"day": row["day"], **{k: history.get(row["day"], {}).get(k, 0)
                                                 for k in ("edits", "deletions", "restored")}}
                        for row in stats["days"]]
    stats["crawls"] = last_crawls(db)
    return stats


def last_crawls(db: Database, n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` most recent crawls; the last 30 days are asked first (an index range), since
    sorting every crawl ever made costs a walk of them all."""
    coll = db[CRAWLS]
    sort = [("started_at", DESCENDING)]
    recent = dt.datetime.now(UTC) - dt.timedelta(days=30)
    crawls = list(coll.find({"started_at": {"$gte": recent}}, {"_id": 0}, sort=sort, limit=n))
    if len(crawls) < n:
        crawls = list(coll.find({}, {"_id": 0}, sort=sort, limit=n))
    return crawls


__all__ = [
    "ArticleQuery",
    "QueryError",
    "archive_stats",
    "article_id_of",
    "article_versions",
    "find_articles",
    "get_article",
    "iter_articles",
    "last_crawls",
    "revision_count",
]
