"""`newscrawler db dump --out FILE`, `db restore FILE [--drop]`, `db copy --to URI`: the archive
out of its server and into another (``store/portable.py`` does the work). Private (leading
underscore): the ``db`` verb registers these actions.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator

from newscrawler.cli import CommandError, ExitStatus

ACTIONS = ("dump", "restore", "copy")
# As the read verbs (see _archive.py): a long read must not be cancelled by the heartbeat monitor.
BUSY_SERVER_MS = 120_000


def add_arguments(parser) -> None:
    group = parser.add_argument_group("dump, restore, copy (moving the archive)")
    group.add_argument("file", nargs="?", metavar="FILE", help="restore: the dump file to load")
    group.add_argument("--out", metavar="FILE", help="dump: the file to write (a tar of Extended JSON Lines)")
    group.add_argument("--drop", action="store_true",
                       help="restore: drop what the database holds first (refused otherwise when not empty)")
    group.add_argument("--to", metavar="URI",
                       help="copy: the MongoDB to copy into; the database is the URI's, else the same name")
    group.add_argument("--batch-size", type=int, default=500, metavar="N",
                       help="documents per write (default 500)")


@contextlib.contextmanager
def _database(uri: str, name: str, *, uri_names_it: bool = False) -> Iterator:
    """Database ``name`` on ``uri`` (``uri_names_it``: the URI's own database if it names
    one), writing journaled; driver failures become a CommandError."""
    from pymongo.errors import PyMongoError

    from newscrawler.store.connection import failure_sentence, get_client, journaled_options

    client = get_client(uri, connectTimeoutMS=BUSY_SERVER_MS, **journaled_options(uri))
    try:
        yield client.get_default_database(default=name) if uri_names_it else client[name]
    except PyMongoError as exc:
        raise CommandError(failure_sentence(exc, uri)) from None
    finally:
        client.close()


def _archive(settings):
    """The archive's database (MONGO_URI, else the embedded server, started if need be)."""
    from newscrawler import config
    from newscrawler.store.connection import resolve_mongo_uri

    uri, _embedded = resolve_mongo_uri(settings)
    return _database(uri, config.setting(settings, "MONGO_DATABASE"))


def _progress():
    stream = sys.stderr if sys.stderr.isatty() else None

    def show(collection: str, documents: int) -> None:
        if stream:
            stream.write(f"\r{collection}: {documents} document(s)        ")
            stream.flush()

    return show, (lambda: stream.write("\n") if stream else None)


def run(action: str, args, settings) -> int:
    from newscrawler.store.portable import PortableError

    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1", ExitStatus.USAGE)
    try:
        report = {"dump": _dump, "restore": _restore, "copy": _copy}[action](args, settings)
    except PortableError as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    return ExitStatus.OK if report.ok else ExitStatus.FAILURE


def _dump(args, settings):
    from newscrawler.store.portable import dump_archive

    if not args.out:
        raise CommandError("say where to write the dump: db dump --out FILE", ExitStatus.USAGE)
    show, done = _progress()
    with _archive(settings) as db:
        report = dump_archive(db, args.out, progress=show, batch_size=args.batch_size)
    done()
    return report


def _restore(args, settings):
    from pathlib import Path

    from newscrawler.store.portable import restore_archive

    if not args.file:
        raise CommandError("say which dump to restore: db restore FILE", ExitStatus.USAGE)
    if not Path(args.file).is_file():
        raise CommandError(f"no such file: {args.file}", ExitStatus.USAGE)
    show, done = _progress()
    with _archive(settings) as db:
        report = restore_archive(db, args.file, drop=args.drop, progress=show, batch_size=args.batch_size)
    done()
    return report


def _copy(args, settings):
    from newscrawler.store.portable import copy_archive

    if not args.to:
        raise CommandError("say where to copy the archive: db copy --to URI", ExitStatus.USAGE)
    show, done = _progress()
    with _archive(settings) as source, _database(args.to, source.name, uri_names_it=True) as target:
        report = copy_archive(source, target, progress=show, batch_size=args.batch_size)
    done()
    return report


def _print_report(report) -> None:
    width = max([len(c.name) for c in report.collections] + [10])
    print(f"{'collection':<{width}}  {'documents':>9}  {'expected':>9}  indexes  check")
    for c in report.collections:
        expected = "" if c.expected is None else c.expected
        check = "ok" if c.ok else "MISMATCH"
        if c.sampled:
            check += f" ({c.sampled} sampled, {len(c.differing)} differ)"
        if c.errors:
            check += f", {c.errors} refused"
        print(f"{c.name:<{width}}  {c.documents:>9}  {expected!s:>9}  {len(c.indexes):>7}  {check}")
    what = {"dump": f"dumped to {report.path}", "restore": f"restored from {report.path}", "copy": "copied"}
    verdict = "" if report.ok else " -- NOT complete: see the rows marked MISMATCH"
    print(f"{report.documents} document(s) in {len(report.collections)} collection(s) {what[report.action]}{verdict}")
