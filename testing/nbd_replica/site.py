"""The replica 每经网 as a model: which bytes answer which request.

Nothing about the real site can be fetched, so the crawler is tested against this replica,
built only from ``shared/nbd-site/NOTES.md``. It is transport-free: :meth:`ReplicaSite.handle`
maps a request to a :class:`Response`; ``replica.server`` puts it on a loopback socket. Keeping
HTTP out of the model keeps faults, logging and caching testable in one place.

What it serves (``<origin>`` is the served base URL, so every followable link stays on it):

- ``/`` home page linking the columns; ``/robots.txt`` (allows articles and columns).
- Column pages ``/columns/<id>`` with ``/page/<n>`` (and the ``.html`` / trailing-slash forms
  the notes list), PC structure ``div.g-list-text > div.m-list`` one block per day, newest
  first, a "next page" link, 404 past the last page (or past ``max_pages``: deep pages may not
  exist on the real site).
- "Load more": ``/columns/<id>?last_article=<id>&version_column=v5`` with
  ``X-Requested-With: XMLHttpRequest`` answers a Rails-style ``.js`` fragment (HTML inside a
  JavaScript string, quotes escaped as ``\\"``) with the next batch and the next
  ``last_article``. Without the header, or on a column without load more, the query is ignored
  and page 1 is served, as a plain web server would.
- Article links in every form of the notes, mixed in a fixed cycle (see :data:`LINK_CYCLE`),
  plus links a crawler must skip (flash news, ads, other sites, column links). Some articles
  are also listed in a second column (duplicate listings across columns).
- List forms of the second survey (``list_forms``: column id -> form; ``paging``; see
  :meth:`ReplicaSite._form_page`): "section" (the section-host template ``ul.m-columnnews-list``
  with sidebars and hot lists full of other articles' links, "加载更多" ``#more``), "auto"
  (``.news-text > a``, ``#load_articles`` / ``last_article_pos``); PC pages without paging
  (``paging=False``: one page of ``columns_per_page`` articles, 20, 50 or 80). "Load more" checks
  the headers the site's script sends (X-Requested-With, Accept with text/javascript: else 400;
  X-CSRF-Token of the page's ``<meta name="csrf-token">``: else 403).
- Mobile column lists ``/m/columns/<id>/`` and ``/m/columns/<id>/page/<n>/`` (the replica's
  stand-in for ``m.nbd.com.cn``): ``div.articleList``, 20 a page with full titles, every page of
  the column however deep (``max_pages`` limits the PC pages only); past the end an empty list.
- Articles at ``spec.path`` and at the partner copy ``/rss/<partner>/articles/<id>.html``,
  rendered by ``replica.pages.render_article``; images under ``/uploads/`` (``replica.images``).

Tests change the site while it runs (:meth:`edit_article`, :meth:`add_articles`), inject
faults (:attr:`faults`) and read what was asked (:attr:`requests`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import http
import random
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable
from urllib.parse import parse_qs, urlsplit

from newscrawler.nbd.site import (COLUMNS, MOBILE_PAGE_SIZE, SECTION_LABELS, SECTIONS, article_page_number,
                                  column_name, is_mobile_list_url, parse_article_url, parse_column_url)
from nbd_replica.images import ImageStore
from nbd_replica.spec import BEIJING, ArticleSpec

PARTNERS = ("toutiao", "eastmoney", "zaker", "tonghuashun", "sohu")
# Link forms of a list entry, cycled by position in the column. Canonical absolute links are
# the most common; each other form of the notes appears at least once in any 8 entries.
# "mrjjxw": the sister site's copy (www.mrjjxw.com/articles/<date>/<id>.html, the same id).
LINK_CYCLE = ("absolute", "protocol-relative", "mrjjxw", "mobile", "absolute", "section",
              "partner", "legacy-http")
MRJJXW = "https://www.mrjjxw.com"
TITLE_CUT = 30           # list titles longer than this are cut short, as on the site
HTML_TYPE = "text/html; charset=utf-8"
CSRF_TOKEN = "replica-token-8f2Kq0vXb6W3tLr9"  # the page's Rails token, sent back with "load more"

RenderFn = Callable[..., str]


# ----------------------------------------------------------------------------------- responses

@dataclass(frozen=True)
class Response:
    """What to send. ``abort`` asks the transport to misbehave: "reset" closes the connection
    without an answer; "truncate" sends the full Content-Length but half the body, then closes.
    """

    status: int
    body: bytes = b""
    content_type: str = HTML_TYPE
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    abort: str | None = None
    fault: str | None = None


def _html_response(status: int, text: str) -> Response:
    return Response(status, text.encode("utf-8"))


NOT_FOUND = _html_response(404, "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                                "<title>404 页面不存在</title></head><body><h1>页面不存在</h1></body></html>")


# --------------------------------------------------------------------------------- request log

@dataclass(frozen=True)
class LoggedRequest:
    """One request as served. ``headers`` has lower-case names; ``status`` is None when the
    connection was reset; ``kind`` is home|robots|column|load_more|article|image|other."""

    method: str
    path: str
    headers: dict
    status: int | None
    kind: str
    article_id: int | None = None
    fault: str | None = None


class RequestLog:
    """Thread-safe record of served requests (the server answers from many threads)."""

    def __init__(self, maxlen: int | None = None) -> None:
        self._items: deque[LoggedRequest] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._items.append(entry)

    def snapshot(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


# ------------------------------------------------------------------------------------- faults

@dataclass
class FaultRule:
    """Answer requests whose target (path + query) matches ``pattern`` with a fault, ``count``
    times (None: forever). ``fired`` counts how often it did."""

    pattern: re.Pattern
    kind: str
    count: int | None
    params: dict = field(default_factory=dict)
    fired: int = 0

    @property
    def active(self) -> bool:
        return self.count is None or self.fired < self.count


class Faults:
    """The fault table: the first active matching rule (in order added) decides.

    Kinds and their parameters:

    - ``status`` (status=503, retry_after=None): an nginx-style error page; 503 reads
      "Service Temporarily Unavailable" as blocked crawlers saw it
    - ``delay`` (seconds=5.0): the normal answer, late (client timeouts)
    - ``reset``: close the connection without an answer
    - ``truncate``: the normal answer's full Content-Length, half its body, then close
    - ``redirect`` (location="https://www.example.com/", status=302): off to another domain
    - ``huge`` (size=30_000_000): an HTML body of ``size`` bytes
    - ``content_type`` (content_type="application/octet-stream"): the normal body, wrong type
    - ``garbage`` (size=65536): random bytes labelled text/html
    - ``gbk`` (header=True): the normal page encoded in GBK, its meta charset rewritten; with
      header=False the Content-Type names no charset, so only the meta tag tells
    """

    KINDS = ("status", "delay", "reset", "truncate", "redirect", "huge", "content_type",
             "garbage", "gbk")

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, path_regex: str, kind: str, count: int | None = 1, **params) -> FaultRule:
        if kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {self.KINDS}")
        rule = FaultRule(re.compile(path_regex), kind, count, params)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, target: str) -> FaultRule | None:
        """The rule that fires for this request (and count it as fired), or None."""
        with self._lock:
            for rule in self._rules:
                if rule.active and rule.pattern.search(target):
                    rule.fired += 1
                    return rule
        return None


_STATUS_TEXT = {503: "Service Temporarily Unavailable"}


@lru_cache(maxsize=4)
def _huge_body(size: int) -> bytes:
    head = b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>huge</title></head><body>"
    filler = "<p>每日经济新闻</p>\n".encode("utf-8")
    body = head + filler * ((size - len(head)) // len(filler) + 1)
    return body[:size]


@lru_cache(maxsize=4)
def _garbage(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def _to_gbk(resp: Response, header: bool = True) -> Response:
    if not resp.content_type.startswith("text/html"):
        return resp
    text = re.sub(r"charset=([\"']?)utf-8", r"charset=\1gbk", resp.body.decode("utf-8"), flags=re.I)
    ctype = "text/html; charset=gbk" if header else "text/html"
    return dataclasses.replace(resp, body=text.encode("gbk", "xmlcharrefreplace"), content_type=ctype)


def apply_fault(rule: FaultRule, normal: Callable[[], Response]) -> Response:
    """The faulty answer for ``rule``; ``normal()`` builds the answer it distorts, if needed."""
    p, kind = rule.params, rule.kind
    if kind == "status":
        code = int(p.get("status", 503))
        text = f"{code} {_STATUS_TEXT.get(code) or http.HTTPStatus(code).phrase}"
        headers = (("Retry-After", str(p["retry_after"])),) if p.get("retry_after") else ()
        body = (f"<html><head><title>{text}</title></head><body><center><h1>{text}</h1></center>"
                "<hr><center>nginx</center></body></html>")
        return Response(code, body.encode(), headers=headers, fault=kind)
    if kind == "reset":
        return Response(0, abort="reset", fault=kind)
    if kind == "redirect":
        location = p.get("location", "https://www.example.com/")
        return Response(int(p.get("status", 302)), b"", headers=(("Location", location),), fault=kind)
    if kind == "huge":
        return Response(200, _huge_body(int(p.get("size", 30_000_000))), fault=kind)
    if kind == "garbage":
        return Response(200, _garbage(int(p.get("size", 65536))), fault=kind)
    resp = normal()
    if kind == "delay":
        return dataclasses.replace(resp, delay=float(p.get("seconds", 5.0)), fault=kind)
    if kind == "truncate":
        return dataclasses.replace(resp, abort="truncate", fault=kind)
    if kind == "content_type":
        ctype = p.get("content_type", "application/octet-stream")
        return dataclasses.replace(resp, content_type=ctype, fault=kind)
    return dataclasses.replace(_to_gbk(resp, bool(p.get("header", True))), fault=kind)  # gbk


# -------------------------------------------------------------------------------- list markup

_JS_ESCAPES = {"\\": "\\\\", "</": "<\\/", "\r\n": "\\n", "\n": "\\n", "\r": "\\n",
               '"': '\\"', "'": "\\'", "`": "\\`", "$": "\\$"}
_JS_ESCAPE_RX = re.compile(r"\\|</|\r\n|[\n\r\"'`$]")


def escape_javascript(text: str) -> str:
    """Rails' ``escape_javascript`` (the site is a Rails app: its search URLs carry ``utf8=✓``)."""
    return _JS_ESCAPE_RX.sub(lambda m: _JS_ESCAPES[m.group(0)], text)


