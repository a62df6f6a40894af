"""The web app in a real headless browser: Playwright driving Debian's chromium (setup.sh installs
it, with the Noto CJK fonts) against the test archive of tests/web_archive.py. A person's path:
search, open an article, see a diff, look at the dashboard's charts; and a browser given the
token once. Screenshots are kept as test artifacts in $NEWSCRAWLER_TEST_ARTIFACTS, else
tests/artifacts/ (not in git)."""

from __future__ import annotations

import os
from pathlib import Path

import pymongo
import pytest

from tests.web_archive import build_archive, served

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
TOKEN = "a-browser-token-of-some-length"
ARTIFACTS = Path(os.environ.get("NEWSCRAWLER_TEST_ARTIFACTS") or Path(__file__).parent / "artifacts")

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -r requirements.txt)")
if not Path(CHROMIUM).is_file():
    pytest.skip(f"no chromium at {CHROMIUM}: setup.sh installs Debian's chromium when run as root",
                allow_module_level=True)


@pytest.fixture(scope="module")
def archive(mongo_uri, module_db_name, tmp_path_factory):
    client = pymongo.MongoClient(mongo_uri, tz_aware=True)
    try:
        yield build_archive(client[module_db_name], tmp_path_factory.mktemp("web-browser"))
    finally:
        client.close()


@pytest.fixture(scope="module")
def web(archive):
    with served(archive.db, archive.config()) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        # --no-sandbox: chromium's sandbox refuses to run as root (CI runs as root).
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


class Visit:
    """A page of a fresh browser context that notes what the page asked of other hosts and
    what the console reported (a Content-Security-Policy violation is a console error)."""

    def __init__(self, browser, base: str):
        self.context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
        self.page = self.context.new_page()
        self.base = base
        self.elsewhere: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: None if r.url.startswith(base) else self.elsewhere.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def drawn_bars(self, selector: str) -> int:
        """Bars of the charts under ``selector`` that the browser actually drew (a box of some height)."""
        return self.page.eval_on_selector_all(
            f"{selector} svg.chart rect.bar", "bars => bars.filter(b => b.getBoundingClientRect().height > 0).length")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, web):
    opened = Visit(browser, web.base)
    yield opened
    opened.close()


def test_search_open_an_article_and_see_a_diff(visit, web):
    page = visit.page
    page.goto(web.base + "/")
    page.fill("input[name=q]", "资本市场")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    assert page.text_content("#match-count") == "3"
    assert page.locator("ol.results > li").count() == 3
    assert page.locator("ol.results mark").first.text_content() == "资本市场"
    assert visit.drawn_bars(".chart-box") == 3  # one bar a month
    # Chinese in a Chinese face: the page's font stack resolves to the installed Noto Sans CJK SC.
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.evaluate("""document.fonts.check('16px "Noto Sans CJK SC"', '资本市场')""")
    assert "Noto Sans CJK SC" in page.evaluate("getComputedStyle(document.body).fontFamily")
    assert visit.screenshot("search").stat().st_size > 10_000

    page.click("text=央行宣布降准")
    page.wait_for_url("**/articles/1")
    assert page.text_content("h1") == "央行宣布降准"
    thumbnail = page.locator("figure.thumbnail img")
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") == 32  # the stored medium thumb
    assert page.locator("section.body a.remote-image").count() == 1  # not archived: a link, not fetched
    assert page.locator("table.versions tbody tr").count() == 3
    visit.screenshot("article")

    page.select_option("form.compare select[name=from]", "1")
    page.select_option("form.compare select[name=to]", "3")
    page.click("form.compare button")
    page.wait_for_url("**/articles/1/diff?from=1&to=3")
    inserted = page.locator("ins").all_text_contents()
    assert "宣布" in inserted and "0.5个百分点" in inserted
    assert page.locator("ins").first.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    visit.screenshot("diff")
    assert visit.elsewhere == []  # nothing fetched from anywhere but the app
    assert visit.errors == []  # no Content-Security-Policy violation either

    page.goto(web.base + "/articles/1/archived")
    assert page.text_content("h1") == "央行宣布降准"
    assert page.title() == "央行宣布降准"  # the archived page's own script did not run (it renames the page)


def test_the_dashboard_draws_its_charts(visit, web):
    page = visit.page
    page.goto(web.base + "/dashboard?days=14")
    assert visit.drawn_bars("#articles-per-day") >= 1
    assert visit.drawn_bars("#edits-per-day") >= 3  # edits, deletions and restorations
    assert page.locator("table.crawls tbody tr").count() == 2
    assert "deletions: 2 of 5 checked articles are gone" in page.text_content("table.crawls")
    visit.screenshot("dashboard")
    assert visit.elsewhere == [] and visit.errors == []


def test_a_browser_given_the_token_once_keeps_it(browser, archive):
    with served(archive.db, archive.config(token=TOKEN)) as guarded:
        visit = Visit(browser, guarded.base)
        try:
            answer = visit.page.goto(guarded.base + "/dashboard")
            assert answer.status == 401
            visit.page.goto(f"{guarded.base}/dashboard?token={TOKEN}")
            assert visit.page.url == guarded.base + "/dashboard"  # the token is not left in the address
            assert visit.page.text_content("h1") == "The archive and its crawls"
            visit.page.click("text=Search")
            assert visit.page.text_content("#match-count") == "6"
            cookie = visit.context.cookies()[0]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        finally:
            visit.close()
