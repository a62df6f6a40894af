"""The article record (newscrawler/record.py): one field list, and the forms built from it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from newscrawler.record import (
    CRAWL_FIELDS,
    LIST_FIELDS,
    PAGE_FIELDS,
    RECORD_FIELDS,
    ArticleRecord,
    content_hash,
    csv_value,
    record_fields,
)
from newscrawler.store.export import CSV_FIELDS

PUBLISHED = dt.datetime(2024, 12, 3, 2, 15, tzinfo=dt.timezone.utc)


def page(**fields) -> dict:
    return {"article_id": 7, "url": "https://www.nbd.com.cn/articles/2024-12-03/7.html", "title": "标题",
            "published_at": PUBLISHED, "body_html": "<p>一\n二</p>", "body_text": "一\n二",
            "extraction": {"method": "layout"}, **fields}


def test_the_field_list_is_page_fields_then_crawl_fields():
    assert RECORD_FIELDS == PAGE_FIELDS + CRAWL_FIELDS
    assert LIST_FIELDS == ("authors", "tags", "keywords", "images", "pages_missing")
    assert set(CSV_FIELDS) <= set(RECORD_FIELDS)


def test_a_field_that_is_not_in_the_record_raises():
    with pytest.raises(TypeError, match="titel"):
        ArticleRecord.from_dict(page(titel="x"))
    with pytest.raises(ValueError, match="headline"):
        record_fields("title", "headline")


def test_construction_cleans_strings_and_lists_but_not_text():
    record = ArticleRecord.from_dict(page(title="  标题\u3000 一 ", editor="", authors=["张三", " 张三 ", "", "李四"]))
    assert record.title == "标题 一" and record.editor is None
    assert record.authors == ["张三", "李四"] and record.tags == []
    assert record.body_text == "一\n二" and record.body_html == "<p>一\n二</p>"


def test_document_has_every_page_field_and_only_the_set_crawl_fields():
    record = ArticleRecord.from_dict(page(), fetched_url="https://m.nbd.com.cn/x", crawl_id="c1",
                                     content_hash=content_hash("标题", "一\n二"))
    doc = record.to_document()
    assert set(doc) == set(PAGE_FIELDS) | {"fetched_url", "content_hash", "last_crawled_at"}
    assert doc["byline"] is None and doc["authors"] == []


def test_json_and_csv_forms_print_utc_z_times_and_json_mappings():
    record = ArticleRecord.from_dict(page(authors=["张三", "李四"]))
    assert record.to_json()["published_at"] == "2024-12-03T02:15:00Z"
    assert json.loads(csv_value(record.extraction)) == {"method": "layout"}
    assert csv_value(record.authors) == "张三; 李四" and csv_value(None) == ""
    assert csv_value(PUBLISHED.astimezone(dt.timezone(dt.timedelta(hours=8)))) == "2024-12-03T02:15:00Z"
