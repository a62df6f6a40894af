"""The site's list pages: the articles a column page (or a "load more" fragment) lists, and
where its next page is. Pure: text and URLs in, entries and requests (URL, headers) out; the
spider only turns them into Scrapy requests.

The list forms of the notes, told apart by their markup (a page says which one it is):

- PC column page (2019-2026): ``div.g-list-text > div.m-list`` blocks, one per day
  (``p.u-channeltime``), entries ``li.u-news-title`` with ``a[href]`` and a ``span`` time
  (``HH:MM:SS`` or the full ``YYYY-MM-DD HH:MM:SS``); 20, 50 or 80 a page, with a pager, "load
  more", or neither.
- Section-host column page (``finance.``/``economy.``/``industry.``/``tmt.nbd.com.cn``, and the
  old channel homes): ``ul.m-columnnews-list > li`` with ``a.f-title[href][article-id]``,
  ``a.tag`` (the section label) and ``p.f-source > span`` (the time); "加载更多" is ``#more``.
  Sidebars and hot lists on these pages link other articles: only the list's own count.
- auto.nbd.com.cn: ``.news-text > a``; "load more" is ``#load_articles`` with
  ``last_article_pos=<n>``.
- Mobile list ``m.nbd.com.cn/columns/<id>/page/<n>/``: ``div.articleList a[href]``, 20 a page,
  paged deep; the mobile web app's ``#newList > li``.
- "Load more" answers: Rails ``.js`` fragments (HTML inside a JavaScript string) in any of the
  forms above.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import parse_qs, urljoin, urlsplit

from newscrawler.nbd import site
from newscrawler.nbd.layouts import css
from newscrawler.nbd.tree import read_document
from newscrawler.timeutil import BEIJING

# The list of a column page (and of the old channel homes); a page holding one is never an article.
LIST_CONTAINERS = "div.g-list-text, ul.u-news-list, ul.m-columnnews-list"
LIST_PAGE = css(LIST_CONTAINERS)
_ANY_LINK = css("a")
_LOAD_MORE_BUTTON = css("[data-last-article], [data-last_article]")
_LAST_ARTICLE = re.compile(r"""last_article["']?\s*[=:]\s*["']?(\d+)""")
_LAST_ARTICLE_POS = re.compile(r"""last_article_pos["']?\s*[=:]\s*["']?(\d+)""")
_CSRF_TOKEN = css('meta[name="csrf-token"]')
_JS_ESCAPE = re.compile(r"\\(.)", re.S)
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2}(?::\d{2})?)")
_TIME = re.compile(r"^(\d{1,2}:\d{2}(?::\d{2})?)$")
_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")

# The "load more" request of public crawlers (Rails UJS): a script answer, with the page's token.
LOAD_MORE_ACCEPT = ("*/*;q=0.5, text/javascript, application/javascript, application/ecmascript, "
                    "application/x-ecmascript")

# Each form: the elements that are one entry each, and in them the link, time and label.
_PC_BLOCKS = css("div.m-list")
_PC_ITEMS = css("ul.u-news-list > li")
_CHANNEL_TIME = css("p.u-channeltime")
_SECTION_ITEMS = css("ul.m-columnnews-list > li")
_SECTION_LINK = css("a.f-title")
_SECTION_TIME = css("p.f-source > span, .f-source > span")
_SECTION_TAG = css("a.tag")
_SECTION_MORE = css("#more")
_AUTO_LINKS = css(".news-text > a")
_AUTO_MORE = css("#load_articles")
_MOBILE_LINKS = css("div.articleList a")
_WEB_APP_ITEMS = css("#newList > li")


class Entry(NamedTuple):
    """One listed article: its id, the creation date of its URL (None for a partner copy),
    the time the list shows (Beijing time; None when it shows none) and the section label."""

    article_id: int
    created: str | None
    time: dt.datetime | None = None
    section: str | None = None

    @property
    def day(self) -> dt.date | None:
        """The day the list dates the article on: its listed time, else its URL's date."""
        if self.time is not None:
            return self.time.date()
        return dt.date.fromisoformat(self.created) if self.created else None


@dataclass(frozen=True)
class PageRequest:
    """The next list page to ask for: ``fragment``: the answer is a "load more" fragment."""

    url: str
    page: int
    headers: dict[str, str] = field(default_factory=dict)
    fragment: bool = False


def _document(text: str):
    """The list page's tree, read whole however deep it nests (up to libxml2's huge_tree limit;
    past it, the links read before the cut)."""
    if not text.strip():
        return None
    try:
        return read_document(text)[0]
    except ValueError:  # lxml refuses a str that declares its encoding
        return read_document(text.encode("utf-8"))[0]


def _unescape_javascript(text: str) -> str:
    """A Rails ``.js`` answer's HTML: its JavaScript string escapes undone (``\\"``, ``<\\/``)."""
    return _JS_ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def _hrefs(links) -> list[str]:
    return [href for href in (link.get("href") for link in links) if href]


