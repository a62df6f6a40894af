"""`newscrawler diff ID|URL [FROM [TO]] [--from N --to M]`: what the site changed in an article.

Compares two kept versions of an article (``revision`` numbers, as ``show`` lists them; by
default the one before the current against the current): the title and the other page fields
as one line each, the body line by line (one paragraph a line), and inside a changed line or
field character by character, since Chinese text has no spaces to diff words by. Deleted text
is red and inserted text green on a terminal; in a pipe (or with ``--color never``) they are
marked ``[-deleted-]`` and ``{+inserted+}`` (wdiff's marks), so the output stays readable.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping

from newscrawler.cli import CommandError, ExitStatus
from newscrawler.cli.output import beijing_minutes
from newscrawler.cli.commands._archive import add_start_argument, archive_database, article_with_versions
from newscrawler.store.changes import (VersionNotKept, body_changed, body_hunks, changed_fields, char_changes,
                                       field_text, json_changes, pick_versions as pick_kept_versions)


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
    """The (older, newer) versions named (store/changes.py); one not kept exits with 1."""
    try:
        return pick_kept_versions(versions, from_rev, to_rev)
    except VersionNotKept as exc:
        raise CommandError(str(exc), ExitStatus.FAILURE) from None


# -- the comparison ---------------------------------------------------------------------------


def marked(segments, marks: Marks) -> str:
    """Segments of a comparison (store/changes.py) as text, the changes marked."""
    show = {"equal": str, "delete": marks.deleted, "insert": marks.inserted}
    return "".join(show[op](text) for op, text in segments)


def inline(old: str, new: str, marks: Marks) -> str:
    """``old`` changed into ``new``, character by character, the changes marked."""
    return marked(char_changes(old, new), marks)


# How each kind of paragraph is shown in a hunk of the body.
_LINE_PREFIX = {"context": "    ", "changed": "  ~ ", "removed": "  - ", "added": "  + "}


def body_lines(old: str, new: str, marks: Marks) -> Iterator[str]:
    """The body's changes paragraph by paragraph, a paragraph changed in place shown inline
    (``~``), removed ones ``-``, added ones ``+``, unchanged ones around them."""
    for hunk in body_hunks(old, new):
        yield f"  @@ paragraphs {hunk.old_first}-{hunk.old_last} -> {hunk.new_first}-{hunk.new_last} @@"
        for line in hunk.lines:
            yield _LINE_PREFIX[line.kind] + marked(line.segments, marks)


def _version_label(version: Mapping) -> str:
    from newscrawler.timeutil import BEIJING

    seen = beijing_minutes(version.get("updated_at") or version.get("first_seen_at"))
    when = version.get("revised_at")
    kept = f"seen from {seen}, replaced {when.astimezone(BEIJING):%Y-%m-%d %H:%M}" if when else f"current, seen from {seen}"
    return f"revision {version.get('revision') or 1} ({kept}, Beijing time)"



def diff_lines(old: Mapping, new: Mapping, marks: Marks) -> Iterator[str]:
    yield f"article {new.get('article_id')}: {_version_label(old)} -> {_version_label(new)}"
    fields = changed_fields(old, new)
    if not fields and not body_changed(old, new):
        yield "no change in title, body or the other fields"
        return
    for field in fields:
        yield f"{field}: {inline(field_text(old.get(field)), field_text(new.get(field)), marks)}"
    if body_changed(old, new):
        yield "body_text:"
        yield from body_lines(old.get("body_text") or "", new.get("body_text") or "", marks)
