"""The `nbd` spider: discover 每经网 articles from column pages and archive them.

Discovery walks each column's list pages (pagination links, else the "load more" endpoint),
reduces every article link of any form (www, m., section hosts, partner copies,
protocol-relative) to its numeric id, asks the archive in one query per list page which ids
it already holds, and fetches only the new ones. A column stops when a page holds nothing
new, when it is past ``since``, or at ``pages`` pages deep.

Arguments (``-a NAME=VALUE``): columns (ids, comma-separated), pages (depth per column),
since / until (dates, Beijing time), urls (article URLs or ids, comma-separated),
full (refetch articles already archived).
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import scrapy
from w3lib.encoding import http_content_type_encoding

from newscrawler import values
from newscrawler.crawl.context import CrawlContext
from newscrawler.crawl.items import article_item
from newscrawler.nbd import listing, site
from newscrawler.nbd.extract import ExtractionError, extract_article

DEFAULT_PAGES = 3


def _failure_reason(failure) -> str:
    """A short reason for a failed download: the HTTP status, else the error's type and message
    (twisted's wrapped causes unwrapped, the request's URL left out: it is on record already)."""
    response = getattr(failure.value, "response", None)
    if response is not None:
        return f"HTTP {response.status}"
    error = failure.value
    if getattr(error, "reasons", None):  # twisted's ResponseFailed wraps the real causes
        error = getattr(error.reasons[0], "value", error)
    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return re.sub(r"\s*in request <[^>]*>\.?$", "", reason)


class NbdSpider(scrapy.Spider):
    name = "nbd"

    def __init__(self, columns=None, pages=None, since=None, until=None, urls=None, full=None,
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.urls = values.split_list(urls)
        try:
            if columns is None:
                # Default columns, except for an ad hoc run of given URLs.
                self.columns = [] if self.urls else list(site.DEFAULT_COLUMNS)
            else:
                self.columns = values.parse_ids(columns)
            self.max_pages = int(pages) if pages not in (None, "") else DEFAULT_PAGES
        except ValueError as exc:
            raise ValueError(f"columns must be numeric ids and pages a number: {exc}") from exc
        self.since = values.parse_day(since)
        self.until = values.parse_day(until)
        self.full = values.parse_flag(full)
        self.seen_ids: set[int] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.base_url = crawler.settings.get("NBD_BASE_URL").rstrip("/")
        base_host = urlsplit(spider.base_url).hostname
        spider.allowed_domains = sorted({base_host, site.NBD_DOMAIN})
        spider.archive = CrawlContext.of(crawler).archive
        # Pages over this size are refused while downloading (recorded as rejects): the site's
        # pages are about 100 KB, and the generic fallback takes seconds per MB of HTML.
        spider.max_page_bytes = crawler.settings.getint("NBD_MAX_PAGE_BYTES")
        crawler.signals.connect(spider.request_dropped, signal=scrapy.signals.request_dropped)
        return spider

    def crawl_arguments(self) -> dict:
        """The run's arguments, as the crawl record stores them."""
        return {"columns": self.columns, "pages": self.max_pages,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "urls": self.urls, "full": self.full, "base_url": self.base_url}

    async def start(self):
        # A crawl killed mid-way may have archived a column's first pages but not the articles
        # of its later pages: walk every column to its depth instead of stopping early.
        self.resuming = bool(self.columns) and bool(self.archive.interrupted_crawls(self.name))
        if self.resuming:
            self.logger.info("Earlier crawl(s) %s did not finish: walking every column to %d pages "
                             "(no early stop)", ", ".join(self.archive.resumed), self.max_pages)
        for request in self.page_refetch_requests():
            yield request
        for value in self.urls:
            request = self.article_request_for(value)
            if request is None:
                self.logger.warning("Not an article URL or id, skipped: %s", value)
                self.crawler.stats.inc_value("newscrawler/bad_url_arguments")
            else:
                yield request
        for column_id in self.columns:
            yield self.column_request(site.column_url(column_id, 1, self.base_url), column_id, 1)

    def page_refetch_requests(self) -> list[scrapy.Request]:
        """Articles archived without their page (a WARC write failed, or `warc check --repair`
        found the pointer dangling): a column crawl fetches them again, so the page is kept."""
        settings = self.crawler.settings
        if not self.columns or not settings.getbool("WARC_ENABLED", True):
            return []
        from pymongo.errors import PyMongoError

        from newscrawler.store.errors import ArchiveUnavailable
        from newscrawler.warc.pointers import articles_awaiting_pages

        try:
            docs = articles_awaiting_pages(self.archive.store.articles, settings.getint("WARC_REFETCH_MAX"))
        except (ArchiveUnavailable, PyMongoError) as exc:
            self.logger.warning("Articles without their page not looked up: %s", exc)
            return []
        requests = [r for r in (self.article_request_for(d.get("url") or d.get("fetched_url") or
                                                         str(d["article_id"])) for d in docs) if r]
        if requests:
            self.logger.info("Fetching again %d archived article(s) whose page is not kept", len(requests))
            self.crawler.stats.inc_value("newscrawler/page_refetches", len(requests))
        return requests

    # -- requests ---------------------------------------------------------------------
    def article_request_for(self, value: str) -> scrapy.Request | None:
        """An ad hoc URL or bare id: fetch the canonical page (partner path when no date)."""
        if value.isdigit():
            return self.article_request(int(value), None, column_id=None, force=True)
        parsed = site.parse_article_url(value, self.base_url)
        if parsed is None:
            return None
        return self.article_request(parsed[0], parsed[1], column_id=None, force=True)

    def article_request(self, article_id: int, created: str | None, column_id: int | None,
                        force: bool = False) -> scrapy.Request | None:
        if article_id in self.seen_ids and not force:
            return None
        self.seen_ids.add(article_id)
        if created:
            url = site.canonical_url(article_id, created, self.base_url)
        else:  # only the id is known: the partner copy's address needs no date
            url = f"{self.base_url}/rss/toutiao/articles/{article_id}.html"
        return scrapy.Request(url, callback=self.parse_article, errback=self.article_failed,
                              priority=10, meta={"article_id": article_id, "column_id": column_id,
                                                 **self._size_limit()},
                              dont_filter=force)

    def column_request(self, url: str, column_id: int, page: int, xhr: bool = False) -> scrapy.Request:
        headers = {"X-Requested-With": "XMLHttpRequest"} if xhr else None
        return scrapy.Request(url, callback=self.parse_column, errback=self.column_failed, headers=headers,
                              meta={"column_id": column_id, "page": page, **self._size_limit()},
                              dont_filter=True)

    def _size_limit(self) -> dict:
        limit = getattr(self, "max_page_bytes", 0)
        return {"download_maxsize": limit} if limit > 0 else {}

    # -- column pages -------------------------------------------------------------------
    def column_entries(self, response) -> list[tuple[int, str | None]]:
        """(article id, creation date) of each listed article, in page order, unique."""
        fragment = response.meta.get("page", 1) > 1 and bool(response.request.headers.get("X-Requested-With"))
        return listing.list_entries(response.text, response.url, fragment=fragment)

    def next_list_page(self, response, column_id: int, page: int, entries) -> scrapy.Request | None:
        """The next list page: a pagination link, else "load more" after the last article."""
        url = listing.next_page_url(response.text, response.url, column_id, page, self.base_url)
        if url:
            return self.column_request(url, column_id, page + 1)
        last_id = listing.load_more_after(response.text, entries, page)
        if last_id is not None:
            return self.column_request(site.load_more_url(column_id, last_id, self.base_url), column_id,
                                       page + 1, xhr=True)
        return None

    def parse_column(self, response):
        column_id, page = response.meta["column_id"], response.meta["page"]
        stats = self.crawler.stats
        stats.inc_value("newscrawler/list_pages")
        entries = self.column_entries(response)
        if not entries:
            self.logger.info("Column %s page %s lists no article: stopping this column", column_id, page)
            return
        in_range = [(aid, c) for aid, c in entries if not self._outside_range(c)]
        archived = set() if self.full else self.archive.existing_ids([aid for aid, _ in in_range])
        new = [(aid, c) for aid, c in in_range if aid not in archived]
        stats.inc_value("newscrawler/links_found", len(entries))
        stats.inc_value("newscrawler/links_already_archived", len(in_range) - len(new))
        for article_id, created in new:
            request = self.article_request(article_id, created, column_id)
            if request is not None:
                yield request

        past_since = self.since is not None and any(
            c is not None and dt.date.fromisoformat(c) < self.since for _, c in entries)
        if past_since:
            self.logger.info("Column %s: page %s reaches past %s: stopping", column_id, page, self.since)
        elif not new and not self.full and not getattr(self, "resuming", False) and in_range:
            self.logger.info("Column %s: page %s holds nothing new: stopping", column_id, page)
        elif page >= self.max_pages:
            self.logger.debug("Column %s: reached %s pages", column_id, page)
        else:
            request = self.next_list_page(response, column_id, page, entries)
            if request is not None:
                yield request

    def _outside_range(self, created: str | None) -> bool:
        if created is None:
            return False
        day = dt.date.fromisoformat(created)
        # The publish day can be a day after the creation day in the URL.
        if self.since and day < self.since - dt.timedelta(days=1):
            return True
        return bool(self.until and day > self.until)

    # -- article pages ----------------------------------------------------------------
    def parse_article(self, response):
        self.crawler.stats.inc_value("newscrawler/article_pages")
        charset = http_content_type_encoding(response.headers.get("Content-Type", b"").decode("latin-1"))
        try:
            record = extract_article(response.body, response.url, base_url=self.base_url,
                                     column_id=response.meta.get("column_id"), charset=charset)
        except ExtractionError as exc:
            yield self.rejected_item(response.url, response.meta, exc.reason, exc.message)
            return
        # A page archive (WARC) middleware, when enabled, says where it kept this response.
        yield article_item(record, fetched_url=response.url, warc=response.meta.get("warc"),
                           crawl_id=self.archive.crawl_id)

    def rejected_item(self, url: str, meta: dict, code: str, message: str):
        """The item of an article page that gave no article: ValidationPipeline records it."""
        return article_item({"url": url}, fetched_url=url, article_id=meta.get("article_id"),
                            crawl_id=self.archive.crawl_id,
                            extraction_error={"code": code, "message": message})

    def article_failed(self, failure):
        """An article page that could not be fetched (after retries) is recorded, not lost."""
        request = failure.request
        self.crawler.stats.inc_value("newscrawler/errors")
        reason = _failure_reason(failure)
        self.logger.warning("Article not fetched: %s (%s)", request.url, reason)
        yield self.rejected_item(request.url, request.meta, "fetch_failed", reason)

    def request_dropped(self, request, spider=None):
        """An article page redirected to a URL already requested in this crawl: the scheduler's
        duplicate filter drops the redirect and no errback runs, so record it here. (Other
        drops are duplicates by design, e.g. an article another worker of a shared crawl has.)"""
        redirects = request.meta.get("redirect_urls")
        if not redirects or request.meta.get("article_id") is None or request.callback != self.parse_article:
            return
        self.crawler.stats.inc_value("newscrawler/errors")
        reason = f"dropped: redirected from {redirects[0]} to {request.url}, already requested in this crawl"
        self.logger.warning("Article request dropped: %s (%s)", request.url, reason)
        self.archive.reject(request.url, "fetch_failed", reason, request.meta.get("article_id"))

    def column_failed(self, failure):
        """A list page that could not be fetched (after retries) is recorded in ``rejects`` too:
        the articles only it lists are found on a later crawl, and the reason is on record."""
        self.crawler.stats.inc_value("newscrawler/errors")
        reason = _failure_reason(failure)
        self.logger.warning("Column page not fetched: %s (%s)", failure.request.url, reason)
        self.archive.reject(failure.request.url, "column_failed", reason)
