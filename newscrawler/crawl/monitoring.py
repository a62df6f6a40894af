"""Monitoring: field coverage of the new articles, and alerts when a crawl looks wrong.

A changed site layout rarely breaks a crawl outright: pages still download and the fallback
extractor still finds a title and a body, but the authors, the category or the time go
missing. So every crawl counts, for the articles it archived for the first time, the share
that has authors, a publish time, a category, a body and a thumbnail (``coverage`` in the
crawl record), and alerts when a share falls below ``NBD_MIN_COVERAGE``, when the column
pages held no article link at all, when a list page listed more articles than
``NBD_MAX_LINKS_PER_LIST_PAGE`` (the rest were dropped), or when most article pages were
rejected.

How:

- :class:`CoveragePipeline` (item pipeline, after validation and dedup) notes which fields
  each archived item has: five bits per article, no document kept;
- :class:`CoverageStats` (extension), once the MongoDB pipeline has written the last batch
  (its ``archive_flushed`` signal), tells which of those articles this crawl inserted (one
  indexed ``$in`` lookup per 500 ids, limited to this crawl's articles, in a worker thread) and
  puts the coverage in the stats (``newscrawler/coverage/...``);
- Spidermon (``SPIDERMON_SPIDER_CLOSE_MONITORS`` = :class:`CrawlHealthMonitors`) runs the
  checks below as monitors; on failure :class:`RecordAlerts` logs each alert and puts them
  in the stats (``newscrawler/alerts``), which the crawl record stores as ``alerts`` and
  ``newscrawler crawl`` turns into exit code 3. Spidermon's own actions (mail, Slack,
  Sentry, ...) can be added to the suite with its settings.

Settings: ``NBD_MIN_COVERAGE`` (dict field -> minimum share; fields: authors, published_at,
category, body, thumbnail), ``NBD_COVERAGE_MIN_ARTICLES`` (coverage and the rejected share are
judged only from this many articles on: two new articles are no sample),
``NBD_MAX_REJECTED_SHARE`` (rejected / article pages), ``NBD_MAX_DELETED_SHARE`` /
``NBD_MAX_EDITED_SHARE`` (of the archived articles a run checked again, from
``NBD_CHANGE_MIN_CHECKED`` on: newly gone / edited), ``NBD_ALERT_ACTIONS`` (more Spidermon
actions to run on alerts: mail, Slack, Sentry, ...).

Why Spidermon and not only a small extension: it works with Scrapy 2.19 (checked: 1.27.0; its
reports go through the deprecated ``Spider.log()``, whose warning is silenced below), gives
the checks a report in the log, and brings ready-made notification actions. The coverage
itself is counted here, not with Spidermon's field coverage, which counts every scraped item
while the alert is about the new articles.
"""

from __future__ import annotations

import logging
import warnings

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from spidermon import Action, Monitor, MonitorSuite, monitors
from twisted.internet.threads import deferToThread

from newscrawler.crawl import stats as keys
from newscrawler.crawl.context import CrawlContext
from newscrawler.crawl.pipelines.mongodb import archive_flushed

logger = logging.getLogger(__name__)

# Spidermon 1.27 reports through Spider.log(), which Scrapy 2.19 deprecates: works, warns on
# every crawl. Silenced for Spidermon's modules only.
warnings.filterwarnings("ignore", message=r"Spider\.log\(\) is deprecated", module=r"spidermon\.")

COVERAGE_FIELDS = ("authors", "published_at", "category", "body", "thumbnail")


class SpidermonFailureBlocks(logging.Filter):
    """Spidermon logs each failed monitor as a unittest FAIL block with a traceback, at ERROR,
    on the spider's logger; RecordAlerts logs the same alert as one line. The block is kept at
    DEBUG (a log at DEBUG still has it), so an alert reads once, and the crawl's count of logged
    errors counts real errors. Spidermon's ERROR blocks (a check that crashed) stay as they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.levelno >= logging.ERROR and isinstance(record.msg, str)
                and record.msg.startswith("[Spidermon]") and "\nFAIL: " in record.msg):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


SPIDERMON_FAILURE_BLOCKS = SpidermonFailureBlocks()


class AlertLines(logging.Filter):
    """Leaves out the log's ``ALERT ...`` lines: on a terminal whose command prints the alerts
    in its summary, each would show twice (crawl/runner.py puts it on the terminal's handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name.startswith("newscrawler.") and isinstance(record.msg, str)
                    and record.msg.startswith("ALERT "))


