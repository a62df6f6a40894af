"""`newscrawler extract FILE --url URL`: print the article record of a saved page as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from newscrawler.cli import CommandError, ExitStatus


def register(subparsers) -> None:
    p = subparsers.add_parser("extract", help="extract the article record of a saved page (JSON)",
                              description="Print the article record of a saved 每经网 page as JSON.")
    p.add_argument("file", help="saved HTML page ('-' reads standard input)")
    p.add_argument("--url", required=True, help="the address the page was fetched from")
    p.add_argument("--base-url", help="origin for canonical URLs (default: NBD_BASE_URL or https://www.nbd.com.cn)")
    p.add_argument("--column", type=int, help="id of the column the article was listed in (for its category)")
    p.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    p.set_defaults(func=run)


def run(args) -> int:
    from newscrawler.nbd.extract import ExtractionError, extract_article, record_to_json

    if args.file == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(args.file)
        if not path.is_file():
            raise CommandError(f"no such file: {path}", ExitStatus.USAGE)
        data = path.read_bytes()
    try:
        record = extract_article(data, args.url, base_url=args.base_url, column_id=args.column)
    except ExtractionError as exc:
        raise CommandError(f"no article extracted [{exc.reason}]: {exc}") from exc
    print(json.dumps(record_to_json(record), ensure_ascii=False, indent=None if args.compact else 2))
    return 0
