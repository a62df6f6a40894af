"""The article item and its loader.

``extract_article`` does the page knowledge; the loader applies the item-level clean-up every
record gets whatever produced it (stripped strings, de-duplicated lists), Scrapy-style with
itemloaders processors, so a future extractor plugs in without repeating that clean-up.
"""

from __future__ import annotations

import scrapy
from scrapy.loader import ItemLoader
from itemloaders.processors import Identity, MapCompose, TakeFirst

from newscrawler.nbd.clean import normalize_space

LIST_FIELDS = ("authors", "tags", "keywords", "images")


class ArticleItem(scrapy.Item):
    article_id = scrapy.Field()
    url = scrapy.Field()
    title = scrapy.Field()
    published_at = scrapy.Field()
    byline = scrapy.Field()
    authors = scrapy.Field()
    editor = scrapy.Field()
    source = scrapy.Field()
    category = scrapy.Field()
    column = scrapy.Field()
    tags = scrapy.Field()
    keywords = scrapy.Field()
    summary = scrapy.Field()
    body_html = scrapy.Field()
    body_text = scrapy.Field()
    images = scrapy.Field()
    thumbnail_url = scrapy.Field()
    extraction = scrapy.Field()
    # Set by the crawl and the pipelines.
    fetched_url = scrapy.Field()       # the address the page was fetched from
    extraction_error = scrapy.Field()  # {"reason": code, "message": text} when nothing was extracted
    content_hash = scrapy.Field()
    thumbnail = scrapy.Field()
    thumbnail_error = scrapy.Field()
    duplicate_of = scrapy.Field()      # another article id with the same content
    crawl_id = scrapy.Field()
    warc = scrapy.Field()              # {"file", "offset", ...}: where the fetched page is kept


def _unique(values):
    seen: list = []
    for v in values:
        if v and v not in seen:
            seen.append(v)
    return seen


def _strip(value):
    return normalize_space(value) if isinstance(value, str) else value


class ArticleLoader(ItemLoader):
    default_item_class = ArticleItem
    default_input_processor = MapCompose(_strip)
    default_output_processor = TakeFirst()
    authors_out = tags_out = keywords_out = images_out = _unique
    # Markup and multi-line text keep their own white space.
    body_html_in = body_text_in = extraction_in = extraction_error_in = warc_in = Identity()


def article_item(record: dict, **extra) -> ArticleItem:
    """An ArticleItem from an extracted record, through the loader's processors."""
    loader = ArticleLoader()
    for key, value in {**record, **extra}.items():
        if key in LIST_FIELDS:
            loader.add_value(key, list(value or []))
        elif value is not None:
            loader.add_value(key, value)
    item = loader.load_item()
    for key in LIST_FIELDS:
        item.setdefault(key, [])
    return item
