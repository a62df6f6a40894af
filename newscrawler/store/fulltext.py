"""The full-text index beside the archive: tantivy over title, summary and body cut by rjieba.

MongoDB stays the archive of record; this index is derived from it and can be rebuilt at any
time (``newscrawler index --rebuild``). It lives in ``<data dir>/fulltext/<database>``.

What it holds per article: the terms of title, summary and body (:mod:`newscrawler.store.segment`:
words, the dictionary words inside longer ones, positions that keep phrases exact), handed to
tantivy pre-tokenized since tantivy has no Chinese tokenizer; and the fields the filters of
``query`` need (publish time, category, source, authors, tags, revision), so a search with
filters, its count and its counts per day are answered by the index alone, and MongoDB is asked
only for the page of articles shown. Deletion marks are not copied: ``--deleted`` asks MongoDB
for the marked ids (few, through the ``deleted_at`` index) each time, so a mark or its removal
counts at once.

Incremental builds read the articles whose ``updated_at`` (indexed) is at or after the last one
the index took, less :data:`WATERMARK_MARGIN` (a write stamped just before another process's
build read the archive, committed just after, is taken by the next build; the ones read again
whose stamp has not moved, noted in :data:`RECENT_FILE`, are skipped); each is deleted by
its ``article_id`` term and added again, so an edit, a re-extraction or a changed tag replaces
the old entry, whoever wrote it and whenever the index is next brought up to date. The write
path moves ``updated_at`` (the time the crawl saw the change) whenever one of
:data:`INDEXED_FIELDS` changes. A change written more than :data:`LATE_WRITE` after its
``updated_at`` (a spool replayed after an outage) may be older than the index's watermark: the
write path notes its time (:func:`note_late_writes`) and the next build reads back to it. An
archive replaced underneath (restored or copied: another ``articles`` collection, told by its
uuid) or an index of an older format is rebuilt whole.

A whole build writes a new directory beside the index and swaps it in at the end: searches
keep reading the old index until then. One writer at a time: an flock on ``<index dir>.lock``
(the kernel drops it when the holder dies); a second writer gets :class:`IndexBusy`. Readers
need no lock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscrawler.files import FileLock, fsync_directory
from newscrawler.store.indexes import ARTICLES
from newscrawler.store.search_syntax import Search, SearchSyntaxError, Terms, parse_search
from newscrawler.store.segment import index_terms, normalize

FORMAT = 2  # of the index's schema and terms: an index of another format is rebuilt
TEXT_FIELDS = ("title", "summary", "body")
SOURCE_FIELDS = {"title": "title", "summary": "summary", "body": "body_text"}
# Index field -> article field, for the filters of ``query`` (exact values, one term each).
KEYWORD_FIELDS = {"category": "category", "source": "source", "author": "authors", "tag": "tags"}
# The article fields the index copies: a write that changes one must move ``updated_at``.
INDEXED_FIELDS = ("title", "summary", "body_text", "published_at", "category", "source", "authors", "tags",
                  "revision")
TITLE_BOOST = 2.0  # a word in the title says more about the article than one in its body
STATE_FILE = "state.json"
# The articles the last build took within WATERMARK_MARGIN of its watermark (id -> updated_at
# in ms): the next build reads them again and indexes only those whose stamp has moved. Apart
# from the state, which every search reads.
RECENT_FILE = "recent.json"
WRITER_HEAP = 128_000_000  # bytes of tantivy's indexing buffer (its minimum is 15 MB)
BATCH = 500  # articles read from MongoDB per round trip
# A whole build of more than FEW_CHANGES articles reads the archive ID_WINDOW ids at a time
# (see _by_id_windows; EMPTY_WINDOWS empty windows in a row end the walk); a small one is one
# query. A catch-up reads what changed in windows of updated_at holding about ID_WINDOW
# articles each (_by_time_windows), at most MAX_TIME_WINDOW wide: a window cannot be sized
# before it is read, and a quiet stretch must not widen one over a burst of writes (the write
# path stamps a few hundred a second at most: a window holds tens of thousands at worst).
FEW_CHANGES = 5_000
ID_WINDOW = 2_000
EMPTY_WINDOWS = 5_000
MAX_TIME_WINDOW = dt.timedelta(minutes=2)
FIRST_TIME_WINDOW = dt.timedelta(seconds=1)
# A write stamped more than LATE_WRITE before it is made is noted (note_late_writes); one
# stamped less is read again by the next build, which reads back WATERMARK_MARGIN (LATE_WRITE
# and a minute of commit time and clock skew between writers) before the last one it took. Kept
# short: everything written within the margin is indexed again by every build.
LATE_WRITE = dt.timedelta(minutes=1)
WATERMARK_MARGIN = dt.timedelta(minutes=2)
LATE_WRITES = "fulltext_late_writes"  # one document: the oldest updated_at written late
PROGRESS_EVERY = 10_000
DAY_MS = 86_400_000
BEIJING_OFFSET_MS = 8 * 3_600_000
# The archive's old keyword search field and its index (before the full-text index).
OLD_TOKENS_FIELD = "search_tokens"
OLD_TOKENS_INDEX = "search_tokens_1_published_at_-1"
UPGRADES = "archive_upgrades"  # marks of upgrades under way, so an interrupted one resumes
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


class IndexBusy(RuntimeError):
    """Another process is writing the index."""


def index_dir(data_dir: str | os.PathLike, database: str) -> Path:
    return Path(data_dir) / "fulltext" / database


def exists(path: str | os.PathLike) -> bool:
    """True once a build has committed an index of this format at ``path``."""
    return (Path(path) / "meta.json").is_file() and _read_state(Path(path)).get("format") == FORMAT


# -- documents -------------------------------------------------------------------------------


def _schema():
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("article_id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("published_at", indexed=True, fast=True)  # epoch milliseconds (BSON's)
    builder.add_integer_field("revision", indexed=True, fast=True)
    for name in TEXT_FIELDS:  # pre-tokenized: the tokenizer named is never run on them
        builder.add_text_field(name, tokenizer_name="raw", index_option="position")
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    return builder.build()


def _epoch_ms(moment: Any) -> int | None:
    if not isinstance(moment, dt.datetime):
        return None
    if moment.tzinfo is None:  # pymongo hands back naive UTC
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return (moment - _EPOCH) // dt.timedelta(milliseconds=1)


def document_of(article: Mapping[str, Any]):
    """The index's document of an archived article."""
    import tantivy

    doc = tantivy.Document()
    doc.add_integer("article_id", int(article["article_id"]))
    published = _epoch_ms(article.get("published_at"))
    if published is not None:
        doc.add_integer("published_at", published)
    doc.add_integer("revision", int(article.get("revision") or 1))
    token = tantivy.Token
    for name, source in SOURCE_FIELDS.items():
        text = article.get(source)
        canon, terms = index_terms(text) if isinstance(text, str) else ("", [])
        if terms:
            tokens = [token(term, start, start, end) for term, start, end in terms]
            doc.add_pre_tokenized_text(name, tantivy.PreTokenizedString(canon, tokens))
    for name, source in KEYWORD_FIELDS.items():
        value = article.get(source)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item:
                doc.add_text(name, item)
    return doc


