"""The archive at the size of the whole site: 10k, 100k and 1M generated articles (prints figures).

Usage: python benchmarks/bench_scale.py --workdir DIR [--sizes 10000,100000,1000000] [--runs 30]
                                        [--baseline 3000]

Run by hand, in the background for the large sizes (1M articles on 2 cores takes hours)::

    nohup nice python benchmarks/bench_scale.py --workdir /work/bench-scale/run > /work/bench-scale/run.log 2>&1 &

Resumable: the generated archive (the product's embedded SecantusDB, data directory DIR/data:
its storage in DIR/data/mongo, the search index in DIR/data/fulltext, so the command line finds
both as a user's would) and the progress (DIR/progress.json: articles written, write times, the
figures of every size measured) stay in ``--workdir``; run the same command again and it
continues where it stopped (a size already measured is printed again, not measured again). The
embedded server is stopped at the end.

The archive grows through the product's write path (``ArticleStore.write_articles``, batches
of 100 as the crawl's pipeline writes them, journaled as the crawl writes, kept ``stats`` counts
included) with generated articles (``generated.py``: Chinese text with jieba's dictionary
frequencies, as bench_query makes, each article drawn from its own seed so a resumed run writes
the same ones); the search index is brought up to date (``fulltext.build``) after every
``--index-every`` articles, as the crawl does after its writes, and at each size. Per size it prints:

* writes a second through the write path (only the ``write_articles`` calls timed), overall and
  the slowest chunk of 10,000 (sustained), and the index build rate;
* bytes per article on disk after a checkpoint: MongoDB's storage (its journal's share apart)
  and the search index apart (and MongoDB's own dbStats data and index sizes);
* p50/p95 of searches as ``query --search`` answers them (the index, then MongoDB for the 20
  articles shown): a rare word, a frequent word, two frequent words, a phrase, each without and
  with filters (a category and the last 30 days), and the count alone;
* p50/p95 of listings (latest 20; a category over 90 days; an author; a tag) and of stats (the
  kept counts; a search's matches per month through the index);
* the wall time of ``newscrawler query --search`` and ``stats --search`` from the command line,
  beside ``newscrawler query --limit 20`` (no search) in the same run;

beside the targets (writes >= 300/s sustained, <= 12 KB per article in MongoDB, every query's
p95 < 50 ms, searches < 20 ms, a command-line search < 0.5 s wall). Baselines measured in the
same run: the write path before the full-text index (``search_tokens`` in every article, with
their multikey index; rjieba's full mode standing in for jieba's, the same dictionary and
algorithm) against today's, both on ``--baseline`` articles in fresh servers; and, up to 100k
articles, a search by a ``$regex`` scan of the collection (no index at all).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness import REPO, percentiles, print_table, secantus

from generated import Generator
from newscrawler.store import fulltext
from newscrawler.store.connection import get_client, journaled_options
from newscrawler.store.counts import rebuild_counts
from newscrawler.store.embedded import ensure_embedded_server, stop_embedded_server
from newscrawler.store.queries import ArticleQuery, archive_stats, find_articles
from newscrawler.store.segment import normalize
from newscrawler.store.store import ArticleStore

DB_NAME = "nc_bench_scale"
CHUNK = 10_000  # articles between two progress saves (and the unit of "sustained")
BATCH = 100  # articles per write_articles call, as the crawl's MongoDB pipeline writes them
FILTER_CATEGORY = "证券"
TARGETS = {"writes": 300, "mongo_kb": 12, "query_ms": 50, "search_ms": 20, "cli_s": 0.5}


# -- progress ------------------------------------------------------------------------------------

class Progress:
    """DIR/progress.json, rewritten whole (via a temporary file) after every step."""

    def __init__(self, workdir: Path):
        self.path = workdir / "progress.json"
        self.data = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.data.setdefault("reference", dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat())
        self.data.setdefault("written", 0)
        self.data.setdefault("write_seconds", 0.0)
        self.data.setdefault("chunks", [])  # [articles after the chunk, seconds of its writes]
        self.data.setdefault("sizes", {})
        self.save()

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False, indent=1))
        os.replace(tmp, self.path)

    @property
    def reference(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.data["reference"])


def write(store: ArticleStore, generator: Generator, first: int, last: int) -> float:
    """Write articles ``first``..``last - 1`` through the write path; seconds spent writing."""
    seconds = 0.0
    for start in range(first, last, BATCH):
        docs = [generator.article(i) for i in range(start, min(start + BATCH, last))]
        t = time.perf_counter()
        store.write_articles(docs, "bench-scale")
        seconds += time.perf_counter() - t
    return seconds


def grow(store: ArticleStore, generator: Generator, progress: Progress, size: int, index_every: int,
         index_path: Path) -> None:
    """Write up to ``size`` articles, bringing the search index up to date after every
    ``index_every`` (as the crawl does after its writes; 0: only at each size)."""
    written = progress.data["written"]
    if written >= size:
        return
    print(f"writing articles {written:,} to {size:,} through the write path ...", flush=True)
    # A chunk cut short by an interruption is written again (its articles found unchanged):
    # that chunk's time is kept apart from the rates.
    resumed = store.articles.estimated_document_count() > written
    while written < size:
        end = min(written - written % CHUNK + CHUNK, size)
        seconds = write(store, generator, written, end)
        progress.data["chunks"].append([end, round(seconds, 3), end - written, resumed])
        resumed = False
        progress.data["write_seconds"] += seconds
        progress.data["written"] = written = end
        progress.save()
        rate = progress.data["chunks"][-1][2] / seconds
        print(f"  {end:,} articles ({rate:.0f} writes/s in this chunk)", flush=True)
        if index_every and end % index_every == 0 and end < size:
            update_index(store.db, index_path, progress, end)


def update_index(db, index_path: Path, progress: Progress, written: int) -> None:
    """One build of the search index, its figures kept in progress.json (``index_builds``:
    articles written then, the build's mode, articles indexed, seconds)."""
    while True:
        try:
            result = fulltext.build(db, index_path)
            break
        except fulltext.IndexBusy:  # a `newscrawler index` beside the run: after it
            time.sleep(2)
    mode = "whole" if result.rebuilt else "incremental"
    progress.data.setdefault("index_builds", []).append([written, mode, result.indexed, round(result.seconds, 3)])
    progress.save()
    print(f"  search index: {mode} build, {result.indexed:,} articles in {result.seconds:.1f} s "
          f"({result.indexed / max(result.seconds, 1e-9):.0f}/s)", flush=True)


def index_builds(progress: Progress, first: int, size: int) -> dict:
    """The builds that brought the index from ``first`` to ``size`` articles written, summed."""
    builds = [b for b in progress.data.get("index_builds", []) if first < b[0] <= size]
    modes = sorted({b[1] for b in builds})
    return {"mode": f"{'/'.join(modes)}, {len(builds)} build{'s' if len(builds) > 1 else ''}",
            "articles": sum(b[2] for b in builds), "seconds": sum(b[3] for b in builds)}


def write_rates(progress: Progress, size: int) -> tuple[float, float]:
    """(overall writes/s up to ``size``, the slowest full chunk's)."""
    chunks = [c for c in progress.data["chunks"] if c[0] <= size and not c[3]]
    total = sum(c[2] for c in chunks)
    seconds = sum(c[1] for c in chunks)
    full = [c[2] / c[1] for c in chunks if c[2] >= min(CHUNK, size)] or [total / seconds]
    return total / seconds, min(full)


# -- sizes on disk -------------------------------------------------------------------------------

def disk_bytes(path: Path, pattern: str = "*") -> int:
    return sum(f.stat().st_size for f in path.rglob(pattern) if f.is_file())


def db_stats(db) -> dict:
    try:
        return db.command("dbStats")
    except Exception:  # noqa: BLE001 - a server without dbStats: the disk figure stands alone
        return {}


# -- the baseline: the write path with search_tokens --------------------------------------------

def old_search_tokens(title: str | None, body: str | None) -> list[str]:
    """The old ``search_tokens``: every dictionary word of two or more characters in title and
    body (full mode), normalized, de-duplicated, sorted."""
    import rjieba

    words = set()
    for text in (title or "", body or ""):
        for w in rjieba.cut_all(normalize(text)):
            w = w.strip()
            if len(w) >= 2 and any(c.isalnum() for c in w):
                words.add(w)
    return sorted(words)


class TokenStore(ArticleStore):
    """The write path as it was: each article written with its search_tokens."""

    def write_articles(self, docs, crawl_id, _attempt: int = 0):
        docs = [{**d, "search_tokens": old_search_tokens(d.get("title"), d.get("body_text"))} for d in docs]
        return super().write_articles(docs, crawl_id, _attempt)


def baseline(workdir: Path, progress: Progress, n: int) -> dict:
    """Writes/s and bytes per article of the old and today's write path, on ``n`` articles each
    in a fresh server (measured once per workdir)."""
    if progress.data.get("baseline", {}).get("articles") == n:
        return progress.data["baseline"]
    from pymongo import ASCENDING, DESCENDING

    generator = Generator(progress.reference)
    out = {"articles": n}
    for name, store_class in (("search_tokens", TokenStore), ("today", ArticleStore)):
        storage = workdir / f"baseline-{name}"
        shutil.rmtree(storage, ignore_errors=True)
        print(f"baseline: {n:,} articles through the write path {'with' if name != 'today' else 'without'} "
              "search_tokens, fresh server ...", flush=True)
        with secantus(storage) as uri:
            client = get_client(uri, serverSelectionTimeoutMS=60_000, socketTimeoutMS=3_600_000,
                                **journaled_options(uri))
            db = client[DB_NAME]
            store = store_class(db, uri=uri)
            store.ensure_indexes()
            rebuild_counts(db)
            if store_class is TokenStore:
                db.articles.create_index([("search_tokens", ASCENDING), ("published_at", DESCENDING)])
            seconds = write(store, generator, 0, n)
            stats = db_stats(db)
            client.close()
        out[name] = {"writes": n / seconds, "disk_kb": disk_bytes(storage / "db") / n / 1024,
                     "data_kb": stats.get("dataSize", 0) / n / 1024, "index_kb": stats.get("indexSize", 0) / n / 1024}
        shutil.rmtree(storage, ignore_errors=True)
    progress.data["baseline"] = out
    progress.save()
    return out


def print_baseline(base: dict) -> None:
    print(f"\nBaseline: the write path before and after the full-text index ({base['articles']:,} articles each, "
          "fresh servers, same run)")
    print_table(("write path", "writes/s", "KB/article on disk", "dbStats data KB", "dbStats index KB"), [
        (label, f"{base[key]['writes']:.0f}", f"{base[key]['disk_kb']:.1f}", f"{base[key]['data_kb']:.1f}",
         f"{base[key]['index_kb']:.1f}")
        for label, key in (("with search_tokens (before)", "search_tokens"), ("without (today)", "today"))])


# -- what is asked -------------------------------------------------------------------------------

def pick_searches(index: fulltext.FullTextIndex, generator: Generator, n: int) -> dict[str, str]:
    """Words by how many articles match them in this archive: rare (~0.05%), frequent (~15%),
    two frequent (~10% each), and a phrase of two words seen together (~1%)."""
    def matches(text: str) -> int:
        return index.count(index.to_query(text))

    words = generator.corpus.words
    ranks = sorted({int(r) for r in (1.6 ** k for k in range(4, 23)) if r < len(words)} | {len(words) - 1})
    counted = [(w, matches(w)) for w in (words[r] for r in ranks)]

    def closest(share: float, minimum: int = 1, exclude=()) -> str:
        pool = [(w, c) for w, c in counted if c >= minimum and w not in exclude]
        return min(pool, key=lambda wc: abs(wc[1] - share * n))[0]

    frequent = closest(0.15)
    second = closest(0.10, exclude={frequent})
    rare = closest(0.0005, minimum=3)
    import rjieba

    body = generator.article(0)["body_text"] + generator.article(1)["body_text"]
    pieces = [w for w in rjieba.cut(body)]
    pairs = list(dict.fromkeys(a + b for a, b in zip(pieces, pieces[1:]) if len(a) >= 2 and len(b) >= 2))[:80]
    phrase = min(((p, matches(f'"{p}"')) for p in pairs), key=lambda pc: (pc[1] < 3, abs(pc[1] - 0.01 * n)))[0]
    return {"rare word": rare, "frequent word": frequent, "two frequent words": f"{frequent} {second}",
            "phrase": f'"{phrase}"'}


def per_day_collected(index: fulltext.FullTextIndex, query) -> dict[str, int]:
    """The baseline of the histogram aggregation: every match's publish time collected from the
    index (its fast field) and counted per Beijing day in Python."""
    searcher = index.searcher
    hits = searcher.search(query, limit=max(searcher.num_docs, 1), count=False).hits
    days: dict[str, int] = {}
    beijing = dt.timezone(dt.timedelta(hours=8))
    for ms in searcher.fast_field_values("published_at", [address for _score, address in hits]):
        if ms is not None:
            day = dt.datetime.fromtimestamp(ms / 1000, beijing).date().isoformat()
            days[day] = days.get(day, 0) + 1
    return days


def regex_scan(db, search: str, limit: int = 20) -> list:
    words = [w.strip('"') for w in re.findall(r'"[^"]*"|\S+', search)]
    filter_ = {"$and": [{"$or": [{"title": {"$regex": re.escape(w)}}, {"body_text": {"$regex": re.escape(w)}}]}
                        for w in words]}
    return list(db["articles"].find(filter_, {"article_id": 1}, sort=[("published_at", -1)], limit=limit))


def cli_wall(argv: list[str], env: dict, runs: int = 5) -> float:
    """Median wall seconds of ``newscrawler ARGV`` as a new process (after one untimed run)."""
    times = []
    for n in range(runs + 1):
        t = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "newscrawler", *argv], env=env, capture_output=True,
                                text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"newscrawler {' '.join(argv)} failed: {result.stderr[-500:]}")
        if n:
            times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def measure(db, workdir: Path, progress: Progress, size: int, runs: int, build: dict) -> dict:
    generator = Generator(progress.reference)
    path = fulltext.index_dir(workdir / "data", DB_NAME)
    index = fulltext.FullTextIndex(path)
    out: dict = {"articles": size, "index_build": build}
    overall, slowest = write_rates(progress, size)
    stats = db_stats(db)
    out["writes"] = {"overall": overall, "slowest_chunk": slowest}
    # A checkpoint first (SecantusDB's fsync): the data files then hold every write, and the
    # journal only what came after (a few files, whatever the archive's size).
    db.client.admin.command("fsync")
    storage = workdir / "data" / "mongo" / "db"
    out["bytes"] = {"mongo_disk": disk_bytes(storage) / size, "mongo_journal": disk_bytes(storage, "WiredTigerLog.*") / size,
                    "index_disk": disk_bytes(path) / size,
                    "mongo_data": stats.get("dataSize", 0) / size, "mongo_index": stats.get("indexSize", 0) / size}
    searches = pick_searches(index, generator, size)
    since = (progress.reference.astimezone(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(days=30)).date()
    filtered = ArticleQuery(category=FILTER_CATEGORY, since=since)
    rows = []
    for label, text in searches.items():
        for suffix, query in (("", None), (f", {FILTER_CATEGORY} + last 30 days", filtered)):
            answer = fulltext.ask(db, index, text, query)
            p50, p95, _ = percentiles(lambda: list(fulltext.articles(db, fulltext.ask(db, index, text, query),
                                                                     limit=20)), runs)
            rows.append({"question": f"search {label}{suffix}: {text}", "matches": answer.count(),
                         "p50": p50, "p95": p95, "target": TARGETS["search_ms"]})
    p50, p95, count = percentiles(lambda: fulltext.ask(db, index, searches["frequent word"]).count(), runs)
    rows.append({"question": f"search count only: {searches['frequent word']}", "matches": count, "p50": p50,
                 "p95": p95, "target": TARGETS["search_ms"]})
    today = progress.reference.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    author = generator.people[0]
    tag = generator.tags[0]
    listings = [
        ("listing: latest 20", ArticleQuery(limit=20)),
        (f"listing: category {FILTER_CATEGORY}, last 90 days, 20",
         ArticleQuery(category=FILTER_CATEGORY, since=today - dt.timedelta(days=90), limit=20)),
        (f"listing: author {author}, 20", ArticleQuery(author=author, limit=20)),
        (f"listing: tag {tag}, 20", ArticleQuery(tag=tag, limit=20)),
    ]
    for label, query in listings:
        p50, p95, found = percentiles(lambda: find_articles(db, query), runs)
        rows.append({"question": label, "matches": len(found), "p50": p50, "p95": p95, "target": TARGETS["query_ms"]})
    p50, p95, _ = percentiles(lambda: archive_stats(db, 10), runs)
    rows.append({"question": "stats (kept counts, top 10 authors, 14 days)", "matches": "", "p50": p50, "p95": p95,
                 "target": TARGETS["query_ms"]})
    for suffix, query in (("", None), (f", {FILTER_CATEGORY} + last 30 days", filtered)):
        p50, p95, days = percentiles(lambda: fulltext.ask(db, index, searches["frequent word"], query).per_day(), runs)
        rows.append({"question": f"stats --search {searches['frequent word']} per day{suffix}",
                     "matches": sum(days.values()), "p50": p50, "p95": p95, "target": TARGETS["query_ms"]})
        query_ = fulltext.ask(db, index, searches["frequent word"], query).query
        p50, p95, days = percentiles(lambda: per_day_collected(index, query_), max(3, runs // 3))
        rows.append({"question": f"  the same by collecting publish times (baseline){suffix}",
                     "matches": sum(days.values()), "p50": p50, "p95": p95, "target": TARGETS["query_ms"]})
    out["questions"] = rows
    if size <= 100_000:
        p50, p95, found = percentiles(lambda: regex_scan(db, searches["rare word"]), 1, warmup=0)
        out["regex_scan"] = {"search": searches["rare word"], "ms": p50, "found": len(found)}
    # As a user runs it: the embedded archive of a data directory (no MONGO_URI), modules
    # compiled once (an installed package has its bytecode).
    env = {**{k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "PYTHONDONTWRITEBYTECODE")},
           "MONGO_DATABASE": DB_NAME,
           "NEWSCRAWLER_DATA_DIR": str(workdir / "data"), "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "testing")])}
    out["cli"] = {
        "query --search (frequent word)": cli_wall(["query", "--search", searches["frequent word"], "--limit", "20",
                                                    "--format", "jsonl"], env),
        "query --search (two words, filters)": cli_wall(
            ["query", "--search", searches["two frequent words"], "--category", FILTER_CATEGORY,
             "--since", since.isoformat(), "--limit", "20", "--format", "jsonl"], env),
        "stats --search --per month --json": cli_wall(["stats", "--search", searches["frequent word"], "--per",
                                                       "month", "--json"], env),
        "query --limit 20 (no search, baseline)": cli_wall(["query", "--limit", "20", "--format", "jsonl"], env),
    }
    return out


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(result: dict) -> None:
    n = result["articles"]
    print(f"\n## {n:,} articles\n")
    build, writes, size = result["index_build"], result["writes"], result["bytes"]
    print_table(("figure", "value", "target", ""), [
        ("writes/s through the write path, overall", f"{writes['overall']:.0f}", f">= {TARGETS['writes']}",
         verdict(writes["overall"] >= TARGETS["writes"])),
        ("writes/s, slowest chunk of 10,000 (sustained)", f"{writes['slowest_chunk']:.0f}", f">= {TARGETS['writes']}",
         verdict(writes["slowest_chunk"] >= TARGETS["writes"])),
        ("MongoDB KB per article on disk", f"{size['mongo_disk'] / 1024:.1f}", f"<= {TARGETS['mongo_kb']}",
         verdict(size["mongo_disk"] / 1024 <= TARGETS["mongo_kb"])),
        *([("  of which the journal (WiredTigerLog files, after a checkpoint)", f"{size['mongo_journal'] / 1024:.1f}",
            "", "")] if "mongo_journal" in size else []),
        ("  dbStats: data / index KB per article", f"{size['mongo_data'] / 1024:.1f} / {size['mongo_index'] / 1024:.1f}",
         "", ""),
        ("search index KB per article on disk", f"{size['index_disk'] / 1024:.1f}", "", ""),
        (f"search index builds to this size ({build['mode']}, {build['articles']:,} articles), articles/s",
         f"{build['articles'] / max(build['seconds'], 1e-9):.0f}", "", ""),
    ])
    print()
    print_table(("question", "matches", "p50 ms", "p95 ms", "target p95", ""), [
        (q["question"], q["matches"], f"{q['p50']:.1f}", f"{q['p95']:.1f}", f"< {q['target']}",
         verdict(q["p95"] < q["target"])) for q in result["questions"]])
    if "regex_scan" in result:
        scan = result["regex_scan"]
        print(f"\nbaseline without any index: $regex scan for {scan['search']!r}, 20 newest: {scan['ms']:.0f} ms "
              f"({scan['found']} found)")
    print()
    print_table(("command line (wall, median of 5)", "seconds", "target", ""), [
        (label, f"{s:.2f}", f"< {TARGETS['cli_s']}" if "baseline" not in label and "stats" not in label else "",
         verdict(s < TARGETS["cli_s"]) if "baseline" not in label and "stats" not in label else "")
        for label, s in result["cli"].items()])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", required=True, help="where the archive, the index and the progress are kept")
    ap.add_argument("--sizes", default="10000,100000,1000000", help="archive sizes to measure, comma-separated")
    ap.add_argument("--runs", type=int, default=30, help="timed runs of each question (p50/p95)")
    ap.add_argument("--index-every", type=int, default=50_000,
                    help="articles written between two builds of the search index (0: only at each size)")
    ap.add_argument("--baseline", type=int, default=3000, help="articles of the write-path baseline (0: none)")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    progress = Progress(workdir)
    print(f"bench_scale in {workdir}: sizes {', '.join(f'{s:,}' for s in sizes)}; "
          f"{progress.data['written']:,} articles written so far", flush=True)
    if args.baseline:
        print_baseline(baseline(workdir, progress, args.baseline))
    generator = Generator(progress.reference)
    data_dir = workdir / "data"
    uri = ensure_embedded_server(data_dir)
    try:
        client = get_client(uri, serverSelectionTimeoutMS=60_000, socketTimeoutMS=3_600_000,
                            connectTimeoutMS=300_000, **journaled_options(uri))
        try:
            db = client[DB_NAME]
            store = ArticleStore(db, uri=uri)
            store.ensure_indexes()
            if not progress.data["written"]:
                rebuild_counts(db)  # from now on the write path keeps the stats counts
            for size in sizes:
                saved = progress.data["sizes"].get(str(size))
                if saved:
                    report(saved)
                    continue
                path = fulltext.index_dir(workdir / "data", DB_NAME)
                grow(store, generator, progress, size, args.index_every, path)
                update_index(db, path, progress, progress.data["written"])
                previous = max([s for s in sizes if s < size], default=0)
                build = index_builds(progress, previous, size)
                print(f"measuring {size:,} articles ...", flush=True)
                measured = measure(db, workdir, progress, size, args.runs, build)
                progress.data["sizes"][str(size)] = measured
                progress.save()
                report(measured)
        finally:
            client.close()
    finally:
        stop_embedded_server(data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
