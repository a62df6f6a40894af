"""Bounds: pages built to hurt the extractor and the crawl (reliability probes D9-D11).

Deep nesting is read whole or refused, never the navigation archived as the body; the images
of an article and the links of a list page are capped and counted; extraction stays linear in
the page.
"""

from __future__ import annotations

import dataclasses

import pytest
from lxml import html as lxml_html

from newscrawler import extract_article
from newscrawler.config import DEFAULTS
from newscrawler.nbd.extract import ExtractionError
from nbd_replica.corpus import generate_articles
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite, Response
from tests.crawling import archive
from tests.evaluation.cases import evaluation_set
from tests.operations_support import crawl_env, fast_settings, run_newscrawler

CASES = {c.name: c for c in evaluation_set()}
NAVIGATION = "每经快讯 登录 注册"  # the site's header and navigation, as text


def _extract(case, html):
    return extract_article(html, case.page_url, column_id=case.column_hint)


def _with_body(case, change) -> str:
    """The case's page with its body container (div.g-articl-text) changed by ``change``."""
    doc = lxml_html.document_fromstring(case.html)
    change(doc.find_class("g-articl-text")[0])
    return lxml_html.tostring(doc, encoding="unicode")


def _emptied(body) -> None:
    for child in list(body):
        body.remove(child)
    body.text = ""


@pytest.mark.parametrize("name", ["g-article-full-2026", "old-2012-page", "lead-image"])
def test_layout_with_an_empty_body_is_refused_not_filled_by_the_fallback(name):
    """The generic extractor, asked for the body of a page whose layout matched, took the
    summary, the copyright notice or the navigation for the article."""
    case = CASES[name]
    with pytest.raises(ExtractionError) as info:
        _extract(case, _with_body(case, _emptied))
    assert info.value.reason == "no_body" and "g-article" in info.value.message


@pytest.mark.parametrize("where", ["body", "paragraph"])
def test_deep_nesting_inside_the_body_keeps_every_paragraph(where):
    """Nested inside the body container, or inside one paragraph: the body cleaner walks the
    tree without recursion (Python's limit is 1000 frames)."""
    levels = 2000  # the page's own nesting included, under the 2048 lxml's huge_tree reads
    case = CASES["g-article-full-2026"]
    html = case.html
    if where == "body":
        start = html.index(">", html.index('<div class="g-articl-text"')) + 1
        end = html.index('<div class="n-on-h-more-read"')  # inside the body, after its paragraphs
        wrapped = html[:start] + "<div>" * levels + html[start:end] + "</div>" * levels + html[end:]
    else:
        start = html.index("<p>", html.index('<div class="g-articl-text"')) + 3
        end = html.index("</p>", start)
        wrapped = html[:start] + "<span>" * levels + html[start:end] + "</span>" * levels + html[end:]
    record = _extract(case, wrapped)
    assert record["body_text"] == case.expected["body_text"]
    assert record["extraction"]["method"] == "layout" and NAVIGATION not in record["body_text"]


def test_past_what_the_parser_reads_is_refused_as_too_deep():
    case = CASES["generic-with-byline"]
    start = case.html.index("<body")
    html = case.html[:start] + "<body>" + "<div>" * 3000 + "<p>正文</p>" + "</div>" * 3000 + "</body></html>"
    with pytest.raises(ExtractionError) as info:
        _extract(case, html)
    assert info.value.reason == "too_deep" and "2048" in info.value.message


def test_list_page_nested_deep_still_lists_its_articles():
    from newscrawler.nbd.listing import list_entries

    links = "".join(f'<li><a href="/articles/2024-12-05/{3700000 + i}.html">标题{i}</a></li>' for i in range(20))
    page = ("<html><body><div class='g-header'><a href='/columns/3'>要闻</a></div>" + "<div>" * 400
            + f'<div class="g-list-text"><ul>{links}</ul></div>' + "</div>" * 400 + "</body></html>")
    entries = list_entries(page, "https://www.nbd.com.cn/columns/3/page/1")
    assert [entry.article_id for entry in entries] == [3700000 + i for i in range(20)]


# -- images per article (D11) -------------------------------------------------------------------

