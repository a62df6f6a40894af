"""Deduplication within a crawl, and the content fingerprint used across crawls.

The same article id reached twice in one crawl (listed in two columns, or a partner copy) is
dropped here. Every item gets ``content_hash`` (title + body text): the archive compares it
with the stored one to tell unchanged from edited articles (an edit keeps the old version as
a revision), and flags the same text under another id with ``duplicate_of``.
"""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newscrawler.crawl import stats as keys
from newscrawler.record import content_hash


class DedupPipeline:
    def __init__(self, crawler):
        self.stats = crawler.stats
        self.seen_ids: set[int] = set()
        self.first_id_by_hash: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        article_id = adapter["article_id"]
        if article_id in self.seen_ids:
            self.stats.inc_value(keys.DUPLICATES_IN_CRAWL)
            raise DropItem(f"article {article_id} already archived in this crawl")
        self.seen_ids.add(article_id)
        fingerprint = content_hash(adapter.get("title"), adapter.get("body_text"))
        adapter["content_hash"] = fingerprint
        first = self.first_id_by_hash.setdefault(fingerprint, article_id)
        if first != article_id:
            adapter["duplicate_of"] = first
            self.stats.inc_value(keys.CONTENT_DUPLICATES)
        return item
