"""`newscrawler backfill`: archive the site's past by walking a range of article ids, or the
columns' lists deep for the articles published in a window of days.

    newscrawler backfill --ids 4595000-4596000               # about 20 requests a minute
    newscrawler backfill --ids 4595000-4596000 --rate 30     # requests a minute
    scrapy crawl nbd -a ids=4595000-4596000                  # the same crawl
    newscrawler backfill --from 2025-01-01 --to 2025-01-31   # published in January (mobile lists)
    scrapy crawl nbd -a dates=2025-01-01..2025-01-31         # the same crawl

Each id is fetched through the partner copy's dateless address; ids already archived are
skipped without a request; ids that are no article (404) are counted apart. Resumable: the
range's checkpoint is kept in the archive, so running the same command again after a stop
continues where it stopped (and does nothing once the range is done). With REDIS_URL set the
same command on several machines shares the range: chunks of BACKFILL_CHUNK ids handed out
through Redis, each with its own checkpoint (crawl/chunks.py). Exit codes as `crawl`.
"""

from __future__ import annotations

import sys
import time

from newscrawler import config
from newscrawler.cli import CommandError, ExitStatus, argtypes


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "backfill", help="archive a range of article ids (the site's past), resumably",
        description="Walk a range of article ids through the partner copy's address and archive "
                    "the articles. Exit codes: 0 done, 1 failed, 2 usage, 3 finished with alerts.")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--ids", metavar="FIRST-LAST", help="the id range, both ends included")
    what.add_argument("--from", dest="date_from", metavar="DATE", type=argtypes.day,
                      help="the first publish day of a window (YYYY-MM-DD or Nd, Beijing time; with --to)")
    p.add_argument("--to", dest="date_to", metavar="DATE", type=argtypes.day,
                   help="the last publish day of the window, included")
    p.add_argument("--columns", metavar="IDS", type=argtypes.columns,
                   help="a window's columns, comma-separated (default: the main columns)")
    p.add_argument("--pages", type=argtypes.positive_int, metavar="N",
                   help="how deep a window's walk may go down each column's list, at most")
    p.add_argument("--lists", choices=("mobile", "pc"), default="mobile",
                   help="which lists a window walks (default mobile: the deepest)")
    p.add_argument("--rate", type=float, metavar="N",
                   help=f"requests a minute (default {config.DEFAULTS['BACKFILL_RATE']}; "
                        "AutoThrottle may go slower, never faster)")
    p.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                   type=argtypes.setting, help="a Scrapy setting for this run (repeatable)")
    p.add_argument("--log-file", metavar="FILE", help="write the log to FILE instead of the terminal")
    p.add_argument("--no-progress", action="store_true", help="no progress line, even on a terminal")
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler.cli.commands.crawl import check_redis, judge, log_and_progress
    from newscrawler.crawl.runner import project_settings, run_crawl
    from newscrawler.store.backfills import parse_id_range

    if args.ids is None:
        return run_window(args)
    try:
        first, last = parse_id_range(args.ids)
    except ValueError as exc:
        raise CommandError(str(exc), ExitStatus.USAGE) from None
    chunk = dict(args.settings).get("BACKFILL_CHUNK")
    if chunk is not None and not (str(chunk).strip().isdigit() and int(chunk) >= 1):
        raise CommandError(f"BACKFILL_CHUNK is a number of ids, at least 1, not {chunk!r}", ExitStatus.USAGE)
    overrides = polite_settings(args)
    progress = log_and_progress(args, overrides)
    check_redis(project_settings(overrides))
    started = time.monotonic()
    outcome = run_crawl({"ids": f"{first}-{last}", "columns": ""}, overrides, progress=progress,
                        alerts_in_summary=True)
    code, problems = judge(outcome)
    c = outcome.get("counts") or {}
    stats = outcome.get("stats") or {}
    from newscrawler.crawl import stats as keys

    print(f"backfill  {first}-{last} ({outcome.get('crawl_id')}): {outcome.get('finish_reason')} after "
          f"{time.monotonic() - started:.0f} s; {stats.get(keys.BACKFILL_SETTLED, 0)} of "
          f"{stats.get(keys.BACKFILL_TOTAL, last - first + 1)} ids settled")
    print(f"ids       {c.get('new', 0)} new articles, {c.get('skipped_archived', 0)} archived already, "
          f"{c.get('not_articles', 0)} no article (404), {c.get('errors', 0)} not fetched, "
          f"{c.get('rejected', 0)} rejected")
    if stats.get(keys.BACKFILL_CHUNKS):
        print(f"chunks    {stats.get(keys.BACKFILL_CHUNKS_WALKED, 0)} walked by this worker; "
              f"{stats.get(keys.BACKFILL_CHUNKS_DONE, 0)} of {stats[keys.BACKFILL_CHUNKS]} done by all workers "
              f"(Redis keys {stats.get(keys.REDIS_NAMESPACE)}:*)")
    for problem in problems:
        print(f"newscrawler backfill: {problem}", file=sys.stderr)
    return code


