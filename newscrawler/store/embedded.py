"""The embedded default server: a local SecantusDB the product starts and reuses by itself.

Why: archiving must work on a machine where nobody installed MongoDB (there is no mongod
here at all). With no ``MONGO_URI``, the first process that needs the archive starts
``secantusd-py`` on a free loopback port as its OWN detached process (a new session, so
Ctrl-C on a crawl and the crawl's exit leave the database running), and every later process
finds it through a state file and reuses it.

Layout under ``<data_dir>/mongo/``::

    db/            the server's storage (WiredTiger files)
    server.json    state: pid, port, uri, started_at, storage_path
    port           the port chosen at the first start, used again by every later start (a
                   fixed address for tools and firewalls; NEWSCRAWLER_DB_PORT overrides it)
    server.lock    fcntl.flock: start and stop are serialised across processes
    server.log     the server's stdout/stderr, appended
    events.jsonl   the last EVENTS_KEPT starts, restarts and stops: when, why, which pids
    secantusd.toml empty config passed with --config, so no stray ./secantusd.toml or
                   ~/.secantus/secantusd.toml changes how our server runs

A state file counts only when its pid is alive, is a secantusd process on OUR storage (checked
in /proc where there is one, so a recycled pid is never reused or signalled) and the server is
healthy. A stale state file (dead pid) is replaced by a fresh start.

Health is a journaled write (an upsert into ``newscrawler_embedded._health``), not only a ping:
on a full disk WiredTiger panics, and the server then keeps answering ping while every read and
write fails ("internal server error"), even after space is freed. A server that fails the write,
or answers nothing for HUNG_TIMEOUT_MS, is restarted (SIGTERM, then SIGKILL; the data survive,
as after any kill), with a warning in the log and a line in ``events.jsonl``, which
``newscrawler db status`` shows.

SecantusDB 0.7.0b3 is slow to exit on a plain SIGTERM: its accept thread stays blocked in
accept() until its join times out. One TCP connection after the signal wakes it and the
server exits at once, so :func:`stop_embedded_server` does that.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pymongo
from pymongo.errors import PyMongoError

from newscrawler.store.errors import EmbeddedServerError

logger = logging.getLogger(__name__)

SERVER_EXECUTABLE = "secantusd-py"
HOST = "127.0.0.1"
# Seconds from spawn to the first answered ping: START_TIMEOUT, and START_SECONDS_PER_GB more
# for each GB of storage, as the server reads its catalogue before it answers (longer after a
# crash): a server killed for being slow would start over, and a large archive never open.
START_TIMEOUT = 30.0
START_SECONDS_PER_GB = 30.0
LOCK_MARGIN = 30.0  # a concurrent start holds the lock for at most its start timeout, plus this
PING_TIMEOUT_MS = 2000
# Under the lock, a server gets this long to answer (ping and write) before it is taken for
# hung and restarted: far above what a busy server needs, so a concurrent crawl's heavy batch
# never gets its server killed.
HUNG_TIMEOUT_MS = 10_000
RESTART_STOP_TIMEOUT = 10.0  # seconds from SIGTERM to SIGKILL when restarting a sick server
HEALTH_DATABASE = "newscrawler_embedded"  # never the archive's database: dumps stay clean
HEALTH_COLLECTION = "_health"
EVENTS_KEPT = 50
_START_ATTEMPTS = 3  # a free port can be taken between our probe and the server's bind

# Popen objects of servers this process started, kept so they are never garbage-collected
# while running (no ResourceWarning) and so their exit is reaped by poll() (no zombie).
_CHILDREN: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class ServerPaths:
    """Where the embedded server keeps its files, derived from the project data directory."""

    root: Path

    @classmethod
    def for_data_dir(cls, data_dir: str | os.PathLike) -> ServerPaths:
        return cls(Path(data_dir).expanduser().resolve() / "mongo")

    @property
    def storage(self) -> Path:
        return self.root / "db"

    @property
    def state(self) -> Path:
        return self.root / "server.json"

    @property
    def lock(self) -> Path:
        return self.root / "server.lock"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def config(self) -> Path:
        return self.root / "secantusd.toml"

    @property
    def events(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def port(self) -> Path:
        return self.root / "port"


@dataclass(frozen=True)
class Health:
    """What a probe of the server found: ``problem`` is None when it answered and wrote."""

    answers: bool
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def ensure_embedded_server(data_dir: str | os.PathLike, port: int | None = None) -> str:
    """URI of the embedded server for ``data_dir``, starting one if none is running and
    restarting one that is not healthy (see the module's doc).

    ``port`` (NEWSCRAWLER_DB_PORT) is where a server this call starts listens; None: the port
    remembered in the data directory, else a free one, remembered for the next start.

    Safe to call from several processes at once: only one starts a server, the others wait
    on the lock and then reuse it.
    """
    paths = ServerPaths.for_data_dir(data_dir)
    state = _read_state(paths)
    if state and _is_running(state, paths) and probe_health(state["uri"], PING_TIMEOUT_MS).ok:
        return state["uri"]  # the common case: no lock needed
    with _locked(paths):
        state = _read_state(paths)
        if state and _is_running(state, paths):
            health = probe_health(state["uri"], HUNG_TIMEOUT_MS)
            if health.ok:
                return state["uri"]
            return _restart(paths, state, health.problem, port)["uri"]
        if state:
            logger.info("embedded MongoDB server pid %s is gone (or is not ours); starting a new one", state["pid"])
            paths.state.unlink(missing_ok=True)
            reason = f"the server (pid {state['pid']}) had exited"
        else:
            reason = "no server was running"
        started = _start(paths, port)
        _record_event(paths, "started", reason, pid=started["pid"])
        return started["uri"]


def running_server(data_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The state of the embedded server of ``data_dir`` if its process runs, else None; asks
    no server anything (a command deciding whether it would start one)."""
    paths = ServerPaths.for_data_dir(data_dir)
    state = _read_state(paths)
    return state if state and _is_running(state, paths) else None


def probe_health(uri: str, timeout_ms: int) -> Health:
    """Does the server at ``uri`` answer a ping AND take a journaled write within ``timeout_ms``?"""
    client = pymongo.MongoClient(
        uri, directConnection=True, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms, appname="newscrawler-probe", journal=True,
    )
    try:
        try:
            client.admin.command("ping")
        except PyMongoError as exc:
            return Health(answers=False, problem=f"does not answer ({_describe(exc)})")
        try:
            client[HEALTH_DATABASE][HEALTH_COLLECTION].update_one(
                {"_id": "probe"}, {"$set": {"at": datetime.now(timezone.utc), "pid": os.getpid()}}, upsert=True)
        except PyMongoError as exc:
            return Health(answers=True, problem=f"answers ping but a write failed ({_describe(exc)})")
        return Health(answers=True)
    finally:
        client.close()


def embedded_events(data_dir: str | os.PathLike, limit: int = EVENTS_KEPT) -> list[dict[str, Any]]:
    """The last ``limit`` events (started, restarted, restart_failed, stopped), oldest first."""
    return _read_events(ServerPaths.for_data_dir(data_dir))[-limit:]


def embedded_status(data_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The running embedded server's state plus ``responding`` and paths; None if none runs.

    Read-only: a stale state file is reported as "not running" but left for the next start
    to replace.
    """
    paths = ServerPaths.for_data_dir(data_dir)
    state = _read_state(paths)
    if not state or not _is_running(state, paths):
        return None
    health = probe_health(state["uri"], PING_TIMEOUT_MS)
    return {
        **state,
        "responding": health.answers,
        "problem": health.problem,
        "data_dir": str(paths.root.parent),
        "storage_path": str(paths.storage),
        "log": str(paths.log),
    }


def stop_embedded_server(data_dir: str | os.PathLike, timeout: float = 10) -> bool:
    """Stop the embedded server: SIGTERM, wait up to ``timeout`` s, then SIGKILL.

    Returns True if a server was stopped, False if none was running. Without a valid state
    file, a server process still running on this data directory (found in /proc) is stopped
    too, so a lost state file never leaves the storage locked. Data are safe either way
    (SecantusDB survives a kill -9); SIGTERM just closes the storage cleanly.
    """
    paths = ServerPaths.for_data_dir(data_dir)
    with _locked(paths):
        state = _read_state(paths)
        if state and _is_running(state, paths):
            servers = {int(state["pid"]): int(state["port"])}
        else:
            servers = _server_processes(paths)
        _stop(paths, servers, timeout)
        if servers:
            _record_event(paths, "stopped", "asked to stop", pids=sorted(servers))
        return bool(servers)


def find_server_executable() -> str:
    """Path of ``secantusd-py``: beside this Python (the venv) first, then on PATH."""
    beside = Path(sys.executable).with_name(SERVER_EXECUTABLE)
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(SERVER_EXECUTABLE)
    if found:
        return found
    raise EmbeddedServerError(
        f"{SERVER_EXECUTABLE} (the embedded MongoDB-compatible server, package secantusdb) is "
        f"not installed: run ./setup.sh, or set MONGO_URI to use an existing MongoDB server"
    )


def _stop(paths: ServerPaths, servers: dict[int, int | None], timeout: float) -> None:
    """SIGTERM each server, SIGKILL it after ``timeout`` s; then forget the state (lock held)."""
    for pid, port in servers.items():
        logger.info("stopping the embedded MongoDB server (pid %s)", pid)
        _signal(pid, signal.SIGTERM)
        if not _wait_for_exit(pid, timeout, wake_port=port):
            logger.warning("embedded MongoDB server pid %s ignored SIGTERM for %ss; killing it", pid, timeout)
            _signal(pid, signal.SIGKILL)
            if not _wait_for_exit(pid, 5):
                raise EmbeddedServerError(f"could not stop the embedded MongoDB server (pid {pid})")
    paths.state.unlink(missing_ok=True)


def _restart(paths: ServerPaths, state: dict[str, Any], problem: str, port: int | None = None) -> dict[str, Any]:
    """Stop a sick server and start a new one on the same storage (lock held); its state.

    A restart that does not cure it (the disk is still full) is reported with the free space,
    so the next caller tries again rather than reusing a server that cannot write.
    """
    old_pid = int(state["pid"])
    logger.warning("the embedded MongoDB server (pid %s, port %s) %s: restarting it (data %s)",
                   old_pid, state["port"], problem, paths.storage)
    try:
        _stop(paths, {old_pid: int(state["port"])}, RESTART_STOP_TIMEOUT)
        started = _start(paths, port)
        health = probe_health(started["uri"], HUNG_TIMEOUT_MS)
        if not health.ok:
            raise EmbeddedServerError(
                f"the embedded MongoDB server was restarted because it {problem}, and the new one "
                f"(pid {started['pid']}) {health.problem}; {_free_space(paths)} (log: {paths.log})",
                uri=started["uri"])
    except EmbeddedServerError as exc:
        _record_event(paths, "restart_failed", problem, old_pid=old_pid, error=str(exc)[:500])
        raise
    _record_event(paths, "restarted", problem, old_pid=old_pid, pid=started["pid"])
    logger.warning("restarted the embedded MongoDB server: %s (pid %s, was %s)", started["uri"], started["pid"], old_pid)
    return started


def _free_space(paths: ServerPaths) -> str:
    try:
        free = shutil.disk_usage(paths.storage).free
    except OSError:
        return "free space unknown"
    return f"{free / 1024 ** 2:.1f} MB free on {paths.storage}"


# -- starting ---------------------------------------------------------------------------------


def _start(paths: ServerPaths, fixed_port: int | None = None) -> dict[str, Any]:
    """Spawn a detached server, wait for its first ping, write and return its state.

    Its port: ``fixed_port`` (a port in use is an error), else the one remembered in the data
    directory (another one, remembered instead, when something else holds it), else a free
    one, remembered. Called with the lock held.
    """
    exe = find_server_executable()
    paths.storage.mkdir(parents=True, exist_ok=True)
    if not paths.config.exists():
        paths.config.write_text("# newscrawler: defaults only; flags are passed on the command line\n")
    last_error = ""
    if fixed_port and not _port_free(fixed_port):
        raise EmbeddedServerError(_port_taken(fixed_port))
    remembered = None if fixed_port else _remembered_port(paths)
    if remembered and not _port_free(remembered):
        # Taken meanwhile (maybe by another data directory's server, which would answer our
        # ping as if it were ours): another port, remembered instead.
        logger.info("port %s is in use; the embedded MongoDB server takes another one", remembered)
        remembered = None
    timeout = start_timeout(paths.storage)
    for attempt in range(_START_ATTEMPTS):
        port = fixed_port or (remembered if attempt == 0 and remembered else _free_port())
        uri = f"mongodb://{HOST}:{port}"
        log_offset = paths.log.stat().st_size if paths.log.exists() else 0
        with open(paths.log, "ab") as log:
            proc = subprocess.Popen(
                [exe, "--config", str(paths.config), "--host", HOST, "--port", str(port),
                 "--storage-path", str(paths.storage), "--standalone", "--log-level", "WARNING"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=paths.root, start_new_session=True,
            )
        _CHILDREN[proc.pid] = proc
        if _wait_until_up(proc, uri, timeout):
            state = {
                "pid": proc.pid,
                "port": port,
                "uri": uri,
                "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "storage_path": str(paths.storage),
            }
            try:
                _write_state(paths, state)
                if not fixed_port and port != remembered:
                    _write_atomically(paths.port, f"{port}\n")
            except OSError as exc:  # a full disk: don't leave a server nobody can find
                _signal(proc.pid, signal.SIGKILL)
                proc.wait(5)
                raise EmbeddedServerError(
                    f"cannot write {paths.state} ({exc.strerror}); {_free_space(paths)}") from None
            logger.info("started the embedded MongoDB server at %s (pid %s, data %s)", uri, proc.pid, paths.storage)
            return state
        last_error = _read_from(paths.log, log_offset)
        if proc.poll() is None:  # alive but never answered: don't leave it behind
            _signal(proc.pid, signal.SIGKILL)
            proc.wait(5)
            raise EmbeddedServerError(
                f"the embedded MongoDB server did not answer within {timeout:.0f} s; "
                f"see {paths.log}"
            )
        if "Address already in use" not in last_error:
            break
        if fixed_port:
            raise EmbeddedServerError(_port_taken(fixed_port))
        logger.info("port %s is in use; the embedded MongoDB server takes another one", port)
    hint = ""
    if "resource busy" in last_error:
        hint = (" Another server process still uses this storage (a deleted state file?): "
                "`newscrawler db stop` stops it.")
    raise EmbeddedServerError(
        f"the embedded MongoDB server exited at start-up (data {paths.storage}).{hint} "
        f"Last lines of {paths.log}:\n{_tail(last_error)}"
    )


def start_timeout(storage: Path) -> float:
    """How long a server of ``storage`` may take to answer its first ping (see START_TIMEOUT)."""
    try:
        size = sum(entry.stat().st_size for entry in os.scandir(storage) if entry.is_file())
    except OSError:  # no storage yet
        size = 0
    return START_TIMEOUT + START_SECONDS_PER_GB * size / 1e9


def _wait_until_up(proc: subprocess.Popen, uri: str, timeout: float) -> bool:
    """True once ``uri`` answers a ping; False as soon as the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if _ping(uri, 250):
            return True
        time.sleep(0.1)
    return False


def _port_taken(port: int) -> str:
    return (f"port {port} (NEWSCRAWLER_DB_PORT) is in use by another program: free it, or choose "
            f"another port for the embedded MongoDB server")


def _remembered_port(paths: ServerPaths) -> int | None:
    """The port the data directory's server listened on first (None: never started, or unreadable)."""
    try:
        text = paths.port.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else None


def _port_free(port: int) -> bool:
    """Nothing listens on ``port`` (connections of a stopped server waiting out TIME_WAIT do
    not count: they do not keep a new server from binding it)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# -- state file and lock ----------------------------------------------------------------------


def _read_state(paths: ServerPaths) -> dict[str, Any] | None:
    """The state file's content, or None when it is missing or unreadable (treated as stale)."""
    try:
        state = json.loads(paths.state.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable state file %s: %s", paths.state, exc)
        return None
    if not isinstance(state, dict) or not {"pid", "port", "uri"} <= state.keys():
        logger.warning("ignoring incomplete state file %s", paths.state)
        return None
    return state


def _write_state(paths: ServerPaths, state: dict[str, Any]) -> None:
    """Write the state file atomically, so a concurrent reader never sees half of it."""
    _write_atomically(paths.state, json.dumps(state, indent=2) + "\n")


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@contextlib.contextmanager
def _locked(paths: ServerPaths) -> Iterator[None]:
    """Hold the data directory's server lock (exclusive flock), waiting as long as another
    process may hold it to start the server (its start timeout and LOCK_MARGIN)."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with open(paths.lock, "a+b") as fh:
        wait = start_timeout(paths.storage) + LOCK_MARGIN
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EmbeddedServerError(
                        f"another process has held {paths.lock} for over {wait:.0f} s "
                        f"while starting or stopping the embedded MongoDB server"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _record_event(paths: ServerPaths, event: str, reason: str, **details: Any) -> None:
    """Append an event to ``events.jsonl``, keeping the last EVENTS_KEPT; never raises (a full
    disk must not turn a restart that worked into a failure)."""
    entry = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "event": event,
             "reason": reason, **details}
    kept = _read_events(paths)[-(EVENTS_KEPT - 1):] + [entry]
    tmp = paths.events.with_name(f".{paths.events.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in kept), encoding="utf-8")
        os.replace(tmp, paths.events)
    except OSError as exc:
        logger.warning("could not record the embedded server's event %r in %s: %s", event, paths.events, exc)
        with contextlib.suppress(OSError):
            tmp.unlink()


def _read_events(paths: ServerPaths) -> list[dict[str, Any]]:
    try:
        lines = paths.events.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    events = []
    for line in lines:
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                events.append(entry)
    return events


# -- processes --------------------------------------------------------------------------------


def _is_running(state: dict[str, Any], paths: ServerPaths) -> bool:
    """True if the state's pid is alive and, where /proc tells us, is our server process."""
    pid = int(state["pid"])
    if not _pid_alive(pid):
        return False
    args = _cmdline(pid)
    return args is None or _serves(args, paths)


def _server_processes(paths: ServerPaths) -> dict[int, int | None]:
    """{pid: port} of live server processes on this storage, found in /proc (none without it)."""
    found: dict[int, int | None] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                args = _cmdline(int(entry.name))
                if args and _serves(args, paths) and _pid_alive(int(entry.name)):
                    port = args[args.index("--port") + 1] if "--port" in args[:-1] else ""
                    found[int(entry.name)] = int(port) if port.isdigit() else None
    return found


def _cmdline(pid: int) -> list[str] | None:
    """The process's arguments from /proc, None where there is no /proc (macOS) or no process."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [a.decode(errors="replace") for a in raw.split(b"\0")]


def _serves(args: list[str], paths: ServerPaths) -> bool:
    """True if a command line is a secantusd server on our storage."""
    return any(SERVER_EXECUTABLE in a for a in args) and str(paths.storage) in args


def _pid_alive(pid: int) -> bool:
    """True if ``pid`` runs; zombies count as dead (our PID 1 may not reap orphans)."""
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive (and _is_running's /proc check says not ours)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _wait_for_exit(pid: int, timeout: float, wake_port: int | None = None) -> bool:
    """True once ``pid`` has exited; False after ``timeout`` s.

    With ``wake_port``, connects to it every 0.25 s: a stopping SecantusDB sits in accept()
    until a connection arrives (see the module docstring), and a single early connection can
    land before its signal handler closed the socket.
    """
    deadline = time.monotonic() + timeout
    next_wake = time.monotonic() + 0.05  # let the signal handler run first
    while _pid_alive(pid):
        now = time.monotonic()
        if now > deadline:
            return False
        if wake_port and now >= next_wake:
            with contextlib.suppress(OSError), socket.create_connection((HOST, wake_port), timeout=0.2):
                pass
            next_wake = now + 0.25
        time.sleep(0.02)
    return True


def _ping(uri: str, timeout_ms: int) -> bool:
    """True if the server at ``uri`` answers ``ping`` within ``timeout_ms``."""
    client = pymongo.MongoClient(
        uri, directConnection=True, serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms, socketTimeoutMS=timeout_ms, appname="newscrawler-probe",
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _describe(exc: BaseException) -> str:
    """One short line of a driver error (the embedded URI carries no credentials)."""
    text = (str(exc).strip().splitlines() or [""])[0].split(", full error:")[0].split(", Timeout:")[0]
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _read_from(path: Path, offset: int) -> str:
    """What the server wrote to its log since ``offset`` (this start attempt's output)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return fh.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


__all__ = [
    "Health",
    "ServerPaths",
    "embedded_events",
    "embedded_status",
    "ensure_embedded_server",
    "find_server_executable",
    "probe_health",
    "running_server",
    "stop_embedded_server",
]
