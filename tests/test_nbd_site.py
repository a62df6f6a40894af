"""Article and column URLs in every form the notes describe reduce to the right ids."""

import pytest

from newscrawler.nbd import site

BASE = "http://127.0.0.1:8123"


@pytest.mark.parametrize("url, expected", [
    ("https://www.nbd.com.cn/articles/2024-12-03/3704821.html", (3704821, "2024-12-03")),
    ("http://www.nbd.com.cn/articles/2012-06-01/663437.html", (663437, "2012-06-01")),
    ("//www.nbd.com.cn/articles/2021-03-01/1675600.html", (1675600, "2021-03-01")),
    ("https://m.nbd.com.cn/articles/2023-02-10/2687587.html", (2687587, "2023-02-10")),
    ("https://stocks.nbd.com.cn/articles/2021-12-20/2035770.html", (2035770, "2021-12-20")),
    ("http://www.nbd.com.cn/rss/toutiao/articles/2035770.html", (2035770, None)),
    ("http://www.nbd.com.cn/rss/eastmoney/articles/4595080.html", (4595080, None)),
    (f"{BASE}/articles/2026-09-01/4595080.html", (4595080, "2026-09-01")),
    ("/articles/2026-09-01/4595080.html", (4595080, "2026-09-01")),
])
def test_article_urls(url, expected):
    assert site.parse_article_url(url, BASE) == expected


@pytest.mark.parametrize("url", [
    "https://live.nbd.com.cn/",
    "https://live.nbd.com.cn/articles/2024-12-03/1.html",
    "https://static.nbd.com.cn/articles/2024-12-03/1.html",
    "https://www.nbd.com.cn/columns/3",
    "https://example.com/articles/2024-12-03/3704821.html",
    "https://nbd.com.cn.evil.example/articles/2024-12-03/3704821.html",
    "javascript:void(0)",
    "",
])
def test_non_article_urls(url):
    assert site.parse_article_url(url, BASE) is None


@pytest.mark.parametrize("url, expected", [
    ("https://www.nbd.com.cn/columns/3", (3, 1)),
    ("https://www.nbd.com.cn/columns/3/", (3, 1)),
    ("https://www.nbd.com.cn/columns/3.html", (3, 1)),
    ("https://stocks.nbd.com.cn/columns/275/page/4", (275, 4)),
    ("https://stocks.nbd.com.cn/columns/275/page/4.html", (275, 4)),
    ("https://stocks.nbd.com.cn/columns/275/page/4/", (275, 4)),
])
def test_column_urls(url, expected):
    assert site.parse_column_url(url) == expected


def test_canonical_url_is_on_the_configured_base():
    assert site.canonical_url(5, "2024-01-02", BASE + "/") == f"{BASE}/articles/2024-01-02/5.html"


def test_columns_and_sections():
    assert site.column_name(415) == "监管" and site.column_section(415) == "金融"
    assert site.column_section(3) is None  # site-wide column
    assert site.host_section("https://auto.nbd.com.cn/articles/2024-01-01/1.html") == "汽车"
    assert site.host_section("https://www.nbd.com.cn/articles/2024-01-01/1.html") is None
    assert all(c in site.COLUMNS for c in site.DEFAULT_COLUMNS)
