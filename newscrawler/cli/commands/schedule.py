"""`newscrawler schedule --jobs FILE`: run the jobs of a jobs file on their cron schedules.

A long-running process (run it under systemd, supervisord or in a container; see
deploy/systemd/). APScheduler fires each job at its ``cron`` times (five-field cron, in the
file's ``timezone``, else the machine's); each run is a separate process,
``newscrawler crawl --job NAME --jobs FILE``, so every run has its own reactor, its log lines,
its crawl record and the job's lock: a run still going when the job comes round again is not
started twice (APScheduler's max_instances=1, and the lock also covers runs started by hand or
from cron). Runs that were missed while the scheduler was down are not made up, except one
run of a job missed by less than ``--grace`` seconds.

``--list`` prints the jobs and their next run times; ``--now`` also runs every job once at
start. SIGTERM or Ctrl-C stop the scheduler; running crawls are asked to stop (SIGTERM: they
close cleanly and record their finish reason ``shutdown``) and waited for.

Edit the jobs file, then restart the scheduler: it reads the file once.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import subprocess
import sys
import threading
from pathlib import Path

from newscrawler.cli import CommandError, ExitStatus
from newscrawler.timeutil import BEIJING, beijing_text

logger = logging.getLogger("newscrawler.schedule")


class BeijingFormatter(logging.Formatter):
    """Log lines stamped in Beijing time with its offset, whatever the machine's time zone:
    the next-run times beside them are Beijing time too."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return dt.datetime.fromtimestamp(record.created, BEIJING).isoformat(sep=" ", timespec="milliseconds")