def _page_with_images(count: int) -> tuple[str, str, int]:
    """(url, page, distinct images on it) of a replica article with ``count`` more body images."""
    from nbd_replica.pages import render_article
    from nbd_replica.spec import Block
    from newscrawler.nbd.site import DEFAULT_BASE_URL

    spec = next(s for s in generate_articles(50, seed=11) if s.layout == "g-article")
    own = sum(1 for b in spec.blocks if b.kind == "img")
    extra = [Block("img", f"/uploads/articles/images/20240101/{n:08d}.jpg") for n in range(count)]
    spec = dataclasses.replace(spec, blocks=[*spec.blocks, *extra])
    return spec.url(DEFAULT_BASE_URL), render_article(spec, DEFAULT_BASE_URL), own + count


def test_images_past_the_cap_are_dropped_and_said():
    cap = DEFAULTS["NBD_MAX_IMAGES_PER_ARTICLE"]
    url, page, distinct = _page_with_images(3000)
    record = extract_article(page, url)
    assert len(record["images"]) == cap and record["thumbnail_url"] == record["images"][0]
    assert record["body_html"].count("<img") == cap  # the stored body is bounded too
    assert f"{distinct - cap} images past the first {cap} dropped" in " ".join(record["extraction"]["warnings"])
    assert len(extract_article(page, url, max_images=0)["images"]) == distinct  # 0: no cap
    assert len(extract_article(page, url, max_images=10)["images"]) == 10


class _CountedStr(str):
    """A string that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other):
        _CountedStr.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_image_lists_are_made_unique_in_linear_time():
    """30,000 images took 8 s: each was compared with every one kept before it (a list's ``in``)."""
    from newscrawler.nbd.clean import Block, render
    from newscrawler.record import _unique

    srcs = [_CountedStr(f"https://img.nbd.com.cn/{n}.jpg") for n in range(2000)]
    blocks = [Block("img", "", f'<figure><img src="{s}"></figure>', [s]) for s in srcs + srcs[:10]]
    _CountedStr.comparisons = 0
    assert render(blocks)[2] == srcs
    assert _unique(srcs + srcs[:10]) == srcs
    assert _CountedStr.comparisons < 100  # a list's ``in``: about 2 x 2000^2 / 2


# -- links per list page (D10) ------------------------------------------------------------------

class _SiteWithATrapColumnPage(ReplicaSite):
    """The replica, but the first page of ``trap_column`` also lists ``extra`` articles that do
    not exist (one 2 MB page of the probes listed 44,000)."""

    def __init__(self, *args, trap_column: int, extra: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.trap_column, self.extra = trap_column, extra

    def _column_page(self, column_id: int, page: int, base_url: str) -> Response:
        response = super()._column_page(column_id, page, base_url)
        if (column_id, page) != (self.trap_column, 1):
            return response
        links = "".join(f'<li class="u-news-title"><a href="/articles/2024-12-05/{5_000_000 + n}.html">条目{n}</a></li>'
                        for n in range(self.extra))
        marker = '<div class="g-list-text">'
        text = response.body.decode("utf-8")
        assert marker in text, "the replica's PC column page changed its list markup"
        text = text.replace(marker, f'{marker}\n<div class="m-list"><ul class="u-news-list">{links}</ul></div>', 1)
        return dataclasses.replace(response, body=text.encode("utf-8"))


def test_list_page_with_thousands_of_links_queues_at_most_the_cap_and_alerts(mongo_uri, mongo_db_name, tmp_path):
    cap = DEFAULTS["NBD_MAX_LINKS_PER_LIST_PAGE"]
    specs = generate_articles(10, seed=31)
    column = specs[0].column_id
    site = _SiteWithATrapColumnPage(specs, trap_column=column, extra=5000)
    with serve(site) as server:
        result = run_newscrawler("crawl", "--columns", str(column), "--pages", "1", *fast_settings(),
                                 env=crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data"))
    assert result.returncode == 3, result.stderr[-3000:]  # finished, with alerts
    listed = len([s for s in specs if s.column_id == column]) + 5000
    assert len(site.article_requests()) == cap
    assert f"lists {listed} articles, more than NBD_MAX_LINKS_PER_LIST_PAGE ({cap}): {listed - cap} dropped" \
        in result.stderr
    record = archive(mongo_uri, mongo_db_name).crawls.find_one({})
    assert any(a.startswith(f"discovery: 1 list page(s) listed more than {cap} articles") and
               f"{listed - cap} links dropped" in a for a in record["alerts"]), record["alerts"]
