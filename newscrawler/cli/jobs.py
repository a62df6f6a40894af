"""Crawl jobs: named, recurring crawls from a jobs file, and the lock that keeps each single.

A jobs file (TOML; ``jobs.toml`` in the repository is the example) names crawls and when they
run::

    timezone = "Asia/Shanghai"        # of the cron expressions (default: the machine's)

    [defaults]                        # merged into every job
    pages = 3

    [jobs.headlines]
    cron = "*/30 * * * *"             # minute hour day-of-month month day-of-week
    columns = [3, 329, 415]
    pages = 2

    [jobs.backfill]
    cron = "15 3 * * *"
    columns = [3, 332, 313]
    pages = 30
    since = "7d"                      # a date, or N days before today (Beijing time)
    settings = { DOWNLOAD_DELAY = 5 } # Scrapy settings for this job only

Keys of a job: ``cron`` (required for ``newscrawler schedule``; a job without one runs only
when started by name), ``columns``, ``pages``, ``since``, ``until``, ``urls``, ``full`` (the
spider's arguments), ``settings``, ``description``, ``enabled`` (default true), ``verb``.

``verb = "revisit"`` makes the job a revisit (``newscrawler revisit``: the archived articles
due for a check, for edits and deletions) instead of a crawl; its keys are ``all``, ``since``,
``until``, ``limit`` and ``settings`` (keys of ``[defaults]`` that only a crawl takes are
left out of it)::

    [jobs.revisit]
    verb = "revisit"
    cron = "*/15 * * * *"
    limit = 200                       # at most 200 checks a run, most overdue first

``newscrawler crawl --job NAME`` runs one job now; ``newscrawler schedule`` runs them all on
their schedules. Either way the run holds the job's lock (:class:`JobLock`, an ``fcntl.flock``
on ``<data dir>/locks/<job>.lock``), so a run that starts while the same job still runs on
this machine does nothing and says so. A revisit, a job's or by hand, holds the same kind of
lock, one per archive (:func:`revisit_lock`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscrawler import config, values
from newscrawler.files import FileLock

JOBS_FILE_ENV = "NEWSCRAWLER_JOBS"  # gives the setting NEWSCRAWLER_JOBS_FILE (config.py)
JOB_KEYS = {"cron", "columns", "pages", "since", "until", "urls", "full", "settings", "description",
            "enabled", "verb", "all", "limit"}
# What a job runs (the `newscrawler` verb), the default first; the keys only one of them takes.
VERBS = ("crawl", "revisit")
VERB_ONLY_KEYS = {"crawl": {"columns", "pages", "urls", "full"}, "revisit": {"all", "limit"}}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class JobsFileError(ValueError):
    """The jobs file is missing, not TOML, or names a job badly."""


class AlreadyRunning(RuntimeError):
    """The job's lock is held by another run (``holder``: what that run wrote in the lock)."""

    def __init__(self, job: str, holder: dict[str, Any], what: str | None = None):
        self.job, self.holder = job, holder
        who = f"pid {holder['pid']}" if holder.get("pid") else "another process"
        since = f" since {holder['started_at']}" if holder.get("started_at") else ""
        super().__init__(f"{what or f'job {job!r}'} is already running ({who}{since}); this start does nothing")


def check_job_name(name: str) -> str:
    """A job name usable in file names and Redis keys: letters, digits, ``_ . -``."""
    if not _NAME.match(name or ""):
        raise JobsFileError(f"bad job name {name!r}: use letters, digits, '_', '.', '-' (at most 64)")
    return name

