"""The full-text index beside the archive: tantivy over rjieba-segmented title, summary and body.

MongoDB stays the archive of record; this index is derived from it and can be rebuilt at any
time (``newscrawler index --rebuild``). It lives in ``<data dir>/fulltext/<database>``.

Why pre-segmented text: tantivy has no Chinese tokenizer, so each text is cut by rjieba here and
handed to tantivy joined by spaces, in fields tokenized on white space with positions (phrases
work). A query is cut the same way (:func:`words_of`): an index and its queries must use the same
segmenter, or a word cut differently in the two never matches. A consequence: a word is found
where rjieba cut it as a word; "银行" does not find "银行业" when rjieba kept "银行业" whole.

Incremental builds read the articles whose ``updated_at`` is at or after the last one indexed
(kept in ``state.json`` in the index directory); each is deleted by its ``article_id`` term and
added again, so edits replace the old text. Articles the site deleted (``deleted_at``) stay in
the index: they are archived, and ``query --deleted`` narrows a search to them on the MongoDB side.

One writer at a time: an ``fcntl.flock`` on ``<index dir>.lock`` (the kernel drops it when the
holder dies); a second writer gets :class:`IndexBusy`. Readers need no lock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscrawler.files import FileLock

TEXT_FIELDS = ("title", "summary", "body")
SOURCE_FIELDS = {"title": "title", "summary": "summary", "body": "body_text"}
STATE_FILE = "state.json"
WRITER_HEAP = 64_000_000  # bytes of tantivy's indexing buffer (its minimum is 15 MB)
BATCH = 500  # articles read from MongoDB per round trip
# Everything the query language gives meaning to: quotes, the OR keyword, a leading minus.
_QUERY_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


class IndexBusy(RuntimeError):
    """Another process is writing the index."""


class SearchSyntaxError(ValueError):
    """A search the query language cannot read (nothing to look for, a dangling OR)."""


def index_dir(data_dir: str | os.PathLike, database: str) -> Path:
    return Path(data_dir) / "fulltext" / database


def exists(path: str | os.PathLike) -> bool:
    """True once a build has committed an index at ``path``."""
    return (Path(path) / "meta.json").is_file()


# -- segmentation ---------------------------------------------------------------------------


def normalize(text: str) -> str:
    """NFKC (full-width ``Ａ５`` -> ``a5``) and lower case: what both the index and queries see."""
    return unicodedata.normalize("NFKC", text).lower()


def words_of(text: str | None) -> list[str]:
    """rjieba's words of ``text`` (accurate mode), punctuation and white space left out."""
    if not text:
        return []
    import rjieba  # loaded on first use: a read verb that searches nothing does not pay for it

    return [w for w in (t.strip() for t in rjieba.cut(normalize(text))) if w and any(c.isalnum() for c in w)]


def segmented(text: str | None) -> str:
    return " ".join(words_of(text))


# -- the index ------------------------------------------------------------------------------


def _schema():
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("article_id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("published_at", stored=False, indexed=False, fast=True)  # epoch seconds
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=False, tokenizer_name="whitespace", index_option="position")
    return builder.build()


def open_index(path: str | os.PathLike):
    import tantivy

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return tantivy.Index(_schema(), path=str(path), reuse=True)


def _epoch_seconds(moment: Any) -> int:
    if not isinstance(moment, dt.datetime):
        return 0
    if moment.tzinfo is None:  # pymongo hands back naive UTC
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int((moment - _EPOCH).total_seconds())


def document_of(article: Mapping[str, Any]):
    import tantivy

    fields: dict[str, Any] = {"article_id": int(article["article_id"]),
                              "published_at": _epoch_seconds(article.get("published_at"))}
    for name, source in SOURCE_FIELDS.items():
        fields[name] = segmented(article.get(source))
    return tantivy.Document(**fields)


