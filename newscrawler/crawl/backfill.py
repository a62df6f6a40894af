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

Politeness is the crawl's: ``DOWNLOAD_DELAY`` (3 s by default, about 20 requests a minute, and
AutoThrottle only slows down); `newscrawler backfill --rate N` sets it from requests a minute.
"""

from __future__ import annotations

from collections import Counter

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from newscrawler.crawl import stats as keys
from newscrawler.store.backfills import load_checkpoint, parse_id_range, save_checkpoint
from newscrawler.store.deletions import GONE_STATUSES

CHUNK = 100       # ids per archive lookup
SAVE_EVERY = 20   # settled ids between checkpoint saves
# Requests handed to the scheduler and not answered yet, at most: Scrapy takes start requests
# as fast as they come, and a range of a million ids must not sit in memory as requests.
MAX_IN_FLIGHT = 100


class IdRangeBackfill:
    def __init__(self, spider, text: str):
        self.spider = spider
        self.first, self.last = parse_id_range(text)
        self.cursor = self.first  # the next id to consider
        self.in_flight: set[int] = set()
        self.unsaved: Counter = Counter()  # counts not in the stored checkpoint yet
        self.settled_since_save = 0

    @property
    def stats(self):
        return self.spider.crawler.stats

    def arguments(self) -> str:
        return f"{self.first}-{self.last}"

    def checkpoint(self) -> int:
        """The lowest id not settled: every id below it is done with."""
        return min(self.in_flight) if self.in_flight else self.cursor

    async def requests(self):
        """The article requests of the range from its checkpoint on, a chunk at a time."""
        spider = self.spider
        stored = await maybe_deferred_to_future(threads.deferToThread(self._load))
        if stored and stored.get("done"):
            spider.logger.info("Backfill %s: walked to its end already (%s)", self.arguments(), stored.get("counts"))
            return
        self.cursor = max(self.first, (stored or {}).get("next_id", self.first))
        self.stats.set_value(keys.BACKFILL_TOTAL, self.last - self.first + 1)
        self.stats.set_value(keys.BACKFILL_SETTLED, self.cursor - self.first)
        if self.cursor > self.first:
            spider.logger.info("Backfill %s: continuing from id %d", self.arguments(), self.cursor)
        while self.cursor <= self.last:
            chunk = list(range(self.cursor, min(self.cursor + CHUNK, self.last + 1)))
            archived = await maybe_deferred_to_future(threads.deferToThread(spider.archive.existing_ids, chunk))
            for article_id in chunk:
                self.cursor = article_id + 1
                if article_id in archived:
                    self._count("skipped_archived", keys.BACKFILL_SKIPPED)
                    continue
                request = spider.article_request(article_id, None, column_id=None, force=True)
                if request is None:
                    continue
                request.meta["backfill"] = True
                while len(self.in_flight) >= MAX_IN_FLIGHT:
                    await _pause(0.2)
                self.in_flight.add(article_id)
                self._count("requested", None, settled=False)
                yield request

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
        """A backfill request answered (the spider's ``article_done``)."""
        article_id = meta.get("article_id")
        if not meta.get("backfill") or article_id not in self.in_flight:
            return
        self.in_flight.discard(article_id)
        self._count(outcome, None)

    def _count(self, outcome: str, key: str | None, settled: bool = True) -> None:
        self.unsaved[outcome] += 1
        if key:
            self.stats.inc_value(key)
        if settled:
            self.stats.inc_value(keys.BACKFILL_SETTLED)
            self.settled_since_save += 1
            if self.settled_since_save >= SAVE_EVERY:
                self.save()

    def save(self) -> None:
        """Store the checkpoint and the counts since the last save (the archive down: kept for
        the next save; a run that cannot save at all resumes from the last saved point)."""
        counts, checkpoint = dict(self.unsaved), self.checkpoint()
        try:
            save_checkpoint(self.spider.archive.store.db, self.spider.base_url, self.first, self.last,
                            checkpoint, counts, self.spider.archive.crawl_id)
        except Exception as exc:  # noqa: BLE001 - pymongo or ArchiveUnavailable: never ends the crawl
            self.spider.logger.warning("Backfill %s: checkpoint not saved (%s)", self.arguments(), exc)
            return
        self.unsaved.subtract(counts)
        self.settled_since_save = 0

    def close(self) -> None:
        self.save()
        self.spider.logger.info("Backfill %s: settled up to id %d%s", self.arguments(), self.checkpoint() - 1,
                                " (the range is done)" if self.checkpoint() > self.last else
                                "; the next backfill of this range continues from there")

    def _load(self):
        return load_checkpoint(self.spider.archive.store.db, self.spider.base_url, self.first, self.last)


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

    def arguments(self) -> str:
        return f"{self.since.isoformat()}..{self.until.isoformat()}"

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
