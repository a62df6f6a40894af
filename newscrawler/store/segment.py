"""Chinese text as search terms: rjieba's words, the dictionary words inside them, and positions
that keep phrases exact.

Terms. Every word of rjieba's accurate cut, plus the dictionary words of two and three
characters inside each longer word (what jieba's search mode adds: ``银行业`` also gives
``银行`` and ``行业``; ``中国人民银行`` gives ``中国``, ``人民``, ``银行``), so a word is found
inside the longer words the segmenter keeps whole. Latin words and numbers are terms as cut.

Positions. A term's position is the number of characters before it in the (normalized) text,
white space not counted (but one between two Latin words) and a run of punctuation counted as
one: its offset in :func:`canonical` text. The words inside a longer word sit at their own
characters. A phrase query asks for its terms at the distances they have in the query text, so
it matches the characters the user typed, in order and together, whichever way the text around
them was cut; white space between Chinese words does not matter, and punctuation matches any
punctuation at the same place: ``"降准，降息"`` finds ``降准、降息``, while ``"资本市场"`` does
not find ``资本，市场``.

Queries. A query's text is cut the same way (accurate mode), and each word of four characters
or more is asked as its dictionary parts at their characters (``中国人民银行`` as ``中国``,
``人民``, ``银行`` together), which the index holds wherever the text has those characters in
one word of its cut, however that word was cut. The index and its queries must use the same
segmenter and dictionary: a word cut differently in the two is not found.
"""

from __future__ import annotations

import re
import unicodedata
from operator import itemgetter

# Parts of a long word that the index holds beside it, as jieba's search mode does.
PART_LENGTHS = (2, 3)
# The canonical text: a run of punctuation (line ends, and the white space around it, included)
# becomes one mark, so a term's character offset in it is its position; white space goes,
# except one space between Latin letters or digits ("iphone 16" stays two words).
_PUNCTUATION = re.compile(r"[\s_]*(?:[^\w\s]|_|\n)[\W_]*")
_SPACE = re.compile(r"\s+")
PUNCTUATION_MARK = ","  # ASCII: NFKC leaves it as it is
_NOT_WORDS = frozenset((PUNCTUATION_MARK, " "))


def normalize(text: str) -> str:
    """NFKC (full-width ``Ａ５`` -> ``a5``) and lower case: what both the index and queries see."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def _space(match: re.Match) -> str:
    text, start, end = match.string, match.start(), match.end()
    latin = start > 0 and end < len(text) and _latin(text[start - 1]) and _latin(text[end])
    return " " if latin else ""


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def canonical(text: str) -> str:
    """``text`` normalized, each run of punctuation one mark, white space gone but between
    Latin words: the character offset of a word in it is its position in the index."""
    # Punctuation first: Chinese text is then mostly NFKC already (its full-width commas and
    # stops are what NFKC would change), and the costly normalization is skipped; a text it
    # does change (full-width letters, ㈱) has its punctuation marked again after it.
    text = _PUNCTUATION.sub(PUNCTUATION_MARK, text)
    if not unicodedata.is_normalized("NFKC", text):
        text = _PUNCTUATION.sub(PUNCTUATION_MARK, unicodedata.normalize("NFKC", text))
    return _SPACE.sub(_space, text.lower())


def _rjieba():
    import rjieba  # loaded on first use: a read verb that searches nothing does not pay for it

    return rjieba


def _parts(word: str) -> list[tuple[int, str]]:
    """The dictionary words of two and three characters inside ``word`` (offset, part): twos
    in a word of three or more characters, threes in one of four or more (jieba's search mode)."""
    if word.isascii():
        return []
    has_word = _rjieba().has_word
    return [(i, word[i:i + n]) for n in PART_LENGTHS if len(word) > n
            for i in range(len(word) - n + 1) if has_word(word[i:i + n])]


def index_terms(text: str | None) -> tuple[str, list[tuple[str, int, int]]]:
    """The canonical text of ``text`` and the terms the index holds for it: (term, start, end)
    in it, ``start`` being the term's position; sorted by position (rjieba's search mode: the
    words and the dictionary words inside the longer ones)."""
    if not text:
        return "", []
    canon = canonical(text)
    terms = [t for t in _rjieba().tokenize(canon, mode="search") if t[0] not in _NOT_WORDS]
    terms.sort(key=itemgetter(1))
    return canon, terms


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
    for word, position, _end in _rjieba().tokenize(canonical(text)):
        if word in _NOT_WORDS:
            continue
        cover = _cover(word) if len(word) > 3 and not word.isascii() else None
        out.extend((position + i, part) for i, part in cover) if cover else out.append((position, word))
    if out:
        first = out[0][0]
        out = [(p - first, t) for p, t in out]
    return out


__all__ = ["canonical", "index_terms", "normalize", "query_terms"]
