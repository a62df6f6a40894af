"""Chinese keyword search without a text index: jieba tokens in an indexed array, then a check.

SecantusDB (and the archive's portability to any MongoDB) rules out text indexes, so each
article stores ``search_tokens``: the words jieba finds in its title and body. A search asks
the ``search_tokens`` index for ONE token and checks everything else in Python, because:

* jieba's *full* mode (``cut_all``) emits every dictionary word found anywhere in the text,
  whatever the surrounding characters. Accurate mode and ``cut_for_search`` choose one
  segmentation by context, so "银行" inside "中国银行业" may or may not come out as a word;
  in full mode it always does. A user's word therefore always finds the documents that
  contain it (for words of two or more Chinese characters).
* Full mode also emits words that only *overlap* the user's word in the text ("国银" is not a
  word, but "中国" and "银行" in "...中国，银行..." are), so matching tokens is not enough:
  :meth:`KeywordSearch.matches` requires every searched word literally in the title or the
  body (case-insensitive, NFKC-normalised), which removes such false positives.
* ``$all`` over several tokens is not served by SecantusDB's index (a full scan:
  ``benchmarks/archive_queries.py``), while one equality on the multikey index is. The
  token asked for is the rarest one by jieba's own corpus frequency, a free estimate of how
  many documents carry it.

Single characters are not indexed (an article has hundreds; they would triple the index and
select nearly everything), and Latin letters and digits are indexed as whole runs: "iPhone"
finds "iPhone 15" but not "iPhone15". A searched word with no indexable token (one Chinese
character, punctuation) is still honoured literally, by the check alone.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when a search runs (jieba costs every read verb its start-up)
    import jieba

FIELD = "search_tokens"
MIN_TOKEN_LENGTH = 2

_init_lock = threading.Lock()
_tokenizer: "jieba.Tokenizer | None" = None


def _jieba() -> jieba.Tokenizer:
    """jieba's default tokenizer, initialised once per process and quietly.

    jieba loads its 350,000-word dictionary lazily (noticeably slow) and announces it on stderr
    ("Building prefix dict from the default dictionary ..."), which would pollute the CLI's
    output; the lock keeps two threads from loading it twice.
    """
    global _tokenizer
    if _tokenizer is None:
        with _init_lock:
            if _tokenizer is None:
                # Imported here: jieba (and the pkg_resources it imports) costs a read verb
                # that searches nothing a tenth of a second.
                with warnings.catch_warnings():
                    # jieba 0.42 imports pkg_resources, which warns on stderr that it is deprecated.
                    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
                    import jieba
                jieba.setLogLevel(logging.WARNING)
                jieba.dt.initialize()
                _tokenizer = jieba.dt
    return _tokenizer


def normalize(text: str) -> str:
    """The form both tokens and literal checks compare: NFKC (full-width ``Ａ５`` -> ``a5``), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _indexable(token: str) -> bool:
    return len(token) >= MIN_TOKEN_LENGTH and any(ch.isalnum() for ch in token)


def tokens_of(text: str) -> list[str]:
    """The indexable tokens of ``text``, de-duplicated, in first-seen order."""
    if not text:
        return []
    seen: dict[str, None] = {}
    for token in _jieba().cut(normalize(text), cut_all=True):
        token = token.strip()
        if _indexable(token):
            seen.setdefault(token, None)
    return list(seen)


def search_tokens(title: str | None, body_text: str | None) -> list[str]:
    """The ``search_tokens`` of an article: its title's and body's tokens, sorted.

    Sorted so the same text always gives the same list (stable documents, readable diffs).
    """
    return sorted(set(tokens_of(title or "")) | set(tokens_of(body_text or "")))


def _rarity(token: str) -> tuple[bool, int, int]:
    """Sort key, rarest first: jieba's corpus frequency (0 for words it doesn't know, such as
    names and Latin words), longer first; bare numbers last (years and amounts are common)."""
    return (token.isdigit(), _jieba().FREQ.get(token, 0), -len(token))


@dataclass(frozen=True)
class KeywordSearch:
    """A parsed user query: every word must be present in the title or the body."""

    words: tuple[str, ...]  # normalised, as typed, de-duplicated
    tokens: tuple[str, ...]  # every word's tokens: all must be in the document's tokens
    key_token: str | None  # the one token the index is asked for (None: no word has one)

    def filter(self) -> dict[str, str]:
        """The index-served part: ``{"search_tokens": key_token}``, or ``{}`` if no word has one."""
        return {FIELD: self.key_token} if self.key_token else {}

    def matches(self, doc: Mapping[str, Any]) -> bool:
        """True if ``doc`` really contains every word (the verify step; no segmentation artefacts).

        The token check keeps whole-word semantics for Latin words whichever token the index
        was asked for; it is skipped for a document stored without tokens.
        """
        stored = doc.get(FIELD)
        if stored is not None and not set(self.tokens).issubset(stored):
            return False
        title = normalize(doc.get("title") or "")
        body = normalize(doc.get("body_text") or "")
        return all(word in title or word in body for word in self.words)


def parse_search(query: str) -> KeywordSearch:
    """Split ``query`` on white space (ASCII or full-width) into words and plan the search.

    Raises ValueError when the query has no word.
    """
    if not isinstance(query, str):
        raise ValueError("the search must be text")
    words = tuple(dict.fromkeys(normalize(w) for w in query.split()))
    if not words:
        raise ValueError("the search has no word")
    tokens = tuple(dict.fromkeys(t for w in words for t in tokens_of(w)))
    key = min(tokens, key=_rarity) if tokens else None
    return KeywordSearch(words=words, tokens=tokens, key_token=key)


def search_filter(query: str) -> dict[str, str]:
    """The MongoDB filter that finds the candidates of ``query`` through the ``search_tokens``
    index (a superset: filter the results with ``parse_search(query).matches``)."""
    return parse_search(query).filter()

__all__ = [
    "FIELD",
    "KeywordSearch",
    "normalize",
    "parse_search",
    "search_filter",
    "search_tokens",
    "tokens_of",
]
