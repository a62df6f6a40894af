"""Several workers when things break: a worker killed, every worker killed, Redis gone or emptied.

Real worker processes on the replica site. The kill tests use the shared Redis on 6379 under
their own key prefix; the tests that stop Redis run their own redis-server on a free port.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from contextlib import contextmanager

import pytest

from tests import test_distributed
from nbd_replica.procs import free_port
from tests.crawling import REPO, archive, replica_site
from tests.operations_support import (
    columns_of,
    crawl_env,
    fast_settings,
    newscrawler_cmd,
    wait_for,
)
from tests.test_distributed import _worker

redis = pytest.importorskip("redis")
redis_prefix = test_distributed.redis_prefix  # the fixture: a key prefix of this test's own


def _articles_fetched(site, worker=None) -> int:
    return sum(1 for r in site.requests if r.kind == "article"
               and (worker is None or r.headers.get("user-agent") == f"worker-{worker}"))


def _archived_ids(mongo_uri, db_name) -> set[int]:
    return {d["article_id"] for d in archive(mongo_uri, db_name).articles.find({}, {"article_id": 1})}


def _kill(proc) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)  # reaped: its pid is gone, as after a real crash


def test_survivor_finishes_what_a_killed_worker_had_taken(mongo_uri, mongo_db_name, tmp_path, redis_prefix):
    """Worker a is SIGKILLed holding requests it took and items it fetched but had not written:
    worker b takes them back and the one run archives every article."""
    client, prefix = redis_prefix
    with replica_site(n=40, seed=31) as (site, server):
        site.faults.add(r"^/articles/", "delay", count=None, seconds=0.2)
        columns = columns_of(server)
        a = _worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, "a", columns)
        b = _worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, "b", columns)
        wait_for(lambda: _articles_fetched(site, "a") >= 5, timeout=60, what="worker a fetching")
        _kill(a)
        _, err = b.communicate(timeout=120)
    assert b.returncode == 0, err[-3000:]
    assert _archived_ids(mongo_uri, mongo_db_name) == set(site.articles)
    record = archive(mongo_uri, mongo_db_name).crawls.find_one({"finished_at": {"$ne": None}})
    assert any("stopped without finishing" in alert for alert in record["alerts"]), record["alerts"]
    assert list(client.scan_iter(f"{prefix}:*")) == []


def test_rerun_at_once_continues_when_every_worker_died(mongo_uri, mongo_db_name, tmp_path, redis_prefix):
    """Both workers SIGKILLed mid-crawl and the job run again at once (well within
    REDIS_WORKER_TIMEOUT): the rerun continues their queue and their taken requests."""
    client, prefix = redis_prefix
    with replica_site(n=40, seed=32) as (site, server):
        site.faults.add(r"^/articles/", "delay", count=None, seconds=0.2)
        columns = columns_of(server)
        workers = [_worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, name, columns) for name in "ab"]
        wait_for(lambda: _articles_fetched(site) >= 8, timeout=60, what="workers fetching")
        for proc in workers:
            _kill(proc)
        assert len(_archived_ids(mongo_uri, mongo_db_name)) < len(site.articles)
        started = time.monotonic()
        rerun = _worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, "c", columns)
        _, err = rerun.communicate(timeout=120)
        elapsed = time.monotonic() - started
    assert rerun.returncode == 0, err[-3000:]
    assert _archived_ids(mongo_uri, mongo_db_name) == set(site.articles)
    assert elapsed < 45  # not waiting out the dead workers' 60 s heartbeat timeout
    assert list(client.scan_iter(f"{prefix}:*")) == []


@contextmanager
def own_redis():
    """A redis-server of this test's own on a free port, no persistence (a restart is empty)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server binary")
    port = free_port()

    def start():
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=port)
        wait_for(lambda: _pings(client), timeout=10, what="redis-server up")
        return proc

    servers = [start()]
    try:
        yield port, servers, start
    finally:
        for proc in servers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def _cli_worker(server, mongo_uri, db_name, data_dir, port, *settings):
    env = crawl_env(server, mongo_uri, db_name, data_dir, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    args = newscrawler_cmd("crawl", "--columns", columns_of(server), "--pages", "20", "--no-progress",
                           *fast_settings(CONCURRENT_REQUESTS=2, REDIS_HEARTBEAT_INTERVAL=1), *settings)
    return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_worker_gives_up_when_redis_is_gone(mongo_uri, mongo_db_name, tmp_path):
    """Redis killed mid-crawl and not restarted: the worker ends within REDIS_UNAVAILABLE_TIMEOUT
    (plus the engine's idle check) with one clear line and exit 1, not hanging and logging."""
    with replica_site(n=30, seed=33) as (site, server), own_redis() as (port, servers, _):
        site.faults.add(r"^/articles/", "delay", count=None, seconds=0.2)
        proc = _cli_worker(server, mongo_uri, mongo_db_name, tmp_path / "w", port,
                           "-s", "REDIS_UNAVAILABLE_TIMEOUT=5", "-s", "REDIS_SOCKET_TIMEOUT=1")
        wait_for(lambda: _articles_fetched(site) >= 3, timeout=60, what="worker fetching")
        servers[0].kill()
        servers[0].wait()
        gone = time.monotonic()
        try:
            _, err = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"the worker still runs 40 s after Redis went away: {err[-2000:]}")
        elapsed = time.monotonic() - gone
    assert proc.returncode == 1, err[-3000:]
    assert elapsed < 20
    assert err.count("has not answered for") == 1 and "finish reason redis_unavailable" in err
    # The outage is logged once, not once per engine loop.
    assert err.count("does not answer") <= 2, err[-3000:]
    assert "Traceback" not in err, err[-3000:]


def test_redis_restarted_empty_is_not_a_finished_crawl(mongo_uri, mongo_db_name, tmp_path):
    """Redis restarted empty mid-crawl: the worker says so, exits 1 (finish reason redis_reset,
    an alert), and the next run archives the rest."""
    with replica_site(n=30, seed=34) as (site, server), own_redis() as (port, servers, start):
        site.faults.add(r"^/articles/", "delay", count=None, seconds=0.2)
        proc = _cli_worker(server, mongo_uri, mongo_db_name, tmp_path / "w", port)
        wait_for(lambda: _articles_fetched(site) >= 3, timeout=60, what="worker fetching")
        servers[0].kill()
        servers[0].wait()
        servers.append(start())
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, err[-3000:]
        assert "redis_reset" in out + err and "marker vanished" in err
        record = archive(mongo_uri, mongo_db_name).crawls.find_one({})
        assert record["finish_reason"] == "redis_reset"
        assert any("state in Redis is gone" in alert for alert in record["alerts"])

        # --full: walking past list pages whose articles are all archived is the column
        # completeness work (issue 15's first point), not the queue's.
        again = _cli_worker(server, mongo_uri, mongo_db_name, tmp_path / "w", port, "--full")
        _, err2 = again.communicate(timeout=120)
    assert _archived_ids(mongo_uri, mongo_db_name) == set(site.articles), err2[-2000:]
