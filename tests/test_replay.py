"""Pages that replay: the CDXJ index the crawl writes beside each WARC file, `warc index` for
files without one, pywb replaying archived pages from our files, and `export wacz`.

One crawl of a replica (every fifth article over several pages, even-numbered article pages
sent gzip-encoded, files rotated every 40 kB) feeds the tests; pywb runs in its own virtual
environment (``nbd_replica.pywb``).
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_timestamp

from newscrawler.cli import main
from newscrawler.warc import cdxj
from newscrawler.warc.pointers import page_pointers
from newscrawler.warc.reader import check_file, read_response
from newscrawler.warc.writer import WarcFileWriter
from nbd_replica.pywb import wayback, wb_manager
from tests.crawling import archive
from tests.replay_crawl import crawl_replica, point_cli_at

COLLECTION = "nbd"


@pytest.fixture(scope="module")
def crawled(mongo_uri, tmp_path_factory):
    yield from crawl_replica(mongo_uri, tmp_path_factory)


@pytest.fixture
def cli_env(crawled, mongo_uri, monkeypatch):
    return point_cli_at(crawled, mongo_uri, monkeypatch)


def warc_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.warc.gz"))


def cdxj_lines(path: Path) -> list[tuple[str, str, dict]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        key, stamp, fields = line.split(" ", 2)
        out.append((key, stamp, json.loads(fields)))
    return out


def fetch(url: str, **headers: str) -> tuple[int, dict, bytes]:
    """GET ``url`` as received: urllib undoes no Content-Encoding."""
    request = urllib.request.Request(url, headers={k.replace("_", "-"): v for k, v in headers.items()})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()


# -- the crawl's indexes ---------------------------------------------------------------------


def test_every_warc_file_the_crawl_finishes_has_an_index_naming_each_response_record(crawled):
    files = warc_files(crawled["warc_dir"])
    assert len(files) >= 3  # rotated: the indexes of rotated files and of the last one
    for path in files:
        index = cdxj.index_path(path)
        assert index.name == path.name.replace(".warc.gz", ".cdxj") and index.is_file()
        lines = cdxj_lines(index)
        raw = index.read_text(encoding="utf-8").splitlines()
        assert raw == sorted(raw)  # replay tools binary-search it
        responses = [r for r in check_file(path).records if r.rec_type == "response"]
        assert responses
        assert sorted((int(f["offset"]), int(f["length"]), f["url"]) for _, _, f in lines) == \
            sorted((r.offset, r.length, r.url) for r in responses)
        assert {f["filename"] for _, _, f in lines} == {path.name}
    assert f"'warc/indexes': {len(files)}," in crawled["log"]  # the crawl's stats


def test_the_crawls_index_is_what_cdxj_indexer_makes_of_the_file(crawled, tmp_path):
    for path in warc_files(crawled["warc_dir"]):
        copy = tmp_path / path.name
        shutil.copy(path, copy)
        cdxj.write_index(copy)  # cdxj-indexer reading the whole file
        assert cdxj.index_path(copy).read_bytes() == cdxj.index_path(path).read_bytes(), path.name


def test_warc_index_indexes_the_files_without_a_current_index(crawled, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path))
    files = warc_files(crawled["warc_dir"])
    for path in files:
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(cdxj.index_path(files[0]), tmp_path)  # one already indexed, and current
    assert main(["warc", "index", "--warc-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{len(files)} file(s): {len(files) - 1} indexed, 1 already current, 0 damaged" in out
    for path in files:
        assert cdxj.index_path(tmp_path / path.name).read_bytes() == cdxj.index_path(path).read_bytes()

    assert main(["warc", "index", "--warc-dir", str(tmp_path)]) == 0
    assert f"0 indexed, {len(files)} already current" in capsys.readouterr().out
    assert main(["warc", "index", "--force", str(tmp_path / files[1].name)]) == 0
    assert "1 file(s): 1 indexed" in capsys.readouterr().out

    damaged = tmp_path / files[-1].name
    last = [r for r in check_file(damaged).records if r.rec_type == "response"][-1]
    with open(damaged, "r+b") as f:
        f.truncate(last.offset + last.length - 50)  # cut inside its last page, as a crash does
    assert main(["warc", "index", "--warc-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"DAMAGED  {damaged.name}  " in out and "1 indexed" in out and "1 damaged" in out
    left = cdxj_lines(cdxj.index_path(damaged))
    assert [f for _, _, f in left] == [f for _, _, f in cdxj_lines(cdxj.index_path(files[-1]))
                                       if int(f["offset"]) != last.offset]  # whole records only
    assert not list(tmp_path.glob(".*.partial"))

    assert main(["warc", "index", "--warc-dir", str(tmp_path / "nowhere")]) == 1
    assert "no WARC directory at" in capsys.readouterr().err
    assert main(["warc", "index", str(tmp_path / "missing.warc.gz")]) == 2


# -- pywb ------------------------------------------------------------------------------------


def test_pywb_replays_archived_articles_from_our_files(crawled, mongo_uri, tmp_path):
    db = archive(mongo_uri, crawled["db_name"])
    docs = list(db.articles.find({}))
    encoded = next(d for d in docs if d["article_id"] % 2 == 0)
    plain = next(d for d in docs if d["article_id"] % 2 == 1)
    paged = next(d for d in docs if d["warc"].get("later_pages"))
    warc_dir = str(crawled["warc_dir"]) + "/"
    with wayback(tmp_path / "pywb", {COLLECTION: {"index_paths": warc_dir, "archive_paths": warc_dir}}) as base:
        for doc in (encoded, plain, paged):
            for n, pointer in enumerate(page_pointers(doc["warc"])):
                stored = read_response(crawled["warc_dir"] / pointer["file"], pointer["offset"],
                                       pointer["length"], pointer["record_id"])
                stamp = iso_date_to_timestamp(stored.warc_headers["WARC-Date"])
                status, headers, body = fetch(f"{base}/{COLLECTION}/{stamp}id_/{stored.url}",
                                              Accept_Encoding="gzip")
                assert status == 200
                assert body == stored.body, stored.url  # the archived bytes, as received
                assert headers.get("content-encoding") == stored.header("Content-Encoding")
                if doc is encoded and n == 0:
                    assert headers["content-encoding"] == "gzip"
                    assert doc["title"] in gzip.decompress(body).decode("utf-8")
                    # A client that takes no gzip gets the page decoded, as Scrapy read it.
                    assert fetch(f"{base}/{COLLECTION}/{stamp}id_/{stored.url}")[2] == stored.content()


# -- export wacz -----------------------------------------------------------------------------


def wacz_records(wacz: zipfile.ZipFile) -> dict[str, list]:
    """WARC file in the package -> its (type, record id, target, payload) records."""
    out = {}
    for name in wacz.namelist():
        if name.startswith("archive/"):
            data = io.BytesIO(wacz.read(name))
            out[name] = [(r.rec_type, r.rec_headers.get_header("WARC-Record-ID"),
                          r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                         for r in ArchiveIterator(data)]
    return out


def test_export_wacz_packages_the_selection_as_a_valid_wacz(cli_env, mongo_uri, tmp_path, capsys):
    db = archive(mongo_uri, cli_env["db_name"])
    category = db.articles.find_one({"warc.later_pages": {"$exists": True}})["category"]
    selected = {d["article_id"]: d for d in db.articles.find({"category": category})}
    assert 1 < len(selected) < db.articles.count_documents({})
    out = tmp_path / "out" / "selection.wacz"
    assert main(["export", "wacz", "--out", str(out), "--category", category]) == 0
    err = capsys.readouterr().err
    records = sum(len(page_pointers(d["warc"])) for d in selected.values())
    assert f"exported {len(selected)} articles ({records} page records) to {out}" in err

    checked = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(out)],
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0 and "the passed WACZ is valid" in checked.stdout, checked.stdout + checked.stderr

    with zipfile.ZipFile(out) as wacz:
        names = set(wacz.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "pages/pages.jsonl",
                "indexes/index.cdx.gz", "indexes/index.idx", "archive/selection.warc.gz"} <= names
        package = json.loads(wacz.read("datapackage.json"))
        assert all(r["hash"].startswith("sha256:") for r in package["resources"])
        assert package["title"] and category in package["description"]
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode("utf-8").splitlines()]
        assert pages[0]["format"] == "json-pages-1.0"
        listed = {int(p["id"]): p for p in pages[1:]}
        assert sorted(listed) == sorted(selected)
        for article_id, page in listed.items():
            assert page["title"] == selected[article_id]["title"]  # Chinese, exactly
            assert page["url"] == selected[article_id]["fetched_url"]
        (warc_name, recs), = wacz_records(wacz).items()
        index = gzip.decompress(wacz.read("indexes/index.cdx.gz")).decode("utf-8")
    assert recs[0][0] == "warcinfo"
    responses = {rid: (url, payload) for kind, rid, url, payload in recs if kind == "response"}
    requests = [rid for kind, rid, _, _ in recs if kind == "request"]
    assert len(requests) == len(responses)  # each page with the request the crawl sent
    wanted = {p["record_id"] for d in selected.values() for p in page_pointers(d["warc"])}
    assert set(responses) == wanted  # every page of every selected article, nothing else
    for doc in selected.values():
        for pointer in page_pointers(doc["warc"]):
            stored = read_response(cli_env["warc_dir"] / pointer["file"], pointer["offset"], pointer["length"])
            assert responses[pointer["record_id"]] == (stored.url, stored.content())
            assert f'"url": "{stored.url}"' in index
    # The copied records are whole, their digests intact.
    extracted = tmp_path / "extracted.warc.gz"
    with zipfile.ZipFile(out) as wacz:
        extracted.write_bytes(wacz.read(warc_name))
    assert check_file(extracted).ok


def test_a_wacz_export_replays_in_pywb(cli_env, mongo_uri, tmp_path, capsys):
    db = archive(mongo_uri, cli_env["db_name"])
    doc = db.articles.find_one({"article_id": {"$mod": [2, 0]}})
    out = tmp_path / "one.wacz"
    assert main(["export", "wacz", "--out", str(out), "--search", doc["title"]]) == 0
    root = tmp_path / "pywb"
    root.mkdir()
    wb_manager(root, "init", COLLECTION)
    wb_manager(root, "add", "--unpack-wacz", COLLECTION, str(out))
    stored = read_response(cli_env["warc_dir"] / doc["warc"]["file"], doc["warc"]["offset"])
    stamp = iso_date_to_timestamp(stored.warc_headers["WARC-Date"])
    with wayback(root) as base:
        status, _headers, body = fetch(f"{base}/{COLLECTION}/{stamp}id_/{stored.url}", Accept_Encoding="gzip")
    assert status == 200 and body == stored.body


def test_export_wacz_with_revisions_carries_the_earlier_versions_pages(cli_env, mongo_uri, tmp_path, capsys):
    db = archive(mongo_uri, cli_env["db_name"])
    doc = db.articles.find_one({"warc.later_pages": {"$exists": False}})
    earlier_pointer = db.articles.find_one({"article_id": {"$ne": doc["article_id"]},
                                            "warc.later_pages": {"$exists": False}})["warc"]
    # An earlier version of the article whose page is another record of the archive.
    old = {k: v for k, v in doc.items() if k != "_id"}
    db.article_revisions.insert_one({**old, "revision": 1, "warc": earlier_pointer,
                                     "revised_at": doc["last_crawled_at"], "replaced_by_crawl": "x"})
    db.articles.update_one({"_id": doc["_id"]}, {"$set": {"revision": 2}})
    try:
        out = tmp_path / "history.wacz"
        assert main(["export", "wacz", "--out", str(out), "--search", doc["title"], "--revisions"]) == 0
        with zipfile.ZipFile(out) as wacz:
            (recs,) = wacz_records(wacz).values()
            pages = wacz.read("pages/pages.jsonl").decode("utf-8").splitlines()[1:]
        assert {rid for kind, rid, _, _ in recs if kind == "response"} >= {doc["warc"]["record_id"],
                                                                           earlier_pointer["record_id"]}
        assert [json.loads(p)["id"] for p in pages].count(str(doc["article_id"])) == 1  # listed once
    finally:
        db.article_revisions.delete_many({"article_id": doc["article_id"]})
        db.articles.update_one({"_id": doc["_id"]}, {"$set": {"revision": 1}})


def test_export_wacz_leaves_out_articles_without_a_page_and_says_so(cli_env, mongo_uri, tmp_path, capsys):
    db = archive(mongo_uri, cli_env["db_name"])
    docs = list(db.articles.find({}, sort=[("article_id", 1)]))
    lost = docs[0]
    db.articles.update_one({"_id": lost["_id"]}, {"$set": {"warc": {"missing": "OSError: disk full"}}})
    try:
        out = tmp_path / "all.wacz"
        assert main(["export", "wacz", "--out", str(out)]) == 0
        err = capsys.readouterr().err
        assert f"exported {len(docs) - 1} articles" in err
        assert f"1 matching article(s) left out, without a readable page (first: article {lost['article_id']}: " \
               "no page archived (OSError: disk full))" in err
        with zipfile.ZipFile(out) as wacz:
            ids = [json.loads(p).get("id") for p in wacz.read("pages/pages.jsonl").decode().splitlines()[1:]]
        assert str(lost["article_id"]) not in ids and len(ids) == len(docs) - 1
    finally:
        db.articles.update_one({"_id": lost["_id"]}, {"$set": {"warc": lost["warc"]}})


def test_export_wacz_of_an_empty_selection_is_one_sentence_and_no_file(cli_env, tmp_path, capsys):
    out = tmp_path / "none.wacz"
    assert main(["export", "wacz", "--out", str(out), "--category", "没有这个栏目"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("newscrawler export: no article matching the filters has an archived page in ")
    assert err.endswith("no WACZ written") and "\n" not in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_export_wacz_without_the_warc_directory_says_where_it_looked(cli_env, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WARC_DIR", str(tmp_path / "nowhere"))
    assert main(["export", "wacz", "--out", str(tmp_path / "x.wacz")]) == 1
    assert capsys.readouterr().err.strip() == (f"newscrawler export: no WARC directory at {tmp_path / 'nowhere'}: "
                                               "the archived pages are not there (set WARC_DIR)")


def test_export_wacz_and_parquet_refuse_standard_output(cli_env, capsys):
    for fmt in ("wacz", "parquet"):
        assert main(["export", fmt, "--out", "-"]) == 2
        assert f"{fmt} writes a file: --out must be a path" in capsys.readouterr().err


# -- the writer, without a crawl (fast) --------------------------------------------------------


@pytest.mark.parametrize("max_size", [10**9, 3_000])
def test_the_writer_indexes_each_file_it_finishes(tmp_path, max_size):
    writer = WarcFileWriter(tmp_path, "t", max_size=max_size)
    for n in range(12):
        writer.write_exchange(f"https://www.nbd.com.cn/articles/2024-12-03/{4000000 + n}.html",
                              status=301 if n % 5 == 0 else 200,
                              headers=[("Content-Type", "text/html; charset=utf-8")],
                              body=f"<p>第{n}篇 {'内容' * 300}</p>".encode(),
                              request=("GET", "/", [("Host", "www.nbd.com.cn")]))
        if n == 5:  # the finished files have their index, the open one not yet
            assert sorted(p.name for p in tmp_path.glob("*.cdxj")) == \
                [cdxj.index_path(tmp_path / f).name for f in writer.files[:-1]]
    writer.close()
    assert writer.indexes == [cdxj.index_path(tmp_path / f).name for f in writer.files]
    total = 0
    for name in writer.files:
        made = cdxj.index_path(tmp_path / name).read_bytes()
        copy = tmp_path / "copy" / name
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(tmp_path / name, copy)
        assert cdxj.write_index(copy).lines == made.count(b"\n")
        assert cdxj.index_path(copy).read_bytes() == made  # cdxj-indexer's own lines
        total += made.count(b"\n")
    assert total == 12  # responses only, requests and warcinfo not
    assert len(writer.files) == 1 if max_size > 10**6 else len(writer.files) > 2


def test_an_index_that_cannot_be_written_is_reported_and_the_pages_stay(tmp_path, monkeypatch):
    import asyncio
    from types import SimpleNamespace

    from newscrawler.crawl import stats as keys
    from newscrawler.crawl.middlewares.warc import WarcMiddleware

    def refuse(self):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cdxj.IncrementalIndex, "write", refuse)
    writer = WarcFileWriter(tmp_path, "t")
    location = writer.write_exchange("https://www.nbd.com.cn/articles/2024-12-03/4000001.html", status=200,
                                     headers=[], body=b"<p>x</p>")
    values = {}
    stats = SimpleNamespace(get_value=values.get, set_value=values.__setitem__)
    middleware = WarcMiddleware(SimpleNamespace(stats=stats), writer, flush_interval=0, fsync=False)
    asyncio.run(middleware.spider_closed(None, "finished"))  # closes the writer: no exception
    assert writer.indexes == [] and writer.index_errors == [f"{writer.files[0]}: [Errno 28] No space left on device"]
    assert values[keys.WARC_INDEXES] == 0
    assert values[keys.ALERTS] == [f"warc: 1 CDXJ index(es) not written ({writer.index_errors[0]}): "
                                   "run `newscrawler warc index`"]
    assert read_response(tmp_path / location.file, location.offset, location.length).body == b"<p>x</p>"
    assert not list(tmp_path.glob("*.cdxj"))
