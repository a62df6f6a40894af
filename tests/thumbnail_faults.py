"""A thumbnail pipeline whose store fails one write, for crawls run in a subprocess.

``-s ITEM_PIPELINES=...`` (see :func:`pipelines_with_failing_store`) puts it in place of the
product's; the TEST_THUMBNAIL_FAIL_AT-th file the process stores fails as a full disk would.
"""

from __future__ import annotations

import errno
import json

from newscrawler.crawl import settings as project
from newscrawler.crawl.pipelines.thumbnails import ThumbnailPipeline

PRODUCT = "newscrawler.crawl.pipelines.thumbnails.ThumbnailPipeline"


class FailingStoreThumbnailPipeline(ThumbnailPipeline):
    def __init__(self, store_uri, *, crawler=None, **kwargs):
        super().__init__(store_uri, crawler=crawler, **kwargs)
        fail_at = crawler.settings.getint("TEST_THUMBNAIL_FAIL_AT", 3)
        persist, calls = self.store.persist_file, []

        def persist_file(path, buf, info, meta=None, headers=None):
            calls.append(path)
            if len(calls) == fail_at:
                raise OSError(errno.ENOSPC, "No space left on device", path)
            return persist(path, buf, info, meta=meta, headers=headers)

        self.store.persist_file = persist_file


def pipelines_with_failing_store() -> str:
    """The project's ITEM_PIPELINES, the thumbnail pipeline replaced by the failing one (JSON)."""
    pipelines = dict(project.ITEM_PIPELINES)
    pipelines[f"{__name__}.FailingStoreThumbnailPipeline"] = pipelines.pop(PRODUCT)
    return json.dumps(pipelines)
