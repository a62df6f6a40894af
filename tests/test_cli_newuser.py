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
    for argv in (["query"],):  # every read verb opens the archive through archive_database
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


# -- the verbs' parsers --------------------------------------------------------------------------


def test_the_parser_of_a_named_verb_alone_and_every_verb_otherwise(capsys):
    from newscrawler.cli import build_parser, main, verb_names

    names = verb_names()
    assert {"query", "crawl", "diff", "export", "serve"} <= set(names)
    verbs = lambda parser: set(parser._subparsers._group_actions[0].choices)  # noqa: E731
    assert verbs(build_parser(["query", "--search", "x"])) == {"query"}
    assert verbs(build_parser(["--version"])) == verbs(build_parser([])) == verbs(build_parser(["qurey"])) == set(names)
    assert main(["qurey", "--limit", "1"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'qurey'" in err and "'query'" in err


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


# -- the embedded server: started aloud, --no-start, one port, db status --json -------------------


@pytest.fixture
def embedded_archive(monkeypatch, tmp_path):
    """An embedded archive (its storage exists) whose server is not running; stopped after."""
    from newscrawler.store.embedded import ServerPaths, stop_embedded_server

    data = tmp_path / "data"
    ServerPaths.for_data_dir(data).storage.mkdir(parents=True)
    for name in ("MONGO_URI", "MONGO_DATABASE", "NEWSCRAWLER_DB_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(data))
    yield data
    stop_embedded_server(data, timeout=5)


@pytest.mark.e2e  # starts SecantusDB
def test_a_read_verb_says_it_starts_the_server_and_no_start_refuses(embedded_archive, capsys):
    from newscrawler.store.embedded import running_server

    code, out, err = run_cli(capsys, "query", "--no-start", "--format", "jsonl")
    assert code == ExitStatus.FAILURE and out == ""
    assert err == (f"newscrawler query: the archive's database server (embedded, for {embedded_archive}) is not "
                   f"running, and --no-start says not to start it: `newscrawler db start` starts it\n")
    assert running_server(embedded_archive) is None
    code, out, err = run_cli(capsys, "query", "--format", "jsonl")
    state = running_server(embedded_archive)
    assert code == 0 and state is not None
    assert err.startswith(f"Started the archive's database server ({state['uri']}, embedded, for {embedded_archive}); "
                          f"it keeps running for the next commands: `newscrawler db stop` stops it.\n")
    code, out, err = run_cli(capsys, "stats", "--no-start")  # running now: nothing to say
    assert code == 0 and "Started" not in err and "Articles: 0" in out


@pytest.mark.e2e  # starts SecantusDB
def test_the_embedded_server_keeps_its_port_and_db_status_json(embedded_archive, capsys, monkeypatch):
    from newscrawler.store.embedded import ServerPaths, stop_embedded_server

    assert run_cli(capsys, "db", "start")[0] == 0
    code, out, _ = run_cli(capsys, "db", "status", "--json")
    first = json.loads(out)
    assert code == 0 and first["running"] and first["healthy"] and first["articles"] == 0
    port = first["embedded_server"]["port"]
    assert first["mongo_uri"] == f"mongodb://127.0.0.1:{port}" and first["data_dir"] == str(embedded_archive)
    assert ServerPaths.for_data_dir(embedded_archive).port.read_text().strip() == str(port)
    stop_embedded_server(embedded_archive, timeout=5)
    code, out, _ = run_cli(capsys, "db", "status", "--json")
    assert code == ExitStatus.FAILURE and json.loads(out)["running"] is False
    assert run_cli(capsys, "db", "start")[0] == 0  # the same port again
    assert json.loads(run_cli(capsys, "db", "status", "--json")[1])["embedded_server"]["port"] == port
    stop_embedded_server(embedded_archive, timeout=5)
    fixed = closed_port()
    monkeypatch.setenv("NEWSCRAWLER_DB_PORT", str(fixed))
    assert run_cli(capsys, "db", "start")[0] == 0
    assert json.loads(run_cli(capsys, "db", "status", "--json")[1])["embedded_server"]["port"] == fixed
    stop_embedded_server(embedded_archive, timeout=5)
    with socket.socket() as holder:  # the fixed port taken by another program: one sentence
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past the last server's TIME_WAIT
        holder.bind(("127.0.0.1", fixed))
        holder.listen()
        code, _, err = run_cli(capsys, "db", "start")
    assert code == ExitStatus.FAILURE
    assert err == (f"newscrawler db: port {fixed} (NEWSCRAWLER_DB_PORT) is in use by another program: free it, "
                   f"or choose another port for the embedded MongoDB server\n")
    monkeypatch.delenv("NEWSCRAWLER_DB_PORT")
    with socket.socket() as holder:  # the remembered port taken: another one, remembered instead
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", port))
        holder.listen()
        assert run_cli(capsys, "db", "start")[0] == 0
        moved = json.loads(run_cli(capsys, "db", "status", "--json")[1])["embedded_server"]["port"]
    assert moved != port and ServerPaths.for_data_dir(embedded_archive).port.read_text().strip() == str(moved)


# -- crawls on a terminal: progress, alerts, a forced stop, the example job ----------------------


def _on_a_terminal(argv: list[str], env: dict, stop_when: str | None = None) -> tuple[int, str, str]:
    """(exit code, what the terminal showed without rich's colours, standard output) of a
    `newscrawler` run whose standard error is a pseudo-terminal; ``stop_when``: a pattern of the
    terminal's text once shown, it gets Ctrl-C twice."""
    import pty
    import re
    import select
    import signal

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "newscrawler", *argv], env=env, cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    terminal, stopped = b"", False
    while True:
        if stop_when is not None and not stopped and re.search(stop_when, terminal.decode(errors="replace")):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.3)
            proc.send_signal(signal.SIGINT)
            stopped = True
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        terminal += chunk
    stdout, _ = proc.communicate(timeout=60)
    os.close(master)
    return proc.returncode, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.decode(errors="replace")), \
        stdout.decode()


