"""How fast the archive answers people's questions at 100,000 articles (prints figures).

Usage: python benchmarks/bench_query.py [--docs 100000] [--runs 7] [--uri URI] [--keep DIR]

Builds an archive of generated articles (Chinese titles and bodies drawn from jieba's own
dictionary with its word frequencies, so word frequencies are Zipf-like as in real text;
12 categories, 400 authors, 600 tags, five years of dates, ``search_tokens`` from
``newscrawler.store.search``), then times, median of ``--runs``:

* keyword searches (a rare word, two words, a frequent word), 20 newest results;
* a category listing over a time range, 20 results;
* ``stats`` from the kept counts;

each beside the same question answered by a full collection scan (``hint({"$natural": 1})``,
or the exact aggregation for stats), with the ratio. Targets: < 50 ms, >= 20x the scan.

Without --uri it starts SecantusDB itself (storage in a temporary directory, or in --keep DIR,
where a finished build is reused by the next run), with a WiredTiger cache of --cache-size
(default 4G). Why not the product's default 1G: each article writes ~370 index entries
(its search tokens), and once that index outgrows the cache (~20,000 articles) inserts slow
from ~80 to ~20 a second on this machine, so a 100,000-article build would take hours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from harness import secantus, timed

import jieba

from newscrawler.store.connection import get_client
from newscrawler.store.counts import rebuild_counts
from newscrawler.store.indexes import ARTICLES, ensure_indexes
from newscrawler.store.queries import ArticleQuery, archive_stats, find_articles
from newscrawler.store.search import search_tokens

DB_NAME = "nc_bench_query"
CATEGORIES = {"证券": 20, "公司": 16, "金融": 14, "宏观": 12, "TMT": 9, "汽车": 7, "理财": 6,
              "国际": 5, "城市": 4, "影视": 3, "新三板": 2, "评论": 2}
SOURCES = {"每日经济新闻": 75, "新华社": 8, "中国证券报": 6, "证券时报": 6, None: 5}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏建红辉宇晨浩然欣怡子轩梓涵一诺雨泽"
YEARS = 5
PUNCT = "，，，。、；："
# Documents per insert_many. Each article writes ~370 search_tokens index entries, and one
# WiredTiger transaction per batch: 1,000 articles per batch made SecantusDB retry on
# WT_ROLLBACK (cache pressure) for minutes; 100 inserts steadily.
BATCH = 100


class Corpus:
    """Words with jieba's dictionary frequencies, and text drawn from them."""

    def __init__(self, rng: random.Random, vocabulary: int = 30_000):
        path = Path(jieba.__file__).with_name("dict.txt")
        han = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            word, freq, *_ = line.split(" ")
            if han.match(word):
                rows.append((int(freq), word))
        rows.sort(reverse=True)
        self.words = [w for _f, w in rows[:vocabulary]]
        self.weights = [f ** 0.9 for f, _w in rows[:vocabulary]]
        self.rng = rng
        self._cum = None

    def draw(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self._cumulative(), k=k)

    def _cumulative(self):
        if self._cum is None:
            total, self._cum = 0.0, []
            for w in self.weights:
                total += w
                self._cum.append(total)
        return self._cum

    def sentence(self) -> str:
        words = self.draw(self.rng.randint(5, 12))
        out = words[0]
        for w in words[1:]:
            out += (self.rng.choice("的了在是和与对将") if self.rng.random() < 0.35 else "") + w
        return out

    def paragraph(self, chars: int) -> str:
        parts = []
        while sum(map(len, parts)) < chars:
            parts.append(self.sentence() + self.rng.choice(PUNCT))
        return "".join(parts)[:-1] + "。"


