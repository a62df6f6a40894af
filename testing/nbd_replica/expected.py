"""What the replica's truth says an exact extractor returns for a page it rendered.

``expected_record(spec)`` is the record of ``render_article(spec)`` under the conventions stated
in ``tests/evaluation/cases.py`` (which holds the evaluation cases built on it). It is part of the
repo-only replica so that tests, the fault suite and benchmarks can check what was archived.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urljoin

from newscrawler.nbd.site import DEFAULT_BASE_URL, column_category, column_name, column_section, host_section
from nbd_replica.corpus import MAX_DATE_DRIFT_DAYS, PUBLISH_WARNING, UTC
from nbd_replica.pages import (
    DEFAULT_IMAGE_BASE, MINUTE_LAYOUTS, body_image_srcs, image_src, noise_texts, og_image_url, video_url,
)
from nbd_replica.spec import BEIJING, ArticleSpec


# The extractor's layout name for a replica layout (the record's extraction["layout"]).
EXTRACTION_LAYOUTS = {"g-article": "g-article", "g-article-2017": "g-article", "m-articleBox": "m-articleBox",
                      "generic": "trafilatura", "articleWrapper-2012": "articleWrapper",
                      "nbd-con-2018": "nbd-con", "video": "video"}


def classify(link_column: int | None, column_hint: int | None, page_url: str | None) -> tuple[str | None, str | None]:
    """(category, column) per the convention in the module doc: each field takes the first of
    the page's .u-column link, the crawl's column hint, (category only) the section host. A
    page that names its column never leaves the category empty: a site-wide column's label
    (每经热评 -> 评论, else its name) is the category when its link names no section."""
    column = column_name(link_column) or column_name(column_hint)
    category = column_category(link_column) if link_column is not None else None
    category = category or column_section(column_hint)
    if category is None and page_url:
        category = host_section(page_url)
    return category, column


def expected_record(spec: ArticleSpec, base_url: str = DEFAULT_BASE_URL,
                    image_base: str = DEFAULT_IMAGE_BASE, page_url: str | None = None) -> dict:
    """The record an exact extractor returns for ``render_article(spec, base_url, image_base)``
    fetched at ``page_url`` (default: the canonical URL). See the module doc for conventions."""
    canonical = spec.url(base_url)
    page_url = page_url or canonical
    images = [urljoin(page_url, image_src(spec, src, image_base)) for src in body_image_srcs(spec)]
    warning = None
    if spec.published_at is None:
        published = dt.datetime.combine(spec.created, dt.time(0), BEIJING).astimezone(UTC)
        warning = PUBLISH_WARNING
    else:
        published = spec.published_at.astimezone(UTC)
        if spec.layout in MINUTE_LAYOUTS:  # the page prints the time to the minute
            published = published.replace(second=0, microsecond=0)
        drift = abs((spec.published_at.astimezone(BEIJING).date() - spec.created).days)
        if drift > MAX_DATE_DRIFT_DAYS:
            warning = PUBLISH_WARNING
    record = {
        "article_id": spec.article_id,
        "url": canonical,
        "title": spec.title,
        "published_at": published,
        "byline": spec.byline,
        "authors": list(spec.authors),
        "editor": spec.editor,
        "source": spec.source,
        "category": spec.category,
        "column": spec.column,
        "tags": list(spec.tags),
        "keywords": list(spec.keywords),
        "summary": spec.summary,
        "body_text": spec.body_text,
        "images": images,
        "thumbnail_url": images[0] if images else og_image_url(spec, image_base),
        "video": video_url(spec, page_url),
        "method": "fallback" if spec.layout == "generic" else "layout",
        # The record of all its pages (nbd.extract.extract_article_pages): every page, none missing.
        "pages": spec.pages,
        "pages_missing": [],
    }
    if spec.layout in EXTRACTION_LAYOUTS:
        record["layout"] = EXTRACTION_LAYOUTS[spec.layout]
    excludes = noise_texts(spec)
    if excludes:
        record["body_excludes"] = excludes
    if warning:
        record["warnings_contain"] = warning
    return record

