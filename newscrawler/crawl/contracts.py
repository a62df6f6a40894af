"""Scrapy contracts for the spider's callbacks: `scrapy check nbd` fetches one sample page per
callback and checks what the callback makes of it.

Scrapy's ``@url`` takes an absolute URL, while the site's address is a setting
(``NBD_BASE_URL``: the real site, a mirror, or the replica the tests serve). So the sample pages
are named by their path on the site (``@site_url``) and fetched from the spider's base URL.
Scrapy's ``@scrapes`` checks that a field exists, which every field of a dataclass item always
does; what a page must give is a *valid* record, the one the validation pipeline would archive
(``@archivable``). A column page is judged by the articles it lists (``@lists``), whatever the
archive already holds (the callback asks only for articles not archived yet).
"""

from __future__ import annotations

from itemadapter import ItemAdapter, is_item
from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail

from newscrawler.crawl.pipelines.validation import ValidationPipeline


class SiteUrlContract(Contract):
    """``@site_url PATH``: the sample request is PATH on the spider's base URL (NBD_BASE_URL).

    Takes the place of ``@url``, which a callback's docstring must then not have."""

    name = "site_url"

    def __init__(self, method, *args):
        super().__init__(method, *args)
        self.spider = method.__self__

    def adjust_request_args(self, args: dict) -> dict:
        args["url"] = self.spider.base_url.rstrip("/") + "/" + self.args[0].lstrip("/")
        return args


class ArchivableContract(Contract):
    """``@archivable``: every item the callback returns is a record the archive would take (no
    extraction error, every required field filled; see ValidationPipeline.rejection)."""

    name = "archivable"

    def post_process(self, output: list) -> None:
        for item in output:
            if not is_item(item):
                continue
            rejection = ValidationPipeline.rejection(ItemAdapter(item))
            if rejection is not None:
                code, message = rejection
                raise ContractFail(f"not archivable: {code}: {message}")


class ListsContract(Contract):
    """``@lists N``: the column page lists at least N articles (as the spider reads list pages)."""

    name = "lists"

    def __init__(self, method, *args):
        super().__init__(method, *args)
        self.spider = method.__self__
        self.minimum = int(self.args[0]) if self.args and self.args[0] else 1

    def pre_process(self, response) -> None:
        found = len(self.spider.column_entries(response))
        if found < self.minimum:
            raise ContractFail(f"the column page lists {found} article(s), expected at least {self.minimum}")