PROJECTION = {"_id": 0, "article_id": 1, "updated_at": 1, **{f: 1 for f in INDEXED_FIELDS}}


class RecentlyTaken:
    """The articles a build took with an ``updated_at`` within :data:`WATERMARK_MARGIN` of the
    latest it took (id -> stamp in ms). The next build reads them again (the margin catches a
    write committed after a later-stamped one) and skips those whose stamp has not moved."""

    def __init__(self, known: Mapping[str, int] | None = None):
        self.known = {int(k): v for k, v in (known or {}).items()}
        self.taken: dict[int, int] = {}
        self.latest_ms: int | None = None
        self._prune_at = 10_000

    def unchanged(self, article_id: int, stamp_ms: int | None) -> bool:
        return stamp_ms is not None and self.known.get(article_id) == stamp_ms

    def note(self, article_id: int, stamp_ms: int | None) -> None:
        if stamp_ms is None:
            return
        if self.latest_ms is None or stamp_ms > self.latest_ms:
            self.latest_ms = stamp_ms
        self.taken[article_id] = stamp_ms
        if len(self.taken) > self._prune_at:  # a whole build: keep memory to the margin's articles
            self.taken = self._within_margin()
            self._prune_at = 2 * len(self.taken) + 10_000

    def _within_margin(self) -> dict[int, int]:
        if self.latest_ms is None:
            return {}
        floor = self.latest_ms - WATERMARK_MARGIN // dt.timedelta(milliseconds=1)
        return {k: v for k, v in self.taken.items() if v >= floor}

    def save(self, path: Path) -> None:
        _write_json(path / RECENT_FILE, {str(k): v for k, v in self._within_margin().items()})

    @classmethod
    def load(cls, path: Path) -> "RecentlyTaken":
        try:
            return cls(_read_json(path / RECENT_FILE))
        except (ValueError, AttributeError):  # not a map of ids to stamps: nothing known
            return cls()


