"""The full-text index on a small index written directly (no MongoDB): segmentation and positions,
the query language (conjunction, phrases, OR, exclusion), words inside longer words, phrases
and punctuation, filters, orders, counts per Beijing day, snippets, edits and the writer lock."""

from __future__ import annotations

import datetime as dt

import pytest

from newscrawler.store import fulltext
from newscrawler.store.fulltext import FullTextIndex, IndexBusy, SearchSyntaxError, WriterLock, parse_search
from newscrawler.store.queries import ArticleQuery
from newscrawler.store.segment import index_terms, query_terms
from newscrawler.store.snippets import snippet

UTC = dt.timezone.utc


def art(article_id, title, body, *, summary="", day=1, hour=2, category="金融", authors=("甲",), tags=(), revision=1):
    return {"article_id": article_id, "title": title, "summary": summary, "body_text": body,
            "published_at": dt.datetime(2024, 1, day, hour, tzinfo=UTC), "category": category,
            "source": "每日经济新闻", "authors": list(authors), "tags": list(tags), "revision": revision}


DOCS = [
    art(1, "央行宣布降准", "中国人民银行今日宣布下调存款准备金率。资本市场反应积极。", day=1),
    art(2, "证监会发布新规", "证监会发布了关于资本市场的新规则。", summary="资本市场改革", day=2, category="证券",
        authors=("乙",), tags=("监管",), revision=2),
    art(3, "新能源汽车销量增长", "比亚迪销量创新高，市场资本涌入。", summary=None, day=3, category="公司"),
    art(4, "Apple发布iPhone", "苹果公司在加州发布新款手机。", day=4, category="TMT"),
    art(5, "银行业协会发布报告", "中国银行业协会称：降准、降息有助于稳定预期。", day=5, hour=17),
]


def write(path, docs):
    import tantivy

    writer = tantivy.Index(fulltext._schema(), path=str(path), reuse=True).writer(
        heap_size=fulltext.WRITER_HEAP, num_threads=1)
    fulltext.add_articles(writer, docs)
    writer.commit()
    writer.wait_merging_threads()


@pytest.fixture
def index(tmp_path):
    write(tmp_path, DOCS)
    return FullTextIndex(tmp_path)


def found(index, search, query=None, **kwargs) -> set[int]:
    filters = fulltext.filter_queries(index.schema, query, kwargs.pop("deleted", None)) if query else []
    return set(index.article_ids(index.to_query(search, filters), **kwargs))


# -- segmentation ------------------------------------------------------------------------------

def test_the_index_holds_words_the_parts_inside_long_ones_and_positions_by_character():
    terms = [(p, t) for t, p, _e in index_terms("中国银行业，降准")[1]]
    assert (0, "中国") in terms and (2, "银行业") in terms
    assert (2, "银行") in terms and (3, "行业") in terms  # the dictionary words inside 银行业
    assert (6, "降准") in terms  # 中国银行业 takes 0-4, the comma one position
    assert index_terms("Ａ股") == index_terms("a股")  # full width and case normalized


def test_a_long_query_word_is_asked_as_the_parts_that_cover_it():
    assert query_terms("中国人民银行") == [(0, "中国"), (2, "人民"), (4, "银行")]
    assert query_terms("银行") == [(0, "银行")]
    assert query_terms("降准，降息") == [(0, "降准"), (3, "降息")]
    assert query_terms("资本 市场") == query_terms("资本市场")  # white space takes no position
    assert query_terms("iPhone 16") == [(0, "iphone"), (7, "16")]  # but one between Latin words
    assert query_terms("降准 。\n 降息") == query_terms("降准、降息")  # a run of punctuation: one
    assert query_terms("，。！") == []


# -- the query language --------------------------------------------------------------------------

def test_every_word_must_match(index):
    assert found(index, "资本 市场") == {1, 2, 3}
    assert found(index, "资本 证监会") == {2}
    assert found(index, "资本 汽车 央行") == set()


def test_an_exact_phrase_needs_its_words_together_in_order(index):
    # 3 has both words, apart and the other way round ("市场资本"): not the phrase.
    assert found(index, '"资本市场"') == found(index, '"资本 市场"') == found(index, "资本市场") == {1, 2}
    assert found(index, '"市场资本"') == {3}


