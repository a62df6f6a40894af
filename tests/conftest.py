"""Shared fixtures: a real MongoDB-protocol server for the whole test session, and the tiers.

With MONGO_URI set, the suite runs against that server (a real MongoDB); otherwise it starts
SecantusDB on a free loopback port with its data in a temporary directory.

Tests in two tiers: ``-m "not e2e"`` is the fast one (no database server, no crawl process);
``-m e2e`` the end-to-end one. A test that uses the MongoDB fixtures is marked ``e2e`` here;
one that starts a server or a crawl without them is marked where it is written.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid

import pymongo
import pytest

from nbd_replica.procs import mongo_server

# Every fixture that needs the session's MongoDB server depends on this one.
SERVER_FIXTURE = "mongo_uri"


def pytest_collection_modifyitems(items):
    for item in items:
        if SERVER_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def mongo_uri():
    """URI of the session's test server (MONGO_URI if set, else a SecantusDB we start)."""
    tmp = tempfile.mkdtemp(prefix="newscrawler-test-mongo-")
    try:
        with mongo_server(tmp) as uri:
            yield uri
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fresh_database(mongo_uri: str):
    name = f"nc_test_{uuid.uuid4().hex[:10]}"
    yield name
    with pymongo.MongoClient(mongo_uri) as c:
        c.drop_database(name)


@pytest.fixture
def mongo_db_name(mongo_uri):
    """A fresh database name per test, dropped afterwards."""
    yield from _fresh_database(mongo_uri)


@pytest.fixture(scope="module")
def module_db_name(mongo_uri):
    """A fresh database name for a module's shared fixture, dropped after the module."""
    yield from _fresh_database(mongo_uri)


@pytest.fixture
def mongo_db(mongo_uri, mongo_db_name):
    with pymongo.MongoClient(mongo_uri) as c:
        yield c[mongo_db_name]
