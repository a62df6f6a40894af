"""End to end: `scrapy crawl nbd -a ids=A-B` walks an id range through the partner address,
skips archived ids without a request, counts the gaps (404) apart without reject rows, and
continues a stopped range from its checkpoint."""

from __future__ import annotations

import pytest

from newscrawler.crawl.progress import ProgressLine
from newscrawler.crawl import stats as keys
from newscrawler.crawl.backfill import MAX_IN_FLIGHT
from tests.crawling import archive, crawl, replica_site

pytestmark = pytest.mark.e2e


def test_a_stopped_backfill_continues_from_its_checkpoint(mongo_uri, mongo_db_name, tmp_path):
    with replica_site(n=12, seed=9) as (site, server):
        ids = sorted(site.articles)
        first, last = ids[2] - 3, ids[7] + 3
        in_range = [a for a in ids if first <= a <= last]
        archived_before = in_range[1]
        db = archive(mongo_uri, mongo_db_name)
        assert crawl(server, mongo_uri, mongo_db_name, tmp_path, columns="",
                     urls=str(archived_before)).returncode == 0
        site.reset_log()

        def backfill(**settings):
            result = crawl(server, mongo_uri, mongo_db_name, tmp_path, columns="", ids=f"{first}-{last}",
                           settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "4", **settings})
            assert result.returncode == 0, result.stderr[-3000:]
            return db.backfills.find_one({"first": first, "last": last})

        stopped = backfill(CLOSESPIDER_PAGECOUNT="30")
        assert not stopped["done"] and first < stopped["next_id"] <= last
        # Requests are handed out as answers come in, not the whole range at once.
        counts = stopped["counts"]
        answered = counts["articles"] + counts["not_articles"] + counts["errors"]
        assert answered < counts["requested"] <= answered + MAX_IN_FLIGHT < last - first
        first_run = {r.article_id for r in site.article_requests()}
        # Archived, at or above the checkpoint: the next run skips them without a request.
        ahead = sum(1 for d in db.articles.find({}, {"article_id": 1}) if d["article_id"] >= stopped["next_id"])
        site.reset_log()

        done = backfill()
        assert done["done"] and done["next_id"] == last + 1
        second_run = {r.article_id for r in site.article_requests()}
        # Settled ids are not asked again; only those in flight when the crawl stopped may be.
        assert min(second_run) >= stopped["next_id"]
        assert first_run | second_run == set(range(first, last + 1)) - {archived_before}
        assert all(r.path.startswith("/rss/") for r in site.article_requests())
        archived = {d["article_id"] for d in db.articles.find({}, {"article_id": 1})}
        assert archived == set(in_range)
        assert db.rejects.count_documents({}) == 0  # the gaps are counted, not rejected one by one
        record = db.crawls.find_one({}, sort=[("started_at", -1)])
        assert record["stats"]["not_articles"] > 0 and record["stats"]["errors"] == 0
        assert record["stats"]["skipped_archived"] == ahead
        assert done["counts"]["articles"] >= len(in_range) - 1

        site.reset_log()
        backfill()  # the range is done: nothing is asked
        assert site.article_requests() == []


class _Stats(dict):
    def get_value(self, key, default=None):
        return self.get(key, default)


class _Crawler:
    def __init__(self, stats):
        self.stats = stats


def test_the_progress_line_shows_a_bar_rate_and_eta():
    stats = _Stats({keys.BACKFILL_TOTAL: 100, keys.BACKFILL_SETTLED: 50})
    line = ProgressLine(_Crawler(stats))
    assert line.line().startswith("50/100 ids  0/min  ETA -  pages 0  new 0")
    line._started -= 60  # a minute later, 20 more ids settled
    stats[keys.BACKFILL_SETTLED] = 70
    assert "70/100 ids  20/min  ETA 0:01:30" in line.line()
    # Drawn by rich: the bar is the ids settled of the range.
    from rich.console import Console

    line.console = Console(file=__import__("io").StringIO(), width=120, force_terminal=False)
    line.show()
    line.refresh()
    task = line._progress.tasks[0]
    assert (task.completed, task.total) == (70, 100) and "70/100 ids" in task.fields["text"]
    line.stop()
    assert "70/100 ids" in line.console.file.getvalue()


def test_articles_over_several_pages_settle_their_ids(mongo_uri, mongo_db_name, tmp_path):
    """A backfilled article over several pages is archived complete and its id settles (the
    later pages are the backfill's too): the range's checkpoint reaches its end."""
    from nbd_replica.corpus import generate_articles, with_paged_articles
    from nbd_replica.server import serve
    from nbd_replica.site import ReplicaSite

    site = ReplicaSite(with_paged_articles(generate_articles(12, seed=23), every=3), columns_per_page=8)
    ids = sorted(site.articles)
    first, last = ids[0], ids[5]
    paged = [a for a in ids[:6] if site.articles[a].pages > 1]
    assert paged
    with serve(site) as server:
        result = crawl(server, mongo_uri, mongo_db_name, tmp_path, columns="", ids=f"{first}-{last}")
    assert result.returncode == 0, result.stderr[-3000:]
    db = archive(mongo_uri, mongo_db_name)
    for aid in paged:
        doc = db.articles.find_one({"article_id": aid})
        assert (doc["pages"], doc["pages_missing"]) == (site.articles[aid].pages, [])
    checkpoint = db.backfills.find_one({"first": first, "last": last})
    assert checkpoint["done"] and checkpoint["next_id"] == last + 1


def test_a_killed_backfill_keeps_no_checkpoint_past_an_article_not_stored(mongo_uri, mongo_db_name, tmp_path):
    """SIGKILL loses the pipeline's batch; the checkpoint never passed those articles (an id
    settles once its article is stored), so the next run fetches them and the range is whole."""
    import signal
    import subprocess

    from tests.crawling import REPO, crawl_command
    from tests.operations_support import wait_for

    with replica_site(n=12, seed=24) as (site, server):
        site.faults.add(r"^/rss/", "delay", count=None, seconds=0.05)
        ids = sorted(site.articles)
        first, last = ids[0], ids[9]
        args, env = crawl_command(server, mongo_uri, mongo_db_name, tmp_path, columns="", ids=f"{first}-{last}",
                                  settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "4"})
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db = archive(mongo_uri, mongo_db_name)
        past_articles = [a for a in ids[:9] if first <= a]
        wait_for(lambda: sum(1 for r in site.article_requests() if r.article_id in past_articles) >= 6,
                 timeout=90, what="the backfill fetching articles")
        wait_for(lambda: db.backfills.find_one({"first": first}), timeout=30, what="a checkpoint")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        checkpoint = db.backfills.find_one({"first": first, "last": last})["next_id"]
        archived = {d["article_id"] for d in db.articles.find({}, {"article_id": 1})}
        assert {a for a in site.articles if first <= a < checkpoint} <= archived

        assert crawl(server, mongo_uri, mongo_db_name, tmp_path, columns="", ids=f"{first}-{last}").returncode == 0
        archived = {d["article_id"] for d in db.articles.find({}, {"article_id": 1})}
        assert archived == {a for a in site.articles if first <= a <= last}
