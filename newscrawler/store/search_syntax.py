"""The query language of ``--search`` and the web app's search box: ``a b`` (both), ``"a b"``
(the phrase), ``a OR b``, ``-a``; each word or phrase cut into the index's terms
(:mod:`newscrawler.store.segment`). Apart from the index itself (:mod:`.fulltext`), so that
reading a search loads the segmenter and nothing else: the command line parses it in a child
process beside its own start-up (``cli/commands/_archive.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newscrawler.store.segment import query_terms

# Everything the query language gives meaning to: quotes, the OR keyword, a leading minus.
_QUERY_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')


class SearchSyntaxError(ValueError):
    """A search the query language cannot read (nothing to look for, a dangling OR)."""


Terms = tuple[tuple[int, str], ...]  # one word or phrase: terms at their positions


@dataclass(frozen=True)
class Search:
    """A parsed search: every group must match (a group: any of its clauses), no excluded clause
    may. A clause is a word or a phrase as the index's terms."""

    groups: tuple[tuple[Terms, ...], ...]
    excluded: tuple[Terms, ...] = ()

    @property
    def clauses(self) -> tuple[Terms, ...]:
        """The clauses a match shows (the excluded ones never appear in a hit)."""
        return tuple(clause for group in self.groups for clause in group)


def parse_search(search: str) -> Search:
    """The user's search: ``a b`` both must match; ``"a b"`` the exact phrase; ``a OR b``
    either; ``-a`` / ``-"a b"`` not. ``OR`` binds its neighbours into one group. A word is cut
    as the index's text was (:func:`segment.query_terms`): a Chinese word may be several terms,
    asked for together as a phrase. User text is never query syntax of tantivy's.
    """
    if not isinstance(search, str):
        raise SearchSyntaxError("the search must be text")
    groups: list[list[Terms]] = []
    excluded: list[Terms] = []
    join_next = False
    for minus, phrase, bare in _QUERY_TOKEN.findall(search):
        if bare == "OR":
            if not groups or join_next:
                raise SearchSyntaxError("OR needs a word on each side")
            join_next = True
            continue
        negated = bool(minus) or (bare.startswith("-") and len(bare) > 1)
        text = phrase if phrase or minus else (bare[1:] if negated else bare)
        terms = tuple(query_terms(text))
        if not terms:
            continue
        if negated:
            excluded.append(terms)
        elif join_next:
            groups[-1].append(terms)
        else:
            groups.append([terms])
        join_next = False
    if join_next:
        raise SearchSyntaxError("OR needs a word on each side")
    if not groups:
        raise SearchSyntaxError("the search has no word to look for")
    return Search(groups=tuple(tuple(g) for g in groups), excluded=tuple(excluded))


__all__ = ["Search", "SearchSyntaxError", "Terms", "parse_search"]
