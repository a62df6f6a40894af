"""CDXJ indexes beside the WARC files, so replay tools (pywb, ReplayWeb.page) find every page.

A CDXJ index lists one line per ``response`` record, sorted (replay tools binary-search it)::

    cn,com,nbd)/articles/2024-12-03/3704821.html 20241203021500 {"url": ..., "mime": ...,
        "status": "200", "digest": "sha1:...", "length": "466", "offset": "357", "filename": ...}

Each WARC file gets its own, ``<name>.cdxj`` beside ``<name>.warc.gz`` (:func:`index_path`),
written whole or not at all (a temporary file renamed over it), so a replay tool pointed at
the WARC directory (pywb's ``index_paths``) never reads half an index. The lines are made by
cdxj-indexer, the Webrecorder tool (SURT keys, its field names and order), in two ways:

- by the crawl, as it writes (:class:`IncrementalIndex`): the writer hands each record it has
  just built, with its offset and length, to cdxj-indexer's line builder, and writes the sorted
  lines when it closes the file. Reading a finished file back to index it costs about as much
  as decompressing it all (``benchmarks/bench_replay.py`` prints both), which the writer thread
  would spend while pages wait: the incremental lines cost a line's formatting per record.
- for files already on disk (``newscrawler warc index``; a file a crashed crawl left without
  one): :func:`write_index` reads the file with cdxj-indexer itself.

Both give the same bytes for the same file (``tests/test_replay.py`` checks it).
"""

from __future__ import annotations

import io
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from newscrawler.files import replaced_atomically

with warnings.catch_warnings():
    # cdxj-indexer imports PyAMF (for Flash requests), which imports pkg_resources: a
    # DeprecationWarning on every first import that says nothing about our use.
    warnings.filterwarnings("ignore", "pkg_resources is deprecated", DeprecationWarning)
    from cdxj_indexer.main import CDXJIndexer

WARC_SUFFIX = ".warc.gz"
INDEX_SUFFIX = ".cdxj"
# The record types cdxj-indexer indexes by default, named here: importing the wacz package
# appends "warcinfo" to cdxj-indexer's own default list (a module-level change of its class).
INDEXED_RECORDS = "response,revisit,resource,metadata"


def index_path(warc_path: str | os.PathLike) -> Path:
    """``<dir>/<name>.cdxj`` for ``<dir>/<name>.warc.gz`` (any other name: ``<name>.cdxj``)."""
    path = Path(warc_path)
    name = path.name
    stem = name[: -len(WARC_SUFFIX)] if name.endswith(WARC_SUFFIX) else name
    return path.with_name(stem + INDEX_SUFFIX)


def is_current(warc_path: str | os.PathLike) -> bool:
    """Whether the WARC file's index exists and was written after the file last changed."""
    index = index_path(warc_path)
    try:
        return index.stat().st_mtime_ns >= Path(warc_path).stat().st_mtime_ns
    except FileNotFoundError:
        return False


@dataclass(frozen=True)
class IndexResult:
    path: Path      # the index written
    lines: int


def write_index(warc_path: str | os.PathLike, *, root: str | os.PathLike | None = None,
                only_offsets: set[int] | None = None) -> IndexResult:
    """Index a WARC file on disk with cdxj-indexer into :func:`index_path` (replacing it).

    ``filename`` in the lines is the WARC's path relative to ``root`` (default: its own
    directory, so the bare name), as replay tools resolve it against their archive paths.
    ``only_offsets``: index only the records at these offsets (the whole records of a damaged
    file: warcio reads a record cut short by a crash without complaint). Raises OSError, or
    cdxj-indexer's (warcio's) error on a file it cannot read; the earlier index then stays.
    """
    warc_path = Path(warc_path)
    out = io.StringIO()
    indexer = CDXJIndexer(out, [str(warc_path)], sort=True, records=INDEXED_RECORDS,
                          dir_root=str(root) if root is not None else str(warc_path.parent))
    indexer.process_all()
    lines = out.getvalue().splitlines(keepends=True)
    if only_offsets is not None:
        lines = [line for line in lines if int(json.loads(line.split(" ", 2)[2])["offset"]) in only_offsets]
    target = index_path(warc_path)
    with replaced_atomically(target, newline="\n") as fp:
        fp.writelines(lines)
    return IndexResult(target, len(lines))


class _At:
    """What cdxj-indexer asks its record iterator for a line: the record's offset and length."""

    def __init__(self, offset: int, length: int):
        self.offset, self.length = offset, length

    def get_record_offset(self) -> int:
        return self.offset

    def get_record_length(self) -> int:
        return self.length


class IncrementalIndex:
    """The CDXJ lines of one WARC file being written, made by cdxj-indexer from each record
    as it is written (the record object warcio built, before it is dropped), kept in memory
    (a few hundred bytes a record) and written sorted by :meth:`write`."""

    def __init__(self, warc_path: str | os.PathLike):
        self.warc_path = Path(warc_path)
        self._lines = io.StringIO()
        self._indexer = CDXJIndexer(self._lines, [], records=INDEXED_RECORDS)
        self._indexer.curr_filename = self.warc_path.name
        self.count = 0

    def add(self, record, offset: int, length: int) -> None:
        """One record just written at ``offset`` (its gzip member ``length`` bytes long);
        its WARC headers must hold its digests (warcio adds them as it writes)."""
        if self._indexer.filter_record(record):
            self._indexer.process_index_entry(_At(offset, length), record, self.warc_path.name, self._lines)
            self.count += 1

    def write(self) -> IndexResult:
        """Write the sorted index beside the WARC file (replacing any earlier one)."""
        lines = sorted(self._lines.getvalue().splitlines(keepends=True))
        target = index_path(self.warc_path)
        with replaced_atomically(target, newline="\n") as fp:
            fp.writelines(lines)
        return IndexResult(target, len(lines))


__all__ = ["INDEX_SUFFIX", "IncrementalIndex", "IndexResult", "index_path", "is_current", "write_index"]
