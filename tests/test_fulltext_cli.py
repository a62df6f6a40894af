"""`newscrawler index`, `query --search` and `stats --search` on a small archive written through
the real write path: the index built on first use, phrases, OR, exclusion, the filters, snippets,
--count, counts per period; the index following edits, changed tags, re-extractions and
deletion marks (through updated_at, also when the update after a crawl was missed); a replaced
archive; one writer at a time; and the removal of the old search_tokens."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json

import pytest

from newscrawler.cli import main
from newscrawler.store import fulltext
from newscrawler.store.connection import get_client
from newscrawler.store.deletions import clear_deleted, mark_deleted
from newscrawler.store.store import ArticleStore

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 12, 3, 2, 0, tzinfo=UTC)


def article(article_id: int, title: str, body: str, category: str, **fields) -> dict:
    return {"article_id": article_id, "url": f"https://www.nbd.com.cn/articles/2024-12-03/{article_id}.html",
            "title": title, "body_text": body, "summary": None, "category": category, "authors": ["记者甲"],
            "tags": [], "published_at": T0 + dt.timedelta(days=20 * (article_id - 1)),
            "content_hash": hashlib.sha1((title + body).encode()).hexdigest(), **fields}


ARTICLES = [
    article(1, "央行宣布降准", "中国人民银行宣布下调存款准备金率，资本市场反应积极。", "金融"),
    article(2, "证监会发布新规", "证监会发布了关于资本市场的新规则。", "证券"),
    article(3, "新能源汽车销量增长", "比亚迪销量创新高，市场资本涌入。", "公司"),
    article(4, "宁德的新时代", "福建宁德迎来发展新时代。", "城市"),  # 宁德 and 时代, never 宁德时代
]


@pytest.fixture
def archive(monkeypatch, tmp_path, mongo_uri, mongo_db_name):
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", mongo_db_name)
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path / "data"))
    client = get_client(mongo_uri)
    store = ArticleStore(client[mongo_db_name], uri=mongo_uri)
    store.ensure_indexes()
    store.write_articles(ARTICLES, "c1")
    yield store
    client.close()


def index_path(_store):
    from newscrawler.cli.commands._archive import fulltext_path

    return fulltext_path()


def search(capsys, *argv) -> list[int]:
    assert main(["query", "--format", "jsonl", "--limit", "0", *argv]) == 0
    return [json.loads(line)["article_id"] for line in capsys.readouterr().out.splitlines()]


def count(capsys, *argv) -> int:
    assert main(["query", "--count", *argv]) == 0
    return int(capsys.readouterr().out)


def later(**fields) -> dict:
    """A crawl after the first (a newer last_crawled_at: not a stale write)."""
    return {"last_crawled_at": dt.datetime.now(UTC) + dt.timedelta(seconds=1), **fields}


def test_the_first_search_builds_the_index_then_answers_with_every_filter(archive, capsys, tmp_path):
    assert main(["query", "--format", "jsonl", "--search", '"资本市场"']) == 0
    out, err = capsys.readouterr()
    assert sorted(json.loads(line)["article_id"] for line in out.splitlines()) == [1, 2]
    assert "building the search index (no index yet)" in err and "4 articles in" in err
    assert (tmp_path / "data" / "fulltext" / archive.db.name / "meta.json").is_file()
    assert sorted(search(capsys, "--search", "央行 OR 比亚迪")) == [1, 3]
    assert sorted(search(capsys, "--search", "资本 -证监会")) == [1, 3]
    assert search(capsys, "--search", "资本", "--category", "证券") == [2]
    assert sorted(search(capsys, "--search", "资本", "--author", "记者甲", "--since", "2024-12-20")) == [2, 3]
    assert search(capsys, "--search", "资本", "--author", "记者乙") == []
    assert search(capsys, "--search", "资本", "--sort", "oldest") == [1, 2, 3]
    assert search(capsys, "--search", "资本", "--sort", "newest", "--limit", "1") == [3]
    assert search(capsys, "--search", "银行") == [1]  # inside 中国人民银行
    assert search(capsys, "--search", "宁德时代") == []  # 宁德 and 时代 apart are not the word
    assert count(capsys, "--search", "资本") == 3
    assert count(capsys, "--search", "资本", "--category", "金融") == 1
    capsys.readouterr()


def test_a_search_prints_a_snippet_with_the_match_marked(archive, capsys):
    assert main(["query", "--search", "准备金", "--format", "json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["snippet"] == "中国人民银行宣布下调存款【准备金】率，资本市场反应积极。"
    assert main(["query", "--search", "准备金", "--format", "csv", "--no-bom"]) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert "【准备金】" in row["snippet"]
    assert main(["query", "--search", "准备金", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "央行宣布降准" in out and "\n    中国人民银行宣布下调存款【准备金】率" in out  # not a terminal: 【】
    assert main(["query", "--category", "金融", "--format", "json"]) == 0
    assert "snippet" not in json.loads(capsys.readouterr().out)[0]  # only a search has one


def test_stats_counts_the_matches_per_period(archive, capsys):
    # Published 2024-12-03, 12-23, 2025-01-12 (Beijing) for 1, 2, 3.
    assert main(["stats", "--search", "资本", "--per", "month", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"2024-12": 2, "2025-01": 1}
    assert main(["stats", "--search", "资本", "--per", "week", "--json", "--category", "公司"]) == 0
    assert json.loads(capsys.readouterr().out) == {"2025-W02": 1}
    assert main(["stats", "--search", "资本", "--per", "day", "--json", "--since", "2024-12-22",
                 "--until", "2024-12-24"]) == 0
    assert json.loads(capsys.readouterr().out) == {"2024-12-22": 0, "2024-12-23": 1, "2024-12-24": 0}
    assert main(["stats", "--search", "资本"]) == 0
    out = capsys.readouterr().out
    assert "per month (Beijing time)" in out and "2024-12" in out and "total" in out
    assert main(["stats", "--per", "day"]) == 2  # --per without --search
    assert "--search" in capsys.readouterr().err


def test_the_index_follows_edits_tags_reextractions_and_deletions_without_an_explicit_update(archive, capsys):
    assert main(["index"]) == 0
    assert "4 articles indexed" in capsys.readouterr().err
    # An edit (new text), through the write path; no `index` run: the search catches up.
    archive.write_articles([article(2, "证监会发布新规", "证监会发布了关于退市制度的新规则。", "证券", **later())], "c2")
    assert search(capsys, "--search", "退市") == [2]
    assert sorted(search(capsys, "--search", '"资本市场"')) == [1]
    # The same text with another tag and category: updated_at moves, the index follows.
    archive.write_articles([{**ARTICLES[2], "tags": ["汽车"], "category": "汽车", **later()}], "c3")
    assert search(capsys, "--search", "比亚迪", "--tag", "汽车", "--category", "汽车") == [3]
    # A re-extraction rewrites the article with updated_at (warc/reextract.py).
    archive.articles.update_one({"article_id": 4}, {"$set": {"body_text": "宁德时代发布新电池。",
                                                             "updated_at": later()["last_crawled_at"]}})
    assert search(capsys, "--search", "宁德时代") == [4]
    # Deletion marks are asked of MongoDB each time: marked and unmarked at once.
    mark_deleted(archive.articles, [1], 404, "c4")
    assert search(capsys, "--search", "资本", "--deleted") == [1]
    clear_deleted(archive.articles, [1], "c5")
    assert search(capsys, "--search", "资本", "--deleted") == []
    assert main(["index"]) == 0
    assert "updated at" in capsys.readouterr().err


def test_unchanged_articles_keep_their_updated_at_and_are_not_indexed_again(archive, capsys):
    assert main(["index"]) == 0
    capsys.readouterr()
    before = archive.articles.find_one({"article_id": 1})["updated_at"]
    archive.write_articles([{**ARTICLES[0], **later()}], "c2")  # the same article crawled again
    assert archive.articles.find_one({"article_id": 1})["updated_at"] == before
    assert not fulltext.is_behind(archive.db, index_path(archive))


def test_an_archive_older_than_updated_at_is_indexed_once_then_only_what_came_later(archive, capsys):
    """Articles without updated_at (written before the field existed): every search used to
    index them all again."""
    archive.articles.update_many({}, {"$unset": {"updated_at": ""}})
    assert main(["index"]) == 0
    capsys.readouterr()
    assert not fulltext.is_behind(archive.db, index_path(archive))
    archive.write_articles([article(5, "宁德时代扩产", "宁德时代宣布扩产。", "公司")], "c2")
    assert fulltext.is_behind(archive.db, index_path(archive))
    assert fulltext.build(archive.db, index_path(archive)).indexed == 1
    assert search(capsys, "--search", "宁德时代") == [5]
    assert not fulltext.is_behind(archive.db, index_path(archive))


def test_a_build_far_behind_reads_the_archive_in_windows_of_ids(archive, capsys, monkeypatch):
    """A server may gather a query's whole answer before the first document (SecantusDB does:
    past 20 GB for 900,000 articles): a build that reads many articles asks a few ids at a time."""
    asked = []
    find = type(archive.articles).find

    def recording_find(self, filter=None, *args, **kwargs):
        asked.append(filter)
        return find(self, filter, *args, **kwargs)

    monkeypatch.setattr(fulltext, "FEW_CHANGES", 2)
    monkeypatch.setattr(fulltext, "ID_WINDOW", 3)
    monkeypatch.setattr(type(archive.articles), "find", recording_find)
    assert main(["index"]) == 0  # whole: every article, by windows
    assert {"article_id": {"$gte": 0, "$lt": 3}} in asked and {} not in asked
    assert sorted(search(capsys, "--search", "资本")) == [1, 2, 3]
    archive.write_articles([article(n, f"宁德时代扩产{n}", "宁德时代宣布扩产。", "公司") for n in (5, 9, 10)], "c2")
    asked.clear()
    assert fulltext.build(archive.db, index_path(archive)).indexed == 3  # a catch-up: windows of time
    assert asked and not any("article_id" in (f or {}) for f in asked)
    assert all(set(f["updated_at"]) == {"$gte", "$lt"} for f in asked[:-1] if f and "updated_at" in f)
    assert sorted(search(capsys, "--search", "宁德时代")) == [5, 9, 10]


def test_a_catch_up_reads_windows_of_updated_at_sized_to_what_they_hold(archive, monkeypatch):
    """A catch-up of many changes (a re-extraction, a backlog) asks for a few thousand at a
    time, by the updated_at index: each window sized from the last one's count, none wider than
    MAX_TIME_WINDOW, so a quiet hour does not widen one over the burst after it."""
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(minutes=6)
    stamps = ([start + dt.timedelta(seconds=s) for s in range(0, 60, 7)]  # sparse: one a 7 s
              + [start + dt.timedelta(seconds=180, milliseconds=m) for m in range(0, 30_000, 10)]  # a burst
              + [start + dt.timedelta(seconds=300)])  # a lone late one
    archive.articles.insert_many([{"article_id": 100_000 + n, "updated_at": t} for n, t in enumerate(stamps)])
    asked = []
    find = type(archive.articles).find

    def recording_find(self, filter=None, *args, **kwargs):
        result = list(find(self, filter, *args, **kwargs))
        asked.append((filter, len(result)))
        return result

    monkeypatch.setattr(fulltext, "ID_WINDOW", 20)
    monkeypatch.setattr(fulltext, "MAX_TIME_WINDOW", dt.timedelta(seconds=1))
    monkeypatch.setattr(type(archive.articles), "find", recording_find)
    got = [a["article_id"] for a in fulltext._by_time_windows(archive.db, start)]
    # each once (beside the fixture's articles, written just now)
    assert sorted(n for n in got if n >= 100_000) == list(range(100_000, 100_000 + len(stamps)))
    windows = [f["updated_at"] for f, _ in asked[:-1]]
    assert all(w["$lt"] - w["$gte"] <= dt.timedelta(seconds=1) for w in windows)
    held = [n for _, n in asked if n]
    assert max(held) <= 100  # what the widest window holds of the burst
    assert sorted(held)[len(held) // 2] <= 2 * 20  # the rest sized from the last window's count


def test_a_write_stamped_before_the_last_build_is_still_taken(archive, capsys):
    """A batch stamped just before another process's build read the archive, committed just
    after: the next build reads back WATERMARK_MARGIN before the last updated_at it took; a
    write later than that is noted by the write path."""
    assert main(["index"]) == 0
    capsys.readouterr()
    state = json.loads((index_path(archive) / "state.json").read_text())
    late = dt.datetime.fromisoformat(state["updated_at"]) - fulltext.WATERMARK_MARGIN / 2
    archive.articles.update_one({"article_id": 3}, {"$set": {"body_text": "理想汽车交付量创新高。",
                                                             "updated_at": late}})
    archive.write_articles([article(5, "券商晨会纪要", "券商看好消费板块。", "证券")], "c2")
    assert search(capsys, "--search", "理想汽车") == [3]
    assert search(capsys, "--search", "券商") == [5]
    # A spool replayed a day late: stamped long before the index's watermark, noted by the
    # write path, read back to by the next build.
    crawled = dt.datetime.now(UTC) - dt.timedelta(days=1)
    archive.write_articles([article(6, "基金经理调仓", "公募基金加仓半导体。", "基金", last_crawled_at=crawled)], "c3")
    assert archive.articles.find_one({"article_id": 6})["updated_at"] < late  # the crawl's time, kept
    assert search(capsys, "--search", "半导体") == [6]
    assert not fulltext.is_behind(archive.db, index_path(archive))  # the note is taken


def test_the_articles_read_again_within_the_margin_are_not_indexed_again(archive, capsys, monkeypatch):
    """Every build reads back WATERMARK_MARGIN (the late commit above); what it read there
    unchanged (the same updated_at) is skipped, not cut and indexed again: at a crawl's full
    write rate the margin holds tens of thousands of articles."""
    assert main(["index"]) == 0
    made = []
    document_of = fulltext.document_of
    monkeypatch.setattr(fulltext, "document_of", lambda a: made.append(a["article_id"]) or document_of(a))
    assert fulltext.build(archive.db, index_path(archive)).indexed == 0
    assert made == []  # all four were within the margin, unchanged
    archive.write_articles([article(3, "理想汽车交付", "理想汽车交付量创新高。", "汽车")], "c2")
    assert fulltext.build(archive.db, index_path(archive)).indexed == 1
    assert made == [3]
    assert search(capsys, "--search", "理想汽车") == [3]
    # The skipped ones are still in the index.
    assert sorted(search(capsys, "--search", "资本")) == [1, 2]


def test_a_replaced_archive_is_indexed_whole_again(archive, capsys):
    assert main(["index"]) == 0
    capsys.readouterr()
    docs = list(archive.articles.find({"article_id": {"$ne": 2}}, {"_id": 0}))
    archive.articles.drop()  # as a restore does: another collection, older updated_at
    archive.articles.insert_many(docs)
    assert main(["index"]) == 0
    assert "the archive was replaced" in capsys.readouterr().err
    assert sorted(search(capsys, "--search", "资本")) == [1, 3]


def test_one_writer_at_a_time(archive, capsys):
    path = index_path(archive)
    with fulltext.WriterLock(path):
        assert main(["index"]) == 1
        assert "another process is updating the search index" in capsys.readouterr().err
        assert main(["query", "--search", "资本"]) == 1  # no index yet: cannot search
        assert "being built by another process" in capsys.readouterr().err
    assert main(["index"]) == 0
    archive.write_articles([article(5, "券商晨会纪要", "券商看好消费板块。", "证券")], "c2")
    capsys.readouterr()
    with fulltext.WriterLock(path):  # an index exists: searched as it is while another updates it
        assert search(capsys, "--search", "资本", "--sort", "oldest") == [1, 2, 3]
        assert search(capsys, "--search", "券商") == []
    assert search(capsys, "--search", "券商") == [5]


def test_a_bad_search_is_a_usage_error(archive, capsys):
    for bad in ("OR 资本", "资本 OR", "，。", "  "):
        assert main(["query", "--search", bad]) == 2
        out, err = capsys.readouterr()
        assert out == "" and ("--search: " in err or "search is empty" in err), err
    assert not fulltext.exists(index_path(archive))  # a bad search builds nothing


def test_a_crawl_updates_an_existing_index_and_creates_none(archive, capsys, mongo_uri, tmp_path):
    from newscrawler.cli.commands.index import update_after_crawl

    settings = {"MONGO_URI": mongo_uri, "MONGO_DATABASE": archive.db.name,
                "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
    update_after_crawl(settings)
    assert not (tmp_path / "data" / "fulltext").exists()  # `newscrawler index` or a search creates it
    assert main(["index"]) == 0
    archive.write_articles([article(5, "券商晨会纪要", "券商看好消费板块。", "证券")], "c2")
    update_after_crawl(settings)
    assert "search index updated (1 article new or changed)" in capsys.readouterr().err
    assert search(capsys, "--search", "券商") == [5]


def test_index_removes_the_old_search_tokens_and_their_index(archive, capsys):
    """An archive written before the full-text index: every article carries search_tokens with
    a multikey index; `newscrawler index` drops the index, unsets the field, says so, and an
    interrupted removal resumes."""
    from pymongo import ASCENDING, DESCENDING

    articles = archive.articles
    articles.update_many({}, {"$set": {"search_tokens": ["资本", "市场"]}})
    articles.create_index([("search_tokens", ASCENDING), ("published_at", DESCENDING)])
    assert fulltext.old_search_tokens_left(archive.db)
    assert main(["index", "--rebuild"]) == 0
    err = capsys.readouterr().err
    assert "old search_tokens removed from 4 articles and their index dropped" in err
    assert articles.count_documents({"search_tokens": {"$exists": True}}) == 0
    assert fulltext.OLD_TOKENS_INDEX not in articles.index_information()
    assert not fulltext.old_search_tokens_left(archive.db)
    # Interrupted after the index was dropped: the mark says so, the next run finishes.
    articles.update_one({"article_id": 1}, {"$set": {"search_tokens": ["资本"]}})
    archive.db[fulltext.UPGRADES].update_one({"_id": "search_tokens"}, {"$set": {"finished_at": None}})
    assert main(["index"]) == 0
    assert "old search_tokens removed from 1 article and" in capsys.readouterr().err
    assert main(["index"]) == 0
    assert "search_tokens" not in capsys.readouterr().err  # nothing left to do


def test_the_write_path_stores_no_tokens_and_indexes_updated_at(archive):
    doc = archive.articles.find_one({"article_id": 1})
    assert "search_tokens" not in doc and isinstance(doc["updated_at"], dt.datetime)
    indexes = archive.articles.index_information()
    assert [("updated_at", 1)] in [info["key"] for info in indexes.values()]
    assert fulltext.OLD_TOKENS_INDEX not in indexes
