"""The page archive: every fetched article and column page kept in standard WARC files.

- :mod:`.writer`: ``WarcFileWriter`` writes ``response`` (+ ``request``) records, one gzip
  member each, into size-rotated ``*.warc.gz`` files that start with a ``warcinfo`` record.
- ``newscrawler.crawl.middlewares.warc.WarcMiddleware``, the Scrapy downloader middleware that feeds the
  writer and tells the spider where each page went (``request.meta["warc"]``).
- :mod:`.reader`: read one record back by file and offset; check whole files (truncation).
- :mod:`.pointers`: check every article's pointer against the files; mark dangling ones for
  refetching.
- :mod:`.reextract`: run the current extractor over archived pages and archive what changed.
- :mod:`.cdxj`: the CDXJ index beside each WARC file (written by the writer as it finishes a
  file; ``newscrawler warc index`` for files without one), which replay tools (pywb) read.
- :mod:`.wacz`: a selection of articles' pages packaged as a WACZ file (``export wacz``).

Settings (``WARC_*``; ``WARC_FSYNC``: fsync the records before each MongoDB batch that points to
them) and their defaults: ``newscrawler/config.py``.

Middleware position 610 (above HttpCompression 590 and Redirect 600): see
``newscrawler.crawl.middlewares.warc`` for why.
"""

