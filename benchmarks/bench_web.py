"""Page and API latency of the web app (`newscrawler serve`) on a generated archive (prints figures).

Usage: python benchmarks/bench_web.py [--docs 100000] [--requests 40] [--uri URI] [--keep DIR]

Builds an archive of ``--docs`` generated articles (``bench_query``'s generator: Chinese text
with jieba's word frequencies, 12 categories, five years of dates; no search tokens, since the
search goes through the full-text index), edits 50 of them and marks 30 deleted through the
store's write path, records 30 crawls, builds the kept counts and the full-text index. With
``--keep DIR`` all of it is kept there and reused by the next run with the same ``--docs``.

Then starts ``newscrawler serve`` on it in a process of its own and asks each question
``--requests`` times over HTTP (one keep-alive connection, one request at a time; fewer, at least
3, when they take over 30 s in all), printing the p50 and p95 in milliseconds, beside the same question asked directly in this process through the
store and the index as the command line asks it (``query --search``, ``show``, ``diff``,
``stats``, ``crawls``): what HTTP, validation, rendering and JSON add. Last, the count of a
frequent word in a category as ``query --search --count`` makes it, beside the same with the
category inside each ``$in`` query (timed on one chunk).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

from harness import REPO, free_port, print_table, secantus, stop_process

from bench_query import build

from newscrawler.record import content_hash
from newscrawler.store import fulltext
from newscrawler.store.changes import json_changes
from newscrawler.store.connection import get_client
from newscrawler.store.counts import COLLECTION as COUNTS, TOTAL_ID, rebuild_counts
from newscrawler.store.indexes import ARTICLES, CRAWLS
from newscrawler.store.queries import DELETED_FILTER, ArticleQuery, archive_stats, article_versions, find_articles, get_article
from newscrawler.store.store import ArticleStore

DB_NAME = "nc_bench_web"
EDITED, DELETED, CRAWL_RECORDS = 50, 30, 30


def prepare(db, n: int, index_path: Path) -> None:
    """The archive of ``n`` articles with its history, counts and index (reused when built)."""
    built = db["bench_meta"].find_one({"_id": "built"})
    if not (built and built.get("docs") == n and built.get("web")):
        db.client.drop_database(DB_NAME)
        shutil.rmtree(index_path, ignore_errors=True)
        print(f"building {n:,} articles ...", flush=True)
        t = time.perf_counter()
        build(db, n)
        print(f"  built in {time.perf_counter() - t:.0f} s", flush=True)
        history(db, n)
        rebuild_counts(db)
        db["bench_meta"].update_one({"_id": "built"}, {"$set": {"web": True}})
    else:
        print(f"reusing the archive of {n:,} articles")
    if not fulltext.exists(index_path):
        t = time.perf_counter()
        result = fulltext.build(db, index_path)
        print(f"full-text index: {result.indexed:,} articles in {time.perf_counter() - t:.0f} s", flush=True)


def history(db, n: int) -> None:
    """Edits (kept revisions), deletion marks and crawl records, through the store."""
    store = ArticleStore(db)
    rng = random.Random(3)
    ids = rng.sample(range(1_000_000, 1_000_000 + n), EDITED + DELETED)
    now = dt.datetime.now(dt.timezone.utc)
    edited = []
    for doc in db[ARTICLES].find({"article_id": {"$in": ids[:EDITED]}}, {"_id": 0}):
        doc.update(title=doc["title"] + "（更新）", body_text=doc["body_text"] + "\n编者按：本文已更新。",
                   last_crawled_at=now)
        doc["content_hash"] = content_hash(doc["title"], doc["body_text"])
        edited.append(doc)
    store.write_articles(edited, "bench-edits")
    store.mark_deleted(ids[EDITED:], 404, "bench-revisit")
    for i in range(CRAWL_RECORDS):
        crawl_id = f"bench-crawl-{i:03d}"
        store.start_crawl(crawl_id, "nbd")
        store.finish_crawl(crawl_id, {"pages": 120, "new": 100, "updated": 3, "rejected": 2, "errors": 0},
                           "finished", fields={"coverage": {"articles": 100, "authors": 0.8, "published_at": 1.0,
                                                            "category": 0.6, "body": 1.0, "thumbnail": 0.7},
                                               "alerts": ["coverage: 20% of 100 new articles"] if i % 10 == 0 else []})


def pick_searches(db, index) -> dict[str, str]:
    """A frequent word, a rare word and a phrase, by the index's own counts."""
    rng = random.Random(11)
    docs = list(db[ARTICLES].find({"article_id": {"$in": [1_000_000 + rng.randrange(2000) for _ in range(200)]}},
                                  {"body_text": 1}))
    import rjieba

    def count(word: str) -> int:
        return index.count(index.to_query(word))

    def words_of(text: str) -> list[str]:
        return rjieba.cut(text)

    freq: Counter = Counter()
    for doc in docs:
        freq.update(set(w for w in words_of(doc["body_text"]) if len(w) >= 2 and not w.isascii()))
    total = index.searcher.num_docs
    ranked = [w for w, _ in freq.most_common()]
    frequent = next(w for w in ranked if count(w) <= 0.15 * total)
    tail = [w for w in ranked[-300:] if len(w) >= 3]
    rare = min((w for w in tail if count(w) >= 3), key=count)
    words = words_of(docs[0]["body_text"])
    phrase = next(f'"{a}{b}"' for a, b in zip(words, words[1:]) if len(a) >= 2 and len(b) >= 2 and not a.isascii())
    return {"frequent word": frequent, "rare word": rare, "phrase": phrase}


