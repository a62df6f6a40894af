"""Scrapy settings for newscrawler.

Every setting here can be overridden with ``scrapy crawl nbd -s NAME=value``; the ones a
deployment changes also read the environment (MONGO_URI, MONGO_DATABASE, NBD_BASE_URL,
NEWSCRAWLER_DATA_DIR, IMAGES_STORE, REDIS_URL). Defaults are polite to the real site: about
20 requests a minute, as the careful public crawlers of 每经网 ran.
"""

import os

from newscrawler import __version__

BOT_NAME = "newscrawler"
SPIDER_MODULES = ["newscrawler.crawl.spider"]
NEWSPIDER_MODULE = "newscrawler.crawl.spider"

# -- the site ------------------------------------------------------------------------
# The origin crawled. A replica or mirror served elsewhere is crawled exactly like the site.
NBD_BASE_URL = os.environ.get("NBD_BASE_URL", "https://www.nbd.com.cn")
# Stop the crawl after this many 403 answers in a row (the site is blocking us).
NBD_MAX_CONSECUTIVE_403 = 3
# Article and column pages larger than this are refused while downloading (and recorded):
# the site's pages are about 100 KB; the generic fallback extractor takes ~5 s per MB.
NBD_MAX_PAGE_BYTES = 2 * 1024 * 1024

# -- storage -------------------------------------------------------------------------
# No MONGO_URI: an embedded MongoDB-compatible server is started under NEWSCRAWLER_DATA_DIR.
MONGO_URI = os.environ.get("MONGO_URI") or None
MONGO_DATABASE = os.environ.get("MONGO_DATABASE", "newscrawler")
MONGO_BATCH_SIZE = 100
# After MongoDB failed, items go straight to the spool for this many seconds before it is
# tried again (each try waits up to the driver's 5 s server-selection timeout).
ARCHIVE_RETRY_INTERVAL = 30
NEWSCRAWLER_DATA_DIR = os.environ.get("NEWSCRAWLER_DATA_DIR", "data")

# Thumbnails: a directory, or "gridfs://" to keep them in the archive's GridFS.
IMAGES_STORE = os.environ.get("IMAGES_STORE") or os.path.join(NEWSCRAWLER_DATA_DIR, "images")
IMAGES_THUMBS = {"small": (120, 120), "medium": (400, 400)}
IMAGES_EXPIRES = 365
IMAGES_MIN_WIDTH = 1
IMAGES_MIN_HEIGHT = 1
# A thumbnail source larger than this is refused (bytes), as are images over this many pixels.
THUMBNAIL_MAX_BYTES = 10 * 1024 * 1024
THUMBNAIL_MAX_PIXELS = 40_000_000

# Page archive: every fetched article and column page, as received, in WARC files
# (<WARC_PREFIX>-<crawl id>-NNNNN.warc.gz, rotated after WARC_MAX_SIZE bytes).
WARC_ENABLED = os.environ.get("WARC_ENABLED", "1").strip().lower() not in ("0", "false", "no", "off")
WARC_DIR = os.environ.get("WARC_DIR") or None  # None: <NEWSCRAWLER_DATA_DIR>/warc
WARC_MAX_SIZE = 1024 ** 3
WARC_PREFIX = "newscrawler"
WARC_GZIP_LEVEL = 3  # 6: 8 % smaller files for twice the CPU (benchmarks/bench_warc.py)
WARC_FLUSH_INTERVAL = 5.0  # seconds between hand-overs of the write buffer to the OS (no fsync)
# Write-ahead: before each MongoDB batch the WARC records its articles point to are flushed and,
# with WARC_FSYNC, fsynced (one fsync per batch; off: a killed process still loses no record,
# a crash of the machine may).
WARC_FSYNC = True
WARC_REFETCH_MAX = 1000  # articles archived without their page, fetched again per column crawl
WARC_WRITER_THREAD = False  # compress in a thread: slower on 2 cores (benchmarks/bench_warc.py)

# -- politeness ----------------------------------------------------------------------
USER_AGENT = f"newscrawler/{__version__} (archive crawler for 每经网; +https://pypi.org/project/scrapy/)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 3
DOWNLOAD_DELAY_JITTER = 0.5  # +-50% around DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 3
AUTOTHROTTLE_MAX_DELAY = 60
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
COOKIES_ENABLED = False
# Scrapy starts this many asyncio workers for every callback's output; ours yield one item
# per article page (or a page of links), so the default 100 only costs CPU.
CONCURRENT_ITEMS = 8

