"""The evaluation set: replica pages with the record the extractor must give back.

Every case is built from an :class:`ArticleSpec` (the truth), rendered by
:mod:`nbd_replica.pages`, and paired with :func:`expected_record`. The facts come from
``shared/nbd-site/NOTES.md`` only; where the notes leave an expectation open, the convention
chosen here is stated once, below, and applied everywhere.

Conventions (where the notes are silent):

* ``body_text``: one line per paragraph, sub-heading, list item and table row (cells joined
  by a tab); an image caption is a line of its own (it is printed text of the article); the
  byline paragraph is not body text, except ``每经AI快讯，...`` whose paragraph is the news.
* ``images``: body images in page order, the lead image first, resolved against the URL the
  page was fetched at (so protocol-relative and relative ``src`` follow that page's scheme and
  host). Chrome images (lazy ``data-aload`` lists, logos, the QR code after "扫描下方二维码",
  analytics pixels) are not images of the article.
* ``thumbnail_url``: the first image, else the page-level ``og:image``, else None.
* ``summary``: ``div.g-article-abstract > p``; the ``Description`` meta carries the same text
  and is absent when an article has no summary.
* ``column`` / ``category`` (see :func:`classify`): the column is named by the page's
  ``.u-column`` link, else by the column the crawl found the article in (``column_hint``);
  the category is the section of that column, else the section host the page was fetched on
  (stocks.nbd.com.cn -> 证券), else None. Each field takes the first source that gives a value.
* ``url``: always ``{base_url}/articles/<created>/<id>.html``. A partner copy
  (``/rss/<partner>/articles/<id>.html``) has no date: with ``<link rel=canonical>`` the date
  comes from there (and may differ from the publish date); without it the created date of the
  case equals the Beijing date of the publish time, so the expectation is well defined.
* ``published_at``: the page's Beijing time in UTC. When the page shows no time at all, the URL
  date at 00:00 Beijing time, with a warning. A publish date more than 2 days from the URL date
  also gives a warning (the notes allow a day of difference).

Keys of ``EvalCase.expected``: record fields are compared for equality; these are special:
``error`` (True: the extractor must raise / reject the page), ``reason`` (with ``error``: the
rejection's code), ``body_startswith`` (body_text
starts with it), ``body_excludes`` (texts that must not be in body_text: the page's noise),
``warnings_contain`` (a case-insensitive substring of one of ``extraction["warnings"]``).
Broken pages carry only the keys that can be expected of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import zlib
from dataclasses import dataclass

from newscrawler.nbd.site import DEFAULT_BASE_URL
from nbd_replica.corpus import (
    EDITORS, TAGGED_LAYOUTS, Story, ai_story, beijing_at,
    commentary_story, compose, id_for_date, make_byline,
)
from nbd_replica.expected import classify, expected_record
from nbd_replica.pages import (
    ALL_NOISE,
    encode_page,
    page_variant,
    render_article,
    render_non_article,
    to_html,
)
from nbd_replica.spec import ArticleSpec, Block


# =============================================================================================
# Evaluation cases
# =============================================================================================


@dataclass
class EvalCase:
    """One page to extract and what must come out of it (see the module doc for the keys)."""

    name: str
    spec: ArticleSpec | None
    page_url: str
    html: str | bytes
    column_hint: int | None
    expected: dict
    notes: str = ""




def _spec(name: str, created: dt.date, *, section: str = "公司", layout: str = "g-article",
          when: tuple[int, int, int] | dt.datetime | None = (9, 30, 0), byline_style: str | None = "pipe",
          page_editor: str | bool | None = True, column_id: int | None = None, source: str | None = "每日经济新闻",
          paragraphs: int = 6, images: int = 1, extras: tuple[str, ...] = (), summary: bool = True,
          story: Story | None = None, **variant) -> ArticleSpec:
    """An evaluation spec; the case name seeds its text and its id (ids are unique site-wide,
    so cases created the same day get different ids: an offset below 997 drawn from the name;
    test_replica_pages checks there is no collision).

    page_editor: True = the byline's editor or a drawn one; a name; None/False = no 责编 line.
    ``variant`` holds render knobs (see pages.VARIANT_DEFAULTS).
    """
    rng = random.Random(f"eval:{name}")
    heading = {"g-article": "h2", "generic": "h2"}.get(layout, "hp")
    if story is None:
        if byline_style == "ai":
            story = ai_story(rng, created)
        elif byline_style in ("commentator", "special"):
            story = commentary_story(rng, created)
        else:
            story = compose(rng, section, created, paragraphs=paragraphs, images=images,
                            heading=heading, extras=extras)
    byline, authors, editor = make_byline(byline_style, rng) if byline_style else (None, [], None)
    if page_editor is True:
        page_editor = editor or rng.choice(EDITORS)
    page_editor = page_editor or None
    if layout in ("m-articleBox", "generic", "nbd-con-2018", "video"):
        page_editor = None                       # those templates have no 责编 line
    published = beijing_at(created, *when) if isinstance(when, tuple) else when
    return ArticleSpec(
        article_id=id_for_date(created, zlib.crc32(name.encode()) % 997), created=created, title=story.title,
        published_at=published, byline=byline, authors=authors, editor=editor or page_editor,
        source=source, column_id=column_id, tags=story.tags if layout in TAGGED_LAYOUTS else [],
        keywords=story.keywords if layout != "generic" else [],
        summary=story.summary if summary and layout != "generic" else None,
        blocks=story.blocks, layout=layout, variant=dict(variant), page_editor=page_editor,
    )


def _case(name: str, spec: ArticleSpec, notes: str, *, page_url: str | None = None,
          column_hint: int | None = None, base_url: str = DEFAULT_BASE_URL) -> EvalCase:
    """Render ``spec`` for the page URL, fixing its category/column by :func:`classify`."""
    page_url = page_url or spec.url(base_url)
    link = spec.column_id if page_variant(spec)["column_link"] else None
    category, column = classify(link, column_hint, page_url)
    spec = dataclasses.replace(spec, category=category, column=column)
    return EvalCase(name, spec, page_url, render_article(spec, base_url), column_hint,
                    expected_record(spec, base_url, page_url=page_url), notes)


def _partner_url(partner: str, spec: ArticleSpec) -> str:
    return f"http://www.nbd.com.cn/rss/{partner}/articles/{spec.article_id}.html"


def _story_2012() -> Story:
    """June 2012: the central bank's first rate cut of the year (a hand-written old article)."""
    paras = [
        "中国人民银行6月7日晚间宣布，自2012年6月8日起下调金融机构人民币存贷款基准利率。金融机构一年期存款基准利率下调0.25个百分点，一年期贷款基准利率下调0.25个百分点，其他各档次存贷款基准利率及个人住房公积金存贷款利率相应调整。",
        "这是央行三年多来首次降息。此前，央行已于去年12月和今年2月、5月三次下调存款准备金率。",
        "“此次降息超出了市场的普遍预期，显示出决策层稳增长的决心。”一位券商首席经济学家对《每日经济新闻》记者表示，5月份的经济数据可能不太理想，降息有助于降低企业融资成本。",
        "同时，央行宣布将金融机构存款利率浮动区间的上限调整为基准利率的1.1倍，将贷款利率浮动区间的下限调整为基准利率的0.8倍。",
        "分析人士认为，存款利率上浮空间的打开，意味着利率市场化改革迈出了重要一步，银行之间的存款竞争将更加激烈，中小银行的息差可能因此收窄。",
        "受降息消息提振，8日早盘A股高开，银行、地产板块一度走强，但随后涨幅收窄，市场对经济前景仍存担忧。",
    ]
    blocks = [Block("p", t) for t in paras]
    blocks.insert(3, Block("hp", "存贷款利率浮动区间扩大"))
    return Story("央行三年来首次降息 存款利率可上浮至基准1.1倍", None, blocks,
                  ["降息", "央行", "利率市场化"], ["降息", "央行", "存贷款基准利率"])


