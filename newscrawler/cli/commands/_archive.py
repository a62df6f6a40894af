"""What the archive-reading verbs (query, show, stats, export) share: the database and the
filter arguments. Private (leading underscore): the CLI does not take it for a verb.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from newscrawler.cli import CommandError, ExitStatus, argtypes

# pymongo's monitor gives up on a server whose heartbeat takes longer than connectTimeoutMS
# and then CANCELS the operations in flight ("operation cancelled"): seen once on an
# aggregation over 100,000 articles (stats --exact, far longer than that timeout on
# SecantusDB, whose heartbeat answer waits behind it; the README's "Query speed" times it).
# So the read verbs wait longer than the crawler's 5 s; an unreachable server still fails
# after serverSelectionTimeoutMS.
BUSY_SERVER_MS = 120_000


def archive_name() -> str:
    """Which archive the read verbs ask, for their messages: ``the archive at <data dir>
    (database X)``, or the configured MongoDB's URI (without credentials)."""
    from newscrawler import config

    database = config.setting(None, "MONGO_DATABASE")
    uri = config.setting(None, "MONGO_URI")
    if uri:
        from newscrawler.store.connection import redact_uri

        return f"the archive at {redact_uri(str(uri))} (database {database})"
    return f"the archive at {config.data_dir()} (database {database})"


def _require_embedded_archive() -> None:
    """Refuse to read an embedded archive that does not exist: starting a server would create
    an empty one (and leave a second server running) and the verb would report nothing found."""
    from newscrawler import config
    from newscrawler.store.embedded import ServerPaths

    if config.setting(None, "MONGO_URI"):
        return
    data_dir = config.data_dir()
    if not ServerPaths.for_data_dir(data_dir).storage.is_dir():
        raise CommandError(
            f"no archive at {data_dir}: crawl first (newscrawler crawl, or newscrawler demo), "
            "or point NEWSCRAWLER_DATA_DIR (or MONGO_URI) at an existing archive")


# Read verbs give an unreachable MongoDB this long to answer before saying so (pymongo's
# server selection; the crawl's archive session keeps its own 5 s).
UNREACHABLE_MS = 3000


@contextlib.contextmanager
def archive_database(start: bool = True) -> Iterator:
    """The archive database (MONGO_URI, else the embedded server), closed afterwards.

    Read from the configuration and the environment (config.py), not Scrapy's settings: a read
    verb loads no Scrapy. An embedded archive that does not exist is an error (exit 1), not a
    new empty one. An embedded server that is not running is started, saying so on standard
    error (it keeps running for the next command), unless ``start`` is False (``--no-start``:
    exit 1 instead). Driver failures become a CommandError (exit 1): one sentence naming the
    server, its credentials hidden.
    """
    _plain_driver_for_the_embedded_server()
    _require_embedded_archive()
    from pymongo.errors import PyMongoError

    from newscrawler import config
    from newscrawler.store.connection import failure_sentence, get_client, journaled_options
    from newscrawler.store.errors import ArchiveError

    try:
        uri = config.setting(None, "MONGO_URI") or _embedded_uri(start)
        client = get_client(uri, connectTimeoutMS=BUSY_SERVER_MS, serverSelectionTimeoutMS=UNREACHABLE_MS,
                            **journaled_options(uri))
    except ArchiveError as exc:
        raise CommandError(str(exc)) from None
    hint = "is it running, and is MONGO_URI right?" if config.setting(None, "MONGO_URI") else \
        "`newscrawler db status` says more"
    try:
        yield client[config.setting(None, "MONGO_DATABASE")]
    except PyMongoError as exc:
        raise CommandError(failure_sentence(exc, uri, hint)) from None
    finally:
        client.close()
        _no_wait_for_closed_clients_at_exit()


