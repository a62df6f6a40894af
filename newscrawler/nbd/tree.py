"""Parsing a page into a tree without losing part of it to libxml2's limits.

libxml2 stops parsing a document nested deeper than 256 levels and keeps what it read so far,
silently to the caller: the rest of the page (often its article) is simply not in the tree.
``huge_tree`` raises that limit to 2048 levels; past it, the parse is cut again, and we say so
(:class:`TreeCut`) rather than extract from part of a page.
"""

from __future__ import annotations

from lxml import etree, html as lxml_html

# libxml2's nesting limit without huge_tree: a parser that uses its defaults (trafilatura's)
# loses whatever is nested deeper.
DEFAULT_DEPTH_LIMIT = 256


class TreeCut(Exception):
    """libxml2 stopped at one of its limits even with huge_tree: the tree lacks part of the page.
    ``reason``: too_deep (nesting) or too_large (another limit)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.reason = "too_deep" if "depth" in message.lower() else "too_large"


def read_document(text: str | bytes):
    """(the page as an lxml.html tree, None), or (as much of it as libxml2 read, why it stopped)
    when the page is past its limits even with huge_tree. Raises lxml's own errors (ValueError,
    ParserError) as ``document_fromstring`` does."""
    # A parser per call: lxml parsers are not shared between threads, and its error log is ours.
    parser = lxml_html.HTMLParser(huge_tree=True)
    doc = lxml_html.document_fromstring(text, parser=parser)
    limits = parser.error_log.filter_types([etree.ErrorTypes.ERR_RESOURCE_LIMIT])
    if not limits:
        return doc, None
    cause = limits[0].message.split(", use XML_PARSE_HUGE")[0].strip()  # we do use it
    return doc, f"the HTML parser stopped reading the page: {cause}"


def parse_document(text: str | bytes):
    """The whole page as an lxml.html tree; raises :class:`TreeCut` when libxml2 could not read
    it whole (and lxml's own errors, as ``document_fromstring`` does)."""
    doc, cut = read_document(text)
    if cut:
        raise TreeCut(cut)
    return doc


def depth(root) -> int:
    """How many levels of elements the tree nests (the root is level 1)."""
    level = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        level += 1 if event == "start" else -1
        deepest = max(deepest, level)
    return deepest
