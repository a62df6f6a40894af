"""extract_article: one 每经网 page in, one exact article record out.

The chain: decode (declared charset, verified; else detected) -> parse with lxml (the whole
page, however deep it nests, or refused: tree.py) -> the first site layout that matches
(layouts.py) -> field by field with fallbacks -> the generic trafilatura fallback when no
layout matches (a page of a known layout whose body is empty is refused: the fallback would
take its summary or the site's navigation for the article). A page that yields no article
raises ExtractionError with a specific reason; it never returns a half-empty record.
"""

from __future__ import annotations


import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

from newscrawler import config
from newscrawler.nbd import byline as bylines
from newscrawler.nbd import fallback, site
from newscrawler.timeutil import beijing_date
from newscrawler.nbd import pager as pager_mod
from newscrawler.nbd.clean import BodyCleaner, cap_images, render, strip_boilerplate
from newscrawler.nbd.listing import LIST_PAGE
from newscrawler.nbd.tree import TreeCut, parse_document
from newscrawler.record import ArticleRecord, json_value
from newscrawler.nbd.layouts import (
    Page, body_blocks, check_time, choose_layout, column_and_category, keywords, page_image,
)

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# Beyond this share of control characters, the bytes are not a text page.
MAX_CONTROL_SHARE = 0.02


class ExtractionError(ValueError):
    """The page yields no article. ``reason`` is a short code: not_html, not_an_article,
    no_title, no_body, no_time, too_deep (nested past what the parser reads whole), too_large."""

    def __init__(self, reason: str, message: str, url: str | None = None):
        super().__init__(f"{message} ({url})" if url else message)
        self.reason = reason
        self.message = message  # without the URL: rejects keep the URL in a field of its own
        self.url = url


def default_base_url() -> str:
    return config.setting(None, "NBD_BASE_URL")


# -- decoding ------------------------------------------------------------------------

