"""Older templates, video pages, other copies of an article, image sizes and redirects (issue 11):
fast checks on the site knowledge, and one crawl of a replica holding every form."""

from __future__ import annotations

import dataclasses

import pytest

from newscrawler import extract_article
from newscrawler.nbd import site
from newscrawler.nbd.layouts import month_day_time
from nbd_replica.expected import expected_record
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from tests.crawling import archive, crawl
from tests.evaluation.cases import template_and_copy_cases

# What the page shows (markup and the extraction report are checked elsewhere).
SHOWN = ("article_id", "url", "title", "published_at", "byline", "authors", "editor", "source", "summary",
         "body_text", "images", "thumbnail_url", "video")


# -- fast: site knowledge --------------------------------------------------------------------

def test_mrjjxw_addresses_reduce_to_the_article_id():
    assert site.parse_article_url("https://www.mrjjxw.com/articles/2019-10-21/1380159.html") == (1380159, "2019-10-21")
    assert site.parse_article_url("//mrjjxw.com/articles/2026-09-30/4596116.html", "http://127.0.0.1:1") == (
        4596116, "2026-09-30")
    assert site.parse_article_url("https://www.mrjjxw.com/columns/3") is None
    assert site.parse_article_url("https://mrjjxw.com.evil.example/articles/2019-10-21/1.html") is None


@pytest.mark.parametrize("url, largest", [
    ("https://image.nbd.com.cn/uploads/articles/thumbnails/331153/001-003.thumb_head.jpg",
     "https://image.nbd.com.cn/uploads/articles/thumbnails/331153/001-003.jpg"),
    ("https://image.nbd.com.cn/uploads/a/b.thumb_hs.jpg", "https://image.nbd.com.cn/uploads/a/b.jpg"),
    ("https://image.nbd.com.cn/uploads/a/b.x_large.png?v=2", "https://image.nbd.com.cn/uploads/a/b.png?v=2"),
    ("https://image.nbd.com.cn/uploads/a/b.jpg", "https://image.nbd.com.cn/uploads/a/b.jpg"),
])
def test_largest_image_variant(url, largest):
    assert site.largest_image_url(url) == largest


def test_sitewide_column_label_is_a_category():
    assert site.column_category(1072) == "评论"
    assert site.column_category(415) == "金融"
    assert site.column_category(3) == "要闻"      # a site-wide column without a label: its name
    assert site.column_category(None, "专栏") == "专栏"


def test_year_of_a_month_day_time_is_the_one_nearest_the_url_date():
    assert month_day_time("每日经济新闻 01-01 00:20", "2018-12-31").isoformat() == "2018-12-31T16:20:00+00:00"
    assert month_day_time("12-31 23:50", "2019-01-01").isoformat() == "2018-12-31T15:50:00+00:00"
    assert month_day_time("03-14 20:31", "2018-03-14").isoformat() == "2018-03-14T12:31:00+00:00"
    assert month_day_time("no time here", "2018-03-14") is None


def _case(name):
    return next(c for c in template_and_copy_cases() if c.name == name)


def test_partner_copy_promo_and_static_chrome_never_become_images():
    case = _case("partner-toutiao-alt-src")
    record = extract_article(case.html, case.page_url)
    assert record["images"] == case.expected["images"] and len(record["images"]) == 2
    assert not any("static.nbd.com.cn" in u or "ydrss640" in u for u in record["images"] + [record["thumbnail_url"]])
    # a chrome og:image is no thumbnail either
    page = case.html.replace("<head>", '<head><meta property="og:image" '
                             'content="http://static.nbd.com.cn/images/nbd_v4/ydrss640.jpg">', 1)
    promo_only = _case("partner-promo-only")
    page = promo_only.html.replace("<head>", '<head><meta property="og:image" '
                                   'content="http://static.nbd.com.cn/images/nbd_v4/ydrss640.jpg">', 1)
    assert extract_article(page, promo_only.page_url)["thumbnail_url"] is None


def test_a_layout_serving_the_page_date_wins_when_two_anchors_match():
    """A 2013 page carrying an old wrapper and a g-articl-text: the 2012-13 layout serves 2013."""
    case = _case("wrapper-2013-stocks")
    page = case.html.replace('<div id="articleContent">', '<div id="articleContent" class="g-articl-text">', 1)
    assert extract_article(page, case.page_url)["extraction"]["layout"] == "articleWrapper"


