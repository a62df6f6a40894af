"""End to end: `scrapy crawl nbd` on the replica site served on loopback, into a real MongoDB."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from PIL import Image

from newscrawler.crawl import settings as project_settings
from newscrawler.record import PAGE_FIELDS
from nbd_replica.corpus import generate_articles
from nbd_replica.expected import classify, expected_record
from nbd_replica.pages import render_article
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from nbd_replica.spec import Block
from tests.crawling import archive, crawl, replica_site

# What the page shows (markup and the extraction report are checked elsewhere).
FIELDS = tuple(f for f in PAGE_FIELDS if f not in ("body_html", "extraction"))


pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def first_crawl(mongo_uri, module_db_name, tmp_path_factory):
    """One replica, crawled once. The tests below read what it left, and may crawl it again;
    none edits the site (a test that does has its own). The articles the first crawl
    requested are kept aside: a later test resets the site's request log."""
    data_dir = tmp_path_factory.mktemp("crawl-data")
    with replica_site(n=40, seed=3, columns_per_page=6) as (site, server):
        result = crawl(server, mongo_uri, module_db_name, data_dir, pages=20)
        yield site, server, module_db_name, data_dir, result, site.article_requests()


def test_crawl_archives_exactly_the_listed_articles(first_crawl, mongo_uri):
    site, server, db_name, data_dir, result, requested = first_crawl
    assert result.returncode == 0, result.stderr[-3000:]
    db = archive(mongo_uri, db_name)
    archived = {doc["article_id"] for doc in db.articles.find({}, {"article_id": 1})}
    assert archived == set(site.articles)
    assert db.articles.count_documents({}) == len(site.articles)  # once each
    # Partner, mobile and section-host links were reduced to ids: no article fetched twice.
    fetched = [r.article_id for r in requested]
    assert len(fetched) == len(set(fetched)) == len(site.articles)


def test_archived_records_match_the_pages(first_crawl, mongo_uri):
    site, server, db_name, data_dir, _, _ = first_crawl
    db = archive(mongo_uri, db_name)
    for doc in db.articles.find({}):
        spec = site.articles[doc["article_id"]]
        expected = expected_record(spec, server.base_url, server.base_url, page_url=doc["fetched_url"])
        for field in FIELDS:
            if field not in ("category", "column"):
                assert doc[field] == expected[field], (doc["article_id"], field)
        # An article listed in two columns takes its category from the listing the crawl
        # followed when its own column link names a site-wide column: either is right.
        listings = [cid for cid in site.column_ids if doc["article_id"] in site.listing(cid)]
        allowed = {classify(spec.column_id, hint, doc["fetched_url"]) for hint in listings}
        assert (doc["category"], doc["column"]) in allowed, doc["article_id"]
        assert doc["revision"] == 1 and doc["content_hash"] and doc["first_seen_at"]
        assert doc["extraction"]["method"] == "layout"


THUMB_BOXES = project_settings.IMAGES_THUMBS


def test_thumbnails_are_downloaded_and_recorded(first_crawl, mongo_uri):
    site, server, db_name, data_dir, _, _ = first_crawl
    db = archive(mongo_uri, db_name)
    with_thumbnail = list(db.articles.find({"thumbnail_url": {"$ne": None}}))
    assert with_thumbnail, "the replica has articles with images"
    store = Path(data_dir) / "images"
    for doc in with_thumbnail:
        thumb = doc["thumbnail"]
        assert (store / thumb["path"]).is_file()
        assert thumb["checksum"] and thumb["width"] > 0 and thumb["height"] > 0
        assert thumb["bytes"] == (store / thumb["path"]).stat().st_size
        assert thumb["stored_at"].tzinfo is not None  # an aware datetime, like every document time
        for name, path in thumb["thumbs"].items():
            # Each thumbnail is the picture fitted into its box, aspect kept (decoded scaled down).
            with Image.open(store / path) as small:
                box = THUMB_BOXES[name]
                whole = Image.new("L", (thumb["width"], thumb["height"]))
                whole.thumbnail(box)  # what PIL makes of the whole picture
                assert small.size == whole.size, (name, small.size, whole.size)
    assert db.articles.count_documents({"thumbnail_url": None, "thumbnail": {"$exists": True}}) == 0


def test_crawl_record(first_crawl, mongo_uri):
    site, server, db_name, data_dir, _, _ = first_crawl
    db = archive(mongo_uri, db_name)
    record = db.crawls.find_one({}, sort=[("started_at", 1)])
    assert record["finish_reason"] == "finished"
    assert record["finished_at"] >= record["started_at"]
    assert record["args"]["base_url"] == server.base_url
    assert record["stats"]["new"] == len(site.articles)
    assert record["stats"]["pages"] == len(site.articles)
    assert record["stats"]["rejected"] == 0


