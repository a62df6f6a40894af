"""The page archive: WARC files written by the crawl, read back, checked, and re-extracted.

One crawl of a replica (half its article pages served gzip-encoded, a quarter brotli-encoded,
one answered 503 once, files rotated every 60 kB) feeds most tests; they read what it left.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import brotli
import pymongo
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscrawler.cli import main
from newscrawler.record import content_hash
from nbd_replica.corpus import generate_articles
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from newscrawler.warc.reader import check_file, read_response
from tests.crawling import archive, crawl

try:
    from compression import zstd  # Python 3.14+
except ImportError:
    from backports import zstd  # installed with Scrapy before 3.14

MAX_SIZE = 60_000
WARCIO_WITH_OUR_DECODERS = "import newscrawler.warc.reader, warcio.cli; warcio.cli.main()"
PAGE_KINDS = ("article", "column", "load_more")


class EncodingReplica(ReplicaSite):
    """The replica, with article pages sent encoded to a client that accepts it: even-numbered
    ones ``Content-Encoding: gzip``, numbers 1 more than a multiple of 4 ``Content-Encoding: br``."""

    def handle(self, method, target, headers, base_url):
        resp = super().handle(method, target, headers, base_url)
        accepts = {k.lower(): v for k, v in headers.items()}.get("accept-encoding", "")
        article = re.search(r"/articles/[\d-]+/(\d+)\.html$", target)
        if resp.status != 200 or not article:
            return resp
        number = int(article.group(1))
        if number % 2 == 0 and "gzip" in accepts:
            return _encoded(resp, "gzip", gzip.compress(resp.body, mtime=0))
        if number % 4 == 1 and "br" in accepts:
            return _encoded(resp, "br", brotli.compress(resp.body))
        return resp


def _encoded(resp, encoding: str, body: bytes):
    return dataclasses.replace(resp, body=body, headers=resp.headers + (("Content-Encoding", encoding),))


def warc_files(warc_dir: Path) -> list[Path]:
    return sorted(warc_dir.glob("*.warc.gz"))


def records(path: Path):
    """(type, WARC headers, HTTP headers, payload) of every record, read with warcio."""
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f):
            yield rec.rec_type, rec.rec_headers, rec.http_headers, rec.raw_stream.read()


@pytest.fixture(scope="module")
def crawled(mongo_uri, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("warc-crawl")
    db_name = f"nc_warc_{id(data_dir) % 100000}"
    site = EncodingReplica(generate_articles(30, seed=5), columns_per_page=6)
    retried = sorted(site.articles)[3]
    site.faults.add(rf"/{retried}\.html$", "status", count=1, status=503)
    with serve(site) as server:
        result = crawl(server, mongo_uri, db_name, data_dir, pages=20,
                       settings={"WARC_MAX_SIZE": str(MAX_SIZE)})
        assert result.returncode == 0, result.stderr[-3000:]
        log = site.requests  # before the tests below ask the site for the expected bytes
        yield {"site": site, "server": server, "db_name": db_name, "data_dir": Path(data_dir),
               "warc_dir": Path(data_dir) / "warc", "log": log, "retried": retried}
    pymongo.MongoClient(mongo_uri).drop_database(db_name)


def test_every_fetched_page_is_in_the_warc_files_byte_for_byte(crawled):
    site, server, log = crawled["site"], crawled["server"], crawled["log"]
    responses, requests = [], {}
    for path in warc_files(crawled["warc_dir"]):
        for rec_type, warc, http, payload in records(path):
            if rec_type == "response":
                responses.append((warc, http, payload))
            elif rec_type == "request":
                requests[warc.get_header("WARC-Concurrent-To")] = http
    fetched = sorted(r.path for r in log if r.kind in PAGE_KINDS)
    archived = sorted("/" + w.get_header("WARC-Target-URI").split("/", 3)[3] for w, _, _ in responses)
    assert archived == fetched  # every page answer (retried 503 included), nothing else
    assert not [r for r in log if r.kind in ("robots", "image")
                if r.path in archived]  # robots.txt and thumbnails are not pages

    encoded = {"gzip": 0, "br": 0}
    for warc, http, payload in responses:
        target = "/" + warc.get_header("WARC-Target-URI").split("/", 3)[3]
        request = requests[warc.get_header("WARC-Record-ID")]  # a request record for each
        assert request.protocol == "GET" and request.statusline.startswith(target)
        if http.get_statuscode() == "503":
            assert target.endswith(f"/{crawled['retried']}.html")
            continue
        expected = site.handle("GET", target, dict(request.headers), server.base_url)
        assert payload == expected.body, target  # as sent: encoded pages stay encoded
        if http.get_header("Content-Encoding") in encoded:
            encoded[http.get_header("Content-Encoding")] += 1
            assert payload != site.handle("GET", target, {}, server.base_url).body
    assert encoded["gzip"] >= 10 and encoded["br"] >= 3, encoded
    assert sum(1 for _, h, _ in responses if h.get_statuscode() == "503") == 1


def test_articles_point_at_their_record(crawled, mongo_uri):
    db = archive(mongo_uri, crawled["db_name"])
    docs = list(db.articles.find({}))
    assert len(docs) == len(crawled["site"].articles)
    for doc in docs:
        where = doc["warc"]
        assert set(where) >= {"file", "offset", "length", "record_id"}
        page = read_response(crawled["warc_dir"] / where["file"], where["offset"], where["length"],
                             where["record_id"])
        assert page.status == 200  # the retried article points at its 200, not the 503
        assert page.url == doc["fetched_url"]
        plain = crawled["site"].handle("GET", "/" + page.url.split("/", 3)[3], {}, crawled["server"].base_url)
        assert page.content() == plain.body  # gzip and br undone, as Scrapy did for the spider
        assert page.column_id is not None and page.base_url == crawled["server"].base_url


def test_files_rotate_by_size_and_open_in_standard_tools(crawled, mongo_uri):
    files = warc_files(crawled["warc_dir"])
    assert len(files) >= 3
    crawl_id = archive(mongo_uri, crawled["db_name"]).crawls.find_one({})["crawl_id"]
    for path in files[:-1]:
        size = path.stat().st_size
        assert MAX_SIZE <= size < MAX_SIZE + 60_000, (path.name, size)
    for n, path in enumerate(files, 1):
        assert path.name == f"newscrawler-{crawl_id}-{n:05d}.warc.gz"
        first = next(records(path))
        assert first[0] == "warcinfo"
        info = first[3].decode()
        assert f"isPartOf: {crawl_id}" in info and "software: newscrawler/" in info
        assert check_file(path).ok
    warcio_cli = Path(sys.executable).with_name("warcio")
    if warcio_cli.exists():
        for path in files:
            index = subprocess.run([str(warcio_cli), "index", str(path)], capture_output=True, text=True, check=True)
            lines = [json.loads(line) for line in index.stdout.splitlines()]
            assert lines[0]["warc-type"] == "warcinfo"
            assert sum(1 for x in lines if x["warc-type"] == "response") == check_file(path).responses
            # warcio check decodes every payload, and its own br decoder is brotlipy's: with
            # Google's brotli (Scrapy's) it fails on br pages (warcio issue #73). Run it with the
            # decoder our reader registers.
            checked = subprocess.run([sys.executable, "-c", WARCIO_WITH_OUR_DECODERS, "check", str(path)],
                                     capture_output=True, text=True)
            assert checked.returncode == 0, checked.stdout + checked.stderr[-2000:]


@pytest.fixture
def cli_env(crawled, mongo_uri, monkeypatch):
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", crawled["db_name"])
    monkeypatch.setenv("WARC_DIR", str(crawled["warc_dir"]))
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(crawled["data_dir"]))
    return crawled


def test_reextract_repairs_damaged_records_and_keeps_revisions(cli_env, mongo_uri, capsys):
    db = archive(mongo_uri, cli_env["db_name"])
    ids = sorted(d["article_id"] for d in db.articles.find({"authors.0": {"$exists": True}}, {"article_id": 1}))
    title_hit, authors_hit = ids[0], ids[1]
    good = {d["article_id"]: d for d in db.articles.find({"article_id": {"$in": [title_hit, authors_hit]}})}
    # A weaker extractor's output: a wrong title (and so a new content hash), lost authors.
    bad_title = "（标题缺失）"
    db.articles.update_one({"article_id": title_hit}, {"$set": {
        "title": bad_title, "content_hash": content_hash(bad_title, good[title_hit]["body_text"])}})
    db.articles.update_one({"article_id": authors_hit}, {"$set": {"authors": [], "editor": None}})
    total = db.articles.count_documents({})

    assert main(["reextract", "--all", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "changed                 2" in out and "dry run" in out
    assert db.articles.find_one({"article_id": title_hit})["title"] == bad_title

    assert main(["reextract", "--all", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["changed"], report["unchanged"], report["failed"]) == (2, total - 2, 0)
    assert report["field_changes"]["title"] == 1 and report["field_changes"]["authors"] == 1
    for aid in (title_hit, authors_hit):
        doc = db.articles.find_one({"article_id": aid})
        for field in ("title", "authors", "editor", "body_text", "published_at", "category"):
            assert doc[field] == good[aid][field], (aid, field)
        assert doc["content_hash"] == good[aid]["content_hash"]
        assert doc["revision"] == 2 and doc["reextracted_at"] and doc["crawl_id"] == report["run_id"]
        revision = db.article_revisions.find_one({"article_id": aid})
        assert revision["replaced_by_crawl"] == report["run_id"] and revision["revision"] == 1
    assert db.article_revisions.find_one({"article_id": title_hit})["title"] == bad_title
    assert db.article_revisions.find_one({"article_id": authors_hit})["authors"] == []
    assert db.crawls.find_one({"crawl_id": report["run_id"]})["spider"] == "reextract"

    # Nothing left to repair; --id selects.
    assert main(["reextract", "--id", f"{title_hit},{authors_hit}", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["selected"], again["changed"], again["unchanged"]) == (2, 0, 2)


def test_truncated_warc_file_is_detected_and_earlier_records_stay_readable(cli_env, mongo_uri, tmp_path,
                                                                           monkeypatch, capsys):
    warc_dir = tmp_path / "warc"
    shutil.copytree(cli_env["warc_dir"], warc_dir)
    docs = list(archive(mongo_uri, cli_env["db_name"]).articles.find({}, {"article_id": 1, "warc": 1}))
    last = max(docs, key=lambda d: (d["warc"]["file"], d["warc"]["offset"]))["warc"]
    path = warc_dir / last["file"]
    cut = last["offset"] + last["length"] // 2  # a crash in the middle of writing this record
    with open(path, "r+b") as f:
        f.truncate(cut)

    result = check_file(path)
    assert not result.ok and result.problem_offset == last["offset"]
    assert "cut mid-write" in result.problem or "short" in result.problem
    assert result.records and all(r.offset + r.length <= last["offset"] for r in result.records)
    lost = [d for d in docs if d["warc"]["file"] == last["file"] and d["warc"]["offset"] >= last["offset"]]
    kept = [d for d in docs if d["warc"]["file"] == last["file"] and d["warc"]["offset"] < last["offset"]]
    for doc in kept:  # every record before the damage reads back whole
        w = doc["warc"]
        assert read_response(path, w["offset"], w["length"], w["record_id"]).status == 200

    assert main(["warc", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "DAMAGED" in out and "1 damaged" in out

    monkeypatch.setenv("WARC_DIR", str(warc_dir))
    assert main(["reextract", "--all", "--dry-run", "--json"]) == 1  # failures: exit 1
    report = json.loads(capsys.readouterr().out)
    assert report["failed"] == len(lost) >= 1 and report["failures"] == {"truncated": len(lost)}
    assert report["unchanged"] == len(docs) - len(lost)
    assert any("is truncated" in e["message"] for e in report["examples"])


def test_warc_can_be_switched_off(mongo_uri, mongo_db_name, tmp_path):
    site = ReplicaSite(generate_articles(6, seed=9))
    with serve(site) as server:
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, settings={"WARC_ENABLED": "0"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (tmp_path / "warc").exists()
    db = archive(mongo_uri, mongo_db_name)
    assert db.articles.count_documents({}) == 6
    assert db.articles.count_documents({"warc": {"$exists": True}}) == 0


def test_writer_thread_mode_keeps_files_whole(mongo_uri, mongo_db_name, tmp_path):
    site = ReplicaSite(generate_articles(8, seed=4))
    with serve(site) as server:
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path,
                       settings={"WARC_WRITER_THREAD": "1", "WARC_MAX_SIZE": "40000"})
    assert result.returncode == 0, result.stderr[-2000:]
    files = warc_files(tmp_path / "warc")
    assert len(files) >= 2 and all(check_file(f).ok for f in files)
    for doc in archive(mongo_uri, mongo_db_name).articles.find({}):
        w = doc["warc"]
        assert read_response(tmp_path / "warc" / w["file"], w["offset"], w["length"], w["record_id"]).url \
            == doc["fetched_url"]


def test_middleware_sees_responses_before_decompression_and_redirects():
    """process_response runs in decreasing order: 610 comes before 600 (redirect) and 590 (gzip)."""
    from scrapy.utils.conf import build_component_list
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    order = build_component_list(settings.getwithbase("DOWNLOADER_MIDDLEWARES"))
    names = [c if isinstance(c, str) else f"{c.__module__}.{c.__name__}" for c in order]
    response_order = names[::-1]  # the order process_response is called in
    warc = response_order.index("newscrawler.crawl.middlewares.warc.WarcMiddleware")
    for later in ("scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware",
                  "scrapy.downloadermiddlewares.redirect.RedirectMiddleware",
                  "newscrawler.crawl.middlewares.retry.BackoffRetryMiddleware"):
        assert response_order.index(later) > warc, later


def test_a_failed_write_leaves_earlier_records_readable_and_goes_on_in_a_new_file(tmp_path):
    from newscrawler.warc.writer import WarcFileWriter

    writer = WarcFileWriter(tmp_path, "c1", info={"software": "test"})
    page = ("<html><body>" + "每经网" * 500 + "</body></html>").encode()

    def write(n):
        return writer.write_exchange(f"http://127.0.0.1/articles/2024-01-01/{n}.html", status=200,
                                     headers=[("Content-Type", "text/html; charset=utf-8")], body=page,
                                     request=("GET", f"/articles/2024-01-01/{n}.html", []))

    first = write(1)
    writer.flush()

    class DiskFull:
        def __init__(self, real):
            self.real = real

        def tell(self):
            return self.real.tell()

        def write(self, data):
            self.real.write(data[: len(data) // 2])
            self.real.flush()
            raise OSError(28, "No space left on device")

        def close(self):
            self.real.close()

    writer._file = DiskFull(writer._file)
    with pytest.raises(OSError):
        write(2)
    third = write(3)
    writer.close()
    assert (first.file, third.file) == ("newscrawler-c1-00001.warc.gz", "newscrawler-c1-00002.warc.gz")
    damaged = check_file(tmp_path / first.file)
    assert not damaged.ok and damaged.responses == 1  # the half-written record is found out
    assert read_response(tmp_path / first.file, first.offset, first.length).body == page
    assert check_file(tmp_path / third.file).ok
    assert read_response(tmp_path / third.file, third.offset, third.length).body == page
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    assert not check_file(tmp_path / "empty.warc.gz").ok


PAGE = ("<html><body>" + "每经网" * 2000 + "</body></html>").encode()


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize("encoding, encode", [
    ("gzip", lambda b: gzip.compress(b, mtime=0)),
    ("br", brotli.compress),
    ("deflate", zlib.compress),
    ("deflate", _raw_deflate),  # without the zlib wrapper, as some servers send
    ("zstd", zstd.compress),
    ("gzip, br", lambda b: brotli.compress(gzip.compress(b, mtime=0))),
    ("x-gzip", lambda b: gzip.compress(b, mtime=0)),
])
def test_an_encoded_page_is_stored_as_received_and_reads_back_decoded(tmp_path, encoding, encode):
    from newscrawler.warc.writer import WarcFileWriter

    encoded = encode(PAGE)
    writer = WarcFileWriter(tmp_path, "c1", info={"software": "test"})
    where = writer.write_exchange("http://127.0.0.1/articles/2024-01-01/1.html", status=200,
                                  headers=[("Content-Type", "text/html; charset=utf-8"),
                                           ("Content-Encoding", encoding)],
                                  body=encoded, request=("GET", "/articles/2024-01-01/1.html", []))
    writer.close()
    page = read_response(tmp_path / where.file, where.offset, where.length, where.record_id)
    assert page.body == encoded
    assert page.content() == PAGE


def test_a_chunked_record_from_another_tool_reads_back_dechunked(tmp_path):
    """Tools that archive the bytes off the wire (wget, warcprox) keep the chunking."""
    body = gzip.compress(PAGE, mtime=0)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 4096]), body[i:i + 4096])
                       for i in range(0, len(body), 4096)) + b"0\r\n\r\n"
    path = tmp_path / "other.warc.gz"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("http://127.0.0.1/a.html", "response",
                                                      payload=io.BytesIO(chunked), http_headers=http))
    page = read_response(path, 0)
    assert page.body == chunked
    assert page.content() == PAGE
