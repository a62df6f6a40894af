"""The replica site, served on loopback: what the crawler tests rely on it to do.

Every later end-to-end test trusts these properties (lists cover every article exactly once,
load more chains, faults fire exactly ``count`` times), so they are checked here on their own,
through a real socket, with plain ``requests``.
"""

from __future__ import annotations

import http.client
import io
import re
import time
import urllib.robotparser
from urllib.parse import urljoin

import pytest
import requests
from lxml import html as lxml_html
from PIL import Image

from newscrawler.nbd.site import parse_article_url
from nbd_replica.images import OVERSIZED
from nbd_replica.server import serve
from nbd_replica.site import CSRF_TOKEN, ReplicaSite
from newscrawler.nbd.listing import load_more_headers

PER_PAGE = 4
XHR = load_more_headers(CSRF_TOKEN)  # what the site's own script sends


def _specs(n=60, **kw):
    from nbd_replica.corpus import generate_articles
    return generate_articles(n, seed=7, **kw)


@pytest.fixture(scope="module")
def served():
    site = ReplicaSite(_specs(), columns_per_page=PER_PAGE)
    with serve(site) as server:
        yield site, server.base_url


@pytest.fixture
def fresh():
    """A site of its own, for tests that change it or inject faults."""
    site = ReplicaSite(_specs(20), columns_per_page=PER_PAGE)
    with serve(site) as server:
        yield site, server.base_url


@pytest.fixture(scope="module")
def client():
    with requests.Session() as s:
        yield s


def _ids(hrefs, base):
    return [parsed[0] for h in hrefs if (parsed := parse_article_url(h, base))]


def _page_ids(doc, base):
    return _ids(doc.xpath('//div[@class="g-list-text"]/div[@class="m-list"]/ul[@class="u-news-list"]'
                          '/li[contains(@class,"u-news-title")]/a/@href'), base)


def _text(resp):
    return lxml_html.fromstring(resp.content).text_content()


def _biggest_column(site):
    return max(site.column_ids, key=lambda c: len(site.listing(c)))


def test_column_page_structure(served, client):
    site, base = served
    cid = _biggest_column(site)
    resp = client.get(f"{base}/columns/{cid}")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    doc = lxml_html.fromstring(resp.content)
    blocks = doc.cssselect("div.g-list-text > div.m-list")
    assert blocks
    days = [b.cssselect("p.u-channeltime")[0].text for b in blocks]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in days)
    assert days == sorted(days, reverse=True) and len(set(days)) == len(days)
    for li in doc.cssselect("div.m-list > ul.u-news-list > li.u-news-title"):
        assert li.cssselect("a[href]")
        for span in li.cssselect("span"):
            assert re.fullmatch(r"(\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}:\d{2}", span.text)
    assert _page_ids(doc, base) == site.listing(cid)[:PER_PAGE]


def _follow_pages(client, base, cid):
    url, ids, pages = f"{base}/columns/{cid}", [], 0
    while url:
        resp = client.get(url)
        assert resp.status_code == 200
        doc = lxml_html.fromstring(resp.content)
        ids += _page_ids(doc, base)
        pages += 1
        nxt = doc.cssselect("a.next")
        url = base + nxt[0].get("href") if nxt else None
    return ids, pages


def test_pagination_covers_every_article_exactly_once(served, client):
    site, base = served
    listed = set()
    for cid in site.column_ids:
        ids, pages = _follow_pages(client, base, cid)
        assert ids == site.listing(cid) and len(set(ids)) == len(ids)
        assert client.get(f"{base}/columns/{cid}/page/{pages + 1}").status_code == 404
        listed |= set(ids)
    assert listed == {s.article_id for s in site.articles.values() if s.column_id is not None}
    # some articles are listed in two columns
    assert sum(len(site.listing(c)) for c in site.column_ids) > len(listed)


