"""Backfill: walk a range of article ids (``scrapy crawl nbd -a ids=A-B``, `newscrawler backfill`).

Ids are numeric and site-wide, and the partner copy's address (``/rss/<partner>/articles/<id>.html``)
needs no date, so any id can be fetched without knowing when it was published. Not every id is
a public article: gaps answer 404 (410), counted as ``not_articles`` apart from errors, with no
``rejects`` row each (a range has many). Ids already archived are skipped without a request
(one archive query per chunk of ids, off the reactor thread).

Resumable: the range's checkpoint (store/backfills.py) is the lowest id not settled yet (below
it every id was skipped, fetched, found no article, or recorded as failed); it is saved every
``SAVE_EVERY`` settled ids and when the crawl closes, however it closes, so a stopped backfill
continues where it stopped. Requests yielded but not answered when a crawl stops are below
nothing settled: they are asked again.

Several workers (``REDIS_URL`` set): the range is handed out in chunks through Redis
(crawl/chunks.py), each chunk walked exactly as a range is here, by the one worker holding it,
with its own checkpoint; the requests stay in the worker's own scheduler (why: chunks.py).

Politeness is the crawl's: ``DOWNLOAD_DELAY`` (3 s by default, about 20 requests a minute, and
AutoThrottle only slows down); `newscrawler backfill --rate N` sets it from requests a minute.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from itemadapter import ItemAdapter

from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from newscrawler.crawl import stats as keys
from newscrawler.store.backfills import (
    chunk_start,
    load_checkpoint,
    parse_id_range,
    range_progress,
    save_checkpoint,
    unfinished_chunks,
)
from newscrawler.store.deletions import GONE_STATUSES

CHUNK = 100       # ids per archive lookup
SAVE_EVERY = 20   # settled ids between checkpoint saves
# Requests handed to the scheduler and not answered yet, at most: Scrapy takes start requests
# as fast as they come, and a range of a million ids must not sit in memory as requests.
MAX_IN_FLIGHT = 100
# A worker of a shared range with no chunk to take asks again this often while other workers
# hold chunks (one of them may die, and its chunks come back).
TAKE_AGAIN = 1.0


class RangeWalk:
    """One range walked from its checkpoint: the whole range (one process), or one chunk of a
    range shared by several workers."""

    def __init__(self, first: int, last: int, start: int):
        self.first, self.last = first, last
        self.cursor = start  # the next id to consider
        self.in_flight: set[int] = set()
        self.unsaved: Counter = Counter()  # counts not in the stored checkpoint yet
        self.settled_since_save = 0
        self.abandoned = False  # a shared chunk this worker no longer holds: no more requests

    def checkpoint(self) -> int:
        """The lowest id not settled: every id below it is done with."""
        return min(self.in_flight) if self.in_flight else self.cursor

    def walked(self) -> bool:
        return self.cursor > self.last and not self.in_flight


@dataclass
class _Answer:
    """An answered id not settled yet: its callback's items not all stored."""

    outcome: str
    items: set = field(default_factory=set)  # article ids of its items not stored or dropped yet
    complete: bool = False  # its callback has given everything


