"""Write HTTP exchanges as WARC records (ISO 28500, WARC/1.0) into size-rotated files.

Each record is its own gzip member (the ``.warc.gz`` convention every WARC tool expects), so
a record can be read on its own from its byte offset. warcio builds the records (headers,
``WARC-Block-Digest`` and ``WARC-Payload-Digest``); this module compresses them itself, at
``WARC_GZIP_LEVEL``, and appends them to a buffered file: no flush or fsync per record.
``sync()`` makes what was written durable (flush, and fsync unless told not to) and records
how far each file is durable, so a caller can tell whether a record has reached the disk
(``is_durable``) before storing a pointer to it (write-ahead: see the WARC middleware).
Level 3 is the default: higher levels (warcio's own writer uses 9) cost markedly more CPU
per record for files only slightly smaller (``benchmarks/bench_warc.py`` prints the figures;
the README's "Page archive cost" has what the writer costs the crawl).

Files are named ``<prefix>-<crawl id>-<serial>.warc.gz`` and begin with a ``warcinfo``
record naming the crawl and the software. A file is rotated once it holds ``max_size``
bytes (a record is never split, so a file ends a little past the limit). When a file is
finished (rotated, or the writer closed) its CDXJ index is written beside it
(``<prefix>-<crawl id>-<serial>.cdxj``, :mod:`newscrawler.warc.cdxj`), from lines made as
its records were written; a file given up after a failed write gets none (``newscrawler
warc index`` makes it from what the file holds).
"""

from __future__ import annotations

import io
import logging
import os
import socket
import zlib
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Iterable

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscrawler.files import fsync_directory

logger = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.0"  # 1.0: the version every reader (old and new) knows
BUFFER_SIZE = 1024 * 1024
# Custom WARC header fields (ISO 28500 allows named fields beyond its own): what re-extraction
# needs besides the page itself.
HEADER_ARTICLE_ID = "Newscrawler-Article-Id"
HEADER_COLUMN_ID = "Newscrawler-Column-Id"
HEADER_BASE_URL = "Newscrawler-Base-URL"
# Hop-by-hop framing that no longer describes the bytes we keep (Scrapy's HTTP client
# removed the chunking): kept under this prefix, the usual convention of web archives.
_REWRITTEN_HEADERS = {"transfer-encoding"}
ORIGINAL_HEADER_PREFIX = "X-Archive-Orig-"


@dataclass(frozen=True)
class WarcLocation:
    """Where a record was written: the file (name relative to the WARC directory), the byte
    offset of its gzip member and the member's length."""

    file: str
    offset: int
    length: int
    record_id: str

    def as_meta(self) -> dict:
        return {"file": self.file, "offset": self.offset, "length": self.length,
                "record_id": self.record_id}


@dataclass(frozen=True)
class SyncPoint:
    """What one sync makes durable: ``file`` up to byte ``end``, through ``fd`` (a duplicate
    descriptor, None without fsync), and the directory's new entries when ``directory``."""

    file: str | None
    end: int
    fd: int | None
    directory: bool


def _text(value) -> str:
    """A header name or value as str (HTTP header bytes are Latin-1 by definition)."""
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)



