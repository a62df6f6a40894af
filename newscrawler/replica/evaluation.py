"""The evaluation set: replica pages with the record the extractor must give back.

Every case is built from an :class:`ArticleSpec` (the truth), rendered by
:mod:`newscrawler.replica.pages`, and paired with :func:`expected_record`. The facts come from
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
``error`` (True: the extractor must raise / reject the page), ``body_startswith`` (body_text
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
from urllib.parse import quote, urljoin

from newscrawler.nbd.site import COLUMNS, DEFAULT_BASE_URL, column_name, column_section, host_section
from newscrawler.replica.pages import (
    ALL_NOISE,
    DEFAULT_IMAGE_BASE,
    body_image_srcs,
    encode_page,
    image_src,
    inline_html,
    noise_texts,
    og_image_url,
    page_variant,
    render_article,
    render_non_article,
    to_html,
)
from newscrawler.replica.spec import BEIJING, ArticleSpec, Block

UTC = dt.timezone.utc
# The warning expected when the publish time is missing or far from the URL date.
PUBLISH_WARNING = "publish"
# How far (days) the publish date may be from the URL date without a warning.
MAX_DATE_DRIFT_DAYS = 2

# =============================================================================================
# Article ids over time (NOTES: "Article ids grow over time")
# =============================================================================================

_ID_ANCHORS = [
    (dt.date(2012, 6, 15), 663437), (dt.date(2016, 9, 15), 1042037),
    (dt.date(2021, 3, 15), 1675600), (dt.date(2021, 12, 15), 2035770),
    (dt.date(2023, 2, 15), 2687587), (dt.date(2024, 12, 15), 3704821),
    (dt.date(2026, 9, 15), 4595080),
]


def id_for_date(day: dt.date, offset: int = 0) -> int:
    """A plausible article id for a creation date: linear between the notes' data points
    (and along the nearest segment outside them)."""
    pairs = list(zip(_ID_ANCHORS, _ID_ANCHORS[1:]))
    (d0, i0), (d1, i1) = next(((a, b) for a, b in pairs if day <= b[0]), pairs[-1])
    slope = (i1 - i0) / (d1 - d0).days
    return max(1, round(i0 + slope * (day - d0).days)) + offset


# =============================================================================================
# Text corpus: realistic Chinese financial news, by section
# =============================================================================================

# Companies of the corpus are made up; each belongs to an industry so that what a paragraph
# says a company makes is what its name suggests.
OTHER_COMPANIES = ("嘉联物流", "锦程文旅", "宜居家居", "沃川环保", "金穗种业", "华信新材")
PEOPLE = ("刘思远", "王海峰", "陈晓蕾", "赵一鸣", "孙立新", "吴建国", "郑雅琴", "黄志强",
          "林若溪", "马骁", "许文博", "高远帆", "田静怡", "宋立铭")
REPORTERS = ("李明辉", "张晓雯", "王梓涵", "赵启航", "钱思远", "孙嘉怡", "周子墨", "吴昊天",
             "郑佳宁", "冯雨桐", "蒋一帆", "沈若愚", "韩雪莹", "杨书航", "朱晨曦", "秦可欣")
EDITORS = ("陈星", "陈俊杰", "梁晓峰", "何雅婷", "曾志远", "彭诗琪", "罗文轩", "谢婉清")
ORGS = ("启明证券", "长河证券", "中鑫证券", "博衍研究院", "金禾资本研究所", "远东基金")
BANKS = ("沪东银行", "西岭银行", "江南农商银行", "城东银行")
INSURERS = ("安泰保险", "华康人寿", "长盈财险")
FUND_COMPANIES = ("恒远基金", "远东基金", "启明基金")
FUNDS = ("恒远稳健增利债券", "远东科技创新混合", "启明中证500指数增强")
TECH_COMPANIES = ("云图科技", "深思智能", "极光数智")
PLATFORMS = ("优选商城", "惠购平台", "乐享购")
AUTOMAKERS = ("云帆汽车", "启源汽车", "星途新能源")
CITIES = ("成都", "苏州", "合肥", "宁波", "东莞", "西安", "武汉", "长沙", "青岛", "厦门", "重庆", "无锡")
PROVINCES = ("四川省", "江苏省", "浙江省", "广东省", "安徽省", "湖北省", "山东省", "福建省")
INDUSTRIES = (  # (industry, product, companies)
    ("新能源汽车", "电驱系统", ("启源动力", "远航精密")),
    ("光伏", "TOPCon电池片", ("星辰光电", "恒川股份")),
    ("储能", "储能电芯", ("朗阳储能", "瑞丰电池")),
    ("半导体", "功率芯片", ("中科微芯", "华曜半导体")),
    ("生物医药", "创新药", ("北辰医药", "康宁生物")),
    ("消费电子", "智能穿戴设备", ("东岳智能", "嘉讯科技")),
    ("工业机器人", "协作机器人", ("海岳重工", "锐科智造")),
    ("低空经济", "工业级无人机", ("翔云航空", "海岳重工")),
    ("人工智能", "AI服务器", ("天衡软件", "中科微芯")),
    ("预制菜", "速冻调理食品", ("青禾食品", "鼎盛农业")),
)

# Each section: titles, summaries, paragraphs, sub-headings, list items, tags (templates with
# {slots}, filled by _slots()).
CORPUS: dict[str, dict[str, tuple[str, ...]]] = {
    "宏观": {
        "titles": (
            "{dm}月工业增加值同比增长{g1}% {industry}领跑制造业",
            "{province}前{dm}个月专项债发行超{a1}亿元 重点投向城市更新",
            "一线调研｜{city}{industry}企业订单排到{later}月：“今年的增长比预想的快”",
            "专家解读{dm}月经济数据：内需修复延续 政策仍有发力空间",
            "前{dm}个月外贸进出口同比增长{g3}% 民营企业占比继续提升",
        ),
        "summaries": (
            "{dm}月份多项经济指标延续回升态势，{industry}等新动能行业增长较快，专家认为宏观政策仍有发力空间。",
            "记者在{city}走访多家企业发现，订单回暖、产能扩张成为当地制造业的关键词。",
        ),
        "paras": (
            "国家统计局{month}月{day}日发布的数据显示，{dm}月份全国规模以上工业增加值同比增长{g1}%，环比增长{gm}%。分三大门类看，制造业增加值同比增长{g2}%，其中{industry}相关行业表现尤为突出。",
            "“从近期公布的数据看，内需修复仍在延续，但结构性分化依然明显。”{org}首席经济学家{person}在接受《每日经济新闻》记者采访时表示，下一阶段宏观政策需要在扩大有效需求上持续发力。",
            "记者注意到，今年以来{province}已累计发行地方政府专项债券{a1}亿元，重点投向交通基础设施、城市更新和{industry}产业园区等领域，项目资本金撬动比例较去年有所提高。",
            "在{city}一家{industry}企业的生产车间里，机械臂往复作业，工人们正在赶制一批出口订单。企业负责人告诉记者，今年订单量同比增长了{p3}%，生产线已经排到{later}月。",
            "从外贸数据看，前{dm}个月我国货物贸易进出口总值{t1}万亿元，同比增长{g3}%。其中，出口同比增长{g2}%，对共建“一带一路”国家进出口占比继续提升。",
            "{person}认为，当前物价水平总体温和，为货币政策保持适度宽松创造了条件，“降准降息仍有一定空间，结构性货币政策工具也将继续发挥精准滴灌作用”。",
            "业内人士指出，扩大内需的关键在于稳就业、增收入。{dm}月份全国城镇调查失业率为{unemp}%，比上月下降{gm}个百分点，就业形势总体稳定。",
            "值得一提的是，服务消费成为新的增长点。{dm}月份服务零售额同比增长{g2}%，快于商品零售额增速，文旅、体育、养老等领域消费热度持续攀升。",
            "展望后市，多家机构预计，随着一揽子增量政策效应持续释放，经济运行有望保持回升向好态势，全年增长目标的实现具备坚实基础。",
        ),
        "subheads": ("内需修复仍在延续", "专项债发力稳投资", "外贸韧性超出预期", "政策仍有发力空间", "就业形势总体稳定"),
        "items": ("加大财政支出强度，加快专项债券发行使用", "推动消费品以旧换新提质扩容",
                  "实施更加积极的就业政策，稳住重点群体就业", "支持民营企业参与重大项目建设",
                  "加快培育{industry}等新兴产业集群"),
        "tags": ("宏观经济", "工业增加值", "专项债", "外贸", "扩大内需", "货币政策"),
    },
    "证券": {
        "titles": (
            "A股三大指数{trend} {industry}板块掀涨停潮",
            "{company}拟斥资最高{a2}亿元回购股份 年内回购潮持续升温",
            "两融余额连续{n1}日增加 杠杆资金加仓{industry}",
            "龙虎榜｜{company}获机构净买入{a4}万元 游资分歧明显",
            "沪深两市成交额重回万亿元 机构：{industry}或迎估值修复",
        ),
        "summaries": (
            "{month}月{day}日A股三大指数{trend}，{industry}板块表现活跃，两市成交额较前一交易日{vol_change}。",
            "今年以来已有{n2}家上市公司发布回购计划，回购潮背后是上市公司对自身价值的认可。",
        ),
        "paras": (
            "{month}月{day}日，A股三大指数{trend}。截至收盘，上证指数报{idx}点，{updown}{ps}%；深证成指报{idx2}点，{updown}{ps2}%；创业板指{updown}{ps3}%。沪深两市合计成交额{a3}亿元，较前一交易日{vol_change}。",
            "盘面上，{industry}板块全天走强，板块内{n1}只个股涨停，{company}以{limit}%的涨幅领涨；{sector_down}板块则表现低迷，多只个股跌幅超过5%。",
            "资金面上，主力资金全天净{flow}{a1}亿元，主要流入{industry}和{sector2}板块。两融余额连续{n1}个交易日增加，最新报{margin}亿元。",
            "{company}{month}月{day}日晚间公告称，公司拟以自有资金回购股份，回购金额不低于{a1}亿元、不超过{a2}亿元，回购价格上限为每股{price}元，回购股份将用于员工持股计划或股权激励。",
            "“市场短期震荡不改中长期向好趋势。”{org}策略分析师{person}表示，当前A股估值仍处于历史相对低位，随着上市公司业绩逐步改善，{industry}等景气度较高的方向值得重点关注。",
            "从龙虎榜数据看，{company}当日获机构专用席位合计净买入{a4}万元，一家知名游资席位则净卖出{a5}万元，多空分歧较为明显。",
            "《每日经济新闻》记者注意到，今年以来已有{n2}家上市公司发布回购计划，拟回购金额上限合计超过{a6}亿元。",
            "不过，也有分析人士提醒投资者注意风险。部分题材股短期涨幅过大，估值已明显脱离基本面，在业绩验证期到来前，股价波动可能加剧。",
            "北交所方面，当日成交金额{a7}亿元，北证50指数{updown}{ps}%，{company2}等个股涨幅居前。",
        ),
        "subheads": ("{industry}板块领涨", "杠杆资金持续加仓", "回购潮持续升温", "机构：关注景气方向"),
        "items": ("{industry}：政策催化叠加业绩改善，景气度有望延续", "高股息板块：长期资金配置需求仍在",
                  "消费电子：新品周期开启，关注产业链龙头", "券商：成交活跃度提升，业绩弹性较大"),
        "tags": ("A股", "回购", "两融", "龙虎榜", "北向资金", "市场策略"),
    },
    "金融": {
        "titles": (
            "{month}月LPR报价出炉：1年期{lpr1}% 5年期以上{lpr5}%",
            "又有中小银行下调存款利率 3年期定存利率降至{rate}%",
            "金融监管总局开出{n1}张罚单 信贷“三查”不到位成重灾区",
            "{bank}普惠小微贷款余额较年初增长{p1}% 科技金融服务提速",
            "前{dm}个月{insurer}保费收入同比增长{p2}% 分红险成增长主力",
        ),
        "summaries": (
            "银行净息差持续承压，负债端成本管控成为各家银行的必修课，业内预计年内存款利率仍有下调空间。",
            "监管部门持续保持“严”的主基调，信贷管理、数据报送等领域成为罚单高发区。",
        ),
        "paras": (
            "{month}月{day}日，中国人民银行授权全国银行间同业拆借中心公布，1年期贷款市场报价利率（LPR）为{lpr1}%，5年期以上LPR为{lpr5}%，均与上月持平。",
            "{bank}相关负责人在接受《每日经济新闻》记者采访时表示，今年以来该行持续加大对小微企业和{industry}领域的信贷投放，普惠型小微企业贷款余额较年初增长{p1}%。",
            "记者梳理发现，今年以来已有{n2}家中小银行下调存款利率，部分银行3年期定期存款利率已降至{rate}%左右，“存款搬家”现象引发市场关注。",
            "金融监管部门近日发布通报，对{n1}家银行保险机构开出罚单，罚没金额合计{a4}万元，涉及贷款“三查”不到位、违规发放经营性贷款等问题。",
            "“银行净息差持续承压，负债端成本管控成为各家银行的必修课。”{org}银行业首席分析师{person}表示，预计年内存款利率仍有下调空间。",
            "保险方面，{insurer}前{dm}个月实现原保险保费收入{a2}亿元，同比增长{p2}%，其中健康险和分红险贡献主要增量。",
            "业内人士认为，随着个人养老金制度全面推开，银行理财、公募基金、商业养老保险等产品将迎来新的发展机遇，金融机构的财富管理能力面临考验。",
            "据了解，{bank}已在{city}设立科技金融服务中心，针对初创期科技企业推出“投贷联动”专属产品，目前已为{n3}家企业提供授信支持。",
            "监管人士表示，下一步将继续坚持“严”的主基调，强化对重点领域的穿透式监管，坚决守住不发生系统性金融风险的底线。",
        ),
        "subheads": ("LPR连续持平", "中小银行密集降息", "罚单聚焦信贷管理", "财富管理迎新机遇"),
        "items": ("贷款“三查”不到位", "违规发放经营性贷款，资金流入房地产领域",
                  "监管数据报送不准确", "保险销售误导，夸大产品收益"),
        "tags": ("银行", "LPR", "存款利率", "金融监管", "保险", "普惠金融"),
    },
    "公司": {
        "titles": (
            "{company}前三季度净利润同比增长{p2}% {product}销量大增",
            "独家｜{company}拟在{city}投资{invest}亿元建设生产基地",
            "{company}董事长{person}：海外收入占比明年有望超三成",
            "应收账款较年初增长{p4}% {company}业绩高增背后的隐忧",
            "{industry}行业价格战升级 头部企业加速扩张",
        ),
        "summaries": (
            "{company}前三季度营收和净利润双双增长，{product}产品放量是主要原因，但应收账款快速攀升值得关注。",
            "{industry}行业正经历新一轮洗牌，具备技术和规模优势的头部企业市场份额有望进一步提升。",
        ),
        "paras": (
            "{company}{month}月{day}日晚间披露的三季报显示，公司前三季度实现营业收入{a2}亿元，同比增长{p1}%；归属于上市公司股东的净利润{a1}亿元，同比增长{p2}%。",
            "对于业绩增长的原因，{company}在公告中解释称，主要系{product}产品销量大幅提升，同时公司持续推进降本增效，综合毛利率较上年同期提高{ps}个百分点。",
            "“我们今年在海外市场的布局开始见到成效。”{company}董事长{person}在业绩说明会上表示，公司在东南亚的生产基地已于{earlier}月投产，预计明年海外收入占比将超过三成。",
            "《每日经济新闻》记者注意到，{company}近三年研发（R&D）投入累计超过{a3}亿元，研发人员数量占员工总数的比例达到{p3}%，目前已拥有有效专利{n4}项。",
            "不过，公司的应收账款规模也在快速攀升。截至报告期末，{company}应收账款余额为{recv}亿元，较年初增长{p4}%，占营业收入的比例明显提高。",
            "产业链人士告诉记者，{industry}行业正经历新一轮洗牌，中小厂商在价格战中承压明显，具备技术和规模优势的头部企业市场份额有望进一步提升。",
            "二级市场上，{company}股价年内累计上涨{p2}%，最新总市值约{a5}亿元。多家券商给予公司“买入”或“增持”评级。",
            "据悉，{company}还计划在{city}投资建设{product}生产基地，项目总投资约{invest}亿元，建成后预计年产值约{n5}亿元。",
            "{company}相关负责人表示，公司将坚持主业，围绕{industry}产业链上下游进行布局，不会盲目跨界。",
        ),
        "subheads": ("海外业务贡献增量", "研发投入持续加码", "应收账款攀升引关注", "行业加速洗牌"),
        "items": ("{product}产品销量同比大幅增长", "海外生产基地投产，交付能力提升",
                  "原材料价格回落，毛利率改善", "期间费用率同比下降"),
        "tags": ("三季报", "业绩", "{industry}", "产能扩张", "应收账款", "上市公司"),
    },
    "TMT": {
        "titles": (
            "{tech_company}发布新一代大模型 推理成本下降约{p3}%",
            "{quarter}国内智能手机出货量同比增长{p1}% 折叠屏成增长最快品类",
            "AI服务器订单排到{n1}个月后 算力产业链迎来高景气",
            "“双11”首日{platform}成交额同比增长{p4}% 平台比拼用户体验",
            "对话{person}：大模型的下半场拼的是应用落地",
        ),
        "summaries": (
            "大模型竞争从参数规模转向应用落地，降低使用门槛成为各家厂商的共同选择。",
            "算力需求爆发带动上游产业链，AI服务器订单持续饱满，部分型号交付周期明显拉长。",
        ),
        "paras": (
            "{month}月{day}日，{tech_company}在{city}举办年度开发者大会，正式发布新一代大模型产品，并宣布向开发者开放{n1}项核心能力接口。",
            "据介绍，新模型在推理、代码生成和多模态理解等方面的能力较上一代显著提升，推理成本则下降了约{p3}%。{tech_company}首席技术官{person}表示，降低使用门槛是推动大模型应用落地的关键。",
            "“今年是大模型应用落地的关键一年，谁能率先跑通商业闭环，谁就能在下一轮竞争中占据主动。”{org}TMT行业分析师{person2}对《每日经济新闻》记者表示。",
            "据第三方机构统计，{quarter}国内智能手机出货量为{n6}万台，同比增长{p1}%，其中折叠屏手机出货量同比增长{p2}%，成为增长最快的细分品类。",
            "算力需求的爆发也带动了上游产业链。记者从多家服务器厂商了解到，今年以来AI服务器订单持续饱满，部分型号交付周期已延长至{n1}个月以上。",
            "电商领域，今年“双11”各大平台普遍拉长了促销周期，并更加注重用户体验。{platform}数据显示，活动首日平台成交额同比增长{p4}%，{n3}个品牌成交额破亿元。",
            "业内人士指出，数据安全和个人信息保护仍是行业发展绕不开的课题。企业在追求技术迭代的同时，需要建立完善的合规体系。",
            "从资本市场看，今年以来{industry}相关概念股表现活跃，{company}等公司股价累计涨幅超过{p2}%，但也有部分公司因估值过高出现明显回调。",
        ),
        "subheads": ("推理成本大幅下降", "折叠屏增长最快", "算力订单持续饱满", "商业闭环是关键"),
        "items": ("开放{n1}项核心能力接口", "推理成本下降约{p3}%", "支持长文本与多模态输入",
                  "面向中小企业推出免费额度"),
        "tags": ("大模型", "人工智能", "算力", "智能手机", "电商", "AI服务器"),
    },
    "理财": {
        "titles": (
            "{fund}暂停大额申购 单日限额{n7}万元",
            "年内新发基金募资{a3}亿元 债基占比超六成",
            "理财业绩比较基准再下调 {rate}%还能维持多久？",
            "金价年内涨超{p2}% 银行积存金开户数明显增加",
            "{industry}主题基金领跑 今年以来收益率最高超{top}%",
        ),
        "summaries": (
            "在利率下行的大背景下，固收类产品收益率中枢下移，投资者需要调整预期、分散配置。",
            "今年以来新发基金中债券型基金占比超过六成，{industry}主题基金业绩领跑。",
        ),
        "paras": (
            "{fund_company}旗下{fund}近期发布公告称，自{month}月{day}日起暂停大额申购，单日单个基金账户累计申购金额不得超过{n7}万元。",
            "Wind数据显示，截至{month}月{day}日，今年以来全市场新成立公募基金{n4}只，合计募集规模{a3}亿元，其中债券型基金占比超过六成。",
            "“在利率下行的大背景下，固收类产品的收益率中枢不可避免地会下移，投资者需要调整预期。”{org}基金研究中心负责人{person}表示。",
            "记者注意到，银行理财产品的业绩比较基准也在同步下调。某股份制银行一款{n1}个月期的固收类理财产品，业绩比较基准已从年初的{rate2}%降至{rate}%。",
            "黄金价格的持续走高，吸引了不少投资者的目光。截至发稿，上海黄金交易所Au9999合约报{gold}元/克，年内涨幅超过{p2}%，多家银行的积存金业务开户数明显增加。",
            "业内人士建议，普通投资者在配置资产时应坚持分散原则，根据自身风险承受能力合理搭配权益类和固收类产品，避免追涨杀跌。",
            "从业绩表现看，今年以来主动权益类基金平均收益率为{average}%，其中{industry}主题基金表现最为亮眼，排名前十的产品收益率均超过{top}%。",
            "指数基金方面，今年以来ETF规模持续扩张，全市场ETF总规模已突破{a5}亿元，宽基ETF成为资金流入的主要方向。",
        ),
        "subheads": ("债基发行占比超六成", "理财收益中枢下移", "黄金投资持续升温", "分散配置是关键"),
        "items": ("根据风险承受能力确定权益类资产比例", "固收类产品关注久期与信用风险",
                  "黄金配置比例不宜过高", "定投可以平滑短期波动"),
        "tags": ("公募基金", "银行理财", "黄金", "ETF", "债券基金", "资产配置"),
    },
    "汽车": {
        "titles": (
            "{dm}月新能源乘用车零售渗透率达{pen}% 再创历史新高",
            "{automaker}{dm}月交付{n10}辆 连续{n1}个月破万",
            "车市价格战持续 已有{brands}个品牌推出限时降价",
            "城市领航辅助驾驶覆盖{n3}城 {automaker}加码智能化",
            "{dm}月汽车出口{n11}万辆 新能源车出海提速",
        ),
        "summaries": (
            "新能源乘用车渗透率再创新高，价格战持续压缩行业利润，出口成为车企新的增长引擎。",
            "{automaker}交付量连续多月破万，城市领航辅助驾驶加速普及。",
        ),
        "paras": (
            "乘联会数据显示，{dm}月全国乘用车市场零售{n8}万辆，同比增长{p1}%；其中新能源乘用车零售{n9}万辆，渗透率达到{pen}%，再创历史新高。",
            "{automaker}{month}月{day}日公布的销量数据显示，公司{dm}月交付新车{n10}辆，同比增长{p2}%，连续{n1}个月交付量突破万辆。",
            "“价格战已经持续了很长时间，行业利润率被压缩得很厉害。”一位不愿具名的车企高管对《每日经济新闻》记者表示，今年以来已有{brands}个品牌推出限时降价或金融补贴政策。",
            "在智能化方面，城市领航辅助驾驶正加速普及。{automaker}表示，其城市领航功能已覆盖全国{n3}座城市，累计辅助驾驶里程超过{a5}万公里。",
            "动力电池方面，{dm}月我国动力电池装车量为{battery}GWh，同比增长{p3}%，磷酸铁锂电池装车量占比超过七成。",
            "记者在{city}多家4S店走访发现，燃油车终端优惠普遍在2万元以上，部分合资品牌车型优惠幅度甚至超过车价的两成。",
            "{org}汽车行业分析师{person}认为，随着以旧换新政策持续加力，四季度车市有望迎来传统销售旺季，全年乘用车销量有望实现正增长。",
            "海外市场成为车企新的增长引擎。{dm}月，我国汽车出口{n11}万辆，同比增长{p4}%，其中新能源汽车出口占比持续提升。",
        ),
        "subheads": ("新能源渗透率创新高", "价格战压缩利润", "智驾加速普及", "出口成新引擎"),
        "items": ("限时降价，最高优惠{discount}万元", "提供五年零息金融方案", "置换补贴叠加地方消费券",
                  "赠送城市领航辅助驾驶功能"),
        "tags": ("新能源汽车", "乘用车", "价格战", "智能驾驶", "汽车出口", "动力电池"),
    },
}
SECTION_HOSTS = {"宏观": "economy", "证券": "stocks", "金融": "finance", "公司": "industry",
                 "TMT": "tmt", "理财": "money", "汽车": "auto"}

# Commentary (每经热评): the 每经评论员 / 每经特约评论员 pieces.
COMMENTARY = {
    "titles": ("每经热评｜{industry}不能只靠补贴“续命”", "每经热评｜让中小投资者更有获得感",
               "每经热评｜“内卷式”竞争该降温了", "每经热评｜提振消费要在增收上下功夫"),
    "paras": (
        "近期，{industry}行业的价格战再度升级，不少企业以低于成本的价格抢夺市场份额。短期看，消费者得到了实惠；长期看，这种“内卷式”竞争却在透支整个行业的创新能力。",
        "市场经济讲究优胜劣汰，但优胜劣汰的标准应当是技术、质量和服务，而不是谁更能“烧钱”。当价格成为唯一的竞争手段，企业就很难有余力投入研发，产业升级也就无从谈起。",
        "治理“内卷式”竞争，既要发挥市场机制的作用，也需要监管部门加强对低价倾销、虚假宣传等行为的规范，为企业营造公平竞争的环境。",
        "对于投资者而言，也应理性看待行业的短期波动。真正具备核心竞争力的企业，往往在行业出清之后才能迎来更大的发展空间。",
        "提振消费，归根结底要让居民“有钱花、敢花钱”。这需要在稳就业、增收入、完善社会保障等方面持续发力，让居民对未来的收入预期更加稳定。",
        "资本市场的健康发展离不开中小投资者的信心。只有让投资者真正分享到上市公司成长的红利，市场才能形成“长钱长投”的良性循环。",
    ),
    "tags": ("每经热评", "评论", "内卷式竞争", "提振消费"),
}

# 每经AI快讯 (a paragraph that starts with the byline and is the news itself).
AI_FLASH = {
    "titles": ("{company}：拟投资{invest}亿元建设{product}项目", "{company}：{month}月{day}日召开董事会审议回购议案",
               "{company}：控股股东拟减持不超过{ps}%公司股份"),
    "first": (
        "每经AI快讯，{company}{month}月{day}日晚间发布公告称，公司拟投资{invest}亿元在{city}建设{product}项目，项目建设周期约{n1}个月。",
        "每经AI快讯，{company}{month}月{day}日晚间发布公告称，公司第五届董事会第{n1}次会议于近日召开，审议通过了《关于以集中竞价交易方式回购公司股份方案的议案》。",
        "每经AI快讯，{company}{month}月{day}日晚间发布公告称，公司控股股东计划通过大宗交易方式减持不超过{ps}%的公司股份。",
    ),
    "paras": (
        "{company}近一年的营业收入构成为：{industry}相关业务占比{share}%，其他业务占比{rest}%。",
        "截至发稿，{company}市值为{a5}亿元。",
    ),
}


def _pct(rng: random.Random, low: float, high: float, digits: int = 1) -> str:
    return f"{rng.uniform(low, high):.{digits}f}"


def _slots(rng: random.Random, day: dt.date) -> dict[str, object]:
    """Values for the corpus templates, drawn once per article so they agree throughout."""
    (industry, product, makers), (sector2, _, _), (sector_down, _, _) = rng.sample(INDUSTRIES, 3)
    company = rng.choice(makers)
    company2 = rng.choice([c for c in OTHER_COMPANIES + tuple(m for i in INDUSTRIES for m in i[2])
                           if c != company])
    person, person2 = rng.sample(PEOPLE, 2)
    revenue = rng.uniform(20, 300)
    share = rng.uniform(60, 95)
    average = rng.uniform(3, 25)
    updown = rng.choice(("上涨", "下跌"))
    rate = rng.uniform(1.45, 2.1)
    return {
        "company": company, "company2": company2, "person": person, "person2": person2,
        "org": rng.choice(ORGS), "bank": rng.choice(BANKS), "insurer": rng.choice(INSURERS),
        "fund_company": rng.choice(FUND_COMPANIES), "fund": rng.choice(FUNDS),
        "tech_company": rng.choice(TECH_COMPANIES), "platform": rng.choice(PLATFORMS),
        "automaker": rng.choice(AUTOMAKERS), "city": rng.choice(CITIES),
        "province": rng.choice(PROVINCES), "industry": industry, "product": product,
        "sector2": sector2, "sector_down": sector_down,
        # month/day: the news day; dm: the month the latest statistics describe (the one before)
        "month": day.month, "day": day.day, "dm": (day.month - 2) % 12 + 1,
        "later": (day.month + 2) % 12 + 1, "earlier": (day.month - 4) % 12 + 1,
        "quarter": ("一季度", "上半年", "前三季度", "前三季度")[(day.month - 1) // 3],
        "limit": rng.choice(("10.00", "10.01", "19.99", "20.00")),   # the daily price limits
        "share": f"{share:.2f}", "rest": f"{100 - share:.2f}", "average": f"{average:.1f}",
        "top": f"{average + rng.uniform(15, 40):.1f}",
        "p1": _pct(rng, 3, 45), "p2": _pct(rng, 3, 60), "p3": _pct(rng, 5, 40), "p4": _pct(rng, 4, 30),
        # macro statistics move within a few percent
        "g1": _pct(rng, 4.5, 7.5), "g2": _pct(rng, 3.5, 8.5), "g3": _pct(rng, 2.0, 6.5), "gm": _pct(rng, 0.1, 0.6),
        "ps": _pct(rng, 0.1, 2.5, 2), "ps2": _pct(rng, 0.1, 2.5, 2), "ps3": _pct(rng, 0.1, 3.5, 2),
        "a1": _pct(rng, 1, 20, 2), "a2": f"{revenue:.2f}", "recv": f"{revenue * rng.uniform(0.2, 0.45):.2f}",
        "invest": _pct(rng, 10, 80, 1), "brands": rng.randint(12, 45), "a3": _pct(rng, 8000, 16000, 0),
        "a4": _pct(rng, 300, 9000, 0), "a5": _pct(rng, 200, 3000, 0), "a6": _pct(rng, 500, 1500, 0),
        "a7": _pct(rng, 150, 450, 2), "t1": _pct(rng, 20, 40, 2),
        "n1": rng.randint(3, 12), "n2": rng.randint(20, 180), "n3": rng.randint(60, 300),
        "n4": rng.randint(300, 1200), "n5": rng.randint(20, 200), "n6": rng.randint(6000, 8000),
        "n7": rng.choice((10, 50, 100, 500)), "n8": rng.randint(160, 230), "n9": rng.randint(80, 130),
        "n10": rng.randint(10000, 60000), "n11": rng.randint(40, 70),
        "idx": _pct(rng, 2950, 3550, 2), "idx2": _pct(rng, 9000, 11500, 2),
        "updown": updown, "updown2": rng.choice(("上涨", "下降")),
        "trend": "集体收涨" if updown == "上涨" else "集体收跌",
        "vol_change": rng.choice(("放量", "缩量")) + _pct(rng, 100, 1500, 0) + "亿元",
        "flow": rng.choice(("流入", "流出")), "margin": _pct(rng, 14000, 19000, 2),
        "price": _pct(rng, 12, 90, 2), "lpr1": "3.10", "lpr5": "3.60", "unemp": _pct(rng, 4.9, 5.3),
        "rate": f"{rate:.2f}", "rate2": f"{rate + rng.uniform(0.3, 0.8):.2f}",
        "gold": _pct(rng, 560, 780, 2), "discount": rng.randint(2, 6), "pen": _pct(rng, 45, 58),
        "battery": _pct(rng, 35, 70),
    }


def _fill(template: str, slots: dict) -> str:
    return template.format_map(slots)


# =============================================================================================
# Bylines (NOTES: "The byline is the first paragraph of the body, in many spellings")
# =============================================================================================

BYLINE_STYLES = ("reporter-editor", "twosessions", "multi", "pipe", "colon", "jizhe", "special",
                 "commentator", "ai")


def make_byline(style: str, rng: random.Random) -> tuple[str, list[str], str | None]:
    """(byline as printed, authors, editor named in it) for one of the notes' spellings.

    "reporter-editor" is the notes' first spelling without the event tag; "twosessions" carries
    the tag ("全国两会现场报道"), which is not a name.
    """
    r1, r2, r3 = rng.sample(REPORTERS, 3)
    editor = rng.choice(EDITORS)
    if style == "reporter-editor":
        return f"每经记者 {r1} 每经编辑 {editor}", [r1], editor
    if style == "twosessions":
        return f"每经记者 {r1} 全国两会现场报道 每经编辑 {editor}", [r1], editor
    if style == "multi":
        return f"每经记者 {r1} {r2} {r3} 每经编辑 {editor}", [r1, r2, r3], editor
    if style == "pipe":
        return f"每经记者｜{r1}", [r1], None
    if style == "colon":
        return f"每经记者：{r1}", [r1], None
    if style == "jizhe":
        return f"记者 {r1}", [r1], None
    if style == "special":
        person = rng.choice(PEOPLE)
        return f"每经特约评论员 {person}", [person], None
    if style == "commentator":
        return "每经评论员", [], None
    if style == "ai":
        return "每经AI快讯", [], None
    raise ValueError(f"unknown byline style {style!r}")


# =============================================================================================
# Composing an article body
# =============================================================================================

@dataclass
class _Story:
    title: str
    summary: str | None
    blocks: list[Block]
    tags: list[str]
    keywords: list[str]


def _image_path(rng: random.Random, created: dt.date) -> str:
    folder = created.strftime("%Y%m%d") + f"{rng.randint(0, 99):02d}"
    return f"/uploads/articles/images/{folder}/{rng.getrandbits(64):016x}.jpg"


_CAPTIONS = ("图片来源：视觉中国", "图片来源：每经记者 {reporter} 摄", "图片来源：{company}官网",
             "图片来源：每经制图", None)


def compose(rng: random.Random, section: str, created: dt.date, *, paragraphs: int = 6,
            images: int = 1, heading: str | None = "h2", extras: tuple[str, ...] = ()) -> _Story:
    """A realistic article of ``section``: title, summary, blocks, tags.

    heading: block kind of sub-headings ("h2" on newer pages, "hp" on older, None: none).
    extras: "list", "table", "quote", "inline" (strong/em/a inside paragraphs), "captions"
    (a 图片来源 caption under every image).
    """
    corpus = CORPUS[section]
    slots = _slots(rng, created)
    slots["reporter"] = rng.choice(REPORTERS)
    # The lead paragraph first, then a sample of the others in the corpus's (narrative) order.
    pool = corpus["paras"]
    picked = [0] + sorted(rng.sample(range(1, len(pool)), min(paragraphs, len(pool)) - 1))
    paras = [_fill(pool[k], slots) for k in picked]
    if len(paras) < paragraphs:     # long articles: background from the other sections
        others = [p for name, c in CORPUS.items() if name != section for p in c["paras"]]
        paras += [_fill(p, slots) for p in rng.sample(others, paragraphs - len(paras))]
    blocks = [Block("p", text) for text in paras]
    if heading and len(blocks) >= 4:
        subheads = rng.sample(corpus["subheads"], min(2, len(corpus["subheads"])))
        for k, text in enumerate(subheads):
            blocks.insert(2 + k * (len(blocks) // 2), Block(heading, _fill(text, slots)))
    if "inline" in extras:
        _add_inline_markup(blocks, slots)
    if "list" in extras:
        items = [_fill(i, slots) for i in rng.sample(corpus["items"], 3)]
        blocks.insert(min(3, len(blocks)), Block("ul", items=items))
    if "table" in extras:
        blocks.insert(min(4, len(blocks)), _table(slots))
    unused = [k for k in range(len(pool)) if k not in picked]
    if "quote" in extras and unused:
        blocks.insert(min(2, len(blocks)), Block("quote", _fill(pool[rng.choice(unused)], slots)))
    for k in range(images):
        caption = _CAPTIONS[0] if "captions" in extras else rng.choice(_CAPTIONS)
        img = Block("img", _image_path(rng, created), caption=_fill(caption, slots) if caption else None)
        blocks.insert(min(len(blocks), 1 + k * 3), img)
    tags = [_fill(t, slots) for t in rng.sample(corpus["tags"], rng.randint(2, 4))]
    keywords = tags + ([str(slots["company"])] if rng.random() < 0.5 else [])
    summary = _fill(rng.choice(corpus["summaries"]), slots)
    return _Story(_fill(rng.choice(corpus["titles"]), slots), summary, blocks, tags, keywords)


def _add_inline_markup(blocks: list[Block], slots: dict) -> None:
    """strong / em / a inside paragraphs (the text stays the same: markup is not text)."""
    paras = [b for b in blocks if b.kind == "p"]
    if paras:
        first = paras[0]
        lead = first.text.split("，", 1)[0]
        first.html = inline_html(first.text, lead, "strong")
    for b in paras[1:]:
        if str(slots["company"]) in b.text and b.html is None:
            href = "{base}/search/article_search/?utf8=%E2%9C%93&q=" + quote(str(slots["company"]))
            b.html = inline_html(b.text, str(slots["company"]), "a", href)
            break
    for b in paras[1:]:
        if "《每日经济新闻》" in b.text and b.html is None:
            b.html = inline_html(b.text, "《每日经济新闻》", "em")
            break


def _table(slots: dict) -> Block:
    return Block("table", rows=[
        ["指标", "金额（亿元）", "同比增长"],
        ["营业收入", str(slots["a2"]), f"{slots['p1']}%"],
        ["归母净利润", str(slots["a1"]), f"{slots['p2']}%"],
        ["研发投入", f"{float(slots['a1']) / 3:.2f}", f"{slots['p3']}%"],
    ])


def _ai_story(rng: random.Random, created: dt.date) -> _Story:
    slots = _slots(rng, created)
    k = rng.randrange(len(AI_FLASH["first"]))
    blocks = [Block("p", _fill(AI_FLASH["first"][k], slots))]
    blocks += [Block("p", _fill(p, slots)) for p in AI_FLASH["paras"]]
    return _Story(_fill(AI_FLASH["titles"][k], slots), None, blocks, ["每经AI快讯", str(slots["company"])],
                  [str(slots["company"]), "公告"])


def _commentary_story(rng: random.Random, created: dt.date, paragraphs: int = 4) -> _Story:
    slots = _slots(rng, created)
    blocks = [Block("p", _fill(p, slots)) for p in rng.sample(COMMENTARY["paras"], paragraphs)]
    title = _fill(rng.choice(COMMENTARY["titles"]), slots)
    return _Story(title, None, blocks, list(COMMENTARY["tags"][:2]), list(COMMENTARY["tags"][:2]))


# =============================================================================================
# Expected record
# =============================================================================================

def classify(link_column: int | None, column_hint: int | None, page_url: str | None) -> tuple[str | None, str | None]:
    """(category, column) per the convention in the module doc: each field takes the first of
    the page's .u-column link, the crawl's column hint, (category only) the section host."""
    column = column_name(link_column) or column_name(column_hint)
    category = column_section(link_column) or column_section(column_hint)
    if category is None and page_url:
        category = host_section(page_url)
    return category, column


def expected_record(spec: ArticleSpec, base_url: str = DEFAULT_BASE_URL,
                    image_base: str = DEFAULT_IMAGE_BASE, page_url: str | None = None) -> dict:
    """The record an exact extractor returns for ``render_article(spec, base_url, image_base)``
    fetched at ``page_url`` (default: the canonical URL). See the module doc for conventions."""
    canonical = spec.url(base_url)
    page_url = page_url or canonical
    images = [urljoin(page_url, image_src(spec, src, image_base)) for src in body_image_srcs(spec)]
    warning = None
    if spec.published_at is None:
        published = dt.datetime.combine(spec.created, dt.time(0), BEIJING).astimezone(UTC)
        warning = PUBLISH_WARNING
    else:
        published = spec.published_at.astimezone(UTC)
        drift = abs((spec.published_at.astimezone(BEIJING).date() - spec.created).days)
        if drift > MAX_DATE_DRIFT_DAYS:
            warning = PUBLISH_WARNING
    record = {
        "article_id": spec.article_id,
        "url": canonical,
        "title": spec.title,
        "published_at": published,
        "byline": spec.byline,
        "authors": list(spec.authors),
        "editor": spec.editor,
        "source": spec.source,
        "category": spec.category,
        "column": spec.column,
        "tags": list(spec.tags),
        "keywords": list(spec.keywords),
        "summary": spec.summary,
        "body_text": spec.body_text,
        "images": images,
        "thumbnail_url": images[0] if images else og_image_url(spec, image_base),
        "method": "fallback" if spec.layout == "generic" else "layout",
    }
    excludes = noise_texts(spec)
    if excludes:
        record["body_excludes"] = excludes
    if warning:
        record["warnings_contain"] = warning
    return record


# =============================================================================================
# Evaluation cases
# =============================================================================================

# Layouts whose pages print tags (div.u-aticle-tag); the notes give the others none.
TAGGED_LAYOUTS = ("g-article", "g-article-2017")

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


def _at(day: dt.date, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=BEIJING)


def _spec(name: str, created: dt.date, *, section: str = "公司", layout: str = "g-article",
          when: tuple[int, int, int] | dt.datetime | None = (9, 30, 0), byline_style: str | None = "pipe",
          page_editor: str | bool | None = True, column_id: int | None = None, source: str | None = "每日经济新闻",
          paragraphs: int = 6, images: int = 1, extras: tuple[str, ...] = (), summary: bool = True,
          story: _Story | None = None, **variant) -> ArticleSpec:
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
            story = _ai_story(rng, created)
        elif byline_style in ("commentator", "special"):
            story = _commentary_story(rng, created)
        else:
            story = compose(rng, section, created, paragraphs=paragraphs, images=images,
                            heading=heading, extras=extras)
    byline, authors, editor = make_byline(byline_style, rng) if byline_style else (None, [], None)
    if page_editor is True:
        page_editor = editor or rng.choice(EDITORS)
    page_editor = page_editor or None
    if layout in ("m-articleBox", "generic"):
        page_editor = None                       # those templates have no 责编 line
    published = _at(created, *when) if isinstance(when, tuple) else when
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


def _story_2012() -> _Story:
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
    return _Story("央行三年来首次降息 存款利率可上浮至基准1.1倍", None, blocks,
                  ["降息", "央行", "利率市场化"], ["降息", "央行", "存贷款基准利率"])


def _story_twosessions() -> _Story:
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
    return _Story("政府工作报告：今年GDP增长预期目标6%以上 代表委员称为高质量发展留出空间",
                  "政府工作报告提出今年国内生产总值增长6%以上，代表委员认为，这一目标为推进改革、调整结构留出了空间。",
                  blocks, ["全国两会", "政府工作报告", "GDP"], ["全国两会", "政府工作报告", "GDP目标"])


def _story_xinhua(created: dt.date) -> _Story:
    """A reprint from 新华社: no byline; the dateline paragraph is article text."""
    paras = [
        f"新华社北京{created.month}月{created.day}日电 国务院新闻办公室{created.day}日举行新闻发布会，介绍前三季度工业和信息化发展情况。前三季度，全国规模以上工业增加值同比增长5.8%，制造业增加值占国内生产总值比重保持基本稳定。",
        "工业和信息化部新闻发言人表示，下一步将着力推动传统产业改造提升，加快培育新兴产业和未来产业，持续推进新型工业化。",
        "发布会上，有关负责人介绍，前三季度装备制造业增加值同比增长7.6%，对全部规上工业增长的贡献率超过四成，其中电子、汽车、铁路船舶航空航天等行业增长较快。",
        "在中小企业发展方面，截至目前，我国已累计培育专精特新中小企业超过14万家，专精特新“小巨人”企业1.46万家。",
    ]
    return _Story("前三季度规上工业增加值同比增长5.8% 装备制造业贡献率超四成",
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
              "the .u-column link (no section: category None); editor from 责编."))

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
        published = _at(created + dt.timedelta(days=1), *when) if canonical else _at(created, *when)
        s = _spec(name, created, section="证券", when=published, canonical=canonical, column_id=None)
        note = ("has <link rel=canonical>: the url takes its date (the day before the publish date)"
                if canonical else "has no canonical link: the url date is the Beijing publish date")
        add(_case(name, s, f"Partner copy /rss/{partner}/articles/<id>.html (no date in the path); {note}.",
                  page_url=_partner_url(partner, s)))

    # --- dates -------------------------------------------------------------------------------------
    created = dt.date(2024, 12, 1)
    s = _spec("publish-far-from-url-date", created, section="宏观", when=_at(created + dt.timedelta(days=5), 10, 0),
              column_id=475)
    add(_case("publish-far-from-url-date", s, "Publish time 5 days after the URL date: keep the page's "
              "time, url keeps the URL date, and warn.", column_hint=475))

    s = _spec("publish-next-day-after-midnight", created, section="证券",
              when=_at(created + dt.timedelta(days=1), 0, 12, 9), column_id=405)
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


def _garbage(size: int = 4096) -> bytes:
    rng = random.Random("garbage")
    return b"\x89PNG\r\n\x1a\n" + bytes(rng.getrandbits(8) for _ in range(size))


# =============================================================================================
# Generated articles (crawls, benchmarks)
# =============================================================================================

_GEN_BYLINES = ("reporter-editor", "pipe", "colon", "multi", "jizhe", "twosessions", "special",
                "commentator", "ai", None)
_GEN_LAYOUTS = (("g-article", "g-article-2017", "m-articleBox"), (80, 10, 10))


def generate_articles(n: int, seed: int = 0, start_id: int = 4000000,
                      start_date: dt.date = dt.date(2026, 9, 1)) -> list[ArticleSpec]:
    """``n`` varied, deterministic specs with ids and times increasing together.

    Mostly g-article, some g-article-2017 and m-articleBox; every byline spelling in turn
    ("twosessions" becomes "reporter-editor" outside March); a column from site.COLUMNS named on
    the page by the ``.u-column`` link, so the expected category/column hold however the crawl
    reached the article (the replica lists some articles in two columns); 3-12 paragraphs,
    0-3 images, random noise and knobs. A few are published just after midnight the day after
    their URL date (normal per the notes: no warning).
    """
    rng = random.Random(f"generate:{seed}")
    column_ids = sorted(COLUMNS)
    specs: list[ArticleSpec] = []
    article_id, day, minute = start_id, start_date, 7 * 60
    for i in range(n):
        article_id += rng.randint(15, 90)
        minute += rng.randint(5, 70)
        if minute >= 23 * 60 + 30:                 # the URL date moves on
            day, minute = day + dt.timedelta(days=1), 7 * 60 + rng.randint(0, 40)
        published = _at(day, minute // 60, minute % 60, rng.randint(0, 59))
        if rng.random() < 0.03:
            published = _at(day + dt.timedelta(days=1), 0, rng.randint(0, 40), rng.randint(0, 59))
        style = _GEN_BYLINES[i % len(_GEN_BYLINES)]
        if style == "twosessions" and day.month != 3:
            style = "reporter-editor"
        specs.append(_generated_spec(random.Random(f"generate:{seed}:{article_id}"), article_id, day,
                                     published, style, rng.choice(column_ids),
                                     rng.choices(*_GEN_LAYOUTS)[0]))
    return specs


def _generated_spec(rng: random.Random, article_id: int, day: dt.date, published: dt.datetime,
                    style: str | None, column_id: int, layout: str) -> ArticleSpec:
    """One generated article; commentary goes to 每经热评 and AI flashes to 首发快讯."""
    if style == "ai":
        column_id, story, source = 1320, _ai_story(rng, day), "每日经济新闻"
    elif style in ("special", "commentator"):
        column_id, source = 1072, "每日经济新闻"
        story = _commentary_story(rng, day, paragraphs=rng.randint(3, 6))
    else:
        section = column_section(column_id) or rng.choice(list(CORPUS))
        story = compose(rng, section, day, paragraphs=rng.randint(3, 12),
                        images=rng.choices((0, 1, 2, 3), (25, 40, 25, 10))[0],
                        heading="h2" if layout == "g-article" else "hp",
                        extras=tuple(e for e in ("list", "table", "inline") if rng.random() < 0.12))
        source = rng.choices(("每日经济新闻", "新华社", "中国证券报"), (90, 6, 4))[0]
    byline, authors, editor = make_byline(style, rng) if style else (None, [], None)
    page_editor = None
    if layout != "m-articleBox" and rng.random() < 0.7:
        page_editor = editor or rng.choice(EDITORS)
    variant: dict = {
        "noise": tuple(x for x in ALL_NOISE if rng.random() < 0.25),
        "column_link": True,
        "h1_comment": rng.random() < 0.15,
        "title_tag": rng.random() > 0.05,
    }
    if layout == "g-article":
        variant["span_time"] = rng.random() > 0.1
    if rng.random() < 0.3:
        variant["og_image"] = _image_path(rng, day)
    return ArticleSpec(
        article_id=article_id, created=day, title=story.title, published_at=published,
        byline=byline, authors=authors, editor=editor or page_editor, source=source,
        column_id=column_id, category=column_section(column_id), column=column_name(column_id),
        tags=story.tags if layout in TAGGED_LAYOUTS else [], keywords=story.keywords,
        summary=story.summary if layout == "g-article" and rng.random() < 0.6 else None,
        blocks=story.blocks, lead_image=_image_path(rng, day) if rng.random() < 0.1 else None,
        layout=layout, variant=variant, page_editor=page_editor,
    )
