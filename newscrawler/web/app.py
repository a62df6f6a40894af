"""The FastAPI application: the JSON API under ``/api`` (described at ``/openapi.json``) and the
pages that mirror it, rendered on the server from Jinja2 templates (no script).

Every route only reads. JSON times are UTC (``...Z``); pages show Beijing time and say so.
Errors are one sentence: ``{"error": ...}`` from the API (with the validation details on 422),
a short page otherwise.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

import newscrawler
from newscrawler.record import json_value
from newscrawler.store import changes
from newscrawler.warc.pointers import page_pointers
from newscrawler.web import render
from newscrawler.web.access import AccessMiddleware
from newscrawler.web.params import (MAX_ARTICLE_ID, MAX_RESULT_WINDOW, MAX_REVISION, ArchivedPage, ArticleSearch,
                                    CrawlsParams, Revisions, StatsParams)
from newscrawler.web.reader import ArchiveReader, BadRequest, NotFound, SearchResult, Unreadable, WebConfig

ArticleId = Annotated[int, PathParam(ge=1, le=MAX_ARTICLE_ID, description="the site's article id")]
RevisionNumber = Annotated[int, PathParam(ge=1, le=MAX_REVISION, description="1 = as first archived")]

# What a listing gives of each article (the whole record is at /api/articles/{id}).
LISTING_FIELDS = ("article_id", "url", "title", "published_at", "category", "column", "authors", "source",
                  "tags", "summary", "thumbnail_url", "revision", "updated_at", "deleted_at")
# Pages: scripts from nowhere, everything else only from here (images included: an archived
# body's images are the archive's own copies or links, never fetched from the site).
PAGE_POLICY = ("default-src 'self'; script-src 'none'; object-src 'none'; img-src 'self' data:; "
               "style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
# An archived page as received is another site's HTML: sandboxed (an origin of its own, no
# script, no form) and allowed to fetch nothing.
ARCHIVED_PAGE_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


# -- the API's answers (described in the OpenAPI document) ------------------------------------


class ErrorAnswer(BaseModel):
    error: str = Field(description="what was wrong, in one sentence")
    detail: list[dict[str, Any]] | None = Field(None, description="each refused parameter (422)")


class ArticleList(BaseModel):
    total: int = Field(description="how many articles match in all")
    page: int
    size: int
    pages: int
    sort: str
    mode: str = Field(description="fulltext (the search index), filters (no q), no_index (q given, the index not built: nothing found, the notice says how to build it)")
    notice: str | None = None
    filters: dict[str, Any]
    articles: list[dict[str, Any]]


class MonthCounts(BaseModel):
    total: int
    mode: str
    notice: str | None = None
    months: dict[str, int] = Field(description="Beijing month YYYY-MM -> matching articles published then")


class VersionBrief(BaseModel):
    revision: int
    title: str | None
    seen_from: str | None
    replaced_at: str | None
    replaced_by_crawl: str | None
    current: bool


class VersionList(BaseModel):
    article_id: int
    versions: list[VersionBrief]


class CrawlList(BaseModel):
    total: int
    page: int
    size: int
    crawls: list[dict[str, Any]]


ERRORS = {400: {"model": ErrorAnswer}, 404: {"model": ErrorAnswer}, 422: {"model": ErrorAnswer}}


# -- the application --------------------------------------------------------------------------


def create_app(db, config: WebConfig) -> FastAPI:
    """The app over ``db`` (a pymongo Database, owned by the caller) and the archive's files."""
    app = FastAPI(title="newscrawler archive", version=newscrawler.__version__,
                  description="Read-only access to a newscrawler archive of 每经网 (www.nbd.com.cn). "
                              "Times are UTC (ISO 8601 with Z); filters' dates are Beijing time.",
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    reader = ArchiveReader(db, config)
    templates = Environment(loader=PackageLoader("newscrawler.web", "templates"),
                            autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    templates.filters.update(beijing=render.beijing, utc=render.utc_iso, http_url=render.http_url)
    templates.globals.update(archive_name=config.archive_name, version=newscrawler.__version__)
    app.state.reader = reader

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = templates.get_template(name).render(request=request, path=request.url.path, **context)
        return HTMLResponse(html, status_code=status)

    _add_error_handlers(app, page)
    app.include_router(_api(reader))
    app.include_router(_pages(reader, page))
    app.mount("/static", StaticFiles(packages=[("newscrawler.web", "static")]), name="static")
    app.add_middleware(SecurityHeaders)
    # Outermost: nothing is answered to a request that lacks the token.
    app.add_middleware(AccessMiddleware, token=config.token, allowed_hosts=config.allowed_hosts)
    return app


class SecurityHeaders:
    """The pages' Content-Security-Policy (unless a response set its own) and the usual
    hardening headers, on every answer."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {name.lower() for name, _ in headers}
                extra = {b"content-security-policy": PAGE_POLICY.encode(), b"x-content-type-options": b"nosniff",
                         b"referrer-policy": b"no-referrer", b"x-frame-options": b"DENY"}
                headers += [(name, value) for name, value in extra.items() if name not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/openapi.json"


def validation_sentence(errors: list[dict[str, Any]]) -> str:
    """Refused parameters in one sentence: ``size: Input should be less than or equal to 100``."""
    parts = []
    for error in errors:
        names = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
        name = ".".join(names) or "parameters"
        if error.get("type") == "extra_forbidden":
            parts.append(f"unknown parameter {name}")
        else:
            parts.append(f"{name}: {str(error.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "bad parameter: " + "; ".join(parts)


def _add_error_handlers(app: FastAPI, page) -> None:
    def answer(request: Request, status: int, message: str, detail: list | None = None) -> Response:
        if _is_api(request):
            body: dict[str, Any] = {"error": message}
            if detail is not None:
                body["detail"] = detail
            return JSONResponse(body, status_code=status)
        return page(request, "error.html", status=status, status_code=status, message=message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        errors = list(exc.errors())
        detail = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e.get("type")}
                  for e in errors]
        return answer(request, 422, validation_sentence(errors), detail)

    @app.exception_handler(BadRequest)
    async def bad(request: Request, exc: BadRequest):
        return answer(request, 400, str(exc))

    @app.exception_handler(NotFound)
    async def missing(request: Request, exc: NotFound):
        return answer(request, 404, str(exc))

    @app.exception_handler(Unreadable)
    async def unreadable(request: Request, exc: Unreadable):
        return answer(request, 500, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return answer(request, exc.status_code, message)


def _listing(doc: dict[str, Any], clauses) -> dict[str, Any]:
    from newscrawler.store.snippets import snippet

    out = {name: json_value(doc.get(name)) for name in LISTING_FIELDS}
    # As query --search --format json gives it: the matches in 【】.
    out["snippet"] = snippet(doc, clauses, render.SNIPPET_LENGTH).text() if clauses else None
    out["links"] = {"self": f"/api/articles/{doc['article_id']}", "page": f"/articles/{doc['article_id']}"}
    return out


def _pages_of(total: int, size: int) -> int:
    return max(1, math.ceil(total / size))


# -- /api -------------------------------------------------------------------------------------


def _api(reader: ArchiveReader) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)

    @api.get("/articles", response_model=ArticleList, summary="Search and list articles")
    def articles(p: Annotated[ArticleSearch, Query()]):
        """The search issue's query language in ``q`` (through the full-text index when built),
        the filters, relevance or date order; one page of at most 100 articles."""
        result = reader.search(p)
        return {"total": result.total, "page": p.page, "size": p.size,
                "pages": _pages_of(result.total, p.size),
                "sort": result.sort, "mode": result.mode, "notice": result.notice, "filters": p.filters(),
                "articles": [_listing(doc, result.clauses) for doc in result.articles]}

    @api.get("/articles/months", response_model=MonthCounts, summary="Matching articles per month")
    def months(p: Annotated[ArticleSearch, Query()]):
        """How many articles match per Beijing month of publication (``page`` and ``size``
        are ignored): how often a word was mentioned over time."""
        result = reader.search(p.model_copy(update={"page": 1, "size": 1}), months=True)
        return {"total": result.total, "mode": result.mode, "notice": result.notice,
                "months": result.per_month}

    @api.get("/articles/{article_id}", summary="One article")
    def article(article_id: ArticleId) -> dict[str, Any]:
        """The whole record (times in UTC), with its kept versions in brief and its links."""
        doc = reader.article(article_id)
        versions = reader.versions(doc)
        return {**json_value(doc), "versions": changes.version_list(versions),
                "links": {"page": f"/articles/{article_id}", "revisions": f"/api/articles/{article_id}/revisions",
                          "archived": f"/articles/{article_id}/archived" if _kept(doc) else None}}

    @api.get("/articles/{article_id}/revisions", response_model=VersionList, summary="Its kept versions")
    def revisions(article_id: ArticleId):
        doc = reader.article(article_id)
        return {"article_id": article_id, "versions": changes.version_list(reader.versions(doc))}

    @api.get("/articles/{article_id}/revisions/{revision}", summary="One kept version, whole")
    def revision(article_id: ArticleId, revision: RevisionNumber) -> dict[str, Any]:
        return json_value(reader.version(article_id, revision))

    @api.get("/articles/{article_id}/diff", summary="What changed between two versions")
    def diff(article_id: ArticleId, p: Annotated[Revisions, Query()]) -> dict[str, Any]:
        """Changed fields (both values) and the body's changed paragraphs; by default the
        version before the current against the current."""
        old, new, _ = reader.compared(article_id, p.from_, p.to)
        return changes.json_changes(old, new)

    @api.get("/stats", summary="What the archive holds")
    def stats(p: Annotated[StatsParams, Query()]) -> dict[str, Any]:
        """Articles per Beijing day, per category, top authors, edits and deletions per day,
        rejects by reason and the last crawls (as ``newscrawler stats --json``)."""
        return json_value(reader.stats(p.days, p.top))

    @api.get("/crawls", response_model=CrawlList, summary="Recent crawls")
    def crawls(p: Annotated[CrawlsParams, Query()]):
        """The crawl records, newest first: counts, coverage, alerts (as ``newscrawler crawls --json``)."""
        total, records = reader.crawls(p)
        return {"total": total, "page": p.page, "size": p.size, "crawls": json_value(records)}

    return api


def _kept(doc: dict[str, Any]) -> bool:
    return isinstance(doc.get("warc"), dict) and "file" in doc["warc"]


# -- pages ------------------------------------------------------------------------------------


def _pages(reader: ArchiveReader, page) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/", response_class=HTMLResponse)
    @pages.get("/search", response_class=HTMLResponse)
    def search(request: Request, p: Annotated[ArticleSearch, Query()]):
        result: SearchResult = reader.search(p, months=True)
        months = render.continuous_months(result.per_month or {})
        chart = render.bar_chart([m for m, _ in months], {"articles": [n for _, n in months]},
                                 title="Matching articles per month (Beijing time)")
        pages_total = _pages_of(result.total, p.size)

        def link(number: int) -> str:
            return "/search?" + urlencode({**p.filters(), "page": number, "size": p.size})

        return page(request, "search.html", p=p, result=result, chart=chart, pages=pages_total,
                    previous=link(p.page - 1) if p.page > 1 else None,
                    next=link(p.page + 1) if p.page < pages_total and (p.page + 1) * p.size <= MAX_RESULT_WINDOW
                    else None,
                    snippet=lambda doc: render.snippet(doc, result.clauses),
                    api=f"/api/articles?{urlencode({**p.filters(), 'page': p.page, 'size': p.size})}")

    @pages.get("/articles/{article_id}", response_class=HTMLResponse)
    def article(request: Request, article_id: ArticleId):
        doc = reader.article(article_id)
        versions = reader.versions(doc)
        thumb = {size: render.stored_image_path(doc, size) for size in ("full", "medium")}
        warc = doc.get("warc") if _kept(doc) else None
        archived_pages = len(page_pointers(warc)) if warc else 0
        return page(request, "article.html", doc=doc, versions=versions, body=render.safe_body(doc), thumb=thumb,
                    archived_pages=archived_pages, missing_page=(doc.get("warc") or {}).get("missing")
                    if isinstance(doc.get("warc"), dict) else None)

    @pages.get("/articles/{article_id}/diff", response_class=HTMLResponse)
    def diff(request: Request, article_id: ArticleId, p: Annotated[Revisions, Query()]):
        old, new, versions = reader.compared(article_id, p.from_, p.to)
        fields = [(name, render.segments_html(changes.char_changes(changes.field_text(old.get(name)),
                                                                    changes.field_text(new.get(name)))))
                  for name in changes.changed_fields(old, new)]
        hunks = list(changes.body_hunks(old.get("body_text") or "", new.get("body_text") or ""))
        return page(request, "diff.html", doc=versions[-1], old=old, new=new, versions=versions, fields=fields,
                    hunks=hunks, segments=render.segments_html)

    @pages.get("/articles/{article_id}/archived")
    def archived(article_id: ArticleId, p: Annotated[ArchivedPage, Query()]):
        """The page as the crawl received it (its content-encoding undone), from the WARC file."""
        stored = reader.archived_page(reader.article(article_id), p.page)
        body = stored.content()
        declared = stored.content_type.split(";")[0].strip().lower()
        headers = {"Content-Security-Policy": ARCHIVED_PAGE_POLICY, "X-Robots-Tag": "noindex"}
        charset = _charset(stored.content_type)
        if p.view == "source":
            return Response(body, media_type=f"text/plain; charset={charset}", headers=headers)
        if declared in ("text/html", "application/xhtml+xml", "text/plain"):
            return Response(body, media_type=f"{declared}; charset={charset}", headers=headers)
        return Response(body, media_type="application/octet-stream", headers=headers)

    @pages.get("/dashboard", response_class=HTMLResponse)
    def dashboard(request: Request, p: Annotated[StatsParams, Query()]):
        stats = reader.stats(p.days, p.top)
        total, crawls = reader.crawls(CrawlsParams(page=1, size=20))
        days = [row["day"] for row in stats["days"]]
        per_day = render.bar_chart(days, {"articles": [row["articles"] for row in stats["days"]]},
                                   title="Articles per day (Beijing time)")
        history = stats["history"]
        changed = render.bar_chart([row["day"] for row in history],
                                   {"edits": [row["edits"] for row in history],
                                    "deletions": [row["deletions"] for row in history],
                                    "restored": [row["restored"] for row in history]},
                                   title="Edits and deletions seen per day (Beijing time)")
        return page(request, "dashboard.html", stats=stats, crawls=crawls, crawls_total=total, p=p,
                    per_day=per_day, changed=changed)

    @pages.get("/images/{path:path}")
    def image(path: str):
        """A stored image of the archive's images store (its thumbnails), by its stored path."""
        found, media = reader.image(path)
        headers = {"Cache-Control": "private, max-age=86400"}
        if isinstance(found, Path):
            return FileResponse(found, media_type=media, headers=headers)
        return Response(found, media_type=media, headers=headers)

    @pages.get("/favicon.ico")
    def favicon():
        return RedirectResponse("/static/favicon.svg", status_code=308)

    return pages


_CHARSET = re.compile(r"[A-Za-z0-9_.:-]{1,40}")


def _charset(content_type: str) -> str:
    """The charset a stored Content-Type names (a plain name only), else UTF-8."""
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        value = value.strip().strip('"')
        if name.strip().lower() == "charset" and _CHARSET.fullmatch(value):
            return value
    return "utf-8"


__all__ = ["LISTING_FIELDS", "create_app", "validation_sentence"]
