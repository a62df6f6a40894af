"""Scrapy settings for newscrawler: the project's decisions about Scrapy's own settings.

Our own settings and their defaults live in ``newscrawler/config.py`` (loaded below with what the
environment gives); every setting can be overridden with ``scrapy crawl nbd -s NAME=value``.
Defaults are polite to the real site: about 20 requests a minute, as the careful public
crawlers of 每经网 ran.
"""

from newscrawler import __version__
from newscrawler.config import DEFAULTS, environment

BOT_NAME = "newscrawler"
SPIDER_MODULES = ["newscrawler.crawl.spider", "newscrawler.crawl.revisit"]
NEWSPIDER_MODULE = "newscrawler.crawl.spider"
# `scrapy crawl` checks its spider arguments and -s settings before starting (crawl/commands/).
COMMANDS_MODULE = "newscrawler.crawl.commands"

globals().update(DEFAULTS)

# Thumbnails through Scrapy's images pipeline (IMAGES_STORE: see config.py and addons.py).
IMAGES_THUMBS = {"small": (120, 120), "medium": (400, 400)}
IMAGES_EXPIRES = 365
IMAGES_MIN_WIDTH = 1
IMAGES_MIN_HEIGHT = 1

# -- politeness ----------------------------------------------------------------------
USER_AGENT = f"newscrawler/{__version__} (archive crawler for 每经网; +https://pypi.org/project/scrapy/)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 3
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 3
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
COOKIES_ENABLED = False
# Scrapy starts this many asyncio workers for every callback's output; ours yield one item
# per article page (or a page of links), so the default 100 only costs CPU.
CONCURRENT_ITEMS = 8

# Retries (Scrapy's codes: 5xx, 408, 429) with back-off: a retry waits RETRY_BACKOFF_BASE x
# attempt seconds, or what a 429/503 answer's Retry-After asks, at most RETRY_BACKOFF_MAX (the
# site's 503 "Service Temporarily Unavailable" means slow down). A waiting retry holds no
# download slot. Defaults in config.py.
RETRY_TIMES = 3

DOWNLOADER_MIDDLEWARES = {
    # Off-site requests are refused even when dont_filter (column pages, retries, redirects).
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "newscrawler.crawl.middlewares.offsite.OffsiteGuardMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawler.crawl.middlewares.retry.BackoffRetryMiddleware": 550,
    "newscrawler.crawl.middlewares.block.BlockDetectionMiddleware": 560,
    # Page archive (WARC): above HttpCompression (590) and Redirect (600), so it stores the
    # bodies as received (still gzip-encoded) and 3xx answers too; see crawl/middlewares/warc.py.
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
    # Monitoring: coverage into the stats, then Spidermon's checks, then the record (500);
    # the order is checked at start (addons.ComponentOrder).
    "newscrawler.crawl.monitoring.CoverageStats": 400,
    "spidermon.contrib.scrapy.extensions.Spidermon": 450,
    "newscrawler.crawl.progress.ProgressLine": 600,  # only with NEWSCRAWLER_PROGRESS
}

# -- operations: add-ons, monitoring -------------------------------------------------
ADDONS = {
    "newscrawler.crawl.addons.ComponentOrder": 50,
    "newscrawler.crawl.addons.DataDirDefaults": 100,
    "newscrawler.crawl.addons.FreeSpaceFloor": 150,  # after the data directory's defaults
    "newscrawler.crawl.addons.DistributedCrawl": 200,
}
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["newscrawler.crawl.monitoring.CrawlHealthMonitors"]

# -- `scrapy check nbd`: sample pages on NBD_BASE_URL, and what a page must give (crawl/contracts.py)
SPIDER_CONTRACTS = {
    "newscrawler.crawl.contracts.SiteUrlContract": 1,
    "newscrawler.crawl.contracts.ListsContract": 2,
    "newscrawler.crawl.contracts.ArchivableContract": 3,
}

# -- feeds (scrapy crawl nbd -O out.jsonl) ------------------------------------------------
# Rows in the record's JSON form (times in UTC with Z) and, in CSV, mappings as JSON.
FEED_EXPORTERS = {
    "json": "newscrawler.crawl.exporters.RecordJsonItemExporter",
    "jsonlines": "newscrawler.crawl.exporters.RecordJsonLinesItemExporter",
    "jsonl": "newscrawler.crawl.exporters.RecordJsonLinesItemExporter",
    "jl": "newscrawler.crawl.exporters.RecordJsonLinesItemExporter",
    "csv": "newscrawler.crawl.exporters.RecordCsvItemExporter",
}

# -- engine --------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"  # NEWSCRAWLER_LOG_LEVEL in the environment sets it (below)
TELNETCONSOLE_ENABLED = False

# Last: what the environment gives (MONGO_URI, NEWSCRAWLER_DATA_DIR, ...; see config.py).
globals().update(environment())
