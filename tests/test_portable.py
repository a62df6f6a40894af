"""The archive leaves its server: `db dump` / `db restore`, `db copy --to`, `warc rebuild`.

One real archive for the module: the replica crawled with thumbnails kept in GridFS, one
article edited and crawled again (a revision), the stats counts built, and a collection of
every awkward BSON type with a hand-made index. Each round trip must give the same documents
(compared as BSON bytes: types, values, field order), the same counts and the same indexes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import tarfile
from pathlib import Path

import pymongo
import pytest
from bson import Decimal128, Int64, ObjectId
from bson.binary import Binary
from bson.regex import Regex

from newscrawler.cli import main
from newscrawler.store import portable
from newscrawler.store.counts import rebuild_counts
from newscrawler.store.portable import PortableError, compare_databases, copy_archive, dump_archive
from newscrawler.warc.reader import read_response
from nbd_replica.corpus import generate_articles
from nbd_replica.procs import start_secantus, stop_process
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from tests.crawling import archive, crawl

AWKWARD = [
    {"_id": ObjectId(), "int64": Int64(7), "int32": 7, "double": 7.0, "nan": math.nan, "negative_zero": -0.0,
     "bytes": b"\x00\xffraw", "uuid": Binary(b"0123456789abcdef", 4), "decimal": Decimal128("1.10"),
     "when": dt.datetime(2024, 12, 3, 2, 15, 0, 123000, tzinfo=dt.timezone.utc), "regex": Regex("^每", "i"),
     "nested": {"list": [1, Int64(2), "三", None, {"deep": True}]}, "text": "每日经济新闻"},
    {"_id": "a string id", "when": dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc), "empty": {}},
    {"_id": 42, "big": Int64(2 ** 62)},
]


def index_specs(db) -> dict[str, set]:
    """Each collection's indexes: (name, keys, unique, sparse)."""
    return {name: {(i["name"], tuple(dict(i["key"]).items()), bool(i.get("unique")), bool(i.get("sparse")))
                   for i in db[name].list_indexes()}
            for name in db.list_collection_names() if not name.startswith("system.")}


@pytest.fixture(scope="module")
def crawled(mongo_uri, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("portable")
    db_name = f"nc_portable_{id(data_dir) % 100000}"
    site = ReplicaSite(generate_articles(16, seed=9))
    with serve(site) as server:
        result = crawl(server, mongo_uri, db_name, data_dir, pages=20, settings={"IMAGES_STORE": "gridfs://"})
        assert result.returncode == 0, result.stderr[-3000:]
        edited = sorted(site.articles)[2]
        site.edit_article(edited, title=site.articles[edited].title + "（更新）")
        again = crawl(server, mongo_uri, db_name, data_dir, columns="", urls=str(edited), full=1,
                      settings={"IMAGES_STORE": "gridfs://"})
        assert again.returncode == 0, again.stderr[-3000:]
    db = archive(mongo_uri, db_name)
    rebuild_counts(db)
    db.awkward.insert_many([dict(d) for d in AWKWARD])
    db.awkward.create_index([("text", pymongo.ASCENDING)], name="by_text", sparse=True)
    db.articles.create_index([("fetched_url", pymongo.ASCENDING)], name="by_fetched_url")
    assert db.article_revisions.count_documents({"article_id": edited}) == 1
    assert db["thumbnails.files"].count_documents({}) and db["thumbnails.chunks"].count_documents({})
    yield {"db": db, "db_name": db_name, "data_dir": Path(data_dir), "edited": edited}
    pymongo.MongoClient(mongo_uri).drop_database(db_name)


@pytest.fixture
def cli_env(crawled, mongo_uri, monkeypatch):
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", crawled["db_name"])
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(crawled["data_dir"]))
    monkeypatch.setenv("WARC_DIR", str(crawled["data_dir"] / "warc"))
    return monkeypatch


def test_dump_then_restore_gives_the_same_documents_indexes_and_counts(crawled, cli_env, mongo_uri,
                                                                        mongo_db_name, tmp_path, capsys):
    out = tmp_path / "archive.dump.tar"
    assert main(["db", "dump", "--out", str(out), "--json"]) == 0
    dumped = json.loads(capsys.readouterr().out)
    source = crawled["db"]
    names = {c["name"] for c in dumped["collections"]}
    assert {"articles", "article_revisions", "rejects", "crawls", "column_walks", "article_counts",
            "thumbnails.files", "thumbnails.chunks", "awkward"} <= names
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left beside it

    # The members a user can read with standard tools: canonical Extended JSON lines.
    with tarfile.open(out) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        first = json.loads(gzip.open(tar.extractfile("articles.jsonl.gz")).readline())
    assert set(first["published_at"]["$date"]) == {"$numberLong"} and "$oid" in first["_id"]
    assert {c["name"]: c["documents"] for c in manifest["collections"]}["articles"] == \
        source.articles.count_documents({})

    cli_env.setenv("MONGO_DATABASE", mongo_db_name)
    assert main(["db", "restore", str(out), "--json"]) == 0
    restored = json.loads(capsys.readouterr().out)
    assert restored["ok"] and all(c["documents"] == c["expected"] for c in restored["collections"])
    target = archive(mongo_uri, mongo_db_name)
    assert compare_databases(source, target) == {}
    assert index_specs(target) == index_specs(source)
    assert target.awkward.find_one({"_id": 42})["big"] == 2 ** 62

    # A second restore is refused: the database holds the archive now; --drop replaces it.
    target.articles.delete_one({})
    assert main(["db", "restore", str(out)]) == 1
    assert "not empty" in capsys.readouterr().err
    assert main(["db", "restore", str(out), "--drop"]) == 0
    assert compare_databases(source, target) == {}