def item_fields(item) -> int:
    """Bit i set when the item has COVERAGE_FIELDS[i]."""
    a = ItemAdapter(item)
    present = (bool(a.get("authors")), a.get("published_at") is not None, bool(a.get("category")),
               bool((a.get("body_text") or "").strip()), bool(a.get("thumbnail_url")))
    return sum(1 << i for i, ok in enumerate(present) if ok)


def coverage_of(masks) -> dict:
    """``{"articles": n, field: share, ...}`` (shares None when n is 0)."""
    masks = list(masks)
    n = len(masks)
    result: dict = {"articles": n}
    for i, name in enumerate(COVERAGE_FIELDS):
        result[name] = round(sum(1 for m in masks if m & (1 << i)) / n, 4) if n else None
    return result


class CoveragePipeline:
    """Notes each archived item's fields (place it after validation and dedup)."""

    def __init__(self, crawler):
        self.tally = CrawlContext.of(crawler).coverage

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        article_id = ItemAdapter(item).get("article_id")
        if article_id is not None:
            self.tally.add(article_id, item_fields(item))
        return item


def inserted_ids(archive, ids, since) -> set[int]:
    """Those of ``ids`` this crawl inserted: first seen at or after ``since``, by this crawl."""
    ids = list(ids)
    found: set[int] = set()
    if not ids:
        return found
    articles = archive.store.articles
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        query = {"article_id": {"$in": batch}, "crawl_id": archive.crawl_id}
        if since is not None:
            query["first_seen_at"] = {"$gte": since}
        found.update(d["article_id"] for d in articles.find(query, {"article_id": 1, "_id": 0}))
    return found


class CoverageStats:
    """At the end of a crawl: coverage of the new articles into the stats.

    Counted once the MongoDB pipeline has written its last batch (``archive_flushed``, awaited
    while the pipelines close), so before every spider_closed handler: Spidermon's monitors and
    the crawl record read it there. A crawl without that pipeline is counted on spider_closed,
    before those two (lower EXTENSIONS number), from every archived item.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.counted = False

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        # Spidermon reports through the spider's logger (see SpidermonFailureBlocks).
        logging.getLogger(crawler.spidercls.name).addFilter(SPIDERMON_FAILURE_BLOCKS)
        crawler.signals.connect(ext.archive_flushed, signal=archive_flushed)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    async def archive_flushed(self):
        from pymongo.errors import PyMongoError

        from newscrawler.store.errors import ArchiveUnavailable

        tally = CrawlContext.of(self.crawler).coverage.fields
        archive = CrawlContext.of(self.crawler).archive
        try:
            new = await maybe_deferred_to_future(deferToThread(
                inserted_ids, archive, list(tally), self.crawler.stats.get_value("start_time")))
        except (ArchiveUnavailable, PyMongoError) as exc:
            # Nothing could be written; the spider fetched only ids it did not find archived.
            logger.warning("Coverage from every archived item: the archive did not answer (%s)", exc)
            self.count("items", list(tally.values()))
        else:
            self.count("new", [tally[i] for i in new])

    def spider_closed(self, spider, reason):
        if not self.counted:  # no MongoDB pipeline: nothing says which articles were new
            self.count("items", list(CrawlContext.of(self.crawler).coverage.fields.values()))

    def count(self, basis: str, masks: list[int]) -> None:
        self.counted = True
        stats = self.crawler.stats
        stats.set_value(keys.COVERAGE_PREFIX + "basis", basis)
        for key, value in coverage_of(masks).items():
            stats.set_value(keys.COVERAGE_PREFIX + key, value)


def crawl_coverage(stats: dict) -> dict | None:
    """The coverage a crawl's stats hold (None before CoverageStats ran)."""
    if keys.COVERAGE_PREFIX + "articles" not in stats:
        return None
    return {key: stats.get(keys.COVERAGE_PREFIX + key) for key in ("articles", *COVERAGE_FIELDS, "basis")}


