"""File system steps the archive's durability rests on (no framework: any layer may use them)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


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
