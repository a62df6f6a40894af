"""`newscrawler db status|start|stop`: the archive's MongoDB, embedded or external.

``status`` says which server the crawler would use (``MONGO_URI`` or the embedded SecantusDB
under ``NEWSCRAWLER_DATA_DIR``), whether it runs, answers and takes a write, the embedded
server's last starts and restarts (when and why), and how many articles and spooled items
there are. ``start`` / ``stop`` manage the embedded server; a crawl starts it by itself,
so ``start`` is only needed to query the archive before any crawl ran. ``dump``, ``restore`` and
``copy`` move the archive (``_portable.py``).
"""

from __future__ import annotations

from newscrawler.cli import CommandError, ExitStatus
from newscrawler.cli.commands import _portable

STATUS_TIMEOUT_MS = 3000  # status must answer quickly even when the server is unreachable
EVENTS_SHOWN = 5  # the embedded server's last starts, restarts and stops
_EPILOG = ("status exits with 1 when the server is not running, not reachable or not healthy. "
           "Settings: MONGO_URI, MONGO_DATABASE, NEWSCRAWLER_DATA_DIR (environment or settings.py).")


def register(subparsers) -> None:
    p = subparsers.add_parser("db", help="status / start / stop of the archive's MongoDB server; dump / restore / copy",
                              description="Status, start and stop of the archive's MongoDB server: the embedded "
                                          "SecantusDB, or the server MONGO_URI names. dump, restore and copy move "
                                          "the archive out of it and into another MongoDB.", epilog=_EPILOG)
    p.add_argument("action", choices=("status", "start", "stop", *_portable.ACTIONS), nargs="?", default="status",
                   help="what to do (default: status); dump, restore and copy move the archive")
    p.add_argument("--data-dir", help="project data directory (default: NEWSCRAWLER_DATA_DIR, else the checkout's data/ if it exists, else the per-user data directory)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="stop: seconds to wait after SIGTERM before SIGKILL (default 10)")
    _portable.add_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler.store.errors import ArchiveError

    settings = _settings(args)
    try:
        if args.action in _portable.ACTIONS:
            return _portable.run(args.action, args, settings)
        return {"status": _status, "start": _start, "stop": _stop}[args.action](args, settings)
    except ArchiveError as exc:
        raise CommandError(str(exc)) from None


def _settings(args):
    """Project settings (settings.py reads the environment), with --data-dir applied."""
    from newscrawler.crawl.runner import project_settings

    return project_settings({"NEWSCRAWLER_DATA_DIR": args.data_dir} if args.data_dir else None)


def _status(args, settings) -> int:
    from newscrawler import config
    from newscrawler.store.connection import redact_uri
    from newscrawler.store.embedded import ServerPaths, embedded_events, embedded_status

    data_dir = config.data_dir(settings)
    database = config.setting(settings, "MONGO_DATABASE")
    external = config.setting(settings, "MONGO_URI")
    server = embedded_status(data_dir)
    rows: list[tuple[str, object]] = []
    if external:
        uri = external
        rows.append(("MongoDB", f"{redact_uri(uri)} (MONGO_URI; the embedded server is not used)"))
        if server:
            rows.append(("embedded", f"also running (pid {server['pid']}, port {server['port']}); "
                                     f"`newscrawler db stop` stops it"))
    elif server:
        uri = server["uri"]
        answering = "answering" if server["responding"] else "NOT answering"
        health = "healthy" if server["problem"] is None else "NOT healthy"
        rows += [("MongoDB", f"{redact_uri(uri)} (embedded SecantusDB, {answering}, {health})"),
                 ("pid", server["pid"]), ("port", server["port"]), ("started", server.get("started_at")),
                 ("data dir", server["storage_path"]), ("log", server["log"])]
        if server["problem"]:
            rows.append(("problem", f"it {server['problem']}; the next crawl (or `newscrawler db start`) "
                                    f"restarts it"))
        rows += _event_rows(embedded_events(data_dir, limit=EVENTS_SHOWN))
    else:
        print(f"No embedded MongoDB server is running (data dir {ServerPaths.for_data_dir(data_dir).root}).\n"
              f"A crawl starts it by itself; `newscrawler db start` starts it now. "
              f"Set MONGO_URI to use another MongoDB server.")
        _print_rows([("spooled", _spooled(data_dir)), *_event_rows(embedded_events(data_dir, limit=EVENTS_SHOWN))])
        return ExitStatus.FAILURE
    rows.append(("database", database))
    count, error = _count_articles(uri, database)
    rows.append(("articles", count if error is None else f"unknown: {error}"))
    rows.append(("spooled", _spooled(data_dir)))
    _print_rows(rows)
    healthy = error is None and not (server and not external and server["problem"])
    return ExitStatus.OK if healthy else ExitStatus.FAILURE


def _event_rows(events: list[dict]) -> list[tuple[str, str]]:
    """The embedded server's recent starts, restarts and stops, newest first: what and when."""
    rows = []
    for event in reversed(events):
        pids = (f"pid {event['old_pid']} -> {event['pid']}" if "old_pid" in event and "pid" in event
                else f"pid {event.get('pid', event.get('old_pid', event.get('pids', '?')))}")
        line = f"{event.get('at')} {event.get('event')} ({pids}): {event.get('reason')}"
        if event.get("error"):
            line += f"; {event['error'].splitlines()[0]}"
        rows.append(("event" if rows else "events", line))
    return rows


def _start(args, settings) -> int:
    from newscrawler import config
    from newscrawler.store.connection import redact_uri
    from newscrawler.store.embedded import embedded_status, ensure_embedded_server

    data_dir = config.data_dir(settings)
    if config.setting(settings, "MONGO_URI"):
        print(f"note: MONGO_URI is set ({redact_uri(config.setting(settings, 'MONGO_URI'))}); "
              f"the crawler uses that server, not this embedded one")
    before = embedded_status(data_dir)
    uri = ensure_embedded_server(data_dir)
    server = embedded_status(data_dir) or {}
    verb = "already running" if before and before["pid"] == server.get("pid") else "started"
    print(f"embedded MongoDB server {verb}: {uri} (pid {server.get('pid')}, data {server.get('storage_path')})")
    return ExitStatus.OK


def _stop(args, settings) -> int:
    from newscrawler import config
    from newscrawler.store.embedded import embedded_status, stop_embedded_server

    data_dir = config.data_dir(settings)
    server = embedded_status(data_dir)
    if stop_embedded_server(data_dir, timeout=args.timeout):
        pid = f" (pid {server['pid']})" if server else ""
        print(f"stopped the embedded MongoDB server{pid}")
    else:
        print("no embedded MongoDB server is running")
    return ExitStatus.OK


def _count_articles(uri: str, database: str) -> tuple[int | None, str | None]:
    """(number of articles, None) or (None, why not) -- never raises, never prints credentials."""
    from pymongo.errors import PyMongoError

    from newscrawler.store.connection import describe_error, get_client
    from newscrawler.store.indexes import ARTICLES

    client = get_client(uri, serverSelectionTimeoutMS=STATUS_TIMEOUT_MS, connectTimeoutMS=STATUS_TIMEOUT_MS)
    try:
        return client[database][ARTICLES].estimated_document_count(), None
    except PyMongoError as exc:
        return None, f"not reachable ({describe_error(exc)})"
    finally:
        client.close()


def _spooled(data_dir) -> str:
    from newscrawler.store.spool import Spool, spool_directory

    directory = spool_directory(data_dir)
    pending = Spool(directory).pending()
    return f"{pending} item(s) waiting in {directory}" if pending else "none"


def _print_rows(rows) -> None:
    width = max(len(label) for label, _ in rows) + 1
    for label, value in rows:
        print(f"{label + ':':<{width}} {value}")
