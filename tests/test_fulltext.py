"""The full-text index's query language on a small index: conjunction, phrases, OR, exclusion,
orders, edits (delete then add) and the one-writer lock. No MongoDB: documents go straight in."""

from __future__ import annotations

import datetime as dt

import pytest

from newscrawler.store import fulltext
from newscrawler.store.fulltext import FullTextIndex, IndexBusy, SearchSyntaxError, WriterLock, to_tantivy

UTC = dt.timezone.utc

DOCS = [
    {"article_id": 1, "title": "央行宣布降准", "summary": "", "published_at": dt.datetime(2024, 1, 1, tzinfo=UTC),
     "body_text": "中国人民银行今日宣布下调存款准备金率。资本市场反应积极。"},
    {"article_id": 2, "title": "证监会发布新规", "summary": "资本市场改革", "published_at": dt.datetime(2024, 1, 2, tzinfo=UTC),
     "body_text": "证监会发布了关于资本市场的新规则。"},
    {"article_id": 3, "title": "新能源汽车销量增长", "summary": None, "published_at": dt.datetime(2024, 1, 3, tzinfo=UTC),
     "body_text": "比亚迪销量创新高，市场资本涌入。"},
    {"article_id": 4, "title": "Apple发布iPhone", "summary": "", "published_at": dt.datetime(2024, 1, 4, tzinfo=UTC),
     "body_text": "苹果公司在加州发布新款手机。"},
]


def write(path, docs):
    writer = fulltext.open_index(path).writer(heap_size=fulltext.WRITER_HEAP, num_threads=1)
    fulltext.add_articles(writer, docs)
    writer.commit()
    writer.wait_merging_threads()


@pytest.fixture
def index(tmp_path):
    write(tmp_path, DOCS)
    return FullTextIndex(tmp_path)


def found(index, search, **kwargs) -> set[int]:
    return set(index.article_ids(search, **kwargs))


def test_every_word_must_match(index):
    assert found(index, "资本 市场") == {1, 2, 3}
    assert found(index, "资本 证监会") == {2}
    assert found(index, "资本 汽车 央行") == set()


def test_an_exact_phrase_needs_its_words_together_in_order(index):
    # 3 has both words, apart and the other way round ("市场资本"): not the phrase.
    assert found(index, '"资本市场"') == found(index, '"资本 市场"') == {1, 2}
    assert found(index, '"市场资本"') == {3}


def test_a_word_the_segmenter_cuts_in_two_is_searched_as_its_phrase(index):
    assert to_tantivy("资本市场") == '"资本 市场"'
    assert found(index, "资本市场") == {1, 2}


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
    for search in ("a AND (", '资本 "unclosed', "资本 + ^ *"):
        index.article_ids(search)  # no parser error reaches the user
    with pytest.raises(SearchSyntaxError):
        to_tantivy("OR 央行")
    with pytest.raises(SearchSyntaxError):
        to_tantivy("，。 \\ + ^ *")


def test_relevance_first_unless_sorted_by_time(index):
    # 2 says 资本市场 in its summary and body: the better match.
    assert index.article_ids("资本市场")[0] == 2
    assert index.article_ids("资本", sort="newest") == [3, 2, 1]
    assert index.article_ids("资本", sort="oldest") == [1, 2, 3]
    assert index.article_ids("资本", sort="newest", limit=1) == [3]
    assert index.count("资本") == 3


def test_an_edited_article_replaces_its_document(tmp_path, index):
    write(tmp_path, [{**DOCS[0], "body_text": "央行宣布降息。"}])
    index = FullTextIndex(tmp_path)
    assert found(index, "降息") == {1}
    assert found(index, "存款") == set()
    assert index.count("央行") == 1


def test_one_writer_at_a_time(tmp_path):
    with WriterLock(tmp_path / "idx"):
        with pytest.raises(IndexBusy):
            with WriterLock(tmp_path / "idx"):
                pass
    with WriterLock(tmp_path / "idx"):  # released: the next writer goes ahead
        pass


