"""Articles' pointers into the WARC files: check them all, mark the dangling ones for refetching.

An article's ``warc`` is either a pointer ``{"file", "offset", "length", "record_id"}`` or,
when its page is not kept, a marker ``{"missing": why[, "was": the old pointer]}``: the crawl
writes one when the record could not be written (see the WARC middleware's write-ahead), and
``mark_for_refetch`` turns a dangling pointer into one. The next crawl fetches every marked
article again (``articles_awaiting_pages``), and its new pointer replaces the marker.

A pointer is good when its file holds a whole, digest-checked ``response`` record with that
record id at that offset and of that length: :func:`newscrawler.warc.reader.check_file` reads
each file once and lists those records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo import UpdateOne

from newscrawler.warc.reader import FileCheck

MISSING = "missing"


@dataclass
class DanglingPointer:
    article_id: int
    pointer: dict
    reason: str      # missing_file | past_end | no_record | unreadable | bad_location

    def describe(self) -> str:
        where = f"{self.pointer.get('file')} @ {self.pointer.get('offset')}+{self.pointer.get('length')}"
        return f"article {self.article_id}: {self.reason} ({where})"


@dataclass
class PointerReport:
    checked: int = 0
    awaiting_refetch: int = 0      # articles already marked: their page is fetched again
    dangling: list[DanglingPointer] = field(default_factory=list)


def records_by_file(checks: Iterable[FileCheck]) -> dict[str, dict[int, tuple[int, str | None]]]:
    """File name -> {offset: (length, record id)} of the whole response records found."""
    return {c.path.name: {r.offset: (r.length, r.record_id) for r in c.records if r.rec_type == "response"}
            for c in checks}


def _reason(pointer: Mapping[str, Any], warc_dir: Path,
            records: Mapping[str, Mapping[int, tuple[int, str | None]]]) -> str | None:
    """Why ``pointer`` dangles, or None when it reaches a whole record."""
    try:
        name, offset, length = str(pointer["file"]), int(pointer["offset"]), int(pointer["length"])
    except (KeyError, TypeError, ValueError):
        return "bad_location"
    path = warc_dir / name
    if name not in records:
        if not path.is_file():
            return "missing_file"
        return None  # a file this check was not asked to read
    found = records[name].get(offset)
    if found is None:
        return "past_end" if offset + length > path.stat().st_size else "no_record"
    if found[0] != length or (pointer.get("record_id") and found[1] != pointer["record_id"]):
        return "no_record"
    return None


def check_pointers(articles, warc_dir: str | Path, checks: Iterable[FileCheck]) -> PointerReport:
    """Every article's pointer checked against what ``checks`` (of the files under
    ``warc_dir``) found readable. ``articles``: the MongoDB collection."""
    warc_dir = Path(warc_dir)
    records = records_by_file(checks)
    report = PointerReport()
    for doc in articles.find({"warc": {"$type": "object"}}, {"article_id": 1, "warc": 1, "_id": 0}):
        pointer = doc["warc"]
        if MISSING in pointer:
            report.awaiting_refetch += 1
            continue
        report.checked += 1
        # Every page it points at (an article over several pages lists its later ones).
        reason = next((r for page in page_pointers(pointer) if (r := _reason(page, warc_dir, records))), None)
        if reason:
            report.dangling.append(DanglingPointer(doc["article_id"], pointer, reason))
    return report


def mark_for_refetch(articles, dangling: Iterable[DanglingPointer]) -> int:
    """Replace dangling pointers by markers, so the next crawl fetches those pages again
    (only where the article still has that pointer). Returns how many were marked."""
    ops = [UpdateOne({"article_id": d.article_id, "warc": d.pointer},
                     {"$set": {"warc": {MISSING: f"dangling: {d.reason}", "was": d.pointer}}})
           for d in dangling]
    if not ops:
        return 0
    return articles.bulk_write(ops, ordered=False).modified_count


def articles_awaiting_pages(articles, limit: int) -> list[dict]:
    """Articles whose page is not kept (``warc`` marked missing): ``article_id`` and ``url``,
    oldest first, at most ``limit``."""
    cursor = articles.find({f"warc.{MISSING}": {"$exists": True}},
                           {"article_id": 1, "url": 1, "fetched_url": 1, "_id": 0})
    return list(cursor.sort("article_id", 1).limit(limit))


# -- articles over several pages -----------------------------------------------------------------
# An article's ``warc`` points at its page 1 (the shape every reader, check and refetch knows);
# the records of its pages 2.. are listed in order under LATER_PAGES inside it. A page that was
# not kept makes the whole pointer a ``missing`` marker: the next crawl fetches every page again.
LATER_PAGES = "later_pages"


def article_pointer(pointers: list[dict | None]) -> dict | None:
    """One article's ``warc`` from the WARC locations of its pages, in order (None: WARC off)."""
    if not pointers or all(p is None for p in pointers):
        return None
    first, *later = pointers
    if not later:
        return first
    for number, pointer in enumerate(pointers, 1):
        if not (isinstance(pointer, dict) and "file" in pointer):
            why = (pointer or {}).get(MISSING) or "not archived"
            return {MISSING: f"page {number} of {len(pointers)}: {why}"}
    return {**first, LATER_PAGES: later}


def page_pointers(where: Mapping[str, Any]) -> list[dict]:
    """The WARC locations of every page an article's ``warc`` points at, page 1 first."""
    first = {k: v for k, v in where.items() if k != LATER_PAGES}
    return [first, *list(where.get(LATER_PAGES) or [])]
