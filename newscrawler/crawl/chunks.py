"""An id range shared by several workers through Redis: its chunks handed out one at a time.

With ``REDIS_URL`` set, a backfill of an id range (``newscrawler backfill --ids A-B``,
``scrapy crawl nbd -a ids=A-B``) on any number of workers walks the range once between them:
the range is cut into fixed chunks of ``BACKFILL_CHUNK`` ids (store/backfills.py), the chunks
not done wait in a Redis list, and each worker takes one at a time, walks it from the chunk's
own checkpoint in the archive, marks it done there, and takes the next.

What is done is kept in the archive, never only in Redis: a chunk's checkpoint is the
``backfills`` document of its sub-range, saved as the walk goes. Redis only says who walks
what right now. So the first worker of a run builds the list from the archive (the chunks not
done yet), the last worker out deletes the keys, and a rerun after every worker stopped (or
died, or Redis was emptied) continues with the unfinished chunks, each from its checkpoint.

Why not the distributed crawl's shared request queue (crawl/distributed.py): a backfill keeps
its requests in the worker's own Scrapy scheduler. The walk's checkpoint is the lowest id not
settled, which the walking process knows only if it sees every answer to the requests it made;
with one shared queue another worker would answer them (and the shared duplicate filter would
drop the ids that several workers each asked for), leaving each process's in-flight set and
checkpoint wrong. With chunks the ids of a chunk are asked, answered and checkpointed by the
one process holding it, and no two workers hold the same chunk.

Keys (``<ns>`` = ``{REDIS_KEY_PREFIX}:nbd:backfill:{site}:{first}-{last}``; one Redis server)::

    <ns>:marker            string: the chunk size, set by the run's first worker
    <ns>:pending           list: first ids of the chunks nobody holds, in order
    <ns>:taken:<worker>    list: the chunks that worker holds (one, two at a chunk's end)
    <ns>:workers           sorted set: live workers (crawl id -> last heartbeat, Redis time)
    <ns>:procs             hash: workers that joined and did not leave (-> "machine pid")

Taking a chunk moves it atomically (LMOVE in a script) from ``pending`` to the worker's
``taken`` list; it leaves that list when its checkpoint in the archive says done. A worker
heartbeats every ``REDIS_HEARTBEAT_INTERVAL`` s (its lease); one silent for
``REDIS_WORKER_TIMEOUT`` s, or on this machine with its process gone, is dead, and the next
worker asking for a chunk puts the dead one's chunks back at the head of ``pending``: they are
walked on from their checkpoints (ids archived meanwhile are skipped without a request). A
worker with no chunk to take waits while other live workers hold chunks (one may die), and ends
when none does. A worker that stops puts its chunks back. Every key has a TTL
(``REDIS_KEYS_TTL``, refreshed by heartbeats).

The rate (``--rate``, ``DOWNLOAD_DELAY``) is each worker's: N workers ask the site N times as often.
"""

from __future__ import annotations

import hashlib
import logging
import os

import redis

logger = logging.getLogger(__name__)

_COMMON = """
local ns = ARGV[1]
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
-- Workers silent past the timeout, or named dead in ARGV[dead_from..], stop counting; the
-- chunks they held go back to the head of the list, in order. Returns {chunks back, workers gone}.
local function reap(timeout, dead_from)
  local workers = ns .. ':workers'
  for i = dead_from, #ARGV do redis.call('ZREM', workers, ARGV[i]) end
  redis.call('ZREMRANGEBYSCORE', workers, '-inf', clock() - timeout)
  local moved, gone = 0, {}
  for _, worker in ipairs(redis.call('HKEYS', ns .. ':procs')) do
    if not redis.call('ZSCORE', workers, worker) then
      local taken = ns .. ':taken:' .. worker
      local chunks = redis.call('LRANGE', taken, 0, -1)
      for i = #chunks, 1, -1 do redis.call('LPUSH', ns .. ':pending', chunks[i]) end
      moved = moved + #chunks
      redis.call('DEL', taken)
      redis.call('HDEL', ns .. ':procs', worker)
      table.insert(gone, worker)
    end
  end
  return moved, gone
end
local function touch(ttl)
  for _, suffix in ipairs({'marker', 'pending', 'workers', 'procs'}) do
    redis.call('EXPIRE', ns .. ':' .. suffix, ttl)
  end
  for _, worker in ipairs(redis.call('HKEYS', ns .. ':procs')) do
    redis.call('EXPIRE', ns .. ':taken:' .. worker, ttl)
  end
end
"""

