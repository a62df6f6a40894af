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
