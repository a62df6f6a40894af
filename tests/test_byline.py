"""Every byline spelling of the notes gives the right authors and editor; prose is not a byline."""

import pytest

from newscrawler.nbd.byline import parse_byline, parse_editor_line


@pytest.mark.parametrize("text, authors, editor", [
    ("每经记者 冯彪 全国两会现场报道 每经编辑 陈星", ["冯彪"], "陈星"),
    ("每经记者 胥帥 朱成祥 黄鑫磊 每经编辑 陈俊杰", ["胥帥", "朱成祥", "黄鑫磊"], "陈俊杰"),
    ("每经记者｜王晋", ["王晋"], None),
    ("每经记者：张怀水", ["张怀水"], None),
    ("每经记者:张怀水 每经编辑:杨夏", ["张怀水"], "杨夏"),
    ("记者 李少婷", ["李少婷"], None),
    ("每经特约评论员 刘晓博", ["刘晓博"], None),
    ("每经评论员", [], None),
    ("每经记者 李明 北京报道", ["李明"], None),
    ("每经实习记者 阿依古丽·买买提 每经编辑 何小桃", ["阿依古丽·买买提"], "何小桃"),
    ("每经记者　蔡鼎　每经编辑　彭水萍", ["蔡鼎"], "彭水萍"),
])
def test_bylines(text, authors, editor):
    found = parse_byline(text)
    assert found is not None
    assert found.authors == authors
    assert found.editor == editor
    assert not found.is_content


def test_ai_flash_is_a_byline_and_content():
    found = parse_byline("每经AI快讯，据报道，某公司12月3日晚间发布公告称。")
    assert found.text == "每经AI快讯" and found.authors == [] and found.editor is None
    assert found.is_content


@pytest.mark.parametrize("text", [
    "记者从中国证监会获悉，今年以来共有12家公司申请上市。",
    "记者注意到，多家银行已下调存款利率",
    "上周五，A股三大指数集体收涨。",
    "编辑部认为这一做法值得推广，因为它降低了成本。",
    "",
])
def test_prose_is_not_a_byline(text):
    assert parse_byline(text) is None


def test_editor_line():
    assert parse_editor_line("责编 王嘉琦") == "王嘉琦"
    assert parse_editor_line("责编：王嘉琦") == "王嘉琦"
    assert parse_editor_line("本文不是编辑行") is None
