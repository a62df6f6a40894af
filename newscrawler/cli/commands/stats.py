"""`newscrawler stats [--top N] [--days D] [--exact | --rebuild] [--json]`: what the archive holds.

Articles per Beijing day, per category, the top authors, rejected pages by reason and the
last crawls. Served from counts kept at write time once built (``--rebuild`` builds them);
``--exact`` aggregates every article instead, which takes seconds on a large archive.
"""

from __future__ import annotations

import json

from newscrawler.cli import CommandError, ExitStatus, argtypes
from newscrawler.cli.commands._archive import add_start_argument, archive_database, archive_name


def register(subparsers) -> None:
    p = subparsers.add_parser("stats", help="statistics of the archive",
                              description="Articles per day (Beijing), per category, top authors, "
                                          "edits and deletions per day, rejects by reason and the last crawls.")
    p.add_argument("--top", type=argtypes.positive_int, default=10, help="how many authors (default 10)")
    p.add_argument("--days", type=argtypes.positive_int, default=14, help="how many days, up to today (default 14)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--exact", action="store_true", help="aggregate every article instead of the kept counts")
    how.add_argument("--rebuild", action="store_true", help="recompute the kept counts first (a full scan)")
    p.add_argument("--json", action="store_true", help="as JSON (times in UTC; otherwise in Beijing time, +08:00)")
    add_start_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler.store.counts import rebuild_counts
    from newscrawler.store.export import json_value
    from newscrawler.store.queries import QueryError, archive_stats

    with archive_database(args.start) as db:
        if args.rebuild:
            rebuild_counts(db)
        try:
            stats = archive_stats(db, args.top, days=args.days, exact=args.exact)
        except QueryError as exc:
            raise CommandError(str(exc), ExitStatus.USAGE) from None
    if args.json:
        print(json.dumps(json_value(stats), ensure_ascii=False, indent=2))
    else:
        print(f"Archive: {archive_name()}")
        print_stats(stats)
    return 0


def print_stats(stats: dict) -> None:
    from newscrawler.cli.output import display_width, fit
    from newscrawler.timeutil import beijing_text

    source = ("counts kept at write time" if stats["source"] == "counts"
              else "aggregation over every article")
    print(f"Articles: {stats['articles']}  (from {source}, as of {beijing_text(stats['as_of'])})")

    def table(title: str, rows: list[tuple[str, object]]) -> None:
        print(f"\n{title}")
        if not rows:
            print("  (none)")
        width = max((display_width(str(k)) for k, _ in rows), default=0)
        for key, value in rows:
            print(f"  {fit(str(key), width)}  {value:>7}")

    table("Per day (Beijing)", [(r["day"], r["articles"]) for r in stats["days"]])
    print_history(stats.get("history") or [])
    table("Per category", [(r["category"] or "(no category)", r["articles"]) for r in stats["categories"]])
    table(f"Top {len(stats['authors'])} authors", [(r["author"], r["articles"]) for r in stats["authors"]])
    rejects = stats["rejects"]
    table(f"Rejects: {rejects['total']}", [(r["reason"], r["count"]) for r in rejects["by_reason"]])
    print("\nLast crawls")
    if not stats["crawls"]:
        print("  (none)")
    for crawl in stats["crawls"]:
        counts = crawl.get("stats") or {}
        print(f"  {crawl.get('crawl_id')}  {crawl.get('spider') or ''}  started {beijing_text(crawl.get('started_at'))}"
              f"  finished {beijing_text(crawl.get('finished_at'))} ({crawl.get('finish_reason') or 'running'})"
              f"  new {counts.get('new', 0)} updated {counts.get('updated', 0)} rejected {counts.get('rejected', 0)}")


def print_history(rows: list[dict]) -> None:
    """Edits, deletions and restorations the crawls saw, per Beijing day (days with none left out)."""
    print("\nEdits and deletions seen per day (Beijing)")
    busy = [r for r in rows if r["edits"] or r["deletions"] or r["restored"]]
    if not busy:
        print("  (none)")
        return
    print(f"  {'day':10}  {'edits':>7}  {'deleted':>7}  {'back':>7}")
    for row in busy:
        print(f"  {row['day']:10}  {row['edits']:>7}  {row['deletions']:>7}  {row['restored']:>7}")
