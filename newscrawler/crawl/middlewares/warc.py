"""``WarcMiddleware``: keep every page the spider fetches in WARC files, as received.

Position: 610 in DOWNLOADER_MIDDLEWARES, between RedirectMiddleware (600) and
CookiesMiddleware (700). ``process_response`` runs in DECREASING order, from the downloader
towards the engine, so at 610 this middleware sees each response right after the download
handler and before

- HttpCompressionMiddleware (590): the body is still content-encoded (gzip, br...) exactly
  as the server sent it, and the record's ``Content-Encoding`` header stays true to it
  (below 590 we would store a decompressed body under a header that says gzip);
- RedirectMiddleware (600): 3xx answers are archived too, not only their targets;
- the retry (550) and 403 (560) middlewares: an error page that gets retried, or that stops
  the crawl, is archived as the answer that was received.

Its ``process_request`` does nothing, so at ``process_response`` time the request carries
every header the other middlewares added (user agent, Accept-Encoding, cookies); those go
into a ``request`` record after the ``response`` record (the transport's own Host and
Connection headers are not known to Scrapy; Host is reconstructed from the URL).

Archived: responses to the spider's requests (article pages, column pages, "load more"
fragments). Not archived: robots.txt and thumbnail downloads (their requests use
``NO_CALLBACK``) and responses served from Scrapy's HTTP cache.

Cost: two records built by warcio per page, gzip level 3, appended to a 1 MiB write buffer
that goes to the OS every WARC_FLUSH_INTERVAL seconds and at the end; never an fsync per
record. What that costs the crawl is in the README's "Page archive cost"
(``benchmarks/bench_warc.py``). With ``WARC_WRITER_THREAD`` the records are built and
compressed in one writer thread instead (one: records stay in order, offsets exact) and
this middleware awaits the location; zlib releases the GIL, yet on a 2-core machine that
crawled slower than writing inline (GIL hand-offs with the reactor thread;
``benchmarks/bench_warc.py`` prints the figures), so it is off by default.

For each archived response ``request.meta["warc"]`` is set to
``{"file", "offset", "length", "record_id"}`` (``response.meta`` is that same dict), which
the spider puts on the article item and the archive stores on the article. When the record
could not be written (disk full, directory unwritable) it is ``{"missing": why}`` instead.
The record also carries the article id, the column id the crawl found it in, and the crawl's
base URL (``Newscrawler-*`` WARC fields): all ``newscrawler reextract`` needs besides the page.

Write-ahead: an article never points to a record that is not on disk. Before the MongoDB
pipeline writes (or spools) a batch it awaits ``write_ahead(crawler, docs)``: the writer
syncs (flush, and fsync unless ``WARC_FSYNC`` is off; one per batch, the flush queued behind
the pending records, the fsync in a pool thread so the reactor goes on), and a pointer to a
record that did not reach the disk is replaced by ``{"missing": why, "was": pointer}``. The
next crawl refetches articles whose ``warc`` says ``missing`` (``newscrawler warc check
--repair`` marks dangling pointers so too). A failed write is counted (``warc/errors``,
``warc/pointers_withheld``), alerted on, and makes ``newscrawler crawl`` exit non-zero.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future

import newscrawler
from newscrawler import config
from newscrawler.crawl import stats as keys
from newscrawler.crawl.context import CrawlContext
from newscrawler.warc.pointers import page_pointers
from newscrawler.warc.writer import (
    HEADER_ARTICLE_ID,
    HEADER_BASE_URL,
    HEADER_COLUMN_ID,
    WarcFileWriter,
)

logger = logging.getLogger(__name__)

async def write_ahead(crawler, docs: list[dict]) -> None:
    """Before ``docs`` are written: make their WARC records durable, and withhold every
    pointer to a record that is not (see the module's doc). Nothing to do when WARC is off."""
    middleware = CrawlContext.of(crawler).page_archive
    if middleware is not None:
        await middleware.make_durable(docs)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def software() -> str:
    return (f"newscrawler/{newscrawler.__version__} (Scrapy/{_version('scrapy')}; "
            f"warcio/{_version('warcio')})")


class WarcMiddleware:
    def __init__(self, crawler, writer: WarcFileWriter, flush_interval: float, use_thread: bool = False,
                 fsync: bool = True):
        self.crawler = crawler
        self.fsync = fsync
        self.use_thread = use_thread
        self.writer = writer
        self.flush_interval = flush_interval
        self._flusher = None
        self._failed = False
        self._pool = None  # the writer thread (one: records stay in order)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        crawl_id = CrawlContext.of(crawler).crawl_id
        base_url = settings.get("NBD_BASE_URL")
        info = {
            "software": software(),
            "crawl-id": crawl_id,
            "description": f"newscrawler crawl {crawl_id} of {base_url}",
            "http-header-user-agent": settings.get("USER_AGENT"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "newscrawler-base-url": base_url,
        }
        writer = WarcFileWriter(
            config.warc_dir(settings), crawl_id,
            prefix=settings.get("WARC_PREFIX"),
            max_size=settings.getint("WARC_MAX_SIZE"),
            gzip_level=settings.getint("WARC_GZIP_LEVEL"),
            info=info,
        )
        middleware = cls(crawler, writer, settings.getfloat("WARC_FLUSH_INTERVAL"),
                         use_thread=settings.getbool("WARC_WRITER_THREAD"), fsync=settings.getbool("WARC_FSYNC"))
        CrawlContext.of(crawler).page_archive = middleware
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    # -- life cycle ------------------------------------------------------------------------
    def _start_pool(self):
        if self._pool is None:
            from twisted.internet import reactor
            from twisted.python.threadpool import ThreadPool

            pool = self._pool = ThreadPool(minthreads=1, maxthreads=1, name="warc-writer")
            pool.start()
            # A shutdown that skips spider_closed (a second Ctrl-C) must not hang on the thread.
            reactor.addSystemEventTrigger("during", "shutdown", self._stop_pool, pool)
        return self._pool

    def _stop_pool(self, pool) -> None:
        if pool.started:
            pool.stop()
        if self._pool is pool:
            self._pool = None

    async def _in_writer_thread(self, func, *args, **kwargs):
        """Run ``func`` in the writer thread (or here, without one) and return its result."""
        if not self.use_thread:
            return func(*args, **kwargs)
        from twisted.internet import reactor, threads

        return await maybe_deferred_to_future(
            threads.deferToThreadPool(reactor, self._start_pool(), func, *args, **kwargs))

    def spider_opened(self, spider):
        logger.info("WARC: archiving fetched pages under %s", self.writer.directory)
        if self.use_thread:
            self._start_pool()
        if self.flush_interval > 0:
            from twisted.internet import task

            self._flusher = task.LoopingCall(self._flush)
            self._flusher.start(self.flush_interval, now=False)

    def _flush(self) -> None:
        if self.use_thread:
            self._start_pool().callInThread(self._flush_now)
        else:
            self._flush_now()

    def _flush_now(self) -> None:  # in the writer thread
        try:
            self.writer.flush()
        except Exception as exc:  # noqa: BLE001
            from twisted.internet import reactor

            if self.use_thread:
                reactor.callFromThread(self._write_failed, exc)
            else:
                self._write_failed(exc)

    async def spider_closed(self, spider, reason):
        if self._flusher is not None and self._flusher.running:
            self._flusher.stop()
        try:
            # In the writer thread, queued behind every pending record: the files end whole.
            await self._in_writer_thread(self.writer.close)
        except Exception as exc:  # noqa: BLE001 - reported; the crawl's own close goes on
            self._write_failed(exc)
        if self._pool is not None:
            self._stop_pool(self._pool)
        stats = self.crawler.stats
        stats.set_value(keys.WARC_FILES, len(self.writer.files))
        stats.set_value(keys.WARC_INDEXES, len(self.writer.indexes))
        if self.writer.index_errors:
            keys.add_alerts(stats, f"warc: {len(self.writer.index_errors)} CDXJ index(es) not written "
                                   f"({self.writer.index_errors[0]}): run `newscrawler warc index`")
        if self.writer.files:
            logger.info("WARC: %d page(s) (%d records, %d bytes) in %d file(s) under %s",
                        stats.get_value(keys.WARC_RESPONSES, 0), self.writer.records,
                        self.writer.bytes_written, len(self.writer.files), self.writer.directory)

    # -- responses -------------------------------------------------------------------------
    def wanted(self, request, response) -> bool:
        return request.callback is not NO_CALLBACK and "cached" not in response.flags

    async def process_response(self, request, response, spider=None):
        # A retried or redirected request copies its meta: never keep a stale location.
        request.meta.pop("warc", None)
        if not self.wanted(request, response):
            return response
        meta = request.meta
        spider = self.crawler.spider
        extra = {
            HEADER_ARTICLE_ID: meta.get("article_id"),
            HEADER_COLUMN_ID: meta.get("column_id"),
            HEADER_BASE_URL: getattr(spider, "base_url", None) or self.crawler.settings.get("NBD_BASE_URL"),
        }
        parts = urlsplit(request.url)
        req_headers = [(name, value) for name, values in request.headers.items() for value in values]
        if b"Host" not in request.headers:
            req_headers.insert(0, (b"Host", parts.netloc.encode("latin-1")))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            location = await self._in_writer_thread(
                self.writer.write_exchange,
                response.url,
                status=response.status,
                headers=[(name, value) for name, values in response.headers.items() for value in values],
                body=response.body,
                protocol=response.protocol or "HTTP/1.1",
                ip_address=str(response.ip_address) if response.ip_address else None,
                request=(request.method, target, req_headers),
                extra_headers=extra,
            )
        except Exception as exc:  # noqa: BLE001 - a page not archived must not be a page lost
            self._write_failed(exc)
            meta["warc"] = {"missing": _why(exc)}
            return response
        meta["warc"] = location.as_meta()
        stats = self.crawler.stats
        stats.inc_value(keys.WARC_RESPONSES)
        stats.inc_value(keys.WARC_BYTES, location.length)
        return response

    # -- write-ahead -----------------------------------------------------------------------
    async def make_durable(self, docs: list[dict]) -> None:
        """Sync the writer, then keep only the pointers to records now on disk."""
        pointing = [doc for doc in docs if _location(doc)]
        if not pointing:
            return
        try:
            await self._sync()
        except Exception as exc:  # noqa: BLE001 - the pointers below are withheld
            self._write_failed(exc)
            why = _why(exc)
        else:
            why = "the record did not reach the disk"
        withheld = 0
        for doc in pointing:
            # Every page of an article over several (page_pointers): one not on disk withholds all.
            if not all(self.writer.is_durable(page) for page in page_pointers(doc["warc"])):
                doc["warc"] = {"missing": why, "was": doc["warc"]}
                withheld += 1
        if withheld:
            self.crawler.stats.inc_value(keys.WARC_POINTERS_WITHHELD, withheld)
            logger.error("WARC: %d article(s) archived without their page (%s): the next crawl "
                         "refetches them", withheld, why)

    async def _sync(self) -> None:
        """Flush in the thread that writes (records stay whole and in order); fsync in a
        thread of the pool, where waiting for the disk does not hold the reactor up."""
        if self.use_thread:
            await self._in_writer_thread(self.writer.sync, self.fsync)
            return
        point = self.writer.begin_sync(self.fsync)
        if point.fd is None and not point.directory:
            self.writer.finish_sync(point)
            return
        from twisted.internet.threads import deferToThread

        await maybe_deferred_to_future(deferToThread(self.writer.finish_sync, point))

    def _write_failed(self, exc: Exception) -> None:
        stats = self.crawler.stats
        stats.inc_value(keys.WARC_ERRORS)
        if not self._failed:
            logger.error("WARC: cannot write to %s: %s: %s (the crawl goes on; pages are not archived "
                         "while this lasts)", self.writer.directory, type(exc).__name__, exc,
                         exc_info=not isinstance(exc, OSError))
            keys.add_alerts(stats, f"warc: cannot write to {self.writer.directory}: {_why(exc)} "
                                   "(articles archived without their page; the next crawl refetches them)")
            self._failed = True


def _location(doc: dict) -> dict | None:
    """The doc's WARC pointer, if it has a real one (not a ``missing`` marker)."""
    where = doc.get("warc")
    return where if isinstance(where, dict) and "file" in where else None


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
