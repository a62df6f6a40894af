"""List pages (newscrawler.nbd.listing) against the replica's column pages, without a server."""

from __future__ import annotations

from nbd_replica.corpus import generate_articles
from nbd_replica.site import ReplicaSite

from newscrawler.nbd import listing

BASE = "http://replica.test"


def _site(**kwargs) -> ReplicaSite:
    return ReplicaSite(generate_articles(90, seed=3), columns_per_page=5, duplicate_every=0, **kwargs)


def _get(site: ReplicaSite, target: str, xhr: bool = False) -> str:
    headers = listing.load_more_headers(site.csrf_token) if xhr else {}
    response = site.handle("GET", target, headers, BASE)
    assert response.status == 200, target
    return response.body.decode("utf-8")


def test_column_page_lists_exactly_its_articles_in_order():
    site = _site()
    column = site.column_ids[0]
    page = _get(site, f"/columns/{column}/")
    entries = listing.list_entries(page, f"{BASE}/columns/{column}/")
    assert [e.article_id for e in entries] == site.listing(column)[:5]
    created = {spec.article_id: spec.created.isoformat() for spec in site.articles.values()}
    assert all(e.created is None or e.created == created[e.article_id] for e in entries)


def test_pager_link_leads_to_the_next_page_and_load_more_to_the_rest():
    site = _site(load_more=True)
    column = max(site.column_ids, key=lambda c: len(site.listing(c)))
    assert len(site.listing(column)) > 10, "the seed must give a column of three pages"
    url = f"{BASE}/columns/{column}/"
    page = _get(site, f"/columns/{column}/")
    entries = listing.list_entries(page, url)
    next_url = listing.next_page_url(page, url, column, 1, BASE)
    if next_url is None:  # a column without a pager continues with "load more"
        last = listing.load_more_after(page, entries, 1)
        assert last == entries[-1][0]
        fragment = _get(site, f"/columns/{column}/?last_article={last}", xhr=True)
        more = listing.list_entries(fragment, url, fragment=True)
    else:
        assert next_url.endswith(f"/columns/{column}/page/2") or "/page/2" in next_url
        more = listing.list_entries(_get(site, next_url[len(BASE):]), next_url)
    assert [e.article_id for e in more][:5] == site.listing(column)[5:10]


def test_pager_link_to_another_host_is_not_the_next_page():
    page = ('<html><body><div class="g-list-text"></div>'
            '<a href="http://elsewhere.test/columns/3/page/2">next</a></body></html>')
    assert listing.next_page_url(page, f"{BASE}/columns/3/", 3, 1, BASE) is None


def test_page_without_a_known_list_counts_every_article_link():
    page = ('<html><body><p><a href="/articles/2026-09-01/4000123.html">a</a>'
            '<a href="/about.html">about</a></p></body></html>')
    assert listing.list_entries(page, f"{BASE}/columns/3/") == [listing.Entry(4000123, "2026-09-01")]


def test_empty_answer_lists_nothing():
    assert listing.list_entries("", f"{BASE}/columns/3/") == []
    assert listing.next_page_url("  ", f"{BASE}/columns/3/", 3, 1, BASE) is None
    assert listing.load_more_after("", [], 1) is None
