"""Tests of the replica itself: the pages and the evaluation set, not the extractor.

The replica is the ground truth the extractor is measured against, so these tests check that
what a case expects is really on its page (and that the noise it must strip is there too).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from newscrawler.nbd.site import column_category, parse_article_url
from newscrawler.record import PAGE_FIELDS
from nbd_replica.corpus import BYLINE_STYLES, generate_articles, id_for_date
from nbd_replica.expected import expected_record
from tests.evaluation.cases import EvalCase, broken_pages, evaluation_set
from nbd_replica.pages import LAYOUTS, MINUTE_LAYOUTS, format_time, render_article
from nbd_replica.spec import BEIJING

CASES = evaluation_set()
BROKEN = broken_pages()
ARTICLE_CASES = CASES + [c for c in BROKEN if c.spec is not None]
# Every page field but the markup and the extraction report, which expected records give as
# its "method".
RECORD_FIELDS = set(PAGE_FIELDS) - {"body_html", "extraction"} | {"method"}


def _ids(cases: list[EvalCase]) -> list[str]:
    return [c.name for c in cases]


def _decode(case: EvalCase) -> str:
    """The page as text; bytes cases are UTF-8 or GBK (the test knows, the extractor must find out)."""
    if isinstance(case.html, str):
        return case.html
    try:
        return case.html.decode("utf-8")
    except UnicodeDecodeError:
        return case.html.decode("gbk")


def _doc(case: EvalCase):
    # huge_tree: the nested cases go deeper than libxml2 reads by default (256 levels)
    return lxml.html.document_fromstring(_decode(case), parser=lxml.html.HTMLParser(huge_tree=True))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- the set as a whole ----------------------------------------------------------------------

def test_set_is_large_and_names_are_unique():
    assert len(CASES) >= 40
    names = _ids(CASES + BROKEN)
    assert len(names) == len(set(names))
    assert all(c.notes for c in CASES + BROKEN)


def test_every_layout_is_covered():
    assert {c.spec.layout for c in CASES} == set(LAYOUTS)
    methods = {c.spec.layout: c.expected["method"] for c in CASES}
    assert methods["generic"] == "fallback" and methods["g-article"] == "layout"


@pytest.mark.parametrize("byline, authors, editor", [
    ("每经记者 冯彪 全国两会现场报道 每经编辑 陈星", ["冯彪"], "陈星"),
    ("每经记者 胥帥 朱成祥 黄鑫磊 每经编辑 陈俊杰", ["胥帥", "朱成祥", "黄鑫磊"], "陈俊杰"),
    ("每经评论员", [], None),
    ("每经AI快讯", [], None),
])
def test_notes_bylines_are_expected_as_the_notes_say(byline, authors, editor):
    case = next(c for c in CASES if c.expected["byline"] == byline)
    assert case.expected["authors"] == authors
    if editor or byline.startswith("每经AI"):
        assert case.expected["editor"] == editor


@pytest.mark.parametrize("prefix", ["每经记者｜", "每经记者：", "记者 ", "每经特约评论员 "])
def test_every_byline_spelling_is_covered(prefix):
    case = next(c for c in CASES if (c.expected["byline"] or "").startswith(prefix))
    assert case.expected["authors"] == [case.expected["byline"][len(prefix):]]


def test_ai_flash_paragraph_stays_in_body():
    case = next(c for c in CASES if c.expected["byline"] == "每经AI快讯")
    assert case.expected["body_text"].startswith("每经AI快讯，")


def test_editor_from_page_line_when_byline_has_none():
    case = next(c for c in CASES if c.name == "byline-pipe-editor-line")
    assert case.expected["editor"] == case.spec.page_editor
    assert f"责编 {case.spec.page_editor}" in case.html


def test_expected_records_are_well_formed():
    for case in ARTICLE_CASES:
        exp = case.expected
        if case.name == "broken-truncated":
            continue
        assert RECORD_FIELDS <= set(exp), case.name
        assert exp["published_at"].utcoffset() == dt.timedelta(0), case.name
        assert parse_article_url(exp["url"]) == (case.spec.article_id, case.spec.created.isoformat())
        assert parse_article_url(case.page_url)[0] == exp["article_id"]
        assert all(u.startswith(("http://", "https://")) for u in exp["images"])
        assert exp["body_text"] == case.spec.body_text


def test_article_ids_are_unique():
    ids = [c.spec.article_id for c in ARTICLE_CASES]
    assert len(ids) == len(set(ids))


def test_ids_grow_with_dates():
    assert id_for_date(dt.date(2026, 9, 15)) == 4595080
    assert id_for_date(dt.date(2012, 6, 15)) == 663437
    specs = sorted((c.spec for c in CASES), key=lambda s: (s.created, s.article_id))
    ids = [s.article_id for s in specs]
    assert ids == sorted(ids)
    years = {s.created.year for s in specs}
    assert {2012, 2016, 2021, 2023, 2024, 2026} <= years


def test_category_conventions():
    by = {c.name: c.expected for c in CASES}
    assert (by["category-from-column-link"]["category"], by["category-from-column-link"]["column"]) == ("金融", "保险周刊")
    assert (by["category-from-hint"]["category"], by["category-from-hint"]["column"]) == ("金融", "监管")
    assert (by["category-none"]["category"], by["category-none"]["column"]) == (None, None)
    assert (by["section-host-stocks"]["category"], by["section-host-stocks"]["column"]) == ("证券", None)
    assert (by["section-host-sitewide-hint"]["category"], by["section-host-sitewide-hint"]["column"]) == ("汽车", "要闻")


def test_date_warnings():
    by = {c.name: c.expected for c in CASES + BROKEN}
    assert "warnings_contain" in by["publish-far-from-url-date"]
    assert "warnings_contain" not in by["publish-next-day-after-midnight"]
    no_time = by["broken-no-time"]
    assert no_time["published_at"] == dt.datetime(2024, 12, 4, 16, 0, tzinfo=dt.timezone.utc)
    assert "warnings_contain" in no_time


# --- each page carries what its case expects -----------------------------------------------

@pytest.mark.parametrize("case", ARTICLE_CASES, ids=_ids(ARTICLE_CASES))
def test_page_parses_and_has_realistic_weight(case):
    doc = _doc(case)
    assert doc.find(".//body") is not None
    if case.name != "broken-truncated":
        assert 20_000 <= len(case.html if isinstance(case.html, bytes) else case.html.encode()) <= 150_000


@pytest.mark.parametrize("case", ARTICLE_CASES, ids=_ids(ARTICLE_CASES))
def test_title_time_and_body_appear_in_page(case):
    spec, exp, page = case.spec, case.expected, _decode(case)
    doc = _doc(case)
    h1 = doc.xpath("//h1 | //h2[@class='articleTitle']")  # the 2012-13 template's title is an h2
    assert h1 and h1[0].text_content().strip() == exp["title"]
    if spec.published_at:
        shown = format_time(spec.published_at)
        if spec.layout in MINUTE_LAYOUTS:  # printed to the minute; about-2018 pages without the year
            form = "%Y-%m-%d %H:%M" if spec.layout == "articleWrapper-2012" else "%m-%d %H:%M"
            shown = spec.published_at.astimezone(BEIJING).strftime(form)
        assert shown in page or shown.replace(" ", "T") in page
    text = _squash(doc.text_content())
    lines = exp["body_text"].splitlines() if "body_text" in exp else [exp["body_startswith"]]
    for block in spec.blocks:
        if block.kind == "table":
            lines = [line for line in lines if "\t" not in line]
            assert all(_squash(cell) in text for row in block.rows for cell in row)
    for line in lines:
        assert _squash(line) in text, line
    if spec.byline:
        assert any(p.text_content().strip().startswith(spec.byline) for p in doc.xpath("//p"))


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_images_meta_and_page_end_lines_appear(case):
    spec, exp, page = case.spec, case.expected, _decode(case)
    doc = _doc(case)
    srcs = [urljoin(case.page_url, s) for s in doc.xpath("//img/@src | //img/@alt_src")]
    positions = [srcs.index(u) for u in exp["images"]]
    assert positions == sorted(positions)
    if not exp["images"] and exp["thumbnail_url"]:
        assert doc.xpath('//meta[@property="og:image"]/@content') == [exp["thumbnail_url"]]
    if exp["summary"]:
        assert doc.xpath('//meta[@name="Description"]/@content') == [exp["summary"]]
    if exp["keywords"]:
        assert doc.xpath('//meta[@name="Keywords"]/@content') == [",".join(exp["keywords"])]
    assert [s.text for s in doc.xpath('//div[@class="u-aticle-tag"]/span')] == exp["tags"]
    if spec.layout.startswith("g-article"):
        if spec.page_editor:
            assert doc.xpath('//div[@class="u-editor"]/span')[0].text == f"责编 {spec.page_editor}"
    links = doc.xpath('//a[@class="u-column"]')
    if links:
        assert links[0].text == exp["column"]
    if exp["source"] and spec.layout != "generic":
        assert exp["source"] in page


@pytest.mark.parametrize("case", ARTICLE_CASES, ids=_ids(ARTICLE_CASES))
def test_noise_is_on_the_page_and_not_expected_in_body(case):
    page = _decode(case)
    for text in case.expected.get("body_excludes", []):
        assert text in page, text
        assert text not in case.spec.body_text


def test_all_noise_case_has_every_block():
    case = next(c for c in CASES if c.name == "noise-all-blocks")
    doc = _doc(case)
    body = doc.xpath('//div[@class="g-articl-text"]')[0]
    for cls in ("nbd-mzsm", "n-on-h-more-read", "n-on-h-more-read-a"):
        assert body.xpath(f'.//div[@class="{cls}"]'), cls
    assert body.xpath(".//script") and body.xpath(".//style")
    assert body.xpath('.//div[@style="display:none"]')
    paragraphs = [p.text_content() for p in body.xpath("./p")]
    for prefix in ("每经头条（nbdtoutiao）——", "免责声明：", "扫描下方二维码", "未经许可禁止转载",
                   "原创文章｜", "校对", "排版：", "视觉：", "封面："):
        assert any(p.startswith(prefix) for p in paragraphs), prefix


# --- specific knobs ----------------------------------------------------------------------------

def _case(name: str) -> EvalCase:
    return next(c for c in CASES + BROKEN if c.name == name)


def test_head_and_top_knobs():
    assert "<title></title>" in _case("empty-title-tag-2026").html
    assert "<title>" + _case("no-images").expected["title"] in _case("no-images").html
    h1 = _case("h1-comment").html.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert "<!--" in h1
    assert "application/ld+json" not in _case("no-ld-json").html
    only_ld = _case("ld-json-time-only").html
    assert 'class="time"' not in only_ld and '"pubDate"' in only_ld
    assert re.search(r'"pubDate": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"', _case("ld-json-time-only-space-form").html)


def test_layout_markers():
    assert 'class="m-articleBox"' in _case("m-articlebox-2024").html
    assert 'class="m-creatTime"' in _case("m-articlebox-2024").html
    generic = lxml.html.document_fromstring(_case("generic-with-byline").html)
    classes = {c for value in generic.xpath("//@class") for c in value.split()}
    assert not {c for c in classes if re.match(r"[gmu]-|nbd-|articleCopyright", c)}, classes
    assert generic.xpath("//article/h1") and generic.xpath("//time/@datetime")
    old = _case("old-2012-page").html
    assert 'href="//www.nbd.com.cn/columns/' in old and "//image1.nbd.com.cn/uploads/" in old
    assert _case("old-2012-page").expected["images"][0].startswith("http://image1.nbd.com.cn/")


def test_partner_copies():
    partners = [c for c in CASES if c.name.startswith("partner-")]
    assert {c.page_url.split("/")[4] for c in partners} == {"toutiao", "eastmoney", "zaker", "tonghuashun", "sohu"}
    for case in partners:
        assert parse_article_url(case.page_url) == (case.spec.article_id, None)
        has_link = f'<link rel="canonical" href="{case.expected["url"]}">' in case.html
        assert has_link == (not case.name.endswith("-no-canonical"))
        if not has_link:
            assert case.spec.published_at.astimezone(BEIJING).date() == case.spec.created
            assert case.expected["url"] not in case.html
            assert case.expected["url"].split("//", 1)[1] not in case.html


def test_other_hosts_keep_the_canonical_url():
    for name, host in (("mobile-copy", "m.nbd.com.cn"), ("section-host-stocks", "stocks.nbd.com.cn")):
        case = _case(name)
        assert urlsplit(case.page_url).hostname == host
        assert case.expected["url"].startswith("https://www.nbd.com.cn/articles/")


# --- broken pages ----------------------------------------------------------------------------

def test_broken_pages():
    by = {c.name: c for c in BROKEN}
    for name in ("broken-column-list-page", "broken-404-page", "broken-no-title-no-body",
                 "broken-binary-garbage", "broken-empty-response"):
        assert by[name].expected == {"error": True}
    assert 'class="g-list-text"' in by["broken-column-list-page"].html
    assert "<h1" not in by["broken-no-title-no-body"].html and "<title></title>" in by["broken-no-title-no-body"].html
    truncated = by["broken-truncated"]
    assert "</html>" not in truncated.html and truncated.expected["body_startswith"] in truncated.html
    assert "body_text" not in truncated.expected


def test_encoded_pages():
    by = {c.name: c for c in BROKEN}
    declared = by["broken-gbk-declared"].html
    assert b"charset=gbk" in declared and declared.decode("gbk")
    undeclared = by["broken-gbk-undeclared"].html
    assert b"charset" not in undeclared.split(b"</head>")[0].lower()
    for name in ("broken-gbk-declared", "broken-gbk-undeclared", "broken-wrong-charset-gbk-bytes"):
        with pytest.raises(UnicodeDecodeError):
            by[name].html.decode("utf-8")
        assert "每日经济新闻" in by[name].html.decode("gbk")
    wrong = by["broken-wrong-charset-utf8-bytes"].html
    assert b"charset=gb2312" in wrong
    with pytest.raises(UnicodeDecodeError):
        wrong.decode("gb2312")
    wrong.decode("utf-8")


# --- rendering on another origin ---------------------------------------------------------------

def test_loopback_origin_keeps_links_and_images_on_it():
    base = "http://127.0.0.1:8765"
    for name in ("g-article-full-2026", "old-2016-page", "images-relative", "m-articlebox-2024"):
        spec = _case(name).spec
        page = render_article(spec, base_url=base, image_base=base)
        doc = lxml.html.document_fromstring(page)
        url = spec.url(base)
        for href in doc.xpath("//a/@href"):
            full = urljoin(url, href)
            if "/articles/" in full or "/columns/" in full:
                assert full.startswith(base + "/"), href
        expected = expected_record(spec, base, base)
        assert expected["images"] and all(u.startswith(base + "/uploads/") for u in expected["images"])
        srcs = {urljoin(url, s) for s in doc.xpath("//img/@src")}
        assert set(expected["images"]) <= srcs


def test_unknown_variant_knob_is_refused():
    spec = dataclasses.replace(_case("no-images").spec, variant={"no_such_knob": 1})
    with pytest.raises(ValueError):
        render_article(spec)


# --- generated articles --------------------------------------------------------------------------

def test_generate_articles_is_deterministic_and_varied():
    first, again = generate_articles(90), generate_articles(90)
    assert first == again
    assert render_article(first[7]) == render_article(again[7])
    assert generate_articles(20, seed=1) != generate_articles(20, seed=0)
    ids = [s.article_id for s in first]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids[0] > 4000000
    days = [s.created for s in first]
    assert days == sorted(days) and days[0] == dt.date(2026, 9, 1)
    assert {s.layout for s in first} == {"g-article", "g-article-2017", "m-articleBox"}
    bylines = {s.byline for s in first}
    for prefix in ("每经记者｜", "每经记者：", "记者 ", "每经特约评论员 ", "每经评论员", "每经AI快讯"):
        assert any(b and b.startswith(prefix) for b in bylines), prefix
    assert any(b and re.fullmatch(r"每经记者 \S+ \S+ \S+ 每经编辑 \S+", b) for b in bylines)
    assert None in bylines
    for spec in first:
        assert spec.category == column_category(spec.column_id)  # the page names its column
        assert abs((spec.published_at.date() - spec.created).days) <= 1
        assert sum(b.kind == "img" for b in spec.blocks) <= 3
        if spec.byline not in ("每经AI快讯", "每经评论员") and not (spec.byline or "").startswith("每经特约"):
            assert 3 <= sum(b.kind == "p" for b in spec.blocks) <= 12
    assert len(BYLINE_STYLES) >= 8


def test_generated_pages_render_parse_and_weigh_like_real_pages():
    for spec in generate_articles(25, seed=3):
        page = render_article(spec)
        assert 20_000 <= len(page.encode()) <= 150_000
        doc = lxml.html.document_fromstring(page)
        assert doc.xpath("//h1")[0].text_content().strip() == spec.title
        assert [t.text for t in doc.xpath('//div[@class="u-aticle-tag"]/span')] == spec.tags
        record = expected_record(spec)
        text = _squash(doc.text_content())
        assert all(_squash(line) in text for line in record["body_text"].splitlines() if "\t" not in line)
