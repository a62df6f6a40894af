"""Scrapy add-ons of the project (``ADDONS`` in settings.py).

They run after every setting is known (settings.py, ``-s NAME=VALUE``, Scrapyd's ``setting=``),
so they can derive settings from others. The Redis add-on lives in ``distributed.py``.
"""

from __future__ import annotations

from scrapy.utils.conf import build_component_list

from newscrawler import config

# Components whose order decides correctness: each pair is (must run first, then).
# Extensions: spider_closed handlers run in load order, so field coverage is in the stats before
# Spidermon's monitors read it, and the alerts before the crawl record is written.
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
