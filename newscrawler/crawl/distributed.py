"""Crawling with several workers on several machines: one Redis, one MongoDB.

With ``REDIS_URL`` set (setting or environment), the :class:`DistributedCrawl` add-on switches
the crawl to scrapy-redis: the request queue and the duplicate filter live in Redis, shared by
every worker of the same crawl, so each list page and each article is fetched by one worker
only. Without ``REDIS_URL`` the add-on does nothing and the crawl is the usual one-process
crawl. A backfill of an id range does not use the shared queue: its workers share the range in
chunks (crawl/chunks.py says why), each keeping its requests in its own scheduler.

Which workers share a crawl: those with the same Redis key namespace,
``{REDIS_KEY_PREFIX}:{spider}:{crawl name}``. The crawl name is ``DISTRIBUTED_CRAWL_NAME``
when set, else the job name (``NEWSCRAWLER_JOB``, set by ``newscrawler crawl --job``), else
``adhoc-<hash of the spider's arguments>`` (workers started with the same arguments join).

Keys of one namespace (one Redis server, not a Redis Cluster: the scripts build key names)::

    <ns>:marker             string: the crawl's generation, set by its first worker
    <ns>:requests           sorted set: the shared request queue (scrapy-redis' encoding, score
                            = -priority: articles before list pages)
    <ns>:dupefilter         set: fingerprints of requests already scheduled in this crawl
    <ns>:workers            sorted set: live workers (crawl id -> last heartbeat, Redis time)
    <ns>:idle               hash: workers that have nothing to do right now
    <ns>:procs              hash: every worker that has joined and not left (-> "machine pid")
    <ns>:inflight:<worker>  sorted set: the requests that worker has taken and not finished

A reliable queue: taking a request moves it atomically from ``<ns>:requests`` to the worker's
``inflight`` set, and it leaves that set only when it is done: an article request when its item
is stored (written to MongoDB, or spooled) or rejected, any other request (list pages) when its
callback has finished and the requests it made are queued. Retries and redirects are queued
before their original request counts as done. Queueing a request and marking its fingerprint
seen are one step, so a fingerprint in the filter always means "queued, taken or done".

Lifecycle (what keeps Redis bounded):

- a worker joining a namespace with no marker (first run, a finished crawl, or Redis lost the
  state) deletes what is there and starts fresh; with a marker it continues that crawl: the
  queue as it is, the filter as it is;
- every worker heartbeats every ``REDIS_HEARTBEAT_INTERVAL`` s. A worker silent for
  ``REDIS_WORKER_TIMEOUT`` s, or on this machine whose process is gone, is dead: the next
  worker that joins or runs out of work puts its in-flight requests back into the queue (so a
  rerun after every worker died continues their work at once when it runs on their machine,
  after the timeout otherwise);
- a worker with nothing to do waits while other live workers are busy (they may queue more
  work), and stops when the queue is empty and every live worker is idle;
- a worker that leaves puts its own unfinished requests back into the queue; the last one out
  deletes the namespace when nothing is left, and otherwise keeps it (with an alert) for the
  next run to continue. All keys carry a TTL (``REDIS_KEYS_TTL``, refreshed by heartbeats).

Failures of Redis itself:

- Redis restarted empty or flushed (the marker vanished): every worker notices at its next
  heartbeat or queue access, says so once, finishes what it holds and ends with finish reason
  ``redis_reset`` and an alert (exit 1); what the queue held is for the next run (the archive
  decides what is new).
- Redis unreachable: each command waits at most ``REDIS_SOCKET_TIMEOUT`` s with
  ``REDIS_RETRIES`` quick retries; the worker logs the outage once, keeps what it would have
  sent (queued requests, acknowledgements) and sends it when Redis answers again; after
  ``REDIS_UNAVAILABLE_TIMEOUT`` s without Redis it stops with finish reason
  ``redis_unavailable`` (exit 1), its unfinished requests left in Redis for the next run.

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
import os
import socket
import time
import uuid
from pathlib import Path

import redis
from itemadapter import ItemAdapter
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from newscrawler.crawl.addons import redact_redis_url, redis_url
from newscrawler.crawl import stats as keys
from newscrawler.crawl.pipelines.mongodb import articles_stored

logger = logging.getLogger(__name__)

# -- Redis scripts (ARGV[1] is always the namespace) ------------------------------------
_COMMON = """
local ns = ARGV[1]
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
-- Workers silent past the timeout, or named dead in ARGV[dead_from..], stop counting; what
-- they had taken goes back to the queue. Returns {requests requeued, workers gone}.
local function reap(timeout, dead_from)
  local workers = ns .. ':workers'
  for i = dead_from, #ARGV do redis.call('ZREM', workers, ARGV[i]) end
  redis.call('ZREMRANGEBYSCORE', workers, '-inf', clock() - timeout)
  local moved, gone = 0, {}
  for _, worker in ipairs(redis.call('HKEYS', ns .. ':procs')) do
    if not redis.call('ZSCORE', workers, worker) then
      local inflight = ns .. ':inflight:' .. worker
      moved = moved + redis.call('ZCARD', inflight)
      redis.call('ZUNIONSTORE', ns .. ':requests', 2, ns .. ':requests', inflight, 'AGGREGATE', 'MIN')
      redis.call('DEL', inflight)
      redis.call('HDEL', ns .. ':procs', worker)
      redis.call('HDEL', ns .. ':idle', worker)
      table.insert(gone, worker)
    end
  end
  return moved, gone
