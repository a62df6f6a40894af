"""How the product reads the values people type (command-line options, spider arguments, the jobs
file): one parser for each kind, so the same text means the same thing everywhere."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from newscrawler.timeutil import BEIJING

_RELATIVE_DAYS = re.compile(r"^(\d{1,4})\s*d(?:ays?)?$", re.I)
_TRUE = ("1", "true", "yes", "y", "on")


def split_list(value: Any) -> list[str]:
    """``"a, b，c"`` (ASCII or full-width commas) or a list -> ``["a", "b", "c"]``; blanks dropped."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).replace("，", ",").split(",")
    return [text for text in (str(item).strip() for item in items) if text]


def join_list(value: Any) -> str | None:
    """A list (or list text) as one comma-separated string; None when empty."""
    return ",".join(split_list(value)) or None


def parse_flag(value: Any) -> bool:
    return value is not None and str(value).strip().lower() in _TRUE


def parse_ids(value: Any) -> list[int]:
    """Article or column ids, comma-separated; raises ValueError naming the bad one."""
    ids = []
    for text in split_list(value):
        if not text.isdigit():
            raise ValueError(f"not an id: {text!r}")
        ids.append(int(text))
    return ids


def parse_day(value: Any, today: dt.date | None = None) -> dt.date | None:
    """``YYYY-MM-DD``, or ``Nd`` (N days before today, Beijing time); None or '' -> None."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    match = _RELATIVE_DAYS.match(text)
    if match:
        today = today or dt.datetime.now(BEIJING).date()
        return today - dt.timedelta(days=int(match[1]))
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD or Nd, e.g. 2d)") from None


def parse_when(value: str | None, today: dt.date | None = None) -> dt.date | dt.datetime | None:
    """``YYYY-MM-DD`` or ``Nd`` (N days before today, Beijing time, as :func:`parse_day`) -> a
    date; an ISO date and time (``T`` or a space, optional offset) -> a datetime."""
    if value is None:
        return None
    text = value.strip()
    if _RELATIVE_DAYS.match(text):
        return parse_day(text, today)
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date or time: {text!r} (use YYYY-MM-DD, 'YYYY-MM-DD HH:MM' or Nd, "
                         f"N days ago, e.g. 2d)") from None


def parse_setting(pair: str) -> tuple[str, str]:
    """``NAME=VALUE`` -> (NAME, VALUE)."""
    name, sep, value = pair.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"takes NAME=VALUE, got {pair!r}")
    return name.strip(), value


def positive_int(value: Any) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"must be at least 1, got {number}")
    return number