# -- the checks (plain functions: the monitors below run them) -----------------------------------


def _min_articles(settings) -> int:
    return settings.getint("NBD_COVERAGE_MIN_ARTICLES")


def sitewide_only(spider) -> bool:
    """Whether the crawl walked only site-wide columns (要闻, 首发快讯, ...): their articles have
    a category only where the page names a column, so its share says nothing of the layout."""
    from newscrawler.nbd.site import column_section

    columns = getattr(spider, "columns", None)
    return bool(columns) and all(column_section(column) is None for column in columns)


def coverage_alerts(stats: dict, settings, spider=None) -> list[str]:
    coverage = crawl_coverage(stats)
    minimums = settings.getdict("NBD_MIN_COVERAGE")
    if not coverage or not coverage["articles"] or coverage["articles"] < _min_articles(settings):
        return []
    alerts = []
    for field, minimum in minimums.items():
        if field not in COVERAGE_FIELDS:
            logger.warning("NBD_MIN_COVERAGE names an unknown field %r (known: %s)", field,
                           ", ".join(COVERAGE_FIELDS))
            continue
        if field == "category" and sitewide_only(spider):
            continue
        share = coverage.get(field)
        if share is not None and minimum is not None and share < float(minimum):
            alerts.append(f"coverage: {share:.0%} of {coverage['articles']} new articles have "
                          f"{field} (minimum {float(minimum):.0%}); the page layout may have changed")
    return alerts


def discovery_alerts(stats: dict, settings, spider=None) -> list[str]:
    list_pages = stats.get(keys.LIST_PAGES, 0) or 0
    links = stats.get(keys.LINKS_FOUND, 0) or 0
    if list_pages and not links:
        return [f"discovery: {list_pages} column page(s) fetched, no article link on any; "
                f"the column page layout may have changed"]
    joined = stats.get(keys.REDIS_FRESH) is False  # other workers fetch the list pages
    columns = getattr(spider, "columns", None)
    if columns and not list_pages and not joined and stats.get("finish_reason") == "finished":
        return [f"discovery: none of the {len(columns)} column page(s) could be fetched"]
    return []


def list_page_alerts(stats: dict, settings) -> list[str]:
    pages = stats.get(keys.LIST_PAGES_OVER_CAP, 0) or 0
    if not pages:
        return []
    return [f"discovery: {pages} list page(s) listed more than {settings.getint('NBD_MAX_LINKS_PER_LIST_PAGE')} "
            f"articles (NBD_MAX_LINKS_PER_LIST_PAGE; the site lists 20 to 80): "
            f"{stats.get(keys.LINKS_OVER_CAP, 0)} links dropped; a trap or a broken page"]


def rejection_alerts(stats: dict, settings) -> list[str]:
    pages = stats.get(keys.ARTICLE_PAGES, 0) or 0
    rejected = stats.get(keys.REJECTED, 0) or 0
    limit = settings.getfloat("NBD_MAX_REJECTED_SHARE")
    if pages >= max(_min_articles(settings), 1) and rejected / pages > limit:
        return [f"rejects: {rejected} of {pages} article pages gave no valid record "
                f"(limit {limit:.0%}); the article page layout may have changed"]
    return []


def incomplete_article_alerts(stats: dict, settings=None) -> list[str]:
    """Articles archived without all their pages: every one is worth an alert (their text is
    cut short until the next crawl completes them)."""
    incomplete = stats.get(keys.INCOMPLETE_ARTICLES, 0) or 0
    if incomplete:
        return [f"incomplete articles: {incomplete} article(s) not fetched whole (a later page failed): "
                f"archived with pages_missing, which the next crawl fetches again, or their complete "
                f"archived version kept"]
    return []


