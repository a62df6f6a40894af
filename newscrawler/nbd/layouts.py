"""One parser per 每经网 page layout, each field a small method with its own fallbacks.

Layouts are tried in order; the first whose anchor element is on the page parses it. A new
template (or a redesign) is a new subclass here with its own selectors and date range:
nothing else in the project knows the site's markup.

Field fallbacks follow the site notes: page markup first, then ld+json and <meta>, then the
date in the URL (with a warning).
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urljoin
from dataclasses import dataclass, field
from functools import cached_property

from lxml import etree
from lxml.cssselect import CSSSelector

from newscrawler.nbd import byline as bylines
from newscrawler.nbd import dates, site
from newscrawler.nbd.clean import BodyCleaner, Block, normalize_space, strip_boilerplate

TITLE_SUFFIX = re.compile(r"\s*[|｜_-]\s*(?:每经网|每日经济新闻).*$")
_LIST_SPLIT = re.compile(r"\s*[,，、;；]\s*")
SOURCE_PREFIX = re.compile(r"^(?:来源|来自|出处)\s*[:：]\s*")
# A publish time more than this far from the URL's creation date is suspicious.
MAX_URL_DATE_DRIFT = dt.timedelta(days=2)


def css(selector: str) -> CSSSelector:
    return CSSSelector(selector, translator="html")


@dataclass
class Page:
    """One page being extracted: the parsed tree plus what the URL tells."""

    doc: etree._Element
    raw: str
    url: str
    base_url: str
    article_id: int | None
    created: str | None           # YYYY-MM-DD from the URL (None for partner copies)
    column_hint: int | None = None
    warnings: list[str] = field(default_factory=list)
    # The matched layout's article element: field selectors search only below it.
    root: etree._Element | None = None

    @cached_property
    def meta(self) -> dict[str, str]:
        """<meta name|property=... content=...>, keys lower-cased; first occurrence wins."""
        found: dict[str, str] = {}
        for m in self.doc.iter("meta"):
            key = (m.get("name") or m.get("property") or m.get("itemprop") or "").strip().lower()
            if key and key not in found and m.get("content") is not None:
                found[key] = m.get("content").strip()
        return found

    @cached_property
    def canonical(self) -> str | None:
        for link in self.doc.iter("link"):
            if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
                return link.get("href").strip()
        return self.meta.get("og:url")

    @property
    def scope(self):
        """Where field selectors search: the layout's article element, else the document."""
        return self.root if self.root is not None else self.doc

    def first_text(self, selector: CSSSelector) -> str | None:
        for el in selector(self.scope):
            text = normalize_space(el.text_content())
            if text:
                return text
        return None


_TITLE = css("title")
# Column link (.u-column) and breadcrumbs (.breadcrumb, .crumbs, .g-crumbs, ...), in one scan.
_COLUMN_LINK_HOLDERS = etree.XPath("//*[contains(@class, 'u-column') or contains(@class, 'crumb')]")


class Layout:
    """Base layout: selectors are class attributes; fields are methods a subclass may override."""

    name = "base"
    version = ""
    anchor: CSSSelector          # the article element; its presence identifies the layout
    alternative_anchor: CSSSelector | None = None  # an element that identifies it without a wrapper
    title_sel: CSSSelector
    time_sel: CSSSelector
    source_sel: CSSSelector
    body_sel: CSSSelector
    summary_sel: CSSSelector | None = None
    tags_sel: CSSSelector | None = None
    editor_sel: CSSSelector | None = None

    def find_root(self, page: Page):
        """The article element (the document when only the alternative anchor is there), or None."""
        found = self.anchor(page.doc)
        if found:
            return found[0]
        if self.alternative_anchor is not None and self.alternative_anchor(page.doc):
            return page.doc
        return None

    # -- fields -------------------------------------------------------------------
    def title(self, page: Page) -> str | None:
        return page.first_text(self.title_sel) or page_title(page)

    def published_at(self, page: Page) -> dt.datetime | None:
        return dates.parse_beijing(page.first_text(self.time_sel)) or page_published_at(page)

    def source(self, page: Page) -> str | None:
        text = page.first_text(self.source_sel)
        if not text:
            return None
        return SOURCE_PREFIX.sub("", text) or None

    def summary(self, page: Page) -> str | None:
        if self.summary_sel is not None:
            text = page.first_text(self.summary_sel)
            if text:
                return text
        return page.meta.get("description") or None

    def tags(self, page: Page) -> list[str]:
        if self.tags_sel is None:
            return []
        out: list[str] = []
        for el in self.tags_sel(page.scope):
            text = normalize_space(el.text_content()).lstrip("#＃").strip()
            if text and text not in out:
                out.append(text)
        return out

    def page_editor(self, page: Page) -> str | None:
        if self.editor_sel is None:
            return None
        text = page.first_text(self.editor_sel)
        return bylines.parse_editor_line(text) if text else None

    def body(self, page: Page):
        found = self.body_sel(page.scope)
        return found[0] if found else None


