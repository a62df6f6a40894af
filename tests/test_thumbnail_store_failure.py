"""A thumbnail set the store could not write whole is never taken for stored (D12).

On a full disk the old pipeline stored the full image and the small thumb, failed on the
medium one, and the next crawl took the set as stored ("uptodate"): the article pointed to a
missing file for a year (IMAGES_EXPIRES). Now a failed store records ``thumbnail_error`` and no
pointer, and a set with any file missing is stored again by the next crawl of its article.
"""

from __future__ import annotations

from pathlib import Path

from tests.crawling import archive, crawl, replica_site
from tests.thumbnail_faults import pipelines_with_failing_store


def files_of(thumbnail: dict) -> list[str]:
    return [thumbnail["path"], *thumbnail["thumbs"].values()]


def missing_files(images: Path, docs) -> list[str]:
    return [path for doc in docs for path in files_of(doc["thumbnail"]) if not (images / path).is_file()]


def test_a_store_failing_midway_leaves_no_pointer_and_the_next_crawl_stores_the_whole_set(
        mongo_uri, mongo_db_name, tmp_path):
    images = tmp_path / "images"
    db = archive(mongo_uri, mongo_db_name)
    with replica_site(n=12, seed=11) as (site, server):
        first = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=5,
                      settings={"ITEM_PIPELINES": pipelines_with_failing_store(), "TEST_THUMBNAIL_FAIL_AT": 3})
        assert first.returncode == 0, first.stderr[-3000:]
        failed = list(db.articles.find({"thumbnail_error": {"$exists": True}}))
        assert len(failed) == 1 and "thumbnail" not in failed[0], failed
        assert "could not store" in failed[0]["thumbnail_error"] and "No space left" in failed[0]["thumbnail_error"]
        stored = list(db.articles.find({"thumbnail": {"$exists": True}}))
        assert stored and not missing_files(images, stored)

        second = crawl(server, mongo_uri, mongo_db_name, tmp_path, pages=5, full=1)
        assert second.returncode == 0, second.stderr[-3000:]
        with_image = list(db.articles.find({"thumbnail_url": {"$ne": None}}))
        assert all("thumbnail" in doc and "thumbnail_error" not in doc for doc in with_image)
        assert not missing_files(images, with_image)
        repaired = db.articles.find_one({"article_id": failed[0]["article_id"]})["thumbnail"]
        assert repaired["status"] == "downloaded"

        # A set missing one thumb (as the old pipeline left them) is not taken for stored.
        victim = with_image[0]
        (images / victim["thumbnail"]["thumbs"]["medium"]).unlink()
        third = crawl(server, mongo_uri, mongo_db_name, tmp_path, columns="", urls=str(victim["article_id"]), full=1)
        assert third.returncode == 0, third.stderr[-3000:]
        again = db.articles.find_one({"article_id": victim["article_id"]})
        assert again["thumbnail"]["status"] == "downloaded" and not missing_files(images, [again])
