"""One id range backfilled by several workers through Redis (crawl/chunks.py): real
`newscrawler backfill --ids A-B` processes against the replica, Redis on 127.0.0.1:6379 under a
key prefix of each test's own (deleted afterwards)."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections import Counter

import pytest

from tests.crawling import REPO, archive, crawl, replica_site
from tests.operations_support import crawl_env, fast_settings, newscrawler_cmd, wait_for
from tests.test_distributed import REDIS_URL, redis_prefix  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e
CHUNK = 40


def _range(site, count: int) -> tuple[int, int]:
    ids = sorted(site.articles)
    return ids[1] - 5, ids[count] + 5


def _worker(server, mongo_uri, db_name, data_dir, prefix, name, ids: str, **settings):
    argv = newscrawler_cmd("backfill", "--ids", ids,
                           *fast_settings(CONCURRENT_REQUESTS=4, CONCURRENT_REQUESTS_PER_DOMAIN=4,
                                          USER_AGENT=f"worker-{name}", REDIS_HEARTBEAT_INTERVAL=1,
                                          BACKFILL_CHUNK=CHUNK, **settings))
    env = crawl_env(server, mongo_uri, db_name, data_dir / name, REDIS_URL=REDIS_URL, REDIS_KEY_PREFIX=prefix)
    return subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _fetched(site, worker=None) -> Counter:
    return Counter(r.article_id for r in site.article_requests()
                   if worker is None or r.headers.get("user-agent") == f"worker-{worker}")


def _asked_again(fetched: Counter) -> int:
    return sum(n - 1 for n in fetched.values())


def _retries(*logs: str) -> int:
    """Requests the workers' retry middleware sent again (a connection lost on a loaded machine):
    the only way an id may be asked twice in a run (Scrapy's stats dump in each log)."""
    return sum(int(n) for log in logs for n in re.findall(r"'retry/count': (\d+)", log))


def _chunks(first, last) -> list[tuple[int, int]]:
    return [(s, min(s + CHUNK - 1, last)) for s in range(first, last + 1, CHUNK)]


def _archived(db) -> list[int]:
    return [d["article_id"] for d in db.articles.find({}, {"article_id": 1})]


def test_two_workers_share_a_range_each_id_fetched_once(mongo_uri, mongo_db_name, tmp_path, redis_prefix):  # noqa: F811
    client, prefix = redis_prefix
    with replica_site(n=14, seed=41) as (site, server):
        site.faults.add(r"^/rss/", "delay", count=None, seconds=0.04)  # both workers get a share
        first, last = _range(site, 9)
        in_range = {a for a in site.articles if first <= a <= last}
        db = archive(mongo_uri, mongo_db_name)
        archived_before = sorted(in_range)[2]
        assert crawl(server, mongo_uri, mongo_db_name, tmp_path / "pre", columns="",
                     urls=str(archived_before)).returncode == 0
        site.reset_log()
        workers = {name: _worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, name, f"{first}-{last}")
                   for name in "ab"}
        outputs = {name: proc.communicate(timeout=180) for name, proc in workers.items()}
        fetched = _fetched(site)
        by_worker = {name: _fetched(site, name) for name in workers}

        for name, proc in workers.items():
            assert proc.returncode == 0, outputs[name][1][-3000:]
        # Every id of the range asked once over both workers, the archived one not at all.
        assert set(fetched) == set(range(first, last + 1)) - {archived_before}
        assert _asked_again(fetched) == _retries(*(err for _, err in outputs.values())), fetched.most_common(3)
        assert all(by_worker.values()), {n: len(c) for n, c in by_worker.items()}
        # Each article archived exactly once.
        assert sorted(_archived(db)) == sorted(in_range)
        # Every chunk's checkpoint is in the archive, done; the counts add up over the workers.
        docs = {(d["first"], d["last"]): d for d in db.backfills.find({})}
        assert set(docs) == set(_chunks(first, last))
        assert all(d["done"] for d in docs.values())
        assert sum(d["counts"]["skipped_archived"] for d in docs.values()) == 1
        assert sum(d["counts"]["articles"] for d in docs.values()) == len(in_range) - 1
        records = list(db.crawls.find({"args.ids": f"{first}-{last}"}))
        assert sum(r["stats"]["pages"] for r in records) == len(in_range) - 1
        assert sorted(r["worker"]["redis"]["last_worker"] for r in records) == [False, True]
        assert all(r["finish_reason"] == "finished" and r["alerts"] == [] for r in records)
        summary = "".join(out for out, _ in outputs.values())
        assert f"of {len(_chunks(first, last))} done by all workers" in summary
        # The last worker out deleted the range's keys (the archive keeps what was done).
        assert list(client.scan_iter(f"{prefix}:*")) == []

        site.reset_log()  # the range is done: a rerun asks nothing
        again = _worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, "c", f"{first}-{last}")
        _, err = again.communicate(timeout=120)
        assert again.returncode == 0, err[-3000:]
        assert site.article_requests() == []
        assert list(client.scan_iter(f"{prefix}:*")) == []


