"""The archive layer against a real server: connection, indexes, store, spool, embedded server.

Store / index / spool tests use the session's test server (``mongo_uri`` / ``mongo_db``).
Embedded-server tests start real SecantusDB processes in temporary data directories and stop
them (each start is about 0.6 s, each stop about 0.1 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pymongo
import pytest

from newscrawler import config
from bson import ObjectId

from newscrawler.store import connection, embedded, store as store_module
from newscrawler.store.connection import (
    describe_error, get_client, redact_text, redact_uri,
    resolve_mongo_uri,
)
from newscrawler.store.embedded import (
    ServerPaths, embedded_status, ensure_embedded_server, stop_embedded_server,
)
from newscrawler.store.errors import ArchiveConfigError, ArchiveUnavailable, EmbeddedServerError
from newscrawler.store.indexes import INDEXES, ensure_indexes
from newscrawler.store.spool import Spool
from newscrawler.store.store import ArticleStore, bson_safe

from nbd_replica.procs import free_port

T0 = datetime(2024, 12, 3, 2, 15, tzinfo=timezone.utc)
SECRET = "s3cr%40t-pw"


def article(article_id: int, **fields) -> dict:
    doc = {
        "article_id": article_id,
        "url": f"https://www.nbd.com.cn/articles/2024-12-03/{article_id}.html",
        "title": f"标题{article_id}",
        "published_at": T0 + timedelta(minutes=article_id),
        "authors": ["记者甲"],
        "category": "金融",
        "tags": ["银行"],
        "body_text": "正文",
        "content_hash": f"hash-{article_id}",
    }
    doc.update(fields)
    return doc


def unreachable_uri() -> str:
    """A URI with credentials to a closed loopback port."""
    return f"mongodb://crawler:{SECRET}@127.0.0.1:{free_port()}/?authSource=admin"


@pytest.fixture
def store(mongo_uri, mongo_db):
    client = get_client(mongo_uri)
    try:
        yield ArticleStore(client[mongo_db.name], uri=mongo_uri)
    finally:
        client.close()


@pytest.fixture
def dead_store():
    client = get_client(unreachable_uri(), serverSelectionTimeoutMS=200, connectTimeoutMS=200)
    try:
        yield ArticleStore(client["newscrawler"], uri=unreachable_uri())
    finally:
        client.close()


@pytest.fixture
def data_dir(tmp_path):
    """A project data directory whose embedded server (if any test starts one) is stopped."""
    yield tmp_path
    stop_embedded_server(tmp_path, timeout=5)


# -- connection -------------------------------------------------------------------------------


@pytest.mark.parametrize(("uri", "expected"), [
    ("mongodb://user:pw@db.example:27017/news", "mongodb://***@db.example:27017/news"),
    ("mongodb+srv://user:pw@cluster0.example.net/?retryWrites=true",
     "mongodb+srv://***@cluster0.example.net/?retryWrites=true"),
    ("mongodb://user@h1,h2:27018/db", "mongodb://***@h1,h2:27018/db"),
    ("mongodb://us:p@ss/w@rd@host/db", "mongodb://***@host/db"),  # unescaped '@' and '/'
    ("mongodb://host/?tls=true&tlsCertificateKeyFilePassword=pem-pw",
     "mongodb://host/?tls=true&tlsCertificateKeyFilePassword=***"),
    ("mongodb://127.0.0.1:27017", "mongodb://127.0.0.1:27017"),
    ("", ""),
])
def test_redact_uri(uri, expected):
    assert redact_uri(uri) == expected


def test_redact_text_and_describe_error():
    assert redact_text("cannot reach mongodb://u:pw@h:1/db now") == "cannot reach mongodb://***@h:1/db now"
    error = pymongo.errors.ServerSelectionTimeoutError(
        "h:1: [Errno 111] Connection refused (configured timeouts: connectTimeoutMS: 200ms), Timeout: 0.2s")
    assert describe_error(error) == "ServerSelectionTimeoutError: h:1: [Errno 111] Connection refused"


def test_invalid_uri_is_a_config_error_without_the_password():
    with pytest.raises(ArchiveConfigError) as info:
        get_client(f"mongodb://crawler:{SECRET}@host:notaport/")
    assert "s3cr" not in str(info.value) and "***@" in str(info.value)


def test_settings_then_environment_then_default(monkeypatch, tmp_path):
    monkeypatch.setenv("MONGO_URI", "mongodb://from-env:27017")
    assert resolve_mongo_uri({"MONGO_URI": "mongodb://from-settings:27017"}) == ("mongodb://from-settings:27017", False)
    assert resolve_mongo_uri({"MONGO_URI": None}) == ("mongodb://from-env:27017", False)
    assert config.setting({}, "MONGO_DATABASE") == "newscrawler"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSCRAWLER_DATA_DIR", raising=False)
    assert config.data_dir({"NEWSCRAWLER_DATA_DIR": "elsewhere"}) == tmp_path.resolve() / "elsewhere"


@pytest.mark.e2e  # starts SecantusDB
def test_no_mongo_uri_means_the_embedded_server(monkeypatch, data_dir):
    monkeypatch.delenv("MONGO_URI", raising=False)
    settings = {"NEWSCRAWLER_DATA_DIR": str(data_dir), "MONGO_URI": ""}
    uri, is_embedded = resolve_mongo_uri(settings)
    assert is_embedded and uri == embedded_status(data_dir)["uri"]
    db = connection.get_database(settings)
    try:
        assert db.name == "newscrawler"
        db.articles.insert_one({"article_id": 1, "published_at": T0})
        assert db.articles.find_one()["published_at"] == T0  # tz-aware UTC comes back
    finally:
        db.client.close()


# -- indexes ----------------------------------------------------------------------------------


def test_ensure_indexes_is_idempotent_and_unique_on_article_id(mongo_db):
    first = ensure_indexes(mongo_db)
    second = ensure_indexes(mongo_db)
    assert first == second
    for name, models in INDEXES.items():
        assert len(set(mongo_db[name].index_information()) - {"_id_"}) == len(models)
    mongo_db.articles.insert_one({"article_id": 7})
    with pytest.raises(pymongo.errors.DuplicateKeyError):
        mongo_db.articles.insert_one({"article_id": 7})


def test_the_marks_indexes_hold_only_the_articles_that_carry_a_mark(mongo_db):
    """Every index costs every article written: the edited and deleted marks' hold few."""
    ensure_indexes(mongo_db)
    mongo_db.articles.insert_many([{**article(i), "revision": 2 if i == 3 else 1,
                                    **({"deleted_at": T0} if i == 4 else {})} for i in range(1, 21)])

    def entries(index: str) -> int:
        return mongo_db.articles.find({}).hint(index).explain()["executionStats"]["totalKeysExamined"]

    assert (entries("edited"), entries("deleted"), entries("deleted_before")) == (1, 1, 0)
    assert entries("published") == 20


