"""What a crawl is given, checked before it starts: settings (``-s NAME=VALUE``) whose value
cannot be what the setting takes, spider arguments the spider does not know (a typo), column
ids the site does not have, URLs that are no article of the site.

A crawl given any of these fails late and loudly otherwise (a traceback from deep inside
Twisted for ``DOWNLOAD_DELAY=fast``) or, worse, does something else quietly (a typo'd argument
ignored, the default columns crawled). Each problem is one sentence: ``newscrawler crawl``
prints it and exits with 2, as does ``scrapy crawl`` (through the project's own ``crawl``
command, crawl/commands/crawl.py) and the spider itself (an exception at creation).
"""

from __future__ import annotations

import difflib
import json
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

from newscrawler import config
from newscrawler.nbd import site

# Settings whose default is a whole number but that are read as numbers with a fraction
# (Scrapy's and ours: settings.getfloat), so ``DOWNLOAD_DELAY=0.5`` is right.
FLOAT_READ = frozenset({
    "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "DOWNLOAD_DELAY_JITTER", "CLOSESPIDER_TIMEOUT", "DNS_TIMEOUT",
    "LOGSTATS_INTERVAL", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY",
    "REDIS_HEARTBEAT_INTERVAL", "REDIS_SOCKET_TIMEOUT", "REDIS_UNAVAILABLE_TIMEOUT", "REDIS_WORKER_TIMEOUT",
    "ARCHIVE_RETRY_INTERVAL", "BACKFILL_RATE", "WARC_FLUSH_INTERVAL", "RETRY_BACKOFF_BASE", "RETRY_BACKOFF_MAX",
})
# Text Scrapy's getbool takes (``int()`` of it, or these words).
_BOOL_WORDS = ("True", "true", "False", "false")


def _defaults() -> dict[str, Any]:
    """Every known setting's default: Scrapy's, then ours (config.py), then the project's own
    choices for Scrapy's settings (crawl/settings.py)."""
    from scrapy.settings import default_settings

    from newscrawler.crawl import settings as project

    known = {name: getattr(default_settings, name) for name in dir(default_settings) if name.isupper()}
    known.update(config.DEFAULTS)
    known.update({name: getattr(project, name) for name in dir(project) if name.isupper()})
    return known


def setting_problem(name: str, value: Any, defaults: Mapping[str, Any] | None = None) -> str | None:
    """Why ``value`` cannot be the setting ``name`` (a sentence), or None. Only settings whose
    kind is known are checked: yes/no, numbers and tables; text and unknown names pass."""
    if not isinstance(value, str):
        return None  # a typed value (a jobs file's TOML, a test's dict): as the setting takes it
    defaults = _defaults() if defaults is None else defaults
    if name == "NEWSCRAWLER_DB_PORT":
        try:
            config.db_port({name: value})
        except ValueError as exc:
            return str(exc)
        return None
    default = defaults.get(name)
    text = value.strip()
    if isinstance(default, bool):
        if text in _BOOL_WORDS or _is_int(text):
            return None
        return f"{name} is a yes/no setting: give 1 or 0 (or true/false), not {value!r}"
    if isinstance(default, (int, float)):
        if _is_int(text) or ((isinstance(default, float) or name in FLOAT_READ) and _is_float(text)):
            return None
        kind = "a number of seconds" if "DELAY" in name or "TIMEOUT" in name or "INTERVAL" in name else \
            "a number" if isinstance(default, float) or name in FLOAT_READ else "a whole number"
        return f"{name} takes {kind} (default {default}), not {value!r}"
    if isinstance(default, dict):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            return f"{name} takes a JSON object such as {json.dumps(default, ensure_ascii=False)}, not {value!r}"
    return None


def settings_problems(settings: Mapping[str, Any]) -> list[str]:
    """The problems of several settings (``-s`` pairs, a job's table), one sentence each."""
    defaults = _defaults()
    return [problem for name, value in settings.items()
            if (problem := setting_problem(name, value, defaults)) is not None]


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _is_float(text: str) -> bool:
    try:
        number = float(text)
    except ValueError:
        return False
    return number == number and number not in (float("inf"), float("-inf"))


# -- spider arguments -----------------------------------------------------------------------------


def unknown_arguments(spider_name: str, known: Iterable[str], given: Iterable[str]) -> str | None:
    """The sentence for spider arguments the spider does not take (a typo: ``colums``), naming
    the ones it takes; None when all are known. Names starting with ``_`` are Scrapyd's
    (``_job``) and pass."""
    known = list(known)
    unknown = [name for name in given if not name.startswith("_") and name not in known]
    if not unknown:
        return None
    guesses = [g for name in unknown for g in difflib.get_close_matches(name, known, n=1)]
    guess = f" (did you mean {', '.join(guesses)}?)" if guesses else ""
    plural = "s" if len(unknown) > 1 else ""
    return (f"the {spider_name} spider takes no argument{plural} {', '.join(map(repr, unknown))}{guess}; "
            f"its arguments: {', '.join(known)}")


def unknown_columns(ids: Iterable[int]) -> str | None:
    """The sentence for column ids newscrawler/nbd/site.py does not know, listing the known
    ones by section; None when all are known."""
    unknown = [column for column in ids if column not in site.COLUMNS]
    if not unknown:
        return None
    plural = "s" if len(unknown) > 1 else ""
    return (f"unknown column{plural} {', '.join(map(str, unknown))}; the known columns "
            f"(newscrawler/nbd/site.py):\n{known_columns_text()}")


def known_columns_text(indent: str = "  ") -> str:
    """The known columns, one line per section: ``宏观: 44 要闻, 129 宏观首页, ...``."""
    groups: dict[str, list[str]] = {}
    for column, (name, host) in sorted(site.COLUMNS.items()):
        section = site.SECTIONS.get(host, host) if host else "site-wide"
        groups.setdefault(section, []).append(f"{column} {name}")
    return "\n".join(textwrap.fill(f"{section}: {', '.join(entries)}", width=100, initial_indent=indent,
                                   subsequent_indent=indent * 2) for section, entries in groups.items())


def bad_urls(values: Iterable[str], base_url: str | None) -> list[str]:
    """Those of ``values`` (article URLs or ids) that are no article of the site crawled: not a
    number, and no article URL on ``base_url``'s host, a 每经网 host or a mirror."""
    return [value for value in values
            if not str(value).strip().isdigit() and site.parse_article_url(str(value), base_url) is None]


def bad_urls_sentence(bad: list[str], base_url: str | None) -> str:
    where = f"{base_url} (NBD_BASE_URL)" if base_url and base_url.rstrip("/") != site.DEFAULT_BASE_URL else "每经网"
    return (f"not an article URL or id of {where}: {', '.join(bad)} "
            f"(an article's address looks like {site.DEFAULT_BASE_URL}/articles/2024-12-03/3704821.html)")