def _crawl_env(server, mongo_uri, db_name, data_dir) -> dict:
    return {**{k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "NBD_BASE_URL")},
            "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name, "NEWSCRAWLER_DATA_DIR": str(data_dir),
            "NBD_BASE_URL": server.base_url, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "testing")])}


FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_BACKOFF_BASE=0.05"]


@pytest.mark.e2e
def test_progress_shows_new_articles_as_stored_with_a_log_file_and_each_alert_once(mongo_uri, mongo_db_name, tmp_path):
    from tests.crawling import replica_site

    log = tmp_path / "crawl.log"
    with replica_site(n=30, seed=5) as (site, server):
        # Each article takes a while and batches are written after a second: stored as it goes.
        site.faults.add(r"^/articles/", "delay", count=None, seconds=0.4)
        code, terminal, stdout = _on_a_terminal(
            ["crawl", "--columns", ",".join(map(str, sorted(site.column_ids))), "--pages", "5", *FAST,
             "-s", "CONCURRENT_REQUESTS=2", "-s", "MONGO_FLUSH_INTERVAL=1",
             "-s", 'NBD_MIN_COVERAGE={"thumbnail": 0.99}', "--log-file", str(log)],
            _crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data"))
    assert code == ExitStatus.ALERTS, terminal[-3000:]
    new_counts = [int(n) for n in __import__("re").findall(r"pages \d+  new (\d+)", terminal)]
    assert new_counts and new_counts[-1] == len(site.articles)
    assert any(0 < n < len(site.articles) for n in new_counts), new_counts  # before the end
    alert = "coverage: "
    assert terminal.count(alert) == 1 and "newscrawler crawl: ALERT coverage: " in terminal
    assert "FAIL" not in terminal and "Traceback" not in terminal
    text = log.read_text()
    assert text.count("ALERT coverage: ") == 1 and "FAIL: " not in text.replace("... FAIL", "")


@pytest.mark.e2e
def test_a_double_ctrl_c_counts_what_was_fetched_and_closes_the_record_as_interrupted(mongo_uri, mongo_db_name,
                                                                                      mongo_db, tmp_path):
    from tests.crawling import replica_site

    with replica_site(n=60, seed=6) as (site, server):
        # Article pages slow enough that the first Ctrl-C's graceful stop (which waits for the
        # requests in flight) cannot end before the second one comes, however loaded the machine.
        site.faults.add(r"^/articles/", "delay", count=None, seconds=3)
        code, terminal, stdout = _on_a_terminal(
            ["crawl", "--columns", ",".join(map(str, sorted(site.column_ids))), "--pages", "5", *FAST,
             "-s", "CONCURRENT_REQUESTS=2"],
            _crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data"), stop_when=r"pages [1-9]\d*  new")
        fetched = len(site.article_requests())
    assert code == ExitStatus.FAILURE, terminal[-3000:]
    assert fetched > 0
    outcome = next(line for line in stdout.splitlines() if line.startswith("outcome"))
    pages = int(next(line for line in stdout.splitlines() if line.startswith("fetched")).split()[1])
    assert "interrupted after" in outcome and 0 < pages <= fetched
    assert "stopped before it could close (a second Ctrl-C)" in terminal
    record = mongo_db.crawls.find_one({})
    assert record["finish_reason"] == "interrupted" and record["interrupted_at"] and record["stats"]["pages"] == pages
    assert record.get("finished_at") is None  # the next crawl takes it for the interrupted crawl it is


@pytest.mark.e2e
def test_the_example_headlines_job_runs_clean_on_the_demo_replica(mongo_uri, mongo_db_name, mongo_db, tmp_path):
    """The demo's replica (its seed and size): the headlines job's site-wide columns, AI flashes
    among them, raise no coverage alert."""
    from nbd_replica.corpus import generate_articles
    from nbd_replica.server import serve
    from nbd_replica.site import ReplicaSite

    from newscrawler.cli.commands.demo import ARTICLES_PER_DAY
    from newscrawler.timeutil import BEIJING

    start = dt.datetime.now(BEIJING).date() - dt.timedelta(days=120 // ARTICLES_PER_DAY)
    with serve(ReplicaSite(generate_articles(120, seed=2026, start_date=start))) as server:
        result = subprocess.run([sys.executable, "-m", "newscrawler", "crawl", "--job", "headlines",
                                 "--jobs", str(ROOT / "jobs.toml"), *FAST, "--no-progress"],
                                env=_crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data"), cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    record = mongo_db.crawls.find_one({"job": "headlines"})
    assert record["alerts"] == [] and record["coverage"]["articles"] >= 10


def test_category_coverage_is_not_judged_for_site_wide_columns_alone():
    from scrapy.settings import Settings

    from newscrawler.crawl import stats as keys
    from newscrawler.crawl.monitoring import coverage_alerts

    stats = {keys.COVERAGE_PREFIX + "articles": 40, keys.COVERAGE_PREFIX + "category": 0.0}
    settings = Settings({"NBD_MIN_COVERAGE": {"category": 0.2}, "NBD_COVERAGE_MIN_ARTICLES": 10})
    sitewide = type("Spider", (), {"columns": [3, 332, 1161, 1320]})()
    sections = type("Spider", (), {"columns": [3, 329]})()
    assert coverage_alerts(stats, settings, sitewide) == []
    assert coverage_alerts(stats, settings, sections) == [
        "coverage: 0% of 40 new articles have category (minimum 20%); the page layout may have changed"]


def test_spidermon_failure_blocks_are_kept_at_debug_and_alert_lines_off_a_summarising_terminal():
    import logging

    from newscrawler.crawl.monitoring import SPIDERMON_FAILURE_BLOCKS, AlertLines

    block = logging.LogRecord("nbd", logging.ERROR, __file__, 1, "[Spidermon] \n=====\nFAIL: x\n---\nTraceback", None, None)
    crashed = logging.LogRecord("nbd", logging.ERROR, __file__, 1, "[Spidermon] \n=====\nERROR: x\n", None, None)
    assert SPIDERMON_FAILURE_BLOCKS.filter(block) and block.levelno == logging.DEBUG
    assert SPIDERMON_FAILURE_BLOCKS.filter(crashed) and crashed.levelno == logging.ERROR
    alert = logging.LogRecord("newscrawler.crawl.monitoring", logging.ERROR, __file__, 1, "ALERT %s", ("x",), None)
    other = logging.LogRecord("newscrawler.crawl.monitoring", logging.ERROR, __file__, 1, "other", None, None)
    assert not AlertLines().filter(alert) and AlertLines().filter(other)


# -- listings: how many match, crawls as wide as the terminal ------------------------------------


def _crawl_record(n: int, **fields) -> dict:
    started = dt.datetime(2026, 11, 29, 8, n, tzinfo=dt.timezone.utc)
    return {"crawl_id": f"20261129T08{n:02d}00Z-{n:06x}", "job": "headlines", "finish_reason": "finished",
            "started_at": started, "finished_at": started + dt.timedelta(seconds=65),
            "stats": {"pages": 1200 + n, "new": 40, "updated": 3, "rejected": 1, "errors": 2},
            "coverage": {"authors": 0.71}, "alerts": [], **fields}


def test_crawls_fit_the_terminal_leaving_out_columns_rather_than_cutting_ids():
    import io

    from newscrawler.cli.commands.crawls import print_crawls

    records = [_crawl_record(1), _crawl_record(2, finish_reason="interrupted", finished_at=None,
                                               interrupted_at=dt.datetime(2026, 11, 29, 8, 3, tzinfo=dt.timezone.utc))]
    wide = io.StringIO()
    print_crawls(records, out=wide)  # not a terminal: every column
    lines = wide.getvalue().splitlines()
    assert lines[0].split() == ["started", "(Beijing)", "crawl", "id", "job", "finish", "time", "pages", "new",
                                "upd", "rej", "err", "authors", "alerts"]
    assert "0:01:05" in lines[1] and "71%" in lines[1] and "interrupted" in lines[2] and "0:01:00" in lines[2]
    for width in (80, 100):
        out = io.StringIO()
        print_crawls(records, out=out, width=width)
        lines = out.getvalue().splitlines()
        assert all(len(line) <= width for line in lines), out.getvalue()
        assert records[0]["crawl_id"] in lines[1] and "1201" in lines[1] and "…" not in out.getvalue()
        assert lines[-1].startswith("(left out for the width: ") and lines[-1].endswith("; --json has them)")


def test_a_listing_cut_by_its_limit_says_how_many_match(capsys):
    from newscrawler.cli.commands.query import print_table

    articles = [{"article_id": n, "title": f"标题{n}", "published_at": None} for n in range(20)]
    print_table(articles, total=121, total_width=100)
    assert capsys.readouterr().out.splitlines()[-1] == "(20 of 121 articles; --limit N shows more, --limit 0 all)"
    print_table(articles[:3], total=3, total_width=100)
    assert capsys.readouterr().out.splitlines()[-1] == "(3 articles)"


@pytest.mark.e2e
def test_query_counts_the_matches_beyond_its_limit(monkeypatch, mongo_uri, mongo_db_name, mongo_db, capsys):
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", mongo_db_name)
    mongo_db.articles.insert_many([{"article_id": n, "title": f"标题{n}", "category": "证券" if n % 2 else "金融",
                                    "published_at": dt.datetime(2026, 11, 1, n, tzinfo=dt.timezone.utc),
                                    "authors": [], "tags": []} for n in range(1, 8)])
    code, out, _ = run_cli(capsys, "query", "--format", "table", "--limit", "2")
    assert code == 0 and out.splitlines()[-1].startswith("(2 of 7 articles;")
    code, out, _ = run_cli(capsys, "query", "--format", "table", "--limit", "2", "--category", "证券")
    assert out.splitlines()[-1].startswith("(2 of 4 articles;")
    code, out, _ = run_cli(capsys, "query", "--format", "table", "--limit", "10", "--category", "证券")
    assert out.splitlines()[-1] == "(4 articles)"


def test_the_cron_example_keeps_the_jobs_files_zone_and_times():
    from newscrawler.cli.jobs import load_jobs

    jobs = load_jobs(ROOT / "jobs.toml")
    lines = (ROOT / "deploy" / "cron" / "newscrawler").read_text(encoding="utf-8").splitlines()
    assert f"CRON_TZ={jobs.timezone}" in lines
    entries = [line.split() for line in lines if "--job " in line and not line.startswith("#")]
    assert entries
    for fields in entries:
        name = fields[fields.index("--job") + 1]
        assert " ".join(fields[:5]) == jobs.get(name).cron, name


@pytest.mark.e2e
def test_the_read_verbs_stay_light_no_rich_for_a_listing(mongo_uri, mongo_db_name, mongo_db):
    """rich draws the crawl's progress and the crawls table; a query or a show does not load it."""
    mongo_db.articles.insert_one({"article_id": 1, "title": "标题", "authors": [], "tags": [], "body_text": "正文",
                                  "published_at": dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)})
    probe = ("import sys\n"
             "from newscrawler.cli import main\n"
             "code = main(sys.argv[1:])\n"
             "print('LOADED', sorted(m for m in ('rich', 'scrapy') if m in sys.modules), code, file=sys.stderr)\n")
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_db_name,
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "testing")])}
    for argv in (["query", "--limit", "1", "--format", "table"], ["show", "1"], ["db", "status", "--json"]):
        result = subprocess.run([sys.executable, "-c", probe, *argv], env=env, cwd=ROOT, capture_output=True,
                                text=True, timeout=60)
        assert "LOADED [] 0" in result.stderr, (argv, result.stderr[-2000:])


