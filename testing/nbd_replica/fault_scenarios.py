"""Fault scenarios: crawl the replica while injecting real faults, and count what the archive kept.

Run by ``benchmarks/fault_suite.py`` (which prints the table) and by ``tests/test_reliability.py``
(which asserts each scenario's checks).

Every scenario runs real `scrapy crawl nbd` processes against the replica of the site on
127.0.0.1 and a SecantusDB process of its own (so it can be killed), then checks the archive
against the site's truth:

- site faults, one crawl: bursts of 500/503 (transient) and 503 for good, timeouts,
  connections reset, truncated bodies, redirects to another host, pages of tens of
  megabytes, wrong content types, binary garbage, GBK pages (charset in the header or only in
  the page), an impossible publish date (2024-02-31), thumbnails that are not images (an HTML
  page, 404, a cut-off JPEG, a 27-megapixel JPEG over the pixel limit), 503 bursts on column
  pages, a column page answering 503 for good. A transient fault must end with the article archived, a permanent one with the page
  in ``rejects`` (its reason) or, for images, the article archived with ``thumbnail_error``.
- the crawl is SIGKILLed mid-crawl and started again (incremental run).
- MongoDB is SIGKILLed mid-crawl and restarted while the crawl goes on (spool + replay).
- MongoDB is SIGKILLed mid-crawl and stays down until the next run (spool replayed then).
- two crawls of the same job at once, on an empty archive and then (full=1) over edited
  articles (revisions).
- ordinary stops, crashes, full disks, several machines (each then run once more, with
  `newscrawler crawl`, whose exit status is checked): a crawl stopped with SIGTERM, or SIGINT,
  at about a third; one list page answering 503 on every try in run 1; the crawl SIGKILLed
  right after its first MongoDB batch; the WARC files' disk full partway (a file-size limit on
  the crawl process); MongoDB killed and the spool's disk full (a fault pipeline in the crawl
  process: writes half done, then ENOSPC), the spool then torn inside a character; two
  workers sharing a Redis queue (127.0.0.1:6379; the row says skipped without it), one
  SIGKILLed.

Each scenario gives one ``Row`` per fault: injected (how many times it fired), survived (pages
that ended right: archived, or recorded with their reason), articles expected in the archive,
archived (distinct, with title, body and time equal to the site's), lost (expected but not
archived, or a broken page neither archived nor recorded), duplicated (extra documents for
one article id, or extra revisions), dangling (articles whose WARC pointer does not reach a
whole record: ``newscrawler.warc.pointers.check_pointers``, after the last run and, where a
crash or a full disk could leave some, right after it); and its failed checks in ``problems``.
"""

from __future__ import annotations

import dataclasses
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pymongo

from newscrawler.nbd.site import column_name, column_section
from nbd_replica import server as replica_server
from nbd_replica.corpus import generate_articles
from nbd_replica.expected import expected_record
from nbd_replica.pages import format_time, render_article
from nbd_replica.procs import FAST_SETTINGS as CRAWL_TEST_SETTINGS, REPO, crawl_command, free_port, \
    start_secantus, stop_process, trap_server
from nbd_replica.server import serve
from nbd_replica.site import ReplicaSite

# The crawl tests' loopback settings, plus a quick retry of an unreachable archive
# (meanwhile items are spooled).
FAST_SETTINGS = {**CRAWL_TEST_SETTINGS, "ARCHIVE_RETRY_INTERVAL": "1"}
CRAWL_TIMEOUT = 240.0  # seconds: no crawl of the suite may run longer
BAD_DATE = "2024-02-31 10:00:00"
COMPARED = ("title", "body_text", "published_at")


