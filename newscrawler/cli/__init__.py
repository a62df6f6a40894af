"""The `newscrawler` command.

Each verb lives in its own module under ``newscrawler/cli/commands/``, named as the verb, and
defines ``register(subparsers)``, which adds its parser and sets ``func`` (called with the parsed
args, returning an exit code). Verbs are discovered, so adding one touches no other file.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from enum import IntEnum

import newscrawler
import newscrawler.cli.commands as commands_pkg



class ExitStatus(IntEnum):
    """The command's exit codes (every verb, `schedule`'s report of a job's run included)."""

    OK = 0
    FAILURE = 1      # the work failed (an archive unreachable, a crawl that fetched nothing, ...)
    USAGE = 2        # bad arguments or input files
    ALERTS = 3       # the crawl finished, but monitoring raised alerts
    INTERRUPTED = 130
    # The reader of the output went away (`newscrawler query | head`): quietly, with the status
    # of a Unix tool ended by SIGPIPE (128 + 13), as `cat file | head` gives under pipefail.
    BROKEN_PIPE = 141

    @property
    def meaning(self) -> str:
        return {0: "done", 1: "failed", 2: "bad arguments", 3: "finished with alerts",
                130: "interrupted", 141: "output closed by its reader"}[self.value]


def verb_names() -> list[str]:
    """Every verb, by the name of its module (not imported)."""
    return sorted(m.name for m in pkgutil.iter_modules(commands_pkg.__path__) if not m.name.startswith("_"))


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every verb; given the command line, only of the verb it names, when it
    names one: a verb's module imports what it needs (pymongo, Scrapy, lxml ...), and a
    command should not pay for the others' at every start. An unknown verb, --help or
    --version load them all."""
    parser = argparse.ArgumentParser(
        prog="newscrawler",
        description="Crawl 每经网 (www.nbd.com.cn) and archive it in MongoDB.",
    )
    parser.add_argument("--version", action="version", version=f"newscrawler {newscrawler.__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    names = verb_names()
    named = next((a for a in argv if not a.startswith("-")), None) if argv else None
    for name in [named] if named in names else names:
        module = importlib.import_module(f"{commands_pkg.__name__}.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Chinese text must print on any terminal or pipe.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a value the parser refused (usage, exit 2)
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitStatus.USAGE
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # here, so a closed pipe is caught below rather than at exit
        return code
    except BrokenPipeError:
        return _output_closed()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    except CommandError as exc:
        print(f"newscrawler {args.verb}: {exc}", file=sys.stderr)
        return exc.exit_code


def _output_closed() -> int:
    """The reader of standard output closed it (``| head``): no traceback, no error message.

    The Python documentation's recipe (signal module, "Note on SIGPIPE"): standard output is
    pointed at /dev/null, so the interpreter's last flush at exit does not fail again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test's captured stream)
        pass
    finally:
        os.close(devnull)
    return ExitStatus.BROKEN_PIPE


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, with its exit code."""

    def __init__(self, message: str, exit_code: int = ExitStatus.FAILURE):
        super().__init__(message)
        self.exit_code = exit_code
