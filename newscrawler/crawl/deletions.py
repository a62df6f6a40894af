"""How the crawl tells that the site took an archived article down (store/deletions.py marks it).

Gone means one of three answers to an article request: 404, 410, or a redirect that ends on a
page that is not this article (the home page, a column, another id). Nothing else: a timeout,
a reset connection or a 5xx says the site is unwell, not that the article went, so those stay
fetch errors (and a site answering 503 to everything marks nothing). A redirect to the same
article elsewhere (the partner copy to the canonical page, http to https) is no deletion.

The spider calls these from its article callback and errback; each returns True when the
answer was an archived article's deletion (recorded and counted: no reject row then).
"""

from __future__ import annotations

from newscrawler.crawl import stats as keys
from newscrawler.nbd import site
from newscrawler.store.deletions import GONE_STATUSES


def gone_after_failure(spider, failure) -> bool:
    """A failed article request answered 404 or 410: mark the article, if archived."""
    response = getattr(failure.value, "response", None)
    article_id = failure.request.meta.get("article_id")
    if response is None or response.status not in GONE_STATUSES or article_id is None:
        return False
    return _record(spider, article_id, response.status, None, failure.request.url)


def redirected_away(spider, response) -> bool:
    """An article request redirected to a page that is not the article: mark it, if archived."""
    return _redirect_gone(spider, response.meta, response.url)


def dropped_redirect_away(spider, request) -> bool:
    """The same, for a redirect the duplicate filter dropped (several deleted articles sent to
    one home page: only the first redirect is downloaded)."""
    return _redirect_gone(spider, request.meta, request.url)


def _redirect_gone(spider, meta, final_url: str) -> bool:
    article_id = meta.get("article_id")
    redirects = meta.get("redirect_urls")
    if article_id is None or not redirects:
        return False
    landed = site.parse_article_url(final_url, spider.base_url)
    if landed is not None and landed[0] == article_id:
        return False
    reasons = meta.get("redirect_reasons") or [None]
    return _record(spider, article_id, reasons[0], final_url, redirects[0])


def _record(spider, article_id: int, status, target: str | None, url: str) -> bool:
    marked = spider.archive.mark_deleted(article_id, status, target)
    if marked is None or not (marked[0] or marked[1]):
        return False  # not archived (or the archive is down): a reject as before
    stats = spider.crawler.stats
    if marked[0]:
        stats.inc_value(keys.DELETED)
        spider.logger.warning("Article %s is gone from the site (%s%s): marked deleted", article_id, status,
                              f" to {target}" if target else "")
    else:
        stats.inc_value(keys.STILL_DELETED)
        spider.logger.info("Article %s is still gone (%s): %s", article_id, status, url)
    return True
