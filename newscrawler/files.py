"""File system steps the archive's durability rests on (no framework: any layer may use them)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def fsync_directory(directory: str | os.PathLike) -> None:
    """Make new or renamed directory entries durable (a file fsynced in a directory that is not
    can vanish in a crash of the machine). Some file systems refuse it: nothing more to do there."""
    try:
        fd = os.open(Path(directory), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class FileLock:
    """An exclusive, non-blocking ``fcntl.flock`` on a file (created, with its directory). The
    kernel drops it when the holder exits, however it ends (kill -9 included), so a crashed
    holder never blocks the next one. Local to one machine (flock on NFS is not reliable)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock; False when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                os.close(self.fd)
                self.fd = None


@contextlib.contextmanager
def replaced_atomically(path: str | Path, newline: str | None = None) -> Iterator[IO[str]]:
    """A UTF-8 text file that replaces ``path`` only once the block ends without error.

    Written to ``.<name>.<random>.partial`` in the same directory (hidden, so neither Hexo,
    a glob for ``*.csv`` nor a replay tool reading ``*.cdxj`` takes it for the real file; same
    file system, so the rename is atomic), flushed and fsynced, then renamed over ``path``. On error it is removed and
    ``path`` is untouched. The file gets the usual permissions (umask), not mkstemp's 0600.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(fd, "w", encoding="utf-8", newline=newline) as fp:
            yield fp
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
