"""`newscrawler show ID|URL [--json]`: one archived article: its fields, body text, thumbnail
and how many earlier versions are kept."""

from __future__ import annotations

import datetime as dt
import json

from newscrawler.cli.output import beijing_minutes
from newscrawler.cli.commands._archive import add_start_argument, archive_database, article_with_versions

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
    add_start_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler.store.changes import version_list
    from newscrawler.store.export import json_record, json_value
    from newscrawler.timeutil import beijing_text

    with archive_database(args.start) as db:
        doc, versions = article_with_versions(db, args.article)
    revisions = len(versions) - 1
    if args.json:
        print(json.dumps({**json_record(doc), "revisions": revisions, "versions": version_list(versions)},
                         ensure_ascii=False, indent=2))
        return 0
    for field in FIELDS:
        value = doc.get(field)
        value = beijing_text(value) if isinstance(value, dt.datetime) else json_value(value)
        if value in (None, "", []):
            continue
        print(f"{field:16} {'、'.join(map(str, value)) if isinstance(value, list) else value}")
    print(f"{'thumbnail':16} {_thumbnail(doc)}")
    print(f"{'revisions':16} {revisions} earlier version{'s' if revisions != 1 else ''} kept")
    for line in history_lines(doc, versions):
        print(line)
    print()
    print(doc.get("body_text") or "(no body text)")
    return 0


def history_lines(doc: dict, versions: list[dict]) -> list[str]:
    """The article across time: its versions (when each was replaced; `newscrawler diff` shows
    the changes), its deletion episodes and its mark, times in Beijing time."""
    lines = []
    if len(versions) > 1:
        lines.append("versions (Beijing time; `newscrawler diff ID FROM TO` shows the changes):")
        for v in versions[:-1]:
            lines.append(f"  r{v.get('revision') or 1}  seen from {beijing_minutes(v.get('updated_at'))}, "
                         f"replaced {beijing_minutes(v.get('revised_at'))}  {v.get('title') or ''}")
        lines.append(f"  r{doc.get('revision') or 1}  current, seen from {beijing_minutes(doc.get('updated_at'))}"
                     f"  {doc.get('title') or ''}")
    episodes = [*(doc.get("deletion_history") or [])]
    if episodes or doc.get("deleted_at"):
        lines.append("deletions (Beijing time):")
    for episode in episodes:
        if episode.get("withdrawn"):
            lines.append(f"  seen gone {beijing_minutes(episode.get('deleted_at'))} ({_how(episode)}), mark withdrawn "
                         f"{beijing_minutes(episode.get('withdrawn_at'))}: {episode['withdrawn']}")
            continue
        lines.append(f"  gone {beijing_minutes(episode.get('deleted_at'))} ({_how(episode)}), "
                     f"back {beijing_minutes(episode.get('restored_at'))}")
    if doc.get("deleted_at"):
        deletion = doc.get("deletion") or {}
        lines.append(f"  DELETED since {beijing_minutes(doc['deleted_at'])} ({_how(deletion)}), "
                     f"still gone at {beijing_minutes(deletion.get('last_seen_at'))}; the copy above is the archived one")
    return lines


def _how(deletion: dict) -> str:
    how = str(deletion.get("status") or "?")
    return f"{how} to {deletion['target']}" if deletion.get("target") else how


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
