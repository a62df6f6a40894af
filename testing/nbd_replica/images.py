"""Images of the replica site: real, small, deterministic JPEGs, and ways to break them.

The thumbnail pipeline decodes what it downloads, so the replica must serve genuine image bytes
(a placeholder string would pass no real decoder). Every URL under ``/uploads/`` with an image
extension gets a picture derived from its path alone: the same URL always returns the same
bytes, on every run and machine, so checksums in tests are stable. Pictures are cached because
encoding costs far more than serving.

Tests break chosen URLs on purpose with :meth:`ImageStore.override`:

- ``"html"``: an HTML error page with status 200 and ``text/html`` (a CDN soft error)
- ``"missing"``: 404
- ``"oversized"``: a real JPEG of :data:`OVERSIZED` pixels (decompression-bomb guards, resizing)
- ``"corrupt"``: the first bytes of a JPEG with ``image/jpeg`` (a cut-off download)
"""

from __future__ import annotations

import io
import random
import re
import threading
import zlib
from functools import lru_cache

from PIL import Image, ImageDraw

IMAGE_PATH = re.compile(r"^/uploads/.+\.(jpe?g|png)$", re.IGNORECASE)
OVERSIZED = (6000, 4500)
OVERRIDE_KINDS = ("html", "missing", "oversized", "corrupt")

_HTML_ERROR = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>图片不存在</title></head>"
    "<body><p>您访问的图片不存在或已被删除。</p></body></html>"
).encode("utf-8")


def image_size(path: str) -> tuple[int, int]:
    """Width and height of the picture at ``path``: thumbnails small, body images larger."""
    h = zlib.crc32(path.encode("utf-8"))
    if ".thumb_" in path:  # size variants <name>.thumb_head.jpg / .thumb_hs.jpg: the small ones
        return 120 + (h % 3) * 10, 90
    if "/thumbnails/" in path:
        return 160 + (h % 5) * 20, 120 + (h >> 8) % 4 * 15
    width = 480 + (h % 9) * 40
    return width, width * (9 + (h >> 8) % 4) // 16


@lru_cache(maxsize=1024)
def picture_bytes(path: str, size: tuple[int, int] | None = None) -> bytes:
    """The encoded picture for ``path`` (JPEG, or PNG for ``.png``), deterministic."""
    width, height = size or image_size(path)
    rng = random.Random(zlib.crc32(path.encode("utf-8")))
    img = Image.new("RGB", (width, height), tuple(rng.randrange(40, 220) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(width // 8, width // 2), y0 + rng.randrange(height // 8, height // 2)
        draw.rectangle((x0, y0, x1, y1), fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    if path.lower().endswith(".png"):
        img.save(out, "PNG", optimize=False)
    else:
        img.save(out, "JPEG", quality=80)
    return out.getvalue()


def content_type(path: str) -> str:
    return "image/png" if path.lower().endswith(".png") else "image/jpeg"


class ImageStore:
    """Answers image requests: ``get(path) -> (status, content type, body)`` or None.

    None means "not an image URL" (the site routes it elsewhere). Overrides are persistent
    (unlike transient faults) because a broken image on a CDN stays broken.
    """

    def __init__(self) -> None:
        self._overrides: list[tuple[re.Pattern, str]] = []
        self._lock = threading.Lock()

    def override(self, path_regex: str, kind: str) -> None:
        """Break every image whose path matches ``path_regex`` (``re.search``) in one way."""
        if kind not in OVERRIDE_KINDS:
            raise ValueError(f"unknown image override {kind!r}; expected one of {OVERRIDE_KINDS}")
        with self._lock:
            self._overrides.append((re.compile(path_regex), kind))

    def clear(self) -> None:
        with self._lock:
            self._overrides.clear()

    def _override_for(self, path: str) -> str | None:
        with self._lock:
            return next((kind for rx, kind in self._overrides if rx.search(path)), None)

    def get(self, path: str) -> tuple[int, str, bytes] | None:
        if not IMAGE_PATH.match(path):
            return None
        kind = self._override_for(path)
        if kind == "missing":
            return 404, "text/html; charset=utf-8", _HTML_ERROR
        if kind == "html":
            return 200, "text/html; charset=utf-8", _HTML_ERROR
        if kind == "oversized":
            return 200, content_type(path), picture_bytes(path, OVERSIZED)
        body = picture_bytes(path)
        if kind == "corrupt":
            body = body[: len(body) // 3]
        return 200, content_type(path), body
