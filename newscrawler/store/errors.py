"""Exceptions of the archive layer.

One small hierarchy so callers decide by type, not by parsing pymongo messages: the MongoDB
pipeline catches :class:`ArchiveUnavailable` and spools items instead of losing them; anything
else is a real bug or a configuration mistake and should stop the run. Messages never carry
credentials: every URI in them has gone through ``connection.redact_uri``.
"""

from __future__ import annotations


class ArchiveError(Exception):
    """Base class of every error raised by ``newscrawler.store``."""


class ArchiveConfigError(ArchiveError):
    """The archive is misconfigured (e.g. an invalid MONGO_URI): retrying or spooling won't help."""


class ArchiveUnavailable(ArchiveError):
    """MongoDB cannot be reached or refused the operation; the write may succeed later.

    ``uri`` is the redacted URI of the server that failed, for messages and logs.
    """

    def __init__(self, message: str, uri: str | None = None):
        super().__init__(message)
        self.uri = uri


class EmbeddedServerError(ArchiveUnavailable):
    """The embedded SecantusDB server could not be started, reached or stopped.

    A subclass of :class:`ArchiveUnavailable` so that a crawl whose embedded server won't come
    up spools its items (and says why) rather than dropping them.
    """