def _taken_by(client, prefix, pid: int) -> list[int]:
    """The chunks the worker process ``pid`` holds in Redis."""
    ns = next(k.decode() for k in client.scan_iter(f"{prefix}:*:procs")).rsplit(":", 1)[0]
    worker = next(w.decode() for w, entry in client.hgetall(f"{ns}:procs").items()
                  if entry.decode().endswith(f" {pid}"))
    return [int(c) for c in client.lrange(f"{ns}:taken:{worker}", 0, -1)]


def test_a_killed_workers_chunk_is_finished_by_the_other(mongo_uri, mongo_db_name, tmp_path, redis_prefix):  # noqa: F811
    client, prefix = redis_prefix
    with replica_site(n=10, seed=42) as (site, server):
        site.faults.add(r"^/rss/", "delay", count=None, seconds=0.1)
        first, last = _range(site, 6)
        in_range = {a for a in site.articles if first <= a <= last}
        a = _worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, "a", f"{first}-{last}")
        b = _worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, "b", f"{first}-{last}")
        wait_for(lambda: len(_fetched(site, "a")) >= 15 and _fetched(site, "b"), timeout=90,
                 what="both workers fetching")
        a.send_signal(signal.SIGSTOP)  # frozen: what it holds cannot change while read
        held = _taken_by(client, prefix, a.pid)
        a.send_signal(signal.SIGKILL)
        a.communicate(timeout=30)
        killed_at = len(site.article_requests())
        _, err = b.communicate(timeout=180)
        requests = site.article_requests()

    assert b.returncode == 3, err[-3000:]  # finished, with the alert that a worker died
    assert "stopped without finishing" in err
    assert held, "worker a held no chunk when killed"
    db = archive(mongo_uri, mongo_db_name)
    assert sorted(_archived(db)) == sorted(in_range)  # each once
    fetched = Counter(r.article_id for r in requests)
    assert set(fetched) == set(range(first, last + 1))
    # a's chunks were finished by b after the kill, from their checkpoints: an id was asked
    # twice only in a chunk a held (what it had asked since its last checkpoint).
    held_ids = {i for c in held for i in range(c, min(c + CHUNK - 1, last) + 1)}
    after = {r.article_id for r in requests[killed_at:]}
    assert after & held_ids and all(r.headers.get("user-agent") == "worker-b" for r in requests[killed_at:])
    twice = {i for i, n in fetched.items() if n > 1}
    assert twice <= held_ids and max(fetched.values()) <= 2
    assert all(d["done"] for d in db.backfills.find({})) and db.backfills.count_documents({}) == len(_chunks(first, last))
    record = db.crawls.find_one({"finished_at": {"$ne": None}})
    assert any("stopped without finishing" in alert for alert in record["alerts"]), record["alerts"]
    assert list(client.scan_iter(f"{prefix}:*")) == []


def test_workers_stopped_and_started_again_continue_the_unfinished_chunks(
        mongo_uri, mongo_db_name, tmp_path, redis_prefix):  # noqa: F811
    client, prefix = redis_prefix
    with replica_site(n=10, seed=43) as (site, server):
        site.faults.add(r"^/rss/", "delay", count=None, seconds=0.1)
        first, last = _range(site, 6)
        in_range = {a for a in site.articles if first <= a <= last}
        workers = [_worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, name, f"{first}-{last}")
                   for name in "ab"]
        wait_for(lambda: len(_fetched(site)) >= 60, timeout=90, what="the workers fetching")
        for proc in workers:
            proc.send_signal(signal.SIGINT)  # stopped as Ctrl-C stops them: checkpoints saved
        for proc in workers:
            proc.communicate(timeout=60)
        first_run = _fetched(site)
        db = archive(mongo_uri, mongo_db_name)
        stopped = {(d["first"], d["last"]): d for d in db.backfills.find({})}
        assert stopped and not all(d["done"] for d in stopped.values())
        assert list(client.scan_iter(f"{prefix}:*")) == []  # the last one out cleaned up
        archived_then = set(_archived(db))
        site.reset_log()

        started = time.monotonic()
        workers = [_worker(server, mongo_uri, mongo_db_name, tmp_path, prefix, name, f"{first}-{last}")
                   for name in "cd"]
        logs = []
        for proc in workers:
            _, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err[-3000:]
            logs.append(err)
        second_run = _fetched(site)
        assert time.monotonic() - started < 120

    assert sorted(_archived(db)) == sorted(in_range)
    assert set(first_run) | set(second_run) == set(range(first, last + 1))
    assert _asked_again(second_run) == _retries(*logs), second_run.most_common(3)
    # Settled ids are not asked again: the second run starts each chunk at its checkpoint, and
    # skips the ids archived meanwhile without a request.
    for (chunk_first, chunk_last), doc in stopped.items():
        again = [i for i in second_run if chunk_first <= i <= chunk_last]
        assert not again or min(again) >= doc["next_id"], (chunk_first, doc["next_id"], min(again))
    assert not set(second_run) & archived_then
    assert all(d["done"] for d in db.backfills.find({}))
    assert list(client.scan_iter(f"{prefix}:*")) == []
