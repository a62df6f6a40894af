"""The site's list pages: the articles a column page (or a "load more" fragment) lists, and
where its next page is. Pure: text and URLs in, ids and URLs out; the spider makes requests."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from newscrawler.nbd import site
from newscrawler.nbd.layouts import css
from newscrawler.nbd.tree import read_document

# The list of a column page (and of the old channel homes); a page holding one is never an article.
LIST_CONTAINERS = "div.g-list-text, ul.u-news-list, ul.m-columnnews-list"
LIST_PAGE = css(LIST_CONTAINERS)
_LISTED_LINKS = css(", ".join(f"{container} a" for container in LIST_CONTAINERS.split(", ")))
_ANY_LINK = css("a")
_LOAD_MORE_BUTTON = css("[data-last-article], [data-last_article]")
# A "load more" answer is a script or JSON fragment with escaped quotes, not a document.
_FRAGMENT_HREF = re.compile(r"""href\s*=\s*\\?["']([^"'\\]+)""")
_LAST_ARTICLE = re.compile(r"""last_article["']?\s*[=:]\s*["']?(\d+)""")

Entry = tuple[int, "str | None"]  # (article id, creation date from the URL)


def _document(text: str):
    """The list page's tree, read whole however deep it nests (up to libxml2's huge_tree limit;
    past it, the links read before the cut)."""
    if not text.strip():
        return None
    try:
        return read_document(text)[0]
    except ValueError:  # lxml refuses a str that declares its encoding
        return read_document(text.encode("utf-8"))[0]


def _hrefs(links) -> list[str]:
    return [href for href in (link.get("href") for link in links) if href]


def list_entries(text: str, page_url: str, *, fragment: bool = False) -> list[Entry]:
    """(article id, creation date) of each listed article, in page order, unique.

    On a page without a known list, every article link counts (a layout the notes do not know
    yet must not stop discovery).
    """
    if fragment:
        hrefs = _FRAGMENT_HREF.findall(text)
    else:
        doc = _document(text)
        hrefs = [] if doc is None else (_hrefs(_LISTED_LINKS(doc)) or _hrefs(_ANY_LINK(doc)))
    entries: list[Entry] = []
    ids: set[int] = set()
    for href in hrefs:
        parsed = site.parse_article_url(href, page_url)
        if parsed and parsed[0] not in ids:
            ids.add(parsed[0])
            entries.append(parsed)
    return entries


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
