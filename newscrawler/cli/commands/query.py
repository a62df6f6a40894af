"""`newscrawler query [filters] [--format table|json|jsonl|csv]`: list archived articles.

A table on a terminal (Chinese text aligned by display width: a Chinese character takes two
columns), JSON Lines when the output is piped, so ``newscrawler query ... | jq`` just works.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence

from newscrawler.cli.output import beijing_minutes, display_width, fit
from newscrawler.cli import CommandError, ExitStatus
from newscrawler.cli.commands._archive import (add_bom_argument, add_filter_arguments, add_start_argument,
                                               archive_database, archive_name,
                                               fulltext_path, query_from_args)

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
    from newscrawler.store.queries import iter_articles

    path = fulltext_path()
    if args.search is not None:
        from newscrawler.store.fulltext import exists

        if exists(path):
            return run_fulltext(args, path)
        print("newscrawler query: no search index (build one with `newscrawler index`): "
              "searching the archive's tokens, newest first", file=sys.stderr)
    query = query_from_args(args, limit=None if args.count else args.limit)
    with archive_database(args.start) as db:
        articles = iter_articles(db, query)
        if args.count:
            print(sum(1 for _ in articles))
            return 0
        return print_articles(articles, args, query, total=lambda: matching(db, query))


def run_fulltext(args, path) -> int:
    """``--search`` through the full-text index: its hits (best match first, or by publish
    time with --sort), then every other filter checked on the MongoDB side."""
    import argparse
    import itertools

    from newscrawler.store.fulltext import FullTextIndex, SearchSyntaxError, count_hits, iter_hits
    from newscrawler.store.queries import DELETED_FILTER, EDITED_FILTER, _clean

    # The search goes to the index, not to ArticleQuery (whose token search would load jieba).
    query = query_from_args(argparse.Namespace(**{**vars(args), "search": None}), limit=args.limit)
    mongo_filter = {**query.to_filter(), **(EDITED_FILTER if query.edited else {}),
                    **(DELETED_FILTER if query.deleted else {})}
    index = FullTextIndex(path)
    try:
        if args.count and not mongo_filter:
            print(index.count(args.search))
            return 0
        ids = index.article_ids(args.search, sort=args.sort, limit=None if mongo_filter else args.limit)
    except SearchSyntaxError as exc:
        raise CommandError(f"--search: {exc}", ExitStatus.USAGE) from None
    with archive_database(args.start) as db:
        if args.count:
            print(count_hits(db, ids, mongo_filter))
            return 0
        hits = (_clean(doc) for doc in iter_hits(db, ids, mongo_filter))
        return print_articles(itertools.islice(hits, args.limit or None), args, query)


def print_articles(articles, args, query, total=None) -> int:
    """The listing of ``articles`` in the format asked (or the one that suits the output).
    ``total``: how many match in all (called when the table is cut by --limit), None if unknown."""
    from newscrawler.store.export import write_csv, write_jsonl, json_record

    fmt = args.format or ("table" if sys.stdout.isatty() else "jsonl")
    fields = listing_fields(query)
    if fmt == "table":
        articles = list(articles)
        cut = bool(total) and bool(args.limit) and len(articles) >= args.limit
        print_table(articles, history=history_column(query), archive=archive_name(),
                    total=total() if cut else None)
        return 0
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


def print_table(articles: Sequence[dict], out=None, total_width: int | None = None, history=None,
                archive: str | None = None, total: int | None = None) -> None:
    """Aligned columns; the last (title) takes the rest of the terminal's width. ``history``:
    an extra (header, cell of an article) column put before the title. Nothing found says which
    archive was asked (``archive``); a listing cut by --limit says how many match (``total``)."""
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
    for row in [header, *rows]:
        cells = [fit(cell, w) for cell, w in zip(row, widths)] + [fit(row[-1], title_width).rstrip()]
        print("  ".join(cells).rstrip(), file=out)
    shown = len(articles)
    if total is not None and total > shown:
        print(f"({shown} of {total} articles; --limit N shows more, --limit 0 all)", file=out)
    else:
        print(f"({shown} article{'s' if shown != 1 else ''})", file=out)
