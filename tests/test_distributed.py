"""Several workers, one Redis, one MongoDB: real worker processes on the replica site.

Uses the Redis on 127.0.0.1:6379 (skipped when none answers), each test under its own key
prefix, deleted afterwards.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest

from tests.crawling import REPO, archive, replica_site
from tests.operations_support import columns_of, crawl_env, fast_settings

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"nctest-{uuid.uuid4().hex[:10]}"
    yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def _worker(server, mongo_uri, db_name, data_dir, prefix, name, columns, *settings):
    args = [sys.executable, "-m", "scrapy", "crawl", "nbd", "-a", f"columns={columns}", "-a", "pages=20",
            *fast_settings(CONCURRENT_REQUESTS=2, CONCURRENT_REQUESTS_PER_DOMAIN=2, USER_AGENT=f"worker-{name}",
                           REDIS_HEARTBEAT_INTERVAL=1),
            *settings]
    env = crawl_env(server, mongo_uri, db_name, data_dir / name, REDIS_URL=REDIS_URL, REDIS_KEY_PREFIX=prefix)
    return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_without_redis_url_nothing_changes(monkeypatch):
    from scrapy.settings import Settings

    from newscrawler.crawl.addons import DistributedCrawl

    monkeypatch.delenv("REDIS_URL", raising=False)
    settings = Settings({"REDIS_URL": None})
    DistributedCrawl().update_settings(settings)
    assert settings.get("SCHEDULER") == "scrapy.core.scheduler.Scheduler"
    assert settings.get("DUPEFILTER_CLASS") == "scrapy.dupefilters.RFPDupeFilter"

    settings = Settings({"REDIS_URL": REDIS_URL})
    DistributedCrawl().update_settings(settings)
    assert settings.get("SCHEDULER") == "newscrawler.crawl.distributed.RedisScheduler"
    assert settings.get("DUPEFILTER_CLASS") == "newscrawler.crawl.distributed.ArticleDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST")


def test_two_workers_share_the_crawl(mongo_uri, mongo_db_name, tmp_path, redis_prefix):
    client, prefix = redis_prefix
    with replica_site(n=40, seed=21) as (site, server):
        # Slow article pages (~0.1 s each) so that both workers have work to share.
        site.faults.add(r"^/articles/", "delay", count=None, seconds=0.1)
        columns = columns_of(server)
        started = time.monotonic()
        workers = {name: _worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, name, columns)
                   for name in ("a", "b")}
        outputs = {name: proc.communicate(timeout=120) for name, proc in workers.items()}
        elapsed = time.monotonic() - started
        requests = site.requests
    for name, proc in workers.items():
        assert proc.returncode == 0, outputs[name][1][-3000:]

    # Every article archived exactly once, fetched exactly once over both workers.
    db = archive(mongo_uri, mongo_db_name)
    assert {d["article_id"] for d in db.articles.find({}, {"article_id": 1})} == set(site.articles)
    assert db.articles.count_documents({}) == len(site.articles)
    fetched = Counter(r.article_id for r in requests if r.kind == "article")
    assert set(fetched) == set(site.articles) and set(fetched.values()) == {1}, fetched.most_common(3)
    # List pages are shared work too: none fetched twice.
    listing = Counter(r.path for r in requests if r.kind in ("column", "load_more"))
    assert listing and max(listing.values()) == 1, listing.most_common(3)

    # Both did part of the work: the site's log (by user agent) and each worker's record agree.
    by_worker = Counter(r.headers.get("user-agent") for r in requests if r.kind == "article")
    assert by_worker["worker-a"] > 0 and by_worker["worker-b"] > 0, by_worker
    records = list(db.crawls.find({}))
    assert len(records) == 2
    assert sorted(r["stats"]["pages"] for r in records) == sorted(by_worker.values())
    assert sum(r["stats"]["new"] for r in records) == len(site.articles)
    namespaces = {r["worker"]["redis"]["namespace"] for r in records}
    assert len(namespaces) == 1 and namespaces.pop().startswith(f"{prefix}:nbd:adhoc-")
    assert sorted(r["worker"]["redis"]["last_worker"] for r in records) == [False, True]
    assert all(r["finish_reason"] == "finished" and r["alerts"] == [] for r in records)

    # The last worker out deleted the crawl's keys: nothing grows in Redis between runs.
    assert list(client.scan_iter(f"{prefix}:*")) == []
    assert elapsed < 60


def test_first_worker_clears_what_a_crashed_run_left(mongo_uri, mongo_db_name, tmp_path, redis_prefix):
    """A dead run's queue and fingerprints (no live worker) must not block the next run."""
    client, prefix = redis_prefix
    with replica_site(n=12, seed=22) as (site, server):
        ns = f"{prefix}:nbd:nightly"
        client.sadd(f"{ns}:dupefilter", *[f"article:{i}" for i in site.articles])  # "already fetched"
        client.zadd(f"{ns}:requests", {b"junk": 0})
        client.zadd(f"{ns}:workers", {"crashed-worker": time.time() - 3600})  # no heartbeat for an hour
        proc = _worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, "solo", columns_of(server),
                       "-s", "NEWSCRAWLER_JOB=nightly")
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    assert "starting fresh" in err
    db = archive(mongo_uri, mongo_db_name)
    assert db.articles.count_documents({}) == len(site.articles)
    record = db.crawls.find_one({})
    assert record["job"] == "nightly" and record["worker"]["redis"]["namespace"] == ns
    assert list(client.scan_iter(f"{prefix}:*")) == []


@pytest.mark.e2e  # the crawl command in a process
def test_crawl_refuses_to_start_when_redis_does_not_answer(tmp_path):
    from nbd_replica.procs import free_port
    from tests.operations_support import run_newscrawler

    env = crawl_env(None, "mongodb://127.0.0.1:1", "nc_unused", tmp_path / "data",
                    REDIS_URL=f"redis://:secret@127.0.0.1:{free_port()}/0")
    result = run_newscrawler("crawl", "--columns", "3", env=env, timeout=60)
    assert result.returncode == 1
    assert "Redis at redis://***@127.0.0.1" in result.stderr and "does not answer" in result.stderr
    assert "secret" not in result.stderr and result.stdout == ""
