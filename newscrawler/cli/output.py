"""Text on a terminal: display widths (wcwidth knows which characters take two columns) and cells."""

from __future__ import annotations

from wcwidth import wcswidth, wcwidth


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide (Chinese) characters 2, combining marks 0."""
    width = wcswidth(text)
    # Control characters have no width of their own (-1): count them as one column.
    return width if width >= 0 else sum(max(wcwidth(ch), 1) if ch.isprintable() else 1 for ch in text)


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns (with … when cut) and padded with spaces to exactly that."""
    if display_width(text) > width:
        out, used = "", 0
        for ch in text:
            w = display_width(ch)
            if used + w > width - 1:
                break
            out, used = out + ch, used + w
        text = out + "…"
    return text + " " * (width - display_width(text))


def fit_marked(parts, width: int, before: str, after: str, *, marks_take_room: bool = True) -> str:
    """Text of (piece, marked) parts cut to ``width`` columns (… when cut), each marked piece
    between ``before`` and ``after``; ``marks_take_room``: the marks are visible characters
    (【】) and count, else (terminal escape codes) they take no column."""
    out, used = [], 0
    room = width - 1  # a column kept for the ellipsis of a cut
    total = sum(display_width(t) + (display_width(before + after) if m and marks_take_room else 0)
                for t, m in parts)
    if total <= width:
        room = width
    for text, marked in parts:
        extra = display_width(before + after) if marked and marks_take_room else 0
        kept, taken = "", used + extra
        for ch in text:
            w = display_width(ch)
            if taken + w > room:
                break
            kept, taken = kept + ch, taken + w
        if kept:
            out.append(f"{before}{kept}{after}" if marked else kept)
            used = taken
        if len(kept) < len(text):
            out.append("…")
            break
    return "".join(out)


def beijing_minutes(moment, missing: str = "?") -> str:
    """A time to the minute in Beijing time, ``2024-12-03 23:30``, for a column or line whose
    header says the zone (``missing`` for no time)."""
    from newscrawler.timeutil import beijing_text

    return beijing_text(moment, seconds=False).removesuffix("+08:00") if moment else missing
