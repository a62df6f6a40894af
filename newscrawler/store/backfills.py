"""Backfills: what each walk of an id range reached, so a stopped one continues where it stopped.

One document per (site, range) in ``backfills``: ``{base_url, first, last, next_id, done,
counts: {requested, skipped_archived, articles, not_articles, errors}, crawl_id, updated_at}``.
``next_id`` is the lowest id of the range not settled yet: every id below it was archived
already, fetched, found not to be an article, or recorded as failed. A backfill of the range
starts there (from ``first`` when there is no document); ``done`` once it passed ``last``.
Counts add up over the runs of the range.

A range shared by several workers (crawl/chunks.py) is walked in fixed chunks: chunk k is
``first + k*size`` to ``first + (k+1)*size - 1`` (the last one ends at ``last``), and each
chunk's checkpoint is the document of that sub-range, the same shape: a chunk is a range. So
what is done is known from the archive alone (:func:`unfinished_chunks`, :func:`range_progress`),
whichever worker walked it; Redis only hands the chunks out.
"""

from __future__ import annotations

import re
from typing import Any

from pymongo.database import Database

from newscrawler.store.indexes import BACKFILLS
from newscrawler.timeutil import utcnow

COUNTS = ("requested", "skipped_archived", "articles", "not_articles", "errors")
_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


def parse_id_range(text: str) -> tuple[int, int]:
    """``"4595000-4596000"`` -> (4595000, 4596000), both included; ValueError otherwise."""
    m = _RANGE.match(str(text or ""))
    if not m:
        raise ValueError(f"an id range is FIRST-LAST (e.g. 4595000-4596000), not {text!r}")
    first, last = int(m.group(1)), int(m.group(2))
    if first > last:
        raise ValueError(f"the range {first}-{last} ends before it starts")
    return first, last


def load_checkpoint(db: Database, base_url: str, first: int, last: int) -> dict[str, Any] | None:
    return db[BACKFILLS].find_one({"base_url": base_url, "first": first, "last": last}, {"_id": 0})


def save_checkpoint(db: Database, base_url: str, first: int, last: int, next_id: int,
                    counts: dict[str, int], crawl_id: str | None) -> None:
    """Move the range's checkpoint to ``next_id`` and add this run's new ``counts``.

    Never moves back: two runs of one range (or a late save) keep the furthest point."""
    key = {"base_url": base_url, "first": first, "last": last}
    doc = db[BACKFILLS].find_one(key, {"next_id": 1, "_id": 0}) or {}
    db[BACKFILLS].update_one(
        key,
        {"$max": {"next_id": max(next_id, doc.get("next_id", first))},
         "$inc": {f"counts.{name}": int(counts.get(name, 0)) for name in COUNTS},
         "$set": {"done": max(next_id, doc.get("next_id", first)) > last, "crawl_id": crawl_id,
                  "updated_at": utcnow()}},
        upsert=True)


def chunk_bounds(first: int, last: int, size: int) -> list[tuple[int, int]]:
    """The chunks of a range, in order: ``(chunk first, chunk last)``, both included."""
    if size < 1:
        raise ValueError(f"a chunk holds at least 1 id, not {size}")
    return [(start, min(start + size - 1, last)) for start in range(first, last + 1, size)]


def _chunk_checkpoints(db: Database, base_url: str, first: int, last: int, size: int) -> dict[int, dict]:
    """The stored checkpoints of the range's chunks, by chunk first id (one query)."""
    bounds = dict(chunk_bounds(first, last, size))
    docs = db[BACKFILLS].find({"base_url": base_url, "first": {"$gte": first, "$lte": last}},
                              {"_id": 0, "first": 1, "last": 1, "next_id": 1, "done": 1})
    return {d["first"]: d for d in docs if bounds.get(d["first"]) == d["last"]}


def chunk_start(db: Database, base_url: str, first: int, last: int, chunk: tuple[int, int]) -> int:
    """Where a chunk's walk starts: its own checkpoint, or further on where a walk of the whole
    range by one process (no Redis) settled past it already; ``chunk last + 1`` = nothing to do."""
    own = load_checkpoint(db, base_url, *chunk) or {}
    whole = load_checkpoint(db, base_url, first, last) or {}
    start = max(own.get("next_id", chunk[0]), whole.get("next_id", first), chunk[0])
    return chunk[1] + 1 if own.get("done") else min(start, chunk[1] + 1)


def unfinished_chunks(db: Database, base_url: str, first: int, last: int, size: int) -> list[int]:
    """First ids of the chunks not walked to their end yet, in order."""
    stored = _chunk_checkpoints(db, base_url, first, last, size)
    whole = (load_checkpoint(db, base_url, first, last) or {}).get("next_id", first)
    return [start for start, end in chunk_bounds(first, last, size)
            if not stored.get(start, {}).get("done") and whole <= end]


def range_progress(db: Database, base_url: str, first: int, last: int, size: int) -> tuple[int, int]:
    """(ids settled, chunks done) of a range walked in chunks, from the chunks' checkpoints."""
    stored = _chunk_checkpoints(db, base_url, first, last, size)
    whole = (load_checkpoint(db, base_url, first, last) or {}).get("next_id", first)
    settled = done = 0
    for start, end in chunk_bounds(first, last, size):
        reached = max(stored.get(start, {}).get("next_id", start), min(whole, end + 1), start)
        settled += min(reached, end + 1) - start
        done += reached > end
    return settled, done


__all__ = ["COUNTS", "chunk_bounds", "chunk_start", "load_checkpoint", "parse_id_range", "range_progress",
           "save_checkpoint", "unfinished_chunks"]