class WriterLock:
    """An exclusive, non-blocking flock on ``<index dir>.lock`` (beside the index: a rebuild
    may replace the directory's contents)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(str(path) + ".lock")
        self._lock = FileLock(self.path)

    def __enter__(self) -> "WriterLock":
        if not self._lock.acquire():
            raise IndexBusy(f"another process is updating the search index at {self.path.parent}")
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()


def _read_state(path: Path) -> dict[str, Any]:
    try:
        return json.loads((path / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _write_state(path: Path, state: Mapping[str, Any]) -> None:
    tmp = path / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path / STATE_FILE)


def _since_filter(state: Mapping[str, Any]) -> dict[str, Any]:
    last = state.get("updated_at")
    if not last:
        return {}
    # $gte, not $gt: articles written in the same millisecond as the last indexed one are
    # indexed again (harmless: delete then add) rather than missed.
    return {"updated_at": {"$gte": dt.datetime.fromisoformat(last)}}


@dataclass
class BuildResult:
    indexed: int
    rebuilt: bool
    seconds: float


def add_articles(writer, articles: Iterable[Mapping[str, Any]]) -> tuple[int, Any, set[int]]:
    """Replace each article's document in the index: (how many, the latest ``updated_at``, the
    ids that carry that latest ``updated_at``)."""
    count, latest, at_latest = 0, None, set()
    for article in articles:
        article_id = int(article["article_id"])
        writer.delete_documents_by_term("article_id", article_id)
        writer.add_document(document_of(article))
        count += 1
        updated = article.get("updated_at")
        if isinstance(updated, dt.datetime):
            if latest is None or updated > latest:
                latest, at_latest = updated, {article_id}
            elif updated == latest:
                at_latest.add(article_id)
    return count, latest, at_latest


def _not_yet_indexed(articles: Iterable[Mapping[str, Any]], state: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Leave out the articles the last build indexed at its last ``updated_at`` (a crawl writes a
    batch with one timestamp; the ``$gte`` of :func:`_since_filter` finds them again)."""
    last = dt.datetime.fromisoformat(state["updated_at"]) if state.get("updated_at") else None
    done = set(state.get("ids_at_updated_at") or ())
    for article in articles:
        updated = article.get("updated_at")
        if isinstance(updated, dt.datetime) and updated.tzinfo is None:
            updated = updated.replace(tzinfo=dt.timezone.utc)
        if last is not None and updated == last and article["article_id"] in done:
            continue
        yield article


def _next_state(state: Mapping[str, Any], latest: Any, at_latest: set[int]) -> dict[str, Any]:
    out = dict(state)
    if latest is not None:
        latest = latest if latest.tzinfo else latest.replace(tzinfo=dt.timezone.utc)
        previous = dt.datetime.fromisoformat(state["updated_at"]) if state.get("updated_at") else None
        if previous is None or latest > previous:
            out.update(updated_at=latest.isoformat(), ids_at_updated_at=sorted(at_latest))
        elif latest == previous:
            out["ids_at_updated_at"] = sorted(set(state.get("ids_at_updated_at") or ()) | at_latest)
    out["built_at"] = dt.datetime.now(dt.timezone.utc).isoformat()
    return out


def build(db, path: str | os.PathLike, *, rebuild: bool = False) -> BuildResult:
    """Index the archive's articles changed since the last build (all of them with ``rebuild``).

    Raises IndexBusy when another process holds the writer lock.
    """
    import time

    started = time.monotonic()
    path = Path(path)
    with WriterLock(path):
        index = open_index(path)
        state = {} if rebuild else _read_state(path)
        writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
        if rebuild:
            writer.delete_all_documents()
        projection = {"_id": 0, "article_id": 1, "published_at": 1, "updated_at": 1,
                      **{source: 1 for source in SOURCE_FIELDS.values()}}
        cursor = db["articles"].find(_since_filter(state), projection, batch_size=BATCH)
        count, latest, at_latest = add_articles(writer, _not_yet_indexed(cursor, state))
        writer.commit()
        writer.wait_merging_threads()
        _write_state(path, _next_state(state, latest, at_latest))
    return BuildResult(indexed=count, rebuilt=rebuild, seconds=time.monotonic() - started)