class GArticleLayout(Layout):
    """The PC article page of about 2017 to 2026: ``div.g-article`` with ``div.g-articl-text``."""

    name = "g-article"
    version = "2017-2026"
    anchor = css("div.g-article")
    alternative_anchor = css("div.g-articl-text")
    title_sel = css("div.g-article-top h1, div.g-article h1")
    time_sel = css("div.g-article-top .u-time .time, div.g-article-top span.time, p.u-time span.time")
    source_sel = css("div.g-article-top .u-time .source, p.u-time span.source")
    body_sel = css("div.g-articl-text")
    summary_sel = css("div.g-article-abstract p, div.g-article-abstract")
    tags_sel = css("div.u-aticle-tag span, div.u-aticle-tag a")
    editor_sel = css("div.u-editor span, div.u-editor")


class ArticleBoxLayout(Layout):
    """The other template (some pages, and the sister site mrjjxw.com): ``div.m-articleBox``."""

    name = "m-articleBox"
    version = "2017-2026"
    anchor = css("div.m-articleBox")
    title_sel = css("div.m-articleBox h1")
    time_sel = css("div.m-creatTime span.u-articleTime")
    source_sel = css("div.m-creatTime span.u-clomun")
    body_sel = css("div.m-articleContent")
    summary_sel = css("div.m-articleBox .m-abstract, div.m-articleBox .u-abstract")
    tags_sel = css("div.m-articleBox .u-aticle-tag span, div.m-articleBox .m-tag a")
    editor_sel = css("div.m-articleBox .u-editor span, div.u-editor")


LAYOUTS: list[Layout] = [GArticleLayout(), ArticleBoxLayout()]


# -- page-level fallbacks shared by every layout and the generic fallback ---------------

def page_title(page: Page) -> str | None:
    """<title> minus ' | 每经网', else og:title."""
    for el in _TITLE(page.doc):
        text = TITLE_SUFFIX.sub("", normalize_space(el.text_content()))
        if text:
            return text
    og = page.meta.get("og:title")
    if not og:
        return None
    return TITLE_SUFFIX.sub("", normalize_space(og)) or None


def page_published_at(page: Page) -> dt.datetime | None:
    """ld+json pubDate, then <meta> publish-time tags."""
    found = dates.ld_json_pubdate(page.raw)
    if found:
        return found
    for key in ("article:published_time", "pubdate", "publishdate", "og:release_date", "datepublished"):
        found = dates.parse_iso(page.meta.get(key))
        if found:
            return found
    return None


def keywords(page: Page) -> list[str]:
    raw = page.meta.get("keywords") or ""
    out: list[str] = []
    for word in _LIST_SPLIT.split(raw.strip()):
        if word and word not in out:
            out.append(word)
    return out


def page_image(page: Page) -> str | None:
    """A page-level image (og:image and friends) for articles without body images."""
    for key in ("og:image", "twitter:image", "image"):
        value = page.meta.get(key)
        if value:
            return urljoin(page.url, value)
    return None


def column_and_category(page: Page) -> tuple[str | None, str | None]:
    """(column, category): from the page's column link, else the crawl's column, else the host."""
    page_column_id = page_column_name = None
    links = []
    for holder in _COLUMN_LINK_HOLDERS(page.doc):
        links.extend([holder] if holder.tag == "a" else holder.iter("a"))
    for el in links:
        parsed = site.parse_column_url(el.get("href") or "", page.url)
        if parsed:
            page_column_id = parsed[0]
            page_column_name = normalize_space(el.text_content()) or None
    column = page_column_name or site.column_name(page_column_id) or site.column_name(page.column_hint)
    category = (site.column_section(page_column_id) or site.column_section(page.column_hint)
                or site.host_section(page.url))
    return column, category


def body_blocks(page: Page, root, cleaner: BodyCleaner) -> tuple[list[Block], bylines.Byline | None]:
    """Clean blocks of the body, with the byline paragraph taken out (kept if it is content)."""
    blocks = strip_boilerplate(cleaner.blocks(root))
    for i, block in enumerate(blocks):
        if block.kind == "img":
            continue  # a lead image may stand before the byline
        if block.kind == "p":
            found = bylines.parse_byline(block.text)
            if found:
                if not found.is_content:
                    del blocks[i]
                return blocks, found
        break
    return blocks, None


def check_time(page: Page, published: dt.datetime | None) -> dt.datetime | None:
    """Fall back to the URL date, and warn when the page's time is far from it."""
    url_day = dates.url_date(page.created)
    if published is None:
        if url_day is not None:
            page.warnings.append("publish time not found on the page: using the date in the URL")
        return url_day
    if page.created and abs(dt.date.fromisoformat(dates.beijing_date(published))
                            - dt.date.fromisoformat(page.created)) > MAX_URL_DATE_DRIFT:
        page.warnings.append(
            f"publish time {dates.beijing_date(published)} is more than two days from the URL date {page.created}")
    return published


__all__ = ["LAYOUTS", "Layout", "Page", "body_blocks", "check_time", "column_and_category",
           "keywords", "page_image", "page_published_at", "page_title"]
