"""What changed between two kept versions of an article, as data: shared by ``newscrawler diff``
(marks for a terminal or a pipe) and the web app (``<del>`` / ``<ins>``).

The title and the other page fields are compared as one text each, the body paragraph by
paragraph (one a line of ``body_text``), and inside a changed paragraph or field character by
character, since Chinese text has no spaces to diff words by. Each change is a list of
segments ``(op, text)`` with ``op`` one of ``equal``, ``delete``, ``insert``: how it is shown
is the caller's business.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from newscrawler.record import json_value

# Page fields compared besides title and body_text (body_html repeats the body; the crawl's
# own fields, such as crawl_id or warc, change with every fetch and say nothing of the article).
OTHER_FIELDS = ("published_at", "byline", "authors", "editor", "source", "category", "column", "tags",
                "keywords", "summary", "images", "thumbnail_url", "video", "pages")
CONTEXT_LINES = 1  # unchanged paragraphs shown around a change

Segment = tuple[str, str]  # (equal | delete | insert, text)


class VersionNotKept(LookupError):
    """A revision the archive does not keep for this article (the message names those kept)."""


def pick_versions(versions: Sequence[Mapping], from_rev: int | None, to_rev: int | None) -> tuple[Mapping, Mapping]:
    """The (older, newer) versions named among ``versions`` (oldest first, the current last);
    the newer defaults to the current, the older to the one before the newer.

    Raises VersionNotKept when one is not kept (or there is none before the newer).
    """
    by_revision = {v.get("revision") or 1: v for v in versions}
    kept = ", ".join(map(str, sorted(by_revision)))
    article_id = versions[-1].get("article_id")
    current = versions[-1].get("revision") or 1
    to_rev = current if to_rev is None else to_rev
    if from_rev is None:
        earlier = [r for r in by_revision if r < to_rev]
        if not earlier:
            raise VersionNotKept(f"article {article_id} has no version before revision {to_rev} (kept: {kept})")
        from_rev = max(earlier)
    for rev in (from_rev, to_rev):
        if rev not in by_revision:
            raise VersionNotKept(f"article {article_id} has no revision {rev} (kept: {kept})")
    return by_revision[from_rev], by_revision[to_rev]


def version_list(versions: Sequence[Mapping]) -> list[dict]:
    """Each kept version in brief, oldest first (JSON: times in UTC)."""
    return [{"revision": v.get("revision") or 1, "title": v.get("title"),
             "seen_from": json_value(v.get("updated_at")),
             "replaced_at": json_value(v.get("revised_at")), "replaced_by_crawl": v.get("replaced_by_crawl"),
             "current": i == len(versions) - 1} for i, v in enumerate(versions)]


# -- the comparison ---------------------------------------------------------------------------


def char_changes(old: str, new: str) -> list[Segment]:
    """``old`` changed into ``new``, character by character: deleted text before inserted."""
    out: list[Segment] = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("equal", old[a1:a2]))
            continue
        if a2 > a1:
            out.append(("delete", old[a1:a2]))
        if b2 > b1:
            out.append(("insert", new[b1:b2]))
    return out


@dataclass(frozen=True)
class BodyLine:
    """One paragraph of a body's hunk: ``kind`` is ``context`` (unchanged), ``changed`` (in
    place: ``segments`` say how), ``removed`` or ``added``."""

    kind: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Hunk:
    """A run of changed paragraphs with ``CONTEXT_LINES`` unchanged around them; the ranges are
    1-based, inclusive (``old_first``-``old_last`` -> ``new_first``-``new_last``)."""

    old_first: int
    old_last: int
    new_first: int
    new_last: int
    lines: tuple[BodyLine, ...]


def body_hunks(old: str, new: str, context: int = CONTEXT_LINES) -> Iterator[Hunk]:
    """The body's changes paragraph by paragraph: a paragraph changed in place compared
    character by character, removed and added ones whole, ``context`` unchanged around them."""
    a, b = old.splitlines(), new.splitlines()
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        lines: list[BodyLine] = []
        for op, a1, a2, b1, b2 in group:
            if op == "equal":
                lines += [BodyLine("context", (("equal", line),)) for line in a[a1:a2]]
            elif op == "replace" and a2 - a1 == b2 - b1:
                lines += [BodyLine("changed", tuple(char_changes(x, y))) for x, y in zip(a[a1:a2], b[b1:b2])]
            else:
                lines += [BodyLine("removed", (("delete", line),)) for line in a[a1:a2]]
                lines += [BodyLine("added", (("insert", line),)) for line in b[b1:b2]]
        yield Hunk(group[0][1] + 1, group[-1][2], group[0][3] + 1, group[-1][4], tuple(lines))


def field_text(value: Any) -> str:
    """A field as one comparable text: lists joined with 、, times in UTC."""
    value = json_value(value)
    if isinstance(value, list):
        return "、".join(map(str, value))
    return "" if value is None else str(value)


def changed_fields(old: Mapping, new: Mapping) -> list[str]:
    """The title and other page fields that differ between the two versions, in a fixed order."""
    return [f for f in ("title", *OTHER_FIELDS) if field_text(old.get(f)) != field_text(new.get(f))]


def body_changed(old: Mapping, new: Mapping) -> bool:
    return (old.get("body_text") or "") != (new.get("body_text") or "")


def json_changes(old: Mapping, new: Mapping) -> dict:
    """The comparison as data: each changed field's two values, the body's changed paragraphs."""
    a, b = (old.get("body_text") or "").splitlines(), (new.get("body_text") or "").splitlines()
    body = [{"op": op, "from": a[a1:a2], "to": b[b1:b2], "from_line": a1 + 1, "to_line": b1 + 1}
            for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
            if op != "equal"]
    return {"article_id": new.get("article_id"),
            "from": {"revision": old.get("revision") or 1, "revised_at": json_value(old.get("revised_at"))},
            "to": {"revision": new.get("revision") or 1, "revised_at": json_value(new.get("revised_at"))},
            "fields": {f: {"from": json_value(old.get(f)), "to": json_value(new.get(f))}
                       for f in changed_fields(old, new)},
            "body_text": body}


__all__ = ["CONTEXT_LINES", "OTHER_FIELDS", "BodyLine", "Hunk", "VersionNotKept", "body_changed", "body_hunks",
           "changed_fields", "char_changes", "field_text", "json_changes", "pick_versions", "version_list"]
