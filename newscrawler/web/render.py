"""What the pages show, drawn here on the server: article bodies made safe, search snippets,
times for people, and charts as inline SVG (no script, no chart library, nothing fetched).

An archived body is HTML from another site: it is rewritten (its images pointed at the
archive's own copy, or replaced by a link to the original address when the archive keeps
none, so reading a page fetches nothing from the site) and then sanitized by nh3 (the Rust
``ammonia`` sanitizer's binding) with its allow-list: no script, no event handler, no style,
no frame, only http(s) and relative links. Pages also carry a Content-Security-Policy that
forbids scripts and images from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from newscrawler.timeutil import as_beijing

SNIPPET_LENGTH = 120  # characters of a listing's passage
LINK_REL = "noopener noreferrer nofollow"


# -- times ----------------------------------------------------------------------------------


def beijing(moment: Any, seconds: bool = False) -> str:
    """``2024-12-03 23:30`` in Beijing time (pages label the zone), ``-`` for no time."""
    if not isinstance(moment, dt.datetime):
        return "-"
    return as_beijing(moment).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def utc_iso(moment: Any) -> str:
    """The machine-readable form (``<time datetime>``): UTC with Z."""
    from newscrawler.record import json_value

    return json_value(moment) if isinstance(moment, dt.datetime) else ""


def http_url(url: Any) -> str:
    """``url`` if it is an http(s) address, else ``#``: an archived value never becomes a
    ``javascript:`` link."""
    text = str(url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else "#"


# -- bodies ---------------------------------------------------------------------------------


def stored_image_path(doc: Mapping[str, Any], size: str = "full") -> str | None:
    """The images-store path of the article's archived thumbnail (``full`` or a thumb size)."""
    thumb = doc.get("thumbnail")
    if not isinstance(thumb, Mapping) or not thumb.get("path"):
        return None
    if size == "full":
        return str(thumb["path"])
    path = (thumb.get("thumbs") or {}).get(size)
    return str(path) if path else None


def _largest(url: str) -> str:
    """The largest size of an image address (nbd/site.py), the address itself if unreadable."""
    from newscrawler.nbd.site import largest_image_url

    try:
        return largest_image_url(url)
    except ValueError:
        return url


def _archived_sources(doc: Mapping[str, Any]) -> set[str]:
    """Image addresses whose picture the archive keeps: the page's thumbnail, and the size
    of it the crawl downloaded."""
    thumb = doc.get("thumbnail")
    sources = {doc.get("thumbnail_url"), thumb.get("url") if isinstance(thumb, Mapping) else None}
    sources = {str(s) for s in sources if s}
    return sources | {_largest(s) for s in sources}


def safe_body(doc: Mapping[str, Any]) -> Markup:
    """The article's stored ``body_html`` ready to show: images rewritten, then sanitized."""
    import lxml.html
    import nh3

    body = doc.get("body_html") or ""
    if not body.strip():
        text = doc.get("body_text") or ""
        return Markup("".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip()))
    root = lxml.html.fragment_fromstring(body, create_parent="div")
    archived = _archived_sources(doc)
    local = stored_image_path(doc, "full")
    for img in list(root.iter("img")):
        src = (img.get("src") or "").strip()
        if local and src and (src in archived or _largest(src) in archived):
            img.set("src", f"/images/{local}")
            continue
        link = lxml.html.Element("a", href=src, **{"class": "remote-image"})
        link.text = "［图片未存档：原图链接］" if src else "［图片］"
        link.tail = img.tail
        img.getparent().replace(img, link)
    rewritten = lxml.html.tostring(root, encoding="unicode")
    attributes = {**nh3.ALLOWED_ATTRIBUTES, "a": {"href", "hreflang", "title", "class"}}
    return Markup(nh3.clean(rewritten, attributes=attributes, url_schemes={"http", "https"}, link_rel=LINK_REL))


# -- snippets -------------------------------------------------------------------------------


