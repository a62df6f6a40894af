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


when = _argtype(values.parse_when, "date or time")
day = _argtype(lambda text: values.parse_day(text).isoformat(), "date")
ids = _argtype(values.parse_ids, "ids")
setting = _argtype(values.parse_setting, "NAME=VALUE")
positive_int = _argtype(values.positive_int, "positive integer")
