"""Security under bad input: secrets stay secret, the crawl stays on its site, thumbnails stay
small, inside their store and of a web image type, and query input stays a value.

Every crawl here is a real `scrapy crawl nbd` against the replica on 127.0.0.1; the hosts the
crawl must never reach are "trap" servers on other loopback names (127.0.0.2, localhost).
"""

from __future__ import annotations

import gzip
import io
import re
import struct
import uuid
import zlib
from pathlib import Path
from urllib.parse import quote

import pymongo
import pytest
from bson import json_util
from PIL import Image

from newscrawler.store.queries import ArticleQuery, QueryError, find_articles, get_article
from newscrawler.store.store import ArticleStore
from nbd_replica.corpus import generate_articles
from nbd_replica.expected import expected_record
from nbd_replica.pages import render_article
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite
from nbd_replica.procs import free_port, start_secantus, stop_process, trap_server
from tests.crawling import archive, crawl

# A password with the characters that break naive redaction (':', '@', '/').
PASSWORD = "Pa55:w0rd@S3cr3t/x"
REDIS_SECRET = "R3d1s-S3cr3t-9f2"


@pytest.fixture
def trap():
    """Servers that must receive nothing: on 127.0.0.2, and on 127.0.0.1 reached as "localhost"."""
    with trap_server("127.0.0.2") as ip, trap_server("127.0.0.1") as named:
        urls = (ip.url, f"http://localhost:{named.server_address[1]}")
        yield urls, lambda: ip.hits + named.hits


# -- credentials ---------------------------------------------------------------------------------

def _redis_up() -> bool:
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=0.5).ping()
        return True
    except Exception:  # noqa: BLE001
        return False


def _everything_under(path: Path) -> str:
    """Text of every file under ``path`` (gzip members unpacked: the WARC files)."""
    parts = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        data = file.read_bytes()
        if file.suffix == ".gz":
            try:
                data = gzip.decompress(data)
            except OSError:
                pass
        parts.append(f"--- {file}\n" + data.decode("utf-8", "replace"))
    return "\n".join(parts)


def _dump(db) -> str:
    return "\n".join(json_util.dumps(doc) for name in db.list_collection_names() for doc in db[name].find())


@pytest.mark.e2e  # its own SecantusDB and crawls
def test_credentials_never_appear_in_logs_spool_or_records(tmp_path):
    """MONGO_URI and REDIS_URL with passwords: MongoDB unreachable (items spooled), then a wrong
    password, then the right one (spool replayed, crawl recorded). The secrets appear in no
    output, no file under the data directory, no document of the archive."""
    storage = tmp_path / "db"
    storage.mkdir()
    proc, plain_uri = start_secantus(str(storage))
    try:
        pymongo.MongoClient(plain_uri).admin.command("createUser", "crawler", pwd=PASSWORD, roles=["root"])
        secret = quote(PASSWORD, safe="")
        host = plain_uri.split("://", 1)[1]
        unreachable = f"mongodb://crawler:{secret}@127.0.0.1:{free_port()}/?authSource=admin"
        wrong = f"mongodb://crawler:{quote('not-' + PASSWORD, safe='')}@{host}/?authSource=admin"
        right = f"mongodb://crawler:{secret}@{host}/?authSource=admin"
        redis_port = 6379 if _redis_up() else free_port()
        redis_env = {"REDIS_URL": f"redis://:{REDIS_SECRET}@127.0.0.1:{redis_port}/0",
                     "REDIS_KEY_PREFIX": f"nc-sec-{uuid.uuid4().hex[:8]}"}
        data = tmp_path / "data"
        site = ReplicaSite(generate_articles(8, seed=21))
        outputs = []
        with serve(site) as server:
            # 1. MongoDB unreachable, REDIS_URL with a password (several-machines mode when a
            #    Redis answers on 6379; otherwise the crawl fails to reach Redis at start).
            run = crawl(server, unreachable, "sec", data, env=redis_env, timeout=120,
                        settings={"ARCHIVE_RETRY_INTERVAL": "600"})
            outputs.append(run.stdout + run.stderr)
            # 2. The wrong password (passed on the command line this time).
            run = crawl(server, "", "sec", data, settings={"MONGO_URI": wrong}, timeout=120)
            outputs.append(run.stdout + run.stderr)
            assert "authentication failed" in outputs[-1].lower() or "AuthenticationFailed" in outputs[-1]
            # 3. The right password: the spool is written, the crawl recorded.
            run = crawl(server, "", "sec", data, settings={"MONGO_URI": right}, timeout=120)
            outputs.append(run.stdout + run.stderr)
            assert run.returncode == 0, run.stderr[-3000:]
        db = pymongo.MongoClient(plain_uri, username="crawler", password=PASSWORD, authSource="admin")["sec"]
        assert db.articles.count_documents({}) == len(site.articles)
        assert db.crawls.count_documents({"finish_reason": "finished"}) >= 1
        haystacks = {"output": "\n".join(outputs), "data directory": _everything_under(data),
                     "archive": _dump(db)}
        needles = {PASSWORD, secret, quote(PASSWORD), "not-" + PASSWORD, REDIS_SECRET, "Pa55"}
        for where, text in haystacks.items():
            leaked = [n for n in needles if n in text]
            assert not leaked, f"{leaked} found in the {where}"
        assert "mongodb://***@" in haystacks["output"]  # the URI is shown, redacted
    finally:
        stop_process(proc)