def test_matches_per_beijing_day_are_counted_by_the_index(tmp_path):
    # 16:30 UTC on Jan 1 is already Jan 2 in Beijing; an article without a time is not counted.
    docs = [{**DOCS[0], "article_id": 11, "published_at": dt.datetime(2024, 1, 1, 16, 30, tzinfo=UTC)},
            {**DOCS[0], "article_id": 12, "published_at": dt.datetime(2024, 1, 1, 15, 59, tzinfo=UTC)},
            {**DOCS[0], "article_id": 13, "published_at": dt.datetime(2024, 3, 5, 2, 0, tzinfo=UTC)},
            {**DOCS[0], "article_id": 14, "published_at": None}]
    write(tmp_path, docs)
    assert FullTextIndex(tmp_path).per_day("央行") == {"2024-01-01": 1, "2024-01-02": 1, "2024-03-05": 1}


def test_the_words_a_search_looks_for_leave_out_excluded_ones():
    assert fulltext.positive_words('央行 "资本市场" -证监会 汽车 OR 手机') == ["央行", "资本", "市场", "汽车", "手机"]
    with pytest.raises(SearchSyntaxError):
        fulltext.positive_words("OR")


def test_a_reader_sees_a_later_commit_after_refresh(tmp_path):
    write(tmp_path, DOCS[:1])
    index = FullTextIndex(tmp_path)
    assert found(index, "证监会") == set()
    write(tmp_path, DOCS[1:2])
    index.refresh()
    assert found(index, "证监会") == {2}


def test_publish_time_bounds_are_answered_by_the_index(index):
    jan2, jan3 = dt.datetime(2024, 1, 2, tzinfo=UTC), dt.datetime(2024, 1, 3, tzinfo=UTC)
    assert found(index, "资本 市场", published=(jan2, None)) == {2, 3}
    assert found(index, "资本 市场", published=(None, jan3)) == {1, 2}  # the upper bound excluded
    assert index.count("资本 市场", published=(jan2, jan3)) == 1
    assert index.per_day("资本 市场", published=(jan2, None)) == {"2024-01-02": 1, "2024-01-03": 1}
    assert index.article_ids("资本 市场", sort="newest", published=(None, jan3)) == [2, 1]


def test_an_article_without_a_publish_time_never_matches_a_bound(tmp_path):
    write(tmp_path, [{**DOCS[0], "published_at": None}])
    index = FullTextIndex(tmp_path)
    assert found(index, "央行") == {1}
    assert found(index, "央行", published=(None, dt.datetime(2030, 1, 1, tzinfo=UTC))) == set()


class _Articles:
    """A stand-in collection answering ``{"article_id": {"$in": ids}}`` and noting each query."""

    def __init__(self, docs):
        self.docs, self.queries = docs, []

    def find(self, query, projection=None):
        self.queries.append(query)
        wanted = set(query["article_id"]["$in"])
        return [dict(d) for d in self.docs if d["article_id"] in wanted]


def test_hits_are_asked_by_id_alone_and_the_filter_checked_here():
    # SecantusDB answers an $in joined with another condition by a collection scan.
    articles = _Articles([{"article_id": i, "category": "证券" if i % 2 else "汽车",
                           "published_at": dt.datetime(2024, 1, i, tzinfo=UTC)} for i in range(1, 7)])
    db = {"articles": articles}
    since = {"published_at": {"$gte": dt.datetime(2024, 1, 2, tzinfo=UTC)}}
    assert [d["article_id"] for d in fulltext.iter_hits(db, [5, 1, 3, 2], {"category": "证券", **since})] == [5, 3]
    assert fulltext.count_hits(db, [1, 2, 3, 4, 5, 6], {"category": "证券", **since}, chunk=4) == 2
    assert all(list(query) == ["article_id"] for query in articles.queries)
