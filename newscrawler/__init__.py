"""newscrawler: crawl and archive 每经网 (www.nbd.com.cn).

The library entry point is :func:`extract_article`, which turns one saved article page into
one article record (see ``newscrawler.nbd``).
"""

__version__ = "0.1.0"


def extract_article(html, url, **kwargs):
    """Extract one article record (a dict) from a page; see :func:`newscrawler.nbd.extract.extract_article`."""
    from newscrawler.nbd.extract import extract_article as _extract

    return _extract(html, url, **kwargs)


__all__ = ["extract_article", "__version__"]
