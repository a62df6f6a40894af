"""List pages (newscrawler.nbd.listing) against the replica's column pages, without a server."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from nbd_replica.corpus import generate_articles
from nbd_replica.site import ReplicaSite

from newscrawler.nbd import listing
from newscrawler.nbd import site as site_model

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


# -- the list forms of the second survey --------------------------------------------------------

def _form_site(form: str, per_page: int = 5, n: int = 90, column: int = 329, **kwargs):
    """A site listing every other article in ``column`` (329: finance; 261: auto), served in
    ``form``; (site, column)."""
    specs = [dataclasses.replace(spec, column_id=column) if i % 2 else spec
             for i, spec in enumerate(generate_articles(n, seed=3))]
    return ReplicaSite(specs, columns_per_page=per_page, duplicate_every=0,
                       list_forms={column: form} if form != "pc" else {}, **kwargs), column


def _walk(site: ReplicaSite, column: int, first_url: str) -> list[listing.Entry]:
    """Every entry of a column, following listing.next_page as the spider does."""
    url, page, fragment, sent, seen = first_url, 1, False, {}, []
    for _ in range(50):
        response = site.handle("GET", url[len(BASE):], sent, BASE)
        assert response.status == 200, (url, response.status)
        text = response.body.decode("utf-8")
        entries = listing.list_entries(text, url, fragment=fragment)
        if not entries:
            break
        seen += entries
        # Scrapy sends header names title-cased (X-Csrf-Token): the token must be found anyway.
        found = listing.next_page(text, url, column, page, BASE, entries, fragment=fragment,
                                  sent_headers={name.title(): value for name, value in sent.items()})
        if found is None:
            break
        url, page, fragment, sent = found.url, found.page, found.fragment, found.headers
    return seen


def test_section_host_page_lists_only_its_column_not_the_sidebars():
    site, column = _form_site("section")
    text = _get(site, f"/columns/{column}")
    assert text.count("/articles/") > 3 * 5, "the sidebars must link other articles"
    entries = listing.list_entries(text, f"{BASE}/columns/{column}")
    assert listing.list_form(text) == "section"
    assert [e.article_id for e in entries] == site.listing(column)[:5]
    spec = site.articles[entries[0].article_id]
    assert entries[0].time == spec.published_at.astimezone(entries[0].time.tzinfo)
    assert entries[0].section == site._section_label(column) is not None


def test_section_host_load_more_walks_the_whole_column_with_the_page_token():
    site, column = _form_site("section")
    entries = _walk(site, column, f"{BASE}/columns/{column}")
    assert [e.article_id for e in entries] == site.listing(column)
    more = [r for r in site.requests_of("load_more")]
    assert more and all(r.status == 200 and r.headers.get("x-csrf-token") == site.csrf_token for r in more)


def test_load_more_without_the_scripts_headers_is_refused():
    site, column = _form_site("section")
    target = f"/columns/{column}?last_article={site.listing(column)[4]}&version_column=v5"
    assert site.handle("GET", target, {"X-Requested-With": "XMLHttpRequest"}, BASE).status == 400
    no_token = {"X-Requested-With": "XMLHttpRequest", "Accept": listing.LOAD_MORE_ACCEPT}
    assert site.handle("GET", target, no_token, BASE).status == 403
    assert site.handle("GET", target, listing.load_more_headers(site.csrf_token), BASE).status == 200


def test_section_label_names_the_section_and_its_aliases():
    assert site_model.label_section("未来商业") == "TMT"
    assert site_model.label_section("TMT") == "TMT"
    assert site_model.label_section("基金") == "理财"
    assert site_model.label_section("新经济") == "新三板"
    assert site_model.label_section("金融") == "金融"
    assert site_model.label_section("广告") is None


def test_auto_host_list_loads_more_by_position():
    site, column = _form_site("auto", column=261)
    text = _get(site, f"/columns/{column}")
    assert listing.list_form(text) == "auto"
    found = listing.next_page(text, f"{BASE}/columns/{column}", column, 1, BASE,
                              listing.list_entries(text, f"{BASE}/columns/{column}"))
    assert found.url.endswith(f"/columns/{column}?last_article_pos=5") and found.fragment
    assert found.headers["X-CSRF-Token"] == site.csrf_token
    entries = _walk(site, column, f"{BASE}/columns/{column}")
    assert [e.article_id for e in entries] == site.listing(column)


def test_mobile_list_pages_by_number_twenty_a_page_past_the_pc_pages():
    site, column = _form_site("pc", per_page=5, n=200, max_pages=1)
    assert len(site.listing(column)) > 40
    first = site_model.mobile_column_url(column, 1, BASE)
    assert first == f"{BASE}/m/columns/{column}/"
    text = _get(site, first[len(BASE):])
    assert listing.list_form(text) == "mobile"
    entries = listing.list_entries(text, first)
    assert [e.article_id for e in entries] == site.listing(column)[:20]
    found = listing.next_page(text, first, column, 1, BASE, entries)
    assert found.url == f"{BASE}/m/columns/{column}/page/2/" and not found.fragment
    assert [e.article_id for e in _walk(site, column, first)] == site.listing(column)


@pytest.mark.parametrize("per_page", [20, 50, 80])
def test_pc_page_without_paging_is_the_whole_list(per_page):
    site, column = _form_site("pc", per_page=per_page, paging=False, load_more=False)
    text = _get(site, f"/columns/{column}")
    entries = listing.list_entries(text, f"{BASE}/columns/{column}")
    assert [e.article_id for e in entries] == site.listing(column)[:per_page]
    assert listing.next_page(text, f"{BASE}/columns/{column}", column, 1, BASE, entries) is None


def test_pc_list_times_come_from_the_day_block_and_the_span():
    page = ('<div class="g-list-text"><div class="m-list"><p class="u-channeltime">2026-09-02</p>'
            '<ul class="u-news-list"><li class="u-news-title"><a href="/articles/2026-09-01/4000123.html">a</a>'
            '<span>00:10:05</span></li><li class="u-news-title">'
            '<a href="http://www.nbd.com.cn/rss/zaker/articles/4000124.html">b</a><span>2026-09-02 08:00:00</span></li>'
            '</ul></div></div>')
    first, partner = listing.list_entries(page, f"{BASE}/columns/3/")
    assert (first.article_id, first.created, first.day) == (4000123, "2026-09-01", dt.date(2026, 9, 2))
    assert first.time.strftime("%H:%M:%S") == "00:10:05"
    assert (partner.created, partner.day) == (None, dt.date(2026, 9, 2))


def test_column_url_forms_of_the_second_survey():
    assert site_model.parse_column_url("https://www.nbd.com.cn/columns/fangchan/300") == (300, 1)
    assert site_model.parse_column_url("https://www.nbd.com.cn/columns/2093.html/") == (2093, 1)
    assert site_model.parse_column_url("https://m.nbd.com.cn/web_app/column/3/") == (3, 1)
    assert site_model.parse_column_url("https://m.nbd.com.cn/columns/3/page/2714/") == (3, 2714)
    assert site_model.mobile_column_url(3, 2714) == "https://m.nbd.com.cn/columns/3/page/2714/"
    assert site_model.column_name(2081) == "金融早参" and site_model.column_section(598) == "国际"


def test_crawl_command_passes_the_list_kind_to_the_spider():
    from newscrawler.cli import build_parser
    from newscrawler.cli.commands.crawl import spider_arguments
    from newscrawler.crawl.spider import NbdSpider

    args = build_parser().parse_args(["crawl", "--columns", "3", "--lists", "mobile"])
    assert spider_arguments(args)["lists"] == "mobile"
    assert NbdSpider(columns="3", lists="mobile").uses_mobile_list(3)
    assert not NbdSpider(columns="332", lists="mobile").uses_mobile_list(332)  # its mobile list is stale
    with pytest.raises(ValueError, match="lists must be one of"):
        NbdSpider(lists="deep")