def add_articles(writer, articles: Iterable[Mapping[str, Any]], after: dt.datetime | None = None,
                 *, empty: bool = False, recent: RecentlyTaken | None = None) -> tuple[int, dt.datetime | None]:
    """Replace each article's document in the index (``empty``: the index holds none yet, just
    add; ``recent``: skip the articles it took unchanged, note the ones taken): (how many
    changed: had no ``updated_at`` or one after ``after``, the latest ``updated_at``)."""
    changed, latest = 0, None
    for article in articles:
        updated = _aware(article.get("updated_at"))
        if updated is not None and (latest is None or updated > latest):
            latest = updated
        if recent is not None:
            article_id, stamp = int(article["article_id"]), _epoch_ms(updated)
            unchanged = recent.unchanged(article_id, stamp)
            recent.note(article_id, stamp)
            if unchanged:
                continue
        if not empty:
            writer.delete_documents_by_term("article_id", int(article["article_id"]))
        writer.add_document(document_of(article))
        if after is None or updated is None or updated > after:
            changed += 1
    return changed, latest


def _aware(moment: Any) -> dt.datetime | None:
    if not isinstance(moment, dt.datetime):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


# -- state and the writer lock ---------------------------------------------------------------


class WriterLock:
    """An exclusive, non-blocking flock on ``<index dir>.lock`` (beside the index: a whole
    build replaces the directory)."""

    def __init__(self, path: str | os.PathLike):
        self.index_path = Path(path)
        self.path = Path(str(path) + ".lock")
        self._lock = FileLock(self.path)

    def __enter__(self) -> "WriterLock":
        if not self._lock.acquire():
            raise IndexBusy(f"another process is updating the search index at {self.index_path}")
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()


def _read_state(path: Path) -> dict[str, Any]:
    return _read_json(path / STATE_FILE)


def _write_state(path: Path, state: Mapping[str, Any]) -> None:
    _write_json(path / STATE_FILE, state)


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text())
    except (OSError, ValueError):
        return {}


def _write_json(file: Path, data: Any) -> None:
    """Written whole or not at all (a temporary file renamed over it)."""
    tmp = file.with_name(file.name + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, file)


def _collection_id(db) -> str | None:
    """The uuid of the archive's ``articles`` collection: another one means the archive was
    replaced (a restore, a copy) and the index describes articles it may no longer hold."""
    for info in db.list_collections(filter={"name": ARTICLES}):
        uuid = (info.get("info") or {}).get("uuid")
        return uuid.hex() if hasattr(uuid, "hex") else str(uuid) if uuid is not None else None
    return None


def _watermark(state: Mapping[str, Any]) -> dt.datetime | None:
    return dt.datetime.fromisoformat(state["updated_at"]) if state.get("updated_at") else None


@dataclass
class BuildResult:
    indexed: int  # articles new or changed since the last build (those read again within the margin apart)
    rebuilt: bool
    seconds: float
    reason: str | None = None  # why the whole archive was indexed (None: only what changed)
    documents: int = 0  # in the index afterwards


def whole_build_reason(db, path: str | os.PathLike, *, rebuild: bool = False) -> str | None:
    """Why the next build must index every article (None: only what changed since the last)."""
    path = Path(path)
    state = _read_state(path)
    if rebuild:
        return "asked"
    if not (path / "meta.json").is_file():
        return "no index yet"
    if state.get("format") != FORMAT:
        return "an index of an older format"
    if state.get("collection") != _collection_id(db):
        return "the archive was replaced (restored or copied) since the last build"
    return None


