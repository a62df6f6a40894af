"""The web app over real HTTP (uvicorn on loopback) against a small archive written through the
store's write path (tests/web_archive.py): every API endpoint and page, bad input of every
kind, files served only from the archive's own stores, and the token rule."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pymongo
import pytest

from newscrawler.timeutil import BEIJING
from tests.web_archive import BODY_3, NOW, PAGE_HTML, REMOTE_IMAGE, build_archive, served

TOKEN = "a-test-token-of-some-length"


@pytest.fixture(scope="module")
def archive(mongo_uri, module_db_name, tmp_path_factory):
    client = pymongo.MongoClient(mongo_uri, tz_aware=True)
    try:
        yield build_archive(client[module_db_name], tmp_path_factory.mktemp("web-archive"))
    finally:
        client.close()


@pytest.fixture(scope="module")
def web(archive):
    with served(archive.db, archive.config()) as server:
        yield server


def api(web, path: str) -> dict:
    answer = web.get(path)
    assert answer.status == 200, (path, answer.status, answer.text)
    assert answer.headers["content-type"] == "application/json"
    return answer.json()


def ids(result: dict) -> list[int]:
    return [a["article_id"] for a in result["articles"]]


# -- search and listing -----------------------------------------------------------------------


def test_search_uses_the_full_text_index_and_its_query_language(web):
    result = api(web, "/api/articles?q=资本市场")
    assert result["mode"] == "fulltext" and result["sort"] == "relevance" and result["notice"] is None
    assert sorted(ids(result)) == [1, 2, 5] and result["total"] == 3
    assert sorted(ids(api(web, '/api/articles?q="资本市场" -证监会'))) == [1, 5]
    assert sorted(ids(api(web, "/api/articles?q=比亚迪 OR 证监会"))) == [2, 5]
    first = api(web, "/api/articles?q=降准")["articles"][0]
    assert first["article_id"] == 1 and "<mark>" not in first["snippet"] and "降准" in first["snippet"]
    assert first["published_at"].endswith("Z") and first["links"] == {"self": "/api/articles/1", "page": "/articles/1"}


def test_search_orders_by_date_and_pages_through_the_matches(web):
    newest = ids(api(web, "/api/articles?q=资本市场&sort=newest"))
    assert newest == [1, 2, 5] and ids(api(web, "/api/articles?q=资本市场&sort=oldest")) == [5, 2, 1]
    page2 = api(web, "/api/articles?q=资本市场&sort=newest&page=2&size=1")
    assert ids(page2) == [2] and page2["total"] == 3 and page2["pages"] == 3


def test_search_with_filters_is_answered_by_the_index(web):
    exact = api(web, "/api/articles?q=资本市场&category=证券")
    assert ids(exact) == [2] and exact["total"] == 1
    assert ids(api(web, "/api/articles?q=资本市场&source=每经网")) == [5]
    assert ids(api(web, "/api/articles?q=资本市场&edited=true")) == [1]
    assert ids(api(web, "/api/articles?q=文章&deleted=true")) == [3]
    since = (NOW - timedelta(days=40)).astimezone(BEIJING)
    assert sorted(ids(api(web, f"/api/articles?q=资本市场&since={since:%Y-%m-%d}"))) == [1, 2]
    assert ids(api(web, f"/api/articles?q=资本市场&since={since:%Y-%m-%d}&category=证券")) == [2]
    assert ids(api(web, f"/api/articles?q=资本市场&until={since:%Y-%m-%d}&category=证券")) == []
    assert ids(api(web, f"/api/articles?q=文章&until={NOW.astimezone(BEIJING):%Y-%m-%d}&deleted=true")) == [3]
    months = api(web, f"/api/articles/months?q=资本市场&since={since:%Y-%m-%d}")["months"]
    assert sum(months.values()) == 2 and len(months) == 2


def test_listing_without_a_search_is_served_by_the_filters(web, archive):
    everything = api(web, "/api/articles")
    assert everything["mode"] == "filters" and everything["total"] == 6 and len(ids(everything)) == 6
    published = [a["published_at"] for a in everything["articles"]]
    assert published == sorted(published, reverse=True)
    assert ids(api(web, "/api/articles?tag=监管")) == [2]
    assert ids(api(web, "/api/articles?author=李四")) == [2]
    assert ids(api(web, "/api/articles?deleted=1")) == [3]
    assert ids(api(web, "/api/articles?edited=yes")) == [1]
    assert ids(api(web, "/api/articles?sort=oldest&size=2")) == [4, 5]
    assert api(web, "/api/articles?size=2&page=3")["articles"][-1]["article_id"] == 4


def test_matches_per_month(web, archive):
    months = api(web, "/api/articles/months")
    assert months["months"] == archive.months and months["total"] == 6
    one = api(web, "/api/articles/months?q=降准")
    assert sum(one["months"].values()) == 1 and one["mode"] == "fulltext"
    assert sum(api(web, "/api/articles/months?q=资本市场&category=证券")["months"].values()) == 1


def test_without_the_index_a_search_finds_nothing_and_says_how_to_build_it(archive):
    with served(archive.db, archive.config(index=False)) as web:
        result = api(web, "/api/articles?q=资本市场")
        assert result["mode"] == "no_index" and "newscrawler index" in result["notice"]
        assert ids(result) == [] and result["total"] == 0
        assert api(web, "/api/articles/months?q=资本市场")["months"] == {}
        assert web.get("/api/articles?q=OR").status == 400  # still read: a bad search is refused
        page = web.get("/search?q=资本市场")
        assert page.status == 200 and "no search index yet" in page.text


# -- one article ------------------------------------------------------------------------------


def test_one_article_with_its_versions(web):
    doc = api(web, "/api/articles/1")
    assert doc["title"] == "央行宣布降准" and doc["revision"] == 3 and doc["body_text"] == BODY_3
    assert doc["published_at"].endswith("Z") and "search_tokens" not in doc and "_id" not in doc
    assert [v["revision"] for v in doc["versions"]] == [1, 2, 3] and doc["versions"][-1]["current"]
    assert doc["links"]["archived"] == "/articles/1/archived"
    revisions = api(web, "/api/articles/1/revisions")
    assert [v["title"] for v in revisions["versions"]] == ["央行降准", "央行宣布降准", "央行宣布降准"]
    assert revisions["versions"][0]["replaced_at"].endswith("Z")
    first = api(web, "/api/articles/1/revisions/1")
    assert first["title"] == "央行降准" and first["revision"] == 1


def test_diff_between_any_two_versions(web):
    changes = api(web, "/api/articles/1/diff?from=1&to=3")
    assert changes["fields"]["title"] == {"from": "央行降准", "to": "央行宣布降准"}
    assert [c["op"] for c in changes["body_text"]] == ["replace", "insert"]
    default = api(web, "/api/articles/1/diff")
    assert default["from"]["revision"] == 2 and default["to"]["revision"] == 3
    page = web.get("/articles/1/diff?from=1&to=3")
    assert page.status == 200
    assert "央行<ins>宣布</ins>降准" in page.text and "<ins>0.5个百分点</ins>" in page.text
    assert web.get("/articles/1/diff?from=2&to=1").status == 200  # any two, either way round


def test_unknown_articles_and_revisions_are_404(web):
    for path in ("/api/articles/999999", "/api/articles/999999/revisions", "/api/articles/1/revisions/9",
                 "/api/articles/1/diff?from=9", "/api/articles/2/diff"):
        answer = web.get(path)
        assert answer.status == 404, path
        assert answer.json()["error"] and "\n" not in answer.json()["error"]
    assert "999999" in web.get("/api/articles/999999").json()["error"]
    page = web.get("/articles/999999")
    assert page.status == 404 and "text/html" in page.headers["content-type"] and "999999" in page.text
    assert web.get("/no/such/page").status == 404


def test_article_page_shows_fields_safe_body_versions_and_links(web, archive):
    page = web.get("/articles/1")
    assert page.status == 200 and '<html lang="zh-CN">' in page.text
    text = page.text
    assert "<script>alert" not in text and "onclick" not in text and "onerror" not in text
    assert "javascript:" not in text
    assert f'src="/images/{archive.thumbnail_path}"' in text  # the archived copy, not the site's
    assert f'href="{REMOTE_IMAGE}"' in text and f'src="{REMOTE_IMAGE}"' not in text
    assert "货币政策" in text and "每经记者 王五" in text
    assert 'href="https://www.nbd.com.cn/articles/' in text and 'href="/articles/1/archived"' in text
    assert text.count("diff with previous") == 2 and "r3 (current)" in text
    assert "Beijing" in text
    assert "script-src 'none'" in page.headers["content-security-policy"]


def test_deletions_are_shown_with_their_episodes(web):
    gone = web.get("/articles/3")
    assert gone.status == 200 and "Deleted by the site" in gone.text and "still gone" in gone.text
    back = web.get("/articles/4")
    assert "Deleted by the site" not in back.text and "back " in back.text and "404" in back.text
    assert api(web, "/api/articles/3")["deletion"]["status"] == 404


# -- files ------------------------------------------------------------------------------------


def test_the_thumbnail_is_served_from_the_images_store(web, archive):
    answer = web.get(f"/images/{archive.thumbnail_path}")
    assert answer.status == 200 and answer.headers["content-type"] == "image/jpeg"
    assert answer.body == archive.thumbnail_bytes


def test_no_image_path_reaches_outside_the_images_store(web, archive):
    outside = archive.images.parent / "secret.jpg"
    outside.write_bytes(b"secret")
    # A file inside the store that links outside it: refused all the same.
    link = archive.images / "full" / "cd" / ("cd" + "0" * 38 + ".jpg")
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, link)
    for path in ("/images/../secret.jpg", "/images/%2e%2e/secret.jpg", "/images/..%2fsecret.jpg",
                 "/images/full/../../secret.jpg", "/images//etc/passwd", "/images/%2Fetc%2Fpasswd",
                 "/images/full/ab/../../../../../etc/passwd", f"/images/full/cd/{link.name}",
                 "/images/full/5a/x.jpg", "/images/thumbs/medium/../../../secret.jpg", "/images/..\\secret.jpg"):
        answer = web.get(path)
        assert answer.status in (404, 400), (path, answer.status)
        assert b"secret" not in answer.body and b"root:" not in answer.body


def test_the_archived_page_is_served_as_received_from_the_warc_file(web):
    answer = web.get("/articles/1/archived")
    assert answer.status == 200 and answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.text == PAGE_HTML  # its gzip encoding undone
    assert answer.headers["content-security-policy"].startswith("sandbox")
    source = web.get("/articles/1/archived?view=source")
    assert source.headers["content-type"] == "text/plain; charset=utf-8" and source.text == PAGE_HTML
    assert web.get("/articles/1/archived?page=2").status == 404
    assert web.get("/articles/2/archived").status == 404  # no page kept
    tampered = web.get("/articles/6/archived")  # its pointer names ../outside.warc.gz
    assert tampered.status == 404 and "outside" in tampered.text


# -- the archive as a whole -------------------------------------------------------------------


def test_stats_and_crawls(web):
    stats = api(web, "/api/stats?days=7")
    assert stats["articles"] == 6 and len(stats["days"]) == 7
    assert sum(row["edits"] for row in stats["history"]) == 2
    assert sum(row["deletions"] for row in stats["history"]) == 2
    assert sum(row["restored"] for row in stats["history"]) == 1
    crawls = api(web, "/api/crawls")
    assert crawls["total"] == 2 and [c["crawl_id"] for c in crawls["crawls"]] == ["c4", "c1"]
    assert crawls["crawls"][1]["coverage"]["authors"] == 1.0 and crawls["crawls"][0]["started_at"].endswith("Z")
    assert [c["crawl_id"] for c in api(web, "/api/crawls?alerts=true")["crawls"]] == ["c4"]
    assert api(web, "/api/crawls?size=1&page=2")["crawls"][0]["crawl_id"] == "c1"


def test_dashboard_and_search_pages_draw_their_charts(web):
    dashboard = web.get("/dashboard?days=14")
    assert dashboard.status == 200
    assert dashboard.text.count('<svg class="chart"') == 2 and 'class="bar s1"' in dashboard.text  # deletions
    assert "deletions: 2 of 5 checked articles are gone" in dashboard.text and "c1" in dashboard.text
    assert "authors 100%" in dashboard.text
    search = web.get("/search?q=资本市场")
    assert search.status == 200 and '<strong id="match-count">3</strong>' in search.text
    assert search.text.count('<rect class="bar s0"') == 3 and "<mark>资本市场</mark>" in search.text
    home = web.get("/")
    assert home.status == 200 and '<strong id="match-count">6</strong>' in home.text


def test_openapi_describes_the_api(web):
    schema = api(web, "/openapi.json")
    paths = schema["paths"]
    for path in ("/api/articles", "/api/articles/months", "/api/articles/{article_id}",
                 "/api/articles/{article_id}/revisions", "/api/articles/{article_id}/revisions/{revision}",
                 "/api/articles/{article_id}/diff", "/api/stats", "/api/crawls"):
        assert path in paths, path
    assert not any(path.startswith(("/search", "/images", "/articles", "/dashboard")) for path in paths)
    size = next(p for p in paths["/api/articles"]["get"]["parameters"] if p["name"] == "size")
    assert size["schema"]["maximum"] == 100


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("path, status, says", [
    ("/api/articles?since=2024-13-01", 422, "since"),
    ("/api/articles?until=yesterday", 422, "until"),
    ("/api/articles?size=101", 422, "size"),
    ("/api/articles?size=0", 422, "size"),
    ("/api/articles?page=0", 422, "page"),
    ("/api/articles?page=abc", 422, "page"),
    ("/api/articles?page=200&size=100", 422, "page x size"),
    ("/api/articles?sort=random", 422, "sort"),
    ("/api/articles?category[$ne]=1", 422, "unknown parameter category[$ne]"),
    ("/api/articles?category=%24ne", 422, "may not start with $"),
    ("/api/articles?author=%24where", 422, "author"),
    ('/api/articles?edited={"$ne":1}', 422, "edited"),
    ("/api/articles?tag=a%00b", 422, "control"),
    ("/api/articles?q=OR", 400, "OR needs a word"),
    ("/api/articles?q=-证监会", 400, "no word"),
    ("/api/articles?since=2024-12-03&until=2024-12-01", 400, "since is after until"),
    ("/api/articles/abc", 422, "article_id"),
    ("/api/articles/0", 422, "article_id"),
    ("/api/articles/-1", 422, "article_id"),
    ("/api/articles/99999999999999999999", 422, "article_id"),
    ("/api/articles/1/diff?from=x", 422, "from"),
    ("/api/articles/1/revisions/0", 422, "revision"),
    ("/api/stats?days=0", 422, "days"),
    ("/api/stats?days=100000", 422, "days"),
    ("/api/crawls?size=1000", 422, "size"),
    ('/api/crawls?job={"$gt":""}', 200, None),
])
def test_bad_input_is_refused_with_one_clear_sentence(web, path, status, says):
    answer = web.get(path)
    assert answer.status == status, (path, answer.text)
    if says:
        error = answer.json()["error"]
        assert says in error and "\n" not in error and "Traceback" not in error


def test_an_operator_as_a_value_is_only_ever_a_plain_string(web):
    # Compared for equality as text: it matches nothing, and changes nothing.
    for value in ('{"$ne":1}', '{"$gt":""}', "[$ne]"):
        assert api(web, f"/api/articles?category={value}")["total"] == 0
    assert api(web, '/api/crawls?job={"$gt":""}')["total"] == 0


def test_pages_refuse_bad_input_with_a_page_saying_why(web):
    page = web.get("/search?size=5000")
    assert page.status == 422 and "text/html" in page.headers["content-type"] and "size" in page.text
    assert web.get("/articles/abc").status == 422


# -- who may ask ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded(archive):
    with served(archive.db, archive.config(token=TOKEN)) as server:
        yield server


def test_with_a_token_every_request_must_carry_it(guarded):
    for path in ("/api/articles", "/api/articles/1", "/search", "/articles/1", "/dashboard", "/openapi.json",
                 "/static/style.css", "/images/full/00/" + "0" * 40 + ".jpg"):
        answer = guarded.get(path)
        assert answer.status == 401, path
    assert "token is required" in guarded.get("/api/stats").json()["error"]
    assert guarded.get("/api/stats", {"Authorization": f"Bearer {TOKEN}"}).status == 200
    assert guarded.get("/api/stats", {"X-Newscrawler-Token": TOKEN}).status == 200
    assert guarded.get("/api/stats", {"Authorization": "Bearer wrong-token-wrong-token"}).status == 401
    assert guarded.get("/api/stats", {"Cookie": "newscrawler_token=wrong"}).status == 401


def test_a_browser_gets_the_token_once_as_a_cookie(guarded):
    answer = guarded.get(f"/search?q=%E9%99%8D%E5%87%86&token={TOKEN}")
    assert answer.status == 303 and answer.headers["location"] == "/search?q=%E9%99%8D%E5%87%86"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"newscrawler_token={TOKEN};") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert guarded.get("/search?q=降准", {"Cookie": f"newscrawler_token={TOKEN}"}).status == 200
    assert guarded.get("/search?token=wrong").status == 401


def test_without_a_token_only_loopback_host_names_are_answered(archive):
    config = archive.config(allowed_hosts=frozenset({"127.0.0.1", "localhost", "::1"}))
    with served(archive.db, config) as web:
        assert web.get("/api/stats").status == 200  # Host: 127.0.0.1:<port>
        assert web.get("/api/stats", {"Host": f"localhost:{web.port}"}).status == 200
        rebound = web.get("/api/stats", {"Host": "attacker.example"})
        assert rebound.status == 421 and "loopback" in rebound.json()["error"]


def test_json_is_utf8_text(web):
    answer = web.get("/api/articles/2")
    assert "证监会".encode() in answer.body and json.loads(answer.body)["category"] == "证券"


def test_the_search_form_as_a_browser_submits_it(web):
    # Empty fields mean "not given"; a checked box sends "true".
    page = web.get("/search?q=&since=&until=&category=&author=&tag=&source=&sort=&size=20")
    assert page.status == 200 and '<strong id="match-count">6</strong>' in page.text
    page = web.get("/search?q=%E8%B5%84%E6%9C%AC&since=&category=%E8%AF%81%E5%88%B8&edited=&sort=newest&size=10")
    assert page.status == 200 and '<strong id="match-count">1</strong>' in page.text
    assert "<option selected>5</option>" in web.get("/search?size=5").text  # the size asked stays chosen
    assert web.get("/api/articles?q=" + "a" * 501).status == 422


# -- `newscrawler serve` itself -----------------------------------------------------------------


def test_newscrawler_serve_serves_the_configured_archive(archive, mongo_uri, module_db_name, tmp_path):
    import signal
    import socket
    import subprocess
    import sys

    from nbd_replica.procs import free_port, stop_process, wait_for_port
    from tests.web_archive import LiveServer

    port = free_port()
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": module_db_name,
           "NEWSCRAWLER_DATA_DIR": str(tmp_path), "IMAGES_STORE": str(archive.images),
           "WARC_DIR": str(archive.warc_dir), "PYTHONPATH": ":".join(sys.path)}
    env.pop("NEWSCRAWLER_WEB_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "newscrawler", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, timeout=60)
        client = LiveServer.__new__(LiveServer)
        client.port = port
        stats = client.get("/api/stats")
        assert stats.status == 200 and stats.json()["articles"] == 6
        assert client.get(f"/images/{archive.thumbnail_path}").body == archive.thumbnail_bytes
        assert client.get("/articles/1/archived").text == PAGE_HTML
        # No index in this data directory: serve built it before it listened.
        found = client.get("/api/articles?q=资本市场").json()
        assert found["mode"] == "fulltext" and sorted(ids(found)) == [1, 2, 5]
        assert client.get("/api/stats", {"Host": "attacker.example"}).status == 421
        # Another server on the same port: one sentence, exit 1.
        busy = subprocess.run([sys.executable, "-m", "newscrawler", "serve", "--port", str(port)], env=env,
                              capture_output=True, text=True, timeout=60)
        assert busy.returncode == 1 and busy.stderr.startswith(f"newscrawler serve: cannot listen on 127.0.0.1 port {port}")
        assert busy.stderr.count("\n") == 1
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert f"at http://127.0.0.1:{port}/" in out and "Traceback" not in err
        assert "newscrawler serve: building the search index" in err
    finally:
        stop_process(proc)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing left listening


def test_articles_per_month_from_the_kept_counts_equal_the_aggregation(mongo_db):
    from newscrawler.store.counts import articles_per_month, rebuild_counts
    from tests.web_archive import article
    from newscrawler.store.store import ArticleStore

    store = ArticleStore(mongo_db)
    store.ensure_indexes()
    # 15:59 and 16:01 UTC on the last day of a month: the second is the next month in Beijing.
    store.write_articles([article(1, "一", "一", NOW.replace(month=1, day=31, hour=15, minute=59)),
                          article(2, "二", "二", NOW.replace(month=1, day=31, hour=16, minute=1), category="证券"),
                          article(3, "三", "三", NOW.replace(month=3, day=2))], "c1")
    year = NOW.year
    expected = {f"{year}-01": 1, f"{year}-02": 1, f"{year}-03": 1}
    assert articles_per_month(mongo_db) == expected  # aggregated
    rebuild_counts(mongo_db)
    assert articles_per_month(mongo_db) == expected  # from the kept day counts
    assert articles_per_month(mongo_db, {"category": "证券"}) == {f"{year}-02": 1}


def test_an_empty_archive_is_shown_without_error(mongo_db, tmp_path):
    from newscrawler.store.store import ArticleStore
    from newscrawler.web.reader import WebConfig

    ArticleStore(mongo_db).ensure_indexes()
    config = WebConfig(fulltext_path=tmp_path / "none", images_store=str(tmp_path), warc_dir=tmp_path)
    with served(mongo_db, config) as web:
        for path in ("/", "/search?q=降准", "/dashboard", "/api/stats", "/api/crawls", "/api/articles/months"):
            assert web.get(path).status == 200, path
        assert "No articles match" in web.get("/").text and "No crawls recorded" in web.get("/dashboard").text


def test_thumbnails_kept_in_gridfs_are_served_from_it(mongo_db, tmp_path):
    import gridfs

    from newscrawler.web.reader import WebConfig

    path = "full/ab/" + "ab" * 20 + ".jpg"
    gridfs.GridFS(mongo_db, collection="thumbnails").put(b"\xff\xd8jpeg", filename=path)
    config = WebConfig(fulltext_path=None, images_store="gridfs://", warc_dir=tmp_path)
    with served(mongo_db, config) as web:
        answer = web.get(f"/images/{path}")
        assert answer.status == 200 and answer.body == b"\xff\xd8jpeg"
        assert web.get("/images/full/ab/" + "cd" * 20 + ".jpg").status == 404
        assert web.get("/images/../../x").status == 404
