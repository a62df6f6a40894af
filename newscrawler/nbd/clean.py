"""Turn a 每经网 body element into clean blocks: HTML and plain text.

The body (``div.g-articl-text`` and its cousins) holds flat ``<p>`` paragraphs, ``<h2>``
headings, images with centred caption paragraphs, and noise the site mixes in: disclaimer and
"more reading" blocks, scripts, hidden analytics divs, and trailing promotion / credit lines.
We walk the body once, keep what is article, and rebuild the HTML from an allow-list, so
whatever the page's markup holds, the archive stores only paragraphs, headings, images,
lists, tables, quotes, emphasis and links.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

# Blocks that are never article text (class names are the site's own spellings).
NOISE_CLASSES = (
    "nbd-mzsm", "n-on-h-more-read", "n-on-h-more-read-a", "articleCopyright",
    "u-aticle-tag", "u-editor", "m-share", "share", "ad", "advert", "g-ad",
    "paginationWrapper", "pagination",  # an article's pager (nbd/pager.py reads it)
)
NOISE_TAGS = {"script", "style", "noscript", "iframe", "form", "button", "input", "select",
              "textarea", "svg", "canvas", "object", "embed", "link", "meta"}
# Paragraphs that open a run of trailing boilerplate (promotion, disclaimer, credits).
TRAILING_PREFIXES = (
    "每经头条（nbdtoutiao）", "每经头条(nbdtoutiao)", "免责声明", "扫描下方二维码", "未经许可禁止转载",
    "原创文章｜", "原创文章|", "校对", "排版：", "排版:", "视觉：", "视觉:", "封面：", "封面:",
    "特别提醒：如果我们使用了您的图片", "记者邮箱", "责编",
)
# Markers that are boilerplate wherever they stand.
ANYWHERE_PREFIXES = ("每经头条（nbdtoutiao）", "每经头条(nbdtoutiao)", "免责声明：", "免责声明:")

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
INLINE_KEEP = {"strong", "b", "em", "i", "u", "a", "br", "sup", "sub", "code"}
LAZY_SRC_ATTRS = ("data-original", "data-src", "data-aload", "data-lazy-src", "src")
_WS = re.compile(r"[\s\u3000\u200b\ufeff]+")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def normalize_space(text: str) -> str:
    """Collapse runs of white space (incl. full-width and zero-width) to one space; strip."""
    return _WS.sub(" ", text).strip()


@dataclass
class Block:
    kind: str          # p | h | img | list | table | quote
    text: str          # plain text ("" for an image without caption)
    html: str          # clean HTML of the block
    images: list[str] = field(default_factory=list)


def _is_noise(el) -> bool:
    if el.tag in NOISE_TAGS:
        return True
    classes = (el.get("class") or "").split()
    if any(c in NOISE_CLASSES for c in classes):
        return True
    style = el.get("style")
    if style and _HIDDEN.search(style):
        return True
    return el.get("hidden") is not None


def image_src(img, base_url: str) -> str | None:
    """Absolute image URL, preferring the real source over lazy-loading placeholders."""
    for attr in LAZY_SRC_ATTRS:
        value = (img.get(attr) or "").strip()
        if value and not value.startswith("data:") and "placeholder" not in value and "loading" not in value:
            return urljoin(base_url, value)
    return None


class BodyCleaner:
    """Walk a body element and yield clean blocks. One instance per page (holds the base URL)."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    # -- inline HTML ---------------------------------------------------------------
    def inline_html(self, el) -> str:
        """Inner HTML of ``el`` keeping only allowed inline markup."""
        out = [html_lib.escape(el.text or "", quote=False)]
        for child in el:
            if isinstance(child, etree._Comment) or not isinstance(child.tag, str) or _is_noise(child):
                pass
            elif child.tag == "br":
                out.append("<br>")
            elif child.tag == "img":
                src = image_src(child, self.base_url)
                if src:
                    out.append(f'<img src="{html_lib.escape(src)}">')
            elif child.tag in INLINE_KEEP:
                inner = self.inline_html(child)
                if child.tag == "a":
                    href = (child.get("href") or "").strip()
                    if href and not href.lower().startswith(("javascript:", "data:")):
                        out.append(f'<a href="{html_lib.escape(urljoin(self.base_url, href))}">{inner}</a>')
                    else:
                        out.append(inner)
                else:
                    out.append(f"<{child.tag}>{inner}</{child.tag}>")
            else:
                out.append(self.inline_html(child))
            out.append(html_lib.escape(child.tail or "", quote=False))
        return "".join(out)

    # -- blocks ------------------------------------------------------------------
    def blocks(self, root) -> list[Block]:
        blocks: list[Block] = []
        self._walk(root, blocks)
        return blocks

    def _walk(self, el, blocks: list[Block]) -> None:
        # Text directly inside a container (no <p>) is a paragraph of its own.
        if el.text and el.text.strip():
            self._text_block(el.text, blocks)
        for child in el:
            if not isinstance(child.tag, str) or _is_noise(child):
                pass
            else:
                self._element(child, blocks)
            if child.tail and child.tail.strip():
                self._text_block(child.tail, blocks)

    def _text_block(self, raw: str, blocks: list[Block]) -> None:
        text = normalize_space(raw)
        blocks.append(Block("p", text, f"<p>{html_lib.escape(text, quote=False)}</p>"))

    def _element(self, el, blocks: list[Block]) -> None:
        tag = el.tag
        if tag == "p":
            self._paragraph(el, blocks)
        elif tag in HEADINGS:
            text = normalize_space(el.text_content())
            if text:
                blocks.append(Block("h", text, f"<h2>{self.inline_html(el).strip()}</h2>"))
        elif tag == "img":
            self._image(el, blocks)
        elif tag in ("ul", "ol"):
            items = [normalize_space(li.text_content()) for li in el.iterchildren("li")]
            items = [i for i in items if i]
            if items:
                lis = "".join(f"<li>{self.inline_html(li).strip()}</li>" for li in el.iterchildren("li"))
                blocks.append(Block("list", "\n".join(items), f"<{tag}>{lis}</{tag}>"))
        elif tag == "table":
            self._table(el, blocks)
        elif tag == "blockquote":
            text = normalize_space(el.text_content())
            if text:
                blocks.append(Block("quote", text, f"<blockquote>{self.inline_html(el).strip()}</blockquote>"))
        else:  # containers (div, section, span, ...) and anything unknown: their contents
            self._walk(el, blocks)

    def _paragraph(self, el, blocks: list[Block]) -> None:
        # Block-level children inside a <p> (broken markup): treat the <p> as a container.
        if any(isinstance(c.tag, str) and (c.tag in HEADINGS or c.tag in ("table", "ul", "ol", "div", "p"))
               for c in el):
            self._walk(el, blocks)
            return
        imgs = [src for src in (image_src(i, self.base_url) for i in el.iter("img")) if src]
        text = normalize_space(el.text_content())
        if imgs and not text:
            for src in imgs:
                blocks.append(Block("img", "", f'<figure><img src="{html_lib.escape(src)}"></figure>', [src]))
            return
        if not text:
            return
        inner = self.inline_html(el).strip()
        # Sub-headings on older pages: a paragraph that is bold and nothing else.
        children = [c for c in el if isinstance(c.tag, str)]
        if (len(children) == 1 and children[0].tag in ("strong", "b") and not (el.text or "").strip()
                and not (children[0].tail or "").strip() and not imgs):
            blocks.append(Block("h", text, f"<h2>{self.inline_html(children[0]).strip()}</h2>"))
            return
        blocks.append(Block("p", text, f"<p>{inner}</p>", imgs))

    def _image(self, el, blocks: list[Block]) -> None:
        src = image_src(el, self.base_url)
        if src:
            blocks.append(Block("img", "", f'<figure><img src="{html_lib.escape(src)}"></figure>', [src]))

    def _table(self, el, blocks: list[Block]) -> None:
        rows, rows_html = [], []
        for tr in el.iter("tr"):
            cells = [c for c in tr if c.tag in ("td", "th")]
            texts = [normalize_space(c.text_content()) for c in cells]
            if any(texts):
                rows.append("\t".join(texts))
                rows_html.append("<tr>" + "".join(
                    f"<{c.tag}>{self.inline_html(c).strip()}</{c.tag}>" for c in cells) + "</tr>")
        if rows:
            blocks.append(Block("table", "\n".join(rows), "<table>" + "".join(rows_html) + "</table>"))


def strip_boilerplate(blocks: list[Block]) -> list[Block]:
    """Drop promotion/disclaimer paragraphs, and the run of credit lines that ends a body.

    The trailing run starts at a paragraph with a boilerplate prefix and holds only such
    paragraphs and images (the QR code of "扫描下方二维码"); an image after the last real
    paragraph with no boilerplate before it stays.
    """
    kept = [b for b in blocks if not (b.kind == "p" and b.text.startswith(ANYWHERE_PREFIXES))]
    cut = len(kept)
    for i in range(len(kept) - 1, -1, -1):
        b = kept[i]
        if b.kind == "p" and b.text.startswith(TRAILING_PREFIXES):
            cut = i
        elif b.kind != "img":
            break
    return kept[:cut]


def render(blocks: list[Block]) -> tuple[str, str, list[str]]:
    """(body_html, body_text, images) of clean blocks."""
    body_html = "\n".join(b.html for b in blocks)
    body_text = "\n".join(b.text for b in blocks if b.text)
    images: list[str] = []
    for b in blocks:
        for src in b.images:
            if src not in images:
                images.append(src)
    return body_html, body_text, images
