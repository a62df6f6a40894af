"""`newscrawler query [filters] [--format table|json|jsonl|csv]`: list archived articles.

A table on a terminal (Chinese text aligned by display width: a Chinese character takes two
columns), JSON Lines when the output is piped, so ``newscrawler query ... | jq`` just works.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence

from newscrawler.cli.output import beijing_minutes, display_width, fit, fit_marked
from newscrawler.cli.commands._archive import (add_bom_argument, add_filter_arguments, add_start_argument,
                                               archive_database, archive_name, parse_search_aside, query_from_args,
                                               search_index)

OUTPUT_FORMATS = ("table", "json", "jsonl", "csv")
DEFAULT_LIMIT = 20
# What a listing shows of each article (``export`` writes whole records).
LISTING_FIELDS = ("article_id", "published_at", "category", "authors", "title", "url", "source",
                  "tags", "summary", "thumbnail_url")


def register(subparsers) -> None:
    p = subparsers.add_parser("query", help="list archived articles matching filters",
                              description="List archived articles, newest first. Output: a table on a "
                                          "terminal (Beijing time), else JSON Lines (times in UTC, e.g. "
                                          "2024-12-03T02:15:00Z); CSV gives Beijing time with its offset.")
    add_filter_arguments(p)
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                   help=f"at most this many articles (default {DEFAULT_LIMIT}; 0 = all)")
    p.add_argument("--format", choices=OUTPUT_FORMATS,
                   help="table (default on a terminal), json (one array), jsonl (default when piped), csv")
    p.add_argument("--count", action="store_true", help="print only the number of matching articles")
    add_bom_argument(p)
    add_start_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.search is not None:
        return run_search(args)
    query = query_from_args(args, limit=None if args.count else args.limit)  # first: it keeps TLS out of pymongo
    from newscrawler.store.queries import iter_articles

    with archive_database(args.start) as db:
        articles = iter_articles(db, query)
        if args.count:
            print(sum(1 for _ in articles))
            return 0
        return print_articles(articles, args, query, total=lambda: matching(db, query))


def run_search(args) -> int:
    """``--search`` through the full-text index (built or brought up to date first), every
    filter included: best match first, or by publish time with --sort; MongoDB gives the
    articles of the page shown, each with a snippet of where it matches."""
    parsed = parse_search_aside(args.search)  # the segmenter loads while pymongo does
    query = query_from_args(args, limit=args.limit)
    search = parsed()
    from newscrawler.store import fulltext
    from newscrawler.store.queries import _clean
    from newscrawler.store.snippets import snippet

    with archive_database(args.start) as db:
        answer = fulltext.ask(db, search_index(db, "query"), search, query)
        if args.count:
            print(answer.count())
            return 0
        hits = ({**_clean(doc), "snippet": snippet(doc, search.clauses)}
                for doc in fulltext.articles(db, answer, sort=args.sort, limit=args.limit))
        return print_articles(hits, args, query, total=answer.count, searched=True)


def print_articles(articles, args, query, total=None, searched: bool = False) -> int:
    """The listing of ``articles`` in the format asked (or the one that suits the output).
    ``total``: how many match in all (called when the table is cut by --limit), None if unknown.
    ``searched``: each article has a ``snippet`` (a Snippet), shown under its row in the table
    (the matches bold on a terminal, in 【】 otherwise) and as a field of JSON and CSV (【】)."""
    from newscrawler.store.export import write_csv, write_jsonl, json_record

    fmt = args.format or ("table" if sys.stdout.isatty() else "jsonl")
    fields = listing_fields(query) + (("snippet",) if searched else ())
    if fmt == "table":
        articles = list(articles)
        cut = bool(total) and bool(args.limit) and len(articles) >= args.limit
        print_table(articles, history=history_column(query), archive=archive_name(),
                    total=total() if cut else None, snippets=searched, terminal=sys.stdout.isatty())
        return 0
    if searched:
        articles = ({**doc, "snippet": doc["snippet"].text()} for doc in articles)
    if fmt == "json":
        records = [json_record(doc, fields) for doc in articles]
        print(json.dumps(records, ensure_ascii=False, indent=2))
        count = len(records)
    elif fmt == "jsonl":
        count = write_jsonl(articles, sys.stdout, fields)
    else:
        count = write_csv(articles, sys.stdout, fields, bom=args.bom)
    if not count:  # on standard error: the output stays valid (empty) JSON Lines or CSV
        print(no_match(archive_name()), file=sys.stderr)
    return 0


# Counting every match of a listing cut by --limit may not take longer than this (a filter no
# index serves, on a large archive); past it the table says only that more match.
COUNT_TIMEOUT_MS = 2000


def matching(db, query) -> int | None:
    """How many articles match ``query`` (its search aside: the listing's search verifies
    each hit, so its count is not a filter's), None when that cannot be told quickly."""
    from pymongo.errors import PyMongoError

    from newscrawler.store.queries import DELETED_FILTER, EDITED_FILTER

    if query.search is not None:
        return None
    mongo_filter = {**query.to_filter(), **(EDITED_FILTER if query.edited else {}),
                    **(DELETED_FILTER if query.deleted else {})}
    try:
        if not mongo_filter:
            return db.articles.estimated_document_count(maxTimeMS=COUNT_TIMEOUT_MS)
        return db.articles.count_documents(mongo_filter, maxTimeMS=COUNT_TIMEOUT_MS)
    except PyMongoError:
        return None


def no_match(archive: str | None) -> str:
    return f"No articles match in {archive}." if archive else "No articles match."


# When it happened: what --edited / --deleted add to a listing.
EDITED_FIELDS = ("revision", "updated_at")
DELETED_FIELDS = ("deleted_at", "deletion")


def listing_fields(query) -> tuple[str, ...]:
    return (*LISTING_FIELDS, *(EDITED_FIELDS if query.edited else ()), *(DELETED_FIELDS if query.deleted else ()))


def history_column(query):
    """The table's column saying when the site deleted or (last) edited each article."""
    if query.deleted:
        return ("deleted (Beijing)", lambda a: beijing_minutes(a.get("deleted_at"), "-"))
    if query.edited:
        return ("edited (Beijing)", lambda a: f"{beijing_minutes(a.get('updated_at'), '-')} r{a.get('revision')}")
    return None


# -- the table ----------------------------------------------------------------------------------



def table_rows(articles: Sequence[dict]) -> list[list[str]]:
    return [[beijing_minutes(a.get("published_at"), "-"), str(a.get("article_id", "")), a.get("category") or "-",
             "、".join(a.get("authors") or []) or "-", a.get("title") or ""] for a in articles]


# How a match is marked in a snippet: bold red on a terminal, 【】 in text going elsewhere.
TERMINAL_MARKS = ("\x1b[1;31m", "\x1b[0m")
TEXT_MARKS = ("【", "】")
SNIPPET_INDENT = "    "


def print_table(articles: Sequence[dict], out=None, total_width: int | None = None, history=None,
                archive: str | None = None, total: int | None = None, snippets: bool = False,
                terminal: bool = False) -> None:
    """Aligned columns; the last (title) takes the rest of the terminal's width. ``history``:
    an extra (header, cell of an article) column put before the title. Nothing found says which
    archive was asked (``archive``); a listing cut by --limit says how many match (``total``).
    ``snippets``: each article's ``snippet`` on a line under its row, its matches marked for a
    ``terminal`` or with 【】."""
    out = out or sys.stdout
    if not articles:
        print(no_match(archive), file=out)
        return
    header = ["published (Beijing)", "id", "category", "authors", "title"]
    rows = table_rows(articles)
    if history:
        header.insert(-1, history[0])
        for row, article in zip(rows, articles):
            row.insert(-1, history[1](article))
    widths = [max(display_width(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    widths[3] = min(widths[3], 16)
    total_width = total_width or shutil.get_terminal_size((120, 24)).columns
    title_width = max(20, total_width - sum(widths) - 2 * len(widths))
    marks = TERMINAL_MARKS if terminal else TEXT_MARKS
    for n, row in enumerate([header, *rows]):
        cells = [fit(cell, w) for cell, w in zip(row, widths)] + [fit(row[-1], title_width).rstrip()]
        print("  ".join(cells).rstrip(), file=out)
        if snippets and n and articles[n - 1].get("snippet") is not None:
            line = fit_marked(articles[n - 1]["snippet"].parts, total_width - len(SNIPPET_INDENT), *marks,
                              marks_take_room=not terminal)
            print((SNIPPET_INDENT + line).rstrip(), file=out)
    shown = len(articles)
    if total is not None and total > shown:
        print(f"({shown} of {total} articles; --limit N shows more, --limit 0 all)", file=out)
    else:
        print(f"({shown} article{'s' if shown != 1 else ''})", file=out)
