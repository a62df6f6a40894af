"""Reliability under real faults: the archive keeps working and loses nothing.

The fault scenarios live in ``nbd_replica.fault_scenarios`` (``benchmarks/fault_suite.py``
prints their table); they run here once, with small numbers, and each scenario's checks are
asserted by a test of its own. Every scenario runs real `scrapy crawl nbd`
processes against the replica on 127.0.0.1 and a SecantusDB process it can kill.

Also here, in-process: the archive's write path when two crawls write one article at once
(an interleaving forced, not hoped for), the retry interval after MongoDB failed, and the
resume after a killed crawl.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
from scrapy.settings import Settings

from newscrawler.store.session import CrawlArchive
from newscrawler.store.store import ArticleStore
from newscrawler.record import content_hash
from nbd_replica.fault_scenarios import SCENARIOS, run_scenarios
from nbd_replica.procs import free_port


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """Every fault scenario, small, two at once: their results (as dicts) by name."""
    results = run_scenarios(list(SCENARIOS), tmp_path_factory.mktemp("fault-scenarios"), small=True, jobs=2)
    return {sc.name: dataclasses.asdict(sc) for sc in results}


def _rows(scenario) -> dict[str, dict]:
    return {row["fault"]: row for row in scenario["rows"]}


def _assert_clean(scenario) -> None:
    assert scenario["problems"] == []
    assert scenario["rows"]
    for row in scenario["rows"]:
        assert row["lost"] == 0 and row["duplicated"] == 0, row
        assert row["archived"] == row["expected"], row
        assert row["injected"] > 0, row


@pytest.mark.e2e
def test_every_fault_scenario_ran_clean(suite):
    scenarios = suite
    assert set(scenarios) == {"site faults", "crawl killed", "mongodb back mid-crawl",
                              "mongodb down until next run", "two crawls at once",
                              "crawl stopped (SIGTERM)", "crawl stopped (SIGINT)", "list page down",
                              "killed after a batch", "warc disk full", "spool disk full", "redis worker killed"}
    assert [p for sc in scenarios.values() for p in sc["problems"]] == []
    rows = [row for sc in scenarios.values() for row in sc["rows"]]
    assert sum(r["lost"] for r in rows) == 0 and sum(r["duplicated"] for r in rows) == 0
    assert sum(r["dangling"] for r in rows) == 0
    ran = [r for r in rows if "skipped" not in r["fault"]]  # the Redis row, when no Redis answers
    assert all(r["injected"] > 0 and r["archived"] == r["expected"] for r in ran), ran


@pytest.mark.e2e
def test_site_faults_every_page_retried_or_recorded(suite):
    """500/503 bursts, timeouts, resets, truncation, off-site redirects, huge pages, wrong
    content types, garbage, GBK, an impossible date, broken thumbnails: the crawl finishes,
    transient faults end archived, permanent ones recorded with their reason."""
    scenario = suite["site faults"]
    _assert_clean(scenario)
    rows = _rows(scenario)
    for fault in ("HTTP 503 burst (2 per page)", "HTTP 500 burst (2 per page)", "timeout (answer after 2.5 s)",
                  "connection reset (2 per page)", "truncated body (2 per page)", "wrong content type",
                  "GBK page, charset in header", "GBK page, charset only in page", "impossible date 2024-02-31",
                  "thumbnail is an HTML page", "thumbnail 404", "thumbnail cut off (corrupt)",
                  "thumbnail 27 Mpixel (over limit)"):
        assert rows[fault]["archived"] == rows[fault]["expected"] > 0, fault
    for fault in ("HTTP 503 on every try", "connection reset on every try", "redirect to another host",
                  "page of 24 MB", "page of 3 MB", "page of 600 KB, not an article", "binary garbage",
                  "column page 503 on every try"):
        assert rows[fault]["expected"] == 0 and rows[fault]["survived"] > 0, fault  # recorded in rejects
    assert rows["HTTP 503 burst (2 per page)"]["injected"] >= 2  # both answers of the burst fired
    assert rows["column page 503 burst"]["injected"] >= 2
    assert scenario["facts"]["trap_hits"] == 0


@pytest.mark.e2e
def test_crawl_killed_and_started_again_archives_everything_once(suite):
    scenario = suite["crawl killed"]
    _assert_clean(scenario)
    assert 0 < scenario["facts"]["archived_at_kill"][0] < _rows(scenario)[
        "crawl SIGKILLed mid-crawl, run again"]["expected"]
    assert scenario["facts"]["crawl_records"][-1] == "finished"
    assert set(scenario["facts"]["crawl_records"][:-1]) == {"interrupted"}


@pytest.mark.e2e
def test_mongodb_killed_and_back_mid_crawl_loses_nothing(suite):
    scenario = suite["mongodb back mid-crawl"]
    _assert_clean(scenario)
    assert scenario["facts"]["spooled_while_down"] > 0  # the spool was really used


@pytest.mark.e2e
def test_mongodb_down_until_the_next_run_loses_nothing(suite):
    scenario = suite["mongodb down until next run"]
    _assert_clean(scenario)
    assert scenario["facts"]["spool_after_first_run"] > 0


@pytest.mark.e2e
def test_two_crawls_at_once_no_duplicates_no_corrupted_revisions(suite):
    scenario = suite["two crawls at once"]
    _assert_clean(scenario)


# -- the write path under a forced interleaving ------------------------------------------------

def _doc(article_id: int, title: str, crawled: dt.datetime) -> dict:
    body = f"正文 {title}"
    return {"article_id": article_id, "title": title, "body_text": body, "url": f"http://x/{article_id}",
            "content_hash": content_hash(title, body), "last_crawled_at": crawled}


T0 = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def _lands_first(store: ArticleStore, other_write) -> None:
    """Force an interleaving: ``other_write`` runs once inside ``store``'s next
    ``write_articles``, after it read the stored versions and before it writes."""
    real_save = store.save_revisions

    def other_crawl_first(old_docs, crawl_id):
        other_write()
        store.save_revisions = real_save
        return real_save(old_docs, crawl_id)

    store.save_revisions = other_crawl_first


def test_gridfs_thumbnail_store_writes_journaled_and_reads_back_the_facts(mongo_uri, mongo_db_name):
    """IMAGES_STORE = gridfs://: configured from the crawler's settings, it writes with
    j: true like the archive (a killed server keeps what it acknowledged), and what the
    pipeline records of a stored image (bytes, size, when) is read back from GridFS."""
    from io import BytesIO

    from PIL import Image
    from scrapy.utils.test import get_crawler

    from newscrawler.crawl.pipelines.thumbnails import ThumbnailPipeline

    crawler = get_crawler(settings_dict={"IMAGES_STORE": "gridfs://pictures", "MONGO_URI": mongo_uri,
                                         "MONGO_DATABASE": mongo_db_name})
    pipeline = ThumbnailPipeline.from_crawler(crawler)
    picture = BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, "JPEG")
    pipeline.store.persist_file("full/ab/one.jpg", picture, info=None, meta={"width": 64, "height": 48})
    try:
        assert pipeline.store.db.name == mongo_db_name
        assert pipeline.store.db.write_concern.document.get("j") is True
        assert pipeline.store.db["pictures.files"].count_documents({"filename": "full/ab/one.jpg"}) == 1
        facts = pipeline.store.image_facts("full/ab/one.jpg")
        assert {key: facts[key] for key in ("bytes", "width", "height")} == {
            "bytes": len(picture.getvalue()), "width": 64, "height": 48}
        assert facts["stored_at"].tzinfo is not None
        assert pipeline.store.image_facts("full/ab/missing.jpg") == {}
    finally:
        pipeline.store.close()


@pytest.mark.parametrize("same_text", [True, False])
def test_two_writers_of_one_edit_keep_the_old_version_once(mongo_db, same_text):
    """Crawl A reads version 1, crawl B writes its edit first, then A writes: version 1 is
    kept once, the article is not replaced by a write computed from a stale read."""
    first = ArticleStore(mongo_db)
    first.ensure_indexes()
    first.write_articles([_doc(1, "v1", T0)], "crawl-0")
    a, b = ArticleStore(mongo_db), ArticleStore(mongo_db)
    # A has read version 1; now B lands its write
    _lands_first(a, lambda: b.write_articles([_doc(1, "v2", T0 + dt.timedelta(minutes=1))], "crawl-b"))
    title_a = "v2" if same_text else "v3"
    counts = a.write_articles([_doc(1, title_a, T0 + dt.timedelta(minutes=2))], "crawl-a")
    doc = mongo_db.articles.find_one({"article_id": 1})
    kept = sorted((r["revision"], r["title"]) for r in mongo_db.article_revisions.find({"article_id": 1}))
    assert mongo_db.articles.count_documents({"article_id": 1}) == 1
    if same_text:
        assert (doc["title"], doc["revision"]) == ("v2", 2)
        assert kept == [(1, "v1")]
        assert counts["unchanged"] == 1 and counts["updated"] == 0
    else:
        assert (doc["title"], doc["revision"]) == ("v3", 3)
        assert kept == [(1, "v1"), (2, "v2")]
        assert counts["updated"] == 1


def test_revision_write_repeated_after_a_crash_is_kept_once(mongo_db):
    """A crash between keeping the old version and replacing the article: the write is done
    again (spool replay, next crawl) and the old version is still kept once."""
    store = ArticleStore(mongo_db)
    store.ensure_indexes()
    store.write_articles([_doc(7, "v1", T0)], "c0")
    old = mongo_db.articles.find_one({"article_id": 7}, {"_id": 0})
    store.save_revisions([old], "c1")  # ... and the process died here
    store.write_articles([_doc(7, "v2", T0 + dt.timedelta(minutes=1))], "c1")
    assert [r["title"] for r in mongo_db.article_revisions.find({"article_id": 7})] == ["v1"]
    assert mongo_db.articles.find_one({"article_id": 7})["revision"] == 2


# -- MongoDB unreachable: spool at once, not one driver timeout per batch ----------------------

def test_unreachable_archive_spools_without_waiting_again(tmp_path):
    settings = Settings({"MONGO_URI": f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300", "MONGO_DATABASE": "x",
                         "NEWSCRAWLER_DATA_DIR": str(tmp_path), "ARCHIVE_RETRY_INTERVAL": 60})
    archive = CrawlArchive(settings)
    try:
        assert archive.write_articles([_doc(1, "a", T0)]) is None  # waits for the driver once
        started = time.monotonic()
        for n in range(2, 12):
            assert archive.write_articles([_doc(n, "b", T0)]) is None
        assert archive.existing_ids([1, 2]) == set()
        assert time.monotonic() - started < 1.0
        assert archive.spool.pending() == 11
    finally:
        archive.close()


# -- thumbnails: a file appears whole or not at all ---------------------------------------------

def test_thumbnail_files_appear_whole_or_not_at_all(tmp_path, monkeypatch):
    """A crawl killed while writing a thumbnail must not leave a cut-off file under the
    stored name (later crawls would take it for the image: IMAGES_EXPIRES is a year)."""
    import os
    from io import BytesIO

    from newscrawler.crawl.pipelines.thumbnails import AtomicFSFilesStore

    store = AtomicFSFilesStore(str(tmp_path))
    store.persist_file("full/ab/whole.jpg", BytesIO(b"whole image"), info=None)
    assert (tmp_path / "full" / "ab" / "whole.jpg").read_bytes() == b"whole image"

    def killed(src, dst):  # the process dies after writing, before the rename
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        store.persist_file("full/ab/cut.jpg", BytesIO(b"x" * 100_000), info=None)
    assert sorted(p.name for p in (tmp_path / "full" / "ab").iterdir()) == ["whole.jpg"]


def test_two_crawls_creating_the_thumbnail_store_at_once(tmp_path, monkeypatch):
    """Two crawls starting together on a fresh data directory both find IMAGES_STORE
    missing; the one that creates it second must still start (Scrapy's own store raised
    FileExistsError there and the crawl exited 1). The interleaving is forced: the directory
    appears between the store's existence check and its mkdir."""
    from io import BytesIO
    from pathlib import Path

    from scrapy.pipelines.files import FSFilesStore

    from newscrawler.crawl.pipelines.thumbnails import AtomicFSFilesStore

    store_dir = tmp_path / "images"
    real_exists = Path.exists

    def the_other_crawl_wins(self, *args, **kwargs):
        seen = real_exists(self, *args, **kwargs)
        if self == store_dir and not seen:
            store_dir.mkdir()  # the other crawl creates it right after our check
        return seen

    monkeypatch.setattr(Path, "exists", the_other_crawl_wins)
    with pytest.raises(FileExistsError):
        FSFilesStore(str(store_dir))  # the race, shown on Scrapy's store
    store_dir.rmdir()
    store = AtomicFSFilesStore(str(store_dir))
    assert store_dir.is_dir()
    store.persist_file("full/ab/one.jpg", BytesIO(b"image"), info=None)
    assert (store_dir / "full" / "ab" / "one.jpg").read_bytes() == b"image"


