"""Crawls of the list forms of the second survey (NOTES.md, "Column pages"): the section-host
template with sidebars, the mobile lists walked deep, since/until from the listed time."""

from __future__ import annotations

import dataclasses

import pytest

from nbd_replica.corpus import generate_articles
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite, _listing_time
from tests.crawling import archive, crawl

pytestmark = pytest.mark.e2e


def _site(column: int, n: int = 60, **kwargs) -> ReplicaSite:
    """Every other article listed in ``column``, the others in their own columns."""
    specs = [dataclasses.replace(spec, column_id=column) if i % 2 else spec
             for i, spec in enumerate(generate_articles(n, seed=5))]
    return ReplicaSite(specs, duplicate_every=0, **kwargs)


def _archived(mongo_uri: str, db_name: str) -> set[int]:
    return {doc["article_id"] for doc in archive(mongo_uri, db_name).articles.find({}, {"article_id": 1})}


def test_section_host_column_crawl_archives_exactly_the_columns_articles(mongo_uri, mongo_db_name, tmp_path):
    site = _site(329, columns_per_page=6, list_forms={329: "section"})
    with serve(site) as server:
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, columns="329", pages=50)
    assert result.returncode == 0, result.stderr[-3000:]
    assert _archived(mongo_uri, mongo_db_name) == set(site.listing(329))  # no sidebar article
    more = site.requests_of("load_more")
    assert len(more) >= len(site.listing(329)) // 6 - 1 and all(r.status == 200 for r in more)
    assert all(r.headers.get("x-csrf-token") == site.csrf_token for r in more)
    walk = archive(mongo_uri, mongo_db_name).column_walks.find_one({"column_id": 329})
    assert walk["head_id"] == site.listing(329)[0] and walk["complete"]


def test_mobile_lists_walk_deeper_than_the_pc_pages(mongo_uri, mongo_db_name, tmp_path):
    site = _site(3, n=120, columns_per_page=5, max_pages=1, load_more=False)
    column = site.listing(3)
    assert len(column) > 40, "the mobile walk must reach page 3"
    with serve(site) as server:
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, columns="3", pages=10, lists="mobile")
    assert result.returncode == 0, result.stderr[-3000:]
    assert _archived(mongo_uri, mongo_db_name) == set(column)
    assert len(site.requests_of("mobile_column")) == -(-len(column) // 20)
    assert not site.requests_of("column")  # the PC pages were not walked
    walk = archive(mongo_uri, mongo_db_name).column_walks.find_one({"column_id": 3})
    assert walk["base_url"] == server.base_url + "/m"


def test_since_and_until_follow_the_listed_time(mongo_uri, mongo_db_name, tmp_path):
    site = _site(3, n=80, columns_per_page=4)
    listed = {aid: _listing_time(spec).date() for aid, spec in site.articles.items()}
    days = sorted(set(listed.values()))
    since, until = days[len(days) // 3], days[2 * len(days) // 3]
    with serve(site) as server:
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=50,
                       since=since.isoformat(), until=until.isoformat())
    assert result.returncode == 0, result.stderr[-3000:]
    expected = {aid for aid, day in listed.items() if since <= day <= until}
    # Exactly the days asked: no day of slack, partner links (no date in the URL) filtered too.
    assert _archived(mongo_uri, mongo_db_name) == expected
