"""Write-ahead for pages: an article never points to a WARC record that is not on disk.

Crawls of the replica killed right after a MongoDB write, or writing to a "full disk" (a
per-file size limit: writes past it fail like ENOSPC, part of the data written); then
`newscrawler warc check` finds no dangling pointer, and the next crawl fetches the pages of
the articles archived without one.
"""

from __future__ import annotations

import resource
import shutil
import signal
import subprocess

import pytest

from newscrawler.cli import main
from newscrawler.warc.pointers import check_pointers
from newscrawler.warc.reader import WarcReadError, check_file, read_response
from nbd_replica.corpus import generate_articles
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from tests.crawling import REPO, archive, crawl
from tests.operations_support import columns_of, crawl_env, fast_settings, newscrawler_cmd
from nbd_replica.fault_pipelines import pipelines_with


def pointer_state(db, warc_dir) -> dict[str, list[int]]:
    """Article ids by the state of their page: readable, missing (marked), dangling."""
    state = {"readable": [], "missing": [], "dangling": []}
    for doc in db.articles.find({}, {"article_id": 1, "warc": 1}):
        where = doc.get("warc") or {}
        if "missing" in where:
            state["missing"].append(doc["article_id"])
            continue
        try:
            read_response(warc_dir / where["file"], where["offset"], where["length"], where["record_id"])
        except (WarcReadError, KeyError):
            state["dangling"].append(doc["article_id"])
        else:
            state["readable"].append(doc["article_id"])
    return state


@pytest.fixture
def cli_env(monkeypatch, mongo_uri, mongo_db_name, tmp_path):
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", mongo_db_name)
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WARC_DIR", str(tmp_path / "warc"))
    return tmp_path


def test_a_crawl_killed_right_after_a_mongodb_write_leaves_no_dangling_pointer(
        mongo_uri, mongo_db_name, cli_env, capsys):
    site = ReplicaSite(generate_articles(30, seed=11))
    warc_dir = cli_env / "warc"
    with serve(site) as server:
        killed = crawl(server, mongo_uri, mongo_db_name, cli_env, pages=20, settings={
            "MONGO_BATCH_SIZE": "10", "ITEM_PIPELINES": pipelines_with("nbd_replica.fault_pipelines.KillAfterFirstWrite")})
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        db = archive(mongo_uri, mongo_db_name)
        state = pointer_state(db, warc_dir)
        assert len(state["readable"]) == 10 and not state["dangling"] and not state["missing"]

        assert main(["warc", "check"]) == 0
        out = capsys.readouterr().out
        assert "10 article pointer(s), 0 dangling" in out and "DANGLING" not in out

        again = crawl(server, mongo_uri, mongo_db_name, cli_env, pages=20)
        assert again.returncode == 0, again.stderr[-2000:]
    state = pointer_state(db, warc_dir)
    assert len(state["readable"]) == 30 and not state["dangling"] and not state["missing"]
    assert main(["warc", "check"]) == 0
    assert "30 article pointer(s), 0 dangling" in capsys.readouterr().out


@pytest.mark.parametrize("marked_by", ["warc check --repair", "reextract"])
def test_dangling_pointers_are_found_and_the_next_crawl_fetches_their_pages(
        mongo_uri, mongo_db_name, cli_env, capsys, marked_by):
    site = ReplicaSite(generate_articles(12, seed=12))
    warc_dir = cli_env / "warc"
    with serve(site) as server:
        assert crawl(server, mongo_uri, mongo_db_name, cli_env, pages=20).returncode == 0
        db = archive(mongo_uri, mongo_db_name)
        # Damage from outside the crawl: the file cut at the last article's record.
        last = max((d["warc"] for d in db.articles.find({})), key=lambda w: (w["file"], w["offset"]))
        with open(warc_dir / last["file"], "r+b") as f:
            f.truncate(last["offset"] + 10)
        cut = len(pointer_state(db, warc_dir)["dangling"])
        assert cut >= 1

        assert main(["warc", "check"]) == 1
        out = capsys.readouterr().out
        assert f"12 article pointer(s), {cut} dangling" in out and "DANGLING article" in out
        assert "--repair" in out
        if marked_by == "reextract":
            assert main(["reextract", "--all"]) == 1  # pages that cannot be read: exit 1
            assert f"page lost           {cut:>7}" in capsys.readouterr().out
        else:
            assert main(["warc", "check", "--repair"]) == 1  # the damaged file stays damaged
            assert f"{cut} marked for refetching" in capsys.readouterr().out
        assert len(pointer_state(db, warc_dir)["missing"]) == cut

        fixed = crawl(server, mongo_uri, mongo_db_name, cli_env, pages=20)
        assert fixed.returncode == 0, fixed.stderr[-2000:]
    state = pointer_state(db, warc_dir)
    assert len(state["readable"]) == 12 and not state["missing"] and not state["dangling"]
    checks = [check_file(p) for p in sorted(warc_dir.glob("*.warc.gz"))]
    assert not check_pointers(db.articles, warc_dir, checks).dangling


def _file_size_limit(limit: int):
    def apply() -> None:
        # Past the limit a write fails with EFBIG after writing what fits, as on a full disk
        # (Python ignores SIGXFSZ, so the process is not killed).
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_warc_disk_fails_the_crawl_and_leaves_no_dangling_pointer(mongo_uri, mongo_db_name, tmp_path):
    site = ReplicaSite(generate_articles(40, seed=13))
    data_dir = tmp_path / "data"
    warc_dir = data_dir / "warc"
    with serve(site) as server:
        env = crawl_env(server, mongo_uri, mongo_db_name, data_dir)
        args = newscrawler_cmd("crawl", "--columns", columns_of(server), "--pages", "20",
                               *fast_settings(MONGO_BATCH_SIZE="5"))
        full = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=180,
                              preexec_fn=_file_size_limit(250_000))
        assert full.returncode == 1, full.stdout[-2000:] + full.stderr[-3000:]
        assert "WARC" in full.stderr
        db = archive(mongo_uri, mongo_db_name)
        assert db.articles.count_documents({}) == 40  # archived all the same: nothing lost
        state = pointer_state(db, warc_dir)
        assert not state["dangling"] and state["missing"] and state["readable"]
        record = db.crawls.find_one({})
        assert record["stats"]["warc_errors"] >= 1
        assert any(a.startswith("warc:") for a in record["alerts"])

        shutil.rmtree(data_dir / "images", ignore_errors=True)
        freed = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=180)
        assert freed.returncode == 0, freed.stderr[-3000:]
    state = pointer_state(db, warc_dir)
    assert len(state["readable"]) == 40 and not state["missing"] and not state["dangling"]


def test_a_failed_fsync_makes_no_record_durable_and_the_writer_moves_to_a_new_file(tmp_path, monkeypatch):
    import os

    from newscrawler.warc.writer import WarcFileWriter

    writer = WarcFileWriter(tmp_path, "c1", info={"software": "test"})

    def write(n):
        return writer.write_exchange(f"http://127.0.0.1/articles/2024-01-01/{n}.html", status=200,
                                     headers=[("Content-Type", "text/html")], body=b"<html>%d</html>" % n)

    first = write(1)
    writer.sync()
    assert writer.is_durable(first)
    second = write(2)
    assert not writer.is_durable(second)  # written, not synced

    def eio(fd):
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", eio)
        with pytest.raises(OSError):
            writer.sync()
    assert writer.is_durable(first) and not writer.is_durable(second)
    third = write(3)  # the kernel may have dropped the failed pages: a new file
    assert third.file != first.file
    writer.sync()
    assert writer.is_durable(third) and not writer.is_durable(second)
    writer.close()
