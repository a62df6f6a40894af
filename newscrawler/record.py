"""The article record: THE field list, and its forms (Scrapy item, MongoDB document, JSON, CSV).

``ArticleRecord`` is the one declaration of the fields. The extractor fills the page fields
(``extract_article`` returns them as a dict), the crawl yields the record itself as its Scrapy
item (Scrapy takes dataclass items through itemadapter) and fills the crawl fields, the archive
stores ``to_document()``, and exports and feeds print ``json_value`` / ``csv_value`` of it.

Layer: the standard library and ``newscrawler.nbd`` only (no Scrapy, no MongoDB).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from newscrawler.nbd.clean import normalize_space
from newscrawler.timeutil import UTC, isoformat_utc

# Field groups, in each field's metadata: what the page says, or what the crawl adds.
PAGE, CRAWL = "page", "crawl"
LIST_SEPARATOR = "; "  # lists in CSV cells


def _meta(part: str, *, verbatim: bool = False, stored: bool = True) -> dict[str, Any]:
    """A field's metadata: ``part`` (PAGE or CRAWL), ``verbatim`` (keeps its white space:
    markup, multi-line text), ``stored`` (the archive keeps it)."""
    return {"part": part, "verbatim": verbatim, "stored": stored}


@dataclass
class ArticleRecord:
    """One article. Every field is always present (None or [] when unknown), so every item,
    document and feed row has one shape. See ARCHITECTURE.md for what each field means."""

    # What the page says (extract_article).
    article_id: int | None = field(default=None, metadata=_meta(PAGE))
    url: str | None = field(default=None, metadata=_meta(PAGE))
    title: str | None = field(default=None, metadata=_meta(PAGE))
    published_at: dt.datetime | None = field(default=None, metadata=_meta(PAGE))  # tz-aware UTC
    byline: str | None = field(default=None, metadata=_meta(PAGE))
    authors: list[str] = field(default_factory=list, metadata=_meta(PAGE))
    editor: str | None = field(default=None, metadata=_meta(PAGE))
    source: str | None = field(default=None, metadata=_meta(PAGE))
    category: str | None = field(default=None, metadata=_meta(PAGE))
    column: str | None = field(default=None, metadata=_meta(PAGE))
    tags: list[str] = field(default_factory=list, metadata=_meta(PAGE))
    keywords: list[str] = field(default_factory=list, metadata=_meta(PAGE))
    summary: str | None = field(default=None, metadata=_meta(PAGE))
    body_html: str | None = field(default=None, metadata=_meta(PAGE, verbatim=True))
    body_text: str | None = field(default=None, metadata=_meta(PAGE, verbatim=True))
    images: list[str] = field(default_factory=list, metadata=_meta(PAGE))
    thumbnail_url: str | None = field(default=None, metadata=_meta(PAGE))
    # a video article's media URL (its page's player, #vedioPlayer); None on other articles
    video: str | None = field(default=None, metadata=_meta(PAGE))
    # How many pages of the article the record was built from (most articles: 1), and the pages
    # its pager names that it lacks (a page that failed): a record is complete when it is [].
    pages: int | None = field(default=None, metadata=_meta(PAGE))
    pages_missing: list[int] = field(default_factory=list, metadata=_meta(PAGE))
    # {"method", "layout", "version", "warnings"}
    extraction: dict | None = field(default=None, metadata=_meta(PAGE))
    # What the crawl and its pipelines add.
    # the address the page was fetched from
    fetched_url: str | None = field(default=None, metadata=_meta(CRAWL))
    # {"code", "message"} when the page gave no article: such a record is rejected, never stored.
    extraction_error: dict | None = field(default=None, metadata=_meta(CRAWL, stored=False))
    # content_hash(title, body_text)
    content_hash: str | None = field(default=None, metadata=_meta(CRAWL))
    thumbnail: dict | None = field(default=None, metadata=_meta(CRAWL))
    thumbnail_error: str | None = field(default=None, metadata=_meta(CRAWL))
    # another article id with the same content
    duplicate_of: int | None = field(default=None, metadata=_meta(CRAWL))
    # the archive sets it on every write
    crawl_id: str | None = field(default=None, metadata=_meta(CRAWL, stored=False))
    # {"file", "offset", ...}: where the fetched page is kept
    warc: dict | None = field(default=None, metadata=_meta(CRAWL))

    def __post_init__(self) -> None:
        # The clean-up every record gets whatever produced it: strings on one line with single
        # spaces (markup and text keep theirs), "" as None, lists without blanks or repeats.
        for f in FIELDS:
            value = getattr(self, f.name)
            if f.name in LIST_FIELDS:
                setattr(self, f.name, _unique(_clean(v) for v in (value or [])))
            elif isinstance(value, str):
                setattr(self, f.name, (value if f.metadata["verbatim"] else normalize_space(value)) or None)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], **more: Any) -> ArticleRecord:
        """A record from a mapping (an extracted record) plus ``more`` fields. A key that is not
        a field raises TypeError: a misspelt field must not vanish on the way to the archive."""
        values = {**data, **more}
        unknown = set(values) - set(RECORD_FIELDS)
        if unknown:
            raise TypeError(f"not article record fields: {', '.join(sorted(unknown))}")
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """Every field, in declaration order (values not copied)."""
        return {name: getattr(self, name) for name in RECORD_FIELDS}

    def page_fields(self) -> dict[str, Any]:
        """What ``extract_article`` returns: the page fields."""
        return {name: getattr(self, name) for name in PAGE_FIELDS}

    def to_document(self, crawled_at: dt.datetime | None = None) -> dict[str, Any]:
        """The MongoDB document: every page field (null when unknown), the stored crawl fields
        that are set, and ``last_crawled_at`` (now unless given)."""
        doc = self.page_fields()
        doc.update({name: getattr(self, name) for name in DOCUMENT_EXTRAS if getattr(self, name) is not None})
        doc["last_crawled_at"] = crawled_at or dt.datetime.now(UTC)
        return doc

    def to_json(self) -> dict[str, Any]:
        """The JSON form: every field, times as UTC ``...Z`` strings."""
        return json_value(self.as_dict())


FIELDS = dataclasses.fields(ArticleRecord)
RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS)
PAGE_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.metadata["part"] == PAGE)
CRAWL_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.metadata["part"] == CRAWL)
LIST_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.default_factory is list)
# Kept in the archive besides the page fields, when set.
DOCUMENT_EXTRAS: tuple[str, ...] = tuple(f.name for f in FIELDS
                                         if f.metadata["part"] == CRAWL and f.metadata["stored"])
# Present in every stored article (null when unknown).
REQUIRED_FIELDS = ("article_id", "title", "published_at", "body_text")


def record_fields(*names: str) -> tuple[str, ...]:
    """``names`` checked against the record (for views that print a subset of the fields)."""
    unknown = [name for name in names if name not in RECORD_FIELDS]
    if unknown:
        raise ValueError(f"not article record fields: {', '.join(unknown)}")
    return names


def content_hash(title: str | None, body_text: str | None) -> str:
    """The content fingerprint: sha1 of title + body text. The archive compares it to tell an
    edited article from an unchanged one, and finds the same text under another id with it."""
    data = f"{title or ''}\n{body_text or ''}".encode()
    return hashlib.sha1(data).hexdigest()  # a fingerprint, not a security hash


def json_value(value: Any) -> Any:
    """``value`` with datetimes as UTC ISO strings (``2024-12-03T02:15:00Z``) and other
    non-JSON types (ObjectId, Decimal128, ...) as text, recursively."""
    if isinstance(value, dt.datetime):
        return isoformat_utc(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, ArticleRecord):
        return value.to_json()
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def csv_value(value: Any) -> Any:
    """One CSV cell: lists of plain values joined with ``"; "``, mappings (and lists holding
    them) as JSON, times as UTC ``...Z``, None as empty."""
    value = json_value(value)
    if value is None:
        return ""
    if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(map(str, value))
    return value


def _clean(value: Any) -> Any:
    return normalize_space(value) if isinstance(value, str) else value


def _unique(values: Iterable[Any]) -> list[Any]:
    """The non-empty values, each once, in order; linear in their number (an article may list
    thousands of images)."""
    kept: list[Any] = []
    seen: set = set()
    for value in values:
        if not value:
            continue
        try:
            if value in seen:
                continue
            seen.add(value)
        except TypeError:  # unhashable (not a field's usual value): compared one by one
            if value in kept:
                continue
        kept.append(value)
    return kept


__all__ = [
    "CRAWL_FIELDS",
    "DOCUMENT_EXTRAS",
    "LIST_FIELDS",
    "LIST_SEPARATOR",
    "PAGE_FIELDS",
    "RECORD_FIELDS",
    "REQUIRED_FIELDS",
    "ArticleRecord",
    "content_hash",
    "csv_value",
    "json_value",
    "record_fields",
]
