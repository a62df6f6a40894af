"""Which archive queries SecantusDB serves from an index, and how fast (prints figures).

Usage: python benchmarks/archive_queries.py [--docs 20000] [--runs 5] [--uri URI]

Without --uri it starts a throwaway SecantusDB (storage in a temporary directory) and stops
it afterwards. Loads synthetic articles shaped like the archive's (12 categories, dates over
three years, 30 search tokens each from a Zipf-like vocabulary), creates the archive indexes
(``newscrawler.store.indexes``) and times the query shapes the crawler and people use, with
each query's plan (IXSCAN / COLLSCAN) from explain. newscrawler/store/indexes.py says, without
the figures, what these runs found.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

from pymongo import DESCENDING, InsertOne, UpdateOne

from harness import secantus, timed

from newscrawler.store.connection import get_client
from newscrawler.store.indexes import ensure_indexes

CATEGORIES = ["金融", "证券", "公司", "宏观", "科技", "汽车", "地产", "国际", "评论", "健康", "文旅", "大消费"]
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def make_docs(n: int, rng: random.Random) -> list[dict]:
    vocab = [f"词{i}" for i in range(3000)]
    weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf-like: a few frequent words
    authors = [f"记者{i}" for i in range(300)]
    tags = [f"标签{i}" for i in range(500)]
    docs = []
    for i in range(n):
        docs.append({
            "article_id": 3_000_000 + i,
            "title": f"标题 {i}",
            "published_at": NOW - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60)),
            "category": rng.choice(CATEGORIES),
            "authors": rng.sample(authors, rng.randint(1, 2)),
            "tags": rng.sample(tags, 3),
            "source": rng.choice(["每日经济新闻", "新华社", None]),
            "search_tokens": sorted(set(rng.choices(vocab, weights, k=30))),
            "content_hash": f"{rng.getrandbits(160):040x}",
            "body_text": "正文" * 400,
        })
    return docs


def plan_of(coll, filter_, sort=None) -> str:
    cursor = coll.find(filter_)
    if sort:
        cursor = cursor.sort(sort)
    plan = cursor.explain().get("queryPlanner", {}).get("winningPlan", {})
    stages = []
    while plan:
        stages.append(plan.get("stage", "?") + (f"({plan['indexName']})" if plan.get("indexName") else ""))
        plan = plan.get("inputStage")
    return " <- ".join(stages)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--uri")
    args = ap.parse_args()

    if args.uri:
        return benchmark(args.uri, args)
    tmp = tempfile.mkdtemp(prefix="nc-bench-")
    try:
        with secantus(tmp) as uri:
            return benchmark(uri, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def benchmark(uri: str, args) -> int:
    client = get_client(uri, serverSelectionTimeoutMS=10_000, socketTimeoutMS=600_000)
    try:
        db = client["nc_bench_archive"]
        client.drop_database(db.name)
        rng = random.Random(42)
        docs = make_docs(args.docs, rng)

        t = time.perf_counter()
        plain = db["articles_noindex"]
        for i in range(0, len(docs), 1000):
            plain.bulk_write([InsertOne(dict(d)) for d in docs[i:i + 1000]], ordered=False)
        print(f"load {len(docs)} docs, no index: {time.perf_counter() - t:.1f} s")
        articles = db["articles"]
        ensure_indexes(db)
        t = time.perf_counter()
        for i in range(0, len(docs), 1000):
            articles.bulk_write([InsertOne(dict(d)) for d in docs[i:i + 1000]], ordered=False)
        print(f"load {len(docs)} docs, archive indexes: {time.perf_counter() - t:.1f} s")

        cat = CATEGORIES[0]
        rare = "词349"  # ~1 % of documents
        common = "词34"  # ~10 % of documents
        month = NOW - timedelta(days=30)
        by_date = [("published_at", DESCENDING)]
        counts = {
            "category": articles.count_documents({"category": cat}),
            "rare": articles.count_documents({"search_tokens": rare}),
            "common": articles.count_documents({"search_tokens": common}),
        }
        print(f"category {cat}: {counts['category']} docs; token {rare}: {counts['rare']}; "
              f"token {common}: {counts['common']}")
        ids = [3_000_000 + rng.randrange(args.docs) for _ in range(500)]

        cases = [
            ("category + sort published_at desc, limit 20", {"category": cat}, by_date, 20),
            ("category + last 30 days + sort, limit 20",
             {"category": cat, "published_at": {"$gte": month}}, by_date, 20),
            ("search_tokens = rare word, limit 20", {"search_tokens": rare}, None, 20),
            ("search_tokens = rare word + sort, limit 20", {"search_tokens": rare}, by_date, 20),
            ("search_tokens = common word + sort, limit 20", {"search_tokens": common}, by_date, 20),
            ("search_tokens = common word + last 90 days + sort, 20",
             {"search_tokens": common, "published_at": {"$gte": NOW - timedelta(days=90)}}, by_date, 20),
            ("search_tokens $all [rare, common], limit 20",
             {"search_tokens": {"$all": [rare, common]}}, None, 20),
            ("published_at range: one day", {"published_at": {"$gte": NOW - timedelta(days=1), "$lt": NOW}}, None, 0),
            ("published_at range: one month", {"published_at": {"$gte": month, "$lt": NOW}}, None, 0),
            ("latest 20: sort published_at desc, no filter", {}, by_date, 20),
            ("latest 20 within last 3 days", {"published_at": {"$gte": NOW - timedelta(days=3)}}, by_date, 20),
            ("article_id $in 500 ids (projection)", {"article_id": {"$in": ids}}, None, 0),
            ("authors = one author + sort, limit 20", {"authors": "记者7"}, by_date, 20),
            ("source = 新华社 + last 30 days + sort, limit 20",
             {"source": "新华社", "published_at": {"$gte": month}}, by_date, 20),
        ]
        print(f"\n{'query':55} {'indexed':>9} {'no index':>9} {'n':>5}  plan")
        for label, filter_, sort, limit in cases:
            projection = {"article_id": 1, "_id": 0} if "$in" in str(filter_) else None

            def run(coll, filter_=filter_, sort=sort, limit=limit, projection=projection):
                cursor = coll.find(filter_, projection)
                if sort:
                    cursor = cursor.sort(sort)
                return list(cursor.limit(limit))

            ms, result = timed(lambda: run(articles), args.runs, stat="mean")
            ms_plain, _ = timed(lambda: run(plain), 1, stat="mean")
            print(f"{label:55} {ms:7.1f}ms {ms_plain:7.0f}ms {len(result):5}  {plan_of(articles, filter_, sort)}")

        upserts = [UpdateOne({"article_id": d["article_id"]}, {"$set": {"title": d["title"] + "!"}}, upsert=True)
                   for d in docs[:500]]
        ms, _ = timed(lambda: articles.bulk_write(upserts, ordered=False), 1, stat="mean")
        print(f"\nbulk upsert of 500 existing articles: {ms:.0f} ms")
        client.drop_database(db.name)
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