def test_a_word_is_found_inside_the_longer_words_the_segmenter_keeps_whole(index):
    assert found(index, "银行") == {1, 5}  # 中国人民银行, 银行业
    assert found(index, "人民银行") == {1}
    assert found(index, "行业") == {5}
    assert found(index, "中国银行") == {5}  # 中国 + 银行 inside 银行业, together


def test_a_phrase_holds_across_punctuation_but_never_jumps_it(index):
    assert found(index, '"降准，降息"') == found(index, '"降准、降息"') == found(index, '"降准 , 降息"') == {5}
    assert found(index, '"降准降息"') == set()  # the text has punctuation between them
    assert found(index, '"高市场"') == set() and found(index, '"高。市场"') == {3}  # 创新高，市场
    assert found(index, '"汽车销量"') == {3}


def test_or_takes_either(index):
    assert found(index, "央行 OR 证监会") == {1, 2}
    assert found(index, "资本 央行 OR 比亚迪") == {1, 3}  # OR binds its neighbours; the rest is ANDed


def test_a_minus_word_excludes(index):
    assert found(index, "资本 -证监会") == {1, 3}
    assert found(index, '市场 -"资本市场"') == {3}
    assert found(index, "央行 OR 比亚迪 -降准") == {3}


def test_latin_words_are_case_and_width_insensitive(index):
    assert found(index, "iphone") == found(index, "ＩＰＨＯＮＥ") == {4}


def test_user_text_is_never_query_syntax(index):
    assert found(index, "title:央行") == set()  # a field name is a word here, not syntax
    for search in ("a AND (", '资本 "unclosed', "资本 + ^ *", "a:b [1 TO 2]"):
        index.article_ids(index.to_query(search))  # no parser error reaches the user
    with pytest.raises(SearchSyntaxError):
        parse_search("OR 央行")
    with pytest.raises(SearchSyntaxError):
        parse_search("央行 OR")
    with pytest.raises(SearchSyntaxError):
        parse_search("，。 \\ + ^ *")


def test_relevance_first_unless_sorted_by_time(index):
    # 2 says 资本市场 in its summary and body: the better match.
    assert index.article_ids(index.to_query("资本市场"))[0] == 2
    assert index.article_ids(index.to_query("资本"), sort="newest") == [3, 2, 1]
    assert index.article_ids(index.to_query("资本"), sort="oldest") == [1, 2, 3]
    assert index.article_ids(index.to_query("资本"), sort="newest", limit=1, offset=1) == [2]
    assert index.count(index.to_query("资本")) == 3


def test_a_title_match_ranks_above_a_body_match(index):
    assert index.article_ids(index.to_query("降准"))[0] == 1  # in 1's title, in 5's body


# -- filters, counts per day ---------------------------------------------------------------------

def test_the_filters_are_answered_by_the_index(index):
    assert found(index, "资本", ArticleQuery(category="证券")) == {2}
    assert found(index, "资本 OR 降准", ArticleQuery(author="乙")) == {2}
    assert found(index, "资本", ArticleQuery(tag="监管")) == {2}
    assert found(index, "资本", ArticleQuery(source="每日经济新闻")) == {1, 2, 3}
    assert found(index, "资本", ArticleQuery(source="新华社")) == set()
    assert found(index, "资本", ArticleQuery(edited=True)) == {2}
    # Beijing dates: 2024-01-02 is 2024-01-01T16:00Z to 2024-01-02T16:00Z.
    assert found(index, "资本", ArticleQuery(since=dt.date(2024, 1, 2), until=dt.date(2024, 1, 3))) == {2, 3}
    assert found(index, "资本", ArticleQuery(deleted=True), deleted=[3, 99]) == {3}
    assert found(index, "资本", ArticleQuery(deleted=True), deleted=[]) == set()


def test_matches_per_beijing_day(index):
    # 5 is published 2024-01-05 17:00 UTC: 2024-01-06 01:00 in Beijing.
    assert index.per_day(index.to_query("降准 OR 资本")) == {
        "2024-01-01": 1, "2024-01-02": 1, "2024-01-03": 1, "2024-01-06": 1}