def _text(el) -> str:
    return " ".join(el.text_content().split())


def _listed_time(shown: str, day: str | None) -> dt.datetime | None:
    """A listed time: ``YYYY-MM-DD HH:MM[:SS]``, or ``HH:MM[:SS]`` on the block's ``day``."""
    shown = " ".join(shown.split())
    m = _DATETIME.search(shown)
    if m:
        day, clock = m.groups()
    else:
        m = _TIME.match(shown)
        if not m or not day:
            return None
        clock = m.group(1)
    try:
        return dt.datetime.fromisoformat(f"{day} {clock:0>5}").replace(tzinfo=BEIJING)
    except ValueError:
        return None


def _entry(href: str | None, page_url: str, *, time=None, section=None, article_id=None) -> Entry | None:
    parsed = site.parse_article_url(href or "", page_url) if href else None
    if parsed:
        return Entry(parsed[0], parsed[1], time, section)
    if article_id and str(article_id).isdigit():  # the list names the id, its link no known form
        return Entry(int(article_id), None, time, section)
    return None


def _pc_entries(doc, page_url: str) -> list[Entry]:
    entries = []
    blocks = _PC_BLOCKS(doc) or [doc]
    for block in blocks:
        heading = _DAY.search(" ".join(_text(p) for p in _CHANNEL_TIME(block))) if block is not doc else None
        day = heading.group(1) if heading else None
        for item in _PC_ITEMS(block):
            link = next(iter(item.iter("a")), None)
            shown = " ".join(_text(span) for span in item.findall("span"))
            entries.append(_entry(link.get("href") if link is not None else None, page_url,
                                  time=_listed_time(shown, day)))
    return entries


def _section_entries(doc, page_url: str) -> list[Entry]:
    entries = []
    for item in _SECTION_ITEMS(doc):
        link = next(iter(_SECTION_LINK(item)), None)
        if link is None:
            continue
        times = [t for t in (_listed_time(_text(s), None) for s in _SECTION_TIME(item)) if t]
        tag = next(iter(_SECTION_TAG(item)), None)
        entries.append(_entry(link.get("href"), page_url, time=times[0] if times else None,
                              section=(_text(tag) or None) if tag is not None else None,
                              article_id=link.get("article-id") or item.get("article-id")))
    return entries


def _link_entries(links, page_url: str) -> list[Entry]:
    return [_entry(href, page_url) for href in _hrefs(links)]


def _web_app_entries(doc, page_url: str) -> list[Entry]:
    return [_entry(href, page_url) for item in _WEB_APP_ITEMS(doc) for href in _hrefs(item.iter("a"))]


# (name, test of the document, entries): the first whose test holds reads the page.
_FORMS = (
    ("section", _SECTION_ITEMS, _section_entries),
    ("mobile", _MOBILE_LINKS, lambda doc, url: _link_entries(_MOBILE_LINKS(doc), url)),
    ("web_app", _WEB_APP_ITEMS, _web_app_entries),
    ("auto", _AUTO_LINKS, lambda doc, url: _link_entries(_AUTO_LINKS(doc), url)),
    ("pc", _PC_ITEMS, _pc_entries),
)


def list_form(text: str, *, fragment: bool = False) -> str | None:
    """Which list form a page (or "load more" fragment) is in; None: no form the notes know."""
    doc = _document(_unescape_javascript(text) if fragment else text)
    if doc is None:
        return None
    return next((name for name, test, _ in _FORMS if test(doc)), None)


def list_entries(text: str, page_url: str, *, fragment: bool = False) -> list[Entry]:
    """The listed articles, in page order, unique: only the list's own entries (not sidebars,
    hot lists or navigation); links that are not article URLs (flash news, ads) are skipped.

    On a page without a known list, every article link counts (a layout the notes do not know
    yet must not stop discovery).
    """
    doc = _document(_unescape_javascript(text) if fragment else text)
    if doc is None:
        return []
    found = next((read(doc, page_url) for _, test, read in _FORMS if test(doc)), None)
    if found is None:
        found = _link_entries(_ANY_LINK(doc), page_url)
    entries: list[Entry] = []
    ids: set[int] = set()
    for entry in found:
        if entry is not None and entry.article_id not in ids:
            ids.add(entry.article_id)
            entries.append(entry)
    return entries


# ------------------------------------------------------------------------------ next page

def next_page_url(text: str, page_url: str, column_id: int, page: int, base_url: str) -> str | None:
    """The pager's link to page ``page + 1`` of the column, on the site (or the base URL's host).

    A link elsewhere that merely looks like one must neither be followed nor hide the real one.
    """
    doc = _document(text)
    if doc is None:
        return None
    next_path = re.compile(rf"/columns/{column_id}/page/{page + 1}(?:/|\.html)?$")
    for href in _hrefs(_ANY_LINK(doc)):
        url = urljoin(page_url, href)
        if next_path.search(urlsplit(url).path) and site.parse_column_url(url, base_url):
            return url
    return None


