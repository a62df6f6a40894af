"""Column walks: completeness does not hang on how the last run ended.

Real crawls of the replica: a crawl stopped partway (SIGTERM, Ctrl-C) or with a list page that
failed on every try is continued by the next run from where its walk stopped, and a walk that
was complete still stops the next run at page 1 when nothing is new.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import signal
import subprocess

import pytest

from nbd_replica.corpus import generate_articles
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from tests.crawling import REPO, archive, crawl, crawl_command
from tests.operations_support import crawl_env, fast_settings, run_newscrawler, wait_for

WALKED = [329, 415, 448]  # columns of a section (the articles get a category)
PER_PAGE = 6


def column_articles(n: int, seed: int, start_id: int = 4_000_000, start_date=dt.date(2026, 9, 1)):
    """``n`` articles spread over the three walked columns, ids and times increasing together."""
    specs = generate_articles(n, seed=seed, start_id=start_id, start_date=start_date)
    return [dataclasses.replace(spec, column_id=WALKED[i % len(WALKED)]) for i, spec in enumerate(specs)]


def archived_ids(mongo_uri: str, db_name: str) -> set[int]:
    return {d["article_id"] for d in archive(mongo_uri, db_name).articles.find({}, {"article_id": 1})}


def stop_partway(server, mongo_uri: str, db_name: str, data_dir, signum: int, fraction: float = 1 / 3) -> int:
    """A crawl with a small delay per request, stopped with ``signum`` once about ``fraction``
    of the site's articles were fetched; returns how many were fetched by then."""
    site = server.site
    args, env = crawl_command(server, mongo_uri, db_name, data_dir, pages=20,
                              settings={"DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"})
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        target = int(len(site.articles) * fraction)
        wait_for(lambda: len(site.article_requests()) >= target or proc.poll() is not None, 60,
                 what=f"{target} article pages fetched")
        assert proc.poll() is None, "the crawl ended before it was stopped"
        fetched = len(site.article_requests())
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "shutdown" in err, err[-3000:]
    return fetched


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_crawl_is_continued_by_the_next_run(mongo_uri, mongo_db_name, tmp_path, signum):
    site = ReplicaSite(column_articles(90, seed=21), columns_per_page=PER_PAGE)
    with serve(site) as server:
        fetched = stop_partway(server, mongo_uri, mongo_db_name, tmp_path / "data", signum)
        first = archived_ids(mongo_uri, mongo_db_name)
        assert 0 < len(first) < len(site.articles) and fetched < len(site.articles)
        # Ten more articles appear on top meanwhile: the unfinished walks' pages move down.
        site.add_articles(column_articles(10, seed=22, start_id=4_100_000, start_date=dt.date(2026, 10, 1)))
        site.reset_log()
        again = crawl(server, mongo_uri, mongo_db_name, tmp_path / "data", pages=20)
        assert again.returncode == 0, again.stderr[-3000:]
    assert archived_ids(mongo_uri, mongo_db_name) == set(site.articles)
    assert archive(mongo_uri, mongo_db_name).articles.count_documents({}) == len(site.articles)
    fetched_again = [r.article_id for r in site.article_requests()]
    assert sorted(fetched_again) == sorted(set(site.articles) - first)  # nothing fetched twice
    walks = list(archive(mongo_uri, mongo_db_name).column_walks.find({}))
    assert len(walks) == len(WALKED) and all(w["complete"] and not w["gaps"] for w in walks)


def test_a_failed_list_page_is_reported_and_walked_by_the_next_run(mongo_uri, mongo_db_name, tmp_path):
    site = ReplicaSite(column_articles(90, seed=23), columns_per_page=PER_PAGE)
    column = WALKED[1]
    site.faults.add(rf"^/columns/{column}/page/2(\.html|/)?$", "status", count=None, status=503)
    with serve(site) as server:
        env = crawl_env(server, mongo_uri, mongo_db_name, tmp_path / "data")
        columns = ",".join(map(str, WALKED))
        first = run_newscrawler("crawl", "--columns", columns, "--pages", "20", *fast_settings(), env=env)
        assert first.returncode == 3, first.stdout + first.stderr[-3000:]
        assert "1 column walk(s) left unfinished" in first.stderr
        record = archive(mongo_uri, mongo_db_name).crawls.find_one({})
        assert record["finish_reason"] == "finished" and record["stats"]["incomplete_walks"] == 1
        missing = set(site.articles) - archived_ids(mongo_uri, mongo_db_name)
        assert missing  # articles only the failed page and those after it list

        site.faults.clear()
        site.reset_log()
        second = run_newscrawler("crawl", "--columns", columns, "--pages", "20", *fast_settings(), env=env)
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    assert archived_ids(mongo_uri, mongo_db_name) == set(site.articles)
    assert sorted(r.article_id for r in site.article_requests()) == sorted(missing)
    # The failed page was asked again; the other columns stopped at page 1 (nothing new there).
    pages = [r.path for r in site.requests if r.kind in ("column", "load_more")]
    assert any(p.startswith(f"/columns/{column}/page/2") for p in pages)
    assert sum(1 for p in pages if not p.startswith(f"/columns/{column}")) == len(WALKED) - 1
    last = archive(mongo_uri, mongo_db_name).crawls.find_one({}, sort=[("started_at", -1)])
    assert last["stats"]["incomplete_walks"] == 0


