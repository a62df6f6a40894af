"""What keeping every fetched page costs: WARC on vs off, side by side in one run (prints figures).

Usage: .venv/bin/python benchmarks/bench_warc.py [--articles 1000] [--rounds 3] [--concurrency 16]
                                                [--modes off,on]

``--modes`` picks the crawls of each round: ``off``, ``on`` (the project's defaults) and
variants of one setting (``on-gzip1``, ``on-gzip3``, ``on-gzip6``, ``on-sync``, ``on-thread``,
``on-nofsync``, ``on-fsync`` and their ``-b10`` forms with MongoDB batches of 10).

Serves a replica of ``--articles`` articles on loopback, warms its page cache with one
crawl, then crawls it ``--rounds`` times with the WARC writer off and on, alternating
(off-on, on-off, ...) so drift of the machine hits both alike; each crawl is the full
`scrapy crawl nbd` (discovery, extraction, thumbnails, MongoDB) into a fresh database.
Prints, per crawl and as medians:

- article pages per minute with WARC off and on, and the difference (target: under 10 %);
  the time is the crawl record's started_at -> finished_at, so it includes closing the files;
- CPU time of the crawl process per article page, off and on: on loopback the crawl is
  CPU-bound, so this is the throughput cost, and it stays meaningful on a busy machine where
  wall-clock rates swing by tens of % between identical crawls;
- bytes stored per article: the article's own response record (gzip member), and all WARC
  bytes (article and list pages, request records, warcinfo) divided by the articles;
- the writer's own CPU cost, timed outside Scrapy at gzip levels 1, 3, 6 and 9: building
  and compressing the records of every article page, in ms per page.

The MongoDB is a SecantusDB started here (or MONGO_URI).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from harness import mongo_server

import pymongo

from nbd_replica.corpus import generate_articles
from nbd_replica.procs import crawl
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from newscrawler.warc.writer import WarcFileWriter

SEED = 7


# Crawl modes: "on" is the project's defaults; the others vary one WARC setting.
MODES = {
    "off": {"WARC_ENABLED": "0"},
    "on": {"WARC_ENABLED": "1"},
    "on-sync": {"WARC_ENABLED": "1", "WARC_WRITER_THREAD": "0"},
    "on-thread": {"WARC_ENABLED": "1", "WARC_WRITER_THREAD": "1"},
    "on-gzip1": {"WARC_ENABLED": "1", "WARC_GZIP_LEVEL": "1"},
    "on-gzip3": {"WARC_ENABLED": "1", "WARC_GZIP_LEVEL": "3"},
    "on-gzip6": {"WARC_ENABLED": "1", "WARC_GZIP_LEVEL": "6"},
    # Write-ahead: one flush (+ fsync) per MongoDB batch (100 articles, or 10: ten times the syncs).
    "on-nofsync": {"WARC_ENABLED": "1", "WARC_FSYNC": "0"},
    "on-fsync": {"WARC_ENABLED": "1", "WARC_FSYNC": "1"},
    "on-nofsync-b10": {"WARC_ENABLED": "1", "WARC_FSYNC": "0", "MONGO_BATCH_SIZE": "10"},
    "on-fsync-b10": {"WARC_ENABLED": "1", "WARC_FSYNC": "1", "MONGO_BATCH_SIZE": "10"},
}


def one_crawl(server, mongo_uri: str, work: Path, mode: str, concurrency: int) -> dict:
    db_name = f"nc_bench_warc_{uuid.uuid4().hex[:8]}"
    data_dir = work / db_name
    warc = mode != "off"
    settings = {**MODES[mode], "CONCURRENT_REQUESTS": str(concurrency),
                "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency), "LOG_LEVEL": "WARNING"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = crawl(server, mongo_uri, db_name, data_dir, pages=100_000, settings=settings, timeout=3600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    client = pymongo.MongoClient(mongo_uri, tz_aware=True)
    try:
        db = client[db_name]
        record = db.crawls.find_one({})
        seconds = (record["finished_at"] - record["started_at"]).total_seconds()
        pages = record["stats"]["pages"]
        articles = db.articles.count_documents({})
        lengths = [d["warc"]["length"] for d in db.articles.find({"warc": {"$exists": True}}, {"warc.length": 1})]
        warc_dir = data_dir / "warc"
        files = sorted(warc_dir.glob("*.warc.gz")) if warc_dir.is_dir() else []
        result = {"mode": mode, "warc": warc, "seconds": seconds, "cpu_ms": 1000 * cpu / pages, "pages": pages, "articles": articles,
                  "requests": record["stats"].get("requests", 0),
                  "per_min": 60 * pages / seconds, "warc_bytes": sum(f.stat().st_size for f in files),
                  "files": len(files), "record_lengths": lengths}
        client.drop_database(db_name)
    finally:
        client.close()
    shutil.rmtree(data_dir, ignore_errors=True)
    return result


def writer_cost(site: ReplicaSite, base_url: str, work: Path, level: int) -> tuple[float, float]:
    """(ms per article page, compressed bytes per page) for building + compressing its records."""
    pages = [(spec.url(base_url), site.handle("GET", spec.path, {}, base_url).body)
             for spec in site.articles.values()]
    writer = WarcFileWriter(work / f"writer-{level}", "bench", gzip_level=level, info={"software": "bench"})
    headers = [(b"Content-Type", b"text/html; charset=utf-8"), (b"Server", b"nginx")]
    request_headers = [(b"User-Agent", b"newscrawler"), (b"Accept-Encoding", b"gzip, deflate, br, zstd")]
    start = time.process_time()  # CPU time: steady on a busy machine
    total = 0
    for url, body in pages:
        location = writer.write_exchange(url, status=200, headers=headers + [(b"Content-Length", str(len(body)).encode())],
                                         body=body, request=("GET", url.split("/", 3)[3], request_headers),
                                         extra_headers={"Newscrawler-Column-Id": 1})
        total += location.length
    writer.close()
    elapsed = time.process_time() - start
    shutil.rmtree(work / f"writer-{level}", ignore_errors=True)
    return 1000 * elapsed / len(pages), total / len(pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="off/on pairs (default 3)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--modes", default="off,on",
                        help=f"crawls of each round, comma-separated, from {', '.join(MODES)} (default off,on)")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in MODES for m in modes):
        parser.error(f"--modes: choose from {', '.join(MODES)}")

    work = Path(tempfile.mkdtemp(prefix="nc-bench-warc-"))
    runs = []
    try:
        with mongo_server(str(work / "mongo")) as mongo_uri:
            site = ReplicaSite(generate_articles(args.articles, seed=SEED), log_size=1000)
            with serve(site) as server:
                print(f"replica: {args.articles} articles in {len(site.column_ids)} columns at {server.base_url}; "
                      f"concurrency {args.concurrency}", flush=True)
                one_crawl(server, mongo_uri, work, "off", args.concurrency)  # warm the page cache
                for n in range(args.rounds):
                    for mode in (modes if n % 2 == 0 else modes[::-1]):
                        run = one_crawl(server, mongo_uri, work, mode, args.concurrency)
                        runs.append(run)
                        print(f"  {mode:9}: {run['pages']} article pages in {run['seconds']:.1f} s "
                              f"= {run['per_min']:.0f} pages/min, {run['cpu_ms']:.2f} CPU ms/page" +
                              (f"; {run['warc_bytes'] / 1e6:.1f} MB in {run['files']} file(s)" if run["warc"] else ""),
                              flush=True)
                costs = {level: writer_cost(site, server.base_url, work, level) for level in (1, 3, 6, 9)}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"throughput, median of {args.rounds} crawl(s) each (article pages per minute; slower than off by):")
    median = {m: statistics.median(r["per_min"] for r in runs if r["mode"] == m) for m in modes}
    base = median.get("off")
    for mode in modes:
        every = ", ".join(f"{r['per_min']:.0f}" for r in runs if r["mode"] == mode)
        cost = f"{100 * (base - median[mode]) / base:+6.1f} %" if base and mode != "off" else " " * 8
        print(f"  {mode:9} {median[mode]:8.0f}  {cost}   (every crawl: {every})")
    print("CPU time of the crawl process per article page, median (it bounds throughput on loopback;"
          " unlike wall time it hardly moves with other load on the machine):")
    cpu = {m: statistics.median(r["cpu_ms"] for r in runs if r["mode"] == m) for m in modes}
    for mode in modes:
        every = ", ".join(f"{r['cpu_ms']:.2f}" for r in runs if r["mode"] == mode)
        cost = f"{100 * (cpu[mode] - cpu['off']) / cpu['off']:+6.1f} %" if "off" in cpu and mode != "off" else " " * 8
        rate = f"= {60_000 / cpu[mode]:6.0f} pages/min of CPU"
        print(f"  {mode:9} {cpu[mode]:6.2f} ms {rate}  {cost}   (every crawl: {every})")
    if base:
        print("  target: WARC on under 10 % slower than off")
    on = [r for r in runs if r["warc"]]
    if not on:
        return 0
    crawl_ms_per_page = statistics.median(r["cpu_ms"] for r in runs if r["mode"] == "off") if "off" in modes \
        else statistics.median(r["cpu_ms"] for r in on)
    print("bytes stored per article (gzip members):")
    for mode in [m for m in modes if m != "off"]:
        last = [r for r in runs if r["mode"] == mode][-1]
        print(f"  {mode:9} the article's response record {statistics.mean(last['record_lengths']) / 1024:5.1f} KiB; "
              f"all WARC bytes / articles {last['warc_bytes'] / last['articles'] / 1024:5.1f} KiB "
              f"(with list pages and request records: {last['requests']} requests for {last['articles']} articles)")
    print("writer's own CPU cost per article page (records built, compressed, buffered), timed alone,")
    print(f"as a share of the crawl process's CPU time per article page ({crawl_ms_per_page:.2f} ms):")
    for level, (ms, size) in costs.items():
        print(f"  gzip level {level}: {ms:5.2f} ms/page = {100 * ms / crawl_ms_per_page:4.1f} %, {size / 1024:5.1f} KiB/page"
              + ("   (warcio's own writer uses level 9)" if level == 9 else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
