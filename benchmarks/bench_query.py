"""How fast the archive answers people's questions at 100,000 articles (prints figures).

Usage: python benchmarks/bench_query.py [--docs 100000] [--runs 7] [--uri URI] [--keep DIR]

Builds an archive of generated articles (``generated.py``: Chinese titles and bodies drawn from
jieba's dictionary with its word frequencies, 12 categories, 400 authors, 600 tags, five years
of dates), then times, median of ``--runs``:

* a category listing over a time range, 20 results;
* ``stats`` from the kept counts;

each beside the same question answered by a full collection scan (``hint({"$natural": 1})``,
or the exact aggregation for stats), with the ratio. Targets: < 50 ms, >= 20x the scan.
Searches are answered by the full-text index beside the archive, not by MongoDB:
``bench_search.py`` and ``bench_scale.py`` time them.

Without --uri it starts SecantusDB itself (storage in a temporary directory, or in --keep DIR,
where a finished build is reused by the next run), with a WiredTiger cache of --cache-size
(default 4G).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

from harness import secantus, timed

from generated import FIRST_ID, Corpus, make_article, people_and_tags
from newscrawler.store.connection import get_client
from newscrawler.store.counts import rebuild_counts
from newscrawler.store.indexes import ARTICLES, ensure_indexes
from newscrawler.store.queries import ArticleQuery, archive_stats, find_articles

DB_NAME = "nc_bench_query"
# Documents per insert_many: one WiredTiger transaction per batch (1,000 made SecantusDB retry
# on WT_ROLLBACK under cache pressure when articles carried hundreds of index entries each).
BATCH = 100


def build(db, n: int, seed: int = 42, present: set[int] = frozenset()) -> None:
    """Insert ``n`` generated articles; those whose ids are in ``present`` (an interrupted
    build's) are drawn again, to keep the random sequence, but not stored again. ``tokens``
    False: without ``search_tokens`` (an archive searched through the full-text index)."""
    rng = random.Random(seed)
    corpus = Corpus(rng)
    people, tags = people_and_tags(corpus)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ensure_indexes(db)
    t0 = time.perf_counter()
    batch: list[dict] = []
    pending = None
    # Generate the next batch (in this process) while the server inserts the last one.
    with ThreadPoolExecutor(max_workers=1) as inserter:
        for i in range(n):
            stored = FIRST_ID + i in present
            doc = make_article(i, corpus, rng, people, tags, now)
            if not stored:
                batch.append(doc)
            if batch and (len(batch) == BATCH or i == n - 1):
                if pending is not None:
                    pending.result()
                pending = inserter.submit(db[ARTICLES].insert_many, batch, ordered=False)
                batch = []
                if (i + 1) % 10_000 == 0 or i == n - 1:
                    rate = (i + 1) / (time.perf_counter() - t0)
                    print(f"  built {i + 1:,} articles ({rate:.0f}/s)", flush=True)
        if pending is not None:
            pending.result()
    db["bench_meta"].replace_one({"_id": "built"}, {"_id": "built", "docs": n}, upsert=True)


def same_answer(fast, slow) -> bool:
    """Both ways gave the same articles in the same order (or the same statistics)."""
    if isinstance(fast, list):
        return [d["article_id"] for d in fast] == [d["article_id"] for d in slow]
    return all(fast[k] == slow[k] for k in ("articles", "days", "categories", "authors", "rejects"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--uri", help="an existing server (default: start SecantusDB)")
    ap.add_argument("--keep", help="storage directory to keep (and reuse) the built archive in")
    ap.add_argument("--cache-size", default="4G", help="WiredTiger cache of the server we start (default 4G)")
    args = ap.parse_args()

    with ExitStack() as stack:
        uri = args.uri
        if not uri:
            data_dir = args.keep or tempfile.mkdtemp(prefix="nc-bench-query-")
            if not args.keep:
                stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
            uri = stack.enter_context(secantus(data_dir, cache_size=args.cache_size))
        benchmark(uri, args)
    return 0


def benchmark(uri: str, args) -> None:
    client = get_client(uri, serverSelectionTimeoutMS=30_000, socketTimeoutMS=3_600_000, connectTimeoutMS=300_000)
    try:
        db = client[DB_NAME]
        built = db["bench_meta"].find_one({"_id": "built"})
        if not built or built["docs"] != args.docs:
            if built:
                client.drop_database(DB_NAME)
            # No "built" mark: an interrupted build, resumed (its articles are kept).
            present = {d["article_id"] for d in db[ARTICLES].find({}, {"article_id": 1, "_id": 0})}
            print(f"building {args.docs:,} articles" + (f" ({len(present):,} already there, from an "
                  "interrupted build)" if present else "") + " ...", flush=True)
            t = time.perf_counter()
            build(db, args.docs, present=present)
            print(f"  built in {time.perf_counter() - t:.0f} s", flush=True)
        else:
            print(f"reusing the archive of {args.docs:,} articles in {args.keep}")
        t = time.perf_counter()
        rebuild_counts(db)
        print(f"rebuild_counts (aggregation over every article): {time.perf_counter() - t:.1f} s")

        coll = db[ARTICLES]
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
        since = today - dt.timedelta(days=90)
        category = "汽车"
        runs = args.runs

        def listing_scan():
            lower, upper = ArticleQuery(since=since, until=today).bounds()
            return list(coll.find({"category": category, "published_at": {"$gte": lower, "$lt": upper}},
                                  sort=[("published_at", -1), ("article_id", -1)], limit=20)
                        .hint({"$natural": 1}))

        cases = []
        q = ArticleQuery(category=category, since=since, until=today, limit=20)
        cases.append((f"listing: category {category}, last 90 days, 20",
                      lambda q=q: find_articles(db, q), listing_scan))
        cases.append(("stats (top 10 authors, 14 days)", lambda: archive_stats(db, 10),
                      lambda: archive_stats(db, 10, exact=True)))
        extra = [
            ("latest 20, no filter", lambda: find_articles(db, ArticleQuery(limit=20))),
            ("author listing, 20", lambda: find_articles(db, ArticleQuery(author=find_articles(
                db, ArticleQuery(limit=1))[0]["authors"][0], limit=20))),
            ("category listing, no dates, 20", lambda: find_articles(db, ArticleQuery(category="影视", limit=20))),
        ]

        print(f"\n{'question':52} {'indexed':>10} {'full scan':>10} {'ratio':>7}  results")
        for label, fast, slow in cases:
            ms, result = timed(fast, runs)
            ms_scan, scan_result = timed(slow, max(1, runs // 3))
            n = len(result) if isinstance(result, list) else result["articles"]
            print(f"{label:52} {ms:8.1f}ms {ms_scan:8.0f}ms {ms_scan / ms:6.0f}x  {n}"
                  f"{'' if same_answer(result, scan_result) else '  MISMATCH'}", flush=True)
        for label, fast in extra:
            ms, result = timed(fast, runs)
            print(f"{label:52} {ms:8.1f}ms {'':>10} {'':>7}  {len(result)}", flush=True)
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