def test_after_a_complete_walk_the_next_run_stops_where_it_began(mongo_uri, mongo_db_name, tmp_path):
    """Politeness kept: a run after a complete walk fetches list pages only down to the page
    listing the newest article of that walk (page 1 when nothing is new)."""
    site = ReplicaSite(column_articles(60, seed=24), columns_per_page=PER_PAGE)
    with serve(site) as server:
        fetched = stop_partway(server, mongo_uri, mongo_db_name, tmp_path / "data", signal.SIGTERM)
        assert fetched < len(site.articles)
        resumed = crawl(server, mongo_uri, mongo_db_name, tmp_path / "data", pages=20)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert archived_ids(mongo_uri, mongo_db_name) == set(site.articles)

        site.reset_log()
        nothing_new = crawl(server, mongo_uri, mongo_db_name, tmp_path / "data", pages=20)
        assert nothing_new.returncode == 0, nothing_new.stderr[-3000:]
        assert site.article_requests() == []
        assert sorted(r.path for r in site.requests if r.kind in ("column", "load_more")) == sorted(
            f"/columns/{c}" for c in WALKED)

        # Two new articles per column: still one list page each (the old head is on page 1).
        site.add_articles(column_articles(6, seed=25, start_id=4_200_000, start_date=dt.date(2026, 11, 1)))
        new = set(site.articles) - archived_ids(mongo_uri, mongo_db_name)
        site.reset_log()
        some_new = crawl(server, mongo_uri, mongo_db_name, tmp_path / "data", pages=20)
        assert some_new.returncode == 0, some_new.stderr[-3000:]
    assert sorted(r.article_id for r in site.article_requests()) == sorted(new)
    assert len([r for r in site.requests if r.kind in ("column", "load_more")]) == len(WALKED)



def _gap(url: str, stop_id: int | None) -> dict:
    return {"resume": {"url": url, "xhr": False, "page": 2, "depth": 2, "after_id": 50}, "stop_id": stop_id}


def test_two_crawls_saving_one_column_keep_each_others_gaps(mongo_db, monkeypatch):
    """Crawl B saves between crawl A's read and write: A's write is refused (version changed)
    and A merges into what B saved, so neither crawl's unfinished walk is forgotten."""
    from newscrawler.store import walks
    from newscrawler.store.indexes import ensure_indexes

    ensure_indexes(mongo_db)
    walks.save_walk(mongo_db, "http://x", 329, 100, [], set(), "c0")
    merge, interleaved = walks.next_state, []

    def b_saves_after_a_read(*args):
        if not interleaved:
            interleaved.append(True)
            walks.save_walk(mongo_db, "http://x", 329, 120, [_gap("http://x/b", 100)], set(), "b")
        return merge(*args)

    monkeypatch.setattr(walks, "next_state", b_saves_after_a_read)
    walks.save_walk(mongo_db, "http://x", 329, 110, [_gap("http://x/a", 100)], set(), "a")
    stored = mongo_db.column_walks.find_one({"column_id": 329})
    assert stored["head_id"] == 120 and stored["version"] == 3 and stored["crawl_id"] == "a"
    assert {g["resume"]["url"] for g in stored["gaps"]} == {"http://x/a", "http://x/b"}
    assert not stored["complete"]


def test_a_resumed_gap_is_replaced_by_what_is_left_of_it():
    from newscrawler.store.walks import gap_key, next_state

    old = _gap("http://x/p2", 100)
    state = next_state({"head_id": 150, "gaps": [old]}, 170, [_gap("http://x/p4", 100)], {gap_key(old)})
    assert state == {"head_id": 170, "gaps": [_gap("http://x/p4", 100)], "complete": False}
    done = next_state(state, None, [], {gap_key(state["gaps"][0])})
    assert done == {"head_id": 170, "gaps": [], "complete": True}