def _strict(data: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Bytes to text: the declared charset (HTTP header, then <meta>) when the bytes really are
    in it, else UTF-8, else GB18030 (a superset of GBK/GB2312), else detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for candidate in (declared, html_body_declared_encoding(data[:4096])):
        text = _strict(data, resolve_encoding(candidate) if candidate else None)
        if text is not None:
            return text
    for encoding in ("utf-8", "gb18030"):
        text = _strict(data, encoding)
        if text is not None:
            return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("utf-8", errors="replace")


_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    if not sample:
        return True
    return len(_CONTROL_CHARS.findall(sample)) / len(sample) > MAX_CONTROL_SHARE or "<" not in sample


def parse_html(text: str, url: str):
    if _looks_binary(text):
        raise ExtractionError("not_html", "not an HTML page (binary or empty content)", url)
    try:
        return parse_document(_XML_DECLARATION.sub("", text, count=1))
    except TreeCut as exc:  # extracting from part of the page would archive the wrong text
        raise ExtractionError(exc.reason, str(exc), url) from exc
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError("not_html", f"cannot parse the page as HTML: {exc}", url) from exc


# -- the record ----------------------------------------------------------------------

def _identify(page: Page) -> tuple[int, str | None]:
    """(article id, creation date) from the URL, else from the page's canonical link."""
    parsed = site.parse_article_url(page.url, page.base_url)
    canonical = page.canonical
    from_canonical = site.parse_article_url(canonical, page.base_url) if canonical else None
    if parsed is None:
        parsed = from_canonical
    if parsed is None:
        raise ExtractionError("not_an_article", "not an article address (expected /articles/YYYY-MM-DD/<id>.html)",
                              page.url)
    article_id, created = parsed
    if created is None and from_canonical and from_canonical[0] == article_id:
        created = from_canonical[1]  # a partner copy that names its canonical page
    return article_id, created


def extract_article(html: str | bytes, url: str, *, base_url: str | None = None,
                    column_id: int | None = None, charset: str | None = None,
                    max_images: int | None = None, later_pages: Sequence[PageInput] = ()) -> dict:
    """Extract one article record from a page: the page fields of ``ArticleRecord``, as a dict.

    ``url`` is the address the page was fetched from (any copy: www, m., section host,
    partner); ``base_url`` the origin canonical URLs are built on (NBD_BASE_URL, default the
    real site); ``column_id`` the column a crawl found the article in (for its category);
    ``charset`` the HTTP header's charset, if any; ``max_images`` the images kept (default
    NBD_MAX_IMAGES_PER_ARTICLE; 0: all). ``later_pages``: pages 2.. of an article that runs over
    several, in order (see :func:`extract_article_pages`).
    """
    base_url = (base_url or default_base_url()).rstrip("/")
    raw = decode_html(html, charset) if isinstance(html, (bytes, bytearray)) else html
    doc = parse_html(raw, url)
    page = Page(doc=doc, raw=raw, url=url, base_url=base_url, article_id=None, created=None,
                column_hint=column_id)
    page.article_id, page.created = article_id, created = _identify(page)
    cleaner = BodyCleaner(url)

    layout = choose_layout(page)
    if layout is None and LIST_PAGE(doc):
        raise ExtractionError("not_an_article", "a column list page, not an article", url)
    blocks = found_byline = None
    if layout is not None:
        root = layout.body(page)
        if root is not None:
            blocks, found_byline = body_blocks(page, root, cleaner)
        if not blocks:
            # Never the generic extractor here: on a page of a known layout whose body is empty
            # (cut, emptied, moved) it finds the summary, the copyright notice or the site's
            # navigation, and would archive that as the article.
            raise ExtractionError("no_body", f"the page matches layout {layout.name} but its article body "
                                  "is empty or missing", url)

    if layout is not None:
        title = layout.title(page)
        published = layout.published_at(page)
        source, summary, tags = layout.source(page), layout.summary(page), layout.tags(page)
        page_editor = layout.page_editor(page)
        found_byline = found_byline or layout.meta_byline(page)
        video = layout.video(page)
        extraction = {"method": "layout", "layout": layout.name, "version": layout.version}
    else:
        root, trafilatura_title = fallback.trafilatura_body(page)
        title = fallback.generic_title(page, trafilatura_title)
        published = fallback.generic_time(page)
        if published is None:
            # No known layout and no time of its own: a list, error or other non-article page.
            raise ExtractionError("not_an_article", "no site layout matches and the page shows no "
                                  "publish time: not an article page", url)
        if root is not None:
            fallback.drop_header_lines(root, title)
            blocks, found_byline = body_blocks(page, root, cleaner)
        source = None  # og:site_name names the site, not the article's outlet
        summary, tags, page_editor, video = page.meta.get("description") or None, [], None, None
        extraction = {"method": "fallback", "layout": "trafilatura", "version": _trafilatura_version()}

    if not title and not blocks:
        raise ExtractionError("no_content", "no article on the page: neither a title nor a body", url)
    if not title:
        raise ExtractionError("no_title", "the page has an article body but no title", url)
    if not blocks:
        raise ExtractionError("no_body", "the page has a title but no article body", url)

    published = check_time(page, published)
    if published is None:
        raise ExtractionError("no_time", "no publish time on the page and no date in the URL", url)
    if created is None:
        created = beijing_date(published)
        page.warnings.append("creation date not in the URL (partner copy): canonical URL uses the publish date")

    if not source and found_byline and found_byline.text.startswith(bylines.OWN_PREFIX):
        source = bylines.OWN_OUTLET  # a 每经 byline: the paper's own reporting
    page_numbers = {pager.current if (pager := _pager(page)) else site.article_page_number(url)}
    page_count = pager.count if pager else 1
    for later in later_pages:
        found = _later_body(later, article_id, base_url, page.warnings)
        if found is not None:
            number, count, more = found
            blocks = blocks + more
            page_numbers.add(number)
            page_count = max(page_count, count)
    blocks = _capped_images(page, blocks, max_images)
    body_html, body_text, images = render(blocks)
    column, category = column_and_category(page, layout)
    authors = found_byline.authors if found_byline else []
    editor = (found_byline.editor if found_byline else None) or page_editor
    extraction["warnings"] = page.warnings
    return ArticleRecord(
        article_id=article_id,
        url=site.canonical_url(article_id, created, base_url),
        title=title,
        published_at=published,
        byline=found_byline.text if found_byline else None,
        authors=list(authors),
        editor=editor,
        source=source,
        category=category,
        column=column,
        tags=tags,
        keywords=keywords(page),
        summary=summary,
        body_html=body_html,
        body_text=body_text,
        images=images,
        thumbnail_url=images[0] if images else page_image(page),
        video=video,
        pages=len(page_numbers),
        pages_missing=pager_mod.missing_pages(page_count, page_numbers),
        extraction=extraction,
    ).page_fields()


def _capped_images(page: Page, blocks: list, max_images: int | None) -> list:
    limit = int(config.setting(None, "NBD_MAX_IMAGES_PER_ARTICLE") if max_images is None else max_images)
    blocks, dropped = cap_images(blocks, limit)
    if dropped:
        page.warnings.append(f"{dropped} images past the first {limit} dropped (NBD_MAX_IMAGES_PER_ARTICLE)")
    return blocks


# -- articles over several pages ----------------------------------------------------------

@dataclass(frozen=True)
class PageInput:
    """One fetched page of an article: its bytes (or text), the URL it was fetched from and
    the HTTP header's charset."""

    html: str | bytes
    url: str
    charset: str | None = None


def extract_article_pages(pages: Sequence[str | bytes | PageInput], urls: Sequence[str] | None = None, *,
                          base_url: str | None = None, column_id: int | None = None) -> dict:
    """One record from the pages of an article, in order: page 1 gives every field, each later
    page adds its body (paragraphs and images, pager left out). ``pages`` (the record field) is
    how many pages it was built from; ``pages_missing`` the pages the pagers name that were
    not given or gave no body. ``pages`` holds PageInput, or bytes/text with ``urls``."""
    inputs = [p if isinstance(p, PageInput) else PageInput(p, u)
              for p, u in zip(pages, urls if urls is not None else [None] * len(pages))]
    if not inputs:
        raise ValueError("no page given")
    first, *later = inputs
    return extract_article(first.html, first.url, base_url=base_url, column_id=column_id,
                           charset=first.charset, later_pages=later)


def _pager(page: Page) -> pager_mod.Pager | None:
    return pager_mod.read_pager(page.doc, page.url, page.article_id, page.base_url)


def _later_body(later: PageInput, article_id: int, base_url: str,
                warnings: list[str]) -> tuple[int, int, list] | None:
    """(page number, page count its pager names, clean body blocks) of a later page, or None
    (with a warning) when it is not a page of this article or has no body: it then counts as
    missing. Later pages carry no byline: their first paragraph is text."""
    raw = decode_html(later.html, later.charset) if isinstance(later.html, (bytes, bytearray)) else later.html
    try:
        doc = parse_html(raw, later.url)
    except ExtractionError as exc:
        warnings.append(f"page {later.url} skipped: {exc.message}")
        return None
    parsed = site.parse_article_url(later.url, base_url)
    if parsed is None or parsed[0] != article_id:
        warnings.append(f"page {later.url} skipped: not a page of article {article_id}")
        return None
    page = Page(doc=doc, raw=raw, url=later.url, base_url=base_url, article_id=article_id, created=parsed[1])
    blocks = []
    layout = choose_layout(page)
    root = layout.body(page) if layout is not None and page.root is not None else None
    if root is not None:
        blocks = strip_boilerplate(BodyCleaner(later.url).blocks(root))
    if not blocks:
        warnings.append(f"page {later.url} skipped: no article body on it")
        return None
    pager = _pager(page)
    number = pager.current if pager else site.article_page_number(later.url)
    return number, pager.count if pager else number, blocks


def _trafilatura_version() -> str:
    from importlib.metadata import version

    return version("trafilatura")


def record_to_json(record: dict) -> dict:
    """The record with datetimes as UTC ISO strings (for JSON output)."""
    return json_value(record)
