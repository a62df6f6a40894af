"""Articles that run over several pages: the pager at the end of the body.

Per the site notes, page 2 onwards has its own address (``/articles/D/<id>/page/<n>``, see
``site.article_page_url``) and every page ends its body, after ``<!-- 页数 -->``, with
``div.paginationWrapper > div.pagination``: links ``上一页``, ``1``, ``2``, ..., ``下一页`` and
``<b>N</b>`` for the current page. The pager is not article text (``clean.NOISE_CLASSES``
drops it from the body); here it only says how many pages there are and where they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

from newscrawler.nbd import site

PAGER_CLASSES = ("paginationWrapper", "pagination")
_PAGERS = etree.XPath(
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' paginationWrapper ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' pagination ')]")


@dataclass(frozen=True)
class Pager:
    """What one page's pager says: ``current`` page, ``count`` of pages (the highest number
    it names), and the address of each page it links (number -> absolute URL)."""

    current: int
    count: int
    links: dict[int, str] = field(default_factory=dict)


def read_pager(doc, url: str, article_id: int, base_url: str | None = None) -> Pager | None:
    """The pager of page ``url`` of article ``article_id``, or None when the page has none
    (a one-page article). Only links to pages of the same article count: a pager-like block
    elsewhere on the page (a list's paging) names no page of this article."""
    links: dict[int, str] = {}
    current = None
    for pager in _PAGERS(doc):
        for a in pager.iter("a"):
            href = urljoin(url, (a.get("href") or "").strip())
            parsed = site.parse_article_url(href, base_url)
            if parsed is None or parsed[0] != article_id:
                continue
            links.setdefault(site.article_page_number(href), href)
        for b in pager.iter("b", "strong"):
            text = (b.text_content() or "").strip()
            if text.isdigit():
                current = int(text)
    if not links:
        return None
    current = current or site.article_page_number(url)
    return Pager(current=current, count=max([current, *links]), links=links)


def missing_pages(count: int, have: set[int]) -> list[int]:
    """Page numbers 1..count not in ``have``."""
    return [n for n in range(1, count + 1) if n not in have]
