"""Operations: `newscrawler crawl` / `crawls`, jobs and their lock, the scheduler, monitoring.

Every crawl here is real: the replica served on loopback, `newscrawler ...` in a subprocess,
the session's MongoDB-protocol server.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import pty
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from newscrawler.cli.jobs import (
    AlreadyRunning, JobLock, JobsFileError, load_jobs, lock_path, resolve_date,
)
from nbd_replica.corpus import generate_articles
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from tests.crawling import REPO, archive, replica_site
from tests.operations_support import (
    columns_of, crawl_env, fast_settings, newscrawler_cmd, run_newscrawler, wait_for, write_jobs,
)

# -- the jobs file ---------------------------------------------------------------------------------


def test_example_jobs_file_loads_and_lists():
    jobs = load_jobs(REPO / "jobs.toml")
    assert {"headlines", "sections", "nightly"} <= set(jobs.jobs)
    headlines = jobs.get("headlines")
    assert headlines.cron and headlines.spider_args()["columns"] == "3,332,1161,1320"
    assert headlines.spider_args()["pages"] == "2"          # its own, over [defaults]
    assert jobs.get("sections").settings["NBD_MIN_COVERAGE"]["category"] == 0.8
    nightly = jobs.get("nightly").spider_args(today=dt.date(2026, 11, 20))
    assert nightly["since"] == "2026-11-18"                  # "2d": two days before today
    assert jobs.get("refresh-week").cron is None and jobs.get("refresh-week").full

    result = run_newscrawler("schedule", "--jobs", "jobs.toml", "--list", env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "headlines" in result.stdout and "next 20" in result.stdout
    assert "refresh-week" in result.stdout  # listed as not scheduled


@pytest.mark.parametrize("text, message", [
    ("[jobs.a]\ncron = '* * *'\n", "five fields"),
    ("[jobs.a]\ncron = '61 * * * *'\n", "bad cron"),
    ("[jobs.a]\ncolumnz = [3]\n", "unknown key"),
    ("[jobs.a]\ncolumns = ['x']\n", "job 'a'"),
    ("[jobs.'a b']\ncron = '* * * * *'\n", "bad job name"),
    ("timezone = 'Mars/Base'\n", "unknown timezone"),
    ("[jobs.a\n", "not valid TOML"),
])
def test_bad_jobs_files_are_refused_with_the_reason(tmp_path, text, message):
    path = write_jobs(tmp_path / "jobs.toml", text)
    with pytest.raises(JobsFileError, match=message):
        load_jobs(path)


def test_a_revisit_job_loads_and_the_scheduler_runs_it_as_newscrawler_revisit(tmp_path, capsys):
    from newscrawler.cli import main
    from newscrawler.cli.commands.schedule import JobRunner

    example = load_jobs(REPO / "jobs.toml").get("revisit")
    assert (example.verb, example.limit, example.pages) == ("revisit", 200, None)  # [defaults] pages: a crawl's
    path = write_jobs(tmp_path / "jobs.toml", textwrap.dedent("""
        [defaults]
        pages = 3
        [jobs.edits]
        verb = "revisit"
        cron = "*/15 * * * *"
        all = true
        since = "7d"
        limit = 50
        settings = { DOWNLOAD_DELAY = 5, NBD_MIN_COVERAGE = { body = 0.9 } }
    """))
    job = load_jobs(path).get("edits")
    assert job.command_line(today=dt.date(2026, 11, 20)) == [
        "revisit", "--all", "--since", "2026-11-13", "--limit", "50", "-s", "DOWNLOAD_DELAY=5",
        "-s", 'NBD_MIN_COVERAGE={"body": 0.9}', "-s", "NEWSCRAWLER_JOB=edits"]
    command = JobRunner(path).command("edits")
    assert command[:4] == [sys.executable, "-m", "newscrawler", "revisit"] and "--all" in command
    # The newscrawler command line takes it as it is built.
    from newscrawler.cli import build_parser
    parsed = build_parser().parse_args(command[3:])
    assert parsed.all and parsed.limit == 50 and ("NEWSCRAWLER_JOB", "edits") in parsed.settings
    assert JobRunner(path).command("edits")  # read again at each run
    # A crawl job is still run as `newscrawler crawl --job`.
    crawl_path = write_jobs(tmp_path / "crawl.toml", "[jobs.h]\ncron = '* * * * *'\ncolumns = [3]\n")
    assert JobRunner(crawl_path).command("h")[3:6] == ["crawl", "--job", "h"]
    # `crawl --job` refuses a revisit job rather than crawling the default columns.
    assert main(["crawl", "--job", "edits", "--jobs", str(path)]) == 2
    assert "is a revisit job" in capsys.readouterr().err


@pytest.mark.parametrize("text, message", [
    ("[jobs.a]\nverb = 'revisit'\ncolumns = [3]\n", "a revisit job takes no columns"),
    ("[jobs.a]\nlimit = 5\n", "a crawl job takes no limit"),
    ("[jobs.a]\nverb = 'export'\n", "verb must be one of crawl, revisit"),
    ("[jobs.a]\nverb = 'revisit'\nlimit = 0\n", "limit must be at least 1"),
])
def test_bad_revisit_jobs_are_refused_with_the_reason(tmp_path, text, message):
    with pytest.raises(JobsFileError, match=message):
        load_jobs(write_jobs(tmp_path / "jobs.toml", text))


def test_relative_and_absolute_dates():
    assert resolve_date("2026-11-01") == "2026-11-01"
    assert resolve_date("7d", today=dt.date(2026, 11, 20)) == "2026-11-13"
    with pytest.raises(ValueError):
        resolve_date("yesterday")


def test_job_lock_is_exclusive_and_released(tmp_path):
    with JobLock(tmp_path, "daily"):
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
            JobLock(tmp_path, "daily").acquire()
        JobLock(tmp_path, "other").acquire().release()  # other jobs are not blocked
    JobLock(tmp_path, "daily").acquire().release()      # free again
    assert lock_path(tmp_path, "daily") == tmp_path / "locks" / "daily.lock"


def test_a_revisit_lock_is_one_per_archive(tmp_path):
    from newscrawler.cli.jobs import revisit_lock

    def lock(**settings):
        return revisit_lock({"NEWSCRAWLER_DATA_DIR": str(tmp_path), "MONGO_DATABASE": "news", **settings})

    with lock(MONGO_URI="mongodb://db:27017/"):
        with pytest.raises(AlreadyRunning, match=r"^a revisit of this archive \(database news\) is already running"):
            lock(MONGO_URI="mongodb://db:27017/").acquire()
        lock(MONGO_URI="mongodb://db:27017/", MONGO_DATABASE="other").acquire().release()  # another archive
        lock(MONGO_URI="mongodb://elsewhere:27017/").acquire().release()
        lock().acquire().release()  # the embedded archive
    assert lock(MONGO_URI="mongodb://db:27017/").path.parent == tmp_path / "locks"


# -- cron and systemd examples ------------------------------------------------------------------


def test_cron_example_names_real_jobs_and_valid_commands():
    from apscheduler.triggers.cron import CronTrigger

    from newscrawler.cli import build_parser

    jobs = load_jobs(REPO / "jobs.toml")
    lines = [line for line in (REPO / "deploy" / "cron" / "newscrawler").read_text().splitlines()
             if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    assert lines
    for line in lines:
        fields = line.split(None, 6)
        CronTrigger.from_crontab(" ".join(fields[:5]))
        assert fields[5] == "newscrawler"  # the user column of /etc/cron.d
        command = fields[6].split("&&", 1)[1].split(">", 1)[0]
        argv = shlex.split(command)
        assert argv[0] == ".venv/bin/newscrawler"
        args = build_parser().parse_args(argv[1:])
        assert args.verb == "crawl" and args.job in jobs.jobs


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_units_verify(tmp_path):
    """The units as shipped, with /opt/newscrawler pointed at this checkout."""
    venv = Path(os.environ.get("VIRTUAL_ENV") or Path(sys.executable).parent.parent)
    for unit in (REPO / "deploy" / "systemd").iterdir():
        text = unit.read_text().replace("/opt/newscrawler/.venv", str(venv)).replace("/opt/newscrawler", str(REPO))
        text = text.replace("User=newscrawler", "User=root")
        names = [unit.name]
        if unit.name == "newscrawler-crawl@.service":  # instances the timers start
            names = ["newscrawler-crawl@headlines.service", "newscrawler-crawl@nightly.service"]
        for name in names:
            (tmp_path / name).write_text(text)
    units = sorted(str(p) for p in tmp_path.iterdir())
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for timer in tmp_path.glob("*.timer"):
        calendar = next(line.split("=", 1)[1] for line in timer.read_text().splitlines()
                        if line.startswith("OnCalendar="))
        check = subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


# -- `newscrawler crawl` ad hoc, and `newscrawler crawls` -----------------------------------------


def test_ad_hoc_crawl_summary_record_and_listing(mongo_uri, mongo_db_name, tmp_path):
    with replica_site(n=24, seed=11) as (site, server):
        env = crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data")
        result = run_newscrawler("crawl", "--columns", columns_of(server), "--pages", "10",
                                 *fast_settings(), env=env)
        assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    db = archive(mongo_uri, mongo_db_name)
    record = db.crawls.find_one({})
    assert record["crawl_id"] in out and "finished" in out
    assert f"{len(site.articles)} new" in out
    assert "coverage" in out and "authors" in out
    assert f"database {mongo_db_name}" in out and str(tmp_path / "data" / "images") in out
    assert "\r" not in result.stderr  # no progress line without a terminal

    assert record["finish_reason"] == "finished" and record["job"] is None and record["alerts"] == []
    assert record["stats"]["new"] == len(site.articles) and record["stats"]["errors"] == 0
    assert record["worker"]["pid"] > 0
    coverage = record["coverage"]
    assert coverage["articles"] == len(site.articles) and coverage["basis"] == "new"
    assert coverage["published_at"] == coverage["body"] == 1.0
    expected_authors = sum(1 for s in site.articles.values() if s.authors) / len(site.articles)
    assert coverage["authors"] == pytest.approx(expected_authors, abs=1e-3)

    as_json = run_newscrawler("crawls", "--json", "--limit", "5", env=env)
    assert as_json.returncode == 0, as_json.stderr
    assert record["crawl_id"] in as_json.stdout
    assert '"coverage"' in as_json.stdout and '"alerts": []' in as_json.stdout


def test_progress_line_on_a_terminal(mongo_uri, mongo_db_name, tmp_path):
    with replica_site(n=8, seed=12) as (site, server):
        env = crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data")
        master, slave = pty.openpty()
        proc = subprocess.Popen(newscrawler_cmd("crawl", "--columns", columns_of(server), "--pages", "5",
                                                *fast_settings(LOG_LEVEL=None)),
                                env=env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=slave)
        os.close(slave)
        terminal = b""
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the crawl closed the terminal
                break
            if not chunk:
                break
            terminal += chunk
        stdout, _ = proc.communicate(timeout=60)
        os.close(master)
    assert proc.returncode == 0, terminal.decode(errors="replace")[-2000:]
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.decode(errors="replace"))  # rich's colours
    assert f"pages {len(site.articles)}  new {len(site.articles)}" in text
    assert "errors 0" in text
    assert "INFO" not in text  # on a terminal, the log shows warnings and errors only
    assert b"new" in stdout


@pytest.mark.e2e  # the crawl command in a process
@pytest.mark.parametrize("argv, message", [
    (["--columns", "abc"], "argument --columns: not an id"),
    (["--pages", "0"], "at least 1"),
    (["--since", "2026-11-05", "--until", "2026-11-01"], "after --until"),
    (["-s", "NOEQUALS"], "NAME=VALUE"),
    (["--lists", "deep"], "argument --lists: invalid choice"),
    (["--job", "nope", "--jobs", "jobs.toml"], "no job 'nope'"),
])
def test_crawl_usage_errors_exit_2(argv, message):
    result = run_newscrawler("crawl", *argv, env=dict(os.environ))
    assert result.returncode == 2 and message in result.stderr


def test_blocked_crawl_exits_1(mongo_uri, mongo_db_name, tmp_path):
    with replica_site(n=10, seed=13) as (site, server):
        site.faults.add(r"^/columns/", "status", count=None, status=403)
        env = crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data")
        result = run_newscrawler("crawl", "--columns", columns_of(server), *fast_settings(), env=env)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "blocked" in result.stderr
    record = archive(mongo_uri, mongo_db_name).crawls.find_one({})
    assert record["finish_reason"] == "blocked_403"


@pytest.mark.e2e  # a real crawl
def test_archive_unavailable_with_nothing_written_exits_1(tmp_path):
    from nbd_replica.procs import free_port

    with replica_site(n=6, seed=14) as (site, server):
        env = crawl_env(server, f"mongodb://127.0.0.1:{free_port()}", "nc_unreachable", tmp_path / "data")
        result = run_newscrawler("crawl", "--columns", columns_of(server, 2), "--pages", "2",
                                 *fast_settings(), env=env)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "MongoDB was unavailable and nothing was written" in result.stderr
    assert "spooled" in result.stdout and list((tmp_path / "data" / "spool").iterdir())


def test_record_of_a_crawl_without_mongodb_is_written_by_the_next_run(tmp_path, mongo_uri, mongo_db_name):
    """MongoDB down for a whole run: its articles AND its crawl record are spooled; the next
    run writes both, the record complete (not left looking like an interrupted crawl)."""
    from nbd_replica.procs import free_port

    with replica_site(n=6, seed=15) as (site, server):
        columns = columns_of(server, 2)
        down = crawl_env(server, f"mongodb://127.0.0.1:{free_port()}", mongo_db_name, tmp_path / "data")
        first = run_newscrawler("crawl", "--columns", columns, "--pages", "2", *fast_settings(), env=down)
        assert first.returncode == 1, first.stderr[-2000:]
        assert "crawl record" in first.stderr and "spooled" in first.stderr
        up = crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data")
        second = run_newscrawler("crawl", "--columns", columns, "--pages", "2", *fast_settings(), env=up)
        assert second.returncode == 0, second.stderr[-2000:]
    db = archive(mongo_uri, mongo_db_name)
    records = list(db.crawls.find({}, {"_id": 0}).sort("started_at", 1))
    assert len(records) == 2
    late, now = records
    assert late["finish_reason"] == "finished" and late["finished_at"] < now["started_at"]
    assert late["recorded_by"] == now["crawl_id"] and late["spider"] == "nbd"
    archived = db.articles.count_documents({})
    assert archived > 0 and late["stats"]["spooled"] == archived  # every article went through the spool
    assert late["worker"]["pid"] and late["coverage"] and late["args"]["columns"]
    assert not list((tmp_path / "data" / "spool").iterdir())


# -- jobs: lock, record, scheduler --------------------------------------------------------------------


def _jobs_file(tmp_path: Path, server, name: str = "replica", cron: str = "0 0 1 1 *", **extra) -> Path:
    settings = ", ".join(f'{k} = "{v}"' for k, v in {
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": 0, "CONCURRENT_REQUESTS": 4,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4, "RETRY_BACKOFF_BASE": 0.05, **extra}.items())
    return write_jobs(tmp_path / "jobs.toml", textwrap.dedent(f"""\
        timezone = "Asia/Shanghai"
        [jobs.{name}]
        cron = "{cron}"
        columns = [{columns_of(server)}]
        pages = 10
        settings = {{ {settings} }}
        """))


def test_job_run_is_single_and_recorded(mongo_uri, mongo_db_name, tmp_path):
    """Two starts of one job: the second, while the first runs, does nothing and says so."""
    data_dir = tmp_path / "data"
    with replica_site(n=16, seed=15) as (site, server):
        site.faults.add(r"^/articles/", "delay", count=None, seconds=0.15)  # a crawl of ~1 s
        jobs = _jobs_file(tmp_path, server)
        env = crawl_env(server, mongo_uri, mongo_db_name, data_dir)
        first = subprocess.Popen(newscrawler_cmd("crawl", "--job", "replica", "--jobs", str(jobs)), env=env,
                                 cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lock_file = lock_path(data_dir, "replica")
        wait_for(lambda: lock_file.exists() and str(first.pid) in lock_file.read_text(), 30,
                 what="the first run to take the lock")
        second = run_newscrawler("crawl", "--job", "replica", "--jobs", str(jobs), env=env, timeout=60)
        first_out, first_err = first.communicate(timeout=120)
    assert second.returncode == 0
    assert "already running" in second.stderr and f"pid {first.pid}" in second.stderr
    assert second.stdout == ""
    assert first.returncode == 0, first_err[-3000:]
    assert "(job replica)" in first_out
    db = archive(mongo_uri, mongo_db_name)
    records = list(db.crawls.find({}))
    assert len(records) == 1 and records[0]["job"] == "replica"
    assert records[0]["stats"]["new"] == len(site.articles)
    assert lock_file.read_text() == ""  # released: holder info cleared

    listing = run_newscrawler("crawls", "--job", "replica", env=env)  # the table
    assert records[0]["crawl_id"] in listing.stdout and "replica" in listing.stdout
    assert "finished" in listing.stdout and listing.stdout.startswith("started (Beijing)")


def test_scheduler_runs_jobs_and_stops_cleanly(mongo_uri, mongo_db_name, tmp_path):
    log = tmp_path / "schedule.log"
    with replica_site(n=8, seed=16) as (site, server):
        jobs = _jobs_file(tmp_path, server, name="yearly")
        env = crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data")
        with open(log, "w") as err:
            proc = subprocess.Popen(newscrawler_cmd("schedule", "--jobs", str(jobs), "--now"), env=env, cwd=REPO,
                                    stdout=subprocess.DEVNULL, stderr=err)
            try:
                wait_for(lambda: "job yearly: exit" in log.read_text(), 60, what="the scheduled run to end")
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
    text = log.read_text()
    assert proc.returncode == 0, text[-3000:]
    assert "job yearly [0 0 1 1 *]: next run" in text
    # Beijing time, saying so: the log's stamps and the next run (0 0 1 1 * in the jobs' zone).
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+08:00 \[schedule\] INFO: scheduling", text, re.M)
    assert re.search(r"next run \d{4}-\d\d-\d\d \d\d:\d\d\+08:00", text)
    assert "job yearly: started" in text and "job yearly: exit 0 (done)" in text
    assert "scheduler stopped" in text
    record = archive(mongo_uri, mongo_db_name).crawls.find_one({"job": "yearly"})
    assert record["finish_reason"] == "finished" and record["stats"]["new"] == len(site.articles)


# -- monitoring -----------------------------------------------------------------------------------------


def _crawl_site(site, mongo_uri, db_name, data_dir, *extra):
    with serve(site) as server:
        env = crawl_env(server, mongo_uri, db_name, data_dir)
        return run_newscrawler("crawl", "--columns", columns_of(server), "--pages", "10",
                               *fast_settings(), *extra, env=env)


def test_layout_change_alert_low_author_coverage(mongo_uri, mongo_db_name, tmp_path):
    """A redesign that drops the byline: the crawl archives, alerts, and exits with 3."""
    specs = [dataclasses.replace(s, byline=None, authors=[], editor=None)
             for s in generate_articles(16, seed=17)]
    alerts_file = tmp_path / "alerts.txt"
    result = _crawl_site(ReplicaSite(specs), mongo_uri, mongo_db_name, tmp_path / "data",
                         "-s", "NBD_ALERT_ACTIONS=tests.operations_support.WriteAlertsFile",
                         "-s", f"TEST_ALERTS_FILE={alerts_file}")
    assert result.returncode == 3, result.stderr[-3000:]
    assert "ALERT coverage: 0% of 16 new articles have authors (minimum 30%)" in result.stderr
    assert alerts_file.read_text().startswith("coverage: 0% of 16")  # the extra action ran too
    record = archive(mongo_uri, mongo_db_name).crawls.find_one({})
    assert record["finish_reason"] == "finished" and record["stats"]["new"] == 16
    assert record["coverage"]["authors"] == 0.0
    assert len(record["alerts"]) == 1 and record["alerts"][0].startswith("coverage: 0% of 16 new articles have authors")
    listing = run_newscrawler("crawls", "--alerts", env=crawl_env(None, mongo_uri, mongo_db_name, tmp_path / "data"))
    assert "have authors" in listing.stdout


def test_thresholds_are_settings(mongo_uri, mongo_db_name, tmp_path):
    """A healthy site (a crawl of it passes: see the ad hoc test) alerts when a run asks for
    more than it has: here a thumbnail on every article."""
    site = ReplicaSite(generate_articles(16, seed=19))
    strict = _crawl_site(site, mongo_uri, mongo_db_name, tmp_path / "data", "-s", 'NBD_MIN_COVERAGE={"thumbnail": 0.99}')
    assert strict.returncode == 3, strict.stderr[-2000:]
    assert "have thumbnail (minimum 99%)" in strict.stderr
    record = archive(mongo_uri, mongo_db_name).crawls.find_one({})
    assert 0 < record["coverage"]["thumbnail"] < 0.99 and len(record["alerts"]) == 1


def test_no_links_on_column_pages_alert(mongo_uri, mongo_db_name, tmp_path):
    site = ReplicaSite(generate_articles(10, seed=20))
    site.faults.add(r"^/columns/", "huge", count=None, size=4000)  # pages without any article link
    result = _crawl_site(site, mongo_uri, mongo_db_name, tmp_path / "data")
    assert result.returncode == 3, result.stderr[-3000:]
    assert "ALERT discovery:" in result.stderr and "no article link" in result.stderr
    record = archive(mongo_uri, mongo_db_name).crawls.find_one({})
    assert record["alerts"] and record["alerts"][0].startswith("discovery:")
    assert record["coverage"]["articles"] == 0


def test_no_column_page_fetched_alert(mongo_uri, mongo_db_name, tmp_path):
    site = ReplicaSite(generate_articles(6, seed=24))
    site.faults.add(r"^/columns/", "status", count=None, status=404)
    result = _crawl_site(site, mongo_uri, mongo_db_name, tmp_path / "data")
    assert result.returncode == 3, result.stderr[-3000:]
    assert "ALERT discovery: none of the" in result.stderr and "column page(s) could be fetched" in result.stderr
    record = archive(mongo_uri, mongo_db_name).crawls.find_one({})
    assert record["stats"]["errors"] == len(site.column_ids) and record["stats"]["list_pages"] == 0
