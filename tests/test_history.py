"""What changed, seen from the archive: `diff` between revisions, `show`'s versions and deletion
episodes, `query --edited` / `--deleted` (served by indexes), edits and deletions per day in
`stats`. The archive is written through the store's write path (revisions, marks)."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone

import pytest

from newscrawler.cli import main
from newscrawler.cli.commands.diff import Marks, body_lines, inline
from newscrawler.record import content_hash
from newscrawler.store.connection import get_client
from newscrawler.store.queries import DELETED_FILTER, EDITED_FILTER, ArticleQuery, find_articles
from newscrawler.store.store import ArticleStore
from newscrawler.timeutil import BEIJING

UTC = timezone.utc
NOW = datetime.now(UTC).replace(microsecond=0)
BODY = "第一段没有改。\n第二段说营收增长百分之十。\n第三段也没有改。"
EDITED_BODY = "第一段没有改。\n第二段说营收增长百分之十二。\n第三段也没有改。\n新加的第四段。"


def article(article_id: int, title: str, body: str, published_at: datetime, **fields) -> dict:
    doc = {"article_id": article_id, "url": f"https://www.nbd.com.cn/articles/2024-12-03/{article_id}.html",
           "title": title, "published_at": published_at, "authors": ["张三"], "category": "金融",
           "source": "每日经济新闻", "tags": [], "body_text": body, "body_html": f"<p>{body}</p>", **fields}
    doc["content_hash"] = content_hash(doc["title"], doc["body_text"])
    return doc


@pytest.fixture
def store(mongo_uri, mongo_db_name):
    client = get_client(mongo_uri)
    try:
        store = ArticleStore(client[mongo_db_name], uri=mongo_uri)
        store.ensure_indexes()
        yield store
    finally:
        client.close()


@pytest.fixture
def history(store):
    """1: edited twice (r3); 2: never edited; 3: deleted (404); 4: edited and deleted then back."""
    t0 = NOW - timedelta(days=2)
    first = {"last_crawled_at": t0 + timedelta(hours=4)}
    store.write_articles([article(1, "央行降准", BODY, t0, **first),
                          article(2, "没有改的文章", BODY, t0 + timedelta(hours=1), **first),
                          article(3, "被删的文章", BODY, t0 + timedelta(hours=2), category="公司", **first),
                          article(4, "删了又回来", BODY, t0 + timedelta(hours=3), **first)], "c1")
    store.write_articles([article(1, "央行宣布降准", BODY, t0, last_crawled_at=NOW - timedelta(days=1)),
                          article(4, "删了又回来", EDITED_BODY, t0 + timedelta(hours=3),
                                  last_crawled_at=NOW - timedelta(days=1))], "c2")
    store.write_articles([article(1, "央行宣布降准", EDITED_BODY, t0, byline="每经记者 李四",
                                  last_crawled_at=NOW - timedelta(hours=1))], "c3")
    store.mark_deleted([3, 4], 404, "c4", at=NOW - timedelta(hours=5))
    store.clear_deleted([4], "c5", at=NOW - timedelta(hours=1))
    return store


@pytest.fixture
def cli_env(monkeypatch, mongo_uri, mongo_db_name, history):
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", mongo_db_name)
    return history


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the comparison (no archive) --------------------------------------------------------------


def test_chinese_text_is_compared_character_by_character():
    plain = Marks(color=False)
    assert inline("营收增长百分之十。", "营收增长百分之十二。", plain) == "营收增长百分之十{+二+}。"
    assert inline("央行降准", "央行宣布降准", plain) == "央行{+宣布+}降准"
    assert Marks(color=True).inserted("二") == "\x1b[32m二\x1b[0m"
    lines = list(body_lines(BODY, EDITED_BODY, plain))
    assert "  ~ 第二段说营收增长百分之十{+二+}。" in lines
    assert "  + {+新加的第四段。+}" in lines
    assert "    第一段没有改。" in lines  # context around the change


# -- the verbs -----------------------------------------------------------------------------------


def test_diff_shows_the_previous_version_against_the_current(cli_env, capsys):
    code, out, err = run_cli(capsys, "diff", "1")
    assert code == 0, err
    seen = (NOW - timedelta(hours=1)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    assert out.splitlines()[0].startswith("article 1: revision 2 (seen from ")
    assert f"Beijing time) -> revision 3 (current, seen from {seen}, Beijing time)" in out.splitlines()[0]
    assert "title:" not in out  # r2 -> r3 kept the title
    assert "byline: {+每经记者 李四+}" in out
    assert "~ 第二段说营收增长百分之十{+二+}。" in out  # piped: plain marks, no colour codes
    assert "\x1b[" not in out


def test_diff_between_named_revisions_and_as_json(cli_env, capsys):
    code, out, _ = run_cli(capsys, "diff", "1", "--from", "1", "--to", "2")
    assert code == 0 and "title: 央行{+宣布+}降准" in out and "body_text:" not in out
    assert run_cli(capsys, "diff", "1", "1", "3")[1] == run_cli(capsys, "diff", "1", "--from", "1")[1]
    code, out, _ = run_cli(capsys, "diff", "1", "1", "3", "--json")
    changes = json.loads(out)
    assert changes["fields"]["title"] == {"from": "央行降准", "to": "央行宣布降准"}
    assert changes["from"]["revised_at"].endswith("Z")
    assert [c["op"] for c in changes["body_text"]] == ["replace", "insert"]
    assert run_cli(capsys, "diff", "1", "--color", "always")[1].count("\x1b[32m") >= 2


def test_diff_of_an_article_with_one_version_says_so(cli_env, capsys):
    code, _, err = run_cli(capsys, "diff", "2")
    assert code == 1 and "no version before revision 1" in err
    code, _, err = run_cli(capsys, "diff", "1", "--from", "7")
    assert code == 1 and "no revision 7 (kept: 1, 2, 3)" in err


def test_show_lists_versions_and_deletion_episodes_in_beijing_time(cli_env, capsys):
    code, out, _ = run_cli(capsys, "show", "1")
    assert code == 0
    assert "versions (Beijing time" in out
    assert "  r1  seen from " in out and "  r3  current, seen from " in out
    code, out, _ = run_cli(capsys, "show", "3")
    deleted = (NOW - timedelta(hours=5)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    assert f"DELETED since {deleted} (404)" in out
    code, out, _ = run_cli(capsys, "show", "4")
    back = (NOW - timedelta(hours=1)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    assert f"gone {deleted} (404), back {back}" in out
    code, out, _ = run_cli(capsys, "show", "1", "--json")
    record = json.loads(out)
    assert [v["revision"] for v in record["versions"]] == [1, 2, 3]
    assert record["versions"][0]["replaced_at"].endswith("Z") and record["versions"][-1]["current"]


def test_query_edited_and_deleted_with_the_other_filters(cli_env, capsys):
    code, out, _ = run_cli(capsys, "query", "--edited")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["article_id"] for r in rows] == [4, 1]  # newest first
    assert rows[1]["revision"] == 3 and rows[1]["updated_at"].endswith("Z")
    code, out, _ = run_cli(capsys, "query", "--deleted")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["article_id"] for r in rows] == [3]
    assert rows[0]["deletion"]["status"] == 404 and rows[0]["deleted_at"].endswith("Z")
    assert run_cli(capsys, "query", "--deleted", "--category", "金融")[1] == ""
    code, out, _ = run_cli(capsys, "query", "--edited", "--format", "table")
    assert "edited (Beijing)" in out and "r3" in out and "(2 articles)" in out


def test_export_with_revisions_writes_each_article_then_its_earlier_versions(cli_env, capsys, tmp_path):
    code, _, err = run_cli(capsys, "export", "jsonl", "--out", str(tmp_path / "v.jsonl"), "--revisions")
    assert code == 0 and "exported 7 versions" in err, err  # 4 articles, 3 earlier versions
    rows = [json.loads(line) for line in (tmp_path / "v.jsonl").read_text(encoding="utf-8").splitlines()]
    versions = [(r["article_id"], r["revision"], r["revised_at"] is None) for r in rows]
    # newest article first; each one current (revised_at null), then its earlier versions newest first
    assert versions == [(4, 2, True), (4, 1, False), (3, 1, True), (2, 1, True),
                        (1, 3, True), (1, 2, False), (1, 1, False)]
    assert [r["title"] for r in rows if r["article_id"] == 1] == ["央行宣布降准", "央行宣布降准", "央行降准"]
    assert rows[1]["body_text"] == BODY and rows[1]["revised_at"].endswith("Z") and "_id" not in rows[1]
    assert rows[6]["replaced_by_crawl"] == "c2" and "search_tokens" not in rows[6]

    code, _, _ = run_cli(capsys, "export", "csv", "--out", str(tmp_path / "v.csv"), "--revisions", "--edited", "--sort", "oldest", "--limit", "1")
    with open(tmp_path / "v.csv", encoding="utf-8", newline="") as fp:
        table = list(csv.DictReader(fp))
    assert [(r["revision"], r["revised_at"] == "") for r in table] == [("3", True), ("2", False), ("1", False)]
    assert table[2]["title"] == "央行降准"

    code, _, _ = run_cli(capsys, "export", "jsonl", "--out", str(tmp_path / "plain.jsonl"))
    plain = (tmp_path / "plain.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(plain) == 4 and "revised_at" not in json.loads(plain[0])  # without the option: as before
    code, _, err = run_cli(capsys, "export", "hexo", "--out", str(tmp_path / "posts"), "--revisions")
    assert code == 0 and "exported 4 articles" in err and len(list((tmp_path / "posts").iterdir())) == 4


def test_edited_and_deleted_queries_are_served_by_their_indexes(history):
    for filter_, index in ((EDITED_FILTER, "edited"), (DELETED_FILTER, "deleted")):
        plan = history.articles.find(filter_).explain()["queryPlanner"]["winningPlan"]
        while plan.get("inputStage") and plan.get("stage") != "IXSCAN":
            plan = plan["inputStage"]
        assert (plan.get("stage"), plan.get("indexName")) == ("IXSCAN", index)
    assert [d["article_id"] for d in find_articles(history.db, ArticleQuery(edited=True, since=NOW.date(),))] == []
    assert [d["article_id"] for d in find_articles(history.db, ArticleQuery(edited=True, limit=1, sort="oldest"))] == [1]


def test_stats_counts_edits_and_deletions_per_day(cli_env, capsys):
    code, out, _ = run_cli(capsys, "stats", "--json")
    assert code == 0
    history = {row["day"]: row for row in json.loads(out)["history"]}
    totals = {kind: sum(row[kind] for row in history.values()) for kind in ("edits", "deletions", "restored")}
    assert totals == {"edits": 3, "deletions": 2, "restored": 1}
    edited_day = datetime.now(UTC).astimezone(BEIJING).date().isoformat()  # revised_at: when written
    assert history[edited_day]["edits"] >= 1
    code, out, _ = run_cli(capsys, "stats")
    assert "Edits and deletions seen per day (Beijing)" in out



# -- alerts: a run that finds most articles gone ------------------------------------------------


def revisit(server, mongo_uri, db_name, data_dir, **spider_args):
    from tests.test_revisit import revisit as run_revisit

    return run_revisit(server, mongo_uri, db_name, data_dir, **spider_args)


def test_a_revisit_finding_most_articles_gone_alerts_and_withdraws_its_marks(mongo_uri, mongo_db_name, tmp_path):
    """A site answering 404 for 10 of its 12 articles is broken, not deleting: the revisit
    alerts and leaves no article marked (the episode kept as withdrawn); one article of 12 gone
    is a deletion, marked as before, with no alert."""
    from tests.crawling import archive, crawl, replica_site

    with replica_site(n=12, seed=9) as (site, server):
        assert crawl(server, mongo_uri, mongo_db_name, tmp_path).returncode == 0
        db = archive(mongo_uri, mongo_db_name)
        ids = sorted(site.articles)
        assert len(ids) == 12
        for aid in ids[:10]:
            site.delete_article(aid, "404")
        record = revisit(server, mongo_uri, mongo_db_name, tmp_path, all=1)
        assert record["stats"]["checked"] == 12 and record["stats"]["deleted"] == 10
        assert not record.get("sample")  # a revisit is a crawl: judged by monitoring
        assert any(alert.startswith("deletions: 10 of 12 archived articles checked answered gone")
                   for alert in record["alerts"]), record["alerts"]
        assert db.articles.count_documents({"deleted_at": {"$ne": None}}) == 0
        episode = db.articles.find_one({"article_id": ids[0]})["deletion_history"][-1]
        assert episode["status"] == 404 and episode["withdrawn"].startswith("deletions: 10 of 12")

        for aid in ids[1:10]:
            site.restore_article(aid)
        record = revisit(server, mongo_uri, mongo_db_name, tmp_path, all=1)
        assert record["stats"]["deleted"] == 1 and record["alerts"] == []
        assert [d["article_id"] for d in db.articles.find({"deleted_at": {"$ne": None}})] == [ids[0]]