def _embedded_uri(start: bool) -> str:
    """The embedded server's URI; started (saying so) when it is not running and ``start``."""
    import sys

    from newscrawler import config
    from newscrawler.store.connection import embedded_port
    from newscrawler.store.embedded import ensure_embedded_server, running_server

    data_dir = config.data_dir()
    running = running_server(data_dir) is not None
    if not running and not start:
        raise CommandError(f"the archive's database server (embedded, for {data_dir}) is not running, and "
                           f"--no-start says not to start it: `newscrawler db start` starts it")
    uri = ensure_embedded_server(data_dir, embedded_port())
    if not running:
        print(f"Started the archive's database server ({uri}, embedded, for {data_dir}); it keeps "
              f"running for the next commands: `newscrawler db stop` stops it.", file=sys.stderr)
    return uri


def add_start_argument(parser: argparse.ArgumentParser) -> None:
    """``--no-start``: a read verb starts the embedded database server when it is not running
    (and says so); with this it exits with 1 instead."""
    parser.add_argument("--no-start", dest="start", action="store_false",
                        help="do not start the embedded database server when it is not running "
                             "(exit 1 instead; without this it is started, saying so, and left running)")


def _plain_driver_for_the_embedded_server() -> None:
    """Without MONGO_URI the archive is the embedded server on loopback, never TLS: pymongo is
    then loaded without its pyOpenSSL layer (optional in pymongo, which falls back to the
    standard library's ssl), whose import (cryptography, requests for OCSP) is a third of a
    read verb's run time. With MONGO_URI (TLS possible) the driver loads as usual."""
    import sys

    from newscrawler import config

    if not config.setting(None, "MONGO_URI") and "pymongo" not in sys.modules:
        sys.modules.setdefault("pymongo.pyopenssl_context", None)  # None: "not importable"


def _no_wait_for_closed_clients_at_exit() -> None:
    """Let the process exit without waiting up to half a second for the driver's threads.

    pymongo joins its monitor threads at exit (an atexit hook), and a closed client's threads
    notice the close only after their current 0.5 s sleep: half the run time of a read verb.
    Every client of the read path is closed by now (the server check's too), and the threads
    are daemon threads with nothing left to do, so the hook is dropped.
    """
    import atexit

    from pymongo.synchronous import monitor

    hook = getattr(monitor, "_shutdown_resources", None)  # pymongo 4.x's exit hook
    if hook is not None:
        atexit.unregister(hook)


def add_filter_arguments(parser: argparse.ArgumentParser, *, sort: bool = True,
                         title: str = "filters (Beijing time; all given filters must hold)") -> None:
    """The article filters of ``query``, ``export`` and ``stats --search`` (one definition)."""
    group = parser.add_argument_group(title)
    group.add_argument("--since", metavar="DATE", type=argtypes.when, help="published on or after: YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]' or Nd (N days ago, e.g. 2d)")
    group.add_argument("--until", metavar="DATE", type=argtypes.when, help="published on or before (a date, or Nd, includes its whole day)")
    group.add_argument("--category", help="section name, e.g. 证券")
    group.add_argument("--author", help="one of the article's authors")
    group.add_argument("--tag", help="one of the article's tags")
    group.add_argument("--source", help="outlet, e.g. 每日经济新闻")
    group.add_argument("--search", metavar="WORDS",
                       help='words (all must appear), "exact phrase", a OR b, -word (not), through the '
                            'full-text index (built on first use; `newscrawler index`)')
    if sort:
        group.add_argument("--sort", choices=("newest", "oldest"),
                           help="order (default newest; a search: best match first)")
    group.add_argument("--edited", action="store_true", help="only articles the site edited (earlier versions kept)")
    group.add_argument("--deleted", action="store_true", help="only articles marked deleted (the site no longer serves them)")

def add_bom_argument(parser: argparse.ArgumentParser) -> None:
    """``--no-bom``: CSV starts with the UTF-8 byte order mark unless told not to, so Excel (on
    a Chinese Windows above all) reads it as UTF-8 instead of showing mojibake."""
    parser.add_argument("--no-bom", dest="bom", action="store_false",
                        help="csv: leave out the UTF-8 byte order mark written first (for Excel) by default")


