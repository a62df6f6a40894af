"""The crawl's stats keys, named once.

Scrapy's stats are the crawl's shared tally: one component counts, others read back (the crawl
record, the monitors, the command line's verdict). Every key a component writes or reads is a
name here, so a reader can find who writes what. The archive session's keys are its own
(newscrawler.store.session) and are named here too.
"""

from __future__ import annotations

from newscrawler.store.session import (  # noqa: F401 - re-exported: every key in one place
    ARCHIVE_UNAVAILABLE,
    REJECTED,
    SPOOL_BAD_LINES,
    SPOOL_ERRORS,
    SPOOL_REPLAYED,
    SPOOL_TORN_LINES,
    SPOOLED,
    STAT_PREFIX,
    UNSAVED,
    rejected_key,
    written_key,
)

# The spider
# Set when the spider's own start() ran: the run is a crawl. A sample run (scrapy parse, check,
# shell) is no crawl: monitoring does not judge it and its record says ``sample``.
CRAWL_STARTED = STAT_PREFIX + "crawl_started"
LIST_PAGES = STAT_PREFIX + "list_pages"
ARTICLE_PAGES = STAT_PREFIX + "article_pages"
LINKS_FOUND = STAT_PREFIX + "links_found"
LINKS_ALREADY_ARCHIVED = STAT_PREFIX + "links_already_archived"
# List pages listing more articles than NBD_MAX_LINKS_PER_LIST_PAGE, and the links dropped from them
LIST_PAGES_OVER_CAP = STAT_PREFIX + "list_pages_over_cap"
LINKS_OVER_CAP = STAT_PREFIX + "links_over_cap"
ERRORS = STAT_PREFIX + "errors"                   # pages not fetched
UNANSWERED = STAT_PREFIX + "unanswered"           # ... of which the site gave no answer (refused, timed out)
UNANSWERED_REASON = STAT_PREFIX + "unanswered_reason"  # "host: why" of the first
BAD_URL_ARGUMENTS = STAT_PREFIX + "bad_url_arguments"
PAGE_REFETCHES = STAT_PREFIX + "page_refetches"   # articles whose WARC page is fetched again
INCOMPLETE_WALKS = STAT_PREFIX + "incomplete_walks"
LATER_PAGES = STAT_PREFIX + "later_pages"         # pages 2.. of articles over several pages
INCOMPLETE_ARTICLES = STAT_PREFIX + "incomplete_articles"  # a later page failed
INCOMPLETE_REFETCHES = STAT_PREFIX + "incomplete_refetches"  # such articles fetched again
# Written articles (by the archive session, per outcome)
NEW = written_key("new")
UPDATED = written_key("updated")
UNCHANGED = written_key("unchanged")
# The archive across time (crawl/deletions.py, crawl/revisit.py)
DELETED = STAT_PREFIX + "deleted"                 # archived articles first seen gone
STILL_DELETED = STAT_PREFIX + "still_deleted"     # marked already, still gone
RESTORED = written_key("restored")                # marked deleted, answering again
DELETIONS_WITHDRAWN = STAT_PREFIX + "deletions_withdrawn"  # marks taken back: too many gone at once
REVISIT_CHECKED = STAT_PREFIX + "revisit/checked"         # archived articles checked again
REVISIT_NOT_MODIFIED = STAT_PREFIX + "revisit/not_modified"  # answered 304
REVISIT_SAME = STAT_PREFIX + "revisit/same"               # answered the page, text unchanged
REVISIT_EDITED = STAT_PREFIX + "revisit/edited"           # answered the page, text changed
REVISIT_FAILED = STAT_PREFIX + "revisit/failed"           # no answer that tells (errors, 5xx)
# Backfills of id ranges (crawl/backfill.py)
BACKFILL_TOTAL = STAT_PREFIX + "backfill/ids"                   # ids in the range
BACKFILL_SETTLED = STAT_PREFIX + "backfill/settled"             # ids done with (earlier runs included)
BACKFILL_SKIPPED = STAT_PREFIX + "backfill/skipped_archived"    # archived already: no request
BACKFILL_NOT_ARTICLES = STAT_PREFIX + "backfill/not_articles"   # 404/410: no public article
# ... shared by several workers in chunks (crawl/chunks.py)
BACKFILL_CHUNKS = STAT_PREFIX + "backfill/chunks"               # chunks of the range
BACKFILL_CHUNKS_DONE = STAT_PREFIX + "backfill/chunks_done"     # walked to their end, by any worker
BACKFILL_CHUNKS_WALKED = STAT_PREFIX + "backfill/chunks_walked" # walked to their end by this worker
# A date backfill (its window's days; the days its column walks reached, a mean over columns)
BACKFILL_DAYS = STAT_PREFIX + "backfill/days"
BACKFILL_DAYS_COVERED = STAT_PREFIX + "backfill/days_covered"
# Pipelines
DUPLICATES_IN_CRAWL = STAT_PREFIX + "duplicates_in_crawl"
CONTENT_DUPLICATES = STAT_PREFIX + "content_duplicates"
THUMBNAILS_OK = STAT_PREFIX + "thumbnails_ok"
THUMBNAILS_FAILED = STAT_PREFIX + "thumbnails_failed"
COVERAGE_PREFIX = STAT_PREFIX + "coverage/"
# Downloader middlewares
BLOCKED = STAT_PREFIX + "blocked"                 # why the site is taken to block us (403s)
HTTP_403 = STAT_PREFIX + "http_403"
OFFSITE_REFUSED = STAT_PREFIX + "offsite_refused"
BACKOFF_SECONDS = STAT_PREFIX + "backoff_seconds"
BACKOFF_DROPPED = STAT_PREFIX + "backoff_dropped"
# The page archive (WARC) middleware
WARC_RESPONSES = "warc/responses"
WARC_BYTES = "warc/bytes"
WARC_FILES = "warc/files"
WARC_INDEXES = "warc/indexes"  # CDXJ indexes written beside finished files
WARC_ERRORS = "warc/errors"
WARC_POINTERS_WITHHELD = "warc/pointers_withheld"
# Monitoring: the alerts of the crawl (a list of sentences)
ALERTS = STAT_PREFIX + "alerts"
# Several machines (crawl/distributed.py)
REDIS_URL = STAT_PREFIX + "redis/url"
REDIS_NAMESPACE = STAT_PREFIX + "redis/namespace"
REDIS_FRESH = STAT_PREFIX + "redis/fresh"
REDIS_LAST_WORKER = STAT_PREFIX + "redis/last_worker"
REDIS_LEFT_UNFINISHED = STAT_PREFIX + "redis/left_unfinished"
REDIS_REQUEUED = STAT_PREFIX + "redis/requeued"     # dead workers' requests put back in the queue
REDIS_RESET = STAT_PREFIX + "redis/reset"           # Redis lost the crawl's keys mid-crawl
REDIS_OUTAGES = STAT_PREFIX + "redis/outages"


def is_crawl(stats: dict) -> bool:
    """Whether a run's stats are those of a crawl (not of a sample run: see CRAWL_STARTED)."""
    return bool(stats.get(CRAWL_STARTED))


def add_alerts(stats, *alerts: str) -> None:
    """Add sentences to the crawl's alerts (the record keeps them; `newscrawler crawl` exits 3)."""
    stats.set_value(ALERTS, [*(stats.get_value(ALERTS) or []), *alerts])
