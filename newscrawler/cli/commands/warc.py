"""`newscrawler warc check [FILE ...] [--repair] [--no-pointers]`: read every record of the page
archive's WARC files and report damaged ones (a file cut mid-write by a crash, bytes changed
since writing); then check every article's pointer into them.

Without FILE: every ``*.warc.gz`` under WARC_DIR (default ``<NEWSCRAWLER_DATA_DIR>/warc``), and
every archived article's ``warc`` pointer (its file exists and holds a whole response record
with that id at that offset and length). A dangling pointer is reported; with ``--repair`` it
is replaced by a "missing" marker and the next crawl fetches the article's page again.
Exits with 1 when a file is damaged or a pointer dangles (and was not marked for refetching).

`newscrawler warc index [FILE ...] [--force]`: the CDXJ index beside each WARC file that has
none, or an older one (the crawl writes it when it finishes a file; a crash leaves the file
without). Replay tools read these indexes (README: "Replay").

`newscrawler warc rebuild [--warc-dir DIR]`: the last resort when the archive database is lost:
the articles rebuilt from the pages the WARC files keep (``warc/rebuild.py``), into an archive
whose articles collection is empty.
"""

from __future__ import annotations

from pathlib import Path

from newscrawler.cli import CommandError, ExitStatus

MAX_LISTED = 20


def register(subparsers) -> None:
    p = subparsers.add_parser("warc", help="the page archive (WARC files): check them, index them, rebuild the articles from them",
                              description="Tools for the WARC files the crawl writes.")
    sub = p.add_subparsers(dest="warc_verb", metavar="ACTION")
    check = sub.add_parser("check", help="read every record, report damaged files and dangling pointers",
                           description="Read every record, verify its digests and find files cut "
                                       "mid-write; then check that every article's pointer reaches a "
                                       "whole record. Exits with 1 when a file is damaged or a "
                                       "pointer dangles.")
    check.add_argument("files", nargs="*", metavar="FILE",
                       help="WARC files (default: all under WARC_DIR, and every article's pointer)")
    check.add_argument("--repair", action="store_true",
                       help="mark articles whose pointer dangles: the next crawl fetches their page again")
    check.add_argument("--no-pointers", action="store_true", help="check the files only (no MongoDB)")
    check.set_defaults(func=run_check)
    index = sub.add_parser("index", help="write the CDXJ index beside WARC files that lack a current one",
                           description="Write <name>.cdxj beside each <name>.warc.gz whose index is missing "
                                       "or older than the file (the crawl writes it when it finishes a file; "
                                       "a crawl that was killed leaves its last file without). Replay tools "
                                       "(pywb) read these indexes. Each file is read whole first (as warc "
                                       "check does): only whole records are indexed. Exits with 1 when a "
                                       "file is damaged.")
    index.add_argument("files", nargs="*", metavar="FILE",
                       help="WARC files (default: all under WARC_DIR)")
    index.add_argument("--warc-dir", help="where the WARC files are (default: WARC_DIR, else "
                                          "<NEWSCRAWLER_DATA_DIR>/warc)")
    index.add_argument("--force", action="store_true", help="index every file again, current or not")
    index.set_defaults(func=run_index)
    rebuild = sub.add_parser("rebuild", help="the last resort: rebuild the articles from the WARC files",
                             description="Read every article page kept in the WARC files, extract it again "
                                         "and write the articles (with their WARC pointers, and earlier "
                                         "versions as revisions) into an archive whose articles collection "
                                         "is empty. Thumbnail facts, rejects and crawl records are not in "
                                         "the pages and do not come back. Exits with 1 when a file is damaged.")
    rebuild.add_argument("--warc-dir", help="where the WARC files are (default: WARC_DIR, else "
                                            "<NEWSCRAWLER_DATA_DIR>/warc)")
    rebuild.add_argument("--json", action="store_true", help="the report as JSON")
    rebuild.set_defaults(func=run_rebuild)
    p.set_defaults(func=lambda args: (p.print_help(), ExitStatus.USAGE)[1])


def run_check(args) -> int:
    from newscrawler.crawl.runner import project_settings
    from newscrawler import config

    if args.files:
        files = [Path(f) for f in args.files]
        directory = None
    else:
        directory = config.warc_dir(project_settings())
        if not directory.is_dir():
            raise CommandError(f"no WARC directory at {directory}")
        files = sorted(directory.glob("*.warc.gz"))
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise CommandError(f"no such file: {', '.join(missing)}", ExitStatus.USAGE)
    checks = check_files(files)
    damaged = sum(1 for c in checks if not c.ok)
    dangling = 0
    if directory is not None and not args.no_pointers:
        dangling = check_article_pointers(directory, checks, repair=args.repair)
    return ExitStatus.FAILURE if damaged or dangling else 0


