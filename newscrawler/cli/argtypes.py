"""argparse types: a bad value is refused by the parser itself (usage line, exit 2), the same way
in every verb. Each wraps one parser of :mod:`newscrawler.values`."""

from __future__ import annotations

import argparse
from typing import Any, Callable

from newscrawler import values


def _argtype(parse: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name
    return convert


def _columns(text: str) -> list[int]:
    """Column ids the site has (newscrawler/nbd/site.py): an unknown one is refused with the
    known ones listed, rather than sent to the site to 404."""
    from newscrawler.crawl.checks import known_columns_text, unknown_columns

    try:
        ids = values.parse_ids(text)
    except ValueError as exc:
        raise ValueError(f"{exc}; column ids are numbers, the known ones (newscrawler/nbd/site.py):\n"
                         f"{known_columns_text()}") from None
    problem = unknown_columns(ids)
    if problem:
        raise ValueError(problem)
    return ids


when = _argtype(values.parse_when, "date or time")
columns = _argtype(_columns, "column ids")
day = _argtype(lambda text: values.parse_day(text).isoformat(), "date")
ids = _argtype(values.parse_ids, "ids")
setting = _argtype(values.parse_setting, "NAME=VALUE")
positive_int = _argtype(values.positive_int, "positive integer")
