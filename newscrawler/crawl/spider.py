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
full (refetch articles already archived), ids (an id range FIRST-LAST to backfill:
crawl/backfill.py), lists (``pc``, the default: the column pages of the
site; ``mobile``: the mobile column lists, 20 a page and paged deep, to walk far into a
column's past; their walks are kept apart from the PC pages' walks), dates (a window
FROM..TO of publish days to backfill: since/until, walked deep down the mobile lists, its walk
state kept per window: crawl/backfill.py).

List pages are read by nbd/listing.py (every list form of the notes); only a list's own
entries belong to its column. An entry's listed time, when the list shows one, decides
``since`` / ``until``; its section label becomes the article's category when the page names none.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads
from w3lib.encoding import http_content_type_encoding

from newscrawler import values
from newscrawler.crawl import deletions
from newscrawler.crawl.backfill import DATE_BACKFILL_PAGES, DateWindowBackfill, IdRangeBackfill
from newscrawler.crawl import stats as keys
from newscrawler.crawl.context import CrawlContext
from newscrawler.crawl.items import article_item
from newscrawler.nbd import listing, site
from newscrawler.nbd.extract import ExtractionError, PageInput, extract_article, extract_article_pages
from newscrawler.nbd.pager import read_pager

DEFAULT_PAGES = 3
LIST_KINDS = ("pc", "mobile")  # which list pages a crawl walks: the default first

