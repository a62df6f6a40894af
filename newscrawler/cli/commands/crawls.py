"""`newscrawler crawls [--limit N] [--job NAME] [--json]`: the recent runs and their figures.

One line per crawl, newest first, from the ``crawls`` collection: start (Beijing time), crawl id, job,
finish reason, duration, article pages, new, updated, rejected, errors, coverage of the new
articles' authors, and the number of alerts (their text with ``--json`` or ``--alerts``).
"""

from __future__ import annotations

import json

from newscrawler.timeutil import beijing_text

from newscrawler.cli.commands._archive import add_start_argument, archive_database, archive_name

DEFAULT_LIMIT = 20


def register(subparsers) -> None:
    p = subparsers.add_parser("crawls", help="list recent crawls with their figures",
                              description="Recent crawls, newest first (the archive's `crawls` collection).")
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"how many (default {DEFAULT_LIMIT}; 0 = all)")
    p.add_argument("--job", metavar="NAME", help="only the runs of this job")
    p.add_argument("--alerts", action="store_true", help="only runs with alerts, and print the alerts")
    p.add_argument("--json", action="store_true", help="whole records as JSON Lines (times in UTC)")
    add_start_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler.store.export import json_value

    query: dict = {}
    if args.job:
        query["job"] = args.job
    if args.alerts:
        query["alerts.0"] = {"$exists": True}
    with archive_database(args.start) as db:
        cursor = db.crawls.find(query, {"_id": 0}).sort("started_at", -1)
        if args.limit and args.limit > 0:
            cursor = cursor.limit(args.limit)
        records = list(cursor)
    if args.json:
        for record in records:
            print(json.dumps(json_value(record), ensure_ascii=False))
        return 0
    print_crawls(records, show_alerts=args.alerts, archive=archive_name())
    return 0


def _duration(record: dict) -> str:
    start, end = record.get("started_at"), record.get("finished_at") or record.get("interrupted_at")
    if not start or not end:
        return "-"
    seconds = int((end - start).total_seconds())
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def crawl_row(record: dict) -> list[str]:
    stats = record.get("stats") or {}
    coverage = record.get("coverage") or {}
    authors = coverage.get("authors")
    return [
        beijing_text(record.get("started_at"), seconds=False).removesuffix("+08:00"),
        str(record.get("crawl_id", "")),
        record.get("job") or "-",
        record.get("finish_reason") or "running",
        _duration(record),
        str(stats.get("pages", 0)), str(stats.get("new", 0)), str(stats.get("updated", 0)),
        str(stats.get("rejected", 0)), str(stats.get("errors", 0)),
        "-" if authors is None else f"{authors:.0%}",
        str(len(record.get("alerts") or [])),
    ]


HEADER = ["started (Beijing)", "crawl id", "job", "finish", "time", "pages", "new", "upd", "rej", "err",
          "authors", "alerts"]
# Columns a narrow terminal leaves out, first to go first (`crawls --json` has every figure):
# rather that than cutting a crawl id or a figure.
DROPPED_FIRST = ("authors", "upd", "rej", "err", "time", "job")
GAP = 1  # space between columns


def fitted_columns(rows: list[list[str]], width: int) -> list[int]:
    """Indexes of the columns shown in ``width`` columns of terminal."""
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]
    shown = list(range(len(HEADER)))
    for name in DROPPED_FIRST:
        if sum(widths[i] for i in shown) + GAP * (len(shown) - 1) <= width:
            break
        shown.remove(HEADER.index(name))
    return shown


def print_crawls(records: list[dict], show_alerts: bool = False, out=None, archive: str | None = None,
                 width: int | None = None) -> None:
    """A table as wide as the terminal (rich): on a narrow one the least telling columns are
    left out (DROPPED_FIRST), saying so, rather than a row wrapping over lines or a crawl id
    cut; ``width`` for a test (else the terminal's; in a pipe every column, whatever it takes)."""
    import sys

    from rich.console import Console
    from rich.table import Table

    out = out or sys.stdout
    if not records:
        print(f"No crawls recorded in {archive}." if archive else "No crawls recorded.", file=out)
        return
    rows = [crawl_row(r) for r in records]
    if width is None and not (hasattr(out, "isatty") and out.isatty()):
        width = sum(max(len(row[i]) for row in [HEADER, *rows]) + GAP for i in range(len(HEADER)))
    console = Console(file=out, width=width, soft_wrap=False, highlight=False)
    shown = fitted_columns(rows, console.width)
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", padding=(0, GAP, 0, 0))
    for i in shown:  # text left, figures right; a text column is cut (…) only if nothing else fits
        table.add_column(HEADER[i], no_wrap=True, overflow="ellipsis", justify="left" if i < 4 else "right")
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    console.print(table)
    left_out = [HEADER[i] for i in range(len(HEADER)) if i not in shown]
    if left_out:
        print(f"(left out for the width: {', '.join(left_out)}; --json has them)", file=out)
    if show_alerts:
        for record in records:
            for alert in record.get("alerts") or []:
                print(f"{record.get('crawl_id')}: {alert}", file=out)
