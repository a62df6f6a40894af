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
from newscrawler.timeutil import beijing_date
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
# 2012-13: ``ul#crumb`` and ``span.articleColumns`` (归类于).
_COLUMN_LINK_HOLDERS = etree.XPath("//*[contains(@class, 'u-column') or contains(@class, 'crumb') "
                                   "or @id = 'crumb' or contains(@class, 'articleColumns')]")


class Layout:
    """Base layout: selectors are class attributes; fields are methods a subclass may override.

    ``serves`` is the range of creation dates (the URL's) the layout is known on, as Fundus
    versions its parsers by date: when the anchors of several layouts are on one page, the one
    serving the page's date parses it. ``version`` names that range.
    """

    name = "base"
    version = ""
    serves: tuple[str, str | None] = ("1990-01-01", None)
    # The anchor stands inside other layouts' pages (a player): the layout wins whenever present.
    nested = False
    anchor: CSSSelector          # the article element; its presence identifies the layout
    alternative_anchor: CSSSelector | None = None  # an element that identifies it without a wrapper
    title_sel: CSSSelector
    time_sel: CSSSelector
    source_sel: CSSSelector
    body_sel: CSSSelector
    summary_sel: CSSSelector | None = None
    tags_sel: CSSSelector | None = None
    editor_sel: CSSSelector | None = None

    def serves_date(self, created: str | None) -> bool:
        first, last = self.serves
        return created is None or (first <= created and (last is None or created <= last))

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

    def meta_byline(self, page: Page) -> bylines.Byline | None:
        """A byline printed outside the body (older templates), used when the body has none."""
        return None

    def video(self, page: Page) -> str | None:
        """The media URL of a video article; None on other layouts."""
        return None

    def page_column(self, page: Page) -> tuple[int | None, str | None]:
        """(column id, name) of the page's own column link, else (None, None)."""
        return column_link(page)


class GArticleLayout(Layout):
    """The PC article page of about 2017 to 2026: ``div.g-article`` with ``div.g-articl-text``."""

    name = "g-article"
    version = "2017-2026"
    serves = ("2012-01-01", None)  # older pages are served in it too
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
    """The other template (some pages, and the sister site mrjjxw.com): ``div.m-articleBox``.

    Three spellings of its meta line: ``span.u-clomun`` (outlet) and ``span.u-articleTime``;
    mrjjxw.com's outlet in ``div.u-source > span``; nbd's own pages with unclassed spans, the
    time in the second span of ``div.m-creatTime``.
    """

    name = "m-articleBox"
    version = "2017-2026"
    serves = ("2017-01-01", None)
    anchor = css("div.m-articleBox")
    title_sel = css("div.m-articleBox h1")
    time_sel = css("div.m-creatTime span.u-articleTime, div.m-articleBox span.u-articleTime")
    plain_time_sel = css("div.m-creatTime > span:nth-of-type(2)")
    plain_source_sel = css("div.m-creatTime > span:nth-of-type(1)")
    source_sel = css("div.m-creatTime span.u-clomun, div.u-source span, div.u-source")
    body_sel = css("div.m-articleContent")
    summary_sel = css("div.m-articleBox .m-abstract, div.m-articleBox .u-abstract")
    tags_sel = css("div.m-articleBox .u-aticle-tag span, div.m-articleBox .m-tag a")
    editor_sel = css("div.m-articleBox .u-editor span, div.u-editor")

    def published_at(self, page: Page) -> dt.datetime | None:
        return (dates.parse_beijing(page.first_text(self.time_sel))
                or dates.parse_beijing(page.first_text(self.plain_time_sel)) or page_published_at(page))

    def source(self, page: Page) -> str | None:
        found = super().source(page)
        if found:
            return found
        text = page.first_text(self.plain_source_sel)  # unclassed spans: the outlet, then the time
        if not text or dates.parse_beijing(text):
            return None
        return SOURCE_PREFIX.sub("", text) or None


_CORE_NOTE = re.compile(r"^\s*核心提示\s*[:：]?\s*")
_SOURCE_IN_LINE = re.compile(r"来源\s*[:：]\s*(\S+)")
_EDITOR_IN_LINE = re.compile(r"责任编辑\s*[:：]?\s*(\S+)")
_TIME_IN_LINE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?")


