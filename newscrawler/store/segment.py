"""Chinese text as search terms: rjieba's words, the dictionary words inside them, and positions
that keep phrases exact.

Terms. Every word of rjieba's accurate cut, plus the dictionary words of two and three
characters inside each longer word (what jieba's search mode adds: ``银行业`` also gives
``银行`` and ``行业``; ``中国人民银行`` gives ``中国``, ``人民``, ``银行``), so a word is found
inside the longer words the segmenter keeps whole. Latin words and numbers are terms as cut.

Positions. A term's position is the number of characters before it in the (normalized) text,
white space not counted and a run of punctuation counted as one. The words inside a longer
word sit at their own characters. A phrase query asks for its terms at the distances they have
in the query text, so it matches the characters the user typed, in order and together,
whichever way the text around them was cut; white space in the query does not matter, and
punctuation matches any punctuation at the same place: ``"降准，降息"`` finds ``降准、降息``,
while ``"资本市场"`` does not find ``资本，市场``.

Queries. A query's text is cut the same way (accurate mode), and each word of four characters
or more is asked as its dictionary parts at their characters (``中国人民银行`` as ``中国``,
``人民``, ``银行`` together), which the index holds wherever the text has those characters in
one word of its cut, however that word was cut. The index and its queries must use the same
segmenter and dictionary: a word cut differently in the two is not found.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

# Parts of a long word that the index holds beside it, as jieba's search mode does.
PART_LENGTHS = (2, 3)


def normalize(text: str) -> str:
    """NFKC (full-width ``Ａ５`` -> ``a5``) and lower case: what both the index and queries see."""
    return unicodedata.normalize("NFKC", text).lower()


def _rjieba():
    import rjieba  # loaded on first use: a read verb that searches nothing does not pay for it

    return rjieba


def _is_word(piece: str) -> bool:
    return any(ch.isalnum() for ch in piece)


def _words(text: str) -> Iterator[tuple[int, str, int]]:
    """(position, word, character offset) of the accurate cut's words of normalized ``text``."""
    position, after_punctuation = 0, False
    for piece, start, _end in _rjieba().tokenize(text):
        if piece.isspace():
            continue
        if not _is_word(piece):
            if not after_punctuation:
                position += 1
            after_punctuation = True
            continue
        after_punctuation = False
        yield position, piece, start
        position += len(piece)


def _parts(word: str) -> list[tuple[int, str]]:
    """The dictionary words of two and three characters inside ``word`` (offset, part): twos
    in a word of three or more characters, threes in one of four or more."""
    if word.isascii():
        return []
    has_word = _rjieba().has_word
    return [(i, word[i:i + n]) for n in PART_LENGTHS if len(word) > n
            for i in range(len(word) - n + 1) if has_word(word[i:i + n])]


def index_terms(text: str | None) -> list[tuple[int, str, int, int]]:
    """The terms the index holds for ``text``: (position, term, start, end), the character
    offsets in the normalized text; sorted by position."""
    if not text:
        return []
    out: list[tuple[int, str, int, int]] = []
    for position, word, start in _words(normalize(text)):
        out.append((position, word, start, start + len(word)))
        if len(word) > 2:
            parts = sorted(_parts(word))
            out.extend((position + i, part, start + i, start + i + len(part)) for i, part in parts)
    out.sort(key=lambda t: t[0])  # stable: a word before its parts at the same position
    return out


def _cover(word: str) -> list[tuple[int, str]] | None:
    """Few dictionary parts of ``word`` that cover every character of it (offset, part), or
    None when its parts leave a character out."""
    parts = _parts(word)
    out: list[tuple[int, str]] = []
    covered = 0
    while covered < len(word):
        reach = [(i + len(p), -i, p) for i, p in parts if i <= covered and i + len(p) > covered]
        if not reach:
            return None
        end, minus_start, part = max(reach)
        out.append((-minus_start, part))
        covered = end
    return out


def query_terms(text: str) -> list[tuple[int, str]]:
    """A query's words or phrase as terms at their positions, the first at 0; words of four or
    more characters as the parts that cover them (see the module doc). Empty if ``text`` has no
    word (only punctuation)."""
    out: list[tuple[int, str]] = []
    for position, word, _start in _words(normalize(text)):
        cover = _cover(word) if len(word) > 3 and not word.isascii() else None
        out.extend((position + i, part) for i, part in cover) if cover else out.append((position, word))
    if out:
        first = out[0][0]
        out = [(p - first, t) for p, t in out]
    return out


__all__ = ["index_terms", "normalize", "query_terms"]
