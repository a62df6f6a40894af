"""`newscrawler crawl`: one crawl now, ad hoc or a named job, with a summary at the end.

    newscrawler crawl --columns 329,415 --pages 5 --since 2026-11-01
    newscrawler crawl --urls https://www.nbd.com.cn/articles/2026-09-01/4595080.html
    newscrawler crawl --job headlines                   # a job of jobs.toml (see jobs.py)
    newscrawler crawl --job headlines --pages 10 -s DOWNLOAD_DELAY=5
    newscrawler crawl --columns 3 --lists mobile --pages 200 --since 2024-01-01   # deep into the past

The arguments are the spider's (``scrapy crawl nbd -a ...``); ``-s NAME=VALUE`` sets any Scrapy
setting. On a terminal a progress line shows pages, new articles and errors; the summary
says what the crawl did and where the data are.

A ``--job`` run holds the job's lock: started while the same job still runs on this machine
(from cron, the scheduler or by hand), it does nothing, says so, and exits with 0.

Exit codes: 0 done; 1 the crawl failed (a disk it writes to is under NEWSCRAWLER_MIN_FREE_MB,
it did not finish, the site did not answer or blocked it, MongoDB was unavailable and nothing
was written, or pages could not be written to the WARC files); 2 bad arguments or jobs file; 3
the crawl finished but monitoring raised alerts (low field coverage,
no article links; see monitoring.py) or a column walk was left unfinished (a list page failed:
the next crawl continues from it).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from newscrawler import values
from newscrawler.cli import CommandError, ExitStatus, argtypes

SPIDER_ARGUMENTS = ("columns", "pages", "since", "until", "urls", "full", "lists")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "crawl", help="run a crawl now (ad hoc, or a job of the jobs file)",
        description="Crawl 每经网 now and archive what is new. Exit codes: 0 done, 1 failed, "
                    "2 usage, 3 finished with monitoring alerts.")
    spider = p.add_argument_group("what to crawl (the spider's arguments)")
    spider.add_argument("--columns", metavar="IDS", type=argtypes.columns, help="column ids, comma-separated (default: the main columns)")
    spider.add_argument("--pages", type=argtypes.positive_int, metavar="N", help="list pages per column (default 3)")
    spider.add_argument("--since", metavar="DATE", type=argtypes.day, help="oldest day to crawl: YYYY-MM-DD, or Nd (N days ago)")
    spider.add_argument("--until", metavar="DATE", type=argtypes.day, help="newest day to crawl: YYYY-MM-DD, or Nd")
    spider.add_argument("--urls", metavar="URLS", help="article URLs or ids, comma-separated (no columns then)")
    spider.add_argument("--full", action="store_true", default=None,
                        help="refetch articles already archived (revisions are kept)")
    spider.add_argument("--lists", choices=("pc", "mobile"), default=None,
                        help="which list pages to walk: pc (the column pages, default) or mobile "
                             "(m.nbd.com.cn's column lists, 20 a page and paged deep: for a column's past)")
    job = p.add_argument_group("jobs")
    job.add_argument("--job", metavar="NAME", help="run this job of the jobs file (arguments given here win)")
    job.add_argument("--jobs", metavar="FILE", help="jobs file (default: $NEWSCRAWLER_JOBS or ./jobs.toml)")
    p.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                   type=argtypes.setting,
                   help="a Scrapy setting for this run (repeatable), e.g. -s DOWNLOAD_DELAY=5")
    p.add_argument("--log-file", metavar="FILE", help="write the crawl's log to FILE instead of the terminal")
    p.add_argument("--no-progress", action="store_true", help="no progress line, even on a terminal")
    p.set_defaults(func=run)

def log_and_progress(args, overrides: dict) -> bool:
    """Where a crawl-running verb's log goes (``--log-file``, else the terminal) and whether it
    shows the progress (on a terminal, unless ``--no-progress``; with ``--log-file`` too: the
    log goes to the file, the progress stays on the terminal); sets the overrides."""
    progress = sys.stderr.isatty() and not args.no_progress
    if args.log_file:
        try:
            Path(args.log_file).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"cannot write the log to {args.log_file}: {exc.strerror}", ExitStatus.USAGE) from None
        overrides["LOG_FILE"] = args.log_file
    elif progress and "LOG_LEVEL" not in overrides:
        overrides["LOG_LEVEL"] = "WARNING"  # the progress line stays readable; problems still show
    return progress


def check_settings(settings: dict) -> None:
    """Settings (``-s``, a job's) whose value cannot be what they take are a usage error (exit
    2), one sentence each, before anything starts."""
    from newscrawler.crawl.checks import settings_problems

    problems = settings_problems(settings)
    if problems:
        raise CommandError("; ".join(problems), ExitStatus.USAGE)


def check_urls(spider_args: dict, settings: dict) -> None:
    """``--urls`` (or a job's urls) that are no article of the site crawled: a usage error."""
    from newscrawler import config
    from newscrawler.crawl.checks import bad_urls, bad_urls_sentence

    base_url = str(config.setting(settings, "NBD_BASE_URL"))
    bad = bad_urls(values.split_list(spider_args.get("urls")), base_url)
    if bad:
        raise CommandError(f"--urls: {bad_urls_sentence(bad, base_url)}", ExitStatus.USAGE)


def spider_arguments(args, job=None) -> dict[str, str]:
    """The spider's arguments: the job's, then those given on the command line; checked."""
    from newscrawler.cli.jobs import resolve_date

    merged: dict[str, str] = dict(job.spider_args()) if job else {}
    for name in SPIDER_ARGUMENTS:
        value = getattr(args, name)
        if value is not None:
            merged[name] = "1" if value is True else values.join_list(value) if name == "columns" else str(value)
    try:
        for name in ("since", "until"):
            if merged.get(name):
                merged[name] = resolve_date(merged[name])
    except ValueError as exc:
        raise CommandError(f"bad argument: {exc}", ExitStatus.USAGE) from None
    if merged.get("since") and merged.get("until") and merged["since"] > merged["until"]:
        raise CommandError(f"--since {merged['since']} is after --until {merged['until']}", ExitStatus.USAGE)
    return merged


def run(args) -> int:
    from newscrawler import config
    from newscrawler.cli.jobs import AlreadyRunning, JobLock, JobsFileError, load_jobs
    from newscrawler.crawl.runner import project_settings

    job = None
    overrides: dict = {}
    if args.job:
        try:
            job = load_jobs(args.jobs).get(args.job)
        except JobsFileError as exc:
            raise CommandError(str(exc), ExitStatus.USAGE) from None
        if job.verb != "crawl":
            raise CommandError(f"job {job.name!r} is a {job.verb} job: `newscrawler schedule` runs it "
                               f"(as `newscrawler {' '.join(job.command_line()[:-2])}`)", ExitStatus.USAGE)
        if not job.enabled:
            print(f"newscrawler crawl: job {job.name!r} is disabled in the jobs file; running it as asked",
                  file=sys.stderr)
        overrides.update(job.settings)
        overrides["NEWSCRAWLER_JOB"] = job.name
    elif args.jobs:
        raise CommandError("--jobs needs --job NAME", ExitStatus.USAGE)
    overrides.update(dict(args.settings))
    check_settings(overrides)
    spider_args = spider_arguments(args, job)
    check_urls(spider_args, overrides)
    progress = log_and_progress(args, overrides)

    settings = project_settings(overrides)
    check_redis(settings)
    check_free_space(settings)
    lock = None
    if job is not None:
        try:
            lock = JobLock(config.data_dir(settings), job.name).acquire()
        except AlreadyRunning as exc:
            print(f"newscrawler crawl: {exc}", file=sys.stderr)
            return ExitStatus.OK
    try:
        started = time.monotonic()
        outcome = _crawl(spider_args, overrides, progress)
        elapsed = time.monotonic() - started
        _update_search_index(settings)
    finally:
        if lock is not None:
            lock.release()
    code, problems = judge(outcome)
    print_summary(outcome, settings, job.name if job else None, elapsed, problems)
    return code


def check_redis(settings) -> None:
    """With REDIS_URL set, Redis must answer before the crawl starts (exit 1 otherwise)."""
    from newscrawler.crawl.addons import redact_redis_url, redis_url

    url = redis_url(settings)
    if not url:
        return
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, ValueError) as exc:
        raise CommandError(f"REDIS_URL is set but Redis at {redact_redis_url(url)} does not answer: {exc}") from None


