"""The web app's parts that need no archive: who may listen and connect, the parameters, what
pages render (sanitized bodies, snippets, charts), and `newscrawler serve` refusing to listen
beyond loopback without a token."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from newscrawler.cli import main
from newscrawler.web import render
from newscrawler.web.access import UnsafeBind, _host_name, check_bind, is_loopback
from newscrawler.web.app import validation_sentence
from newscrawler.web.params import ArticleSearch, CrawlsParams

TOKEN = "0123456789abcdef-token"


# -- listening and connecting -----------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]", "LOCALHOST"])
def test_loopback_needs_no_token(host):
    assert is_loopback(host)
    check_bind(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "example.com", "localhost.example"])
def test_any_other_address_needs_a_token(host):
    assert not is_loopback(host)
    with pytest.raises(UnsafeBind, match="without a token"):
        check_bind(host, None)
    check_bind(host, TOKEN)


def test_a_short_token_is_refused():
    with pytest.raises(UnsafeBind, match="too short"):
        check_bind("0.0.0.0", "secret")


@pytest.mark.parametrize("header, name", [("127.0.0.1:8000", "127.0.0.1"), ("localhost", "localhost"),
                                          ("[::1]:8000", "::1"), ("Evil.Example:80", "evil.example")])
def test_the_host_header_is_read_without_its_port(header, name):
    assert _host_name(header) == name


def test_serve_refuses_a_non_loopback_address_without_a_token(monkeypatch, capsys):
    monkeypatch.delenv("NEWSCRAWLER_WEB_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newscrawler serve: refusing to listen on 0.0.0.0 without a token")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_serve_refuses_bad_ports_and_short_tokens(monkeypatch, capsys):
    monkeypatch.delenv("NEWSCRAWLER_WEB_TOKEN", raising=False)
    assert main(["serve", "--port", "70000"]) == 2
    assert "not a port number" in capsys.readouterr().err
    monkeypatch.setenv("NEWSCRAWLER_WEB_TOKEN", "short")
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "too short" in capsys.readouterr().err


def test_serve_as_a_command_exits_2_with_one_sentence():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)}
    proc = subprocess.run([sys.executable, "-m", "newscrawler", "serve", "--host", "0.0.0.0"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "NEWSCRAWLER_WEB_TOKEN" in proc.stderr


# -- parameters -------------------------------------------------------------------------------


def test_parameters_are_typed_bounded_and_closed():
    assert ArticleSearch(q="", category=" ", sort="").q is None  # a form's empty fields
    assert ArticleSearch(edited="on", deleted="").edited is True
    for bad in ({"size": 101}, {"page": 0}, {"category": "$ne"}, {"category[$ne]": "1"}, {"since": "2024-02-30"},
                {"page": 101, "size": 100}, {"edited": '{"$ne":1}'}, {"author": "a\x00"}):
        with pytest.raises(ValidationError):
            ArticleSearch(**bad)
    with pytest.raises(ValidationError):
        CrawlsParams(job="$where")
    assert ArticleSearch(category='{"$ne":1}').category == '{"$ne":1}'  # text, compared as text


def test_validation_errors_become_one_sentence():
    try:
        ArticleSearch(**{"size": 101, "category[$ne]": "1"})
    except ValidationError as exc:
        sentence = validation_sentence(exc.errors())
    assert sentence.startswith("bad parameter: ")
    assert "size: Input should be less than or equal to 100" in sentence and "unknown parameter category[$ne]" in sentence


# -- rendering ---------------------------------------------------------------------------------

THUMB = "https://image.nbd.com.cn/a/lead.thumb_head.jpg"
DOC = {"article_id": 7, "thumbnail_url": THUMB,
       "thumbnail": {"path": "full/ab/" + "a" * 40 + ".jpg", "url": "https://image.nbd.com.cn/a/lead.jpg"}}


def test_an_archived_body_is_sanitized_and_fetches_nothing_from_the_site():
    body = ('<p onclick="steal()" style="position:fixed">正文<script>alert(1)</script></p>'
            '<iframe src="https://evil.example"></iframe><a href="javascript:alert(1)">x</a>'
            f'<img src="{THUMB}" onerror="alert(2)"><img src="https://image.nbd.com.cn/b/other.jpg">'
            '<form action="https://evil.example"><input name="q"></form><svg><script>alert(3)</script></svg>')
    out = str(render.safe_body({**DOC, "body_html": body}))
    for bad in ("script", "onclick", "onerror", "style=", "iframe", "javascript:", "<form", "<input", "<svg"):
        assert bad not in out, bad
    assert "正文" in out
    assert f'<img src="/images/full/ab/{"a" * 40}.jpg">' in out  # the archived copy
    assert '<a href="https://image.nbd.com.cn/b/other.jpg" class="remote-image" rel="noopener noreferrer nofollow">' in out


def test_a_body_without_html_shows_its_text_escaped():
    out = str(render.safe_body({"body_text": "第一段<b>\n第二段"}))
    assert out == "<p>第一段&lt;b&gt;</p><p>第二段</p>"


def test_snippets_mark_the_searched_words_and_escape_the_rest():
    doc = {"body_text": "开头。" * 40 + "资本市场<b>反应</b>积极，市场稳定。", "summary": None}
    from newscrawler.store.fulltext import parse_search

    out = str(render.snippet(doc, parse_search("资本 市场").clauses))
    assert out.startswith("…") and "<mark>资本</mark><mark>市场</mark>&lt;b&gt;" in out
    assert out.endswith("积极，<mark>市场</mark>稳定。") and "<b>" not in out
    assert str(render.snippet({"summary": "摘要<", "body_text": "x"}, ())) == "摘要&lt;"


def test_only_web_addresses_become_links():
    assert render.http_url("https://www.nbd.com.cn/a.html") == "https://www.nbd.com.cn/a.html"
    assert render.http_url("javascript:alert(1)") == render.http_url(None) == "#"


def test_a_bar_chart_draws_one_bar_per_nonzero_value_with_its_label():
    svg = str(render.bar_chart(["2024-01", "2024-02", "2024-03"], {"articles": [3, 0, 1]}, title="Per month <x>"))
    assert svg.count('<rect class="bar s0"') == 2 and "<title>2024-01: 3 articles</title>" in svg
    assert "Per month &lt;x&gt;" in svg and "<x>" not in svg
    assert ">2024-03</text>" in str(render.bar_chart([f"d{i}" for i in range(13)] + ["2024-03"], {"a": [1] * 14},
                                                     title="t"))  # the last label is always shown
    two = str(render.bar_chart(["d1"], {"edits": [1], "deletions": [2]}, title="t"))
    assert 'class="bar s1"' in two and ">deletions</text>" in two  # a legend for two series
    assert "Nothing to show" in str(render.bar_chart(["d1"], {"a": [0]}, title="t"))


def test_months_are_shown_without_gaps():
    assert render.continuous_months({"2023-11": 2, "2024-02": 1}) == [
        ("2023-11", 2), ("2023-12", 0), ("2024-01", 0), ("2024-02", 1)]


def test_the_access_log_hides_the_token():
    import logging

    from newscrawler.cli.commands.serve import _RedactToken

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", f"/search?q=x&token={TOKEN}", "1.1", 303), None)
    assert _RedactToken().filter(record) and TOKEN not in record.getMessage()
    assert "/search?q=x&token=***" in record.getMessage()
