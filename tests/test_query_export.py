"""Querying and exporting the archive against the real test server: filters, one article,
statistics, exports, and the `query` / `show` / `stats` / `export` verbs (searches through the
full-text index: tests/test_fulltext_cli.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest
import yaml

from newscrawler.store import counts
from newscrawler.store.export import HexoOptions, hexo_filename, hexo_post, sanitize_title, write_hexo
from newscrawler.store.indexes import ensure_indexes
from newscrawler.store.store import ArticleStore
from newscrawler.store.queries import (
    ArticleQuery, QueryError, archive_stats, article_id_of, find_articles,
    get_article, iter_articles,
)
from newscrawler.cli import main
from newscrawler.cli.commands.query import print_table
from newscrawler.cli.output import display_width, fit

UTC = timezone.utc
BEIJING = timezone(timedelta(hours=8))
NOW = datetime.now(UTC).replace(microsecond=0)


def article(article_id: int, title: str, body: str, published_at: datetime | None, **fields) -> dict:
    doc = {
        "article_id": article_id,
        "url": f"https://www.nbd.com.cn/articles/2024-12-03/{article_id}.html",
        "title": title,
        "published_at": published_at,
        "byline": None,
        "authors": ["张三"],
        "editor": None,
        "source": "每日经济新闻",
        "category": "金融",
        "column": None,
        "tags": [],
        "keywords": [],
        "summary": None,
        "body_html": f"<p>{body}</p>",
        "body_text": body,
        "images": [],
        "thumbnail_url": None,
        "revision": 1,
    }
    doc.update(fields)
    return doc


# Fixed Beijing times for the date filters; relative ones so windows from "now" are exercised.
DOCS = [
    article(1, "宁德时代发布三季报", "宁德时代营收增长，新能源汽车需求旺盛。", datetime(2024, 12, 3, 15, 30, tzinfo=UTC),
            authors=["张三", "李四"], category="公司", tags=["新能源"], byline="每经记者 张三 李四",
            thumbnail_url="https://image.nbd.com.cn/1.jpg",
            thumbnail={"store": "fs", "path": "full/ab12.jpg", "width": 200, "height": 150}),
    # Has 宁德 and 时代 but not the word 宁德时代: a search for it must not return it.
    article(2, "宁德的新时代", "福建宁德迎来发展新时代。", datetime(2024, 12, 3, 16, 10, tzinfo=UTC),
            category="城市", authors=["王五"]),
    article(3, "中国银行业协会发布报告", "报告称银行业资产质量稳定。", datetime(2024, 12, 2, 1, 0, tzinfo=UTC),
            authors=["李四"], tags=["银行", "报告"]),
    article(4, "央行降准0.25个百分点", "中国人民银行决定下调存款准备金率。.*不是正则", NOW - timedelta(hours=2),
            source="新华社", tags=["银行"]),
    article(5, "iPhone 16 销量", "苹果 iPhone 16 在中国市场销量上升，IPHONE 需求强劲。", NOW - timedelta(days=3),
            category="TMT", authors=["赵六"]),
    article(6, "A股三大指数高开", "沪指涨0.8%，券商板块领涨。", NOW - timedelta(days=40), category="证券"),
    article(7, "“双11”来了：电商/快递迎高峰?", "快递业务量创新高。", NOW - timedelta(days=800), category="公司"),
    article(8, "没有发布时间的文章", "银行理财。", None, category="金融"),
]


# Newest first; MongoDB sorts a missing publish time before every date (so last here).
NEWEST = [d["article_id"] for d in sorted((d for d in DOCS if d["published_at"]), key=lambda d: d["published_at"],
                                           reverse=True)] + [8]


@pytest.fixture
def archive(mongo_db):
    ensure_indexes(mongo_db)
    mongo_db.articles.insert_many([dict(d) for d in DOCS])
    return mongo_db


@pytest.fixture
def cli_env(monkeypatch, mongo_uri, mongo_db_name, archive, tmp_path):
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", mongo_db_name)
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path / "data"))  # the search index's home
    return archive


def ids(docs) -> list[int]:
    return [d["article_id"] for d in docs]


def find_ids(db, **filters) -> list[int]:
    return ids(find_articles(db, ArticleQuery(**filters)))


def test_a_search_is_answered_by_the_full_text_index_newest_first(archive, monkeypatch, tmp_path):
    from newscrawler.store import fulltext

    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path))
    with pytest.raises(QueryError, match="no search index .*newscrawler index"):
        find_ids(archive, search="银行")
    fulltext.build(archive, fulltext.index_dir(tmp_path, archive.name))
    assert find_ids(archive, search="宁德时代") == [1]  # 2 has 宁德 and 时代, never together
    assert find_ids(archive, search="银行") == [4, 3, 8]  # 人民银行, 银行业, 银行理财; no date last
    assert find_ids(archive, search="银行", sort="oldest", limit=2) == [3, 4]
    assert find_ids(archive, search="银行", tag="报告") == [3]
    with pytest.raises(QueryError, match="search: "):
        find_ids(archive, search="OR 银行")


# -- filters ----------------------------------------------------------------------------------


def test_every_filter_alone_and_combined(archive):
    assert NEWEST[:3] == [4, 5, 6] and find_ids(archive) == NEWEST
    assert find_ids(archive, category="公司") == [1, 7]
    assert find_ids(archive, author="李四") == [1, 3]
    assert find_ids(archive, tag="银行") == [4, 3]
    assert find_ids(archive, source="新华社") == [4]
    assert find_ids(archive, author="李四", tag="银行", category="金融") == [3]
    assert find_ids(archive, author="张三", category="证券", since=date(2020, 1, 1)) == [6]
    assert find_ids(archive, category="公司", author="李四") == [1]
    assert find_ids(archive, category="没有这个分类") == []


def test_dates_are_beijing_days_and_until_includes_its_day(archive):
    # Article 1: 23:30 Beijing on 12-03; article 2: 00:10 Beijing on 12-04.
    assert find_ids(archive, since=date(2024, 12, 3), until=date(2024, 12, 3)) == [1]
    assert find_ids(archive, since=date(2024, 12, 4), until=date(2024, 12, 4)) == [2]
    assert find_ids(archive, until=datetime(2024, 12, 3, 23, 30)) == [1, 3, 7]
    assert find_ids(archive, since=datetime(2024, 12, 3, 15, 30, tzinfo=UTC), until=date(2024, 12, 5)) == [2, 1]


def test_limit_sort_and_windows_agree_with_one_plain_query(archive):
    for filters in ({}, {"category": "公司"}, {"tag": "银行"}, {"source": "每日经济新闻"},
                    {"author": "张三"}, {"since": date(2024, 1, 1)}, {"until": date.today()}):
        for sort in ("newest", "oldest"):
            everything = find_ids(archive, sort=sort, **filters)
            for limit in (1, 2, 3, 20):
                assert find_ids(archive, sort=sort, limit=limit, **filters) == everything[:limit], (filters, sort)
    assert find_ids(archive, sort="oldest") == NEWEST[-1:] + NEWEST[-2::-1]


def test_without_the_query_indexes_results_are_the_same(archive):
    archive.articles.drop_index("source")
    archive.articles.drop_index("tag")
    assert find_ids(archive, tag="银行", limit=2) == [4, 3]
    assert find_ids(archive, source="每日经济新闻", limit=3) == [5, 6, 2]


@pytest.mark.parametrize("bad", [
    {"author": {"$ne": None}}, {"category": ["金融"]}, {"tag": 5}, {"search": {"$regex": ".*"}},
    {"since": "2024-12-03"}, {"limit": -1}, {"limit": "20"}, {"limit": True}, {"sort": "random"},
    {"since": date(2024, 12, 5), "until": date(2024, 12, 3)}, {"category": " "}, {"search": " "},
])
def test_bad_values_are_refused_before_any_query(bad):
    with pytest.raises(QueryError):
        ArticleQuery(**bad)


def test_operator_lookalikes_are_plain_values(archive):
    for value in ('{"$ne": null}', "$where", "$gt", "{'$regex': '.*'}", "this.x == 1"):
        assert find_ids(archive, author=value) == [] and find_ids(archive, category=value, limit=5) == []
        assert ArticleQuery(category=value).to_filter() == {"category": value}


# -- one article ------------------------------------------------------------------------------


def test_get_article_by_id_or_url_on_any_host(archive):
    assert get_article(archive, 3)["title"] == "中国银行业协会发布报告"
    assert "_id" not in get_article(archive, "3") and "search_tokens" not in get_article(archive, 3)
    for url in ("https://www.nbd.com.cn/articles/2024-12-03/3.html", "http://m.nbd.com.cn/articles/2024-12-03/3.html",
                "http://127.0.0.1:8080/articles/2024-12-03/3.html"):
        assert article_id_of(url) == 3 and get_article(archive, url)["article_id"] == 3
    assert get_article(archive, 999) is None
    with pytest.raises(QueryError):
        get_article(archive, "not an id")
    with pytest.raises(QueryError):
        get_article(archive, {"$gt": 0})


# -- statistics -------------------------------------------------------------------------------


def test_stats_by_aggregation_and_from_kept_counts_agree_and_stay_current(archive):
    store = ArticleStore(archive, uri=None)  # rejects as the product writes them
    for url, code, message in (("u1", "no_title", "no title"), ("u2", "no_title", "no title"),
                               ("u3", "fetch_failed", "HTTP 404")):
        store.add_reject(url, code, "c1", message=message)
    archive.crawls.insert_one({"crawl_id": "c1", "spider": "nbd", "started_at": NOW, "stats": {"new": 8}})
    exact = archive_stats(archive, 2, days=5)
    assert exact["source"] == "aggregation" and exact["articles"] == 8
    assert [d["day"] for d in exact["days"]][-1] == NOW.astimezone(BEIJING).date().isoformat()
    assert sum(d["articles"] for d in exact["days"]) == 2  # articles 4 and 5
    assert exact["categories"][:2] == [{"category": "金融", "articles": 3}, {"category": "公司", "articles": 2}]
    assert exact["authors"] == [{"author": "张三", "articles": 5}, {"author": "李四", "articles": 2}]
    assert exact["rejects"] == {"total": 3, "by_reason": [{"reason": "no_title", "count": 2},
                                                          {"reason": "fetch_failed", "count": 1}]}
    assert [c["crawl_id"] for c in exact["crawls"]] == ["c1"]

    def comparable(stats):
        return {k: v for k, v in stats.items() if k not in ("source", "as_of")}

    counts.record_article_writes(archive, [(None, DOCS[0])])  # not built yet: ignored
    counts.rebuild_counts(archive)
    kept = archive_stats(archive, 2, days=5)
    assert kept["source"] == "counts" and comparable(kept) == comparable(exact)

    new = article(9, "新文章", "内容", NOW, authors=["李四"], category="公司")
    moved = {**DOCS[4], "category": "汽车"}
    archive.articles.insert_one(dict(new))
    archive.articles.replace_one({"article_id": 5}, moved)
    store.add_reject("u4", "fetch_failed", "c1", message="HTTP 404")  # counted as it is written
    counts.record_article_writes(archive, [(None, new), (DOCS[4], moved), (DOCS[0], DOCS[0])])
    assert comparable(archive_stats(archive, 3, days=5)) == comparable(archive_stats(archive, 3, days=5, exact=True))
    with pytest.raises(QueryError):
        archive_stats(archive, 0)


# -- exports ----------------------------------------------------------------------------------

EXPECTED_HEXO = """---
title: 宁德时代发布三季报
article_id: 1
categories:
- 公司
- 每经网
- 分类
tags:
- 新能源
headimg: https://image.nbd.com.cn/1.jpg
author: 张三、李四
authors:
- 张三
- 李四
comments: false
date: '2024-12-03 23:30:00+08:00'
thumbnail: https://image.nbd.com.cn/1.jpg
---

