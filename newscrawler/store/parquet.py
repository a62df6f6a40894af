"""Archived articles as Parquet (pyarrow): one row per article, typed columns, for pandas,
DuckDB, Spark and the like.

The columns are the article record's fields (``record.ArticleRecord``, in its order; not
``extraction_error``, which only a rejected record has), typed from the record's own
annotations, then the archive's own fields (:data:`ARCHIVE_COLUMNS`):

- ``int`` -> int64; ``str`` -> string (UTF-8, Chinese text as it is);
- ``datetime`` -> ``timestamp[us, tz=UTC]`` (the archive keeps UTC; readers show it as UTC);
- ``list[str]`` -> ``list<string>`` (``authors``, ``tags``, ``keywords``, ``images``),
  ``list[int]`` -> ``list<int64>`` (``pages_missing``);
- ``dict`` (``extraction``, ``thumbnail``, ``warc``) -> a JSON string, times in it as UTC ``...Z``
  (their shapes vary: ``warc`` is a pointer or a ``missing`` marker). DuckDB reads them with
  ``json_extract``, pandas with ``json.loads``.

Streaming: rows are gathered :data:`BATCH_ROWS` at a time, each batch written as one row group,
so an export of the whole archive holds one batch in memory, never the archive.

Two shapes: one file (``write_parquet(..., partition=None)``), or with ``partition="month"`` a
directory of hive-style partitions by the Beijing month of publication (the month the
``--since``/``--until`` filters think in), ``month=2024-12/part-00000.parquet``; articles
without a publication time go to ``month=none`` (not the hive convention for null,
``__HIVE_DEFAULT_PARTITION__``: pandas cannot read a dataset with it, pyarrow refusing to unify a
partition column's dictionary with nulls). Either is written under a hidden
name beside its target and renamed over it when complete (a failed export leaves the previous
one as it was).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newscrawler.files import fsync_directory
from newscrawler.record import FIELDS, ArticleRecord, json_value
from newscrawler.timeutil import BEIJING, UTC

PARTITIONS = ("month",)
BATCH_ROWS = 2_000  # rows a row group: a few tens of MB of article text in memory at most
COMPRESSION = "zstd"
NULL_PARTITION = "none"  # the month of articles without a publication time
# Fields of the record that are never in the archive (a record with one is rejected).
NOT_STORED = ("extraction_error",)
# What the archive adds to every article (ARCHITECTURE.md, "MongoDB schema").
ARCHIVE_COLUMNS: dict[str, type] = {
    "revision": int,
    "first_seen_at": dt.datetime,
    "last_crawled_at": dt.datetime,
    "updated_at": dt.datetime,
    "deleted_at": dt.datetime,
}
TIMESTAMP = pa.timestamp("us", tz="UTC")
_SCALARS = {int: pa.int64(), str: pa.string(), dt.datetime: TIMESTAMP, dict: pa.string()}


class ParquetTargetError(ValueError):
    """The target of a partitioned export is something other than an earlier such export."""


def _unwrap(hint: Any) -> Any:
    """``X`` of ``X | None``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        kinds = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(kinds) != 1:
            raise TypeError(f"no Parquet column type for {hint!r}")
        return kinds[0]
    return hint


def arrow_type(hint: Any) -> pa.DataType:
    """The Arrow type of a record field's annotation (``X | None`` is X, nullable)."""
    hint = _unwrap(hint)
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        return pa.list_(arrow_type(item))
    if hint in _SCALARS:
        return _SCALARS[hint]
    raise TypeError(f"no Parquet column type for {hint!r}")


def _column_hints() -> dict[str, Any]:
    """Column name -> annotation: the record's stored fields in order, then the archive's."""
    hints = typing.get_type_hints(ArticleRecord)
    columns = {f.name: hints[f.name] for f in FIELDS if f.name not in NOT_STORED}
    return {**columns, **ARCHIVE_COLUMNS}


_HINTS = _column_hints()
JSON_COLUMNS = frozenset(name for name, hint in _HINTS.items() if _unwrap(hint) is dict)
SCHEMA = pa.schema([(name, arrow_type(hint)) for name, hint in _HINTS.items()],
                   metadata={"newscrawler.json_columns": ",".join(sorted(JSON_COLUMNS))})
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(json_value(value), ensure_ascii=False)