@contextmanager
def quiet_hangups():
    """The crawler hangs up on faulty answers (a 24 MB page) on purpose: no traceback for
    that from the replica servers, while the scenarios run."""
    handle_error = replica_server._Server.handle_error

    def quiet(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            handle_error(self, request, client_address)

    replica_server._Server.handle_error = quiet
    try:
        yield
    finally:
        replica_server._Server.handle_error = handle_error


# ----------------------------------------------------------------------------------- results

@dataclass
class Row:
    fault: str
    injected: int = 0
    survived: int = 0
    expected: int = 0
    archived: int = 0
    lost: int = 0
    duplicated: int = 0
    dangling: int = 0  # archived articles whose WARC pointer does not reach a whole record


@dataclass
class Scenario:
    name: str
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    seconds: float = 0.0

    def check(self, ok: bool, message: str) -> bool:
        if not ok:
            self.problems.append(message)
        return ok


# ---------------------------------------------------------------------------- infrastructure

class Mongo:
    """A SecantusDB process of our own on a fixed port, to kill and restart."""

    def __init__(self, storage: Path):
        self.storage = storage
        self.port = free_port()
        self.proc = None
        self.uri = f"mongodb://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc, self.uri = start_secantus(str(self.storage), self.port)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def db(self, name: str):
        return pymongo.MongoClient(self.uri, tz_aware=True, serverSelectionTimeoutMS=10000)[name]


@contextmanager
def killable_mongo(storage: Path):
    """A SecantusDB of the scenario's own (``Mongo``), stopped afterwards."""
    mongo = Mongo(storage)
    mongo.start()
    try:
        yield mongo
    finally:
        mongo.stop()


def crawl_process(server, mongo_uri: str, db_name: str, data_dir: Path, log: Path, *,
                  settings: dict | None = None, columns=None, **spider_args) -> subprocess.Popen:
    """`scrapy crawl nbd` against the replica, started (output to ``log``)."""
    args, env = crawl_command(server, mongo_uri, db_name, data_dir, columns=columns, settings=settings,
                              base_settings=FAST_SETTINGS, **spider_args)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def wait(proc: subprocess.Popen, timeout: float = CRAWL_TIMEOUT) -> int:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        return -9


def failure_excerpt(log: Path, lines: int = 25) -> str:
    """Why a crawl failed, for the report: its log's error lines and last traceback."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        return f"(log {log} unreadable: {exc})"
    start = max((i for i, line in enumerate(text) if line.startswith("Traceback")), default=None)
    picked = [line for line in text if " ERROR: " in line or " CRITICAL: " in line]
    if start is not None:
        picked += text[start:]
    return f"log {log}:\n" + "\n".join((picked or text)[-lines:])


def check_exits(sc: Scenario, what: str, codes: list[int], logs: list[Path]) -> None:
    """Every crawl must exit 0; a failure's report carries its log's errors."""
    if sc.check(all(code == 0 for code in codes), f"{what}: exit statuses {codes}"):
        return
    for code, log in zip(codes, logs):
        if code != 0:
            sc.problems.append(f"{what}: exit {code}, " + failure_excerpt(log))


def run_crawl(*args, **kwargs) -> int:
    return wait(crawl_process(*args, **kwargs))


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def count_articles(uri: str, db_name: str) -> int:
    try:
        with pymongo.MongoClient(uri, serverSelectionTimeoutMS=500) as client:
            return client[db_name].articles.count_documents({})
    except pymongo.errors.PyMongoError:
        return -1


def spool_entries(data_dir: Path) -> int:
    spool = Path(data_dir) / "spool"
    if not spool.is_dir():
        return 0
    return sum(1 for path in spool.glob("*.jsonl") for line in path.read_bytes().splitlines() if line.strip())


def fault_for(article_id: int) -> str:
    """Fault pattern for an article page by id: canonical and partner paths alike."""
    return rf"/{article_id}\.html$"


# ------------------------------------------------------------------------------- the checks

def _same(doc: dict, want: dict, fields=COMPARED) -> bool:
    return all(doc.get(k) == want[k] for k in fields)


def verify_archive(sc: Scenario, db, site: ReplicaSite, base_url: str, *, expect_ids,
                   rejected: dict[int, str] | None = None, revisions: dict[int, int] | None = None,
                   data_dir: Path | None = None, untimed: set[int] = frozenset(),
                   warc_dirs: list[Path] | None = None) -> dict:
    """Compare the archive with the site. ``expect_ids``: articles that must be archived,
    exactly once, with the site's content (of their current version); ``rejected``: id -> a
    fragment of the reason their page must be recorded with; ``revisions``: id -> expected
    revision number (default 1) and as many - 1 kept old versions; ``untimed``: pages showing
    no valid publish time (title and body compared only). With ``data_dir``: the spool is
    empty, thumbnails whole, and every article's page kept (its WARC pointer reaches a whole
    record in ``warc_dirs``, default ``<data_dir>/warc``; none left awaiting a refetch)."""
    rejected = rejected or {}
    revisions = revisions or {}
    docs: dict[int, dict] = {}
    duplicated = 0
    for doc in db.articles.find({}, {"_id": 0}):
        if doc["article_id"] in docs:
            duplicated += 1
        docs[doc["article_id"]] = doc
    archived, lost, damaged = 0, [], []
    for aid in expect_ids:
        doc = docs.get(aid)
        if doc is None:
            lost.append(aid)
            continue
        want = expected_record(site.articles[aid], base_url=base_url, image_base=base_url)
        if _same(doc, want, ("title", "body_text") if aid in untimed else COMPARED):
            archived += 1
        else:
            damaged.append(aid)
    sc.check(not lost, f"{sc.name}: articles not archived: {lost}")
    sc.check(not damaged, f"{sc.name}: archived with content unlike the site's: {damaged}")
    rejects = {}
    for rej in db.rejects.find({}, {"_id": 0}):
        rejects.setdefault(rej.get("article_id"), []).append(f"{rej.get('code') or ''}: {rej.get('message') or ''}")
    unrecorded = []
    for aid, fragment in rejected.items():
        reasons = rejects.get(aid, [])
        if aid in docs:
            sc.problems.append(f"{sc.name}: broken page {aid} was archived: {docs[aid].get('title')!r}")
        if not any(fragment.lower() in r.lower() for r in reasons):
            unrecorded.append(aid)
            sc.problems.append(f"{sc.name}: broken page {aid} not recorded with {fragment!r} (rejects: {reasons})")
    extra = set(docs) - set(expect_ids)
    sc.check(not extra, f"{sc.name}: archived articles that should not be: {sorted(extra)}")
    # Revisions: exactly (revision - 1) old versions per article, none twice.
    by_article: dict[int, list[int]] = {}
    for rev in db.article_revisions.find({}, {"article_id": 1, "revision": 1, "_id": 0}):
        by_article.setdefault(rev["article_id"], []).append(rev.get("revision"))
    for aid in expect_ids:
        want_rev = revisions.get(aid, 1)
        doc = docs.get(aid)
        kept = sorted(by_article.get(aid, []))
        if doc is not None and doc.get("revision") != want_rev:
            sc.problems.append(f"{sc.name}: article {aid} has revision {doc.get('revision')}, expected {want_rev}")
        if kept != list(range(1, want_rev)):
            sc.problems.append(f"{sc.name}: article {aid} kept old versions {kept}, expected {list(range(1, want_rev))}")
            duplicated += max(0, len(kept) - (want_rev - 1))
    dangling: set[int] = set()
    if data_dir is not None:
        left = spool_entries(data_dir)
        sc.check(left == 0, f"{sc.name}: {left} entries left in the spool")
        check_thumbnails(sc, db, data_dir)
        dangling = check_pages(sc, db, warc_dirs or [Path(data_dir) / "warc"])
    return {"docs": docs, "archived": archived, "lost": len(lost) + len(unrecorded) + len(damaged),
            "duplicated": duplicated, "rejects": rejects, "dangling": len(dangling), "dangling_ids": dangling}


def check_thumbnails(sc: Scenario, db, data_dir: Path) -> None:
    """Every stored thumbnail is a whole image file inside the store."""
    from PIL import Image

    store = (Path(data_dir) / "images").resolve()
    for doc in db.articles.find({"thumbnail": {"$exists": True}}, {"thumbnail": 1, "article_id": 1}):
        path = (store / doc["thumbnail"]["path"]).resolve()
        if store not in path.parents:
            sc.problems.append(f"{sc.name}: thumbnail of {doc['article_id']} outside the store: {path}")
            continue
        try:
            with Image.open(path) as img:
                img.load()
        except Exception as exc:  # noqa: BLE001
            sc.problems.append(f"{sc.name}: thumbnail of {doc['article_id']} unreadable: {exc}")


class _Listed:
    """Documents given as a list, found as a collection finds them (for ``check_pointers``)."""

    def __init__(self, docs: list[dict]):
        self.docs = docs

    def find(self, *args, **kwargs):
        return iter(self.docs)


def dangling_pointers(db, warc_dirs: list[Path]) -> tuple[set[int], set[int]]:
    """(articles whose WARC pointer does not reach a whole record, articles marked awaiting a
    refetch of their page), by ``newscrawler.warc.pointers.check_pointers`` over every file of
    ``warc_dirs`` (workers of one crawl each have a directory of their own)."""
    from newscrawler.warc.pointers import MISSING, check_pointers
    from newscrawler.warc.reader import check_file

    docs = list(db.articles.find({"warc": {"$type": "object"}}, {"article_id": 1, "warc": 1, "_id": 0}))
    awaiting = {d["article_id"] for d in docs if MISSING in d["warc"]}
    holder = {path.name: Path(d) for d in warc_dirs for path in Path(d).glob("*.warc.gz")}
    by_dir: dict[Path, list[dict]] = {}
    for doc in docs:
        if MISSING not in doc["warc"]:
            where = holder.get(str(doc["warc"].get("file")), Path(warc_dirs[0]))
            by_dir.setdefault(where, []).append(doc)
    dangling = set()
    for where, listed in by_dir.items():
        checks = [check_file(path) for path in sorted(where.glob("*.warc.gz")) if path.is_file()]
        dangling |= {d.article_id for d in check_pointers(_Listed(listed), where, checks).dangling}
    return dangling, awaiting


def check_pages(sc: Scenario, db, warc_dirs: list[Path]) -> set[int]:
    """Every archived article's page is kept: no dangling pointer, none awaiting a refetch.
    Returns the dangling ones."""
    dangling, awaiting = dangling_pointers(db, warc_dirs)
    sc.check(not dangling, f"{sc.name}: articles pointing to no whole WARC record: {sorted(dangling)}")
    sc.check(not awaiting, f"{sc.name}: articles still without their page (awaiting a refetch): {sorted(awaiting)}")
    return dangling


def crawl_record(db) -> list[dict]:
    return list(db.crawls.find({}, {"_id": 0, "crawl_id": 1, "finish_reason": 1, "stats": 1}).sort("started_at", 1))


# ---------------------------------------------------------------- scenario: a misbehaving site

@dataclass(frozen=True)
class PageFault:
    """A fault put on article pages. ``kind``: a replica fault kind, or "bad_date" (the page
    shows BAD_DATE); ``count``: answers that misbehave (None: every one); ``outcome``:
    "archived" (transient: retried), "archived:warning" (archived with a publish-time
    warning), "rejected:<reason fragment>" (the page recorded in ``rejects``)."""
    label: str
    kind: str
    params: dict
    count: int | None
    outcome: str


# "{trap}" in a parameter stands for the trap server's origin.
PAGE_FAULTS = (
    PageFault("HTTP 503 burst (2 per page)", "status", {"status": 503}, 2, "archived"),
    PageFault("HTTP 500 burst (2 per page)", "status", {"status": 500}, 2, "archived"),
    PageFault("HTTP 503 on every try", "status", {"status": 503}, None, "rejected:HTTP 503"),
    PageFault("timeout (answer after 2.5 s)", "delay", {"seconds": 2.5}, 1, "archived"),
    PageFault("connection reset (2 per page)", "reset", {}, 2, "archived"),
    PageFault("connection reset on every try", "reset", {}, None, "rejected:fetch_failed"),
    PageFault("truncated body (2 per page)", "truncate", {}, 2, "archived"),
    PageFault("redirect to another host", "redirect", {"location": "{trap}/articles/x.html"}, None,
              "rejected:off-site"),
    PageFault("page of 24 MB", "huge", {"size": 24_000_000}, None, "rejected:max size"),
    PageFault("page of 3 MB", "huge", {"size": 3_000_000}, None, "rejected:max size"),
    PageFault("page of 600 KB, not an article", "huge", {"size": 600_000}, None, "rejected:not_an_article"),
    PageFault("wrong content type", "content_type", {"content_type": "application/octet-stream"}, None,
              "archived"),
    PageFault("binary garbage", "garbage", {}, None, "rejected:not_html"),
    PageFault("GBK page, charset in header", "gbk", {"header": True}, None, "archived"),
    PageFault("GBK page, charset only in page", "gbk", {"header": False}, None, "archived"),
    PageFault("impossible date 2024-02-31", "bad_date", {}, None, "archived:warning"),
)
# (label, replica image fault): the article is archived, its thumbnail_error recorded.
IMAGE_FAULTS = (
    ("thumbnail is an HTML page", "html"),
    ("thumbnail 404", "missing"),
    ("thumbnail cut off (corrupt)", "corrupt"),
    ("thumbnail 27 Mpixel (over limit)", "oversized"),
)


@dataclass
class Assigned:
    """A fault of the plan and the articles it was put on (``rules``: the replica's fault
    rules, which count how often they fired; none for a bad date)."""
    label: str
    outcome: str
    targets: list
    rules: list = field(default_factory=list)


def _render_with_bad_dates(bad: set[int]):
    def render(spec, **kwargs):
        page = render_article(spec, **kwargs)
        if spec.article_id in bad and spec.published_at is not None:
            for sep in (" ", "T"):
                page = page.replace(format_time(spec.published_at, sep), BAD_DATE.replace(" ", sep))
        return page
    return render


def _thumbnail_url(spec, base: str) -> str | None:
    return expected_record(spec, base, base)["thumbnail_url"]


def assign_page_faults(site: ReplicaSite, pool, per_kind: int, bad_dates: set[int], trap_url: str) -> list[Assigned]:
    """Put each fault of PAGE_FAULTS on the next ``per_kind`` articles of ``pool``."""
    assigned = []
    for fault in PAGE_FAULTS:
        entry = Assigned(fault.label, fault.outcome, [next(pool) for _ in range(per_kind)])
        for spec in entry.targets:
            if fault.kind == "bad_date":
                bad_dates.add(spec.article_id)
                continue
            params = {k: v.replace("{trap}", trap_url) if isinstance(v, str) else v for k, v in fault.params.items()}
            if fault.kind == "redirect":  # one address each (the same one twice is a duplicate request)
                params["location"] = params["location"].replace("x.html", f"{spec.article_id}.html")
            entry.rules.append(site.faults.add(fault_for(spec.article_id), fault.kind, count=fault.count, **params))
        assigned.append(entry)
    return assigned


def assign_image_faults(site: ReplicaSite, pool, per_kind: int, base: str) -> list[Assigned]:
    """Put each fault of IMAGE_FAULTS on the lead image of the next ``per_kind`` articles of ``pool``."""
    assigned = []
    for label, kind in IMAGE_FAULTS:
        entry = Assigned(label, "thumbnail", [next(pool) for _ in range(per_kind)])
        for spec in entry.targets:
            path = re.sub(r"^https?://[^/]+", "", _thumbnail_url(spec, base))
            site.images.override(re.escape(path) + "$", kind)
        assigned.append(entry)
    return assigned


def page_fault_row(sc: Scenario, entry: Assigned, docs: dict, rejects: dict, base: str) -> Row:
    row = Row(entry.label)
    row.injected = sum(r.fired for r in entry.rules) if entry.rules else len(entry.targets)
    sc.check(row.injected > 0, f"site faults: {entry.label}: the fault never fired")
    for spec in entry.targets:
        doc = docs.get(spec.article_id)
        if entry.outcome.startswith("archived"):
            row.expected += 1
            if entry.outcome == "archived:warning":
                ok = doc is not None and doc.get("title") == spec.title and any(
                    "publish time" in w for w in doc["extraction"].get("warnings", []))
                if not ok:
                    sc.problems.append(f"site faults: {entry.label}: article {spec.article_id} not archived "
                                       f"with a publish-time warning")
            else:
                ok = doc is not None and _same(doc, expected_record(spec, base, base))
            row.archived += ok
            row.lost += not ok
            row.survived += ok
        else:
            fragment = entry.outcome.split(":", 1)[1].lower()
            ok = doc is None and any(fragment in r.lower() for r in rejects.get(spec.article_id, []))
            row.survived += ok
            row.lost += not ok
    return row


def image_fault_row(sc: Scenario, entry: Assigned, docs: dict, base: str) -> Row:
    row = Row(entry.label, injected=len(entry.targets), expected=len(entry.targets))
    for spec in entry.targets:
        doc = docs.get(spec.article_id)
        archived = doc is not None and _same(doc, expected_record(spec, base, base))
        recorded = doc is not None and bool(doc.get("thumbnail_error")) and not doc.get("thumbnail")
        if archived and not recorded:
            sc.problems.append(f"site faults: {entry.label}: article {spec.article_id} has no thumbnail_error "
                               f"(thumbnail {doc.get('thumbnail')})")
        row.archived += archived
        row.survived += archived and recorded
        row.lost += not archived
    return row


def column_fault_rows(sc: Scenario, db, burst_rules: list, dead_column: int, dead_rule) -> list[Row]:
    """Column pages: the 503 bursts were retried; the dead column's page is recorded."""
    fired = sum(r.fired for r in burst_rules)
    sc.check(fired > 0, "site faults: the column-page faults never fired")
    recorded = [r for r in db.rejects.find({"code": "column_failed"}, {"url": 1, "message": 1})
                if re.search(rf"/columns/{dead_column}\b", r.get("url") or "")]
    sc.check(bool(recorded) and "HTTP 503" in recorded[0]["message"],
             f"site faults: the dead column page is not recorded: {recorded}")
    return [Row("column page 503 burst", injected=fired, survived=fired),
            Row("column page 503 on every try", injected=dead_rule.fired, survived=int(bool(recorded)))]