def check_free_space(settings) -> None:
    """Every directory the crawl writes to can be written, and its disk has
    NEWSCRAWLER_MIN_FREE_MB free (exit 1 otherwise); the add-on FreeSpaceFloor refuses a
    `scrapy crawl` the same way."""
    from newscrawler.crawl.addons import free_space_shortfall, unwritable_directory

    shortfall = free_space_shortfall(settings) or unwritable_directory(settings)
    if shortfall:
        raise CommandError(shortfall)


def _update_search_index(settings) -> None:
    from newscrawler.cli.commands.index import update_after_crawl

    update_after_crawl(settings)


def _crawl(spider_args: dict, overrides: dict, progress: bool) -> dict:
    from newscrawler.crawl.runner import run_crawl

    return run_crawl(spider_args, overrides, progress=progress, alerts_in_summary=True)


def judge(outcome: dict) -> tuple[int, list[str]]:
    """(exit code, what went wrong) of a crawl's outcome; see the module's doc."""
    from newscrawler.crawl import stats as keys  # lazily: it loads the archive store

    stats = outcome.get("stats") or {}
    counts = outcome.get("counts") or {}
    failures = []
    reason = outcome.get("finish_reason")
    if reason == "interrupted":
        failures.append("the crawl was stopped before it could close (a second Ctrl-C): its record says "
                        "interrupted; articles fetched but not stored yet are fetched again by the next crawl")
    elif reason != "finished":
        failures.append(f"the crawl did not finish: finish reason {reason!r}")
    unanswered = site_unanswered(stats)
    if unanswered:
        failures.append(unanswered)
    if stats.get(keys.BLOCKED):
        failures.append(f"the site blocked the crawl ({stats[keys.BLOCKED]})")
    written = sum(counts.get(k, 0) for k in ("new", "updated", "unchanged"))
    if stats.get(keys.ARCHIVE_UNAVAILABLE) and not written:
        spooled = counts.get("spooled", 0)
        failures.append(f"MongoDB was unavailable and nothing was written"
                        f"{f' ({spooled} items spooled, written on the next run)' if spooled else ''}")
    if stats.get(keys.UNSAVED):
        failures.append(f"{stats[keys.UNSAVED]} entries could be written neither to MongoDB nor to the spool "
                        "(disk full?): lost for this run, the next crawl fetches them again")
    if stats.get(keys.WARC_ERRORS):
        failures.append(f"pages could not be kept in the WARC files ({stats[keys.WARC_ERRORS]} write errors, "
                        f"{stats.get(keys.WARC_POINTERS_WITHHELD, 0)} articles archived without their page: "
                        "the next crawl fetches them again)")
    if failures:
        return ExitStatus.FAILURE, failures
    alerts = list(stats.get(keys.ALERTS) or [])
    if stats.get(keys.INCOMPLETE_WALKS):
        alerts.append(f"walks: {stats[keys.INCOMPLETE_WALKS]} column walk(s) left unfinished "
                      f"(a list page failed); the next crawl continues them")
    if alerts:
        return ExitStatus.ALERTS, [f"ALERT {a}" for a in alerts]
    return ExitStatus.OK, []


