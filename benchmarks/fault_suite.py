"""Fault suite: crawl the replica while injecting real faults, and count what the archive kept.

Run by hand:  .venv/bin/python benchmarks/fault_suite.py            (200 articles)
              .venv/bin/python benchmarks/fault_suite.py --small    (40 articles)

The scenarios are ``nbd_replica.fault_scenarios`` (its doc lists them); the tests assert
their checks (tests/test_reliability.py). Prints one table row per fault: injected,
survived, articles expected in the archive, archived, lost, duplicated, dangling (articles
whose WARC pointer does not reach a whole record, at any point a scenario checks). Exit status
1 when anything was lost, duplicated or left dangling, or a check failed (each failure is
printed under the table). A scenario that needs Redis on 127.0.0.1:6379 and finds none says
"skipped" in its row.
``--json FILE`` writes the rows, problems and facts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path

from harness import print_table

from nbd_replica.fault_scenarios import SCENARIOS, Scenario, run_scenarios

HEADERS = ("fault", "injected", "survived", "articles expected", "archived", "lost", "duplicated", "dangling")


def report(results: list[Scenario]) -> int:
    rows = [row for sc in results for row in sc.rows]
    print_table(HEADERS, [(r.fault, r.injected, r.survived, r.expected, r.archived, r.lost, r.duplicated,
                           r.dangling) for r in rows])
    problems = [p for sc in results for p in sc.problems]
    for p in problems:
        print(f"FAILED: {p}")
    print(f"lost {sum(r.lost for r in rows)}, duplicated {sum(r.duplicated for r in rows)}, "
          f"dangling {sum(r.dangling for r in rows)}, {len(problems)} failed check(s)")
    return 1 if problems or any(r.lost or r.duplicated or r.dangling for r in rows) else 0


def write_json(path: str, results: list[Scenario]) -> None:
    Path(path).write_text(json.dumps(
        {"scenarios": [{"name": sc.name, "seconds": sc.seconds, "problems": sc.problems, "facts": sc.facts,
                        "rows": [dataclasses.asdict(r) for r in sc.rows]} for sc in results]},
        ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="small numbers")
    parser.add_argument("--only", default="", help=f"comma-separated scenarios of {', '.join(SCENARIOS)}")
    parser.add_argument("--json", help="write rows, problems and facts to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="scenarios run at once (they mostly wait: 2 halves the time on 2 cores)")
    args = parser.parse_args(argv)
    names = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}")
    root = Path(tempfile.mkdtemp(prefix="fault-suite-"))

    def progress(sc: Scenario) -> None:
        print(f"{sc.name}: {sc.seconds} s, {len(sc.problems)} problem(s)", file=sys.stderr, flush=True)

    try:
        results = run_scenarios(names, root, small=args.small, jobs=args.jobs, progress=progress)
    finally:
        if args.keep:
            print(f"work directory kept: {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        write_json(args.json, results)
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
