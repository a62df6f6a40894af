"""The command line as people use it: one archive wherever the command runs, messages that name
the archive, Hexo posts named by article, Beijing times, CSV for spreadsheets, pipes, start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newscrawler import config
from newscrawler.cli import main
from newscrawler.store.embedded import stop_embedded_server

ROOT = Path(__file__).resolve().parent.parent
UTC = timezone.utc


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the archive's home -----------------------------------------------------------------------


@pytest.fixture
def no_checkout_data(monkeypatch, tmp_path):
    """As on a machine whose checkout has no data/ (or an installed package): the per-user
    directory applies, here under a temporary XDG_DATA_HOME."""
    monkeypatch.setattr(config, "CHECKOUT", tmp_path / "checkout")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    for name in ("NEWSCRAWLER_DATA_DIR", "MONGO_URI", "MONGO_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "xdg" / "newscrawler"


def test_the_data_directory_does_not_depend_on_the_current_directory(no_checkout_data, monkeypatch, tmp_path):
    homes = set()
    for where in ("a", "b/c"):
        (tmp_path / where).mkdir(parents=True)
        monkeypatch.chdir(tmp_path / where)
        homes.add(config.data_dir())
    assert homes == {no_checkout_data.resolve()}


def test_a_checkout_with_its_own_data_directory_keeps_using_it(monkeypatch, tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "data").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text("[project]\nname = 'newscrawler'\n")
    monkeypatch.setattr(config, "CHECKOUT", checkout)
    monkeypatch.delenv("NEWSCRAWLER_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert config.data_dir() == (checkout / "data").resolve()
    # The setting and the environment still win.
    assert config.data_dir({"NEWSCRAWLER_DATA_DIR": str(tmp_path / "x")}) == tmp_path / "x"
    monkeypatch.setenv("NEWSCRAWLER_DATA_DIR", str(tmp_path / "y"))
    assert config.data_dir() == tmp_path / "y"


@pytest.mark.parametrize("argv", [["export", "hexo", "--out", "posts"], ["export", "jsonl", "--out", "-"],
                                  ["query"], ["show", "1"], ["stats"], ["crawls"]])
def test_a_read_verb_on_an_archive_that_does_not_exist_says_so_and_creates_none(
        no_checkout_data, monkeypatch, tmp_path, capsys, argv):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, *argv)
    assert code == 1 and out == ""
    assert f"no archive at {no_checkout_data.resolve()}" in err
    assert not no_checkout_data.exists() and not (tmp_path / "posts").exists()


@pytest.fixture
def user_archive(no_checkout_data):
    """An embedded archive in the per-user directory holding one article (its server stopped after)."""
    from newscrawler.store.connection import get_database

    db = get_database()
    try:
        db.articles.insert_one({"article_id": 7, "title": "宁德时代发布三季报", "url": "https://www.nbd.com.cn/a/7.html",
                                "published_at": datetime(2024, 12, 3, 15, 30, tzinfo=UTC), "authors": ["张三"],
                                "tags": [], "body_text": "正文", "body_html": "<p>正文</p>"})
    finally:
        db.client.close()
    yield no_checkout_data
    stop_embedded_server(no_checkout_data, timeout=5)


def test_query_and_export_from_another_directory_use_the_same_archive(user_archive, monkeypatch, tmp_path, capsys):
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    code, out, _ = run_cli(capsys, "query", "--format", "jsonl")
    assert code == 0 and [json.loads(line)["article_id"] for line in out.splitlines()] == [7]
    code, _, err = run_cli(capsys, "export", "hexo", "--out", "posts")
    assert code == 0 and "exported 1 article " in err and [p.name for p in (elsewhere / "posts").iterdir()] == ["7.md"]
    assert not (elsewhere / "data").exists()
    # Nothing found: the message names the archive it asked.
    code, out, _ = run_cli(capsys, "query", "--category", "无", "--format", "table")
    assert code == 0
    assert out.strip() == f"No articles match in the archive at {user_archive.resolve()} (database newscrawler)."
    code, out, err = run_cli(capsys, "query", "--category", "无", "--format", "csv")
    assert f"No articles match in the archive at {user_archive.resolve()}" in err
    code, _, err = run_cli(capsys, "show", "8")
    assert code == 1 and f"8 is not in the archive at {user_archive.resolve()} (database newscrawler)" in err


def test_the_message_names_an_external_archive_without_its_credentials(monkeypatch, mongo_uri, mongo_db_name, capsys):
    from newscrawler.cli.commands._archive import archive_name

    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", mongo_db_name)
    code, out, _ = run_cli(capsys, "query", "--format", "table")
    assert code == 0 and out == f"No articles match in the archive at {mongo_uri} (database {mongo_db_name}).\n"
    monkeypatch.setenv("MONGO_URI", "mongodb://reader:s3cret@db.example:27017/")
    assert archive_name() == f"the archive at mongodb://***@db.example:27017/ (database {mongo_db_name})"


# -- times: Beijing for people, UTC in JSON, the offset in CSV ---------------------------------

PUBLISHED = datetime(2024, 12, 3, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
SEEN = datetime(2024, 12, 3, 16, 45, 10, tzinfo=UTC)


@pytest.fixture
def timed_archive(monkeypatch, mongo_uri, mongo_db_name, mongo_db):
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("MONGO_DATABASE", mongo_db_name)
    mongo_db.articles.insert_one({"article_id": 1, "title": "宁德时代发布三季报", "url": "https://www.nbd.com.cn/a/1.html",
                                  "published_at": PUBLISHED, "first_seen_at": SEEN, "last_crawled_at": SEEN,
                                  "authors": ["张三"], "tags": [], "category": "公司",
                                  "body_text": "正文", "body_html": "<p>正文</p>"})
    mongo_db.crawls.insert_one({"crawl_id": "c1", "spider": "nbd", "started_at": SEEN,
                                "finished_at": SEEN.replace(minute=50), "finish_reason": "finished",
                                "stats": {"new": 1}})
    return mongo_db


def test_show_prints_beijing_times_and_its_json_utc(timed_archive, capsys):
    code, out, _ = run_cli(capsys, "show", "1")
    assert code == 0
    assert "published_at     2024-12-03 23:30:00+08:00\n" in out
    assert "first_seen_at    2024-12-04 00:45:10+08:00\n" in out
    code, out, _ = run_cli(capsys, "show", "1", "--json")
    record = json.loads(out)
    assert (record["published_at"], record["first_seen_at"]) == ("2024-12-03T15:30:00Z", "2024-12-03T16:45:10Z")


def test_stats_and_crawls_print_beijing_times(timed_archive, capsys):
    code, out, _ = run_cli(capsys, "stats", "--exact")
    assert code == 0 and "started 2024-12-04 00:45:10+08:00  finished 2024-12-04 00:50:10+08:00" in out
    assert "+08:00)" in out.splitlines()[1]  # "Articles: 1 (..., as of <Beijing time>)"
    code, out, _ = run_cli(capsys, "stats", "--exact", "--json")
    assert json.loads(out)["crawls"][0]["started_at"] == "2024-12-03T16:45:10Z"
    code, out, _ = run_cli(capsys, "crawls")
    header, row = out.splitlines()
    assert header.startswith("started (Beijing)") and row.startswith("2024-12-04 00:45 ")
    code, out, _ = run_cli(capsys, "crawls", "--json")
    assert json.loads(out)["started_at"] == "2024-12-03T16:45:10Z"


def test_query_table_is_beijing_json_utc_and_csv_iso_with_the_offset(timed_archive, capsys):
    import csv
    import io

    code, out, _ = run_cli(capsys, "query", "--format", "table")
    header, row = out.splitlines()[:2]
    assert header.startswith("published (Beijing)") and row.startswith("2024-12-03 23:30 ")
    code, out, _ = run_cli(capsys, "query", "--format", "jsonl")
    assert json.loads(out)["published_at"] == "2024-12-03T15:30:00Z"
    code, out, _ = run_cli(capsys, "query", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    assert rows[0]["published_at"] == "2024-12-03T23:30:00+08:00"
    assert datetime.fromisoformat(rows[0]["published_at"]) == PUBLISHED


def test_scheduler_log_lines_are_beijing_time_whatever_the_machine_zone(monkeypatch):
    import logging
    import time

    from newscrawler.cli.commands.schedule import BeijingFormatter

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        record.created, record.msecs = PUBLISHED.timestamp() + 0.25, 250
        assert BeijingFormatter("%(asctime)s %(message)s").format(record) == "2024-12-03 23:30:00.250+08:00 hello"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


# -- CSV for spreadsheets -----------------------------------------------------------------------


def test_csv_starts_with_the_utf8_bom_unless_told_not_to(timed_archive, capsys, tmp_path):
    code, out, _ = run_cli(capsys, "query", "--format", "csv")
    assert code == 0 and out.startswith("\ufeffarticle_id,") and out.count("\ufeff") == 1
    code, out, _ = run_cli(capsys, "query", "--format", "csv", "--no-bom")
    assert code == 0 and out.startswith("article_id,")
    target = tmp_path / "a.csv"
    assert run_cli(capsys, "export", "csv", "--out", str(target))[0] == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfarticle_id,") and "宁德时代发布三季报".encode() in data
    assert run_cli(capsys, "export", "csv", "--out", str(target), "--no-bom")[0] == 0
    assert target.read_bytes() == data[3:]
    assert run_cli(capsys, "export", "jsonl", "--out", str(target))[0] == 0
    assert target.read_bytes().startswith(b'{"article_id"')  # JSON Lines never gets one


# -- pipes ----------------------------------------------------------------------------------------


def _piped_to_head(argv: list[str], env: dict, stdin: bytes | None = None) -> tuple[int, bytes, str]:
    """``newscrawler ARGV | head -1`` with real pipes: (newscrawler's status, head's output, its stderr)."""
    producer = subprocess.Popen([sys.executable, "-m", "newscrawler", *argv], env=env, cwd=ROOT,
                                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if stdin is not None:  # read whole before anything is printed
        producer.stdin.write(stdin)
        producer.stdin.close()
    head = subprocess.run(["head", "-1"], stdin=producer.stdout, capture_output=True, timeout=60)
    producer.stdout.close()  # head held the only other read end: the pipe is closed now
    err = producer.stderr.read().decode()
    return producer.wait(timeout=60), head.stdout, err


@pytest.fixture
def big_archive(monkeypatch, mongo_uri, mongo_db_name, mongo_db):
    """Enough articles that the output outgrows a pipe's buffer (64 KiB) while head has exited."""
    body = "宁德时代营收增长，新能源汽车需求旺盛。" * 40
    mongo_db.articles.insert_many([
        {"article_id": n, "title": f"文章{n}", "url": f"https://www.nbd.com.cn/a/{n}.html", "tags": ["新能源"],
         "published_at": datetime(2024, 12, 3, tzinfo=UTC), "authors": ["张三"], "category": "公司",
         "body_text": body, "body_html": f"<p>{body}</p>", "summary": body[:100]} for n in range(1, 301)])
    mongo_db.crawls.insert_many([{"crawl_id": f"c{n}", "started_at": datetime(2024, 12, 3, tzinfo=UTC),
                                  "stats": {"new": n}, "alerts": ["x" * 500]} for n in range(300)])
    return {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_db_name,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "testing"), os.environ.get("PYTHONPATH", "")])}


