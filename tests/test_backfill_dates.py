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
