"""The write path side by side: this checkout against other revisions, in one run (prints figures).

Usage: python benchmarks/bench_write.py [--against main[,REV...]] [--articles 6000] [--chunk 500]
                                        [--batch 100] [--workdir DIR] [--unjournaled]

Every revision (``--against``: git revisions, exported with ``git archive`` into the workdir; and
this checkout as it is on disk) writes the same generated articles (``generated.Generator``: the
archive grown as a backfill, bench_scale's articles) through its own ``ArticleStore.write_articles``
in batches of ``--batch`` (default: as the crawl's pipeline writes them, MONGO_BATCH_SIZE) into
its own fresh SecantusDB, with the kept ``stats`` counts built first and the crawl's write
concern (journaled, ``journaled_options``; ``--unjournaled`` for the driver's default). Each revision's writer is a process of its own that
imports that revision's code. The revisions take turns, a chunk of articles each, so the
machine's other load falls on all of them alike.

Per revision it prints writes a second (overall, the median chunk, the slowest chunk), where the
time goes (the server's time per command and collection, from pymongo's command monitoring, per
100 articles), and bytes per article once every server has stopped (its last checkpoint
written): on disk without the journal, the documents' table and the index entries apart, and
dbStats' data and index sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REFERENCE = "2026-11-01T00:00:00+00:00"  # the newest article's time: every revision writes the same ones


# -- the writer: one process per revision, importing that revision's code -------------------------

def worker(source: str, uri: str, journaled: bool) -> None:
    """Answer commands from stdin, one JSON object a line: write articles, report dbStats, quit."""
    import datetime as dt

    sys.path.insert(0, source)
    from pymongo import monitoring

    from generated import Generator
    import newscrawler
    from newscrawler.store.connection import get_client, journaled_options
    from newscrawler.store.counts import rebuild_counts
    from newscrawler.store.store import ArticleStore

    if not Path(newscrawler.__file__).resolve().is_relative_to(Path(source).resolve()):
        raise SystemExit(f"imported {newscrawler.__file__}, not the revision in {source}")
    spent: Counter = Counter()
    calls: Counter = Counter()

    class Started(monitoring.CommandListener):
        """pymongo's succeeded event carries no command: the collection is taken when it starts."""
        def __init__(self):
            self.names: dict[int, str] = {}

        def started(self, event):
            collection = event.command.get(event.command_name)
            self.names[event.request_id] = (f"{event.command_name} {collection}" if isinstance(collection, str)
                                            else event.command_name)

        def succeeded(self, event):
            key = self.names.pop(event.request_id, event.command_name)
            spent[key] += event.duration_micros / 1e6
            calls[key] += 1

        def failed(self, event):
            self.names.pop(event.request_id, None)

    client = get_client(uri, event_listeners=[Started()], **(journaled_options(uri) if journaled else {}))
    db = client["nc_bench_write"]
    store = ArticleStore(db, uri=uri)
    store.ensure_indexes()
    rebuild_counts(db)  # from now on the write path keeps the stats counts, as in a real archive
    generator = Generator(dt.datetime.fromisoformat(REFERENCE))
    spent.clear()
    calls.clear()
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "write":
            seconds = 0.0
            for start in range(command["first"], command["last"], command["batch"]):
                docs = [generator.article(i) for i in range(start, min(start + command["batch"], command["last"]))]
                t = time.perf_counter()
                store.write_articles(docs, "bench-write")
                seconds += time.perf_counter() - t
            answer = {"seconds": seconds}
        elif command["op"] == "stats":
            answer = {"spent": dict(spent), "calls": dict(calls)}  # the writes' commands, not dbStats
            stats = db.command("dbStats")
            answer.update(data=stats.get("dataSize", 0), index=stats.get("indexSize", 0))
        else:
            client.close()
            return
        print(json.dumps(answer), flush=True)


# -- the run ---------------------------------------------------------------------------------------

class Writer:
    """A revision's writer process and its server."""

    def __init__(self, label: str, source: Path, uri: str, storage: Path, journaled: bool):
        self.label, self.storage = label, storage
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["PYTHONPATH"] = os.pathsep.join([str(source), str(source / "testing")])
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCHMARKS / "bench_write.py"), "--worker", str(source), uri,
             "--unjournaled" if not journaled else "--journaled"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=str(source))
        self.chunks: list[tuple[int, float]] = []  # (articles, seconds)

    def ask(self, **command) -> dict:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the writer of {self.label} stopped (exit {self.proc.wait()})")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.flush()
            self.proc.wait(60)


def export(rev: str, workdir: Path) -> tuple[str, Path]:
    """``rev``'s tree exported into the workdir (git archive); (label, path)."""
    repo = BENCHMARKS.parent
    short = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", rev], check=True,
                           capture_output=True, text=True).stdout.strip()
    target = workdir / f"src-{re.sub(r'[^A-Za-z0-9._-]', '_', rev)}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(repo), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return f"{rev} ({short})", target


