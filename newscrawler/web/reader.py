"""The archive's questions the web pages and the JSON API share, answered through ``store/``
and ``warc/`` as the command line answers them.

A search goes through the full-text index when it is built (``newscrawler index``), as
``query --search`` does: the index gives the matching ids (best first, or by publish time),
every other filter is checked on the MongoDB side. Without the index it falls back to the
archive's word tokens (all words must appear, newest first) and says so. Without a search,
the plain filters are served by MongoDB's indexes (``store/queries.py``).

Files are served only from where the archive keeps them: a stored image by a path that has
the shape the thumbnail pipeline gives (``full/ab/<sha1>.jpg``) and resolves inside the
images store; an archived page by the pointer its article holds, inside the WARC directory.
No path from a request is used otherwise.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscrawler.store import counts
from newscrawler.store.changes import VersionNotKept, pick_versions
from newscrawler.store.indexes import ARTICLES, CRAWLS
from newscrawler.store.queries import (DELETED_FILTER, EDITED_FILTER, HIDDEN_FIELDS, ArticleQuery, QueryError,
                                       archive_stats, article_versions, iter_articles, matches_filter)
from newscrawler.timeutil import as_beijing
from newscrawler.web.params import ArticleSearch, CrawlsParams

CHUNK = 500  # ids per $in query when a search's hits are checked against MongoDB filters
# Hits checked one by one against category/author/tag/source (MongoDB answers an $in of ids at
# a cost per id: about a millisecond each on SecantusDB): past this many, once the page is full,
# the total is estimated from the share of the checked hits that passed, and says so.
CHECK_LIMIT = 2_000
# Articles a filtered search fetches by its filter (an author's, a tag's) to intersect with the
# hits, before it checks the hits instead: each costs about as much as a hit checked.
FILTER_SIDE_LIMIT = 1_000
MONTHS_TTL = 60.0  # seconds the whole archive's articles per month are reused (the home page's chart)
# The shape of a stored image's path (crawl/pipelines/thumbnails.py: file_path, thumb_path).
IMAGE_PATH = re.compile(r"(?:full|thumbs/[a-z0-9_]{1,32})/[0-9a-f]{2}/[0-9a-f]{40}\.jpg")
WARC_NAME = re.compile(r"[\w.+-]+\.warc(?:\.gz)?")
NO_INDEX_NOTICE = ("No search index: searching the archive's word tokens instead (every word must appear; "
                   "no phrases, OR or -word; newest first). Build the index with `newscrawler index`.")


class NotFound(LookupError):
    """What a request names is not in the archive (404)."""


class BadRequest(ValueError):
    """Parameters that are each valid but do not make a question together (400)."""


class Unreadable(RuntimeError):
    """A file the archive points at cannot be read (500)."""


@dataclass(frozen=True)
class WebConfig:
    """Where the archive's files are and who may ask: what ``newscrawler serve`` gives the app."""

    fulltext_path: Path | None
    images_store: str
    warc_dir: Path
    token: str | None = None
    allowed_hosts: frozenset[str] | None = None  # Host header names answered; None: any
    archive_name: str = "the archive"


@dataclass
class SearchResult:
    total: int
    articles: list[dict[str, Any]]
    mode: str  # fulltext | tokens | filters
    sort: str
    words: list[str] = field(default_factory=list)  # what snippets mark
    notice: str | None = None
    per_month: dict[str, int] | None = None
    exact: bool = True  # False: total (and per_month) estimated from the hits checked


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    for name in HIDDEN_FIELDS:
        doc.pop(name, None)
    return doc


def _month(moment: Any) -> str | None:
    return as_beijing(moment).strftime("%Y-%m") if isinstance(moment, dt.datetime) else None


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


