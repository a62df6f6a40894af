"""Read WARC records back: one page by file and offset, or a whole file checked end to end.

Reading goes through warcio's ``ArchiveIterator`` on a file seeked to the record's offset,
as any WARC tool would. Two things warcio does not report are checked here:

- a record cut short (the process died mid-write, or the disk filled): warcio yields what
  is there, or silently drops a member cut inside its headers; the record's declared
  length, the file's size and the record's digests tell;
- a record whose bytes changed since it was written: ``WARC-Block-Digest`` /
  ``WARC-Payload-Digest`` are verified.
"""

from __future__ import annotations

import io
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

from newscrawler.warc.writer import HEADER_BASE_URL, HEADER_COLUMN_ID

# What reading a damaged or unreadable WARC file raises (warcio, zlib, the file system).
READ_ERRORS = (ArchiveLoadFailed, zlib.error, EOFError, OSError, ValueError, StopIteration)


class WarcReadError(Exception):
    """A stored record that cannot be read back. ``reason``: missing_file, truncated,
    corrupt or wrong_record."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass
class StoredResponse:
    """One archived HTTP response."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes                     # the payload exactly as received (may be content-encoded)
    record_id: str
    warc_headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    @property
    def content_type(self) -> str:
        return self.header("Content-Type") or ""

    @property
    def column_id(self) -> int | None:
        value = self.warc_headers.get(HEADER_COLUMN_ID)
        return int(value) if value and value.strip().lstrip("-").isdigit() else None

    @property
    def base_url(self) -> str | None:
        return self.warc_headers.get(HEADER_BASE_URL) or None

    def content(self) -> bytes:
        """The body with its Content-Encoding undone (what Scrapy hands the spider).

        warcio's ``content_stream()`` does the decoding: gzip, deflate, br and zstd (the last two
        through decompressors registered below), and the chunking of records from tools that
        keep it (our writer stores the body unchunked). Several encodings (``gzip, br``) are
        undone one at a time, the last applied first. A body that is not what its header says
        comes back as stored (warcio's rule), and the extractor refuses it.
        """
        data = self.body
        encodings = [e.strip().lower() for e in (self.header("Content-Encoding") or "").split(",") if e.strip()]
        chunked = (self.header("Transfer-Encoding") or "").strip().lower() == "chunked"
        for encoding in reversed(encodings or [None]):
            data = _decoded(data, _ENCODING_ALIASES.get(encoding, encoding), chunked)
            chunked = False  # the framing wraps the whole body: undone on the first pass
        return data


# Names Scrapy accepts for an encoding warcio knows under another.
_ENCODING_ALIASES = {"x-gzip": "gzip"}


def _decoded(data: bytes, encoding: str | None, chunked: bool) -> bytes:
    """``data`` decoded by warcio as a response record with this one encoding."""
    headers = [("Content-Encoding", encoding)] if encoding else []
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    record = ArcWarcRecord("warc", "response", None, io.BytesIO(data), http, "application/http", len(data))
    return record.content_stream().read()


class _BrotliDecompressor:
    """Google's ``brotli`` (the one Scrapy depends on) with the interface warcio expects of a
    decompressor. warcio registers brotlipy's, whose module has the same name: with Google's
    installed, warcio's ``br`` decompressor fails on its first use (warcio issue #73)."""

    unused_data = b""  # a brotli stream is one member: nothing ever follows it

    def __init__(self):
        import brotli

        self._brotli = brotli.Decompressor()

    def decompress(self, data: bytes) -> bytes:
        return self._brotli.process(data)


def _zstd_decompressor():
    try:
        from compression import zstd  # Python 3.14+
    except ImportError:
        from backports import zstd  # what Scrapy depends on before 3.14

    return zstd.ZstdDecompressor()


# Every encoding Scrapy accepts is one warcio can undo: warcio knows gzip and deflate, and
# takes further decompressors in this table (it fills ``br`` itself the same way).
BufferedReader.DECOMPRESSORS.update(br=_BrotliDecompressor, zstd=_zstd_decompressor)