def site_unanswered(stats: dict) -> str | None:
    """The sentence for a crawl the site never answered (no response to any request, and pages
    failed for want of one), else None. Such a crawl failed: its alerts (no column page fetched,
    walks unfinished) are what follows from it."""
    from newscrawler.crawl import stats as keys  # lazily: it loads the archive store

    if not stats.get(keys.UNANSWERED) or stats.get("downloader/response_count"):
        return None
    return (f"the site did not answer: none of {stats.get('downloader/request_count', 0)} requests got a "
            f"response ({stats.get(keys.UNANSWERED_REASON)}); is NBD_BASE_URL right, and the site up?")


def _share(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def print_summary(outcome: dict, settings, job: str | None, elapsed: float, problems: list[str],
                  out=None) -> None:
    from newscrawler.crawl import stats as keys  # lazily: it loads the archive store

    from newscrawler import config
    from newscrawler.crawl.monitoring import COVERAGE_FIELDS, crawl_coverage
    from newscrawler.store.connection import redact_uri
    from newscrawler.store.embedded import ServerPaths

    out = out or sys.stdout
    stats = outcome.get("stats") or {}
    c = outcome.get("counts") or {}
    rows = [
        ("crawl", f"{outcome.get('crawl_id')}{f' (job {job})' if job else ''}"),
        ("outcome", f"{outcome.get('finish_reason')} after {dt.timedelta(seconds=round(elapsed))}"),
        ("fetched", f"{c.get('pages', 0)} article pages, {c.get('list_pages', 0)} list pages, "
                    f"{c.get('requests', 0)} requests"),
        ("articles", f"{c.get('new', 0)} new, {c.get('updated', 0)} updated, {c.get('unchanged', 0)} unchanged, "
                     f"{c.get('rejected', 0)} rejected"),
        ("errors", f"{c.get('errors', 0)} pages not fetched, {c.get('thumbnails_failed', 0)} thumbnails failed, "
                   f"{c.get('http_403', 0)} HTTP 403, {c.get('log_errors', 0)} errors logged"),
    ]
    coverage = crawl_coverage(stats)
    if coverage and coverage.get("articles"):
        shares = ", ".join(f"{f} {_share(coverage.get(f))}" for f in COVERAGE_FIELDS)
        rows.append(("coverage", f"of {coverage['articles']} new articles: {shares}"))
    data_dir = config.data_dir(settings)
    uri = config.setting(settings, "MONGO_URI")
    database = config.setting(settings, "MONGO_DATABASE")
    if uri:
        rows.append(("archive", f"{redact_uri(uri)} database {database}"))
    else:
        rows.append(("archive", f"embedded server under {ServerPaths.for_data_dir(data_dir).root}, "
                                f"database {database} (`newscrawler db status`)"))
    rows.append(("thumbnails", config.images_store(settings)))
    if c.get("spooled"):
        rows.append(("spooled", f"{c['spooled']} items under {data_dir / 'spool'}, written on the next run"))
    if stats.get(keys.REDIS_NAMESPACE):
        rows.append(("redis", f"{stats.get('newscrawler/redis/url')} keys {stats['newscrawler/redis/namespace']}:*"))
    rows.append(("records", "`newscrawler crawls` lists the runs; `newscrawler query` the articles"))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}", file=out)
    for problem in problems:
        print(f"newscrawler crawl: {problem}", file=sys.stderr)
