"""Never leave the allowed domains, ``dont_filter`` or not."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from newscrawler.crawl import stats as keys

logger = logging.getLogger(__name__)


class OffsiteGuardMiddleware(OffsiteMiddleware):
    """Refuse every request outside the spider's allowed domains, ``dont_filter`` or not.

    Scrapy's own OffsiteMiddleware lets ``dont_filter`` requests through (and retries and
    redirects keep the flag), so a column page (always ``dont_filter``) or any retried page
    redirected to another host was followed there. It also drops off-site redirects silently
    at scheduling time, so the page never reached its errback. This replaces it: checked only
    when a request is about to be downloaded (pages, redirects, thumbnails), it raises
    IgnoreRequest, and the request's errback records the page with the reason.
    """

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler.stats)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        middleware.crawler = crawler
        return middleware

    def process_request(self, request, spider=None):
        spider = self.crawler.spider
        if self.should_follow(request, spider):
            return None
        host = urlparse_cached(request).hostname or "(no host)"
        self.stats.inc_value(keys.OFFSITE_REFUSED)
        if host not in self.domains_seen:
            self.domains_seen.add(host)
            logger.warning("Refused an off-site request to %s: %s", host, request.url)
        raise IgnoreRequest(f"off-site request refused: {host} is not an allowed domain")

    def should_follow(self, request, spider) -> bool:
        # No host (file:, data:, a bad URL) is never on site, even without allowed_domains.
        if not urlparse_cached(request).hostname:
            return False
        return super().should_follow(request, spider)