def _record_problem(record) -> str | None:
    """Why a record read to its end is not whole, or None. Call after reading its stream."""
    remaining = getattr(record.raw_stream, "limit", 0)
    if remaining:
        return f"its content stops {remaining} bytes short of its declared length"
    checker = getattr(record, "digest_checker", None)
    if checker is not None and checker.passed is False:
        return "digest mismatch: " + "; ".join(checker.problems)
    return None


def _read_payload(record) -> bytes:
    chunks = []
    while True:
        chunk = record.raw_stream.read(1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def read_response(path: str | os.PathLike, offset: int, length: int | None = None,
                  record_id: str | None = None) -> StoredResponse:
    """The response record at ``offset`` of ``path``; raises WarcReadError."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise WarcReadError("missing_file", f"WARC file not found: {path}") from None
    if offset >= size or (length is not None and offset + length > size):
        need = f"{length} bytes at offset {offset}" if length is not None else f"offset {offset}"
        raise WarcReadError("truncated", f"WARC file {path.name} is truncated: the record needs "
                                         f"{need}, the file ends at byte {size}")
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            iterator = ArchiveIterator(f, check_digests=True)
            record = next(iter(iterator))
            body = _read_payload(record)
            problem = _record_problem(record)
            iterator.close()
    except READ_ERRORS as exc:
        raise WarcReadError("corrupt", f"cannot read the record at offset {offset} of {path.name}: "
                                       f"{type(exc).__name__}: {exc}") from None
    if problem:
        reason = "truncated" if "short" in problem else "corrupt"
        raise WarcReadError(reason, f"the record at offset {offset} of {path.name} is damaged: {problem}")
    found_id = record.rec_headers.get_header("WARC-Record-ID")
    if record.rec_type != "response" or (record_id and found_id != record_id):
        raise WarcReadError("wrong_record", f"offset {offset} of {path.name} holds {record.rec_type} record "
                                            f"{found_id}, not response {record_id or ''}".rstrip())
    http = record.http_headers
    return StoredResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(http.get_statuscode() or 0) if http else 0,
        headers=list(http.headers) if http else [],
        body=body,
        record_id=found_id,
        warc_headers=dict(record.rec_headers.headers),
    )


@dataclass
class RecordInfo:
    offset: int
    length: int
    rec_type: str
    url: str | None
    record_id: str | None


@dataclass
class FileCheck:
    """What :func:`check_file` found: the whole records, and the first problem if any."""

    path: Path
    size: int
    records: list[RecordInfo] = field(default_factory=list)
    problem: str | None = None       # None: the file is whole
    problem_offset: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def responses(self) -> int:
        return sum(1 for r in self.records if r.rec_type == "response")


def check_file(path: str | os.PathLike) -> FileCheck:
    """Read every record of a WARC file, verify each, and find where a damaged file stops
    being readable (records before that point stay usable)."""
    path = Path(path)
    result = FileCheck(path, path.stat().st_size)
    end = 0
    with open(path, "rb") as f:
        iterator = ArchiveIterator(f, check_digests=True)
        try:
            for record in iterator:
                start = iterator.offset  # where this record begins
                _read_payload(record)
                problem = _record_problem(record)
                if problem:
                    result.problem, result.problem_offset = f"record at offset {start}: {problem}", start
                    break
                iterator.read_to_end(record)
                start, length = iterator.get_record_offset(), iterator.get_record_length()
                result.records.append(RecordInfo(start, length, record.rec_type,
                                                 record.rec_headers.get_header("WARC-Target-URI"),
                                                 record.rec_headers.get_header("WARC-Record-ID")))
                end = start + length
        except READ_ERRORS as exc:
            result.problem = f"unreadable after offset {end}: {type(exc).__name__}: {exc}"
            result.problem_offset = end
    if result.problem is None and not result.records:
        result.problem, result.problem_offset = "no record at all (the writer died before its first flush)", 0
    elif result.problem is None and end < result.size:
        result.problem = (f"{result.size - end} bytes after the last whole record (offset {end}) "
                          "are not a readable record: the file was cut mid-write")
        result.problem_offset = end
    if result.problem and result.problem_offset is not None and "truncated" not in result.problem:
        result.problem = "truncated or corrupt: " + result.problem
    return result
