"""The archive's questions the web pages and the JSON API share, answered through ``store/``
and ``warc/`` as the command line answers them.

A search goes through the full-text index (``store/fulltext.py``), as ``query --search``
does: the index answers the words and every filter, counts and months included; MongoDB
gives the articles of the page shown. Before the index is built a search finds nothing and
says how to build it (the web app only reads). Without a search, the plain filters are
served by MongoDB's indexes (``store/queries.py``).

Files are served only from where the archive keeps them: a stored image by a path that has
the shape the thumbnail pipeline gives (``full/ab/<sha1>.jpg``) and resolves inside the
images store; an archived page by the pointer its article holds, inside the WARC directory.
No path from a request is used otherwise.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscrawler.store import counts
from newscrawler.store.changes import VersionNotKept, pick_versions
from newscrawler.store.indexes import ARTICLES, CRAWLS
from newscrawler.store.queries import (DELETED_FILTER, EDITED_FILTER, HIDDEN_FIELDS, ArticleQuery, QueryError,
                                       archive_stats, article_versions, iter_articles)
from newscrawler.web.params import ArticleSearch, CrawlsParams

MONTHS_TTL = 60.0  # seconds the whole archive's articles per month are reused (the home page's chart)
# The shape of a stored image's path (crawl/pipelines/thumbnails.py: file_path, thumb_path).
IMAGE_PATH = re.compile(r"(?:full|thumbs/[a-z0-9_]{1,32})/[0-9a-f]{2}/[0-9a-f]{40}\.jpg")
WARC_NAME = re.compile(r"[\w.+-]+\.warc(?:\.gz)?")
NO_INDEX_NOTICE = ("This archive has no search index yet: build it with `newscrawler index` "
                   "(a crawl also builds it when it ends).")


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
    mode: str  # fulltext | no_index | filters
    sort: str
    clauses: tuple = ()  # the search's words and phrases as index terms: what snippets mark
    notice: str | None = None
    per_month: dict[str, int] | None = None


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    for name in HIDDEN_FIELDS:
        doc.pop(name, None)
    return doc


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
            return self._no_index(p, months)
        return self._filtered(p, months)

    def _fulltext(self, index, p: ArticleSearch, months: bool) -> SearchResult:
        """The index answers the words and every filter (dates, category, author, tag, source,
        the edited and deleted marks): the total and the months are counted there, no article
        read; MongoDB gives the articles of the page shown."""
        from newscrawler.store import fulltext

        sort = p.sort or "relevance"
        query = self._query(p, search=None, limit=None, sort="newest")
        try:
            answer = fulltext.ask(self.db, index, p.q, query)
        except fulltext.SearchSyntaxError as exc:
            raise BadRequest(f"q: {exc}") from None
        ids = index.article_ids(answer.query, sort=None if sort == "relevance" else sort,
                                limit=p.size, offset=(p.page - 1) * p.size)
        found = {doc["article_id"]: doc for doc in self.db[ARTICLES].find({"article_id": {"$in": ids}})}
        docs = [_clean(found[article_id]) for article_id in ids if article_id in found]
        per_month = counts.months_of(answer.per_day()) if months else None
        return SearchResult(answer.count(), docs, "fulltext", sort, answer.search.clauses, None, per_month)

    def _no_index(self, p: ArticleSearch, months: bool) -> SearchResult:
        """A search before the index is built: nothing is found, and the notice says why (the
        web app only reads; ``newscrawler index`` or the next crawl builds the index)."""
        from newscrawler.store import fulltext

        try:
            fulltext.parse_search(p.q)
        except fulltext.SearchSyntaxError as exc:
            raise BadRequest(f"q: {exc}") from None
        return SearchResult(0, [], "no_index", p.sort or "relevance", (), NO_INDEX_NOTICE, {} if months else None)

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
        kept = self.db[counts.COLLECTION].find_one({"_id": counts.TOTAL_ID})
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