class IdRangeBackfill:
    def __init__(self, spider, text: str):
        self.spider = spider
        self.first, self.last = parse_id_range(text)
        self.walks: list[RangeWalk] = []
        self.answers: dict[int, _Answer] = {}
        self.item_of: dict[int, set[int]] = {}  # an item's article id -> the ids whose callback gave it
        # Shared through Redis (share()): the Redis URL, the chunk size, this worker's side.
        self.redis_url: str | None = None
        self.chunk_size = 0
        self.chunks = None
        self._heartbeat = None
        self._outage_since: float | None = None

    @property
    def stats(self):
        return self.spider.crawler.stats

    @property
    def logger(self) -> logging.LoggerAdapter:
        return self.spider.logger

    def arguments(self) -> str:
        return f"{self.first}-{self.last}"

    def connect(self, signals) -> None:
        from scrapy import signals as scrapy_signals

        from newscrawler.crawl.pipelines.mongodb import articles_stored

        signals.connect(self.items_stored, signal=articles_stored)
        signals.connect(self.item_dropped, signal=scrapy_signals.item_dropped)
        signals.connect(self.item_dropped, signal=scrapy_signals.item_error)

    def checkpoint(self) -> int:
        """The lowest id of the range not settled by this process (one process, one walk)."""
        walks = [w.checkpoint() for w in self.walks]
        return min(walks) if walks else self.first

    def share(self, crawler, url: str) -> None:
        """Share the range with the other workers of the same range through Redis (chunks.py).

        The backfill's requests stay in this worker's own scheduler: the distributed crawl's
        shared queue and duplicate filter (which REDIS_URL turns on) would have other workers
        answer this one's requests and break each walk's in-flight set and checkpoint. The
        spider's settings may still be changed here, and outrank the add-on's."""
        from scrapy.settings import default_settings

        for name in ("SCHEDULER", "DUPEFILTER_CLASS"):
            crawler.settings.set(name, getattr(default_settings, name), priority="spider")
        self.redis_url = url
        self.chunk_size = crawler.settings.getint("BACKFILL_CHUNK")
        if self.chunk_size < 1:
            raise ValueError(f"BACKFILL_CHUNK must be at least 1, not {self.chunk_size}")

    # -- the requests -------------------------------------------------------------------
    async def requests(self):
        """The article requests of the range from its checkpoint on, a chunk at a time."""
        self.stats.set_value(keys.BACKFILL_TOTAL, self.last - self.first + 1)
        if self.redis_url:
            async for request in self._shared_requests():
                yield request
            return
        stored = await _in_thread(self._load)
        if stored and stored.get("done"):
            self.stats.set_value(keys.BACKFILL_SETTLED, self.last - self.first + 1)
            self.logger.info("Backfill %s: walked to its end already (%s)", self.arguments(), stored.get("counts"))
            return
        walk = RangeWalk(self.first, self.last, max(self.first, (stored or {}).get("next_id", self.first)))
        self.walks.append(walk)
        self.stats.set_value(keys.BACKFILL_SETTLED, walk.cursor - self.first)
        if walk.cursor > self.first:
            self.logger.info("Backfill %s: continuing from id %d", self.arguments(), walk.cursor)
        async for request in self._walk(walk):
            yield request

    async def _walk(self, walk: RangeWalk):
        spider = self.spider
        while walk.cursor <= walk.last and not walk.abandoned:
            ids = list(range(walk.cursor, min(walk.cursor + CHUNK, walk.last + 1)))
            archived = await _in_thread(spider.archive.existing_ids, ids)
            for article_id in ids:
                if walk.abandoned:
                    return
                walk.cursor = article_id + 1
                if article_id in archived:
                    self._count(walk, "skipped_archived", keys.BACKFILL_SKIPPED)
                    continue
                request = spider.article_request(article_id, None, column_id=None, force=True)
                if request is None:
                    continue
                request.meta["backfill"] = True
                while sum(len(w.in_flight) for w in self.walks) >= MAX_IN_FLIGHT:
                    await _pause(0.2)
                walk.in_flight.add(article_id)
                self._count(walk, "requested", None, settled=False)
                yield request
        self._finish_if_walked(walk)

    def failed(self, failure) -> bool:
        """Settle a failed backfill request; True when the id is no article (404/410): counted
        apart, no reject row (the caller then stops)."""
        request = failure.request
        if not request.meta.get("backfill"):
            return False
        response = getattr(failure.value, "response", None)
        gone = response is not None and response.status in GONE_STATUSES
        self.settle(request.meta, "not_articles" if gone else "errors")
        if gone:
            self.stats.inc_value(keys.BACKFILL_NOT_ARTICLES)
        return gone

    def settle(self, meta, outcome: str = "articles") -> None:
        """A backfill request done with now: failed, or dropped before any callback ran."""
        if meta.get("backfill"):
            self.answers.pop(meta.get("article_id"), None)
            self._settle(meta.get("article_id"), outcome)

    # An answered id settles once what its callback gave is in the archive: a checkpoint past an
    # article still in the pipelines' batch would lose it to a crash (kill -9, a machine lost).
    def answered(self, meta, outcome: str = "articles") -> None:
        """A backfill request answered (the spider's ``article_done``): settled when its
        callback has given all it gives (:meth:`outputs_done`) and each item is stored or dropped."""
        article_id = meta.get("article_id")
        if meta.get("backfill") and article_id not in self.answers and self._walk_of(article_id):
            self.answers[article_id] = _Answer(outcome)

    def item_out(self, meta, item) -> None:
        """The callback of a backfill request gives an item (before the pipelines see it)."""
        answer = self.answers.get(meta.get("article_id")) if meta.get("backfill") else None
        if answer is not None:
            item_id = ItemAdapter(item).get("article_id")
            answer.items.add(item_id)
            self.item_of.setdefault(item_id, set()).add(meta.get("article_id"))

    def outputs_done(self, meta) -> None:
        """The callback of a backfill request has given everything it gives."""
        answer = self.answers.get(meta.get("article_id")) if meta.get("backfill") else None
        if answer is not None:
            answer.complete = True
            self._settle_if_ready(meta.get("article_id"))

    def items_stored(self, article_ids) -> None:
        """A batch written to MongoDB or spooled (MongoPipeline's ``articles_stored``)."""
        for item_id in article_ids:
            for article_id in self.item_of.pop(item_id, ()):
                answer = self.answers.get(article_id)
                if answer is not None:
                    answer.items.discard(item_id)
                    self._settle_if_ready(article_id)

    def item_dropped(self, item, **_) -> None:
        """An item rejected (its reject row written) or dropped as a duplicate, or failed in a pipeline."""
        self.items_stored([ItemAdapter(item).get("article_id")])

    def _settle_if_ready(self, article_id) -> None:
        answer = self.answers[article_id]
        if answer.complete and not answer.items:
            del self.answers[article_id]
            self._settle(article_id, answer.outcome)

    def _walk_of(self, article_id) -> RangeWalk | None:
        return next((w for w in self.walks if article_id in w.in_flight), None)

    def _settle(self, article_id, outcome: str) -> None:
        walk = self._walk_of(article_id)
        if walk is None:
            return
        walk.in_flight.discard(article_id)
        self._count(walk, outcome, None)
        self._finish_if_walked(walk)

    def _count(self, walk: RangeWalk, outcome: str, key: str | None, settled: bool = True) -> None:
        walk.unsaved[outcome] += 1
        if key:
            self.stats.inc_value(key)
        if settled:
            self.stats.inc_value(keys.BACKFILL_SETTLED)
            walk.settled_since_save += 1
            if walk.settled_since_save >= SAVE_EVERY:
                self.save(walk)

    def save(self, walk: RangeWalk) -> bool:
        """Store the walk's checkpoint and the counts since the last save (the archive down:
        kept for the next save; a run that cannot save at all resumes from the last saved point)."""
        counts, checkpoint = dict(walk.unsaved), walk.checkpoint()
        try:
            save_checkpoint(self.spider.archive.store.db, self.spider.base_url, walk.first, walk.last,
                            checkpoint, counts, self.spider.archive.crawl_id)
        except Exception as exc:  # noqa: BLE001 - pymongo or ArchiveUnavailable: never ends the crawl
            self.logger.warning("Backfill %d-%d: checkpoint not saved (%s)", walk.first, walk.last, exc)
            return False
        walk.unsaved.subtract(counts)
        walk.settled_since_save = 0
        return True

    def close(self) -> None:
        for walk in self.walks:
            self.save(walk)
        if self.redis_url:
            self._leave()
            return
        if not self.walks:
            return  # walked to its end already (said at the start)
        self.logger.info("Backfill %s: settled up to id %d%s", self.arguments(), self.checkpoint() - 1,
                         " (the range is done)" if self.checkpoint() > self.last else
                         "; the next backfill of this range continues from there")

    def _load(self):
        return load_checkpoint(self.spider.archive.store.db, self.spider.base_url, self.first, self.last)

    # -- a range shared in chunks (crawl/chunks.py) ------------------------------------------
    async def _shared_requests(self):
        """Take chunks one after another and walk each, until none is left to take and no other
        live worker holds one (it could die: its chunks would come back to be taken)."""
        from twisted.internet import task

        from newscrawler.crawl.addons import redact_redis_url
        from newscrawler.crawl.chunks import RangeChunks, namespace

        spider = self.spider
        settings = spider.crawler.settings
        ns = namespace(settings.get("REDIS_KEY_PREFIX"), spider.name, spider.base_url, self.first, self.last)
        self.chunks = RangeChunks(self.redis_url, ns, spider.archive.crawl_id, settings)
        self.stats.set_value(keys.REDIS_NAMESPACE, ns)
        self.stats.set_value(keys.REDIS_URL, redact_redis_url(self.redis_url))
        await self._join()
        self._heartbeat = task.LoopingCall(self._beat)
        self._heartbeat.start(settings.getfloat("REDIS_HEARTBEAT_INTERVAL"), now=False)
        while True:
            took = await self._redis(self.chunks.take)
            self._took_over(took["moved"], took["gone"])
            if took["lost"]:
                self._abandon("this worker was taken for dead or Redis lost the range's keys")
                await self._join()
                continue
            chunk = took["chunk"]
            if chunk is None:
                await self._store_now()  # this worker's chunks may wait on nothing else
                if not took["others"]:
                    break
                await _pause(TAKE_AGAIN)
                continue
            await self._refresh_progress()
            last = min(chunk + self.chunk_size - 1, self.last)
            start = await _in_thread(chunk_start, spider.archive.store.db, spider.base_url, self.first,
                                     self.last, (chunk, last))
            walk = RangeWalk(chunk, last, start)
            self.walks.append(walk)
            self.logger.info("Backfill %s: chunk %d-%d taken%s", self.arguments(), chunk, last,
                             f", continuing from id {start}" if chunk < start <= last else
                             " (walked already)" if start > last else "")
            async for request in self._walk(walk):
                yield request
        self.logger.info("Backfill %s: no chunk left to take", self.arguments())

    async def _store_now(self) -> None:
        """Have the pipeline write its batch when answered ids wait on it: the chunks they are
        in are done only then (and other workers wait for chunks held)."""
        from newscrawler.crawl.pipelines.mongodb import flush_wanted

        if any(answer.items for answer in self.answers.values()):
            await self.spider.crawler.signals.send_catch_log_async(flush_wanted)

    async def _join(self) -> None:
        spider = self.spider
        pending = await _in_thread(unfinished_chunks, spider.archive.store.db, spider.base_url, self.first,
                                   self.last, self.chunk_size)
        joined = await self._redis(self.chunks.join, self.chunk_size, pending)
        if joined["size"] != self.chunk_size:
            self.logger.warning("Backfill %s: the range's workers walk chunks of %d ids (the first one's "
                                "BACKFILL_CHUNK); so does this one", self.arguments(), joined["size"])
            self.chunk_size = joined["size"]
        self.stats.set_value(keys.BACKFILL_CHUNKS, -(-(self.last - self.first + 1) // self.chunk_size))
        if joined["fresh"]:
            self.stats.set_value(keys.REDIS_FRESH, True)
            self.logger.info("Backfill %s: first worker; %d chunks of %d ids left to walk", self.arguments(),
                             joined["pending"], self.chunk_size)
        else:
            self.logger.info("Backfill %s: joined as worker %d; %d chunks waiting", self.arguments(),
                             joined["workers"], joined["pending"])
        self._took_over(joined["moved"], joined["gone"])
        await self._refresh_progress()

    async def _refresh_progress(self) -> None:
        """Ids settled and chunks done over every worker, from the chunks' checkpoints."""
        spider = self.spider
        try:
            settled, done = await _in_thread(range_progress, spider.archive.store.db, spider.base_url,
                                             self.first, self.last, self.chunk_size)
        except Exception as exc:  # noqa: BLE001 - the archive down: the figures wait
            self.logger.debug("Backfill progress not read: %s", exc)
            return
        self.stats.set_value(keys.BACKFILL_SETTLED, settled)
        self.stats.set_value(keys.BACKFILL_CHUNKS_DONE, done)

    def _finish_if_walked(self, walk: RangeWalk) -> None:
        """A chunk walked to its end: its checkpoint saved (done), then handed back as done."""
        from newscrawler.crawl.chunks import UNREACHABLE

        if self.chunks is None or walk not in self.walks or not walk.walked():
            return
        if not self.save(walk):
            return  # its checkpoint is saved at close, and the chunk handed back for the next run
        self.walks.remove(walk)
        if walk.abandoned:
            return
        self.stats.inc_value(keys.BACKFILL_CHUNKS_WALKED)
        try:
            self.chunks.done(walk.first)
        except UNREACHABLE as exc:  # it stays taken; whoever takes it next finds it done
            self.logger.warning("Backfill %s: chunk %d-%d done, Redis not told (%s)", self.arguments(),
                                walk.first, walk.last, exc)

    def _abandon(self, why: str) -> None:
        """Stop walking the chunks this worker held: they are another worker's now (or will be
        again taken from their checkpoints). Requests already made are answered and counted."""
        held = [w for w in self.walks if not w.abandoned]
        for walk in held:
            walk.abandoned = True
        if held:
            self.logger.warning("Backfill %s: %s; chunk(s) %s left to the others from their checkpoints",
                                self.arguments(), why, ", ".join(f"{w.first}-{w.last}" for w in held))

    def _took_over(self, moved: int, gone: list[str]) -> None:
        if gone:
            keys.add_alerts(self.stats, f"redis: backfill worker(s) {', '.join(gone)} stopped without finishing; "
                                        f"their {moved} chunk(s) went back to be walked on from their checkpoints")
            self.stats.inc_value(keys.REDIS_REQUEUED, moved)

    def _beat(self):
        from newscrawler.crawl.chunks import UNREACHABLE

        def beat():
            try:
                return self.chunks.beat()
            except UNREACHABLE:
                return None  # the next take says whether Redis is gone for good

        def answered(held):
            if held is False:
                self._abandon("this worker was taken for dead (no heartbeat in REDIS_WORKER_TIMEOUT)")

        return threads.deferToThread(beat).addCallback(answered)

    async def _redis(self, command, *args):
        """``command(*args)`` in a thread; Redis not answering: asked again every second, and after
        REDIS_UNAVAILABLE_TIMEOUT this worker stops (finish reason ``redis_unavailable``)."""
        import time

        from newscrawler.crawl.chunks import UNREACHABLE

        limit = self.spider.crawler.settings.getfloat("REDIS_UNAVAILABLE_TIMEOUT")
        while True:
            try:
                result = await _in_thread(command, *args)
            except UNREACHABLE as exc:
                if self._outage_since is None:
                    self._outage_since = time.monotonic()
                    self.stats.inc_value(keys.REDIS_OUTAGES)
                    self.logger.error("Backfill %s: Redis does not answer (%s); this worker waits up to %d s "
                                      "for it (REDIS_UNAVAILABLE_TIMEOUT)", self.arguments(), exc, limit)
                if time.monotonic() - self._outage_since >= limit:
                    self.logger.error("Backfill %s: Redis has not answered for %d s: this worker stops; its "
                                      "chunks are walked on from their checkpoints by the next run",
                                      self.arguments(), limit)
                    raise CloseSpider("redis_unavailable") from None
                await _pause(1.0)
                continue
            if self._outage_since is not None:
                self.logger.warning("Backfill %s: Redis answers again", self.arguments())
                self._outage_since = None
            return result

    def _leave(self) -> None:
        from newscrawler.crawl.chunks import UNREACHABLE

        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self.chunks is None:
            return
        try:
            last, back = self.chunks.leave()
        except UNREACHABLE as exc:
            self.logger.error("Backfill %s: Redis failed as this worker left (%s); its chunks are taken over "
                              "after REDIS_WORKER_TIMEOUT", self.arguments(), exc)
            last, back = None, 0
        finally:
            self.chunks.close()
        self.stats.set_value(keys.REDIS_LAST_WORKER, last)
        try:
            settled, done = range_progress(self.spider.archive.store.db, self.spider.base_url, self.first,
                                           self.last, self.chunk_size)
        except Exception as exc:  # noqa: BLE001 - the archive down: its figures are unknown
            self.logger.warning("Backfill %s: progress not read (%s)", self.arguments(), exc)
            return
        self.stats.set_value(keys.BACKFILL_SETTLED, settled)
        self.stats.set_value(keys.BACKFILL_CHUNKS_DONE, done)
        total = self.stats.get_value(keys.BACKFILL_CHUNKS)
        self.logger.info("Backfill %s: this worker walked %d chunk(s); %d of %d chunks done%s", self.arguments(),
                         self.stats.get_value(keys.BACKFILL_CHUNKS_WALKED, 0), done, total,
                         "" if done >= total else f" ({back} handed back; the next run continues the rest)")


async def _in_thread(function, *args):
    """``function(*args)`` in a worker thread (MongoDB and Redis wait there, not on the reactor)."""
    return await maybe_deferred_to_future(threads.deferToThread(function, *args))


async def _pause(seconds: float) -> None:
    from twisted.internet import reactor  # the crawl's reactor, installed by now
    from twisted.internet.task import deferLater

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


# -- by publish date ---------------------------------------------------------------------------

# Depth of a date backfill's walk down a column's list (20 articles a mobile list page): deep
# enough for years of a busy column; the walk stops earlier, at the first page listing an
# article published before the window.
DATE_BACKFILL_PAGES = 5000


class DateWindowBackfill:
    """The articles published in a window of days (``-a dates=FROM..TO``, `newscrawler backfill
    --from FROM --to TO`), found by walking the columns' lists deep: the mobile lists by
    default, the deepest the site pages (20 titles a page, however far back).

    The walk is the column crawl's own (spider.py): ``since`` / ``until`` are the window, so
    list entries newer than the window are passed over and the walk stops at the first page
    reaching past it. Resumable through the walk state (store/walks.py), kept per window: a
    walk stopped mid-way leaves a gap (the list page to continue from) and the next run of the
    same window resumes it there, while its walk from page 1 stops at the newest article the
    stopped run began with (the articles published since are all newer than the window). A
    window's walks are kept under their own key, never mixed with the column crawl's, whose
    walks must stop where the last of them began. Articles archived already are never fetched
    again (one archive query a list page).
    """

    def __init__(self, text: str):
        self.since, self.until = parse_date_window(text)
        self.reached: dict[int, int] = {}  # column -> days of the window its walks went back over

    def arguments(self) -> str:
        return f"{self.since.isoformat()}..{self.until.isoformat()}"

    def days(self) -> int:
        return (self.until - self.since).days + 1

    def page_walked(self, stats, columns: int, column_id, days: list, past_since: bool) -> None:
        """Progress (the progress line's bar and ETA): a list page of a column walked, listing
        articles of ``days``. A column's walk has covered the days from the window's end back
        to the oldest day it listed, all of them once it reaches past the window's start; the
        backfill's figure is the mean over its columns (those not walked yet count none)."""
        oldest = min((d for d in days if d is not None), default=None)
        covered = self.days() if past_since else (self.until - oldest).days if oldest else 0
        covered = max(0, min(self.days(), covered))
        if covered > self.reached.get(column_id, 0):
            self.reached[column_id] = covered
        stats.set_value(keys.BACKFILL_DAYS, self.days())
        stats.set_value(keys.BACKFILL_DAYS_COVERED, round(sum(self.reached.values()) / max(columns, 1), 1))

    def walk_origin(self, origin: str) -> str:
        """The key of a column's walk state for this window."""
        return f"{origin}#dates={self.arguments()}"


def parse_date_window(text: str) -> tuple:
    """``"2026-10-01..2026-10-31"`` -> the two days (Beijing time, both included); ValueError
    otherwise. Relative days (``30d``) are refused: a window's walk state is kept under its
    days, which must mean the same days when a stopped backfill is run again."""
    import datetime as dt

    first, sep, last = str(text or "").strip().partition("..")
    try:
        if not sep:
            raise ValueError
        since, until = dt.date.fromisoformat(first.strip()), dt.date.fromisoformat(last.strip())
    except ValueError:
        raise ValueError(f"a date window is FROM..TO (e.g. 2026-10-01..2026-10-31), not {text!r}") from None
    if since > until:
        raise ValueError(f"the window {since}..{until} ends before it starts")
    return since, until
