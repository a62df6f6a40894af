"""Scrapy's own commands on the project, as a Scrapy user runs them against the replica:
`scrapy check nbd` (the callbacks' contracts), `scrapy parse`, and `newscrawler crawl` of a
site that does not answer. (The tests with a server are e2e: conftest marks them.)"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from newscrawler.crawl import settings as project_settings
from nbd_replica.corpus import generate_articles
from nbd_replica.procs import FAST_SETTINGS, REPO
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from tests.crawling import archive, crawl, replica_site

# The sample pages the spider's contracts name (crawl/spider.py docstrings).
SAMPLE_ARTICLE = 4595080
SAMPLE_COLUMN = 329


@contextmanager
def sample_site():
    """A replica serving the contracts' sample pages: the article (on 2026-09-01, like every
    generated article) listed in the sample column."""
    specs = generate_articles(12, seed=5)
    # The newest article takes the sample id: ids keep growing with publish times.
    specs[-1] = dataclasses.replace(specs[-1], article_id=SAMPLE_ARTICLE, column_id=SAMPLE_COLUMN)
    site = ReplicaSite(specs)
    with serve(site) as server:
        yield site, server


def scrapy(server, mongo_uri: str, db_name: str, data_dir, *argv: str, settings: dict | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess:
    """`scrapy ARGV...` in the project, NBD_BASE_URL on the replica, into database ``db_name``."""
    args = [sys.executable, "-m", "scrapy", *argv]
    for key, value in {**FAST_SETTINGS, **(settings or {})}.items():
        args += ["-s", f"{key}={value}"]
    env = {**os.environ, "NBD_BASE_URL": server.base_url, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
           "NEWSCRAWLER_DATA_DIR": str(data_dir), "IMAGES_STORE": str(Path(data_dir) / "images")}
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def contracts_run(output: str) -> int:
    found = re.search(r"^Ran (\d+) contracts?", output, re.MULTILINE)
    assert found, output[-3000:]
    return int(found.group(1))


# -- scrapy check --------------------------------------------------------------------------------

def test_scrapy_check_runs_the_callbacks_contracts(mongo_uri, mongo_db_name, tmp_path):
    with sample_site() as (site, server):
        result = scrapy(server, mongo_uri, mongo_db_name, tmp_path, "check", "nbd", "-v")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert contracts_run(output) >= 2
    assert re.search(r"^OK$", output, re.MULTILINE), output[-3000:]
    # Each callback was checked against its sample page on the replica.
    assert {r.path for r in site.requests} >= {f"/articles/2026-09-01/{SAMPLE_ARTICLE}.html",
                                                f"/columns/{SAMPLE_COLUMN}"}


def test_scrapy_check_fails_on_an_article_page_without_a_title(mongo_uri, mongo_db_name, tmp_path):
    with sample_site() as (site, server):
        site.edit_article(SAMPLE_ARTICLE, title="")
        result = scrapy(server, mongo_uri, mongo_db_name, tmp_path, "check", "nbd")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "FAILED (failures=1)" in output
    assert "not archivable: no_title" in output


def test_scrapy_check_fails_on_a_column_page_listing_nothing(mongo_uri, mongo_db_name, tmp_path):
    with sample_site() as (site, server):
        # A page that answers 200 with no list on it (the layout changed).
        site.faults.add(rf"^/columns/{SAMPLE_COLUMN}$", "status", count=None, status=200)
        result = scrapy(server, mongo_uri, mongo_db_name, tmp_path, "check", "nbd")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "the column page lists 0 article(s)" in output


# -- scrapy parse --------------------------------------------------------------------------------

@pytest.mark.parametrize("path, options, shows", [
    (f"/articles/2026-09-01/{SAMPLE_ARTICLE}.html", ["-c", "parse_article"], f"'article_id': {SAMPLE_ARTICLE}"),
    # No callback named: the spider's parse() tells an article page from a list page by its URL.
    (f"/articles/2026-09-01/{SAMPLE_ARTICLE}.html", [], f"'article_id': {SAMPLE_ARTICLE}"),
    (f"/columns/{SAMPLE_COLUMN}", [], f"/articles/2026-09-01/{SAMPLE_ARTICLE}.html"),
], ids=["article-callback", "article", "column"])
def test_scrapy_parse_is_no_crawl_to_judge(mongo_uri, mongo_db_name, tmp_path, path, options, shows):
    """`scrapy parse` of one page walks no column: monitoring must not alert that no column page
    was fetched, and its record must not say the run went wrong."""
    with sample_site() as (site, server):
        result = scrapy(server, mongo_uri, mongo_db_name, tmp_path, "parse", "--spider", "nbd", *options,
                        server.base_url + path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert shows in output  # the callback the URL calls for gave what the page holds
    assert "ALERT" not in output and "Traceback" not in output, output[-3000:]
    records = list(archive(mongo_uri, mongo_db_name).crawls.find())
    assert len(records) == 1
    assert records[0]["alerts"] == [] and records[0]["finish_reason"] == "finished"
    assert records[0]["sample"] is True


# -- a site that does not answer ------------------------------------------------------------------

def test_crawl_of_a_site_that_does_not_answer_fails(mongo_uri, mongo_db_name, tmp_path):
    """Nothing listens at NBD_BASE_URL: the crawl failed (exit 1) and says why in one sentence,
    rather than finishing with alerts (exit 3) about column pages and walks."""
    from types import SimpleNamespace

    from nbd_replica.procs import free_port
    from tests.operations_support import crawl_env, fast_settings, run_newscrawler

    closed = SimpleNamespace(base_url=f"http://127.0.0.1:{free_port()}")
    env = crawl_env(closed, mongo_uri, mongo_db_name, tmp_path / "data")
    result = run_newscrawler("crawl", "--columns", "329,415", "--no-progress",
                             *fast_settings(RETRY_TIMES=0, RETRY_BACKOFF_BASE=0, DOWNLOAD_TIMEOUT=3,
                                            LOG_LEVEL="CRITICAL"), env=env)
    assert result.returncode == 1, result.stderr[-3000:]
    problems = [line for line in result.stderr.splitlines() if line.startswith("newscrawler crawl:")]
    assert len(problems) == 1, result.stderr[-3000:]
    assert problems[0].startswith("newscrawler crawl: the site did not answer: none of 3 requests")
    assert "Connection was refused" in problems[0] and closed.base_url.split("//")[1] in problems[0]
    record = archive(mongo_uri, mongo_db_name).crawls.find_one({})
    assert record["stats"]["unanswered"] == 2 and record["stats"]["errors"] == 2


def test_a_site_that_answered_some_requests_is_no_unanswered_site():
    """Pages that timed out while others came back are errors of a crawl that ran, not a site
    that was never there."""
    from newscrawler.cli import ExitStatus
    from newscrawler.cli.commands.crawl import judge
    from newscrawler.crawl import stats as keys
    from newscrawler.crawl.extensions import crawl_counts

    stats = {"finish_reason": "finished", keys.ERRORS: 2, keys.UNANSWERED: 2,
             keys.UNANSWERED_REASON: "example.org: DownloadTimeoutError", "downloader/request_count": 3}
    code, problems = judge({"finish_reason": "finished", "stats": stats, "counts": crawl_counts(stats)})
    assert code == ExitStatus.FAILURE and problems[0].startswith("the site did not answer: none of 3 requests")
    stats["downloader/response_count"] = 1
    assert judge({"finish_reason": "finished", "stats": stats, "counts": crawl_counts(stats)}) == (ExitStatus.OK, [])


# -- MongoDB off the reactor ------------------------------------------------------------------------

# Still on the reactor thread, and why they may be: the spider's close saves what each column's
# walk reached (once a crawl), the MongoDB pipeline replays an earlier run's spool at open (once),
# and a redirect dropped as a duplicate is recorded from a synchronous signal.
STILL_ON_REACTOR = {"spider.py:closed", "mongodb.py:open_spider", "spider.py:request_dropped"}


def test_the_crawl_waits_on_mongodb_off_the_reactor(mongo_uri, mongo_db_name, tmp_path):
    """List pages' archive lookups, rejects, the crawl record's writes and the coverage lookup
    run in worker threads: the reactor keeps downloading while MongoDB answers (or times out)."""
    probe = tmp_path / "probe.json"
    with replica_site(n=30, seed=21, columns_per_page=5) as (site, server):
        rejected = sorted(site.articles)[-1]  # the newest: on page 1 of its column
        site.edit_article(rejected, title="")  # a reject, written by the validation pipeline
        site.faults.add(r"^/columns/\d+/page/2", "status", count=None, status=404)  # a list page fails
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path / "data", pages=3,
                       settings={"EXTENSIONS": json.dumps({**project_settings.EXTENSIONS,
                                                           "tests.reactor_probe.ReactorThreadProbe": 0}),
                                 "REACTOR_PROBE_FILE": str(probe)})
    assert result.returncode == 0, result.stderr[-3000:]
    db = archive(mongo_uri, mongo_db_name)
    # The crawl did each of the things whose MongoDB calls are watched.
    assert db.rejects.count_documents({"article_id": rejected, "code": "no_title"}) == 1
    assert db.rejects.count_documents({"code": "column_failed"}) >= 1
    record = db.crawls.find_one({})
    assert record["stats"]["new"] > 0 and record["coverage"]["basis"] == "new"
    assert record["coverage"]["articles"] == record["stats"]["new"]
    on_reactor = set(json.loads(probe.read_text()))
    assert on_reactor <= STILL_ON_REACTOR, on_reactor - STILL_ON_REACTOR
