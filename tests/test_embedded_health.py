"""The embedded server's health: checked with a write, a sick server restarted by the product.

On a full disk SecantusDB's WiredTiger panics: the server still answers ping while every
operation fails ("internal server error"), even after space is freed. These tests make a real
SecantusDB panic on a small tmpfs (when this machine lets us mount one) and hang one with
SIGSTOP, and check that the next user of the archive gets a restarted, working server with
the data kept, and that `newscrawler db status` says what happened and when.
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from datetime import datetime

import pymongo
import pytest
from pymongo.errors import PyMongoError

from newscrawler.store import embedded
from newscrawler.timeutil import beijing_text
from newscrawler.store.embedded import (
    embedded_events, embedded_status, ensure_embedded_server, stop_embedded_server,
)




@pytest.fixture
def data_dir(tmp_path):
    yield tmp_path
    stop_embedded_server(tmp_path, timeout=5)


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB tmpfs as the data directory (skipped where mounting is not allowed); grown to
    40 MB by ``free_space()``."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        stop_embedded_server(mount_point, timeout=5)
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def free_space(mount_point) -> None:
    subprocess.run(["mount", "-o", "remount,size=40m", str(mount_point)], check=True)


def fill_until_it_fails(client) -> int:
    """Insert 20 KB documents until the server refuses; how many it took."""
    for n in range(5000):
        try:
            client.nc.filler.insert_one({"n": n, "blob": os.urandom(10_000).hex()})
        except PyMongoError:
            return n
    raise AssertionError("the disk never filled up")


@pytest.mark.e2e  # starts SecantusDB
def test_a_server_panicked_by_a_full_disk_is_restarted_with_its_data(small_disk, monkeypatch, capsys):
    from newscrawler import cli
    from newscrawler.cli.commands import db as db_command

    uri = ensure_embedded_server(small_disk)
    pid = embedded_status(small_disk)["pid"]
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=3000, journal=True) as client:
        client.nc.articles.insert_one({"article_id": 1})
        assert fill_until_it_fails(client) > 0
        free_space(small_disk)
        # The panic: ping still answers, every operation fails, though the disk has room now.
        assert client.admin.command("ping")["ok"] == 1
        with pytest.raises(PyMongoError, match="internal server error"):
            client.nc.articles.insert_one({"article_id": 2})

    status = embedded_status(small_disk)
    assert status["pid"] == pid and status["responding"] and "write failed" in status["problem"]
    monkeypatch.delenv("MONGO_URI", raising=False)
    monkeypatch.setattr(db_command, "_settings", lambda args: {"NEWSCRAWLER_DATA_DIR": str(small_disk)})
    assert cli.main(["db", "status"]) == 1
    assert "NOT healthy" in capsys.readouterr().out

    new_uri = ensure_embedded_server(small_disk)  # what a crawl's archive session does on connecting
    assert embedded_status(small_disk)["pid"] != pid and embedded_status(small_disk)["problem"] is None
    with pymongo.MongoClient(new_uri, serverSelectionTimeoutMS=3000, journal=True) as client:
        client.nc.articles.insert_one({"article_id": 2})
        assert sorted(d["article_id"] for d in client.nc.articles.find()) == [1, 2]
    restart = embedded_events(small_disk)[-1]
    assert restart["event"] == "restarted" and restart["old_pid"] == pid and "write failed" in restart["reason"]

    assert cli.main(["db", "status"]) == 0
    out = capsys.readouterr().out
    at = beijing_text(datetime.fromisoformat(restart["at"]))  # the events file's UTC, shown in Beijing time
    assert f"restarted (pid {pid} -> " in out and "internal server error" in out and at in out


@pytest.mark.e2e  # starts SecantusDB
def test_a_hung_server_is_restarted(data_dir, monkeypatch):
    monkeypatch.setattr(embedded, "HUNG_TIMEOUT_MS", 1000)
    monkeypatch.setattr(embedded, "RESTART_STOP_TIMEOUT", 1.0)
    uri = ensure_embedded_server(data_dir)
    pid = embedded_status(data_dir)["pid"]
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=3000, journal=True) as client:
        client.nc.articles.insert_one({"article_id": 1})
    os.kill(pid, signal.SIGSTOP)  # alive, holds its port and storage, answers nothing
    try:
        new_uri = ensure_embedded_server(data_dir)
    finally:
        os.kill(pid, signal.SIGCONT) if embedded._pid_alive(pid) else None
    assert not embedded._pid_alive(pid)
    with pymongo.MongoClient(new_uri, serverSelectionTimeoutMS=3000) as client:
        assert client.nc.articles.count_documents({}) == 1
    restart = embedded_events(data_dir)[-1]
    assert restart["event"] == "restarted" and "does not answer" in restart["reason"]


@pytest.mark.e2e  # starts SecantusDB
def test_health_is_a_write_that_leaves_the_archive_database_alone(data_dir):
    uri = ensure_embedded_server(data_dir)
    assert embedded.probe_health(uri, 2000).ok
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=3000) as client:
        assert client[embedded.HEALTH_DATABASE][embedded.HEALTH_COLLECTION].count_documents({}) == 1
        assert "newscrawler" not in client.list_database_names()
    assert [e["event"] for e in embedded_events(data_dir)] == ["started"]
    assert not embedded.probe_health(f"mongodb://127.0.0.1:{_closed_port()}", 300).answers


def _closed_port() -> int:
    from nbd_replica.procs import free_port

    return free_port()


def test_event_log_keeps_the_last_events_only(data_dir):
    paths = embedded.ServerPaths.for_data_dir(data_dir)
    paths.root.mkdir(parents=True)
    for n in range(embedded.EVENTS_KEPT + 7):
        embedded._record_event(paths, "restarted", f"reason {n}", run=uuid.uuid4().hex)
    events = embedded_events(data_dir)
    assert len(events) == embedded.EVENTS_KEPT and events[-1]["reason"] == f"reason {embedded.EVENTS_KEPT + 6}"
