"""Crawling with several workers on several machines: one Redis, one MongoDB.

With ``REDIS_URL`` set (setting or environment), the :class:`DistributedCrawl` add-on switches
the crawl to scrapy-redis: the request queue and the duplicate filter live in Redis, shared by
every worker of the same crawl, so each list page and each article is fetched by one worker
only. Without ``REDIS_URL`` the add-on does nothing and the crawl is the usual one-process
crawl.

Which workers share a crawl: those with the same Redis key namespace,
``{REDIS_KEY_PREFIX}:{spider}:{crawl name}``. The crawl name is ``DISTRIBUTED_CRAWL_NAME``
when set, else the job name (``NEWSCRAWLER_JOB``, set by ``newscrawler crawl --job``), else
``adhoc-<hash of the spider's arguments>`` (workers started with the same arguments join).

Keys of one namespace::

    <ns>:requests    sorted set: the shared request queue (scrapy-redis PriorityQueue)
    <ns>:dupefilter  set: fingerprints of requests already scheduled in this crawl
    <ns>:workers     sorted set: live workers (crawl id -> last heartbeat, Redis time)
    <ns>:idle        hash: workers that have nothing to do right now

Lifecycle (what keeps Redis bounded): the first worker of a crawl (no live worker in
``<ns>:workers``) deletes what a crashed earlier run left and starts fresh; every worker
heartbeats every ``REDIS_HEARTBEAT_INTERVAL`` seconds; a worker with nothing to do waits
while other live workers are busy (they may queue more work), and stops when the queue is
empty and every live worker is idle; the last worker to stop deletes every key of the
namespace. So between runs nothing is left, and a dead worker (no heartbeat for
``REDIS_WORKER_TIMEOUT`` s) stops counting. All keys also carry a TTL
(``REDIS_KEYS_TTL``, refreshed by the heartbeats) as a safety net if every worker dies.

De-duplication with several workers:

- article requests are fingerprinted by article id (``article:<id>``), so the same article
  reached through different URL forms (canonical, partner copy, mobile) by two workers is
  fetched once; redirected requests keep URL fingerprints;
- list pages (``dont_filter=True`` in the spider, which is right for one process) go through
  the shared filter too: every worker starts by queueing each column's first page, and only
  the first of those is fetched; the same for ad hoc URLs. Retries and redirects are never
  filtered;
- the spider's own ``seen_ids`` and the archive's incremental check (one MongoDB query per
  list page) work as before: they only save requests, the shared filter is what guarantees
  one fetch per article, and MongoDB's unique index on ``article_id`` one document.
"""

from __future__ import annotations

import hashlib
import json
import logging

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from newscrawler import config
from newscrawler.crawl import stats as keys

logger = logging.getLogger(__name__)

# Registers a worker; the first live one clears what a crashed earlier run left.
# KEYS: workers, idle, queue, dupefilter. ARGV: worker id, worker timeout, keys TTL.
_JOIN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local fresh = 0
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  fresh = 1
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[3]) end
return {fresh, redis.call('ZCARD', KEYS[1])}
"""

# Heartbeat: still alive; refresh every key's TTL.
_BEAT = """
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) + tonumber(t[2]) / 1000000, ARGV[1])
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
return 1
"""

# This worker has nothing to do: is the whole crawl done (queue empty, every live worker idle)?
_IDLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], 1)
if redis.call('ZCARD', KEYS[3]) > 0 then return 0 end
for _, worker in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('HEXISTS', KEYS[2], worker) == 0 then return 0 end
end
return 1
"""

# A worker leaves; the last one deletes the namespace. KEYS: workers, idle, queue, dupefilter.
_LEAVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  return 1
end
return 0
"""


def redis_url(settings) -> str | None:
    """``REDIS_URL`` from the settings, else the environment; empty means unset."""
    return config.setting(settings, "REDIS_URL")


def redact_redis_url(url: str | None) -> str:
    """``redis://:secret@host:6379/0`` -> ``redis://***@host:6379/0``."""
    if not url or "@" not in url:
        return url or ""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"


class DistributedCrawl:
    """Scrapy add-on: with REDIS_URL, the scrapy-redis scheduler and duplicate filter.

    Settings it sets (at add-on priority, so ``settings.py`` or ``-s`` win when they name
    them): SCHEDULER, DUPEFILTER_CLASS, SCHEDULER_PERSIST (True: a finishing worker must not
    delete the queue the others use; the last worker cleans up, see the module's doc),
    SCHEDULER_QUEUE_CLASS (priority queue: articles before list pages), REDIS_URL.
    """

    def update_settings(self, settings) -> None:
        url = redis_url(settings)
        if not url:
            return
        if not settings.get("REDIS_URL"):  # from the environment after settings.py was read
            settings.set("REDIS_URL", url, priority="cmdline")
        for key, value in {
            "SCHEDULER": "newscrawler.crawl.distributed.RedisScheduler",
            "DUPEFILTER_CLASS": "newscrawler.crawl.distributed.ArticleDupeFilter",
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        }.items():
            settings.set(key, value, priority="addon")


