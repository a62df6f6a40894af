"""End to end: `scrapy crawl nbd-revisit` (the spider of `newscrawler revisit`) on the replica.

Checks are conditional once the site sent validators (304: only the check times move), an
edit becomes a revision, a page gone is marked deleted and unmarked when back, a site
answering 503 marks nothing, and only the due articles are checked unless ``all``.
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from nbd_replica.procs import REPO
from tests.crawling import archive, crawl, crawl_command, replica_site

pytestmark = pytest.mark.e2e


def revisit(server, mongo_uri, db_name, data_dir, settings=None, **spider_args):
    args, env = crawl_command(server, mongo_uri, db_name, data_dir, settings=settings, **spider_args)
    args[args.index("nbd")] = "nbd-revisit"
    at = args.index("-a")  # the column list: a revisit takes none
    del args[at:at + 2]
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return archive(mongo_uri, db_name).crawls.find_one({"spider": "nbd-revisit"}, sort=[("started_at", -1)])


def _docs(db):
    return {d["article_id"]: d for d in db.articles.find({}, {"_id": 0})}


@pytest.fixture
def crawled(mongo_uri, mongo_db_name, tmp_path):
    with replica_site(n=6, seed=8) as (site, server):
        site.send_validators = True
        assert crawl(server, mongo_uri, mongo_db_name, tmp_path).returncode == 0
        yield site, server, archive(mongo_uri, mongo_db_name), (server, mongo_uri, mongo_db_name, tmp_path)


def test_revisits_are_conditional_and_see_edits_deletions_and_returns(crawled):
    site, server, db, where = crawled
    ids = sorted(site.articles)
    # Articles archived by a crawl were never scheduled: all due at once.
    record = revisit(*where)
    assert record["stats"]["checked"] == record["stats"]["same"] == len(ids)
    docs = _docs(db)
    for doc in docs.values():
        assert doc["validators"]["etag"] and doc["validators"]["last_modified"]
        # Changed (first archived) moments ago: the first step of the schedule, 15 minutes.
        assert doc["next_check_at"] - doc["last_checked_at"] == dt.timedelta(minutes=15)

    assert revisit(*where)["stats"]["checked"] == 0  # nothing due now

    edited, gone = ids[0], ids[1]
    site.edit_article(edited, title=site.articles[edited].title + "（更新）")
    site.delete_article(gone, "410")
    site.reset_log()
    record = revisit(*where, all=1)
    stats = record["stats"]
    assert (stats["checked"], stats["edited"], stats["deleted"], stats["not_modified"]) == (len(ids), 1, 1, len(ids) - 2)
    sent = {r.article_id: r.headers for r in site.article_requests()}
    assert all("if-none-match" in sent[aid] for aid in ids)
    docs = _docs(db)
    assert docs[edited]["revision"] == 2 and docs[edited]["title"].endswith("（更新）")
    assert db.article_revisions.count_documents({"article_id": edited}) == 1
    assert docs[gone]["deletion"]["status"] == 410 and docs[gone]["title"] == site.articles[gone].title
    unchanged = ids[2]
    assert docs[unchanged]["last_checked_at"] > docs[unchanged]["first_seen_at"]

    site.restore_article(gone)
    record = revisit(*where, all=1)
    assert record["stats"]["restored"] == 1 and record["stats"]["not_modified"] == len(ids)
    docs = _docs(db)
    assert "deleted_at" not in docs[gone] and len(docs[gone]["deletion_history"]) == 1
    # Back a moment ago: watched closely again.
    assert docs[gone]["next_check_at"] - docs[gone]["last_checked_at"] == dt.timedelta(minutes=15)


def test_only_due_articles_are_checked_and_5xx_marks_nothing(crawled):
    site, server, db, where = crawled
    ids = sorted(site.articles)
    revisit(*where)
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    db.articles.update_many({"article_id": {"$in": ids[:2]}}, {"$set": {"next_check_at": past}})
    site.reset_log()
    assert revisit(*where)["stats"]["checked"] == 2
    assert sorted(r.article_id for r in site.article_requests()) == ids[:2]

    before = _docs(db)
    site.faults.add(r"/articles/", "status", count=None, status=503)
    record = revisit(*where, all=1, settings={"RETRY_TIMES": "1"})
    assert record["stats"]["failed_checks"] == len(ids)
    docs = _docs(db)
    assert not any("deleted_at" in d for d in docs.values())
    assert all(docs[a]["next_check_at"] == before[a]["next_check_at"] for a in ids)  # still due as before


def test_two_revisits_of_one_archive_never_run_at_once(crawled):
    """A second `newscrawler revisit` while one runs on the same archive does nothing, says so in
    one sentence, and exits 0 (as a crawl job found running does); the first checks everything."""
    from tests.operations_support import crawl_env, newscrawler_cmd, run_newscrawler, wait_for

    site, server, db, (_, mongo_uri, db_name, tmp_path) = crawled
    site.faults.add(r"^/articles/", "delay", count=None, seconds=0.3)  # a revisit of a few seconds
    env = crawl_env(server, mongo_uri, db_name, tmp_path / "revisit-data")
    fast = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    first = subprocess.Popen(newscrawler_cmd("revisit", "--all", *fast), env=env, cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    locks = tmp_path / "revisit-data" / "locks"
    wait_for(lambda: any(str(first.pid) in f.read_text() for f in locks.glob("revisit-*.lock")) if locks.is_dir()
             else False, 60, what="the first revisit to take the lock")
    second = run_newscrawler("revisit", "--all", *fast, env=env, timeout=60)
    first_out, first_err = first.communicate(timeout=120)
    assert second.returncode == 0 and second.stdout == ""
    assert second.stderr.strip().splitlines() == [
        f"newscrawler revisit: a revisit of this archive (database {db_name}) is already running "
        f"(pid {first.pid} since {second.stderr.split(' since ')[1].split(')')[0]}); this start does nothing"]
    assert first.returncode == 0, first_err[-3000:]
    records = list(db.crawls.find({"spider": "nbd-revisit"}))
    assert len(records) == 1 and records[0]["stats"]["checked"] == len(site.articles)
    assert not any(f.read_text() for f in locks.glob("revisit-*.lock"))  # released
    third = run_newscrawler("revisit", "--all", *fast, env=env, timeout=120)  # free again
    assert third.returncode == 0, third.stderr[-3000:]
    assert db.crawls.count_documents({"spider": "nbd-revisit"}) == 2
