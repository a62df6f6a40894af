"""A small archive for the web app's tests, written through the real write path, and the app
served over real HTTP on loopback (uvicorn in a thread).

The archive: articles over three months, one edited twice (three versions) with its page kept
gzip-encoded in a WARC file and its thumbnail in the images store, one deleted, one deleted and
back, one pointing outside the WARC directory (a tampered pointer); two crawl records (one
with alerts); the full-text index built from it.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import uvicorn
from PIL import Image

from nbd_replica.procs import free_port
from newscrawler.record import content_hash
from newscrawler.store import fulltext
from newscrawler.store.store import ArticleStore
from newscrawler.warc.writer import WarcFileWriter
from newscrawler.web.app import create_app
from newscrawler.web.reader import WebConfig

UTC = timezone.utc
NOW = datetime.now(UTC).replace(microsecond=0)
THUMBNAIL_URL = "https://image.nbd.com.cn/uploads/articles/thumbnails/2024/lead.thumb_head.jpg"
REMOTE_IMAGE = "https://image.nbd.com.cn/uploads/articles/images/2024/other.jpg"
BODY_1 = "央行宣布下调存款准备金率。\n此次降准释放长期资金约一万亿元。\n资本市场反应积极。"
BODY_2 = "央行宣布下调存款准备金率0.5个百分点。\n此次降准释放长期资金约一万亿元。\n资本市场反应积极。"
BODY_3 = BODY_2 + "\n分析人士认为，降准有利于稳增长。"
# The page as the site sent it (kept gzip-encoded in the WARC file).
PAGE_HTML = "<!doctype html><html lang=\"zh-CN\"><head><title>央行宣布降准</title></head><body><h1>央行宣布降准</h1>" \
            "<script>document.title='x'</script><p>原始页面</p></body></html>"


def article(article_id: int, title: str, body: str, published_at: datetime, **fields) -> dict:
    doc = {"article_id": article_id, "url": f"https://www.nbd.com.cn/articles/{published_at:%Y-%m-%d}/{article_id}.html",
           "title": title, "published_at": published_at, "authors": ["张三"], "category": "金融",
           "source": "每日经济新闻", "tags": [], "body_text": body,
           "body_html": "".join(f"<p>{line}</p>" for line in body.splitlines()), **fields}
    doc["content_hash"] = content_hash(doc["title"], doc["body_text"])
    return doc


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class TestArchive:
    db: object
    images: Path
    warc_dir: Path
    index_path: Path
    thumbnail_path: str
    thumbnail_bytes: bytes
    months: dict[str, int]  # Beijing month -> articles published then
    ids: dict[str, int]

    def config(self, *, index: bool = True, token: str | None = None, allowed_hosts=None) -> WebConfig:
        return WebConfig(fulltext_path=self.index_path if index else self.index_path.parent / "none",
                         images_store=str(self.images), warc_dir=self.warc_dir, token=token,
                         allowed_hosts=allowed_hosts, archive_name="the test archive")


def build_archive(db, root: Path) -> TestArchive:
    store = ArticleStore(db)
    store.ensure_indexes()
    images, warc_dir = root / "images", root / "warc"
    # The thumbnail, where the pipeline would have stored it (name: sha1 of the URL).
    digest = hashlib.sha1(THUMBNAIL_URL.encode()).hexdigest()
    full_path, medium_path = f"full/{digest[:2]}/{digest}.jpg", f"thumbs/medium/{digest[:2]}/{digest}.jpg"
    thumbnail_bytes = jpeg(64, 48)
    for path, data in ((full_path, thumbnail_bytes), (medium_path, jpeg(32, 24))):
        (images / path).parent.mkdir(parents=True, exist_ok=True)
        (images / path).write_bytes(data)
    thumbnail = {"store": "fs", "url": THUMBNAIL_URL, "path": full_path, "checksum": "x", "status": "downloaded",
                 "width": 64, "height": 48, "thumbs": {"medium": medium_path}}
    # The page of article 1 as received: gzip-encoded, as the site may send it.
    writer = WarcFileWriter(warc_dir, "c1")
    location = writer.write_exchange("https://www.nbd.com.cn/articles/1.html", status=200,
                                     headers=[("Content-Type", "text/html; charset=utf-8"),
                                              ("Content-Encoding", "gzip")],
                                     body=gzip.compress(PAGE_HTML.encode()))
    writer.close()

    # Three different months (33 days or more apart), all in the past.
    m0, m1, m2 = NOW - timedelta(days=70), NOW - timedelta(days=35), NOW - timedelta(days=2)
    body_html_1 = (f'<p onclick="alert(1)">央行宣布下调存款准备金率。</p><script>alert("x")</script>'
                   f'<p><img src="{THUMBNAIL_URL}" onerror="alert(2)"><img src="{REMOTE_IMAGE}"></p>'
                   f'<p><a href="javascript:alert(3)">链接</a>资本市场反应积极。</p>')
    first = dict(last_crawled_at=NOW - timedelta(days=3))
    store.start_crawl("c1", "nbd")
    store.write_articles([
        article(1, "央行降准", BODY_1, m2, tags=["货币政策"], thumbnail_url=THUMBNAIL_URL, thumbnail=thumbnail,
                images=[THUMBNAIL_URL, REMOTE_IMAGE], warc=location.as_meta(), **first),
        article(2, "证监会发布资本市场新规", "证监会发布了关于资本市场的新规则。", m1, category="证券", authors=["李四"],
                tags=["监管"], **first),
        article(3, "被删的文章", "这篇文章后来被网站删除了。", m1 + timedelta(days=1), category="公司", **first),
        article(4, "删了又回来的文章", "这篇文章被删除后又恢复了。", m0, **first),
        article(5, "新能源汽车销量增长", "比亚迪销量创新高，资本市场关注。", m0 + timedelta(days=2),
                category="汽车", source="每经网", **first),
        article(6, "指针被改过的文章", "这篇文章的页面指针指向存档之外。", m0 + timedelta(days=3),
                warc={"file": "../outside.warc.gz", "offset": 0, "length": 10, "record_id": "x"}, **first),
    ], "c1")
    store.finish_crawl("c1", {"pages": 6, "new": 6, "updated": 0, "rejected": 1, "errors": 0}, "finished",
                       fields={"coverage": {"articles": 6, "authors": 1.0, "published_at": 1.0, "category": 1.0,
                                            "body": 1.0, "thumbnail": 0.17, "basis": "new"}})
    store.add_reject("https://www.nbd.com.cn/columns/1.html", "not_an_article", "c1")
    # Two edits of article 1: three versions.
    store.write_articles([article(1, "央行宣布降准", BODY_2, m2, tags=["货币政策"], thumbnail_url=THUMBNAIL_URL,
                                  thumbnail=thumbnail, images=[THUMBNAIL_URL, REMOTE_IMAGE], warc=location.as_meta(),
                                  last_crawled_at=NOW - timedelta(days=2))], "c2")
    store.write_articles([article(1, "央行宣布降准", BODY_3, m2, tags=["货币政策"], thumbnail_url=THUMBNAIL_URL,
                                  thumbnail=thumbnail, images=[THUMBNAIL_URL, REMOTE_IMAGE], warc=location.as_meta(),
                                  body_html=body_html_1, byline="每经记者 王五",
                                  last_crawled_at=NOW - timedelta(days=1))], "c3")
    store.mark_deleted([3, 4], 404, "c4", at=NOW - timedelta(hours=5))
    store.clear_deleted([4], "c5", at=NOW - timedelta(hours=1))
    store.start_crawl("c4", "nbd-revisit")
    store.finish_crawl("c4", {"pages": 5, "new": 0, "updated": 0, "rejected": 0, "errors": 0}, "finished",
                       fields={"alerts": ["deletions: 2 of 5 checked articles are gone"]})
    index_path = root / "fulltext"
    fulltext.build(db, index_path)
    months: dict[str, int] = {}
    for moment in (m2, m1, m1 + timedelta(days=1), m0, m0 + timedelta(days=2), m0 + timedelta(days=3)):
        key = (moment + timedelta(hours=8)).strftime("%Y-%m")
        months[key] = months.get(key, 0) + 1
    return TestArchive(db, images, warc_dir, index_path, full_path, thumbnail_bytes, months,
                       {"edited": 1, "deleted": 3, "restored": 4, "tampered": 6})


# -- the app over HTTP ------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        import json

        return json.loads(self.body)


class LiveServer:
    """The app served by uvicorn in a thread on a free loopback port."""

    def __init__(self, app):
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web app did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(15)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, headers: dict | None = None) -> Answer:
        """One GET of ``path`` as given (non-ASCII characters, spaces and quotes percent-encoded, nothing else
        normalised; no redirect followed)."""
        path = "".join(quote(ch) if ord(ch) >= 128 or ch in " \"" else ch for ch in path)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()


@contextmanager
def served(db, config: WebConfig):
    with LiveServer(create_app(db, config)) as server:
        yield server
