"""The full-text index beside the existing token search, on the replica's generated corpus.

Usage: python benchmarks/bench_search.py [--articles 2000] [--runs 7] [--uri URI]

Writes ``--articles`` expected records of the replica corpus (``nbd_replica.corpus``) through
the real write path (``ArticleStore.write_articles``, which also stores ``search_tokens``) into
a SecantusDB started here (or --uri), then prints:

* the index build rate (``newscrawler.store.fulltext.build --rebuild``, segmentation included);
* per search (a frequent word, a rare word, two frequent words, a phrase), median of --runs:
  the index alone (ids of the 20 best), the index plus the MongoDB fetch of those 20 articles
  (what ``query --search`` does), and the token search (``find_articles`` with ``search``, 20
  newest), with the number of matches each finds.
"""

from __future__ import annotations

import argparse
import collections
import itertools
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
from newscrawler.store.connection import get_client
from newscrawler.store.queries import ArticleQuery, find_articles
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
        words = fulltext.words_of(doc.get("body_text"))
        df.update(w for w in set(words) if len(w) >= 2 and not w.isascii())
        text = fulltext.normalize(doc.get("body_text") or "")
        # Words next to each other in the text itself (the index's phrases also join words
        # across the punctuation it leaves out).
        bigrams.update({(a, b) for a, b in zip(words, words[1:]) if len(a) >= 2 and len(b) >= 2
                        and not (a + b).isascii() and a + b in text})
    frequent = [w for w, _ in df.most_common(2)]
    rare = next(w for w, c in sorted(df.items(), key=lambda kv: (kv[1], kv[0])) if c >= 3)
    phrase = next(pair for pair, c in bigrams.most_common() if c >= 5 and c < len(docs) // 4)
    return {"frequent word": frequent[0], "rare word": rare, "two frequent words": " ".join(frequent),
            "phrase": '"' + "".join(phrase) + '"'}


def token_search(text: str) -> str:
    """The token search has no phrases: the phrase's words as one word (a literal substring)."""
    return text.strip('"')


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
              f"({len(docs) / seconds:.0f}/s, search_tokens included)", flush=True)

        path = tmp / "fulltext" / DB_NAME
        result = fulltext.build(db, path, rebuild=True)
        print(f"index build: {result.indexed} articles in {result.seconds:.2f} s "
              f"({result.indexed / result.seconds:.0f}/s, segmentation and the MongoDB read included)", flush=True)
        started = time.perf_counter()
        segmented = sum(len(fulltext.segmented(d.get("body_text"))) for d in docs)
        cut = time.perf_counter() - started
        print(f"of which rjieba alone on the bodies: {cut:.2f} s ({segmented / cut / 1e6:.1f} M chars/s)", flush=True)

        index = fulltext.FullTextIndex(path)
        rows = []
        for label, search in pick_searches(docs).items():
            index_ms, ids = timed(lambda: index.article_ids(search, limit=LIMIT), args.runs)
            both_ms, _ = timed(lambda: list(itertools.islice(fulltext.iter_hits(db, index.article_ids(search, limit=LIMIT), {}), LIMIT)), args.runs)
            matches = index.count(search)
            words = token_search(search)
            token_ms, _ = timed(lambda: find_articles(db, ArticleQuery(search=words, limit=LIMIT)), args.runs)
            token_matches = len(find_articles(db, ArticleQuery(search=words, limit=0)))
            rows.append((f"{label}: {search}", f"{index_ms:.2f}", f"{both_ms:.1f}", matches, f"{token_ms:.1f}", token_matches))
        print()
        print_table(("search (20 results)", "index ms", "index+MongoDB ms", "index matches", "search_tokens ms",
                     "token matches"), rows)
        client.drop_database(DB_NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
