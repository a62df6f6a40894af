"""`newscrawler export parquet`: one typed row per article, read back with pandas and DuckDB;
one file or monthly hive partitions; streamed in row groups.

The columns and their types come from the record (record.py) and the archive's own fields; the
fast tests write in-memory documents, the e2e ones export an archive through the command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newscrawler.cli import main
from newscrawler.record import FIELDS, LIST_FIELDS, ArticleRecord
from newscrawler.store import parquet
from newscrawler.store.indexes import ensure_indexes
from newscrawler.store.parquet import COLUMNS, SCHEMA, write_parquet

UTC = dt.timezone.utc
# A title that must come back exactly: CJK, full-width punctuation, an emoji, a combining mark,
# a rare character outside the Basic Multilingual Plane.
TITLE = "沪指“涨”0.8%：券商板块领涨🚀，e\u0301𠮷字"


def document(article_id: int, published_at: dt.datetime | None, **fields) -> dict:
    record = ArticleRecord(
        article_id=article_id, url=f"https://www.nbd.com.cn/articles/2024-12-01/{article_id}.html",
        title=f"文章{article_id}", published_at=published_at, byline="每经记者 张三", authors=["张三", "李四"],
        source="每日经济新闻", category="证券", tags=["券商", "A股"], keywords=["指数"], summary="摘要",
        body_html="<p>正文</p>", body_text="正文", images=["https://image.nbd.com.cn/a.jpg"], pages=1,
        extraction={"method": "layout", "layout": "g-article", "version": "1", "warnings": []},
        fetched_url=f"https://www.nbd.com.cn/articles/2024-12-01/{article_id}.html", content_hash="ab" * 20,
        crawl_id="20241201T000000Z-abcdef",
        warc={"file": "newscrawler-x-00001.warc.gz", "offset": 357, "length": 4660, "record_id": "<urn:uuid:1>"},
    )
    doc = record.to_document(crawled_at=dt.datetime(2024, 12, 2, 3, 4, 5, tzinfo=UTC))
    doc.update({"crawl_id": record.crawl_id, "revision": 1, "first_seen_at": doc["last_crawled_at"],
                "updated_at": doc["last_crawled_at"], "deleted_at": None})
    doc.update(fields)
    return doc


DOCS = [
    document(1, dt.datetime(2024, 12, 3, 2, 15, tzinfo=UTC), title=TITLE),
    # 2024-12-01 01:30 in Beijing: December's partition, though November in UTC.
    document(2, dt.datetime(2024, 11, 30, 17, 30, tzinfo=UTC), pages=2, pages_missing=[2]),
    document(3, dt.datetime(2024, 11, 12, 8, 0, 0, 123000, tzinfo=UTC), revision=3,
             deleted_at=dt.datetime(2024, 11, 20, tzinfo=UTC), warc={"missing": "OSError: disk full"}),
    document(4, None, title="没有发布时间"),
]


# -- fast: the schema and the writer ---------------------------------------------------------


def test_the_columns_are_the_records_stored_fields_typed_from_its_annotations():
    record_columns = [f.name for f in FIELDS if f.name != "extraction_error"]
    assert list(COLUMNS) == [*record_columns, *parquet.ARCHIVE_COLUMNS]
    types = dict(zip(SCHEMA.names, SCHEMA.types))
    assert types["article_id"] == pa.int64() and types["pages"] == pa.int64()
    assert types["title"] == pa.string() and types["body_text"] == pa.string()
    for name in ("published_at", "first_seen_at", "last_crawled_at", "updated_at", "deleted_at"):
        assert types[name] == pa.timestamp("us", tz="UTC"), name
    for name in LIST_FIELDS:
        assert pa.types.is_list(types[name]), name
    assert types["images"] == pa.list_(pa.string()) and types["pages_missing"] == pa.list_(pa.int64())
    assert parquet.JSON_COLUMNS == {"extraction", "thumbnail", "warc"}
    assert all(types[name] == pa.string() for name in parquet.JSON_COLUMNS)


def test_a_new_record_field_of_a_type_without_a_column_type_is_refused():
    assert parquet.arrow_type(list[str] | None) == pa.list_(pa.string())
    with pytest.raises(TypeError, match="no Parquet column type"):
        parquet.arrow_type(set[str])
    with pytest.raises(TypeError, match="no Parquet column type"):
        parquet.arrow_type(int | str)
    probe = dataclasses.make_dataclass("Probe", [("score", float)])
    with pytest.raises(TypeError):
        parquet.arrow_type(dataclasses.fields(probe)[0].type)


def test_the_file_is_written_in_row_groups_of_a_batch_each(tmp_path, monkeypatch):
    many = [document(n, dt.datetime(2024, 12, 1, tzinfo=UTC) + dt.timedelta(hours=n)) for n in range(1, 24)]
    out = tmp_path / "a.parquet"

    class Counted:  # how many documents the writer had taken when each batch was written
        taken = 0

        def __iter__(self):
            for doc in many:
                Counted.taken += 1
                yield doc

    written = []
    original = pq.ParquetWriter.write_batch

    def spy(self, batch, *args, **kwargs):
        written.append((batch.num_rows, Counted.taken))
        return original(self, batch, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_batch", spy)
    report = write_parquet(Counted(), out, batch_rows=5)
    assert report.rows == 23 and report.row_groups == 5
    assert written == [(5, 5), (5, 10), (5, 15), (5, 20), (3, 23)]  # never more than a batch held
    assert pq.ParquetFile(out).metadata.num_row_groups == 5
    assert pq.read_table(out).column("article_id").to_pylist() == list(range(1, 24))


def test_values_keep_their_types_and_json_columns_hold_json(tmp_path):
    out = tmp_path / "a.parquet"
    write_parquet(DOCS, out)
    table = pq.read_table(out)
    assert table.schema.equals(SCHEMA, check_metadata=False)
    rows = {row["article_id"]: row for row in table.to_pylist()}
    assert rows[1]["title"] == TITLE
    assert rows[1]["published_at"] == dt.datetime(2024, 12, 3, 2, 15, tzinfo=UTC)
    assert rows[3]["published_at"].microsecond == 123000 and rows[4]["published_at"] is None
    assert rows[2]["pages_missing"] == [2] and rows[1]["authors"] == ["张三", "李四"]
    assert json.loads(rows[1]["warc"])["offset"] == 357
    assert json.loads(rows[3]["warc"]) == {"missing": "OSError: disk full"}
    assert json.loads(rows[1]["extraction"])["layout"] == "g-article" and rows[1]["thumbnail"] is None
    assert rows[3]["revision"] == 3 and rows[3]["deleted_at"] == dt.datetime(2024, 11, 20, tzinfo=UTC)


def test_a_value_its_column_cannot_take_names_the_article_and_leaves_no_file(tmp_path):
    out = tmp_path / "a.parquet"
    out.write_bytes(b"the earlier export")
    bad = [*DOCS[:2], {**DOCS[2], "published_at": "2024-11-12 16:00"}]
    with pytest.raises(ValueError, match=r"article 3: its published_at \(str\) is not a timestamp"):
        write_parquet(bad, out)
    assert out.read_bytes() == b"the earlier export" and [p.name for p in tmp_path.iterdir()] == ["a.parquet"]


def test_monthly_partitions_follow_the_beijing_month_of_publication(tmp_path):
    out = tmp_path / "ds"
    report = write_parquet(DOCS, out, partition="month", batch_rows=2)
    parts = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
    assert parts == ["month=2024-11/part-00000.parquet", "month=2024-12/part-00000.parquet",
                     "month=none/part-00000.parquet"]
    assert report.rows == 4 and report.files == 3
    december = pq.read_table(out / "month=2024-12" / "part-00000.parquet")
    assert sorted(december.column("article_id").to_pylist()) == [1, 2]  # 2: Nov 30 in UTC


# -- e2e: the command, pandas and DuckDB (imported in the tests: pandas alone costs the fast
# tier's collection a second) -----------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, mongo_uri, mongo_db_name, mongo_db, tmp_path):
    mongo_db.articles.insert_many([dict(d) for d in DOCS])
    ensure_indexes(mongo_db)
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", mongo_db_name)
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path / "data"))
    return mongo_db


def test_export_parquet_reads_back_in_pandas_and_duckdb(cli_env, tmp_path, capsys):
    import duckdb
    import pandas as pd

    out = tmp_path / "articles.parquet"
    assert main(["export", "parquet", "--out", str(out)]) == 0
    assert f"exported 4 articles to {out}" in capsys.readouterr().err

    frame = pd.read_parquet(out)
    assert len(frame) == 4 and list(frame.columns) == list(COLUMNS)
    assert str(frame["published_at"].dtype) == "datetime64[us, UTC]"
    assert str(frame["article_id"].dtype) == "int64"
    row = frame.set_index("article_id").loc[1]
    assert row["title"] == TITLE
    assert row["published_at"] == pd.Timestamp("2024-12-03T02:15:00Z")
    assert list(row["tags"]) == ["券商", "A股"]
    assert pd.isna(frame.set_index("article_id").loc[4, "published_at"])

    con = duckdb.connect()
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{out}')").fetchall())
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["tags"] == "VARCHAR[]" and types["article_id"] == "BIGINT" and types["pages_missing"] == "BIGINT[]"
    con.execute("SET TimeZone = 'UTC'")
    assert con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0] == 4
    title, published, offset = con.execute(
        f"SELECT title, strftime(published_at, '%Y-%m-%dT%H:%M:%S'), json_extract(warc, '$.offset') "
        f"FROM '{out}' WHERE article_id = 1").fetchone()
    assert title == TITLE and published == "2024-12-03T02:15:00" and int(offset) == 357
    assert con.execute(f"SELECT count(*) FROM '{out}' WHERE list_contains(tags, 'A股')").fetchone()[0] == 4


def test_export_parquet_takes_the_filters_of_export(cli_env, tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "dec.parquet"
    assert main(["export", "parquet", "--out", str(out), "--since", "2024-12-01", "--until", "2024-12-31"]) == 0
    assert sorted(pd.read_parquet(out)["article_id"]) == [1, 2]  # 2: Dec 1 in Beijing
    assert main(["export", "parquet", "--out", str(out), "--deleted"]) == 0
    assert list(pd.read_parquet(out)["article_id"]) == [3]


def test_export_parquet_partitioned_by_month_reads_back_as_one_dataset(cli_env, tmp_path, capsys):
    import duckdb
    import pandas as pd

    out = tmp_path / "by-month"
    assert main(["export", "parquet", "--out", str(out), "--partition", "month"]) == 0
    assert f"exported 4 articles to {out} (3 monthly partitions)" in capsys.readouterr().err
    frame = pd.read_parquet(out)
    assert len(frame) == 4
    months = dict(zip(frame["article_id"], frame["month"].astype(object)))
    assert months[1] == months[2] == "2024-12" and months[3] == "2024-11" and months[4] == "none"
    con = duckdb.connect()
    rows = con.execute(f"SELECT month, count(*) FROM read_parquet('{out}/*/*.parquet', hive_partitioning = true) "
                       "GROUP BY month ORDER BY month").fetchall()
    assert rows == [("2024-11", 1), ("2024-12", 2), ("none", 1)]
    assert con.execute(f"SELECT title FROM read_parquet('{out}/*/*.parquet') WHERE article_id = 1").fetchone()[0] == TITLE

    # A later export replaces the earlier one whole: no partition of it is left behind.
    assert main(["export", "parquet", "--out", str(out), "--partition", "month", "--until", "2024-11-30"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["month=2024-11"]
    assert list(pd.read_parquet(out)["article_id"]) == [3]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_export_parquet_refuses_to_replace_a_directory_it_did_not_write(cli_env, tmp_path, capsys):
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("keep me")
    assert main(["export", "parquet", "--out", str(keep), "--partition", "month"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"newscrawler export: {keep} exists and is not an earlier partitioned Parquet export: "
                   "give a new or empty directory")
    assert (keep / "notes.txt").read_text() == "keep me"


def test_export_parquet_of_an_empty_selection_is_an_empty_typed_file(cli_env, tmp_path, capsys):
    out = tmp_path / "none.parquet"
    assert main(["export", "parquet", "--out", str(out), "--category", "没有这个栏目"]) == 0
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"exported 0 articles to {out} (none match in the archive at ") and "\n" not in err
    table = pq.read_table(out)
    assert table.num_rows == 0 and table.schema.equals(SCHEMA, check_metadata=False)


def test_export_parquet_usage_errors(cli_env, tmp_path, capsys):
    assert main(["export", "parquet", "--out", str(tmp_path / "x.parquet"), "--revisions"]) == 2
    assert "parquet has one row per article" in capsys.readouterr().err
    assert main(["export", "jsonl", "--out", str(tmp_path / "x.jsonl"), "--partition", "month"]) == 2
    assert "--partition is for parquet exports" in capsys.readouterr().err
    assert main(["export", "parquet", "--out", str(tmp_path / "x"), "--partition", "year"]) == 2
