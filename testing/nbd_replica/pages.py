"""Replica article pages of 每经网, rendered from an :class:`ArticleSpec`.

No captured page of the real site exists, so these pages are built from the facts in
``shared/nbd-site/NOTES.md`` and nothing else. They are whole pages, with the site chrome
(nav, sidebars, ads, scripts, styles, footer) and the noise the notes tell the extractor to
strip, at the weight of real article pages, so that the extractor is tested against pages as
hard as the site's and not against tidy fragments.

Layouts (``spec.layout``):

* ``g-article``      the PC page of 2019-2026 (``div.g-main > div.g-article-left > div.g-article``);
* ``g-article-2017`` older pages of the same template: protocol-relative links, bold-paragraph
  sub-headings, images on ``image<N>.nbd.com.cn``, usually no ld+json and no abstract;
* ``m-articleBox``   the other template (also the sister site mrjjxw.com);
* ``generic``        an unknown layout with no site classes, for the extractor's fallback;
* ``articleWrapper-2012`` the 2012-13 template (``div.articleWrapper``, ``#articleContent``,
  time to the minute, 核心提示, 责任编辑, ``ul#crumb``);
* ``nbd-con-2018``   the template of about 2018 (``div.nbd-con > blockquote``, ``MM-DD HH:MM``);
* ``video``          a video article: the about-2018 page with the player ``#vedioPlayer``.

Rendering knobs live in ``spec.variant``; :data:`VARIANT_DEFAULTS` lists every knob with its
meaning, and :func:`page_variant` resolves them for a spec (the evaluation set computes its
expectations from the same resolved knobs, so page and expectation cannot drift apart).

``Block.html`` may contain the token ``{base}``: it is replaced by the site origin as the page
writes its links (absolute or protocol-relative), so body links point at the replica when the
page is served on loopback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import random
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from newscrawler.nbd.site import COLUMNS, DEFAULT_BASE_URL, SECTIONS
from nbd_replica.spec import BEIJING, ArticleSpec, Block

DEFAULT_IMAGE_BASE = "https://image.nbd.com.cn"
STATIC = "//static.nbd.com.cn"
LAYOUTS = ("g-article", "g-article-2017", "m-articleBox", "generic", "articleWrapper-2012", "nbd-con-2018",
           "video")
# Layouts that print the publish time to the minute (no seconds).
MINUTE_LAYOUTS = ("articleWrapper-2012", "nbd-con-2018", "video")
# The partner feeds' promo picture that closes a partner copy's body (site chrome).
PARTNER_PROMO_IMAGE = "http://static.nbd.com.cn/images/nbd_v4/ydrss640.jpg"
# A <center> block of an older body that is not article text (the 2018 spider left them out).
CENTER_NOISE = "点击进入专题：每经聚焦 更多精彩内容"

# ---------------------------------------------------------------------------------------------
# Noise: what the notes say is in or around the body but is not article text.
# ---------------------------------------------------------------------------------------------

# Trailing paragraphs, in the order they are printed; each begins with a prefix of the notes.
TRAILING_NOISE: dict[str, str] = {
    "toutiao": "每经头条（nbdtoutiao）——每天一篇深度好文，带你读懂中国经济的新变化。",
    "original": "原创文章｜每日经济新闻 nbdnews",
    "proofread": "校对 王月",
    "typeset": "排版：刘思琪",
    "visual": "视觉：许可欣",
    "cover": "封面：视觉中国",
    "qrcode": "扫描下方二维码，下载每日经济新闻APP，获取更多一手财经资讯。",
    "no-reprint": "未经许可禁止转载、摘编、复制及建立镜像，违者必究。",
    "disclaimer": "免责声明：本文内容与数据仅供参考，不构成投资建议，使用前请核实。据此操作，风险自担。",
}
# Blocks inside the body; the value is a text the block carries (to check it is stripped).
BLOCK_NOISE: dict[str, str] = {
    "mzsm": "本文所载观点仅代表作者本人，不代表每经网立场，亦不构成任何投资建议",
    "more-read": "更多阅读",
    "more-read-a": "延伸阅读",
    "script": "nbdArticleStat",
    "style": ".nbd-inner-img",
    "hidden": "pv_stat_article_detail",
}
ALL_NOISE = tuple(BLOCK_NOISE) + tuple(TRAILING_NOISE)
# Beside the body (outside it) on the g-article template.
COPYRIGHT_TEXT = (
    "版权声明：本文为《每日经济新闻》原创作品，版权归每日经济新闻报社所有。"
    "未经授权，任何媒体和个人不得转载、链接、转贴或以其他方式使用。"
)
QRCODE_IMAGE = f"{STATIC}/images/v5/nbd_app_qrcode.jpg"  # follows the "扫描下方二维码" paragraph

# Every knob of ``spec.variant``; layout-specific defaults are in _LAYOUT_DEFAULTS.
VARIANT_DEFAULTS: dict = {
    "title_tag": True,        # False: <title></title> empty (a 2026 crawler saw that)
    "h1_comment": False,      # an HTML comment (a commented-out badge) before the h1 text
    "ld_json": True,          # <script type="application/ld+json"> with "pubDate"
    "ld_time_sep": "T",       # "T" or " ": the pubDate form is uncertain per the notes
    "span_time": True,        # False: time only in ld+json (no span.time / span.u-articleTime)
    "column_link": False,     # <a class="u-column" href="{base}/columns/<column_id>">name</a>
    "canonical": True,        # <link rel="canonical">, og:url and ld+json @id
    "og_image": None,         # path of a page-level image (<meta property="og:image">)
    "charset": "utf-8",       # "utf-8", "gbk", "gb2312"... or None: no declaration at all
    "noise": (),              # names from ALL_NOISE rendered on the page
    "image_src": "absolute",  # body img src: "absolute" | "protocol-relative" | "relative"
    "image_host": None,       # e.g. "image2.nbd.com.cn", used while image_base is the real host
    "links": "absolute",      # site links: "absolute" | "protocol-relative"
    "indent": None,           # paragraph indentation: None | "nbsp" | "ideographic"
    "related": None,          # [{"id", "created", "title"}] for the related lists (else made up)
    "video": None,            # video layout: the player's media path or URL
    "partner_markup": False,  # a partner feed copy: body images in alt_src, the ydrss640 promo at the end
    "box_meta": "classed",    # m-articleBox meta line: "classed" (span.u-clomun, span.u-articleTime),
                              # "plain" (unclassed spans: outlet, time), "mrjjxw" (div.u-source > span)
    "center": False,          # older bodies: images in <center>, and a <center> promotion block
}
_LAYOUT_DEFAULTS: dict[str, dict] = {
    "g-article": {"noise": ("script", "hidden", "more-read", "mzsm", "toutiao", "disclaimer")},
    "g-article-2017": {
        "ld_json": False, "canonical": False, "image_src": "protocol-relative",
        "image_host": "image2.nbd.com.cn", "links": "protocol-relative", "indent": "ideographic",
        "noise": ("script", "hidden", "no-reprint"),
    },
    "m-articleBox": {"ld_json": False, "noise": ("style", "original", "proofread", "typeset")},
    "generic": {"ld_json": False, "canonical": False, "noise": ()},
    "articleWrapper-2012": {"ld_json": False, "canonical": False, "links": "protocol-relative",
                            "image_host": "image1.nbd.com.cn", "column_link": True, "noise": ("script",)},
    "nbd-con-2018": {"ld_json": False, "canonical": False, "noise": ("script", "no-reprint")},
    "video": {"ld_json": False, "canonical": False, "noise": (),
              "video": "/uploads/videos/vedio_2018.mp4"},
}
_INDENTS = {None: "", "nbsp": "&nbsp;&nbsp;&nbsp;&nbsp;", "ideographic": "\u3000\u3000"}


def page_variant(spec: ArticleSpec) -> dict:
    """The knobs a spec's page is rendered with: defaults, then the layout's, then the spec's."""
    if spec.layout not in LAYOUTS:
        raise ValueError(f"unknown layout {spec.layout!r}")
    resolved = {**VARIANT_DEFAULTS, **_LAYOUT_DEFAULTS[spec.layout], **spec.variant}
    unknown = set(spec.variant) - set(VARIANT_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown variant knobs {sorted(unknown)}")
    bad_noise = set(resolved["noise"]) - set(ALL_NOISE)
    if bad_noise:
        raise ValueError(f"unknown noise names {sorted(bad_noise)}")
    return resolved


def noise_texts(spec: ArticleSpec) -> list[str]:
    """Texts the rendered page carries that must NOT end up in the record's body_text."""
    v = page_variant(spec)
    texts = [BLOCK_NOISE[n] for n in BLOCK_NOISE if n in v["noise"]]
    texts += [TRAILING_NOISE[n] for n in TRAILING_NOISE if n in v["noise"]]
    if spec.layout in ("g-article", "g-article-2017"):
        texts.append(COPYRIGHT_TEXT)
    if v["center"]:
        texts.append(CENTER_NOISE)
    return texts


def video_url(spec: ArticleSpec, page_url: str) -> str | None:
    """The media URL a video page's player holds (resolved on the page's URL), else None."""
    src = page_variant(spec)["video"] if spec.layout == "video" else None
    if not src:
        return None
    from urllib.parse import urljoin

    return urljoin(page_url, src)


# ---------------------------------------------------------------------------------------------
# URLs as the page writes them
# ---------------------------------------------------------------------------------------------

def _strip_scheme(url: str) -> str:
    return "//" + url.split("://", 1)[1] if "://" in url else url


def image_origin(spec: ArticleSpec, image_base: str = DEFAULT_IMAGE_BASE) -> str:
    """Origin of the spec's images: image_base, or the old image<N> host on the real site.

    The ``image_host`` knob only applies while image_base is the real image host, so that a
    replica served on loopback keeps every image on its own origin.
    """
    image_base = image_base.rstrip("/")
    host = page_variant(spec)["image_host"]
    parts = urlsplit(image_base)
    if host and parts.hostname == urlsplit(DEFAULT_IMAGE_BASE).hostname:
        return f"{parts.scheme}://{host}"
    return image_base


def image_src(spec: ArticleSpec, src: str, image_base: str = DEFAULT_IMAGE_BASE) -> str:
    """The ``src`` attribute a body image is printed with (``src``: a path or a full URL)."""
    if src.startswith(("http://", "https://", "//")):
        return src
    mode = page_variant(spec)["image_src"]
    if mode == "relative":
        return src
    url = image_origin(spec, image_base) + src
    return _strip_scheme(url) if mode == "protocol-relative" else url


def og_image_url(spec: ArticleSpec, image_base: str = DEFAULT_IMAGE_BASE) -> str | None:
    """Absolute URL of the page-level og:image, or None."""
    path = page_variant(spec)["og_image"]
    if not path:
        return None
    return path if path.startswith(("http://", "https://")) else image_origin(spec, image_base) + path


def body_image_srcs(spec: ArticleSpec) -> list[str]:
    """Image paths of the body in page order: the lead image first."""
    srcs = [spec.lead_image] if spec.lead_image else []
    return srcs + [b.text for b in spec.blocks if b.kind == "img"]


def format_time(value: dt.datetime, sep: str = " ") -> str:
    """Beijing wall-clock time as the site prints it: YYYY-MM-DD HH:MM:SS."""
    return value.astimezone(BEIJING).strftime(f"%Y-%m-%d{sep}%H:%M:%S")


# ---------------------------------------------------------------------------------------------
# Text helpers (also used by spec builders)
# ---------------------------------------------------------------------------------------------

_ENTITIES = {
    "\u201c": "&ldquo;", "\u201d": "&rdquo;", "\u2018": "&lsquo;", "\u2019": "&rsquo;",
    "\u2014": "&mdash;", "\u2026": "&hellip;", "\u00b7": "&middot;",
}


def to_html(text: str) -> str:
    """Plain text as the site's editor writes it: escaped, typographic marks as entities."""
    out = html.escape(text, quote=False)
    for char, entity in _ENTITIES.items():
        out = out.replace(char, entity)
    return out


def inline_html(text: str, phrase: str, tag: str = "strong", href: str | None = None) -> str:
    """``text`` as HTML with the first ``phrase`` wrapped in ``tag`` (``a`` needs ``href``)."""
    before, found, after = text.partition(phrase)
    if not found:
        raise ValueError(f"{phrase!r} not in {text!r}")
    attrs = f' href="{href}" target="_blank"' if tag == "a" else ""
    return f"{to_html(before)}<{tag}{attrs}>{to_html(phrase)}</{tag}>{to_html(after)}"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


# ---------------------------------------------------------------------------------------------
# Page context
# ---------------------------------------------------------------------------------------------

@dataclass
class _Page:
    """What every chrome helper needs: the spec, its knobs and the origins links are made on."""

    spec: ArticleSpec
    v: dict
    site: str          # origin the page's links are written on (absolute or protocol-relative)
    base_url: str      # absolute origin (canonical URLs)
    image_base: str
    rng: random.Random

    def link(self, path: str) -> str:
        return self.site + path

    def article_link(self, article_id: int, created: dt.date | str) -> str:
        return self.link(f"/articles/{created}/{article_id}.html")

    def thumb(self) -> str:
        folder = self.rng.randint(1_000_000, 9_999_999)
        name = "%016x" % self.rng.getrandbits(64)
        return f"{_strip_scheme(self.image_base.rstrip('/'))}/uploads/articles/thumbnails/{folder}/{name}.jpg"


def _make_page(spec: ArticleSpec, base_url: str, image_base: str) -> _Page:
    v = page_variant(spec)
    base_url = base_url.rstrip("/")
    site = _strip_scheme(base_url) if v["links"] == "protocol-relative" else base_url
    return _Page(spec, v, site, base_url, image_base, random.Random(f"nbd-page:{spec.article_id}"))


# ---------------------------------------------------------------------------------------------
# Chrome: head, header, sidebars, footer, scripts
# ---------------------------------------------------------------------------------------------

# Headlines for the related/hot lists of the chrome (never article bodies).
CHROME_HEADLINES = (
    "央行开展逆回购操作 维护银行体系流动性合理充裕",
    "多地出台楼市新政 一线城市成交量环比回升",
    "沪指震荡收涨 半导体板块午后拉升",
    "新能源车企三季度成绩单出炉 多家企业毛利率回升",
    "国常会部署推动消费品以旧换新提质扩容",
    "公募基金降费改革落地 年内让利投资者超百亿元",
    "跨境电商出口持续走强 中小卖家加速布局新兴市场",
    "低空经济迎政策密集期 多地发布产业扶持措施",
    "银行理财规模重回30万亿元 现金管理类产品占比下降",
    "动力电池价格持续下行 产业链利润向下游转移",
    "专访经济学家：明年宏观政策要更加注重惠民生",
    "北交所开市以来融资规模稳步增长 专精特新企业占比超八成",
    "光伏行业加速出清 多家龙头企业宣布减产检修",
    "国产大模型应用落地提速 企业级市场成竞争焦点",
    "保险资金加大权益投资力度 长期资金入市再提速",
    "中欧班列开行量创新高 西部陆海新通道货运量增长",
    "消费金融公司密集增资扩股 行业集中度进一步提升",
    "医药集采续约规则优化 创新药企迎来估值修复",
    "存款利率新一轮下调 大额存单“秒光”现象减少",
    "港股科技股集体走强 南向资金连续多日净买入",
    "制造业PMI重回扩张区间 新订单指数明显回升",
    "航空公司冬春航季计划出炉 国际航线恢复至疫前九成",
    "白酒行业进入深度调整期 渠道库存压力待消化",
    "数据要素市场建设提速 多地数据交易所成交额翻番",
    "多家上市银行中期分红落地 分红总额创历史新高",
    "智能驾驶赛道融资升温 激光雷达厂商加速出海",
    "地方国资频繁出手并购 产业整合进入新阶段",
    "黄金饰品消费降温 金条金豆等投资类产品走俏",
    "快递业务量连续刷新纪录 末端派费调整引关注",
    "文旅消费持续火热 县域旅游成出游新选择",
    "机器人产业链订单饱满 核心零部件国产化率提升",
    "债市震荡加剧 机构提示关注久期风险",
)

_NAV_SECTIONS = ("economy", "stocks", "finance", "industry", "tmt", "money", "auto",
                 "cd", "world", "movie")
_FRONT_COLUMNS = (2, 3, 332, 1161, 1072, 587, 2226, 1320, 79)


_SITE_CSS_BLOCKS = ("g-header", "g-nav", "g-subnav", "g-main", "g-article", "g-article-top",
                    "g-article-abstract", "g-articl-text", "u-aticle-tag", "u-editor", "g-right",
                    "m-hot-list", "m-recommend", "m-hotcomment", "m-video-list", "g-footer",
                    "g-crumbs", "g-ad", "u-news-list", "m-share", "u-qrcode", "m-app-download")
# The generic (unknown) layout: none of the site's class names anywhere.
_PLAIN_CSS_BLOCKS = ("top", "logo", "menu", "sub", "wrap", "main", "info", "content", "side",
                     "foot", "links", "clearfix", "hot", "pic", "list", "share", "banner", "copy",
                     "search", "btn", "tab", "more")


@lru_cache(maxsize=2)
def _css(blocks: tuple[str, ...]) -> str:
    """An inline stylesheet (rules as a CSS build emits them) for the given block classes."""
    rng = random.Random("nbd-css:" + blocks[0])
    elements = ("", " a", " p", " li", " h2", " h3", " span", " img", " .title", " .time",
                " .u-more", " a:hover", " .f-fl", " .f-fr")
    props = ("display:block", "overflow:hidden", "position:relative", "float:left",
             "float:right", "margin:0 auto", "padding:0 14px", "font-size:14px",
             "font-size:16px", "line-height:28px", "color:#333", "color:#999", "color:#c00",
             "border-bottom:1px solid #e5e5e5", "background:#f7f7f7", "text-align:center",
             "white-space:nowrap", "text-overflow:ellipsis", "width:300px", "height:40px",
             "font-weight:bold", "cursor:pointer", "margin-top:20px", "letter-spacing:0.5px")
    rules = []
    for block in blocks:
        for element in elements:
            chosen = rng.sample(props, rng.randint(2, 5))
            rules.append(f".{block}{element}{{{';'.join(chosen)}}}")
    return "\n".join(rules)


def _site_js(page: _Page) -> str:
    """Inline scripts at the page end: site config, analytics, lazy loading."""
    nav = [{"id": cid, "name": name, "section": SECTIONS.get(host) if host else None}
           for cid, (name, host) in COLUMNS.items()]
    config = json.dumps({"site": "每经网", "articleId": page.spec.article_id, "columns": nav,
                         "static": STATIC, "version": "v5.8.3"}, ensure_ascii=False)
    return f"""<script type="text/javascript">
window.NBD_CONFIG = {config};
var _hmt = _hmt || [];
(function() {{
  var hm = document.createElement("script");
  hm.src = "https://hm.baidu.com/hm.js?0f9b9ab1c2bd1e5c4d3a2f6e7c8b9a0d";
  var s = document.getElementsByTagName("script")[0];
  s.parentNode.insertBefore(hm, s);
}})();
(function(){{
  var bp = document.createElement('script');
  var curProtocol = window.location.protocol.split(':')[0];
  bp.src = curProtocol === 'https' ? 'https://zz.bdstatic.com/linksubmit/push.js' : 'http://push.zhanzhang.baidu.com/push.js';
  var s = document.getElementsByTagName("script")[0];
  s.parentNode.insertBefore(bp, s);
}})();
$(function() {{
  $("img[data-aload]").each(function() {{ $(this).attr("src", $(this).attr("data-aload")); }});
  $(".m-share .u-weixin").hover(function() {{ $(".u-qrcode").show(); }}, function() {{ $(".u-qrcode").hide(); }});
  $(".backtop").on("click", function() {{ $("html,body").animate({{scrollTop: 0}}, 300); }});
}});
</script>"""


def _head(page: _Page, title_text: str, extra: str = "", css: tuple[str, ...] = _SITE_CSS_BLOCKS) -> str:
    """<head>: charset, title, Keywords/Description, canonical, og:*, styles, ld+json."""
    spec, v = page.spec, page.v
    canonical = spec.url(page.base_url)
    lines = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>"]
    charset = v["charset"]
    if charset and charset.lower().replace("-", "") == "utf8":
        lines.append(f'<meta charset="{charset}">')
    elif charset:
        lines.append(f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">')
    lines += ['<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">',
              '<meta name="renderer" content="webkit">',
              '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
              f"<title>{_esc(title_text) if v['title_tag'] else ''}</title>"]
    if spec.keywords:
        lines.append(f'<meta name="Keywords" content="{_esc(",".join(spec.keywords))}">')
    if spec.summary:
        lines.append(f'<meta name="Description" content="{_esc(spec.summary)}">')
    if v["canonical"]:
        lines.append(f'<link rel="canonical" href="{_esc(canonical)}">')
        lines.append(f'<meta property="og:url" content="{_esc(canonical)}">')
    lines += ['<meta property="og:type" content="article">',
              f'<meta property="og:title" content="{_esc(spec.title)}">',
              '<meta property="og:site_name" content="每经网">']
    og = og_image_url(spec, page.image_base)
    if og:
        lines.append(f'<meta property="og:image" content="{_esc(og)}">')
    lines += [f'<link rel="shortcut icon" href="{STATIC}/favicon.ico">',
              f'<link rel="stylesheet" href="{STATIC}/v5/css/common.css?v=20240612">',
              f'<link rel="stylesheet" href="{STATIC}/v5/css/article.css?v=20240612">',
              f'<script type="text/javascript" src="{STATIC}/v5/js/jquery-1.12.4.min.js"></script>',
              f"<style type=\"text/css\">\n{_css(css)}\n</style>"]
    if v["ld_json"] and spec.published_at is not None:
        lines.append(_ld_json(page))
    if extra:
        lines.append(extra)
    lines.append("</head>")
    return "\n".join(lines)


def _ld_json(page: _Page) -> str:
    """Baidu "cambrian" ld+json: pubDate (Beijing time, no zone) and a later upDate."""
    spec, v = page.spec, page.v
    sep = v["ld_time_sep"]
    data: dict = {"@context": "https://ziyuan.baidu.com/contexts/cambrian.jsonld"}
    if v["canonical"]:
        data["@id"] = spec.url(page.base_url)
    og = og_image_url(spec, page.image_base)
    data.update({
        "appid": "1577863284567733",
        "title": spec.title,
        "images": [og] if og else [],
        "description": spec.summary or "",
        "pubDate": format_time(spec.published_at, sep),
        "upDate": format_time(spec.published_at + dt.timedelta(minutes=37), sep),
    })
    body = json.dumps(data, ensure_ascii=False, indent=4)
    return f'<script type="application/ld+json">\n{body}\n</script>'


_SITE_NAV_CLASSES = ("g-nav", "f-clearfix", "u-has-sub", "u-subnav")
_PLAIN_NAV_CLASSES = ("menu", "clearfix", "has-sub", "sub")


def _nav(page: _Page, classes: tuple[str, str, str, str] = _SITE_NAV_CLASSES) -> str:
    """Header navigation: front columns, then every section with its columns.

    classes: (nav block, its list, an item with a sub-menu, the sub-menu).
    """
    nav_cls, list_cls, sub_item_cls, sub_cls = classes
    items = [f'<li><a href="{page.link("/")}" target="_blank">首页</a></li>']
    for cid in _FRONT_COLUMNS:
        items.append(f'<li><a href="{page.link(f"/columns/{cid}")}" target="_blank">{COLUMNS[cid][0]}</a></li>')
    for host in _NAV_SECTIONS:
        sub = [f'<a href="{page.link(f"/columns/{cid}")}" target="_blank">{name}</a>'
               for cid, (name, h) in COLUMNS.items() if h == host]
        section_url = f"https://{host}.nbd.com.cn/"
        if page.v["links"] == "protocol-relative":
            section_url = _strip_scheme(section_url)
        items.append(f'<li class="{sub_item_cls}"><a href="{section_url}" target="_blank">{SECTIONS[host]}</a>'
                     f'<div class="{sub_cls}">{"".join(sub)}</div></li>')
    items.append(f'<li><a href="{page.link("/fangchan")}" target="_blank">房产</a></li>')
    items.append('<li><a href="https://live.nbd.com.cn/" target="_blank">快讯</a></li>')
    return f'<div class="{nav_cls}"><ul class="{list_cls}">{"".join(items)}</ul></div>'


def _header(page: _Page) -> str:
    search = page.link("/search/article_search/")
    return f"""<div class="g-topbar"><div class="w1200 f-clearfix">
<span class="f-fl">每日经济新闻旗下网站</span>
<div class="f-fr"><a href="{page.link('/')}">每经网</a><a href="https://m.nbd.com.cn/" target="_blank">手机版</a><a href="https://live.nbd.com.cn/" target="_blank">每经快讯</a><a href="javascript:;" class="u-login">登录</a><a href="javascript:;" class="u-register">注册</a></div>
</div></div>
<div class="g-header"><div class="w1200 f-clearfix">
<a class="u-logo" href="{page.link('/')}"><img src="{STATIC}/v5/images/logo.png" alt="每经网"></a>
<form class="u-search" action="{search}" method="get" target="_blank"><input type="hidden" name="utf8" value="&#x2713;"><input type="text" name="q" placeholder="请输入关键词"><button type="submit">搜索</button></form>
</div>
{_nav(page)}
</div>"""


def _ad(slot: str, size: str = "1200x90") -> str:
    width, height = size.split("x")
    return (f'<div class="g-ad" id="ad_{slot}" style="width:{width}px;height:{height}px">'
            f'<ins class="adsbynbd" data-slot="{slot}" data-size="{size}"></ins>'
            f'<script>(window.nbdAds = window.nbdAds || []).push({{slot: "{slot}"}});</script></div>')


def _related(page: _Page, count: int) -> list[tuple[str, str]]:
    """(link, title) of related articles: the ``related`` knob, else made-up older ones."""
    given = page.v["related"]
    if given:
        return [(page.article_link(r["id"], r["created"]), r["title"]) for r in given[:count]]
    created = page.spec.created
    out = []
    for title in page.rng.sample(CHROME_HEADLINES, count):
        back = page.rng.randint(0, 6)
        article_id = max(1, page.spec.article_id - back * 1300 - page.rng.randint(1, 1200))
        out.append((page.article_link(article_id, created - dt.timedelta(days=back)), title))
    return out


def _news_list(page: _Page, cls: str, heading: str, count: int, with_images: bool = False,
               with_time: bool = False) -> str:
    """One sidebar/related list; images are lazy (data-aload), as on the site."""
    items = []
    for link, title in _related(page, count):
        img = ""
        if with_images:
            attr = page.rng.choice(("data-aload", "data-original", "data-src"))
            img = (f'<a class="u-img" href="{link}" target="_blank"><img src="{STATIC}/v5/images/loading.gif" '
                   f'{attr}="{page.thumb()}" alt="{_esc(title)}"></a>')
        when = f'<span class="u-time">{page.rng.randint(1, 23)}小时前</span>' if with_time else ""
        items.append(f'<li class="u-news-title">{img}<a class="news-title-a" href="{link}" '
                     f'target="_blank" title="{_esc(title)}">{_esc(title)}</a>{when}</li>')
    return (f'<div class="{cls}"><h3 class="title">{heading}<a class="u-more" href="{page.link("/columns/3")}" '
            f'target="_blank">更多</a></h3><ul class="u-news-list">{"".join(items)}</ul></div>')


def _right_column(page: _Page) -> str:
    return "\n".join([
        '<div class="g-right">',
        _ad("article_right_1", "300x250"),
        _news_list(page, "m-hot-list", "24小时热文", 10, with_time=True),
        _news_list(page, "m-recommend", "推荐阅读", 6, with_images=True),
        _ad("article_right_2", "300x250"),
        _news_list(page, "m-hotcomment", "每经热评", 5),
        _news_list(page, "m-video-list", "每经视频", 4, with_images=True),
        f'<div class="m-app-download"><img src="{STATIC}/v5/images/app_qrcode.png" alt="每日经济新闻APP">'
        "<p>扫码下载每日经济新闻APP</p><p>随时随地看财经</p></div>",
        "</div>",
    ])


def _footer(page: _Page, cls: str = "g-footer") -> str:
    links = ("关于我们", "广告服务", "联系我们", "招聘信息", "法律声明", "网站地图", "友情链接", "意见反馈")
    anchors = "".join(f'<a href="{page.link("/corp/" + str(i))}" target="_blank">{t}</a>'
                      for i, t in enumerate(links, 1))
    return f"""<div class="{cls}"><div class="wrap">
<div class="links">{anchors}</div>
<p>每日经济新闻 &copy; 版权所有 违法和不良信息举报电话：028-86516111 举报邮箱：jubao@nbd.com.cn</p>
<p>互联网新闻信息服务许可证：51120190011 增值电信业务经营许可证：川B2-20090067 蜀ICP备09042026号</p>
<p>本网站所刊载信息，不代表每经网观点。刊用本网站稿件，务经书面授权。</p>
<a class="backtop" href="javascript:;">返回顶部</a>
</div></div>"""


def _share(page: _Page) -> str:
    return (f'<div class="m-share f-clearfix"><span>分享到：</span><a class="u-weixin" href="javascript:;">微信</a>'
            '<a class="u-weibo" href="javascript:;" data-share="weibo">微博</a>'
            f'<div class="u-qrcode" style="display:none"><img src="{STATIC}/v5/images/qr_loading.png" alt="">'
            "<p>打开微信，点击底部的“发现”，使用“扫一扫”即可将网页分享至朋友圈。</p></div></div>")


# ---------------------------------------------------------------------------------------------
# Body
# ---------------------------------------------------------------------------------------------

def _image(page: _Page, src: str, caption: str | None = None) -> str:
    shown = image_src(page.spec, src, page.image_base)
    attr = "alt_src" if page.v["partner_markup"] else "src"   # partner copies: alt_src, no src
    if page.v["center"]:
        out = f'<!-- 正文图片 -->\n<center><img {attr}="{_esc(shown)}" alt="" /></center>'
    else:
        out = f'<!-- 正文图片 -->\n<p style="text-align: center;"><img {attr}="{_esc(shown)}" alt="" /></p>'
    if caption:
        out += f'\n<p style="text-align: center;">{to_html(caption)}</p>'
    return out


def _block(page: _Page, block: Block) -> str:
    indent = _INDENTS[page.v["indent"]]
    if block.kind == "p":
        inner = (block.html or to_html(block.text)).replace("{base}", page.site)
        return f"<p>{indent}{inner}</p>"
    if block.kind == "h2":
        return f"<h2>{to_html(block.text)}</h2>"
    if block.kind == "hp":
        return f"<p><strong>{to_html(block.text)}</strong></p>"
    if block.kind == "img":
        return _image(page, block.text, block.caption)
    if block.kind == "ul":
        return "<ul>" + "".join(f"<li>{to_html(i)}</li>" for i in block.items) + "</ul>"
    if block.kind == "table":
        rows = "".join("<tr>" + "".join(f"<td>{to_html(c)}</td>" for c in row) + "</tr>"
                       for row in block.rows)
        return f'<table border="1" cellspacing="0" cellpadding="0"><tbody>{rows}</tbody></table>'
    if block.kind == "quote":
        return f"<blockquote><p>{to_html(block.text)}</p></blockquote>"
    raise ValueError(f"unknown block kind {block.kind!r}")


def _block_noise(page: _Page, name: str) -> str:
    """Markup of one in-body noise block (see BLOCK_NOISE)."""
    spec = page.spec
    if name == "mzsm":
        return (f'<div class="nbd-mzsm"><p class="u-mzsm-title">免责声明</p>'
                f"<p>{BLOCK_NOISE['mzsm']}。投资有风险，入市需谨慎。</p></div>")
    if name == "more-read":
        links = "".join(f'<li><a href="{link}" target="_blank">{_esc(t)}</a></li>'
                        for link, t in _related(page, 3))
        return (f'<div class="n-on-h-more-read"><p class="u-more-title">{BLOCK_NOISE["more-read"]}</p>'
                f"<ul>{links}</ul></div>")
    if name == "more-read-a":
        (link, title), = _related(page, 1)
        return (f'<div class="n-on-h-more-read-a"><span>{BLOCK_NOISE["more-read-a"]}</span>'
                f'<a href="{link}" target="_blank">{_esc(title)}</a></div>')
    if name == "script":
        return (f'<script type="text/javascript">var {BLOCK_NOISE["script"]} = {{id: {spec.article_id}, '
                f'column: {spec.column_id or 0}, from: "pc"}};</script>')
    if name == "style":
        return f'<style type="text/css">{BLOCK_NOISE["style"]}{{max-width:100%;height:auto}}</style>'
    if name == "hidden":
        return (f'<div style="display:none"><img src="https://stat.nbd.com.cn/pv.gif?aid={spec.article_id}" alt="">'
                f'<span>{BLOCK_NOISE["hidden"]}</span></div>')
    raise ValueError(name)


def _byline_printed(spec: ArticleSpec) -> bool:
    """The byline gets its own paragraph unless the first paragraph already starts with it
    (每经AI快讯，...: that paragraph is article text and carries the byline)."""
    if not spec.byline:
        return False
    first = next((b for b in spec.blocks if b.kind == "p"), None)
    return not (first and first.text.startswith(spec.byline))


def _body(page: _Page) -> str:
    """Inner HTML of the body: lead image, byline, blocks, noise in the places the site puts it."""
    spec, noise = page.spec, page.v["noise"]
    out = []
    if spec.lead_image:
        out.append(_image(page, spec.lead_image))
    out.append("<!-- 正文 -->")
    if "style" in noise:
        out.append(_block_noise(page, "style"))
    if _byline_printed(spec):
        out.append(f"<p>{_esc(spec.byline)}</p>")
    # Mid-body noise goes after these block indexes (spread over the text, never at the start).
    n = len(spec.blocks)
    mid = {"more-read": n // 3, "script": n // 2, "hidden": (2 * n) // 3}
    for i, block in enumerate(spec.blocks):
        out.append(_block(page, block))
        out += [_block_noise(page, name) for name, at in mid.items() if at == i and name in noise]
    for name, text in TRAILING_NOISE.items():
        if name in noise:
            out.append(f"<p>{_esc(text)}</p>")
            if name == "qrcode":
                out.append(f'<p style="text-align: center;"><img src="{QRCODE_IMAGE}" alt="" /></p>')
    if page.v["center"]:
        out.append(f'<center><a href="{page.link("/columns/332")}" target="_blank">{CENTER_NOISE}</a></center>')
    if page.v["partner_markup"]:
        out.append(f'<p><img src="{PARTNER_PROMO_IMAGE}" alt="" /></p>')
    out.append("<!-- 页数 -->")
    if page.spec.layout != "generic":                 # the site's (empty) pagination block
        out.append('<div class="u-page"></div>')
    out += [_block_noise(page, name) for name in ("mzsm", "more-read-a") if name in noise]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Layouts
# ---------------------------------------------------------------------------------------------

def _crumbs(page: _Page, cls: str = "g-crumbs") -> str:
    """Breadcrumb; names the column with a.u-column when the ``column_link`` knob is on."""
    parts = [f'<a href="{page.link("/")}">首页</a>']
    cid = page.spec.column_id
    if page.v["column_link"] and cid in COLUMNS:
        href = page.base_url + f"/columns/{cid}"
        parts.append(f'<a class="u-column" href="{href}" target="_blank">{COLUMNS[cid][0]}</a>')
    parts.append("<span>正文</span>")
    return f'<div class="{cls}">{" &gt; ".join(parts)}</div>'


def _h1(page: _Page) -> str:
    comment = "<!-- <span class=\"u-original\">原创</span> -->\n" if page.v["h1_comment"] else ""
    return f"<h1>\n{comment}{_esc(page.spec.title)}\n</h1>"


def _time_text(spec: ArticleSpec) -> str:
    return f"\n                {format_time(spec.published_at)}\n            " if spec.published_at else ""


def _g_article(page: _Page) -> str:
    spec, v = page.spec, page.v
    meta = []
    if spec.source:
        meta.append(f'<span class="source">{_esc(spec.source)}</span>')
    if v["span_time"] and spec.published_at:
        meta.append(f'<span class="time">{_time_text(spec)}</span>')
    abstract = (f'<div class="g-article-abstract"><p>{_esc(spec.summary)}</p></div>'
                if spec.summary else "")
    tags = ("<div class=\"u-aticle-tag\">" + "".join(f"<span>{_esc(t)}</span>" for t in spec.tags) + "</div>"
            if spec.tags else "")
    editor = (f'<div class="u-editor"><span>责编 {_esc(spec.page_editor)}</span></div>'
              if spec.page_editor else "")
    article = "\n".join([
        '<div class="g-article">',
        f'<div class="g-article-top">{_h1(page)}<p class="u-time">{"".join(meta)}</p></div>',
        abstract,
        f'<div class="g-articl-text">\n{_body(page)}\n</div>',
        f'<div class="articleCopyright"><p>{COPYRIGHT_TEXT}</p></div>',
        tags, editor, _share(page),
        "</div>",
    ])
    body = "\n".join([
        "<body>", _header(page), _ad("article_top"),
        '<div class="g-main w1200 f-clearfix">',
        '<div class="g-article-left">', _crumbs(page), article,
        _news_list(page, "m-related", "相关文章", 8, with_images=True),
        _ad("article_bottom", "860x90"),
        "</div>",
        _right_column(page),
        "</div>",
        _footer(page), _site_js(page),
        "</body>", "</html>",
    ])
    return _head(page, f"{spec.title} | 每经网") + "\n" + body


def _m_article_box(page: _Page) -> str:
    """The other template (sister site style): m-articleBox / m-creatTime / m-articleContent."""
    spec, v = page.spec, page.v
    meta, source_box = [], ""
    style = v["box_meta"]
    if spec.source and style == "mrjjxw":
        source_box = f'<div class="u-source"><span>{_esc(spec.source)}</span></div>'
    elif spec.source:
        meta.append(f'<span class="u-clomun">{_esc(spec.source)}</span>' if style == "classed"
                    else f"<span>{_esc(spec.source)}</span>")
    elif style == "plain":
        meta.append("<span></span>")  # the time stays the second span
    if v["span_time"] and spec.published_at:
        meta.append(f"<span>{_time_text(spec)}</span>" if style == "plain"
                    else f'<span class="u-articleTime">{_time_text(spec)}</span>')
    body = "\n".join([
        "<body>", _header(page),
        '<div class="m-main w1200 f-clearfix"><div class="m-left">',
        _crumbs(page, "m-crumbs"),
        '<div class="m-articleBox">',
        _h1(page),
        f'<div class="m-creatTime">{"".join(meta)}</div>{source_box}',
        f'<div class="m-articleContent">\n{_body(page)}\n</div>',
        _share(page),
        "</div>",
        _news_list(page, "m-related", "相关新闻", 8, with_images=True),
        "</div>",
        _right_column(page),
        "</div>",
        _footer(page), _site_js(page),
        "</body>", "</html>",
    ])
    return _head(page, f"{spec.title} - 每日经济新闻") + "\n" + body


def _generic(page: _Page) -> str:
    """An unknown layout: no site classes, a title, a visible date and the body paragraphs."""
    spec = page.spec
    when = ""
    if spec.published_at and page.v["span_time"]:
        iso = spec.published_at.astimezone(BEIJING).isoformat()
        when = f'<time datetime="{iso}">{format_time(spec.published_at)}</time>'
    extra = (f'<meta property="article:published_time" content="{spec.published_at.astimezone(BEIJING).isoformat()}">'
             if spec.published_at and page.v["span_time"] else "")
    related = "".join(f'<li><a href="{link}">{_esc(t)}</a></li>' for link, t in _related(page, 10))
    body = "\n".join([
        "<body>",
        f'<div class="top"><div class="wrap"><a class="logo" href="{page.link("/")}">每经网</a>',
        _nav(page, _PLAIN_NAV_CLASSES),
        "</div></div>",
        '<div class="wrap clearfix"><div class="main">',
        "<article>",
        f"<h1>{_esc(spec.title)}</h1>",
        f'<div class="info">{when}</div>',
        f'<div class="content">\n{_body(page)}\n</div>',
        "</article>",
        "</div>",
        f'<aside class="side"><h3>相关阅读</h3><ul>{related}</ul></aside>',
        "</div>",
        _footer(page, "foot"), _site_js(page),
        "</body>", "</html>",
    ])
    return _head(page, f"{spec.title}_每经网", extra, _PLAIN_CSS_BLOCKS) + "\n" + body


def _body_without_byline(page: _Page) -> str:
    """The body of a template that prints the reporters in its time line, not in the body."""
    import dataclasses

    return _body(dataclasses.replace(page, spec=dataclasses.replace(page.spec, byline=None)))


def _minute(spec: ArticleSpec, fmt: str) -> str:
    return spec.published_at.astimezone(BEIJING).strftime(fmt) if spec.published_at else ""


def _article_wrapper(page: _Page) -> str:
    """The 2012-13 template (NOTES, second survey): crumb, title, time line, digest, body, info."""
    spec, v = page.spec, page.v
    cid = spec.column_id
    column = (f'<a href="{page.link(f"/columns/{cid}")}">{COLUMNS[cid][0]}</a>'
              if v["column_link"] and cid in COLUMNS else "")
    crumb = (f'<ul id="crumb"><li><a href="{page.link("/")}">首页</a></li>'
             + (f"<li>&gt; {column}</li>" if column else "") + "<li>&gt; 正文</li></ul>")
    line = []
    if spec.byline:
        line.append(_esc(spec.byline))
    if v["span_time"] and spec.published_at:
        line.append(f"<span>{_minute(spec, '%Y-%m-%d %H:%M')}</span>")
    if spec.source:
        line.append(f"来源: {_esc(spec.source)}")
    digest = (f'<div id="articleDigest"><strong>核心提示：</strong>{_esc(spec.summary)}</div>'
              if spec.summary else "")
    info = []
    if column:
        info.append(f'<span class="articleColumns">归类于: {column}</span>')
    if spec.page_editor:
        info.append(f"<span>责任编辑: {_esc(spec.page_editor)}</span>")
    body = "\n".join([
        "<body>", _header(page),
        '<div class="mainWrapper">', crumb,
        '<div class="articleWrapper">',
        f'<h2 class="articleTitle">{_esc(spec.title)}</h2>',
        f'<p class="articleTime">{"&nbsp;&nbsp;".join(line)}</p>',
        digest,
        f'<div id="articleContent">\n{_body_without_byline(page)}\n</div>',
        f'<div class="articleInfo">{"".join(info)}</div>',
        "</div>",
        _right_column(page),
        "</div>",
        _footer(page), _site_js(page),
        "</body>", "</html>",
    ])
    return _head(page, f"{spec.title}-每经网") + "\n" + body


def _nbd_con(page: _Page) -> str:
    """The template of about 2018: div.nbd-con > h1, p.article-meta > small, blockquote body;
    a video page has the player #vedioPlayer above its description."""
    spec, v = page.spec, page.v
    small = " ".join(x for x in (_esc(spec.source or ""),
                                 _minute(spec, "%m-%d %H:%M") if v["span_time"] else "") if x)
    player = ""
    if spec.layout == "video":
        media = v["video"] or ""
        if media and not media.startswith(("http://", "https://", "//")):
            media = page.link(media)
        poster = page.thumb()
        player = (f'<div id="vedioPlayer" class="nbd-video"><video src="{_esc(media)}" poster="{poster}" '
                  'controls="controls" preload="none">您的浏览器不支持视频播放</video></div>')
    body = "\n".join([
        "<body>", _header(page),
        '<div class="nbd-main w1200 f-clearfix"><div class="nbd-left">',
        _crumbs(page),
        '<div class="nbd-con">',
        _h1(page),
        f'<p class="article-meta"><small>{small}</small></p>',
        player,
        f"<blockquote>\n{_body(page)}\n</blockquote>",
        "</div>",
        _share(page),
        _news_list(page, "m-related", "相关新闻", 8, with_images=True),
        "</div>",
        _right_column(page),
        "</div>",
        _footer(page), _site_js(page),
        "</body>", "</html>",
    ])
    return _head(page, f"{spec.title} | 每经网") + "\n" + body


_RENDERERS = {
    "articleWrapper-2012": _article_wrapper,
    "nbd-con-2018": _nbd_con,
    "video": _nbd_con,
    "g-article": _g_article,
    "g-article-2017": _g_article,   # same template; the differences are knobs and block kinds
    "m-articleBox": _m_article_box,
    "generic": _generic,
}


def render_article(spec: ArticleSpec, base_url: str = DEFAULT_BASE_URL,
                   image_base: str = DEFAULT_IMAGE_BASE) -> str:
    """One whole article page for ``spec`` in ``spec.layout`` (a str; encode it for charsets).
    An article over several pages (``spec.pages``): its page 1 (see render_article_page)."""
    if spec.pages > 1:
        return render_article_page(spec, 1, base_url, image_base)
    page = _make_page(spec, base_url, image_base)
    return _RENDERERS[spec.layout](page)


def encode_page(page_html: str, encoding: str) -> bytes:
    """The page as bytes in ``encoding`` (strict: every character must be encodable)."""
    return page_html.encode(encoding)


# ---------------------------------------------------------------------------------------------
# Pages that are not articles (for the evaluation of failures)
# ---------------------------------------------------------------------------------------------

def _column_list_main(page: _Page, column_id: int) -> tuple[str, str]:
    """A column list page (NOTES "Column page"): one div.m-list per day, newest first."""
    name = COLUMNS.get(column_id, ("要闻", None))[0]
    days = []
    for back in range(3):
        day = page.spec.created - dt.timedelta(days=back)
        items = ""
        for link, title in _related(page, 8):
            shown = dt.time(page.rng.randint(8, 22), page.rng.randint(0, 59), page.rng.randint(0, 59))
            items += (f'<li class="u-news-title"><a class="news-title-a" href="{link}" target="_blank">'
                      f"{_esc(title)}</a><span>{shown:%H:%M:%S}</span></li>")
        days.append(f'<div class="m-list"><p class="u-channeltime">{day}</p><ul class="u-news-list">{items}</ul></div>')
    main = (f'<div class="g-main w1200 f-clearfix"><div class="g-list-left"><h2 class="u-channel-name">{name}</h2>'
            f'<div class="g-list-text">{"".join(days)}</div>'
            f'<a class="u-loadmore" href="javascript:;" data-column="{column_id}">加载更多</a></div>'
            f"{_right_column(page)}</div>")
    return f"{name} | 每经网", main


def _not_found_main(page: _Page, column_id: int) -> tuple[str, str]:
    main = ('<div class="g-main w1200 f-clearfix"><div class="m-404"><h2>抱歉，您访问的页面不存在或已被删除</h2>'
            f'<p>可能是网址有误，或者该内容已下线。<a href="{page.link("/")}">返回首页</a></p></div>'
            f"{_right_column(page)}</div>")
    return "404 页面不存在 | 每经网", main


def _empty_main(page: _Page, column_id: int) -> tuple[str, str]:
    return "", '<div class="g-main w1200 f-clearfix"><div class="g-article-left"></div></div>'


_NON_ARTICLES = {"column": _column_list_main, "404": _not_found_main, "empty": _empty_main}


def render_non_article(kind: str, base_url: str = DEFAULT_BASE_URL, column_id: int = 3,
                       seed: int = 0) -> str:
    """A page an article URL may answer with that holds no article, in the site chrome.

    kind: "column" (a column list page: div.g-list-text / ul.u-news-list, as in the notes),
    "404" (the site's not-found page) or "empty" (chrome only: no title, no h1, no body).
    """
    if kind not in _NON_ARTICLES:
        raise ValueError(f"unknown kind {kind!r}")
    spec = ArticleSpec(article_id=seed + 1, created=dt.date(2024, 12, 1), title="",
                       published_at=None, byline=None, authors=[], editor=None, column_id=column_id,
                       variant={"canonical": False, "ld_json": False, "title_tag": kind != "empty"})
    page = _make_page(spec, base_url, DEFAULT_IMAGE_BASE)
    title, main = _NON_ARTICLES[kind](page, column_id)
    body = "\n".join(["<body>", _header(page), main, _footer(page), _site_js(page), "</body>", "</html>"])
    return _head(page, title) + "\n" + body


# ---------------------------------------------------------------------------------------------
# Articles over several pages
# ---------------------------------------------------------------------------------------------

_EMPTY_PAGER = '<!-- 页数 -->\n<div class="u-page"></div>'


def page_blocks(spec: ArticleSpec, number: int) -> list[Block]:
    """The blocks page ``number`` of ``spec`` shows: the body cut into ``spec.pages`` runs of
    nearly equal length, in order (page 1 gets the extra ones)."""
    n, count = len(spec.blocks), max(spec.pages, 1)
    size, extra = divmod(n, count)
    start = (number - 1) * size + min(number - 1, extra)
    return list(spec.blocks[start:start + size + (1 if number <= extra else 0)])


def pager_html(spec: ArticleSpec, number: int) -> str:
    """The site's pager (notes: ``div.paginationWrapper > div.pagination``; 上一页, the page
    numbers, 下一页; ``<b>N</b>`` for the current page), with links by absolute path."""
    from newscrawler.nbd.site import article_page_url

    def href(n: int) -> str:
        return article_page_url(spec.article_id, spec.created.isoformat(), n, "")

    parts = [f'<a href="{href(number - 1)}">上一页</a>' if number > 1 else "<span>上一页</span>"]
    parts += [f"<b>{n}</b>" if n == number else f'<a href="{href(n)}">{n}</a>' for n in range(1, spec.pages + 1)]
    parts.append(f'<a href="{href(number + 1)}">下一页</a>' if number < spec.pages else "<span>下一页</span>")
    return f'<div class="paginationWrapper"><div class="pagination">{" ".join(parts)}</div></div>'


def render_article_page(spec: ArticleSpec, number: int, base_url: str = DEFAULT_BASE_URL,
                        image_base: str = DEFAULT_IMAGE_BASE) -> str:
    """Page ``number`` of an article that runs over ``spec.pages`` pages: the same page around
    that page's share of the body, the byline and lead image on page 1 only, and the pager
    after ``<!-- 页数 -->``. A one-page spec renders as :func:`render_article`."""
    if spec.pages <= 1:
        return render_article(spec, base_url, image_base)
    if not 1 <= number <= spec.pages:
        raise ValueError(f"article {spec.article_id} has no page {number}")
    if spec.layout == "generic":
        raise ValueError("the generic layout has no pager")
    first = number == 1
    shown = dataclasses.replace(spec, blocks=page_blocks(spec, number), pages=1,
                                byline=spec.byline if first else None,
                                lead_image=spec.lead_image if first else None)
    page = render_article(shown, base_url, image_base)
    assert _EMPTY_PAGER in page, "the body's pagination block moved"
    return page.replace(_EMPTY_PAGER, "<!-- 页数 -->\n" + pager_html(spec, number), 1)


def render_article_pages(spec: ArticleSpec, base_url: str = DEFAULT_BASE_URL,
                         image_base: str = DEFAULT_IMAGE_BASE) -> list[str]:
    """Every page of ``spec``, in order."""
    return [render_article_page(spec, n, base_url, image_base) for n in range(1, max(spec.pages, 1) + 1)]
