"""`newscrawler demo`: the one-minute tour.

Serves the project's replica of 每经网 on loopback, crawls it with the real spider and
pipelines into the archive (the embedded server when MONGO_URI is unset), and prints what it
archived. Needs no MongoDB and no access to the real site.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

from newscrawler.cli import CommandError, argtypes
from newscrawler.timeutil import BEIJING, beijing_text

# About how many articles generate_articles puts on one day.
ARTICLES_PER_DAY = 24


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="crawl a replica of the site on loopback into the archive",
                              description=__doc__.strip().splitlines()[0])
    p.add_argument("--articles", type=argtypes.positive_int, default=120, help="articles in the replica (default 120)")
    p.add_argument("--seed", type=int, default=2026, help="replica seed (same seed, same site)")
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler import config
    from newscrawler.store.connection import get_database, redact_uri, resolve_mongo_uri
    try:  # the replica is repo-only (testing/): not part of the package or its Scrapyd egg
        from nbd_replica.corpus import generate_articles
        from nbd_replica.server import serve
        from nbd_replica.site import ReplicaSite
    except ImportError:
        raise CommandError("the demo needs the site replica, which lives in the repository: install it "
                           "with `pip install -e ./testing` in a checkout (setup.sh does)") from None
    from newscrawler.cli.commands.crawl import check_free_space
    from newscrawler.crawl.runner import project_settings, run_crawl

    check_free_space(project_settings())
    # Recent news: the replica's articles run up to yesterday (Beijing), none in the future.
    days = max(1, args.articles // ARTICLES_PER_DAY)
    start = dt.datetime.now(BEIJING).date() - dt.timedelta(days=days)
    site = ReplicaSite(generate_articles(args.articles, seed=args.seed, start_date=start))
    with serve(site) as server:
        print(f"Serving a replica of 每经网 with {args.articles} articles at {server.base_url}")
        overrides = {"NBD_BASE_URL": server.base_url, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                     "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "LOG_LEVEL": "WARNING"}
        columns = ",".join(str(c) for c in sorted(site.column_ids))
        outcome = run_crawl({"columns": columns, "pages": 50}, overrides, progress=sys.stderr.isatty())

    settings = project_settings(overrides)
    counts = outcome["counts"]
    print(f"\nCrawl {outcome['crawl_id']} {outcome['finish_reason']}: {counts['pages']} article pages fetched, "
          f"{counts['new']} new, {counts['updated']} updated, {counts['unchanged']} unchanged, "
          f"{counts['rejected']} rejected, {counts['thumbnails_ok']} thumbnails")
    if outcome["finish_reason"] != "finished":
        raise CommandError(f"the demo's crawl did not finish (finish reason {outcome['finish_reason']!r}); "
                           f"its log above says why")
    if counts["pages"] == 0 and counts["list_pages"]:
        print("Nothing new to fetch: the replica is already in the archive (crawls are incremental).")
    uri, embedded = resolve_mongo_uri(settings)
    db = get_database(settings)
    try:
        total = db.articles.count_documents({})
        print(f"\nThe archive holds {total} articles. Newest (Beijing time):")
        newest = list(db.articles.find({}, {"article_id": 1, "title": 1, "authors": 1, "category": 1,
                                            "published_at": 1}).sort("published_at", -1).limit(5))
        for doc in newest:
            who = "、".join(doc.get("authors") or []) or "—"
            print(f"  {beijing_text(doc.get('published_at'), seconds=False)}  {doc['article_id']}  "
                  f"[{doc.get('category') or '—'}] {doc['title']}  ({who})")
    finally:
        db.client.close()
    print(f"\nWhere the data lives:\n  MongoDB:    {redact_uri(uri)} database {db.name}"
          f"{' (embedded server; `newscrawler db status` / `db stop`)' if embedded else ''}")
    print(f"  data dir:   {config.data_dir(settings)}")
    images = config.images_store(settings)
    print(f"  thumbnails: {images if '://' in images else os.path.abspath(images)}")
    example = newest[0]["article_id"] if newest else "<id>"
    print(f"\nNext: `newscrawler query --since 2d --limit 5`, `newscrawler stats`, `newscrawler show {example}`.")
    return 0 if outcome["finish_reason"] == "finished" else 1
