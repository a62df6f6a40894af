"""What replay and the research exports cost (prints figures, each beside a baseline of the same run).

Usage: python benchmarks/bench_replay.py [--pages 1000] [--docs 20000] [--wacz 2000] [--rounds 3]

1. CDXJ indexes. The WARC writer at its default gzip level over ``--pages`` replica article
   pages, CPU ms per page, without an index (the baseline) and with the lines made as it
   writes (what the crawl does); then cdxj-indexer reading the finished file back
   (``newscrawler warc index``, what a crawl would otherwise spend when it closes a file).
   Median of ``--rounds``.
2. Exports of an archive of ``--docs`` generated articles (bench_query's: Chinese titles and
   bodies of 3-5 paragraphs) in a SecantusDB started here: ``export jsonl`` (the baseline),
   ``export parquet`` and ``export parquet --partition month``, each a whole ``newscrawler``
   process, after one warm-up export, ``--rounds`` times in turned order: median wall seconds,
   articles a second, the largest peak RSS of the process, the output's size.
3. ``export wacz`` of the newest ``--wacz`` articles (each with its page written to WARC
   files here) beside ``export jsonl --limit`` of the same articles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from harness import REPO, mongo_server, print_table

import pymongo

from bench_query import GIVEN, SURNAMES, Corpus, make_article
from nbd_replica.corpus import generate_articles
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from newscrawler.store.indexes import ensure_indexes
from newscrawler.warc import cdxj
from newscrawler.warc.writer import WarcFileWriter

# Runs a verb and prints its peak resident memory (KiB, Linux) last on stderr.
MEASURED = ("import resource, sys\nfrom newscrawler.cli import main\ncode = main(sys.argv[1:])\n"
            "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "raise SystemExit(code)")


def writer_pass(pages, work: Path, index: bool) -> tuple[float, Path]:
    """(CPU ms per page, the file written) for writing ``pages`` with or without the index."""
    shutil.rmtree(work, ignore_errors=True)
    writer = WarcFileWriter(work, "bench", max_size=10 ** 12, index=index)
    headers = [(b"Content-Type", b"text/html; charset=utf-8"), (b"Server", b"nginx")]
    start = time.process_time()
    for url, body in pages:
        writer.write_exchange(url, status=200, headers=headers, body=body,
                              request=("GET", url.split("/", 3)[3], [(b"User-Agent", b"newscrawler")]))
    writer.close()
    return 1000 * (time.process_time() - start) / len(pages), work / writer.files[0]


def index_costs(n_pages: int, rounds: int, work: Path) -> None:
    site = ReplicaSite(generate_articles(n_pages, seed=3))
    with serve(site) as server:
        pages = [(spec.url(server.base_url), site.handle("GET", spec.path, {}, server.base_url).body)
                 for spec in site.articles.values()]
    plain, indexed, reread = [], [], []
    for n in range(rounds):
        for index in ((False, True) if n % 2 == 0 else (True, False)):
            ms, path = writer_pass(pages, work / f"w{int(index)}", index)
            (indexed if index else plain).append(ms)
        start = time.process_time()
        cdxj.write_index(path)
        reread.append(1000 * (time.process_time() - start) / len(pages))
    size = path.stat().st_size
    base = statistics.median(plain)
    print(f"\n1. CDXJ index, {len(pages)} article pages ({size / 1e6:.1f} MB WARC), CPU ms per page, "
          f"median of {rounds}:", flush=True)
    print_table(("", "ms/page", "vs writer alone"), [
        ("writer, no index (baseline)", f"{base:.3f}", ""),
        ("writer + lines as it writes (the crawl)", f"{statistics.median(indexed):.3f}",
         f"{100 * (statistics.median(indexed) - base) / base:+.1f} %"),
        ("cdxj-indexer reading the file back", f"{statistics.median(reread):.3f}",
         f"{100 * statistics.median(reread) / base:.0f} % of the writer's cost"),
    ])
    print(f"   reading back: {size / 1e6 / (statistics.median(reread) * len(pages) / 1000):.1f} MB of WARC a second")


def run_verb(args: list[str], env: dict) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MiB, stderr) of one ``newscrawler`` process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, *args], env=env, capture_output=True, text=True,
                          cwd=REPO, timeout=3600)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    rss = int(done.stderr.strip().splitlines()[-1].split()[1])
    return seconds, rss // 1024, done.stderr


def size_of(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build(db, n: int, warc_dir: Path, with_pages: int) -> None:
    """``n`` articles (newest ``with_pages`` of them with a page in WARC files)."""
    rng = random.Random(42)
    corpus = Corpus(rng)
    people = list(dict.fromkeys(rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2)))
                                for _ in range(600)))[:400]
    tags = corpus.words[2000:2600]
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    docs = [make_article(i, corpus, rng, people, tags, now, tokens=False) for i in range(n)]
    for doc in docs:
        doc.pop("search_tokens")
        doc["first_seen_at"] = doc["last_crawled_at"] = doc["updated_at"] = now
    docs.sort(key=lambda d: d["published_at"], reverse=True)
    writer = WarcFileWriter(warc_dir, "bench", max_size=50 * 1024 ** 2)
    for doc in docs[:with_pages]:
        page = (f"<html><head><title>{doc['title']}</title></head><body><h1>{doc['title']}</h1>"
                f"{doc['body_html']}</body></html>").encode()
        doc["warc"] = writer.write_exchange(doc["url"], status=200, body=page,
                                            headers=[("Content-Type", "text/html; charset=utf-8")],
                                            request=("GET", "/", [("Host", "www.nbd.com.cn")])).as_meta()
    writer.close()
    for start in range(0, n, 500):
        db.articles.insert_many(docs[start:start + 500], ordered=False)
    ensure_indexes(db)


def export_costs(n: int, n_wacz: int, rounds: int, work: Path) -> None:
    with mongo_server(str(work / "mongo")) as uri:
        db_name = "nc_bench_replay"
        client = pymongo.MongoClient(uri, tz_aware=True)
        start = time.perf_counter()
        build(client[db_name], n, work / "warc", n_wacz)
        print(f"\narchive: {n:,} articles ({n_wacz:,} with a page in WARC files) built in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        env = {**os.environ, "MONGO_URI": uri, "MONGO_DATABASE": db_name, "WARC_DIR": str(work / "warc"),
               "NEWSCRAWLER_DATA_DIR": str(work / "data"), "PYTHONPATH": f"{REPO}:{REPO / 'testing'}"}
        def measure(runs: list[tuple[str, list[str], Path]], count: int) -> list[tuple]:
            """Each export ``rounds`` times, the order turned each round (a warm-up first)."""
            run_verb(["export", *runs[0][1], "--out", str(runs[0][2])], env)  # warm the server's cache
            taken: dict[str, list[tuple[float, int]]] = {label: [] for label, _, _ in runs}
            for n in range(rounds):
                for label, args, out in (runs if n % 2 == 0 else runs[::-1]):
                    seconds, rss, _ = run_verb(["export", *args, "--out", str(out)], env)
                    taken[label].append((seconds, rss))
            rows, base = [], None
            for label, _args, out in runs:
                seconds = statistics.median(s for s, _ in taken[label])
                base = base or seconds
                rows.append((label, f"{seconds:.1f}", f"{count / seconds:,.0f}", f"{max(r for _, r in taken[label])}",
                             f"{size_of(out) / 1e6:.1f}", f"{seconds / base:.2f}x"))
            return rows

        rows = measure([("export jsonl (baseline)", ["jsonl"], work / "a.jsonl"),
                        ("export parquet", ["parquet"], work / "a.parquet"),
                        ("export parquet --partition month", ["parquet", "--partition", "month"], work / "by-month")], n)
        print(f"\n2. exports of all {n:,} articles, one newscrawler process each, median of {rounds}:")
        print_table(("", "seconds", "articles/s", "peak RSS MiB", "output MB", "vs jsonl"), rows)

        limit = ["--limit", str(n_wacz)]
        rows = measure([("export jsonl --limit (baseline)", ["jsonl", *limit], work / "b.jsonl"),
                        ("export wacz --limit", ["wacz", *limit], work / "b.wacz")], n_wacz)
        with zipfile.ZipFile(work / "b.wacz") as wacz:
            pages = len(wacz.read("pages/pages.jsonl").splitlines()) - 1
        print(f"\n3. the newest {n_wacz:,} articles ({pages:,} pages in the WACZ), median of {rounds}:")
        print_table(("", "seconds", "articles/s", "peak RSS MiB", "output MB", "vs jsonl"), rows)
        client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="replica pages for the index costs")
    parser.add_argument("--docs", type=int, default=20_000, help="articles in the export archive")
    parser.add_argument("--wacz", type=int, default=2_000, help="articles in the WACZ export")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nc-bench-replay-"))
    try:
        index_costs(args.pages, args.rounds, work)
        export_costs(args.docs, min(args.wacz, args.docs), args.rounds, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
