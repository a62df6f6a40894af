"""`newscrawler revisit`: check archived articles again, for edits and deletions.

    newscrawler revisit                         # the checks that are due (REVISIT_SCHEDULE)
    newscrawler revisit --all                   # every archived article
    newscrawler revisit --since 2026-11-01 --until 2026-11-07   # published in those days
    newscrawler revisit --limit 500 -s DOWNLOAD_DELAY=3

The spider is `nbd-revisit` (crawl/revisit.py; ``scrapy crawl nbd-revisit -a all=1`` is the
same run). An edit becomes a revision, a page gone (404, 410, redirected off the article) is
marked deleted and kept, a page back is unmarked. Exit codes as `newscrawler crawl`.

A revisit holds the archive's revisit lock (cli/jobs.py ``revisit_lock``): started while another
revisit of the same archive runs on this machine (a job's, or by hand), it does nothing, says so
in one sentence, and exits with 0, as a job found running does.
"""

from __future__ import annotations

import sys
import time

from newscrawler.cli import CommandError, ExitStatus, argtypes


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "revisit", help="check archived articles again (edits, deletions) on their schedule",
        description="Check archived articles again: those due on the schedule (REVISIT_SCHEDULE), "
                    "or all. Exit codes: 0 done, 1 failed, 2 usage, 3 finished with alerts.")
    p.add_argument("--all", action="store_true", help="check every archived article, due or not")
    p.add_argument("--since", metavar="DATE", type=argtypes.day, help="only articles published on or after this day")
    p.add_argument("--until", metavar="DATE", type=argtypes.day, help="only articles published on or before this day")
    p.add_argument("--limit", type=argtypes.positive_int, metavar="N", help="at most N checks, most overdue first")
    p.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                   type=argtypes.setting, help="a Scrapy setting for this run (repeatable)")
    p.add_argument("--log-file", metavar="FILE", help="write the log to FILE instead of the terminal")
    p.add_argument("--no-progress", action="store_true", help="no progress line, even on a terminal")
    p.set_defaults(func=run)


def spider_arguments(args) -> dict[str, str]:
    from newscrawler.cli.jobs import resolve_date

    merged = {"all": "1" if args.all else None, "limit": str(args.limit) if args.limit else None}
    try:
        for name in ("since", "until"):
            value = getattr(args, name)
            merged[name] = resolve_date(str(value)) if value else None
    except ValueError as exc:
        raise CommandError(f"bad argument: {exc}", ExitStatus.USAGE) from None
    if merged["since"] and merged["until"] and merged["since"] > merged["until"]:
        raise CommandError(f"--since {merged['since']} is after --until {merged['until']}", ExitStatus.USAGE)
    return {k: v for k, v in merged.items() if v is not None}


def run(args) -> int:
    from newscrawler.cli.commands.crawl import check_settings, judge, log_and_progress
    from newscrawler.crawl.revisit import RevisitSpider
    from newscrawler.cli.jobs import AlreadyRunning, revisit_lock
    from newscrawler.crawl.runner import project_settings, run_crawl
    from newscrawler.store.revisits import parse_schedule

    overrides = dict(args.settings)
    check_settings(overrides)
    if "REVISIT_SCHEDULE" in overrides:
        try:
            parse_schedule(overrides["REVISIT_SCHEDULE"])
        except ValueError as exc:
            raise CommandError(f"REVISIT_SCHEDULE: {exc}", ExitStatus.USAGE) from None
    spider_args = spider_arguments(args)
    progress = log_and_progress(args, overrides)
    try:
        lock = revisit_lock(project_settings(overrides)).acquire()
    except AlreadyRunning as exc:
        print(f"newscrawler revisit: {exc}", file=sys.stderr)
        return ExitStatus.OK
    try:
        started = time.monotonic()
        outcome = run_crawl(spider_args, overrides, progress=progress, spider_class=RevisitSpider,
                            alerts_in_summary=True)
    finally:
        lock.release()
    code, problems = judge(outcome)
    c = outcome.get("counts") or {}
    print(f"revisit   {outcome.get('crawl_id')}: {outcome.get('finish_reason')} after "
          f"{time.monotonic() - started:.0f} s")
    print(f"checked   {c.get('checked', 0)}: {c.get('not_modified', 0)} not modified (304), "
          f"{c.get('same', 0)} unchanged, {c.get('edited', 0)} edited, {c.get('deleted', 0)} deleted, "
          f"{c.get('still_deleted', 0)} still deleted, {c.get('restored', 0)} restored, "
          f"{c.get('failed_checks', 0)} failed")
    for problem in problems:
        print(f"newscrawler revisit: {problem}", file=sys.stderr)
    return code
