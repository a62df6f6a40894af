"""The full-text index on the replica's generated corpus, beside a MongoDB scan.

Usage: python benchmarks/bench_search.py [--articles 2000] [--runs 7] [--uri URI]

Writes ``--articles`` expected records of the replica corpus (``nbd_replica.corpus``) through
the real write path (``ArticleStore.write_articles``) into a SecantusDB started here (or
--uri), then prints:

* the index build rate (``newscrawler.store.fulltext.build --rebuild``, segmentation included);
* per search (a frequent word, a rare word, two frequent words, a phrase), median of --runs:
  the index alone (ids of the 20 best), the index plus the MongoDB fetch of those 20 articles
  (what ``query --search`` does), and the baseline without an index: a ``$regex`` scan of the
  collection for the words (20 newest), with the number of matches each finds.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import re
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from harness import print_table, secantus, timed

from nbd_replica.corpus import generate_articles
from nbd_replica.expected import expected_record

from newscrawler.record import content_hash
from newscrawler.store import fulltext
from newscrawler.store.segment import index_terms, normalize
from newscrawler.store.connection import get_client
from newscrawler.store.store import ArticleStore

DB_NAME = "nc_bench_search"
SEED = 12
LIMIT = 20


def records(n: int) -> list[dict]:
    out = []
    for spec in generate_articles(n, seed=SEED):
        record = expected_record(spec)
        record["content_hash"] = content_hash(record.get("title"), record.get("body_text"))
        out.append(record)
    return out


def write(store: ArticleStore, docs: list[dict]) -> float:
    started = time.perf_counter()
    for start in range(0, len(docs), 100):
        store.write_articles(docs[start:start + 100], "bench")
    return time.perf_counter() - started


def pick_searches(docs: list[dict]) -> dict[str, str]:
    """Words by how many articles carry them (segmented as the index does)."""
    df: collections.Counter = collections.Counter()
    bigrams: collections.Counter = collections.Counter()
    for doc in docs:
        words = [t for t, _s, _e in index_terms(doc.get("body_text"))[1]]
        df.update(w for w in set(words) if len(w) >= 2 and not w.isascii())
        text = normalize(doc.get("body_text") or "")
        # Words next to each other in the text itself (a phrase does not jump punctuation).
        bigrams.update({(a, b) for a, b in zip(words, words[1:]) if len(a) >= 2 and len(b) >= 2
                        and not (a + b).isascii() and a + b in text})
    frequent = [w for w, _ in df.most_common(2)]
    rare = next(w for w, c in sorted(df.items(), key=lambda kv: (kv[1], kv[0])) if c >= 3)
    phrase = next(pair for pair, c in bigrams.most_common() if c >= 5 and c < len(docs) // 4)
    return {"frequent word": frequent[0], "rare word": rare, "two frequent words": " ".join(frequent),
            "phrase": '"' + "".join(phrase) + '"'}


def regex_scan(db, search: str, limit: int = LIMIT) -> list[dict]:
    """The search without any index: each word (a phrase as its text) literally in the title
    or the body, by a regular expression the server checks on every article; 20 newest."""
    words = [w.strip('"') for w in re.findall(r'"[^"]*"|\S+', search)]
    filter_ = {"$and": [{"$or": [{"title": {"$regex": re.escape(w)}}, {"body_text": {"$regex": re.escape(w)}}]}
                        for w in words]}
    return list(db["articles"].find(filter_, {"article_id": 1}, sort=[("published_at", -1)], limit=limit))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--uri", help="a MongoDB to use (default: a SecantusDB started here)")
    args = parser.parse_args()

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-search-")))
        uri = args.uri or stack.enter_context(secantus(tmp / "mongo"))
        client = get_client(uri, serverSelectionTimeoutMS=60_000)
        stack.callback(client.close)
        client.drop_database(DB_NAME)
        db = client[DB_NAME]
        store = ArticleStore(db, uri=uri)
        store.ensure_indexes()
        docs = records(args.articles)
        seconds = write(store, docs)
        print(f"archive: {len(docs)} replica articles written in {seconds:.1f} s "
              f"({len(docs) / seconds:.0f}/s)", flush=True)

        path = tmp / "fulltext" / DB_NAME
        result = fulltext.build(db, path, rebuild=True)
        print(f"index build: {result.indexed} articles in {result.seconds:.2f} s "
              f"({result.indexed / result.seconds:.0f}/s, segmentation and the MongoDB read included)", flush=True)
        started = time.perf_counter()
        segmented = sum(len(d.get("body_text") or "") for d in docs if index_terms(d.get("body_text")))
        cut = time.perf_counter() - started
        print(f"of which the terms of the bodies: {cut:.2f} s ({segmented / cut / 1e6:.1f} M chars/s)", flush=True)

        index = fulltext.FullTextIndex(path)
        rows = []
        for label, search in pick_searches(docs).items():
            query = index.to_query(search)
            index_ms, ids = timed(lambda: index.article_ids(query, limit=LIMIT), args.runs)
            both_ms, _ = timed(lambda: list(itertools.islice(fulltext.articles(
                db, fulltext.ask(db, index, search), limit=LIMIT), LIMIT)), args.runs)
            matches = index.count(query)
            scan_ms, _ = timed(lambda: regex_scan(db, search), max(1, args.runs // 3))
            scan_matches = len(regex_scan(db, search, limit=0))
            rows.append((f"{label}: {search}", f"{index_ms:.2f}", f"{both_ms:.1f}", matches, f"{scan_ms:.0f}",
                         scan_matches))
        print()
        print_table(("search (20 results)", "index ms", "index+MongoDB ms", "index matches", "$regex scan ms",
                     "scan matches"), rows)
        client.drop_database(DB_NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
