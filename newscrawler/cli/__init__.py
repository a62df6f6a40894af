"""The `newscrawler` command.

Each verb lives in its own module under ``newscrawler/commands/`` and defines
``register(subparsers)``, which adds its parser and sets ``func`` (called with the parsed args,
returning an exit code). Verbs are discovered, so adding one touches no other file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import newscrawler
import newscrawler.cli.commands as commands_pkg

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newscrawler",
        description="Crawl 每经网 (www.nbd.com.cn) and archive it in MongoDB.",
    )
    parser.add_argument("--version", action="version", version=f"newscrawler {newscrawler.__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for info in sorted(pkgutil.iter_modules(commands_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands_pkg.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Chinese text must print on any terminal or pipe.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except CommandError as exc:
        print(f"newscrawler {args.verb}: {exc}", file=sys.stderr)
        return exc.exit_code


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, with its exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE):
        super().__init__(message)
        self.exit_code = exit_code