def _listing_time(spec: ArticleSpec) -> dt.datetime:
    if spec.published_at is not None:
        return spec.published_at.astimezone(BEIJING)
    return dt.datetime.combine(spec.created, dt.time(0), BEIJING)


def _noise_items(column_id: int, page_key: int) -> list[str]:
    """List entries that are not articles; a crawler must skip them by their URL."""
    n = 880000 + column_id * 100 + page_key
    return [
        f'<li class="u-news-title"><a href="https://live.nbd.com.cn/flash/{n}" target="_blank">'
        f'【快讯】盘中异动速览</a><span>09:30:00</span></li>',
        '<li class="u-news-title u-ad"><a href="https://e.cn.miaozhen.com/r/k=2150004&amp;p=7Z" '
        'rel="nofollow" target="_blank">【推广】每经智库 财富论坛报名</a></li>',
        f'<li class="u-news-title"><a href="https://www.mrjjxw.com/columns/{n}" '
        'target="_blank">每经新闻 合作媒体稿件</a><span>08:00:00</span></li>',
        '<li class="u-news-title"><a href="/columns/332" target="_blank">重磅原创 更多&gt;&gt;</a></li>',
    ]


def _page_href(column_id: int, page: int) -> str:
    """Pager links in one of the path forms of the notes, fixed per column."""
    suffix = ("", ".html", "/")[column_id % 3]
    return f"/columns/{column_id}" if page <= 1 else f"/columns/{column_id}/page/{page}{suffix}"