class ArticleWrapperLayout(Layout):
    """The 2012-13 template (the site's Rails source of then): ``div.articleWrapper`` with
    ``h2.articleTitle``, ``p.articleTime`` (``每经记者：X <span>YYYY-MM-DD HH:MM</span> 来源: Y``,
    time to the minute), ``#articleDigest`` (核心提示：summary), ``#articleContent`` (body),
    ``div.articleInfo`` (归类于 column, 责任编辑: editor), breadcrumb ``ul#crumb``. The mobile
    page of 2013: ``#articalMain`` with the same title, time line and body."""

    name = "articleWrapper"
    version = "2012-2013"
    serves = ("2012-01-01", "2014-12-31")
    anchor = css("div.articleWrapper, #articalMain")
    title_sel = css(".articleTitle, h1, h2")
    meta_sel = css("p.articleTime")
    time_sel = css("p.articleTime span")
    source_sel = meta_sel
    body_sel = css("#articleContent")
    summary_sel = css("#articleDigest")
    info_sel = css("div.articleInfo")

    def source(self, page: Page) -> str | None:
        m = _SOURCE_IN_LINE.search(page.first_text(self.meta_sel) or "")
        return m.group(1) if m else None

    def summary(self, page: Page) -> str | None:
        text = page.first_text(self.summary_sel)
        return (_CORE_NOTE.sub("", text) or None) if text else page.meta.get("description") or None

    def page_editor(self, page: Page) -> str | None:
        m = _EDITOR_IN_LINE.search(page.first_text(self.info_sel) or "")
        return bylines.parse_editor_line(f"责任编辑 {m.group(1)}") if m else None

    def meta_byline(self, page: Page) -> bylines.Byline | None:
        """The reporters stand in the time line, before the time: ``每经记者：X``."""
        line = page.first_text(self.meta_sel) or ""
        before = _TIME_IN_LINE.split(line, maxsplit=1)[0]
        before = before.split("来源", 1)[0].strip()
        return bylines.parse_byline(before) if before else None


_MONTH_DAY_TIME = re.compile(r"(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})")


def month_day_time(text: str | None, created: str | None) -> dt.datetime | None:
    """``MM-DD HH:MM`` (Beijing) with the year taken from the URL's creation date: of the year
    before, of, and after it, the one nearest that date (a page created on 12-31 can be
    published on 01-01)."""
    m = _MONTH_DAY_TIME.search(text or "")
    if not m or not created:
        return None
    day = dt.date.fromisoformat(created)
    month, mday, hour, minute = (int(g) for g in m.groups())
    found = []
    for year in (day.year - 1, day.year, day.year + 1):
        try:
            found.append(dt.datetime(year, month, mday, hour, minute, tzinfo=dates.BEIJING))
        except ValueError:
            continue
    if not found:
        return None
    nearest = min(found, key=lambda t: abs(t.date() - day))
    return nearest.astimezone(dates.UTC)


class NbdConLayout(Layout):
    """The template of about 2018: ``div.nbd-con > h1``, body ``div.nbd-con > blockquote``,
    ``p.article-meta > small`` = ``<source> MM-DD HH:MM`` (no year: it comes from the URL)."""

    name = "nbd-con"
    version = "2017-2019"
    serves = ("2017-01-01", "2019-12-31")
    anchor = css("div.nbd-con")
    title_sel = css("div.nbd-con > h1, h1")
    time_sel = css("p.article-meta small, p.article-meta")
    source_sel = time_sel
    body_sel = css("div.nbd-con > blockquote")

    def published_at(self, page: Page) -> dt.datetime | None:
        text = page.first_text(self.time_sel)
        return (dates.parse_beijing(text) or month_day_time(text, page.created)
                or page_published_at(page))

    def source(self, page: Page) -> str | None:
        text = page.first_text(self.source_sel) or ""
        outlet = _MONTH_DAY_TIME.split(text, maxsplit=1)[0].strip()
        return SOURCE_PREFIX.sub("", outlet) or None


_VIDEO_MEDIA = css("video[src], video source[src], iframe[src], embed[src]")


