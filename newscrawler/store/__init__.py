"""The MongoDB archive: which server, its indexes, the write path and the offline spool.

- ``connection``: ``resolve_mongo_uri`` (MONGO_URI, else the embedded server), ``get_client``,
  ``get_database``, ``redact_uri`` (use it for every URI that is printed or logged).
- ``embedded``: the local SecantusDB started (and reused) when no MONGO_URI is set.
- ``indexes``: ``ensure_indexes`` and which query shapes the indexes serve.
- ``store``: ``ArticleStore``, the pipeline's write path; pymongo failures become
  ``ArchiveUnavailable``.
- ``spool``: JSON Lines for items written while MongoDB was unreachable, replayed later.
"""

from newscrawler.store.errors import (
    ArchiveConfigError,
    ArchiveError,
    ArchiveUnavailable,
    EmbeddedServerError,
)

__all__ = ["ArchiveConfigError", "ArchiveError", "ArchiveUnavailable", "EmbeddedServerError"]
