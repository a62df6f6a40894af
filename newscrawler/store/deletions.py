"""Articles the site took down: marked, never removed, and unmarked when they come back.

An archived article whose page now answers 404 or 410, or redirects to a page that is not the
article (the home page, a column), is marked on its document:

- ``deleted_at``: when this crawl first saw it gone (kept while it stays gone);
- ``deletion``: how, ``{status, target, seen_at, crawl_id, last_seen_at}`` (``target``: where a
  redirect led; ``last_seen_at``: the latest check that still found it gone).

The archived copy is left as it was: the point of an archive is what the site no longer shows.
When the page answers again, ``deleted_at`` and ``deletion`` are removed and the episode goes
to ``deletion_history`` with ``restored_at`` / ``restored_by``. Network errors, timeouts and
5xx answers never reach this module: the spider calls it only for the answers above.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pymongo.collection import Collection

from newscrawler.timeutil import utcnow

GONE_STATUSES = (404, 410)


def mark_deleted(articles: Collection, ids: Iterable[int], status: int | str, crawl_id: str | None, *,
                 target: str | None = None, at: datetime | None = None) -> tuple[list[int], list[int]]:
    """Mark archived ``ids`` as deleted; returns (newly marked, already marked). Ids not in the
    archive are in neither list (a 404 of an article never archived is no deletion)."""
    ids = list(dict.fromkeys(ids))
    at = at or utcnow()
    found = {doc["article_id"]: doc.get("deleted_at")
             for doc in articles.find({"article_id": {"$in": ids}}, {"article_id": 1, "deleted_at": 1, "_id": 0})}
    fresh = [aid for aid, deleted_at in found.items() if deleted_at is None]
    again = [aid for aid, deleted_at in found.items() if deleted_at is not None]
    if fresh:
        articles.update_many(
            {"article_id": {"$in": fresh}, "deleted_at": None},
            {"$set": {"deleted_at": at, "deletion": {"status": status, "target": target, "seen_at": at,
                                                     "crawl_id": crawl_id, "last_seen_at": at}}})
    if again:
        articles.update_many({"article_id": {"$in": again}}, {"$set": {"deletion.last_seen_at": at}})
    return fresh, again


def clear_deleted(articles: Collection, ids: Iterable[int], crawl_id: str | None, *,
                  at: datetime | None = None) -> list[int]:
    """Unmark those of ``ids`` that were marked deleted (their page answers again); each
    episode is kept in ``deletion_history``. Returns the ids unmarked."""
    at = at or utcnow()
    restored = []
    for doc in articles.find({"article_id": {"$in": list(dict.fromkeys(ids))}, "deleted_at": {"$ne": None}},
                             {"article_id": 1, "deleted_at": 1, "deletion": 1, "_id": 0}):
        if _close_episode(articles, doc, {"restored_at": at, "restored_by": crawl_id}):
            restored.append(doc["article_id"])
    return restored


def withdraw_marks(articles: Collection, crawl_id: str | None, since: datetime, reason: str, *,
                   at: datetime | None = None) -> list[int]:
    """Take back the marks crawl ``crawl_id`` made from ``since`` on (its start): the monitor
    judged its deletions a broken site, not a site deleting articles (crawl/monitoring.py).
    Each such mark goes to ``deletion_history`` with ``withdrawn_at`` / ``withdrawn`` (the
    reason), so what the crawl saw is kept; the article is no longer marked, and the next check
    marks it again if it is still gone. Marks of earlier crawls (still gone now) are left.
    Returns the ids unmarked. Found through the ``deleted_at`` index (a range)."""
    at = at or utcnow()
    withdrawn = []
    since = since or datetime(1990, 1, 1, tzinfo=at.tzinfo)  # no start time: every mark of the crawl
    for doc in articles.find({"deleted_at": {"$gte": since}},
                             {"article_id": 1, "deleted_at": 1, "deletion": 1, "_id": 0}):
        if (doc.get("deletion") or {}).get("crawl_id") != crawl_id:
            continue
        if _close_episode(articles, doc, {"withdrawn_at": at, "withdrawn": reason}):
            withdrawn.append(doc["article_id"])
    return withdrawn


def _close_episode(articles: Collection, doc: Mapping, ending: dict[str, Any]) -> bool:
    """Unmark an article, its deletion episode (with how it ended) kept in ``deletion_history``.
    Conditional on the episode read: two processes ending it at once keep it once."""
    episode = {**(doc.get("deletion") or {}), "deleted_at": doc["deleted_at"], **ending}
    result = articles.update_one({"article_id": doc["article_id"], "deleted_at": doc["deleted_at"]},
                                 {"$push": {"deletion_history": episode},
                                  "$unset": {"deleted_at": "", "deletion": ""}})
    return bool(result.modified_count)


__all__ = ["GONE_STATUSES", "clear_deleted", "mark_deleted", "withdraw_marks"]
