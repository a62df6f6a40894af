"""Revisits: when each archived article is checked again, and what a check leaves on it.

The schedule thins out with the time since the article last changed (NewsDiffs' rule: an
article edited an hour ago is likely to be edited again soon, one untouched for a month is
not). It is a setting, ``REVISIT_SCHEDULE`` (config.py): ``"3h:15m, 1d:30m, 7d:2h, 30d:1d, *:7d"``
reads "changed less than 3 hours ago: every 15 minutes; less than a day: every 30 minutes;
... ; older: weekly". "Changed" is the last content change (``updated_at``, set when a
revision is made), or the moment a deletion or restoration was first seen.

A check leaves on the document:

- ``last_checked_at``, ``next_check_at`` (indexed: the due query reads the index only);
- ``validators``: ``{etag, last_modified}`` as the site last sent them, so the next check is a
  conditional request that an unchanged page answers with an empty 304.

Articles archived before revisits existed (or by a crawl, which does not schedule) have no
``next_check_at``: they are due at once, found through the same index (a missing field is
indexed as null).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.collection import Collection

Schedule = list[tuple[dt.timedelta | None, dt.timedelta]]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")

# What a due query reads of each article: enough to request it and to judge its answer.
CHECK_FIELDS = ("article_id", "url", "fetched_url", "content_hash", "updated_at", "first_seen_at",
                "last_crawled_at", "deleted_at", "validators", "category", "column", "published_at")


def parse_duration(text: str) -> dt.timedelta:
    """``15m``, ``2h``, ``1d``, ``1w``, ``30s`` -> timedelta; ValueError otherwise."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"not a duration (like 15m, 2h, 1d): {text!r}")
    return dt.timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


def parse_schedule(text: str) -> Schedule:
    """``"3h:15m, 1d:30m, *:7d"`` -> [(3h, 15m), (1d, 30m), (None, 7d)]: (age limit, interval),
    limits increasing, the last one ``*`` (no limit)."""
    steps: Schedule = []
    for part in (p for p in str(text).split(",") if p.strip()):
        limit, sep, every = part.partition(":")
        if not sep:
            raise ValueError(f"a schedule step is AGE:INTERVAL, not {part.strip()!r}")
        steps.append((None if limit.strip() == "*" else parse_duration(limit), parse_duration(every)))
    if not steps or steps[-1][0] is not None:
        raise ValueError("a schedule ends with *:INTERVAL (how often old articles are checked)")
    limits = [limit for limit, _ in steps[:-1]]
    if any(limit is None for limit in limits) or limits != sorted(limits):
        raise ValueError("schedule ages must increase, with * only last")
    if any(every.total_seconds() <= 0 for _, every in steps):
        raise ValueError("schedule intervals must be positive")
    return steps


def check_interval(since_change: dt.timedelta, schedule: Schedule) -> dt.timedelta:
    """How long to wait before the next check of an article that last changed ``since_change`` ago."""
    for limit, every in schedule:
        if limit is None or since_change < limit:
            return every
    return schedule[-1][1]


def next_check_at(last_changed: dt.datetime | None, checked_at: dt.datetime, schedule: Schedule) -> dt.datetime:
    """When to check again, an article checked at ``checked_at`` that last changed at
    ``last_changed`` (None: unknown, taken as now)."""
    since_change = max(dt.timedelta(0), checked_at - (last_changed or checked_at))
    return checked_at + check_interval(since_change, schedule)


def last_change(doc: dict[str, Any]) -> dt.datetime | None:
    """When an archived article last changed: deleted, else its last revision, else first seen."""
    return doc.get("deleted_at") or doc.get("updated_at") or doc.get("first_seen_at") or doc.get("last_crawled_at")


def due_articles(articles: Collection, now: dt.datetime, *, everything: bool = False,
                 since: dt.datetime | None = None, until: dt.datetime | None = None,
                 limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The articles to check now, most overdue first (never-scheduled ones first of all).

    ``everything``: every archived article. ``since`` / ``until``: only those published in
    [since, until) (UTC). Without ``everything`` the due ones come from the ``next_check_at``
    index (null = never scheduled, then ``<= now``); the publish window is then applied to
    them here, as a second condition is not planned with the index.
    """
    projection = {name: 1 for name in CHECK_FIELDS} | {"_id": 0}
    window = {k: v for k, v in (("$gte", since), ("$lt", until)) if v is not None}
    if everything:
        query = {"published_at": window} if window else {}
        cursors: Iterable = [articles.find(query, projection)]
    else:
        cursors = [articles.find({"next_check_at": None}, projection),
                   articles.find({"next_check_at": {"$lte": now}}, projection).sort("next_check_at", ASCENDING)]
    count = 0
    for cursor in cursors:
        for doc in cursor:
            if not everything and window and not _in_window(doc.get("published_at"), since, until):
                continue
            yield doc
            count += 1
            if limit is not None and count >= limit:
                return


def _in_window(published: dt.datetime | None, since, until) -> bool:
    if published is None:
        return False
    if published.tzinfo is None:
        published = published.replace(tzinfo=dt.timezone.utc)
    return (since is None or published >= since) and (until is None or published < until)


def record_checks(articles: Collection, checks: Iterable[dict[str, Any]]) -> int:
    """Write what checks found: each ``{article_id, checked_at, next_check_at, validators?}``
    (validators only when the answer carried a page). One unordered bulk write."""
    ops = []
    for check in checks:
        fields = {"last_checked_at": check["checked_at"], "next_check_at": check["next_check_at"]}
        if check.get("validators") is not None:
            fields["validators"] = check["validators"]
        ops.append(UpdateOne({"article_id": check["article_id"]}, {"$set": fields}))
    if not ops:
        return 0
    return articles.bulk_write(ops, ordered=False).matched_count


__all__ = ["CHECK_FIELDS", "check_interval", "due_articles", "last_change", "next_check_at",
           "parse_duration", "parse_schedule", "record_checks"]
