"""`reextract` killed between its writes, then run again: history stays whole.

A re-extraction writes the old version to ``article_revisions`` and the new record with the
next revision number. Killed after any one of its writes and run again, every article ends
at the right revision with each earlier version kept once under its own number.
"""

from __future__ import annotations

from pathlib import Path

import pymongo
import pytest
from pymongo.collection import Collection

from newscrawler.record import content_hash
from newscrawler.warc.reextract import reextract
from nbd_replica.corpus import generate_articles
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from tests.crawling import archive, crawl

BAD_TITLE = "（标题缺失）"


class Killed(BaseException):
    """The process dying: nothing after it runs (not an Exception, so nothing catches it)."""


@pytest.fixture(scope="module")
def crawled(mongo_uri, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("reextract-atomic")
    db_name = f"nc_reextract_atomic_{id(data_dir) % 100000}"
    with serve(ReplicaSite(generate_articles(8, seed=21))) as server:
        result = crawl(server, mongo_uri, db_name, data_dir, pages=20)
    assert result.returncode == 0, result.stderr[-3000:]
    db = archive(mongo_uri, db_name)
    yield {"db": db, "warc_dir": Path(data_dir) / "warc", "good": list(db.articles.find({}, {"_id": 0}))}
    pymongo.MongoClient(mongo_uri).drop_database(db_name)


def damage(crawled) -> tuple[int, int]:
    """The archive as a weaker extractor left it: one wrong title (a new content hash), one
    article without its authors (same content hash). Returns their ids."""
    db = crawled["db"]
    db.articles.delete_many({})
    db.article_revisions.delete_many({})
    db.articles.insert_many([dict(d) for d in crawled["good"]])
    with_authors = sorted(d["article_id"] for d in crawled["good"] if d.get("authors"))
    title_hit, authors_hit = with_authors[:2]
    body = next(d["body_text"] for d in crawled["good"] if d["article_id"] == title_hit)
    db.articles.update_one({"article_id": title_hit},
                           {"$set": {"title": BAD_TITLE, "content_hash": content_hash(BAD_TITLE, body)}})
    db.articles.update_one({"article_id": authors_hit}, {"$set": {"authors": [], "editor": None}})
    return title_hit, authors_hit


@pytest.mark.parametrize("killed_after", [1, 2, 3])
def test_reextract_killed_after_any_write_then_rerun_keeps_history_whole(crawled, monkeypatch, killed_after):
    db, warc_dir = crawled["db"], crawled["warc_dir"]
    title_hit, authors_hit = damage(crawled)
    real, writes = Collection.bulk_write, []

    def dying(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        if self.name in ("articles", "article_revisions"):
            writes.append(self.name)
            if len(writes) == killed_after:
                raise Killed
        return result

    with monkeypatch.context() as patch:
        patch.setattr(Collection, "bulk_write", dying)
        try:
            reextract(db, warc_dir, query={})
        except Killed:
            pass
    rerun = reextract(db, warc_dir, query={})
    assert rerun.failed == 0

    good = {d["article_id"]: d for d in crawled["good"]}
    for doc in db.articles.find({}):
        aid = doc["article_id"]
        kept = sorted(r["revision"] for r in db.article_revisions.find({"article_id": aid}))
        assert kept == list(range(1, doc["revision"])), (aid, doc["revision"], kept)
        for name in ("title", "authors", "editor", "body_text", "content_hash"):
            assert doc[name] == good[aid][name], (aid, name)
    for aid in (title_hit, authors_hit):
        assert db.articles.find_one({"article_id": aid})["revision"] == 2
    assert db.article_revisions.find_one({"article_id": title_hit, "revision": 1})["title"] == BAD_TITLE
    assert db.article_revisions.find_one({"article_id": authors_hit, "revision": 1})["authors"] == []
    # Nothing left to do: a third run changes nothing.
    assert reextract(db, warc_dir, query={}).changed == 0


def test_reextract_repairs_history_left_half_written_by_an_earlier_version(crawled):
    """The state the earlier write order left (old version kept as N, the article rewritten
    but still numbered N): the next run numbers the article N + 1."""
    db, warc_dir = crawled["db"], crawled["warc_dir"]
    _, authors_hit = damage(crawled)
    damaged = db.articles.find_one({"article_id": authors_hit}, {"_id": 0})
    db.article_revisions.insert_one({**damaged, "replaced_by_crawl": "reextract-old"})
    good = next(d for d in crawled["good"] if d["article_id"] == authors_hit)
    db.articles.update_one({"article_id": authors_hit},
                           {"$set": {"authors": good["authors"], "editor": good["editor"]}})

    report = reextract(db, warc_dir, query={"article_id": authors_hit})
    assert report.history_repaired == 1 and report.changed == 0
    assert db.articles.find_one({"article_id": authors_hit})["revision"] == 2