# -- the query language ---------------------------------------------------------------------


def _quoted(words: list[str]) -> str:
    """Words as one tantivy phrase (a single word is a term): escaped, so user text is never syntax."""
    return '"' + " ".join(w.replace("\\", "\\\\").replace('"', '\\"') for w in words) + '"'


def to_tantivy(search: str) -> str:
    """The user's search in tantivy's query language.

    ``a b`` both must match; ``"a b"`` the exact phrase; ``a OR b`` either; ``-a`` not a.
    Each word or phrase is cut by rjieba as the index was, and becomes a phrase of its words
    (a Chinese word may be several index words). ``OR`` binds its neighbours into one group,
    and the groups are joined by AND (the parser's ``conjunction_by_default``).
    """
    groups: list[list[str]] = []
    excluded: list[str] = []
    join_next = False
    for minus, phrase, bare in _QUERY_TOKEN.findall(search):
        if bare == "OR":
            if not groups or join_next:
                raise SearchSyntaxError("OR needs a word on each side")
            join_next = True
            continue
        negated = bool(minus) or (bare.startswith("-") and len(bare) > 1)
        text = phrase if phrase or minus else (bare[1:] if negated else bare)
        words = words_of(text)
        if not words:
            continue
        clause = _quoted(words)
        if negated:
            excluded.append("-" + clause)
        elif join_next:
            groups[-1].append(clause)
        else:
            groups.append([clause])
        join_next = False
    if join_next:
        raise SearchSyntaxError("OR needs a word on each side")
    if not groups:
        raise SearchSyntaxError("the search has no word to look for")
    parts = [g[0] if len(g) == 1 else "(" + " OR ".join(g) + ")" for g in groups]
    return " ".join(parts + excluded)


def positive_words(search: str) -> list[str]:
    """The words a search looks for (not those it excludes), as the index cut them: what a
    snippet marks. Raises SearchSyntaxError as :func:`to_tantivy` does."""
    to_tantivy(search)
    words: list[str] = []
    for minus, phrase, bare in _QUERY_TOKEN.findall(search):
        if bare == "OR" or minus or (bare.startswith("-") and len(bare) > 1):
            continue
        words += words_of(phrase or bare)
    return list(dict.fromkeys(words))


_DAY = 86_400
# Histogram buckets of publish times start at Beijing midnight (16:00 UTC the day before).
_BEIJING_MIDNIGHT_OFFSET = _DAY - 8 * 3600


