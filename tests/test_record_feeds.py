"""What a Scrapy user sees: `scrapy crawl nbd -O file` feeds, and rejects counted by code.

Both crawl the replica for real (tests/crawling.py) into the test MongoDB.
"""

from __future__ import annotations

import csv
import json
import re

import pytest

from newscrawler.cli import main
from tests.crawling import archive, crawl, replica_site

Z_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def first_image(site) -> str:
    """The path of the first picture of an article that has pictures (its thumbnail)."""
    for spec in site.articles.values():
        images = [b.text for b in spec.blocks if b.kind == "img"]
        if images and not spec.lead_image:
            return images[0]
    raise AssertionError("the replica has articles with pictures")


@pytest.fixture(scope="module")
def feed_crawl(mongo_uri, tmp_path_factory):
    """One crawl of the replica writing a JSON Lines and a CSV feed besides the archive."""
    data_dir = tmp_path_factory.mktemp("feeds")
    jsonl, csv_path = data_dir / "out.jsonl", data_dir / "out.csv"
    db_name = f"nc_feeds_{id(data_dir) % 100000}"
    with replica_site(n=16, seed=11) as (site, server):
        # One broken thumbnail: that article's row has thumbnail_error, others thumbnail.
        site.images.override(re.escape(first_image(site)), "html")
        result = crawl(server, mongo_uri, db_name, data_dir, pages=5, feeds=(jsonl, csv_path))
    assert result.returncode == 0, result.stderr[-3000:]
    db = archive(mongo_uri, db_name)
    crawl_id = db.crawls.find_one({})["crawl_id"]
    yield site, jsonl, csv_path, crawl_id
    db.client.drop_database(db_name)


def test_jsonl_feed_rows_share_one_key_set_utc_z_times_and_the_crawl_id(feed_crawl):
    site, jsonl, _, crawl_id = feed_crawl
    rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(site.articles)
    key_sets = {tuple(row) for row in rows}
    assert len(key_sets) == 1, key_sets
    for row in rows:
        assert Z_TIME.match(row["published_at"]), row["published_at"]
        assert row["crawl_id"] == crawl_id
        assert isinstance(row["extraction"], dict) and isinstance(row["authors"], list)


def test_csv_feed_holds_json_for_dict_fields_and_the_crawl_id(feed_crawl):
    site, _, csv_path, crawl_id = feed_crawl
    with open(csv_path, encoding="utf-8", newline="") as fp:
        rows = list(csv.DictReader(fp))
    assert len(rows) == len(site.articles)
    for row in rows:
        assert json.loads(row["extraction"])["method"] == "layout"
        assert Z_TIME.match(row["published_at"])
        assert row["crawl_id"] == crawl_id
        if row["thumbnail"]:
            assert json.loads(row["thumbnail"])["checksum"]
    assert any(row["thumbnail_error"] for row in rows) and any(row["thumbnail"] for row in rows)


def test_stats_shows_one_row_per_reject_code(mongo_uri, mongo_db_name, tmp_path, monkeypatch, capsys):
    """Three garbage pages and one missing page: two rows (not_html 3, fetch_failed 1), both from
    aggregation and from the counts kept at write time."""
    with replica_site(n=16, seed=12) as (site, server):
        ids = sorted(site.articles)
        for bad_id in ids[:3]:
            site.faults.add(rf"/{bad_id}\.html", "garbage", count=None)
        site.faults.add(rf"/{ids[3]}\.html", "status", count=None, status=404)
        monkeypatch.setenv("MONGO_URI", mongo_uri)
        monkeypatch.setenv("MONGO_DATABASE", mongo_db_name)
        assert main(["stats", "--rebuild", "--json"]) == 0  # counts kept from the first write
        capsys.readouterr()
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=5)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = {"total": 4, "by_reason": [{"reason": "not_html", "count": 3},
                                          {"reason": "fetch_failed", "count": 1}]}
    for how in ("--exact", None):
        assert main(["stats", "--json", *([how] if how else [])]) == 0
        stats = json.loads(capsys.readouterr().out)
        assert stats["rejects"] == expected, how
    db = archive(mongo_uri, mongo_db_name)
    garbage = db.rejects.find_one({"article_id": ids[0]})
    assert garbage["code"] == garbage["reason"] == "not_html"
    assert garbage["message"] and str(ids[0]) not in garbage["message"]  # the URL is its own field
    assert str(ids[0]) in garbage["url"]
    stats = db.crawls.find_one({})["stats"]
    assert stats["rejected"] == 4
