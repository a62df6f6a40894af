"""Archived articles out of MongoDB: JSON Lines, CSV, and Markdown posts for a Hexo blog.

Every writer takes an iterable of article documents (as :func:`queries.iter_articles`
yields them), so an export of the whole archive streams instead of holding it in memory.
Times in JSON are as the record contract says: UTC, ``2024-12-03T02:15:00Z``; CSV, read by
people in spreadsheets, gives Beijing time with its offset (``2024-12-03T10:15:00+08:00``).

Files are written whole or not at all (:func:`replaced_atomically`): into a hidden temporary
file beside the target, renamed over it at the end, so an export that fails or is killed
leaves the previous file as it was and no partial file that looks complete.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from newscrawler.files import replaced_atomically
from newscrawler.timeutil import BEIJING, UTC, beijing_iso
from newscrawler.nbd.site import SITE_NAME
from newscrawler.record import LIST_SEPARATOR, csv_value, json_value, record_fields

FORMATS = ("jsonl", "csv", "hexo", "wacz", "parquet")  # wacz: warc/wacz.py; parquet: store/parquet.py

# CSV columns: the record's scalar fields, lists joined with LIST_SEPARATOR; no HTML.
CSV_FIELDS = record_fields(
    "article_id", "url", "title", "published_at", "category", "column", "source", "authors",
    "editor", "byline", "tags", "keywords", "summary", "thumbnail_url", "body_text",
)

DEFAULT_PLACEHOLDER = "/images/placeholder.jpg"
DEFAULT_EXTRA_CATEGORY = "分类"
NO_CATEGORY = "未分类"
# Characters unsafe in file names on some system, and quotes of both scripts: earlier exports
# named their files without them, and a re-export must overwrite those files. Control
# characters are added by sanitize_title.
_UNSAFE = re.compile(r"[\"'“”‘’/\\:*?<>|]")
# File names are at most 255 bytes on Linux and macOS: a long Chinese title (3 bytes a
# character) is cut, the title line keeps it whole.
MAX_NAME_BYTES = 240


def json_record(doc: Mapping[str, Any], fields: Sequence[str] | None = None) -> dict[str, Any]:
    """The JSON form of an article: all its fields, or ``fields`` in that order."""
    keys = fields if fields is not None else [k for k in doc if k != "_id"]
    return {key: json_value(doc.get(key)) for key in keys}


def write_jsonl(articles: Iterable[Mapping], out: IO[str], fields: Sequence[str] | None = None) -> int:
    """One JSON object per line (UTF-8 text, not \\u escapes); returns how many were written."""
    count = 0
    for doc in articles:
        out.write(json.dumps(json_record(doc, fields), ensure_ascii=False) + "\n")
        count += 1
    return count


def csv_cell(value: Any) -> Any:
    """One CSV cell of the command line's exports: a time in Beijing time with its offset
    (ISO 8601), anything else as the record's :func:`csv_value`."""
    return beijing_iso(value) if isinstance(value, dt.datetime) else csv_value(value)


# The UTF-8 byte order mark: Excel opens a CSV file as UTF-8 only when it starts with one (a
# Chinese Windows otherwise reads it as GBK and shows mojibake); other readers skip it
# (Python's "utf-8-sig", pandas, LibreOffice).
BOM = "\ufeff"


def write_csv(articles: Iterable[Mapping], out: IO[str], fields: Sequence[str] = CSV_FIELDS,
              bom: bool = False) -> int:
    """A header row and one row per article; lists joined with ``"; "``, mappings as JSON,
    times in Beijing time with the offset; with ``bom``, the UTF-8 byte order mark first.
    Returns the row count.

    ``out`` must be opened with ``newline=""`` (the csv module writes its own line ends).
    """
    if bom:
        out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(fields)
    count = 0
    for doc in articles:
        writer.writerow([csv_cell(doc.get(key)) for key in fields])
        count += 1
    return count


# -- revisions --------------------------------------------------------------------------------

# The two columns a CSV export with revisions adds: which version a row is, and when a crawl
# replaced it (empty on the current version).
REVISION_FIELDS = ("revision", "revised_at")


def with_revisions(db: Any, articles: Iterable[Mapping]) -> Iterator[dict[str, Any]]:
    """Each article followed by its earlier versions from ``article_revisions``, newest first.

    Every yielded document has ``revision`` (1 = as first archived) and ``revised_at``: None on
    the current version, the time a crawl replaced it on an earlier one, so a reader tells them
    apart by ``revised_at`` alone and groups them by ``article_id``. One indexed query an
    article with any revision (``(article_id, revised_at)``); the stream stays a stream.
    """
    from newscrawler.store.queries import article_versions

    for doc in articles:
        current = {**doc, "revision": doc.get("revision") or 1, "revised_at": None}
        yield current
        if current["revision"] > 1:
            yield from reversed(article_versions(db, doc)[:-1])


# -- Hexo -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HexoOptions:
    """What a Hexo export says besides the article: the site (categories and author), the
    extra category, and the image used when an article has no thumbnail."""

    site_name: str = SITE_NAME
    extra_category: str = DEFAULT_EXTRA_CATEGORY
    placeholder: str = DEFAULT_PLACEHOLDER


