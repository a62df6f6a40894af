"""Revisit benchmark: the cost of checking archived articles again, with and without conditional
requests, on a replica served on loopback.

Run by hand (not in CI):  .venv/bin/python benchmarks/bench_revisit.py [--articles 1000]

One run: the replica (answering with ETag and Last-Modified, ``send_validators``) is crawled
into a fresh archive, then two revisit passes check every archived article (``nbd-revisit -a
all=1``, the spider of ``newscrawler revisit --all``) on the same unchanged site:

- unconditional: the archive's ``validators`` removed first, so every check downloads the page
  (as against a site that sends no validators), extracts it and finds it unchanged;
- conditional: the validators that pass kept, so every check sends If-None-Match /
  If-Modified-Since and the site answers an empty 304.

For each it prints, per 1,000 archived articles: requests, bytes sent and received (Scrapy's
``downloader/*`` stats), and the pass's seconds with no download delay (the CPU and database
cost; at the site's polite rate a pass takes requests x the delay either way). The MongoDB is a
SecantusDB started here (or MONGO_URI).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import REPO, mongo_description, mongo_server, print_table

from nbd_replica.corpus import generate_articles
from nbd_replica.procs import crawl_command
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite

SEED = 16
DB_NAME = "bench_revisit"
CRAWL_TIMEOUT = 1800
PASSES = ("unconditional", "conditional")


def stat(log: str, key: str) -> float:
    """A value of the stats dump Scrapy logs when a crawl closes (0 when absent)."""
    m = re.search(rf"'{re.escape(key)}': ([0-9.]+)", log)
    return float(m.group(1)) if m else 0.0


def run(args: list[str], env: dict) -> str:
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=CRAWL_TIMEOUT)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return done.stderr


def archive_site(server, mongo_uri: str, workdir: Path) -> str:
    """The first crawl: every column walked to its end (the archive the revisits check)."""
    args, env = crawl_command(server, mongo_uri, DB_NAME, workdir, pages=1000)
    return run(args, env)


def revisit_all(server, mongo_uri: str, workdir: Path) -> str:
    args, env = crawl_command(server, mongo_uri, DB_NAME, workdir, all=1)
    args[args.index("nbd")] = "nbd-revisit"
    at = args.index("-a")  # the column list: a revisit takes none
    del args[at:at + 2]
    return run(args, env)


def forget_validators(mongo_uri: str) -> None:
    import pymongo

    client = pymongo.MongoClient(mongo_uri)
    try:
        client[DB_NAME].articles.update_many({}, {"$unset": {"validators": ""}})
    finally:
        client.close()


def measure(log: str) -> dict[str, float]:
    return {"checked": stat(log, "newscrawler/revisit/checked"),
            "not_modified": stat(log, "newscrawler/revisit/not_modified"),
            "requests": stat(log, "downloader/request_count"),
            "sent": stat(log, "downloader/request_bytes"),
            "received": stat(log, "downloader/response_bytes"),
            "seconds": stat(log, "elapsed_time_seconds")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000, help="replica size = archived articles (default 1000)")
    args = parser.parse_args()

    site = ReplicaSite(generate_articles(args.articles, seed=SEED), load_more=False)
    site.send_validators = True
    tmp = Path(tempfile.mkdtemp(prefix="nc-bench-revisit-"))
    results = {}
    try:
        # The replica in this process: the crawls run in processes of their own, and this one
        # only waits for them.
        with mongo_server(str(tmp / "mongo")) as mongo_uri, serve(site) as server:
            crawl_log = archive_site(server, mongo_uri, tmp)
            archived = stat(crawl_log, "newscrawler/new")
            for name in PASSES:
                if name == "unconditional":
                    forget_validators(mongo_uri)
                results[name] = measure(revisit_all(server, mongo_uri, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{int(archived)} archived articles (replica seed {SEED}), "
          f"every one checked in each pass; no download delay, concurrency 16, replica on loopback; "
          f"MongoDB: {mongo_description()}")
    print("figures per 1,000 archived articles")
    per = 1000 / archived
    rows = []
    for name in PASSES:
        r = results[name]
        rows.append((name, int(r["checked"]), int(r["not_modified"]), f"{r['requests'] * per:.0f}",
                     f"{r['sent'] * per / 1024:.0f} KiB", f"{r['received'] * per / 1024:.0f} KiB",
                     f"{r['seconds'] * per:.1f}"))
    print_table(("pass", "checked", "304", "requests", "sent", "received", "seconds"), rows)
    plain, conditional = results["unconditional"], results["conditional"]
    print(f"conditional / unconditional: received {conditional['received'] / plain['received']:.3f}x, "
          f"seconds {conditional['seconds'] / plain['seconds']:.2f}x, "
          f"requests {conditional['requests'] / plain['requests']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
