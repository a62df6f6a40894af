"""Crawls of a replica whose articles run over several pages (2 and 3): each article archived
once, complete, with its pages counted and every page kept in the WARC; a later page that
answers 503 on every try leaves the article marked incomplete, alerted on, and the next run
completes it; reextract rebuilds a record from all its pages."""

from __future__ import annotations

from pathlib import Path

import pymongo
import pytest

from newscrawler.nbd.site import parse_article_url, article_page_number, article_page_url
from newscrawler.warc.pointers import page_pointers
from newscrawler.warc.reader import read_response
from newscrawler.warc.reextract import reextract, selection_filter
from nbd_replica.corpus import generate_articles, with_paged_articles
from nbd_replica.expected import expected_record
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from tests.crawling import archive, crawl

pytestmark = pytest.mark.e2e


def paged_site(seed: int) -> ReplicaSite:
    return ReplicaSite(with_paged_articles(generate_articles(24, seed=seed), every=4), columns_per_page=8)


def page_urls(spec, base_url: str) -> list[str]:
    return [article_page_url(spec.article_id, spec.created.isoformat(), n, base_url)
            for n in range(1, spec.pages + 1)]


def test_a_crawl_archives_each_paged_article_once_complete_with_every_page_kept(mongo_uri, mongo_db_name,
                                                                               tmp_path):
    site = paged_site(seed=21)
    paged = {aid: s for aid, s in site.articles.items() if s.pages > 1}
    assert sorted({s.pages for s in paged.values()}) == [2, 3]
    with serve(site) as server:
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=10)
        assert result.returncode == 0, result.stderr[-3000:]
        db = archive(mongo_uri, mongo_db_name)
        docs = {d["article_id"]: d for d in db.articles.find({})}
        assert sorted(docs) == sorted(site.articles)  # one record per article, none for a page
        for aid, spec in site.articles.items():
            want = expected_record(spec, server.base_url, server.base_url)
            doc = docs[aid]
            assert (doc["pages"], doc["pages_missing"]) == (spec.pages, []), aid
            assert doc["body_text"] == want["body_text"] and doc["images"] == want["images"], aid
            assert "下一页" not in doc["body_text"]

        # Each page fetched once, and kept: the article's pointer reaches every page, in order.
        fetched = [(r.article_id, r.path) for r in site.article_requests()]
        assert len(fetched) == len(set(fetched)) == sum(s.pages for s in site.articles.values())
        warc_dir = Path(tmp_path) / "warc"
        for aid, spec in paged.items():
            pointers = page_pointers(docs[aid]["warc"])
            kept = [read_response(warc_dir / p["file"], p["offset"], p["length"], p["record_id"]) for p in pointers]
            # Page 1 is kept at the address the crawl reached it by (a column may list the partner
            # copy); the later pages are the canonical /page/N addresses.
            assert [parse_article_url(k.url, server.base_url)[0] for k in kept] == [aid] * spec.pages
            assert [k.url for k in kept[1:]] == page_urls(spec, server.base_url)[1:]
            assert [article_page_number(k.url) for k in kept] == list(range(1, spec.pages + 1))

        record = db.crawls.find_one({})
        assert not record.get("alerts"), record.get("alerts")
        assert record["stats"]["incomplete_articles"] == 0
        assert record["stats"]["later_pages"] == sum(s.pages - 1 for s in paged.values())
        assert record["stats"]["pages"] == len(site.articles)  # an article counts once

        # reextract reads every page back: a record damaged in the archive is rebuilt whole.
        victim = max(paged, key=lambda aid: paged[aid].pages)
        db.articles.update_one({"article_id": victim}, {"$set": {"body_text": "第一段。", "pages": 1}})
        report = reextract(db, warc_dir, query=selection_filter([victim]), ids=[victim],
                           default_base_url=server.base_url)
        assert (report.changed, report.failed) == (1, 0), report.as_dict()
        rebuilt = db.articles.find_one({"article_id": victim})
        assert rebuilt["body_text"] == paged[victim].body_text and rebuilt["pages"] == 3
        again = reextract(db, warc_dir, query={}, default_base_url=server.base_url)
        assert (again.changed, again.failed, again.unchanged) == (0, 0, len(site.articles)), again.as_dict()


def test_a_later_page_that_keeps_failing_leaves_the_article_incomplete_until_the_next_run(
        mongo_uri, mongo_db_name, tmp_path):
    site = paged_site(seed=22)
    victim = next(s for s in site.articles.values() if s.pages == 3)
    rule = site.faults.add(rf"/{victim.article_id}/page/3$", "status", count=None, status=503)
    with serve(site) as server:
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=10)
        assert result.returncode == 0, result.stderr[-3000:]
        assert rule.fired >= 2  # retried, then given up
        db = archive(mongo_uri, mongo_db_name)
        doc = db.articles.find_one({"article_id": victim.article_id})
        assert (doc["pages"], doc["pages_missing"]) == (2, [3])  # not archived as complete
        assert victim.body_text.startswith(doc["body_text"]) and doc["body_text"] != victim.body_text
        first = db.crawls.find_one({}, sort=[("started_at", 1)])
        assert any("incomplete articles: 1 article" in a for a in first["alerts"]), first.get("alerts")
        assert first["stats"]["incomplete_articles"] == 1
        assert db.articles.count_documents({"pages_missing.0": {"$exists": True}}) == 1

        # The site answers again: the next run fetches the article again, all of it.
        site.faults.clear()
        site.reset_log()
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=10)
        assert result.returncode == 0, result.stderr[-3000:]
        doc = db.articles.find_one({"article_id": victim.article_id})
        assert (doc["pages"], doc["pages_missing"]) == (3, [])
        assert doc["body_text"] == victim.body_text and doc["revision"] == 2
        assert db.article_revisions.find_one({"article_id": victim.article_id})["pages_missing"] == [3]
        assert db.articles.count_documents({"pages_missing.0": {"$exists": True}}) == 0
        refetched = {r.path for r in site.article_requests() if r.article_id == victim.article_id}
        assert refetched == {p.replace(server.base_url, "") for p in page_urls(victim, server.base_url)}
        second = db.crawls.find_one({}, sort=[("started_at", -1)])
        assert not second.get("alerts"), second.get("alerts")

        # A full refetch whose later page fails again keeps the complete version archived.
        site.faults.add(rf"/{victim.article_id}/page/3$", "status", count=None, status=503)
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=10, full=1)
        assert result.returncode == 0, result.stderr[-3000:]
        doc = db.articles.find_one({"article_id": victim.article_id})
        assert (doc["pages"], doc["pages_missing"], doc["revision"]) == (3, [], 2)
        third = db.crawls.find_one({}, sort=[("started_at", -1)])
        assert third["stats"]["incomplete_articles"] == 1 and third["alerts"]
        pymongo.MongoClient(mongo_uri).drop_database(mongo_db_name)