def build(db, path: str | os.PathLike, *, rebuild: bool = False,
          progress: Callable[[int], None] | None = None, locked: bool = False) -> BuildResult:
    """Bring the index up to date: the articles changed since the last build, or every article
    (``rebuild``, no index yet, an older format, a replaced archive). ``progress(n)`` is called
    every :data:`PROGRESS_EVERY` articles. ``locked``: the caller holds the :class:`WriterLock`.

    Raises IndexBusy when another process holds the writer lock.
    """
    if not locked:
        with WriterLock(path):
            return build(db, path, rebuild=rebuild, progress=progress, locked=True)
    started = time.monotonic()
    path = Path(path)
    reason = whole_build_reason(db, path, rebuild=rebuild)
    collection = _collection_id(db)
    late = db[LATE_WRITES].find_one({"_id": "late"})  # read first: one noted during the build stays
    if reason is None:
        previous = _watermark(_read_state(path))
        since = _since(previous)
        if late and since and _aware(late["since"]) < since["updated_at"]["$gte"]:
            since = {"updated_at": {"$gte": _aware(late["since"])}}
        recent = RecentlyTaken.load(path)
        count, latest = _index_into(db, path, since, progress, after=previous, recent=recent)
        recent.save(path)
        if previous is not None and (latest is None or latest < previous):
            latest = previous
        _write_state(path, _state(collection, latest))
    else:
        count = _whole_build(db, path, collection, progress)
    if late:
        db[LATE_WRITES].delete_one({"_id": "late", "since": late["since"]})
    return BuildResult(indexed=count, rebuilt=reason is not None, seconds=time.monotonic() - started,
                       reason=reason, documents=_num_docs(path))


def _state(collection: str | None, latest: dt.datetime | None) -> dict[str, Any]:
    return {"format": FORMAT, "collection": collection, "updated_at": latest.isoformat() if latest else None,
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat()}


def _since(watermark: dt.datetime | None) -> dict[str, Any]:
    # Articles without updated_at (none in an archive written since it exists) are taken by
    # the whole build only: after one that saw none, what has one came later.
    return {"updated_at": {"$gte": watermark - WATERMARK_MARGIN if watermark else _EPOCH}}


def _index_into(db, path: Path, filter_: Mapping[str, Any], progress, after: dt.datetime | None = None,
                *, empty: bool = False, recent: RecentlyTaken | None = None) -> tuple[int, dt.datetime | None]:
    import tantivy

    index = tantivy.Index(_schema(), path=str(path), reuse=True)
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    bound = filter_.get("updated_at", {}).get("$gte")
    if bound is not None and bound > _EPOCH:
        articles = _by_time_windows(db, bound)
    elif (total := db[ARTICLES].estimated_document_count()) > FEW_CHANGES:
        # A whole build, or the catch-up of an index whose last build saw no updated_at (an
        # archive older than the field): read everything, take what the filter takes.
        articles = _changed_since(_by_id_windows(db, total), filter_)
    else:
        articles = db[ARTICLES].find(dict(filter_), PROJECTION, batch_size=BATCH)
    count, latest = add_articles(writer, _reporting(articles, progress), after, empty=empty, recent=recent)
    writer.commit()
    writer.wait_merging_threads()
    return count, latest


def _by_id_windows(db, total: int) -> Iterator[dict[str, Any]]:
    """Every article, read :data:`ID_WINDOW` ids at a time from id 0 up through the id index,
    until ``total`` have been read (the archive's count when the build began; later ones are
    the next build's) or :data:`EMPTY_WINDOWS` windows in a row were empty. A server may gather
    a query's whole answer before its first document, whatever its sort and limit (SecantusDB
    does: a whole archive's answer is gigabytes), so a build that reads many asks for few at a
    time, and the windows' bounds cannot come from a query for the first and last id."""
    read, empty_run, start = 0, 0, 0
    while read < total and empty_run < EMPTY_WINDOWS:
        window = list(db[ARTICLES].find({"article_id": {"$gte": start, "$lt": start + ID_WINDOW}}, PROJECTION))
        read += len(window)
        empty_run = 0 if window else empty_run + 1
        yield from window
        start += ID_WINDOW


def _by_time_windows(db, since: dt.datetime) -> Iterator[dict[str, Any]]:
    """The articles with ``updated_at`` at or after ``since``, read in windows of that time
    (its index serves each), each window's width set from the last one's count to hold about
    :data:`ID_WINDOW` articles: a catch-up of a million asks for a few thousand at a time (see
    :func:`_by_id_windows`). What is written during the walk is taken by the last, open-ended
    window or by the next build."""
    width = FIRST_TIME_WINDOW  # grown from the first count: two minutes hold ~50,000 at a full write rate
    start = since
    end = dt.datetime.now(dt.timezone.utc)
    while start <= end:
        window = list(db[ARTICLES].find({"updated_at": {"$gte": start, "$lt": start + width}}, PROJECTION))
        yield from window
        start += width
        scale = min(4.0, ID_WINDOW / len(window)) if window else 4.0
        # Never under a millisecond, the stamps' resolution.
        width = min(MAX_TIME_WINDOW, max(dt.timedelta(milliseconds=1), width * scale))
    yield from db[ARTICLES].find({"updated_at": {"$gte": start}}, PROJECTION, batch_size=BATCH)