@pytest.mark.parametrize("same_text", [True, False])
def test_two_writers_of_one_new_article_never_overwrite_each_other(mongo_db, same_text):
    """Crawl A finds an article missing, crawl B inserts it first, then A writes: A's write
    does not replace B's silently. Same text: unchanged; other text: A's is revision 2 and
    B's version is kept."""
    a, b = ArticleStore(mongo_db), ArticleStore(mongo_db)
    a.ensure_indexes()
    # A has read "not archived"; now B lands its insert
    _lands_first(a, lambda: b.write_articles([_doc(5, "v-b", T0)], "crawl-b"))
    title_a = "v-b" if same_text else "v-a"
    counts = a.write_articles([_doc(5, title_a, T0 + dt.timedelta(minutes=1))], "crawl-a")
    doc = mongo_db.articles.find_one({"article_id": 5})
    kept = [(r["revision"], r["title"]) for r in mongo_db.article_revisions.find({"article_id": 5})]
    assert mongo_db.articles.count_documents({"article_id": 5}) == 1
    assert counts["new"] == 0 and counts["errors"] == 0
    if same_text:
        assert (doc["title"], doc["revision"]) == ("v-b", 1) and kept == []
        assert counts["unchanged"] == 1
    else:
        assert (doc["title"], doc["revision"]) == ("v-a", 2) and kept == [(1, "v-b")]
        assert counts["updated"] == 1