end
local function touch(ttl)
  for _, suffix in ipairs({'marker', 'requests', 'dupefilter', 'workers', 'idle', 'procs'}) do
    redis.call('EXPIRE', ns .. ':' .. suffix, ttl)
  end
  for _, worker in ipairs(redis.call('HKEYS', ns .. ':procs')) do
    redis.call('EXPIRE', ns .. ':inflight:' .. worker, ttl)
  end
end
local function intact(generation)
  if redis.call('GET', ns .. ':marker') == generation then return 1 end
  return 0
end
"""

# ARGV: ns, worker, worker timeout, keys TTL, new generation, "machine pid", dead workers...
_JOIN = _COMMON + """
local marker = redis.call('GET', ns .. ':marker')
local fresh = 0
if not marker then
  for _, worker in ipairs(redis.call('HKEYS', ns .. ':procs')) do
    redis.call('DEL', ns .. ':inflight:' .. worker)
  end
  redis.call('DEL', ns .. ':requests', ns .. ':dupefilter', ns .. ':idle', ns .. ':procs')
  marker = ARGV[5]
  redis.call('SET', ns .. ':marker', marker)
  fresh = 1
end
local moved, gone = reap(tonumber(ARGV[3]), 7)
redis.call('ZADD', ns .. ':workers', clock(), ARGV[2])
redis.call('HSET', ns .. ':procs', ARGV[2], ARGV[6])
redis.call('HDEL', ns .. ':idle', ARGV[2])
touch(tonumber(ARGV[4]))
return {fresh, marker, redis.call('ZCARD', ns .. ':workers'), redis.call('ZCARD', ns .. ':requests'), moved, gone}
"""

# ARGV: ns, worker, keys TTL, generation. Returns 1, or 0 when the crawl's state is gone.
_BEAT = _COMMON + """
redis.call('ZADD', ns .. ':workers', clock(), ARGV[2])
touch(tonumber(ARGV[3]))
return intact(ARGV[4])
"""

# Take the first request into this worker's in-flight set. ARGV: ns, worker, generation.
_TAKE = _COMMON + """
local found = redis.call('ZRANGE', ns .. ':requests', 0, 0, 'WITHSCORES')
if #found == 0 then return {intact(ARGV[3])} end
redis.call('ZREM', ns .. ':requests', found[1])
redis.call('ZADD', ns .. ':inflight:' .. ARGV[2], found[2], found[1])
return {intact(ARGV[3]), found[1]}
"""

# Queue a request unless its fingerprint was seen. ARGV: ns, fingerprint ('' = unfiltered), score, data.
_PUT = _COMMON + """
if ARGV[2] ~= '' and redis.call('SADD', ns .. ':dupefilter', ARGV[2]) == 0 then return 0 end
redis.call('ZADD', ns .. ':requests', ARGV[3], ARGV[4])
return 1
"""

# Requests done. ARGV: ns, worker, data...
_DONE = _COMMON + """
return redis.call('ZREM', ns .. ':inflight:' .. ARGV[2], unpack(ARGV, 3))
"""

# This worker has nothing to do: is the whole crawl done (queue empty, every live worker idle)?
# ARGV: ns, worker, worker timeout, generation, dead workers... Returns {done, intact, moved, gone}.
_IDLE = _COMMON + """
local moved, gone = reap(tonumber(ARGV[3]), 5)
redis.call('ZADD', ns .. ':workers', clock(), ARGV[2])
redis.call('HSET', ns .. ':idle', ARGV[2], 1)
local done = 1
if redis.call('ZCARD', ns .. ':requests') > 0 then
  done = 0