def _story_twosessions() -> Story:
    """March 2021: the government work report at the NPC session (全国两会)."""
    paras = [
        "3月5日上午，十三届全国人大四次会议在人民大会堂开幕。政府工作报告提出，今年国内生产总值增长6%以上，城镇新增就业1100万人以上，城镇调查失业率5.5%左右。",
        "“6%以上的目标并不算高，这为推进改革、调整结构留出了空间，也为应对不确定性留有余地。”一位全国人大代表在会场外接受《每日经济新闻》记者采访时表示。",
        "记者注意到，今年的政府工作报告对科技创新着墨颇多，提出要强化国家战略科技力量，实施基础研究十年行动方案，中央本级基础研究支出增长10.6%。",
        "在宏观政策方面，报告明确，积极的财政政策要提质增效、更可持续，赤字率拟按3.2%左右安排；稳健的货币政策要灵活精准、合理适度。",
        "多位代表委员表示，“十四五”开局之年，宏观政策保持连续性、稳定性、可持续性，不急转弯，有利于稳定市场主体预期，巩固经济恢复的基础。",
    ]
    blocks = [Block("p", t) for t in paras]
    blocks.insert(2, Block("h2", "为改革和结构调整留出空间"))
    blocks.insert(5, Block("img", "/uploads/articles/images/2021030566/4f1c0e9a7b3d2c18.jpg",
                           caption="图片来源：每经记者 张建 摄"))
    return Story("政府工作报告：今年GDP增长预期目标6%以上 代表委员称为高质量发展留出空间",
                  "政府工作报告提出今年国内生产总值增长6%以上，代表委员认为，这一目标为推进改革、调整结构留出了空间。",
                  blocks, ["全国两会", "政府工作报告", "GDP"], ["全国两会", "政府工作报告", "GDP目标"])


def _story_xinhua(created: dt.date) -> Story:
    """A reprint from 新华社: no byline; the dateline paragraph is article text."""
    paras = [
        f"新华社北京{created.month}月{created.day}日电 国务院新闻办公室{created.day}日举行新闻发布会，介绍前三季度工业和信息化发展情况。前三季度，全国规模以上工业增加值同比增长5.8%，制造业增加值占国内生产总值比重保持基本稳定。",
        "工业和信息化部新闻发言人表示，下一步将着力推动传统产业改造提升，加快培育新兴产业和未来产业，持续推进新型工业化。",
        "发布会上，有关负责人介绍，前三季度装备制造业增加值同比增长7.6%，对全部规上工业增长的贡献率超过四成，其中电子、汽车、铁路船舶航空航天等行业增长较快。",
        "在中小企业发展方面，截至目前，我国已累计培育专精特新中小企业超过14万家，专精特新“小巨人”企业1.46万家。",
    ]
    return Story("前三季度规上工业增加值同比增长5.8% 装备制造业贡献率超四成",
                  "前三季度，全国规模以上工业增加值同比增长5.8%，装备制造业对全部规上工业增长的贡献率超过四成。",
                  [Block("p", t) for t in paras], ["工业经济", "专精特新"], ["工业增加值", "新型工业化"])


