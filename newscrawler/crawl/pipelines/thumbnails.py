"""Thumbnails: Scrapy's images pipeline, extended for the article's lead image.

- One image per article (``thumbnail_url``), stored with the IMAGES_THUMBS sizes, under a
  name derived from the URL's hash (never from the URL's path, so nothing escapes the store,
  and an image shared by articles is downloaded once; IMAGES_EXPIRES keeps recrawls from
  fetching it again).
- Storage: a directory (IMAGES_STORE, Scrapy's FSFilesStore) or the archive's GridFS
  (IMAGES_STORE = "gridfs://" or "gridfs://<bucket>").
- The result is recorded on the article (``thumbnail``: store, path, checksum, bytes, width,
  height, thumbs); a failed download or a file that is not an image is recorded as
  ``thumbnail_error`` and counted, and the article is stored all the same.
- Limits: THUMBNAIL_MAX_BYTES per download, THUMBNAIL_MAX_PIXELS per image (decompression
  bombs are refused before they are decoded); only JPEG, PNG, GIF and WebP are accepted.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from io import BytesIO
from pathlib import Path

from itemadapter import ItemAdapter
from PIL import Image, ImageOps
from scrapy import Request
from scrapy.pipelines.files import FSFilesStore
from scrapy.pipelines.media import FileException
from scrapy.pipelines.images import ImageException, ImagesPipeline
from scrapy.utils.defer import ensure_awaitable, maybe_deferred_to_future
from twisted.internet.threads import deferToThread
from scrapy.http.request import NO_CALLBACK


EXIF_ORIENTATION = 0x0112


def fitted_size(image: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size PIL's ``Image.thumbnail(box)`` gives an image of ``image`` pixels (its rule:
    fit the box, and round the free side whichever way keeps the aspect ratio closer).

    Used twice: asked of JPEG's draft mode, it lets the decoder scale down by 1/2..1/8 as far
    as the thumbnail allows (asked for the box itself, an 800x600 picture bound for 400x400
    was decoded whole, since 300 < 400, and LANCZOS-resized: 6.4 ms of the 8 ms its two
    thumbnails cost, the largest CPU cost of a crawled article); then the draft, whose size
    is rounded up from the scaled original, is resized to exactly this size.
    """
    width, height = image
    x, y = min(box[0], width), min(box[1], height)
    if x >= width and y >= height:
        return width, height
    aspect = width / height

    def round_aspect(number: float, key) -> int:
        return max(min(math.floor(number), math.ceil(number), key=key), 1)

    if x / y >= aspect:
        x = round_aspect(y * aspect, key=lambda n: abs(aspect - n / y))
    else:
        y = round_aspect(x / aspect, key=lambda n: 0 if n == 0 else abs(aspect - x / n))
    return x, y


class AtomicFSFilesStore(FSFilesStore):
    """Scrapy's directory store, but a file appears whole or not at all (written under a
    temporary name, then renamed). With Scrapy's, a crawl killed mid-write left a cut-off
    file that later crawls took for the stored image (IMAGES_EXPIRES: not fetched again for
    a year), and two crawls at once could read each other's half-written file."""

    def _mkdir(self, dirname, domain=None):
        # Scrapy checks exists() then mkdir(): two crawls starting at once on a fresh data
        # directory both saw "missing" and the loser's pipeline failed to start (exit 1).
        Path(dirname).mkdir(parents=True, exist_ok=True)

    def persist_file(self, path, buf, info, meta=None, headers=None):
        absolute = self._get_filesystem_path(path)
        self._mkdir(absolute.parent)  # race-free: another crawl may create it at the same moment
        tmp = absolute.with_name(f".{absolute.name}.{os.getpid()}-{threading.get_ident()}.tmp")
        try:
            tmp.write_bytes(buf.getvalue())
            os.replace(tmp, absolute)
        finally:
            tmp.unlink(missing_ok=True)


