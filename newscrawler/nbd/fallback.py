"""The generic fallback: a page no known layout matches still yields title, time and body.

trafilatura finds the main text; we then run the same body cleaner and byline parser as the
site layouts, so a fallback record has the same shape (and its ``extraction`` says it is one).
"""

from __future__ import annotations

import copy
import datetime as dt

from lxml import etree, html as lxml_html

from newscrawler.nbd import dates, tree
from newscrawler.nbd.clean import normalize_space
from newscrawler.nbd.layouts import Page, css, page_published_at, page_title

_TIME_ELEMENTS = css("time, [class*=time], [class*=date], [itemprop=datePublished]")
_H1 = css("h1")


def trafilatura_body(page: Page):
    """(body element in HTML tags or None, trafilatura's title)."""
    import trafilatura
    from trafilatura.htmlprocessing import convert_to_html

    document = trafilatura.bare_extraction(
        _trafilatura_input(page), url=page.url, with_metadata=True, include_images=True, include_formatting=True,
        include_tables=True, include_links=True, include_comments=False,
    )
    if document is None or document.body is None:
        return None, None
    # Back to an lxml.html tree, so the body cleaner sees the same element API as on pages.
    html_tree = lxml_html.fromstring(etree.tostring(convert_to_html(document.body), encoding="unicode"))
    body = html_tree.find(".//body")
    return (body if body is not None else html_tree), document.title


def _trafilatura_input(page: Page):
    """The page as trafilatura reads it: the text, which it parses itself, unless the page nests
    deeper than its parser reads (libxml2's default limit): then a copy of our whole tree
    (trafilatura changes the tree it is given)."""
    if tree.depth(page.doc) <= tree.DEFAULT_DEPTH_LIMIT:
        return page.raw
    return copy.deepcopy(page.doc)


def visible_time(page: Page) -> dt.datetime | None:
    """A Beijing time shown on the page: time-like elements first (a bare date will do
    there), then a date with a time anywhere in the page text."""
    elements = _TIME_ELEMENTS(page.doc)
    for need_time in (True, False):
        for el in elements:
            value = el.get("datetime")
            found = dates.parse_iso(value) if value else dates.parse_beijing(el.text_content(), need_time=need_time)
            if found:
                return found
    body = page.doc.find(".//body")
    return dates.parse_beijing(body.text_content() if body is not None else "")


def generic_title(page: Page, trafilatura_title: str | None) -> str | None:
    for el in _H1(page.doc):
        text = normalize_space(el.text_content())
        if text:
            return text
    return page_title(page) or (normalize_space(trafilatura_title) if trafilatura_title else None)


def generic_time(page: Page) -> dt.datetime | None:
    """The page's own publish time. (trafilatura's date is no evidence: it reads the URL.)"""
    return page_published_at(page) or visible_time(page)


def drop_header_lines(body, title: str | None) -> None:
    """trafilatura keeps the heading and the time/source line: they are not body text."""
    for el in list(body)[:4]:
        if not isinstance(el.tag, str):
            continue
        text = normalize_space(el.text_content())
        if (title and text == title) or (len(text) <= 60 and dates.parse_beijing(text)):
            body.remove(el)
        else:
            break

