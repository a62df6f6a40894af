"""A selection of archived articles as one WACZ file (Web Archive Collection Zipped), the
Webrecorder format ReplayWeb.page opens and pywb imports (``wb-manager add --unpack-wacz``).

What goes in: for each selected article, the records of its archived page (page 1 and its
later pages, ``warc.later_pages``), copied byte for byte from the crawl's WARC files (each
record is its own gzip member, so it is copied whole, digests and all), each followed by the
``request`` record the crawl wrote after it; with earlier versions (``--revisions``), their
pages too, so replay shows every version archived. Those records make one new WARC file,
after a ``warcinfo`` record naming the export; ``pages/pages.jsonl`` lists each article's
page 1 (its address, the time it was fetched, its title, ``id`` = the article id).

py-wacz (the ``wacz`` package, Webrecorder's own tool) then builds the package from that WARC
file and page list: ``archive/<name>.warc.gz``, the sorted, compressed CDXJ index
(``indexes/index.cdx.gz`` + ``index.idx``), ``pages/pages.jsonl``, ``datapackage.json`` with
the sha256 of every file, and ``datapackage-digest.json``. The package is written beside its
target under a hidden name and renamed over it when complete.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from newscrawler.warc.pointers import page_pointers
from newscrawler.warc.reader import READ_ERRORS, WarcReadError, read_response

MAX_PROBLEMS = 5  # the problems a report names (it counts them all)
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Articles"}


class EmptySelection(Exception):
    """No selected article has a page in the WARC files: there is nothing to package."""


class WaczError(Exception):
    """py-wacz could not build the package (its own message)."""


@dataclass
class WaczReport:
    pages: int = 0                 # articles listed in pages/pages.jsonl
    records: int = 0               # response records copied (later pages, earlier versions)
    without_page: list[int] = field(default_factory=list)   # selected, but no readable page
    problems: list[str] = field(default_factory=list)       # why, for the first few


def _copy_exchange(path: Path, where: Mapping[str, Any], out) -> tuple[str, str]:
    """Copy the response record at ``where`` (checked: whole, digests right, that record id)
    and the request record the crawl wrote after it, if that is what follows. Returns the
    response's target URI and WARC-Date. Raises WarcReadError."""
    offset, length, record_id = int(where["offset"]), int(where["length"]), where.get("record_id")
    response = read_response(path, offset, length, record_id)
    with open(path, "rb") as f:
        f.seek(offset)
        out.write(f.read(length))
        try:
            iterator = ArchiveIterator(f)
            following = next(iter(iterator))
            iterator.read_to_end(following)
            concurrent = following.rec_headers.get_header("WARC-Concurrent-To")
            if following.rec_type == "request" and concurrent == response.record_id:
                f.seek(offset + length)
                out.write(f.read(iterator.get_record_length()))
        except READ_ERRORS:
            pass  # no request record after it (the end of the file, another tool's file)
    return response.url, response.warc_headers.get("WARC-Date", "")


def _warcinfo(out, filename: str, info: Mapping[str, str]) -> None:
    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.0")
    writer.write_record(writer.create_warcinfo_record(filename, dict(info)))


def collect(articles: Iterable[Mapping[str, Any]], warc_dir: Path, warc_out, pages_out,
            report: WaczReport) -> None:
    """Copy the selection's records into ``warc_out`` and list its pages in ``pages_out``.

    An article whose ``revised_at`` is set is an earlier version (``with_revisions``): its
    records are copied, and it is not listed as a page of its own."""
    copied: dict[str, tuple[str, str]] = {}  # record id -> (target URI, WARC-Date)
    pages_out.write(json.dumps(PAGES_HEADER) + "\n")
    for doc in articles:
        where = doc.get("warc")
        earlier = doc.get("revised_at") is not None
        first: tuple[str, str] | None = None
        pointers = page_pointers(where) if isinstance(where, Mapping) and "file" in where else []
        missing = where.get("missing") if isinstance(where, Mapping) else None
        problem = f"no page archived ({missing or 'no pointer'})"
        for n, pointer in enumerate(pointers):
            try:
                record_id = pointer.get("record_id")
                if record_id not in copied:
                    copied[record_id] = _copy_exchange(warc_dir / str(pointer["file"]), pointer, warc_out)
                    report.records += 1
                if n == 0:
                    first = copied[record_id]
            except (WarcReadError, KeyError, TypeError, ValueError) as exc:
                problem = str(exc)
                if n == 0:
                    break  # without page 1 there is no page to list
                _note(report, doc, f"page {n + 1} left out: {exc}")
        if earlier:
            continue
        if first is None:
            report.without_page.append(doc.get("article_id"))
            _note(report, doc, problem)
            continue
        url, fetched = first
        pages_out.write(json.dumps({"id": str(doc.get("article_id")), "url": url, "ts": fetched,
                                    "title": doc.get("title") or url}, ensure_ascii=False) + "\n")
        report.pages += 1


def _note(report: WaczReport, doc: Mapping[str, Any], problem: str) -> None:
    if len(report.problems) < MAX_PROBLEMS:
        report.problems.append(f"article {doc.get('article_id')}: {problem}")


def software() -> str:
    """What made the export, for its ``warcinfo`` record."""
    import newscrawler

    return f"newscrawler/{newscrawler.__version__} (py-wacz/{version('wacz')}; warcio/{version('warcio')})"


def write_wacz(articles: Iterable[Mapping[str, Any]], warc_dir: str | os.PathLike, out: str | os.PathLike, *,
               title: str, description: str) -> WaczReport:
    """Package ``articles`` (as ``queries.iter_articles`` yields them) into the WACZ file
    ``out``. Raises EmptySelection when none has a readable page (no file is written),
    WaczError when py-wacz fails, OSError."""
    import newscrawler.warc.cdxj  # noqa: F401 - imports cdxj-indexer first, without its warning
    from wacz.main import main as wacz_main

    warc_dir, out = Path(warc_dir), Path(out)
    report = WaczReport()
    work = out.parent / f".{out.name}.{secrets.token_hex(4)}.partial"
    work.mkdir()
    try:
        archive = work / f"{out.stem or 'articles'}.warc.gz"
        pages = work / "pages.jsonl"
        with open(archive, "wb") as warc_out, open(pages, "w", encoding="utf-8", newline="\n") as pages_out:
            _warcinfo(warc_out, archive.name, {"software": software(), "format": "WARC File Format 1.0",
                                               "description": description})
            collect(articles, warc_dir, warc_out, pages_out, report)
        if not report.pages:
            raise EmptySelection()
        built = work / out.name
        said = io.StringIO()
        with contextlib.redirect_stdout(said):  # py-wacz prints its progress
            status = wacz_main(["create", "-o", str(built), "-p", str(pages), "--title", title,
                                "--desc", description, str(archive)])
        if status:
            raise WaczError(said.getvalue().strip().splitlines()[-1] if said.getvalue().strip() else "failed")
        with open(built, "rb") as fp:
            os.fsync(fp.fileno())
        os.replace(built, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report


__all__ = ["EmptySelection", "WaczError", "WaczReport", "write_wacz"]