# ------------------------------------------------------------------------------------ the site

class ReplicaSite:
    """The replica: articles, their column listings, faults, images and the request log.

    articles: the specs to serve; each is listed in ``spec.column_id`` (None: not listed,
    reachable by URL only) and, for ids divisible by ``duplicate_every``, also in the next
    column in use. load_more: True (every column), False, or the column ids offering it.
    render_article: ``(spec, base_url=, image_base=) -> str``; default
    ``replica.pages.render_article``. image_base: where article pages point images (default:
    the served origin). log_size: keep only the last N requests (None: all).
    """

    def __init__(self, articles: Iterable[ArticleSpec], *, columns_per_page: int = 20,
                 load_more: bool | Iterable[int] = True, max_pages: int | None = None,
                 duplicate_every: int = 5, render_article: RenderFn | None = None,
                 image_base: str | None = None, log_size: int | None = None,
                 partner_markup: bool = False, list_forms: dict[int, str] | None = None,
                 paging: bool = True, csrf_token: str = CSRF_TOKEN) -> None:
        self.columns_per_page = columns_per_page
        self.list_forms = dict(list_forms or {})  # column id -> "section" | "auto" (else "pc")
        self.paging = paging
        self.csrf_token = csrf_token
        self.max_pages = max_pages
        self.duplicate_every = duplicate_every
        self.image_base = image_base
        # Partner copies (/rss/<partner>/articles/<id>.html) in the feeds' markup: body images
        # in alt_src, the ydrss640 promo picture at the end (else the canonical page's bytes).
        self.partner_markup = partner_markup
        self._load_more = load_more if isinstance(load_more, bool) else frozenset(load_more)
        self._render = render_article
        self.faults = Faults()
        self.images = ImageStore()
        self._log = RequestLog(log_size)
        self._lock = threading.RLock()
        self._articles: dict[int, ArticleSpec] = {}
        self._listings: dict[int, list[int]] = {}
        self._pages: dict[tuple, Response] = {}        # rendered non-article answers
        self._article_pages: dict[tuple[int, str], bytes] = {}
        self.add_articles(articles)

    # ---- model

    @property
    def articles(self) -> dict[int, ArticleSpec]:
        return dict(self._articles)

    @property
    def column_ids(self) -> list[int]:
        """Columns that list at least one article."""
        return sorted(c for c, ids in self._listings.items() if ids)

    def listing(self, column_id: int) -> list[int]:
        """Article ids of a column, newest first (the order its pages show)."""
        return list(self._listings.get(column_id, ()))

    def offers_load_more(self, column_id: int) -> bool:
        return self._load_more if isinstance(self._load_more, bool) else column_id in self._load_more

    def _listing_columns(self, spec: ArticleSpec, in_use: list[int]) -> list[int]:
        if spec.column_id is None:
            return []
        cols = [spec.column_id]
        if self.duplicate_every and spec.article_id % self.duplicate_every == 0 and len(in_use) > 1:
            cols.append(in_use[(in_use.index(spec.column_id) + 1) % len(in_use)])
        return cols

    def add_articles(self, specs: Iterable[ArticleSpec]) -> None:
        """Add articles; they appear at the top of their columns, newest first."""
        specs = sorted(specs, key=lambda s: (_listing_time(s), s.article_id))  # oldest first
        with self._lock:
            for spec in specs:
                if spec.article_id in self._articles:
                    raise ValueError(f"article {spec.article_id} already on the site")
            in_use = sorted(set(self._listings) | {s.column_id for s in specs if s.column_id is not None})
            for spec in specs:  # each insert at the top: the newest ends first
                self._articles[spec.article_id] = spec
                for col in self._listing_columns(spec, in_use):
                    self._listings.setdefault(col, []).insert(0, spec.article_id)
            self._pages.clear()

    def edit_article(self, article_id: int, **changes) -> ArticleSpec:
        """Change an article's spec (``dataclasses.replace``); its pages change at once.

        A new ``column_id`` moves it to the top of that column; a new ``created`` moves its
        canonical URL. Returns the new spec.
        """
        with self._lock:
            spec = dataclasses.replace(self._articles[article_id], **changes)
            if spec.article_id != article_id:
                raise ValueError("article_id cannot change")
            self._articles[article_id] = spec
            if "column_id" in changes:
                for ids in self._listings.values():
                    if article_id in ids:
                        ids.remove(article_id)
                in_use = sorted(set(self._listings) | ({spec.column_id} - {None}))
                for col in self._listing_columns(spec, in_use):
                    self._listings.setdefault(col, []).insert(0, article_id)
            for key in [k for k in self._article_pages if k[0] == article_id]:
                del self._article_pages[key]
            self._pages.clear()
            return spec

    # ---- request log

    @property
    def requests(self) -> list[LoggedRequest]:
        return self._log.snapshot()

    def requests_of(self, kind: str) -> list[LoggedRequest]:
        return [r for r in self._log.snapshot() if r.kind == kind]

    def article_requests(self) -> list[LoggedRequest]:
        return self.requests_of("article")

    def reset_log(self) -> None:
        self._log.clear()

    # ---- serving

    def handle(self, method: str, target: str, headers: dict, base_url: str) -> Response:
        """Answer one request. ``target`` is the request path with its query; ``headers``
        maps header names (any case) to values; ``base_url`` is the served origin."""
        headers = {k.lower(): v for k, v in headers.items()}
        base_url = base_url.rstrip("/")
        kind, article_id = "other", None
        if method not in ("GET", "HEAD"):
            resp = Response(405, b"", headers=(("Allow", "GET, HEAD"),))
        else:
            kind, article_id, build = self._route(target, headers, base_url)
            rule = self.faults.take(target)
            resp = apply_fault(rule, build) if rule else build()
        self._log.append(LoggedRequest(method, target, headers, resp.status or None, kind,
                                       article_id, resp.fault))
        return resp

    def _route(self, target: str, headers: dict, base_url: str):
        """(kind, article id, builder of the answer) for a request target."""
        parts = urlsplit(target)
        path = parts.path
        if path == "/":
            return "home", None, lambda: self._cached(("home",), base_url, self._home)
        if path == "/robots.txt":
            return "robots", None, lambda: ROBOTS
        image = self.images.get(path)
        if image is not None:
            status, ctype, body = image
            return "image", None, lambda: Response(status, body, ctype)
        found = parse_article_url(path, base_url)
        if found:
            aid, created = found
            if article_page_number(path) > 1 or path.rstrip("/").endswith("/print"):
                return "article", aid, lambda: self._article_page(aid, created, path, base_url)
            partner = created is None and self.partner_markup
            return "article", aid, lambda: self._article_across_time(aid, created, base_url, headers, partner)
        if is_mobile_list_url(base_url + path, base_url):
            mobile = parse_column_url(base_url + path, base_url)
            if mobile:
                return "mobile_column", None, lambda: self._cached(("mobile", *mobile), base_url, self._mobile_page)
            return "other", None, lambda: NOT_FOUND
        column = parse_column_url(path, base_url)
        if column and self.list_forms.get(column[0], "pc") != "pc":
            return self._form_route(column[0], column[1], parse_qs(parts.query), headers, base_url)
        if column:
            cid, page = column
            query = parse_qs(parts.query)
            last = query.get("last_article", [""])[0]
            xhr = headers.get("x-requested-with", "").lower() == "xmlhttprequest"
            if page == 1 and last.isdigit() and xhr and self.offers_load_more(cid):
                refused = self._refuse_load_more(headers)
                if refused is not None:
                    return "load_more", None, lambda: refused
                return "load_more", None, lambda: self._cached(
                    ("more", cid, int(last)), base_url, self._load_more_fragment)
            return "column", None, lambda: self._cached(("column", cid, page), base_url, self._column_page)
        return "other", None, lambda: NOT_FOUND

    def _cached(self, key: tuple, base_url: str, build: Callable[..., Response]) -> Response:
        """Rendered answers are cached: the benchmarks send thousands of requests."""
        with self._lock:
            resp = self._pages.get(key + (base_url,))
            if resp is None:
                resp = self._pages[key + (base_url,)] = build(*key[1:], base_url)
            return resp

    # ---- articles

    def _render_fn(self) -> RenderFn:
        if self._render is None:
            from nbd_replica.pages import render_article  # written alongside; lazy
            self._render = render_article
        return self._render

    def _article(self, article_id: int, created: str | None, base_url: str, partner: bool = False) -> Response:
        with self._lock:
            spec = self._articles.get(article_id)
            if spec is None or (created is not None and created != spec.created.isoformat()):
                return NOT_FOUND
            key = (article_id, base_url) + (("partner",) if partner else ())
            body = self._article_pages.get(key)
            if body is None:
                if partner:
                    spec = dataclasses.replace(spec, variant={**spec.variant, "partner_markup": True})
                page = self._render_fn()(spec, base_url=base_url, image_base=self.image_base or base_url)
                body = self._article_pages[key] = page.encode("utf-8")
        return Response(200, body)

    def _article_page(self, article_id: int, created: str | None, path: str, base_url: str) -> Response:
        """Page 2.. of an article over several pages (``/articles/D/<id>/page/<n>``, also under
        ``/mobile``), or its print view (``.../print``: the whole article on one page)."""
        from nbd_replica.pages import render_article_page

        number = article_page_number(path)
        with self._lock:
            spec = self._articles.get(article_id)
            if spec is None or (created is not None and created != spec.created.isoformat()):
                return NOT_FOUND
            if path.rstrip("/").endswith("/print"):
                spec, number = dataclasses.replace(spec, pages=1), 1
            elif number > spec.pages:
                return NOT_FOUND
            key = (article_id, base_url, number, spec.pages)
            body = self._article_pages.get(key)
            if body is None:
                page = render_article_page(spec, number, base_url=base_url, image_base=self.image_base or base_url)
                body = self._article_pages[key] = page.encode("utf-8")
        return Response(200, body)

    # ---- articles across time (issue 16): deletions, restorations, conditional answers

    # Article answers carry ETag and Last-Modified and answer If-None-Match / If-Modified-Since
    # with 304 (off by default: the survey does not say whether the site sends them).
    send_validators = False

    def _across_time(self) -> dict:
        """Per-site state of this section (made on first use: ``__init__`` stays as it is)."""
        return self.__dict__.setdefault("_time_state", {"gone": {}, "modified": {}})

    def delete_article(self, article_id: int, how: str = "404") -> None:
        """Take an article off the site: ``how`` is "404", "410" or "home" (a 302 to the home
        page, as a CMS does for a removed article). Its column listings stay as they were."""
        if how not in ("404", "410", "home"):
            raise ValueError(f"how must be 404, 410 or home, not {how!r}")
        with self._lock:
            if article_id not in self._articles:
                raise KeyError(article_id)
            self._across_time()["gone"][article_id] = how

    def restore_article(self, article_id: int) -> None:
        """Bring a deleted article back, as it was."""
        with self._lock:
            self._across_time()["gone"].pop(article_id, None)

    def _article_across_time(self, article_id: int, created: str | None, base_url: str,
                             headers: dict, partner: bool = False) -> Response:
        gone = self._across_time()["gone"].get(article_id)
        if gone == "home":
            return Response(302, b"", headers=(("Location", base_url + "/"),))
        if gone is not None:
            return dataclasses.replace(NOT_FOUND, status=int(gone))
        resp = self._article(article_id, created, base_url, partner)
        if resp.status != 200 or not self.send_validators:
            return resp
        return self._conditional(article_id, resp, headers)

    def _conditional(self, article_id: int, resp: Response, headers: dict) -> Response:
        """The answer with its validators, or 304 when the client's copy is current. The ETag is
        the body's hash; Last-Modified is when this site first served that body."""
        import email.utils
        import hashlib

        etag = '"' + hashlib.sha1(resp.body).hexdigest()[:16] + '"'
        with self._lock:
            seen = self._across_time()["modified"].get(article_id)
            if seen is None or seen[0] != etag:
                seen = self._across_time()["modified"][article_id] = (etag, dt.datetime.now(dt.timezone.utc))
        last_modified = email.utils.format_datetime(seen[1].replace(microsecond=0), usegmt=True)
        validators = (("ETag", etag), ("Last-Modified", last_modified))
        if_none_match = headers.get("if-none-match")
        if if_none_match is not None:
            fresh = etag in [t.strip() for t in if_none_match.split(",")]
        else:
            since = headers.get("if-modified-since")
            try:
                fresh = since is not None and email.utils.parsedate_to_datetime(since) >= seen[1].replace(microsecond=0)
            except (TypeError, ValueError):
                fresh = False
        if fresh:
            return Response(304, b"", headers=validators)
        return dataclasses.replace(resp, headers=resp.headers + validators)

    # ---- lists

    def _entry_href(self, spec: ArticleSpec, column_id: int, position: int, base_url: str) -> str:
        form = LINK_CYCLE[(position + column_id) % len(LINK_CYCLE)]
        path, aid = spec.path, spec.article_id
        if form == "absolute":
            return base_url + path
        if form == "protocol-relative":
            return "//" + urlsplit(base_url).netloc + path
        if form == "mobile":
            return "https://m.nbd.com.cn" + path
        if form == "mrjjxw":
            return MRJJXW + path
        if form == "section":
            return f"https://{(COLUMNS.get(column_id) or ('', None))[1] or 'stocks'}.nbd.com.cn{path}"
        if form == "partner":
            return f"http://www.nbd.com.cn/rss/{PARTNERS[aid % len(PARTNERS)]}/articles/{aid}.html"
        return "http://www.nbd.com.cn" + path  # legacy-http: old pages linked on http://

    def _entry(self, spec: ArticleSpec, column_id: int, position: int, base_url: str) -> str:
        when = _listing_time(spec)
        shown = when.strftime("%Y-%m-%d %H:%M:%S" if column_id % 2 else "%H:%M:%S")
        title = spec.title if len(spec.title) <= TITLE_CUT else spec.title[: TITLE_CUT - 2] + "..."
        href = html.escape(self._entry_href(spec, column_id, position, base_url))
        return (f'<li class="u-news-title"><a class="news-title-a" href="{href}" '
                f'title="{html.escape(spec.title)}" target="_blank">{html.escape(title)}</a>'
                f'<span>{shown}</span></li>')

    def _day_blocks(self, column_id: int, start: int, ids: list[int], base_url: str,
                    noise_key: int | None) -> str:
        """``div.m-list`` blocks, one per day; noise entries go into the first block."""
        blocks: list[tuple[str, list[str]]] = []
        for offset, aid in enumerate(ids):
            spec = self._articles[aid]
            day = _listing_time(spec).date().isoformat()
            if not blocks or blocks[-1][0] != day:
                blocks.append((day, []))
            blocks[-1][1].append(self._entry(spec, column_id, start + offset, base_url))
        if blocks and noise_key is not None:
            blocks[0][1][2:2] = _noise_items(column_id, noise_key)
        return "\n".join(
            f'<div class="m-list">\n<p class="u-channeltime">{day}</p>\n<ul class="u-news-list">\n'
            + "\n".join(items) + "\n</ul>\n</div>"
            for day, items in blocks)

    def _page_count(self, column_id: int) -> int:
        n = len(self._listings.get(column_id, ()))
        pages = max(1, -(-n // self.columns_per_page)) if self.paging else 1
        return min(pages, self.max_pages) if self.max_pages else pages

    def _chrome(self, title: str, main: str, head_extra: str = "") -> Response:
        nav = "".join(f'<li><a href="/columns/{c}">{column_name(c) or c}</a></li>' for c in self.column_ids)
        return _html_response(200, (
            '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n{head_extra}</head>\n<body>\n"
            f'<div class="g-header"><ul class="m-nav"><li><a href="/">首页</a></li>{nav}'
            '<li><a href="https://live.nbd.com.cn/">快讯</a></li></ul></div>\n'
            f'<div class="g-main">\n{main}\n</div>\n'
            '<div class="g-footer"><a href="https://www.mrjjxw.com/">每经手机报</a> '
            '<a href="http://www.nbd.com.cn/corp/about">关于我们</a> '
            '<a href="https://www.beian.miit.gov.cn/">蜀ICP备</a></div>\n</body>\n</html>\n'))

    def _column_page(self, column_id: int, page: int, base_url: str) -> Response:
        ids = self._listings.get(column_id)
        if (not ids and column_id not in COLUMNS) or page > self._page_count(column_id):
            return NOT_FOUND
        ids = ids or []
        start = (page - 1) * self.columns_per_page
        shown = ids[start:start + self.columns_per_page]
        name = column_name(column_id) or f"栏目{column_id}"
        has_next = page < self._page_count(column_id)
        more = ""
        if page == 1 and self.offers_load_more(column_id) and len(ids) > len(shown):
            more = (f'<div class="u-more-box"><a id="more" class="u-more" href="javascript:void(0);" '
                    f'data-column="{column_id}" data-last-article="{shown[-1]}">加载更多</a></div>\n')
        active = ' class="active"'
        pager = " ".join(f'<a href="{_page_href(column_id, n)}"{active if n == page else ""}>{n}</a>'
                         for n in range(1, self._page_count(column_id) + 1))
        if has_next:
            pager += f' <a class="next" rel="next" href="{_page_href(column_id, page + 1)}">下一页</a>'
        head = f'<link rel="next" href="{_page_href(column_id, page + 1)}">\n' if has_next else ""
        head = self._csrf_meta() + head
        main = (f'<div class="u-column-title"><h1>{html.escape(name)}</h1></div>\n'
                f'<div class="g-list-text">\n{self._day_blocks(column_id, start, shown, base_url, page)}\n'
                f'</div>\n{more}<div class="u-pagination">{pager}</div>')
        return self._chrome(f"{name}_每经网", main, head)

    def _load_more_fragment(self, column_id: int, last_article: int, base_url: str) -> Response:
        ids = self._listings.get(column_id, [])
        start = ids.index(last_article) + 1 if last_article in ids else len(ids)
        batch = ids[start:start + self.columns_per_page]
        lines = []
        if batch:
            fragment = self._day_blocks(column_id, start, batch, base_url, noise_key=1000 + start)
            lines.append(f'$(".g-list-text").append("{escape_javascript(fragment)}");')
        if start + len(batch) < len(ids):
            lines.append(f'$("#more").attr("data-last-article", "{batch[-1]}");')
            lines.append(f"last_article = {batch[-1]};")
        else:
            lines.append('$("#more").remove();')
        return Response(200, ("\n".join(lines) + "\n").encode("utf-8"), "text/javascript; charset=utf-8")

    # ---- list forms of the second survey (section hosts, auto, mobile; load-more headers)

    def _csrf_meta(self) -> str:
        return f'<meta name="csrf-param" content="authenticity_token">\n' \
               f'<meta name="csrf-token" content="{html.escape(self.csrf_token)}">\n'

    def _refuse_load_more(self, headers: dict) -> Response | None:
        """A "load more" request without the headers the site's script sends: 400 without a
        script Accept, 403 without the page's CSRF token (None: accepted)."""
        if "text/javascript" not in headers.get("accept", ""):
            return Response(400, b"Bad Request: not a script request", "text/plain; charset=utf-8")
        if headers.get("x-csrf-token") != self.csrf_token:
            return Response(403, b"Forbidden: invalid authenticity token", "text/plain; charset=utf-8")
        return None

    def _form_route(self, column_id: int, page: int, query: dict, headers: dict, base_url: str):
        """Routes of a column in the section or auto form: its page, or its "load more"."""
        xhr = headers.get("x-requested-with", "").lower() == "xmlhttprequest"
        form = self.list_forms[column_id]
        param = "last_article_pos" if form == "auto" else "last_article"
        value = query.get(param, [""])[0]
        if page == 1 and value.isdigit() and xhr:
            refused = self._refuse_load_more(headers)
            if refused is not None:
                return "load_more", None, lambda: refused
            return "load_more", None, lambda: self._cached(
                ("form_more", column_id, int(value)), base_url, self._form_fragment)
        return "column", None, lambda: self._cached(("form", column_id, page), base_url, self._form_page)

    def _form_items(self, column_id: int, ids: list[int], base_url: str) -> str:
        form = self.list_forms[column_id]
        return "\n".join((self._section_item if form == "section" else self._auto_item)(
            self._articles[aid], column_id, base_url) for aid in ids)

    def _section_label(self, column_id: int) -> str | None:
        host = (COLUMNS.get(column_id) or ("", None))[1]
        if host is None:
            return None
        return (SECTION_LABELS.get(host) or (SECTIONS[host],))[0]  # the label the site shows today

    def _section_item(self, spec: ArticleSpec, column_id: int, base_url: str) -> str:
        """One ``ul.m-columnnews-list > li`` (the 2026-02 section-host template)."""
        host = (COLUMNS.get(column_id) or ("", None))[1] or "finance"
        # Full article URLs: on the section host every third entry, else on the served origin.
        href = f"https://{host}.nbd.com.cn{spec.path}" if spec.article_id % 3 == 0 else base_url + spec.path
        href = html.escape(href)
        label = self._section_label(column_id)
        tag = f'<a class="tag" href="https://{host}.nbd.com.cn/" target="_blank">{label}</a>' if label else ""
        when = _listing_time(spec).strftime("%Y-%m-%d %H:%M:%S")
        return (f'<li><div class="u-columnnews-img"><a href="{href}" target="_blank">'
                f'<img src="//static.nbd.com.cn/images/nbd_v5/lazy.png" '
                f'data-aload="{base_url}/uploads/articles/thumbnails/{spec.article_id}/list.jpg" alt=""></a></div>'
                f'<div class="u-columnnews-txt">{tag}'
                f'<a class="f-title" href="{href}" article-id="{spec.article_id}" target="_blank">'
                f'{html.escape(spec.title)}</a>'
                f'<a class="f-text" href="{href}" target="_blank">{html.escape(spec.summary or spec.title)}</a>'
                f'<p class="f-source"><span>{when}</span><span>{spec.article_id % 9000 + 100}阅读</span></p>'
                f'</div></li>')

    def _auto_item(self, spec: ArticleSpec, column_id: int, base_url: str) -> str:
        """One entry of auto.nbd.com.cn's list (``.news-text > a``)."""
        when = _listing_time(spec).strftime("%Y-%m-%d %H:%M")
        return (f'<div class="news-item"><div class="news-text">'
                f'<a href="https://auto.nbd.com.cn{spec.path}" target="_blank">{html.escape(spec.title)}</a>'
                f'<p class="news-time">{when}</p></div></div>')

    def _sidebars(self, column_id: int, base_url: str) -> str:
        """Hot lists and recommendations linking other columns' articles, in the same link forms
        and even the same classes as a list (a crawler must read only the column's own list)."""
        own = set(self._listings.get(column_id, ()))
        others = [aid for aid in sorted(self._articles, reverse=True) if aid not in own][:12]
        def links(ids, cls):
            return "\n".join(f'<li><a class="{cls}" href="{base_url}{self._articles[a].path}" '
                             f'article-id="{a}" target="_blank">{html.escape(self._articles[a].title)}</a>'
                             f'<span>{_listing_time(self._articles[a]):%Y-%m-%d %H:%M:%S}</span></li>'
                             for a in ids)
        return ('<div class="g-list-right">\n'
                f'<div class="m-hot"><h3>24小时热文</h3><ul class="m-hot-list">\n{links(others[:4], "f-title")}\n</ul></div>\n'
                f'<div class="m-recommend"><h3>推荐阅读</h3><ul class="u-news-list">\n{links(others[4:8], "news-title-a")}\n</ul></div>\n'
                f'<div class="m-rank"><h3>排行</h3><ol>\n{links(others[8:], "")}\n</ol></div>\n</div>')

    def _form_page(self, column_id: int, page: int, base_url: str) -> Response:
        """Page 1 of a column in the section or auto form ("load more" only: no page 2)."""
        ids = self._listings.get(column_id)
        if page != 1 or (not ids and column_id not in COLUMNS):
            return NOT_FOUND
        ids = ids or []
        shown = ids[:self.columns_per_page]
        name = column_name(column_id) or f"栏目{column_id}"
        form = self.list_forms[column_id]
        more = ""
        if len(ids) > len(shown):
            if form == "section":
                more = (f'<div class="u-more"><a id="more" data-remote="true" rel="nofollow" '
                        f'href="/columns/{column_id}?last_article={shown[-1]}&amp;version_column=v5">加载更多</a></div>')
            else:
                more = (f'<a id="load_articles" href="javascript:;" data-column="{column_id}" '
                        f'data-last-article-pos="{len(shown)}">加载更多</a>')
        items = self._form_items(column_id, shown, base_url)
        if form == "section":
            main = (f'<div class="g-list-left"><div class="u-channelname"><h1>{html.escape(name)}</h1></div>\n'
                    f'<ul class="m-columnnews-list">\n{items}\n</ul>\n{more}</div>\n'
                    + self._sidebars(column_id, base_url))
        else:
            main = (f'<h1 class="u-channelname">{html.escape(name)}</h1>\n'
                    f'<div class="news-list">\n{items}\n</div>\n{more}\n' + self._sidebars(column_id, base_url))
        return self._chrome(f"{name}_每经网", main, self._csrf_meta())

    def _form_fragment(self, column_id: int, after: int, base_url: str) -> Response:
        """The "load more" answer of the section form (after an article id) or the auto form
        (after a position): a Rails ``.js`` fragment."""
        ids = self._listings.get(column_id, [])
        form = self.list_forms[column_id]
        if form == "section":
            start = ids.index(after) + 1 if after in ids else len(ids)
        else:
            start = min(after, len(ids))
        batch = ids[start:start + self.columns_per_page]
        target = ".m-columnnews-list" if form == "section" else ".news-list"
        lines = []
        if batch:
            lines.append(f'$("{target}").append("{escape_javascript(self._form_items(column_id, batch, base_url))}");')
        if start + len(batch) < len(ids):
            if form == "section":
                lines.append(f'$("#more").attr("href", "/columns/{column_id}?last_article={batch[-1]}&version_column=v5");')
            else:
                lines.append(f"last_article_pos = {start + len(batch)};")
        else:
            lines.append(f'$("{"#more" if form == "section" else "#load_articles"}").remove();')
        return Response(200, ("\n".join(lines) + "\n").encode("utf-8"), "text/javascript; charset=utf-8")

    def _mobile_page(self, column_id: int, page: int, base_url: str) -> Response:
        """A mobile column list page: 20 full titles, every page however deep; an empty list
        past the end."""
        ids = self._listings.get(column_id)
        if not ids and column_id not in COLUMNS:
            return NOT_FOUND
        shown = (ids or [])[(page - 1) * MOBILE_PAGE_SIZE: page * MOBILE_PAGE_SIZE]
        items = "\n".join(
            f'<li><a href="{spec.path if spec.article_id % 2 else "https://m.nbd.com.cn" + spec.path}">'
            f'<p class="title">{html.escape(spec.title)}</p></a>'
            f'<span class="time">{_listing_time(spec):%m-%d %H:%M}</span></li>'
            for spec in (self._articles[aid] for aid in shown))
        name = column_name(column_id) or f"栏目{column_id}"
        body = (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width">\n<title>{html.escape(name)}-每经网</title>'
                f'</head>\n<body><header><a href="/m/">每经网</a></header>\n'
                f'<div class="articleList"><ul>\n{items}\n</ul></div>\n'
                f'<footer><a href="https://www.nbd.com.cn/">电脑版</a></footer></body></html>\n')
        return _html_response(200, body)

    def _home(self, base_url: str) -> Response:
        items = "\n".join(f'<li><a href="/columns/{c}">{column_name(c) or c}</a></li>' for c in self.column_ids)
        return self._chrome("每经网 | 每日经济新闻", f'<ul class="m-columns">\n{items}\n</ul>')


ROBOTS = Response(200, (
    "User-agent: *\n"
    "Allow: /articles/\n"
    "Allow: /columns/\n"
    "Disallow: /search\n"
    "Disallow: /users\n"
    "Disallow: /api/\n"
).encode(), "text/plain; charset=utf-8")