else
  for _, worker in ipairs(redis.call('ZRANGE', ns .. ':workers', 0, -1)) do
    if redis.call('HEXISTS', ns .. ':idle', worker) == 0 then done = 0 end
  end
end
return {done, intact(ARGV[4]), moved, gone}
"""

# A worker leaves: its unfinished requests go back to the queue; the last one out deletes the
# namespace when nothing is left. ARGV: ns, worker, worker timeout, keys TTL, dead workers...
# Returns {last, own requests requeued, requests left for a next run}.
_LEAVE = _COMMON + """
local inflight = ns .. ':inflight:' .. ARGV[2]
local requeued = redis.call('ZCARD', inflight)
redis.call('ZUNIONSTORE', ns .. ':requests', 2, ns .. ':requests', inflight, 'AGGREGATE', 'MIN')
redis.call('DEL', inflight)
redis.call('ZREM', ns .. ':workers', ARGV[2])
redis.call('HDEL', ns .. ':idle', ARGV[2])
redis.call('HDEL', ns .. ':procs', ARGV[2])
reap(tonumber(ARGV[3]), 5)
touch(tonumber(ARGV[4]))
if redis.call('ZCARD', ns .. ':workers') > 0 then return {0, requeued, 0} end
local left = redis.call('ZCARD', ns .. ':requests')
if left == 0 then
  redis.call('DEL', ns .. ':marker', ns .. ':requests', ns .. ':dupefilter', ns .. ':workers',
             ns .. ':idle', ns .. ':procs')
end
return {1, requeued, left}
"""

_UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)


def redis_params(settings) -> dict:
    """redis-py client options: bounded waits and a small retry budget, so that a Redis that is
    gone makes each command fail in seconds rather than block the crawl (redis-py's default
    retries for up to ~30 s and its socket waits have no limit)."""
    timeout = settings.getfloat("REDIS_SOCKET_TIMEOUT")
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout,
            "retry": Retry(ExponentialBackoff(cap=1.0, base=0.1), settings.getint("REDIS_RETRIES")),
            "retry_on_error": [redis.ConnectionError, redis.TimeoutError]}


def process_space() -> str:
    """Where a pid means one process: this machine (host, boot) and this pid namespace. Workers
    in the same space can tell at once that another one's process is gone."""
    parts = [socket.gethostname()]
    for path, read in (("/proc/sys/kernel/random/boot_id", lambda p: Path(p).read_text().strip()),
                       ("/proc/self/ns/pid", os.readlink)):
        try:
            parts.append(read(path))
        except OSError:
            parts.append("?")
    return "|".join(parts)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ArticleDupeFilter(RFPDupeFilter):
    """scrapy-redis' duplicate filter, with article requests fingerprinted by article id."""

    def request_fingerprint(self, request) -> str:
        article_id = request.meta.get("article_id")
        if article_id is not None and "redirect_times" not in request.meta:
            return f"article:{article_id}"
        return super().request_fingerprint(request)