def test_column_path_forms_serve_the_same_list(served, client):
    site, base = served
    cid = _biggest_column(site)
    page2 = client.get(f"{base}/columns/{cid}/page/2").content
    for form in (f"/columns/{cid}/page/2.html", f"/columns/{cid}/page/2/"):
        assert client.get(base + form).content == page2
    page1 = client.get(f"{base}/columns/{cid}").content
    for form in (f"/columns/{cid}/", f"/columns/{cid}.html", f"/columns/{cid}/page/1"):
        assert client.get(base + form).content == page1
    assert client.get(f"{base}/columns/999999").status_code == 404


def test_load_more_chain_covers_the_column(served, client):
    site, base = served
    cid = _biggest_column(site)
    doc = lxml_html.fromstring(client.get(f"{base}/columns/{cid}").content)
    ids = _page_ids(doc, base)
    last = doc.cssselect("a.u-more")[0].get("data-last-article")
    while last:
        resp = client.get(f"{base}/columns/{cid}?last_article={last}&version_column=v5", headers=XHR)
        assert resp.status_code == 200 and "javascript" in resp.headers["Content-Type"]
        js = resp.text
        assert not js.lstrip().startswith(("{", "["))  # a script, not JSON
        fragment = js.replace('\\"', '"').replace("<\\/", "</")
        ids += _ids(re.findall(r'href="([^"]+)"', fragment), base)
        found = re.search(r"last_article = (\d+);", js)
        last = found.group(1) if found else None
    assert ids == site.listing(cid)
    # without the XHR header the query is ignored: page 1 again
    plain = client.get(f"{base}/columns/{cid}?last_article={site.listing(cid)[0]}&version_column=v5")
    assert plain.content == client.get(f"{base}/columns/{cid}").content


def test_deep_pages_and_load_more_are_per_site_choices(client):
    specs = _specs(30)
    counts = {}
    for spec in specs:
        counts[spec.column_id] = counts.get(spec.column_id, 0) + 1
    with_more = max(counts, key=counts.get)
    without = next(c for c in counts if c != with_more)
    site = ReplicaSite(specs, columns_per_page=2, max_pages=1, load_more=[with_more])
    with serve(site) as server:
        base = server.base_url
        assert client.get(f"{base}/columns/{with_more}/page/2").status_code == 404
        assert lxml_html.fromstring(client.get(f"{base}/columns/{with_more}").content).cssselect("a.u-more")
        page1 = client.get(f"{base}/columns/{without}")
        assert not lxml_html.fromstring(page1.content).cssselect("a.u-more")
        xhr = client.get(f"{base}/columns/{without}?last_article={site.listing(without)[0]}&version_column=v5",
                         headers=XHR)
        assert xhr.content == page1.content


def test_links_come_in_every_form_plus_noise(served, client):
    site, base = served
    hrefs = []
    for cid in site.column_ids:
        doc = lxml_html.fromstring(client.get(f"{base}/columns/{cid}").content)
        hrefs += doc.xpath('//div[@class="g-list-text"]//a/@href')
    origin = base.split("//", 1)[1]
    expected = [base + "/articles/", f"//{origin}/articles/", "https://m.nbd.com.cn/articles/",
                "http://www.nbd.com.cn/articles/", "http://www.nbd.com.cn/rss/"]
    for prefix in expected:
        assert any(h.startswith(prefix) for h in hrefs), prefix
    assert any(re.match(r"https://(stocks|finance|money|economy|industry|tmt|auto)\.nbd\.com\.cn/articles/", h)
               for h in hrefs)
    noise = [h for h in hrefs if parse_article_url(h, base) is None]
    assert any("live.nbd.com.cn" in h for h in noise)
    assert any(h.startswith("/columns/") for h in noise)
    assert any("nbd.com.cn" not in h for h in noise)


