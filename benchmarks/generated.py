"""Generated articles for the archive benchmarks (bench_query, bench_scale, bench_write): Chinese
titles and bodies drawn from jieba's dictionary with its word frequencies (so words are
Zipf-distributed as in real text), 12 categories, 400 authors, 600 tags, five years of dates;
``Generator``: an archive grown as a backfill would grow it (bench_scale, bench_write).

jieba is a benchmark-only dependency (the ``bench`` extra): only its dictionary file is read,
the package is never imported.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
import re
from pathlib import Path

CATEGORIES = {"证券": 20, "公司": 16, "金融": 14, "宏观": 12, "TMT": 9, "汽车": 7, "理财": 6,
              "国际": 5, "城市": 4, "影视": 3, "新三板": 2, "评论": 2}
SOURCES = {"每日经济新闻": 75, "新华社": 8, "中国证券报": 6, "证券时报": 6, None: 5}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏建红辉宇晨浩然欣怡子轩梓涵一诺雨泽"
YEARS = 5
PUNCT = "，，，。、；："
FIRST_ID = 1_000_000


def jieba_dictionary() -> Path:
    """jieba's dict.txt (word, frequency, tag a line), found without importing jieba."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:
        raise SystemExit("the benchmarks draw words from jieba's dictionary: pip install 'newscrawler[bench]'")
    return Path(spec.origin).with_name("dict.txt")


class Corpus:
    """Words with jieba's dictionary frequencies, and text drawn from them."""

    def __init__(self, rng: random.Random, vocabulary: int = 30_000):
        han = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
        rows = []
        for line in jieba_dictionary().read_text(encoding="utf-8").splitlines():
            word, freq, *_ = line.split(" ")
            if han.match(word):
                rows.append((int(freq), word))
        rows.sort(reverse=True)
        self.words = [w for _f, w in rows[:vocabulary]]
        self.weights = [f ** 0.9 for f, _w in rows[:vocabulary]]
        self.rng = rng
        total, self._cum = 0.0, []
        for w in self.weights:
            total += w
            self._cum.append(total)

    def draw(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self._cum, k=k)

    def sentence(self) -> str:
        words = self.draw(self.rng.randint(5, 12))
        out = words[0]
        for w in words[1:]:
            out += (self.rng.choice("的了在是和与对将") if self.rng.random() < 0.35 else "") + w
        return out

    def paragraph(self, chars: int) -> str:
        parts = []
        while sum(map(len, parts)) < chars:
            parts.append(self.sentence() + self.rng.choice(PUNCT))
        return "".join(parts)[:-1] + "。"


def people_and_tags(corpus: Corpus, seed: int = 42) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    people = list(dict.fromkeys(rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2)))
                                for _ in range(600)))[:400]
    return people, corpus.words[2000:2600]


def make_article(i: int, corpus: Corpus, rng: random.Random, people: list[str], tags: list[str],
                 now: dt.datetime, paragraphs: tuple[int, int] = (3, 5)) -> dict:
    """Article ``i`` (id ``FIRST_ID + i``): the record fields a crawl gives, drawn from ``rng``."""
    published = now - dt.timedelta(seconds=rng.randrange(YEARS * 365 * 86400))
    title = corpus.sentence()[:28]
    texts = [corpus.paragraph(rng.randint(120, 260)) for _ in range(rng.randint(*paragraphs))]
    body_text = "\n".join(texts)
    authors = rng.sample(people, rng.choice((1, 1, 1, 2)))
    created = published.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    article_id = FIRST_ID + i
    return {
        "article_id": article_id,
        "url": f"https://www.nbd.com.cn/articles/{created}/{article_id}.html",
        "title": title,
        "published_at": published,
        "byline": "每经记者 " + " ".join(authors),
        "authors": authors,
        "editor": rng.choice(people),
        "source": rng.choices(list(SOURCES), list(SOURCES.values()))[0],
        "category": rng.choices(list(CATEGORIES), list(CATEGORIES.values()))[0],
        "column": None,
        "tags": rng.sample(tags, rng.randint(1, 3)),
        "keywords": [],
        "summary": texts[0][:80],
        "body_html": "".join(f"<p>{p}</p>\n" for p in texts),
        "body_text": body_text,
        "images": [],
        "thumbnail_url": f"https://image.nbd.com.cn/uploads/{created}/{article_id}.jpg" if i % 3 else None,
        "extraction": {"method": "layout", "layout": "g-article", "version": "bench", "warnings": []},
        "content_hash": f"{rng.getrandbits(160):040x}",
        "revision": 1,
    }


# -- an archive grown as a backfill (bench_scale, bench_write) ----------------------------------

SEED = 2026
PARAGRAPHS = (5, 9)  # about 1,300 characters of body, nearer real articles than bench_query's
NEWEST_ID = 4_600_000  # the site's ids reach about 4.6 M (2026)
IDS_A_DAY = 1_500


class Generator:
    """Article ``i`` drawn from its own seed: the same article whenever it is generated. The
    archive grows as a backfill of the site would build it: from the newest article back, the
    site's 1,500 ids a day (article ``i`` is id ``NEWEST_ID - i``, published ``i / 1,500`` days
    before the reference time), so a batch holds a day's articles, as a crawl's does."""

    def __init__(self, reference: dt.datetime):
        self.corpus = Corpus(random.Random(SEED))
        self.people, self.tags = people_and_tags(self.corpus)
        self.reference = reference

    def article(self, i: int) -> dict:
        rng = random.Random(f"{SEED}:{i}")
        self.corpus.rng = rng
        doc = make_article(i, self.corpus, rng, self.people, self.tags, self.reference, paragraphs=PARAGRAPHS)
        published = self.reference - dt.timedelta(seconds=i * 86_400 / IDS_A_DAY + rng.randrange(60))
        article_id = NEWEST_ID - i
        created = published.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
        doc.update(article_id=article_id, published_at=published,
                   url=f"https://www.nbd.com.cn/articles/{created}/{article_id}.html")
        return doc