def query_from_args(args: argparse.Namespace, limit: int | None):
    """The ArticleQuery of the parsed filter arguments; bad values exit with 2."""
    _plain_driver_for_the_embedded_server()  # before store.queries imports pymongo
    from newscrawler.store.queries import ArticleQuery, QueryError

    try:
        return ArticleQuery(
            since=args.since, until=args.until,
            category=args.category, author=args.author, tag=args.tag, source=args.source,
            search=args.search, limit=limit, sort=getattr(args, "sort", None) or "newest",
            edited=getattr(args, "edited", False), deleted=getattr(args, "deleted", False),
        )
    except QueryError as exc:
        raise CommandError(str(exc), ExitStatus.USAGE) from None


def fulltext_path():
    """Where the archive's full-text index lives: ``<data dir>/fulltext/<database>``."""
    from newscrawler import config
    from newscrawler.store.fulltext import index_dir

    return index_dir(config.data_dir(), str(config.setting(None, "MONGO_DATABASE")))


def parse_search(text: str):
    """The parsed ``--search`` (segmented as the index is); a search with nothing to look for
    or a dangling OR exits with 2."""
    from newscrawler.store.search_syntax import SearchSyntaxError, parse_search as parse

    try:
        return parse(text)
    except SearchSyntaxError as exc:
        raise CommandError(f"--search: {exc}", ExitStatus.USAGE) from None


def parse_search_aside(text: str) -> Callable[[], Any]:
    """Start parsing ``--search`` (as :func:`parse_search`) in a forked child while this process
    goes on loading the driver; returns the function that gives the parsed search. The
    segmenter's dictionary takes about as long to load as pymongo and holds the interpreter's
    lock meanwhile (a thread would wait for it): in a child the two load side by side, and a
    search from the command line starts that much sooner. Where there is no fork, or threads
    already run (a test calling ``main``), or the child fails (a search the parser refuses:
    said here as usual), the search is parsed in this process."""
    import os
    import threading

    if not hasattr(os, "fork") or threading.active_count() > 1:
        return lambda: parse_search(text)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the child: parse, hand the result over, leave without running anything else
        status = 1
        try:
            os.close(read_end)
            import pickle

            from newscrawler.store.search_syntax import parse_search as parse

            with os.fdopen(write_end, "wb") as out:
                out.write(pickle.dumps(parse(text)))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def parsed():
        import pickle

        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(child, 0)
        return pickle.loads(data) if status == 0 and data else parse_search(text)

    return parsed


def search_index(db, verb: str):
    """The archive's full-text index, brought up to date first: built whole when there is none
    yet (or of an older format, or the archive was replaced), else given what changed since its
    last build (one indexed query when nothing did). Another process updating it: the index is
    searched as it is; building it for the first time: exit 1 saying so."""
    import sys

    from newscrawler.store import fulltext

    path = fulltext_path()
    try:
        if fulltext.is_behind(db, path):
            reason = fulltext.whole_build_reason(db, path)
            if reason:
                print(f"newscrawler {verb}: building the search index ({reason}); once: `newscrawler index` "
                      "and every crawl keep it up to date ...", file=sys.stderr, flush=True)
            result = fulltext.build(db, path, progress=lambda n: print(
                f"newscrawler {verb}: {n} articles indexed ...", file=sys.stderr, flush=True))
            if reason:
                print(f"newscrawler {verb}: search index built: {result.indexed} articles in "
                      f"{result.seconds:.1f} s", file=sys.stderr, flush=True)
    except fulltext.IndexBusy:
        if not fulltext.exists(path):
            raise CommandError(f"the search index of {archive_name()} is being built by another process: "
                               "search again when it has finished") from None
    except OSError as exc:
        if not fulltext.exists(path):
            raise CommandError(f"cannot build the search index at {path}: {exc.strerror or exc}") from None
    return fulltext.FullTextIndex(path)


def article_with_versions(db, reference: str) -> tuple[dict, list[dict]]:
    """The archived article an id or URL names, and its versions oldest first (the current one
    last); a bad reference exits with 2, one not in the archive with 1, saying which archive."""
    from newscrawler.store.queries import QueryError, article_versions, get_article

    try:
        doc = get_article(db, reference)
    except QueryError as exc:
        raise CommandError(str(exc), ExitStatus.USAGE) from None
    if doc is None:
        raise CommandError(f"{reference} is not in {archive_name()}", ExitStatus.FAILURE)
    return doc, article_versions(db, doc)
