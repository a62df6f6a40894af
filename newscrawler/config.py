"""The configuration's one home: our settings with their defaults, and the environment.

Every setting of ours has its default here, once. A crawl reads them through Scrapy's settings
(``crawl/settings.py`` loads :data:`DEFAULTS` and :func:`environment`; ``-s NAME=value`` wins
over both); code that runs outside a crawl (the store, the page archive, the command line)
asks :func:`setting`. Nothing else in the product reads ``os.environ``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from newscrawler.nbd.site import DEFAULT_BASE_URL

DEFAULTS: dict[str, Any] = {
    # -- the site --------------------------------------------------------------------
    # The origin crawled. A replica or mirror served elsewhere is crawled exactly like the site.
    "NBD_BASE_URL": DEFAULT_BASE_URL,
    # Stop the crawl after this many 403 answers in a row (the site is blocking us).
    "NBD_MAX_CONSECUTIVE_403": 3,
    # Article and column pages larger than this are refused while downloading (and recorded):
    # the site's pages are about 100 KB; the generic fallback extractor is slow on large pages.
    "NBD_MAX_PAGE_BYTES": 2 * 1024 * 1024,
    # Article links taken from one list page (0: no cap): the site's lists hold 20 to 80; a page
    # with more is suspicious (the rest are dropped, counted and alerted on), and without a cap
    # one page could queue tens of thousands of requests at once.
    "NBD_MAX_LINKS_PER_LIST_PAGE": 300,
    # Images kept of one article (0: no cap), the rest dropped with a warning in the record's
    # extraction: the site's articles have a few dozen at most.
    "NBD_MAX_IMAGES_PER_ARTICLE": 500,
    # -- storage ---------------------------------------------------------------------
    # Unset: an embedded MongoDB-compatible server is started under NEWSCRAWLER_DATA_DIR.
    "MONGO_URI": None,
    "MONGO_DATABASE": "newscrawler",
    "MONGO_BATCH_SIZE": 100,
    # A batch not full yet is written once its first article has waited this long (seconds): at
    # the site's polite 20 pages a minute a batch of 100 would take 5 minutes, and the new
    # articles would show in the archive (and the progress) only then.
    "MONGO_FLUSH_INTERVAL": 10.0,
    # After MongoDB failed, items go straight to the spool for this many seconds before it is
    # tried again (each try waits up to the driver's 5 s server-selection timeout).
    "ARCHIVE_RETRY_INTERVAL": 30,
    # Embedded database, spool, thumbnails and WARC files, unless each is given itself.
    # Unset: the checkout's own data/ when it exists (an archive already there stays in use),
    # else the per-user data directory of the platform (see data_dir): never the current
    # directory, so every command finds the same archive wherever it is run.
    "NEWSCRAWLER_DATA_DIR": None,
    # The loopback port of the embedded server. Unset: the port chosen at its first start in
    # the data directory, remembered there and used again at every start, so tools (a MongoDB
    # GUI, a firewall rule) keep one address; another is taken only when a program holds it.
    "NEWSCRAWLER_DB_PORT": None,
    # A crawl does not start when the disk of the data directory (or of WARC_DIR, or of a
    # directory IMAGES_STORE) has less free space than this (MB); 0 turns the check off. A full
    # disk panics the embedded database and leaves thumbnails and WARC records half written.
    "NEWSCRAWLER_MIN_FREE_MB": 500,
    # Thumbnails: a directory, or "gridfs://" for the archive's GridFS; unset: <data dir>/images.
    "IMAGES_STORE": None,
    # A thumbnail source larger than this is refused (bytes), as are images over this many pixels.
    "THUMBNAIL_MAX_BYTES": 10 * 1024 * 1024,
    "THUMBNAIL_MAX_PIXELS": 40_000_000,
    # Page archive: every fetched article and column page, as received, in WARC files
    # (<WARC_PREFIX>-<crawl id>-NNNNN.warc.gz, rotated after WARC_MAX_SIZE bytes).
    "WARC_ENABLED": True,
    "WARC_DIR": None,  # unset: <data dir>/warc
    "WARC_MAX_SIZE": 1024 ** 3,
    "WARC_PREFIX": "newscrawler",
    "WARC_GZIP_LEVEL": 3,  # 6 gives slightly smaller files for much more CPU (benchmarks/bench_warc.py)
    "WARC_FLUSH_INTERVAL": 5.0,  # seconds between hand-overs of the write buffer to the OS
    # Write-ahead: before each MongoDB batch the WARC records its articles point to are flushed
    # and, with WARC_FSYNC, fsynced (one fsync per batch; off: a killed process still loses no
    # record, a crash of the machine may).
    "WARC_FSYNC": True,
    "WARC_REFETCH_MAX": 1000,  # articles archived without their page, fetched again per column crawl
    "WARC_WRITER_THREAD": False,  # compress in a thread: slower on 2 cores (benchmarks/bench_warc.py)
    # -- politeness ------------------------------------------------------------------
    # Retries wait RETRY_BACKOFF_BASE x attempt seconds, at most RETRY_BACKOFF_MAX (the site's
    # 503 "Service Temporarily Unavailable" means slow down).
    "RETRY_BACKOFF_BASE": 60.0,
    "RETRY_BACKOFF_MAX": 600.0,
    # -- the archive across time: revisits (store/revisits.py, crawl/revisit.py) -----
    # When an archived article is checked again, by the time since it last changed (edited,
    # deleted or restored): "AGE:INTERVAL" steps, the last "*:INTERVAL". NewsDiffs' schedule:
    # corrections and takedowns come mostly within hours or days of publication, and an
    # article changed once tends to change again, so checks start every 15 minutes and thin
    # out to weekly; keyed on the last change, an edit puts the article back on the close
    # watch. Unchanged pages answer the conditional request with an empty 304. Cost: about
    # 150 checks per article in its first month, then one a week; at the notes' 20 requests a
    # minute (28,800 a day) that covers about 150 new articles a day. A larger crawl thins it,
    # e.g. "1d:2h, 7d:12h, 30d:3d, *:30d" (about 30 checks in the first month).
    "REVISIT_SCHEDULE": "3h:15m, 1d:30m, 7d:2h, 30d:1d, *:7d",
    # Backfills (`newscrawler backfill --ids A-B`): requests a minute, the notes' etiquette
    # (careful crawlers ran at about 20 a minute); it becomes DOWNLOAD_DELAY = 60 / rate.
    "BACKFILL_RATE": 20,
    # A range backfilled by several workers (REDIS_URL set) is handed out in chunks of this many
    # ids, each walked by one worker with its own checkpoint (crawl/chunks.py). At 20 requests a
    # minute 500 ids are at most 25 minutes: the workers share the range to within about that at
    # its end, and a dead worker's chunk is taken over from its checkpoint.
    "BACKFILL_CHUNK": 500,
    # -- operations: jobs, several machines, monitoring ------------------------------
    # The job this run belongs to (`newscrawler crawl --job NAME` sets it); kept in the crawl record.
    "NEWSCRAWLER_JOB": None,
    # Several machines: with REDIS_URL set, the request queue and duplicate filter are shared in
    # Redis (scrapy-redis); unset, nothing changes. See crawl/distributed.py.
    "REDIS_URL": None,
    "REDIS_KEY_PREFIX": "newscrawler",
    "DISTRIBUTED_CRAWL_NAME": None,  # unset: the job's name, else the spider arguments
    "REDIS_HEARTBEAT_INTERVAL": 10,  # seconds
    "REDIS_WORKER_TIMEOUT": 60,  # a worker silent this long is taken for dead
    "REDIS_KEYS_TTL": 24 * 3600,  # safety net: keys of a crawl whose workers all died expire
    # Redis gone: each command waits at most REDIS_SOCKET_TIMEOUT s (with REDIS_RETRIES quick
    # retries); a worker that has not reached Redis for REDIS_UNAVAILABLE_TIMEOUT s stops
    # (finish reason `redis_unavailable`, exit 1), its unfinished requests kept in Redis.
    "REDIS_SOCKET_TIMEOUT": 5,  # seconds
    "REDIS_RETRIES": 2,
    "REDIS_UNAVAILABLE_TIMEOUT": 60,  # seconds
    # Alerts (crawl/monitoring.py): minimum share of the NEW articles with each field; a crawl
    # below it (from NBD_COVERAGE_MIN_ARTICLES new articles on) ends with an alert. Normally,
    # over the main columns, most articles name authors (AI flashes and commentaries name
    # nobody), about half have a category (site-wide columns such as 要闻 have no section), all
    # have a time and a body; the minimums are about half of that, so only a broken layout
    # trips them.
    "NBD_MIN_COVERAGE": {"authors": 0.3, "published_at": 0.9, "category": 0.2, "body": 0.9},
    "NBD_COVERAGE_MIN_ARTICLES": 10,
    "NBD_MAX_REJECTED_SHARE": 0.5,
    # A run that checks archived articles again (a revisit, or a crawl refetching them) alerts
    # when more than this share of those it checked are newly gone, or edited, from
    # NBD_CHANGE_MIN_CHECKED checks on. The site deletes and edits a few articles a week, so a
    # fifth of a run found gone is a broken site (a mass 404, a CMS redirecting everything home):
    # its marks are withdrawn (kept in deletion_history), see crawl/monitoring.py. Set the share
    # to 1 for a run that is known to see a real mass deletion.
    "NBD_MAX_DELETED_SHARE": 0.2,
    "NBD_MAX_EDITED_SHARE": 0.5,
    "NBD_CHANGE_MIN_CHECKED": 10,
    # More Spidermon actions on alerts (class paths), e.g. its Slack or e-mail notifiers.
    "NBD_ALERT_ACTIONS": [],
    # A progress line on the terminal (`newscrawler crawl` turns it on for a terminal).
    "NEWSCRAWLER_PROGRESS": False,
    # The jobs file of `newscrawler crawl --job` and `newscrawler schedule`.
    "NEWSCRAWLER_JOBS_FILE": "jobs.toml",
    # -- the web app (`newscrawler serve`) ------------------------------------------
    # Where it listens: loopback unless told otherwise; any other address needs the token,
    # which every request must then carry (web/access.py).
    "NEWSCRAWLER_WEB_HOST": "127.0.0.1",
    "NEWSCRAWLER_WEB_PORT": 8000,
    "NEWSCRAWLER_WEB_TOKEN": None,
}

# Environment variables the product reads, and the setting each one gives.
ENVIRONMENT_VARIABLES: dict[str, str] = {
    "MONGO_URI": "MONGO_URI",
    "MONGO_DATABASE": "MONGO_DATABASE",
    "NBD_BASE_URL": "NBD_BASE_URL",
    "NEWSCRAWLER_DATA_DIR": "NEWSCRAWLER_DATA_DIR",
    "NEWSCRAWLER_DB_PORT": "NEWSCRAWLER_DB_PORT",
    "NEWSCRAWLER_MIN_FREE_MB": "NEWSCRAWLER_MIN_FREE_MB",
    "IMAGES_STORE": "IMAGES_STORE",
    "WARC_ENABLED": "WARC_ENABLED",
    "WARC_DIR": "WARC_DIR",
    "NEWSCRAWLER_JOB": "NEWSCRAWLER_JOB",
    "REDIS_URL": "REDIS_URL",
    "REDIS_KEY_PREFIX": "REDIS_KEY_PREFIX",
    "DISTRIBUTED_CRAWL_NAME": "DISTRIBUTED_CRAWL_NAME",
    "NEWSCRAWLER_JOBS": "NEWSCRAWLER_JOBS_FILE",
    "NEWSCRAWLER_LOG_LEVEL": "LOG_LEVEL",
    "NEWSCRAWLER_WEB_TOKEN": "NEWSCRAWLER_WEB_TOKEN",
}

_FALSE = ("0", "false", "no", "off")


def _parse(name: str, text: str) -> Any:
    if isinstance(DEFAULTS.get(name), bool):
        return text.strip().lower() not in _FALSE
    return text


def environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings the environment gives (empty variables count as unset)."""
    environ = os.environ if environ is None else environ
    return {name: _parse(name, environ[variable])
            for variable, name in ENVIRONMENT_VARIABLES.items() if environ.get(variable)}


