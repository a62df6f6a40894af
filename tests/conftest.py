"""Shared fixtures: a real MongoDB-protocol server for the whole test session.

With MONGO_URI set, the suite runs against that server (a real MongoDB); otherwise it starts
SecantusDB on a free loopback port with its data in a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pymongo
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_mongo(uri: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with pymongo.MongoClient(uri, serverSelectionTimeoutMS=500) as c:
                c.admin.command("ping")
                return
        except Exception as exc:  # noqa: BLE001 - retry until the deadline
            last = exc
            time.sleep(0.2)
    raise RuntimeError(f"test MongoDB at {uri} did not come up: {last}")


def start_secantus(storage: str, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start a SecantusDB server process; returns (process, uri)."""
    port = port or free_port()
    exe = Path(sys.executable).with_name("secantusd-py")
    proc = subprocess.Popen(
        [str(exe), "--host", "127.0.0.1", "--port", str(port), "--storage-path", storage,
         "--standalone", "--log-level", "WARNING"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    uri = f"mongodb://127.0.0.1:{port}"
    _wait_for_mongo(uri)
    return proc, uri


@contextmanager
def mongo_server(storage: str):
    """MONGO_URI when set, else a SecantusDB started in ``storage`` and stopped afterwards."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    proc, uri = start_secantus(storage)
    try:
        yield uri
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def mongo_uri():
    """URI of the session's test server (MONGO_URI if set, else a SecantusDB we start)."""
    tmp = tempfile.mkdtemp(prefix="newscrawler-test-mongo-")
    try:
        with mongo_server(tmp) as uri:
            yield uri
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def mongo_db_name(mongo_uri):
    """A fresh database name per test, dropped afterwards."""
    name = f"nc_test_{uuid.uuid4().hex[:10]}"
    yield name
    with pymongo.MongoClient(mongo_uri) as c:
        c.drop_database(name)


@pytest.fixture
def mongo_db(mongo_uri, mongo_db_name):
    with pymongo.MongoClient(mongo_uri) as c:
        yield c[mongo_db_name]