def test_an_archive_indexed_by_an_earlier_version_keeps_its_indexes(mongo_db):
    """Indexes of the same keys with other options (full, not partial or sparse) or another
    name (the default ones an earlier version had) are recognised, not created again (the
    server would refuse a second one)."""
    mongo_db.articles.create_index([("revision", 1)])
    mongo_db.articles.create_index([("deleted_at", 1)], name="by_deletion")
    names = ensure_indexes(mongo_db)
    assert {"revision_1", "by_deletion"} <= set(names["articles"])
    assert ensure_indexes(mongo_db) == names
    indexes = mongo_db.articles.index_information()
    assert "deleted" not in indexes and "edited" not in indexes
    assert "partialFilterExpression" not in indexes["revision_1"] and "sparse" not in indexes["by_deletion"]
    assert len(indexes) - 1 == len(INDEXES["articles"])


@pytest.mark.parametrize(("filter_", "index"), [
    ({"category": "金融", "published_at": {"$gte": T0}}, "category"),
    ({"updated_at": {"$gte": T0}}, "updated"),  # the search index's incremental build
    ({"published_at": {"$gte": T0, "$lt": T0 + timedelta(days=1)}}, "published"),
    ({"article_id": {"$in": [1, 2, 3]}}, "id"),
    ({"authors": "记者甲"}, "author"),
])
def test_typical_queries_are_served_by_an_index(mongo_db, filter_, index):
    ensure_indexes(mongo_db)
    mongo_db.articles.insert_many([article(i) for i in range(1, 30)])
    plan = mongo_db.articles.find(filter_).sort("published_at", -1).limit(20).explain()["queryPlanner"]["winningPlan"]
    while plan.get("inputStage") and plan.get("stage") != "IXSCAN":
        plan = plan["inputStage"]
    assert (plan.get("stage"), plan.get("indexName")) == ("IXSCAN", index)


