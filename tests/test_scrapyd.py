"""Scrapyd: deploy the project with scrapyd-deploy, schedule a crawl over the HTTP API, and
find its articles in MongoDB.

A real Scrapyd server on a free loopback port in a temporary directory with its own
scrapyd.conf. It runs in an environment where this checkout is NOT importable (the editable
install's import hook is removed by a sitecustomize, and the working directory is elsewhere),
so the crawl runs from the deployed egg alone, configured only by the job's ``setting=``
parameters, as on a real Scrapyd host.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from nbd_replica.procs import free_port, stop_process
from tests.crawling import FAST_SETTINGS, REPO, archive, replica_site
from tests.operations_support import CRAWL_ENV, columns_of, wait_for

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
# Hides the checkout from Scrapyd's processes: the editable install's import hook of
# `newscrawler` (or its path entry, by the install mode) is put in place by a .pth file at
# start-up; a sitecustomize runs after the .pth files.
HIDE_CHECKOUT = f"""import os, sys
sys.meta_path[:] = [f for f in sys.meta_path if "newscrawler" not in repr(f)]
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != {str(REPO.resolve())!r}]
"""


def api(port: int, path: str, data: dict | None = None) -> dict:
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/{path}", data=body),
                                timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path):
    if not (BIN / "scrapyd").exists() or not (BIN / "scrapyd-deploy").exists():
        pytest.skip("scrapyd / scrapyd-client not installed")
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(f"""[scrapyd]
bind_address = 127.0.0.1
http_port    = {port}
eggs_dir     = {home / 'eggs'}
logs_dir     = {home / 'logs'}
dbs_dir      = {home / 'dbs'}
items_dir    =
max_proc     = 2
poll_interval = 0.2
""")
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(HIDE_CHECKOUT)
    env = {k: v for k, v in os.environ.items() if k not in CRAWL_ENV}
    env["PYTHONPATH"] = str(hide)
    probe = subprocess.run([sys.executable, "-c", "import newscrawler"], env=env, cwd=home,
                           capture_output=True, text=True)
    assert probe.returncode != 0, "the checkout must not be importable by Scrapyd's processes"
    with open(home / "scrapyd.out", "w") as out:
        proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _answers(port), 30, what="Scrapyd to answer")
        yield port, home, env
    finally:
        stop_process(proc, 15)


def _answers(port: int) -> bool:
    try:
        return api(port, "daemonstatus.json")["status"] == "ok"
    except OSError:
        return False


def test_deploy_with_scrapyd_deploy_and_crawl_through_the_api(scrapyd, tmp_path, mongo_uri, mongo_db_name):
    port, home, env = scrapyd
    # Deploy from a copy of the project (scrapyd-deploy builds in the project directory).
    src = tmp_path / "checkout"
    src.mkdir()
    for name in ("newscrawler", "pyproject.toml", "setup.py", "scrapy.cfg", "README.md"):
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, src / name)
    deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "remote", "--version", "t1"], cwd=src,
                            env={**env, "SCRAPYD_URL": f"http://127.0.0.1:{port}/"},
                            capture_output=True, text=True, timeout=120)
    assert deploy.returncode == 0, deploy.stderr[-3000:]
    answer = json.loads(deploy.stdout)
    assert answer["status"] == "ok" and answer["spiders"] == 2, answer.get("message", "")[-2000:]
    assert api(port, "listspiders.json?project=newscrawler")["spiders"] == ["nbd", "nbd-revisit"]

    data_dir = tmp_path / "data"
    with replica_site(n=15, seed=23) as (site, server):
        settings = {**FAST_SETTINGS, "NBD_BASE_URL": server.base_url, "MONGO_URI": mongo_uri,
                    "MONGO_DATABASE": mongo_db_name, "NEWSCRAWLER_DATA_DIR": str(data_dir),
                    "NEWSCRAWLER_JOB": "via-scrapyd"}
        scheduled = api(port, "schedule.json", {
            "project": "newscrawler", "spider": "nbd", "columns": columns_of(server), "pages": "10",
            "setting": [f"{k}={v}" for k, v in settings.items()]})
        assert scheduled["status"] == "ok", scheduled
        job = scheduled["jobid"]

        def finished():
            jobs = api(port, "listjobs.json?project=newscrawler")
            return next((j for j in jobs["finished"] if j["id"] == job), None)

        done = wait_for(finished, 120, interval=0.3, what="the Scrapyd job to finish")
    log = (home / "logs" / "newscrawler" / "nbd" / f"{job}.log").read_text()
    assert "Spider closed (finished)" in log, log[-3000:]
    assert done["end_time"]

    db = archive(mongo_uri, mongo_db_name)
    assert {d["article_id"] for d in db.articles.find({}, {"article_id": 1})} == set(site.articles)
    record = db.crawls.find_one({})
    assert record["finish_reason"] == "finished" and record["job"] == "via-scrapyd"
    assert record["worker"]["scrapyd_job"] == job
    assert record["stats"]["new"] == len(site.articles)
    # Settings given as setting= reach what derives from them: thumbnails under the data dir.
    assert any((data_dir / "images").rglob("*.jpg"))
    assert not (home / "data").exists()
