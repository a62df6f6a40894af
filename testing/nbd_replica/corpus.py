"""Generated 每经网 articles for the replica: text corpus, bylines, stories, ``generate_articles``.

Deterministic (seeded): the same seed gives the same articles. The facts the pages follow come
from the project's site notes; the expected records of these articles (the oracle) live in
``tests/evaluation``, not here.
"""


from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass
from urllib.parse import quote

from newscrawler.nbd.site import COLUMNS, column_category, column_name, column_section
from nbd_replica.pages import (
    ALL_NOISE,
    inline_html,
)
from nbd_replica.spec import BEIJING, ArticleSpec, Block

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
class Story:
    title: str
    summary: str | None
    blocks: list[Block]
    tags: list[str]
    keywords: list[str]


def image_path(rng: random.Random, created: dt.date) -> str:
    folder = created.strftime("%Y%m%d") + f"{rng.randint(0, 99):02d}"
    return f"/uploads/articles/images/{folder}/{rng.getrandbits(64):016x}.jpg"


_CAPTIONS = ("图片来源：视觉中国", "图片来源：每经记者 {reporter} 摄", "图片来源：{company}官网",
             "图片来源：每经制图", None)


def compose(rng: random.Random, section: str, created: dt.date, *, paragraphs: int = 6,
            images: int = 1, heading: str | None = "h2", extras: tuple[str, ...] = ()) -> Story:
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
        img = Block("img", image_path(rng, created), caption=_fill(caption, slots) if caption else None)
        blocks.insert(min(len(blocks), 1 + k * 3), img)
    tags = [_fill(t, slots) for t in rng.sample(corpus["tags"], rng.randint(2, 4))]
    keywords = tags + ([str(slots["company"])] if rng.random() < 0.5 else [])
    summary = _fill(rng.choice(corpus["summaries"]), slots)
    return Story(_fill(rng.choice(corpus["titles"]), slots), summary, blocks, tags, keywords)


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


def ai_story(rng: random.Random, created: dt.date) -> Story:
    slots = _slots(rng, created)
    k = rng.randrange(len(AI_FLASH["first"]))
    blocks = [Block("p", _fill(AI_FLASH["first"][k], slots))]
    blocks += [Block("p", _fill(p, slots)) for p in AI_FLASH["paras"]]
    return Story(_fill(AI_FLASH["titles"][k], slots), None, blocks, ["每经AI快讯", str(slots["company"])],
                  [str(slots["company"]), "公告"])


def commentary_story(rng: random.Random, created: dt.date, paragraphs: int = 4) -> Story:
    slots = _slots(rng, created)
    blocks = [Block("p", _fill(p, slots)) for p in rng.sample(COMMENTARY["paras"], paragraphs)]
    title = _fill(rng.choice(COMMENTARY["titles"]), slots)
    return Story(title, None, blocks, list(COMMENTARY["tags"][:2]), list(COMMENTARY["tags"][:2]))



# Layouts whose pages print tags (div.u-aticle-tag); the notes give the others none.
TAGGED_LAYOUTS = ("g-article", "g-article-2017")

def beijing_at(day: dt.date, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=BEIJING)


# =============================================================================================
# Generated articles (crawls, benchmarks)
# =============================================================================================

_GEN_BYLINES = ("reporter-editor", "pipe", "colon", "multi", "jizhe", "twosessions", "special",
                "commentator", "ai", None)
_GEN_LAYOUTS = (("g-article", "g-article-2017", "m-articleBox"), (80, 10, 10))


# The columns generated articles are placed in: the first survey's, frozen, so that a seed gives
# the same corpus when the site model learns more columns.
GENERATED_COLUMN_IDS = (2, 3, 4, 5, 28, 79, 140, 256, 261, 275, 313, 315, 318, 324, 326, 327, 329,
                        332, 346, 402, 405, 407, 415, 418, 439, 440, 441, 448, 451, 475, 477, 478,
                        583, 585, 586, 587, 590, 591, 592, 1072, 1161, 1320, 1444, 2226)
assert set(GENERATED_COLUMN_IDS) <= set(COLUMNS)


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
    column_ids = list(GENERATED_COLUMN_IDS)
    specs: list[ArticleSpec] = []
    article_id, day, minute = start_id, start_date, 7 * 60
    for i in range(n):
        article_id += rng.randint(15, 90)
        minute += rng.randint(5, 70)
        if minute >= 23 * 60 + 30:                 # the URL date moves on
            day, minute = day + dt.timedelta(days=1), 7 * 60 + rng.randint(0, 40)
        published = beijing_at(day, minute // 60, minute % 60, rng.randint(0, 59))
        if rng.random() < 0.03:
            published = beijing_at(day + dt.timedelta(days=1), 0, rng.randint(0, 40), rng.randint(0, 59))
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
        column_id, story, source = 1320, ai_story(rng, day), "每日经济新闻"
    elif style in ("special", "commentator"):
        column_id, source = 1072, "每日经济新闻"
        story = commentary_story(rng, day, paragraphs=rng.randint(3, 6))
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
        variant["og_image"] = image_path(rng, day)
    return ArticleSpec(
        article_id=article_id, created=day, title=story.title, published_at=published,
        byline=byline, authors=authors, editor=editor or page_editor, source=source,
        column_id=column_id, category=column_category(column_id), column=column_name(column_id),
        tags=story.tags if layout in TAGGED_LAYOUTS else [], keywords=story.keywords,
        summary=story.summary if layout == "g-article" and rng.random() < 0.6 else None,
        blocks=story.blocks, lead_image=image_path(rng, day) if rng.random() < 0.1 else None,
        layout=layout, variant=variant, page_editor=page_editor,
    )


def with_paged_articles(specs: list[ArticleSpec], every: int = 4) -> list[ArticleSpec]:
    """``specs`` with every ``every``-th article (of a template with a pager and at least 4
    blocks) running over several pages: 2 and 3 in turn (pages.render_article_page)."""
    out, paged = [], 0
    for i, spec in enumerate(specs):
        if i % every == every - 1 and spec.layout != "generic" and len(spec.blocks) >= 4:
            spec = dataclasses.replace(spec, pages=2 + paged % 2)
            paged += 1
        out.append(spec)
    return out