class FullTextIndex:
    """Searches of a built index (read-only: no lock needed)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.index = open_index(path)
        self._meta_mtime = self._meta_changed_at()

    def _meta_changed_at(self) -> int:
        try:
            return (self.path / "meta.json").stat().st_mtime_ns
        except OSError:
            return 0

    def refresh(self) -> None:
        """See what a writer (a crawl's update, ``newscrawler index``) committed since this
        index was opened: a long-running reader (the web app) calls it before a search."""
        changed = self._meta_changed_at()
        if changed != self._meta_mtime:
            self.index.reload()
            self._meta_mtime = changed

    def parse(self, search: str, published: tuple[dt.datetime | None, dt.datetime | None] | None = None):
        """The query of ``search``; with ``published`` (lower, upper) bounds, only articles
        published at or after lower and before upper (answered by the publish-time fast field,
        no article read; articles without a publish time never match a bound)."""
        query = self.index.parse_query(to_tantivy(search), list(TEXT_FIELDS), conjunction_by_default=True)
        if not published or published == (None, None):
            return query
        import tantivy

        lower, upper = published
        low = max(_epoch_seconds(lower), 1) if lower is not None else 1  # 0: no publish time
        high = _epoch_seconds(upper) if upper is not None else None
        if upper is not None and upper.microsecond and high is not None:
            high += 1  # the index keeps whole seconds: an instant inside a second bounds it from above
        within = tantivy.Query.range_query(self.index.schema, "published_at", tantivy.FieldType.Integer, low, high,
                                           include_upper=high is None)
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, within)])

    def count(self, search: str, published=None) -> int:
        return self.index.searcher().search(self.parse(search, published), limit=1, count=True).count

    def article_ids(self, search: str, *, sort: str | None = None, limit: int | None = None,
                    published=None) -> list[int]:
        """The matching article ids: best match first (BM25), or by publish time with ``sort``
        ``newest`` / ``oldest``; all of them when ``limit`` is None or 0; ``published``: as
        :meth:`parse`."""
        import tantivy

        searcher = self.index.searcher()
        query = self.parse(search, published)
        limit = limit or max(searcher.num_docs, 1)
        if sort in ("newest", "oldest"):
            order = tantivy.Order.Desc if sort == "newest" else tantivy.Order.Asc
            result = searcher.search(query, limit=limit, count=False, order_by_field="published_at", order=order)
        else:
            result = searcher.search(query, limit=limit, count=False)
        return [searcher.doc(address)["article_id"][0] for _score, address in result.hits]

    def per_day(self, search: str, published=None) -> dict[str, int]:
        """How many articles match ``search`` per Beijing day of publication (``YYYY-MM-DD``,
        days with none left out; articles without a publish time are not counted). Counted by
        tantivy over the publish-time fast field: no article is read."""
        result = self.index.searcher().aggregate(self.parse(search, published), {"days": {"histogram": {
            "field": "published_at", "interval": _DAY, "offset": _BEIJING_MIDNIGHT_OFFSET, "min_doc_count": 1}}})
        out: dict[str, int] = {}
        for bucket in result["days"]["buckets"]:
            start = int(bucket["key"])
            if start <= 0 < start + _DAY:  # published_at 0: the article has no publish time
                continue
            day = (_EPOCH + dt.timedelta(seconds=start + 8 * 3600)).date().isoformat()
            out[day] = out.get(day, 0) + int(bucket["doc_count"])
        return out


def iter_hits(db, ids: list[int], mongo_filter: Mapping[str, Any], *, chunk: int = 200) -> Iterator[dict[str, Any]]:
    """The archived articles of ``ids`` that pass ``mongo_filter``, in the order of ``ids``.

    Asked in chunks so the first page of a frequent word costs one small ``$in`` query. The
    query is the ids alone, which the unique index serves; the filter is checked here
    (``queries.matches_filter``): SecantusDB answers an ``$in`` joined with another condition
    by a collection scan (``benchmarks/bench_web.py`` prints what that costs).
    """
    from newscrawler.store.queries import matches_filter

    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        found = {doc["article_id"]: doc for doc in db["articles"].find({"article_id": {"$in": part}})}
        for article_id in part:
            doc = found.get(article_id)
            if doc is not None and (not mongo_filter or matches_filter(doc, mongo_filter)):
                yield doc


def count_hits(db, ids: list[int], mongo_filter: Mapping[str, Any], *, chunk: int = 500) -> int:
    """How many of ``ids`` are archived articles passing ``mongo_filter`` (asked as
    :func:`iter_hits` asks, projected on the filter's fields)."""
    from newscrawler.store.queries import matches_filter

    projection = {"_id": 0, "article_id": 1, **dict.fromkeys(mongo_filter, 1)}
    return sum(1 for start in range(0, len(ids), chunk)
               for doc in db["articles"].find({"article_id": {"$in": ids[start:start + chunk]}}, projection)
               if matches_filter(doc, mongo_filter))


__all__ = ["BuildResult", "FullTextIndex", "count_hits", "IndexBusy", "SearchSyntaxError", "build", "exists",
           "index_dir", "iter_hits", "positive_words", "to_tantivy", "words_of"]