def scenario_site_faults(work: Path, n: int, per_kind: int) -> Scenario:
    """One crawl of a site that misbehaves in every way listed in the module doc."""
    sc = Scenario("site faults")
    bad_dates: set[int] = set()
    site = ReplicaSite(generate_articles(n, seed=3), render_article=_render_with_bad_dates(bad_dates))
    specs = sorted(site.articles.values(), key=lambda s: s.article_id)
    with serve(site) as server, trap_server() as trap, killable_mongo(work / "db") as mongo:
        base = server.base_url
        # One column answers 503 for good: its page is recorded; what only it lists is unreachable.
        dead_column = site.column_ids[-1]
        dead_rule = site.faults.add(rf"^/columns/{dead_column}(?:$|[/?.])", "status", count=None, status=503)
        elsewhere = {aid for cid in site.column_ids if cid != dead_column for aid in site.listing(cid)}
        unreachable = set(site.listing(dead_column)) - elsewhere
        reachable = [s for s in specs if s.article_id not in unreachable]
        with_thumb = [s for s in reachable if _thumbnail_url(s, base)]
        without_thumb = [s for s in reachable if s not in with_thumb]
        # Page faults first on articles without images; image faults from the other end.
        pages = assign_page_faults(site, iter(without_thumb + with_thumb), per_kind, bad_dates, trap.url)
        images = assign_image_faults(site, iter(reversed(with_thumb)), per_kind, base)
        targets = [s.article_id for entry in pages + images for s in entry.targets]
        sc.check(len(set(targets)) == len(targets), "site faults: an article got two faults (too few articles for the plan)")
        # Column pages: 503 bursts on two of them (retried; their articles must all arrive).
        column_rules = [site.faults.add(rf"^/columns/{cid}(?:$|[/?.])", "status", count=2, status=503)
                        for cid in site.column_ids[:2]]

        rc = run_crawl(server, mongo.uri, "faults", work / "data", work / "crawl.log",
                       settings={"DOWNLOAD_TIMEOUT": "1", "THUMBNAIL_MAX_PIXELS": "20000000"})
        check_exits(sc, "site faults: crawl", [rc], [work / "crawl.log"])
        db = mongo.db("faults")
        rejected = {s.article_id: entry.outcome.split(":", 1)[1] for entry in pages
                    if entry.outcome.startswith("rejected") for s in entry.targets}
        expect_ids = [s.article_id for s in specs if s.article_id not in set(rejected) | unreachable]
        result = verify_archive(sc, db, site, base, expect_ids=expect_ids, rejected=rejected,
                                data_dir=work / "data", untimed=bad_dates)
        sc.rows += [page_fault_row(sc, entry, result["docs"], result["rejects"], base) for entry in pages]
        sc.rows += [image_fault_row(sc, entry, result["docs"], base) for entry in images]
        for row, entry in zip(sc.rows, pages + images):
            row.dangling = sum(s.article_id in result["dangling_ids"] for s in entry.targets)
        sc.rows += column_fault_rows(sc, db, column_rules, dead_column, dead_rule)
        sc.check(not trap.hits, f"site faults: the crawl reached another host: {trap.hits}")
        records = crawl_record(db)
        sc.check(bool(records) and records[-1].get("finish_reason") == "finished",
                 f"site faults: crawl record {records[-1:] if records else None}")
        total = Row("all articles of the faulty crawl", injected=sum(r.injected for r in sc.rows),
                    expected=len(expect_ids), archived=result["archived"], lost=result["lost"],
                    duplicated=result["duplicated"], dangling=result["dangling"])
        total.survived = total.expected + len(rejected) - total.lost
        sc.rows.append(total)
        sc.facts["trap_hits"] = len(trap.hits)
    return sc


