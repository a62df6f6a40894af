"""Every writer of the product writes journaled (D14): the command line's too.

Without the journal, a SecantusDB killed (kill -9, OOM, power) loses writes it had
acknowledged. The CLI's writers (reextract, db, demo) reach the archive through
``get_database``; the crawl's session and the GridFS thumbnails through ``get_client`` with
``journaled_options``.
"""

from __future__ import annotations

import pytest

from newscrawler.store.connection import get_database

URI = "mongodb://127.0.0.1:1/"  # never contacted: pymongo connects on the first operation


def test_get_database_writes_journaled():
    db = get_database({"MONGO_URI": URI, "MONGO_DATABASE": "nc"})
    try:
        assert db.name == "nc"
        assert db.client.options.write_concern.document == {"j": True}
        assert db.write_concern.document == {"j": True}
    finally:
        db.client.close()


@pytest.mark.parametrize(("uri", "expected"), [
    (URI + "?w=0", {"w": 0}),  # the URI's own write concern wins
    (URI + "?journal=false", {"j": False}),
])
def test_a_write_concern_the_uri_names_wins(uri, expected):
    db = get_database({"MONGO_URI": uri})
    try:
        assert db.client.options.write_concern.document == expected
    finally:
        db.client.close()


def test_the_cli_archive_database_is_journaled(monkeypatch):
    """reextract and the other verbs open the archive through _archive.archive_database."""
    from newscrawler.cli.commands import _archive

    monkeypatch.setenv("MONGO_URI", URI)
    with _archive.archive_database() as db:
        assert db.client.options.write_concern.document == {"j": True}
