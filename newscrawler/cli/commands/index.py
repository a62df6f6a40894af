"""`newscrawler index [--rebuild]`: build the full-text search index from the archive.

The index (``<data dir>/fulltext/<database>``) is derived from MongoDB: without ``--rebuild``
only the articles changed since the last build are (re)indexed; ``--rebuild`` indexes every
article again. ``crawl`` runs the incremental build after its writes. One writer at a time.
"""

from __future__ import annotations

import sys

from newscrawler.cli import CommandError
from newscrawler.cli.commands._archive import archive_database, fulltext_path


def register(subparsers) -> None:
    p = subparsers.add_parser("index", help="build the full-text search index from the archive",
                              description="Index the articles changed since the last build (all of them "
                                          "with --rebuild) for `query --search`.")
    p.add_argument("--rebuild", action="store_true", help="index every article again, from scratch")
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler.store.fulltext import IndexBusy, build

    path = fulltext_path()
    with archive_database() as db:
        try:
            result = build(db, path, rebuild=args.rebuild)
        except IndexBusy as exc:
            raise CommandError(str(exc)) from None
    what = "rebuilt" if result.rebuilt else "updated"
    print(f"search index {what} at {path}: {result.indexed} article{'s' if result.indexed != 1 else ''} "
          f"indexed in {result.seconds:.1f} s", file=sys.stderr)
    return 0


def update_after_crawl(settings) -> None:
    """The incremental build a crawl runs after its writes, outside Scrapy's reactor, when an
    index exists (`newscrawler index` creates it: the first build of a large archive takes
    minutes, which a crawl should not pay unasked). A failure (or another writer at work) is
    said on stderr and never fails the crawl; the next build catches up, since it reads what
    changed since the last one."""
    from newscrawler import config
    from newscrawler.store.connection import get_database
    from newscrawler.store.fulltext import IndexBusy, build, exists, index_dir

    path = index_dir(config.data_dir(settings), str(config.setting(settings, "MONGO_DATABASE")))
    if not exists(path):
        return
    try:
        db = get_database(settings)
    except Exception as exc:  # noqa: BLE001 - the crawl's outcome stands whatever the index does
        print(f"newscrawler crawl: search index not updated: {exc}", file=sys.stderr)
        return
    try:
        result = build(db, path)
        print(f"newscrawler crawl: search index updated ({result.indexed} articles)", file=sys.stderr)
    except IndexBusy as exc:
        print(f"newscrawler crawl: search index not updated now: {exc}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001
        print(f"newscrawler crawl: search index not updated: {exc}", file=sys.stderr)
    finally:
        db.client.close()
