"""Extraction time of article pages with many images: a revision before the bounds work and this
checkout, side by side in one run (prints figures).

Usage: .venv/bin/python benchmarks/bench_extract.py [--before a5e3a02] [--images 1000,10000,30000]
                                                   [--repeat 3]

Builds replica article pages (g-article layout, a few paragraphs) with ``--images`` body images
each, as the site prints them, then times ``extract_article`` on every page in a fresh process
per code tree: the ``--before`` revision (exported from git into a temporary directory), this
checkout with its default image cap (NBD_MAX_IMAGES_PER_ARTICLE) and this checkout with no cap
(0: every image kept, so the time shows what extraction itself costs). The best of
``--repeat`` runs is reported (the run least disturbed by the rest of the machine), with the
images the record keeps.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from harness import REPO, print_table

from nbd_replica.corpus import generate_articles
from nbd_replica.pages import render_article
from nbd_replica.spec import Block
from newscrawler.config import DEFAULTS
from newscrawler.nbd.site import DEFAULT_BASE_URL

# Before the bounds work: extraction quadratic in the images, no cap.
DEFAULT_BEFORE = "a5e3a02"

# Runs in the measured tree's own process and imports nothing else of ours, so a revision's
# code is timed with its own modules: argv = pages directory, repeat, max_images ("" = the
# revision's default, for revisions that have no such argument).
_TIMER = """
import json, sys, time
from pathlib import Path
from newscrawler import extract_article
pages, repeat, cap = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
kwargs = {"max_images": int(cap)} if cap else {}
results = {}
for path in sorted(pages.glob("*.html")):
    url = path.with_suffix(".url").read_text()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        record = extract_article(path.read_bytes(), url, **kwargs)
        times.append((time.perf_counter() - start) * 1000)
    results[path.stem] = {"ms": min(times), "images": len(record["images"])}
print(json.dumps(results))
"""


def article_spec():
    """A generated article in the PC layout of 2017-2026."""
    return next(s for s in generate_articles(50, seed=11) if s.layout == "g-article")


def page_with_images(count: int) -> tuple[str, str]:
    """(url, page) of an article whose body holds ``count`` distinct images after its text."""
    spec = article_spec()
    folder = spec.created.strftime("%Y%m%d")
    images = [Block("img", f"/uploads/articles/images/{folder}/{n:08d}.jpg") for n in range(count)]
    spec = dataclasses.replace(spec, blocks=[*spec.blocks, *images])
    return spec.url(DEFAULT_BASE_URL), render_article(spec, DEFAULT_BASE_URL)


def write_pages(directory: Path, counts: list[int]) -> dict[str, int]:
    """The pages as files (NAME.html and NAME.url); the page size in KB by name."""
    sizes = {}
    for count in counts:
        url, page = page_with_images(count)
        name = f"{count:06d}"
        (directory / f"{name}.html").write_text(page, encoding="utf-8")
        (directory / f"{name}.url").write_text(url)
        sizes[name] = len(page.encode()) // 1024
    return sizes


def export_revision(revision: str, directory: Path) -> Path:
    """The revision's ``newscrawler`` package, unpacked under ``directory``."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", revision, "newscrawler"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return directory


def time_tree(tree: Path, pages: Path, repeat: int, cap: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", _TIMER, str(pages), str(repeat), cap], cwd=tree, env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="git revision to compare with")
    parser.add_argument("--images", default="1000,10000,30000", help="images per page, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    counts = [int(n) for n in args.images.split(",")]

    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        pages = Path(tmp) / "pages"
        pages.mkdir()
        sizes = write_pages(pages, counts)
        old_tree = export_revision(args.before, Path(tmp) / "before")
        before = time_tree(old_tree, pages, args.repeat, "")
        capped = time_tree(REPO, pages, args.repeat, "")
        uncapped = time_tree(REPO, pages, args.repeat, "0")

    cap = DEFAULTS["NBD_MAX_IMAGES_PER_ARTICLE"]
    print(f"extract_article, best of {args.repeat}, ms per page; before = {args.before}, "
          f"after = this checkout (cap {cap} and no cap)", flush=True)
    rows = []
    for name, size in sizes.items():
        rows.append((int(name), size, f"{before[name]['ms']:.0f}", f"{uncapped[name]['ms']:.0f}",
                     f"{capped[name]['ms']:.0f}", f"{before[name]['ms'] / capped[name]['ms']:.1f}x",
                     f"{before[name]['images']} / {uncapped[name]['images']} / {capped[name]['images']}"))
    print_table(("images", "page KB", "before ms", "after, no cap ms", f"after, cap {cap} ms", "speed-up",
                 "images kept (before / no cap / cap)"), rows)


if __name__ == "__main__":
    main()
