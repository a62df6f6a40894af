"""The page archive: every fetched article and column page kept in standard WARC files.

- :mod:`.writer`: ``WarcFileWriter`` writes ``response`` (+ ``request``) records, one gzip
  member each, into size-rotated ``*.warc.gz`` files that start with a ``warcinfo`` record.
- :mod:`newscrawler.crawl.middlewares.warc`: ``WarcMiddleware``, the Scrapy downloader
  middleware that feeds the writer and tells the spider where each page went
  (``request.meta["warc"]``).
- :mod:`.reader`: read one record back by file and offset; check whole files (truncation).
- :mod:`.pointers`: check every article's pointer against the files; mark dangling ones for
  refetching.
- :mod:`.reextract`: run the current extractor over archived pages and archive what changed.

Settings: ``WARC_ENABLED`` (default True), ``WARC_DIR`` (default ``<NEWSCRAWLER_DATA_DIR>/warc``),
``WARC_MAX_SIZE`` (bytes per file before rotating, default 1 GiB), ``WARC_PREFIX``
(file name prefix, default ``newscrawler``), ``WARC_GZIP_LEVEL`` (default 3),
``WARC_FLUSH_INTERVAL`` (seconds between flushes of the write buffer to the OS, default 5),
``WARC_FSYNC`` (fsync the records before each MongoDB batch that points to them, default True),
``WARC_WRITER_THREAD`` (build and compress records in a writer thread, default False).

Middleware position 610 (above HttpCompression 590 and Redirect 600): see
:mod:`newscrawler.crawl.middlewares.warc` for why.
"""

from __future__ import annotations

from pathlib import Path

from newscrawler.store.connection import get_setting, resolve_data_dir

DEFAULT_MAX_SIZE = 1024 ** 3
DEFAULT_PREFIX = "newscrawler"
DEFAULT_GZIP_LEVEL = 3
DEFAULT_FLUSH_INTERVAL = 5.0


def resolve_warc_dir(source=None) -> Path:
    """``WARC_DIR`` (setting, else environment), else ``<NEWSCRAWLER_DATA_DIR>/warc``; absolute."""
    configured = get_setting(source, "WARC_DIR")
    if configured:
        return Path(str(configured)).expanduser().resolve()
    return resolve_data_dir(source) / "warc"