@pytest.mark.e2e
def test_the_readmes_query_and_export_examples_return_something_on_the_demo_archive(
        monkeypatch, mongo_uri, mongo_db_name, tmp_path, capsys):
    import re
    import shlex

    from nbd_replica.corpus import generate_articles
    from nbd_replica.server import serve
    from nbd_replica.site import ReplicaSite

    from newscrawler.cli.commands.demo import ARTICLES_PER_DAY
    from newscrawler.timeutil import BEIJING

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Query and export", 1)[1].split("\n\n", 2)[1]
    examples = [shlex.split(line.split("#")[0].split(" > ")[0])[1:] for line in block.splitlines()
                if line.strip().startswith(".venv/bin/newscrawler")]
    assert len(examples) >= 6
    # The demo's archive: its replica (seed, size, days), crawled as the demo crawls it.
    start = dt.datetime.now(BEIJING).date() - dt.timedelta(days=120 // ARTICLES_PER_DAY)
    site = ReplicaSite(generate_articles(120, seed=2026, start_date=start))
    with serve(site) as server:
        crawled = subprocess.run([sys.executable, "-m", "newscrawler", "crawl", "--columns",
                                  ",".join(map(str, sorted(site.column_ids))), "--pages", "50", *FAST, "--no-progress"],
                                 env=_crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data"), cwd=ROOT,
                                 capture_output=True, text=True, timeout=180)
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", mongo_db_name)
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path / "data"))  # its WARC files (export wacz)
    monkeypatch.chdir(tmp_path)
    for argv in examples:
        code, out, err = run_cli(capsys, *argv)
        assert code == 0, (argv, err)
        if argv[0] == "export":
            assert re.match(r"exported [1-9]\d* articles? ", err), (argv, err)
        else:
            assert out.strip() and "No articles match" not in out + err, (argv, out, err)


def test_the_spiders_argument_lists_are_their_signatures():
    import inspect

    from newscrawler.crawl.revisit import RevisitSpider
    from newscrawler.crawl.spider import NbdSpider

    for spider in (NbdSpider, RevisitSpider):
        taken = [name for name, p in inspect.signature(spider.__init__).parameters.items()
                 if name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD]
        assert tuple(taken) == spider.ARGUMENTS, spider.name