# Retries with back-off: 5xx, 429 and timeouts wait RETRY_BACKOFF_BASE x attempt seconds
# (the site's 503 "Service Temporarily Unavailable" means slow down).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 60.0
RETRY_BACKOFF_MAX = 600.0

DOWNLOADER_MIDDLEWARES = {
    # Off-site requests are refused even when dont_filter (column pages, retries, redirects).
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "newscrawler.crawl.middlewares.offsite.OffsiteGuardMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawler.crawl.middlewares.retry.BackoffRetryMiddleware": 550,
    "newscrawler.crawl.middlewares.block.BlockDetectionMiddleware": 560,
    # Page archive (WARC): above HttpCompression (590) and Redirect (600), so it stores the
    # bodies as received (still gzip-encoded) and 3xx answers too; see webarchive/middleware.py.
    "newscrawler.crawl.middlewares.warc.WarcMiddleware": 610,
}

ITEM_PIPELINES = {
    "newscrawler.crawl.pipelines.validation.ValidationPipeline": 100,
    "newscrawler.crawl.pipelines.dedup.DedupPipeline": 200,
    "newscrawler.crawl.pipelines.thumbnails.ThumbnailPipeline": 300,
    "newscrawler.crawl.pipelines.mongodb.MongoPipeline": 400,
    # Field coverage of the archived items (monitoring.py); before MongoPipeline.
    "newscrawler.crawl.monitoring.CoveragePipeline": 390,
}

EXTENSIONS = {
    "newscrawler.crawl.extensions.CrawlRecord": 500,
    # Monitoring: coverage into the stats, then Spidermon's checks, then the record (500).
    "newscrawler.crawl.monitoring.CoverageStats": 400,
    "spidermon.contrib.scrapy.extensions.Spidermon": 450,
}

# -- operations: jobs, several machines, monitoring ----------------------------------
# The job this run belongs to (`newscrawler crawl --job NAME` sets it); kept in the crawl record.
NEWSCRAWLER_JOB = os.environ.get("NEWSCRAWLER_JOB") or None
# Several machines: with REDIS_URL set, the request queue and duplicate filter are shared in
# Redis (scrapy-redis); unset, nothing changes. See newscrawler/distributed.py.
REDIS_URL = os.environ.get("REDIS_URL") or None
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "newscrawler")
DISTRIBUTED_CRAWL_NAME = os.environ.get("DISTRIBUTED_CRAWL_NAME") or None  # default: job, else args
REDIS_HEARTBEAT_INTERVAL = 10  # seconds
REDIS_WORKER_TIMEOUT = 60      # a worker silent this long is taken for dead
REDIS_KEYS_TTL = 24 * 3600     # safety net: keys of a crawl whose workers all died expire
ADDONS = {
    "newscrawler.crawl.addons.DataDirDefaults": 100,
    "newscrawler.crawl.distributed.DistributedCrawl": 200,
}
# Alerts (monitoring.py): minimum share of the NEW articles with each field; a crawl below
# it (from NBD_COVERAGE_MIN_ARTICLES new articles on) ends with an alert. Normal shares over
# the main columns: authors ~70% (AI flashes and commentaries name nobody), category ~50%
# (site-wide columns such as 要闻 have no section), time and body 100%, thumbnail ~70%; the
# minimums are about half of that, so only a broken layout trips them. A job of section
# columns only can raise them in its settings.
NBD_MIN_COVERAGE = {"authors": 0.3, "published_at": 0.9, "category": 0.2, "body": 0.9}
NBD_COVERAGE_MIN_ARTICLES = 10
NBD_MAX_REJECTED_SHARE = 0.5
# More Spidermon actions on alerts (class paths), e.g. its Slack or e-mail notifiers.
NBD_ALERT_ACTIONS = []
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["newscrawler.crawl.monitoring.CrawlHealthMonitors"]

# -- engine --------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("NEWSCRAWLER_LOG_LEVEL", "INFO")
TELNETCONSOLE_ENABLED = False