# -- staying on the site ---------------------------------------------------------------------

class TrapLinksSite(ReplicaSite):
    """Column pages that also link elsewhere: article-like and pager-like links on other hosts,
    placed before the real ones."""

    trap_urls: tuple[str, ...] = ()

    def _column_page(self, column_id, page, base_url):
        resp = super()._column_page(column_id, page, base_url)
        if resp.status != 200:
            return resp
        links = []
        for n, trap in enumerate(self.trap_urls):
            links += [f'<li class="u-news-title"><a href="{trap}/articles/2026-09-01/{4999900 + n}.html">外链</a></li>',
                      f'<li class="u-news-title"><a href="//{trap.split("://")[1]}/rss/toutiao/articles/{4999950 + n}.html">外链</a></li>',
                      f'<li class="u-news-title"><a href="{trap}/columns/{column_id}/page/{page + 1}">下一页</a></li>']
        body = resp.body.replace(b'<ul class="u-news-list">',
                                 b'<ul class="u-news-list">\n' + "\n".join(links).encode("utf-8"), 1)
        import dataclasses

        return dataclasses.replace(resp, body=body)


def test_spider_never_leaves_the_allowed_domains(tmp_path, mongo_uri, mongo_db_name, trap):
    """Links to other hosts, redirects to other hosts (of a column page, always dont_filter,
    and of an article on its retry, dont_filter too), a thumbnail on another host: nothing
    reaches them; the pages are recorded with the reason and every other article arrives."""
    trap_urls, hits = trap
    columns = (329, 327, 326)
    import dataclasses

    from newscrawler.nbd.site import column_name, column_section

    specs = [dataclasses.replace(s, column_id=columns[i % 3], category=column_section(columns[i % 3]),
                                 column=column_name(columns[i % 3]))
             for i, s in enumerate(generate_articles(18, seed=23))]
    by_id = sorted(specs, key=lambda s: s.article_id)
    thumb_spec = next(s for s in by_id if expected_record(s, "http://h", "http://h")["thumbnail_url"]
                      and s.column_id != 326)
    offsite_image = f"{trap_urls[0]}/uploads/articles/images/evil/thumb.jpg"

    def render(spec, **kwargs):
        page = render_article(spec, **kwargs)
        if spec.article_id == thumb_spec.article_id:
            want = expected_record(spec, kwargs["base_url"], kwargs["image_base"])["thumbnail_url"]
            page = page.replace(want, offsite_image)
        return page

    site = TrapLinksSite(specs, columns_per_page=3, render_article=render, duplicate_every=0)
    site.trap_urls = trap_urls
    first_pages = site.listing(329)[:3] + site.listing(327)[:3]
    redirected = [s for s in by_id if s is not thumb_spec and s.article_id in first_pages][:2]
    # Article 1: a 503, then on the retry (dont_filter) a redirect away. Article 2: redirected.
    site.faults.add(rf"/{redirected[0].article_id}\.html$", "status", count=1, status=503)
    site.faults.add(rf"/{redirected[0].article_id}\.html$", "redirect", count=None, location=trap_urls[0] + "/a")
    site.faults.add(rf"/{redirected[1].article_id}\.html$", "redirect", count=None, location=trap_urls[1] + "/b")
    # A column's page 2: a 503, then on the retry a redirect away (column pages are dont_filter).
    site.faults.add(r"^/columns/326/page/2", "status", count=1, status=503)
    site.faults.add(r"^/columns/326/page/2", "redirect", count=None, location=trap_urls[0] + "/c")
    with serve(site) as server:
        run = crawl(server, mongo_uri, mongo_db_name, tmp_path, columns="329,327,326", pages=20)
    assert run.returncode == 0, run.stderr[-3000:]
    assert hits() == []
    db = archive(mongo_uri, mongo_db_name)
    lost_column = set(site.listing(326)[3:])  # its page 2 and after were redirected away
    expected = {s.article_id for s in specs} - {s.article_id for s in redirected} - lost_column
    archived = {d["article_id"] for d in db.articles.find({}, {"article_id": 1})}
    assert expected <= archived
    assert archived <= {s.article_id for s in specs}  # nothing from the traps' links
    for spec in redirected:
        rejects = list(db.rejects.find({"article_id": spec.article_id}))
        assert any(r["code"] == "redirected" and "off-site" in r["message"] for r in rejects), rejects
    doc = db.articles.find_one({"article_id": thumb_spec.article_id})
    assert doc["thumbnail_url"] == offsite_image
    assert "off-site" in doc["thumbnail_error"] and "thumbnail" not in doc
    assert "Refused an off-site request" in run.stderr


