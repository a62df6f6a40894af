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
# /columns/<id> with the forms of the notes: a trailing "/" or ".html" (also "/columns/2093.html/"),
# a section slug before the id (/columns/fangchan/300), /page/<n> with "/" or ".html".
_COLUMN_PATH = re.compile(r"^/columns/(?:[a-z_]+/)?(\d+)(?:\.html)?(?:/page/(\d+)(?:\.html)?)?/?$")
# The mobile web app's column list: m.nbd.com.cn/web_app/column/<id>/ (one page).
_WEB_APP_COLUMN_PATH = re.compile(r"^/web_app/column/(\d+)/?$")

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
# Section labels the site shows today (a list's ``a.tag``), with the first survey's names above
# kept as the section's name: host -> labels seen.
SECTION_LABELS = {
    "tmt": ("未来商业",),
    "money": ("基金",),
    "xinsanban": ("新经济",),
}
# Hosts that serve pages of the site itself but are not sections.
_PLAIN_HOSTS = {"www", "m", ""}
# Hosts that never serve articles (flash news) or only serve assets.
NON_ARTICLE_HOSTS = {"live", "static"}
# The sister site 每经新闻 serves the same articles under the same ids (www.mrjjxw.com/articles/
# YYYY-MM-DD/<id>.html): its addresses reduce to the article id and are fetched on the canonical host.
MIRROR_DOMAINS = ("mrjjxw.com",)
# Site chrome (logos, QR codes, the partner feeds' promo image ydrss640.jpg): never an article image.
CHROME_IMAGE_HOSTS = ("static.nbd.com.cn",)
# Size variants of one uploaded image: <name>.thumb_head.jpg, <name>.thumb_hs.jpg, <name>.x_large.jpg
# beside <name>.jpg, the upload the variants are made from (the largest).
_SIZE_VARIANT = re.compile(r"\.(?:thumb_[a-z0-9]+|x_large|large|medium|small)(\.(?:jpe?g|png|gif|webp))$", re.I)

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
    # Second survey (2026-11). Section home ids the sources disagree on (310, 338) are left out.
    119: ("金融首页", "finance"), 2128: ("深度", "finance"), 2129: ("动态", "finance"),
    2081: ("金融早参", "finance"), 556: ("首页头条", "finance"),
    44: ("要闻", "economy"), 129: ("宏观首页", "economy"),
    597: ("头条", "world"), 598: ("华尔街前哨", "world"), 599: ("科技情报站", "world"),
    600: ("天下热闻", "world"), 603: ("全球财经早报", "world"),
    131: ("商用车", "auto"), 1474: ("新出行", "auto"),
    594: ("消费", None), 595: ("快消", None), 596: ("食品饮料", None), 2409: ("科技", None),
    442: ("图数馆", None), 298: ("房产", None),
}
# Columns whose mobile list is a stale, different list: walked on the PC pages even when a
# crawl chose the mobile lists.
MOBILE_STALE_COLUMNS = frozenset({332})
MOBILE_BASE_URL = "https://m.nbd.com.cn"
MOBILE_PAGE_SIZE = 20
# A sensible default crawl: the site's front columns plus the lead column of each section.
DEFAULT_COLUMNS = [3, 332, 313, 318, 275, 329, 415, 346, 448, 440, 261]


# The label a site-wide column goes by as a category (its own name when not listed here).
SITEWIDE_CATEGORIES = {1072: "评论"}


def column_category(column_id: int | None, name: str | None = None) -> str | None:
    """The category a column names on its page: its section, else (a site-wide column) its
    label, else ``name`` (the column as the page names it): a named column always has one."""
    return (column_section(column_id) or SITEWIDE_CATEGORIES.get(column_id)
            or column_name(column_id) or name or None)


def column_name(column_id: int | None) -> str | None:
    entry = COLUMNS.get(column_id) if column_id is not None else None
    return entry[0] if entry else None