class VideoLayout(NbdConLayout):
    """A video article: the player ``#vedioPlayer`` (the site's spelling) with a title, a time
    line and a description, on the about-2018 page or the PC article page. Recorded with the
    layout "video" and the player's media URL in the record's ``video`` field."""

    name = "video"
    version = "2017-2026"
    serves = ("2017-01-01", None)
    nested = True
    anchor = css("#vedioPlayer")
    _containers = css("div.nbd-con, div.g-article, div.m-articleBox")
    title_sel = css("div.nbd-con > h1, div.g-article h1, div.m-articleBox h1, h1")
    time_sel = css("p.article-meta small, p.article-meta, p.u-time span.time, span.u-articleTime")
    source_sel = css("p.article-meta small, p.u-time span.source, span.u-clomun")
    body_sel = css("div.nbd-con > blockquote, div.g-articl-text, div.m-articleContent, div.video-desc")
    summary_sel = css("div.g-article-abstract p")
    tags_sel = css("div.u-aticle-tag span")
    editor_sel = css("div.u-editor span")

    def find_root(self, page: Page):
        if not self.anchor(page.doc):
            return None
        found = self._containers(page.doc)
        return found[0] if found else page.doc

    def source(self, page: Page) -> str | None:
        text = page.first_text(self.source_sel) or ""
        outlet = _MONTH_DAY_TIME.split(_TIME_IN_LINE.split(text, maxsplit=1)[0], maxsplit=1)[0].strip()
        return SOURCE_PREFIX.sub("", outlet) or None

    def video(self, page: Page) -> str | None:
        for player in self.anchor(page.doc):
            for holder in [player, *_VIDEO_MEDIA(player)]:
                src = (holder.get("data-src") or holder.get("src") or "").strip()
                if src:
                    return urljoin(page.url, src)
        return None


# Video first: its player stands inside other layouts' article elements.
LAYOUTS: list[Layout] = [VideoLayout(), GArticleLayout(), ArticleBoxLayout(), ArticleWrapperLayout(),
                         NbdConLayout()]


def choose_layout(page: Page) -> Layout | None:
    """The layout whose anchor is on the page. Of several: a nested one (the video player),
    else one serving the URL's date, a layout of a closed period before an open-ended one (the
    current template is served for old pages too), else the first in LAYOUTS. Sets ``page.root``."""
    matched = []
    for candidate in LAYOUTS:
        root = candidate.find_root(page)
        if root is not None:
            matched.append((candidate, root))
    if not matched:
        page.root = None
        return None
    matched.sort(key=lambda m: (not m[0].nested, not m[0].serves_date(page.created), m[0].serves[1] is None))
    layout, page.root = matched[0]
    return layout


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
        if value and not site.is_chrome_image(urljoin(page.url, value)):
            return urljoin(page.url, value)
    return None


def column_link(page: Page) -> tuple[int | None, str | None]:
    """(column id, name as printed) of the page's last column link (breadcrumbs end with the
    most specific one), else (None, None)."""
    page_column_id = page_column_name = None
    links = []
    for holder in _COLUMN_LINK_HOLDERS(page.doc):
        links.extend([holder] if holder.tag == "a" else holder.iter("a"))
    for el in links:
        parsed = site.parse_column_url(el.get("href") or "", page.url)
        if parsed:
            page_column_id = parsed[0]
            page_column_name = normalize_space(el.text_content()) or None
    return page_column_id, page_column_name


def column_and_category(page: Page, layout: Layout | None = None) -> tuple[str | None, str | None]:
    """(column, category): from the page's column link, else the crawl's column, else the host.

    A page that names its column never leaves the category empty: a site-wide column's label
    (每经热评 -> 评论, else its name) is the category when no section is known from the link."""
    page_column_id, page_column_name = (layout.page_column(page) if layout else column_link(page))
    column = page_column_name or site.column_name(page_column_id) or site.column_name(page.column_hint)
    named = page_column_id is not None or page_column_name is not None
    category = (site.column_section(page_column_id)
                or (site.column_category(page_column_id, page_column_name) if named else None)
                or site.column_section(page.column_hint) or site.host_section(page.url))
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
    if page.created and abs(dt.date.fromisoformat(beijing_date(published))
                            - dt.date.fromisoformat(page.created)) > MAX_URL_DATE_DRIFT:
        page.warnings.append(
            f"publish time {beijing_date(published)} is more than two days from the URL date {page.created}")
    return published


__all__ = ["LAYOUTS", "Layout", "Page", "body_blocks", "check_time", "choose_layout", "column_and_category",
           "keywords", "page_image", "page_published_at", "page_title"]