def test_article_and_partner_pages(served, client):
    site, base = served
    spec = next(iter(site.articles.values()))
    page = client.get(spec.url(base))
    assert page.status_code == 200
    assert spec.title in _text(page)
    assert client.get(f"{base}/rss/toutiao/articles/{spec.article_id}.html").content == page.content
    wrong_date = spec.path.replace(spec.created.isoformat(), "2001-01-01")
    assert client.get(base + wrong_date).status_code == 404
    assert client.get(f"{base}/articles/2026-09-01/1.html").status_code == 404


def test_robots_and_home(served, client):
    site, base = served
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(client.get(f"{base}/robots.txt").text.splitlines())
    spec = next(iter(site.articles.values()))
    assert robots.can_fetch("newscrawler", spec.url(base))
    assert robots.can_fetch("newscrawler", f"{base}/columns/3/page/2")
    assert not robots.can_fetch("newscrawler", f"{base}/search/article_search/?q=x")
    home = lxml_html.fromstring(client.get(base + "/").content)
    assert {f"/columns/{c}" for c in site.column_ids} <= set(home.xpath("//a/@href"))


def test_images_are_real_deterministic_jpegs(fresh, client):
    site, base = fresh
    url = f"{base}/uploads/articles/images/4000001/photo.jpg"
    first, again = client.get(url), client.get(url)
    assert first.headers["Content-Type"] == "image/jpeg" and first.content == again.content
    img = Image.open(io.BytesIO(first.content))
    assert img.format == "JPEG"
    img.load()
    thumb = Image.open(io.BytesIO(client.get(f"{base}/uploads/articles/thumbnails/4000001/photo.jpg").content))
    assert thumb.width < img.width

    site.images.override(r"/broken\.jpg$", "html")
    site.images.override(r"/gone\.jpg$", "missing")
    site.images.override(r"/big\.jpg$", "oversized")
    site.images.override(r"/cut\.jpg$", "corrupt")
    broken = client.get(f"{base}/uploads/articles/images/1/broken.jpg")
    assert broken.status_code == 200 and broken.headers["Content-Type"].startswith("text/html")
    assert client.get(f"{base}/uploads/articles/images/1/gone.jpg").status_code == 404
    big = Image.open(io.BytesIO(client.get(f"{base}/uploads/articles/images/1/big.jpg").content))
    assert big.size == OVERSIZED
    with pytest.raises(OSError):
        Image.open(io.BytesIO(client.get(f"{base}/uploads/articles/images/1/cut.jpg").content)).load()


def test_images_named_by_article_pages_are_served(served, client):
    site, base = served
    srcs = []
    for spec in site.articles.values():
        url = spec.url(base)
        doc = lxml_html.fromstring(client.get(url).content)
        srcs += [urljoin(url, src) for src in doc.xpath("//img/@src") if "/uploads/" in src]
        if len(srcs) >= 3:
            break
    assert srcs and all(src.startswith(base) for src in srcs)
    for src in srcs:
        resp = client.get(src)
        assert resp.status_code == 200
        Image.open(io.BytesIO(resp.content)).verify()


def _raw_get(base, path):
    """http.client, because requests hides truncation and resets behind retries and wrappers."""
    host, port = base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", path)
    return conn.getresponse()


def test_status_fault_fires_count_times(fresh, client):
    site, base = fresh
    spec = next(iter(site.articles.values()))
    rule = site.faults.add(r"^/articles/", "status", count=2, status=503)
    first = client.get(spec.url(base))
    assert first.status_code == 503 and "Service Temporarily Unavailable" in first.text
    assert [client.get(spec.url(base)).status_code for _ in range(2)] == [503, 200]
    assert rule.fired == 2 and not rule.active
    forever = site.faults.add(r"^/robots", "status", count=None, status=403)
    assert {client.get(f"{base}/robots.txt").status_code for _ in range(3)} == {403}
    assert forever.fired == 3 and forever.active
    faulted = [r for r in site.requests if r.fault == "status"]
    assert [r.status for r in faulted] == [503, 503, 403, 403, 403]


