"""`newscrawler index` and `query --search` through the full-text index, on a small archive
written through the real write path: phrases, OR, exclusion, the filters, an edit re-indexed,
--count, and the fallback to the token search when no index is built."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from newscrawler.cli import main
from newscrawler.store.connection import get_client
from newscrawler.store.store import ArticleStore

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 12, 3, 2, 0, tzinfo=UTC)


def article(article_id: int, title: str, body: str, category: str, **fields) -> dict:
    return {"article_id": article_id, "url": f"https://www.nbd.com.cn/articles/2024-12-03/{article_id}.html",
            "title": title, "body_text": body, "summary": None, "category": category, "authors": ["记者甲"],
            "tags": [], "published_at": T0 + dt.timedelta(hours=article_id),
            "content_hash": hashlib.sha1(body.encode()).hexdigest(), **fields}


ARTICLES = [
    article(1, "央行宣布降准", "中国人民银行宣布下调存款准备金率，资本市场反应积极。", "金融"),
    article(2, "证监会发布新规", "证监会发布了关于资本市场的新规则。", "证券"),
    article(3, "新能源汽车销量增长", "比亚迪销量创新高，市场资本涌入。", "公司"),
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


def search(capsys, *argv) -> list[int]:
    assert main(["query", "--format", "jsonl", "--limit", "0", *argv]) == 0
    return [json.loads(line)["article_id"] for line in capsys.readouterr().out.splitlines()]


def count(capsys, *argv) -> int:
    assert main(["query", "--count", *argv]) == 0
    return int(capsys.readouterr().out)


def test_index_then_search_by_phrase_or_and_exclusion_with_filters(archive, capsys, tmp_path):
    assert main(["query", "--search", "资本", "--count"]) == 0
    out, err = capsys.readouterr()
    assert int(out) == 3 and "no search index" in err  # the token search, said once

    assert main(["index"]) == 0
    assert "3 articles indexed" in capsys.readouterr().err
    assert (tmp_path / "data" / "fulltext" / archive.db.name / "meta.json").is_file()

    assert sorted(search(capsys, "--search", '"资本市场"')) == [1, 2]
    assert sorted(search(capsys, "--search", "央行 OR 比亚迪")) == [1, 3]
    assert sorted(search(capsys, "--search", "资本 -证监会")) == [1, 3]
    assert search(capsys, "--search", "资本", "--category", "证券") == [2]
    assert search(capsys, "--search", "资本", "--sort", "oldest") == [1, 2, 3]
    assert search(capsys, "--search", "资本", "--sort", "newest", "--limit", "1") == [3]
    assert count(capsys, "--search", "资本") == 3
    assert count(capsys, "--search", "资本", "--category", "金融") == 1
    _, err = capsys.readouterr()
    assert "no search index" not in err


def test_an_edit_is_reindexed_by_the_incremental_build(archive, capsys):
    assert main(["index"]) == 0
    capsys.readouterr()
    archive.write_articles([article(2, "证监会发布新规", "证监会发布了关于退市制度的新规则。", "证券",
                                    last_crawled_at=dt.datetime.now(UTC) + dt.timedelta(seconds=1))], "c2")
    assert main(["index"]) == 0
    assert "1 article indexed" in capsys.readouterr().err  # only what changed
    assert search(capsys, "--search", "退市") == [2]
    assert sorted(search(capsys, "--search", '"资本市场"')) == [1]
    assert main(["index", "--rebuild"]) == 0
    assert "3 articles indexed" in capsys.readouterr().err
    assert search(capsys, "--search", "退市") == [2]


def test_a_bad_search_is_a_usage_error(archive, capsys):
    assert main(["index"]) == 0
    assert main(["query", "--search", "OR 资本"]) == 2


def test_a_crawl_updates_an_existing_index_and_creates_none(archive, capsys, mongo_uri, tmp_path):
    from newscrawler.cli.commands.index import update_after_crawl

    settings = {"MONGO_URI": mongo_uri, "MONGO_DATABASE": archive.db.name,
                "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
    update_after_crawl(settings)
    assert not (tmp_path / "data" / "fulltext").exists()  # `newscrawler index` creates it, not a crawl
    assert main(["index"]) == 0
    archive.write_articles([article(4, "券商晨会纪要", "券商看好消费板块。", "证券")], "c2")
    update_after_crawl(settings)
    assert "search index updated (1 articles)" in capsys.readouterr().err
    assert search(capsys, "--search", "券商") == [4]
