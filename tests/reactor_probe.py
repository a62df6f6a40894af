"""A probe loaded into crawls run in a subprocess by tests/test_scrapy_commands.py: which of the
crawl's components reach MongoDB on the reactor thread.

Every MongoDB operation of a crawl goes through its archive session's connection
(``CrawlArchive._connect``, for ``_using`` and ``store`` alike); the probe wraps it and notes,
for each call made on the main thread (the reactor's, in `scrapy crawl`), the crawl-layer
function that asked. At the end they are written as JSON to ``REACTOR_PROBE_FILE``.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from scrapy import signals

from newscrawler.crawl.context import CrawlContext

CRAWL_LAYER = str(Path(__file__).resolve().parents[1] / "newscrawler" / "crawl")


def crawl_caller() -> str:
    """``module.py:function`` of the innermost crawl-layer frame on the stack."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(CRAWL_LAYER):
            return f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}"
        frame = frame.f_back
    return "?"


class ReactorThreadProbe:
    def __init__(self, crawler):
        self.path = crawler.settings.get("REACTOR_PROBE_FILE")
        self.on_reactor: set[str] = set()
        archive = CrawlContext.of(crawler).archive
        connect = archive._connect

        def probed_connect():
            if threading.current_thread() is threading.main_thread():
                self.on_reactor.add(crawl_caller())
            return connect()

        archive._connect = probed_connect

    @classmethod
    def from_crawler(cls, crawler):
        probe = cls(crawler)
        crawler.signals.connect(probe.engine_stopped, signal=signals.engine_stopped)
        return probe

    def engine_stopped(self):
        Path(self.path).write_text(json.dumps(sorted(self.on_reactor)))