def test_transport_faults(fresh, client):
    site, base = fresh
    path = next(iter(site.articles.values())).path
    normal = client.get(base + path).content

    site.faults.add(path, "delay", seconds=0.3)
    started = time.monotonic()
    assert client.get(base + path).content == normal
    assert time.monotonic() - started >= 0.3

    site.faults.add(path, "reset")
    with pytest.raises(requests.ConnectionError):
        requests.get(base + path, timeout=5)

    site.faults.add(path, "truncate")
    resp = _raw_get(base, path)
    assert int(resp.getheader("Content-Length")) == len(normal)
    with pytest.raises(http.client.IncompleteRead):
        resp.read()
    assert client.get(base + path).content == normal  # each fault fired once only


def test_content_faults(fresh, client):
    site, base = fresh
    path = next(iter(site.articles.values())).path
    normal = client.get(base + path)

    site.faults.add(path, "redirect", location="https://www.example.com/blocked")
    moved = client.get(base + path, allow_redirects=False)
    assert moved.status_code == 302 and moved.headers["Location"] == "https://www.example.com/blocked"

    site.faults.add(path, "huge")
    assert int(client.head(base + path).headers["Content-Length"]) >= 10_000_000
    site.faults.add(path, "huge", size=2_000_000)
    assert len(client.get(base + path).content) == 2_000_000

    site.faults.add(path, "content_type")
    odd = client.get(base + path)
    assert odd.headers["Content-Type"] == "application/octet-stream" and odd.content == normal.content

    site.faults.add(path, "garbage")
    with pytest.raises(UnicodeDecodeError):
        client.get(base + path).content.decode("utf-8")

    site.faults.add(path, "gbk")
    gbk = client.get(base + path)
    assert gbk.headers["Content-Type"] == "text/html; charset=gbk"
    assert gbk.content != normal.content
    text = gbk.content.decode("gbk")
    assert re.sub("(?i)charset=([\"']?)gbk", r"charset=\1utf-8", text) == normal.content.decode("utf-8")


def test_edit_and_add_articles(fresh, client):
    site, base = fresh
    spec = next(iter(site.articles.values()))
    assert spec.title in _text(client.get(spec.url(base)))
    site.edit_article(spec.article_id, title="修订后的标题：新版本")
    assert "修订后的标题：新版本" in _text(client.get(spec.url(base)))
    assert spec.title not in _text(client.get(spec.url(base)))

    newest = _specs(3, start_id=5000000)[-1]
    newest.column_id = spec.column_id
    site.add_articles([newest])
    doc = lxml_html.fromstring(client.get(f"{base}/columns/{spec.column_id}").content)
    assert _page_ids(doc, base)[0] == newest.article_id
    assert client.get(newest.url(base)).status_code == 200


def test_request_log(fresh, client):
    site, base = fresh
    spec = next(iter(site.articles.values()))
    client.get(f"{base}/columns/{spec.column_id}")
    site.reset_log()
    client.get(spec.url(base), headers={"User-Agent": "newscrawler-test"})
    client.get(f"{base}/rss/zaker/articles/{spec.article_id}.html")
    client.get(f"{base}/columns/{spec.column_id}")
    log = site.requests
    assert [r.kind for r in log] == ["article", "article", "column"]
    assert [r.article_id for r in site.article_requests()] == [spec.article_id] * 2
    assert log[0].headers["user-agent"] == "newscrawler-test" and log[0].status == 200
    site.reset_log()
    assert site.requests == []


def test_many_requests_are_fast(served, client):
    site, base = served
    urls = [s.url(base) for s in site.articles.values()] + [f"{base}/columns/{c}" for c in site.column_ids]
    started = time.monotonic()
    for _ in range(5):
        for url in urls:
            assert client.get(url).status_code == 200
    assert time.monotonic() - started < 5
