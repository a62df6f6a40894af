"""`newscrawler serve [--host 127.0.0.1] [--port 8000] [--token TOKEN]`: the web app over the
archive (newscrawler/web/): search, articles with their versions and diffs, the crawls, and a
JSON API under /api (OpenAPI at /openapi.json).

Read-only. Listens on loopback by default; any other address needs a token (``--token`` or
NEWSCRAWLER_WEB_TOKEN), which every request must then carry. The socket is bound here, before
the server starts, so an address in use is one sentence (exit 1), not a server's traceback.
"""

from __future__ import annotations

import logging
import re
import socket
import sys

from newscrawler.cli import CommandError, ExitStatus
from newscrawler.cli.commands._archive import archive_database, archive_name, fulltext_path, search_index


def _port(text: str) -> int:
    import argparse

    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (1-65535): {text!r}")
    return int(text)


def register(subparsers) -> None:
    from newscrawler import config

    p = subparsers.add_parser("serve", help="browse and query the archive in a web browser (read-only)",
                              description="A read-only web app over the archive: search, articles with their "
                                          "versions and diffs, the crawls dashboard, and a JSON API under /api "
                                          "(OpenAPI at /openapi.json). Listens on loopback unless given a token.")
    p.add_argument("--host", default=config.DEFAULTS["NEWSCRAWLER_WEB_HOST"],
                   help="address to listen on (default %(default)s; any non-loopback address needs a token)")
    p.add_argument("--port", type=_port, default=config.DEFAULTS["NEWSCRAWLER_WEB_PORT"],
                   help="port (default %(default)s)")
    p.add_argument("--token", help="require this token of every request (default: NEWSCRAWLER_WEB_TOKEN; "
                                   "prefer the variable: a command line is visible to other users)")
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler import config
    from newscrawler.web.access import UnsafeBind, check_bind, loopback_hosts

    token = args.token if args.token is not None else config.setting(None, "NEWSCRAWLER_WEB_TOKEN")
    token = str(token) if token else None
    try:
        check_bind(args.host, token)
    except UnsafeBind as exc:
        raise CommandError(str(exc), ExitStatus.USAGE) from None
    sock = _bound_socket(args.host, args.port)
    try:
        with archive_database() as db:
            # Searches then find every archived article: the index built when there is none yet
            # (saying so), else given what changed since its last update.
            try:
                search_index(db, "serve")
            except CommandError as exc:  # being built by another process: searches say so until it is
                print(f"newscrawler serve: {exc}", file=sys.stderr, flush=True)
            return _serve(db, sock, args, token, None if token else loopback_hosts(args.host))
    finally:
        sock.close()


def _bound_socket(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CommandError(f"cannot listen on {host}: {exc.strerror}", ExitStatus.USAGE) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise CommandError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class _RedactToken(logging.Filter):
    """Access log lines without the ``?token=`` a browser opens the app with once."""

    _TOKEN = re.compile(r"(token=)[^&\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(self._TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


def _serve(db, sock: socket.socket, args, token: str | None, allowed_hosts) -> int:
    import uvicorn

    from newscrawler import config
    from newscrawler.web.app import create_app
    from newscrawler.web.reader import WebConfig

    web = WebConfig(fulltext_path=fulltext_path(), images_store=config.images_store(), warc_dir=config.warc_dir(),
                    token=token, allowed_hosts=allowed_hosts, archive_name=archive_name())
    app = create_app(db, web)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Serving {web.archive_name} at http://{shown}:{args.port}/ (read-only; Ctrl-C stops)", flush=True)
    if token:
        print("Every request needs the token: open the address once with ?token=YOUR_TOKEN in a browser, "
              "or send 'Authorization: Bearer YOUR_TOKEN'", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="info", server_header=False, proxy_headers=False))
    logging.getLogger("uvicorn.access").addFilter(_RedactToken())  # after uvicorn configured its logging
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shut down cleanly, then passed Ctrl-C on: a server's normal end
        pass
    return ExitStatus.OK