class GridFSFilesStore:
    """Scrapy files store backed by GridFS in the archive database.

    Scrapy builds stores from a URI alone; like its S3 store, connection settings are class
    attributes set from the crawler's settings (``configure``).
    """

    SETTINGS = None

    def __init__(self, uri: str):
        bucket = uri.split("://", 1)[1].strip("/") if "://" in uri else ""
        self.bucket = bucket or "thumbnails"
        self._fs = None

    @classmethod
    def configure(cls, settings) -> None:
        cls.SETTINGS = settings

    @property
    def fs(self):
        if self._fs is None:
            import gridfs

            from newscrawler.store.connection import get_client, resolve_mongo_uri

            uri, _ = resolve_mongo_uri(self.SETTINGS)
            db = get_client(uri)[self.SETTINGS.get("MONGO_DATABASE", "newscrawler")]
            self._fs = gridfs.GridFS(db, collection=self.bucket)
        return self._fs

    def persist_file(self, path, buf, info, meta=None, headers=None):
        data = buf.getvalue()
        old = self.fs.find_one({"filename": path})
        self.fs.put(data, filename=path, metadata=dict(meta or {}),
                    md5=hashlib.md5(data).hexdigest())  # noqa: S324 - Scrapy's checksum is md5
        if old is not None:
            self.fs.delete(old._id)

    def stat_file(self, path, info):
        found = self.fs.find_one({"filename": path})
        if found is None:
            return {}
        return {"last_modified": found.upload_date.timestamp(), "checksum": found.md5}


