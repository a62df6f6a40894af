"""The article item: the record itself.

Scrapy takes dataclass items through itemadapter, so the crawl yields ``ArticleRecord``
(newscrawler/record.py, THE field list): every item has every field, pipelines set the crawl
fields on it, feeds and the archive read the same shape. Its construction applies the clean-up
every record gets whatever produced it (stripped strings, de-duplicated lists).
"""

from __future__ import annotations

from newscrawler.record import LIST_FIELDS, ArticleRecord

ArticleItem = ArticleRecord


def article_item(record: dict, **extra) -> ArticleRecord:
    """The item of an extracted record (``extract_article``'s dict) plus crawl fields."""
    return ArticleRecord.from_dict(record, **extra)


__all__ = ["LIST_FIELDS", "ArticleItem", "article_item"]
