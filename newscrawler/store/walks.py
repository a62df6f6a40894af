"""What has been walked of each column: the ``column_walks`` collection.

One document per (site, column)::

    {base_url, column_id,
     head_id,   # the newest article the last walk from page 1 listed
     gaps: [    # parts of the column a walk began but did not finish (stopped, crashed,
                # a list page that failed): the next run continues each from its resume point
        {resume: {url, xhr, page, depth, after_id[, headers]},  # the list page to continue from
                # (headers: a "load more" request's, its CSRF token among them)
         stop_id},  # the boundary: the newest article of the walk before (None: walk to depth)
     ],
     complete,  # no gap left
     version, crawl_id, walked_at}

A run walks each column from page 1 until it reaches ``head_id`` (what the last walk began
with), its depth (``pages``) or ``since``; and each gap from its resume point until its
``stop_id``, depth or ``since``. A run that cannot save (killed, MongoDB down) leaves the state
as it was, which is safe: the next run walks down to the old head and the old gaps again,
and the articles archived meanwhile are not fetched twice.
"""

from __future__ import annotations

import datetime as dt

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from newscrawler.store.indexes import COLUMN_WALKS


def gap_key(gap: dict) -> tuple:
    """A gap's identity: where it resumes and where it stops."""
    return gap["resume"]["url"], gap.get("stop_id")


def next_state(current: dict | None, head: int | None, new_gaps: list[dict], settled: set[tuple]) -> dict:
    """A column's walk state after a run.

    ``head``: the newest article this run's walk from page 1 listed (None when that walk did
    not get past page 1: the next run's walk from page 1 covers the same ground).
    ``new_gaps``: what this run leaves unwalked, its own walk's and the resumed gaps' remainders.
    ``settled``: keys of the gaps this run resumed (their remainders, if any, are in new_gaps).
    ``current`` is the stored state as it is now (another crawl may have saved meanwhile)."""
    current = current or {}
    heads = [h for h in (current.get("head_id"), head) if h is not None]
    gaps = [g for g in current.get("gaps") or [] if gap_key(g) not in settled]
    known = {gap_key(g) for g in gaps}
    gaps += [g for g in new_gaps if gap_key(g) not in known]
    # Newest first: the order the next run starts them in.
    gaps.sort(key=lambda g: -(g["resume"].get("after_id") or 0))
    return {"head_id": max(heads) if heads else None, "gaps": gaps, "complete": not gaps}


def load_walks(db: Database, base_url: str, column_ids: list[int]) -> dict[int, dict]:
    """The stored walk state of these columns (columns never walked are absent)."""
    found = db[COLUMN_WALKS].find({"base_url": base_url, "column_id": {"$in": list(column_ids)}},
                                  {"_id": 0})
    return {doc["column_id"]: doc for doc in found}


def save_walk(db: Database, base_url: str, column_id: int, head: int | None, new_gaps: list[dict],
              settled: set[tuple], crawl_id: str, attempts: int = 5) -> dict:
    """Merge this run's outcome into the stored state (read, merge, write if unchanged since
    the read: two crawls of one column at once keep each other's gaps)."""
    walks = db[COLUMN_WALKS]
    key = {"base_url": base_url, "column_id": column_id}
    for _ in range(attempts):
        current = walks.find_one(key)
        state = {**next_state(current, head, new_gaps, settled), "crawl_id": crawl_id,
                 "walked_at": dt.datetime.now(dt.timezone.utc)}
        if current is None:
            try:
                walks.insert_one({**key, **state, "version": 1})
                return state
            except DuplicateKeyError:
                continue
        done = walks.update_one({**key, "version": current.get("version")},
                                {"$set": state, "$inc": {"version": 1}})
        if done.matched_count:
            return state
    raise RuntimeError(f"column {column_id}: walk state changed under every attempt to save it")


__all__ = ["gap_key", "load_walks", "next_state", "save_walk"]
