"""`newscrawler reextract (--all | --id ID | --since DATE | --until DATE) [--dry-run] [--json]`:
run the current extractor over the archived pages (WARC) and archive what changed.

Each changed article keeps its previous version in ``article_revisions``. Prints how many
articles changed, stayed the same or failed (with why), and which fields changed how often.
Exits with 1 when some archived page could not be re-extracted (the others are written).
"""

from __future__ import annotations

import json
import sys

from newscrawler.cli import CommandError, ExitStatus, argtypes
from newscrawler.cli.commands._archive import archive_database


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "reextract", help="re-run the extractor over archived pages (WARC) and archive changes",
        description="Read each selected article's page back from the WARC files the crawl wrote, "
                    "extract it with the current extractor and archive every article whose record "
                    "changed (the previous version is kept in article_revisions).")
    group = p.add_argument_group("which articles (Beijing time for dates; at least one is required)")
    group.add_argument("--all", action="store_true", help="every article with an archived page")
    group.add_argument("--id", dest="ids", action="append", metavar="ID", type=argtypes.ids,
                       help="article id (repeatable, or comma-separated)")
    group.add_argument("--since", metavar="DATE", type=argtypes.when, help="published on or after: YYYY-MM-DD or 'YYYY-MM-DD HH:MM'")
    group.add_argument("--until", metavar="DATE", type=argtypes.when, help="published on or before (a date includes its whole day)")
    p.add_argument("--dry-run", action="store_true", help="compare and report, write nothing")
    p.add_argument("--warc-dir", help="where the WARC files are (default: WARC_DIR, else <NEWSCRAWLER_DATA_DIR>/warc)")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.set_defaults(func=run)

def _utc_bound(value, *, end: bool):
    """A Beijing date or wall-clock time as a UTC bound (``end``: exclusive end of it)."""
    import datetime as dt

    from newscrawler.timeutil import BEIJING

    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = (value if value.tzinfo else value.replace(tzinfo=BEIJING)).astimezone(dt.timezone.utc)
        return moment + dt.timedelta(milliseconds=1) if end else moment
    day = value + dt.timedelta(days=1) if end else value
    return dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING).astimezone(dt.timezone.utc)


def run(args) -> int:
    from newscrawler.crawl.runner import project_settings
    from newscrawler import config
    from newscrawler.warc.reextract import reextract, selection_filter

    ids = [article_id for group in args.ids or [] for article_id in group]
    if not (args.all or ids or args.since or args.until):
        raise CommandError("say which articles: --all, --id, --since and/or --until", ExitStatus.USAGE)
    since = _utc_bound(args.since, end=False)
    until = _utc_bound(args.until, end=True)
    settings = project_settings()
    warc_dir = config.warc_dir({"WARC_DIR": args.warc_dir} if args.warc_dir else settings)
    if not warc_dir.is_dir():
        raise CommandError(f"no WARC directory at {warc_dir} (set WARC_DIR or --warc-dir)")
    stream = sys.stderr if sys.stderr.isatty() else None

    def progress(report) -> None:
        if stream:
            stream.write(f"\r{report.processed} re-extracted: {report.changed} changed, "
                         f"{report.unchanged} unchanged, {report.failed} failed   ")

    with archive_database() as db:
        report = reextract(db, warc_dir, query=selection_filter(ids, since, until), ids=ids,
                           default_base_url=settings.get("NBD_BASE_URL"), dry_run=args.dry_run,
                           progress=progress,
                           run_args={"all": args.all, "ids": ids, "since": args.since, "until": args.until})
    if stream:
        stream.write("\n")
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report)
    return ExitStatus.FAILURE if report.failed else 0


def print_report(report) -> None:
    print(f"Re-extraction {report.run_id}{' (dry run: nothing written)' if report.dry_run else ''}")
    print(f"  selected            {report.selected:>7}")
    if report.without_warc:
        print(f"  no archived page    {report.without_warc:>7}  (crawled before pages were kept: skipped)")
    print(f"  re-extracted        {report.processed:>7}")
    print(f"    changed           {report.changed:>7}")
    print(f"    unchanged         {report.unchanged:>7}")
    print(f"    failed            {report.failed:>7}")
    if report.history_repaired:
        print(f"  history repaired    {report.history_repaired:>7}  (left half-written by an earlier run)")
    if report.marked_for_refetch:
        print(f"  page lost           {report.marked_for_refetch:>7}  (marked: the next crawl fetches it again)")
    if report.missing_ids:
        print(f"  not in the archive: {', '.join(map(str, report.missing_ids))}")
    if report.field_changes:
        print("\nFields changed (articles)")
        for name, count in report.field_changes.most_common():
            print(f"  {name:18} {count:>7}")
    if report.failures:
        print("\nFailures")
        for reason, count in report.failures.most_common():
            print(f"  {reason:18} {count:>7}")
        for example in report.examples:
            if example["status"] == "failed":
                print(f"    article {example['article_id']}: {example['message']}")
    if report.changed and not report.dry_run:
        revised = report.written.get("revised", 0)
        stale = report.written.get("stale", 0)
        print(f"\nWritten: {report.changed - stale} article(s); {revised} previous version(s) kept in "
              f"article_revisions" + (f"; {stale} skipped: crawled again meanwhile" if stale else ""))