# -- store ------------------------------------------------------------------------------------


def test_upsert_many_inserts_then_updates_keeping_first_seen_at(store):
    store.ensure_indexes()
    first = store.upsert_many([article(1), article(2, first_seen_at=T0)])
    assert (first.inserted, first.matched, first.errors) == (2, 0, [])
    assert sorted(first.inserted_ids) == [1, 2]
    again = store.upsert_many([article(1, title="新标题", first_seen_at=T0 + timedelta(days=9)), article(2)])
    assert (again.inserted, again.matched, again.modified, again.unchanged) == (0, 2, 1, 1)
    docs = store.get_many([1, 2])
    assert docs[1]["title"] == "新标题" and "_id" not in docs[1]
    assert docs[1]["first_seen_at"] != T0 + timedelta(days=9)  # set on insert only
    assert docs[2]["first_seen_at"] == T0 and docs[2]["published_at"] == T0 + timedelta(minutes=2)
    assert store.articles.count_documents({}) == 2
    assert store.upsert_many([]).inserted == 0


def test_partial_bulk_failure_is_reported_per_document(store):
    store.articles.create_index("url", unique=True)
    result = store.upsert_many([article(1, url="u"), article(2, url="u"), article(3)])
    assert sorted(result.inserted_ids) == [1, 3]
    assert [(e["article_id"], e["code"]) for e in result.errors] == [(2, 11000)]


def test_existing_ids_and_get_many_query_in_batches(store, monkeypatch):
    monkeypatch.setattr(store_module, "ID_BATCH", 3)
    store.upsert_many([article(i) for i in range(1, 9)])
    assert store.existing_ids([2, 4, 4, 6, 8, 10, 12, 14]) == {2, 4, 6, 8}
    assert set(store.get_many(range(5, 12))) == {5, 6, 7, 8}
    assert store.existing_ids([]) == set()


def test_write_articles_new_updated_unchanged_stale_duplicate(store):
    store.ensure_indexes()
    assert store.write_articles([article(1), article(2)], "c1") == \
        {"new": 2, "updated": 0, "unchanged": 0, "stale": 0, "errors": 0}
    counts = store.write_articles([article(1, body_text="改", content_hash="hash-1b"), article(2)], "c2")
    assert (counts["updated"], counts["unchanged"]) == (1, 1)
    one = store.get_many([1])[1]
    assert (one["revision"], one["body_text"], one["crawl_id"]) == (2, "改", "c2")
    revisions = list(store.revisions.find({"article_id": 1}))
    assert len(revisions) == 1 and revisions[0]["body_text"] == "正文" and revisions[0]["replaced_by_crawl"] == "c2"
    # A spooled copy crawled before the stored version must not undo the edit.
    old = article(1, last_crawled_at=datetime.now(timezone.utc) - timedelta(hours=1))
    assert store.write_articles([old], "c0")["stale"] == 1
    assert store.get_many([1])[1]["body_text"] == "改"
    # The same text under a new id is flagged.
    store.write_articles([article(3, content_hash="hash-2")], "c3")
    assert store.get_many([3])[3]["duplicate_of"] == 2


def test_rejects_and_crawl_records(store):
    store.add_reject("https://www.nbd.com.cn/x", "no_title", "c1", message="no title on the page", article_id=5)
    reject = store.rejects.find_one({}, {"_id": 0})
    assert reject["reason"] == reject["code"] == "no_title" and reject["message"] == "no title on the page"
    assert reject["article_id"] == 5 and reject["at"].tzinfo
    store.start_crawl("c1", "nbd", {"since": "2024-12-01"})
    store.start_crawl("c1", "nbd", {"since": "2024-12-01"})  # a resumed crawl: one record
    store.finish_crawl("c1", {"new": 3, "downloader/response_status_count/200": 9,
                              "memusage.max": 1, "$odd": timedelta(seconds=3)}, "finished")
    crawl = store.crawls.find_one({"crawl_id": "c1"})
    assert store.crawls.count_documents({}) == 1
    assert crawl["finish_reason"] == "finished" and crawl["stats"]["memusage_max"] == 1
    assert crawl["stats"]["_odd"] == "0:00:03" and crawl["finished_at"] >= crawl["started_at"]