<div>
<p>每经记者 张三 李四</p>
<p>宁德时代营收增长，新能源汽车需求旺盛。</p>
</div>
"""


def test_hexo_post_byte_for_byte(archive):
    doc = get_article(archive, 1)
    assert hexo_post(doc) == EXPECTED_HEXO
    custom = hexo_post(get_article(archive, 6), HexoOptions(site_name="我的站", extra_category="转载",
                                                          placeholder="/img/none.png"))
    assert "\n- 证券\n- 我的站\n- 转载\ntags: []\nheadimg: /img/none.png\nauthor: 张三\n" in custom
    nobody = hexo_post({**get_article(archive, 6), "authors": []}, HexoOptions(site_name="我的站"))
    assert "\nauthor: 我的站\nauthors: []\n" in nobody
    assert "<div>\n<p>沪指涨0.8%，券商板块领涨。</p>\n</div>\n" in custom  # no byline paragraph


def _front_matter(post: str) -> dict:
    """The front matter as Hexo splits it (``---`` on the first line, then up to the next)."""
    assert post.startswith("---\n")
    matter, _, rest = post[4:].partition("\n---\n")
    assert rest.startswith("\n<div>")
    return yaml.safe_load(matter)


@pytest.mark.parametrize("title", [
    "“内卷式”竞争何时休？", "“双11”来了：电商/快递迎高峰?", "It's \"quoted\": yes", "#1 标题 # 不是注释",
    "- 列表? [不是] {也不是}", "2024", "true", "a: b", "  空格  ", "制表\t符", "'单引号' 与 ‘中文’",
])
def test_hexo_front_matter_reads_back_as_the_article(title):
    doc = {**DOCS[0], "title": title, "tags": ["新能源", "a: b", "#标签"]}
    matter = _front_matter(hexo_post(doc))
    assert matter["title"] == title
    assert datetime.fromisoformat(matter["date"]) == doc["published_at"] and matter["date"].endswith("+08:00")
    assert (matter["article_id"], matter["authors"]) == (1, ["张三", "李四"])
    assert matter["tags"] == doc["tags"]
    assert matter["categories"] == [doc["category"], "每经网", "分类"]
    assert (matter["headimg"], matter["thumbnail"], matter["comments"]) == (doc["thumbnail_url"],) * 2 + (False,)
    no_extras = _front_matter(hexo_post({"title": title, "category": None, "tags": []}))
    assert (no_extras["categories"][0], no_extras["tags"], "date" in no_extras) == ("未分类", [], False)
    assert (no_extras["author"], no_extras["authors"]) == ("每经网", [])


def test_hexo_file_names_are_the_article_ids_and_reexport_overwrites(archive, tmp_path):
    assert sanitize_title('a"b\'c“d”e‘f’g/h\\i:j*k?l<m>n|o\tp\x00q') == "a_b_c_d_e_f_g_h_i_j_k_l_m_n_o_p_q"
    assert hexo_filename(DOCS[6]) == "7.md"
    assert "title: “双11”来了：电商/快递迎高峰?\n" in hexo_post(DOCS[6])  # the title line keeps it as it is
    out = tmp_path / "_posts"
    first = write_hexo(iter_articles(archive, ArticleQuery()), out)
    assert len(first) == len(DOCS) == len(list(out.iterdir()))
    (out / "1.md").write_text("stale", encoding="utf-8")
    again = write_hexo(iter_articles(archive, ArticleQuery()), out)
    assert again == first and (out / "1.md").read_bytes() == EXPECTED_HEXO.encode("utf-8")


def test_hexo_exports_with_different_filters_lose_no_post_and_duplicate_none(archive, tmp_path):
    # Another article with the same title as article 1: title-based names gave the second one
    # a suffix in one export and the plain name in another, overwriting article 1's post.
    archive.articles.insert_one(article(9, DOCS[0]["title"], "另一篇。", datetime(2024, 12, 1, tzinfo=UTC),
                                        category="公司", tags=["银行"]))
    out = tmp_path / "_posts"
    write_hexo(iter_articles(archive, ArticleQuery(category="公司")), out)
    write_hexo(iter_articles(archive, ArticleQuery(tag="银行")), out)
    bodies = sorted(p.read_text(encoding="utf-8").partition("<div>\n")[2] for p in out.iterdir())
    docs = [d for d in archive.articles.find() if d["category"] == "公司" or "银行" in d["tags"]]
    expected = sorted(((f"<p>{d['byline']}</p>\n" if d.get("byline") else "") + f"{d['body_html']}\n</div>\n")
                      for d in docs)
    assert bodies == expected and len(expected) == 5  # each article once


def test_a_title_edit_keeps_the_post_file_and_an_earlier_title_named_post_is_replaced(archive, tmp_path):
    out = tmp_path / "_posts"
    out.mkdir()
    # A post an earlier version wrote under the article's title, and an unrelated file.
    (out / "宁德时代发布三季报.md").write_text("---\ntitle: 宁德时代发布三季报\n---\n\n<div></div>\n", encoding="utf-8")
    (out / "about.md").write_text("---\ntitle: 关于\n---\n", encoding="utf-8")
    write_hexo([DOCS[0]], out)
    write_hexo([{**DOCS[0], "title": "宁德时代发布三季报（更正）"}], out)
    assert sorted(p.name for p in out.iterdir()) == ["1.md", "about.md"]
    assert _front_matter((out / "1.md").read_text(encoding="utf-8"))["title"] == "宁德时代发布三季报（更正）"


# -- the verbs --------------------------------------------------------------------------------


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_query_verb_formats_and_filters(cli_env, capsys):
    code, out, _ = run_cli(capsys, "query", "--category", "公司")  # piped: JSON Lines
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["article_id"] for r in records] == [1, 7]
    assert records[0]["published_at"] == "2024-12-03T15:30:00Z" and records[0]["authors"] == ["张三", "李四"]
    code, out, _ = run_cli(capsys, "query", "--search", "宁德时代", "--format", "json")
    assert code == 0 and [r["article_id"] for r in json.loads(out)] == [1]
    code, out, _ = run_cli(capsys, "query", "--since", "2024-12-03", "--until", "2024-12-04", "--format", "csv",
                           "--sort", "oldest")
    assert out.startswith("\ufeffarticle_id,")  # the byte order mark Excel needs
    rows = list(csv.DictReader(io.StringIO(out[1:])))
    assert [r["article_id"] for r in rows] == ["1", "2"] and rows[0]["authors"] == "张三; 李四"
    code, out, _ = run_cli(capsys, "query", "--author", "李四", "--tag", "银行", "--source", "每日经济新闻",
                           "--limit", "1", "--format", "table")
    assert code == 0 and "中国银行业协会发布报告" in out and "(1 article)" in out
    code, out, _ = run_cli(capsys, "query", "--category", "无", "--format", "table")
    assert code == 0 and "No articles match in the archive at " in out
    code, out, _ = run_cli(capsys, "query", "--author", '{"$ne": null}')
    assert code == 0 and out == ""
    code, out, _ = run_cli(capsys, "query", "--category", "$where", "--search", ".* [a-")
    assert code == 0 and out == ""


@pytest.mark.parametrize("argv, message", [
    (["query", "--since", "2024-13-01"], "not a date"),
    (["query", "--until", "yesterday"], "not a date"),
    (["query", "--limit", "-5"], "limit"),
    (["query", "--since", "2024-12-05", "--until", "2024-12-01"], "since is after until"),
    (["query", "--search", "  "], "empty"),
    (["export", "hexo", "--out", "-"], "directory"),
    (["export", "jsonl", "--out", "-", "--limit", "-1"], "limit"),
    (["stats", "--top", "0"], "top"),
    (["show", "abc"], "not an article id"),
])
def test_bad_values_exit_with_2_and_say_why(cli_env, capsys, argv, message):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and message in err and out == ""


def test_unknown_format_is_a_usage_error(cli_env, capsys):
    for argv in (["query", "--format", "xml"], ["export", "pdf", "--out", "x"], ["query", "--limit", "ten"]):
        assert main(argv) == 2
        assert "usage: newscrawler" in capsys.readouterr().err


def test_table_aligns_chinese_by_display_width():
    assert display_width("宁德abc") == 7 and fit("宁德时代", 5) == "宁德…" and fit("ab", 4) == "ab  "
    out = io.StringIO()
    print_table([DOCS[0], DOCS[4]], out=out, total_width=100)
    lines = out.getvalue().splitlines()
    title_columns = {display_width(line[:line.index(t)]) for line, t in zip(lines[1:3], ("宁德", "iPhone"))}
    assert len(title_columns) == 1  # both titles start in the same terminal column


def test_show_verb(cli_env, capsys):
    code, out, _ = run_cli(capsys, "show", "https://www.nbd.com.cn/articles/2024-12-03/1.html")
    assert code == 0 and "宁德时代发布三季报" in out and "宁德时代营收增长" in out
    assert "revisions        0 earlier versions kept" in out and "fs:full/ab12.jpg, 200x150" in out
    cli_env.article_revisions.insert_one({"article_id": 1, "revised_at": NOW, "title": "旧标题"})
    code, out, _ = run_cli(capsys, "show", "1", "--json")
    record = json.loads(out)
    assert record["revisions"] == 1 and record["published_at"] == "2024-12-03T15:30:00Z"
    code, _, err = run_cli(capsys, "show", "12345")
    assert code == 1 and "not in the archive" in err


def test_stats_verb(cli_env, capsys):
    code, out, _ = run_cli(capsys, "stats", "--top", "1", "--days", "3")
    assert code == 0 and "Articles: 8" in out and "aggregation" in out and "张三" in out and "李四" not in out
    code, out, _ = run_cli(capsys, "stats", "--rebuild", "--json")
    stats = json.loads(out)
    assert stats["source"] == "counts" and stats["articles"] == 8 and len(stats["days"]) == 14


def test_export_verb_jsonl_csv_hexo(cli_env, capsys, tmp_path):
    code, _, err = run_cli(capsys, "export", "jsonl", "--out", str(tmp_path / "a.jsonl"), "--tag", "银行")
    records = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert code == 0 and "exported 2 articles" in err and [r["article_id"] for r in records] == [4, 3]
    assert records[0]["body_html"] and "search_tokens" not in records[0] and "_id" not in records[0]
    code, _, _ = run_cli(capsys, "export", "csv", "--out", str(tmp_path / "a.csv"))
    with open(tmp_path / "a.csv", encoding="utf-8-sig", newline="") as fp:
        assert len(list(csv.DictReader(fp))) == 8
    posts = tmp_path / "blog" / "source" / "_posts"
    for _ in range(2):  # a second export overwrites the same files
        code, _, err = run_cli(capsys, "export", "hexo", "--out", str(posts), "--search", "宁德时代",
                               "--site-name", "每经网", "--placeholder", "/x.png")
        assert code == 0 and "exported 1 article " in err
    assert [p.name for p in posts.iterdir()] == ["1.md"]
    assert (posts / "1.md").read_bytes() == EXPECTED_HEXO.encode("utf-8")


def test_window_sizing_follows_the_hit_rate():
    """Listings and searches ask for date windows; each costs the server every candidate in
    it, so the next window is sized from the hits found so far, growing x4 at most."""
    import datetime as dt

    from newscrawler.store.queries import FIRST_WINDOW, WINDOW_GROWTH, next_window

    day = dt.timedelta(days=1)
    assert next_window(4 * day, 5 * day, 0, 20) == 4 * day * WINDOW_GROWTH  # nothing yet: grow
    # 4 hits in 20 days, 16 to go: about 80 days more (with the margin), capped at x4 of 16 days
    assert next_window(16 * day, 20 * day, 4, 20) == 64 * day
    assert 80 * day <= next_window(64 * day, 20 * day, 4, 20) <= 100 * day
    # nearly done at a high rate: a short window, never below the first one
    assert next_window(16 * day, 21 * day, 19, 20) == max(FIRST_WINDOW, 21 * day / 19 * 1.25)
    assert next_window(FIRST_WINDOW, FIRST_WINDOW, 19, 20) == FIRST_WINDOW


def _fail_after(monkeypatch, name: str, rows: int) -> None:
    """``newscrawler.store.export.<name>`` raises from its call number ``rows + 1`` on."""
    from newscrawler.store import export

    real, calls = getattr(export, name), []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) > rows:
            raise RuntimeError("export killed midway")
        return real(*args, **kwargs)

    monkeypatch.setattr(export, name, failing)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_failed_export_leaves_the_previous_file_untouched(cli_env, capsys, tmp_path, monkeypatch, fmt):
    out = tmp_path / "exports" / f"all.{fmt}"
    assert run_cli(capsys, "export", fmt, "--out", str(out))[0] == 0
    before = out.read_bytes()
    from newscrawler.store.export import CSV_FIELDS

    # The row writer fails after 3 rows (a CSV row is one csv_value per field).
    _fail_after(monkeypatch, *(("json_record", 3) if fmt == "jsonl" else ("csv_cell", 3 * len(CSV_FIELDS))))
    with pytest.raises(RuntimeError):
        main(["export", fmt, "--out", str(out), "--limit", "5"])
    assert out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no partial file left beside it


def test_a_failed_hexo_export_leaves_every_earlier_post_untouched(cli_env, capsys, tmp_path, monkeypatch):
    posts = tmp_path / "_posts"
    assert run_cli(capsys, "export", "hexo", "--out", str(posts))[0] == 0
    before = {p.name: p.read_bytes() for p in posts.iterdir()}
    _fail_after(monkeypatch, "hexo_post", 3)
    with pytest.raises(RuntimeError):
        main(["export", "hexo", "--out", str(posts)])
    assert {p.name: p.read_bytes() for p in posts.iterdir()} == before
