"""Extraction comparison: newscrawler's extract_article beside trafilatura, on the evaluation set.

Run by hand (not in CI):  .venv/bin/python -m tests.evaluation.compare [--generated N]
(It lives beside the evaluation set it scores, as trafilatura's tests/comparison.py does.)

Prints, in one run over the same pages: median and p95 milliseconds per page for both
extractors and their ratio, and field accuracy (title, publish date, authors, body text F1)
for both, overall and per layout. trafilatura runs with metadata (its usual mode for news).
Body F1 is over characters (bag of characters, white space ignored): Chinese has no spaces,
so word tokens would measure the segmenter, not the extractor.
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter, defaultdict

import trafilatura

from benchmarks.harness import timed  # the benchmarks' one timing helper
from newscrawler import extract_article
from newscrawler.nbd.dates import BEIJING
from nbd_replica.corpus import generate_articles
from nbd_replica.expected import expected_record
from tests.evaluation.cases import evaluation_set
from nbd_replica.pages import render_article


def char_f1(got: str, want: str) -> float:
    a = Counter(ch for ch in got if not ch.isspace())
    b = Counter(ch for ch in want if not ch.isspace())
    if not a and not b:
        return 1.0
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def pages(generated: int):
    """(layout, html, url, column hint, expected) for the evaluation set plus generated articles."""
    for case in evaluation_set():
        yield case.spec.layout, case.html, case.page_url, case.column_hint, case.expected
    for spec in generate_articles(generated, seed=7):
        url = spec.url("https://www.nbd.com.cn")
        yield spec.layout, render_article(spec), url, spec.column_id, expected_record(spec, page_url=url)


def ours(html, url, hint):
    record = extract_article(html, url, column_id=hint)
    return {"title": record["title"], "date": record["published_at"].astimezone(BEIJING).date(),
            "authors": record["authors"], "body": record["body_text"]}


def theirs(html, url, hint):
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return {"title": None, "date": None, "authors": [], "body": ""}
    authors = [a.strip() for a in (doc.author or "").replace(",", ";").split(";") if a.strip()]
    return {"title": doc.title, "date": doc.date and __import__("datetime").date.fromisoformat(doc.date[:10]),
            "authors": authors, "body": doc.text or ""}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=300, help="generated pages beside the evaluation set")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per page (best is kept)")
    args = parser.parse_args()

    rows = list(pages(args.generated))
    sizes = [len(h.encode("utf-8") if isinstance(h, str) else h) for _, h, *_ in rows]
    print(f"pages: {len(rows)} (evaluation set + {args.generated} generated), "
          f"median size {statistics.median(sizes) / 1024:.0f} KB")
    times = {"newscrawler": [], "trafilatura": []}
    scores = {name: defaultdict(list) for name in times}
    for layout, html, url, hint, expected in rows:
        want_date = expected["published_at"].astimezone(BEIJING).date()
        for name, fn in (("newscrawler", ours), ("trafilatura", theirs)):
            ms, got = timed(lambda: fn(html, url, hint), args.repeat, stat="min")
            times[name].append(ms)
            per = scores[name]
            for key in ("all", layout):
                per[(key, "title")].append(got["title"] == expected["title"])
                per[(key, "date")].append(got["date"] == want_date)
                per[(key, "authors")].append(got["authors"] == expected["authors"])
                per[(key, "body_f1")].append(char_f1(got["body"], expected["body_text"]))

    def pct(values, q):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    print("\nspeed (ms per page)        median      p95")
    for name, values in times.items():
        print(f"  {name:<22} {statistics.median(values):8.2f} {pct(values, 0.95):8.2f}")
    ratio = statistics.median(times["trafilatura"]) / statistics.median(times["newscrawler"])
    print(f"  trafilatura / newscrawler (median): {ratio:.1f}x")

    layouts = ["all"] + sorted({layout for layout, *_ in rows})
    print("\naccuracy                  title    date  authors  body F1 (mean / min)")
    for layout in layouts:
        for name in times:
            per = scores[name]
            n = len(per[(layout, "title")])
            f1 = per[(layout, "body_f1")]
            print(f"  {layout:<14} {name:<12} {100 * sum(per[(layout, 'title')]) / n:5.1f}% "
                  f"{100 * sum(per[(layout, 'date')]) / n:5.1f}% {100 * sum(per[(layout, 'authors')]) / n:6.1f}%"
                  f"   {statistics.mean(f1):.4f} / {min(f1):.4f}   (n={n})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
