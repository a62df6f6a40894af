"""What one replica article is: the facts a page is rendered from, and the record expected back.

The replica site (tests, benchmarks, ``newscrawler demo``) is built from the facts in
``shared/nbd-site/NOTES.md``. A spec holds the *truth* about an article; the renderer turns it
into a page in one of the site's layouts; the extractor must give the truth back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

BEIJING = dt.timezone(dt.timedelta(hours=8))


@dataclass
class Block:
    """One piece of the article body, in order.

    kind: "p" (paragraph), "h2" (sub-heading as <h2>), "hp" (sub-heading as a bold <p>, older
    pages), "img" (image: ``text`` is the src path/URL, ``caption`` optional), "ul" (list:
    ``items``), "table" (``rows``: list of lists of cells), "quote" (blockquote).
    ``html`` may carry inline markup for "p" (emphasis, links, entities); ``text`` is the
    expected plain text of the block.
    """

    kind: str
    text: str = ""
    html: str | None = None
    caption: str | None = None
    items: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class ArticleSpec:
    article_id: int
    created: dt.date                      # the date in the URL path
    title: str
    published_at: dt.datetime | None      # Beijing time, tz-aware; None = page shows no time
    byline: str | None                    # the byline paragraph exactly as printed, or None
    authors: list[str]
    editor: str | None
    source: str | None = "每日经济新闻"
    column_id: int | None = None          # the column it is listed in (see nbd.site COLUMNS)
    category: str | None = None           # expected section name
    column: str | None = None             # expected column name
    tags: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    summary: str | None = None
    blocks: list[Block] = field(default_factory=list)
    lead_image: str | None = None         # image before the first paragraph (src)
    layout: str = "g-article"             # g-article | g-article-2017 | m-articleBox | generic
    variant: dict = field(default_factory=dict)  # rendering knobs (see replica.pages)
    page_editor: str | None = None        # "责编 X" line at page end, when rendered
    pages: int = 1                        # pages the article runs over (pages.render_article_page)

    @property
    def path(self) -> str:
        return f"/articles/{self.created.isoformat()}/{self.article_id}.html"

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.path

    @property
    def body_text(self) -> str:
        """Expected plain text: one line per paragraph / heading / list item / table row."""
        lines: list[str] = []
        for b in self.blocks:
            if b.kind in ("p", "h2", "hp", "quote"):
                lines.append(b.text)
            elif b.kind == "img":
                if b.caption:
                    lines.append(b.caption)
            elif b.kind == "ul":
                lines.extend(b.items)
            elif b.kind == "table":
                lines.extend("\t".join(r) for r in b.rows)
        return "\n".join(lines)
