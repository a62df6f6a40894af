"""Scrapy add-ons of the project (``ADDONS`` in settings.py).

They run after every setting is known (settings.py, ``-s NAME=VALUE``, Scrapyd's ``setting=``),
so they can derive settings from others. They import nothing optional unless asked: the Redis
add-on loads ``distributed.py`` (scrapy-redis) only when REDIS_URL is set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from scrapy.utils.conf import build_component_list

from newscrawler import config

# Components whose order decides correctness: each pair is (must run first, then).
# Extensions: spider_closed handlers start in load order (each runs to its first await before
# the next starts), so field coverage (when not counted at the pipelines' close already) is in
# the stats before Spidermon's monitors read it, and the alerts before the crawl record reads them.
EXTENSION_ORDER = (
    ("newscrawler.crawl.monitoring.CoverageStats", "spidermon.contrib.scrapy.extensions.Spidermon"),
    ("spidermon.contrib.scrapy.extensions.Spidermon", "newscrawler.crawl.extensions.CrawlRecord"),
)
# Pipelines: the coverage tally sees each item before the MongoDB pipeline batches it.
PIPELINE_ORDER = (
    ("newscrawler.crawl.monitoring.CoveragePipeline", "newscrawler.crawl.pipelines.mongodb.MongoPipeline"),
)


class DataDirDefaults:
    """``IMAGES_STORE`` unset: ``<NEWSCRAWLER_DATA_DIR>/images``, for the data directory finally given
    (``-s NEWSCRAWLER_DATA_DIR=...``, as Scrapyd's ``setting=`` does, included)."""

    def update_settings(self, settings) -> None:
        if not settings.get("IMAGES_STORE"):
            settings.set("IMAGES_STORE", config.images_store(settings),
                         priority=settings.getpriority("IMAGES_STORE") or "addon")


class ComponentOrder:
    """Refuse to start a crawl whose settings put the order-dependent components out of order
    (a priority changed by a deployment would otherwise lose coverage, alerts or records silently)."""

    def update_settings(self, settings) -> None:
        for setting, pairs in (("EXTENSIONS", EXTENSION_ORDER), ("ITEM_PIPELINES", PIPELINE_ORDER)):
            order = build_component_list(settings.getwithbase(setting))
            for first, then in pairs:
                if first in order and then in order and order.index(first) > order.index(then):
                    raise ValueError(f"{setting}: {first} must come before {then} "
                                     f"(give it a lower priority number)")

class InsufficientDiskSpace(RuntimeError):
    """A disk the crawl writes to has less free space than NEWSCRAWLER_MIN_FREE_MB."""


class FreeSpaceFloor:
    """Refuse to start a crawl when a disk it writes to is under NEWSCRAWLER_MIN_FREE_MB:
    on a full disk the embedded database panics, and thumbnails, WARC records and the spool
    would be written in part (``newscrawler crawl`` checks the same before it starts)."""

    def update_settings(self, settings) -> None:
        shortfall = free_space_shortfall(settings) or unwritable_directory(settings)
        if shortfall:
            raise InsufficientDiskSpace(shortfall)


def crawl_directories(settings) -> list[Path]:
    """The directories a crawl writes to: the data directory (embedded database, spool), the
    WARC directory when pages are archived, the thumbnail store when it is a directory."""
    directories = [config.data_dir(settings)]
    if settings.getbool("WARC_ENABLED"):
        directories.append(config.warc_dir(settings))
    store = config.images_store(settings)
    if "://" not in store or store.startswith("file://"):
        directories.append(Path(store.removeprefix("file://")).expanduser().resolve())
    return directories


def free_space_shortfall(settings) -> str | None:
    """One sentence naming the first crawl directory whose disk is under the floor; None if
    every one has room (or the floor is 0)."""
    floor_mb = settings.getint("NEWSCRAWLER_MIN_FREE_MB")
    if floor_mb <= 0:
        return None
    for directory in crawl_directories(settings):
        free_mb = shutil.disk_usage(_nearest_existing(directory)).free / 1024 ** 2
        if free_mb < floor_mb:
            return (f"not starting the crawl: the disk of {directory} has {free_mb:.0f} MB free, under "
                    f"NEWSCRAWLER_MIN_FREE_MB={floor_mb} (free some space, or lower the setting)")
    return None


def unwritable_directory(settings) -> str | None:
    """One sentence naming the first crawl directory this process cannot write (a read-only
    disk, another user's directory: asked of it, or of the parent it would be created in);
    None when it can write to each. Checked before the crawl starts, rather than failing in the
    embedded server's start, the thumbnail store and the WARC writer, each with a traceback."""
    for directory in crawl_directories(settings):
        existing = _nearest_existing(directory)
        if not os.access(existing, os.W_OK | os.X_OK):
            read_only = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
            why = "a read-only file system" if read_only else "no permission to write there"
            return (f"not starting the crawl: cannot write to {directory} ({why}); point "
                    f"NEWSCRAWLER_DATA_DIR (or WARC_DIR, IMAGES_STORE) at a directory this user can write")
    return None


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest existing parent (a directory the crawl would create)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def redis_url(settings) -> str | None:
    """``REDIS_URL`` from the settings, else the environment; empty means unset."""
    return config.setting(settings, "REDIS_URL")


def redact_redis_url(url: str | None) -> str:
    """``redis://:secret@host:6379/0`` -> ``redis://***@host:6379/0``."""
    if not url or "@" not in url:
        return url or ""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"


class DistributedCrawl:
    """Scrapy add-on: with REDIS_URL, the scrapy-redis scheduler and duplicate filter.

    Settings it sets (at add-on priority, so ``settings.py`` or ``-s`` win when they name
    them): SCHEDULER, DUPEFILTER_CLASS, SCHEDULER_PERSIST (True: a finishing worker must not
    delete the queue the others use; the last worker cleans up, see the module's doc),
    SCHEDULER_QUEUE_CLASS (priority queue: articles before list pages), REDIS_PARAMS (bounded
    waits, see :func:`redis_params`), REDIS_URL.
    """

    def update_settings(self, settings) -> None:
        url = redis_url(settings)
        if not url:
            return
        try:  # scrapy-redis is an optional dependency: imported only when asked for
            from newscrawler.crawl.distributed import redis_params
        except ImportError as exc:
            raise RuntimeError(f"REDIS_URL is set, but the several-machines crawl needs {exc.name}: "
                               "pip install 'newscrawler[distributed]'") from None
        if not settings.get("REDIS_URL"):  # from the environment after settings.py was read
            settings.set("REDIS_URL", url, priority="cmdline")
        for key, value in {
            "SCHEDULER": "newscrawler.crawl.distributed.RedisScheduler",
            "DUPEFILTER_CLASS": "newscrawler.crawl.distributed.ArticleDupeFilter",
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
            "REDIS_PARAMS": redis_params(settings),
        }.items():
            settings.set(key, value, priority="addon")
