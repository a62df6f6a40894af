"""Articles that run over several pages (notes, second survey): the pager is read and kept out
of the body, every page address is the article's id, and one record is built from all pages.
Fast tests on pages in-process; the crawl over HTTP is in test_multipage_crawl.py."""

from __future__ import annotations


import pytest
from lxml import html as lxml_html

from newscrawler.crawl.monitoring import incomplete_article_alerts
from newscrawler.crawl import stats as keys
from newscrawler.nbd import site
from newscrawler.nbd.extract import PageInput, extract_article, extract_article_pages
from newscrawler.nbd.pager import read_pager
from newscrawler.warc.pointers import article_pointer, page_pointers
from nbd_replica.pages import render_article_page
from nbd_replica.site import ReplicaSite
from tests.evaluation.cases import first_page_only, multipage_set
from tests.test_extract import RECORD_FIELDS, check_special_keys

CASES = multipage_set()
BASE = "http://127.0.0.1:8123"


@pytest.mark.parametrize("url, expected", [
    ("https://www.nbd.com.cn/articles/2013-05-02/736612/page/2", (736612, "2013-05-02", 2)),
    ("https://www.nbd.com.cn/articles/2013-05-02/736612/page/3/", (736612, "2013-05-02", 3)),
    ("http://www.nbd.com.cn/mobile/articles/2013-05-02/736612/page/2", (736612, "2013-05-02", 2)),
    ("https://m.nbd.com.cn/mobile/articles/2013-05-02/736612.html", (736612, "2013-05-02", 1)),
    ("https://www.nbd.com.cn/articles/2013-05-02/736612/print", (736612, "2013-05-02", 1)),
    ("https://www.nbd.com.cn/articles/2013-05-02/736612.html", (736612, "2013-05-02", 1)),
    (f"{BASE}/articles/2026-09-10/4600001/page/2", (4600001, "2026-09-10", 2)),
])
def test_every_page_address_reduces_to_the_article_id(url, expected):
    assert (*site.parse_article_url(url, BASE), site.article_page_number(url)) == expected


@pytest.mark.parametrize("url", [
    "https://www.nbd.com.cn/articles/2013-05-02/736612/page/x",
    "https://www.nbd.com.cn/articles/2013-05-02/736612/comments",
    "https://live.nbd.com.cn/articles/2013-05-02/736612/page/2",
])
def test_other_paths_under_an_article_are_not_articles(url):
    assert site.parse_article_url(url, BASE) is None


def test_page_addresses_are_built_as_the_site_writes_them():
    assert site.article_page_url(7, "2026-09-10", 1) == "https://www.nbd.com.cn/articles/2026-09-10/7.html"
    assert site.article_page_url(7, "2026-09-10", 3, BASE) == f"{BASE}/articles/2026-09-10/7/page/3"


def test_the_pager_says_which_page_and_how_many():
    case = next(c for c in CASES if c.spec.pages == 3)
    for number, (url, page) in enumerate(zip(case.urls, case.pages), 1):
        pager = read_pager(lxml_html.document_fromstring(page), url, case.spec.article_id)
        assert (pager.current, pager.count) == (number, 3)
        assert sorted(pager.links) == sorted({1, 2, 3} - {number})
        assert all(site.parse_article_url(link)[0] == case.spec.article_id for link in pager.links.values())


def test_a_pager_of_another_article_is_no_pager():
    case = CASES[0]
    assert read_pager(lxml_html.document_fromstring(case.pages[0]), case.urls[0], 1) is None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_pages_give_one_record_with_the_bodies_joined(case):
    record = extract_article_pages(case.pages, case.urls, column_id=case.column_hint)
    for field in RECORD_FIELDS:
        if field in case.expected:
            assert record[field] == case.expected[field], f"{case.name}: {field}"
    check_special_keys(record, case.expected)
    assert record["pages"] == case.spec.pages and record["pages_missing"] == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_page_one_alone_keeps_the_pager_out_and_says_what_is_missing(case):
    """The issue's bug: the pager's "1 2 下一页" ended up in body_text, page 2 silently lost."""
    record = extract_article(case.pages[0], case.urls[0], column_id=case.column_hint)
    expected = first_page_only(case)
    for field in ("body_text", "images", "pages", "pages_missing"):
        assert record[field] == expected[field], field
    check_special_keys(record, expected)
    lines = record["body_text"].splitlines()
    assert not {str(n) for n in range(1, case.spec.pages + 1)} & set(lines)


