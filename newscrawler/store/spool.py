"""A local spool for items that could not be written to MongoDB.

Why: a crawl must not lose what it fetched because the database was down for a while. The
MongoDB pipeline appends such items here and replays them on the next successful connection
(or the next run); the archive's writes are idempotent upserts keyed by ``article_id``, so a
document written twice is harmless and replay can be crash-safe rather than exactly-once.

Format: JSON Lines under the spool directory (``<data_dir>/spool/`` by convention), one file
per crawl (``<crawl_id>.jsonl``), each line MongoDB extended JSON (``bson.json_util``,
relaxed mode), so datetimes come back as tz-aware UTC datetimes and ObjectIds as ObjectIds.

Durability: every append is flushed to the OS at once (a crashing crawl loses nothing), and
fsync'd when ``fsync_every`` documents or ``fsync_interval`` seconds have gone by since the
last fsync (checked at each append), and at close: a power cut loses at most that batch.

Concurrency: a writer holds an exclusive flock on its file; replay skips files locked by
another live process (a concurrent crawl still appending), so it never deletes a file under a
writer, and a writer never waits: if its file is locked it spools under a new name. A file is
deleted only after ALL its documents were written; a replay interrupted half-way replays the
whole file again next time.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from datetime import timezone
from pathlib import Path
from typing import IO, Any

from bson import json_util

from newscrawler.timeutil import new_run_id
from bson.json_util import JSONMode, JSONOptions

logger = logging.getLogger(__name__)

SUFFIX = ".jsonl"
BAD_SUFFIX = ".bad"  # a file with unreadable lines is kept under this name, never deleted
JSON_OPTIONS = JSONOptions(json_mode=JSONMode.RELAXED, tz_aware=True, tzinfo=timezone.utc)


def spool_directory(data_dir: str | os.PathLike) -> Path:
    """The spool directory of a project data directory (``<data_dir>/spool``)."""
    return Path(data_dir) / "spool"


class Spool:
    """Spool files in ``directory``; appends go to the file of ``crawl_id``.

    Not thread-safe (Scrapy pipelines run in the reactor thread). Use as a context manager
    or call :meth:`close` so the last batch is fsync'd and the file lock released.
    """

    def __init__(self, directory: str | os.PathLike, crawl_id: str | None = None,
                 fsync_every: int = 100, fsync_interval: float = 2.0):
        self.directory = Path(directory)
        self.crawl_id = crawl_id or new_run_id()
        self._name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.crawl_id)
        self.fsync_every = fsync_every
        self.fsync_interval = fsync_interval
        self._fh: IO[str] | None = None
        self._unsynced = 0
        self._last_sync = time.monotonic()

    @property
    def path(self) -> Path:
        """This crawl's spool file (crawl ids are made filename-safe)."""
        return self.directory / f"{self._name}{SUFFIX}"

    def append(self, doc: dict[str, Any]) -> None:
        """Add one document to this crawl's spool file."""
        fh = self._open()
        fh.write(json_util.dumps(doc, json_options=JSON_OPTIONS, ensure_ascii=False) + "\n")
        fh.flush()
        self._unsynced += 1
        if self._unsynced >= self.fsync_every or time.monotonic() - self._last_sync >= self.fsync_interval:
            self._sync()

    def pending(self) -> int:
        """Number of documents waiting in all spool files of the directory."""
        total = 0
        for path in self._files():
            try:
                with open(path, "rb") as fh:
                    total += sum(1 for line in fh if line.strip() and line.endswith(b"\n"))
            except FileNotFoundError:
                continue  # replayed meanwhile
        return total

    def replay(self, write_fn: Callable[[list[dict[str, Any]]], Any], batch_size: int = 100) -> int:
        """Write every spooled document with ``write_fn(docs)``, batch by batch; returns the count.

        Files go oldest first; each is deleted once all its batches were written. If
        ``write_fn`` raises (the server went away again), the exception propagates and the
        current file and all later ones stay for the next replay. Files another process is
        still appending to are skipped.
        """
        self.close()  # our own file is replayed too: release its lock first
        replayed = 0
        for path in self._files():
            try:
                fh = open(path, encoding="utf-8")
            except FileNotFoundError:
                continue  # replayed meanwhile by another process
            with fh:
                if not _try_lock(fh):
                    logger.info("spool file %s is in use by another process; not replaying it", path)
                    continue
                if not _is_current(fh, path):
                    continue  # replayed and deleted while we waited for the lock
                docs, bad_lines = _read_docs(fh, path)
                for start in range(0, len(docs), batch_size):
                    write_fn(docs[start:start + batch_size])
                replayed += len(docs)
                if bad_lines:
                    kept = path.with_name(path.name + BAD_SUFFIX)
                    os.replace(path, kept)
                    logger.error("spool file %s had %d unreadable line(s); kept as %s", path, bad_lines, kept)
                else:
                    path.unlink(missing_ok=True)
            logger.info("replayed %d spooled document(s) from %s", len(docs), path)
        return replayed

    def close(self) -> None:
        """fsync and close this crawl's file (releasing its lock); appending reopens it."""
        if self._fh is not None:
            self._sync()
            self._fh.close()  # closing the descriptor releases the flock
            self._fh = None

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open(self) -> IO[str]:
        if self._fh is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            while True:
                fh = open(self.path, "a", encoding="utf-8")
                if not _try_lock(fh):
                    # Another writer (the same crawl id twice?) or a replay holds this file:
                    # never wait on them, spool under a name of our own.
                    fh.close()
                    self._name = f"{self._name}-{uuid.uuid4().hex[:6]}"
                    continue
                if _is_current(fh, self.path):
                    break  # locked: replays elsewhere leave this file alone
                fh.close()  # a replay deleted the file between our open and our lock: reopen
            _fsync_directory(self.directory)  # the new file's name must survive a power cut too
            self._fh = fh
            self._last_sync = time.monotonic()
        return self._fh

    def _sync(self) -> None:
        if self._fh is not None and self._unsynced:
            self._fh.flush()
            os.fsync(self._fh.fileno())
        self._unsynced = 0
        self._last_sync = time.monotonic()

    def _files(self) -> list[Path]:
        """Spool files, oldest first, so documents are replayed in the order they were spooled."""
        files = []
        for path in self.directory.glob(f"*{SUFFIX}") if self.directory.is_dir() else ():
            try:
                files.append((path.stat().st_mtime, path.name, path))
            except FileNotFoundError:
                continue
        return [path for _mtime, _name, path in sorted(files)]


def _is_current(fh: IO[str], path: Path) -> bool:
    """True if the open file is still the one at ``path`` (not unlinked or replaced)."""
    try:
        return os.fstat(fh.fileno()).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _try_lock(fh: IO[str]) -> bool:
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _read_docs(fh: IO[str], path: Path) -> tuple[list[dict[str, Any]], int]:
    """The documents of a spool file and the number of unreadable lines.

    A last line without its newline is a write cut short by a crash: dropped with a warning
    (its item was never acknowledged as spooled). Any other unreadable line is counted so the
    caller keeps the file for a human to look at.
    """
    docs: list[dict[str, Any]] = []
    bad = 0
    for number, line in enumerate(fh, start=1):
        if not line.endswith("\n"):
            logger.warning("%s: ignoring a truncated last line (a crash while spooling)", path)
            break
        if not line.strip():
            continue
        try:
            docs.append(json_util.loads(line, json_options=JSON_OPTIONS))
        except ValueError as exc:
            bad += 1
            logger.error("%s:%d: unreadable spooled document: %s", path, number, exc)
    return docs, bad


__all__ = ["Spool", "spool_directory"]