def test_a_crawl_taken_for_interrupted_by_its_neighbour_ends_finished(store):
    """Crawl A, started beside B, takes B's open record for an interrupted crawl and marks it
    when A ends; B then ends itself: its record says finished, with no resumed_by left."""
    store.start_crawl("b", "nbd")
    store.crawls.update_many({"crawl_id": {"$in": ["b"]}, "finished_at": None},
                             {"$set": {"finish_reason": "interrupted", "resumed_by": "a"}})
    store.finish_crawl("b", {"new": 1}, "finished")
    crawl = store.crawls.find_one({"crawl_id": "b"})
    assert crawl["finish_reason"] == "finished" and "resumed_by" not in crawl


def test_bson_safe():
    assert bson_safe({"a.b": {"$c": {1, 2}}, "d": (1, None)}) == {"a_b": {"_c": [1, 2]}, "d": [1, None]}


def test_unreachable_server_raises_archive_unavailable_without_credentials(dead_store):
    for call in (lambda: dead_store.upsert_many([article(1)]), lambda: dead_store.existing_ids([1]),
                 dead_store.ping, lambda: dead_store.add_reject("u", "r", "c")):
        with pytest.raises(ArchiveUnavailable) as info:
            call()
        assert "s3cr" not in str(info.value) and "crawler" not in str(info.value)
        assert info.value.uri.startswith("mongodb://***@127.0.0.1:")


# -- spool ------------------------------------------------------------------------------------


def test_spool_round_trip_preserves_types(tmp_path):
    doc = article(1, _id=ObjectId(), thumbnail={"size": 3})
    with Spool(tmp_path, crawl_id="c/1") as spool:
        spool.append(doc)
        assert spool.path.name == "c_1.jsonl" and spool.pending() == 1
    written: list[list[dict]] = []
    assert Spool(tmp_path).replay(written.append) == 1
    assert written == [[doc]] and written[0][0]["published_at"].tzinfo is not None
    assert not list(tmp_path.iterdir())


def test_spool_replay_stops_on_failure_and_resumes_without_loss(tmp_path):
    spool = Spool(tmp_path, crawl_id="c1", fsync_every=2)
    for i in range(5):
        spool.append(article(i))
    calls = []

    def flaky(docs):
        calls.append([d["article_id"] for d in docs])
        if len(calls) == 2:
            raise ArchiveUnavailable("down again")

    with pytest.raises(ArchiveUnavailable):
        spool.replay(flaky, batch_size=2)
    assert spool.pending() == 5  # the file stays whole until all of it was written
    received: list[int] = []
    assert spool.replay(lambda docs: received.extend(d["article_id"] for d in docs), batch_size=2) == 5
    assert received == [0, 1, 2, 3, 4] and spool.pending() == 0


def test_spool_skips_truncated_tail_keeps_corrupt_files_and_files_in_use(tmp_path):
    good = Spool(tmp_path, crawl_id="a")
    good.append(article(1))
    good.close()
    with open(good.path, "a", encoding="utf-8") as fh:
        fh.write('{"article_id": 2, "tit')  # a crash in the middle of a write
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"article_id": 3}\nnot json\n{"article_id": 4}\n', encoding="utf-8")
    busy = Spool(tmp_path, crawl_id="c")
    busy.append(article(5))  # still open: another crawl appending
    replayer = Spool(tmp_path, crawl_id="replayer")
    seen: list[int] = []
    assert replayer.replay(lambda docs: seen.extend(d["article_id"] for d in docs)) == 3
    assert sorted(seen) == [1, 3, 4]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.jsonl.bad", "c.jsonl"]
    busy.close()
    assert replayer.replay(lambda docs: seen.extend(d["article_id"] for d in docs)) == 1


def test_two_spools_with_one_crawl_id_never_block_each_other(tmp_path):
    first, second = Spool(tmp_path, crawl_id="same"), Spool(tmp_path, crawl_id="same")
    first.append(article(1))
    second.append(article(2))  # its file is locked by `first`: spools under another name
    assert first.path != second.path and second.pending() == 2
    seen: list[int] = []
    assert second.replay(lambda docs: seen.extend(d["article_id"] for d in docs)) == 1
    first.close()
    assert second.replay(lambda docs: seen.extend(d["article_id"] for d in docs)) == 1
    assert sorted(seen) == [1, 2] and not list(tmp_path.iterdir())