class ArchiveReader:
    """Read-only questions to one archive database (thread-safe: pymongo's client is)."""

    def __init__(self, db, config: WebConfig):
        self.db = db
        self.config = config
        self._index = None
        self._index_lock = threading.Lock()
        self._all_months: tuple[float, dict[str, int]] | None = None

    # -- search ----------------------------------------------------------------------------

    def fulltext_index(self):
        """The full-text index, opened once and refreshed before each use; None until built."""
        from newscrawler.store import fulltext

        path = self.config.fulltext_path
        if path is None or not fulltext.exists(path):
            return None
        with self._index_lock:
            if self._index is None:
                self._index = fulltext.FullTextIndex(path)
            else:
                self._index.refresh()
            return self._index

    def _query(self, p: ArticleSearch, *, search: str | None, limit: int | None, sort: str) -> ArticleQuery:
        from newscrawler.values import parse_when

        try:
            return ArticleQuery(since=parse_when(p.since) if p.since else None,
                                until=parse_when(p.until) if p.until else None,
                                category=p.category, author=p.author, tag=p.tag, source=p.source,
                                search=search, limit=limit, sort=sort, edited=p.edited, deleted=p.deleted)
        except (QueryError, ValueError) as exc:
            raise BadRequest(str(exc)) from None

    def search(self, p: ArticleSearch, *, months: bool = False) -> SearchResult:
        """One page of the articles ``p`` asks for, how many there are in all, and with
        ``months`` how many per Beijing month of publication."""
        if p.q is not None:
            index = self.fulltext_index()
            if index is not None:
                return self._fulltext(index, p, months)
            return self._tokens(p, months)
        return self._filtered(p, months)

    def _fulltext(self, index, p: ArticleSearch, months: bool) -> SearchResult:
        """The index answers the words and the publish-time bounds (counts and months
        included, no article read); the other filters are checked on the MongoDB side: the
        edited or deleted marks through their own index (few articles), category, author, tag
        and source on the hits themselves (a cost that follows the number of hits)."""
        from newscrawler.store.fulltext import SearchSyntaxError, iter_hits, positive_words

        sort = p.sort or "relevance"
        query = self._query(p, search=None, limit=None, sort="newest")
        published = query.bounds()
        equalities = query.equalities()
        offset = (p.page - 1) * p.size
        try:
            words = positive_words(p.q)
            order = None if sort == "relevance" else sort
            if not equalities and not p.edited and not p.deleted:
                total = index.count(p.q, published)
                page_ids = index.article_ids(p.q, sort=order, limit=offset + p.size, published=published)[offset:]
                per_month = counts.months_of(index.per_day(p.q, published)) if months else None
            else:
                ids = index.article_ids(p.q, sort=order, published=published)
        except SearchSyntaxError as exc:
            raise BadRequest(f"q: {exc}") from None
        exact, notice = True, None
        if equalities or p.edited or p.deleted:
            marks = {**(EDITED_FILTER if p.edited else {}), **(DELETED_FILTER if p.deleted else {})}
            candidates = self._filter_side(equalities, marks, published) if equalities else None
            if candidates is not None:
                matched = [article_id for article_id in ids if article_id in candidates]
                month_counts = Counter(m for m in (_month(candidates[i]) for i in matched) if m)
                checked = len(ids)
            elif equalities:
                matched, month_counts, checked = self._matching(ids, {**equalities, **marks}, offset + p.size)
            else:
                matched, month_counts = self._marked(ids, marks)
                checked = len(ids)
            total = len(matched)
            if checked < len(ids):
                exact = False
                total = max(total, round(len(matched) / checked * len(ids)))
                notice = (f"About {total} matches: estimated from the first {checked} of the {len(ids)} articles with "
                          "these words (category, author, tag and source are checked article by article); "
                          "narrow the search, e.g. by date, for an exact count.")
                scale = len(ids) / checked
                month_counts = Counter({m: round(n * scale) for m, n in month_counts.items()})
            page_ids = matched[offset:offset + p.size]
            per_month = dict(sorted(month_counts.items())) if months else None
        docs = [_clean(doc) for doc in iter_hits(self.db, page_ids, {})]
        return SearchResult(total, docs, "fulltext", sort, words, notice, per_month, exact)

    def _filter_side(self, equalities: Mapping[str, Any], marks: Mapping[str, Any],
                     published: tuple[Any, Any]) -> dict[int, Any] | None:
        """The articles passing the filters (id -> publish time), when they are at most
        ``FILTER_SIDE_LIMIT``: asked by the most selective equality and the dates, which one
        compound index serves (an author, a tag: a few hundred articles), the rest checked
        here. None when there are more (a category, a source): the hits are checked instead."""
        field, value = next(iter(equalities.items()))
        if field == "source" or self._kept_count(field, value) > FILTER_SIDE_LIMIT:
            return None  # known to be large: no use fetching its first thousand to find out
        query: dict[str, Any] = {field: value}
        lower, upper = published
        if lower is not None or upper is not None:
            query["published_at"] = {**({"$gte": lower} if lower is not None else {}),
                                     **({"$lt": upper} if upper is not None else {})}
        rest = {**{k: v for k, v in equalities.items() if k != field}, **marks}
        projection = {"_id": 0, "article_id": 1, "published_at": 1, **dict.fromkeys(rest, 1)}
        found = list(self.db[ARTICLES].find(query, projection, limit=FILTER_SIDE_LIMIT + 1))
        if len(found) > FILTER_SIDE_LIMIT:
            return None
        return {doc["article_id"]: doc.get("published_at") for doc in found if matches_filter(doc, rest)}

    def _kept_count(self, field: str, value: Any) -> int:
        """The articles of a category or an author from the counts kept at write time (0 when
        not kept: a tag, or counts never built)."""
        kind = {"category": "category", "authors": "author"}.get(field)
        if kind is None:
            return 0
        row = self.db[counts.COLLECTION].find_one({"_id": f"{kind}:{value}"}, {"n": 1})
        return int(row["n"]) if row else 0

    def _marked(self, ids: list[int], marks: Mapping[str, Any]) -> tuple[list[int], Counter]:
        """Those of ``ids`` (in their order) with the edited / deleted marks, and how many per
        month: the marked articles are few next to the archive, and their index gives them."""
        marked = {doc["article_id"]: doc.get("published_at") for doc in
                  self.db[ARTICLES].find(dict(marks), {"_id": 0, "article_id": 1, "published_at": 1})}
        matched = [article_id for article_id in ids if article_id in marked]
        return matched, Counter(m for m in (_month(marked[i]) for i in matched) if m)

    def _matching(self, ids: list[int], mongo_filter: Mapping[str, Any], need: int) -> tuple[list[int], Counter, int]:
        """Those of ``ids`` (in their order) whose article passes ``mongo_filter``, how many of
        them per month, and how many ids were checked: one ``$in`` query per chunk of ids
        (served by the unique index), projected on the filter's fields, which are checked here.
        Stops once ``CHECK_LIMIT`` ids are checked and ``need`` passed."""
        matched: list[int] = []
        months: Counter = Counter()
        projection = {"_id": 0, "article_id": 1, "published_at": 1, **{field: 1 for field in mongo_filter}}
        checked = 0
        for chunk in _chunks(ids, CHUNK):
            if checked >= CHECK_LIMIT and len(matched) >= need:
                break
            checked += len(chunk)
            found = {doc["article_id"]: doc for doc in
                     self.db[ARTICLES].find({"article_id": {"$in": chunk}}, projection)}
            for article_id in chunk:
                doc = found.get(article_id)
                if doc is not None and matches_filter(doc, mongo_filter):
                    matched.append(article_id)
                    month = _month(doc.get("published_at"))
                    if month:
                        months[month] += 1
        return matched, months, checked

    def _tokens(self, p: ArticleSearch, months: bool) -> SearchResult:
        """No index: the archive's token search (store/search.py), every match walked to count."""
        from newscrawler.store.search import normalize

        sort = p.sort if p.sort in ("newest", "oldest") else "newest"
        query = self._query(p, search=p.q, limit=None, sort=sort)
        offset = (p.page - 1) * p.size
        page, total, month_counts = [], 0, Counter()
        for doc in iter_articles(self.db, query):
            if offset <= total < offset + p.size:
                page.append(doc)
            total += 1
            month = _month(doc.get("published_at")) if months else None
            if month:
                month_counts[month] += 1
        words = list(dict.fromkeys(normalize(w) for w in p.q.split()))
        return SearchResult(total, page, "tokens", sort, words, NO_INDEX_NOTICE,
                            dict(sorted(month_counts.items())) if months else None)

    def _filtered(self, p: ArticleSearch, months: bool) -> SearchResult:
        sort = p.sort if p.sort in ("newest", "oldest") else "newest"
        offset = (p.page - 1) * p.size
        query = self._query(p, search=None, limit=offset + p.size, sort=sort)
        docs = list(itertools.islice(iter_articles(self.db, query), offset, None))
        mongo_filter = {**query.to_filter(), **(EDITED_FILTER if p.edited else {}),
                        **(DELETED_FILTER if p.deleted else {})}
        total = self._count(mongo_filter)
        per_month = self._months(mongo_filter) if months else None
        return SearchResult(total, docs, "filters", sort, [], None, per_month)

    def _months(self, mongo_filter: Mapping[str, Any]) -> dict[str, int]:
        """Articles per month; the whole archive's kept for ``MONTHS_TTL`` seconds: it reads a
        counter per day of the archive's years, and changes only as crawls add articles."""
        if mongo_filter:
            return counts.articles_per_month(self.db, mongo_filter)
        now = time.monotonic()
        cached = self._all_months
        if cached is None or now - cached[0] > MONTHS_TTL:
            cached = self._all_months = (now, counts.articles_per_month(self.db))
        return dict(cached[1])

    def _count(self, mongo_filter: Mapping[str, Any]) -> int:
        if mongo_filter:
            return self.db[ARTICLES].count_documents(dict(mongo_filter))
        kept = self.db[counts.COLLECTION].find_one({"_id": "total:"})
        if kept is not None and self.db[counts.COLLECTION].find_one({"_id": counts.META_ID}) is not None:
            return int(kept["n"])
        return self.db[ARTICLES].estimated_document_count()

    # -- one article -----------------------------------------------------------------------

    def article(self, article_id: int) -> dict[str, Any]:
        doc = self.db[ARTICLES].find_one({"article_id": int(article_id)})
        if doc is None:
            raise NotFound(f"article {article_id} is not in {self.config.archive_name}")
        return _clean(doc)

    def versions(self, doc: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every kept version of the article, oldest first, the current one last."""
        return article_versions(self.db, doc)

    def version(self, article_id: int, revision: int) -> dict[str, Any]:
        versions = self.versions(self.article(article_id))
        for version in versions:
            if (version.get("revision") or 1) == revision:
                return version
        kept = ", ".join(str(v.get("revision") or 1) for v in versions)
        raise NotFound(f"article {article_id} has no revision {revision} (kept: {kept})")

    def compared(self, article_id: int, from_rev: int | None, to_rev: int | None):
        """(older, newer, every version) for a diff; NotFound for a revision not kept."""
        versions = self.versions(self.article(article_id))
        try:
            old, new = pick_versions(versions, from_rev, to_rev)
        except VersionNotKept as exc:
            raise NotFound(str(exc)) from None
        return old, new, versions

    # -- the archive as a whole ------------------------------------------------------------

    def stats(self, days: int, top: int) -> dict[str, Any]:
        return archive_stats(self.db, top, days=days)

    def crawls(self, p: CrawlsParams) -> tuple[int, list[dict[str, Any]]]:
        """(how many, one page of them newest first) of the recorded crawls."""
        query: dict[str, Any] = {}
        if p.job:
            query["job"] = p.job
        if p.alerts:
            query["alerts.0"] = {"$exists": True}
        coll = self.db[CRAWLS]
        total = coll.count_documents(query)
        cursor = coll.find(query, {"_id": 0}, sort=[("started_at", -1)], skip=(p.page - 1) * p.size, limit=p.size)
        return total, list(cursor)

    # -- files -----------------------------------------------------------------------------

    def image(self, path: str) -> tuple[Path | bytes, str]:
        """A stored image (a file's path or the bytes of a GridFS one) and its media type."""
        if not IMAGE_PATH.fullmatch(path):
            raise NotFound("no such image in the archive's images store")
        store = self.config.images_store
        if store.startswith("gridfs://"):
            return self._gridfs_image(store, path), "image/jpeg"
        if "://" in store and not store.startswith("file://"):
            raise NotFound(f"images kept in {store.split('://')[0]} stores are not served by the web app")
        root = Path(store.removeprefix("file://")).resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise NotFound("no such image in the archive's images store")
        return target, "image/jpeg"

    def _gridfs_image(self, store: str, path: str) -> bytes:
        import gridfs

        bucket = store.split("://", 1)[1].strip("/") or "thumbnails"  # the pipeline's default bucket
        found = gridfs.GridFS(self.db, collection=bucket).find_one({"filename": path}, sort=[("uploadDate", -1)])
        if found is None:
            raise NotFound("no such image in the archive's images store")
        return found.read()

    def archived_page(self, doc: Mapping[str, Any], page: int):
        """The response the crawl received for the article's page ``page`` (1 = the first),
        read from the WARC file its pointer names (a StoredResponse)."""
        from newscrawler.warc.pointers import MISSING, page_pointers
        from newscrawler.warc.reader import WarcReadError, read_response

        article_id = doc.get("article_id")
        pointer = doc.get("warc")
        if not isinstance(pointer, dict) or "file" not in pointer:
            why = pointer.get(MISSING) if isinstance(pointer, dict) else None
            raise NotFound(f"the page of article {article_id} was not kept" + (f" ({why})" if why else ""))
        pages = page_pointers(pointer)
        if page > len(pages):
            raise NotFound(f"article {article_id} has {len(pages)} archived page{'s' if len(pages) != 1 else ''}")
        where = pages[page - 1]
        name = str(where.get("file") or "")
        root = self.config.warc_dir.resolve()
        path = (root / name).resolve()
        if not WARC_NAME.fullmatch(path.name) or not path.is_relative_to(root):
            raise NotFound(f"the page of article {article_id} points outside the WARC directory")
        try:
            return read_response(path, int(where["offset"]), int(where["length"]), where.get("record_id"))
        except (KeyError, TypeError, ValueError) as exc:
            raise Unreadable(f"the page pointer of article {article_id} is malformed ({exc})") from None
        except WarcReadError as exc:
            if exc.reason == "missing_file":
                raise NotFound(f"the WARC file of article {article_id}'s page is not in the WARC directory") from None
            raise Unreadable(f"the archived page of article {article_id} cannot be read: {exc}") from None


__all__ = ["ArchiveReader", "BadRequest", "NO_INDEX_NOTICE", "NotFound", "SearchResult", "Unreadable", "WebConfig"]