# -- end to end ---------------------------------------------------------------------------------

def _specs_for_the_site():
    """The template and copy cases' articles, listed in two columns, plus what the crawl must
    archive (the records a canonical fetch gives: mrjjxw and partner links are fetched there)."""
    specs = []
    for i, case in enumerate(template_and_copy_cases()):
        column = case.spec.column_id or (329, 346)[i % 2]
        specs.append(dataclasses.replace(case.spec, column_id=column))
    return specs


@pytest.mark.e2e
def test_crawl_of_every_form_archives_each_article_once(tmp_path, mongo_uri, mongo_db_name):
    specs = _specs_for_the_site()
    thumb = dataclasses.replace(specs[0], article_id=specs[0].article_id + 1, blocks=[b for b in specs[0].blocks
                                if b.kind != "img"], variant={**specs[0].variant,
                                "og_image": "/uploads/articles/thumbnails/331153/001-003.thumb_head.jpg"})
    moved, gone = specs[2], specs[3]                # one redirects on the site, one off it
    specs.append(thumb)
    site_model = ReplicaSite(specs, columns_per_page=4, duplicate_every=0, partner_markup=True)
    with serve(site_model) as server:
        base = server.base_url
        site_model.faults.add(rf"/{moved.article_id}\.html$", "redirect", count=None, location=f"{base}/")
        site_model.faults.add(rf"/{gone.article_id}\.html$", "redirect", count=None,
                              location="https://www.example.com/moved.html")
        run = crawl(server, mongo_uri, mongo_db_name, tmp_path, columns="329,346,3,275,315,448,327,261",
                    pages=20)
        assert run.returncode == 0, run.stderr[-3000:]
        first = [(r.method, r.path, r.status) for r in site_model.requests]
        adhoc = crawl(server, mongo_uri, mongo_db_name, tmp_path, urls=str(specs[1].article_id), full="1")
        assert adhoc.returncode == 0, adhoc.stderr[-3000:]
        requests = [r.path for r in site_model.requests]
    db = archive(mongo_uri, mongo_db_name)
    want = {s.article_id for s in specs} - {moved.article_id, gone.article_id}
    docs = {d["article_id"]: d for d in db.articles.find({})}
    assert set(docs) == want
    assert db.articles.count_documents({}) == len(want)            # once each
    fetched = [p for m, p, st in first if p.endswith(".html") and "/articles/" in p]
    assert len(fetched) == len(set(fetched)), sorted(first)                     # mrjjxw links were fetched canonically
    for spec in specs:
        if spec.article_id not in want:
            continue
        doc = docs[spec.article_id]
        expected = expected_record(spec, base, base, page_url=doc["fetched_url"])
        for field in SHOWN:
            assert doc[field] == expected[field], (spec.article_id, spec.layout, field)
        assert doc["extraction"]["method"] == "layout"
    # The ad hoc fetch of an id reads the partner copy (alt_src images) and gets the same record.
    assert any(p == f"/rss/toutiao/articles/{specs[1].article_id}.html" for p in requests)
    # The thumbnail is downloaded in its largest size; the record keeps the page's URL.
    doc = docs[thumb.article_id]
    assert doc["thumbnail_url"].endswith("001-003.thumb_head.jpg")
    assert doc["thumbnail"]["url"].endswith("/thumbnails/331153/001-003.jpg")
    assert "/uploads/articles/thumbnails/331153/001-003.jpg" in requests
    assert not any(p.endswith("001-003.thumb_head.jpg") for p in requests)
    # Redirects are recorded as such, with their targets, and are no errors.
    for spec, target in ((moved, f"{base}/"), (gone, "https://www.example.com/moved.html")):
        rejects = list(db.rejects.find({"article_id": spec.article_id}))
        assert rejects and all(r["code"] == "redirected" and target in r["message"] for r in rejects), rejects
    crawl_doc = db.crawls.find_one({}, sort=[("started_at", 1)])
    assert not crawl_doc["stats"].get("errors")
