"""The spool when the disk fails it, and when two threads use it at once.

A spool file cut inside a multi-byte character (disk full while MongoDB is down) replays its
whole lines and the next crawl works; a damaged line is kept aside in ``.bad``; a write the
disk refuses leaves no torn line, is counted and alerted, and its items are kept in memory,
never reported as archived. The thread test forces an append and a replay to overlap.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from bson import json_util
from scrapy.utils.test import get_crawler

from newscrawler.crawl.stats import ALERTS as ALERTS_STAT
from newscrawler.record import content_hash
from newscrawler.crawl.pipelines.mongodb import MongoPipeline
from newscrawler.store.spool import JSON_OPTIONS, Spool, spool_directory
from nbd_replica.fault_pipelines import DiskFull
from nbd_replica.procs import free_port
from tests.crawling import archive, crawl, replica_site

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def _doc(article_id: int, title: str = "每日经济新闻") -> dict:
    body = f"正文 {title} {article_id}"
    return {"article_id": article_id, "title": title, "body_text": body, "url": f"http://x/{article_id}",
            "content_hash": content_hash(title, body), "last_crawled_at": T0}


def _cut_inside_a_character(spool: Spool, doc: dict) -> None:
    """Append the first bytes of ``doc``'s line, ending inside a Chinese character."""
    line = json_util.dumps(doc, json_options=JSON_OPTIONS, ensure_ascii=False).encode()
    cut = line.index("经".encode()) + 1  # one byte into a three-byte character
    with open(spool.path, "ab") as fh:
        fh.write(line[:cut])


def test_spool_cut_inside_a_multibyte_character_replays_the_whole_lines(tmp_path):
    spool = Spool(tmp_path, crawl_id="outage")
    for n in (1, 2, 3):
        spool.append({"kind": "article", "doc": _doc(n)})
    spool.close()
    _cut_inside_a_character(spool, {"kind": "article", "doc": _doc(4)})
    seen: list[int] = []
    replayer = Spool(tmp_path, crawl_id="next")
    assert replayer.replay(lambda entries: seen.extend(e["doc"]["article_id"] for e in entries)) == 3
    assert seen == [1, 2, 3]
    assert replayer.torn_lines == 1 and replayer.bad_lines == 0
    assert list(tmp_path.iterdir()) == []  # replayed: nothing left to replay again


def test_damaged_line_is_kept_aside_and_the_rest_replayed(tmp_path):
    spool = Spool(tmp_path, crawl_id="c")
    spool.append({"kind": "article", "doc": _doc(1)})
    spool.close()
    damaged = '{"kind": "article", "doc": {"title": "每'.encode()[:-1] + b'"}}\n'  # not UTF-8
    with open(spool.path, "ab") as fh:
        fh.write(damaged)
    spool.append({"kind": "article", "doc": _doc(2)})
    spool.close()
    seen: list[int] = []
    assert spool.replay(lambda entries: seen.extend(e["doc"]["article_id"] for e in entries)) == 2
    assert seen == [1, 2] and spool.bad_lines == 1
    assert [p.name for p in tmp_path.iterdir()] == ["c.jsonl.bad"]
    assert (tmp_path / "c.jsonl.bad").read_bytes() == damaged


def test_next_crawl_replays_a_torn_spool_and_works(mongo_uri, mongo_db_name, tmp_path):
    """The spool a disk-full outage left (last line cut inside a character) is replayed at
    start-up and the crawl runs (it died with UnicodeDecodeError before)."""
    spool = Spool(spool_directory(tmp_path), crawl_id="earlier-crawl")
    for n in (990001, 990002):
        spool.append({"kind": "article", "doc": _doc(n)})
    spool.close()
    _cut_inside_a_character(spool, {"kind": "article", "doc": _doc(990003)})
    with replica_site(n=6, seed=2) as (site, server):
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=2)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    db = archive(mongo_uri, mongo_db_name)
    archived = {d["article_id"] for d in db.articles.find({}, {"article_id": 1})}
    assert archived == set(site.articles) | {990001, 990002}
    assert not list(spool_directory(tmp_path).glob("*.jsonl"))
    assert db.crawls.count_documents({"finish_reason": "finished"}) == 1




def _unreachable_crawler(tmp_path):
    crawler = get_crawler(settings_dict={
        "MONGO_URI": f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300", "MONGO_DATABASE": "x",
        "NEWSCRAWLER_DATA_DIR": str(tmp_path), "ARCHIVE_RETRY_INTERVAL": 60})
    crawler.stats.open_spider()
    return crawler


