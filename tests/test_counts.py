"""The kept counts behind `stats`: one document per kind, so a batch of articles changes them with
a few updates whatever its authors, days and categories; the first layout (one document per
kind and key) read and converted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pymongo
from pymongo import monitoring

from newscrawler.store import counts
from newscrawler.store.store import ArticleStore

UTC = timezone.utc
NOW = datetime.now(UTC).replace(microsecond=0)
# Field names may not hold dots or a leading $ unescaped; % is the escape itself.
ODD_AUTHORS = ["J.K. 罗琳", "$钱多多", "百分之100%", "a%2Eb"]


def article(article_id: int, **fields) -> dict:
    doc = {"article_id": article_id, "url": f"https://www.nbd.com.cn/articles/2024-12-03/{article_id}.html",
           "title": f"标题{article_id}", "published_at": NOW - timedelta(hours=article_id * 7),
           "authors": [f"记者{article_id % 40}"], "category": ["公司", "金融", "证券"][article_id % 3],
           "tags": [], "body_html": "<p>正文</p>", "body_text": "正文", "content_hash": f"h{article_id}",
           "revision": 1}
    doc.update(fields)
    return doc


class Updates(monitoring.CommandListener):
    """The update statements sent to the counts' collection."""

    def __init__(self):
        self.statements = 0

    def started(self, event):
        if event.command_name == "update" and event.command.get("update") == counts.COLLECTION:
            self.statements += len(event.command.get("updates") or [])

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def comparable(stats: dict) -> dict:
    return {k: v for k, v in stats.items() if k not in ("source", "as_of", "crawls", "history")}


def test_a_batch_changes_the_counts_with_one_update_per_kind(mongo_uri, mongo_db_name):
    listener = Updates()
    with pymongo.MongoClient(mongo_uri, event_listeners=[listener]) as client:
        db = client[mongo_db_name]
        store = ArticleStore(db)
        store.ensure_indexes()
        counts.rebuild_counts(db)
        docs = [article(i) for i in range(1, 101)]
        docs[0]["authors"] = ODD_AUTHORS
        listener.statements = 0
        store.write_articles(docs, "c1")
        # total, day, category, author and the meta document's time: not one per author (40
        # here), day (30) and category.
        assert listener.statements <= 5
        assert sorted(d["_id"] for d in db[counts.COLLECTION].find({}, {"_id": 1})) == sorted(
            ["meta", "total:", *counts.KINDS])
        kept = counts.read_counts(db, top_n=50, first_day="2000-01-01")
        exact = counts.aggregate_counts(db, top_n=50, first_day="2000-01-01")
        assert kept["source"] == "counts" and comparable(kept) == comparable(exact)
        assert {a["author"] for a in kept["authors"]} >= set(ODD_AUTHORS)
        # An edit that moves an article to another category and author moves its counts.
        store.write_articles([{**docs[1], "category": "汽车", "authors": ["J.K. 罗琳"], "content_hash": "new"}], "c2")
        kept = counts.read_counts(db, top_n=50, first_day="2000-01-01")
        assert comparable(kept) == comparable(counts.aggregate_counts(db, top_n=50, first_day="2000-01-01"))
        assert {"author": "J.K. 罗琳", "articles": 2} in kept["authors"]
        store.add_reject("u1", "no.title", "c2")
        store.add_reject("u2", "", "c2")
        assert counts.read_counts(db, top_n=5, first_day="2000-01-01")["rejects"] == {
            "total": 2, "by_reason": [{"reason": "", "count": 1}, {"reason": "no.title", "count": 1}]}


def test_counts_kept_one_document_per_key_are_read_then_converted_by_the_next_write(mongo_db):
    store = ArticleStore(mongo_db)
    store.ensure_indexes()
    docs = [article(i) for i in range(1, 8)]
    docs[0]["authors"] = ODD_AUTHORS
    mongo_db.articles.insert_many([dict(d) for d in docs])
    store.add_reject("u1", "no_title", "c1")  # before a build: not counted, aggregated
    # The first layout, as rebuild_counts wrote it: one document per (kind, key).
    exact = counts.aggregate_counts(mongo_db, top_n=50, first_day="2000-01-01")
    rows = [{"_id": "total:", "kind": "total", "key": "", "n": exact["articles"]}]
    rows += [{"_id": f"day:{d['day']}", "kind": "day", "key": d["day"], "n": d["articles"]} for d in exact["days"]]
    rows += [{"_id": f"category:{c['category']}", "kind": "category", "key": c["category"], "n": c["articles"]}
             for c in exact["categories"] if c["category"]]
    rows += [{"_id": f"author:{a['author']}", "kind": "author", "key": a["author"], "n": a["articles"]}
             for a in exact["authors"]]
    rows += [{"_id": "reject:no_title", "kind": "reject", "key": "no_title", "n": 1}]
    mongo_db[counts.COLLECTION].insert_many(rows + [{"_id": "meta", "built_at": NOW, "updated_at": NOW}])

    kept = counts.read_counts(mongo_db, top_n=50, first_day="2000-01-01")
    assert kept["source"] == "counts" and comparable(kept) == comparable(exact)
    assert counts.articles_per_month(mongo_db) == counts.months_of({d["day"]: d["articles"] for d in exact["days"]})

    store.write_articles([article(8, authors=["J.K. 罗琳", "新人"])], "c2")
    ids = {d["_id"] for d in mongo_db[counts.COLLECTION].find({}, {"_id": 1})}
    assert ids == {"meta", "total:", *counts.KINDS}
    assert mongo_db[counts.COLLECTION].find_one({"_id": "meta"})["layout"] == counts.LAYOUT
    kept = counts.read_counts(mongo_db, top_n=50, first_day="2000-01-01")
    assert comparable(kept) == comparable(counts.aggregate_counts(mongo_db, top_n=50, first_day="2000-01-01"))
    assert {"author": "J.K. 罗琳", "articles": 2} in kept["authors"]
