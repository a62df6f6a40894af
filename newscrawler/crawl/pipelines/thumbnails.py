"""Thumbnails: Scrapy's images pipeline, extended for the article's lead image.

- One image per article (``thumbnail_url``, fetched in its largest size), stored with the IMAGES_THUMBS sizes, under a
  name derived from the URL's hash (never from the URL's path, so nothing escapes the store,
  and an image shared by articles is downloaded once; IMAGES_EXPIRES keeps recrawls from
  fetching it again).
- Storage: a directory (IMAGES_STORE, Scrapy's FSFilesStore made atomic) or the archive's
  GridFS (IMAGES_STORE = "gridfs://" or "gridfs://<bucket>"); Scrapy's S3, GCS and FTP stores
  work too, configured from the settings as Scrapy configures them.
- The result is recorded on the article (``thumbnail``: store, path, checksum, status, bytes,
  width, height, stored_at, thumbs). bytes, width, height and stored_at describe the stored
  picture and are read back from the store, so a recrawl that finds it already stored
  ("uptodate", nothing downloaded) records the same facts as the crawl that stored it. They
  travel in Scrapy's per-file result (FileInfo), which its media cache also hands to every
  other article with the same image URL. A failed download or a file that is not an image is
  recorded as ``thumbnail_error`` and counted, and the article is stored all the same.
- All files or none: the thumbs are stored before the full image, and the full image is what
  marks the set as stored; a set with any file missing (a store that failed midway, say on a
  full disk) counts as not stored, and the next crawl of the article stores it again. A store
  that fails records ``thumbnail_error`` and no pointer to files.
- Limits: THUMBNAIL_MAX_BYTES per download, THUMBNAIL_MAX_PIXELS per image (decompression
  bombs are refused before they are decoded); only JPEG, PNG, GIF and WebP are accepted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from io import BytesIO
from pathlib import Path

from itemadapter import ItemAdapter
from PIL import Image, ImageOps
from scrapy import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FSFilesStore
from scrapy.pipelines.images import ImageException, ImagesPipeline
from scrapy.pipelines.media import FileException
from scrapy.utils.defer import ensure_awaitable, maybe_deferred_to_future
from twisted.internet.defer import maybeDeferred
from twisted.internet.threads import deferToThread

from newscrawler.crawl import stats as keys
from newscrawler.nbd.site import largest_image_url

EXIF_ORIENTATION = 0x0112
# What Scrapy's FilesPipeline says of a download it could not use, in the article's words.
DOWNLOAD_REASONS = {"download-error": "download failed (HTTP status not 200)",
                    "empty-content": "download failed (empty body)"}


def stored_at(timestamp: float) -> dt.datetime:
    """A store's modification time (epoch seconds) as the aware UTC datetime documents use."""
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)


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

    def image_facts(self, path) -> dict:
        """bytes, width, height and stored_at of the stored picture; {} if there is none."""
        absolute = self._get_filesystem_path(path)
        try:
            stat = absolute.stat()
            with Image.open(absolute) as image:  # reads the header only
                width, height = image.size
        except OSError:  # missing, or not a picture (PIL's UnidentifiedImageError is an OSError)
            return {}
        return {"bytes": stat.st_size, "width": width, "height": height, "stored_at": stored_at(stat.st_mtime)}


class GridFSFilesStore:
    """Scrapy files store backed by GridFS in the archive database.

    Scrapy builds a store from its URI alone; like its S3 and FTP stores, the connection
    settings are a class attribute, set from the crawler's settings by the pipeline's
    ``_update_stores`` (Scrapy's hook for store configuration).
    """

    SETTINGS = None

    def __init__(self, uri: str):
        bucket = uri.split("://", 1)[1].strip("/") if "://" in uri else ""
        self.bucket = bucket or "thumbnails"
        self._db = None
        self._fs = None

    @property
    def db(self):
        """The archive database, on a client of its own that writes journaled like the archive."""
        if self._db is None:
            from newscrawler import config
            from newscrawler.store.connection import (
                get_client,
                journaled_options,
                resolve_mongo_uri,
            )

            uri, _ = resolve_mongo_uri(self.SETTINGS)
            client = get_client(uri, **journaled_options(uri))
            self._db = client[config.setting(self.SETTINGS, "MONGO_DATABASE")]
        return self._db

    @property
    def fs(self):
        if self._fs is None:
            import gridfs

            self._fs = gridfs.GridFS(self.db, collection=self.bucket)
        return self._fs

    def close(self) -> None:
        if self._db is not None:
            self._db.client.close()
            self._db = self._fs = None

    def _latest(self, path):
        # A replaced file has two versions for a moment (the new one is put before the old
        # one is deleted): the newest is the stored file.
        return self.fs.find_one({"filename": path}, sort=[("uploadDate", -1)])

    def persist_file(self, path, buf, info, meta=None, headers=None):
        data = buf.getvalue()
        old = self._latest(path)
        self.fs.put(data, filename=path, metadata=dict(meta or {}),
                    md5=hashlib.md5(data).hexdigest())  # noqa: S324 - Scrapy's checksum is md5
        if old is not None:
            self.fs.delete(old._id)

    def stat_file(self, path, info):
        found = self._latest(path)
        if found is None:
            return {}
        return {"last_modified": found.upload_date.timestamp(), "checksum": found.md5}

    def image_facts(self, path) -> dict:
        """bytes, width, height (kept as metadata by persist_file) and stored_at of the stored
        picture, without reading it; {} if there is none."""
        found = self._latest(path)
        if found is None:
            return {}
        size = {key: value for key, value in (found.metadata or {}).items() if key in ("width", "height")}
        return {"bytes": found.length, **size, "stored_at": found.upload_date.astimezone(dt.timezone.utc)}