@pytest.fixture
def disk_full(monkeypatch):
    """Make every spool write fail; returns a function that frees the disk again."""
    real_open = Spool._open
    monkeypatch.setattr(Spool, "_open", lambda self: DiskFull(real_open(self)))
    return lambda: monkeypatch.setattr(Spool, "_open", real_open)


def test_spool_write_error_is_counted_alerted_and_nothing_reported_archived(tmp_path, disk_full):
    """MongoDB down and the spool's disk full: the batch is neither archived nor spooled, so it
    is kept in memory; a write error leaves no torn line; the crawl alerts and its outcome
    is a failure."""
    from newscrawler.cli.commands.crawl import judge
    from newscrawler.crawl.extensions import crawl_counts

    crawler = _unreachable_crawler(tmp_path)
    pipeline = MongoPipeline.from_crawler(crawler)
    archive_ = pipeline.archive
    try:
        pipeline._write([_doc(1), _doc(2)])  # the worker thread's flush
        archive_.reject("http://x/3", "fetch_failed: test", 3)
        stats = crawler.stats.get_stats()
        assert stats["newscrawler/spool_errors"] == 2
        assert stats["newscrawler/unsaved"] == 3
        assert not stats.get("newscrawler/spooled") and not stats.get("newscrawler/new")
        assert len(archive_.unsaved) == 3
        assert not archive_.spool.path.exists() or archive_.spool.path.read_bytes() == b""  # no torn line
        pipeline._replay()  # at close: still nowhere to put them
        pipeline._alert_spool_errors()
        stats = crawler.stats.get_stats()
        assert stats["newscrawler/unsaved"] == 3
        assert any("3 entries written neither to MongoDB nor to the spool" in a for a in stats[ALERTS_STAT])
        code, problems = judge({"finish_reason": "finished", "stats": stats, "counts": crawl_counts(stats)})
        assert code != 0, problems
    finally:
        archive_.close()


def test_items_the_spool_refused_are_spooled_at_close_when_the_disk_has_room(tmp_path, disk_full):
    crawler = _unreachable_crawler(tmp_path)
    pipeline = MongoPipeline.from_crawler(crawler)
    archive_ = pipeline.archive
    try:
        pipeline._write([_doc(1), _doc(2)])
        assert archive_.unsaved and archive_.spool.pending() == 0
        disk_full()  # space again
        pipeline._replay()
        pipeline._alert_spool_errors()
        stats = crawler.stats.get_stats()
        assert archive_.unsaved == [] and stats["newscrawler/unsaved"] == 0
        assert archive_.spool.pending() == 2 and stats["newscrawler/spooled"] == 2
        assert any("every entry was written" in a for a in stats[ALERTS_STAT])  # still alerted
    finally:
        archive_.close()
    seen: list[int] = []
    assert Spool(spool_directory(tmp_path)).replay(
        lambda entries: seen.extend(e["doc"]["article_id"] for e in entries)) == 2
    assert seen == [1, 2]


# -- two threads, one spool --------------------------------------------------------------------

class _PausingFile:
    """The spool's file, running ``hook`` once right after a write (mid-append)."""

    def __init__(self, fh, hook):
        self._fh, self._hook = fh, hook

    def write(self, data):
        written = self._fh.write(data)
        hook, self._hook = self._hook, None
        if hook:
            hook()
        return written

    def __getattr__(self, name):
        return getattr(self._fh, name)


def test_replay_in_one_thread_during_an_append_in_another_loses_nothing(tmp_path):
    """The reactor thread is in the middle of appending a reject when the pipeline's worker
    thread starts a replay (forced: the replay starts from inside the append's write). The
    append completes without error and the replay, waiting for it, writes both documents."""
    spool = Spool(tmp_path, crawl_id="crawl")
    spool.append({"kind": "article", "doc": _doc(1)})
    replayed: list[int] = []
    errors: list[BaseException] = []

    def replay():
        try:
            spool.replay(lambda entries: replayed.extend(e["doc"]["article_id"] for e in entries))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    worker = threading.Thread(target=replay)

    def worker_replays_now():
        worker.start()
        worker.join(0.5)  # it runs now, or waits for this append to finish

    spool._fh = _PausingFile(spool._fh, worker_replays_now)
    spool.append({"kind": "reject", "doc": {"article_id": 2, "url": "http://x/2"}})
    worker.join(10)
    assert not worker.is_alive() and errors == []
    spool.close()
    if len(replayed) < 2:  # the replay may also have left the new line for the next one
        spool.replay(lambda entries: replayed.extend(e["doc"]["article_id"] for e in entries))
    assert sorted(replayed) == [1, 2]
    assert spool.pending() == 0
