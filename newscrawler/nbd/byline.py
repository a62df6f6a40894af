"""每经网 bylines: the first paragraph of an article body names its reporters and editor.

Spellings seen on the site (the site notes):
    每经记者 冯彪 全国两会现场报道 每经编辑 陈星
    每经记者 胥帥 朱成祥 黄鑫磊 每经编辑 陈俊杰
    每经记者｜X      每经记者：X      记者 X
    每经特约评论员 X      每经评论员      每经AI快讯，...
A byline is a run of (role, names) segments. Body paragraphs also start with 记者
("记者从证监会获悉，..."), so a paragraph counts as a byline only when *all* of it parses as
roles, names and place phrases: sentence punctuation or a long unparsed token means prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Role words, longest first so that 每经特约评论员 wins over 评论员.
_REPORTER_ROLES = (
    "每经特约评论员", "每经特约记者", "每经实习记者", "每经评论员", "每经记者",
    "特约评论员", "特约记者", "实习记者", "评论员", "记者", "实习生", "通讯员",
)
_EDITOR_ROLES = ("每经编辑", "责任编辑", "责编", "编辑")
_ROLE_RE = re.compile(
    "(" + "|".join(sorted(_REPORTER_ROLES + _EDITOR_ROLES, key=len, reverse=True)) + ")"
    r"\s*[｜|:：/]?\s*"
)
AI_FLASH = "每经AI快讯"
# Bylines of the paper's own staff start with this; their outlet is the paper.
OWN_PREFIX = "每经"
OWN_OUTLET = "每日经济新闻"
# Prose, not a byline: sentence punctuation.
_PROSE = re.compile(r"[，。；！？,;!?“”\"]")
# A personal name: 2-4 Han characters, or a transliterated name with a middle dot.
_NAME = re.compile(r"^(?:[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,6}[·•][\u4e00-\u9fff]{1,8})$")
# Place / occasion phrases that stand between names: 北京报道, 发自上海, 全国两会现场报道.
_PLACE = re.compile(r"(报道|发自|现场|综合|连线|专访|整理|采写|摄影|摄)")
_SEPARATORS = re.compile(r"[\s\u3000、/]+")
MAX_BYLINE_CHARS = 80


@dataclass
class Byline:
    text: str
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    # The paragraph is also article content (每经AI快讯，...): keep it in the body.
    is_content: bool = False


def _names(segment: str) -> list[str] | None:
    """Names in a segment, or None if the segment holds something that is neither name nor place."""
    names = []
    for token in _SEPARATORS.split(segment.strip()):
        if not token:
            continue
        if _PLACE.search(token):
            continue
        if not _NAME.match(token):
            return None
        names.append(token)
    return names


def parse_byline(paragraph: str) -> Byline | None:
    """Parse a byline paragraph; None when the paragraph is not a byline."""
    text = " ".join(paragraph.replace("\u3000", " ").split())
    if not text:
        return None
    if text.startswith(AI_FLASH):
        return Byline(text=AI_FLASH, is_content=len(text) > len(AI_FLASH) + 1)
    if len(text) > MAX_BYLINE_CHARS or _PROSE.search(text):
        return None
    parts = _ROLE_RE.split(text)
    # parts: [before, role, segment, role, segment, ...]; a byline starts with a role.
    if parts[0].strip():
        return None
    authors: list[str] = []
    editor: str | None = None
    for role, segment in zip(parts[1::2], parts[2::2]):
        names = _names(segment)
        if names is None:
            return None
        if role in _EDITOR_ROLES:
            editor = editor or (names[0] if names else None)
        else:
            authors.extend(n for n in names if n not in authors)
    return Byline(text=text, authors=authors, editor=editor)


_EDITOR_LINE = re.compile(r"^\s*(?:责任编辑|责编|编辑)\s*[｜|:：]?\s*(\S+)")


def parse_editor_line(text: str) -> str | None:
    """The page-end editor line: '责编 王嘉琦' -> '王嘉琦'."""
    m = _EDITOR_LINE.match(" ".join(text.split()))
    if not m:
        return None
    name = m.group(1)
    return name if _NAME.match(name) else None