class ThumbnailPipeline(ImagesPipeline):
    STORE_SCHEMES = {**ImagesPipeline.STORE_SCHEMES, "": AtomicFSFilesStore, "file": AtomicFSFilesStore,
                     "gridfs": GridFSFilesStore}
    # Image types a thumbnail may be (PIL format names): what news pages use. PIL would also
    # read EPS (through Ghostscript), PSD, TIFF, ICO...: anything else is "not an image".
    FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
    # Image.thumbnail's reducing_gap: the picture is first made smaller by whole factors (a
    # JPEG's draft decoder, then Image.reduce) as long as the final LANCZOS resampling still
    # shrinks it by this factor. That resampling is the cost; PIL's default (2) leaves a
    # 4:3 picture bound for a 400 px box resampled whole. 1 (the least PIL takes) reduces as
    # far as possible; the difference from resampling the whole picture stays below what
    # the thumbnail's JPEG encoding changes anyway.
    REDUCING_GAP = 1.0
    # What the article records of the stored picture (read from the store; see the module doc).
    FACTS = ("bytes", "width", "height", "stored_at")

    def __init__(self, store_uri, *, crawler=None, **kwargs):
        settings = crawler.settings
        self.max_bytes = settings.getint("THUMBNAIL_MAX_BYTES")
        self.max_pixels = settings.getint("THUMBNAIL_MAX_PIXELS")
        self.store_scheme = "gridfs" if str(store_uri).startswith("gridfs://") else "fs"
        super().__init__(store_uri, crawler=crawler, **kwargs)

    @classmethod
    def _update_stores(cls, settings):
        """Scrapy's store set-up (S3, GCS and FTP credentials), and the GridFS store's."""
        super()._update_stores(settings)
        cls.STORE_SCHEMES["gridfs"].SETTINGS = settings

    def close_spider(self, spider=None):
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    # -- what to download -------------------------------------------------------------
    def get_media_requests(self, item, info):
        """The largest size of the page's image: the site serves sizes of one upload as
        ``<name>.thumb_head.jpg`` ... beside ``<name>.jpg`` (the record keeps the page's URL in
        ``thumbnail_url``, ``thumbnail.url`` says what was downloaded)."""
        url = ItemAdapter(item).get("thumbnail_url")
        if not url:
            return []
        return [Request(largest_image_url(url), callback=NO_CALLBACK, meta={"download_maxsize": self.max_bytes})]

    def file_path(self, request, response=None, info=None, *, item=None):
        digest = hashlib.sha1(request.url.encode("utf-8")).hexdigest()  # noqa: S324 - a name, not security
        return f"full/{digest[:2]}/{digest}.jpg"

    def thumb_path(self, request, thumb_id, response=None, info=None, *, item=None):
        digest = hashlib.sha1(request.url.encode("utf-8")).hexdigest()  # noqa: S324
        return f"thumbs/{thumb_id}/{digest[:2]}/{digest}.jpg"

    # -- the per-file result: Scrapy's, plus what the store says of the picture ----------
    async def media_to_download(self, request, info, *, item=None):
        """Scrapy's "uptodate" check (the full image is stored and fresh), and every thumb
        stored too: a set a failed store left without one of them is downloaded again."""
        file_info = await maybe_deferred_to_future(super().media_to_download(request, info, item=item))
        if not file_info or not await self.thumbs_stored(request, info, item):
            return None
        return self.with_stored_facts(file_info)

    async def thumbs_stored(self, request, info, item) -> bool:
        for thumb_id in self.thumbs:
            path = self.thumb_path(request, thumb_id, info=info, item=item)
            try:
                stat = await maybe_deferred_to_future(maybeDeferred(self.store.stat_file, path, info))
            except Exception:  # noqa: BLE001 - a store that cannot tell: store the set again
                return False
            if not stat:
                return False
        return True

    async def media_downloaded(self, response, request, info, *, item=None):
        return self.with_stored_facts(await super().media_downloaded(response, request, info, item=item))

    def with_stored_facts(self, file_info: dict) -> dict:
        read = getattr(self.store, "image_facts", None)  # Scrapy's S3, GCS and FTP stores can't tell
        return {**file_info, **(read(file_info["path"]) if read else {})}

    def media_failed(self, failure, request, info):
        # A refusal raised while processing the download (already logged by Scrapy) lands here
        # too, and Scrapy's media_failed would replace it by a bare FileException: its reason
        # is kept, for the article's thumbnail_error.
        if isinstance(failure.value, FileException):
            failure.raiseException()
        return super().media_failed(failure, request, info)

    # -- checks before decoding, and the stored images --------------------------------------
    def open_checked(self, body: bytes) -> Image.Image:
        """The picture, its header read (not its pixels), if it is one the pipeline takes."""
        try:
            image = Image.open(BytesIO(body), formats=self.FORMATS)
            width, height = image.size
        except Exception as exc:  # noqa: BLE001 - PIL raises many types for "not an image"
            raise ImageException(f"not an image ({type(exc).__name__})") from exc
        if width * height > self.max_pixels:
            raise ImageException(f"image too large: {width}x{height} pixels (limit {self.max_pixels})")
        if width < self.min_width or height < self.min_height:
            raise ImageException(f"image too small: {width}x{height}")
        return image

    def get_images(self, response, request, info, *, item=None):
        """The stored images: the original bytes when they are a plain JPEG already (no
        re-encoding: faster and exact), else Scrapy's conversion; then the thumbnails, by PIL's
        Image.thumbnail (of an upright JPEG, it decodes a scaled-down draft, far cheaper than
        every pixel)."""
        body = response.body
        probe = self.open_checked(body)
        path = self.file_path(request, response=response, info=info, item=item)
        try:
            upright = probe.format == "JPEG" and probe.getexif().get(EXIF_ORIENTATION, 1) == 1
            if upright and probe.mode == "RGB":
                full, full_buf = probe, BytesIO(body)
            else:
                full, full_buf = self.convert_image(ImageOps.exif_transpose(probe), response_body=BytesIO(body))
            yield path, full, full_buf
            for thumb_id, box in self.thumbs.items():
                source = full
                if upright:  # a fresh, undecoded picture: thumbnail() can use the draft decoder
                    source = Image.open(BytesIO(body), formats=self.FORMATS)
                    source.thumbnail(box, Image.Resampling.LANCZOS, reducing_gap=self.REDUCING_GAP)
                thumb, thumb_buf = self.convert_image(source, box, response_body=full_buf)
                yield self.thumb_path(request, thumb_id, response=response, info=info, item=item), thumb, thumb_buf
        except (OSError, SyntaxError, ValueError) as exc:  # a header that parses, pixels that don't
            raise ImageException(f"broken image ({type(exc).__name__}: {exc})") from exc

    async def image_downloaded(self, response, request, info, *, item=None):
        """Scrapy's, with the decoding in a worker thread (PIL releases the GIL, so the
        reactor keeps crawling); files are written back on the reactor thread, the thumbs
        first and the full image last (see the module's doc)."""
        images = await maybe_deferred_to_future(deferToThread(
            lambda: [(path, image.size, buf) for path, image, buf in
                     self.get_images(response, request, info, item=item)]))
        full, *thumbs = images
        for path, (width, height), buf in [*thumbs, full]:
            try:
                await ensure_awaitable(self.store.persist_file(
                    path, buf, info, meta={"width": width, "height": height},
                    headers={"Content-Type": "image/jpeg"}))
            except Exception as exc:  # noqa: BLE001 - any store's failure: the set is not stored
                raise FileException(f"could not store {path} ({type(exc).__name__}: {exc})") from exc
        return hashlib.md5(full[2].getvalue()).hexdigest()  # noqa: S324 - Scrapy's checksum

    # -- the outcome, on the article ------------------------------------------------------
    def item_completed(self, results, item, info):
        adapter = ItemAdapter(item)
        stats = self.crawler.stats
        for ok, result in results:
            if ok:
                adapter["thumbnail"] = self.thumbnail_record(result)
                stats.inc_value(keys.THUMBNAILS_OK)
            else:
                adapter["thumbnail_error"] = self.failure_reason(result.value)
                stats.inc_value(keys.THUMBNAILS_FAILED)
        return item

    def thumbnail_record(self, result: dict) -> dict:
        return {
            "store": self.store_scheme,
            "url": result["url"],  # the size downloaded (the largest), beside the page's thumbnail_url
            "path": result["path"],
            "checksum": result.get("checksum"),
            "status": result.get("status"),
            **{key: result[key] for key in self.FACTS if result.get(key) is not None},
            "thumbs": {name: self.thumb_path(Request(result["url"]), name) for name in self.thumbs},
        }

    @staticmethod
    def failure_reason(error: BaseException) -> str:
        reason = str(error)
        if reason:
            return DOWNLOAD_REASONS.get(reason, reason)
        return "download failed" if isinstance(error, FileException) else type(error).__name__