def column_section(column_id: int | None) -> str | None:
    """Section name (金融, 证券, ...) of a column, or None for site-wide columns."""
    entry = COLUMNS.get(column_id) if column_id is not None else None
    return SECTIONS.get(entry[1]) if entry and entry[1] else None


def label_section(label: str | None) -> str | None:
    """The section name of a section label as a list shows it (未来商业 -> TMT; 金融 -> 金融),
    else None."""
    label = (label or "").strip()
    for host, name in SECTIONS.items():
        if label == name or label in SECTION_LABELS.get(host, ()):
            return name
    return None


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


def _is_mirror_host(host: str) -> bool:
    host = host.lower()
    return any(host == d or host.endswith("." + d) for d in MIRROR_DOMAINS)


def is_chrome_image(url: str) -> bool:
    """An image of the site's chrome (static.nbd.com.cn), not of an article."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in CHROME_IMAGE_HOSTS)


def largest_image_url(url: str) -> str:
    """The largest size of an uploaded image: the plain file the size variants are made from
    (``a.thumb_head.jpg`` and ``a.x_large.jpg`` -> ``a.jpg``); other URLs unchanged."""
    parts = urlsplit(url)
    path = _SIZE_VARIANT.sub(r"\1", parts.path)
    return url if path == parts.path else parts._replace(path=path).geturl()


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
    m = _ARTICLE_PATH.match(parts.path)
    if m and _is_mirror_host(parts.hostname or ""):
        return int(m.group(2)), m.group(1)
    if not _is_site_host(parts.hostname or "", base_host):
        return None
    m = m or _ARTICLE_PAGE_PATH.match(parts.path)
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
    path = parts.path
    if is_mobile_list_url(url, base_url) and not parts.hostname.startswith("m."):
        path = path[len(_MIRROR_MOBILE_PREFIX):]  # a replica or mirror's mobile list
    m = _COLUMN_PATH.match(path)
    if m:
        return int(m.group(1)), int(m.group(2) or 1)
    m = _WEB_APP_COLUMN_PATH.match(path)
    return (int(m.group(1)), 1) if m else None


def column_url(column_id: int, page: int = 1, base_url: str = DEFAULT_BASE_URL) -> str:
    base = base_url.rstrip("/")
    return f"{base}/columns/{column_id}" if page <= 1 else f"{base}/columns/{column_id}/page/{page}"


# A mirror or replica serves every host of the site under one origin: its mobile lists live
# under this prefix (the real site's under m.nbd.com.cn).
_MIRROR_MOBILE_PREFIX = "/m"


def mobile_base_url(base_url: str = DEFAULT_BASE_URL) -> str:
    """Where the mobile column lists are: m.nbd.com.cn for the real site, else (a replica or
    mirror on one origin) the base URL's ``/m``."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == NBD_DOMAIN or host.endswith("." + NBD_DOMAIN):
        return MOBILE_BASE_URL
    return base_url.rstrip("/") + _MIRROR_MOBILE_PREFIX


def mobile_column_url(column_id: int, page: int = 1, base_url: str = DEFAULT_BASE_URL) -> str:
    """Page ``page`` of a column's mobile list (``/columns/<id>/`` and ``/columns/<id>/page/<n>/``)."""
    base = mobile_base_url(base_url)
    return f"{base}/columns/{column_id}/" if page <= 1 else f"{base}/columns/{column_id}/page/{page}/"


def is_mobile_list_url(url: str, base_url: str | None = None) -> bool:
    """Whether a URL is a page of a mobile column list (m.nbd.com.cn, or a mirror's ``/m``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "m." + NBD_DOMAIN:
        return True
    base_host = (urlsplit(base_url).hostname or "").lower() if base_url else None
    return (host == base_host and host != NBD_DOMAIN and not host.endswith("." + NBD_DOMAIN)
            and parts.path.startswith(_MIRROR_MOBILE_PREFIX + "/"))


def load_more_url(column_id: int, last_article: int, base_url: str = DEFAULT_BASE_URL) -> str:
    return f"{base_url.rstrip('/')}/columns/{column_id}?last_article={last_article}&version_column=v5"
