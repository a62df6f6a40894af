"""`newscrawler stats [--top N] [--days D] [--exact | --rebuild] [--json]`: what the archive holds.

Articles per Beijing day, per category, the top authors, rejected pages by reason and the
last crawls. Served from counts kept at write time once built (``--rebuild`` builds them);
``--exact`` aggregates every article instead, which takes seconds on a large archive.

``stats --search X [--per day|week|month] [filters]``: how many articles matched X per Beijing
day, ISO week or month, counted by the full-text index (a histogram of its publish times).
"""

from __future__ import annotations

import json

from newscrawler.cli import CommandError, ExitStatus, argtypes
from newscrawler.cli.commands._archive import (add_filter_arguments, add_start_argument, archive_database,
                                               archive_name, parse_search_aside, query_from_args, search_index)

PERIODS = ("day", "week", "month")


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
    p.add_argument("--per", choices=PERIODS,
                   help="with --search: articles matching per Beijing day, ISO week (2024-W49) or month "
                        "(default month)")
    add_filter_arguments(p, sort=False, title="mentions over time: --search WORDS and its filters (Beijing time)")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.search is not None:
        return run_search_counts(args)
    given = [name for name in ("per", "since", "until", "category", "author", "tag", "source", "edited", "deleted")
             if getattr(args, name)]
    if given:
        raise CommandError(f"--{given[0]} counts the matches of a search: give --search too", ExitStatus.USAGE)
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


def run_search_counts(args) -> int:
    """``--search X --per P``: matches per period, periods without any included (0) from the
    first match (or --since) to the last (or --until, today at the latest)."""
    parsed = parse_search_aside(args.search)  # the segmenter loads while pymongo does
    query = query_from_args(args, limit=None)
    search = parsed()
    from newscrawler.store import fulltext

    per = args.per or "month"
    with archive_database(args.start) as db:
        per_day = fulltext.ask(db, search_index(db, "stats"), search, query).per_day()
    counts = per_period(per_day, per, *_span(query, per_day))
    if args.json:
        print(json.dumps(counts, ensure_ascii=False, indent=2))
        return 0
    from newscrawler.cli.output import display_width, fit

    print(f"Articles matching {args.search!r} per {per} (Beijing time), in {archive_name()}")
    width = max((display_width(k) for k in counts), default=0)
    for period, n in counts.items():
        print(f"  {fit(period, width)}  {n:>7}")
    print(f"  {fit('total', width)}  {sum(counts.values()):>7}")
    return 0


def _span(query, per_day: dict[str, int]):
    """The first and last Beijing day to count: --since / --until (today at the latest) when
    given, else the first and last day with a match."""
    import datetime as dt

    from newscrawler.timeutil import BEIJING, utcnow

    def beijing_day(value):
        if isinstance(value, dt.datetime):
            return (value.astimezone(BEIJING) if value.tzinfo else value).date()
        return value

    days = sorted(per_day)
    first = beijing_day(query.since) if query.since is not None else None
    last = beijing_day(query.until) if query.until is not None else None
    if last is not None:
        last = min(last, utcnow().astimezone(BEIJING).date())
    first = first or (dt.date.fromisoformat(days[0]) if days else None)
    last = last or (dt.date.fromisoformat(days[-1]) if days else None)
    return first, last


def period_of(day, per: str) -> str:
    """The label of the period holding ``day`` (a date): 2024-12-03, 2024-W49, 2024-12."""
    if per == "day":
        return day.isoformat()
    if per == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def per_period(per_day: dict[str, int], per: str, first, last) -> dict[str, int]:
    """Counts per day (``YYYY-MM-DD`` -> n) summed per period, every period from ``first`` to
    ``last`` (dates; None: no match at all, nothing) present, in order."""
    import datetime as dt

    out: dict[str, int] = {}
    if first is None or last is None:
        return out
    day = first
    while day <= last:
        out.setdefault(period_of(day, per), 0)
        day += dt.timedelta(days=1)
    for text, n in per_day.items():
        day = dt.date.fromisoformat(text)
        if first <= day <= last:
            out[period_of(day, per)] += n
    return out