def load_more_after(text: str, entries: list[Entry], page: int) -> int | None:
    """The article id "load more" continues after: the page's ``last_article`` value, else (on a
    loaded page) its last entry, else the button's ``data-last-article``; None: no more."""
    last = _LAST_ARTICLE.findall(text)
    if last:
        return int(last[-1])
    if entries and page > 1:
        return entries[-1][0]
    doc = _document(text)
    for button in [] if doc is None else _LOAD_MORE_BUTTON(doc):
        value = button.get("data-last-article") or button.get("data-last_article") or ""
        if value.isdigit():
            return int(value)
    return None


def csrf_token(text: str) -> str | None:
    """The page's Rails token (``<meta name="csrf-token">``), sent back with "load more"."""
    doc = _document(text)
    meta = next(iter(_CSRF_TOKEN(doc)), None) if doc is not None else None
    return (meta.get("content") or None) if meta is not None else None


def load_more_headers(token: str | None) -> dict[str, str]:
    """The headers of a "load more" request, as the site's own script (Rails UJS) sends them."""
    headers = {"X-Requested-With": "XMLHttpRequest", "Accept": LOAD_MORE_ACCEPT}
    if token:
        headers["X-CSRF-Token"] = token
    return headers


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _column_path_url(page_url: str, column_id: int) -> str:
    """The column page a "load more" query goes to: the page's own path without its query."""
    parts = urlsplit(page_url)
    path = parts.path if site.parse_column_url(page_url) or "/columns/" in parts.path else f"/columns/{column_id}"
    return f"{parts.scheme}://{parts.netloc}{path}"


def _mobile_next(page_url: str, page: int, entries: list[Entry]) -> PageRequest | None:
    """A mobile list's next page: ``/page/<n + 1>/``, while a page is full (a short page is the
    last; a page past the end lists nothing)."""
    if len(entries) < site.MOBILE_PAGE_SIZE:
        return None
    parts = urlsplit(page_url)
    path = re.sub(r"/page/\d+/?$", "", parts.path.rstrip("/"))
    return PageRequest(f"{parts.scheme}://{parts.netloc}{path}/page/{page + 1}/", page + 1)


def _auto_next(doc, text: str, page_url: str, column_id: int, page: int, entries, token) -> PageRequest | None:
    """auto.nbd.com.cn's "load more": ``#load_articles`` asks for ``last_article_pos=<n>``."""
    pos = None
    for button in [] if doc is None else _AUTO_MORE(doc):
        href = button.get("href") or ""
        query = parse_qs(urlsplit(href).query)
        value = (query.get("last_article_pos") or [None])[0] or button.get("data-last-article-pos") \
            or button.get("data-last_article_pos")
        if value and value.isdigit():
            pos = int(value)
    if pos is None:
        found = _LAST_ARTICLE_POS.findall(text)
        pos = int(found[-1]) if found else None
    if pos is None:
        return None
    url = f"{_column_path_url(page_url, column_id)}?last_article_pos={pos}"
    return PageRequest(url, page + 1, load_more_headers(token), fragment=True)


def _more_href(doc, page_url: str) -> str | None:
    """The section-host "加载更多" link (``#more``, ``data-remote``) when it names its query."""
    for button in [] if doc is None else _SECTION_MORE(doc):
        href = button.get("href") or ""
        if "last_article=" in href:
            return urljoin(page_url, href)
    return None


def next_page(text: str, page_url: str, column_id: int, page: int, base_url: str,
              entries: list[Entry], *, fragment: bool = False,
              sent_headers: dict[str, str] | None = None) -> PageRequest | None:
    """The request for the list page after this one (page ``page``), or None: the list ends.

    A mobile list pages by number; a PC list follows its pager, else its "load more"; the auto
    host loads more by position. A "load more" request carries the page's CSRF token (a loaded
    fragment has none: the token of the request that fetched it is sent again,
    ``sent_headers``).
    """
    if site.is_mobile_list_url(page_url, base_url) or list_form(text, fragment=fragment) in ("mobile", "web_app"):
        return _mobile_next(page_url, page, entries) if list_form(text) != "web_app" else None
    doc = _document(_unescape_javascript(text) if fragment else text)
    if not fragment:
        url = next_page_url(text, page_url, column_id, page, base_url)
        if url:
            return PageRequest(url, page + 1)
    sent_token = next((v for k, v in (sent_headers or {}).items() if k.lower() == "x-csrf-token"), None)
    token = (csrf_token(text) if not fragment else None) or sent_token
    if doc is not None and (list_form(text, fragment=fragment) == "auto" or _AUTO_MORE(doc)):
        return _auto_next(doc, text, page_url, column_id, page, entries, token)
    href = None if fragment else _more_href(doc, page_url)
    if href is None:
        last_id = load_more_after(text, entries, page)
        if last_id is None:
            return None
        href = site.load_more_url(column_id, last_id, _origin(page_url))
    return PageRequest(href, page + 1, load_more_headers(token), fragment=True)
