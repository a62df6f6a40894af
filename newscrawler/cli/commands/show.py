"""`newscrawler show ID|URL [--json]`: one archived article: its fields, body text, thumbnail
and how many earlier versions are kept."""

from __future__ import annotations

import datetime as dt
import json

from newscrawler.cli import CommandError, ExitStatus
from newscrawler.cli.commands._archive import archive_database, archive_name

# Fields printed as "label: value" lines, in this order; the body comes after them.
FIELDS = ("article_id", "title", "url", "published_at", "category", "column", "source", "byline",
          "authors", "editor", "tags", "keywords", "summary", "thumbnail_url", "revision",
          "first_seen_at", "last_crawled_at", "duplicate_of")


def register(subparsers) -> None:
    p = subparsers.add_parser("show", help="show one archived article (by id or URL)",
                              description="Show one archived article: fields, body text, thumbnail and "
                                          "the number of revisions kept. Exits with 1 if it is not archived.")
    p.add_argument("article", metavar="ID|URL", help="article id, or its URL on any 每经网 host")
    p.add_argument("--json", action="store_true", help="the whole record as JSON (times in UTC; "
                   "otherwise in Beijing time, +08:00)")
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler.store.export import json_record, json_value
    from newscrawler.store.queries import QueryError, get_article, revision_count
    from newscrawler.timeutil import beijing_text

    with archive_database() as db:
        try:
            doc = get_article(db, args.article)
        except QueryError as exc:
            raise CommandError(str(exc), ExitStatus.USAGE) from None
        if doc is None:
            raise CommandError(f"{args.article} is not in {archive_name()}", ExitStatus.FAILURE)
        revisions = revision_count(db, doc["article_id"])
    if args.json:
        print(json.dumps({**json_record(doc), "revisions": revisions}, ensure_ascii=False, indent=2))
        return 0
    for field in FIELDS:
        value = doc.get(field)
        value = beijing_text(value) if isinstance(value, dt.datetime) else json_value(value)
        if value in (None, "", []):
            continue
        print(f"{field:16} {'、'.join(map(str, value)) if isinstance(value, list) else value}")
    print(f"{'thumbnail':16} {_thumbnail(doc)}")
    print(f"{'revisions':16} {revisions} earlier version{'s' if revisions != 1 else ''} kept")
    print()
    print(doc.get("body_text") or "(no body text)")
    return 0


def _thumbnail(doc: dict) -> str:
    """Where the archived thumbnail is, or why there is none."""
    thumb = doc.get("thumbnail")
    if isinstance(thumb, dict) and thumb.get("path"):
        size = f", {thumb['width']}x{thumb['height']}" if thumb.get("width") and thumb.get("height") else ""
        store = f"{thumb['store']}:" if thumb.get("store") else ""
        return f"{store}{thumb['path']}{size} (from {doc.get('thumbnail_url') or '?'})"
    if doc.get("thumbnail_error"):
        return f"not archived: {doc['thumbnail_error']}"
    return "none" if not doc.get("thumbnail_url") else "not archived"