def evaluation_set() -> list[EvalCase]:
    """The evaluation cases (well-formed pages); :func:`broken_pages` has the failures."""
    d2026, d2024, d2023 = dt.date(2026, 9, 8), dt.date(2024, 12, 3), dt.date(2023, 2, 14)
    cases: list[EvalCase] = []
    add = cases.append

    # --- the current PC template, all parts --------------------------------------------------
    s = _spec("g-article-full-2026", d2026, section="证券", column_id=275, images=2,
              extras=("list",), noise=("script", "hidden", "more-read", "mzsm", "toutiao", "disclaimer"))
    add(_case("g-article-full-2026", s, "Current PC page with ld+json, abstract, tags, 责编 and the "
              "default noise; column from the crawl's hint (A股动态 -> 证券).", column_hint=275))

    # --- every byline spelling ---------------------------------------------------------------
    story = _story_twosessions()
    s = _spec("byline-twosessions-2021", dt.date(2021, 3, 5), when=(11, 42, 16), byline_style="twosessions",
              column_id=3, story=story)
    s = dataclasses.replace(s, byline="每经记者 冯彪 全国两会现场报道 每经编辑 陈星", authors=["冯彪"],
                            editor="陈星", page_editor="陈星")
    add(_case("byline-twosessions-2021", s, "Byline '每经记者 冯彪 全国两会现场报道 每经编辑 陈星': "
              "authors [冯彪] (the event tag is not a name), editor 陈星. Column 要闻 from the hint, "
              "no section (category None).", column_hint=3))

    s = _spec("byline-multi-reporters-2023", d2023, section="TMT", when=(20, 5, 33), column_id=448)
    s = dataclasses.replace(s, byline="每经记者 胥帥 朱成祥 黄鑫磊 每经编辑 陈俊杰",
                            authors=["胥帥", "朱成祥", "黄鑫磊"], editor="陈俊杰", page_editor="陈俊杰")
    add(_case("byline-multi-reporters-2023", s, "Three reporters then 每经编辑; 胥帥 has a traditional "
              "character. Column 互联网 from the hint.", column_hint=448))

    s = _spec("byline-pipe-editor-line", d2024, section="金融", byline_style="pipe", page_editor="何雅婷",
              column_id=415)
    add(_case("byline-pipe-editor-line", s, "'每经记者｜X' (full-width bar) names no editor: the editor "
              "comes from the page-end line '责编 何雅婷'.", column_hint=415))

    s = _spec("byline-colon-no-editor", d2024, section="理财", byline_style="colon", page_editor=None,
              column_id=441, when=(16, 20, 5))
    add(_case("byline-colon-no-editor", s, "'每经记者：X' and no 责编 line anywhere: editor None.",
              column_hint=441))

    s = _spec("byline-jizhe-reprint", d2024, section="宏观", byline_style="jizhe", source="央视新闻",
              column_id=313, when=(7, 58, 40), summary=False)
    add(_case("byline-jizhe-reprint", s, "'记者 X' on a reprint: span.source is 央视新闻, not 每日经济新闻; "
              "no abstract (summary None).", column_hint=313))

    s = _spec("byline-special-commentator", d2024, byline_style="special", column_id=1072, column_link=True,
              when=(22, 10, 0))
    add(_case("byline-special-commentator", s, "'每经特约评论员 X' -> authors [X]; column 每经热评 named by "
              "the .u-column link: a site-wide column, its label 评论 is the category; editor from 责编."))

    s = _spec("byline-commentator", d2023, byline_style="commentator", column_id=1072, when=(23, 1, 9))
    add(_case("byline-commentator", s, "'每经评论员' names nobody: authors [], byline kept as printed.",
              column_hint=1072))

    s = _spec("byline-ai-flash", d2026, byline_style="ai", column_id=1320, page_editor=None,
              when=(18, 33, 51), noise=("script", "disclaimer"))
    add(_case("byline-ai-flash", s, "'每经AI快讯，...': byline '每经AI快讯', authors []; the paragraph is "
              "the news itself and STAYS in body_text; the trailing '免责声明：' paragraph goes.",
              column_hint=1320))

    s = _spec("reprint-xinhua-no-byline", dt.date(2024, 10, 18), story=_story_xinhua(dt.date(2024, 10, 18)),
              byline_style=None, source="新华社", page_editor="曾志远", column_id=313, when=(17, 2, 11))
    add(_case("reprint-xinhua-no-byline", s, "Reprint from 新华社 with no byline paragraph: byline None, "
              "authors []; the first paragraph (新华社北京...电) is article text.", column_hint=313))

    # --- head and top variants ------------------------------------------------------------------
    s = _spec("h1-comment", d2024, section="汽车", h1_comment=True, column_id=261)
    add(_case("h1-comment", s, "h1 holds a commented-out '原创' badge before the text: the title is "
              "only the text.", column_hint=261))

    s = _spec("empty-title-tag-2026", dt.date(2026, 10, 12), section="TMT", title_tag=False, column_id=583)
    add(_case("empty-title-tag-2026", s, "<title></title> is empty (seen by a 2026 crawler): title from h1.",
              column_hint=583))

    s = _spec("no-ld-json", d2024, section="公司", ld_json=False, column_id=346, when=(14, 7, 29))
    add(_case("no-ld-json", s, "No ld+json: the time comes from span.time only.", column_hint=346))

    s = _spec("ld-json-time-only", d2024, section="证券", span_time=False, column_id=318, when=(10, 45, 12))
    add(_case("ld-json-time-only", s, "No span.time: the time is only in ld+json pubDate "
              "(Beijing time without zone; upDate is later and must not be used).", column_hint=318))

    s = _spec("ld-json-time-only-space-form", d2024, section="金融", span_time=False, ld_time_sep=" ",
              column_id=329, when=(8, 3, 0))
    add(_case("ld-json-time-only-space-form", s, "Only ld+json gives the time, written "
              "'YYYY-MM-DD HH:MM:SS' (the notes call the exact form uncertain).", column_hint=329))

    # --- images ---------------------------------------------------------------------------------
    s = _spec("lead-image", d2024, section="汽车", images=2, column_id=140)
    s.lead_image = "/uploads/articles/images/2024120377/9a0b1c2d3e4f5a6b.jpg"
    add(_case("lead-image", s, "Lead image before the byline: it is the first image and the thumbnail.",
              column_hint=140))

    s = _spec("og-image-no-body-images", d2024, section="理财", images=0,
              og_image="/uploads/articles/images/2024120312/7c3e91d0a2b4f658.jpg", column_id=439)
    add(_case("og-image-no-body-images", s, "No body image: images [], thumbnail is the og:image.",
              column_hint=439))

    s = _spec("no-images", d2023, section="宏观", images=0, column_id=315)
    add(_case("no-images", s, "No image and no og:image: images [], thumbnail None.", column_hint=315))

    s = _spec("images-protocol-relative", d2024, section="公司", images=3, extras=("captions",),
              image_src="protocol-relative", column_id=585)
    add(_case("images-protocol-relative", s, "Body img src '//image.nbd.com.cn/...': resolved to https "
              "(the page's scheme); every image has a 图片来源 caption, kept as a body line.", column_hint=585))

    s = _spec("images-relative", d2024, section="TMT", images=2, image_src="relative", column_id=256)
    add(_case("images-relative", s, "Body img src is a bare path '/uploads/...': resolved on the page's "
              "origin (www.nbd.com.cn).", column_hint=256))

    # --- body internals and noise ---------------------------------------------------------------
    s = _spec("noise-all-blocks", d2026, section="金融", paragraphs=8, noise=ALL_NOISE, column_id=327)
    add(_case("noise-all-blocks", s, "Every noise block of the notes at once: .nbd-mzsm, "
              ".n-on-h-more-read(-a), script, style, hidden analytics div (with a pixel img), and all "
              "trailing paragraphs (每经头条, 原创文章｜, 校对, 排版：, 视觉：, 封面：, 扫描下方二维码 + QR "
              "image, 未经许可禁止转载, 免责声明：). None in body_text; the QR and pixel are not images.",
              column_hint=327))

    s = _spec("noise-free", d2024, section="公司", noise=(), column_id=418)
    add(_case("noise-free", s, "No noise at all: nothing may be lost either.", column_hint=418))

    s = _spec("lists-and-tables", d2024, section="公司", extras=("list", "table", "quote"), column_id=346)
    add(_case("lists-and-tables", s, "A <ul> (one line per item), a <table> (one line per row, cells "
              "joined by a tab) and a <blockquote> (one line).", column_hint=346))

    s = _spec("inline-markup-entities", d2024, section="公司", extras=("inline",), indent="nbsp", column_id=586)
    add(_case("inline-markup-entities", s, "strong/em/a inside paragraphs, &ldquo;&rdquo;&amp; entities, "
              "paragraphs indented with &nbsp; (stripped).", column_hint=586))

    # --- category and column ---------------------------------------------------------------------
    s = _spec("category-from-column-link", d2024, section="金融", column_id=592, column_link=True)
    add(_case("category-from-column-link", s, "No hint: a.u-column names 保险周刊 -> category 金融."))

    s = _spec("category-from-hint", d2024, section="金融", column_id=415)
    add(_case("category-from-hint", s, "No .u-column: the crawl found it in 415 -> 监管 / 金融.",
              column_hint=415))

    s = _spec("category-none", d2024, section="宏观", column_id=None)
    add(_case("category-none", s, "Nothing names a column or section (www host, no hint, no link): "
              "category and column None."))

    s = _spec("section-host-stocks", d2024, section="证券", column_id=None)
    add(_case("section-host-stocks", s, "Fetched on stocks.nbd.com.cn with no hint or link: category 证券 "
              "from the host, column None.", page_url=s.url("https://stocks.nbd.com.cn")))

    s = _spec("section-host-sitewide-hint", d2024, section="汽车", column_id=3)
    add(_case("section-host-sitewide-hint", s, "auto.nbd.com.cn page found in 要闻 (a site-wide column): "
              "column 要闻 from the hint, category 汽车 from the host.",
              page_url=s.url("https://auto.nbd.com.cn"), column_hint=3))

    # --- other addresses of the same article ----------------------------------------------------
    s = _spec("mobile-copy", d2024, section="TMT", column_id=478)
    add(_case("mobile-copy", s, "Fetched on m.nbd.com.cn with the same markup: url is the www canonical.",
              page_url=s.url("https://m.nbd.com.cn"), column_hint=478))

    partners = (("toutiao", True, (0, 25, 0)), ("eastmoney", False, (9, 12, 0)),
                ("zaker", True, (0, 8, 41)), ("tonghuashun", False, (15, 40, 2)), ("sohu", True, (6, 30, 0)))
    for partner, canonical, when in partners:
        name = f"partner-{partner}-{'canonical' if canonical else 'no-canonical'}"
        created = dt.date(2024, 11, 20)
        published = beijing_at(created + dt.timedelta(days=1), *when) if canonical else beijing_at(created, *when)
        s = _spec(name, created, section="证券", when=published, canonical=canonical, column_id=None)
        note = ("has <link rel=canonical>: the url takes its date (the day before the publish date)"
                if canonical else "has no canonical link: the url date is the Beijing publish date")
        add(_case(name, s, f"Partner copy /rss/{partner}/articles/<id>.html (no date in the path); {note}.",
                  page_url=_partner_url(partner, s)))

    # --- dates -------------------------------------------------------------------------------------
    created = dt.date(2024, 12, 1)
    s = _spec("publish-far-from-url-date", created, section="宏观", when=beijing_at(created + dt.timedelta(days=5), 10, 0),
              column_id=475)
    add(_case("publish-far-from-url-date", s, "Publish time 5 days after the URL date: keep the page's "
              "time, url keeps the URL date, and warn.", column_hint=475))

    s = _spec("publish-next-day-after-midnight", created, section="证券",
              when=beijing_at(created + dt.timedelta(days=1), 0, 12, 9), column_id=405)
    add(_case("publish-next-day-after-midnight", s, "Published 00:12 the day after the URL date (normal "
              "per the notes): no warning; published_at is 16:12 UTC of the URL date.", column_hint=405))

    s = _spec("old-2012-page", dt.date(2012, 6, 8), layout="g-article-2017", story=_story_2012(),
              byline_style="jizhe", when=(1, 15, 32), column_id=3, image_host="image1.nbd.com.cn", images=0)
    s.blocks.insert(1, Block("img", "/uploads/articles/images/201206085/3e2f41a7.jpg",
                             caption="图片来源：新华社"))
    add(_case("old-2012-page", s, "2012 page (id ~663437 era) on http://, 2017 template: protocol-relative "
              "links, image on image1.nbd.com.cn resolved to http (page scheme), bold-paragraph sub-heading, "
              "ideographic-space indents, no ld+json.",
              page_url=s.url("http://www.nbd.com.cn"), column_hint=3))

    s = _spec("old-2016-page", dt.date(2016, 9, 6), layout="g-article-2017", section="证券", byline_style="colon",
              when=(19, 48, 0), images=2, column_id=275, summary=False, image_host="image3.nbd.com.cn")
    add(_case("old-2016-page", s, "2016 page (id ~1042037 era) on http://, 2017 template, images on "
              "image3.nbd.com.cn, no abstract.", page_url=s.url("http://www.nbd.com.cn"), column_hint=275))

    s = _spec("g-article-2017-with-ld-json", dt.date(2021, 12, 9), layout="g-article-2017", section="公司",
              byline_style="multi", ld_json=True, canonical=True, column_id=346)
    add(_case("g-article-2017-with-ld-json", s, "2021-12 page (id ~2035770) on the older template that "
              "does carry ld+json and a canonical link.", column_hint=346))

    # --- other templates --------------------------------------------------------------------------
    s = _spec("m-articlebox-2024", d2024, layout="m-articleBox", section="理财", byline_style="pipe",
              column_id=441)
    add(_case("m-articlebox-2024", s, "The other template: m-articleBox / m-creatTime (u-clomun, "
              "u-articleTime) / m-articleContent; no 责编 line: editor None.", column_hint=441))

    s = _spec("m-articlebox-sister-site", dt.date(2023, 3, 7), layout="m-articleBox", section="汽车",
              byline_style="twosessions",
              column_id=261, when=(13, 0, 0), noise=("style", "visual", "cover", "qrcode"))
    add(_case("m-articlebox-sister-site", s, "m-articleBox with a byline naming the editor and "
              "visual/cover/QR trailing credits.", column_hint=261))

    s = _spec("generic-with-byline", d2024, layout="generic", section="公司", byline_style="reporter-editor",
              column_id=346)
    add(_case("generic-with-byline", s, "Unknown layout (<article>, no site classes): the generic fallback "
              "must find title, <time> and body; the byline is still the first paragraph. "
              "method 'fallback'.", column_hint=346))

    s = _spec("generic-no-byline", d2023, layout="generic", section="宏观", byline_style=None, column_id=None,
              source=None, images=0)
    add(_case("generic-no-byline", s, "Unknown layout with no byline and no outlet: source None, "
              "category None."))

    # --- more years, for id growth ----------------------------------------------------------------
    s = _spec("dated-2021-03", dt.date(2021, 3, 18), section="金融", byline_style="jizhe", column_id=329)
    add(_case("dated-2021-03", s, "2021-03 page (id ~1675600).", column_hint=329))
    s = _spec("dated-2023-02", dt.date(2023, 2, 3), section="汽车", byline_style="multi", column_id=140)
    add(_case("dated-2023-02", s, "2023-02 page (id ~2687587).", column_hint=140))
    s = _spec("dated-2026-09", dt.date(2026, 9, 15), section="证券", byline_style="colon", column_id=28,
              column_link=True)
    add(_case("dated-2026-09", s, "2026-09 page (id ~4595080), .u-column link and hint agree.",
              column_hint=28))
    cases += template_and_copy_cases()
    return cases