class RedisScheduler(Scheduler):
    """scrapy-redis' scheduler made a reliable queue, with per-crawl keys, worker registration,
    take-over of dead workers' requests, clean-up, and bounded Redis outages.

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
        scheduler.unavailable_timeout = settings.getfloat("REDIS_UNAVAILABLE_TIMEOUT")
        scheduler.debug = settings.getbool("DUPEFILTER_DEBUG")
        scheduler._setup_state()
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(scheduler.articles_stored, signal=articles_stored)
        return scheduler

    def _setup_state(self) -> None:
        self._idle = False
        self._heartbeat = None
        self._reset = False
        self.scripts = {name: self.server.register_script(lua) for name, lua in
                        (("join", _JOIN), ("beat", _BEAT), ("take", _TAKE), ("put", _PUT),
                         ("done", _DONE), ("idle", _IDLE), ("leave", _LEAVE))}
        # Requests taken and not finished -> their queue entry (what acknowledges them).
        self._taken: dict = {}
        # Article ids whose item went through the pipelines but whose batch is not stored yet,
        # the request each came from, and finished requests waiting for their batch.
        self._unstored: set = set()
        self._stored_before_scraped: set = set()  # ids stored in the batch their own item filled
        self._item_of: dict = {}
        self._awaiting_store: dict = {}
        # Redis outage: when it began, the last probe, what to send once Redis answers.
        self._outage_since: float | None = None
        self._last_probe = 0.0
        self._backlog: list[tuple[str, tuple]] = []

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
        return [f"{self.namespace}:{suffix}" for suffix in ("workers", "idle", "requests", "dupefilter")]

    # -- lifecycle --------------------------------------------------------------------
    def open(self, spider):
        from newscrawler.crawl.context import CrawlContext

        self.namespace = f"{self.prefix}:{spider.name}:{self.crawl_name(spider)}"
        self.worker_id = CrawlContext.of(self.crawler).crawl_id
        self.process_space = process_space()
        # '%' would be taken for a format by scrapy-redis: the names here never hold one.
        self.queue_key = f"{self.namespace}:requests".replace("%", "%%")
        self.df = ArticleDupeFilter(self.server, key=f"{self.namespace}:dupefilter", debug=self.debug)
        fresh, generation, workers, queued, moved, gone = self.scripts["join"](args=[
            self.namespace, self.worker_id, self.worker_timeout, self.keys_ttl, uuid.uuid4().hex,
            f"{self.process_space} {os.getpid()}", *self._dead_here()])
        self.generation = generation
        super().open(spider)
        self._watch_finished_requests()
        stats = self.crawler.stats
        stats.set_value(keys.REDIS_NAMESPACE, self.namespace)
        stats.set_value(keys.REDIS_URL, redact_redis_url(redis_url(self.crawler.settings)))
        stats.set_value(keys.REDIS_FRESH, bool(fresh))
        if fresh:
            logger.info("Distributed crawl %s: first worker (%s), starting fresh", self.namespace, self.worker_id)
        else:
            logger.info("Distributed crawl %s: joined as worker %d (%s), %d requests queued",
                        self.namespace, workers, self.worker_id, queued)
        self._took_over(moved, gone)
        from twisted.internet import task

        self._heartbeat = task.LoopingCall(self._beat)
        self._heartbeat.start(self.heartbeat_interval, now=False)

    def _watch_finished_requests(self) -> None:
        """Be told when the engine is through with a request: downloaded, its callback or errback
        run, the items it gave through the pipelines, the requests it made queued. Scrapy has no
        signal for that moment; the engine's slot removes each request then, so wrap that."""
        slot = self.crawler.engine._slot
        remove = slot.remove_request

        def remove_request(request):
            self._request_finished(request)
            remove(request)

        slot.remove_request = remove_request

    def _beat(self) -> None:
        intact = self._call("beat", self.worker_id, self.keys_ttl, self.generation)
        if intact == 0:
            self._state_lost()

    def close(self, reason):
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        stats = self.crawler.stats
        if not self._reachable(force=True) or not self._flush_backlog():
            # Our unfinished requests stay in our in-flight set: the next worker takes them over.
            logger.error("Distributed crawl %s: Redis does not answer; this worker's unfinished requests stay "
                         "there for the next run", self.namespace)
            stats.set_value(keys.REDIS_LAST_WORKER, None)
            return
        try:
            last, requeued, left = self.scripts["leave"](args=[self.namespace, self.worker_id, self.worker_timeout,
                                                               self.keys_ttl, *self._dead_here()])
        except _UNREACHABLE as exc:
            logger.error("Distributed crawl %s: Redis failed as this worker left (%s); its unfinished requests "
                         "stay there for the next run", self.namespace, exc)
            return
        if requeued:
            logger.warning("Distributed crawl %s: %d requests this worker had not finished went back to the "
                           "queue", self.namespace, requeued)
        if last and left:
            self._alert(f"redis: {left} requests of this crawl are left in Redis ({self.namespace}); the next "
                        f"run of this crawl continues them")
        elif last:
            logger.info("Distributed crawl %s: last worker out, Redis keys deleted", self.namespace)
        stats.set_value(keys.REDIS_LEFT_UNFINISHED, left)
        stats.set_value(keys.REDIS_LAST_WORKER, bool(last))

    def spider_idle(self, spider) -> None:
        """Nothing queued, nothing in flight: wait while other workers may still queue work."""
        if self._outage_since is not None and not self._reachable():
            self._give_up_when_too_long()
            raise DontCloseSpider
        result = self._call("idle", self.worker_id, self.worker_timeout, self.generation, *self._dead_here())
        if result is None:
            raise DontCloseSpider
        done, intact, moved, gone = result
        self._took_over(moved, gone)
        if not intact:
            self._state_lost()
        self._idle = True
        if not done:
            raise DontCloseSpider
        if self._reset:
            raise CloseSpider("redis_reset")

    # -- requests ---------------------------------------------------------------------
    def enqueue_request(self, request):
        # List pages and ad hoc URLs are dont_filter in the spider; shared work here. Retries
        # and redirects stay unfiltered.
        shared = (request.dont_filter and "retry_times" not in request.meta
                  and "redirect_times" not in request.meta and request.callback is not None)
        fingerprint = self.df.request_fingerprint(request) if (not request.dont_filter or shared) else ""
        data = self.queue._encode_request(request)
        queued = self._send("put", fingerprint, -request.priority, data)
        if queued == 0:
            self.df.log(request, self.spider)
            return False
        self.crawler.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        if self._backlog and not self._flush_backlog():
            return None  # requests made during an outage go to Redis before any is taken
        result = self._call("take", self.worker_id, self.generation)
        if not result:
            return None
        intact, *found = result
        if not intact:
            self._state_lost()
        if not found:
            return None
        try:
            request = self.queue._decode_request(found[0])
        except Exception as exc:  # noqa: BLE001 - one bad entry must not stop the crawl
            logger.warning("Distributed crawl %s: dropping a queue entry that is not a request (%s)",
                           self.namespace, exc)
            self._send("done", self.worker_id, found[0])
            return None
        self._taken[request] = found[0]
        self.crawler.stats.inc_value("scheduler/dequeued/redis")
        if self._idle:
            self._idle = False
            self._guarded(self.server.hdel, f"{self.namespace}:idle", self.worker_id)
        return request

    def has_pending_requests(self) -> bool:
        if self._outage_since is not None:
            return False  # let the engine go idle, where the outage is timed
        return bool(self._guarded(self.server.zcard, self.queue_key.replace("%%", "%")))

    # -- when a taken request is done -------------------------------------------------
    def item_scraped(self, item, response, spider=None) -> None:
        """An item passed the pipelines: its request is done once the item's batch is stored."""
        request = getattr(response, "request", None)
        article_id = ItemAdapter(item).get("article_id")
        if article_id is None or request not in self._taken:
            return
        if article_id in self._stored_before_scraped:
            # The item filled its batch: the batch was stored (articles_stored) before Scrapy
            # reported the item scraped. Its request is done when the engine is through with it.
            self._stored_before_scraped.discard(article_id)
            return
        self._unstored.add(article_id)
        self._item_of[request] = article_id

    def articles_stored(self, article_ids) -> None:
        done = []
        for article_id in article_ids:
            if article_id not in self._unstored:
                self._stored_before_scraped.add(article_id)
            self._unstored.discard(article_id)
            entry = self._awaiting_store.pop(article_id, None)
            if entry is not None:
                done.append(entry)
        if done:
            self._send("done", self.worker_id, *done)

    def _request_finished(self, request) -> None:
        entry = self._taken.pop(request, None)
        if entry is None:
            return  # not one of ours (e.g. a thumbnail download)
        article_id = self._item_of.pop(request, None)
        if article_id is not None and article_id in self._unstored:
            self._awaiting_store[article_id] = entry
        else:  # no item (a list page, a rejected page), or its batch is already stored
            self._send("done", self.worker_id, entry)

    # -- other workers and Redis's own failures ---------------------------------------
    def _dead_here(self) -> list[str]:
        """Workers of this crawl on this machine whose process is gone (dead without waiting for
        their heartbeat to time out)."""
        procs = self._guarded(self.server.hgetall, f"{self.namespace}:procs") or {}
        dead = []
        for worker, entry in procs.items():
            space, _, pid = entry.decode().rpartition(" ")
            if space == self.process_space and worker.decode() != self.worker_id and pid.isdigit() \
                    and not process_alive(int(pid)):
                dead.append(worker.decode())
        return dead

    def _took_over(self, moved: int, gone: list) -> None:
        if not gone:
            return
        names = ", ".join(g.decode() if isinstance(g, bytes) else str(g) for g in gone)
        self.crawler.stats.inc_value(keys.REDIS_REQUEUED, moved)
        self._alert(f"redis: worker(s) {names} stopped without finishing; their {moved} unfinished requests "
                    f"went back to the queue")

    def _state_lost(self) -> None:
        if self._reset:
            return
        self._reset = True
        self.crawler.stats.set_value(keys.REDIS_RESET, True)
        self._alert(f"redis: this crawl's state in Redis is gone ({self.namespace}:marker vanished: Redis "
                    f"restarted or was flushed); what was queued there is not fetched in this run, the "
                    f"next run starts the crawl afresh")

    def _alert(self, message: str) -> None:
        logger.error("ALERT %s", message)
        stats = self.crawler.stats
        keys.add_alerts(stats, message)

    def _call(self, script: str, *args):
        """Run a script; None while Redis is unreachable."""
        if self._outage_since is not None and not self._reachable():
            return None
        return self._guarded(self.scripts[script], args=[self.namespace, *args])

    def _send(self, script: str, *args):
        """Run a script that must not be lost: kept, in order, while Redis is unreachable (then
        None is returned)."""
        if self._backlog or self._outage_since is not None:
            self._backlog.append((script, args))
            if self._outage_since is None:
                self._flush_backlog()
            else:
                self._reachable()  # sends the backlog when Redis answers again
            return None
        return self._guarded(self.scripts[script], args=[self.namespace, *args], keep=(script, args))

    def _flush_backlog(self) -> bool:
        while self._backlog:
            script, args = self._backlog[0]
            try:
                self.scripts[script](args=[self.namespace, *args])
            except _UNREACHABLE as exc:
                self._lost_contact(exc)
                return False
            self._backlog.pop(0)
        return True

    def _guarded(self, command, *args, keep=None, **kwargs):
        try:
            return command(*args, **kwargs)
        except _UNREACHABLE as exc:
            if keep is not None:
                self._backlog.append(keep)
            self._lost_contact(exc)
            return None

    def _lost_contact(self, exc) -> None:
        if self._outage_since is not None:
            return
        self._outage_since = time.monotonic()
        self._last_probe = self._outage_since
        self.crawler.stats.inc_value(keys.REDIS_OUTAGES)
        logger.error("Redis at %s does not answer (%s); this worker waits up to %d s for it "
                     "(REDIS_UNAVAILABLE_TIMEOUT)", redact_redis_url(redis_url(self.crawler.settings)),
                     exc, self.unavailable_timeout)

    def _reachable(self, force: bool = False) -> bool:
        """Outside an outage True; during one, a ping at most once a second."""
        if self._outage_since is None:
            return True
        now = time.monotonic()
        if not force and now - self._last_probe < 1.0:
            return False
        self._last_probe = now
        try:
            self.server.ping()
        except _UNREACHABLE:
            return False
        logger.warning("Redis answers again after %.0f s", now - self._outage_since)
        self._outage_since = None
        return self._flush_backlog()

    def _give_up_when_too_long(self) -> None:
        waited = time.monotonic() - self._outage_since
        if waited < self.unavailable_timeout:
            return
        logger.error("Redis at %s has not answered for %.0f s: this worker stops (finish reason "
                     "redis_unavailable); its unfinished requests stay in Redis for the next run",
                     redact_redis_url(redis_url(self.crawler.settings)), waited)
        raise CloseSpider("redis_unavailable")
