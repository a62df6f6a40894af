"""pywb, Webrecorder's wayback machine, for the replay tests: in a virtual environment of its
own (``.venv-pywb`` beside the checkout, from ``requirements-pywb.txt``), since pywb pins
packages the project pins otherwise (see that file). setup.sh makes it; a test that finds it
missing makes it (under a lock, once).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import yaml

from newscrawler.files import FileLock
from nbd_replica.procs import REPO, free_port, stop_process, wait_for_port

REQUIREMENTS = REPO / "requirements-pywb.txt"


def venv_dir() -> Path:
    return Path(os.environ.get("NEWSCRAWLER_PYWB_VENV") or REPO / ".venv-pywb")


def pywb_bin() -> Path:
    """The pywb environment's ``bin`` (made if missing): ``wayback``, ``wb-manager``."""
    venv = venv_dir()
    bin_dir = venv / "bin"
    if (bin_dir / "wayback").exists():
        return bin_dir
    lock = FileLock(venv.with_name(venv.name + ".lock"))
    while not lock.acquire():  # another test process is making it
        time.sleep(0.5)
    try:
        if not (bin_dir / "wayback").exists():
            base = getattr(sys, "_base_executable", None) or sys.executable
            subprocess.run([base, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
                           check=True)
    finally:
        lock.release()
    return bin_dir


def wb_manager(root: Path, *args: str) -> subprocess.CompletedProcess:
    """``wb-manager ARGS`` in the pywb directory ``root`` (collections under root/collections)."""
    return subprocess.run([str(pywb_bin() / "wb-manager"), *args], cwd=root, capture_output=True,
                          text=True, check=True, timeout=300)


@contextmanager
def wayback(root: Path, collections: dict | None = None) -> Iterator[str]:
    """pywb's ``wayback`` serving ``root`` on a free loopback port; yields its base URL.
    ``collections``: the ``collections`` section of its config.yaml (name -> settings)."""
    root.mkdir(parents=True, exist_ok=True)
    if collections is not None:
        (root / "config.yaml").write_text(yaml.safe_dump({"collections": collections}), encoding="utf-8")
    port = free_port()
    log = open(root / "wayback.log", "wb")
    proc = subprocess.Popen([str(pywb_bin() / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
                            cwd=root, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)
        log.close()