def sanitize_title(title: str) -> str:
    """The title with quotes, file-name-unsafe and control characters replaced by ``_``."""
    title = _UNSAFE.sub("_", title)
    return "".join("_" if unicodedata.category(ch) == "Cc" else ch for ch in title)


def hexo_filename(doc: Mapping[str, Any]) -> str:
    """``<article id>.md``: the one name of the article's post, whatever the title (edited or
    not) and whichever export wrote it, so exports with different filters into one blog
    overwrite the same post instead of losing or duplicating one. Hexo's default permalink
    then gives the post a stable address too (``/2024/12/03/3704821/``)."""
    return f"{int(doc['article_id'])}.md"


def legacy_hexo_filename(doc: Mapping[str, Any]) -> str:
    """The title-based name earlier versions gave the post (``<sanitised title>.md``): a
    re-export replaces such a post by the one named by id (see :func:`write_hexo`)."""
    stem = sanitize_title(doc.get("title") or "").strip().lstrip("_.").strip()
    encoded = stem.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        stem = encoded[:MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip()
    return f"{stem or doc.get('article_id')}.md"


def hexo_date(when: dt.datetime) -> str:
    """``2024-12-03 23:30:00+08:00``: Beijing time with its offset, as readers of the site
    think of it. A string, not a YAML timestamp: Hexo shifts a timestamp by the machine's time
    zone (hexo-front-matter), and reads a date string with its offset as written."""
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(BEIJING).isoformat(sep=" ", timespec="seconds")


def front_matter(doc: Mapping[str, Any], options: HexoOptions = HexoOptions()) -> dict[str, Any]:
    """The post's front matter as Hexo reads it, in the order it is written: ``author`` is the
    article's authors (the site name when it names none), ``authors`` the list itself."""
    image = doc.get("thumbnail_url") or options.placeholder
    authors = list(doc.get("authors") or [])
    matter: dict[str, Any] = {
        "title": doc.get("title") or "",
        "article_id": doc.get("article_id"),
        "categories": [doc.get("category") or NO_CATEGORY, options.site_name, options.extra_category],
        "tags": list(doc.get("tags") or []),
        "headimg": image,
        "author": "、".join(authors) or options.site_name,
        "authors": authors,
        "comments": False,
    }
    if matter["article_id"] is None:
        del matter["article_id"]
    when = doc.get("published_at") or doc.get("first_seen_at")
    if isinstance(when, dt.datetime):
        matter["date"] = hexo_date(when)
    matter["thumbnail"] = image
    return matter


def hexo_post(doc: Mapping[str, Any], options: HexoOptions = HexoOptions()) -> str:
    """The Markdown source of one post: YAML front matter, then the body in a ``<div>``."""
    import yaml  # here: a listing in JSON or CSV does not load it

    # PyYAML quotes what needs quoting (quotes, colons, ``#``...); width: one line per value.
    matter = yaml.safe_dump(front_matter(doc, options), allow_unicode=True, sort_keys=False,
                            default_flow_style=False, width=float("inf"))
    lines = ["---", matter.rstrip("\n"), "---", "", "<div>"]
    if doc.get("byline"):
        lines.append(f"<p>{html.escape(doc['byline'], quote=False)}</p>")
    lines += [(doc.get("body_html") or "").strip(), "</div>", ""]
    return "\n".join(lines)


def write_hexo(articles: Iterable[Mapping], out_dir: str | Path, options: HexoOptions = HexoOptions()) -> list[Path]:
    """One post per article in ``out_dir`` (created if needed), named by the article's id
    (:func:`hexo_filename`) and replacing the earlier post of the same article (each replaced
    whole: an export that fails leaves the earlier post as it was). Returns the written paths.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for doc in articles:
        path = out_dir / hexo_filename(doc)
        with replaced_atomically(path, newline="\n") as fp:
            fp.write(hexo_post(doc, options))
        _remove_legacy_post(out_dir, doc)
        paths.append(path)
    return paths


def _remove_legacy_post(out_dir: Path, doc: Mapping[str, Any]) -> None:
    """Remove the post an earlier version wrote for this article under its title, so the blog
    does not show it twice: only a file whose front matter has exactly this title."""
    import yaml

    legacy = out_dir / legacy_hexo_filename(doc)
    if legacy.name == hexo_filename(doc) or not legacy.is_file():
        return
    try:
        text = legacy.read_text(encoding="utf-8")
        matter = yaml.safe_load(text[4:].partition("\n---\n")[0]) if text.startswith("---\n") else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return
    if isinstance(matter, dict) and matter.get("title") == doc.get("title") and "article_id" not in matter:
        legacy.unlink(missing_ok=True)


__all__ = [
    "CSV_FIELDS",
    "FORMATS",
    "REVISION_FIELDS",
    "LIST_SEPARATOR",
    "HexoOptions",
    "front_matter",
    "hexo_date",
    "hexo_filename",
    "hexo_post",
    "json_record",
    "json_value",
    "replaced_atomically",
    "sanitize_title",
    "write_csv",
    "write_hexo",
    "with_revisions",
    "write_jsonl",
]
