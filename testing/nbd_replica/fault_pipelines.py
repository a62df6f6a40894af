"""Faults injected into crawls run in a subprocess (tests and the fault scenarios name these by
class path in ITEM_PIPELINES)."""

from __future__ import annotations

import errno
import json
import os
import signal

from newscrawler.crawl.pipelines.mongodb import MongoPipeline

MONGO_PIPELINE = "newscrawler.crawl.pipelines.mongodb.MongoPipeline"


def pipelines_with(replacement: str) -> str:
    """The project's ITEM_PIPELINES with MongoPipeline replaced by ``replacement``, as a ``-s`` value."""
    from newscrawler.crawl import settings

    pipelines = dict(settings.ITEM_PIPELINES)
    pipelines[replacement] = pipelines.pop(MONGO_PIPELINE)
    return json.dumps(pipelines)


class KillAfterFirstWrite(MongoPipeline):
    """The crawl process dies (SIGKILL) right after its first batch reached MongoDB."""

    def _write(self, batch):
        super()._write(batch)
        os.kill(os.getpid(), signal.SIGKILL)


class DiskFull:
    """A file on a full disk: a write puts part of its bytes down, then fails ENOSPC."""

    def __init__(self, fh):
        self._fh = fh

    def write(self, data):
        self._fh.write(bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self._fh, name)