def run_index(args) -> int:
    from newscrawler import config
    from newscrawler.crawl.runner import project_settings
    from newscrawler.warc.cdxj import is_current, write_index
    from newscrawler.warc.reader import READ_ERRORS, check_file

    if args.files:
        files = [Path(f) for f in args.files]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}", ExitStatus.USAGE)
    else:
        directory = config.warc_dir({"WARC_DIR": args.warc_dir} if args.warc_dir else project_settings())
        if not directory.is_dir():
            raise CommandError(f"no WARC directory at {directory} (set WARC_DIR or --warc-dir)")
        files = sorted(directory.glob("*.warc.gz"))
    indexed = current = damaged = 0
    for path in files:
        if not args.force and is_current(path):
            current += 1
            continue
        # Read the file whole first: warcio (so cdxj-indexer) takes a record cut short by a
        # crash for a whole one; only whole records go into the index.
        check = check_file(path)
        whole = None if check.ok else {r.offset for r in check.records if r.rec_type == "response"}
        try:
            result = write_index(path, only_offsets=whole)
        except READ_ERRORS as exc:
            damaged += 1
            print(f"DAMAGED  {path.name}  not indexed: {type(exc).__name__}: {exc} "
                  "(`newscrawler warc check` tells where)")
            continue
        indexed += 1
        print(f"indexed  {path.name}  {result.lines} record(s) -> {result.path.name}")
        if not check.ok:
            damaged += 1
            print(f"DAMAGED  {path.name}  {check.problem}: the records after it are not indexed")
    print(f"{len(files)} file(s): {indexed} indexed, {current} already current, {damaged} damaged")
    return ExitStatus.FAILURE if damaged else ExitStatus.OK


def run_rebuild(args) -> int:
    import json

    from newscrawler import config
    from newscrawler.cli.commands._archive import archive_database
    from newscrawler.crawl.runner import project_settings
    from newscrawler.warc.rebuild import RebuildRefused, rebuild_articles

    settings = project_settings()
    directory = config.warc_dir({"WARC_DIR": args.warc_dir} if args.warc_dir else settings)
    if not directory.is_dir():
        raise CommandError(f"no WARC directory at {directory} (set WARC_DIR or --warc-dir)")
    with archive_database() as db:
        try:
            report = rebuild_articles(db, directory, default_base_url=settings.get("NBD_BASE_URL"))
        except RebuildRefused as exc:
            raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"Rebuild {report.run_id} from {directory}: {report.files} file(s), {report.responses} responses, "
              f"{report.article_pages} article page(s)")
        print(f"  articles  {report.articles:>7}")
        for kind in ("updated", "unchanged", "stale", "errors"):
            if report.written.get(kind):
                print(f"  {kind:9} {report.written[kind]:>7}" + ("  (earlier versions kept as revisions)"
                                                                 if kind == "updated" else ""))
        for reason, count in report.skipped.most_common():
            print(f"  skipped   {count:>7}  {reason}")
        for problem in report.damaged_files:
            print(f"DAMAGED   {problem}  (its records before the damage were used)")
    return ExitStatus.FAILURE if report.damaged_files or report.written.get("errors") else ExitStatus.OK


def check_files(files: list[Path]) -> list:
    from newscrawler.warc.reader import check_file

    checks, responses = [], 0
    for path in files:
        result = check_file(path)
        checks.append(result)
        responses += result.responses
        status = "ok" if result.ok else "DAMAGED"
        print(f"{status:8} {path.name}  {len(result.records)} records ({result.responses} responses), "
              f"{result.size} bytes")
        if not result.ok:
            print(f"         {result.problem}")
    print(f"{len(files)} file(s), {responses} responses, {sum(1 for c in checks if not c.ok)} damaged")
    return checks


def check_article_pointers(directory: Path, checks: list, *, repair: bool) -> int:
    """Report the articles whose pointer dangles; returns how many are left dangling."""
    from newscrawler.cli.commands._archive import archive_database
    from newscrawler.warc.pointers import check_pointers, mark_for_refetch

    with archive_database() as db:
        report = check_pointers(db.articles, directory, checks)
        marked = mark_for_refetch(db.articles, report.dangling) if repair and report.dangling else 0
    for pointer in report.dangling[:MAX_LISTED]:
        print(f"DANGLING {pointer.describe()}")
    if len(report.dangling) > MAX_LISTED:
        print(f"         ... and {len(report.dangling) - MAX_LISTED} more")
    print(f"{report.checked} article pointer(s), {len(report.dangling)} dangling"
          f"{f', {marked} marked for refetching by the next crawl' if repair else ''}"
          f"{f'; {report.awaiting_refetch} article(s) await their page (the next crawl fetches them)' if report.awaiting_refetch else ''}")
    if report.dangling and not repair:
        print("         run `newscrawler warc check --repair` to have the next crawl fetch them again")
    return len(report.dangling) - marked