def _changed_since(articles: Iterable[Mapping[str, Any]], filter_: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The articles that ``filter_`` (``{}`` or :func:`_since`'s) takes."""
    bound = filter_.get("updated_at", {}).get("$gte")
    for article in articles:
        updated = _aware(article.get("updated_at"))
        if bound is None or (updated is not None and updated >= bound):
            yield article


def _whole_build(db, path: Path, collection: str | None, progress) -> int:
    """Every article into a new directory beside ``path`` (its state written), swapped in at
    the end."""
    fresh = path.with_name(f"{path.name}.new-{os.getpid()}")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    try:
        recent = RecentlyTaken()
        count, latest = _index_into(db, fresh, {}, progress, empty=True, recent=recent)
        recent.save(fresh)
        _write_state(fresh, _state(collection, latest))
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    old = path.with_name(f"{path.name}.old-{os.getpid()}")
    if path.exists():
        os.replace(path, old)
    os.replace(fresh, path)
    fsync_directory(path.parent)
    shutil.rmtree(old, ignore_errors=True)
    return count


def _reporting(articles: Iterable, progress) -> Iterator:
    for n, article in enumerate(articles, 1):
        yield article
        if progress and n % PROGRESS_EVERY == 0:
            progress(n)


def _num_docs(path: Path) -> int:
    import tantivy

    return tantivy.Index.open(str(path)).searcher().num_docs


def is_behind(db, path: str | os.PathLike) -> bool:
    """True when the archive holds a change the index has not taken (one indexed query), or
    the index must be built whole."""
    path = Path(path)
    if whole_build_reason(db, path) is not None:
        return True
    watermark = _watermark(_read_state(path))
    if db[LATE_WRITES].find_one({"_id": "late"}, {"_id": 1}) is not None:
        return True
    # A build that saw no updated_at (an archive older than the field) took every article
    # there was: what has one came later.
    return db[ARTICLES].find_one({"updated_at": {"$gt": watermark or _EPOCH}}, {"_id": 1}) is not None


def note_late_writes(db, oldest: dt.datetime) -> None:
    """Note that changes stamped ``oldest`` (and later) were written only now, for the next
    incremental build to read back to (the write path calls it)."""
    db[LATE_WRITES].update_one({"_id": "late"}, {"$min": {"since": oldest}}, upsert=True)


# -- the archive's old search field ----------------------------------------------------------


def old_search_tokens_left(db) -> bool:
    """True while the archive still has the token field of the search before this index (its
    index, or an interrupted removal)."""
    return (OLD_TOKENS_INDEX in db[ARTICLES].index_information()
            or db[UPGRADES].find_one({"_id": OLD_TOKENS_FIELD, "finished_at": None}) is not None)


def remove_old_search_tokens(db, *, batch: int = BATCH, progress: Callable[[int], None] | None = None) -> int:
    """Drop the old ``search_tokens`` index, then unset the field from every article in batches
    of ``batch`` ids (the index first: without it an unset rewrites one document, with it
    hundreds of index entries as well). Marked under way in ``archive_upgrades``, so an
    interrupted removal resumes at the next call. Returns how many articles had the field."""
    upgrades = db[UPGRADES]
    upgrades.update_one({"_id": OLD_TOKENS_FIELD},
                        {"$setOnInsert": {"started_at": dt.datetime.now(dt.timezone.utc)},
                         "$set": {"finished_at": None}}, upsert=True)
    articles = db[ARTICLES]
    if OLD_TOKENS_INDEX in articles.index_information():
        articles.drop_index(OLD_TOKENS_INDEX)
    # The ids first: no update runs under an open cursor of the same collection.
    ids = [doc["article_id"] for doc in articles.find({}, {"_id": 0, "article_id": 1}, batch_size=5000)]
    removed = 0
    for start in range(0, len(ids), batch):
        result = articles.update_many({"article_id": {"$in": ids[start:start + batch]},
                                       OLD_TOKENS_FIELD: {"$exists": True}},
                                      {"$unset": {OLD_TOKENS_FIELD: ""}})
        removed += result.modified_count
        if progress and (start // batch + 1) % (PROGRESS_EVERY // batch or 1) == 0:
            progress(start + batch)
    upgrades.update_one({"_id": OLD_TOKENS_FIELD}, {"$set": {"finished_at": dt.datetime.now(dt.timezone.utc),
                                                             "articles": removed}})
    return removed


def _clause_query(schema, terms: Terms):
    import tantivy

    per_field = []
    for name in TEXT_FIELDS:
        if len(terms) == 1:
            query = tantivy.Query.term_query(schema, name, terms[0][1])
        else:
            query = tantivy.Query.phrase_query(schema, name, [(p, t) for p, t in terms])
        if name == "title":
            query = tantivy.Query.boost_query(query, TITLE_BOOST)
        per_field.append((tantivy.Occur.Should, query))
    return tantivy.Query.boolean_query(per_field)


def filter_queries(schema, query, deleted_ids: list[int] | None = None) -> list:
    """The filters of an :class:`~newscrawler.store.queries.ArticleQuery` (its search apart)
    as index queries; ``deleted_ids``: the archive's articles marked deleted, for ``--deleted``."""
    import tantivy

    out = []
    lower, upper = query.bounds()
    if lower is not None or upper is not None:
        out.append(tantivy.Query.range_query(schema, "published_at", tantivy.FieldType.Integer,
                                             _epoch_ms(lower), _epoch_ms(upper),
                                             include_lower=True, include_upper=upper is None))
    for name, value in (("category", query.category), ("source", query.source),
                        ("author", query.author), ("tag", query.tag)):
        if value is not None:
            out.append(tantivy.Query.term_query(schema, name, value))
    if query.edited:
        out.append(tantivy.Query.range_query(schema, "revision", tantivy.FieldType.Integer, 2, None))
    if query.deleted:
        out.append(tantivy.Query.term_set_query(schema, "article_id", list(deleted_ids or []))
                   if deleted_ids else tantivy.Query.empty_query())
    return out


class FullTextIndex:
    """Searches of a built index (read-only: no lock needed)."""

    def __init__(self, path: str | os.PathLike):
        import tantivy

        self.path = Path(path)
        self.index = tantivy.Index.open(str(path))
        self.schema = self.index.schema
        self.searcher = self.index.searcher()
        self._meta_mtime = self._meta_changed_at()

    def _meta_changed_at(self) -> int:
        try:
            return (self.path / "meta.json").stat().st_mtime_ns
        except OSError:
            return 0

    def refresh(self) -> None:
        """See what a writer (a crawl's update, ``newscrawler index``) committed since this
        index was opened: a long-running reader (the web app) calls it before a search."""
        import tantivy

        changed = self._meta_changed_at()
        if changed != self._meta_mtime:
            # Opened again, not reloaded: a whole build swaps in a new directory at this path.
            self.index = tantivy.Index.open(str(self.path))
            self.schema = self.index.schema
            self.searcher = self.index.searcher()
            self._meta_mtime = changed

    def to_query(self, search: Search | str, filters: Iterable = ()):
        import tantivy

        if isinstance(search, str):
            search = parse_search(search)
        subqueries = []
        for group in search.groups:
            clauses = [_clause_query(self.schema, c) for c in group]
            subqueries.append((tantivy.Occur.Must, clauses[0] if len(clauses) == 1 else
                               tantivy.Query.boolean_query([(tantivy.Occur.Should, c) for c in clauses])))
        subqueries += [(tantivy.Occur.MustNot, _clause_query(self.schema, c)) for c in search.excluded]
        # Filters do not score: a constant, so the ranking stays the words' (BM25).
        subqueries += [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters]
        return tantivy.Query.boolean_query(subqueries)

    def count(self, query) -> int:
        return self.searcher.search(query, limit=1, count=True).count

    def article_ids(self, query, *, sort: str | None = None, limit: int | None = None, offset: int = 0) -> list[int]:
        """The matching article ids: best match first (BM25), or by publish time with ``sort``
        ``newest`` / ``oldest``; all of them when ``limit`` is None or 0."""
        import tantivy

        limit = limit or max(self.searcher.num_docs, 1)
        if sort in ("newest", "oldest"):
            order = tantivy.Order.Desc if sort == "newest" else tantivy.Order.Asc
            result = self.searcher.search(query, limit=limit, count=False, offset=offset,
                                          order_by_field="published_at", order=order)
        else:
            result = self.searcher.search(query, limit=limit, count=False, offset=offset)
        addresses = [address for _score, address in result.hits]
        return [int(v) for v in self.searcher.fast_field_values("article_id", addresses)]

    def per_day(self, query) -> dict[str, int]:
        """How many articles match per Beijing day of publication (``YYYY-MM-DD`` -> count, days
        with none left out): a histogram aggregation of the index."""
        result = self.searcher.aggregate(query, {"days": {"histogram": {
            "field": "published_at", "interval": DAY_MS, "offset": DAY_MS - BEIJING_OFFSET_MS,
            "min_doc_count": 1}}})
        out = {}
        for bucket in result["days"]["buckets"]:
            start = _EPOCH + dt.timedelta(milliseconds=int(bucket["key"]) + BEIJING_OFFSET_MS)
            out[start.date().isoformat()] = int(bucket["doc_count"])
        return out


# -- answers: the index, then MongoDB for the page shown -------------------------------------


def deleted_ids(db) -> list[int]:
    """The ids of the archive's articles marked deleted (the ``deleted_at`` index: a range)."""
    from newscrawler.store.queries import DELETED_FILTER

    return [doc["article_id"] for doc in db[ARTICLES].find(DELETED_FILTER, {"_id": 0, "article_id": 1})]


@dataclass
class Answer:
    """A search with filters, as the index asks it."""

    index: FullTextIndex
    search: Search
    query: Any = field(repr=False)  # the tantivy query

    def count(self) -> int:
        return self.index.count(self.query)

    def per_day(self) -> dict[str, int]:
        return self.index.per_day(self.query)


def ask(db, index: FullTextIndex, search: str | Search, article_query=None) -> Answer:
    """``search`` with the filters of ``article_query`` (an ArticleQuery, its ``search`` ignored)."""
    parsed = parse_search(search) if isinstance(search, str) else search
    filters = []
    if article_query is not None:
        filters = filter_queries(index.schema, article_query, deleted_ids(db) if article_query.deleted else None)
    return Answer(index=index, search=parsed, query=index.to_query(parsed, filters))


def articles(db, answer: Answer, *, sort: str | None = None, limit: int | None = None,
             page: int = 200) -> Iterator[dict[str, Any]]:
    """The archived articles of an answer in its order (best first, or by publish time), at
    most ``limit`` (None or 0: all), fetched from MongoDB a page of ids at a time (``$in`` on
    the unique index). An id the archive no longer holds is skipped (the index is derived)."""
    wanted = limit or None
    page = min(page, wanted) if wanted else page
    offset, found = 0, 0
    while True:
        ids = answer.index.article_ids(answer.query, sort=sort, limit=page, offset=offset)
        if not ids:
            return
        docs = {doc["article_id"]: doc for doc in db[ARTICLES].find({"article_id": {"$in": ids}})}
        for article_id in ids:
            doc = docs.get(article_id)
            if doc is not None:
                yield doc
                found += 1
                if wanted and found >= wanted:
                    return
        if len(ids) < page:
            return
        offset += page


def search_articles(db, query, path: str | os.PathLike | None = None) -> Iterator[dict[str, Any]]:
    """The articles of an ArticleQuery with a search, newest (or oldest) first as ``query.sort``
    says, at most ``query.limit``, through the index at ``path`` (default: the data directory's
    index of ``db``), as it is. Raises QueryError when there is no index or the search cannot be
    read."""
    from newscrawler import config
    from newscrawler.store.queries import QueryError, _clean

    path = Path(path) if path is not None else index_dir(config.data_dir(), db.name)
    if not exists(path):
        raise QueryError(f"no search index at {path}: build it with `newscrawler index`")
    try:
        answer = ask(db, FullTextIndex(path), query.search, query)
    except SearchSyntaxError as exc:
        raise QueryError(f"search: {exc}") from None
    for doc in articles(db, answer, sort=query.sort, limit=query.limit):
        yield _clean(doc)


__all__ = ["Answer", "BuildResult", "FullTextIndex", "INDEXED_FIELDS", "IndexBusy", "Search", "SearchSyntaxError",
           "articles", "ask", "build", "deleted_ids", "exists", "index_dir", "is_behind", "normalize",
           "note_late_writes", "old_search_tokens_left", "parse_search", "remove_old_search_tokens", "search_articles", "whole_build_reason"]
