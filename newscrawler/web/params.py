"""Every parameter the web app takes, typed and bounded.

FastAPI reads query parameters into these models (and describes them in the OpenAPI
document); a value of the wrong type, out of range, or a parameter the model does not know
(``category[$ne]=1``) is refused with 422 before any query is made. Text filters are plain
strings compared for equality: besides their type, a value starting with ``$`` is refused
outright (it could only be an attempt at a MongoDB operator), as are control characters.
An empty value (a form's empty field) means "not given".
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from newscrawler import values

MAX_PAGE_SIZE = 100
# How deep pagination goes (page x size): deeper pages cost the archive a walk over every
# article before them; a narrower search or filter is the way further.
MAX_RESULT_WINDOW = 10_000
MAX_TEXT = 200
MAX_SEARCH = 500
MAX_ARTICLE_ID = 10 ** 12
MAX_REVISION = 100_000
MAX_DAYS = 366


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _plain_text(value: Any) -> Any:
    value = _blank_is_none(value)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be text")
    value = value.strip()
    if value.startswith("$"):
        raise ValueError("may not start with $")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("may not contain control characters")
    return value


def _search_text(value: Any) -> Any:
    value = _blank_is_none(value)
    if isinstance(value, str) and any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("may not contain control characters")
    return value


def _when(value: Any) -> Any:
    value = _blank_is_none(value)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be a date")
    values.parse_when(value)  # raises ValueError saying what is accepted
    return value.strip()


# The length bound sits on the text itself: None (an empty field) is not measured.
FilterText = Annotated[Annotated[str, StringConstraints(max_length=MAX_TEXT)] | None, BeforeValidator(_plain_text)]
When = Annotated[Annotated[str, StringConstraints(max_length=32)] | None, BeforeValidator(_when),
                 Field(description="Beijing time: YYYY-MM-DD (the whole day) or 'YYYY-MM-DD HH:MM'")]
Flag = Annotated[bool, BeforeValidator(lambda v: False if _blank_is_none(v) is None else v)]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ArticleSearch(_Params):
    """The search page's and ``/api/articles``' parameters."""

    q: Annotated[Annotated[str, StringConstraints(max_length=MAX_SEARCH)] | None, BeforeValidator(_search_text),
                 Field(description='words (all must appear), "exact phrase", a OR b, -word (not)')] = None
    since: When = None
    until: When = None
    category: FilterText = None
    author: FilterText = None
    tag: FilterText = None
    source: FilterText = None
    edited: Flag = Field(False, description="only articles the site edited (earlier versions kept)")
    deleted: Flag = Field(False, description="only articles marked deleted")
    sort: Annotated[Literal["relevance", "newest", "oldest"] | None, BeforeValidator(_blank_is_none), Field(
        description="default: relevance with q (once the search index is built), else newest")] = None
    page: Annotated[int, Field(ge=1, le=MAX_RESULT_WINDOW)] = 1
    size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 20

    @model_validator(mode="after")
    def _within_window(self) -> "ArticleSearch":
        if self.page * self.size > MAX_RESULT_WINDOW:
            raise ValueError(f"page x size may be at most {MAX_RESULT_WINDOW}: narrow the search instead")
        return self

    def filters(self) -> dict[str, Any]:
        """The given parameters that narrow the result (for links and the API's echo)."""
        return {k: v for k, v in self.model_dump(exclude={"page", "size"}).items() if v not in (None, False)}


class Revisions(_Params):
    """Which two versions a diff compares (revision numbers; default: the one before the
    newer against the current)."""

    from_: Annotated[int | None, BeforeValidator(_blank_is_none),
                     Field(alias="from", ge=1, le=MAX_REVISION)] = None
    to: Annotated[int | None, BeforeValidator(_blank_is_none), Field(ge=1, le=MAX_REVISION)] = None


class StatsParams(_Params):
    days: Annotated[int, Field(ge=1, le=MAX_DAYS, description="days up to today (Beijing)")] = 30
    top: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="how many authors")] = 10


class CrawlsParams(_Params):
    job: FilterText = None
    alerts: Flag = Field(False, description="only runs with alerts")
    page: Annotated[int, Field(ge=1, le=MAX_RESULT_WINDOW)] = 1
    size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 20

    @model_validator(mode="after")
    def _within_window(self) -> "CrawlsParams":
        if self.page * self.size > MAX_RESULT_WINDOW:
            raise ValueError(f"page x size may be at most {MAX_RESULT_WINDOW}")
        return self


class ArchivedPage(_Params):
    page: Annotated[int, Field(ge=1, le=1000, description="page of an article over several pages")] = 1
    view: Literal["page", "source"] = "page"


__all__ = ["ArchivedPage", "ArticleSearch", "CrawlsParams", "MAX_ARTICLE_ID", "MAX_PAGE_SIZE", "MAX_RESULT_WINDOW",
           "MAX_REVISION", "Revisions", "StatsParams"]