def rechecked(stats: dict) -> int:
    """How many archived articles the run checked again: a revisit counts its checks; a crawl
    refetching archived articles, those it found updated, unchanged, gone or back."""
    if stats.get(keys.REVISIT_CHECKED):
        return stats[keys.REVISIT_CHECKED]
    return sum(stats.get(key, 0) or 0 for key in (keys.UPDATED, keys.UNCHANGED, keys.DELETED,
                                                   keys.STILL_DELETED, keys.RESTORED))


def _share_over(stats: dict, settings, count_key: str, limit_setting: str) -> tuple[int, int, float] | None:
    checked = rechecked(stats)
    count = stats.get(count_key, 0) or 0
    limit = settings.getfloat(limit_setting)
    if checked >= max(settings.getint("NBD_CHANGE_MIN_CHECKED"), 1) and count / checked > limit:
        return count, checked, limit
    return None


def mass_deletion(stats: dict, settings) -> tuple[int, int, float] | None:
    """(newly gone, checked, limit) when more than NBD_MAX_DELETED_SHARE of the checked
    articles were found gone in this one run, else None."""
    return _share_over(stats, settings, keys.DELETED, "NBD_MAX_DELETED_SHARE")


def deletion_share_alerts(stats: dict, settings) -> list[str]:
    """Too many articles gone at once: the site is taken to be broken (a mass 404, a CMS
    sending every page home), not to have deleted them; the marks are withdrawn
    (:class:`WithdrawMassDeletions`), so `query --deleted` does not fill with articles that are
    still online, and the next check marks again those really gone."""
    over = mass_deletion(stats, settings)
    if over is None:
        return []
    gone, checked, limit = over
    return [f"deletions: {gone} of {checked} archived articles checked answered gone (limit {limit:.0%}, "
            f"NBD_MAX_DELETED_SHARE); taken for a broken site, not deletions: their marks are withdrawn "
            f"(kept in deletion_history) and the next check looks again"]


def edit_share_alerts(stats: dict, settings) -> list[str]:
    """Too many articles edited at once: more likely a change of the page layout (the extracted
    text differs, not the article) than an editorial wave; the revisions are kept (they are
    what the page gave), a person should look."""
    edited = keys.REVISIT_EDITED if stats.get(keys.REVISIT_CHECKED) else keys.UPDATED
    over = _share_over(stats, settings, edited, "NBD_MAX_EDITED_SHARE")
    if over is None:
        return []
    count, checked, limit = over
    return [f"edits: {count} of {checked} archived articles checked changed text (limit {limit:.0%}, "
            f"NBD_MAX_EDITED_SHARE); the page layout or the extraction may have changed"]


# -- Spidermon -------------------------------------------------------------------------------------


class _AlertMonitor(Monitor):
    """A monitor whose failures are alert lines (kept on the monitor for RecordAlerts)."""

    alerts: list[str] = []

    def report(self, alerts: list[str]) -> None:
        if not keys.is_crawl(self.data.stats):
            # A sample run (scrapy parse, check, shell) walked no column and chose its pages
            # itself: its user sees what it gave, and there is no crawl to judge.
            return
        self.alerts = list(alerts)
        if alerts:
            self.fail("; ".join(alerts))


@monitors.name("Field coverage of new articles")
class CoverageMonitor(_AlertMonitor):
    @monitors.name("coverage at or above NBD_MIN_COVERAGE")
    def test_coverage(self):
        self.report(coverage_alerts(self.data.stats, self.data.crawler.settings, self.data.spider))


@monitors.name("Article discovery")
class DiscoveryMonitor(_AlertMonitor):
    @monitors.name("column pages list articles")
    def test_links_found(self):
        self.report(discovery_alerts(self.data.stats, self.data.crawler.settings, self.data.spider))

    @monitors.name("list pages list no more than NBD_MAX_LINKS_PER_LIST_PAGE articles")
    def test_links_per_list_page(self):
        self.report(list_page_alerts(self.data.stats, self.data.crawler.settings))


