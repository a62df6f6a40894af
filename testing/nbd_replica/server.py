"""Serve a :class:`~nbd_replica.site.ReplicaSite` over HTTP on loopback.

End-to-end tests and benchmarks crawl the replica through a real socket, so Scrapy's whole
download stack (timeouts, retries, size limits, encodings) is exercised, not mocked. This module
is only the transport: it passes each request to ``site.handle`` with the served origin (pages
are rendered for that origin, so every followable link stays on it) and carries out the
answer, including the misbehaviours a fault asks for (delay, reset, truncation).

In a test::

    with serve(ReplicaSite(specs)) as server:
        crawl(server.base_url)

By hand or for benchmarks::

    python -m nbd_replica.server --articles 200 --port 8765
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

from nbd_replica.site import ReplicaSite, Response

_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive: crawlers reuse connections
    server_version = "nginx"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle + delayed ACK add
        # 40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._answer()

    do_HEAD = do_POST = do_GET

    def log_message(self, format, *args) -> None:  # noqa: A002 - the site keeps its own log
        pass

    def _answer(self) -> None:
        if self.command not in ("GET", "HEAD"):
            self.close_connection = True  # the request body is never read
        resp = self.server.site.handle(self.command, self.path, dict(self.headers.items()),
                                       self.server.base_url)
        if resp.delay:
            time.sleep(resp.delay)
        try:
            if resp.abort == "reset":
                self._reset()
            else:
                self._send(resp)
        except _CLIENT_GONE:
            self.close_connection = True

    def _send(self, resp: Response) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers:
            self.send_header(name, value)
        if resp.abort == "truncate":
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if resp.abort == "truncate":
            self.wfile.write(resp.body[: len(resp.body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(resp.body)

    def _reset(self) -> None:
        """Close with a TCP RST and no answer (linger 0), as an overloaded proxy does."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True          # a handler sleeping in a delay fault must not block stop()
    request_queue_size = 256       # benchmarks open many connections at once
    allow_reuse_address = True


class RunningServer:
    """A replica served in a background thread; ``base_url`` is its origin."""

    def __init__(self, site: ReplicaSite, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self._httpd = _Server((host, port), _Handler)
        bound_host, bound_port = self._httpd.server_address[:2]
        if bound_host in ("0.0.0.0", ""):
            bound_host = "127.0.0.1"
        self.base_url = f"http://{bound_host}:{bound_port}"
        self._httpd.site, self._httpd.base_url = site, self.base_url
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"replica-{bound_port}", daemon=True)
        self._thread.start()
        self._stopped = False

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(5)

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def serve(site: ReplicaSite, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningServer]:
    """Serve ``site`` for the duration of the block (port 0: any free port)."""
    server = RunningServer(site, host, port)
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbd_replica.server",
                                     description="Serve a replica of 每经网 with generated articles.")
    parser.add_argument("--articles", type=int, default=200, help="how many articles (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--per-page", type=int, default=20, help="articles per column page")
    parser.add_argument("--no-load-more", action="store_true", help="columns offer no 加载更多")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds every answer waits, like a remote site (default 0)")
    args = parser.parse_args(argv)

    from nbd_replica.corpus import generate_articles  # written alongside; lazy

    site = ReplicaSite(generate_articles(args.articles, seed=args.seed), columns_per_page=args.per_page,
                       load_more=not args.no_load_more, log_size=10_000)
    if args.latency > 0:
        site.faults.add(r".*", "delay", count=None, seconds=args.latency)
    with serve(site, args.host, args.port) as server:
        print(f"serving {args.articles} articles in {len(site.column_ids)} columns at {server.base_url}",
              flush=True)
        for cid in site.column_ids:
            print(f"  {server.base_url}/columns/{cid}  ({len(site.listing(cid))} articles)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