# ARGV: ns, worker, timeout, ttl, "machine pid", chunk size, chunks (comma-separated), dead...
# Returns {fresh, chunk size, chunks pending, live workers, chunks taken back, workers gone}.
_JOIN = _COMMON + """
local size = redis.call('GET', ns .. ':marker')
local fresh = 0
if not size then
  for _, worker in ipairs(redis.call('HKEYS', ns .. ':procs')) do
    redis.call('DEL', ns .. ':taken:' .. worker)
  end
  redis.call('DEL', ns .. ':pending', ns .. ':workers', ns .. ':procs')
  size = ARGV[6]
  redis.call('SET', ns .. ':marker', size)
  for chunk in string.gmatch(ARGV[7], '[^,]+') do redis.call('RPUSH', ns .. ':pending', chunk) end
  fresh = 1
end
local moved, gone = reap(tonumber(ARGV[3]), 8)
redis.call('ZADD', ns .. ':workers', clock(), ARGV[2])
redis.call('HSET', ns .. ':procs', ARGV[2], ARGV[5])
touch(tonumber(ARGV[4]))
return {fresh, size, redis.call('LLEN', ns .. ':pending'), redis.call('ZCARD', ns .. ':workers'), moved, gone}
"""

# Take the next chunk. ARGV: ns, worker, timeout, ttl, dead... Returns {state, chunk or '',
# chunks other live workers hold, chunks taken back, workers gone}; state 0: the run's keys are
# gone (Redis emptied, or the last worker left meanwhile): join again.
_TAKE = _COMMON + """
if not redis.call('GET', ns .. ':marker') then return {0, '', 0, 0, {}} end
local moved, gone = reap(tonumber(ARGV[3]), 5)
if redis.call('HEXISTS', ns .. ':procs', ARGV[2]) == 0 then return {0, '', 0, moved, gone} end
redis.call('ZADD', ns .. ':workers', clock(), ARGV[2])
local chunk = redis.call('LMOVE', ns .. ':pending', ns .. ':taken:' .. ARGV[2], 'LEFT', 'RIGHT')
local others = 0
for _, worker in ipairs(redis.call('ZRANGE', ns .. ':workers', 0, -1)) do
  if worker ~= ARGV[2] then others = others + redis.call('LLEN', ns .. ':taken:' .. worker) end
end
touch(tonumber(ARGV[4]))
return {1, chunk or '', others, moved, gone}
"""

# A chunk walked to its end (its checkpoint in the archive says done). ARGV: ns, worker, chunk.
_DONE = _COMMON + """
return redis.call('LREM', ns .. ':taken:' .. ARGV[2], 0, ARGV[3])
"""

# ARGV: ns, worker, ttl. Returns 1, or 0 when this worker no longer counts (taken for dead,
# its chunks handed on, or the keys gone): it must stop walking what it holds.
_BEAT = _COMMON + """
if redis.call('HEXISTS', ns .. ':procs', ARGV[2]) == 0 then return 0 end
redis.call('ZADD', ns .. ':workers', clock(), ARGV[2])
touch(tonumber(ARGV[3]))
return 1
"""

# A worker stops: its chunks go back to the head of the list; the last one out deletes the
# keys (the archive keeps what was done). ARGV: ns, worker, timeout, ttl, dead...
# Returns {last, chunks put back}.
_LEAVE = _COMMON + """
local taken = ns .. ':taken:' .. ARGV[2]
local chunks = redis.call('LRANGE', taken, 0, -1)
if redis.call('GET', ns .. ':marker') then
  for i = #chunks, 1, -1 do redis.call('LPUSH', ns .. ':pending', chunks[i]) end
end
redis.call('DEL', taken)
redis.call('ZREM', ns .. ':workers', ARGV[2])
redis.call('HDEL', ns .. ':procs', ARGV[2])
reap(tonumber(ARGV[3]), 5)
if redis.call('ZCARD', ns .. ':workers') > 0 then
  touch(tonumber(ARGV[4]))
  return {0, #chunks}
end
for _, worker in ipairs(redis.call('HKEYS', ns .. ':procs')) do redis.call('DEL', ns .. ':taken:' .. worker) end
redis.call('DEL', ns .. ':marker', ns .. ':pending', ns .. ':workers', ns .. ':procs')
return {1, #chunks}
"""

UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)


def namespace(prefix: str, spider: str, base_url: str, first: int, last: int) -> str:
    """The keys of one shared range of one site (the site as a short hash: URLs hold ':')."""
    site = hashlib.sha1(base_url.encode()).hexdigest()[:8]  # noqa: S324 - a name, not a secret
    return f"{prefix}:{spider}:backfill:{site}:{first}-{last}"


class RangeChunks:
    """This worker's side of a shared range's chunks in Redis (see the module's doc)."""

    def __init__(self, url: str, namespace: str, worker: str, settings):
        from newscrawler.crawl.distributed import process_space, redis_params

        self.namespace = namespace
        self.worker = worker
        self.timeout = settings.getfloat("REDIS_WORKER_TIMEOUT")
        self.ttl = settings.getint("REDIS_KEYS_TTL")
        self.process = f"{process_space()} {os.getpid()}"
        self.server = redis.Redis.from_url(url, **redis_params(settings))
        self.scripts = {name: self.server.register_script(lua) for name, lua in
                        (("join", _JOIN), ("take", _TAKE), ("done", _DONE), ("beat", _BEAT), ("leave", _LEAVE))}
        self.joined = False

    def _run(self, script: str, *args):
        return self.scripts[script](args=[self.namespace, self.worker, *args])

    def join(self, size: int, chunks: list[int]) -> dict:
        """Join the range's workers; the first one lays out ``chunks`` (the unfinished ones, from
        the archive) in chunks of ``size``. Returns what the run is: its chunk size (the first
        worker's), whether this worker started it, chunks pending, workers, take-overs."""
        fresh, run_size, pending, workers, moved, gone = self._run(
            "join", self.timeout, self.ttl, self.process, size, ",".join(map(str, chunks)), *self._dead_here())
        self.joined = True
        return {"fresh": bool(fresh), "size": int(run_size), "pending": pending, "workers": workers,
                "moved": moved, "gone": _names(gone)}

    def take(self) -> dict:
        """The next chunk: ``{"chunk": first id or None, "others": chunks other live workers
        hold, "lost": the run's keys are gone (join again), "moved", "gone"}``."""
        state, chunk, others, moved, gone = self._run("take", self.timeout, self.ttl, *self._dead_here())
        return {"lost": not state, "chunk": int(chunk) if chunk else None, "others": others,
                "moved": moved, "gone": _names(gone)}

    def done(self, chunk: int) -> None:
        self._run("done", chunk)

    def beat(self) -> bool:
        """Renew this worker's lease; False when it no longer holds its chunks."""
        return bool(self._run("beat", self.ttl))

    def leave(self) -> tuple[bool, int]:
        """(last worker out, chunks put back)."""
        if not self.joined:
            return False, 0
        last, back = self._run("leave", self.timeout, self.ttl, *self._dead_here())
        self.joined = False
        return bool(last), back

    def close(self) -> None:
        self.server.close()

    def _dead_here(self) -> list[str]:
        """Workers of this range on this machine whose process is gone: taken for dead at once,
        without waiting out their heartbeat."""
        from newscrawler.crawl.distributed import process_alive

        procs = self.server.hgetall(f"{self.namespace}:procs") or {}
        space = self.process.rpartition(" ")[0]
        dead = []
        for worker, entry in procs.items():
            their_space, _, pid = entry.decode().rpartition(" ")
            if their_space == space and worker.decode() != self.worker and pid.isdigit() \
                    and not process_alive(int(pid)):
                dead.append(worker.decode())
        return dead


def _names(gone) -> list[str]:
    return [g.decode() if isinstance(g, bytes) else str(g) for g in gone or []]
