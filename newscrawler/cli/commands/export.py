"""`newscrawler export jsonl|csv|hexo --out PATH [filters]`: archived articles to files.

jsonl and csv write one file (``--out -`` writes to standard output); hexo writes one Markdown
post per article into a directory (a Hexo blog's ``source/_posts``), named by the article's
id, so any later export replaces the article's one post.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from newscrawler.cli import CommandError, ExitStatus
from newscrawler.cli.commands._archive import (add_bom_argument, add_filter_arguments, archive_database, archive_name,
                                               parse_search, query_from_args, search_index)


def register(subparsers) -> None:
    from newscrawler.store.export import DEFAULT_EXTRA_CATEGORY, DEFAULT_PLACEHOLDER, FORMATS
    from newscrawler.nbd.site import SITE_NAME

    p = subparsers.add_parser("export", help="export archived articles (jsonl, csv, hexo posts)",
                              description="Export archived articles matching the filters, newest first.")
    p.add_argument("format", choices=FORMATS, help="jsonl: one JSON record a line; csv; hexo: Markdown posts")
    p.add_argument("--out", required=True, metavar="PATH",
                   help="output file (jsonl, csv; '-' = standard output) or directory (hexo)")
    add_filter_arguments(p)
    p.add_argument("--limit", type=int, default=0, help="at most this many articles (default 0 = all)")
    add_bom_argument(p)
    p.add_argument("--revisions", action="store_true",
                   help="jsonl, csv: after each article, its earlier versions, newest first; every "
                        "row has revision and revised_at (empty on the current version); "
                        "hexo ignores it (a post is the current version)")
    hexo = p.add_argument_group("hexo")
    hexo.add_argument("--site-name", default=SITE_NAME, help=f"site name in categories, and author of articles naming none (default {SITE_NAME})")
    hexo.add_argument("--extra-category", default=DEFAULT_EXTRA_CATEGORY,
                      help=f"last category of every post (default {DEFAULT_EXTRA_CATEGORY})")
    hexo.add_argument("--placeholder", default=DEFAULT_PLACEHOLDER, metavar="URL",
                      help=f"image of posts without a thumbnail (default {DEFAULT_PLACEHOLDER})")
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler.store.export import (
        CSV_FIELDS, REVISION_FIELDS, HexoOptions, with_revisions, write_csv, write_hexo, write_jsonl,
    )
    from newscrawler.store.queries import iter_articles

    query = query_from_args(args, limit=args.limit)
    search = parse_search(args.search) if args.search is not None else None
    if search is not None:  # every format reads the index: built or brought up to date first
        with archive_database() as db:
            search_index(db, "export")
    for name in ("site_name", "extra_category"):
        value = getattr(args, name)
        if not value.strip() or "\n" in value:
            raise CommandError(f"--{name.replace('_', '-')} must be one non-empty line", ExitStatus.USAGE)
    if args.format == "hexo" and args.out == "-":
        raise CommandError("hexo writes a directory of posts: --out must be a directory", ExitStatus.USAGE)
    with archive_database() as db:
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


@contextlib.contextmanager
def _output(path: str):
    """Standard output for '-', else the file (parents created); UTF-8, LF line ends for jsonl
    and the csv module's own CRLF rows (newline=''). The file replaces an earlier one only
    when the export is complete (a failed export leaves it untouched)."""
    from newscrawler.store.export import replaced_atomically

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