def test_an_edited_article_replaces_its_document(tmp_path, index):
    write(tmp_path, [{**DOCS[0], "body_text": "央行宣布降息。", "category": "宏观"}])
    index = FullTextIndex(tmp_path)
    assert found(index, "降息") == {1, 5}
    assert found(index, "存款") == set()
    assert found(index, "央行", ArticleQuery(category="宏观")) == {1}
    assert index.count(index.to_query("央行")) == 1


def test_a_long_running_reader_sees_what_a_writer_committed_after_a_refresh(tmp_path, index):
    """The web app keeps one index open: a crawl's update must reach it without a restart."""
    write(tmp_path, [art(6, "降准落地", "降准今日落地。", day=6)])
    assert found(index, "落地") == set()  # the searcher opened before the commit
    index.refresh()
    assert found(index, "落地") == {6}


def test_one_writer_at_a_time(tmp_path):
    with WriterLock(tmp_path / "idx"):
        with pytest.raises(IndexBusy):
            with WriterLock(tmp_path / "idx"):
                pass
    with WriterLock(tmp_path / "idx"):  # released: the next writer goes ahead
        pass


# -- snippets ------------------------------------------------------------------------------------

def test_a_snippet_marks_the_matches_in_the_body():
    search = parse_search('银行 "降准，降息"')
    doc = {"title": "银行业协会发布报告", "body_text": "前言。" * 60 + "中国银行业协会称：降准、降息有助于稳定预期。"}
    text = snippet(doc, search.clauses).text()
    assert "中国【银行】业协会称：【降准、降息】有助于" in text
    assert text.startswith("…")  # the passage, not the opening of a long body


def test_a_snippet_follows_white_space_and_width_forms_and_falls_back_to_the_summary():
    search = parse_search("资本市场 iphone")
    doc = {"title": "t", "summary": "关于资本 市场与ＩＰＨＯＮＥ", "body_text": "无关的正文"}
    assert snippet(doc, search.clauses).text() == "关于【资本 市场】与【ＩＰＨＯＮＥ】"
    assert snippet({"title": "标题", "summary": None, "body_text": "正文"}, search.clauses).text() == "正文"


def test_the_table_marks_matches_bold_on_a_terminal_and_with_brackets_elsewhere():
    import io

    from newscrawler.cli.commands.query import print_table

    search = parse_search("降准")
    doc = {**DOCS[4], "snippet": snippet(DOCS[4], search.clauses)}
    out = io.StringIO()
    print_table([doc], out=out, snippets=True, total_width=100)
    assert "【降准】" in out.getvalue()
    out = io.StringIO()
    print_table([doc], out=out, snippets=True, total_width=100, terminal=True)
    assert "\x1b[1;31m降准\x1b[0m" in out.getvalue() and "【" not in out.getvalue()


def test_a_marked_snippet_is_cut_to_the_width_of_the_terminal():
    from newscrawler.cli.output import display_width, fit_marked

    parts = (("前文" * 10, False), ("降准", True), ("后文" * 10, False))
    line = fit_marked(parts, 30, "【", "】")
    assert display_width(line) <= 30 and line.endswith("…")
    line = fit_marked(parts, 60, "\x1b[1m", "\x1b[0m", marks_take_room=False)
    assert "\x1b[1m降准\x1b[0m" in line and display_width(line.replace("\x1b[1m", "").replace("\x1b[0m", "")) <= 60


def test_stats_periods_sum_days_and_keep_empty_ones():
    from newscrawler.cli.commands.stats import per_period

    days = {"2024-12-30": 2, "2025-01-01": 1, "2025-02-03": 4}
    assert per_period(days, "month", dt.date(2024, 12, 1), dt.date(2025, 3, 5)) == {
        "2024-12": 2, "2025-01": 1, "2025-02": 4, "2025-03": 0}
    weeks = per_period(days, "week", dt.date(2024, 12, 30), dt.date(2025, 1, 12))
    assert weeks == {"2025-W01": 3, "2025-W02": 0}  # ISO weeks: 2024-12-30 is in 2025's first
    assert per_period(days, "day", dt.date(2024, 12, 31), dt.date(2025, 1, 1)) == {"2024-12-31": 0, "2025-01-01": 1}
    assert per_period({}, "day", None, None) == {}

