"""End to end: `scrapy crawl nbd -a dates=FROM..TO` (`newscrawler backfill --from --to`) walks a
column's mobile list deep for the articles published in the window, and a stopped one continues
from where its walk stopped (the walk state, kept per window), not from page 1 again."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from nbd_replica.corpus import generate_articles
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite, _listing_time
from newscrawler.cli import main
from newscrawler.cli.commands.backfill import window_arguments
from newscrawler.crawl.backfill import parse_date_window
from tests.crawling import archive, crawl

COLUMN = 3


def _site() -> ReplicaSite:
    """Every other article listed in COLUMN (120 there: 6 mobile list pages)."""
    specs = [dataclasses.replace(spec, column_id=COLUMN) if i % 2 else spec
             for i, spec in enumerate(generate_articles(240, seed=5))]
    return ReplicaSite(specs, duplicate_every=0, columns_per_page=5, max_pages=1, load_more=False)


def _mobile_pages(site) -> list[int]:
    return sorted(int(m.group(1)) if (m := re.search(r"/page/(\d+)", r.path)) else 1
                  for r in site.requests_of("mobile_column"))


def test_the_window_argument_is_two_iso_days_in_order():
    assert [d.isoformat() for d in parse_date_window("2026-10-01..2026-10-31")] == ["2026-10-01", "2026-10-31"]
    for bad in ("2026-10-01", "30d..2d", "2026-10-31..2026-10-01", ""):
        with pytest.raises(ValueError):
            parse_date_window(bad)


def test_backfill_by_dates_is_a_usage_error_without_its_end(capsys):
    assert main(["backfill", "--from", "2026-10-01"]) == 2
    assert "--from needs --to" in capsys.readouterr().err
    assert main(["backfill", "--from", "2026-10-01", "--to", "2026-10-31", "--ids", "1-2"]) == 2
    assert main(["backfill", "--ids", "1-2", "-s", "BACKFILL_CHUNK=0"]) == 2
    assert "BACKFILL_CHUNK is a number of ids, at least 1, not '0'" in capsys.readouterr().err


@pytest.mark.e2e
def test_a_stopped_date_backfill_continues_down_the_list_where_it_stopped(mongo_uri, mongo_db_name, tmp_path):
    site = _site()
    column = site.listing(COLUMN)
    listed = {aid: _listing_time(site.articles[aid]).date() for aid in column}
    days = sorted(set(listed.values()))
    since, until = days[len(days) // 4], days[3 * len(days) // 4]
    expected = {aid for aid, day in listed.items() if since <= day <= until}
    assert len(expected) > 40 and column.index(max(expected)) >= 5  # the window is deep in the list
    db = archive(mongo_uri, mongo_db_name)
    window = f"{since}..{until}"

    def backfill(**settings):
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, columns=str(COLUMN), dates=window,
                       settings={"CONCURRENT_REQUESTS": "1", **settings})
        assert result.returncode == 0, result.stderr[-3000:]
        return db.column_walks.find_one({"column_id": COLUMN, "base_url": f"{server.base_url}/m#dates={window}"})

    with serve(site) as server:
        stopped = backfill(CLOSESPIDER_PAGECOUNT="12")
        assert not stopped["complete"] and len(stopped["gaps"]) == 1
        resume_page = stopped["gaps"][0]["resume"]["page"]
        first_run = set(_mobile_pages(site))
        assert 1 < resume_page <= max(first_run)
        site.reset_log()

        done = backfill()
        assert done["complete"] and done["head_id"] == column[0]
        # Page 1 (its walk stops at once: the stopped run began there), then from the gap down
        # to the first page reaching past the window; never the pages walked before the gap.
        second_run = _mobile_pages(site)
        assert second_run[0] == 1 and second_run[1] == resume_page and len(set(second_run)) == len(second_run)
        assert not site.requests_of("column")  # the PC pages were not walked
        assert max(second_run) < -(-len(column) // 20)  # stopped at the window's start, not the list's end
        archived = {d["article_id"] for d in db.articles.find({}, {"article_id": 1})}
        # The mobile lists show no year: a listed day is then read from the URL's creation day,
        # with the spider's one day of slack before the window (the publish day can follow it).
        slack = {aid for aid in archived - expected if listed[aid] == since - dt.timedelta(days=1)}
        assert archived - slack == expected, sorted((listed[a], a) for a in archived ^ expected)
        site.reset_log()

        assert backfill()["complete"]
        assert _mobile_pages(site) == [1] and not site.article_requests()  # a done window costs a page
    record = db.crawls.find_one({}, sort=[("started_at", -1)])
    assert record["args"]["dates"] == window and record["args"]["lists"] == "mobile"
    # The column crawl's own walk state is untouched by the window's.
    assert db.column_walks.count_documents({"base_url": f"{server.base_url}/m"}) == 0


def test_the_command_line_names_the_window_and_its_walk():
    import argparse

    args = argparse.Namespace(date_from="2026-10-01", date_to="2026-10-31", lists="mobile", columns=[3, 7], pages=None)
    assert window_arguments(args) == {"dates": "2026-10-01..2026-10-31", "lists": "mobile", "columns": "3,7"}


class _Stats(dict):
    def get_value(self, key, default=None):
        return self.get(key, default)

    def set_value(self, key, value):
        self[key] = value


def test_the_progress_line_of_a_date_backfill_shows_days_covered_a_rate_and_an_eta():
    from newscrawler.crawl import stats as keys
    from newscrawler.crawl.backfill import DateWindowBackfill
    from newscrawler.crawl.progress import ProgressLine

    window = DateWindowBackfill("2026-10-01..2026-10-30")  # 30 days
    stats = _Stats()
    day = dt.date.fromisoformat
    # Two columns; the first column's first page lists days newer than the window: nothing covered.
    window.page_walked(stats, 2, 3, [day("2026-11-05"), day("2026-11-02")], past_since=False)
    assert (stats[keys.BACKFILL_DAYS], stats[keys.BACKFILL_DAYS_COVERED]) == (30, 0)
    line = ProgressLine(type("Crawler", (), {"stats": stats})())
    assert line.line().startswith("0/30 days  0/min  ETA -")
    line._started -= 60  # a minute later: column 3 went back to 2026-10-20, column 7 past the window
    window.page_walked(stats, 2, 3, [day("2026-10-24"), day("2026-10-20"), None], past_since=False)
    window.page_walked(stats, 2, 7, [day("2026-10-01"), day("2026-09-30")], past_since=True)
    assert stats[keys.BACKFILL_DAYS_COVERED] == 20  # (10 + 30) / 2
    assert "20/30 days  20/min  ETA 0:00:30" in line.line()
    window.page_walked(stats, 2, 3, [day("2026-10-28")], past_since=False)  # a resumed walk's page 1
    assert stats[keys.BACKFILL_DAYS_COVERED] == 20  # a column's coverage never goes back


@pytest.mark.e2e
def test_a_date_backfill_on_a_terminal_shows_its_bar(mongo_uri, mongo_db_name, tmp_path):
    import os
    import pty
    import select
    import subprocess

    from tests.crawling import REPO
    from tests.operations_support import crawl_env, fast_settings, newscrawler_cmd

    site = _site()
    listed = sorted({_listing_time(site.articles[aid]).date() for aid in site.listing(COLUMN)})
    since, until = listed[len(listed) // 4], listed[3 * len(listed) // 4]
    with serve(site) as server:
        env = crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data")
        master, slave = pty.openpty()
        proc = subprocess.Popen(newscrawler_cmd("backfill", "--from", str(since), "--to", str(until),
                                                "--columns", str(COLUMN),
                                                *fast_settings(LOG_LEVEL=None, CONCURRENT_REQUESTS=2)),
                                env=env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        terminal = b""
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            try:
                chunk = os.read(master, 65536) if ready else b""
            except OSError:  # the backfill closed the terminal
                break
            if not chunk:
                break
            terminal += chunk
        proc.communicate(timeout=60)
        os.close(master)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.decode(errors="replace"))  # rich's colours
    assert proc.returncode == 0, text[-2000:]
    days = (until - since).days + 1
    assert f"/{days} days  " in text and "ETA" in text
    # At the end the walk reached past the window's start: every day covered (rich's bar full).
    assert f"{days}/{days} days" in text