def snippet(doc: Mapping[str, Any], clauses: Sequence, length: int = SNIPPET_LENGTH) -> Markup:
    """The passage of ``doc`` where the search's ``clauses`` are (store/snippets.py: the same
    passage ``query --search`` shows), the matches in ``<mark>``; without clauses (or none
    found), the opening of the summary or the body."""
    from newscrawler.store.snippets import snippet as passage

    parts = passage(doc, clauses, length).parts
    return Markup("".join(f"<mark>{html.escape(text)}</mark>" if marked else html.escape(text)
                          for text, marked in parts))


# -- diffs ----------------------------------------------------------------------------------


def segments_html(segments: Sequence[tuple[str, str]]) -> Markup:
    """A comparison's segments (store/changes.py) with ``<del>`` and ``<ins>``."""
    tags = {"delete": "del", "insert": "ins"}
    return Markup("".join(f"<{tags[op]}>{html.escape(text)}</{tags[op]}>" if op in tags else html.escape(text)
                          for op, text in segments))


# -- charts ---------------------------------------------------------------------------------

CHART_COLOURS = ("#2f6db5", "#d9822b", "#3a9a5b")


def continuous_months(per_month: Mapping[str, int]) -> list[tuple[str, int]]:
    """Every month from the first to the last of ``per_month`` (``YYYY-MM``), none skipped."""
    if not per_month:
        return []
    first, last = min(per_month), max(per_month)
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        key = f"{year:04d}-{month:02d}"
        out.append((key, per_month.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def bar_chart(labels: Sequence[str], series: Mapping[str, Sequence[int]], *, title: str,
              width: int = 760, height: int = 200) -> Markup:
    """A bar chart as inline SVG: one group of bars per label, one bar per series (a legend
    when there are several); each bar says its label and value on hover (``<title>``)."""
    caption = f"<figcaption>{escape(title)}</figcaption>"
    if not labels or not any(any(values) for values in series.values()):
        return Markup(f'{caption}<p class="chart-empty">Nothing to show.</p>')
    left, right, top, bottom = 48, 8, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = int(max(max(values) for values in series.values())) or 1
    group = plot_w / len(labels)
    bar = min(max(group * 0.8 / len(series), 0.5), 36.0)
    inset = (group - bar * len(series)) / 2
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for value in sorted({0, peak // 2, peak} if peak >= 4 else set(range(peak + 1))):  # y axis: whole numbers
        y = top + plot_h - value / peak * plot_h
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd" stroke-width="1"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="#555">{_number(value)}</text>')
    for s, (name, values) in enumerate(series.items()):
        colour = CHART_COLOURS[s % len(CHART_COLOURS)]
        for i, (label, value) in enumerate(zip(labels, values)):
            if not value:
                continue
            h = max(value / peak * plot_h, 1.0)
            x = left + i * group + inset + s * bar
            parts.append(f'<rect class="bar s{s}" x="{x:.2f}" y="{top + plot_h - h:.2f}" width="{bar:.2f}" '
                         f'height="{h:.2f}" fill="{colour}"><title>{escape(label)}: {value} {escape(name)}'
                         f"</title></rect>")
    step = max(1, -(-len(labels) // 8))  # at most about 8 labels on the x axis, and the last one
    shown = list(range(0, len(labels), step))
    if shown[-1] != len(labels) - 1:
        shown[-1 if len(labels) - 1 - shown[-1] <= step / 2 else len(shown):] = [len(labels) - 1]
    for i in shown:
        x = left + i * group + group / 2
        parts.append(f'<text class="label" x="{x:.1f}" y="{height - 10}" text-anchor="middle" font-size="11" '
                     f'fill="#555">{escape(labels[i])}</text>')
    if len(series) > 1:
        for s, name in enumerate(series):
            x = left + 8 + s * 110
            parts.append(f'<rect class="key s{s}" x="{x}" y="2" width="10" height="10" '
                         f'fill="{CHART_COLOURS[s % len(CHART_COLOURS)]}"/>')
            parts.append(f'<text x="{x + 14}" y="11" font-size="11" fill="#333">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup(caption + "".join(parts))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


__all__ = ["bar_chart", "beijing", "continuous_months", "http_url", "safe_body", "segments_html", "snippet",
           "stored_image_path", "utc_iso"]
