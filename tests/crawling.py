"""Run real crawls in tests: the replica site on loopback, `scrapy crawl nbd` in a subprocess
(started by ``nbd_replica.procs``, which benchmarks and the fault scenarios share).

A subprocess per crawl because Twisted's reactor starts once per process, and because the
tests must see what a user sees: the project's settings, its pipelines, its exit code.
"""

from __future__ import annotations

from contextlib import contextmanager

import pymongo

from nbd_replica.corpus import generate_articles
from nbd_replica.procs import FAST_SETTINGS, REPO, crawl, crawl_command  # noqa: F401 - the tests' imports
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite


@contextmanager
def replica_site(n: int = 40, seed: int = 1, **site_kwargs):
    """(site, running server) for ``n`` generated articles."""
    site = ReplicaSite(generate_articles(n, seed=seed), **site_kwargs)
    with serve(site) as server:
        yield site, server


def archive(mongo_uri: str, db_name: str):
    return pymongo.MongoClient(mongo_uri, tz_aware=True)[db_name]