def test_a_dump_that_fails_half_way_leaves_the_earlier_dump_and_no_file(crawled, tmp_path):
    out = tmp_path / "archive.dump.tar"
    dump_archive(crawled["db"], out)
    before = out.read_bytes()

    def killed(collection, documents):
        if collection == "articles":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        dump_archive(crawled["db"], out, progress=killed, batch_size=2)
    assert out.read_bytes() == before
    assert list(tmp_path.iterdir()) == [out]


def test_a_tar_cut_short_is_not_restored(crawled, mongo_db, tmp_path):
    out = tmp_path / "archive.dump.tar"
    dump_archive(crawled["db"], out)
    cut = tmp_path / "cut.tar"
    with tarfile.open(out) as whole, tarfile.open(cut, "w") as part:
        for member in whole.getmembers():
            if member.name != "manifest.json":  # written last: what a killed copy of the file lacks
                part.addfile(member, whole.extractfile(member))
    with pytest.raises(PortableError, match="not a complete dump"):
        portable.restore_archive(mongo_db, cut)
    assert mongo_db.list_collection_names() == []


@pytest.fixture
def second_server(tmp_path):
    proc, uri = start_secantus(str(tmp_path / "second-server"))
    try:
        yield uri
    finally:
        stop_process(proc)


def test_copy_to_another_server_interrupted_then_rerun_completes_without_duplicates(
        crawled, cli_env, second_server, monkeypatch, capsys):
    source = crawled["db"]
    target = pymongo.MongoClient(second_server, tz_aware=True)["moved"]
    real_upsert, batches = portable._upsert, []

    def interrupted(collection, batch):
        if len(batches) == 3:
            raise ConnectionError("the link went down")
        batches.append(len(batch))
        return real_upsert(collection, batch)

    with monkeypatch.context() as patch:
        patch.setattr(portable, "_upsert", interrupted)
        with pytest.raises(ConnectionError):
            copy_archive(source, target, batch_size=5)
    assert 0 < sum(target[name].estimated_document_count() for name in target.list_collection_names()) == sum(batches)

    assert main(["db", "copy", "--to", f"{second_server}/moved", "--batch-size", "5", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"]
    articles = next(c for c in report["collections"] if c["name"] == "articles")
    assert articles["documents"] == articles["expected"] == source.articles.count_documents({})
    assert articles["sampled"] == articles["documents"] and articles["differing"] == []
    assert compare_databases(source, target) == {}
    assert index_specs(target) == index_specs(source)


def test_copy_refuses_the_archive_itself(crawled):
    with pytest.raises(PortableError, match="archive itself"):
        copy_archive(crawled["db"], crawled["db"])


def test_rebuild_from_the_warc_files_gives_back_the_articles_and_their_history(
        crawled, cli_env, mongo_uri, mongo_db_name, tmp_path, capsys):
    """The archive lost but for its WARC files: a copy of it without its articles and
    revisions, rebuilt from the pages."""
    out = tmp_path / "archive.dump.tar"
    dump_archive(crawled["db"], out)
    db = archive(mongo_uri, mongo_db_name)
    portable.restore_archive(db, out)
    db.drop_collection("articles")
    db.drop_collection("article_revisions")
    cli_env.setenv("MONGO_DATABASE", mongo_db_name)

    assert main(["warc", "rebuild", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    originals = {d["article_id"]: d for d in crawled["db"].articles.find()}
    rebuilt = {d["article_id"]: d for d in db.articles.find()}
    assert report["articles"] == len(rebuilt) == len(originals)
    for article_id, original in originals.items():
        for name in ("title", "body_text", "published_at", "authors", "url", "category", "content_hash"):
            assert rebuilt[article_id][name] == original[name], (article_id, name)
        where = rebuilt[article_id]["warc"]
        page = read_response(crawled["data_dir"] / "warc" / where["file"], where["offset"], where["length"],
                             where["record_id"])
        assert page.url == original["fetched_url"]
    # The edited article: its first version kept as revision 1, as the crawls left it.
    edited = crawled["edited"]
    assert rebuilt[edited]["revision"] == 2
    (old,) = db.article_revisions.find({"article_id": edited})
    assert old["revision"] == 1 and old["title"] + "（更新）" == rebuilt[edited]["title"]
    assert db.article_counts.find_one({"_id": "total:"})["n"] == len(originals)

    # Only into an empty articles collection.
    assert main(["warc", "rebuild"]) == 1
    assert "holds" in capsys.readouterr().err
