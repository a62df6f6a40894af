"""Stop the crawl when the site blocks us (403 answers in a row)."""

from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest

from newscrawler.crawl import stats as keys

logger = logging.getLogger(__name__)


class BlockDetectionMiddleware:
    """Close the crawl cleanly after NBD_MAX_CONSECUTIVE_403 answers of 403 in a row."""

    def __init__(self, crawler, limit: int):
        self.crawler = crawler
        self.limit = limit
        self.consecutive = 0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getint("NBD_MAX_CONSECUTIVE_403"))

    def process_response(self, request, response, spider=None):
        if response.status != 403:
            if response.status < 400:
                self.consecutive = 0
            return response
        self.consecutive += 1
        self.crawler.stats.inc_value(keys.HTTP_403)
        if self.limit and self.consecutive >= self.limit:
            reason = f"blocked: {self.consecutive} answers of 403 Forbidden in a row"
            logger.error("Stopping the crawl: the site is refusing us (%s); last at %s", reason, request.url)
            self.crawler.stats.set_value(keys.BLOCKED, reason)
            self.crawler.engine.close_spider(self.crawler.spider, "blocked_403")
            raise IgnoreRequest(reason)
        return response