@monitors.name("Rejected pages")
class RejectionMonitor(_AlertMonitor):
    @monitors.name("rejected share at or below NBD_MAX_REJECTED_SHARE")
    def test_rejected_share(self):
        self.report(rejection_alerts(self.data.stats, self.data.crawler.settings))


@monitors.name("Articles over several pages")
class IncompleteArticlesMonitor(_AlertMonitor):
    @monitors.name("every article archived with all its pages")
    def test_no_incomplete_article(self):
        self.report(incomplete_article_alerts(self.data.stats, self.data.crawler.settings))


@monitors.name("Deletions and edits")
class ChangeShareMonitor(_AlertMonitor):
    @monitors.name("deleted share at or below NBD_MAX_DELETED_SHARE")
    def test_deleted_share(self):
        self.report(deletion_share_alerts(self.data.stats, self.data.crawler.settings))

    @monitors.name("edited share at or below NBD_MAX_EDITED_SHARE")
    def test_edited_share(self):
        self.report(edit_share_alerts(self.data.stats, self.data.crawler.settings))


class WithdrawMassDeletions(Action):
    """Unmark the articles this run marked deleted when it found too many gone at once
    (``mass_deletion``). Marking them as suspect instead was weighed: the marks would stay in
    `query --deleted` and the per-day counts, and the next run over a still-broken site would
    only count them "still deleted" and alert no more. Withdrawn, each run over a broken site
    alerts again, and a real mass deletion is accepted by a run with NBD_MAX_DELETED_SHARE = 1.
    Runs on the reactor at close (Spidermon's actions are synchronous): a few indexed writes."""

    def run_action(self):
        from pymongo.errors import PyMongoError

        from newscrawler.store.deletions import withdraw_marks
        from newscrawler.store.errors import ArchiveUnavailable

        crawler = self.data.crawler
        if not keys.is_crawl(self.data.stats) or mass_deletion(self.data.stats, crawler.settings) is None:
            return
        archive = CrawlContext.of(crawler).archive
        reason = "; ".join(deletion_share_alerts(self.data.stats, crawler.settings))
        try:
            withdrawn = withdraw_marks(archive.store.articles, archive.crawl_id,
                                       self.data.stats.get("start_time"), reason)
        except (ArchiveUnavailable, PyMongoError) as exc:
            logger.error("Could not withdraw this crawl's deletion marks (%s): `newscrawler query --deleted` "
                         "lists them until their pages are checked again", exc)
            return
        crawler.stats.set_value(keys.DELETIONS_WITHDRAWN, len(withdrawn))
        logger.warning("Withdrew the deletion marks of %d article(s): too many gone at once", len(withdrawn))


class RecordAlerts(Action):
    """Failed monitors -> ``newscrawler/alerts`` in the stats (the crawl record's ``alerts``)."""

    def run_action(self):
        alerts = []
        for result in self.result.monitors_failed_results:
            found = getattr(result.item, "alerts", None)
            alerts.extend(found or [f"{result.item.name}: {str(result.error).strip().splitlines()[-1]}"])
        stats = self.data.crawler.stats
        keys.add_alerts(stats, *alerts)
        for alert in alerts:
            logger.error("ALERT %s", alert)


class CrawlHealthMonitors(MonitorSuite):
    """The checks above; on failure RecordAlerts, then the actions named in NBD_ALERT_ACTIONS
    (Spidermon's, e.g. spidermon.contrib.actions.slack.notifiers.SendSlackMessageSpiderFinished,
    configured by their own SPIDERMON_* settings)."""

    monitors = [CoverageMonitor, DiscoveryMonitor, RejectionMonitor, IncompleteArticlesMonitor, ChangeShareMonitor]
    monitors_failed_actions = [RecordAlerts, WithdrawMassDeletions]

    def __init__(self, *args, crawler=None, **kwargs):
        super().__init__(*args, crawler=crawler, **kwargs)
        if crawler is not None:
            from scrapy.utils.misc import load_object

            self.add_monitors_failed_actions(
                [load_object(path) if isinstance(path, str) else path
                 for path in crawler.settings.getlist("NBD_ALERT_ACTIONS")])
