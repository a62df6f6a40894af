"""Downloader middlewares: polite retries with back-off, stopping when the site blocks us, and
never leaving the allowed domains."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.asyncio import sleep

logger = logging.getLogger(__name__)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, but a retried request first waits RETRY_BACKOFF_BASE x attempt seconds.

    The site answers overload with 503 "Service Temporarily Unavailable"; careful crawlers
    backed off 60 s x n. The wait is a timer (asyncio.sleep under the asyncio reactor: a
    Twisted Deferred awaited in an asyncio task fails with "Task got bad yield", which turned
    every retry into a failure), so other requests go on meanwhile.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 60.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 600.0)

    async def _wait(self, retry_request):
        attempt = retry_request.meta.get("retry_times", 1)
        delay = min(self.backoff_base * attempt, self.backoff_max)
        if delay > 0:
            self.crawler.stats.inc_value("newscrawler/backoff_seconds", delay)
            await sleep(delay)
        return retry_request

    async def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        if result is not response:
            return await self._wait(result)
        return response

    async def process_exception(self, request, exception, spider=None):
        result = super().process_exception(request, exception)
        if result is not None:
            return await self._wait(result)
        return None


class BlockDetectionMiddleware:
    """Close the crawl cleanly after NBD_MAX_CONSECUTIVE_403 answers of 403 in a row."""

    def __init__(self, crawler, limit: int):
        self.crawler = crawler
        self.limit = limit
        self.consecutive = 0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getint("NBD_MAX_CONSECUTIVE_403", 3))

    def process_response(self, request, response, spider=None):
        if response.status != 403:
            if response.status < 400:
                self.consecutive = 0
            return response
        self.consecutive += 1
        self.crawler.stats.inc_value("newscrawler/http_403")
        if self.limit and self.consecutive >= self.limit:
            reason = f"blocked: {self.consecutive} answers of 403 Forbidden in a row"
            logger.error("Stopping the crawl: the site is refusing us (%s); last at %s", reason, request.url)
            self.crawler.stats.set_value("newscrawler/blocked", reason)
            self.crawler.engine.close_spider(self.crawler.spider, "blocked_403")
            raise IgnoreRequest(reason)
        return response


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
        self.stats.inc_value("newscrawler/offsite_refused")
        if host not in self.domains_seen:
            self.domains_seen.add(host)
            logger.warning("Refused an off-site request to %s: %s", host, request.url)
        raise IgnoreRequest(f"off-site request refused: {host} is not an allowed domain")

    def should_follow(self, request, spider) -> bool:
        # No host (file:, data:, a bad URL) is never on site, even without allowed_domains.
        if not urlparse_cached(request).hostname:
            return False
        return super().should_follow(request, spider)