class _Batch:
    """Rows gathered column by column until written as one record batch."""

    def __init__(self):
        self.columns: dict[str, list] = {name: [] for name in COLUMNS}
        self._plain = [(name, cells) for name, cells in self.columns.items() if name not in JSON_COLUMNS]
        self._json = [(name, cells) for name, cells in self.columns.items() if name in JSON_COLUMNS]
        self.ids: list = []

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, doc: Mapping[str, Any]) -> None:
        get = doc.get
        for name, cells in self._plain:
            cells.append(get(name))
        for name, cells in self._json:
            cells.append(_json_text(get(name)))
        self.ids.append(get("article_id"))

    def record_batch(self) -> pa.RecordBatch:
        arrays = []
        for field in SCHEMA:
            cells = self.columns[field.name]
            try:
                arrays.append(pa.array(cells, type=field.type))
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
                raise ValueError(self._culprit(field, exc)) from None
        return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)

    def _culprit(self, field: pa.Field, exc: Exception) -> str:
        """Which article's value the column refused (looked for only once a batch failed)."""
        for article_id, cell in zip(self.ids, self.columns[field.name]):
            try:
                pa.array([cell], type=field.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                return (f"article {article_id}: its {field.name} ({type(cell).__name__}) is not "
                        f"a {field.type} value")
        return f"column {field.name}: {exc}"


def partition_of(doc: Mapping[str, Any]) -> str:
    """``month=YYYY-MM`` by the Beijing month of publication (``month=none`` without one)."""
    published = doc.get("published_at")
    if not isinstance(published, dt.datetime):
        return f"month={NULL_PARTITION}"
    local = (published if published.tzinfo else published.replace(tzinfo=UTC)).astimezone(BEIJING)
    return f"month={local:%Y-%m}"


@dataclass
class ParquetReport:
    rows: int = 0
    files: int = 0
    row_groups: int = 0


def _open_writer(path: Path) -> pq.ParquetWriter:
    return pq.ParquetWriter(path, SCHEMA, compression=COMPRESSION)


def _close(writer: pq.ParquetWriter, path: Path) -> None:
    writer.close()
    with open(path, "rb") as fp:
        os.fsync(fp.fileno())


def write_parquet(articles: Iterable[Mapping[str, Any]], out: str | os.PathLike, *,
                  partition: str | None = None, batch_rows: int = BATCH_ROWS) -> ParquetReport:
    """Write ``articles`` (as ``queries.iter_articles`` yields them) to the Parquet file
    ``out``, or with ``partition="month"`` to the directory ``out`` (see the module's doc).

    Raises ValueError when an article holds a value its column cannot take (naming the
    article), ParquetTargetError when a partitioned export would replace a directory that is
    not an earlier one, OSError.
    """
    if partition is not None and partition not in PARTITIONS:
        raise ValueError(f"partition must be one of {', '.join(PARTITIONS)}, not {partition!r}")
    out = Path(out)
    if partition is None:
        return _write_file(articles, out, batch_rows)
    return _write_partitioned(articles, out, batch_rows)


def _write_file(articles, out: Path, batch_rows: int) -> ParquetReport:
    report = ParquetReport(files=1)
    temporary = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
    writer = _open_writer(temporary)
    try:
        batch = _Batch()
        for doc in articles:
            batch.add(doc)
            if len(batch) >= batch_rows:
                writer.write_batch(batch.record_batch())
                report.rows += len(batch)
                report.row_groups += 1
                batch = _Batch()
        if len(batch):
            writer.write_batch(batch.record_batch())
            report.rows += len(batch)
            report.row_groups += 1
        _close(writer, temporary)
        os.replace(temporary, out)
    except BaseException:
        with contextlib.suppress(Exception):
            writer.close()
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_directory(out.parent)
    return report


def is_partitioned_export(path: Path) -> bool:
    """Whether ``path`` is a directory an earlier partitioned export wrote (or an empty one):
    only ``month=...`` directories holding only ``*.parquet`` files."""
    if not path.is_dir():
        return False
    for entry in path.iterdir():
        if not (entry.is_dir() and entry.name.startswith("month=")):
            return False
        if any(not (f.is_file() and f.suffix == ".parquet") for f in entry.iterdir()):
            return False
    return True


def _write_partitioned(articles, out: Path, batch_rows: int) -> ParquetReport:
    if out.exists() and not is_partitioned_export(out):
        raise ParquetTargetError(f"{out} exists and is not an earlier partitioned Parquet export: "
                                 "give a new or empty directory")
    report = ParquetReport()
    work = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
    work.mkdir()
    writers: dict[str, tuple[pq.ParquetWriter, Path]] = {}
    batches: dict[str, _Batch] = {}
    pending = 0

    def flush() -> None:
        for key, batch in batches.items():
            if not len(batch):
                continue
            if key not in writers:
                (work / key).mkdir()
                path = work / key / "part-00000.parquet"
                writers[key] = (_open_writer(path), path)
                report.files += 1
            writers[key][0].write_batch(batch.record_batch())
            report.rows += len(batch)
            report.row_groups += 1
        batches.clear()

    try:
        for doc in articles:
            batches.setdefault(partition_of(doc), _Batch()).add(doc)
            pending += 1
            if pending >= batch_rows:  # every partition's rows so far: memory stays one batch
                flush()
                pending = 0
        flush()
        for writer, path in writers.values():
            _close(writer, path)
        writers.clear()
        for key in os.listdir(work):
            fsync_directory(work / key)
        _swap_in(work, out)
    except BaseException:
        for writer, _path in writers.values():
            with contextlib.suppress(Exception):
                writer.close()
        shutil.rmtree(work, ignore_errors=True)
        raise
    return report


def _swap_in(work: Path, out: Path) -> None:
    """Put the finished directory ``work`` where ``out`` is: the earlier export moved aside
    under a hidden name first, then removed."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.{secrets.token_hex(4)}.old")
        os.replace(out, old)
    os.replace(work, out)
    fsync_directory(out.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


__all__ = [
    "ARCHIVE_COLUMNS",
    "BATCH_ROWS",
    "COLUMNS",
    "JSON_COLUMNS",
    "PARTITIONS",
    "ParquetReport",
    "ParquetTargetError",
    "SCHEMA",
    "arrow_type",
    "is_partitioned_export",
    "partition_of",
    "write_parquet",
]
