"""Helpers of the operations tests: the `newscrawler` command against the replica, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.crawling import FAST_SETTINGS, REPO

# What a test's environment must not leak into a crawl it starts (each test sets its own).
CRAWL_ENV = ("MONGO_URI", "MONGO_DATABASE", "NBD_BASE_URL", "NEWSCRAWLER_DATA_DIR", "IMAGES_STORE",
             "REDIS_URL", "REDIS_KEY_PREFIX", "NEWSCRAWLER_JOB", "NEWSCRAWLER_JOBS", "DISTRIBUTED_CRAWL_NAME",
             "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT")


def crawl_env(server, mongo_uri: str, db_name: str, data_dir, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CRAWL_ENV}
    env.update(MONGO_URI=mongo_uri, MONGO_DATABASE=db_name, NEWSCRAWLER_DATA_DIR=str(data_dir))
    if server is not None:
        env["NBD_BASE_URL"] = server.base_url
    env.update({k: str(v) for k, v in extra.items()})
    return env


def fast_settings(**extra) -> list[str]:
    args = []
    for key, value in {**FAST_SETTINGS, **extra}.items():
        if value is not None:  # None: leave the setting to the command
            args += ["-s", f"{key}={value}"]
    return args


def newscrawler_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "newscrawler", *args]


def run_newscrawler(*args: str, env: dict, cwd=REPO, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(newscrawler_cmd(*args), env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def columns_of(server, count: int | None = None) -> str:
    ids = sorted(server.site.column_ids)
    return ",".join(str(c) for c in ids[:count] if c is not None)


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def write_jobs(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


try:
    from spidermon import Action
except ImportError:  # pragma: no cover
    Action = object


class WriteAlertsFile(Action):
    """A Spidermon action for NBD_ALERT_ACTIONS in tests: the alerts, one a line, to TEST_ALERTS_FILE."""

    def run_action(self):
        stats = self.data.crawler.stats
        path = self.data.crawler.settings.get("TEST_ALERTS_FILE")
        Path(path).write_text("\n".join(stats.get_value("newscrawler/alerts") or []), encoding="utf-8")