def _mrjjxw_url(spec: ArticleSpec) -> str:
    return f"https://www.mrjjxw.com/articles/{spec.created.isoformat()}/{spec.article_id}.html"


def template_and_copy_cases() -> list[EvalCase]:
    """Older templates, video pages, the sister site's and partner feeds' copies (NOTES, second
    survey), each parsed by a layout of its own (never the generic fallback)."""
    cases: list[EvalCase] = []
    add = cases.append

    s = _spec("wrapper-2012-rate-cut", dt.date(2012, 6, 8), layout="articleWrapper-2012", story=_story_2012(),
              byline_style="colon", when=(1, 15, 0), column_id=3, images=0)
    s = dataclasses.replace(s, summary="央行宣布自6月8日起下调金融机构人民币存贷款基准利率，为三年多来首次降息。")
    add(_case("wrapper-2012-rate-cut", s, "2012-13 template: h2.articleTitle, p.articleTime holding the "
              "reporters (每经记者：X), the time to the minute and 来源:, #articleDigest (核心提示：) as "
              "summary, #articleContent body, 责任编辑: in div.articleInfo as editor, ul#crumb naming 要闻 "
              "(site-wide: its name is the category).", page_url=s.url("http://www.nbd.com.cn")))

    s = _spec("wrapper-2013-stocks", dt.date(2013, 5, 20), layout="articleWrapper-2012", section="证券",
              byline_style="jizhe", when=(15, 42, 0), column_id=275, summary=False, images=1)
    add(_case("wrapper-2013-stocks", s, "2013 page in the 2012-13 template, no digest (summary None); "
              "ul#crumb names A股动态 -> category 证券; image on image1.nbd.com.cn.",
              page_url=s.url("http://www.nbd.com.cn")))

    s = _spec("nbd-con-2018", dt.date(2018, 3, 14), layout="nbd-con-2018", section="公司",
              byline_style="multi", when=(20, 31, 0), column_id=346, images=1)
    add(_case("nbd-con-2018", s, "About-2018 template: div.nbd-con > h1, p.article-meta > small "
              "'每日经济新闻 03-14 20:31' (no year: from the URL), body in blockquote.", column_hint=346))

    created = dt.date(2018, 12, 31)
    s = _spec("nbd-con-2018-year-end", created, layout="nbd-con-2018", section="宏观", byline_style="colon",
              when=beijing_at(created + dt.timedelta(days=1), 0, 20), column_id=315, images=0)
    add(_case("nbd-con-2018-year-end", s, "Created 2018-12-31, published '01-01 00:20': the year is the "
              "one nearest the URL date (2019), not the URL's year.", column_hint=315))

    s = _spec("video-2018", dt.date(2018, 6, 5), layout="video", section="汽车", byline_style="reporter-editor",
              when=(10, 5, 0), column_id=261, paragraphs=2, images=0)
    add(_case("video-2018", s, "Video page: the player #vedioPlayer above a short description. "
              "Layout 'video', the record's video field holds the player's media URL.", column_hint=261))

    s = _spec("g-article-2017-center", dt.date(2018, 9, 12), layout="g-article-2017", section="TMT",
              byline_style="colon", images=2, extras=("captions",), column_id=448, center=True)
    add(_case("g-article-2017-center", s, "Older body with <center> blocks: the images stand in "
              "<center> (kept, with their captions); a <center> promotion link is not article text.",
              page_url=s.url("http://www.nbd.com.cn"), column_hint=448))

    s = _spec("m-articlebox-plain-spans", dt.date(2024, 6, 18), layout="m-articleBox", section="金融",
              byline_style="pipe", column_id=327, box_meta="plain")
    add(_case("m-articlebox-plain-spans", s, "nbd's own m-articleBox page whose div.m-creatTime spans "
              "carry no class: the outlet is the first, the time the second.", column_hint=327))

    s = _spec("mrjjxw-copy-2019", dt.date(2019, 10, 21), layout="m-articleBox", section="证券",
              byline_style="multi", column_id=None, box_meta="mrjjxw", source="每日经济新闻")
    add(_case("mrjjxw-copy-2019", s, "The sister site's copy www.mrjjxw.com/articles/<date>/<id>.html "
              "(2019 template): the outlet in div.u-source > span; url is the nbd canonical.",
              page_url=_mrjjxw_url(s)))

    s = _spec("mrjjxw-copy-reprint", dt.date(2026, 9, 30), layout="m-articleBox", section="宏观",
              byline_style=None, column_id=None, box_meta="mrjjxw", source="新华社",
              story=_story_xinhua(dt.date(2026, 9, 30)))
    add(_case("mrjjxw-copy-reprint", s, "mrjjxw.com copy of a 新华社 reprint (2026): source 新华社 from "
              "div.u-source.", page_url=_mrjjxw_url(s)))

    s = _spec("partner-toutiao-alt-src", dt.date(2018, 5, 2), section="证券", images=2, column_id=None,
              partner_markup=True)
    add(_case("partner-toutiao-alt-src", s, "Toutiao feed copy: body images carry alt_src instead of "
              "src (they are article images), and the ydrss640 promo picture of static.nbd.com.cn "
              "closes the body (chrome: neither an image nor the thumbnail).",
              page_url=_partner_url("toutiao", s)))

    s = _spec("partner-promo-only", dt.date(2018, 5, 16), section="公司", images=0, column_id=None,
              partner_markup=True)
    add(_case("partner-promo-only", s, "A partner copy whose only picture is the ydrss640 promo: "
              "images [] and no thumbnail.", page_url=_partner_url("toutiao", s)))

    s = _spec("editor-byline-empty-u-editor", dt.date(2026, 9, 30), section="公司",
              byline_style="reporter-editor", page_editor=None, column_id=346)
    case = _case("editor-byline-empty-u-editor", s, "2026 page whose div.u-editor is an empty shell: "
                 "the editor comes from the byline (每经编辑 X).", column_hint=346)
    case.html = case.html.replace('<div class="m-share', '<div class="u-editor"><span></span></div>\n'
                                  '<div class="m-share', 1)
    add(case)
    return cases


