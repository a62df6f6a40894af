"""What got in a new user's way with the `newscrawler` command (issue 13), each as one clear
sentence and a documented exit code: an unreachable MongoDB, settings and spider arguments a
crawl cannot take, unknown columns, other sites' URLs, a directory the crawl cannot write; the
embedded server's start said aloud (``--no-start``), its port kept, ``db status --json``;
``query --since 2d``; stats counting the articles without a category."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newscrawler.cli import ExitStatus, main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- an unreachable MongoDB ----------------------------------------------------------------------


def test_an_unreachable_mongodb_is_one_sentence_naming_it_after_a_short_wait(monkeypatch, capsys):
    from newscrawler.cli.commands import _archive

    uri = f"mongodb://reader:s3cret@127.0.0.1:{closed_port()}/"
    monkeypatch.setenv("MONGO_URI", uri)
    monkeypatch.setattr(_archive, "UNREACHABLE_MS", 300)
    for argv in (["query"], ["show", "1"], ["stats"], ["crawls"], ["export", "jsonl", "--out", "-"]):
        started = time.monotonic()
        code, out, err = run_cli(capsys, *argv)
        assert code == ExitStatus.FAILURE and out == ""
        assert time.monotonic() - started < 3
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert "MongoDB at mongodb://***@127.0.0.1:" in lines[0] and "did not answer within 0.3 s" in lines[0]
        assert "Connection refused" in lines[0] and "MONGO_URI" in lines[0]
        assert "Topology" not in err and "s3cret" not in err and "configured timeouts" not in err


def test_the_read_verbs_give_a_server_three_seconds():
    from newscrawler.cli.commands._archive import UNREACHABLE_MS

    assert UNREACHABLE_MS == 3000  # the README says so


# -- settings a crawl cannot take -----------------------------------------------------------------


@pytest.mark.parametrize("name, value, problem", [
    ("DOWNLOAD_DELAY", "fast", "DOWNLOAD_DELAY takes a number of seconds (default 3), not 'fast'"),
    ("DOWNLOAD_DELAY", "0.5", None),
    ("CONCURRENT_REQUESTS", "2.5", "CONCURRENT_REQUESTS takes a whole number"),
    ("CONCURRENT_REQUESTS", "16", None),
    ("ROBOTSTXT_OBEY", "maybe", "ROBOTSTXT_OBEY is a yes/no setting"),
    ("WARC_ENABLED", "false", None),
    ("WARC_ENABLED", "0", None),
    ("NBD_MIN_COVERAGE", "authors=0.3", "NBD_MIN_COVERAGE takes a JSON object"),
    ("NBD_MIN_COVERAGE", '{"authors": 0.1}', None),
    ("NEWSCRAWLER_DB_PORT", "http", "NEWSCRAWLER_DB_PORT must be a port number"),
    ("NEWSCRAWLER_DB_PORT", "27500", None),
    ("BACKFILL_RATE", "12.5", None),
    ("LOG_FILE", "crawl.log", None),  # text: any
    ("SOMETHING_ELSE", "x", None),  # unknown to us: passed on as it is
])
def test_a_setting_value_is_checked_against_what_the_setting_takes(name, value, problem):
    from newscrawler.crawl.checks import setting_problem

    found = setting_problem(name, value)
    assert (found is None) if problem is None else (problem in found), found


@pytest.mark.parametrize("argv", [
    ["crawl", "--columns", "3", "-s", "DOWNLOAD_DELAY=fast"],
    ["revisit", "-s", "DOWNLOAD_DELAY=fast"],
    ["backfill", "--ids", "1-5", "-s", "DOWNLOAD_DELAY=fast"],
])
def test_a_crawl_verb_refuses_a_setting_it_cannot_take_before_starting(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path / "data"))
    code, out, err = run_cli(capsys, *argv)
    assert code == ExitStatus.USAGE and out == ""
    assert err == f"newscrawler {argv[0]}: DOWNLOAD_DELAY takes a number of seconds (default 3), not 'fast'\n"
    assert not (tmp_path / "data").exists()


def test_a_jobs_file_setting_is_checked_too(capsys, tmp_path, monkeypatch):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[jobs.j]\ncolumns = [3]\nsettings = { DOWNLOAD_DELAY = "fast" }\n', encoding="utf-8")
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path / "data"))
    code, _, err = run_cli(capsys, "crawl", "--job", "j", "--jobs", str(jobs))
    assert code == ExitStatus.USAGE and "DOWNLOAD_DELAY takes a number of seconds" in err


# -- columns and URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize("value, message", [
    ("abc", "not an id: 'abc'"),
    ("99999", "unknown column 99999;"),
    ("3,99999,88888", "unknown columns 99999, 88888;"),
])
def test_an_unknown_column_is_refused_with_the_known_ones(value, message, capsys):
    code, out, err = run_cli(capsys, "crawl", "--columns", value)
    assert code == ExitStatus.USAGE and out == ""
    assert f"argument --columns: {message}" in err
    assert "(newscrawler/nbd/site.py)" in err and "3 要闻" in err and "金融: 119 金融首页" in err


def test_backfill_and_a_jobs_file_refuse_unknown_columns_too(capsys, tmp_path):
    code, _, err = run_cli(capsys, "backfill", "--from", "2025-01-01", "--to", "2025-01-02", "--columns", "99999")
    assert code == ExitStatus.USAGE and "unknown column 99999" in err
    jobs = tmp_path / "jobs.toml"
    jobs.write_text("[jobs.j]\ncolumns = [3, 99999]\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "crawl", "--job", "j", "--jobs", str(jobs))
    assert code == ExitStatus.USAGE and "job 'j': unknown column 99999" in err


def test_urls_of_another_site_are_refused(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NBD_BASE_URL", raising=False)
    code, out, err = run_cli(capsys, "crawl", "--urls",
                             "https://www.nbd.com.cn/articles/2026-09-01/4595080.html,4595081,"
                             "https://example.com/articles/2026-09-01/1.html")
    assert code == ExitStatus.USAGE and out == ""
    assert err.startswith("newscrawler crawl: --urls: not an article URL or id of 每经网: "
                          "https://example.com/articles/2026-09-01/1.html (")
    assert len(err.strip().splitlines()) == 1
    # A replica's own URLs are the site's.
    monkeypatch.setenv("NBD_BASE_URL", "http://127.0.0.1:8765")
    from newscrawler.crawl.checks import bad_urls

    assert bad_urls(["http://127.0.0.1:8765/articles/2026-09-01/1.html", "https://example.com/x"],
                    "http://127.0.0.1:8765") == ["https://example.com/x"]


# -- spider arguments ----------------------------------------------------------------------------


def test_the_spiders_refuse_an_argument_they_do_not_take_naming_theirs():
    from newscrawler.crawl.revisit import RevisitSpider
    from newscrawler.crawl.spider import NbdSpider

    base = "https://www.nbd.com.cn"
    assert NbdSpider.argument_problem({"colums": "2"}, base) == (
        "the nbd spider takes no argument 'colums' (did you mean columns?); its arguments: columns, pages, "
        "since, until, urls, full, lists, ids, dates")
    assert NbdSpider.argument_problem({"columns": "3", "pages": "2", "_job": "scrapyd-id"}, base) is None
    assert "unknown column 99999" in NbdSpider.argument_problem({"columns": "99999"}, base)
    assert "not an article URL or id" in NbdSpider.argument_problem({"urls": "https://example.com/x"}, base)
    assert RevisitSpider.argument_problem({"pages": "3"}, base) == (
        "the nbd-revisit spider takes no argument 'pages'; its arguments: all, since, until, limit")


@pytest.mark.e2e  # scrapy crawl in a process (refused before any crawl starts)
def test_scrapy_crawl_refuses_a_typo_and_a_bad_setting_in_one_sentence(tmp_path):
    env = {**os.environ, "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data"), "NBD_BASE_URL": "http://127.0.0.1:9",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "testing")])}
    result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "nbd", "-a", "colums=2",
                             "-s", "DOWNLOAD_DELAY=fast"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert ("error: DOWNLOAD_DELAY takes a number of seconds (default 3), not 'fast'; the nbd spider "
            "takes no argument 'colums' (did you mean columns?)") in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "data").exists()


# -- a directory the crawl cannot write -----------------------------------------------------------


def test_a_data_directory_that_cannot_be_written_is_one_sentence_before_the_crawl(capsys, monkeypatch, tmp_path):
    from newscrawler.crawl import addons

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(data))
    monkeypatch.setenv("NEWSCRAWLER_MIN_FREE_MB", "0")  # the free-space check reads the disk too
    real_access = os.access
    # A read-only disk (root writes through file modes, so the disk's answer is given here).
    monkeypatch.setattr(addons.os, "access", lambda path, mode: False if Path(path) == data else real_access(path, mode))
    monkeypatch.setattr(addons.os, "statvfs", lambda path: type("V", (), {"f_flag": os.ST_RDONLY})())
    code, out, err = run_cli(capsys, "crawl", "--columns", "3")
    assert code == ExitStatus.FAILURE and out == ""
    assert err == (f"newscrawler crawl: not starting the crawl: cannot write to {data} (a read-only file system); "
                   "point NEWSCRAWLER_DATA_DIR (or WARC_DIR, IMAGES_STORE) at a directory this user can write\n")


def test_the_demo_on_a_directory_it_cannot_write_says_so_and_claims_nothing(capsys, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(blocker / "data"))  # cannot be created
    monkeypatch.delenv("MONGO_URI", raising=False)
    code, out, err = run_cli(capsys, "demo")
    assert code == ExitStatus.FAILURE
    assert f"cannot write to {blocker / 'data'}" in err and "Traceback" not in err
    assert "already in the archive" not in out + err


# -- query --since 2d ----------------------------------------------------------------------------


def test_query_takes_relative_days_as_crawl_does():
    from newscrawler.cli import build_parser
    from newscrawler.timeutil import BEIJING
    from newscrawler.values import parse_when

    today = dt.date(2026, 11, 29)
    assert parse_when("2d", today) == dt.date(2026, 11, 27) == parse_when(" 2 days", today)
    args = build_parser().parse_args(["query", "--since", "2d", "--until", "0d"])
    now = dt.datetime.now(BEIJING).date()
    assert (args.since, args.until) == (now - dt.timedelta(days=2), now)
    with pytest.raises(ValueError, match="Nd, N days ago"):
        parse_when("yesterday")


# -- stats: the articles without a category ------------------------------------------------------


def test_stats_per_category_counts_the_articles_without_one(capsys):
    from newscrawler.cli.commands.stats import print_stats
    from newscrawler.store.counts import _shape

    stats = _shape(total=121, days=[], categories=[{"key": "证券", "n": 40}, {"key": "金融", "n": 23}],
                   authors=[], rejects=[], source="counts", as_of=dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc))
    assert stats["categories"] == [{"category": "证券", "articles": 40}, {"category": "金融", "articles": 23},
                                   {"category": None, "articles": 58}]
    print_stats({**stats, "history": [], "crawls": []})
    out = capsys.readouterr().out
    assert "(no category)       58" in out.replace("  (no category)", "(no category)")
