"""Faults injected into crawls run in a subprocess by tests/test_warc_write_ahead.py."""

from __future__ import annotations

import json
import os
import signal

from newscrawler.crawl.pipelines.mongodb import MongoPipeline

MONGO_PIPELINE = "newscrawler.crawl.pipelines.mongodb.MongoPipeline"


class KillAfterFirstWrite(MongoPipeline):
    """The crawl process dies (SIGKILL) right after its first batch reached MongoDB."""

    def _write(self, batch):
        super()._write(batch)
        os.kill(os.getpid(), signal.SIGKILL)


def pipelines_with(replacement: str) -> str:
    """The project's ITEM_PIPELINES with MongoPipeline replaced, as a ``-s`` value."""
    from newscrawler.crawl import settings

    pipelines = dict(settings.ITEM_PIPELINES)
    pipelines[replacement] = pipelines.pop(MONGO_PIPELINE)
    return json.dumps(pipelines)