def test_spool_then_replay_into_live_server_loses_nothing_and_duplicates_nothing(tmp_path, dead_store, store):
    store.ensure_indexes()
    store.upsert_many([article(1)])  # already archived before the outage
    spool = Spool(tmp_path / "spool", crawl_id="outage")
    for batch in ([article(1), article(2)], [article(3), article(4)], [article(2), article(5)]):
        try:
            dead_store.upsert_many(batch)
        except ArchiveUnavailable:
            for doc in batch:
                spool.append(doc)
    assert spool.pending() == 6
    assert spool.replay(store.upsert_many, batch_size=4) == 6
    assert spool.pending() == 0
    assert sorted(d["article_id"] for d in store.articles.find()) == [1, 2, 3, 4, 5]
    assert store.articles.find_one({"article_id": 3})["published_at"] == T0 + timedelta(minutes=3)


# -- embedded server --------------------------------------------------------------------------


def _server_processes(paths: ServerPaths) -> list[int]:
    """Pids of live secantusd processes on this storage (from /proc)."""
    return sorted(embedded._server_processes(paths))


@pytest.mark.e2e  # starts SecantusDB
def test_embedded_server_starts_is_reused_and_stops(data_dir):
    assert embedded_status(data_dir) is None
    uri = ensure_embedded_server(data_dir)
    paths = ServerPaths.for_data_dir(data_dir)
    state = json.loads(paths.state.read_text())
    assert state["uri"] == uri and state["port"] and state["started_at"]
    assert ensure_embedded_server(data_dir) == uri
    status = embedded_status(data_dir)
    assert status["responding"] and status["pid"] == state["pid"] and status["data_dir"] == str(data_dir.resolve())
    assert _server_processes(paths) == [state["pid"]]
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=2000) as client:
        client.nc.articles.insert_one({"article_id": 1})
    assert stop_embedded_server(data_dir) is True
    assert not paths.state.exists() and _server_processes(paths) == []
    assert stop_embedded_server(data_dir) is False and embedded_status(data_dir) is None
    # Data survive: a new server on the same directory has the document.
    with pymongo.MongoClient(ensure_embedded_server(data_dir), serverSelectionTimeoutMS=2000) as client:
        assert client.nc.articles.count_documents({}) == 1


@pytest.mark.e2e  # starts SecantusDB
def test_stale_state_file_starts_a_new_server_and_never_signals_a_foreign_pid(data_dir):
    paths = ServerPaths.for_data_dir(data_dir)
    paths.root.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    for pid in (dead.pid, os.getpid()):  # a dead pid, then a live process that is not our server
        paths.state.write_text(json.dumps({"pid": pid, "port": free_port(), "uri": "mongodb://127.0.0.1:1"}))
        assert embedded_status(data_dir) is None
        assert stop_embedded_server(data_dir) is False  # (would have SIGTERMed pytest itself)
        paths.state.write_text(json.dumps({"pid": pid, "port": free_port(), "uri": "mongodb://127.0.0.1:1"}))
        uri = ensure_embedded_server(data_dir)
        assert embedded_status(data_dir)["uri"] == uri != "mongodb://127.0.0.1:1"
        assert stop_embedded_server(data_dir) is True
    paths.state.write_text("{not json")  # a torn or hand-edited state file counts as stale too
    assert ensure_embedded_server(data_dir) == embedded_status(data_dir)["uri"]


@pytest.mark.e2e  # starts SecantusDB
def test_lost_state_file_is_reported_and_stop_still_finds_the_server(data_dir):
    ensure_embedded_server(data_dir)
    paths = ServerPaths.for_data_dir(data_dir)
    pid = json.loads(paths.state.read_text())["pid"]
    paths.state.unlink()
    with pytest.raises(EmbeddedServerError, match="`newscrawler db stop` stops it"):
        ensure_embedded_server(data_dir)  # the storage is locked by the unnamed server
    assert _server_processes(paths) == [pid]
    assert stop_embedded_server(data_dir) is True and _server_processes(paths) == []
    assert ensure_embedded_server(data_dir) and embedded_status(data_dir)["pid"] != pid


@pytest.mark.e2e  # starts SecantusDB
def test_concurrent_starts_from_two_processes_start_one_server_that_outlives_them(data_dir):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from newscrawler.store.embedded import ensure_embedded_server
        print(ensure_embedded_server(sys.argv[1]))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(data_dir)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    uris = {out.strip() for out, _err in outputs}
    assert len(uris) == 1
    paths = ServerPaths.for_data_dir(data_dir)
    assert len(_server_processes(paths)) == 1
    status = embedded_status(data_dir)  # both starters have exited; the server runs on
    assert status["responding"] and status["uri"] in uris