def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class WarcFileWriter:
    """Append HTTP exchanges to ``<directory>/<prefix>-<crawl_id>-NNNNN.warc.gz`` files.

    ``info``: the warcinfo fields of every file (``software``, ``isPartOf``...). Not
    thread-safe: one writer per crawl, used from the reactor thread.
    """

    def __init__(self, directory: str | os.PathLike, crawl_id: str, *, prefix: str = "newscrawler",
                 max_size: int = 1024 ** 3, gzip_level: int = 3, info: dict | None = None,
                 buffer_size: int = BUFFER_SIZE, index: bool = True):
        self.directory = Path(directory)
        self.crawl_id = crawl_id
        self.prefix = prefix
        self.max_size = max_size
        self.gzip_level = gzip_level
        self.info = dict(info or {})
        self.buffer_size = buffer_size
        self.serial = 0
        self.files: list[str] = []          # names written, in order
        self.records = 0
        self.bytes_written = 0
        self._file = None
        self._name: str | None = None
        self._warcinfo_id: str | None = None
        self._after_warcinfo = 0
        # File name -> how many of its bytes are known to be on disk (after a sync or a close).
        self._durable: dict[str, int] = {}
        self._new_files = False  # a file created since the last sync: its directory entry too
        self._failed_files: set[str] = set()  # an fsync failed: no record is durable past it
        self.index = index  # write each finished file's CDXJ index beside it
        self._index = None  # the open file's IncrementalIndex
        self.indexes: list[str] = []        # index files written, in order
        self.index_errors: list[str] = []   # why an index could not be written
        self._builder = WARCWriter(None, gzip=False, warc_version=WARC_VERSION)

    # -- files -----------------------------------------------------------------------------
    def _open_next(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            self.serial += 1
            name = f"{self.prefix}-{self.crawl_id}-{self.serial:05d}.warc.gz"
            try:
                # "x": never append to (or clobber) a file another run left behind.
                self._file = open(self.directory / name, "xb", buffering=self.buffer_size)
                break
            except FileExistsError:
                continue
        self._name = name
        if self.index:
            # Imported here: cdxj-indexer's imports (surt, tldextract, requests) cost a read
            # verb that only reads records through this module's constants.
            from newscrawler.warc.cdxj import IncrementalIndex

            self._index = IncrementalIndex(self.directory / name)
        self.files.append(name)
        self._durable[name] = 0
        self._new_files = True
        info = {"software": None, "format": "WARC File Format 1.0",
                "conformsTo": "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf",
                "hostname": socket.gethostname(), "isPartOf": self.crawl_id, **self.info}
        record = self._builder.create_warcinfo_record(name, info)
        self._warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        self._write_member(self._serialize(record))
        self._after_warcinfo = self._file.tell()
        logger.info("WARC: writing %s", self.directory / name)

    def _rotate_if_full(self) -> None:
        if self._file is not None and self._name in self._failed_files:
            self._abandon_file()  # an fsync failed there: what it held may not be on disk
        if self._file is None:
            self._open_next()
        elif self._file.tell() >= self.max_size and self._file.tell() > self._after_warcinfo:
            self._close_file()
            self._open_next()

    def _close_file(self) -> None:
        if self._file is not None:
            try:
                self.sync(fsync=True)  # a finished file is made durable once, whatever the policy
            except OSError:
                self._abandon_file()
                raise
            self._file.close()
            self._file = None
            self._write_index()

    def _write_index(self) -> None:
        """The finished file's CDXJ index. A failure is logged and noted, never raised: the
        pages are safe in the WARC file, and ``newscrawler warc index`` can index it later."""
        index, self._index = self._index, None
        if index is None:
            return
        try:
            self.indexes.append(index.write().path.name)
        except OSError as exc:
            self.index_errors.append(f"{index.warc_path.name}: {exc}")
            logger.error("WARC: cannot write the CDXJ index of %s: %s (run `newscrawler warc index`)",
                         index.warc_path, exc)

    def begin_sync(self, fsync: bool = True) -> SyncPoint:
        """Flush the buffer to the OS now (from the thread that writes) and return what
        ``finish_sync`` makes durable. Raises OSError (the file is then abandoned, as after a
        failed write)."""
        point = SyncPoint(None, 0, None, fsync and self._new_files)
        if fsync:
            self._new_files = False
        if self._file is not None:
            try:
                self._file.flush()
                # A descriptor of its own: the writer may rotate and close the file meanwhile.
                fd = os.dup(self._file.fileno()) if fsync else None
            except OSError:
                self._abandon_file()
                raise
            point = SyncPoint(self._name, self._file.tell(), fd, point.directory)
        return point

    def finish_sync(self, point: SyncPoint) -> None:
        """fsync what ``begin_sync`` flushed (from any thread: it blocks on the disk); then
        its records count as durable. Raises OSError: after a failed fsync the kernel may
        have dropped the unwritten data, so that file gets no further record."""
        try:
            if point.fd is not None:
                os.fsync(point.fd)
            if point.directory:
                fsync_directory(self.directory)
        except OSError:
            if point.file:
                self._failed_files.add(point.file)
            raise
        finally:
            if point.fd is not None:
                os.close(point.fd)
        if point.file and point.file not in self._failed_files:
            self._durable[point.file] = max(self._durable.get(point.file, 0), point.end)

    def sync(self, fsync: bool = True) -> None:
        """Make every record written so far durable: flush the buffer to the OS (a killed
        process then loses nothing) and, with ``fsync``, to the disk (a crash of the machine
        neither). Raises OSError."""
        self.finish_sync(self.begin_sync(fsync))

    def is_durable(self, location: "WarcLocation | dict") -> bool:
        """Whether the record at ``location`` (a WarcLocation or its ``as_meta()``) is whole
        on disk as of the last finished sync (or close)."""
        if isinstance(location, WarcLocation):
            location = location.as_meta()
        try:
            end = int(location["offset"]) + int(location["length"])
        except (KeyError, TypeError, ValueError):
            return False
        return end <= self._durable.get(location.get("file"), 0)

    def flush(self) -> None:
        """Hand buffered records to the OS (no fsync): a crash of the process loses nothing
        written before the last flush. Counts nothing as durable: only ``sync`` does, with its
        own policy (a record flushed here may still be lost to a crash of the machine)."""
        self.begin_sync(fsync=False)

    def close(self) -> None:
        """Finish the current file (flush and close). The writer can go on afterwards with
        a new file."""
        try:
            self._close_file()
        finally:
            self._file = self._name = None

    # -- records ---------------------------------------------------------------------------
    def _serialize(self, record) -> bytes:
        out = io.BytesIO()
        self._builder.out = out
        self._builder.write_record(record)
        self._builder.out = None
        return out.getvalue()

    def _gzip(self, data: bytes) -> bytes:
        compressor = zlib.compressobj(self.gzip_level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        return compressor.compress(data) + compressor.flush()

    def _write_member(self, data: bytes) -> tuple[int, int]:
        member = self._gzip(data)
        offset = self._file.tell()
        try:
            self._file.write(member)
        except OSError:
            # Disk full or gone: part of the member may be on disk. Leave that file as it is
            # (the records before stay readable) and start a new one with the next record.
            self._abandon_file()
            raise
        self.bytes_written += len(member)
        return offset, len(member)

    def _abandon_file(self) -> None:
        file, self._file, self._name, self._index = self._file, None, None, None
        try:
            if file is not None:
                file.close()
        except OSError:
            pass

    def write_exchange(self, url: str, *, status: int, headers: Iterable[tuple], body: bytes,
                       protocol: str = "HTTP/1.1", ip_address: str | None = None,
                       request: tuple[str, str, Iterable[tuple]] | None = None,
                       extra_headers: dict | None = None) -> WarcLocation:
        """Write a ``response`` record (and a ``request`` record after it, when ``request``
        is ``(method, target, headers)``); returns where the response record is.

        ``headers``: (name, value) pairs, str or bytes, as received; ``body``: the payload
        exactly as received (still content-encoded if it was sent so).
        """
        self._rotate_if_full()
        http_headers = []
        for name, value in headers:
            name, value = _text(name), _text(value)
            if name.lower() in _REWRITTEN_HEADERS:
                name = ORIGINAL_HEADER_PREFIX + name
            http_headers.append((name, value))
        # WARC-Type, -Record-ID, -Date and -Target-URI first, as WARC tools write them.
        warc_headers = {"WARC-Type": "response", "WARC-Record-ID": self._builder._make_warc_id(),
                        "WARC-Date": self._builder.curr_warc_date(), "WARC-Target-URI": url,
                        "WARC-Warcinfo-ID": self._warcinfo_id}
        if ip_address:
            warc_headers["WARC-IP-Address"] = ip_address
        for name, value in (extra_headers or {}).items():
            if value is not None:
                warc_headers[name] = str(value)
        response = self._builder.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            warc_headers_dict=warc_headers,
            http_headers=StatusAndHeaders(status_line(status), http_headers, protocol=protocol or "HTTP/1.1"))
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        offset, length = self._write_member(self._serialize(response))
        if self._index is not None:
            self._index.add(response, offset, length)  # its digests were added as it was serialized
        self.records += 1
        if request is not None:
            method, target, req_headers = request
            req = self._builder.create_warc_record(
                url, "request", payload=io.BytesIO(b""), length=0,
                warc_headers_dict={"WARC-Type": "request", "WARC-Record-ID": self._builder._make_warc_id(),
                                   "WARC-Date": response.rec_headers.get_header("WARC-Date"),
                                   "WARC-Target-URI": url, "WARC-Warcinfo-ID": self._warcinfo_id,
                                   "WARC-Concurrent-To": record_id},
                http_headers=StatusAndHeaders(f"{method} {target} HTTP/1.1",
                                              [(_text(n), _text(v)) for n, v in req_headers],
                                              is_http_request=True))
            self._write_member(self._serialize(req))
            self.records += 1
        return WarcLocation(self._name, offset, length, record_id)
