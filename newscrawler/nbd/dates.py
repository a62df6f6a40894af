"""Publish times on 每经网 pages: Beijing wall-clock strings to aware UTC datetimes.

China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for
every page the site has published and needs no time-zone database.
"""

from __future__ import annotations

import datetime as dt
import re

from dateutil import parser as date_parser


from newscrawler.timeutil import BEIJING, UTC

# 2024-12-03 10:15:00 · 2024-12-03 10:15 · 2024/12/03 10:15 · 2024年12月03日 10:15
_WALL_CLOCK = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*(\d{2}))?)?"
)
_LD_PUBDATE = re.compile(r'"(?:pubDate|datePublished|publishDate)"\s*:\s*"([^"]{8,40})"')


def parse_beijing(text: str | None, *, need_time: bool = True) -> dt.datetime | None:
    """First Beijing wall-clock time in ``text`` as an aware UTC datetime, else None."""
    if not text:
        return None
    for m in _WALL_CLOCK.finditer(text):
        year, month, day, hour, minute, second = m.groups()
        if need_time and hour is None:
            continue
        try:
            local = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                int(second or 0), tzinfo=BEIJING)
        except ValueError:
            continue  # impossible date such as 2024-02-31: look further
        if not 1990 <= local.year <= 2100:
            continue
        return local.astimezone(UTC)
    return None


def parse_iso(value: str | None) -> dt.datetime | None:
    """An ISO-8601-ish value (ld+json, meta); naive values are Beijing time."""
    if not value:
        return None
    try:
        parsed = date_parser.isoparse(value.strip())
    except (ValueError, OverflowError):
        try:
            parsed = date_parser.parse(value.strip())
        except (ValueError, OverflowError):
            return parse_beijing(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BEIJING)
    if not 1990 <= parsed.year <= 2100:
        return None
    return parsed.astimezone(UTC)


def ld_json_pubdate(raw_html: str) -> dt.datetime | None:
    """The ld+json "pubDate" (its exact form is uncertain, so match loosely, not by JSON)."""
    m = _LD_PUBDATE.search(raw_html)
    return parse_iso(m.group(1)) if m else None


def url_date(created: str | None) -> dt.datetime | None:
    """Midnight Beijing of the date in an article's URL, as UTC."""
    if not created:
        return None
    try:
        d = dt.date.fromisoformat(created)
    except ValueError:
        return None
    return dt.datetime(d.year, d.month, d.day, tzinfo=BEIJING).astimezone(UTC)
