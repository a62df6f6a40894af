"""The `nbd-revisit` spider: check archived articles again, for edits and deletions.

It reads the articles that are due (store/revisits.py: a schedule that thins out with the time
since each article last changed) off the reactor thread, and requests each canonical page,
conditionally when the site sent validators (If-None-Match / If-Modified-Since). The answer:

- 304: unchanged; only ``last_checked_at`` / ``next_check_at`` move (a deleted article that
  answers 304 again is back: unmarked);
- the page: extracted and archived as any crawl does (an edit becomes a revision, the write
  path unmarks a deleted article that is back); its validators kept for the next check;
- 404, 410, or a redirect off the article: marked deleted (crawl/deletions.py);
- anything else (timeout, 5xx): counted as failed and left due, never a deletion.

Arguments (``-a NAME=VALUE``): all (every archived article, due or not), since / until (publish
days, Beijing time), limit (at most this many checks, most overdue first).
"""

from __future__ import annotations

import datetime as dt

import scrapy
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from newscrawler import values
from newscrawler.crawl import deletions
from newscrawler.crawl import stats as keys
from newscrawler.crawl.spider import NbdSpider
from newscrawler.record import content_hash
from newscrawler.store.revisits import due_articles, last_change, next_check_at, parse_schedule
from newscrawler.timeutil import BEIJING, utcnow


class RevisitSpider(NbdSpider):
    name = "nbd-revisit"

    ARGUMENTS = ("all", "since", "until", "limit")

    def __init__(self, all=None, since=None, until=None, limit=None, *args, **kwargs):  # noqa: A002 - the argument's name
        super().__init__(*args, columns="", since=since, until=until, **kwargs)
        self.check_all = values.parse_flag(all)
        self.limit = int(limit) if limit not in (None, "") else None
        self.stored: dict[int, dict] = {}  # what the archive held of each article checked

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.schedule = parse_schedule(crawler.settings.get("REVISIT_SCHEDULE"))
        return spider

    def crawl_arguments(self) -> dict:
        return {"all": self.check_all, "limit": self.limit, "base_url": self.base_url,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}

    async def start(self):
        # A revisit is a crawl: monitoring judges it and its record is no sample (NbdSpider.start,
        # which says so, is not called here).
        self.crawler.stats.set_value(keys.CRAWL_STARTED, True)
        # Read off the reactor thread: the downloads of other crawls in this process go on.
        docs = await maybe_deferred_to_future(threads.deferToThread(self._read_due))
        self.logger.info("Revisit: %d archived article(s) to check", len(docs))
        for doc in docs:
            self.stored[doc["article_id"]] = doc
            yield self.revisit_request(doc)

    def _read_due(self) -> list[dict]:
        since = _beijing_midnight(self.since)
        until = _beijing_midnight(self.until + dt.timedelta(days=1)) if self.until else None
        return list(due_articles(self.archive.store.articles, utcnow(), everything=self.check_all,
                                 since=since, until=until, limit=self.limit))

    def revisit_request(self, doc: dict) -> scrapy.Request:
        headers = {}
        validators = doc.get("validators") or {}
        if validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if validators.get("last_modified"):
            headers["If-Modified-Since"] = validators["last_modified"]
        url = doc.get("url") or doc.get("fetched_url")
        return scrapy.Request(url, callback=self.parse_revisit, errback=self.revisit_failed, headers=headers,
                              priority=10, dont_filter=True,
                              meta={"article_id": doc["article_id"], "column_id": None,
                                    "handle_httpstatus_list": [304], **self._size_limit()})

    # -- answers --------------------------------------------------------------------
    def parse_revisit(self, response):
        article_id = response.meta["article_id"]
        stored = self.stored.get(article_id, {})
        stats = self.crawler.stats
        stats.inc_value(keys.REVISIT_CHECKED)
        now = utcnow()
        if response.status == 304:
            stats.inc_value(keys.REVISIT_NOT_MODIFIED)
            changed = self._restored_if_deleted(stored)
            self._checked(article_id, now if changed else last_change(stored), now)
            return
        if deletions.redirected_away(self, response):
            self._checked(article_id, stored.get("deleted_at") or now, now)
            return
        validators = {"etag": _header(response, b"ETag"), "last_modified": _header(response, b"Last-Modified")}
        changed = False
        for item in super().parse_article(response):
            if item.extraction_error:
                stats.inc_value(keys.REVISIT_FAILED)
                yield item
                return  # not an article now: left due, checked again next time
            self._keep_stored_listing(item, stored)
            changed = content_hash(item.title, item.body_text) != stored.get("content_hash")
            stats.inc_value(keys.REVISIT_EDITED if changed else keys.REVISIT_SAME)
            yield item
        # A deleted article answering again is back: the write path unmarks it.
        back = stored.get("deleted_at") is not None
        self._checked(article_id, now if changed or back else last_change(stored), now, validators)

    def revisit_failed(self, failure):
        article_id = failure.request.meta.get("article_id")
        stored = self.stored.get(article_id, {})
        self.crawler.stats.inc_value(keys.REVISIT_CHECKED)
        now = utcnow()
        if deletions.gone_after_failure(self, failure):
            self._checked(article_id, stored.get("deleted_at") or now, now)
            return
        # A timeout, a reset or a 5xx tells nothing about the article: failed, left due.
        self.crawler.stats.inc_value(keys.REVISIT_FAILED)
        yield from self.article_failed(failure)

    # -- bookkeeping ----------------------------------------------------------------
    def _checked(self, article_id: int, last_changed, now, validators: dict | None = None) -> None:
        check = {"article_id": article_id, "checked_at": now,
                 "next_check_at": next_check_at(last_changed, now, self.schedule)}
        if validators is not None:
            check["validators"] = {k: v for k, v in validators.items() if v}
        self.archive.record_checks([check])

    def _restored_if_deleted(self, stored: dict) -> bool:
        """A deleted article whose page answers 304 (the copy we hold) is back."""
        if stored.get("deleted_at") is None:
            return False
        restored = self.archive.clear_deleted([stored["article_id"]])
        self.crawler.stats.inc_value(keys.RESTORED, len(restored))
        return bool(restored)

    @staticmethod
    def _keep_stored_listing(item, stored: dict) -> None:
        """A revisit comes from no column page: keep the section and column the listing gave."""
        for name in ("category", "column"):
            if not getattr(item, name) and stored.get(name):
                setattr(item, name, stored[name])


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _beijing_midnight(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(0), BEIJING).astimezone(dt.timezone.utc)