@pytest.mark.parametrize("argv", [
    ["query", "--format", "csv", "--limit", "0"],
    ["query", "--format", "jsonl", "--limit", "0"],
    ["export", "jsonl", "--out", "-"],
    ["export", "csv", "--out", "-"],
    ["show", "1"],
    ["stats", "--json", "--exact", "--days", "3000"],
    ["crawls", "--json", "--limit", "0"],
])
def test_a_closed_pipe_ends_the_verb_quietly(big_archive, argv):
    if argv[0] == "show":  # one article whose body alone outgrows the pipe
        from pymongo import MongoClient

        with MongoClient(big_archive["MONGO_URI"]) as client:
            client[big_archive["MONGO_DATABASE"]].articles.update_one(
                {"article_id": 1}, {"$set": {"body_text": "正文\n" * 100_000}})
    code, first, err = _piped_to_head(argv, big_archive)
    assert first and "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 141


def test_extract_into_a_closed_pipe_ends_quietly(big_archive):
    from tests.evaluation.cases import evaluation_set

    case = evaluation_set()[0]
    # After the body's first paragraph, 3,000 more: a record far larger than a pipe's buffer.
    first_line = case.expected["body_text"].splitlines()[0]
    end = case.html.index("</p>", case.html.index(first_line[:10])) + 4
    more = "".join(f"<p>第{n}段：宁德时代营收增长，新能源汽车需求旺盛。</p>" for n in range(3000))
    html = case.html[:end] + more + case.html[end:]
    code, first, err = _piped_to_head(["extract", "-", "--url", case.page_url], big_archive, stdin=html.encode())
    assert first.startswith(b"{") and "Traceback" not in err, err
    assert code == 141