# -- thumbnails: names, sizes, types, bombs -----------------------------------------------------

def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels in a few hundred bytes (a bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * (1 + 3 * 64))) + chunk(b"IEND", b""))


def _encoded(fmt: str, size=(64, 48), **kwargs) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **kwargs)
    return out.getvalue()


def _noise_jpeg(nbytes: int) -> bytes:
    import random

    rng = random.Random(5)
    side = 600
    while True:
        img = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=95)
        if out.tell() >= nbytes:
            return out.getvalue()
        side += 200


STORED_NAME = re.compile(r"^(full|thumbs/[a-z]+)/[0-9a-f]{2}/[0-9a-f]{40}\.jpg$")


def test_thumbnails_limited_in_name_size_type_and_pixels(tmp_path, mongo_uri, mongo_db_name):
    specs = generate_articles(30, seed=25)
    traversal = "/uploads/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fescaped%2fevil.jpg"
    cases = {  # name -> (bytes or None for the replica's own picture, refusal fragment or None)
        "bomb 30000x30000 PNG (few hundred bytes)": (_png_header_only(30000, 30000), "not an image"),
        "48 Mpixel PNG over the 40 Mpixel limit": (_png_header_only(8000, 6000), "too large"),
        "TIFF": (_encoded("TIFF"), "not an image"),
        "EPS (PostScript)": (_encoded("EPS"), "not an image"),
        "SVG": (b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>', "not an image"),
        "JPEG over THUMBNAIL_MAX_BYTES": (_noise_jpeg(400_000), ""),
        "traversal in the URL": (None, None),
        "GIF (allowed)": (_encoded("GIF"), None),
    }
    with_thumb = [s for s in specs if expected_record(s, "http://h", "http://h")["thumbnail_url"]]
    assert len(with_thumb) >= len(cases)
    chosen = dict(zip(cases, with_thumb))
    paths: dict[int, str] = {}

    def render(spec, **kwargs):
        page = render_article(spec, **kwargs)
        if spec.article_id == chosen["traversal in the URL"].article_id:
            want = expected_record(spec, kwargs["base_url"], kwargs["image_base"])["thumbnail_url"]
            page = page.replace(want, kwargs["image_base"] + traversal)
        return page

    site = ReplicaSite(specs, render_article=render)
    served = site.images.get

    def images(path):
        for name, (body, _) in cases.items():
            if body is not None and paths.get(chosen[name].article_id) == path:
                return 200, "image/jpeg", body  # what the server claims does not matter
        return served(path)

    site.images.get = images
    with serve(site) as server:
        for name, spec in chosen.items():
            url = expected_record(spec, server.base_url, server.base_url)["thumbnail_url"]
            paths[spec.article_id] = re.sub(r"^https?://[^/]+", "", url)
        run = crawl(server, mongo_uri, mongo_db_name, tmp_path, settings={"THUMBNAIL_MAX_BYTES": "200000"})
    assert run.returncode == 0, run.stderr[-3000:]
    db = archive(mongo_uri, mongo_db_name)
    docs = {d["article_id"]: d for d in db.articles.find()}
    assert len(docs) == len(specs)  # a bad thumbnail never costs the article
    for name, (_, refusal) in cases.items():
        doc = docs[chosen[name].article_id]
        if refusal is None:
            assert "thumbnail_error" not in doc, (name, doc.get("thumbnail_error"))
            assert STORED_NAME.match(doc["thumbnail"]["path"]), name
        else:
            assert "thumbnail" not in doc, name
            assert refusal in doc["thumbnail_error"], (name, doc["thumbnail_error"])
    assert docs[chosen["traversal in the URL"].article_id]["thumbnail_url"].endswith(traversal)
    store = tmp_path / "images"
    stored = [p.relative_to(store).as_posix() for p in store.rglob("*") if p.is_file()]
    assert stored and all(STORED_NAME.match(p) for p in stored), [p for p in stored if not STORED_NAME.match(p)]
    assert not list(tmp_path.rglob("evil*")) and not (tmp_path.parent / "escaped").exists()


# -- query input is a value, never an operator ----------------------------------------------------

INJECTIONS = ('{"$ne": null}', "$where", "$function", "$gt", "this.title != ''",
              '{"$where": "sleep(1000) || true"}',
              '{"$function": {"body": "function() {return true}", "args": [], "lang": "js"}}',
              "'; return true; var x='", "[$ne]=1")


def test_query_input_never_becomes_a_mongodb_operator(mongo_db, tmp_path):
    import datetime as dt

    from newscrawler.store import fulltext

    store = ArticleStore(mongo_db)
    store.ensure_indexes()
    published = dt.datetime(2026, 9, 1, 2, 0, tzinfo=dt.timezone.utc)
    store.write_articles([{"article_id": n, "title": f"标题{n}", "body_text": "正文", "category": "金融",
                           "authors": ["冯彪"], "tags": ["银行"], "source": "每日经济新闻",
                           "published_at": published, "url": f"https://www.nbd.com.cn/articles/2026-09-01/{n}.html",
                           "content_hash": str(n)} for n in (1, 2)], "c")
    assert len(find_articles(mongo_db, ArticleQuery(category="金融"))) == 2  # the query works
    fulltext.build(mongo_db, tmp_path / "index")
    index = fulltext.FullTextIndex(tmp_path / "index")
    assert len(list(fulltext.articles(mongo_db, fulltext.ask(mongo_db, index, "正文")))) == 2  # the search works
    for text in INJECTIONS:
        for field in ("category", "author", "tag", "source"):
            query = ArticleQuery(**{field: text})
            assert not any(k.startswith("$") for k in query.to_filter()), query.to_filter()
            assert find_articles(mongo_db, query) == [], (field, text)
        try:  # a search is the full-text index's: user text is never its query syntax either
            assert list(fulltext.articles(mongo_db, fulltext.ask(mongo_db, index, text))) == []
        except fulltext.SearchSyntaxError:
            pass  # refused as a search (nothing to look for) is fine too
        try:
            assert get_article(mongo_db, text) is None
        except QueryError:
            pass
    for value in ({"$ne": None}, {"$where": "true"}, {"$function": {"body": "return true", "args": [], "lang": "js"}},
                  ["金融"], {"$regex": ".*"}):
        for field in ("category", "author", "tag", "source", "search"):
            with pytest.raises(QueryError):
                ArticleQuery(**{field: value})
        with pytest.raises(QueryError):
            get_article(mongo_db, value)
    for value in ({"$gt": "2000-01-01"}, "2026-01-01' || '1'=='1"):
        with pytest.raises(QueryError):
            ArticleQuery(since=value)


def test_thumbnail_store_gets_the_credentials_of_scrapys_store_settings(monkeypatch):
    """IMAGES_STORE on FTP (or S3, GCS): the pipeline builds Scrapy's store with the
    credentials from the settings (FTP_USER / FTP_PASSWORD, AWS_*), as ImagesPipeline does."""
    from scrapy.pipelines.files import FTPFilesStore
    from scrapy.utils.test import get_crawler

    from newscrawler.crawl.pipelines.thumbnails import ThumbnailPipeline

    for name in ("FTP_USERNAME", "FTP_PASSWORD"):  # Scrapy keeps them on the class: start unset
        monkeypatch.setattr(FTPFilesStore, name, None)
    crawler = get_crawler(settings_dict={"IMAGES_STORE": "ftp://ftp.example.invalid:2121/thumbs",
                                         "FTP_USER": "archivist", "FTP_PASSWORD": PASSWORD})
    pipeline = ThumbnailPipeline.from_crawler(crawler)
    assert isinstance(pipeline.store, FTPFilesStore)
    assert (pipeline.store.username, pipeline.store.password) == ("archivist", PASSWORD)
