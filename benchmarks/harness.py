"""What every benchmark script shares: the import path, timing, report tables, and the processes
they start (a SecantusDB, the replica server). Imports the product and the repo-only replica
package (testing/nbd_replica), never tests/.

A script imports it first (``from harness import ...``: the script's directory is on sys.path),
which puts this checkout ahead of any installed copy.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

REPO = Path(__file__).resolve().parent.parent
for _path in (REPO / "testing", REPO):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from nbd_replica.procs import free_port, mongo_server, replica_process, start_secantus, stop_process  # noqa: E402,F401

STATS: dict[str, Callable[[list[float]], float]] = {
    "median": statistics.median,
    "mean": statistics.mean,
    "min": min,  # best of: the run least disturbed by the rest of the machine
}


def timed(fn: Callable[[], object], repeat: int, stat: str = "median") -> tuple[float, object]:
    """Run ``fn`` ``repeat`` times; (``stat`` of the run times in milliseconds, the last result).
    ``stat``: "median" (default), "mean" or "min"."""
    summarize = STATS[stat]
    times, result = [], None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return summarize(times), result


def percentiles(fn: Callable[[], object], runs: int, warmup: int = 1) -> tuple[float, float, object]:
    """Run ``fn`` ``warmup`` times untimed, then ``runs`` times: (p50, p95 of the run times in
    milliseconds, the last result)."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(max(2, runs)):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20, method="inclusive")[18], result


# -- processes ---------------------------------------------------------------------------------

@contextmanager
def secantus(storage: str | Path, *, cache_size: str | None = None) -> Iterator[str]:
    """A SecantusDB of our own storing under ``storage`` (its log in ``storage``/server.log);
    yields its URI, stops it afterwards."""
    storage = Path(storage)
    (storage / "db").mkdir(parents=True, exist_ok=True)
    proc, uri = start_secantus(str(storage / "db"), cache_size=cache_size, log=storage / "server.log",
                               timeout=60)
    try:
        yield uri
    finally:
        stop_process(proc, 60)


def mongo_description() -> str:
    return "MONGO_URI" if os.environ.get("MONGO_URI") else "SecantusDB started here"


# -- reports -----------------------------------------------------------------------------------

def table(headers: tuple[str, ...] | list[str], rows: list[tuple]) -> str:
    """A Markdown table: the first column left-aligned, the others right-aligned (numbers)."""
    cells = [tuple(headers)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("| " + " | ".join(row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i])
                                       for i in range(len(headers))) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":"
                                        for i, w in enumerate(widths)) + "|")
    return "\n".join(lines)


def print_table(headers, rows: list[tuple]) -> None:
    print(table(headers, rows), flush=True)
