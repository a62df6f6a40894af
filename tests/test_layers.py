"""The package's layers: site knowledge -> archive store -> crawl -> command line and web app.

A module may import modules of its own layer or the layers below it, never above, and the lower
layers stay free of the frameworks of the upper ones (read from the source, lazy imports too).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "newscrawler"

# Module name prefix -> layer; the longest matching prefix decides.
LAYERS = {
    "newscrawler": 0,             # the package root: version and the extract_article entry point
    "newscrawler.config": 0,
    "newscrawler.timeutil": 0,
    "newscrawler.values": 0,
    "newscrawler.files": 0,
    "newscrawler.record": 0,
    "newscrawler.nbd": 0,         # the site: pure
    "newscrawler.store": 1,       # MongoDB
    "newscrawler.warc": 1,        # the page archive
    "newscrawler.crawl": 2,       # everything Scrapy loads
    "newscrawler.cli": 3,         # the command line
    "newscrawler.web": 3,         # the web app (beside the command line: store and warc, no crawl)
    "newscrawler.__main__": 3,
}
LAYER_NAMES = {0: "site knowledge", 1: "archive store", 2: "crawl", 3: "command line and web app"}
# Third-party frameworks a layer must not use (by top-level package).
FORBIDDEN = {0: {"scrapy", "pymongo", "bson", "twisted", "itemloaders", "spidermon", "scrapy_redis"},
             1: {"scrapy", "twisted", "itemloaders", "spidermon", "scrapy_redis"}}


# Packages that must not use a layer below theirs that they do not need: the web app reads the
# archive and loads no Scrapy (nor the crawl, which is Scrapy).
NOT_USED = {"newscrawler.web": {"newscrawler.crawl", "newscrawler.cli", "scrapy", "twisted", "spidermon",
                                "scrapy_redis", "itemloaders"}}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(name: str) -> int:
    matches = [prefix for prefix in LAYERS if name == prefix or name.startswith(prefix + ".")]
    return LAYERS[max(matches, key=len)]


def imports_of(source: str, package: str) -> list[tuple[int, str]]:
    """(line, module) of every import in ``source``, lazy ones included; relative ones resolved
    against ``package``; ``from a import b`` gives ``a.b`` too (b may be a module)."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return sorted(found)


def violations(name: str, source: str, package: str) -> list[str]:
    own = layer_of(name)
    wrong = []
    for line, imported in imports_of(source, package):
        top = imported.split(".")[0]
        if top == "newscrawler" and imported != "newscrawler" and layer_of(imported) > own:
            wrong.append(f"line {line}: {imported} ({LAYER_NAMES[layer_of(imported)]})")
        if top in FORBIDDEN.get(own, ()):
            wrong.append(f"line {line}: {imported} (a framework of a layer above)")
        for package, unused in NOT_USED.items():
            if (name == package or name.startswith(package + ".")) and any(
                    imported == u or imported.startswith(u + ".") for u in unused):
                wrong.append(f"line {line}: {imported} (not used by {package})")
    return wrong


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_no_module_imports_a_layer_above_its_own(path):
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    wrong = violations(name, path.read_text(encoding="utf-8"), package)
    assert not wrong, f"{name} ({LAYER_NAMES[layer_of(name)]}) imports above its layer: " + "; ".join(wrong)


def test_the_check_sees_upward_imports_lazy_and_relative_ones_too():
    source = ("from newscrawler import config\n"
              "def f():\n    from ..crawl.context import CrawlContext\n"
              "import scrapy\n")
    wrong = violations("newscrawler.store.probe", source, "newscrawler.store")
    assert wrong == ["line 3: newscrawler.crawl.context (crawl)", "line 3: newscrawler.crawl.context.CrawlContext (crawl)",
                     "line 4: scrapy (a framework of a layer above)"]
    assert violations("newscrawler.cli.probe", source, "newscrawler.cli") == []
    assert violations("newscrawler.web.probe", source, "newscrawler.web") == [
        "line 3: newscrawler.crawl.context (not used by newscrawler.web)",
        "line 3: newscrawler.crawl.context.CrawlContext (not used by newscrawler.web)",
        "line 4: scrapy (not used by newscrawler.web)"]

