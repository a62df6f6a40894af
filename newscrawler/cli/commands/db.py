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
    p.add_argument("--json", action="store_true", dest="json",
                   help="status: as JSON, for scripts (same exit code); dump, restore, copy: the report as JSON")
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


def _settings(args) -> dict:
    """The settings this verb reads (config.py: the environment, else the defaults), with
    --data-dir applied; no Scrapy."""
    return {"NEWSCRAWLER_DATA_DIR": args.data_dir} if args.data_dir else {}


def server_status(settings) -> dict:
    """What ``status`` reports, as data (``--json`` prints it): which server, whether it runs,
    answers and takes a write, the articles, the spool and the embedded server's last events."""
    from newscrawler import config
    from newscrawler.store.connection import redact_uri
    from newscrawler.store.embedded import ServerPaths, embedded_events, embedded_status
    from newscrawler.store.spool import Spool, spool_directory

    data_dir = config.data_dir(settings)
    external = config.setting(settings, "MONGO_URI")
    server = embedded_status(data_dir)
    spool = spool_directory(data_dir)
    status: dict = {
        "mongo_uri": redact_uri(external) if external else (server or {}).get("uri"),
        "embedded": not external,
        "database": config.setting(settings, "MONGO_DATABASE"),
        "data_dir": str(data_dir),
        "running": bool(external) or server is not None,
        "answering": None, "healthy": None, "problem": None,
        "articles": None, "error": None,
        "spooled": Spool(spool).pending(), "spool_dir": str(spool),
        "embedded_server": None,
        "events": embedded_events(data_dir, limit=EVENTS_SHOWN),
    }
    if server:
        status["embedded_server"] = {key: server.get(key) for key in ("pid", "port", "started_at", "storage_path", "log")}
        if not external:
            status.update(answering=server["responding"], healthy=server["problem"] is None,
                          problem=server["problem"])
    else:
        status["server_root"] = str(ServerPaths.for_data_dir(data_dir).root)
    uri = external or (server or {}).get("uri")
    if uri and status["running"]:
        status["articles"], status["error"] = _count_articles(uri, status["database"])
        if external:  # running: as far as can be told from here, it answers
            status["running"] = status["answering"] = status["healthy"] = status["error"] is None
    return status


def _status(args, settings) -> int:
    status = server_status(settings)
    healthy = status["running"] and status["error"] is None and status["healthy"] is not False
    if args.json:
        import json

        print(json.dumps(status, ensure_ascii=False, indent=2))
        return ExitStatus.OK if healthy else ExitStatus.FAILURE
    server = status["embedded_server"]
    rows: list[tuple[str, object]] = []
    if not status["embedded"]:
        rows.append(("MongoDB", f"{status['mongo_uri']} (MONGO_URI; the embedded server is not used)"))
        if server:
            rows.append(("embedded", f"also running (pid {server['pid']}, port {server['port']}); "
                                     f"`newscrawler db stop` stops it"))
    elif server:
        answering = "answering" if status["answering"] else "NOT answering"
        health = "healthy" if status["healthy"] else "NOT healthy"
        rows += [("MongoDB", f"{status['mongo_uri']} (embedded SecantusDB, {answering}, {health})"),
                 ("pid", server["pid"]), ("port", server["port"]), ("started", _beijing(server.get("started_at"))),
                 ("data dir", server["storage_path"]), ("log", server["log"])]
        if status["problem"]:
            rows.append(("problem", f"it {status['problem']}; the next crawl (or `newscrawler db start`) "
                                    f"restarts it"))
        rows += _event_rows(status["events"])
    else:
        print(f"No embedded MongoDB server is running (data dir {status['server_root']}).\n"
              f"A crawl starts it by itself; `newscrawler db start` starts it now. "
              f"Set MONGO_URI to use another MongoDB server.")
        _print_rows([("spooled", _spooled(status)), *_event_rows(status["events"])])
        return ExitStatus.FAILURE
    rows.append(("database", status["database"]))
    rows.append(("articles", status["articles"] if status["error"] is None else f"unknown: {status['error']}"))
    rows.append(("spooled", _spooled(status)))
    _print_rows(rows)
    return ExitStatus.OK if healthy else ExitStatus.FAILURE


def _event_rows(events: list[dict]) -> list[tuple[str, str]]:
    """The embedded server's recent starts, restarts and stops, newest first: what and when."""
    rows = []
    for event in reversed(events):
        pids = (f"pid {event['old_pid']} -> {event['pid']}" if "old_pid" in event and "pid" in event
                else f"pid {event.get('pid', event.get('old_pid', event.get('pids', '?')))}")
        line = f"{_beijing(event.get('at'))} {event.get('event')} ({pids}): {event.get('reason')}"
        if event.get("error"):
            line += f"; {event['error'].splitlines()[0]}"
        rows.append(("event" if rows else "events", line))
    return rows


def _beijing(stamp) -> str:
    """An ISO time stamp of the state or events file (UTC) in Beijing time, for people."""
    import datetime as dt

    from newscrawler.timeutil import beijing_text

    try:
        return beijing_text(dt.datetime.fromisoformat(str(stamp)))
    except ValueError:
        return str(stamp)


def _start(args, settings) -> int:
    from newscrawler import config
    from newscrawler.store.connection import redact_uri
    from newscrawler.store.embedded import embedded_status, ensure_embedded_server

    from newscrawler.store.connection import embedded_port

    data_dir = config.data_dir(settings)
    if config.setting(settings, "MONGO_URI"):
        print(f"note: MONGO_URI is set ({redact_uri(config.setting(settings, 'MONGO_URI'))}); "
              f"the crawler uses that server, not this embedded one")
    before = embedded_status(data_dir)
    uri = ensure_embedded_server(data_dir, embedded_port(settings))
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


def _spooled(status: dict) -> str:
    return f"{status['spooled']} item(s) waiting in {status['spool_dir']}" if status["spooled"] else "none"


def _print_rows(rows) -> None:
    width = max(len(label) for label, _ in rows) + 1
    for label, value in rows:
        print(f"{label + ':':<{width}} {value}")
