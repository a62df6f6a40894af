"""Retries wait out their back-off without holding a download slot, and honour Retry-After.

In-process: the middleware returns the retry at once (no sleep inside the download chain),
marked with its delay; the engine-side hold releases it through ``engine.crawl`` when due and
keeps the spider open meanwhile. End to end: a real crawl of the replica with one download
slot, where one article answers 503 with Retry-After; the replica's log (timed) shows other
pages served while the retry waited, and the retry sent only after the delay.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import threading
import time
from email.utils import format_datetime

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from newscrawler.crawl.middlewares.retry import (
    BACKOFF_META,
    BackoffRetryMiddleware,
    retry_after_seconds,
)
from tests.crawling import archive, crawl, replica_site

SETTINGS = {"RETRY_TIMES": 3, "RETRY_HTTP_CODES": [503, 429, 500], "RETRY_BACKOFF_BASE": 1.5,
            "RETRY_BACKOFF_MAX": 4.0}


class _Engine:
    def __init__(self):
        self.crawled: list[tuple[float, Request]] = []

    def crawl(self, request):
        self.crawled.append((time.monotonic(), request))


def _middleware():
    crawler = get_crawler(settings_dict=SETTINGS)
    crawler.spider = Spider.from_crawler(crawler, "test")
    crawler.stats.open_spider()
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    crawler.engine = _Engine()
    return crawler, middleware


def _answer(request, status, retry_after=None):
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return HtmlResponse(request.url, status=status, headers=headers, body=b"<html></html>", request=request)


def test_retry_is_returned_at_once_marked_with_its_delay():
    _, middleware = _middleware()
    request = Request("http://127.0.0.1/articles/2026-11-01/1.html")
    result = middleware.process_response(request, _answer(request, 500))
    assert not inspect.isawaitable(result)  # nothing sleeps inside the download chain
    assert isinstance(result, Request) and result.meta["retry_times"] == 1
    assert result.meta[BACKOFF_META] == 1.5  # base x attempt
    second = middleware.process_response(result, _answer(result, 500))
    assert second.meta[BACKOFF_META] == 3.0
    third = middleware.process_exception(second, TimeoutError())
    assert third.meta[BACKOFF_META] == 4.0  # capped at RETRY_BACKOFF_MAX


def test_retry_after_is_honoured_and_capped():
    _, middleware = _middleware()
    request = Request("http://127.0.0.1/a")
    assert middleware.process_response(request, _answer(request, 503, "2")).meta[BACKOFF_META] == 2.0
    assert middleware.process_response(request, _answer(request, 429, "0")).meta.get(BACKOFF_META) is None
    assert middleware.process_response(request, _answer(request, 503, "3600")).meta[BACKOFF_META] == 4.0
    when = format_datetime(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3), usegmt=True)
    assert 1.5 < middleware.process_response(request, _answer(request, 429, when)).meta[BACKOFF_META] <= 3.0
    # unreadable header, or on a status that does not define it: the usual back-off
    assert middleware.process_response(request, _answer(request, 503, "soon")).meta[BACKOFF_META] == 1.5
    assert middleware.process_response(request, _answer(request, 500, "3")).meta[BACKOFF_META] == 1.5


def test_retry_after_forms():
    now = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone.utc)
    assert retry_after_seconds(b"120", now) == 120
    assert retry_after_seconds("Sun, 01 Nov 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Sun, 01 Nov 2026 11:00:00 GMT", now) == 0  # past: now
    assert retry_after_seconds("-5", now) is None and retry_after_seconds(None, now) is None


def test_held_retry_keeps_the_spider_open_and_is_crawled_when_due():
    crawler, middleware = _middleware()
    request = Request("http://127.0.0.1/a")
    retry = middleware.process_response(request, _answer(request, 503, "1"))

    async def scenario():
        started = time.monotonic()
        with pytest.raises(IgnoreRequest):  # the engine's request_scheduled: held, not queued
            middleware.request_scheduled(retry)
        assert middleware.waiting == 1
        with pytest.raises(DontCloseSpider):
            middleware.spider_idle()
        await asyncio.sleep(1.3)
        return started

    started = asyncio.run(scenario())
    assert [r for _, r in crawler.engine.crawled] == [retry]
    assert crawler.engine.crawled[0][0] - started >= 0.95
    assert middleware.waiting == 0
    middleware.spider_idle()  # nothing held: the spider may close
    middleware.request_scheduled(retry)  # scheduled again by the engine: goes through now


def test_retries_held_when_the_crawl_stops_are_counted():
    crawler, middleware = _middleware()
    request = Request("http://127.0.0.1/a")
    retry = middleware.process_response(request, _answer(request, 503))

    async def scenario():
        with pytest.raises(IgnoreRequest):
            middleware.request_scheduled(retry)
        middleware.spider_closed(reason="shutdown")
        await asyncio.sleep(1.7)

    asyncio.run(scenario())
    assert crawler.engine.crawled == []
    assert crawler.stats.get_value("newscrawler/backoff_dropped") == 1


# -- end to end -----------------------------------------------------------------------------

def _timed_log(site):
    """Record (monotonic time, target, status) of every answer the replica serves."""
    served, lock, handle = [], threading.Lock(), site.handle

    def timed(method, target, headers, base_url):
        response = handle(method, target, headers, base_url)
        with lock:
            served.append((time.monotonic(), target, response.status))
        return response

    site.handle = timed
    return served


def test_waiting_retry_holds_no_slot_and_honours_retry_after(mongo_uri, mongo_db_name, tmp_path):
    """One download slot, one article answering 503 "Retry-After: 3" once, a base back-off of
    1 s: the other pages go on being fetched while the retry waits (a sleeping middleware
    would stop them all), and the retry is sent 3 s later, not 1 s."""
    with replica_site(n=30, seed=11, columns_per_page=5) as (site, server):
        victim = sorted(site.articles)[len(site.articles) // 2]
        rule = site.faults.add(rf"/{victim}\.html", "status", count=1, status=503, retry_after=3)
        served = _timed_log(site)
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=10,
                       settings={"CONCURRENT_REQUESTS": 1, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                                 "RETRY_BACKOFF_BASE": 1, "RETRY_BACKOFF_MAX": 10})
    assert result.returncode == 0, result.stderr[-3000:]
    assert rule.fired == 1
    hits = [(at, status) for at, target, status in served if f"/{victim}.html" in target]
    assert [status for _, status in hits] == [503, 200]
    failed_at, retried_at = hits[0][0], hits[1][0]
    assert retried_at - failed_at >= 2.9  # Retry-After, not the 1 s base
    during = [target for at, target, _ in served if failed_at < at < retried_at]
    assert len(during) >= 5, during  # the crawl went on while the retry waited
    db = archive(mongo_uri, mongo_db_name)
    assert db.articles.count_documents({"article_id": victim}) == 1
    assert db.articles.count_documents({}) == len(site.articles)