class ArticleDupeFilter(RFPDupeFilter):
    """scrapy-redis' duplicate filter, with article requests fingerprinted by article id."""

    def request_fingerprint(self, request) -> str:
        article_id = request.meta.get("article_id")
        if article_id is not None and "redirect_times" not in request.meta:
            return f"article:{article_id}"
        return super().request_fingerprint(request)


class RedisScheduler(Scheduler):
    """scrapy-redis' scheduler, with per-crawl keys, worker registration and clean-up.

    See the module's doc for the keys and the lifecycle.
    """

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        settings = crawler.settings
        scheduler.prefix = settings.get("REDIS_KEY_PREFIX")
        scheduler.heartbeat_interval = settings.getfloat("REDIS_HEARTBEAT_INTERVAL")
        scheduler.worker_timeout = settings.getfloat("REDIS_WORKER_TIMEOUT")
        scheduler.keys_ttl = settings.getint("REDIS_KEYS_TTL")
        scheduler.debug = settings.getbool("DUPEFILTER_DEBUG")
        scheduler._idle = False
        scheduler._heartbeat = None
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    # -- keys -------------------------------------------------------------------------
    def crawl_name(self, spider) -> str:
        settings = self.crawler.settings
        name = settings.get("DISTRIBUTED_CRAWL_NAME") or settings.get("NEWSCRAWLER_JOB")
        if name:
            return str(name)
        args = spider.crawl_arguments() if hasattr(spider, "crawl_arguments") else {}
        digest = hashlib.sha1(json.dumps(args, sort_keys=True, default=str).encode()).hexdigest()  # noqa: S324
        return f"adhoc-{digest[:10]}"

    def keys(self) -> list[str]:
        return [f"{self.namespace}:workers", f"{self.namespace}:idle", f"{self.namespace}:requests",
                f"{self.namespace}:dupefilter"]

    # -- lifecycle --------------------------------------------------------------------
    def open(self, spider):
        from newscrawler.crawl.context import CrawlContext

        self.namespace = f"{self.prefix}:{spider.name}:{self.crawl_name(spider)}"
        self.worker_id = CrawlContext.of(self.crawler).crawl_id
        # '%' would be taken for a format by scrapy-redis: the names here never hold one.
        self.queue_key = f"{self.namespace}:requests".replace("%", "%%")
        self.df = ArticleDupeFilter(self.server, key=f"{self.namespace}:dupefilter", debug=self.debug)
        fresh, workers = self.server.eval(_JOIN, 4, *self.keys(), self.worker_id, self.worker_timeout,
                                          self.keys_ttl)
        super().open(spider)
        stats = self.crawler.stats
        stats.set_value(keys.REDIS_NAMESPACE, self.namespace)
        stats.set_value(keys.REDIS_URL, redact_redis_url(redis_url(self.crawler.settings)))
        stats.set_value(keys.REDIS_FRESH, bool(fresh))
        if fresh:
            logger.info("Distributed crawl %s: first worker (%s), starting fresh", self.namespace, self.worker_id)
        else:
            logger.info("Distributed crawl %s: joined as worker %d (%s), %d requests queued",
                        self.namespace, workers, self.worker_id, len(self.queue))
        from twisted.internet import task

        self._heartbeat = task.LoopingCall(self._beat)
        self._heartbeat.start(self.heartbeat_interval, now=False)

    def _beat(self) -> None:
        try:
            self.server.eval(_BEAT, 4, *self.keys(), self.worker_id, self.keys_ttl)
        except Exception as exc:  # noqa: BLE001 - a missed heartbeat must not stop the crawl
            logger.warning("Distributed crawl %s: heartbeat failed: %s", self.namespace, exc)

    def close(self, reason):
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        last = self.server.eval(_LEAVE, 4, *self.keys(), self.worker_id, self.worker_timeout)
        if last:
            logger.info("Distributed crawl %s: last worker out, Redis keys deleted", self.namespace)
        self.crawler.stats.set_value(keys.REDIS_LAST_WORKER, bool(last))

    def spider_idle(self, spider) -> None:
        """Nothing queued, nothing in flight: wait while other workers may still queue work."""
        done = self.server.eval(_IDLE, 4, *self.keys(), self.worker_id, self.worker_timeout)
        self._idle = True
        if not done:
            raise DontCloseSpider

    # -- requests ---------------------------------------------------------------------
    def enqueue_request(self, request):
        # List pages and ad hoc URLs are dont_filter in the spider; shared work here. Retries
        # and redirects stay unfiltered.
        shared = (request.dont_filter and "retry_times" not in request.meta
                  and "redirect_times" not in request.meta and request.callback is not None)
        if (not request.dont_filter or shared) and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.crawler.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self):
        request = self.queue.pop(self.idle_before_close)
        if request is not None:
            self.crawler.stats.inc_value("scheduler/dequeued/redis")
            if self._idle:
                self._idle = False
                self.server.hdel(f"{self.namespace}:idle", self.worker_id)
        return request
