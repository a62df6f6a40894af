"""Backfills: what each walk of an id range reached, so a stopped one continues where it stopped.

One document per (site, range) in ``backfills``: ``{base_url, first, last, next_id, done,
counts: {requested, skipped_archived, articles, not_articles, errors}, crawl_id, updated_at}``.
``next_id`` is the lowest id of the range not settled yet: every id below it was archived
already, fetched, found not to be an article, or recorded as failed. A backfill of the range
starts there (from ``first`` when there is no document); ``done`` once it passed ``last``.
Counts add up over the runs of the range.
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


__all__ = ["COUNTS", "load_checkpoint", "parse_id_range", "save_checkpoint"]