def make_article(i: int, corpus: Corpus, rng: random.Random, people: list[str], tags: list[str],
                 now: dt.datetime, tokens: bool = True) -> dict:
    """Article ``i`` of the build (``tokens=False``: the same draws, no segmentation, for
    skipping over articles an interrupted build already stored)."""
    published = now - dt.timedelta(seconds=rng.randrange(YEARS * 365 * 86400))
    title = corpus.sentence()[:28]
    paragraphs = [corpus.paragraph(rng.randint(120, 260)) for _ in range(rng.randint(3, 5))]
    body_text = "\n".join(paragraphs)
    authors = rng.sample(people, rng.choice((1, 1, 1, 2)))
    created = published.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    article_id = 1_000_000 + i
    return {
        "article_id": article_id,
        "url": f"https://www.nbd.com.cn/articles/{created}/{article_id}.html",
        "title": title,
        "published_at": published,
        "byline": "每经记者 " + " ".join(authors),
        "authors": authors,
        "editor": rng.choice(people),
        "source": rng.choices(list(SOURCES), list(SOURCES.values()))[0],
        "category": rng.choices(list(CATEGORIES), list(CATEGORIES.values()))[0],
        "column": None,
        "tags": rng.sample(tags, rng.randint(1, 3)),
        "keywords": [],
        "summary": paragraphs[0][:80],
        "body_html": "".join(f"<p>{p}</p>\n" for p in paragraphs),
        "body_text": body_text,
        "images": [],
        "thumbnail_url": f"https://image.nbd.com.cn/uploads/{created}/{article_id}.jpg" if i % 3 else None,
        "extraction": {"method": "layout", "layout": "g-article", "version": "bench", "warnings": []},
        "content_hash": f"{rng.getrandbits(160):040x}",
        "search_tokens": search_tokens(title, body_text) if tokens else [],
        "revision": 1,
    }


def build(db, n: int, seed: int = 42, present: set[int] = frozenset(), tokens: bool = True) -> None:
    """Insert ``n`` generated articles; those whose ids are in ``present`` (an interrupted
    build's) are drawn again, to keep the random sequence, but not stored again. ``tokens``
    False: without ``search_tokens`` (an archive searched through the full-text index)."""
    rng = random.Random(seed)
    corpus = Corpus(rng)
    people = list(dict.fromkeys(rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2)))
                                for _ in range(600)))[:400]
    tags = corpus.words[2000:2600]
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ensure_indexes(db)
    t0 = time.perf_counter()
    tokens = 0
    batch: list[dict] = []
    pending = None
    # Generate the next batch (jieba, in this process) while the server inserts the last one.
    with ThreadPoolExecutor(max_workers=1) as inserter:
        for i in range(n):
            stored = 1_000_000 + i in present
            doc = make_article(i, corpus, rng, people, tags, now, tokens=tokens and not stored)
            tokens += len(doc["search_tokens"])
            if not stored:
                batch.append(doc)
            if batch and (len(batch) == BATCH or i == n - 1):
                if pending is not None:
                    pending.result()
                pending = inserter.submit(db[ARTICLES].insert_many, batch, ordered=False)
                batch = []
                if (i + 1) % 10_000 == 0 or i == n - 1:
                    rate = (i + 1) / (time.perf_counter() - t0)
                    print(f"  built {i + 1:,} articles ({rate:.0f}/s, {tokens / (i + 1):.0f} tokens each)",
                          flush=True)
        if pending is not None:
            pending.result()
    db["bench_meta"].replace_one({"_id": "built"}, {"_id": "built", "docs": n}, upsert=True)


def scan_search(coll, words: list[str], limit: int = 20) -> list[dict]:
    """The keyword question by a collection scan: each word literally in title or body."""
    docs = coll.find({}, {"title": 1, "body_text": 1, "published_at": 1, "article_id": 1}).hint({"$natural": 1})
    hits = [d for d in docs if all(w in d["title"] or w in d["body_text"] for w in words)]
    hits.sort(key=lambda d: (d["published_at"], d["article_id"]), reverse=True)
    return hits[:limit]


def same_answer(fast, slow) -> bool:
    """Both ways gave the same articles in the same order (or the same statistics)."""
    if isinstance(fast, list):
        return [d["article_id"] for d in fast] == [d["article_id"] for d in slow]
    return all(fast[k] == slow[k] for k in ("articles", "days", "categories", "authors", "rejects"))