# =============================================================================================
# Broken pages
# =============================================================================================

def _subset(record: dict, *keys: str) -> dict:
    return {k: record[k] for k in keys}


def broken_pages() -> list[EvalCase]:
    """Pages the extractor must survive: truncated, time-less, mis-encoded, not articles."""
    cases: list[EvalCase] = []
    day = dt.date(2024, 12, 5)

    s = _spec("broken-truncated", day, section="公司", images=0, column_id=346)
    case = _case("broken-truncated", s, "Cut in the middle of the second paragraph: title, time and "
                 "byline are above the cut; body_text must start with the first paragraph.", column_hint=346)
    first, second = [b.text for b in s.blocks if b.kind == "p"][:2]
    shown = to_html(second)                                    # as printed on the page
    case.html = case.html[: case.html.index(shown) + len(shown) // 2]
    case.expected = {**_subset(case.expected, "article_id", "url", "title", "published_at", "byline"),
                     "body_startswith": first}
    cases.append(case)

    s = _spec("broken-no-time", day, section="证券", when=None, ld_json=False, column_id=275)
    cases.append(_case("broken-no-time", s, "No span.time and no ld+json: published_at falls back to the "
                       "URL date at 00:00 Beijing time (16:00 UTC the day before), with a warning.",
                       column_hint=275))

    for name, charset, encoding, notes in (
        ("broken-gbk-declared", "gbk", "gbk", "GBK bytes with <meta http-equiv charset=gbk>."),
        ("broken-gbk-undeclared", None, "gbk", "GBK bytes and no declaration anywhere: must be detected "
                                               "(decoding as UTF-8 fails)."),
        ("broken-wrong-charset-gbk-bytes", "utf-8", "gbk", "GBK bytes while <meta charset=utf-8> says "
                                                           "otherwise: strict UTF-8 decoding fails; detect GBK."),
        ("broken-wrong-charset-utf8-bytes", "gb2312", "utf-8", "UTF-8 bytes declared gb2312: strict gb2312 "
                                                               "decoding fails; the bytes are valid UTF-8."),
    ):
        s = _spec(name, day, section="金融", byline_style="multi", charset=charset, column_id=329)
        case = _case(name, s, notes, column_hint=329)
        case.html = encode_page(case.html, encoding)
        cases.append(case)

    cases += _nested_pages(day)

    error = {"error": True}
    url = f"https://www.nbd.com.cn/articles/{day}/{id_for_date(day, 7)}.html"
    cases += [
        EvalCase("broken-column-list-page", None, url, render_non_article("column", column_id=3, seed=1), None,
                 error, "An article URL answered with a column list page (div.g-list-text): not an article."),
        EvalCase("broken-404-page", None, url, render_non_article("404", seed=2), None, error,
                 "The site's not-found page: not an article."),
        EvalCase("broken-no-title-no-body", None, url, render_non_article("empty", seed=3), None, error,
                 "Chrome only: empty <title>, no h1, no body."),
        EvalCase("broken-binary-garbage", None, url, _garbage(), None, error,
                 "Binary bytes (a PNG header then noise): not HTML."),
        EvalCase("broken-empty-response", None, url, b"", None, error, "An empty 200 answer."),
    ]
    return cases


# Where each layout's page leaves the site's header and navigation, and where its footer starts.
_MAIN_PART = {"g-article": ('<div class="g-main', '<div class="g-footer"'),
              "generic": ('<div class="wrap clearfix"', '<div class="foot"')}


def _nest(html: str, layout: str, levels: int) -> str:
    """The page with its main part (the article, below the navigation) wrapped in ``levels``
    nested <div>s."""
    start, end = (html.index(marker) for marker in _MAIN_PART[layout])
    return html[:start] + "<div>" * levels + html[start:end] + "</div>" * levels + html[end:]


def _nested_pages(day: dt.date) -> list[EvalCase]:
    """Articles nested past libxml2's default depth limit (256 levels): read whole, or refused;
    never the navigation above them archived as their body."""
    cases = []
    for name, layout, levels in (("broken-nested-400", "g-article", 400),
                                 ("broken-nested-400-generic", "generic", 400)):
        s = _spec(name, day, section="证券", layout=layout, byline_style="reporter-editor", column_id=275)
        case = _case(name, s, f"The article below {levels} nested <div>s (the navigation above them): read "
                     "whole, the record as if not nested.", column_hint=275)
        case.html = _nest(case.html, layout, levels)
        cases.append(case)
    s = _spec("broken-nested-50000", day, section="证券", column_id=275)
    case = _case("broken-nested-50000", s, "The article below 50,000 nested <div>s: past what the parser "
                 "reads (2048 levels even with huge_tree): refused as too_deep.", column_hint=275)
    cases.append(EvalCase(case.name, None, case.page_url, _nest(case.html, "g-article", 50_000), 275,
                          {"error": True, "reason": "too_deep"}, case.notes))
    return cases


def _garbage(size: int = 4096) -> bytes:
    rng = random.Random("garbage")
    return b"\x89PNG\r\n\x1a\n" + bytes(rng.getrandbits(8) for _ in range(size))



# =============================================================================================
# Articles over several pages
# =============================================================================================

@dataclass
class MultiPageCase:
    """An article over several pages: each page's URL and HTML in order, and the record
    ``extract_article_pages`` must give back from them (same keys as EvalCase.expected)."""

    name: str
    spec: ArticleSpec
    urls: list[str]
    pages: list[str]
    column_hint: int | None
    expected: dict
    notes: str = ""


PAGER_TEXTS = ("上一页", "下一页")


def _paged_case(name: str, spec: ArticleSpec, notes: str, *, urls: list[str] | None = None,
                column_hint: int | None = None) -> MultiPageCase:
    from newscrawler.nbd.site import article_page_url
    from nbd_replica.pages import render_article_pages

    created = spec.created.isoformat()
    urls = urls or [article_page_url(spec.article_id, created, n) for n in range(1, spec.pages + 1)]
    link = spec.column_id if page_variant(spec)["column_link"] else None
    category, column = classify(link, column_hint, urls[0])
    spec = dataclasses.replace(spec, category=category, column=column)
    expected = expected_record(spec, page_url=urls[0])
    expected["body_excludes"] = [*expected.get("body_excludes", []), *PAGER_TEXTS]
    return MultiPageCase(name, spec, urls, render_article_pages(spec), column_hint, expected, notes)


def multipage_set() -> list[MultiPageCase]:
    """Articles over 2 and 3 pages (notes, second survey): page 2 onwards at
    ``/articles/D/<id>/page/<n>``, the pager ``div.paginationWrapper > div.pagination`` after
    ``<!-- 页数 -->``. Expected: one record, the bodies joined in order, no pager text,
    ``pages`` = pages given, ``pages_missing`` = []."""
    d2026, d2018 = dt.date(2026, 9, 10), dt.date(2018, 5, 7)
    cases: list[MultiPageCase] = []
    s = _spec("paged-2-g-article", d2026, section="证券", column_id=275, paragraphs=8, images=2)
    cases.append(_paged_case("paged-2-g-article", dataclasses.replace(s, pages=2),
                             "Two pages of the current template; an image on each page.", column_hint=275))
    s = _spec("paged-3-g-article", d2026, section="金融", column_id=329, paragraphs=10, images=3,
              extras=("list",), column_link=True)
    cases.append(_paged_case("paged-3-g-article", dataclasses.replace(s, pages=3),
                             "Three pages; a list block; the column named by the page's link."))
    s = _spec("paged-2-2017", d2018, layout="g-article-2017", section="公司", byline_style="colon",
              column_id=346, paragraphs=7)
    cases.append(_paged_case("paged-2-2017", dataclasses.replace(s, pages=2),
                             "The 2017 template (sub-headings as <p>), two pages.", column_hint=346))
    s = _spec("paged-3-m-articlebox", d2026, layout="m-articleBox", section="汽车", column_id=140, paragraphs=9)
    cases.append(_paged_case("paged-3-m-articlebox", dataclasses.replace(s, pages=3),
                             "The m-articleBox template, three pages.", column_hint=140))
    s = dataclasses.replace(_spec("paged-2-mobile", d2026, section="宏观", column_id=313, paragraphs=6), pages=2)
    created = s.created.isoformat()
    mobile = [f"https://m.nbd.com.cn/articles/{created}/{s.article_id}.html",
              f"https://m.nbd.com.cn/mobile/articles/{created}/{s.article_id}/page/2"]
    cases.append(_paged_case("paged-2-mobile", s, "Fetched on the mobile host, page 2 in the 2013 "
                             "/mobile/articles/... form: the same article id.", urls=mobile, column_hint=313))
    return cases


def first_page_only(case: MultiPageCase) -> dict:
    """What page 1 alone gives: its own blocks, no pager text, the other pages missing."""
    from nbd_replica.pages import page_blocks

    first = dataclasses.replace(case.spec, blocks=page_blocks(case.spec, 1), pages=1)
    expected = expected_record(first, page_url=case.urls[0])
    return {"body_text": expected["body_text"], "images": expected["images"], "pages": 1,
            "pages_missing": list(range(2, case.spec.pages + 1)), "body_excludes": list(PAGER_TEXTS)}