# Failures where the site gave no answer at all (Scrapy's and Twisted's names for them): no
# connection, no name, no response in time, the connection lost before a response.
NO_ANSWER = (
    "scrapy.exceptions.DownloadConnectionRefusedError", "scrapy.exceptions.CannotResolveHostError",
    "scrapy.exceptions.DownloadTimeoutError", "scrapy.exceptions.DownloadFailedError",
    "twisted.internet.error.ConnectionRefusedError", "twisted.internet.error.DNSLookupError",
    "twisted.internet.error.TimeoutError", "twisted.internet.error.TCPTimedOutError",
    "twisted.internet.error.ConnectionLost", "twisted.web._newclient.ResponseFailed",
)
# Pages of one article followed at most (a pager naming thousands is not an article's).
MAX_ARTICLE_PAGES = 50
# Incomplete articles (a later page failed) a crawl fetches again at its start, at most.
MAX_INCOMPLETE_REFETCH = 1000


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
    xhr: bool  # a "load more" request: its answer is a fragment
    page: int
    depth: int
    after_id: int | None
    headers: dict | None = None  # the request's own headers ("load more": Accept, CSRF token)

    def as_resume(self) -> dict:
        resume = {"url": self.url, "xhr": self.xhr, "page": self.page, "depth": self.depth,
                  "after_id": self.after_id}
        return {**resume, "headers": self.headers} if self.headers else resume


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
    # The arguments the spider takes (``-a NAME=VALUE``); any other is refused (check_arguments).
    ARGUMENTS = ("columns", "pages", "since", "until", "urls", "full", "lists", "ids", "dates")

    def __init__(self, columns=None, pages=None, since=None, until=None, urls=None, full=None,
                 lists=None, ids=None, dates=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.urls = values.split_list(urls)
        self.backfill = IdRangeBackfill(self, ids) if ids else None
        # A date backfill: its window is since/until, walked deep down the mobile lists.
        self.window = DateWindowBackfill(dates) if dates else None
        if self.window is not None:
            if since or until:
                raise ValueError("dates=FROM..TO is the window: give no since or until with it")
            since, until, lists = self.window.since, self.window.until, lists or "mobile"
            pages = pages or DATE_BACKFILL_PAGES
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
        self.lists = (lists or LIST_KINDS[0]).strip().lower()
        if self.lists not in LIST_KINDS:
            raise ValueError(f"lists must be one of {', '.join(LIST_KINDS)}, not {lists!r}")
        self.seen_ids: set[int] = set()
        self.walks: dict[str, Walk] = {}
        self.walk_state: dict[int, dict] | None = None  # stored state by column; None: not kept
        self.resuming = False

    @classmethod
    def argument_problem(cls, kwargs: dict, base_url: str | None) -> str | None:
        """Why the crawl cannot take these arguments (one sentence), or None: an argument the
        spider does not take (a typo would otherwise crawl the default columns), a column the
        site does not have, a URL that is no article of the site crawled."""
        from newscrawler.crawl import checks

        problem = checks.unknown_arguments(cls.name, cls.ARGUMENTS, kwargs)
        if problem:
            return problem
        if "columns" in cls.ARGUMENTS and kwargs.get("columns"):
            try:
                problem = checks.unknown_columns(values.parse_ids(kwargs["columns"]))
            except ValueError as exc:
                problem = f"columns: {exc}"
            if problem:
                return problem
        bad = checks.bad_urls(values.split_list(kwargs.get("urls")), base_url) if "urls" in cls.ARGUMENTS else []
        return checks.bad_urls_sentence(bad, base_url) if bad else None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        problem = cls.argument_problem(kwargs, crawler.settings.get("NBD_BASE_URL"))
        if problem:
            raise ValueError(problem)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.base_url = crawler.settings.get("NBD_BASE_URL").rstrip("/")
        base_host = urlsplit(spider.base_url).hostname
        spider.allowed_domains = sorted({base_host, site.NBD_DOMAIN})
        spider.archive = CrawlContext.of(crawler).archive
        # Pages over this size are refused while downloading (recorded as rejects): the site's
        # pages are about 100 KB, and the generic fallback extractor is slow on large pages.
        spider.max_page_bytes = crawler.settings.getint("NBD_MAX_PAGE_BYTES")
        spider.max_images = crawler.settings.getint("NBD_MAX_IMAGES_PER_ARTICLE")
        spider.max_links = crawler.settings.getint("NBD_MAX_LINKS_PER_LIST_PAGE")
        # Workers of a distributed crawl each see only some of a column's list pages: no one
        # of them can tell what was walked, so they keep the old stopping rule.
        from newscrawler.crawl.addons import redis_url

        spider.keeps_walks = not redis_url(crawler.settings)
        if spider.backfill is not None:
            spider.backfill.connect(crawler.signals)
            if redis_url(crawler.settings):
                spider.backfill.share(crawler, redis_url(crawler.settings))  # in chunks: crawl/chunks.py
        crawler.signals.connect(spider.request_dropped, signal=scrapy.signals.request_dropped)
        return spider

    def crawl_arguments(self) -> dict:
        """The run's arguments, as the crawl record stores them."""
        return {"columns": self.columns, "pages": self.max_pages,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "urls": self.urls, "full": self.full, "base_url": self.base_url, "lists": self.lists,
                **({"ids": self.backfill.arguments()} if self.backfill else {}),
                **({"dates": self.window.arguments()} if self.window else {})}

    async def parse(self, response):
        """A page given without its callback (`scrapy parse --spider nbd URL`): an article page
        or a list page, told apart by its URL."""
        if site.parse_article_url(response.url, self.base_url) is not None:
            for output in self.parse_article(response):
                yield output
        elif site.parse_column_url(response.url, self.base_url) is not None:
            async for output in self.parse_column(response):
                yield output
        else:
            self.logger.warning("Neither an article nor a column page: %s", response.url)

    async def start(self):
        # This run is a crawl: scrapy parse, check and shell give the spider their own requests
        # and never call start(); monitoring judges crawls only.
        self.crawler.stats.set_value(keys.CRAWL_STARTED, True)
        if self.window is not None:  # the progress line's bar: days of the window covered
            self.crawler.stats.set_value(keys.BACKFILL_DAYS, self.window.days())
        # Read off the reactor thread: the downloads of other crawls in this process go on.
        await self._off_reactor(self._read_walks)
        if self.resuming:
            self.logger.info("Earlier crawl(s) %s did not finish: walking every column with no stored "
                             "walk to %d pages (no early stop)", ", ".join(self.archive.resumed), self.max_pages)
        for request in await self._off_reactor(self.page_refetch_requests):
            yield request
        for request in await self._off_reactor(self.incomplete_article_requests):
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

    @staticmethod
    async def _off_reactor(function, *args):
        """``function(*args)`` in a worker thread (MongoDB waits there, not on the reactor: the
        downloads and callbacks go on meanwhile; the archive session is thread-safe)."""
        return await maybe_deferred_to_future(threads.deferToThread(function, *args))

    def uses_mobile_list(self, column_id: int) -> bool:
        """Whether this crawl walks the column's mobile list (not where that list is stale)."""
        return self.lists == "mobile" and column_id not in site.MOBILE_STALE_COLUMNS

    def walk_origin(self, column_id: int) -> str:
        """What a column's walk state is kept under: the list's origin (the mobile list is
        another list than the PC pages: its walks must not stop where a PC walk began; a date
        backfill's walks are kept per window)."""
        origin = site.mobile_base_url(self.base_url) if self.uses_mobile_list(column_id) else self.base_url
        return self.window.walk_origin(origin) if self.window else origin

    def _read_walks(self) -> None:
        if self.columns and self.keeps_walks:
            by_origin: dict[str, list[int]] = {}
            for column_id in self.columns:
                by_origin.setdefault(self.walk_origin(column_id), []).append(column_id)
            self.walk_state = {}
            for origin, column_ids in by_origin.items():
                state = self.archive.column_walks(origin, column_ids)
                if state is None:  # the archive does not answer: the old stopping rule
                    self.walk_state = None
                    break
                self.walk_state.update(state)
        # A crawl killed mid-way may have archived a column's first pages but not the articles
        # of its later pages: a column with no stored walk is walked to its depth then.
        self.resuming = bool(self.columns) and bool(self.archive.interrupted_crawls(self.name))

    def walk_requests(self, column_id: int):
        """Page 1 of the column, and the resume point of each walk an earlier run left unfinished."""
        if self.uses_mobile_list(column_id):
            first_url = site.mobile_column_url(column_id, 1, self.base_url)
        else:
            if self.lists == "mobile":
                self.logger.info("Column %s: its mobile list is stale: walking its PC pages", column_id)
            first_url = site.column_url(column_id, 1, self.base_url)
        first = ListPage(first_url, False, 1, 1, None)
        state = self.walk_state.get(column_id) if self.walk_state is not None else None
        if self.walk_state is None:
            yield self.column_request(first.url, column_id, 1)
            return
        # A mobile list is walked for its past: no early stop on a page holding nothing new.
        legacy = state is None and not self.uses_mobile_list(column_id)
        yield self.walk_request(Walk(column_id, (state or {}).get("head_id"), legacy=legacy),
                                first, f"{column_id}")
        for n, gap in enumerate((state or {}).get("gaps") or []):
            resume = ListPage(**gap["resume"])
            self.logger.info("Column %s: continuing an unfinished walk from list page %s (down to article %s)",
                             column_id, resume.url, gap.get("stop_id") or f"depth {self.max_pages}")
            yield self.walk_request(Walk(column_id, gap.get("stop_id"), gap=gap), resume, f"{column_id}/gap{n}")

    def walk_request(self, walk: Walk, page: ListPage, key: str) -> scrapy.Request:
        self.walks[key] = walk
        return self.column_request(page.url, walk.column_id, page.page, xhr=page.xhr, headers=page.headers,
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
                        force: bool = False, listed_on: tuple | None = None,
                        section: str | None = None) -> scrapy.Request | None:
        """``section``: the section label the list showed for the article (its category when
        the page names none)."""
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
                                                 **({"section_hint": section} if section else {}),
                                                 **self._size_limit()},
                              dont_filter=force)

    def column_request(self, url: str, column_id: int, page: int, xhr: bool = False,
                       walk: tuple | None = None, headers: dict | None = None) -> scrapy.Request:
        """``walk``: (walk key, page index in the walk, depth, after_id) when walks are kept;
        ``xhr``: a "load more" request (sent with ``headers``, by default listing's)."""
        if xhr and not headers:
            headers = listing.load_more_headers(None)
        return scrapy.Request(url, callback=self.parse_column, errback=self.column_failed, headers=headers,
                              meta={"column_id": column_id, "page": page, "xhr": xhr,
                                    **({"walk": walk} if walk else {}), **self._size_limit()},
                              dont_filter=True)

    def _size_limit(self) -> dict:
        limit = getattr(self, "max_page_bytes", 0)
        return {"download_maxsize": limit} if limit > 0 else {}

    # -- column pages -------------------------------------------------------------------
    def column_entries(self, response) -> list[listing.Entry]:
        """The list's own entries (id, creation date, listed time, section label), in page order."""
        return listing.list_entries(response.text, response.url, fragment=response.meta.get("xhr", False))

    def capped_links(self, entries: list, url: str) -> list:
        """The first NBD_MAX_LINKS_PER_LIST_PAGE of a list page's articles. The site lists 20 to
        80: a page with more is suspicious (a trap, a broken page), and taking them all would
        queue them all at once. The rest are dropped, counted, and alerted on (monitoring.py)."""
        if self.max_links <= 0 or len(entries) <= self.max_links:
            return entries
        dropped = len(entries) - self.max_links
        self.crawler.stats.inc_value(keys.LIST_PAGES_OVER_CAP)
        self.crawler.stats.inc_value(keys.LINKS_OVER_CAP, dropped)
        self.logger.warning("List page %s lists %d articles, more than NBD_MAX_LINKS_PER_LIST_PAGE (%d): "
                            "%d dropped", url, len(entries), self.max_links, dropped)
        return entries[:self.max_links]

    def next_list_page(self, response, column_id: int, page: int, entries,
                       walk: tuple | None = None) -> scrapy.Request | None:
        """The next list page as listing.next_page gives it (pager, "load more" or the mobile
        list's next number). ``walk``: (walk key, depth) of the walk this page belongs to."""
        sent = {name.decode(): values[0].decode() for name, values in response.request.headers.items()}
        found = listing.next_page(response.text, response.url, column_id, page, self.base_url, entries,
                                  fragment=response.meta.get("xhr", False), sent_headers=sent)
        if found is None:
            return None
        headers = found.headers or None
        if walk is None:
            return self.column_request(found.url, column_id, found.page, xhr=found.fragment, headers=headers)
        key, depth = walk
        next_page = ListPage(found.url, found.fragment, found.page, depth + 1,
                             entries[-1].article_id if entries else None, headers)
        return self.column_request(found.url, column_id, found.page, xhr=found.fragment, headers=headers,
                                   walk=(key, self.walks[key].request_page(next_page), next_page.depth,
                                         next_page.after_id))

    async def parse_column(self, response):
        """A list page: requests for its articles not archived yet, then the next list page.

        @site_url /columns/329
        @lists 1
        @returns items 0 0
        """
        column_id, page = self._column_page_of(response)
        walk_key, index, depth, after_id = response.meta.get("walk") or (None, None, page, None)
        walk = self.walks.get(walk_key)
        if walk is not None:
            walk.pending = None
        stats = self.crawler.stats
        stats.inc_value(keys.LIST_PAGES)
        entries = self.capped_links(self.column_entries(response), response.url)
        if not entries:
            self.logger.info("Column %s page %s lists no article: stopping this column", column_id, page)
            return
        if walk is not None and index == 0 and walk.gap is None:
            walk.head = entries[0].article_id
        in_range = [e for e in entries if not self._outside_range(e)]
        archived = set() if self.full else await self._off_reactor(self.archive.existing_ids,
                                                                    [e.article_id for e in in_range])
        new = [e for e in in_range if e.article_id not in archived]
        stats.inc_value(keys.LINKS_FOUND, len(entries))
        stats.inc_value(keys.LINKS_ALREADY_ARCHIVED, len(in_range) - len(new))
        for entry in new:
            request = self.article_request(entry.article_id, entry.created, column_id,
                                           listed_on=(walk_key, index) if walk else None,
                                           section=entry.section)
            if request is not None:
                if walk is not None:
                    walk.waiting.setdefault(index, set()).add(entry.article_id)
                yield request

        ids = [e.article_id for e in entries]
        if walk is not None and after_id is not None and min(ids) > after_id and walk.stale_pages < self.max_pages:
            # Newer articles pushed the listing down since the page before was walked (a page
            # number resumed later): this page shows what was walked already, so it does not
            # count toward the depth (a bounded number of times: a site answering the same
            # page again must not keep a walk going).
            walk.stale_pages += 1
            depth -= 1
        past_since = self.since is not None and any(e.day is not None and e.day < self.since for e in entries)
        if self.window is not None:
            self.window.page_walked(stats, len(self.columns), column_id, [e.day for e in entries], past_since)
        if past_since:
            self.logger.info("Column %s: page %s reaches past %s: stopping", column_id, page, self.since)
        elif walk is not None and self._reached(walk, ids):
            self.logger.info("Column %s: page %s reaches article %s, where the last walk began: stopping",
                             column_id, page, walk.stop_id)
        elif ((walk is None or walk.legacy) and not new and not self.full and not self.resuming and in_range
              and not self.uses_mobile_list(column_id)):
            self.logger.info("Column %s: page %s holds nothing new: stopping", column_id, page)
        elif depth >= self.max_pages:
            self.logger.debug("Column %s: reached %s pages", column_id, depth)
        else:
            request = self.next_list_page(response, column_id, page, entries,
                                          walk=(walk_key, depth) if walk else None)
            if request is not None:
                yield request

    def _column_page_of(self, response) -> tuple[int | None, int]:
        """(column id, page number) of a list page: the request says, else (a sample request of
        `scrapy check` or `scrapy parse`) its URL."""
        meta = response.meta
        if "column_id" in meta:
            return meta["column_id"], meta.get("page", 1)
        return site.parse_column_url(response.url, self.base_url) or (None, 1)

    def _reached(self, walk: Walk, ids: list[int]) -> bool:
        """Whether a page reaches the article the walk stops at (listed, or every article on
        the page older: it left the listing). A full run walks to its depth."""
        if walk.stop_id is None or self.full:
            return False
        return walk.stop_id in ids or max(ids) < walk.stop_id

    def _outside_range(self, entry: listing.Entry) -> bool:
        """Whether a listed article is outside since/until: by the time the list shows, else by
        its URL's creation date (the publish day can be a day after it: one day of slack)."""
        if entry.time is not None:
            day = entry.time.date()
            return bool((self.since and day < self.since) or (self.until and day > self.until))
        if entry.created is None:
            return False
        day = dt.date.fromisoformat(entry.created)
        if self.since and day < self.since - dt.timedelta(days=1):
            return True
        return bool(self.until and day > self.until)

    # -- article pages ----------------------------------------------------------------
    def parse_article(self, response):
        """An article page: its record, or a rejected item saying why the page gave none.

        @site_url /articles/2026-09-01/4595080.html
        @returns items 1 1
        @returns requests 0 0
        @archivable
        """
        return self.through_backfill(response.meta, self._article_outputs(response))

    def through_backfill(self, meta, outputs):
        """The outputs of an article callback, told to the backfill when the request is one of
        its own: each item as it goes to the pipelines, and the end (crawl/backfill.py settles
        the id once its items are stored)."""
        if self.backfill is None or not meta.get("backfill"):
            yield from outputs
            return
        try:
            for output in outputs:
                if not isinstance(output, scrapy.Request):
                    self.backfill.item_out(meta, output)
                yield output
        except Exception:
            self.backfill.settle(meta, "errors")  # a bug in the callback must not hold its chunk
            raise
        self.backfill.outputs_done(meta)

    def _article_outputs(self, response):
        follow = self.later_page_request(response)
        if follow is not None:  # an article over several pages: archived once all are fetched
            yield follow
            return
        self.article_done(response.meta)
        self.crawler.stats.inc_value(keys.ARTICLE_PAGES)
        if deletions.redirected_away(self, response):  # an archived article the site took down
            return
        if self.redirected_away(response):
            target = site.parse_article_url(response.url, self.base_url)
            if target is None or (target[0] in self.seen_ids and not self.full):
                return  # not an article, or one this crawl fetches on its own
            self.seen_ids.add(target[0])
        charset = http_content_type_encoding(response.headers.get("Content-Type", b"").decode("latin-1"))
        try:
            record = extract_article(response.body, response.url, base_url=self.base_url,
                                     column_id=response.meta.get("column_id"), charset=charset,
                                     max_images=self.max_images)
        except ExtractionError as exc:
            yield self.rejected_item(response.url, response.meta, exc.reason, exc.message)
            return
        hint = site.label_section(response.meta.get("section_hint")) or response.meta.get("section_hint")
        if hint and not record.get("category"):
            record["category"] = hint  # the list's section label: the page names no section
        # A page archive (WARC) middleware, when enabled, says where it kept this response.
        yield article_item(record, fetched_url=response.url, warc=response.meta.get("warc"),
                           crawl_id=self.archive.crawl_id)

    def redirected_away(self, response) -> bool:
        """An article page that redirected to another article or to a page that is not one
        (the CMS's ``redirect_to``) is recorded as ``redirected`` with its target: the article
        it asked for is not at its address, which is no fetch error. (A redirect to another
        address of the same article, http to https or a copy to the canonical page, is none.)"""
        redirects = response.meta.get("redirect_urls")
        article_id = response.meta.get("article_id")
        if not redirects or article_id is None:
            return False
        target = site.parse_article_url(response.url, self.base_url)
        if target is not None and target[0] == article_id:
            return False
        self.record_redirect(redirects[0], response.url, article_id)
        return True

    def record_redirect(self, url: str, target: str, article_id: int | None, note: str = "") -> None:
        self.logger.info("Article %s redirects to %s%s", url, target, note)
        self.archive.reject(url, "redirected", f"redirected to {target}{note}", article_id)
    # -- articles over several pages ----------------------------------------------------
    # Page 1 of an article whose pager names more pages is not extracted alone: the pages are
    # fetched one after another, each request carrying the pages so far (``article_pages`` in
    # its meta), and the last one (or the failure of one) extracts the record from all of them.
    # The article stays one id throughout: one record, one listing entry, one walk entry.

    def later_page_request(self, response) -> scrapy.Request | None:
        """The request for page 2 when ``response`` is page 1 of an article over several pages."""
        if b"pagination" not in response.body or response.meta.get("article_id") is None:
            return None
        try:
            from lxml import html as lxml_html

            doc = lxml_html.document_fromstring(response.text)
        except (ValueError, AttributeError):  # not text, or not HTML: parse_article says so
            return None
        pager = read_pager(doc, response.url, response.meta["article_id"], self.base_url)
        if pager is None or pager.count <= 1:
            return None
        parsed = site.parse_article_url(response.url, self.base_url)
        state = {"count": min(pager.count, MAX_ARTICLE_PAGES), "links": pager.links,
                 "created": parsed[1] if parsed else None, "pages": [self._page_entry(response)]}
        return self._next_page_request(response.meta, state)

    @staticmethod
    def _page_entry(response) -> dict:
        charset = http_content_type_encoding(response.headers.get("Content-Type", b"").decode("latin-1"))
        return {"url": response.url, "body": response.body, "charset": charset,
                "warc": response.meta.get("warc")}

    def _next_page_request(self, meta: dict, state: dict) -> scrapy.Request | None:
        number = len(state["pages"]) + 1
        if number > state["count"]:
            return None
        url = state["links"].get(number)
        if url is None and state["created"]:
            url = site.article_page_url(meta["article_id"], state["created"], number, self.base_url)
        if url is None:
            return None  # the page's address is unknown: it counts as missing
        carry = {k: meta[k] for k in ("article_id", "column_id", "listed_on", "backfill") if k in meta}
        return scrapy.Request(url, callback=self.parse_later_page, errback=self.later_page_failed,
                              priority=11, dont_filter=True,
                              meta={**carry, "article_pages": state, **self._size_limit()})

    def parse_later_page(self, response):
        return self.through_backfill(response.meta, self._later_page_outputs(response))

    def _later_page_outputs(self, response):
        state = response.meta["article_pages"]
        state["pages"].append(self._page_entry(response))
        self.crawler.stats.inc_value(keys.LATER_PAGES)
        follow = self._next_page_request(response.meta, state)
        if follow is not None:
            yield follow
        else:
            item = self.article_from_pages(response.meta, state)
            if item is not None:
                yield item

    def later_page_failed(self, failure):
        """A later page that could not be fetched (after retries): the article is archived from
        the pages fetched, marked incomplete (``pages_missing``), and the next crawl fetches it
        again (incomplete_article_requests). Archiving it keeps what was fetched and its id
        (the article is listed once: not archiving would leave it to a list walk that may
        never reach it again)."""
        request = failure.request
        self.logger.warning("Article page not fetched: %s (%s)", request.url, self.count_failure(failure))
        item = self.article_from_pages(request.meta, request.meta["article_pages"])
        yield from self.through_backfill(request.meta, [item] if item is not None else [])

    def article_from_pages(self, meta: dict, state: dict):
        from newscrawler.warc.pointers import article_pointer

        self.article_done(meta)
        self.crawler.stats.inc_value(keys.ARTICLE_PAGES)
        pages = state["pages"]
        try:
            record = extract_article_pages([PageInput(p["body"], p["url"], p["charset"]) for p in pages],
                                           base_url=self.base_url, column_id=meta.get("column_id"))
        except ExtractionError as exc:
            return self.rejected_item(pages[0]["url"], meta, exc.reason, exc.message)
        if record["pages_missing"]:
            self.crawler.stats.inc_value(keys.INCOMPLETE_ARTICLES)
            if self._archived_complete(record["article_id"]):
                # A refetch (``full``) whose later page failed: the complete version stays.
                self.logger.warning("Article %s: page(s) %s missing this time; the archived complete "
                                    "version is kept", record["article_id"], record["pages_missing"])
                return None
            self.logger.warning("Article %s archived incomplete: page(s) %s of %d missing; the next "
                                "crawl fetches it again", record["article_id"], record["pages_missing"],
                                record["pages"] + len(record["pages_missing"]))
        return article_item(record, fetched_url=pages[0]["url"], warc=article_pointer([p["warc"] for p in pages]),
                            crawl_id=self.archive.crawl_id)

    def _archived_complete(self, article_id: int) -> bool:
        """Whether the archive holds the article with all its pages (asked only when a later
        page failed; an archive that does not answer: False, the incomplete record is spooled)."""
        from pymongo.errors import PyMongoError

        from newscrawler.store.errors import ArchiveUnavailable

        try:
            return self.archive.store.articles.find_one(
                {"article_id": article_id, "pages_missing.0": {"$exists": False}}, {"_id": 1}) is not None
        except (ArchiveUnavailable, PyMongoError):
            return False

    def incomplete_article_requests(self) -> list[scrapy.Request]:
        """Articles archived without all their pages (a later page failed): a column crawl
        fetches them again, every page, and the complete record replaces the incomplete one."""
        if not self.columns:
            return []
        from pymongo.errors import PyMongoError

        from newscrawler.store.errors import ArchiveUnavailable

        try:
            docs = list(self.archive.store.articles.find(
                {"pages_missing.0": {"$exists": True}}, {"article_id": 1, "url": 1, "fetched_url": 1, "_id": 0},
            ).sort("article_id", 1).limit(MAX_INCOMPLETE_REFETCH))
        except (ArchiveUnavailable, PyMongoError) as exc:
            self.logger.warning("Incomplete articles not looked up: %s", exc)
            return []
        requests = [r for r in (self.article_request_for(d.get("url") or d.get("fetched_url") or
                                                         str(d["article_id"])) for d in docs) if r]
        if requests:
            self.logger.info("Fetching again %d article(s) archived without all their pages", len(requests))
            self.crawler.stats.inc_value(keys.INCOMPLETE_REFETCHES, len(requests))
        return requests

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
        redirects = request.meta.get("redirect_urls")
        if redirects and failure.check(IgnoreRequest) and "off-site" in str(failure.value):
            # Off the site: the offsite guard refused to follow (RSSHub skips such pages too).
            self.record_redirect(redirects[0], request.url, request.meta.get("article_id"),
                                 " (off-site: not followed)")
            return
        reason = self.count_failure(failure)
        self.logger.warning("Article not fetched: %s (%s)", request.url, reason)
        yield self.rejected_item(request.url, request.meta, "fetch_failed", reason)

    def request_dropped(self, request, spider=None):
        """An article page redirected to a URL already requested in this crawl: the scheduler's
        duplicate filter drops the redirect and no errback runs, so record the redirect here,
        with its target (fetched on its own). (Other drops are duplicates by design, e.g. an
        article another worker of a shared crawl has.)"""
        self.article_done(request.meta)
        if self.backfill is not None:
            self.backfill.outputs_done(request.meta)  # no callback runs for it
        redirects = request.meta.get("redirect_urls")
        if not redirects or request.meta.get("article_id") is None or request.callback != self.parse_article:
            return
        if deletions.dropped_redirect_away(self, request):
            return
        self.record_redirect(redirects[0], request.url, request.meta.get("article_id"))

    def article_done(self, meta) -> None:
        """An article of a walked list page was fetched (or recorded as failed)."""
        if self.backfill is not None:
            self.backfill.answered(meta)
        key, index = meta.get("listed_on") or (None, None)
        walk = self.walks.get(key)
        if walk is not None:
            walk.waiting.get(index, set()).discard(meta.get("article_id"))

    def count_failure(self, failure) -> str:
        """Count a page not fetched (and apart, one the site gave no answer for); returns why."""
        stats = self.crawler.stats
        stats.inc_value(keys.ERRORS)
        reason = _failure_reason(failure)
        if getattr(failure.value, "response", None) is None and failure.check(*NO_ANSWER):
            stats.inc_value(keys.UNANSWERED)
            if stats.get_value(keys.UNANSWERED_REASON) is None:
                stats.set_value(keys.UNANSWERED_REASON, f"{urlsplit(failure.request.url).netloc}: {reason}")
        return reason

    async def column_failed(self, failure):
        """A list page that could not be fetched (after retries) is recorded in ``rejects`` too;
        its walk stays unfinished there, and the next crawl continues from this page."""
        reason = self.count_failure(failure)
        self.logger.warning("Column page not fetched: %s (%s)", failure.request.url, reason)
        await self._off_reactor(self.archive.reject, failure.request.url, "column_failed", reason)

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
            if self.until and self.window is None:
                head = None  # articles newer than `until` were skipped: the next walk goes past them
            incomplete += len(gaps) + sum(1 for w in walks if w.gap is None and w.resume_index() == 0)
            for gap in gaps:
                self.logger.warning("Column %s: walk unfinished; the next crawl continues from list page %s",
                                    column_id, gap["resume"]["url"])
            self.archive.save_column_walk(self.walk_origin(column_id), column_id, head, gaps, settled)
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
