"""Crawl benchmark: the full crawl beside a bare Scrapy spider, on a replica served on loopback.

Run by hand (not in CI):  .venv/bin/python benchmarks/bench_crawl.py [--sizes 500,2000]

For each replica size, in one run and on the same server process, prints:
- pages per minute of the full crawl (`scrapy crawl nbd`: discovery from column pages,
  extraction, validation, dedup, thumbnails, batched MongoDB writes),
- pages per minute of a bare Scrapy spider fetching the same pages (list pages and articles)
  with the same concurrency and doing nothing with them,
- their ratio (target: at least 0.7), and the peak memory of each crawl (target: flat as
  the crawl grows, compared across sizes).
The MongoDB is a SecantusDB started here (or MONGO_URI). Article pages per minute counts
article pages only; both crawls fetch the same list pages too.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import REPO, mongo_description, mongo_server, print_table, replica_process

CONCURRENCY = 16
SEED = 11

BARE_SPIDER = '''
import scrapy

class Bare(scrapy.Spider):
    name = "bare"

    async def start(self):
        for url in open(self.urls_file, encoding="utf-8").read().split():
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response):
        self.crawler.stats.inc_value("bare/pages")
'''


def stat(log: str, key: str) -> float:
    m = re.search(rf"'{re.escape(key)}': ([0-9.]+)", log)
    return float(m.group(1)) if m else 0.0


def site_urls(base: str, n: int) -> tuple[list[str], list[int]]:
    """Every page the full crawl fetches, computed from the same site: list pages, article
    pages and the lead images it downloads as thumbnails."""
    from nbd_replica.corpus import generate_articles
    from nbd_replica.expected import expected_record
    from nbd_replica.site import ReplicaSite

    site = ReplicaSite(generate_articles(n, seed=SEED), load_more=False)
    urls = []
    for cid in sorted(site.column_ids):
        pages = max(1, -(-len(site.listing(cid)) // 20))
        urls += [f"{base}/columns/{cid}"] + [f"{base}/columns/{cid}/page/{p}" for p in range(2, pages + 1)]
    for spec in site.articles.values():
        urls.append(spec.url(base))
        thumbnail = expected_record(spec, base, base)["thumbnail_url"]
        if thumbnail:
            urls.append(thumbnail)
    return urls, sorted(site.column_ids)


def run_full(base: str, columns: list[int], mongo_uri: str, workdir: Path) -> str:
    env = {**os.environ, "NBD_BASE_URL": base, "MONGO_URI": mongo_uri, "MONGO_DATABASE": "bench_" + workdir.name.replace(".", "_").replace("-", "_"),
           "NEWSCRAWLER_DATA_DIR": str(workdir / "data"), "IMAGES_STORE": str(workdir / "images")}
    args = [sys.executable, "-m", "scrapy", "crawl", "nbd", "-a", "columns=" + ",".join(map(str, columns)),
            "-a", "pages=1000", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
            "-s", f"CONCURRENT_REQUESTS={CONCURRENCY}", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={CONCURRENCY}",
            "-s", "ROBOTSTXT_OBEY=0", "-s", "LOG_LEVEL=INFO", "-s", "MEMUSAGE_ENABLED=1"]
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return done.stderr


def run_bare(urls: list[str], workdir: Path) -> str:
    spider = workdir / "bare_spider.py"
    spider.write_text(BARE_SPIDER)
    urls_file = workdir / "urls.txt"
    urls_file.write_text("\n".join(urls))
    args = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"urls_file={urls_file}",
            "-s", f"CONCURRENT_REQUESTS={CONCURRENCY}", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={CONCURRENCY}",
            "-s", "LOG_LEVEL=INFO", "-s", "MEMUSAGE_ENABLED=1", "-s", "TELNETCONSOLE_ENABLED=0"]
    done = subprocess.run(args, cwd=workdir, capture_output=True, text=True)  # no project here: bare Scrapy
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000", help="replica sizes (articles), comma-separated")
    parser.add_argument("--latency", default="0,0.1",
                        help="seconds each answer of the replica waits, comma-separated runs (default 0,0.1)")
    args = parser.parse_args()
    latencies = [float(x) for x in args.latency.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="nc-bench-crawl-"))
    rows = []
    try:
        with mongo_server(str(tmp / "mongo")) as mongo_uri:
            for latency, n in [(lat, n) for lat in latencies for n in sizes]:
                with replica_process(n, SEED, latency=latency, load_more=False) as base:
                    urls, columns = site_urls(base, n)
                    work = tmp / f"n{n}-l{latency}"
                    work.mkdir()
                    run_bare(urls, work)  # warms the server's page and image caches for both runs
                    bare_log = run_bare(urls, work)
                    full_log = run_full(base, columns, mongo_uri, work)
                full_pages = stat(full_log, "newscrawler/article_pages")
                full_secs = stat(full_log, "elapsed_time_seconds")
                bare_secs = stat(bare_log, "elapsed_time_seconds")
                articles_in_bare = n
                rows.append((latency, n, full_pages, full_secs, 60 * full_pages / full_secs, 60 * articles_in_bare / bare_secs,
                             stat(full_log, "memusage/max") / 2**20, stat(bare_log, "memusage/max") / 2**20,
                             stat(full_log, "newscrawler/new"), stat(full_log, "newscrawler/thumbnails_ok")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"concurrency {CONCURRENCY}, replica on loopback (separate process), MongoDB: {mongo_description()}")
    print("pages per minute = article pages per minute; both crawls fetch the same list pages, article"
          " pages and thumbnail images")
    print_table(("latency", "articles", "archived", "thumbs", "full p/min", "bare p/min", "ratio", "full MB", "bare MB"),
                [(f"{latency * 1000:.0f}ms", n, int(new), int(thumbs), f"{full_rate:.0f}", f"{bare_rate:.0f}",
                  f"{full_rate / bare_rate:.2f}", f"{full_mb:.0f}", f"{bare_mb:.0f}")
                 for latency, n, pages, secs, full_rate, bare_rate, full_mb, bare_mb, new, thumbs in rows])
    for latency in latencies:
        same = [r for r in rows if r[0] == latency]
        if len(same) > 1:
            print(f"latency {latency * 1000:.0f} ms: peak memory of the full crawl {same[-1][6]:.0f} MB at "
                  f"{same[-1][1]} articles vs {same[0][6]:.0f} MB at {same[0][1]} "
                  f"({same[-1][6] / same[0][6]:.2f}x for {same[-1][1] / same[0][1]:.0f}x the articles)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
