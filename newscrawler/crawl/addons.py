"""Scrapy add-ons of the project (``ADDONS`` in settings.py).

They run after every setting is known (settings.py, ``-s NAME=VALUE``, Scrapyd's ``setting=``),
so they can derive settings from others. The Redis add-on lives in ``distributed.py``.
"""

from __future__ import annotations

from newscrawler import config


class DataDirDefaults:
    """``IMAGES_STORE`` unset: ``<NEWSCRAWLER_DATA_DIR>/images``, for the data directory finally given
    (``-s NEWSCRAWLER_DATA_DIR=...``, as Scrapyd's ``setting=`` does, included)."""

    def update_settings(self, settings) -> None:
        if not settings.get("IMAGES_STORE"):
            settings.set("IMAGES_STORE", config.images_store(settings),
                         priority=settings.getpriority("IMAGES_STORE") or "addon")