def test_second_crawl_requests_no_article_again(first_crawl, mongo_uri):
    site, server, db_name, data_dir, _, _ = first_crawl
    site.reset_log()
    result = crawl(server, mongo_uri, db_name, data_dir, pages=20)
    assert result.returncode == 0, result.stderr[-3000:]
    assert site.article_requests() == []
    # A column stops at its first page when that page holds nothing new.
    column_pages = [r for r in site.requests if r.kind in ("column", "load_more")]
    assert len(column_pages) == len(site.column_ids)
    db = archive(mongo_uri, db_name)
    assert db.articles.count_documents({}) == len(site.articles)


def test_edited_article_yields_a_revision(mongo_uri, mongo_db_name, tmp_path):
    with replica_site(n=6, seed=4) as (site, server):
        first = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=5)
        assert first.returncode == 0, first.stderr[-3000:]
        db = archive(mongo_uri, mongo_db_name)
        article_id = sorted(site.articles)[0]
        before = db.articles.find_one({"article_id": article_id})
        spec = site.articles[article_id]
        site.edit_article(article_id, title=spec.title + "（更新）",
                          blocks=spec.blocks + [Block("p", "编者按：本文发布后有更新。")])
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, columns="", urls=str(article_id))
    assert result.returncode == 0, result.stderr[-3000:]
    after = db.articles.find_one({"article_id": article_id})
    assert after["title"].endswith("（更新）") and after["revision"] == before["revision"] + 1
    assert after["first_seen_at"] == before["first_seen_at"]
    revisions = list(db.article_revisions.find({"article_id": article_id}))
    assert len(revisions) == 1 and revisions[0]["title"] == before["title"]
    assert db.articles.count_documents({"article_id": article_id}) == 1


def test_unchanged_article_refetched_in_full_mode_is_not_a_revision(first_crawl, mongo_uri):
    site, server, db_name, data_dir, _, _ = first_crawl
    db = archive(mongo_uri, db_name)
    article_id = sorted(site.articles)[-1]
    result = crawl(server, mongo_uri, db_name, data_dir, columns="", urls=str(article_id), full=1)
    assert result.returncode == 0
    assert db.article_revisions.count_documents({"article_id": article_id}) == 0
    record = db.crawls.find_one({}, sort=[("started_at", -1)])
    assert record["stats"]["unchanged"] == 1 and record["stats"]["new"] == 0


def test_full_recrawl_keeps_the_thumbnail_facts(first_crawl, mongo_uri):
    """The image is already stored (IMAGES_EXPIRES): the recrawl does not download it, and
    the facts it records are still the whole set, read from the store."""
    site, server, db_name, data_dir, _, _ = first_crawl
    db = archive(mongo_uri, db_name)
    before = db.articles.find_one({"thumbnail": {"$exists": True}}, sort=[("article_id", 1)])
    result = crawl(server, mongo_uri, db_name, data_dir, columns="", urls=str(before["article_id"]), full=1)
    assert result.returncode == 0, result.stderr[-3000:]
    after = db.articles.find_one({"article_id": before["article_id"]})["thumbnail"]
    assert after["status"] == "uptodate"
    for key in ("path", "checksum", "bytes", "width", "height", "thumbs", "stored_at"):
        assert after.get(key) == before["thumbnail"][key], key


def test_articles_sharing_one_image_all_get_its_facts(mongo_uri, mongo_db_name, tmp_path):
    """One image URL on every article: downloaded once, and every article records all of
    its facts (Scrapy answers the later ones from its per-crawl cache)."""
    specs = generate_articles(12, seed=6)
    shared = {}

    def render(spec, **kwargs):
        page = render_article(spec, **kwargs)
        own = expected_record(spec, kwargs["base_url"], kwargs["image_base"])["thumbnail_url"]
        if not own:
            return page
        shared.setdefault("url", own)
        return page.replace(own, shared["url"])

    with serve(ReplicaSite(specs, render_article=render)) as server:
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=5)
        image_requests = [r for r in server.site.requests if r.kind == "image" and r.path in shared["url"]]
    assert result.returncode == 0, result.stderr[-3000:]
    docs = list(archive(mongo_uri, mongo_db_name).articles.find({"thumbnail_url": shared["url"]}))
    assert len(docs) >= 3 and len(image_requests) == 1
    facts = [{key: doc["thumbnail"].get(key) for key in ("path", "bytes", "width", "height")} for doc in docs]
    assert all(fact == facts[0] for fact in facts) and None not in facts[0].values(), facts