def polite_settings(args) -> dict:
    """The run's settings: the delay between requests from the rate (BACKFILL_RATE by default),
    then the -s settings (checked first: exit 2 for a value a setting cannot take)."""
    from newscrawler.cli.commands.crawl import check_settings

    check_settings(dict(args.settings))
    rate = args.rate if args.rate is not None else float(
        dict(args.settings).get("BACKFILL_RATE") or config.setting(None, "BACKFILL_RATE"))
    if rate <= 0:
        raise CommandError("--rate must be above 0 requests a minute", ExitStatus.USAGE)
    return {"DOWNLOAD_DELAY": 60.0 / rate, **dict(args.settings)}


def window_arguments(args) -> dict[str, str]:
    """The spider arguments of a date backfill (``dates=FROM..TO`` and the walk's options)."""
    if args.date_to is None:
        raise CommandError("--from needs --to (the last publish day of the window)", ExitStatus.USAGE)
    if args.date_from > args.date_to:
        raise CommandError(f"--from {args.date_from} is after --to {args.date_to}", ExitStatus.USAGE)
    # argtypes.day gives ISO days (a relative Nd resolved now: a rerun names the same window)
    spider_args = {"dates": f"{args.date_from}..{args.date_to}", "lists": args.lists}
    if args.columns:
        spider_args["columns"] = ",".join(map(str, args.columns))
    if args.pages:
        spider_args["pages"] = str(args.pages)
    return spider_args


def run_window(args) -> int:
    """A date backfill: the columns' lists walked deep for the articles published in the window."""
    from newscrawler.cli.commands.crawl import judge, log_and_progress
    from newscrawler.crawl import stats as keys
    from newscrawler.crawl.runner import run_crawl

    spider_args = window_arguments(args)
    overrides = polite_settings(args)
    progress = log_and_progress(args, overrides)
    started = time.monotonic()
    outcome = run_crawl(spider_args, overrides, progress=progress, alerts_in_summary=True)
    code, problems = judge(outcome)
    c = outcome.get("counts") or {}
    stats = outcome.get("stats") or {}
    print(f"backfill  {spider_args['dates']} ({outcome.get('crawl_id')}): {outcome.get('finish_reason')} after "
          f"{time.monotonic() - started:.0f} s; {stats.get(keys.LIST_PAGES, 0)} list pages walked, "
          f"{stats.get(keys.INCOMPLETE_WALKS, 0)} walks left to continue")
    print(f"articles  {c.get('new', 0)} new, {stats.get(keys.LINKS_ALREADY_ARCHIVED, 0)} archived already, "
          f"{c.get('rejected', 0)} rejected")
    for problem in problems:
        print(f"newscrawler backfill: {problem}", file=sys.stderr)
    return code
