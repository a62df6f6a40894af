"""每经网's URLs, columns and sections: the facts of the site notes, in one place.

Every article exists under many addresses (www, m., section hosts, http or https,
protocol-relative, partner syndication copies under ``/rss/<partner>/``); all reduce to one
numeric id, and the archive knows an article only by that id and its canonical URL.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

DEFAULT_BASE_URL = "https://www.nbd.com.cn"
SITE_NAME = "每经网"
NBD_DOMAIN = "nbd.com.cn"

# /articles/YYYY-MM-DD/<id>.html on any host; /rss/<partner>/articles/<id>.html (no date).
_ARTICLE_PATH = re.compile(r"^/articles/(\d{4}-\d{2}-\d{2})/(\d+)\.html$")
_PARTNER_PATH = re.compile(r"^/rss/([a-z0-9_-]+)/articles/(\d+)\.html$")
# Pages of an article that runs over several: /articles/YYYY-MM-DD/<id>/page/<n> (no .html; page 1
# is the ordinary .html URL), the 2013 mobile form under /mobile, and the print view.
_ARTICLE_PAGE_PATH = re.compile(
    r"^(?:/mobile)?/articles/(\d{4}-\d{2}-\d{2})/(\d+)(?:\.html|/page/(\d+)/?|/print/?)$")
_COLUMN_PATH = re.compile(r"^/columns/(\d+)(?:/page/(\d+))?(?:/|\.html)?$")

# Section hosts (<name>.nbd.com.cn) and their section names.
SECTIONS = {
    "economy": "宏观",
    "stocks": "证券",
    "finance": "金融",
    "industry": "公司",
    "tmt": "TMT",
    "money": "理财",
    "auto": "汽车",
    "cd": "城市",
    "world": "国际",
    "movie": "影视",
    "xinsanban": "新三板",
}
# Hosts that serve pages of the site itself but are not sections.
_PLAIN_HOSTS = {"www", "m", ""}
# Hosts that never serve articles (flash news) or only serve assets.
NON_ARTICLE_HOSTS = {"live", "static"}

# column id -> (column name, section host or None for site-wide columns)
COLUMNS: dict[int, tuple[str, str | None]] = {
    2: ("头条", None), 3: ("要闻", None), 4: ("图片新闻", None), 5: ("推荐", None),
    332: ("重磅原创", None), 1161: ("每经头条", None), 1072: ("每经热评", None),
    587: ("每经调查", None), 2226: ("影响市场重大事件", None), 1320: ("首发快讯", None),
    79: ("今日报纸", None),
    313: ("焦点", "economy"), 315: ("形势", "economy"), 475: ("洞见", "economy"),
    590: ("一线报告", "economy"),
    318: ("重磅推荐", "stocks"), 402: ("两融龙虎榜", "stocks"), 275: ("A股动态", "stocks"),
    28: ("公告速递", "stocks"), 405: ("海外市场", "stocks"), 324: ("新三板", "stocks"),
    329: ("要闻", "finance"), 415: ("监管", "finance"), 327: ("机构", "finance"),
    326: ("市场", "finance"), 591: ("新金融周刊", "finance"), 592: ("保险周刊", "finance"),
    346: ("热点公司", "industry"), 585: ("产业趋势", "industry"), 418: ("商业人物", "industry"),
    586: ("区域经济", "industry"),
    448: ("互联网", "tmt"), 256: ("TMT观察", "tmt"), 451: ("人物", "tmt"), 583: ("新科技", "tmt"),
    478: ("电商", "tmt"), 477: ("智能硬件", "tmt"),
    440: ("重磅原创", "money"), 441: ("基金投资", "money"), 407: ("另类投资", "money"),
    439: ("理财实盘", "money"),
    261: ("聚焦", "auto"), 140: ("新能源", "auto"), 1444: ("科技", "auto"),
}
# A sensible default crawl: the site's front columns plus the lead column of each section.
DEFAULT_COLUMNS = [3, 332, 313, 318, 275, 329, 415, 346, 448, 440, 261]


def column_name(column_id: int | None) -> str | None:
    entry = COLUMNS.get(column_id) if column_id is not None else None
    return entry[0] if entry else None


def column_section(column_id: int | None) -> str | None:
    """Section name (金融, 证券, ...) of a column, or None for site-wide columns."""
    entry = COLUMNS.get(column_id) if column_id is not None else None
    return SECTIONS.get(entry[1]) if entry and entry[1] else None


def host_section(url: str) -> str | None:
    """Section name of a section host (stocks.nbd.com.cn -> 证券), else None."""
    host = (urlsplit(url).hostname or "").lower()
    if not host.endswith(NBD_DOMAIN):
        return None
    sub = host[: -len(NBD_DOMAIN)].rstrip(".")
    return SECTIONS.get(sub)


def _is_site_host(host: str, base_host: str | None) -> bool:
    host = host.lower()
    if base_host and host == base_host.lower():
        return True
    if host == NBD_DOMAIN or host.endswith("." + NBD_DOMAIN):
        sub = host[: -len(NBD_DOMAIN)].rstrip(".")
        return sub not in NON_ARTICLE_HOSTS
    return False


def parse_article_url(url: str, base_url: str | None = None) -> tuple[int, str | None] | None:
    """(article id, creation date 'YYYY-MM-DD' or None for partner copies), or None.

    Accepts every form of the notes, relative or protocol-relative URLs (resolved against
    ``base_url``), and URLs on ``base_url``'s own host (a replica or mirror).
    """
    if not url:
        return None
    url = url.strip()
    if base_url:
        url = urljoin(base_url.rstrip("/") + "/", url)
    elif url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    base_host = urlsplit(base_url).hostname if base_url else None
    if not _is_site_host(parts.hostname or "", base_host):
        return None
    m = _ARTICLE_PATH.match(parts.path) or _ARTICLE_PAGE_PATH.match(parts.path)
    if m:
        return int(m.group(2)), m.group(1)
    m = _PARTNER_PATH.match(parts.path)
    if m:
        return int(m.group(2)), None
    return None


def article_page_number(url: str) -> int:
    """Which page of its article an article URL is: N for ``.../<id>/page/<N>``, else 1 (the
    ``.html`` page, a partner copy, the print view)."""
    m = _ARTICLE_PAGE_PATH.match(urlsplit(url.strip()).path)
    return int(m.group(3)) if m and m.group(3) else 1


def article_page_url(article_id: int, created: str, page: int, base_url: str = DEFAULT_BASE_URL) -> str:
    """The address of page ``page`` of an article (page 1: the canonical URL)."""
    if page <= 1:
        return canonical_url(article_id, created, base_url)
    return f"{base_url.rstrip('/')}/articles/{created}/{article_id}/page/{page}"

def canonical_url(article_id: int, created: str, base_url: str = DEFAULT_BASE_URL) -> str:
    return f"{base_url.rstrip('/')}/articles/{created}/{article_id}.html"


def parse_column_url(url: str, base_url: str | None = None) -> tuple[int, int] | None:
    """(column id, page number) for a column list URL, else None."""
    if base_url:
        url = urljoin(base_url.rstrip("/") + "/", url)
    parts = urlsplit(url)
    base_host = urlsplit(base_url).hostname if base_url else None
    if not _is_site_host(parts.hostname or "", base_host):
        return None
    m = _COLUMN_PATH.match(parts.path)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 1)


def column_url(column_id: int, page: int = 1, base_url: str = DEFAULT_BASE_URL) -> str:
    base = base_url.rstrip("/")
    return f"{base}/columns/{column_id}" if page <= 1 else f"{base}/columns/{column_id}/page/{page}"


def load_more_url(column_id: int, last_article: int, base_url: str = DEFAULT_BASE_URL) -> str:
    return f"{base_url.rstrip('/')}/columns/{column_id}?last_article={last_article}&version_column=v5"
