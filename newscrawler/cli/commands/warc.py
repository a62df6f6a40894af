"""`newscrawler warc check [FILE ...]`: read every record of the page archive's WARC files
and report damaged ones (a file cut mid-write by a crash, bytes changed since writing).

Without FILE: every ``*.warc.gz`` under WARC_DIR (default ``<NEWSCRAWLER_DATA_DIR>/warc``).
Exits with 1 when a file is damaged; the records before the damage stay readable.
"""

from __future__ import annotations

from pathlib import Path

from newscrawler.cli import CommandError, ExitStatus


def register(subparsers) -> None:
    p = subparsers.add_parser("warc", help="the page archive (WARC files): check them",
                              description="Tools for the WARC files the crawl writes.")
    sub = p.add_subparsers(dest="warc_verb", metavar="ACTION")
    check = sub.add_parser("check", help="read every record and report damaged files",
                           description="Read every record, verify its digests and find files cut "
                                       "mid-write. Exits with 1 when a file is damaged.")
    check.add_argument("files", nargs="*", metavar="FILE", help="WARC files (default: all under WARC_DIR)")
    check.set_defaults(func=run_check)
    p.set_defaults(func=lambda args: (p.print_help(), ExitStatus.USAGE)[1])


def run_check(args) -> int:
    from newscrawler.crawl.runner import project_settings
    from newscrawler import config
    from newscrawler.warc.reader import check_file

    if args.files:
        files = [Path(f) for f in args.files]
    else:
        directory = config.warc_dir(project_settings())
        if not directory.is_dir():
            raise CommandError(f"no WARC directory at {directory}")
        files = sorted(directory.glob("*.warc.gz"))
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise CommandError(f"no such file: {', '.join(missing)}", ExitStatus.USAGE)
    damaged = responses = 0
    for path in files:
        result = check_file(path)
        responses += result.responses
        status = "ok" if result.ok else "DAMAGED"
        print(f"{status:8} {path.name}  {len(result.records)} records ({result.responses} responses), "
              f"{result.size} bytes")
        if not result.ok:
            damaged += 1
            print(f"         {result.problem}")
    print(f"{len(files)} file(s), {responses} responses, {damaged} damaged")
    return ExitStatus.FAILURE if damaged else 0