# -- start-up -------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["query", "--limit", "1"], ["show", "1"], ["stats"], ["crawls"],
                                  ["export", "jsonl", "--out", "-"]])
def test_a_read_verb_loads_neither_scrapy_nor_the_search_index(big_archive, argv):
    """What made a read verb take 1-2 s: all of Scrapy (through the crawl's settings) and the
    segmenter's import; the verbs read their settings from config.py and a search loads the
    index and rjieba itself."""
    probe = ("import sys\n"
             "from newscrawler.cli import main\n"
             "code = main(sys.argv[1:])\n"
             "heavy = sorted(m for m in ('scrapy', 'twisted', 'jieba', 'rjieba', 'tantivy', 'newscrawler.crawl') if m in sys.modules)\n"
             "print('HEAVY', heavy, code, file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", probe, *argv], env=big_archive, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert "HEAVY [] 0" in result.stderr, result.stderr[-2000:]


def test_a_search_loads_only_its_own_verb_and_its_segmenter_beside(big_archive, tmp_path):
    """The other verbs' modules (a diff's store.changes, ...), YAML (Hexo posts) and dateutil's
    parser (dates on pages) were all imported by a search from the command line: ~0.1 s of its
    start-up. The segmenter loads in a child process while this one loads pymongo (the index
    being up to date, this process never loads it); the search it parsed is the same."""
    probe = ("import sys\n"
             "from newscrawler.cli import main\n"
             "code = main(sys.argv[1:])\n"
             "loaded = sorted(m for m in sys.modules if m in ('yaml', 'dateutil.parser', 'newscrawler.store.changes', 'rjieba')"
             " or m.startswith('newscrawler.cli.commands.') and not m.endswith(('.query', '._archive', '.stats')))\n"
             "print('LOADED', loaded, code, file=sys.stderr)\n")

    def run(*argv):
        return subprocess.run([sys.executable, "-c", probe, *argv], env=big_archive, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    big_archive = {**big_archive, "NEWSCRAWLER_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "newscrawler", "index"], env=big_archive, cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    for argv in (["query", "--search", '宁德时代 OR "新能源汽车" -比亚迪', "--limit", "3", "--format", "jsonl"],
                 ["stats", "--search", "宁德时代", "--per", "month", "--json"]):
        result = run(*argv)
        assert "LOADED [] 0" in result.stderr, result.stderr[-2000:]
        assert result.stdout.strip()
    in_process = subprocess.run(
        [sys.executable, "-c", "import sys, threading; threading.Thread(target=lambda: None).start(); "
                               "from newscrawler.cli import main; sys.exit(main(sys.argv[1:]))",
         "query", "--search", '宁德时代 OR "新能源汽车" -比亚迪', "--limit", "3", "--format", "jsonl"],
        env=big_archive, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert in_process.returncode == 0 and in_process.stdout == run(
        "query", "--search", '宁德时代 OR "新能源汽车" -比亚迪', "--limit", "3", "--format", "jsonl").stdout
    refused = run("query", "--search", "宁德时代 OR")  # said by this process, as without the child
    assert refused.stderr.startswith("newscrawler query: --search: OR needs a word on each side\nLOADED")
    assert refused.stderr.endswith("] 2\n")
