"""A shared range's chunks: their bounds and checkpoints in the archive (store/backfills.py), and
how Redis hands them out (crawl/chunks.py: take, done, a dead worker's chunks back, clean-up)."""

from __future__ import annotations

import time
import uuid

import pytest

from newscrawler.store.backfills import (
    chunk_bounds,
    chunk_start,
    range_progress,
    save_checkpoint,
    unfinished_chunks,
)

SITE = "http://replica"


def test_chunk_bounds_cover_the_range_once():
    assert chunk_bounds(10, 34, 10) == [(10, 19), (20, 29), (30, 34)]
    assert chunk_bounds(5, 5, 100) == [(5, 5)]
    with pytest.raises(ValueError, match="at least 1"):
        chunk_bounds(1, 2, 0)


def test_what_is_done_is_read_from_the_chunks_checkpoints(mongo_db):
    first, last, size = 100, 149, 10
    save_checkpoint(mongo_db, SITE, 100, 109, 110, {"articles": 2}, "c1")   # done
    save_checkpoint(mongo_db, SITE, 120, 129, 124, {"articles": 1}, "c1")   # to 123
    save_checkpoint(mongo_db, SITE, 100, 149, 100, {}, "other")             # the whole range, not walked
    save_checkpoint(mongo_db, SITE, 100, 104, 105, {}, "other")             # another range's bounds
    assert unfinished_chunks(mongo_db, SITE, first, last, size) == [110, 120, 130, 140]
    assert range_progress(mongo_db, SITE, first, last, size) == (10 + 4, 1)
    assert chunk_start(mongo_db, SITE, first, last, (120, 129)) == 124
    assert chunk_start(mongo_db, SITE, first, last, (100, 109)) == 110  # done: nothing to walk
    assert chunk_start(mongo_db, SITE, first, last, (130, 139)) == 130
    # A walk of the whole range by one process counts: chunks below its checkpoint are done.
    save_checkpoint(mongo_db, SITE, 100, 149, 133, {}, "solo")
    assert unfinished_chunks(mongo_db, SITE, first, last, size) == [130, 140]
    assert chunk_start(mongo_db, SITE, first, last, (130, 139)) == 133
    assert range_progress(mongo_db, SITE, first, last, size) == (33, 3)


@pytest.fixture
def chunks_of():
    redis = pytest.importorskip("redis")
    from scrapy.settings import Settings

    from newscrawler import config
    from newscrawler.crawl.chunks import RangeChunks

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    ns = f"nctest-{uuid.uuid4().hex[:10]}:nbd:backfill:x:1-100"
    made = []

    def make(worker, **settings):
        chunks = RangeChunks("redis://127.0.0.1:6379/0", ns, worker,
                             Settings({**config.DEFAULTS, "REDIS_WORKER_TIMEOUT": 60, **settings}))
        made.append(chunks)
        return chunks

    yield make, client, ns
    for chunks in made:
        chunks.close()
    for key in client.scan_iter(f"{ns.split(':')[0]}:*"):
        client.delete(key)
    client.close()


@pytest.mark.e2e  # needs the Redis server
def test_chunks_are_taken_once_and_the_last_worker_out_cleans_up(chunks_of):
    make, client, ns = chunks_of
    a, b = make("a"), make("b")
    joined = a.join(10, [1, 11, 21, 31])
    assert joined["fresh"] and joined["pending"] == 4
    later = b.join(25, [1, 26])  # another BACKFILL_CHUNK: the run's own size wins, its list stays
    assert not later["fresh"] and later["size"] == 10 and later["pending"] == 4
    taken = [a.take()["chunk"], b.take()["chunk"], a.take()["chunk"]]
    assert taken == [1, 11, 21]
    a.done(1)
    assert client.lrange(f"{ns}:taken:a", 0, -1) == [b"21"]
    assert b.take()["chunk"] == 31
    nothing = a.take()
    assert nothing["chunk"] is None and nothing["others"] == 2  # b holds 11 and 31: wait for b
    assert b.leave() == (False, 2)  # b stops: its chunks back at the head, in order
    assert client.lrange(f"{ns}:pending", 0, -1) == [b"11", b"31"]
    assert a.take()["chunk"] == 11
    assert a.leave() == (True, 2)
    assert list(client.scan_iter(f"{ns}*")) == []


@pytest.mark.e2e  # needs the Redis server
def test_a_silent_workers_chunks_go_back_and_it_learns_it_lost_them(chunks_of):
    make, client, ns = chunks_of
    a, b = make("a", REDIS_WORKER_TIMEOUT=1), make("b", REDIS_WORKER_TIMEOUT=1)
    a.join(10, [1, 11, 21])
    b.join(10, [])
    assert a.take()["chunk"] == 1
    assert b.take()["chunk"] == 11
    time.sleep(1.5)
    assert b.beat()
    took = b.take()  # a is silent past the timeout: its chunk comes back first
    assert took["gone"] == ["a"] and took["moved"] == 1 and took["chunk"] == 1
    assert not a.beat() and a.take()["lost"]  # a must stop walking chunk 1 and join again
    assert a.join(10, [])["fresh"] is False


@pytest.mark.e2e  # needs the Redis server
def test_a_worker_whose_process_is_gone_is_taken_over_at_once(chunks_of):
    make, client, ns = chunks_of
    a, b = make("a"), make("b")
    a.join(10, [1, 11])
    b.join(10, [])
    assert a.take()["chunk"] == 1
    # a's process on this machine is gone (a pid no process has).
    space = a.process.rpartition(" ")[0]
    client.hset(f"{ns}:procs", "a", f"{space} 999999999")
    took = b.take()
    assert took["gone"] == ["a"] and took["chunk"] == 1
