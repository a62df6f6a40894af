"""File system steps the archive's durability rests on (no framework: any layer may use them)."""

from __future__ import annotations

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
