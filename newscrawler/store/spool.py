"""A local spool for items that could not be written to MongoDB.

Why: a crawl must not lose what it fetched because the database was down for a while. The
MongoDB pipeline appends such items here and replays them on the next successful connection
(or the next run); the archive's writes are idempotent upserts keyed by ``article_id``, so a
document written twice is harmless and replay can be crash-safe rather than exactly-once.

Format: JSON Lines under the spool directory (``<data_dir>/spool/`` by convention), one file
per crawl (``<crawl_id>.jsonl``), each line MongoDB extended JSON (``bson.json_util``,
relaxed mode), so datetimes come back as tz-aware UTC datetimes and ObjectIds as ObjectIds.

Durability: every append is written to the OS at once, unbuffered (a crashing crawl loses
nothing), and fsync'd when ``fsync_every`` documents or ``fsync_interval`` seconds have gone by
since the last fsync (checked at each append), and at close: a power cut loses at most that
batch. A write that fails (disk full) raises ``OSError`` and is cut off the file again, so a
batch is spooled whole or not at all and the next append starts on a line of its own.

Reading: the file is read as bytes and decoded line by line. A last line without its newline
(a write cut short by a crash) is skipped and counted; a complete line that is not UTF-8 JSON
is kept aside in ``<file>.bad`` (never replayed, never deleted) and counted.

Concurrency: a writer holds an exclusive flock on its file; replay skips files locked by
another live process (a concurrent crawl still appending), so it never deletes a file under a
writer, and a writer never waits: if its file is locked it spools under a new name. A file is
deleted only after ALL its documents were written; a replay interrupted half-way replays the
whole file again next time.

Threads: one ``Spool`` is shared by the crawl's reactor thread (rejects) and the MongoDB
pipeline's worker thread (batches, replays). Its open file and counters are guarded by one lock
(appends, fsyncs, close); a replay takes it only to close this spool's own file and then
relies on the file locks above, so an append during a replay goes to a file of its own.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
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

    Thread-safe (see the module's doc). Use as a context manager or call :meth:`close` so the
    last batch is fsync'd and the file lock released. ``torn_lines`` and ``bad_lines`` count
    what replays skipped and kept aside.
    """

    def __init__(self, directory: str | os.PathLike, crawl_id: str | None = None,
                 fsync_every: int = 100, fsync_interval: float = 2.0):
        self.directory = Path(directory)
        self.crawl_id = crawl_id or new_run_id()
        self._name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.crawl_id)
        self.fsync_every = fsync_every
        self.fsync_interval = fsync_interval
        self._fh: IO[bytes] | None = None
        self._unsynced = 0
        self._last_sync = time.monotonic()
        self._lock = threading.RLock()
        self.torn_lines = 0
        self.bad_lines = 0

    @property
    def path(self) -> Path:
        """This crawl's spool file (crawl ids are made filename-safe)."""
        return self.directory / f"{self._name}{SUFFIX}"

    def append(self, doc: dict[str, Any]) -> None:
        """Add one document to this crawl's spool file; raises OSError if it could not."""
        self.append_many([doc])

    def append_many(self, docs: list[dict[str, Any]]) -> None:
        """Add documents in one write: all are spooled, or (OSError raised) none is."""
        data = b"".join(json_util.dumps(doc, json_options=JSON_OPTIONS, ensure_ascii=False).encode("utf-8")
                        + b"\n" for doc in docs)
        with self._lock:
            fh = self._open()
            _append_bytes(fh, data)
            self._unsynced += len(docs)
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
                fh = open(path, "rb")
            except FileNotFoundError:
                continue  # replayed meanwhile by another process
            with fh:
                if not _try_lock(fh):
                    logger.info("spool file %s is in use by another process; not replaying it", path)
                    continue
                if not _is_current(fh, path):
                    continue  # replayed and deleted while we waited for the lock
                docs, bad_lines, torn = _read_docs(fh, path)
                for start in range(0, len(docs), batch_size):
                    write_fn(docs[start:start + batch_size])
                replayed += len(docs)
                with self._lock:
                    self.torn_lines += torn
                if bad_lines and not self._keep_aside(path, bad_lines):
                    continue  # the file stays (replayed again next time): its bad lines are not lost
                path.unlink(missing_ok=True)
            logger.info("replayed %d spooled document(s) from %s", len(docs), path)
        return replayed

    def close(self) -> None:
        """fsync and close this crawl's file (releasing its lock); appending reopens it."""
        with self._lock:
            if self._fh is not None:
                try:
                    self._sync()
                finally:
                    self._fh.close()  # closing the descriptor releases the flock
                    self._fh = None

    def _keep_aside(self, path: Path, bad_lines: list[bytes]) -> bool:
        """Append unreadable lines to ``<file>.bad``; False if that failed too."""
        kept = path.with_name(path.name + BAD_SUFFIX)
        try:
            with open(kept, "ab", buffering=0) as fh:
                _append_bytes(fh, b"".join(bad_lines))
                os.fsync(fh.fileno())
        except OSError as exc:
            logger.error("spool file %s has %d unreadable line(s) that could not be kept aside in %s (%s): "
                         "the file stays", path, len(bad_lines), kept, exc)
            return False
        with self._lock:
            self.bad_lines += len(bad_lines)
        logger.error("spool file %s had %d unreadable line(s): kept in %s", path, len(bad_lines), kept)
        return True

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open(self) -> IO[bytes]:
        if self._fh is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            while True:
                fh = open(self.path, "ab", buffering=0)  # unbuffered: a failed write is seen at once
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


def _append_bytes(fh: IO[bytes], data: bytes) -> None:
    """Write ``data`` at the end of an unbuffered file, all of it or (OSError raised) none.

    A write cut short (disk full) is truncated off again, so the file keeps ending with a whole
    line; if even that fails, the next append starts a new line, and the cut-off bytes become one
    unreadable line, kept aside at replay."""
    start = os.fstat(fh.fileno()).st_size
    view = memoryview(data)
    try:
        while view:
            view = view[fh.write(view):]
    except OSError:
        try:
            os.ftruncate(fh.fileno(), start)
        except OSError:
            os.write(fh.fileno(), b"\n")  # best effort: end the torn line
        raise


def _is_current(fh: IO[Any], path: Path) -> bool:
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


def _try_lock(fh: IO[Any]) -> bool:
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _read_docs(fh: IO[bytes], path: Path) -> tuple[list[dict[str, Any]], list[bytes], int]:
    """(documents, unreadable lines, 1 if the last line was torn else 0) of a spool file.

    Read as bytes and decoded line by line: a write cut short may end inside a multi-byte
    character. A last line without its newline is such a write (a crash or a full disk): skipped
    with a warning (its item was never acknowledged as spooled). Any other unreadable line is
    returned, for the caller to keep aside.
    """
    docs: list[dict[str, Any]] = []
    bad: list[bytes] = []
    for number, line in enumerate(fh, start=1):
        if not line.endswith(b"\n"):
            logger.warning("%s: ignoring a truncated last line of %d bytes (a crash or a full disk while "
                           "spooling)", path, len(line))
            return docs, bad, 1
        if not line.strip():
            continue
        try:
            docs.append(json_util.loads(line.decode("utf-8"), json_options=JSON_OPTIONS))
        except ValueError as exc:  # UnicodeDecodeError is a ValueError too
            bad.append(line)
            logger.error("%s:%d: unreadable spooled document: %s", path, number, exc)
    return docs, bad, 0


__all__ = ["Spool", "spool_directory"]