def setting(source: Any, name: str) -> Any:
    """``name`` from ``source`` (Scrapy settings or a mapping), else the environment, else its default.

    Empty values count as unset, so ``MONGO_URI=`` in a shell means "embedded".
    """
    value = source.get(name) if source is not None else None
    if value in (None, ""):
        value = environment().get(name)
    return DEFAULTS.get(name) if value in (None, "") else value


# The directory holding the package: a checkout (or an editable install) when it has the
# project's pyproject.toml beside the package, not a site-packages directory or a Scrapyd egg.
CHECKOUT = Path(__file__).resolve().parent.parent
APP_NAME = "newscrawler"


def checkout_data_dir() -> Path | None:
    """The checkout's own ``data/`` when it exists (where earlier versions kept the archive)."""
    candidate = CHECKOUT / "data"
    return candidate if (CHECKOUT / "pyproject.toml").is_file() and candidate.is_dir() else None


def user_data_dir() -> Path:
    """The per-user data directory by platform convention: ``~/.local/share/newscrawler`` on
    Linux (``$XDG_DATA_HOME`` honoured), ``~/Library/Application Support/newscrawler`` on
    macOS, ``%LOCALAPPDATA%\\newscrawler`` on Windows."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def data_dir(source: Any = None) -> Path:
    """The data directory, absolute: the embedded server, the spool and the state file must agree
    even if the process later changes directory.

    ``NEWSCRAWLER_DATA_DIR`` (a setting or the environment; relative to the current directory)
    wins; else the checkout's ``data/`` if it exists; else :func:`user_data_dir`.
    """
    configured = setting(source, "NEWSCRAWLER_DATA_DIR")
    if configured:
        return Path(str(configured)).expanduser().resolve()
    return (checkout_data_dir() or user_data_dir()).resolve()


def db_port(source: Any = None) -> int | None:
    """``NEWSCRAWLER_DB_PORT`` as a port number, None when unset; ValueError naming it when
    it is no port."""
    value = setting(source, "NEWSCRAWLER_DB_PORT")
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"NEWSCRAWLER_DB_PORT must be a port number (1-65535), not {value!r}")
    return int(text)


def warc_dir(source: Any = None) -> Path:
    """``WARC_DIR``, else ``<data dir>/warc``; absolute."""
    configured = setting(source, "WARC_DIR")
    if configured:
        return Path(str(configured)).expanduser().resolve()
    return data_dir(source) / "warc"


def images_store(source: Any = None) -> str:
    """``IMAGES_STORE``, else ``<data dir>/images``."""
    return str(setting(source, "IMAGES_STORE") or data_dir(source) / "images")
