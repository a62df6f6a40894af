"""Time zones and time stamps, once: the site's pages are Beijing time; stored and JSON times are UTC."""

from __future__ import annotations

import datetime as dt
import uuid

UTC = dt.timezone.utc
# The site prints Beijing wall-clock times (UTC+8, no daylight saving), and readers think in it.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def new_run_id(prefix: str = "") -> str:
    """An id for a crawl or a re-extraction run: ``[prefix-]20261129T134200Z-1a2b3c`` (sorts by start)."""
    stamp = f"{utcnow():%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
    return f"{prefix}-{stamp}" if prefix else stamp


def as_beijing(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Beijing time (a naive one is taken as UTC, as the archive stores it)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(BEIJING)


def beijing_text(moment: object, seconds: bool = True) -> str:
    """A time for people: Beijing time saying so with its offset, ``2024-12-03 23:30:00+08:00``
    (``-`` for no time). JSON keeps UTC (``...Z``); CSV takes :func:`beijing_iso`."""
    if not isinstance(moment, dt.datetime):
        return "-"
    return as_beijing(moment).isoformat(sep=" ", timespec="seconds" if seconds else "minutes")


def beijing_iso(moment: dt.datetime) -> str:
    """ISO 8601 in Beijing time with the offset: ``2024-12-03T23:30:00+08:00`` (CSV cells)."""
    return as_beijing(moment).isoformat(timespec="seconds")


def beijing_date(moment: dt.datetime) -> str:
    """``2024-12-03``: the Beijing calendar day of ``moment`` (the site's days, the stats' days)."""
    return moment.astimezone(BEIJING).date().isoformat()


def isoformat_utc(moment: dt.datetime | None) -> str | None:
    """2024-12-03T02:15:00Z: the record's printed form."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
