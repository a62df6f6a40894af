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
from typing import Iterator
from urllib.parse import urljoin

from lxml import etree

from newscrawler.nbd.site import is_chrome_image

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
# Partner (syndication) copies carry the image in ``alt_src`` instead of ``src``.
LAZY_SRC_ATTRS = ("data-original", "data-src", "data-aload", "data-lazy-src", "alt_src", "src")
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
    """Absolute image URL, preferring the real source over lazy-loading placeholders; None for
    an image of the site's chrome (static.nbd.com.cn: logos, QR codes, the partner feeds'
    promo picture), which is never an article image."""
    for attr in LAZY_SRC_ATTRS:
        value = (img.get(attr) or "").strip()
        if value and not value.startswith("data:") and "placeholder" not in value and "loading" not in value:
            url = urljoin(base_url, value)
            return None if is_chrome_image(url) else url
    return None


class BodyCleaner:
    """Walk a body element and yield clean blocks. One instance per page (holds the base URL)."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    # -- inline HTML ---------------------------------------------------------------
    def inline_html(self, el) -> str:
        """Inner HTML of ``el`` keeping only allowed inline markup.

        Depth-first with a stack of its own, not recursion: a page may nest thousands of levels.
        """
        out = [html_lib.escape(el.text or "", quote=False)]
        # Per element being written: (its children not written yet, its closing markup, its tail).
        writing = [(iter(el), "", "")]
        while writing:
            children, closing, tail = writing[-1]
            child = next(children, None)
            if child is None:
                writing.pop()
                out += [closing, tail]
                continue
            child_tail = html_lib.escape(child.tail or "", quote=False)
            if isinstance(child, etree._Comment) or not isinstance(child.tag, str) or _is_noise(child):
                out.append(child_tail)
            elif child.tag == "br":
                out += ["<br>", child_tail]
            elif child.tag == "img":
                src = image_src(child, self.base_url)
                out += [f'<img src="{html_lib.escape(src)}">' if src else "", child_tail]
            else:
                opening, child_closing = self._inline_tags(child)
                out += [opening, html_lib.escape(child.text or "", quote=False)]
                writing.append((iter(child), child_closing, child_tail))
        return "".join(out)

    def _inline_tags(self, el) -> tuple[str, str]:
        """(opening, closing) markup kept for an inline element: none for an unknown one or a
        link to nowhere (its contents stay)."""
        if el.tag not in INLINE_KEEP:
            return "", ""
        if el.tag != "a":
            return f"<{el.tag}>", f"</{el.tag}>"
        href = (el.get("href") or "").strip()
        if href and not href.lower().startswith(("javascript:", "data:")):
            return f'<a href="{html_lib.escape(urljoin(self.base_url, href))}">', "</a>"
        return "", ""

    # -- blocks ------------------------------------------------------------------
    def blocks(self, root) -> list[Block]:
        blocks: list[Block] = []
        self._walk(root, blocks)
        return blocks

    def _walk(self, root, blocks: list[Block]) -> None:
        """Depth-first through containers with a stack of our own, not recursion: a page may
        nest thousands of levels (lxml's huge_tree reads up to 2048)."""
        walking = [self._contents(root, blocks)]
        while walking:
            container = next(walking[-1], None)
            if container is None:
                walking.pop()
            else:
                walking.append(self._contents(container, blocks))

    def _contents(self, el, blocks: list[Block]) -> Iterator:
        """Add the blocks of ``el``'s text and children, in order; yield each child container
        to walk (before the child's tail is added)."""
        # Text directly inside a container (no <p>) is a paragraph of its own.
        if el.text and el.text.strip():
            self._text_block(el.text, blocks)
        for child in el:
            if isinstance(child.tag, str) and not _is_noise(child):
                container = self._element(child, blocks)
                if container is not None:
                    yield container
            if child.tail and child.tail.strip():
                self._text_block(child.tail, blocks)

    def _text_block(self, raw: str, blocks: list[Block]) -> None:
        text = normalize_space(raw)
        blocks.append(Block("p", text, f"<p>{html_lib.escape(text, quote=False)}</p>"))

    def _element(self, el, blocks: list[Block]):
        """Add the block ``el`` is; return ``el`` when it is a container to walk instead."""
        tag = el.tag
        if tag == "p":
            return self._paragraph(el, blocks)
        if tag in HEADINGS:
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
        elif tag == "center":
            # Older bodies hold <center> blocks: promotion and navigation links (a 2018 spider
            # read the body without them), or a centred article image with its caption.
            if any(image_src(img, self.base_url) for img in el.iter("img")):
                self._walk(el, blocks)
        elif tag == "blockquote":
            text = normalize_space(el.text_content())
            if text:
                blocks.append(Block("quote", text, f"<blockquote>{self.inline_html(el).strip()}</blockquote>"))
        else:  # containers (div, section, span, ...) and anything unknown: their contents
            return el
        return None

    def _paragraph(self, el, blocks: list[Block]):
        """Add the paragraph's block; return ``el`` when it is a container to walk instead."""
        # Block-level children inside a <p> (broken markup): treat the <p> as a container.
        if any(isinstance(c.tag, str) and (c.tag in HEADINGS or c.tag in ("table", "ul", "ol", "div", "p"))
               for c in el):
            return el
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


def cap_images(blocks: list[Block], limit: int) -> tuple[list[Block], int]:
    """(the blocks keeping the first ``limit`` distinct images, how many more there were).
    An image block past the cap is dropped; a paragraph keeps its text. 0: no cap."""
    distinct = list(dict.fromkeys(src for b in blocks for src in b.images))
    if limit <= 0 or len(distinct) <= limit:
        return blocks, 0
    kept = set(distinct[:limit])
    capped = []
    for b in blocks:
        images = [src for src in b.images if src in kept]
        if b.kind == "img" and not images:
            continue
        capped.append(b if len(images) == len(b.images) else Block(b.kind, b.text, b.html, images))
    return capped, len(distinct) - limit


def render(blocks: list[Block]) -> tuple[str, str, list[str]]:
    """(body_html, body_text, images) of clean blocks."""
    body_html = "\n".join(b.html for b in blocks)
    body_text = "\n".join(b.text for b in blocks if b.text)
    images = list(dict.fromkeys(src for b in blocks for src in b.images))  # unique, in page order
    return body_html, body_text, images
