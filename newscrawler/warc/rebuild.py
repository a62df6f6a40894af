"""The last resort: rebuild the articles from the WARC files into an empty archive.

When the archive database is lost (a server that will not start, data dropped by an upgrade)
and no dump or copy is left, the pages themselves are: every article page a crawl fetched is
a response record in the WARC files. :func:`rebuild_articles` reads them all, extracts each
article page again (``extract_article``, as the crawl does) and writes the records through the
archive's own write path (``ArticleStore.write_articles``) with their WARC pointers.

Pages are written oldest first (by ``WARC-Date``), so an article fetched several times comes
back as the crawls left it: its latest version in ``articles``, each earlier different text in
``article_revisions``, ``first_seen_at`` the date of its first page. What a page does not hold
does not come back: the thumbnail facts (the next crawl's thumbnail pipeline stores them
again), rejects and the crawl records. List pages, error responses (4xx, 5xx) and pages that
give no article are skipped and counted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from w3lib.encoding import http_content_type_encoding

from newscrawler.nbd.extract import ExtractionError, extract_article
from newscrawler.nbd.site import parse_article_url
from newscrawler.record import REQUIRED_FIELDS, ArticleRecord, content_hash
from newscrawler.store.counts import rebuild_counts
from newscrawler.store.indexes import ARTICLES
from newscrawler.store.store import ArticleStore
from newscrawler.timeutil import new_run_id
from newscrawler.warc.reader import READ_ERRORS, WarcReadError, read_response
from newscrawler.warc.writer import HEADER_ARTICLE_ID, HEADER_BASE_URL, WarcLocation

logger = logging.getLogger(__name__)

BATCH_SIZE = 100


class RebuildRefused(Exception):
    """The archive already holds articles: a rebuild writes only into an empty one."""


@dataclass(frozen=True)
class StoredPage:
    """Where one article page's response record is, and when it was fetched."""

    fetched_at: dt.datetime
    location: WarcLocation
    article_id: int


@dataclass
class RebuildReport:
    run_id: str
    files: int = 0
    damaged_files: list[str] = field(default_factory=list)   # "name: problem" (records before it used)
    responses: int = 0                                       # response records read
    article_pages: int = 0                                   # of those, article pages answered 2xx
    skipped: Counter = field(default_factory=Counter)        # responses not archived, by reason
    written: Counter = field(default_factory=Counter)        # write_articles counts

    @property
    def articles(self) -> int:
        return self.written["new"]

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "files": self.files, "damaged_files": self.damaged_files,
                "responses": self.responses, "article_pages": self.article_pages,
                "skipped": dict(self.skipped), "written": dict(self.written), "articles": self.articles}


def scan_pages(warc_dir: Path, files: Iterable[Path], report: RebuildReport) -> list[StoredPage]:
    """Every article page answered 2xx in ``files``, oldest first. A damaged file gives the
    records before its damage."""
    pages = []
    for path in files:
        report.files += 1
        try:
            pages.extend(_article_pages(path, path.relative_to(warc_dir).as_posix(), report))
        except READ_ERRORS as exc:
            report.damaged_files.append(f"{path.name}: {type(exc).__name__}: {exc}")
    return sorted(pages, key=lambda p: (p.fetched_at, p.location.file, p.location.offset))


def _article_pages(path: Path, name: str, report: RebuildReport) -> Iterator[StoredPage]:
    with open(path, "rb") as f:
        iterator = ArchiveIterator(f)
        for record in iterator:
            if record.rec_type != "response":
                continue
            report.responses += 1
            headers = record.rec_headers
            status = int(record.http_headers.get_statuscode() or 0) if record.http_headers else 0
            article_id = _article_id(headers.get_header("WARC-Target-URI"), headers.get_header(HEADER_ARTICLE_ID),
                                     headers.get_header(HEADER_BASE_URL))
            iterator.read_to_end(record)
            if article_id is None:
                report.skipped["not_an_article_page"] += 1
                continue
            if not 200 <= status < 300:
                report.skipped[f"http_{status}"] += 1
                continue
            report.article_pages += 1
            location = WarcLocation(name, iterator.get_record_offset(), iterator.get_record_length(),
                                    headers.get_header("WARC-Record-ID"))
            yield StoredPage(_warc_date(headers.get_header("WARC-Date")), location, article_id)


