"""ReplayWeb.page itself opens what `newscrawler export wacz` writes: its own files (ui.js and the
service worker sw.js, from the `replaywebpage` npm package pinned in testing/replayweb/, which
setup.sh installs with `npm ci`) served on loopback beside a page embedding
``<replay-web-page source=… url=…>`` as its embedding guide describes, and a WACZ exported from
the replay tests' crawl; Playwright drives Debian's chromium to that page, and the archived
article (title and body, Chinese, exactly) must appear in the replay frame. A screenshot is kept
in $NEWSCRAWLER_TEST_ARTIFACTS, else tests/artifacts/ (not in git)."""

from __future__ import annotations

import html
import json
import os
import time
from pathlib import Path

import pytest

from newscrawler.cli import main
from newscrawler.warc.pointers import page_pointers
from newscrawler.warc.reader import read_response
from tests.crawling import archive
from tests.replay_crawl import crawl_replica, point_cli_at
from tests.web_archive import LiveServer

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("NEWSCRAWLER_TEST_ARTIFACTS") or Path(__file__).parent / "artifacts")
REPLAYWEB = Path(__file__).resolve().parent.parent / "testing" / "replayweb"
PINNED = json.loads((REPLAYWEB / "package.json").read_text(encoding="utf-8"))["dependencies"]["replaywebpage"]
PACKAGE = REPLAYWEB / "node_modules" / "replaywebpage"
REPLAY_TIMEOUT = 60  # seconds: the service worker installs, then loads the WACZ's index


def installed_version() -> str | None:
    try:
        return json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None


playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -r requirements.txt)")
if not Path(CHROMIUM).is_file():
    pytest.skip(f"no chromium at {CHROMIUM}: setup.sh installs Debian's chromium when run as root",
                allow_module_level=True)
if installed_version() != PINNED or not all((PACKAGE / f).is_file() for f in ("ui.js", "sw.js")):
    pytest.skip(f"ReplayWeb.page {PINNED} is not installed in {PACKAGE.parent} (found: {installed_version()}): "
                "setup.sh installs it with `npm ci` when npm is there", allow_module_level=True)


def embedding_page(wacz_name: str, url: str) -> str:
    """The page of ReplayWeb.page's embedding guide: ui.js, and the element naming the WACZ and
    the archived address to show (the service worker is looked for in ./replay/)."""
    return ("<!doctype html>\n<html lang=\"zh-CN\">\n<head><meta charset=\"utf-8\"><title>newscrawler WACZ</title>\n"
            "<script src=\"./ui.js\"></script></head>\n<body style=\"margin:0\">\n"
            f"<replay-web-page source=\"./{html.escape(wacz_name)}\" url=\"{html.escape(url)}\" "
            "style=\"display:block;height:1350px\"></replay-web-page>\n</body>\n</html>\n")


def replayweb_app(pages: dict[str, str], wacz: Path):
    """ReplayWeb.page's files, the WACZ, and the embedding ``pages`` (path -> HTML) at one origin."""
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, HTMLResponse
    from starlette.routing import Route

    def page(html_text: str):
        return lambda request: HTMLResponse(html_text)

    # FileResponse answers Range requests: ReplayWeb.page reads a WACZ by ranges.
    return Starlette(routes=[
        *(Route(path, page(text)) for path, text in pages.items()),
        Route("/ui.js", lambda request: FileResponse(PACKAGE / "ui.js", media_type="application/javascript")),
        Route("/replay/sw.js", lambda request: FileResponse(PACKAGE / "sw.js", media_type="application/javascript")),
        Route(f"/{wacz.name}", lambda request: FileResponse(wacz, media_type="application/wacz+zip")),
    ])


@pytest.fixture(scope="module")
def crawled(mongo_uri, tmp_path_factory):
    yield from crawl_replica(mongo_uri, tmp_path_factory)


@pytest.fixture
def cli_env(crawled, mongo_uri, monkeypatch):
    return point_cli_at(crawled, mongo_uri, monkeypatch)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        # --no-sandbox: chromium's sandbox refuses to run as root (CI runs as root).
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def replay_frame(page, url: str, timeout: float):
    """The frame (nested in ReplayWeb.page's shadow DOM and iframes) replaying ``url``, once its
    document has loaded; None if none did in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame.url.endswith("mp_/" + url):
                try:
                    frame.wait_for_load_state("load", timeout=max(1, deadline - time.monotonic()) * 1000)
                    return frame
                except playwright_api.Error:
                    break  # detached or replaced while loading: look again
        page.wait_for_timeout(250)
    return None


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.splitlines() if p.strip()]


def test_replaywebpage_opens_our_wacz_and_shows_the_archived_articles(cli_env, mongo_uri, browser, tmp_path):
    db = archive(mongo_uri, cli_env["db_name"])
    single = {"warc.later_pages": {"$exists": False}}
    encoded = db.articles.find_one({"article_id": {"$mod": [2, 0]}, **single})  # the site sent it gzip-encoded
    plain = db.articles.find_one({"article_id": {"$mod": [2, 1]}, **single})
    paged = db.articles.find_one({"warc.later_pages": {"$exists": True}})
    last = page_pointers(paged["warc"])[-1]
    last_url = read_response(cli_env["warc_dir"] / last["file"], last["offset"], last["length"]).url
    wacz = tmp_path / "nbd.wacz"
    assert main(["export", "wacz", "--out", str(wacz)]) == 0  # the whole archive: 20 articles
    # (address, its article, a paragraph of the body that page shows)
    visits = [(encoded["fetched_url"], encoded, paragraphs(encoded["body_text"])[0]),
              (plain["fetched_url"], plain, paragraphs(plain["body_text"])[0]),
              (last_url, paged, paragraphs(paged["body_text"])[-1])]

    app = replayweb_app({f"/{n}.html": embedding_page(wacz.name, url) for n, (url, _, _) in enumerate(visits)}, wacz)
    context = browser.new_context(viewport={"width": 1200, "height": 1400}, locale="zh-CN")
    elsewhere: list[str] = []
    try:
        with LiveServer(app) as server:
            context.on("request", lambda r: None if r.url.startswith(server.base) else elsewhere.append(r.url))
            for n, (url, doc, paragraph) in enumerate(visits):
                page = context.new_page()
                console: list[str] = []
                page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
                page.goto(f"{server.base}/{n}.html")
                frame = replay_frame(page, url, REPLAY_TIMEOUT / 2)
                if frame is None:
                    # Seen once on a loaded machine: the service worker registered but the replay
                    # frame never came; a reload (the same WACZ) is what a reader would do.
                    page.reload()
                    frame = replay_frame(page, url, REPLAY_TIMEOUT)
                assert frame is not None, (f"ReplayWeb.page showed no replay of {url} in {REPLAY_TIMEOUT} s; frames: "
                                           f"{[f.url for f in page.frames]}; console: {console[-10:]}")
                assert frame.text_content("h1").strip() == doc["title"]  # Chinese, exactly
                assert paragraph in frame.evaluate("document.body.innerText")
                if n == 0:
                    ARTIFACTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / "replayweb.png"))
                page.close()
        assert elsewhere == []  # ReplayWeb.page asked nothing of any other host
    finally:
        context.close()