# --------------------------------------------------------------------------- other scenarios

def _paged_site(n: int, seed: int, per_page: int = 5) -> ReplicaSite:
    """``n`` articles in three columns, several list pages each (incremental stops matter)."""
    columns = (329, 327, 326)
    specs = [dataclasses.replace(s, column_id=columns[i % 3], category=column_section(columns[i % 3]),
                                 column=column_name(columns[i % 3]))
             for i, s in enumerate(generate_articles(n, seed=seed))]
    return ReplicaSite(specs, columns_per_page=per_page)


def scenario_crawl_killed(work: Path, n: int, kills: int) -> Scenario:
    """SIGKILL the crawl mid-way (``kills`` times), then run it again to the end."""
    sc = Scenario("crawl killed")
    site = _paged_site(n, seed=5)
    pages = -(-n // 5) + 2
    row = Row("crawl SIGKILLed mid-crawl, run again")
    with serve(site) as server, killable_mongo(work / "db") as mongo:
        snapshots: dict[int, dict] = {}
        for k in range(kills):
            slow = site.faults.add(r"/articles/", "delay", count=None, seconds=0.15)
            proc = crawl_process(server, mongo.uri, "killed", work / "data", work / f"crawl-{k}.log",
                                 settings={"CONCURRENT_REQUESTS": "4", "MONGO_BATCH_SIZE": "3"}, pages=pages)
            target = max(1, n * (k + 1) // (kills + 2))
            reached = wait_until(lambda: count_articles(mongo.uri, "killed") >= target or proc.poll() is not None, 120)
            sc.check(reached and proc.poll() is None, f"crawl killed: the crawl ended before the kill {k + 1}")
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            row.injected += 1
            site.faults.clear()
            del slow
            db = mongo.db("killed")
            snapshots = {d["article_id"]: d for d in db.articles.find({}, {"_id": 0})}
            sc.facts.setdefault("archived_at_kill", []).append(len(snapshots))
        rc = run_crawl(server, mongo.uri, "killed", work / "data", work / "crawl-last.log", pages=pages)
        check_exits(sc, "crawl killed: the run after the kill", [rc], [work / "crawl-last.log"])
        db = mongo.db("killed")
        ids = sorted(site.articles)
        result = verify_archive(sc, db, site, server.base_url, expect_ids=ids, data_dir=work / "data")
        changed = [aid for aid, old in snapshots.items() if result["docs"].get(aid) != old]
        sc.check(not changed, f"crawl killed: articles archived before the kill changed afterwards: {changed}")
        records = crawl_record(db)
        killed = [r for r in records[:-1] if r.get("finish_reason") != "interrupted"]
        sc.check(not killed and records[-1].get("finish_reason") == "finished",
                 f"crawl killed: crawl records not marked (killed ones 'interrupted'): {records}")
        sc.facts["crawl_records"] = [r.get("finish_reason") for r in records]
        row.expected, row.archived = len(ids), result["archived"]
        row.lost, row.duplicated = result["lost"] + len(changed), result["duplicated"]
        row.dangling = result["dangling"]
        row.survived = row.injected if not sc.problems else 0
    sc.rows.append(row)
    return sc


def _mongo_outage(work: Path, n: int, name: str, back_during_crawl: bool) -> Scenario:
    sc = Scenario(name)
    site = ReplicaSite(generate_articles(n, seed=7))
    row = Row("MongoDB killed mid-crawl, back during the crawl" if back_during_crawl
              else "MongoDB killed mid-crawl, down until the next run", injected=1)
    data = work / "data"
    with serve(site) as server, killable_mongo(work / "db") as mongo:
        site.faults.add(r"/articles/", "delay", count=None, seconds=0.2)
        proc = crawl_process(server, mongo.uri, "outage", data, work / "crawl-1.log",
                             settings={"CONCURRENT_REQUESTS": "4", "MONGO_BATCH_SIZE": "2"})
        reached = wait_until(lambda: count_articles(mongo.uri, "outage") >= n // 4 or proc.poll() is not None, 120)
        sc.check(reached and proc.poll() is None, f"{name}: the crawl ended before MongoDB was killed")
        mongo.kill()
        spooled = wait_until(lambda: spool_entries(data) > 0 or proc.poll() is not None, 60)
        sc.facts["spooled_while_down"] = spool_entries(data)
        sc.check(spooled and sc.facts["spooled_while_down"] > 0, f"{name}: nothing was spooled while MongoDB was down")
        if back_during_crawl:
            mongo.start()
            sc.check(proc.poll() is None, f"{name}: the crawl ended before MongoDB came back")
        check_exits(sc, f"{name}: crawl", [wait(proc)], [work / "crawl-1.log"])
        site.faults.clear()
        if not back_during_crawl:
            sc.facts["spool_after_first_run"] = spool_entries(data)
            sc.check(sc.facts["spool_after_first_run"] > 0, f"{name}: the spool is empty after the first run")
            mongo.start()
            rc = run_crawl(server, mongo.uri, "outage", data, work / "crawl-2.log")
            check_exits(sc, f"{name}: second crawl", [rc], [work / "crawl-2.log"])
        db = mongo.db("outage")
        ids = sorted(site.articles)
        result = verify_archive(sc, db, site, server.base_url, expect_ids=ids, data_dir=data)
        records = crawl_record(db)
        stats = [r.get("stats", {}) for r in records]
        sc.facts["spooled"] = sum(s.get("spooled", 0) for s in stats)
        sc.facts["crawl_records"] = [r.get("finish_reason") for r in records]
        sc.check(sc.facts["crawl_records"] == ["finished"] * (1 if back_during_crawl else 2),
                 f"{name}: every crawl's record must say finished: {sc.facts['crawl_records']}")
        row.expected, row.archived, row.lost, row.duplicated = (len(ids), result["archived"], result["lost"],
                                                                result["duplicated"])
        row.dangling = result["dangling"]
        row.survived = int(not sc.problems)
    sc.rows.append(row)
    return sc


def scenario_mongo_back(work: Path, n: int) -> Scenario:
    return _mongo_outage(work, n, "mongodb back mid-crawl", back_during_crawl=True)


def scenario_mongo_down(work: Path, n: int) -> Scenario:
    return _mongo_outage(work, n, "mongodb down until next run", back_during_crawl=False)


def scenario_concurrent(work: Path, n: int, edits: int) -> Scenario:
    """Two crawls of one job at once: on an empty archive, then (full=1) over edited articles."""
    sc = Scenario("two crawls at once")
    site = ReplicaSite(generate_articles(n, seed=9))
    data = work / "data"
    ids = sorted(site.articles)
    with serve(site) as server, killable_mongo(work / "db") as mongo:
        logs = [work / f"crawl-a{i}.log" for i in range(2)]
        first = [crawl_process(server, mongo.uri, "twice", data, log) for log in logs]
        check_exits(sc, "two crawls at once", [wait(p) for p in first], logs)
        db = mongo.db("twice")
        result = verify_archive(sc, db, site, server.base_url, expect_ids=ids, data_dir=data)
        sc.rows.append(Row("two crawls at once, empty archive", injected=2, survived=2 * (not sc.problems),
                           expected=len(ids), archived=result["archived"], lost=result["lost"],
                           duplicated=result["duplicated"], dangling=result["dangling"]))
        before = len(sc.problems)
        edited = ids[:: max(1, len(ids) // edits)][:edits]
        for aid in edited:
            spec = site.articles[aid]
            site.edit_article(aid, title=spec.title + "（更新）")
        logs = [work / f"crawl-b{i}.log" for i in range(2)]
        second = [crawl_process(server, mongo.uri, "twice", data, log, full=1) for log in logs]
        check_exits(sc, "two full crawls at once", [wait(p) for p in second], logs)
        result = verify_archive(sc, db, site, server.base_url, expect_ids=ids, data_dir=data,
                                revisions=dict.fromkeys(edited, 2))
        old_titles = {r["article_id"]: r["title"] for r in db.article_revisions.find({}, {"article_id": 1, "title": 1})}
        wrong = [aid for aid in edited if old_titles.get(aid, "").endswith("（更新）")]
        sc.check(not wrong, f"two crawls at once: kept old versions hold the new text: {wrong}")
        # Each crawl took the other (running beside it) for an interrupted one; both finished.
        records = [(r.get("finish_reason"), r.get("resumed_by")) for r in db.crawls.find()]
        sc.check(records == [("finished", None)] * 4, f"two crawls at once: crawl records {records}")
        sc.rows.append(Row(f"two full crawls at once, {len(edited)} articles edited", injected=2,
                           survived=2 * (len(sc.problems) == before), expected=len(ids),
                           archived=result["archived"], lost=result["lost"], duplicated=result["duplicated"],
                           dangling=result["dangling"]))
    return sc


# ------------------------------------------------ ordinary stops, crashes, full disks, workers
# (issue 15): each ends, after one more run, with nothing lost, nothing twice, no dangling pointer.

WALK_PAGE = 6  # articles per list page: a few list pages per column, so walks can stop midway


def cli_crawl_args(server, mongo_uri: str, db_name: str, data_dir: Path, *, pages: int,
                   settings: dict | None = None) -> tuple[list[str], dict]:
    """(argv, environment) of `newscrawler crawl` (its exit status judges the crawl) against
    the replica; ``nbd_replica`` importable in it, for the fault pipelines below."""
    _, env = crawl_command(server, mongo_uri, db_name, data_dir)
    env["PYTHONPATH"] = str(REPO / "testing") + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    args = [sys.executable, "-m", "newscrawler", "crawl", "--no-progress", "--pages", str(pages),
            "--columns", ",".join(str(c) for c in sorted(server.site.column_ids))]
    for key, value in {**FAST_SETTINGS, **(settings or {})}.items():
        args += ["-s", f"{key}={value}"]
    return args, env


def cli_crawl(server, mongo_uri: str, db_name: str, data_dir: Path, log: Path, *, pages: int,
              settings: dict | None = None, preexec_fn=None) -> int:
    """`newscrawler crawl` run to its end; its output (through a pipe: a file-size limit given
    by ``preexec_fn`` must not cut the log) goes to ``log``. Returns its exit status."""
    args, env = cli_crawl_args(server, mongo_uri, db_name, data_dir, pages=pages, settings=settings)
    try:
        done = subprocess.run(args, cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=CRAWL_TIMEOUT, preexec_fn=preexec_fn)
        code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = -9, (exc.stdout or b"") + (exc.stderr or b"")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        out.write(output)
    return code


def cli_crawl_process(server, mongo_uri: str, db_name: str, data_dir: Path, log: Path, *, pages: int,
                      settings: dict | None = None) -> subprocess.Popen:
    args, env = cli_crawl_args(server, mongo_uri, db_name, data_dir, pages=pages, settings=settings)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def check_exit(sc: Scenario, what: str, code: int, want: set[int], log: Path) -> None:
    if not sc.check(code in want, f"{sc.name}: {what}: exit status {code}, expected one of {sorted(want)}"):
        sc.problems.append(f"{sc.name}: {what}: " + failure_excerpt(log))


def archived_ids(db) -> set[int]:
    return {d["article_id"] for d in db.articles.find({}, {"article_id": 1, "_id": 0})}


def fill_row(row: Row, sc: Scenario, result: dict, expected: int, before: int = 0) -> Row:
    """The row's counts from ``verify_archive``'s result; survived: the fault left no failed check."""
    row.expected, row.archived, row.lost = expected, result["archived"], result["lost"]
    row.duplicated, row.dangling = result["duplicated"], result["dangling"]
    row.survived = row.injected if len(sc.problems) == before else 0
    return row


def walks_complete(sc: Scenario, db) -> None:
    walks = list(db.column_walks.find({}, {"_id": 0, "column_id": 1, "complete": 1, "gaps": 1}))
    sc.check(bool(walks) and all(w.get("complete") and not w.get("gaps") for w in walks),
             f"{sc.name}: column walks not complete after the last run: {walks}")


def scenario_stopped(work: Path, n: int, signum: int) -> Scenario:
    """A crawl stopped as systemd (SIGTERM) or Ctrl-C (SIGINT) stops it, at about a third of
    the articles; one more run archives the rest, fetching none twice."""
    how = "SIGTERM" if signum == signal.SIGTERM else "SIGINT (Ctrl-C)"
    sc = Scenario(f"crawl stopped ({how.split()[0]})")
    site = _paged_site(n, seed=41 + signum, per_page=WALK_PAGE)
    pages = -(-n // (3 * WALK_PAGE)) + 2
    row = Row(f"crawl stopped with {how} at a third, run again", injected=1)
    with serve(site) as server, killable_mongo(work / "db") as mongo:
        proc = cli_crawl_process(server, mongo.uri, "stopped", work / "data", work / "crawl-1.log", pages=pages,
                                 settings={"DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"})
        reached = wait_until(lambda: len(site.article_requests()) >= n // 3 or proc.poll() is not None, 120)
        sc.check(reached and proc.poll() is None, f"{sc.name}: the crawl ended before it was stopped")
        proc.send_signal(signum)
        stopped = wait(proc, 60)
        check_exit(sc, "the stopped run", stopped, {1, 130}, work / "crawl-1.log")  # did not finish
        db = mongo.db("stopped")
        first = archived_ids(db)
        sc.facts.update(exit_stopped=stopped, archived_at_stop=len(first))
        sc.check(0 < len(first) < n, f"{sc.name}: {len(first)} of {n} archived when stopped")
        site.reset_log()
        again = cli_crawl(server, mongo.uri, "stopped", work / "data", work / "crawl-2.log", pages=pages)
        check_exit(sc, "the run after the stop", again, {0}, work / "crawl-2.log")
        refetched = sorted({r.article_id for r in site.article_requests()} & first)
        sc.check(not refetched, f"{sc.name}: articles archived before the stop fetched again: {refetched}")
        result = verify_archive(sc, db, site, server.base_url, expect_ids=sorted(site.articles),
                                data_dir=work / "data")
        walks_complete(sc, db)
        sc.facts["crawl_records"] = [r.get("finish_reason") for r in crawl_record(db)]
    sc.rows.append(fill_row(row, sc, result, n))
    return sc


def scenario_list_page_down(work: Path, n: int) -> Scenario:
    """One list page answers 503 on every try in run 1 (an alert, exit 3: a walk left
    unfinished); healthy in run 2, which walks on from it."""
    sc = Scenario("list page down")
    site = _paged_site(n, seed=47, per_page=WALK_PAGE)
    pages = -(-n // (3 * WALK_PAGE)) + 2
    column = site.column_ids[1]
    rule = site.faults.add(rf"^/columns/{column}/page/2(\.html|/)?$", "status", count=None, status=503)
    row = Row("list page 503 on every try in run 1, healthy in run 2")
    with serve(site) as server, killable_mongo(work / "db") as mongo:
        first = cli_crawl(server, mongo.uri, "listdown", work / "data", work / "crawl-1.log", pages=pages)
        check_exit(sc, "the run with the failed list page", first, {3}, work / "crawl-1.log")
        row.injected = rule.fired
        sc.check(rule.fired > 0, f"{sc.name}: the list-page fault never fired")
        db = mongo.db("listdown")
        missing = set(site.articles) - archived_ids(db)
        sc.facts.update(exit_first=first, missing_after_first=len(missing))
        sc.check(bool(missing), f"{sc.name}: the failed page hid no article (the scenario tests nothing)")
        record = db.crawls.find_one({}) or {}
        sc.check(record.get("stats", {}).get("incomplete_walks") == 1,
                 f"{sc.name}: run 1's record does not count the unfinished walk: {record.get('stats', {}).get('incomplete_walks')}")
        site.faults.clear()
        site.reset_log()
        second = cli_crawl(server, mongo.uri, "listdown", work / "data", work / "crawl-2.log", pages=pages)
        check_exit(sc, "the run after", second, {0}, work / "crawl-2.log")
        fetched = sorted(r.article_id for r in site.article_requests())
        sc.check(fetched == sorted(missing), f"{sc.name}: run 2 fetched {fetched}, expected the missing {sorted(missing)}")
        result = verify_archive(sc, db, site, server.base_url, expect_ids=sorted(site.articles), data_dir=work / "data")
        walks_complete(sc, db)
    sc.rows.append(fill_row(row, sc, result, n))
    return sc


from nbd_replica.fault_pipelines import DiskFull, KillAfterFirstWrite, pipelines_with  # noqa: F401 - class paths
from newscrawler.crawl.pipelines.mongodb import MongoPipeline as _MongoPipeline


class SpoolDiskFills(_MongoPipeline):
    """In the crawl process: the spool's disk is full after FAULT_SPOOL_ROOM appends (each later
    write puts half its bytes down, then fails with ENOSPC)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        spool, room, appends = self.archive.spool, crawler.settings.getint("FAULT_SPOOL_ROOM", 1), []
        real_open, real_append = spool._open, spool.append_many

        def append_many(docs):
            if len(appends) >= room:
                spool._open = lambda: DiskFull(real_open())
            appends.append(len(docs))
            return real_append(docs)

        spool.append_many = append_many


def scenario_killed_after_batch(work: Path, n: int, batch: int) -> Scenario:
    """The crawl SIGKILLed right after its first MongoDB batch (write-ahead: those articles'
    pages are on disk), then run again."""
    sc = Scenario("killed after a batch")
    site = ReplicaSite(generate_articles(n, seed=43))
    row = Row(f"crawl SIGKILLed right after its first MongoDB batch ({batch}), run again", injected=1)
    data = work / "data"
    with serve(site) as server, killable_mongo(work / "db") as mongo:
        killed = cli_crawl(server, mongo.uri, "batch", data, work / "crawl-1.log", pages=20, settings={
            "MONGO_BATCH_SIZE": str(batch), "ITEM_PIPELINES": pipelines_with("nbd_replica.fault_pipelines.KillAfterFirstWrite")})
        check_exit(sc, "the killed run", killed, {-signal.SIGKILL}, work / "crawl-1.log")
        db = mongo.db("batch")
        dangling, awaiting = dangling_pointers(db, [data / "warc"])
        first = archived_ids(db)
        sc.facts.update(archived_at_kill=len(first), dangling_at_kill=len(dangling), awaiting_at_kill=len(awaiting))
        sc.check(len(first) == batch, f"{sc.name}: {len(first)} archived at the kill, expected the batch of {batch}")
        sc.check(not dangling, f"{sc.name}: dangling pointers right after the kill: {sorted(dangling)}")
        again = cli_crawl(server, mongo.uri, "batch", data, work / "crawl-2.log", pages=20)
        check_exit(sc, "the run after the kill", again, {0}, work / "crawl-2.log")
        result = verify_archive(sc, db, site, server.base_url, expect_ids=sorted(site.articles), data_dir=data)
    row = fill_row(row, sc, result, n)
    row.dangling += len(dangling)
    sc.rows.append(row)
    return sc


def _file_size_limit(limit: int):
    def apply() -> None:
        # Past the limit a write fails with EFBIG after writing what fits, as on a full disk
        # (Python ignores SIGXFSZ, so the process is not killed).
        import resource
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def scenario_warc_disk_full(work: Path, n: int, limit: int) -> Scenario:
    """The WARC files' disk fills partway (a file-size limit on the crawl process: writes past
    it fail after writing what fits): the crawl fails (exit 1, alert), archives every article,
    none pointing to a record not whole; a run with space fetches the missing pages."""
    sc = Scenario("warc disk full")
    site = ReplicaSite(generate_articles(n, seed=44))
    row = Row("WARC disk full partway, then a run with space", injected=1)
    data = work / "data"
    with serve(site) as server, killable_mongo(work / "db") as mongo:
        full = cli_crawl(server, mongo.uri, "warcfull", data, work / "crawl-1.log", pages=20,
                         settings={"MONGO_BATCH_SIZE": "5"}, preexec_fn=_file_size_limit(limit))
        check_exit(sc, "the run on a full disk", full, {1}, work / "crawl-1.log")
        db = mongo.db("warcfull")
        dangling, awaiting = dangling_pointers(db, [data / "warc"])
        record = db.crawls.find_one({}) or {}
        sc.facts.update(archived_on_full_disk=len(archived_ids(db)), pages_not_kept=len(awaiting),
                        dangling_on_full_disk=len(dangling), warc_errors=record.get("stats", {}).get("warc_errors"))
        sc.check(bool(awaiting), f"{sc.name}: the disk never filled (every page kept)")
        sc.check(not dangling, f"{sc.name}: dangling pointers on the full disk: {sorted(dangling)}")
        sc.check(any(a.startswith("warc:") for a in record.get("alerts") or []),
                 f"{sc.name}: no WARC alert in run 1's record: {record.get('alerts')}")
        freed = cli_crawl(server, mongo.uri, "warcfull", data, work / "crawl-2.log", pages=20)
        check_exit(sc, "the run with space", freed, {0}, work / "crawl-2.log")
        result = verify_archive(sc, db, site, server.base_url, expect_ids=sorted(site.articles), data_dir=data)
    row.injected = max(1, record.get("stats", {}).get("warc_errors") or 0)
    row = fill_row(row, sc, result, n)
    row.dangling += len(dangling)
    sc.rows.append(row)
    return sc


def _tear_spool(data_dir: Path) -> bool:
    """Append to a spool file a line cut inside a Chinese character (what a full disk left
    before spool writes were cut back). False when there is no spool file."""
    files = sorted((Path(data_dir) / "spool").glob("*.jsonl"))
    lines = [line for path in files for line in path.read_bytes().splitlines() if line.strip()]
    if not lines:
        return False
    line = lines[0]
    cut = next((i + 1 for i, byte in enumerate(line) if byte >= 0xE0), len(line) // 2)  # inside a character
    with open(files[0], "ab") as fh:
        fh.write(line[:cut])
    return True


def scenario_spool_disk_full(work: Path, n: int) -> Scenario:
    """MongoDB killed mid-crawl and the spool's disk full after one append (each later write
    half done, then ENOSPC): the crawl fails (exit 1, alert), keeps what the spool could not
    take unreported; the spool file is then torn inside a character; MongoDB back and space
    again: the next run replays the spool and fetches the rest."""
    sc = Scenario("spool disk full")
    site = ReplicaSite(generate_articles(n, seed=45))
    row = Row("MongoDB down and the spool's disk full, then both back", injected=1)
    data = work / "data"
    with serve(site) as server, killable_mongo(work / "db") as mongo:
        site.faults.add(r"/articles/", "delay", count=None, seconds=0.2)
        args, env = cli_crawl_args(server, mongo.uri, "spoolfull", data, pages=20, settings={
            "CONCURRENT_REQUESTS": "4", "MONGO_BATCH_SIZE": "2", "FAULT_SPOOL_ROOM": "1",
            "ITEM_PIPELINES": pipelines_with(f"{__name__}.SpoolDiskFills")})
        with open(work / "crawl-1.log", "ab") as out:
            proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        reached = wait_until(lambda: count_articles(mongo.uri, "spoolfull") >= n // 4 or proc.poll() is not None, 120)
        sc.check(reached and proc.poll() is None, f"{sc.name}: the crawl ended before MongoDB was killed")
        mongo.kill()
        first = wait(proc)
        check_exit(sc, "the run with MongoDB down and the spool full", first, {1}, work / "crawl-1.log")
        site.faults.clear()
        torn = _tear_spool(data)
        sc.facts.update(exit_first=first, spooled=spool_entries(data), torn_line_added=torn)
        sc.check(torn, f"{sc.name}: nothing was spooled before the disk filled")
        mongo.start()
        db = mongo.db("spoolfull")
        sc.facts["archived_after_first"] = len(archived_ids(db))
        second = cli_crawl(server, mongo.uri, "spoolfull", data, work / "crawl-2.log", pages=20)
        check_exit(sc, "the run with both back", second, {0, 3}, work / "crawl-2.log")
        sc.facts["exit_second"] = second
        result = verify_archive(sc, db, site, server.base_url, expect_ids=sorted(site.articles), data_dir=data)
        sc.facts["crawl_records"] = [r.get("finish_reason") for r in crawl_record(db)]
        # Run 1's record could not reach MongoDB (down): its spool write errors are in its log.
        errors = re.findall(r"'newscrawler/spool_errors': (\d+)", (work / "crawl-1.log").read_text(errors="replace"))
        row.injected = int(errors[-1]) if errors else 0
        sc.check(row.injected > 0, f"{sc.name}: no spool write error in run 1 (the disk never filled)")
    sc.rows.append(fill_row(row, sc, result, n))
    return sc


REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_client():
    """A client of the Redis on 127.0.0.1:6379, or None when none answers."""
    try:
        import redis
    except ImportError:
        return None
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError:
        return None
    return client


def scenario_worker_killed(work: Path, n: int, kill_after: int) -> Scenario:
    """Two workers of one crawl sharing a Redis queue; worker a is SIGKILLed holding requests it
    took: worker b takes them back and the one run archives every article."""
    import uuid

    sc = Scenario("redis worker killed")
    client = _redis_client()
    if client is None:
        sc.rows.append(Row("two Redis workers, one SIGKILLed (skipped: no Redis on 127.0.0.1:6379)"))
        sc.facts["skipped"] = "no Redis on 127.0.0.1:6379"
        return sc
    prefix = f"ncfault-{uuid.uuid4().hex[:10]}"
    site = ReplicaSite(generate_articles(n, seed=46))
    row = Row("two Redis workers, one SIGKILLed mid-crawl", injected=1)
    pages = 20

    def worker(name: str) -> subprocess.Popen:
        return crawl_process(server, mongo.uri, "workers", work / name, work / f"worker-{name}.log", pages=pages,
                             settings={"CONCURRENT_REQUESTS": "2", "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
                                       "USER_AGENT": f"worker-{name}", "REDIS_HEARTBEAT_INTERVAL": "1",
                                       # batches that fill during the run: an item that fills its
                                       # batch is stored before Scrapy reports it scraped
                                       "MONGO_BATCH_SIZE": "5"},
                             env={"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix})

    def fetched_by(name: str) -> int:
        return sum(1 for r in site.requests if r.kind == "article" and r.headers.get("user-agent") == f"worker-{name}")

    try:
        with serve(site) as server, killable_mongo(work / "db") as mongo:
            site.faults.add(r"^/articles/", "delay", count=None, seconds=0.2)
            a, b = worker("a"), worker("b")
            reached = wait_until(lambda: fetched_by("a") >= kill_after or a.poll() is not None, 120)
            sc.check(reached and a.poll() is None, f"{sc.name}: worker a ended before it was killed")
            a.kill()
            a.wait(10)
            survivor = wait(b)
            check_exits(sc, f"{sc.name}: the surviving worker", [survivor], [work / "worker-b.log"])
            site.faults.clear()
            db = mongo.db("workers")
            result = verify_archive(sc, db, site, server.base_url, expect_ids=sorted(site.articles),
                                    data_dir=work / "b", warc_dirs=[work / "a" / "warc", work / "b" / "warc"])
            spool_left = spool_entries(work / "a")
            sc.check(spool_left == 0, f"{sc.name}: {spool_left} entries left in worker a's spool")
            record = db.crawls.find_one({"finished_at": {"$ne": None}}) or {}
            sc.check(any("stopped without finishing" in alert for alert in record.get("alerts") or []),
                     f"{sc.name}: no alert for the killed worker: {record.get('alerts')}")
            sc.facts["fetched_by_a"] = fetched_by("a")
        left = list(client.scan_iter(f"{prefix}:*"))
        if not sc.check(not left, f"{sc.name}: keys left in Redis: {left[:5]}"):
            queued = [k for k in left if k.endswith(b":requests")]
            sc.facts["requests_left_in_redis"] = [repr(entry)[:300] for k in queued for entry in client.zrange(k, 0, 9)]
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()
    sc.rows.append(fill_row(row, sc, result, n))
    return sc


SCENARIOS = {
    "site": lambda work, small: scenario_site_faults(work, 60 if small else 200, 1 if small else 3),
    "kill": lambda work, small: scenario_crawl_killed(work, 30 if small else 120, 1 if small else 2),
    "mongo-back": lambda work, small: scenario_mongo_back(work, 24 if small else 100),
    "mongo-down": lambda work, small: scenario_mongo_down(work, 24 if small else 100),
    "concurrent": lambda work, small: scenario_concurrent(work, 30 if small else 150, 3 if small else 10),
    "sigterm": lambda work, small: scenario_stopped(work, 24 if small else 150, signal.SIGTERM),
    "sigint": lambda work, small: scenario_stopped(work, 24 if small else 150, signal.SIGINT),
    "list-page-down": lambda work, small: scenario_list_page_down(work, 36 if small else 90),
    "kill-after-batch": lambda work, small: scenario_killed_after_batch(work, 20 if small else 200, 5 if small else 50),
    "warc-full": lambda work, small: scenario_warc_disk_full(work, 30 if small else 150, 150_000 if small else 400_000),
    "spool-full": lambda work, small: scenario_spool_disk_full(work, 24 if small else 100),
    "workers": lambda work, small: scenario_worker_killed(work, 24 if small else 100, 4 if small else 10),
}




def run_scenarios(names: list[str], root: Path, *, small: bool = False, jobs: int = 1,
                  progress: Callable[[Scenario], None] | None = None) -> list[Scenario]:
    """Run the scenarios ``names`` (keys of SCENARIOS), each in a directory of its own under
    ``root``, ``jobs`` at once (they mostly wait on crawls). A scenario that raises is kept as
    one with that problem: one broken scenario must not hide the others."""

    def run(name: str) -> Scenario:
        work = root / name
        work.mkdir()
        started = time.monotonic()
        try:
            sc = SCENARIOS[name](work, small)
        except Exception as exc:  # noqa: BLE001 - reported as the scenario's problem
            sc = Scenario(name, problems=[f"{name}: the scenario failed: {type(exc).__name__}: {exc}"])
        sc.seconds = round(time.monotonic() - started, 1)
        if progress:
            progress(sc)
        return sc

    with quiet_hangups(), ThreadPoolExecutor(max(1, jobs)) as pool:
        return list(pool.map(run, names))
