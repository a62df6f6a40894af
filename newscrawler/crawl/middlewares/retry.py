"""Polite retries: Scrapy's retry, sent again only after a back-off that holds no download slot."""

from __future__ import annotations

import datetime as dt
import logging
from email.utils import parsedate_to_datetime

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.utils.asyncio import call_later

from newscrawler.crawl import stats as keys

logger = logging.getLogger(__name__)

# Meta key of a retry request: seconds to wait before it may be scheduled again.
BACKOFF_META = "backoff_delay"
# Statuses whose Retry-After header says when to come back.
RETRY_AFTER_STATUSES = (429, 503)


def retry_after_seconds(value: bytes | str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, but a retried request waits before it is scheduled again.

    The wait is RETRY_BACKOFF_BASE x attempt seconds, or what a 429/503 answer's Retry-After
    asks, capped at RETRY_BACKOFF_MAX. The site answers overload with 503 "Service
    Temporarily Unavailable"; careful crawlers backed off 60 s x n.

    The retry request goes back to the engine at once, marked with its delay (``BACKOFF_META``),
    so the download slot is free: sleeping inside the middleware chain would keep the request
    in the downloader's ``active`` set, and a few sleeping retries would stop the whole crawl
    (``Downloader.needs_backout``). When the engine schedules the marked request
    (``request_scheduled``) it is held in a timer instead and handed to ``engine.crawl`` when
    due; while requests are held the spider is kept open (``spider_idle``). Held requests are
    in memory only: a crawl that stops meanwhile drops them (counted as
    ``newscrawler/backoff_dropped``), like the rest of a non-persistent queue.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")
        self._waiting: dict[Request, object] = {}  # held request -> its timer

    @classmethod
    def from_crawler(cls, crawler):
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(middleware.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    # -- downloader middleware: decide the retry and its delay, return it at once --------
    def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            asked = None
            if response.status in RETRY_AFTER_STATUSES:
                asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            self._mark(result, asked)
        return result

    def process_exception(self, request, exception, spider=None):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._mark(result, None)
        return result

    def backoff_delay(self, retry_request: Request, asked: float | None) -> float:
        """The server's Retry-After when it gave one, else base x attempt; capped."""
        attempt = retry_request.meta.get("retry_times", 1)
        delay = self.backoff_base * attempt if asked is None else asked
        return max(0.0, min(delay, self.backoff_max))

    def _mark(self, retry_request: Request, asked: float | None) -> None:
        delay = self.backoff_delay(retry_request, asked)
        if delay > 0:
            retry_request.meta[BACKOFF_META] = delay
            self.crawler.stats.inc_value(keys.BACKOFF_SECONDS, delay)

    # -- engine side: hold marked requests in a timer, not in a download slot --------------
    def request_scheduled(self, request, spider=None):
        delay = request.meta.pop(BACKOFF_META, None)
        if not delay:
            return
        logger.debug("Retrying %s in %.1f s", request, delay)
        self._waiting[request] = call_later(delay, self._release, request)
        raise IgnoreRequest  # not queued now: _release schedules it when due

    def _release(self, request: Request) -> None:
        if self._waiting.pop(request, None) is not None:
            self.crawler.engine.crawl(request)

    def spider_idle(self, spider=None):
        if self._waiting:
            raise DontCloseSpider

    def spider_closed(self, spider=None, reason=None):
        if self._waiting:
            logger.warning("%d retries still waiting for their back-off were dropped", len(self._waiting))
            self.crawler.stats.inc_value(keys.BACKOFF_DROPPED, len(self._waiting))
        for timer in self._waiting.values():
            timer.cancel()
        self._waiting.clear()

    @property
    def waiting(self) -> int:
        """Retries held until their back-off is over."""
        return len(self._waiting)
