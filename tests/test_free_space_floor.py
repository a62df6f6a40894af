"""A crawl does not start under the free-space floor (NEWSCRAWLER_MIN_FREE_MB), and says so.

The floor is set above what the disk has, so nothing needs filling: `newscrawler crawl` exits 1
with one sentence and no crawl, `scrapy crawl nbd` is refused by the add-on FreeSpaceFloor.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import namedtuple

from scrapy.settings import Settings

from newscrawler.crawl import addons
from newscrawler.crawl.addons import free_space_shortfall
from tests.operations_support import REPO, crawl_env, run_newscrawler

ABOVE_ANY_DISK = str(10 ** 12)  # MB: an exabyte
CLOSED_SITE = "http://127.0.0.1:9"  # should a refused crawl start after all, it reaches nothing
Usage = namedtuple("Usage", "total used free")


def test_newscrawler_crawl_refuses_to_start_under_the_floor(tmp_path):
    env = crawl_env(None, "mongodb://127.0.0.1:1", "nc_unused", tmp_path / "data",
                    NEWSCRAWLER_MIN_FREE_MB=ABOVE_ANY_DISK, NBD_BASE_URL=CLOSED_SITE)
    result = run_newscrawler("crawl", "--columns", "3", "--no-progress", env=env, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"NEWSCRAWLER_MIN_FREE_MB={ABOVE_ANY_DISK}" in lines[0] and str(tmp_path / "data") in lines[0]
    assert result.stdout == "" and not (tmp_path / "data").exists()  # nothing started, nothing written


def test_scrapy_crawl_is_refused_by_the_add_on(tmp_path):
    env = crawl_env(None, "mongodb://127.0.0.1:1", "nc_unused", tmp_path / "data", NBD_BASE_URL=CLOSED_SITE)
    result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "nbd", "-a", "columns=3",
                             "-s", f"NEWSCRAWLER_MIN_FREE_MB={ABOVE_ANY_DISK}"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    # One sentence (the project's `crawl` command checks before Scrapy starts anything).
    assert "scrapy crawl: not starting the crawl: the disk of" in result.stderr
    assert "Spider opened" not in result.stderr and "Traceback" not in result.stderr


def _settings(tmp_path, **extra) -> Settings:
    return Settings({"NEWSCRAWLER_DATA_DIR": str(tmp_path / "data"), "WARC_ENABLED": True,
                     "NEWSCRAWLER_MIN_FREE_MB": 500, **extra})


def _small_disk_under(directory, monkeypatch) -> None:
    """Only ``directory`` (and what is under it) is on a disk with 10 MB free."""
    real = shutil.disk_usage

    def usage(path):
        if str(path).startswith(str(directory)):
            return Usage(100 * 2 ** 20, 90 * 2 ** 20, 10 * 2 ** 20)
        return real(path)

    monkeypatch.setattr(addons.shutil, "disk_usage", usage)


def test_warc_dir_and_images_store_are_checked_too(tmp_path, monkeypatch):
    small = tmp_path / "small"
    small.mkdir()
    _small_disk_under(small, monkeypatch)
    assert free_space_shortfall(_settings(tmp_path)) is None
    # Directories not made yet are measured on the disk they would be made on.
    warc = free_space_shortfall(_settings(tmp_path, WARC_DIR=str(small / "warc" / "deep")))
    assert warc and str(small / "warc" / "deep") in warc and "has 10 MB free" in warc
    assert free_space_shortfall(_settings(tmp_path, WARC_DIR=str(small), WARC_ENABLED=False)) is None
    assert str(small / "img") in free_space_shortfall(_settings(tmp_path, IMAGES_STORE=str(small / "img")))
    assert free_space_shortfall(_settings(tmp_path, IMAGES_STORE=f"file://{small}/img"))
    assert free_space_shortfall(_settings(tmp_path, IMAGES_STORE="gridfs://")) is None
    assert free_space_shortfall(_settings(tmp_path, NEWSCRAWLER_DATA_DIR=str(small))) is not None
    assert free_space_shortfall(_settings(tmp_path, NEWSCRAWLER_DATA_DIR=str(small),
                                          NEWSCRAWLER_MIN_FREE_MB=0)) is None  # 0: off
    assert free_space_shortfall(_settings(tmp_path, NEWSCRAWLER_DATA_DIR=str(small),
                                          NEWSCRAWLER_MIN_FREE_MB=5)) is None