def this_checkout() -> str:
    repo = BENCHMARKS.parent
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "newscrawler"],
                           capture_output=True, text=True).stdout.strip()
    return f"this checkout ({head}{' + changes' if dirty else ''})"


def disk(storage: Path) -> dict[str, int]:
    files = [f for f in storage.rglob("*") if f.is_file() and f.suffix == ".wt"]
    return {"all": sum(f.stat().st_size for f in files),
            "documents": sum(f.stat().st_size for f in files if f.name.startswith("secantus_documents_")),
            "index entries": sum(f.stat().st_size for f in files if f.name == "secantus_index_entries.wt")}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], journaled=sys.argv[4] != "--unjournaled")
        return 0
    sys.path.insert(0, str(BENCHMARKS))
    from harness import print_table, secantus

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", default="main", help="git revisions to compare with this checkout, comma-separated")
    ap.add_argument("--articles", type=int, default=6000, help="articles each revision writes")
    ap.add_argument("--chunk", type=int, default=500, help="articles a revision writes before the next one's turn")
    ap.add_argument("--batch", type=int, default=100, help="articles per write_articles call (the crawl's: 100)")
    ap.add_argument("--workdir", help="where the exported revisions and the servers' storage go (default: a temporary one)")
    ap.add_argument("--unjournaled", action="store_true", help="the driver's default write concern, not the crawl's j: true")
    args = ap.parse_args()
    if not 0 < args.batch <= min(args.articles, args.chunk):
        ap.error("--batch must be positive and at most --articles and --chunk")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench_write_")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    sources = [export(rev.strip(), workdir) for rev in args.against.split(",") if rev.strip()]
    sources.append((this_checkout(), BENCHMARKS.parent))
    journaled = not args.unjournaled
    print(f"bench_write: {args.articles:,} articles per revision, chunks of {args.chunk:,}, batches of {args.batch}, "
          f"{'journaled (j: true)' if journaled else 'unjournaled'}; revisions: {', '.join(s[0] for s in sources)}",
          flush=True)
    writers: list[Writer] = []
    stats: dict[str, dict] = {}
    with ExitStack() as stack:
        for n, (label, source) in enumerate(sources):
            storage = workdir / f"server-{n}"
            shutil.rmtree(storage, ignore_errors=True)
            uri = stack.enter_context(secantus(storage))
            writer = Writer(label, source, uri, storage, journaled)
            stack.callback(writer.close)
            writers.append(writer)
        for first in range(0, args.articles, args.chunk):
            last = min(first + args.chunk, args.articles)
            rates = []
            for writer in writers:
                seconds = writer.ask(op="write", first=first, last=last, batch=args.batch)["seconds"]
                writer.chunks.append((last - first, seconds))
                rates.append(f"{(last - first) / seconds:.0f}")
            print(f"  {last:,} articles: {' / '.join(rates)} writes/s", flush=True)
        for writer in writers:
            stats[writer.label] = writer.ask(op="stats")
    # Every server has stopped here: its files hold the last checkpoint.
    n = args.articles
    base = sum(c[0] for c in writers[0].chunks) / sum(c[1] for c in writers[0].chunks)
    print()
    print_table(("revision", "writes/s overall", f"median chunk of {args.chunk}", "slowest chunk", "vs first"), [
        (w.label, f"{sum(c[0] for c in w.chunks) / sum(c[1] for c in w.chunks):.0f}",
         f"{statistics.median(a / s for a, s in w.chunks):.0f}", f"{min(a / s for a, s in w.chunks):.0f}",
         f"{sum(c[0] for c in w.chunks) / sum(c[1] for c in w.chunks) / base:.2f}x") for w in writers])
    print()
    rows = []
    for w in writers:
        spent, calls = stats[w.label]["spent"], stats[w.label]["calls"]
        total = sum(c[1] for c in w.chunks)
        for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
            if seconds / total >= 0.005:
                rows.append((w.label, key, f"{calls[key] / (n / 100):.1f}", f"{seconds / (n / 100) * 1000:.1f}",
                             f"{seconds / total:.0%}"))
    print_table(("revision", "command and collection", "calls per 100 articles", "server ms per 100 articles",
                 "share of write time"), rows)
    print()
    print_table(("revision", "KB/article on disk (no journal)", "documents", "index entries", "dbStats data",
                 "dbStats index"), [
        (w.label, *(f"{disk(w.storage)[k] / n / 1024:.2f}" for k in ("all", "documents", "index entries")),
         f"{stats[w.label]['data'] / n / 1024:.2f}", f"{stats[w.label]['index'] / n / 1024:.2f}") for w in writers])
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