def register(subparsers) -> None:
    p = subparsers.add_parser("schedule", help="run the jobs of a jobs file on their cron schedules",
                              description="Run crawl jobs on their cron schedules (a long-running process).")
    p.add_argument("--jobs", metavar="FILE", help="jobs file (default: $NEWSCRAWLER_JOBS or ./jobs.toml)")
    p.add_argument("--only", metavar="NAME", action="append", default=[],
                   help="schedule only this job (repeatable)")
    p.add_argument("--list", action="store_true", help="print the jobs and their next run times, then exit")
    p.add_argument("--now", action="store_true", help="also run every job once right away")
    p.add_argument("--grace", type=int, default=300, metavar="SECONDS",
                   help="a run missed by less than this still runs (default 300)")
    p.add_argument("--stop-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="on shutdown, wait this long for running crawls before killing them (default 60)")
    p.set_defaults(func=run)


def _selected_jobs(args):
    from newscrawler.cli.jobs import JobsFileError, load_jobs

    try:
        jobs_file = load_jobs(args.jobs)
        for name in args.only:
            jobs_file.get(name)
    except JobsFileError as exc:
        raise CommandError(str(exc), ExitStatus.USAGE) from None
    jobs = [job for job in jobs_file.jobs.values()
            if (not args.only or job.name in args.only) and job.enabled and job.cron]
    return jobs_file, jobs


def _timezone(jobs_file):
    from zoneinfo import ZoneInfo

    if jobs_file.timezone:
        return ZoneInfo(jobs_file.timezone)
    from tzlocal import get_localzone

    return get_localzone()


def run(args) -> int:
    try:
        from apscheduler.schedulers.blocking import BlockingScheduler
        from apscheduler.triggers.cron import CronTrigger
    except ImportError:
        raise CommandError("the scheduler needs APScheduler: pip install 'newscrawler[ops]'") from None

    jobs_file, jobs = _selected_jobs(args)
    tz = _timezone(jobs_file)
    triggers = {job.name: CronTrigger.from_crontab(job.cron, timezone=tz) for job in jobs}
    if args.list:
        print_jobs(jobs_file, jobs, triggers, tz)
        return 0
    if not jobs:
        raise CommandError(f"no enabled job with a cron schedule in {jobs_file.path}", ExitStatus.USAGE)

    handler = logging.StreamHandler()
    handler.setFormatter(BeijingFormatter("%(asctime)s [schedule] %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = BlockingScheduler(timezone=tz, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": args.grace})
    runner = JobRunner(Path(jobs_file.path).resolve(), scheduler)
    for job in jobs:
        scheduler.add_job(runner.run, triggers[job.name], args=[job.name], id=job.name, name=job.name)
        if args.now:
            scheduler.add_job(runner.run, "date", args=[job.name], id=f"{job.name}@start", name=job.name,
                              run_date=dt.datetime.now(tz))

    def stop(signum, frame):
        logger.info("received %s: stopping", signal.Signals(signum).name)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("scheduling %d job(s) from %s (timezone %s)", len(jobs), jobs_file.path, tz)
    now = dt.datetime.now(tz)
    for job in jobs:
        logger.info("job %s [%s]: next run %s", job.name, job.cron,
                    beijing_text(triggers[job.name].get_next_fire_time(None, now), seconds=False))
    scheduler.start()  # returns after shutdown()
    runner.stop_all(args.stop_timeout)
    logger.info("scheduler stopped")
    return 0


def print_jobs(jobs_file, jobs, triggers, tz, out=None) -> None:
    out = out or sys.stdout
    now = dt.datetime.now(tz)
    print(f"Jobs of {jobs_file.path} (timezone {tz}):", file=out)
    if not jobs:
        print("  (no enabled job with a cron schedule)", file=out)
    for job in jobs:
        fire = triggers[job.name].get_next_fire_time(None, now)
        if job.verb == "revisit":
            shown = " ".join(job.command_line()[:-2])  # the last -s pair names the job: not shown
            print(f"  {job.name:<16} {job.cron:<16} next {fire:%Y-%m-%d %H:%M %Z}   {shown}", file=out)
            continue
        args = " ".join(f"--{k} {v}" if v != "1" else f"--{k}" for k, v in job.spider_args().items())
        print(f"  {job.name:<16} {job.cron:<16} next {beijing_text(fire, seconds=False)}   crawl {args or '(defaults)'}",
              file=out)
    skipped = sorted(set(jobs_file.jobs) - {j.name for j in jobs})
    if skipped:
        print(f"  not scheduled (disabled, no cron, or not selected): {', '.join(skipped)}", file=out)


class JobRunner:
    """Runs ``newscrawler crawl --job NAME`` processes and keeps track of them for shutdown."""

    def __init__(self, jobs_path: Path, scheduler=None):
        self.jobs_path = jobs_path
        self.scheduler = scheduler
        self.running: dict[int, subprocess.Popen] = {}
        self.lock = threading.Lock()
        self.stopping = False

    def command(self, name: str) -> list[str]:
        """A crawl job runs as `newscrawler crawl --job NAME` (which reads the job and holds its
        lock); a revisit job as `newscrawler revisit` with the job's arguments, read from the
        jobs file now (relative dates resolved for this run)."""
        from newscrawler.cli.jobs import load_jobs

        job = load_jobs(self.jobs_path).get(name)
        if job.verb == "revisit":
            return [sys.executable, "-m", "newscrawler", *job.command_line()]
        return [sys.executable, "-m", "newscrawler", "crawl", "--job", name, "--jobs", str(self.jobs_path)]

    def run(self, name: str) -> int | None:
        with self.lock:
            if self.stopping:
                return None
            # Its own session: Ctrl-C on the scheduler's terminal reaches the crawls once,
            # through stop_all(), not twice (a second signal makes Scrapy stop uncleanly).
            proc = subprocess.Popen(self.command(name), stdin=subprocess.DEVNULL, start_new_session=True)
            self.running[proc.pid] = proc
        logger.info("job %s: started (pid %d)", name, proc.pid)
        code = proc.wait()
        with self.lock:
            self.running.pop(proc.pid, None)
        meaning = ExitStatus(code).meaning if code in ExitStatus._value2member_map_ else ("killed" if code < 0 else "error")
        scheduled = self.scheduler.get_job(name) if self.scheduler is not None else None
        after = (f"; next run {beijing_text(scheduled.next_run_time, seconds=False)}"
                 if scheduled and scheduled.next_run_time else "")
        (logger.info if code == 0 else logger.warning)("job %s: exit %d (%s)%s", name, code, meaning, after)
        return code

    def stop_all(self, timeout: float) -> None:
        with self.lock:
            self.stopping = True
            procs = list(self.running.values())
        for proc in procs:
            logger.info("asking crawl pid %d to stop", proc.pid)
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("crawl pid %d did not stop in %.0f s: killing it", proc.pid, timeout)
                proc.kill()
                proc.wait()
