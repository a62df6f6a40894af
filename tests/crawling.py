"""Run real crawls in tests: the replica site on loopback, `scrapy crawl nbd` in a subprocess.

A subprocess per crawl because Twisted's reactor starts once per process, and because the
tests must see what a user sees: the project's settings, its pipelines, its exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pymongo

from nbd_replica.corpus import generate_articles
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite

REPO = Path(__file__).resolve().parent.parent
# Loopback replica: no politeness delays, quick back-off.
FAST_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "RETRY_BACKOFF_BASE": "0.05",
    "DOWNLOAD_TIMEOUT": "10",
    "LOG_LEVEL": "INFO",
}


@contextmanager
def replica_site(n: int = 40, seed: int = 1, **site_kwargs):
    """(site, running server) for ``n`` generated articles."""
    site = ReplicaSite(generate_articles(n, seed=seed), **site_kwargs)
    with serve(site) as server:
        yield site, server


def crawl_command(server, mongo_uri: str, db_name: str, data_dir, *, columns=None,
                  settings: dict | None = None, env: dict | None = None, base_settings: dict = FAST_SETTINGS,
                  feeds: tuple = (), **spider_args) -> tuple[list[str], dict]:
    """(argv, environment) of `scrapy crawl nbd` against the replica, into ``db_name``; each of
    ``feeds`` (file paths) is written as Scrapy's ``-O`` does (format from the extension)."""
    site_columns = columns if columns is not None else ",".join(str(c) for c in sorted(server.site.column_ids))
    args = [sys.executable, "-m", "scrapy", "crawl", "nbd", "-a", f"columns={site_columns}"]
    for key, value in spider_args.items():
        args += ["-a", f"{key}={value}"]
    for key, value in {**base_settings, **(settings or {})}.items():
        args += ["-s", f"{key}={value}"]
    for feed in feeds:
        args += ["-O", str(feed)]
    run_env = {**os.environ, "NBD_BASE_URL": server.base_url, "MONGO_URI": mongo_uri,
               "MONGO_DATABASE": db_name, "NEWSCRAWLER_DATA_DIR": str(data_dir),
               "IMAGES_STORE": str(Path(data_dir) / "images"), **(env or {})}
    return args, run_env


def crawl(server, mongo_uri: str, db_name: str, data_dir, *, timeout: float = 180,
          **options) -> subprocess.CompletedProcess:
    """`scrapy crawl nbd` against the replica; returns the finished process (output in .stdout)."""
    args, run_env = crawl_command(server, mongo_uri, db_name, data_dir, **options)
    return subprocess.run(args, cwd=REPO, env=run_env, capture_output=True, text=True, timeout=timeout)


def archive(mongo_uri: str, db_name: str):
    return pymongo.MongoClient(mongo_uri, tz_aware=True)[db_name]
