"""`newscrawler diff ID|URL [FROM [TO]] [--from N --to M]`: what the site changed in an article.

Compares two kept versions of an article (``revision`` numbers, as ``show`` lists them; by
default the one before the current against the current): the title and the other page fields
as one line each, the body line by line (one paragraph a line), and inside a changed line or
field character by character, since Chinese text has no spaces to diff words by. Deleted text
is red and inserted text green on a terminal; in a pipe (or with ``--color never``) they are
marked ``[-deleted-]`` and ``{+inserted+}`` (wdiff's marks), so the output stays readable.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from newscrawler.cli import CommandError, ExitStatus
from newscrawler.cli.output import beijing_minutes
from newscrawler.cli.commands._archive import add_start_argument, archive_database, article_with_versions

# Page fields compared besides title and body_text (body_html repeats the body; the crawl's
# own fields, such as crawl_id or warc, change with every fetch and say nothing of the article).
OTHER_FIELDS = ("published_at", "byline", "authors", "editor", "source", "category", "column", "tags",
                "keywords", "summary", "images", "thumbnail_url", "video", "pages")
CONTEXT_LINES = 1  # unchanged paragraphs shown around a change


class Marks:
    """How deleted and inserted text is shown: ANSI colours, or wdiff's brackets."""

    def __init__(self, color: bool):
        self.color = color

    def deleted(self, text: str) -> str:
        return f"\x1b[31;9m{text}\x1b[0m" if self.color else f"[-{text}-]"

    def inserted(self, text: str) -> str:
        return f"\x1b[32m{text}\x1b[0m" if self.color else f"{{+{text}+}}"


def register(subparsers) -> None:
    p = subparsers.add_parser("diff", help="what changed between two versions of an archived article",
                              description="Show what changed between two kept versions of an article: title, "
                                          "body (by paragraph, then by character) and the other fields. Versions "
                                          "are revision numbers (see `newscrawler show`); by default the previous "
                                          "one against the current. Exits with 1 if there is nothing to compare.")
    p.add_argument("article", metavar="ID|URL", help="article id, or its URL on any 每经网 host")
    p.add_argument("revisions", metavar="REV", type=int, nargs="*", help="FROM [TO] revision numbers")
    p.add_argument("--from", dest="from_rev", metavar="N", type=int, help="the older revision")
    p.add_argument("--to", dest="to_rev", metavar="M", type=int, help="the newer revision (default: current)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour deletions and insertions (auto: on a terminal, unless NO_COLOR is set)")
    p.add_argument("--json", action="store_true", help="the changes as JSON (times in UTC)")
    add_start_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if len(args.revisions) > 2:
        raise CommandError("at most two revisions: FROM [TO]", ExitStatus.USAGE)
    wanted = (*args.revisions, None, None)
    from_rev = args.from_rev if args.from_rev is not None else wanted[0]
    to_rev = args.to_rev if args.to_rev is not None else wanted[1]
    with archive_database(args.start) as db:
        _, versions = article_with_versions(db, args.article)
    old, new = pick_versions(versions, from_rev, to_rev)
    if args.json:
        print(json.dumps(json_changes(old, new), ensure_ascii=False, indent=2))
        return 0
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    for line in diff_lines(old, new, Marks(color)):
        print(line)
    return 0


def pick_versions(versions: list[dict], from_rev: int | None, to_rev: int | None) -> tuple[dict, dict]:
    """The (older, newer) versions named; the newer defaults to the current, the older to the
    one before the newer."""
    by_revision = {v.get("revision") or 1: v for v in versions}
    kept = ", ".join(map(str, sorted(by_revision)))
    current = versions[-1].get("revision") or 1
    to_rev = current if to_rev is None else to_rev
    if from_rev is None:
        earlier = [r for r in by_revision if r < to_rev]
        if not earlier:
            raise CommandError(f"article {versions[-1]['article_id']} has no version before revision {to_rev} "
                               f"(kept: {kept})", ExitStatus.FAILURE)
        from_rev = max(earlier)
    for rev in (from_rev, to_rev):
        if rev not in by_revision:
            raise CommandError(f"article {versions[-1]['article_id']} has no revision {rev} (kept: {kept})",
                               ExitStatus.FAILURE)
    return by_revision[from_rev], by_revision[to_rev]


# -- the comparison ---------------------------------------------------------------------------


def inline(old: str, new: str, marks: Marks) -> str:
    """``old`` changed into ``new``, character by character, the changes marked."""
    out = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(old[a1:a2])
            continue
        if a2 > a1:
            out.append(marks.deleted(old[a1:a2]))
        if b2 > b1:
            out.append(marks.inserted(new[b1:b2]))
    return "".join(out)


def body_lines(old: str, new: str, marks: Marks) -> Iterator[str]:
    """The body's changes paragraph by paragraph, a paragraph changed in place shown inline
    (``~``), removed ones ``-``, added ones ``+``, ``CONTEXT_LINES`` unchanged around them."""
    a, b = old.splitlines(), new.splitlines()
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(CONTEXT_LINES):
        yield f"  @@ paragraphs {group[0][1] + 1}-{group[-1][2]} -> {group[0][3] + 1}-{group[-1][4]} @@"
        for op, a1, a2, b1, b2 in group:
            if op == "equal":
                yield from (f"    {line}" for line in a[a1:a2])
            elif op == "replace" and a2 - a1 == b2 - b1:
                yield from (f"  ~ {inline(x, y, marks)}" for x, y in zip(a[a1:a2], b[b1:b2]))
            else:
                yield from (f"  - {marks.deleted(line)}" for line in a[a1:a2])
                yield from (f"  + {marks.inserted(line)}" for line in b[b1:b2])


def field_text(value: Any) -> str:
    from newscrawler.store.export import json_value

    value = json_value(value)
    if isinstance(value, list):
        return "、".join(map(str, value))
    return "" if value is None else str(value)


def changed_fields(old: Mapping, new: Mapping) -> list[str]:
    return [f for f in ("title", *OTHER_FIELDS) if field_text(old.get(f)) != field_text(new.get(f))]


def _version_label(version: Mapping) -> str:
    from newscrawler.timeutil import BEIJING

    seen = beijing_minutes(version.get("updated_at") or version.get("first_seen_at"))
    when = version.get("revised_at")
    kept = f"seen from {seen}, replaced {when.astimezone(BEIJING):%Y-%m-%d %H:%M}" if when else f"current, seen from {seen}"
    return f"revision {version.get('revision') or 1} ({kept}, Beijing time)"



def diff_lines(old: Mapping, new: Mapping, marks: Marks) -> Iterator[str]:
    yield f"article {new.get('article_id')}: {_version_label(old)} -> {_version_label(new)}"
    fields = changed_fields(old, new)
    body_changed = (old.get("body_text") or "") != (new.get("body_text") or "")
    if not fields and not body_changed:
        yield "no change in title, body or the other fields"
        return
    for field in fields:
        yield f"{field}: {inline(field_text(old.get(field)), field_text(new.get(field)), marks)}"
    if body_changed:
        yield "body_text:"
        yield from body_lines(old.get("body_text") or "", new.get("body_text") or "", marks)


def json_changes(old: Mapping, new: Mapping) -> dict:
    """The comparison as data: each changed field's two values, the body's changed paragraphs."""
    from newscrawler.store.export import json_value

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