@dataclass
class Job:
    name: str
    cron: str | None = None
    columns: list[int] | None = None
    pages: int | None = None
    since: str | None = None
    until: str | None = None
    urls: list[str] = field(default_factory=list)
    full: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    enabled: bool = True
    verb: str = "crawl"
    check_all: bool = False  # revisit: every archived article, due or not
    limit: int | None = None  # revisit: at most this many checks

    def command_line(self, today: dt.date | None = None) -> list[str]:
        """The `newscrawler` arguments of a revisit job's run starting now (relative dates
        resolved; its settings as ``-s``, the job's name among them for its crawl record)."""
        argv = [self.verb, *(["--all"] if self.check_all else [])]
        for name in ("since", "until"):
            day = resolve_date(getattr(self, name), today)
            argv += [f"--{name}", day] if day else []
        argv += ["--limit", str(self.limit)] if self.limit else []
        for name, value in {**self.settings, "NEWSCRAWLER_JOB": self.name}.items():
            text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
            argv += ["-s", f"{name}={text}"]
        return argv

    def spider_args(self, today: dt.date | None = None) -> dict[str, str]:
        """The spider's ``-a`` arguments for a run starting now (relative dates resolved)."""
        args = {"columns": values.join_list(self.columns), "pages": str(self.pages) if self.pages else None,
                "since": resolve_date(self.since, today), "until": resolve_date(self.until, today),
                "urls": values.join_list(self.urls), "full": "1" if self.full else None}
        return {k: v for k, v in args.items() if v is not None}


@dataclass
class JobsFile:
    path: Path
    jobs: dict[str, Job]
    timezone: str | None = None

    def get(self, name: str) -> Job:
        try:
            return self.jobs[name]
        except KeyError:
            known = ", ".join(sorted(self.jobs)) or "none"
            raise JobsFileError(f"no job {name!r} in {self.path} (jobs: {known})") from None


def default_jobs_path() -> Path:
    return Path(config.setting(None, "NEWSCRAWLER_JOBS_FILE"))


def load_jobs(path: str | os.PathLike | None = None) -> JobsFile:
    """Read and check a jobs file; raises JobsFileError with the reason."""
    path = Path(path) if path else default_jobs_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise JobsFileError(f"no jobs file at {path} (give --jobs FILE or set {JOBS_FILE_ENV})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise JobsFileError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise JobsFileError(f"{path} is not valid TOML: {exc}") from None
    unknown = set(data) - {"timezone", "defaults", "jobs"}
    if unknown:
        raise JobsFileError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    defaults = data.get("defaults") or {}
    tables = data.get("jobs") or {}
    if not isinstance(defaults, dict) or not isinstance(tables, dict):
        raise JobsFileError(f"{path}: [defaults] and [jobs.NAME] must be tables")
    jobs = {}
    for name, spec in tables.items():
        if not isinstance(spec, dict):
            raise JobsFileError(f"{path}: jobs.{name} must be a table ([jobs.{name}])")
        jobs[name] = _job(path, check_job_name(name), {**defaults, **spec}, spec)
    timezone = data.get("timezone")
    if timezone is not None:
        _check_timezone(path, timezone)
    return JobsFile(path=path, jobs=jobs, timezone=timezone)


def _check_timezone(path: Path, name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise JobsFileError(f"{path}: unknown timezone {name!r}") from None


def _job(path: Path, name: str, spec: dict[str, Any], own: dict[str, Any] | None = None) -> Job:
    """The job of ``spec`` (its table merged over [defaults]; ``own``: its table alone)."""
    where = f"{path}: job {name!r}"
    unknown = set(spec) - JOB_KEYS
    if unknown:
        raise JobsFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(sorted(JOB_KEYS))})")
    verb = str(spec.get("verb") or VERBS[0])
    if verb not in VERBS:
        raise JobsFileError(f"{where}: verb must be one of {', '.join(VERBS)}, not {verb!r}")
    others = set().union(*(keys for v, keys in VERB_ONLY_KEYS.items() if v != verb))
    wrong = others & set(own if own is not None else spec)
    if wrong:
        raise JobsFileError(f"{where}: a {verb} job takes no {', '.join(sorted(wrong))}")
    spec = {k: v for k, v in spec.items() if k not in others}  # [defaults] meant for the other verb
    try:
        limit = int(spec["limit"]) if spec.get("limit") not in (None, "") else None
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
    except (TypeError, ValueError) as exc:
        raise JobsFileError(f"{where}: {exc}") from None
    try:
        columns = spec.get("columns")
        if columns is not None:
            from newscrawler.crawl.checks import unknown_columns

            columns = values.parse_ids(columns)
            if unknown_columns(columns):
                raise ValueError(unknown_columns(columns))
        pages = int(spec["pages"]) if spec.get("pages") not in (None, "") else None
        if pages is not None and pages < 1:
            raise ValueError("pages must be at least 1")
        for key in ("since", "until"):
            resolve_date(spec.get(key))
        urls = spec.get("urls") or []
        urls = values.split_list(urls)
    except (TypeError, ValueError) as exc:
        raise JobsFileError(f"{where}: {exc}") from None
    settings = spec.get("settings") or {}
    if not isinstance(settings, dict):
        raise JobsFileError(f"{where}: settings must be a table of NAME = value")
    cron = spec.get("cron")
    if cron is not None:
        cron = str(cron).strip()
        check_cron(cron, where)
    return Job(name=name, cron=cron, columns=columns, pages=pages,
               since=None if spec.get("since") is None else str(spec["since"]),
               until=None if spec.get("until") is None else str(spec["until"]),
               urls=urls, full=bool(spec.get("full", False)), settings=dict(settings),
               description=spec.get("description"), enabled=bool(spec.get("enabled", True)),
               verb=verb, check_all=bool(spec.get("all", False)), limit=limit)


