"""Scrapy add-ons of the project (``ADDONS`` in settings.py).

They run after every setting is known (settings.py, ``-s NAME=VALUE``, Scrapyd's ``setting=``),
so they can derive settings from others. The Redis add-on lives in ``distributed.py``.
"""

from __future__ import annotations

import os

from scrapy.settings import SETTINGS_PRIORITIES


class DataDirDefaults:
    """``IMAGES_STORE`` follows ``NEWSCRAWLER_DATA_DIR`` unless it was given itself.

    settings.py derives ``IMAGES_STORE`` from the data directory when it is imported, from the
    environment; a data directory given later (``-s NEWSCRAWLER_DATA_DIR=...``, as Scrapyd's
    ``setting=`` does) would otherwise leave the thumbnails in ``./data/images``.
    """

    def update_settings(self, settings) -> None:
        if os.environ.get("IMAGES_STORE"):
            return
        priority = settings.getpriority("IMAGES_STORE") or 0
        if priority > SETTINGS_PRIORITIES["project"]:
            return  # given on the command line
        data_dir = settings.get("NEWSCRAWLER_DATA_DIR")
        if data_dir and settings.getpriority("NEWSCRAWLER_DATA_DIR") > SETTINGS_PRIORITIES["project"]:
            settings.set("IMAGES_STORE", os.path.join(str(data_dir), "images"), priority=priority)
