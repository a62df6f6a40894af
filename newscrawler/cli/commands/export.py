"""`newscrawler export jsonl|csv|hexo|wacz|parquet --out PATH [filters]`: archived articles to files.

jsonl and csv write one file (``--out -`` writes to standard output); hexo writes one Markdown
post per article into a directory (a Hexo blog's ``source/_posts``), named by the article's
id, so any later export replaces the article's one post. wacz packages the articles' archived
pages as a WACZ file (``warc/wacz.py``) that ReplayWeb.page opens; parquet writes one typed
row per article (``store/parquet.py``), into one file or, with ``--partition month``, a
directory of monthly partitions.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from newscrawler.cli import CommandError, ExitStatus
from newscrawler.cli.commands._archive import (add_bom_argument, add_filter_arguments, add_start_argument,
                                               archive_database, archive_name, parse_search, query_from_args,
                                               search_index)


def register(subparsers) -> None:
    from newscrawler.store.export import DEFAULT_EXTRA_CATEGORY, DEFAULT_PLACEHOLDER, FORMATS
    from newscrawler.nbd.site import SITE_NAME

    p = subparsers.add_parser("export", help="export archived articles (jsonl, csv, hexo posts, wacz, parquet)",
                              description="Export archived articles matching the filters, newest first.")
    p.add_argument("format", choices=FORMATS,
                   help="jsonl: one JSON record a line; csv; hexo: Markdown posts; wacz: the archived "
                        "pages as a web archive (ReplayWeb.page, pywb); parquet: typed columns (pandas, DuckDB)")
    p.add_argument("--out", required=True, metavar="PATH",
                   help="output file (jsonl, csv; '-' = standard output; wacz; parquet) or directory "
                        "(hexo; parquet --partition month)")
    add_filter_arguments(p)
    p.add_argument("--limit", type=int, default=0, help="at most this many articles (default 0 = all)")
    add_bom_argument(p)
    p.add_argument("--revisions", action="store_true",
                   help="jsonl, csv: after each article, its earlier versions, newest first; every "
                        "row has revision and revised_at (empty on the current version); "
                        "hexo ignores it (a post is the current version)")
    parquet = p.add_argument_group("parquet")
    parquet.add_argument("--partition", choices=("month",),
                         help="write a directory with one hive-style partition per Beijing month of "
                              "publication (month=YYYY-MM/part-00000.parquet): for large exports")
    hexo = p.add_argument_group("hexo")
    hexo.add_argument("--site-name", default=SITE_NAME, help=f"site name in categories, and author of articles naming none (default {SITE_NAME})")
    hexo.add_argument("--extra-category", default=DEFAULT_EXTRA_CATEGORY,
                      help=f"last category of every post (default {DEFAULT_EXTRA_CATEGORY})")
    hexo.add_argument("--placeholder", default=DEFAULT_PLACEHOLDER, metavar="URL",
                      help=f"image of posts without a thumbnail (default {DEFAULT_PLACEHOLDER})")
    add_start_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler.store.export import (
        CSV_FIELDS, REVISION_FIELDS, HexoOptions, with_revisions, write_csv, write_hexo, write_jsonl,
    )
    from newscrawler.store.queries import iter_articles

    query = query_from_args(args, limit=args.limit)
    search = parse_search(args.search) if args.search is not None else None
    if search is not None:  # every format reads the index: built or brought up to date first
        with archive_database(args.start) as db:
            search_index(db, "export")
    for name in ("site_name", "extra_category"):
        value = getattr(args, name)
        if not value.strip() or "\n" in value:
            raise CommandError(f"--{name.replace('_', '-')} must be one non-empty line", ExitStatus.USAGE)
    if args.format == "hexo" and args.out == "-":
        raise CommandError("hexo writes a directory of posts: --out must be a directory", ExitStatus.USAGE)
    if args.format in ("wacz", "parquet") and args.out == "-":
        raise CommandError(f"{args.format} writes a file: --out must be a path, not standard output", ExitStatus.USAGE)
    if args.partition and args.format != "parquet":
        raise CommandError("--partition is for parquet exports", ExitStatus.USAGE)
    if args.format == "wacz":
        return _run_wacz(args, query)
    if args.format == "parquet":
        return _run_parquet(args, query)
    with archive_database(args.start) as db:
        articles = iter_articles(db, query)  # a search: the index's matches, newest first
        if args.format == "hexo":
            options = HexoOptions(site_name=args.site_name, extra_category=args.extra_category,
                                  placeholder=args.placeholder)
            try:
                count = len(write_hexo(articles, args.out, options))
            except OSError as exc:
                raise CommandError(f"cannot write to {args.out}: {exc.strerror}") from None
        else:
            fields = None
            if args.revisions:
                articles = with_revisions(db, articles)
                fields = (*CSV_FIELDS, *REVISION_FIELDS)
            with _output(args.out) as out:
                if args.format == "jsonl":
                    count = write_jsonl(articles, out)
                else:
                    count = write_csv(articles, out, fields or CSV_FIELDS, bom=args.bom)
    noun = "version" if args.revisions and args.format != "hexo" else "article"
    found = "" if count else f" (none match in {archive_name()})"
    print(f"exported {count} {noun}{'s' if count != 1 else ''} to {args.out}{found}", file=sys.stderr)
    return 0


def _filters_text(args) -> str:
    """The filters given, as a command line would say them (the WACZ's description)."""
    words = []
    for name in ("since", "until", "category", "author", "tag", "source", "search", "sort", "limit"):
        value = getattr(args, name, None)
        if value:
            words.append(f"--{name} {value}")
    words += [f"--{name}" for name in ("edited", "deleted", "revisions") if getattr(args, name, False)]
    return " ".join(words) or "all articles"


def _run_wacz(args, query) -> int:
    from newscrawler import config
    from newscrawler.nbd.site import SITE_NAME
    from newscrawler.store.export import with_revisions
    from newscrawler.store.queries import iter_articles
    from newscrawler.warc.wacz import EmptySelection, WaczError, write_wacz

    warc_dir = config.warc_dir()
    if not warc_dir.is_dir():
        raise CommandError(f"no WARC directory at {warc_dir}: the archived pages are not there (set WARC_DIR)")
    out = Path(args.out)
    description = f"newscrawler export wacz of {archive_name()}: {_filters_text(args)}"
    with archive_database(args.start) as db:
        articles = iter_articles(db, query)
        if args.revisions:
            articles = with_revisions(db, articles)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            report = write_wacz(articles, warc_dir, out, title=f"{SITE_NAME} articles", description=description)
        except EmptySelection:
            raise CommandError(f"no article matching the filters has an archived page in {archive_name()} "
                               f"(WARC files under {warc_dir}): no WACZ written") from None
        except WaczError as exc:
            raise CommandError(f"py-wacz could not package the pages: {exc}") from None
        except OSError as exc:
            raise CommandError(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    left_out = ""
    if report.without_page:
        left_out = (f"; {len(report.without_page)} matching article(s) left out, without a readable page "
                    f"(first: {report.problems[0]})")
    print(f"exported {report.pages} article{'s' if report.pages != 1 else ''} ({report.records} page "
          f"record{'s' if report.records != 1 else ''}) to {args.out}{left_out}", file=sys.stderr)
    return ExitStatus.OK


def _run_parquet(args, query) -> int:
    from newscrawler.store.parquet import ParquetTargetError, write_parquet
    from newscrawler.store.queries import iter_articles

    if args.revisions:
        raise CommandError("parquet has one row per article: --revisions is for jsonl and csv", ExitStatus.USAGE)
    out = Path(args.out)
    with archive_database(args.start) as db:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            report = write_parquet(iter_articles(db, query), out, partition=args.partition)
        except ParquetTargetError as exc:
            raise CommandError(str(exc), ExitStatus.USAGE) from None
        except ValueError as exc:
            raise CommandError(f"cannot export to Parquet: {exc}") from None
        except OSError as exc:
            raise CommandError(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    count = report.rows
    found = "" if count else f" (none match in {archive_name()})"
    where = f" ({report.files} monthly partition{'s' if report.files != 1 else ''})" if args.partition else ""
    print(f"exported {count} article{'s' if count != 1 else ''} to {args.out}{where}{found}", file=sys.stderr)
    return ExitStatus.OK


@contextlib.contextmanager
def _output(path: str):
    """Standard output for '-', else the file (parents created); UTF-8, LF line ends for jsonl
    and the csv module's own CRLF rows (newline=''). The file replaces an earlier one only
    when the export is complete (a failed export leaves it untouched)."""
    from newscrawler.files import replaced_atomically

    if path == "-":
        yield sys.stdout
        return
    target = Path(path)
    with contextlib.ExitStack() as stack:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fp = stack.enter_context(replaced_atomically(target, newline=""))
        except OSError as exc:
            raise CommandError(f"cannot write to {path}: {exc.strerror}") from None
        yield fp