def pick_words(coll, rng: random.Random) -> dict[str, list[str]]:
    """Query words of known frequency: counted on a sample of the archive's own tokens."""
    sample = list(coll.find({"article_id": {"$in": [1_000_000 + rng.randrange(2000) for _ in range(300)]}},
                            {"search_tokens": 1}))
    freq: dict[str, int] = {}
    for doc in sample:
        for t in doc["search_tokens"]:
            if re.match(r"^[\u4e00-\u9fff]{2,4}$", t):
                freq[t] = freq.get(t, 0) + 1
    ranked = sorted(freq, key=lambda t: (-freq[t], t))
    share = {t: freq[t] / len(sample) for t in ranked}
    common = next(t for t in ranked if share[t] <= 0.12)
    medium = [t for t in ranked if 0.02 <= share[t] <= 0.05][:2]
    rare = next(t for t in ranked if share[t] <= 0.004 and len(t) >= 3)
    return {"rare word": [rare], "two words": medium, "frequent word": [common]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--uri", help="an existing server (default: start SecantusDB)")
    ap.add_argument("--keep", help="storage directory to keep (and reuse) the built archive in")
    ap.add_argument("--cache-size", default="4G", help="WiredTiger cache of the server we start (default 4G)")
    args = ap.parse_args()

    with ExitStack() as stack:
        uri = args.uri
        if not uri:
            data_dir = args.keep or tempfile.mkdtemp(prefix="nc-bench-query-")
            if not args.keep:
                stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
            uri = stack.enter_context(secantus(data_dir, cache_size=args.cache_size))
        benchmark(uri, args)
    return 0


def benchmark(uri: str, args) -> None:
    client = get_client(uri, serverSelectionTimeoutMS=30_000, socketTimeoutMS=3_600_000, connectTimeoutMS=300_000)
    try:
        db = client[DB_NAME]
        built = db["bench_meta"].find_one({"_id": "built"})
        if not built or built["docs"] != args.docs:
            if built:
                client.drop_database(DB_NAME)
            # No "built" mark: an interrupted build, resumed (its articles are kept).
            present = {d["article_id"] for d in db[ARTICLES].find({}, {"article_id": 1, "_id": 0})}
            print(f"building {args.docs:,} articles" + (f" ({len(present):,} already there, from an "
                  "interrupted build)" if present else "") + " ...", flush=True)
            t = time.perf_counter()
            build(db, args.docs, present=present)
            print(f"  built in {time.perf_counter() - t:.0f} s", flush=True)
        else:
            print(f"reusing the archive of {args.docs:,} articles in {args.keep}")
        t = time.perf_counter()
        rebuild_counts(db)
        print(f"rebuild_counts (aggregation over every article): {time.perf_counter() - t:.1f} s")

        coll = db[ARTICLES]
        rng = random.Random(7)
        words = pick_words(coll, rng)
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
        since = today - dt.timedelta(days=90)
        category = "汽车"
        runs = args.runs

        def listing_scan():
            lower, upper = ArticleQuery(since=since, until=today).bounds()
            return list(coll.find({"category": category, "published_at": {"$gte": lower, "$lt": upper}},
                                  sort=[("published_at", -1), ("article_id", -1)], limit=20)
                        .hint({"$natural": 1}))

        cases = []
        for label, ws in words.items():
            q = ArticleQuery(search=" ".join(ws), limit=20)
            cases.append((f"search {label} {' '.join(ws)!r}", lambda q=q: find_articles(db, q),
                          lambda ws=ws: scan_search(coll, ws)))
        q = ArticleQuery(category=category, since=since, until=today, limit=20)
        cases.append((f"listing: category {category}, last 90 days, 20",
                      lambda q=q: find_articles(db, q), listing_scan))
        cases.append(("stats (top 10 authors, 14 days)", lambda: archive_stats(db, 10),
                      lambda: archive_stats(db, 10, exact=True)))
        extra = [
            ("latest 20, no filter", lambda: find_articles(db, ArticleQuery(limit=20))),
            ("author listing, 20", lambda: find_articles(db, ArticleQuery(author=find_articles(
                db, ArticleQuery(limit=1))[0]["authors"][0], limit=20))),
            ("category listing, no dates, 20", lambda: find_articles(db, ArticleQuery(category="影视", limit=20))),
        ]

        print(f"\n{'question':52} {'indexed':>10} {'full scan':>10} {'ratio':>7}  results")
        for label, fast, slow in cases:
            ms, result = timed(fast, runs)
            ms_scan, scan_result = timed(slow, max(1, runs // 3))
            n = len(result) if isinstance(result, list) else result["articles"]
            print(f"{label:52} {ms:8.1f}ms {ms_scan:8.0f}ms {ms_scan / ms:6.0f}x  {n}"
                  f"{'' if same_answer(result, scan_result) else '  MISMATCH'}", flush=True)
        for label, fast in extra:
            ms, result = timed(fast, runs)
            print(f"{label:52} {ms:8.1f}ms {'':>10} {'':>7}  {len(result)}", flush=True)
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
