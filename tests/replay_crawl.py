"""The crawl the replay tests share (tests/test_replay.py, tests/test_replayweb.py): a replica
with every fifth article over several pages and even-numbered article pages sent gzip-encoded,
crawled into WARC files rotated every 40 kB. A test module's fixtures call ``crawl_replica``
(module scope: one crawl per module) and ``point_cli_at``."""

from __future__ import annotations

import dataclasses
import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import pymongo

from nbd_replica.corpus import generate_articles, with_paged_articles
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from tests.crawling import crawl

MAX_SIZE = 40_000


class GzipReplica(ReplicaSite):
    """The replica, with even-numbered article pages sent ``Content-Encoding: gzip``."""

    def handle(self, method, target, headers, base_url):
        resp = super().handle(method, target, headers, base_url)
        accepts = {k.lower(): v for k, v in headers.items()}.get("accept-encoding", "")
        article = re.search(r"/articles/[\d-]+/(\d+)(?:-\d+)?\.html$", target)
        if resp.status == 200 and article and int(article.group(1)) % 2 == 0 and "gzip" in accepts:
            return dataclasses.replace(resp, body=gzip.compress(resp.body, mtime=0),
                                       headers=resp.headers + (("Content-Encoding", "gzip"),))
        return resp


def crawl_replica(mongo_uri: str, tmp_path_factory) -> Iterator[dict]:
    """Crawl the replica into a database of its own (dropped afterwards); yields where it went."""
    data_dir = tmp_path_factory.mktemp("replay-crawl")
    db_name = f"nc_replay_{id(data_dir) % 100000}"
    site = GzipReplica(with_paged_articles(generate_articles(20, seed=14), every=5), columns_per_page=8)
    with serve(site) as server:
        result = crawl(server, mongo_uri, db_name, data_dir, pages=20, settings={"WARC_MAX_SIZE": str(MAX_SIZE)})
        assert result.returncode == 0, result.stderr[-3000:]
    yield {"site": site, "db_name": db_name, "data_dir": Path(data_dir), "warc_dir": Path(data_dir) / "warc",
           "log": result.stderr}
    pymongo.MongoClient(mongo_uri).drop_database(db_name)


def point_cli_at(crawled: dict, mongo_uri: str, monkeypatch) -> dict:
    """Set the environment so that ``newscrawler`` commands read the crawl's archive."""
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", crawled["db_name"])
    monkeypatch.setenv("WARC_DIR", str(crawled["warc_dir"]))
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(crawled["data_dir"]))
    return crawled