# -- one archive, two threads: a failure in one never closes the client the other uses ---------

def test_failure_in_one_thread_does_not_close_the_client_another_thread_uses(mongo_uri, mongo_db_name, tmp_path):
    """The pipeline's worker thread is inside a batch write when the reactor thread's reject
    fails (forced: it runs inside the write, after the reads): the batch still lands on the
    client it started with, which is closed only once that write is over."""
    from newscrawler.store.errors import ArchiveUnavailable

    settings = Settings({"MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_db_name,
                         "NEWSCRAWLER_DATA_DIR": str(tmp_path), "ARCHIVE_RETRY_INTERVAL": 60})
    archive = CrawlArchive(settings)
    try:
        store = archive.store
        client = store.db.client
        closed: list[str] = []
        real_close = client.close
        client.close = lambda: (closed.append("closed"), real_close())

        def failing_reject(**doc):
            raise ArchiveUnavailable("the server refused this one")

        def reactor_reject_fails():
            store.add_reject = failing_reject
            archive.reject("http://x/9", "fetch_failed", "test", 9)  # spooled
            assert closed == []  # the worker's write is still using this client

        _lands_first(store, reactor_reject_fails)
        counts = archive.write_articles([_doc(1, "a", T0)])
        assert counts is not None and counts["new"] == 1  # written, not spooled
        assert closed == ["closed"]  # retired by the failure, closed by its last user
        assert archive.spool.pending() == 1  # the failed reject
        archive.retry_now()
        archive.reject("http://x/10", "fetch_failed", "test", 10)  # a new connection
        assert archive.store.db.client is not client
        db = archive.store.db
        assert db.articles.count_documents({"article_id": 1}) == 1
        assert db.rejects.count_documents({"article_id": 10}) == 1
    finally:
        archive.close()