def test_missing_server_executable_says_to_run_setup(monkeypatch, data_dir):
    monkeypatch.setattr(sys, "executable", str(data_dir / "nowhere" / "python"))
    monkeypatch.setenv("PATH", str(data_dir))
    with pytest.raises(EmbeddedServerError, match="setup.sh"):
        ensure_embedded_server(data_dir)


def test_embedded_server_that_exits_at_start_is_reported_with_its_log(monkeypatch, data_dir):
    fake = data_dir / "secantusd-py"
    fake.write_text("#!/bin/sh\necho 'WiredTigerError: Device or resource busy' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(embedded, "find_server_executable", lambda: str(fake))
    with pytest.raises(EmbeddedServerError, match="(?s)Another server process.*resource busy"):
        ensure_embedded_server(data_dir)
    assert embedded_status(data_dir) is None


def test_a_large_archives_server_is_given_longer_to_open_before_it_is_taken_for_hung(monkeypatch, data_dir):
    """A server reads its catalogue before it answers: a million-article archive took longer
    than the fixed 30 s there was, was killed, and so never opened."""
    fake = data_dir / "secantusd-py"
    fake.write_text("#!/bin/sh\nexec sleep 60\n")  # alive, never answering
    fake.chmod(0o755)
    monkeypatch.setattr(embedded, "find_server_executable", lambda: str(fake))
    monkeypatch.setattr(embedded, "START_TIMEOUT", 0.5)
    monkeypatch.setattr(embedded, "START_SECONDS_PER_GB", 0.5)
    storage = data_dir / "mongo" / "db"
    storage.mkdir(parents=True)
    assert embedded.start_timeout(storage) == 0.5
    with open(storage / "collection.wt", "wb") as fh:
        fh.truncate(3_000_000_000)  # sparse: 3 GB as the server's files report it
    assert embedded.start_timeout(storage) == 2.0
    started = time.monotonic()
    with pytest.raises(EmbeddedServerError, match="did not answer within 2 s"):
        ensure_embedded_server(data_dir)
    assert time.monotonic() - started >= 2.0
    assert embedded_status(data_dir) is None


# -- the `db` command -------------------------------------------------------------------------


@pytest.mark.e2e  # starts SecantusDB
def test_db_command_start_status_stop(monkeypatch, capsys, data_dir):
    from newscrawler import cli
    from newscrawler.cli.commands import db as db_command

    monkeypatch.delenv("MONGO_URI", raising=False)
    settings = {"NEWSCRAWLER_DATA_DIR": str(data_dir), "MONGO_URI": None}
    monkeypatch.setattr(db_command, "_settings", lambda args: settings)
    monkeypatch.setattr(db_command, "STATUS_TIMEOUT_MS", 300)
    assert cli.main(["db", "status"]) == 1
    assert "No embedded MongoDB server is running" in capsys.readouterr().out
    assert cli.main(["db", "start"]) == 0
    assert "started" in capsys.readouterr().out
    assert cli.main(["db", "start"]) == 0
    assert "already running" in capsys.readouterr().out
    assert cli.main(["db", "status"]) == 0
    out = capsys.readouterr().out
    pid = embedded_status(data_dir)["pid"]
    assert f"pid:      {pid}" in out and "articles: 0" in out and "answering" in out
    settings["MONGO_URI"] = unreachable_uri()
    assert cli.main(["db", "status"]) == 1
    out = capsys.readouterr().out
    assert "MONGO_URI; the embedded server is not used" in out and "not reachable" in out
    assert "s3cr" not in out and "mongodb://***@127.0.0.1:" in out and "also running" in out
    assert cli.main(["db", "stop"]) == 0
    assert f"stopped the embedded MongoDB server (pid {pid})" in capsys.readouterr().out
    assert cli.main(["db", "stop"]) == 0
    assert "no embedded MongoDB server is running" in capsys.readouterr().out


def test_options_in_the_uri_win_over_our_client_defaults():
    client = get_client("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=250&appname=mine")
    try:
        assert client.options.server_selection_timeout == 0.25
        assert client.options.pool_options.metadata["application"]["name"] == "mine"
    finally:
        client.close()
    default = get_client("mongodb://127.0.0.1:1/")
    try:
        assert default.options.server_selection_timeout == 5
    finally:
        default.close()