class Client:
    """One keep-alive connection, opened again when the server closed it while idle (uvicorn
    does after 5 s, e.g. while the direct questions were being timed)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def get(self, path: str) -> int:
        try:
            return self._get(path)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            return self._get(path)

    def _get(self, path: str) -> int:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        response.read()
        return response.status


def percentiles(times: list[float]) -> tuple[float, float]:
    """(p50, p95) of the run times in milliseconds."""
    if len(times) == 1:
        return times[0], times[0]
    return statistics.median(times), statistics.quantiles(times, n=20, method="inclusive")[18]


def measure(fn, runs: int, budget: float = 30.0) -> tuple[float, float, int]:
    """(p50, p95, runs made): ``runs`` timed calls after one to warm up, fewer (at least 3)
    when they take longer than ``budget`` seconds in all."""
    fn()  # warm: caches, the first request's imports
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < runs and (len(times) < 3 or time.perf_counter() - started < budget):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return (*percentiles(times), len(times))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000, help="articles in the archive (default 100,000)")
    ap.add_argument("--requests", type=int, default=40, help="requests per question (default 40)")
    ap.add_argument("--uri", help="an existing server (default: start SecantusDB)")
    ap.add_argument("--keep", help="directory to keep (and reuse) the archive and its index in")
    ap.add_argument("--cache-size", default="4G", help="WiredTiger cache of the server we start (default 4G)")
    args = ap.parse_args()
    with ExitStack() as stack:
        root = Path(args.keep or tempfile.mkdtemp(prefix="nc-bench-web-"))
        if not args.keep:
            stack.callback(shutil.rmtree, root, ignore_errors=True)
        uri = args.uri or stack.enter_context(secantus(root / "mongo", cache_size=args.cache_size))
        benchmark(uri, root, args)
    return 0


def benchmark(uri: str, root: Path, args) -> None:
    client = get_client(uri, serverSelectionTimeoutMS=30_000, socketTimeoutMS=3_600_000, connectTimeoutMS=300_000)
    data_dir = root / "data"
    index_path = fulltext.index_dir(data_dir, DB_NAME)
    db = client[DB_NAME]
    prepare(db, args.docs, index_path)
    index = fulltext.FullTextIndex(index_path)
    searches = pick_searches(db, index)
    edited = db[ARTICLES].find_one({"revision": 2}, {"article_id": 1})["article_id"]
    plain = 1_000_000 + args.docs // 2

    port = free_port()
    env = {**os.environ, "MONGO_URI": uri, "MONGO_DATABASE": DB_NAME, "NEWSCRAWLER_DATA_DIR": str(data_dir),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.pop("NEWSCRAWLER_WEB_TOKEN", None)
    log = open(root / "serve.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "newscrawler", "serve", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                Client(port).get("/api/crawls?size=1")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"newscrawler serve did not start (see {root / 'serve.log'})")
                time.sleep(0.2)
        web = Client(port)
        rows = []

        def search_direct(q: str, query: ArticleQuery | None = None, sort: str | None = None):
            """``query --search``'s way: the index answers the words and the filters (the
            count included), MongoDB gives the page's 20 articles."""
            answer = fulltext.ask(db, index, q, query)
            return answer.count(), list(fulltext.articles(db, answer, sort=sort, limit=20))

        author = db[ARTICLES].find_one({"article_id": plain}, {"authors": 1})["authors"][0]

        questions = []
        for label, q in searches.items():
            questions.append((f"API search, {label}", f"/api/articles?q={quote(q)}", lambda q=q: search_direct(q)))
        frequent = searches["frequent word"]
        since = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date() - dt.timedelta(days=90)
        year_ago = since - dt.timedelta(days=275)
        questions += [
            ("page search, frequent word (+ per month)", f"/search?q={quote(frequent)}",
             lambda: (search_direct(frequent), fulltext.ask(db, index, frequent).per_day())),
            ("API search, frequent word + category", f"/api/articles?q={quote(frequent)}&category=%E6%B1%BD%E8%BD%A6",
             lambda: search_direct(frequent, ArticleQuery(category="汽车"))),
            ("API search, frequent word + author", f"/api/articles?q={quote(frequent)}&author={quote(author)}",
             lambda: search_direct(frequent, ArticleQuery(author=author))),
            ("API search, frequent word + date (one year)", f"/api/articles?q={quote(frequent)}&since={year_ago}",
             lambda: search_direct(frequent, ArticleQuery(since=year_ago))),
            ("API search, frequent word, newest first", f"/api/articles?q={quote(frequent)}&sort=newest",
             lambda: search_direct(frequent, sort="newest")),
            ("API latest 20 (+ total)", "/api/articles",
             lambda: (find_articles(db, ArticleQuery(limit=20)), db[COUNTS].find_one({"_id": TOTAL_ID}))),
            ("page latest 20 (+ per month)", "/",
             lambda: find_articles(db, ArticleQuery(limit=20))),
            ("API category, last 90 days", f"/api/articles?category=%E6%B1%BD%E8%BD%A6&since={since.isoformat()}",
             lambda: find_articles(db, ArticleQuery(category="汽车", since=since, limit=20))),
            ("API deleted articles", "/api/articles?deleted=true",
             lambda: find_articles(db, ArticleQuery(deleted=True, limit=20))),
            ("API one article", f"/api/articles/{plain}",
             lambda: article_versions(db, get_article(db, plain))),
            ("page one article", f"/articles/{plain}", lambda: article_versions(db, get_article(db, plain))),
            ("API diff", f"/api/articles/{edited}/diff", lambda: json_changes(*article_versions(db, get_article(db, edited))[-2:])),
            ("page diff", f"/articles/{edited}/diff", lambda: json_changes(*article_versions(db, get_article(db, edited))[-2:])),
            ("API stats (30 days)", "/api/stats", lambda: archive_stats(db, 10, days=30)),
            ("page dashboard (30 days, 20 crawls)", "/dashboard",
             lambda: (archive_stats(db, 10, days=30), list(db[CRAWLS].find({}, sort=[("started_at", -1)], limit=20)))),
            ("API crawls", "/api/crawls", lambda: list(db[CRAWLS].find({}, sort=[("started_at", -1)], limit=20))),
        ]
        print(f"\n{args.docs:,} articles ({db[ARTICLES].count_documents(DELETED_FILTER)} deleted, "
              f"{db['article_revisions'].estimated_document_count()} kept revisions); searches: "
              + ", ".join(f"{k} {v} ({fulltext.ask(db, index, v).count()} matches)" for k, v in searches.items())
              + f"; {args.requests} requests each, one at a time\n", flush=True)
        for label, path, direct in questions:
            status = web.get(path)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
            web_p50, web_p95, web_runs = measure(lambda path=path: web.get(path), args.requests)
            direct_p50, direct_p95, direct_runs = measure(direct, args.requests)
            rows.append((label, f"{web_p50:.1f}", f"{web_p95:.1f}", f"{direct_p50:.1f}", f"{direct_p95:.1f}",
                         f"{web_p95 - direct_p95:+.1f}",
                         "" if web_runs == direct_runs == args.requests else f"{web_runs}/{direct_runs}"))
            print(f"  {label}: p95 {web_p95:.1f} ms over HTTP, {direct_p95:.1f} ms direct", flush=True)
        print()
        print_table(("question", "HTTP p50 ms", "HTTP p95 ms", "direct p50 ms", "direct p95 ms", "p95 added ms",
                     "runs (if fewer)"), rows)
    finally:
        stop_process(server)
        log.close()
        client.close()


if __name__ == "__main__":
    sys.exit(main())
