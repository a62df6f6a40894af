"""Polite retries: Scrapy's retry with a back-off between attempts."""

from __future__ import annotations

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.asyncio import sleep


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, but a retried request first waits RETRY_BACKOFF_BASE x attempt seconds.

    The site answers overload with 503 "Service Temporarily Unavailable"; careful crawlers
    backed off 60 s x n. The wait is a timer (asyncio.sleep under the asyncio reactor: a
    Twisted Deferred awaited in an asyncio task fails with "Task got bad yield", which turned
    every retry into a failure), so other requests go on meanwhile.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")

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
