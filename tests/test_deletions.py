"""End to end: articles the site takes down are marked deleted (never removed), and unmarked
when they come back, the episode kept; a site answering 503 marks nothing."""

from __future__ import annotations

import pytest

from tests.crawling import archive, crawl, replica_site

pytestmark = pytest.mark.e2e


def _crawl_ids(server, mongo_uri, db_name, data_dir, ids):
    result = crawl(server, mongo_uri, db_name, data_dir, columns="", urls=",".join(map(str, ids)))
    assert result.returncode in (0, 3), result.stderr[-3000:]
    return result


def test_deleted_articles_are_marked_kept_and_unmarked_when_back(mongo_uri, mongo_db_name, tmp_path):
    with replica_site(n=8, seed=5) as (site, server):
        assert crawl(server, mongo_uri, mongo_db_name, tmp_path).returncode == 0
        db = archive(mongo_uri, mongo_db_name)
        before = {d["article_id"]: d for d in db.articles.find({}, {"_id": 0})}
        assert set(before) == set(site.articles)
        gone404, gone410, home, kept = sorted(site.articles)[:4]
        site.delete_article(gone404, "404")
        site.delete_article(gone410, "410")
        site.delete_article(home, "home")

        _crawl_ids(server, mongo_uri, mongo_db_name, tmp_path, [gone404, gone410, home, kept])
        docs = {d["article_id"]: d for d in db.articles.find({}, {"_id": 0})}
        assert docs[gone404]["deletion"]["status"] == 404
        assert docs[gone410]["deletion"]["status"] == 410
        assert docs[home]["deletion"]["status"] == 302
        assert docs[home]["deletion"]["target"] == server.base_url + "/"
        assert "deleted_at" not in docs[kept]
        for aid in (gone404, gone410, home):  # the archived copy is kept as it was
            assert docs[aid]["deleted_at"] is not None
            assert docs[aid]["body_text"] == before[aid]["body_text"]
            assert docs[aid]["revision"] == before[aid]["revision"]
        assert db.rejects.count_documents({}) == 0  # a deletion is no fetch error
        record = db.crawls.find_one({}, sort=[("started_at", -1)])
        assert record["stats"]["deleted"] == 3
        first_seen = docs[gone410]["deleted_at"]

        site.restore_article(gone404)
        site.restore_article(home)
        _crawl_ids(server, mongo_uri, mongo_db_name, tmp_path, [gone404, gone410, home])
        docs = {d["article_id"]: d for d in db.articles.find({}, {"_id": 0})}
        for aid, status in ((gone404, 404), (home, 302)):
            assert "deleted_at" not in docs[aid] and "deletion" not in docs[aid]
            [episode] = docs[aid]["deletion_history"]
            assert episode["status"] == status and episode["restored_at"] > episode["deleted_at"]
            assert docs[aid]["revision"] == before[aid]["revision"]  # back unchanged: no revision
        # Still gone: first seen when it first went, last seen now.
        assert docs[gone410]["deleted_at"] == first_seen
        assert docs[gone410]["deletion"]["last_seen_at"] > first_seen
        record = db.crawls.find_one({}, sort=[("started_at", -1)])
        assert record["stats"]["restored"] == 2
        assert record["stats"]["still_deleted"] == 1


def test_a_site_answering_503_marks_nothing_deleted(mongo_uri, mongo_db_name, tmp_path):
    with replica_site(n=6, seed=6) as (site, server):
        assert crawl(server, mongo_uri, mongo_db_name, tmp_path).returncode == 0
        site.faults.add(r"/articles/", "status", count=None, status=503)
        ids = sorted(site.articles)
        crawl(server, mongo_uri, mongo_db_name, tmp_path, columns="", urls=",".join(map(str, ids)),
              settings={"RETRY_TIMES": "1"})
        db = archive(mongo_uri, mongo_db_name)
        assert db.articles.count_documents({"deleted_at": {"$ne": None}}) == 0
        assert db.rejects.count_documents({"code": "fetch_failed"}) == len(ids)


def test_several_articles_sent_to_the_home_page_are_all_marked(mongo_uri, mongo_db_name, tmp_path):
    """A column crawl refetching the archive: the second redirect to the one home page is dropped
    by the duplicate filter (no callback runs), and is still taken for a deletion."""
    with replica_site(n=6, seed=7) as (site, server):
        assert crawl(server, mongo_uri, mongo_db_name, tmp_path).returncode == 0
        gone = sorted(site.articles)[:3]
        for aid in gone:
            site.delete_article(aid, "home")
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, full=1)
        assert result.returncode in (0, 3), result.stderr[-3000:]
        db = archive(mongo_uri, mongo_db_name)
        marked = {d["article_id"]: d["deletion"] for d in db.articles.find({"deleted_at": {"$ne": None}})}
        assert sorted(marked) == gone
        assert all(m["target"] == server.base_url + "/" for m in marked.values())
        assert db.rejects.count_documents({}) == 0
