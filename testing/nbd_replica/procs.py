"""Processes that tests, benchmarks and the fault scenarios start: one copy of each helper.

A SecantusDB server (the MongoDB of the tests), `scrapy crawl nbd` against a served replica,
the replica in a process of its own, a "trap" HTTP server that a crawl must never reach, and
stopping a process politely first.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pymongo

REPO = Path(__file__).resolve().parents[2]

# Loopback replica: no politeness delays, quick back-off.
FAST_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "RETRY_BACKOFF_BASE": "0.05",
    "DOWNLOAD_TIMEOUT": "10",
    "LOG_LEVEL": "INFO",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate ``proc``, and kill it if it has not exited within ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


# -- MongoDB (SecantusDB) ------------------------------------------------------------------------

def wait_for_mongo(uri: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    """Return once ``uri`` answers a ping; raise if it does not in time (or ``proc`` exited)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with pymongo.MongoClient(uri, serverSelectionTimeoutMS=500) as c:
                c.admin.command("ping")
                return
        except Exception as exc:  # noqa: BLE001 - retry until the deadline
            last = exc
            if proc is not None and proc.poll() is not None:
                break
            time.sleep(0.2)
    raise RuntimeError(f"MongoDB at {uri} did not come up: {last}")


def secantus_executable() -> str:
    """``secantusd-py`` beside this Python (the venv), else on PATH."""
    beside = Path(sys.executable).with_name("secantusd-py")
    return str(beside) if beside.is_file() else "secantusd-py"


def start_secantus(storage: str, port: int | None = None, *, cache_size: str | None = None,
                   log: Path | None = None, timeout: float = 30.0) -> tuple[subprocess.Popen, str]:
    """Start a SecantusDB server process storing in ``storage``; returns (process, uri) once it
    answers. ``log``: file for its output (default: discarded)."""
    port = port or free_port()
    args = [secantus_executable(), "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(storage),
            "--standalone", "--log-level", "WARNING"]
    if cache_size:
        args += ["--cache-size", cache_size]
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    finally:
        if log:
            out.close()
    uri = f"mongodb://127.0.0.1:{port}"
    try:
        wait_for_mongo(uri, timeout, proc)
    except RuntimeError:
        stop_process(proc)
        raise
    return proc, uri


@contextmanager
def mongo_server(storage: str) -> Iterator[str]:
    """MONGO_URI when set, else a SecantusDB started in ``storage`` and stopped afterwards."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    proc, uri = start_secantus(storage)
    try:
        yield uri
    finally:
        stop_process(proc)


# -- crawls ------------------------------------------------------------------------------------

def crawl_command(server, mongo_uri: str, db_name: str, data_dir, *, columns=None,
                  settings: dict | None = None, env: dict | None = None, base_settings: dict = FAST_SETTINGS,
                  feeds: tuple = (), **spider_args) -> tuple[list[str], dict]:
    """(argv, environment) of `scrapy crawl nbd` against the replica, into ``db_name``; each of
    ``feeds`` (file paths) is written as Scrapy's ``-O`` does (format from the extension)."""
    site_columns = columns if columns is not None else ",".join(str(c) for c in sorted(server.site.column_ids))
    args = [sys.executable, "-m", "scrapy", "crawl", "nbd", "-a", f"columns={site_columns}"]
    for key, value in spider_args.items():
        args += ["-a", f"{key}={value}"]
    for key, value in {**base_settings, **(settings or {})}.items():
        args += ["-s", f"{key}={value}"]
    for feed in feeds:
        args += ["-O", str(feed)]
    run_env = {**os.environ, "NBD_BASE_URL": server.base_url, "MONGO_URI": mongo_uri,
               "MONGO_DATABASE": db_name, "NEWSCRAWLER_DATA_DIR": str(data_dir),
               "IMAGES_STORE": str(Path(data_dir) / "images"), **(env or {})}
    return args, run_env


def crawl(server, mongo_uri: str, db_name: str, data_dir, *, timeout: float = 180,
          **options) -> subprocess.CompletedProcess:
    """`scrapy crawl nbd` against the replica; returns the finished process (output in .stdout)."""
    args, run_env = crawl_command(server, mongo_uri, db_name, data_dir, **options)
    return subprocess.run(args, cwd=REPO, env=run_env, capture_output=True, text=True, timeout=timeout)


# -- the replica in a process of its own -------------------------------------------------------

def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}")


@contextmanager
def replica_process(articles: int, seed: int, *, latency: float = 0.0, load_more: bool = True) -> Iterator[str]:
    """`python -m nbd_replica.server` in a process of its own (so serving costs the measured
    process nothing); yields its base URL."""
    port = free_port()
    args = [sys.executable, "-m", "nbd_replica.server", "--articles", str(articles), "--seed", str(seed),
            "--port", str(port), "--latency", str(latency)]
    if not load_more:
        args.append("--no-load-more")
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


# -- trap server -------------------------------------------------------------------------------

class _TrapHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@contextmanager
def trap_server(host: str = "127.0.0.2") -> Iterator[ThreadingHTTPServer]:
    """A server on ``host`` that a crawl must never reach; ``.url`` is its origin, ``.hits``
    lists the paths it was asked for (must stay empty)."""
    server = ThreadingHTTPServer((host, 0), _TrapHandler)
    server.daemon_threads = True
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    server.url = f"http://{host}:{server.server_address[1]}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