def test_a_later_page_that_is_not_this_article_counts_as_missing():
    case = next(c for c in CASES if c.spec.pages == 3)
    other = CASES[0]
    pages = [PageInput(case.pages[0], case.urls[0]), PageInput(other.pages[1], other.urls[1]),
             PageInput(case.pages[2], case.urls[2])]
    record = extract_article_pages(pages)
    assert (record["pages"], record["pages_missing"]) == (2, [2])
    assert any("not a page of article" in w for w in record["extraction"]["warnings"])


def test_the_replica_serves_every_page_and_form():
    case = next(c for c in CASES if c.spec.pages == 3)
    spec = case.spec
    replica = ReplicaSite([spec])
    created = spec.created.isoformat()
    path = f"/articles/{created}/{spec.article_id}"

    def get(target):
        return replica.handle("GET", target, {}, BASE)

    assert get(f"{path}.html").body.decode() == render_article_page(spec, 1, BASE, BASE)
    assert get(f"{path}/page/2").body.decode() == render_article_page(spec, 2, BASE, BASE)
    assert get(f"/mobile{path}/page/3").body.decode() == render_article_page(spec, 3, BASE, BASE)
    assert get(f"{path}/page/4").status == 404
    printed = get(f"{path}/print").body.decode()
    assert "paginationWrapper" not in printed
    record = extract_article(printed, f"{BASE}{path}/print", base_url=BASE)
    assert record["body_text"] == spec.body_text and record["pages"] == 1
    assert {r.article_id for r in replica.requests} == {spec.article_id}


def test_the_warc_pointer_lists_every_page():
    one, two = {"file": "a.warc.gz", "offset": 0, "length": 9}, {"file": "a.warc.gz", "offset": 9, "length": 5}
    assert article_pointer([one]) == one
    assert article_pointer([None]) is None
    combined = article_pointer([one, two])
    assert combined["file"] == "a.warc.gz" and page_pointers(combined) == [one, two]
    assert page_pointers(one) == [one]
    assert "missing" in article_pointer([one, {"missing": "OSError: disk full"}])
    assert "missing" in article_pointer([one, None])


def test_an_incomplete_article_is_alerted_on():
    assert incomplete_article_alerts({}) == []
    (alert,) = incomplete_article_alerts({keys.INCOMPLETE_ARTICLES: 2})
    assert "2 article(s)" in alert and "next crawl" in alert


def _write_page(writer, n: int):
    return writer.write_exchange(f"http://127.0.0.1/articles/2024-01-01/9/page/{n}", status=200,
                                 headers=[("Content-Type", "text/html")], body=b"<html>%d</html>" % n).as_meta()


def test_a_later_page_not_on_disk_withholds_the_article_pointer(tmp_path, monkeypatch):
    """Write-ahead: page 1 durable, page 2 written but its sync failed: the article must not
    point at a page a crash could lose (the next crawl refetches it)."""
    import asyncio
    from types import SimpleNamespace

    from newscrawler.crawl.middlewares.warc import WarcMiddleware
    from newscrawler.warc.writer import WarcFileWriter

    writer = WarcFileWriter(tmp_path, "c1", info={"software": "test"})
    first = _write_page(writer, 1)
    writer.sync()
    second = _write_page(writer, 2)
    values = {}
    stats = SimpleNamespace(inc_value=lambda k, n=1: values.__setitem__(k, values.get(k, 0) + n),
                            get_value=values.get, set_value=values.__setitem__)
    middleware = WarcMiddleware(SimpleNamespace(stats=stats), writer, flush_interval=0, fsync=False)

    def failing_sync(*args, **kwargs):
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patch:
        patch.setattr(writer, "begin_sync", failing_sync)
        doc = {"article_id": 9, "warc": article_pointer([first, second])}
        asyncio.run(middleware.make_durable([doc]))
    assert "missing" in doc["warc"] and values[keys.WARC_POINTERS_WITHHELD] == 1
    writer.close()


def test_warc_check_follows_every_page_of_an_article(tmp_path):
    from newscrawler.warc.pointers import check_pointers
    from newscrawler.warc.reader import check_file
    from newscrawler.warc.writer import WarcFileWriter

    writer = WarcFileWriter(tmp_path, "c1", info={"software": "test"})
    first, second = _write_page(writer, 1), _write_page(writer, 2)
    writer.close()
    good = article_pointer([first, second])
    bad = article_pointer([first, {**second, "offset": second["offset"] + 1}])

    class Articles:
        def find(self, *args, **kwargs):
            return [{"article_id": 1, "warc": good}, {"article_id": 2, "warc": bad}]

    checks = [check_file(path) for path in sorted(tmp_path.glob("*.warc.gz"))]
    report = check_pointers(Articles(), tmp_path, checks)
    assert report.checked == 2 and [d.article_id for d in report.dangling] == [2]
