"""The `nbd` spider: discover 每经网 articles from column pages and archive them.

Discovery walks each column's list pages (pagination links, else the "load more" endpoint),
reduces every article link of any form (www, m., section hosts, partner copies,
protocol-relative) to its numeric id, asks the archive in one query per list page which ids
it already holds, and fetches only the new ones.

What each column's walks reached is kept in the archive (``column_walks``, store/walks.py): a
walk from page 1 stops at the newest article the last walk began with, at ``since``, or at
``pages`` pages deep. A walk cut short (the crawl stopped or crashed, a list page failed)
leaves a resume point, the list page to continue from, and the next run continues from it,
whatever the previous run's finish reason; the crawl counts it (``incomplete_walks``). A
column with no stored walk (an archive from before, a distributed crawl) stops at the first
page that holds nothing new, unless an earlier crawl never finished.

Arguments (``-a NAME=VALUE``): columns (ids, comma-separated), pages (depth per column),
since / until (dates, Beijing time), urls (article URLs or ids, comma-separated),
full (refetch articles already archived), ids (an id range FIRST-LAST to backfill: crawl/backfill.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import scrapy
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads
from w3lib.encoding import http_content_type_encoding

from newscrawler import values
from newscrawler.crawl import deletions
from newscrawler.crawl.backfill import IdRangeBackfill
from newscrawler.crawl import stats as keys
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


@dataclass
class ListPage:
    """A list page a walk requested: where it is (``page``: the number in its URL, used to
    find the pager link) and how deep it counts (``depth``: pages of the walk so far);
    ``after_id``: the last article of the page before (None on page 1)."""

    url: str
    xhr: bool
    page: int
    depth: int
    after_id: int | None

    def as_resume(self) -> dict:
        return {"url": self.url, "xhr": self.xhr, "page": self.page, "depth": self.depth,
                "after_id": self.after_id}


@dataclass
class Walk:
    """One walk of a column in this run: from page 1, or from a gap's resume point, down to
    ``stop_id`` (the newest article of the walk before; None: to depth or ``since``)."""

    column_id: int
    stop_id: int | None
    gap: dict | None = None  # the stored gap this walk resumes (None: the walk from page 1)
    legacy: bool = False  # no stored walk: stop at the first page holding nothing new
    pages: list[ListPage] = field(default_factory=list)
    waiting: dict[int, set[int]] = field(default_factory=dict)  # page index -> articles not fetched yet
    head: int | None = None  # newest article on page 1
    pending: int | None = None  # index of the page requested and not parsed yet (or that failed)
    stale_pages: int = 0  # pages showing only what was walked already (the listing moved down)

    def request_page(self, page: ListPage) -> int:
        self.pages.append(page)
        self.pending = len(self.pages) - 1
        return self.pending

    def resume_index(self) -> int | None:
        """The first page to walk again: the first with articles not fetched, else the page
        not walked; None when the walk is complete."""
        starts = [i for i, ids in self.waiting.items() if ids]
        if self.pending is not None:
            starts.append(self.pending)
        return min(starts) if starts else None


class NbdSpider(scrapy.Spider):
    name = "nbd"

    def __init__(self, columns=None, pages=None, since=None, until=None, urls=None, full=None,
                 ids=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.urls = values.split_list(urls)
        self.backfill = IdRangeBackfill(self, ids) if ids else None
        try:
            if columns is None:
                # Default columns, except for an ad hoc run of given URLs or ids.
                self.columns = [] if self.urls or self.backfill else list(site.DEFAULT_COLUMNS)
            else:
                self.columns = values.parse_ids(columns)
            self.max_pages = int(pages) if pages not in (None, "") else DEFAULT_PAGES
        except ValueError as exc:
            raise ValueError(f"columns must be numeric ids and pages a number: {exc}") from exc
        self.since = values.parse_day(since)
        self.until = values.parse_day(until)
        self.full = values.parse_flag(full)
        self.seen_ids: set[int] = set()
        self.walks: dict[str, Walk] = {}
        self.walk_state: dict[int, dict] | None = None  # stored state by column; None: not kept
        self.resuming = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.base_url = crawler.settings.get("NBD_BASE_URL").rstrip("/")
        base_host = urlsplit(spider.base_url).hostname
        spider.allowed_domains = sorted({base_host, site.NBD_DOMAIN})
        spider.archive = CrawlContext.of(crawler).archive
        # Pages over this size are refused while downloading (recorded as rejects): the site's
        # pages are about 100 KB, and the generic fallback extractor is slow on large pages.
        spider.max_page_bytes = crawler.settings.getint("NBD_MAX_PAGE_BYTES")
        # Workers of a distributed crawl each see only some of a column's list pages: no one
        # of them can tell what was walked, so they keep the old stopping rule.
        from newscrawler.crawl.addons import redis_url

        spider.keeps_walks = not redis_url(crawler.settings)
        crawler.signals.connect(spider.request_dropped, signal=scrapy.signals.request_dropped)
        return spider

    def crawl_arguments(self) -> dict:
        """The run's arguments, as the crawl record stores them."""
        return {"columns": self.columns, "pages": self.max_pages,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "urls": self.urls, "full": self.full, "base_url": self.base_url,
                **({"ids": self.backfill.arguments()} if self.backfill else {})}

    async def start(self):
        # Read off the reactor thread: the downloads of other crawls in this process go on.
        await maybe_deferred_to_future(threads.deferToThread(self._read_walks))
        if self.resuming:
            self.logger.info("Earlier crawl(s) %s did not finish: walking every column with no stored "
                             "walk to %d pages (no early stop)", ", ".join(self.archive.resumed), self.max_pages)
        for request in self.page_refetch_requests():
            yield request
        for value in self.urls:
            request = self.article_request_for(value)
            if request is None:
                self.logger.warning("Not an article URL or id, skipped: %s", value)
                self.crawler.stats.inc_value(keys.BAD_URL_ARGUMENTS)
            else:
                yield request
        for column_id in self.columns:
            for request in self.walk_requests(column_id):
                yield request
        if self.backfill is not None:
            async for request in self.backfill.requests():
                yield request

    def _read_walks(self) -> None:
        if self.columns and self.keeps_walks:
            self.walk_state = self.archive.column_walks(self.base_url, self.columns)
        # A crawl killed mid-way may have archived a column's first pages but not the articles
        # of its later pages: a column with no stored walk is walked to its depth then.
        self.resuming = bool(self.columns) and bool(self.archive.interrupted_crawls(self.name))

    def walk_requests(self, column_id: int):
        """Page 1 of the column, and the resume point of each walk an earlier run left unfinished."""
        first = ListPage(site.column_url(column_id, 1, self.base_url), False, 1, 1, None)
        state = self.walk_state.get(column_id) if self.walk_state is not None else None
        if self.walk_state is None:
            yield self.column_request(first.url, column_id, 1)
            return
        yield self.walk_request(Walk(column_id, (state or {}).get("head_id"), legacy=state is None),
                                first, f"{column_id}")
        for n, gap in enumerate((state or {}).get("gaps") or []):
            resume = ListPage(**gap["resume"])
            self.logger.info("Column %s: continuing an unfinished walk from list page %s (down to article %s)",
                             column_id, resume.url, gap.get("stop_id") or f"depth {self.max_pages}")
            yield self.walk_request(Walk(column_id, gap.get("stop_id"), gap=gap), resume, f"{column_id}/gap{n}")

    def walk_request(self, walk: Walk, page: ListPage, key: str) -> scrapy.Request:
        self.walks[key] = walk
        return self.column_request(page.url, walk.column_id, page.page, xhr=page.xhr,
                                   walk=(key, walk.request_page(page), page.depth, page.after_id))

    def page_refetch_requests(self) -> list[scrapy.Request]:
        """Articles archived without their page (a WARC write failed, or `warc check --repair`
        found the pointer dangling): a column crawl fetches them again, so the page is kept."""
        settings = self.crawler.settings
        if not self.columns or not settings.getbool("WARC_ENABLED"):
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
            self.crawler.stats.inc_value(keys.PAGE_REFETCHES, len(requests))
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
                        force: bool = False, listed_on: tuple | None = None) -> scrapy.Request | None:
        if article_id in self.seen_ids and not force:
            return None
        self.seen_ids.add(article_id)
        if created:
            url = site.canonical_url(article_id, created, self.base_url)
        else:  # only the id is known: the partner copy's address needs no date
            url = f"{self.base_url}/rss/toutiao/articles/{article_id}.html"
        return scrapy.Request(url, callback=self.parse_article, errback=self.article_failed,
                              priority=10, meta={"article_id": article_id, "column_id": column_id,
                                                 **({"listed_on": listed_on} if listed_on else {}),
                                                 **self._size_limit()},
                              dont_filter=force)

    def column_request(self, url: str, column_id: int, page: int, xhr: bool = False,
                       walk: tuple | None = None) -> scrapy.Request:
        """``walk``: (walk key, page index in the walk, depth, after_id) when walks are kept."""
        headers = {"X-Requested-With": "XMLHttpRequest"} if xhr else None
        return scrapy.Request(url, callback=self.parse_column, errback=self.column_failed, headers=headers,
                              meta={"column_id": column_id, "page": page, "xhr": xhr,
                                    **({"walk": walk} if walk else {}), **self._size_limit()},
                              dont_filter=True)

    def _size_limit(self) -> dict:
        limit = getattr(self, "max_page_bytes", 0)
        return {"download_maxsize": limit} if limit > 0 else {}

    # -- column pages -------------------------------------------------------------------
    def column_entries(self, response) -> list[tuple[int, str | None]]:
        """(article id, creation date) of each listed article, in page order, unique."""
        fragment = response.meta.get("page", 1) > 1 and bool(response.request.headers.get("X-Requested-With"))
        return listing.list_entries(response.text, response.url, fragment=fragment)

    def next_list_page(self, response, column_id: int, page: int, entries,
                       walk: tuple | None = None) -> scrapy.Request | None:
        """The next list page: a pagination link, else "load more" after the last article.
        ``walk``: (walk key, depth) of the walk this page belongs to, if walks are kept."""
        url = listing.next_page_url(response.text, response.url, column_id, page, self.base_url)
        if url:
            return self._next_request(url, False, column_id, page + 1, entries, walk)
        last_id = listing.load_more_after(response.text, entries, page)
        if last_id is not None:
            return self._next_request(site.load_more_url(column_id, last_id, self.base_url), True,
                                      column_id, page + 1, entries, walk)
        return None

    def _next_request(self, url, xhr, column_id, page, entries, walk) -> scrapy.Request:
        if walk is None:
            return self.column_request(url, column_id, page, xhr=xhr)
        key, depth = walk
        next_page = ListPage(url, xhr, page, depth + 1, entries[-1][0] if entries else None)
        return self.column_request(url, column_id, page, xhr=xhr,
                                   walk=(key, self.walks[key].request_page(next_page), next_page.depth,
                                         next_page.after_id))

    def parse_column(self, response):
        column_id, page = response.meta["column_id"], response.meta["page"]
        walk_key, index, depth, after_id = response.meta.get("walk") or (None, None, page, None)
        walk = self.walks.get(walk_key)
        if walk is not None:
            walk.pending = None
        stats = self.crawler.stats
        stats.inc_value(keys.LIST_PAGES)
        entries = self.column_entries(response)
        if not entries:
            self.logger.info("Column %s page %s lists no article: stopping this column", column_id, page)
            return
        if walk is not None and index == 0 and walk.gap is None:
            walk.head = entries[0][0]
        in_range = [(aid, c) for aid, c in entries if not self._outside_range(c)]
        archived = set() if self.full else self.archive.existing_ids([aid for aid, _ in in_range])
        new = [(aid, c) for aid, c in in_range if aid not in archived]
        stats.inc_value(keys.LINKS_FOUND, len(entries))
        stats.inc_value(keys.LINKS_ALREADY_ARCHIVED, len(in_range) - len(new))
        for article_id, created in new:
            request = self.article_request(article_id, created, column_id,
                                           listed_on=(walk_key, index) if walk else None)
            if request is not None:
                if walk is not None:
                    walk.waiting.setdefault(index, set()).add(article_id)
                yield request

        ids = [aid for aid, _ in entries]
        if walk is not None and after_id is not None and min(ids) > after_id and walk.stale_pages < self.max_pages:
            # Newer articles pushed the listing down since the page before was walked (a page
            # number resumed later): this page shows what was walked already, so it does not
            # count toward the depth (a bounded number of times: a site answering the same
            # page again must not keep a walk going).
            walk.stale_pages += 1
            depth -= 1
        past_since = self.since is not None and any(
            c is not None and dt.date.fromisoformat(c) < self.since for _, c in entries)
        if past_since:
            self.logger.info("Column %s: page %s reaches past %s: stopping", column_id, page, self.since)
        elif walk is not None and self._reached(walk, ids):
            self.logger.info("Column %s: page %s reaches article %s, where the last walk began: stopping",
                             column_id, page, walk.stop_id)
        elif (walk is None or walk.legacy) and not new and not self.full and not self.resuming and in_range:
            self.logger.info("Column %s: page %s holds nothing new: stopping", column_id, page)
        elif depth >= self.max_pages:
            self.logger.debug("Column %s: reached %s pages", column_id, depth)
        else:
            request = self.next_list_page(response, column_id, page, entries,
                                          walk=(walk_key, depth) if walk else None)
            if request is not None:
                yield request

    def _reached(self, walk: Walk, ids: list[int]) -> bool:
        """Whether a page reaches the article the walk stops at (listed, or every article on
        the page older: it left the listing). A full run walks to its depth."""
        if walk.stop_id is None or self.full:
            return False
        return walk.stop_id in ids or max(ids) < walk.stop_id

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
        self.article_done(response.meta)
        self.crawler.stats.inc_value(keys.ARTICLE_PAGES)
        if deletions.redirected_away(self, response):
            return
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
        if self.backfill is not None and self.backfill.failed(failure):
            return  # an id of a backfilled range that is no article: counted, no reject row
        self.article_done(request.meta)  # recorded in rejects (a walk does not wait for it)
        if deletions.gone_after_failure(self, failure):  # an archived article the site took down
            return
        self.crawler.stats.inc_value(keys.ERRORS)
        reason = _failure_reason(failure)
        self.logger.warning("Article not fetched: %s (%s)", request.url, reason)
        yield self.rejected_item(request.url, request.meta, "fetch_failed", reason)

    def request_dropped(self, request, spider=None):
        """An article page redirected to a URL already requested in this crawl: the scheduler's
        duplicate filter drops the redirect and no errback runs, so record it here. (Other
        drops are duplicates by design, e.g. an article another worker of a shared crawl has.)"""
        self.article_done(request.meta)
        redirects = request.meta.get("redirect_urls")
        if not redirects or request.meta.get("article_id") is None or request.callback != self.parse_article:
            return
        if deletions.dropped_redirect_away(self, request):
            return
        self.crawler.stats.inc_value(keys.ERRORS)
        reason = f"dropped: redirected from {redirects[0]} to {request.url}, already requested in this crawl"
        self.logger.warning("Article request dropped: %s (%s)", request.url, reason)
        self.archive.reject(request.url, "fetch_failed", reason, request.meta.get("article_id"))

    def article_done(self, meta) -> None:
        """An article of a walked list page was fetched (or recorded as failed)."""
        if self.backfill is not None:
            self.backfill.settle(meta)
        key, index = meta.get("listed_on") or (None, None)
        walk = self.walks.get(key)
        if walk is not None:
            walk.waiting.get(index, set()).discard(meta.get("article_id"))

    def column_failed(self, failure):
        """A list page that could not be fetched (after retries) is recorded in ``rejects`` too;
        its walk stays unfinished there, and the next crawl continues from this page."""
        self.crawler.stats.inc_value(keys.ERRORS)
        reason = _failure_reason(failure)
        self.logger.warning("Column page not fetched: %s (%s)", failure.request.url, reason)
        self.archive.reject(failure.request.url, "column_failed", reason)

    # -- what was walked ----------------------------------------------------------------
    def closed(self, reason):
        """Save what each column's walks reached, and count those left unfinished."""
        if self.backfill is not None:
            self.backfill.close()
        if self.walk_state is None:
            return
        incomplete = 0
        for column_id in self.columns:
            walks = [w for w in self.walks.values() if w.column_id == column_id]
            head, gaps, settled = self._walk_outcome(walks)
            if self.until:
                head = None  # articles newer than `until` were skipped: the next walk goes past them
            incomplete += len(gaps) + sum(1 for w in walks if w.gap is None and w.resume_index() == 0)
            for gap in gaps:
                self.logger.warning("Column %s: walk unfinished; the next crawl continues from list page %s",
                                    column_id, gap["resume"]["url"])
            self.archive.save_column_walk(self.base_url, column_id, head, gaps, settled)
        self.crawler.stats.set_value(keys.INCOMPLETE_WALKS, incomplete)

    @staticmethod
    def _walk_outcome(walks: list[Walk]) -> tuple[int | None, list[dict], set[tuple]]:
        """(newest article on page 1, gaps left, keys of the stored gaps this run resumed)."""
        from newscrawler.store.walks import gap_key

        head, gaps, settled = None, [], set()
        for walk in walks:
            index = walk.resume_index()
            if walk.gap is not None:
                settled.add(gap_key(walk.gap))
            elif index == 0:
                continue  # page 1 itself not done: the next walk from page 1 covers it all
            else:
                head = walk.head
            if index is not None:
                gaps.append({"resume": walk.pages[index].as_resume(), "stop_id": walk.stop_id})
        return head, gaps, settled
