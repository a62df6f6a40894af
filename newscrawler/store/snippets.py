"""The passage of a matching article where its search's words are, with the matches marked.

Found in the article's own text, not in the index (which keeps no text): each word or phrase
of the search becomes a pattern over the normalized text (NFKC, lower case) that allows what
the index allows between its characters (white space; a run of punctuation or white space
where the query had one), so the marks fall where the index matched. The body is preferred (the title is
shown anyway), then the summary, then the title; the window holds the most distinct words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from newscrawler.store.segment import normalize

SNIPPET_CHARS = 120  # characters of the passage (the table cuts it to the terminal's width)
CONTEXT_BEFORE = 20  # characters kept before the first match in the passage
FIELDS = ("body_text", "summary", "title")
ELLIPSIS = "…"
_GAP = r"[\W_]+"  # a run of punctuation, or the space between Latin words: one position in the index


@dataclass(frozen=True)
class Snippet:
    """A passage as parts: (text, True for a match)."""

    parts: tuple[tuple[str, bool], ...]

    def text(self, before: str = "【", after: str = "】") -> str:
        return "".join(f"{before}{t}{after}" if marked else t for t, marked in self.parts)

    @property
    def plain(self) -> str:
        return "".join(t for t, _ in self.parts)


def clause_pattern(terms: Iterable[tuple[int, str]]) -> re.Pattern:
    """A pattern over normalized text for one word or phrase given as index terms at positions."""
    chars: dict[int, str] = {}
    for position, term in terms:
        for i, ch in enumerate(term):
            chars.setdefault(position + i, ch)
    pieces, previous = [], None
    for position in sorted(chars):
        if previous is not None:
            pieces.append(r"\s*" if position == previous + 1 else _GAP)
        pieces.append(re.escape(chars[position]))
        previous = position
    return re.compile("".join(pieces))


def _normalized(text: str) -> tuple[str, list[int] | None]:
    """``text`` normalized, and for each of its characters the offset in ``text`` (None when
    normalizing kept every character in place, as for Chinese, ASCII and full-width forms)."""
    whole = normalize(text)
    if len(whole) == len(text):
        return whole, None
    out, origin = [], []
    for i, ch in enumerate(text):
        n = normalize(ch)
        out.append(n)
        origin.extend([i] * len(n))
    return "".join(out), origin


def _matches(text: str, patterns: list[re.Pattern]) -> list[tuple[int, int, int]]:
    """(start, end, which pattern) of every match in ``text``, offsets in ``text``."""
    normalized, origin = _normalized(text)
    found = []
    for n, pattern in enumerate(patterns):
        for m in pattern.finditer(normalized):
            if m.end() > m.start():
                start, end = m.start(), m.end()
                if origin is not None:
                    start, end = origin[start], origin[end - 1] + 1
                found.append((start, end, n))
    found.sort()
    return found


def snippet(article: Mapping[str, Any], clauses: Iterable[Iterable[tuple[int, str]]],
            chars: int = SNIPPET_CHARS) -> Snippet:
    """The passage of ``article`` (title, summary, body_text) showing the most of ``clauses``
    (the search's words and phrases as index terms), at most ``chars`` characters besides the
    ellipses; the opening of the text, unmarked, when no clause is found in it."""
    patterns = [clause_pattern(c) for c in clauses]
    for name in FIELDS:
        text = article.get(name)
        if not isinstance(text, str) or not text:
            continue
        found = _matches(text, patterns)
        if found:
            return _window(text, found, chars)
    for name in ("summary", "body_text", "title"):
        text = article.get(name)
        if isinstance(text, str) and text.strip():
            return _window(text, [], chars)
    return Snippet(())


def _window(text: str, found: list[tuple[int, int, int]], chars: int) -> Snippet:
    best, best_start = -1, 0
    for start, _end, _n in found:  # the window from each match: the one with most distinct words
        distinct = len({n for s, e, n in found if s >= start and e <= start + chars})
        if distinct > best:
            best, best_start = distinct, start
    start = max(0, best_start - CONTEXT_BEFORE) if found else 0
    end = min(len(text), start + chars)
    start = max(0, min(start, end - chars))
    parts: list[tuple[str, bool]] = []
    cursor = start
    for s, e, _n in found:
        if s < cursor or e > end:
            continue
        if s > cursor:
            parts.append((_flat(text[cursor:s]), False))
        parts.append((_flat(text[s:e]), True))
        cursor = e
    if cursor < end:
        parts.append((_flat(text[cursor:end]), False))
    if start > 0:
        parts.insert(0, (ELLIPSIS, False))
    if end < len(text):
        parts.append((ELLIPSIS, False))
    return Snippet(tuple(parts))


def _flat(text: str) -> str:
    """One line: the body's line ends as spaces."""
    return re.sub(r"\s*\n\s*", " ", text)


__all__ = ["SNIPPET_CHARS", "Snippet", "clause_pattern", "snippet"]