def check_cron(expression: str, where: str = "cron") -> None:
    """A standard five-field cron expression (APScheduler parses it exactly as it will run it)."""
    if len(expression.split()) != 5:
        raise JobsFileError(f"{where}: cron {expression!r} must have five fields: "
                            f"minute hour day-of-month month day-of-week")
    try:
        from apscheduler.triggers.cron import CronTrigger
    except ImportError:
        raise JobsFileError(f"{where}: cron schedules need APScheduler: pip install 'newscrawler[ops]'") from None
    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise JobsFileError(f"{where}: bad cron {expression!r}: {exc}") from None


# -- the per-job lock ---------------------------------------------------------------------------


def lock_path(data_dir: str | os.PathLike, job: str) -> Path:
    return Path(data_dir) / "locks" / f"{check_job_name(job)}.lock"


class JobLock:
    """An exclusive, non-blocking ``fcntl.flock`` on ``<data dir>/locks/<job>.lock``.

    The kernel drops the lock when the holder exits, however it ends (kill -9 included), so a
    crashed run never blocks the next one. The file keeps the holder's pid and start time for
    the "already running" message. Local to one machine (flock on NFS is not reliable): on
    several machines each keeps its own.
    """

    def __init__(self, data_dir: str | os.PathLike, job: str, what: str | None = None):
        self.job = job
        self.what = what  # how the "already running" sentence names it (default: job 'NAME')
        self.path = lock_path(data_dir, job)
        self._lock = FileLock(self.path)

    def acquire(self) -> "JobLock":
        if not self._lock.acquire():
            raise AlreadyRunning(self.job, _read_holder(self.path), self.what) from None
        info = {"job": self.job, "pid": os.getpid(),
                "started_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        os.ftruncate(self._lock.fd, 0)
        os.pwrite(self._lock.fd, (json.dumps(info) + "\n").encode(), 0)
        return self

    def release(self) -> None:
        if self._lock.fd is not None:
            try:
                os.ftruncate(self._lock.fd, 0)
            finally:
                self._lock.release()

    def __enter__(self) -> "JobLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def revisit_lock(settings) -> JobLock:
    """The lock every revisit holds (`newscrawler revisit`, a revisit job): one per archive, so
    two revisits of one archive never run at once on this machine (each would check the same
    due articles twice). The archive is its MongoDB and database (the embedded one lives in the
    data directory the lock is in); the lock file is ``locks/revisit-<hash of the two>.lock``."""
    uri = config.setting(settings, "MONGO_URI") or "embedded"
    database = config.setting(settings, "MONGO_DATABASE")
    key = hashlib.sha1(f"{uri}\n{database}".encode()).hexdigest()[:12]  # noqa: S324 - a name, not a secret
    return JobLock(config.data_dir(settings), f"revisit-{key}", what=f"a revisit of this archive (database {database})")


def _read_holder(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}


def resolve_date(value: Any, today: dt.date | None = None) -> str | None:
    """``YYYY-MM-DD`` or ``Nd`` as the ISO date the spider takes (see values.parse_day)."""
    day = values.parse_day(value, today)
    return day.isoformat() if day else None
