"""`scrapy crawl`, with what it is given checked first (crawl/checks.py).

Scrapy's own command creates the spider inside the running crawl, so a spider that refuses
its arguments (a typo such as ``-a colums=2``) ends in a traceback, and a setting that cannot
be what it takes (``-s DOWNLOAD_DELAY=fast``) in a Twisted one. This command checks both
before the crawl starts and answers with Scrapy's usage error: one sentence, exit 2. A
directory the crawl cannot write, or a disk under NEWSCRAWLER_MIN_FREE_MB, is one sentence and
exit 1 (the add-on FreeSpaceFloor refuses the same in any other way of starting a crawl).
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from scrapy.utils.conf import arglist_to_dict


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts) -> None:
        from newscrawler.crawl.checks import settings_problems

        problems = settings_problems(arglist_to_dict(opts.set))
        if len(args) == 1:
            try:
                spidercls = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                spidercls = None  # Scrapy says so itself
            check = getattr(spidercls, "argument_problem", None)
            problem = check(opts.spargs, self.settings.get("NBD_BASE_URL")) if check else None
            if problem:
                problems.append(problem)
        if problems:
            raise UsageError("; ".join(problems), print_help=False)
        from newscrawler.crawl.addons import free_space_shortfall, unwritable_directory

        shortfall = free_space_shortfall(self.settings) or unwritable_directory(self.settings)
        if shortfall:
            print(f"scrapy crawl: {shortfall}", file=sys.stderr)
            self.exitcode = 1
            return
        super().run(args, opts)
