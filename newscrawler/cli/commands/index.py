"""`newscrawler index [--rebuild]`: build the full-text search index from the archive.

The index (``<data dir>/fulltext/<database>``) is derived from MongoDB: without ``--rebuild``
only the articles changed since the last build are (re)indexed (every article when there is
no index yet); ``--rebuild`` indexes every article again. ``crawl`` runs the incremental build
after its writes, and a search brings the index up to date before it asks. One writer at a time.

An archive written before this index keeps the old keyword search's ``search_tokens`` in every
article and their MongoDB index (most of its size and write time): the first run removes them
(the index dropped, then the field unset in batches; an interrupted removal resumes).
"""

from __future__ import annotations

import sys

from newscrawler.cli import CommandError
from newscrawler.cli.commands._archive import archive_database, fulltext_path


def register(subparsers) -> None:
    p = subparsers.add_parser("index", help="build the full-text search index from the archive",
                              description="Index the articles changed since the last build (all of them "
                                          "with --rebuild) for `query --search` and `stats --search`; "
                                          "removes the old search_tokens of an archive written before.")
    p.add_argument("--rebuild", action="store_true", help="index every article again, from scratch")
    p.set_defaults(func=run)


def say(text: str) -> None:
    print(f"newscrawler index: {text}", file=sys.stderr, flush=True)


def run(args) -> int:
    from newscrawler.store import fulltext

    path = fulltext_path()
    with archive_database() as db:
        try:
            with fulltext.WriterLock(path):  # the removal too: one process upgrades the archive
                if fulltext.old_search_tokens_left(db):
                    say("removing the old search_tokens from the archive's articles (their MongoDB index "
                        "first) ...")
                    removed = fulltext.remove_old_search_tokens(
                        db, progress=lambda n: say(f"{n} articles checked ..."))
                    say(f"old search_tokens removed from {removed} article{'s' if removed != 1 else ''} "
                        "and their index dropped")
                result = fulltext.build(db, path, rebuild=args.rebuild, locked=True,
                                        progress=lambda n: say(f"{n} articles indexed ..."))
        except fulltext.IndexBusy as exc:
            raise CommandError(str(exc)) from None
    what = "rebuilt" if result.rebuilt else "updated"
    why = f" ({result.reason})" if result.reason and result.reason != "asked" else ""
    print(f"search index {what}{why} at {path}: {result.indexed} article{'s' if result.indexed != 1 else ''} "
          f"indexed in {result.seconds:.1f} s ({result.documents} in the index)", file=sys.stderr)
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
        print(f"newscrawler crawl: search index updated ({result.indexed} article"
              f"{'s' if result.indexed != 1 else ''} new or changed)", file=sys.stderr)
    except IndexBusy as exc:
        print(f"newscrawler crawl: search index not updated now: {exc}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001
        print(f"newscrawler crawl: search index not updated: {exc}", file=sys.stderr)
    finally:
        db.client.close()