def _article_id(url: str | None, header: str | None, base_url: str | None) -> int | None:
    """The article a response is the page of: the crawl's header, else its URL."""
    if header and header.strip().isdigit():
        return int(header)
    parsed = parse_article_url(url or "", base_url or None)
    return parsed[0] if parsed else None


def _warc_date(value: str | None) -> dt.datetime:
    """WARC-Date (ISO 8601, UTC, ``Z``), kept to the millisecond as BSON keeps it."""
    moment = dt.datetime.fromisoformat((value or "1970-01-01T00:00:00Z").replace("Z", "+00:00"))
    moment = moment.astimezone(dt.timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def page_document(warc_dir: Path, page: StoredPage, default_base_url: str | None) -> dict[str, Any]:
    """The archive document of one stored page, as the crawl would have written it; raises
    WarcReadError or ExtractionError."""
    where = page.location
    response = read_response(warc_dir / where.file, where.offset, where.length, where.record_id)
    record = extract_article(response.content(), response.url,
                             base_url=response.base_url or default_base_url,
                             column_id=response.column_id,
                             charset=http_content_type_encoding(response.content_type))
    missing = [name for name in REQUIRED_FIELDS if not record.get(name)]
    if missing:  # what the crawl's validation rejects
        raise ExtractionError("missing_fields", f"missing {', '.join(missing)}", response.url)
    return ArticleRecord.from_dict(record, fetched_url=response.url, warc=where.as_meta(),
                                   content_hash=content_hash(record.get("title"), record.get("body_text")),
                                   ).to_document(crawled_at=page.fetched_at)


def _batches(pages: list[StoredPage], size: int) -> Iterator[list[StoredPage]]:
    """Batches of pages in date order, an article at most once per batch (the write path
    compares each record with the stored version: two of one article must go one after the
    other)."""
    batch: list[StoredPage] = []
    ids: set[int] = set()
    for page in pages:
        if len(batch) >= size or page.article_id in ids:
            yield batch
            batch, ids = [], set()
        batch.append(page)
        ids.add(page.article_id)
    if batch:
        yield batch


def rebuild_articles(db, warc_dir: str | Path, *, files: Iterable[Path] | None = None,
                     default_base_url: str | None = None, batch_size: int = BATCH_SIZE,
                     progress: Callable[[RebuildReport], None] | None = None) -> RebuildReport:
    """Rebuild ``articles`` (and their revisions) from the WARC files under ``warc_dir``
    (or ``files``); refused when ``articles`` holds anything."""
    warc_dir = Path(warc_dir)
    store = ArticleStore(db)
    held = store.articles.estimated_document_count()
    if held:
        raise RebuildRefused(f"the archive's {ARTICLES} collection holds {held} document(s): a rebuild "
                             f"writes only into an empty one (dump it, then drop it)")
    report = RebuildReport(new_run_id("rebuild"))
    files = sorted(files if files is not None else warc_dir.rglob("*.warc.gz"))
    pages = scan_pages(warc_dir, files, report)
    store.ensure_indexes()
    store.start_crawl(report.run_id, "rebuild", {"warc_dir": str(warc_dir), "files": len(files)})
    for batch in _batches(pages, batch_size):
        docs = []
        for page in batch:
            try:
                docs.append(page_document(warc_dir, page, default_base_url))
            except WarcReadError as exc:
                report.skipped[f"unreadable:{exc.reason}"] += 1
                logger.warning("%s at offset %s: %s", page.location.file, page.location.offset, exc)
            except ExtractionError as exc:
                report.skipped[f"extraction:{exc.reason}"] += 1
                logger.debug("%s at offset %s: %s", page.location.file, page.location.offset, exc)
        if docs:
            report.written.update(store.write_articles(docs, report.run_id))
        if progress:
            progress(report)
    # The kept counts behind `stats` were counted for the articles that were dropped.
    rebuild_counts(db)
    store.finish_crawl(report.run_id, {"pages": report.article_pages, **dict(report.written),
                                       "skipped": dict(report.skipped)}, "finished")
    return report


__all__ = ["RebuildRefused", "RebuildReport", "StoredPage", "rebuild_articles", "scan_pages"]