def test_rejected_page_lands_in_rejects(mongo_uri, mongo_db_name, tmp_path):
    with replica_site(n=12, seed=5) as (site, server):
        bad_id = sorted(site.articles)[3]
        site.faults.add(rf"/{bad_id}\.html", "garbage", count=None)
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=5)
    assert result.returncode == 0, result.stderr[-3000:]
    db = archive(mongo_uri, mongo_db_name)
    rejects = list(db.rejects.find({}))
    assert len(rejects) == 1
    assert str(bad_id) in rejects[0]["url"] and rejects[0]["reason"] == rejects[0]["code"] == "not_html"
    assert rejects[0]["crawl_id"] == db.crawls.find_one({})["crawl_id"]
    assert db.articles.count_documents({}) == len(site.articles) - 1
    assert db.crawls.find_one({})["stats"]["rejected"] == 1


def test_non_image_thumbnail_is_recorded_and_article_kept(mongo_uri, mongo_db_name, tmp_path):
    with replica_site(n=12, seed=6) as (site, server):
        site.images.override(r".*", "html")
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=5)
    assert result.returncode == 0, result.stderr[-3000:]
    db = archive(mongo_uri, mongo_db_name)
    assert db.articles.count_documents({}) == len(site.articles)
    failed = list(db.articles.find({"thumbnail_url": {"$ne": None}}))
    assert failed and all("not an image" in doc["thumbnail_error"] for doc in failed)
    assert db.crawls.find_one({})["stats"]["thumbnails_failed"] == len(failed)


def test_since_stops_paging_and_skips_older_articles(mongo_uri, mongo_db_name, tmp_path):
    with replica_site(n=40, seed=7, columns_per_page=3) as (site, server):
        days = sorted({spec.created for spec in site.articles.values()})
        since = days[len(days) // 2]
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=50, since=since.isoformat())
    assert result.returncode == 0, result.stderr[-3000:]
    db = archive(mongo_uri, mongo_db_name)
    archived = {doc["article_id"] for doc in db.articles.find({})}
    recent = {aid for aid, spec in site.articles.items() if spec.created >= since}
    assert recent <= archived
    # Older articles beyond the one-day tolerance were not fetched.
    import datetime as dt

    too_old = {aid for aid, spec in site.articles.items() if spec.created < since - dt.timedelta(days=1)}
    assert not (too_old & archived)


def test_crawled_articles_are_searchable_and_counted(mongo_uri, mongo_db_name, tmp_path, monkeypatch, capsys):
    """The write path keeps `stats` counts (and no search tokens): query what a crawl archived."""
    from newscrawler.store.counts import rebuild_counts
    from newscrawler.store.queries import archive_stats
    from newscrawler.cli import main

    with replica_site(n=24, seed=9) as (site, server):
        first = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=5)
        assert first.returncode == 0, first.stderr[-3000:]
        db = archive(mongo_uri, mongo_db_name)
        # Search is the full-text index's: the write path stores no tokens in the articles.
        assert db.articles.count_documents({"search_tokens": {"$exists": True}}) == 0
        rebuild_counts(db)  # from now on the write path keeps them up to date
        added = generate_more(site, 6)
        second = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=5)
        assert second.returncode == 0, second.stderr[-3000:]

    total = len(site.articles)
    assert db.articles.count_documents({}) == total
    # The counts kept by the write path agree with a fresh aggregation over the collections.
    kept, exact = archive_stats(db, top_n=50, days=400), archive_stats(db, top_n=50, days=400, exact=True)
    assert kept["source"] != exact["source"]
    for key in ("articles", "days", "categories", "authors", "rejects"):
        assert kept[key] == exact[key], key
    assert kept["articles"] == total
    spec = site.articles[added[0]]
    import rjieba

    word = next(w for w in rjieba.cut(spec.title) if len(w) >= 2 and not w.isascii())  # a word of its title
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", mongo_db_name)
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path / "search-home"))
    assert main(["query", "--search", word, "--format", "jsonl", "--limit", "0"]) == 0  # builds the index
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert spec.article_id in {doc["article_id"] for doc in found}
    assert all(word in doc["snippet"].replace("【", "").replace("】", "") or word in doc["title"] for doc in found)


def generate_more(site, n: int) -> list[int]:
    """Add ``n`` new articles at the top of their columns; returns their ids."""
    from nbd_replica.corpus import generate_articles

    newest = max(spec.created for spec in site.articles.values())
    specs = generate_articles(n, seed=99, start_id=max(site.articles) + 1000,
                              start_date=newest + dt.timedelta(days=1))
    site.add_articles(specs)
    return [spec.article_id for spec in specs]
