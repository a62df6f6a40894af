"""The archive out of (and back into) any MongoDB: dump, restore and copy.

The embedded SecantusDB is a beta (its own page calls it a surrogate for tests and warns that
data on disk may be lost on upgrade), so an archive kept for years must be able to leave it.

**Dump** (:func:`dump_archive`): one tar file holding, for every collection of the database
(articles, article_revisions, rejects, crawls, column_walks, article_counts, the GridFS
thumbnail bucket's ``.files`` and ``.chunks``, whatever else is there):

* ``<collection>.jsonl.gz``: one document per line in MongoDB Extended JSON v2, canonical mode
  (``bson.json_util``), so every BSON type comes back as it was: datetimes to the millisecond,
  ObjectIds, binary with its subtype, 32- and 64-bit integers, doubles (NaN and -0.0 included).
  ``mongoimport --collection NAME`` reads such a file once gunzipped;
* ``indexes.json``: each collection's indexes as the server lists them (``listIndexes``);
* ``manifest.json``, written last: the format, the database, and per collection its file, its
  number of documents and its creation options. A tar without it is not a complete dump. It
  and ``indexes.json`` are relaxed Extended JSON (numbers as plain JSON numbers).

The tar is written under a temporary name beside its destination and renamed at the end, so a
dump that fails or is killed never looks complete and never replaces an earlier dump.

**Restore** (:func:`restore_archive`) loads a dump into an empty database (or one it drops),
creates the product's indexes (``indexes.ensure_indexes``) and every other index the dump
lists, then checks each collection's count against the manifest.

**Copy** (:func:`copy_archive`) copies every collection into another MongoDB batch by batch as
upserts by ``_id``: a copy interrupted and run again completes without duplicates. Then the
indexes, then a check: equal counts and a sample of documents byte-for-byte equal (BSON).

A dump or a copy taken while a crawl writes is a snapshot of each collection at a slightly
different moment: take it between crawls for counts that agree with one another.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bson import json_util
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.raw_bson import RawBSONDocument
from pymongo import IndexModel, ReplaceOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, OperationFailure

from newscrawler.files import fsync_directory
from newscrawler.store.indexes import ensure_indexes, index_key
from newscrawler.timeutil import utcnow

FORMAT = "newscrawler-archive-dump"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
INDEXES = "indexes.json"
BATCH_SIZE = 500
SAMPLE_SIZE = 50  # documents per collection a copy compares byte for byte

# Decoded exactly as stored: tz-aware UTC datetimes, and dates Python's datetime cannot hold
# (before year 1, after 9999) kept as milliseconds instead of failing the whole dump.
EXACT = CodecOptions(tz_aware=True, tzinfo=dt.timezone.utc, datetime_conversion=DatetimeConversion.DATETIME_AUTO)
RAW = CodecOptions(document_class=RawBSONDocument)
DUMP_JSON = json_util.CANONICAL_JSON_OPTIONS
LOAD_JSON = json_util.CANONICAL_JSON_OPTIONS.with_options(
    tz_aware=True, tzinfo=dt.timezone.utc, datetime_conversion=DatetimeConversion.DATETIME_AUTO)
# Index fields that describe the index's place, not the index (the server sets them again).
_INDEX_BOOKKEEPING = ("v", "key", "ns", "name")


class PortableError(Exception):
    """A dump that cannot be read or restored, or a target that must not be written."""


@dataclass
class CollectionReport:
    name: str
    documents: int = 0          # dumped, restored or copied
    expected: int | None = None  # what the manifest or the source says
    indexes: list[str] = field(default_factory=list)
    sampled: int = 0            # copy: documents compared
    differing: list[Any] = field(default_factory=list)  # copy: _ids of sampled documents that differ
    errors: int = 0             # documents the target refused

    @property
    def ok(self) -> bool:
        return ((self.expected is None or self.documents == self.expected)
                and not self.differing and not self.errors)


@dataclass
class PortableReport:
    """What a dump, restore or copy did, collection by collection."""

    action: str
    collections: list[CollectionReport] = field(default_factory=list)
    path: str | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.collections)

    @property
    def documents(self) -> int:
        return sum(c.documents for c in self.collections)

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "path": self.path, "ok": self.ok,
                "collections": [{"name": c.name, "documents": c.documents, "expected": c.expected,
                                 "indexes": c.indexes, "sampled": c.sampled,
                                 "differing": [str(i) for i in c.differing], "errors": c.errors}
                                for c in self.collections]}


Progress = Callable[[str, int], None]  # (collection, documents so far)


# -- what a database holds ---------------------------------------------------------------------

def archive_collections(db: Database) -> list[dict[str, Any]]:
    """``{name, options}`` of every collection (views and the server's system.* left out)."""
    found = []
    for info in db.list_collections():
        if info.get("type", "collection") != "collection" or info["name"].startswith("system."):
            continue
        found.append({"name": info["name"], "options": dict(info.get("options") or {})})
    return sorted(found, key=lambda c: c["name"])


def listed_indexes(collection: Collection) -> list[dict[str, Any]]:
    """The collection's indexes as the server lists them (the ``_id`` index included)."""
    return [dict(spec) for spec in collection.list_indexes()]


def _exact(collection: Collection) -> Collection:
    return collection.with_options(codec_options=EXACT)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- dump ------------------------------------------------------------------------------------

def dump_archive(db: Database, out: str | os.PathLike, *, progress: Progress | None = None,
                 batch_size: int = BATCH_SIZE) -> PortableReport:
    """Write every collection of ``db`` to the tar file ``out`` (see the module's doc)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = PortableReport("dump", path=str(out))
    fd, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    os.close(fd)
    try:
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            collections = archive_collections(db)
            indexes = {}
            for info in collections:
                collection = db[info["name"]]
                indexes[info["name"]] = listed_indexes(collection)
                count = _add_collection(tar, collection, out.parent, progress, batch_size)
                info.update(file=f"{info['name']}.jsonl.gz", documents=count)
                report.collections.append(CollectionReport(info["name"], count,
                                                           indexes=[i["name"] for i in indexes[info["name"]]]))
            _add_bytes(tar, INDEXES, _ejson(indexes, indent=1).encode())
            manifest = {"format": FORMAT, "version": FORMAT_VERSION, "database": db.name,
                        "dumped_at": utcnow().isoformat(), "extended_json": "canonical",
                        "collections": collections}
            _add_bytes(tar, MANIFEST, _ejson(manifest, indent=1).encode())
        _make_durable(partial)
        os.replace(partial, out)
        fsync_directory(out.parent)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return report


def _add_collection(tar: tarfile.TarFile, collection: Collection, workdir: Path,
                    progress: Progress | None, batch_size: int) -> int:
    """Add ``<name>.jsonl.gz`` to the tar (built in a temporary file: a tar member needs its
    size up front); returns the number of documents."""
    count = 0
    with tempfile.TemporaryFile(dir=workdir) as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
            writer = io.TextIOWrapper(gz, encoding="utf-8", newline="\n")
            # No sort: SecantusDB sorts in Python after fetching everything.
            for doc in _exact(collection).find({}, batch_size=batch_size):
                writer.write(json_util.dumps(doc, json_options=DUMP_JSON))
                writer.write("\n")
                count += 1
                if progress and count % batch_size == 0:
                    progress(collection.name, count)
            writer.flush()
            writer.detach()
        size = raw.tell()
        raw.seek(0)
        member = tarfile.TarInfo(f"{collection.name}.jsonl.gz")
        member.size, member.mtime, member.mode = size, int(utcnow().timestamp()), 0o644
        tar.addfile(member, raw)
    if progress:
        progress(collection.name, count)
    return count


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    member = tarfile.TarInfo(name)
    member.size, member.mtime, member.mode = len(data), int(utcnow().timestamp()), 0o644
    tar.addfile(member, io.BytesIO(data))


def _ejson(value: Any, indent: int | None = None) -> str:
    """The manifest and the index list: relaxed Extended JSON (numbers as JSON numbers), for
    people and any JSON reader; the documents themselves are canonical."""
    return json_util.dumps(value, json_options=json_util.RELAXED_JSON_OPTIONS, indent=indent, ensure_ascii=False)


def _make_durable(path: str | os.PathLike) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())



# -- reading a dump --------------------------------------------------------------------------

class Dump:
    """A dump file opened for reading: its manifest, its indexes, its documents."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self._tar = tarfile.open(self.path, "r:")
        except (OSError, tarfile.TarError) as exc:
            raise PortableError(f"{self.path} is not a dump: {exc}") from None
        self.manifest = self._json(MANIFEST, "it was cut short, or is not a newscrawler dump")
        if self.manifest.get("format") != FORMAT:
            raise PortableError(f"{self.path} is not a newscrawler dump (format {self.manifest.get('format')!r})")
        if self.manifest.get("version", 0) > FORMAT_VERSION:
            raise PortableError(f"{self.path} is a dump of format version {self.manifest['version']}; "
                                f"this newscrawler reads up to {FORMAT_VERSION}: upgrade it")
        self.indexes: dict[str, list[dict]] = self._json(INDEXES, "its index list is missing")

    def __enter__(self) -> Dump:
        return self

    def __exit__(self, *exc_info) -> None:
        self._tar.close()

    @property
    def collections(self) -> list[dict[str, Any]]:
        return list(self.manifest["collections"])

    def _member(self, name: str) -> IO[bytes] | None:
        try:
            return self._tar.extractfile(name)
        except KeyError:
            return None

    def _json(self, name: str, why_missing: str) -> Any:
        member = self._member(name)
        if member is None:
            raise PortableError(f"{self.path} is not a complete dump: no {name} ({why_missing})")
        return json_util.loads(member.read().decode("utf-8"), json_options=LOAD_JSON)

    def documents(self, collection: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The collection's documents, as they were stored."""
        member = self._member(collection["file"])
        if member is None:
            raise PortableError(f"{self.path} has no {collection['file']}")
        with gzip.GzipFile(fileobj=member) as gz:
            for number, line in enumerate(io.TextIOWrapper(gz, encoding="utf-8"), 1):
                if not line.strip():
                    continue
                try:
                    yield json_util.loads(line, json_options=LOAD_JSON)
                except (ValueError, TypeError) as exc:
                    raise PortableError(f"{collection['file']} line {number} is not Extended JSON: {exc}") from None


# -- restore ---------------------------------------------------------------------------------

def non_empty_collections(db: Database) -> list[str]:
    return [c["name"] for c in archive_collections(db) if db[c["name"]].estimated_document_count()]


def restore_archive(db: Database, path: str | os.PathLike, *, drop: bool = False,
                    progress: Progress | None = None, batch_size: int = BATCH_SIZE) -> PortableReport:
    """Load the dump at ``path`` into ``db``: refused if ``db`` holds documents, unless ``drop``
    (then every collection of ``db`` is dropped first). Indexes after the documents (faster:
    each insert then updates no secondary index), counts checked against the manifest."""
    report = PortableReport("restore", path=str(path))
    with Dump(path) as dump:
        occupied = non_empty_collections(db)
        if occupied and not drop:
            raise PortableError(f"database {db.name} is not empty ({', '.join(occupied)}): restore into an "
                                f"empty database, or pass --drop to replace what it holds")
        if drop:
            for info in archive_collections(db):
                db.drop_collection(info["name"])
        for info in dump.collections:
            _create_collection(db, info)
            restored = 0
            for batch in _batches(dump.documents(info), batch_size):
                db[info["name"]].insert_many(batch, ordered=True)
                restored += len(batch)
                if progress:
                    progress(info["name"], restored)
            report.collections.append(CollectionReport(info["name"], restored, expected=info.get("documents")))
        names = create_indexes(db, dump.indexes)
    for collection in report.collections:
        collection.indexes = names.get(collection.name, [])
        # Read back: what the server holds, not what was sent.
        collection.documents = db[collection.name].count_documents({})
    return report


def _create_collection(db: Database, info: dict[str, Any]) -> None:
    """Create the collection with its dumped options (capped, collation...) when it had any."""
    if info.get("options") and info["name"] not in db.list_collection_names():
        db.create_collection(info["name"], **info["options"])


def create_indexes(db: Database, listed: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """The product's indexes (``ensure_indexes``), then every listed index whose keys are not
    indexed yet (a hand-made index, GridFS's, article_counts'); returns the index names per
    collection. The product's first: an old dump's index of the same keys under another name
    is then recognised instead of conflicting."""
    ensure_indexes(db)
    for name, specs in listed.items():
        present = {index_key(spec) for spec in listed_indexes(db[name])} if name in db.list_collection_names() else set()
        models = [_model(spec) for spec in specs if spec.get("name") != "_id_" and index_key(spec) not in present]
        if models:
            db[name].create_indexes(models)
    return {name: sorted(spec["name"] for spec in listed_indexes(db[name])) for name in db.list_collection_names()
            if not name.startswith("system.")}


def _model(spec: dict[str, Any]) -> IndexModel:
    options = {k: v for k, v in spec.items() if k not in _INDEX_BOOKKEEPING}
    return IndexModel(list(dict(spec["key"]).items()), name=spec["name"], **options)


# -- copy ------------------------------------------------------------------------------------

def copy_archive(source: Database, target: Database, *, batch_size: int = BATCH_SIZE,
                 sample_size: int = SAMPLE_SIZE, progress: Progress | None = None) -> PortableReport:
    """Copy every collection of ``source`` into ``target`` (upserts by ``_id``: a rerun after an
    interruption completes it without duplicates), then the indexes, then verify."""
    if _same_database(source, target):
        raise PortableError("the target is the archive itself: name another server or database")
    report = PortableReport("copy")
    collections = archive_collections(source)
    for info in collections:
        _create_collection(target, info)
        errors, copied = 0, 0
        for batch in _batches(_exact(source[info["name"]]).find({}, batch_size=batch_size), batch_size):
            errors += _upsert(target[info["name"]], batch)
            copied += len(batch)
            if progress:
                progress(info["name"], copied)
        report.collections.append(CollectionReport(info["name"], copied, errors=errors))
    names = create_indexes(target, {info["name"]: listed_indexes(source[info["name"]]) for info in collections})
    for collection in report.collections:
        collection.indexes = names.get(collection.name, [])
        verify_collection(source[collection.name], target[collection.name], collection, sample_size)
    return report


def _same_database(source: Database, target: Database) -> bool:
    def where(db: Database) -> tuple:
        return tuple(sorted(db.client.topology_description.server_descriptions())), db.name

    return where(source) == where(target)


def _upsert(collection: Collection, batch: list[dict[str, Any]]) -> int:
    """Write ``batch`` as replace-or-insert by ``_id``; returns how many documents failed."""
    try:
        collection.bulk_write([ReplaceOne({"_id": doc["_id"]}, doc, upsert=True) for doc in batch], ordered=False)
    except BulkWriteError as exc:
        if exc.details.get("writeConcernErrors"):
            raise
        return len(exc.details.get("writeErrors", []))
    return 0


def verify_collection(source: Collection, target: Collection, report: CollectionReport, sample_size: int) -> None:
    """Counts (the target's into ``documents``, the source's into ``expected``) and a sample of
    documents compared as BSON bytes: types, values and field order all equal."""
    report.expected = source.count_documents({})
    report.documents = target.count_documents({})
    raw_source, raw_target = source.with_options(codec_options=RAW), target.with_options(codec_options=RAW)
    for doc in _sample(raw_source, sample_size):
        copy = raw_target.find_one({"_id": doc["_id"]})
        report.sampled += 1
        if copy is None or bytes(copy.raw) != bytes(doc.raw):
            report.differing.append(doc["_id"])


def _sample(collection: Collection, size: int) -> list[RawBSONDocument]:
    """``size`` documents picked at random by the server, or its first ones if it cannot."""
    if size <= 0:
        return []
    try:
        return list(collection.aggregate([{"$sample": {"size": size}}]))
    except OperationFailure:
        return list(collection.find({}, limit=size))


def compare_databases(first: Database, second: Database) -> dict[str, str]:
    """Every difference between two databases' documents, by collection (empty: equal as BSON
    bytes, whatever the order). For tests and for checking a restore by hand."""
    differences = {}
    names = {c["name"] for c in archive_collections(first)} | {c["name"] for c in archive_collections(second)}
    for name in sorted(names):
        ours = sorted(bytes(d.raw) for d in first[name].with_options(codec_options=RAW).find())
        theirs = sorted(bytes(d.raw) for d in second[name].with_options(codec_options=RAW).find())
        if ours != theirs:
            differences[name] = (f"{len(ours)} vs {len(theirs)} documents, "
                                 f"{len(set(ours) ^ set(theirs))} not in both")
    return differences


__all__ = ["Dump", "PortableError", "PortableReport", "compare_databases", "copy_archive", "create_indexes",
           "dump_archive", "restore_archive"]