class ThumbnailPipeline(ImagesPipeline):
    STORE_SCHEMES = {**ImagesPipeline.STORE_SCHEMES, "": AtomicFSFilesStore, "file": AtomicFSFilesStore,
                     "gridfs": GridFSFilesStore}
    # Image types a thumbnail may be (PIL format names): what news pages use. PIL would also
    # read EPS (through Ghostscript), PSD, TIFF, ICO...: anything else is "not an image".
    FORMATS = ("JPEG", "PNG", "GIF", "WEBP")

    def __init__(self, store_uri, *, crawler=None, **kwargs):
        settings = crawler.settings
        GridFSFilesStore.configure(settings)
        self.max_bytes = settings.getint("THUMBNAIL_MAX_BYTES")
        self.max_pixels = settings.getint("THUMBNAIL_MAX_PIXELS")
        self.store_scheme = "gridfs" if str(store_uri).startswith("gridfs://") else "fs"
        self.sizes: dict[str, dict] = {}
        # Scrapy's media pipeline replaces a processing error by a bare FileException on its
        # way to item_completed; the reason is kept here so the article can record it.
        self.refusals: dict[str, str] = {}
        super().__init__(store_uri, crawler=crawler, **kwargs)

    @classmethod
    def from_crawler(cls, crawler):
        store_uri = crawler.settings.get("IMAGES_STORE")
        return cls(store_uri, crawler=crawler)

    # -- what to download -------------------------------------------------------------
    def get_media_requests(self, item, info):
        url = ItemAdapter(item).get("thumbnail_url")
        if not url:
            return []
        return [Request(url, callback=NO_CALLBACK, meta={"download_maxsize": self.max_bytes})]

    def file_path(self, request, response=None, info=None, *, item=None):
        digest = hashlib.sha1(request.url.encode("utf-8")).hexdigest()  # noqa: S324 - a name, not security
        return f"full/{digest[:2]}/{digest}.jpg"

    def thumb_path(self, request, thumb_id, response=None, info=None, *, item=None):
        digest = hashlib.sha1(request.url.encode("utf-8")).hexdigest()  # noqa: S324
        return f"thumbs/{thumb_id}/{digest[:2]}/{digest}.jpg"

    # -- checks before decoding -----------------------------------------------------------
    def refuse(self, url: str, reason: str) -> ImageException:
        self.refusals[url] = reason
        return ImageException(reason)

    def get_images(self, response, request, info, *, item=None):
        """The stored images: the original bytes when they are a plain JPEG already (no
        re-encoding: faster and exact), else Scrapy's conversion; thumbnails decoded in JPEG
        draft mode (the decoder scales down by 1/2..1/8, far cheaper than a full decode)."""
        body = response.body
        try:
            probe = Image.open(BytesIO(body), formats=self.FORMATS)  # reads the header only
            width, height = probe.size
        except Exception as exc:  # noqa: BLE001 - PIL raises many types for "not an image"
            raise self.refuse(request.url, f"not an image ({type(exc).__name__})") from exc
        if width * height > self.max_pixels:
            raise self.refuse(request.url, f"image too large: {width}x{height} pixels (limit {self.max_pixels})")
        if width < self.min_width or height < self.min_height:
            raise self.refuse(request.url, f"image too small: {width}x{height}")
        self.sizes[request.url] = {"bytes": len(body), "width": width, "height": height}
        path = self.file_path(request, response=response, info=info, item=item)
        try:
            upright = probe.format == "JPEG" and probe.getexif().get(EXIF_ORIENTATION, 1) == 1
            if upright and probe.mode == "RGB":
                full, full_buf = probe, BytesIO(body)
            else:
                full, full_buf = self.convert_image(ImageOps.exif_transpose(probe), response_body=BytesIO(body))
            yield path, full, full_buf
            for thumb_id, size in self.thumbs.items():
                source = Image.open(BytesIO(body), formats=self.FORMATS)
                if upright:
                    target = fitted_size((width, height), size)
                    source.draft("RGB", target)
                    if source.size != target:  # exactly what a thumbnail of the whole picture is
                        source = source.convert("RGB").resize(target, Image.Resampling.LANCZOS)
                else:  # stored sideways: its pixel size is not the thumbnail's orientation
                    source.draft("RGB", size)
                    source = ImageOps.exif_transpose(source)
                thumb, thumb_buf = self.convert_image(source, size, response_body=full_buf)
                yield self.thumb_path(request, thumb_id, response=response, info=info, item=item), thumb, thumb_buf
        except (OSError, SyntaxError, ValueError) as exc:  # a header that parses, pixels that don't
            raise self.refuse(request.url, f"broken image ({type(exc).__name__}: {exc})") from exc

    async def image_downloaded(self, response, request, info, *, item=None):
        """Scrapy's, with the decoding in a worker thread (PIL releases the GIL, so the
        reactor keeps crawling); files are written back on the reactor thread."""
        images = await maybe_deferred_to_future(deferToThread(
            lambda: [(path, image.size, buf) for path, image, buf in
                     self.get_images(response, request, info, item=item)]))
        checksum = None
        for path, (width, height), buf in images:
            if checksum is None:
                checksum = hashlib.md5(buf.getvalue()).hexdigest()  # noqa: S324 - Scrapy's checksum
            await ensure_awaitable(self.store.persist_file(
                path, buf, info, meta={"width": width, "height": height},
                headers={"Content-Type": "image/jpeg"}))
        return checksum

    # -- the outcome, on the article ------------------------------------------------------
    def item_completed(self, results, item, info):
        adapter = ItemAdapter(item)
        stats = self.crawler.stats
        requested = ItemAdapter(item).get("thumbnail_url")
        for ok, result in results:
            if ok:
                path = result["path"]
                adapter["thumbnail"] = {
                    "store": self.store_scheme,
                    "path": path,
                    "checksum": result.get("checksum"),
                    "status": result.get("status"),
                    **self.sizes.pop(result["url"], {}),
                    "thumbs": {name: self.thumb_path(Request(result["url"]), name) for name in self.thumbs},
                    "stored_at": time.time(),
                }
                stats.inc_value("newscrawler/thumbnails_ok")
            else:
                error = getattr(result, "value", result)
                reason = self.refusals.pop(requested, None) or str(error)
                if not reason:
                    reason = "download failed" if isinstance(error, FileException) else type(error).__name__
                adapter["thumbnail_error"] = reason
                stats.inc_value("newscrawler/thumbnails_failed")
        return item
