"""The replica site as data: a section tree plus compact per-article metadata.

Everything is derived from (seed, articles) with `random.Random` seeded by ints or strings
(string seeds are hashed with SHA-512 by `random`, so PYTHONHASHSEED does not matter). Only a
few ints are stored per article; titles, bodies, images and related links are generated on
demand, so a 50,000-article site starts fast and stays small in memory.

Growth and corrections (for scheduled incremental crawls: run 1 on `Site(seed, n)`, run 2 on
`Site(seed, n, grow=K, correct=(PATH,))`):
- `grow=K` appends K new articles to the site of `Site(seed, n)`: indices n..n+K-1, dated after
  the newest base article and after the base site's Last-Modified (so from 2025 on), in existing
  columns, from their own random stream (so the base draws are untouched, and `grow=K1` is a
  prefix of `grow=K2` for K1 < K2). Everything an existing article page shows is computed from
  the base articles only (`base_n`): its related list, the sidebar's 图片新闻 and 生活资讯
  (`subtree_latest(..., limit=base_n)`), so every base article page stays byte-identical. Hub
  pages (home, channel/topic boxes, column lists, calendars) list all articles.
- `correct=(PATH, ...)` (page-1 paths, `_01` alias or any page of the article accepted): the
  article's last page gets `correction_text()` appended as a final body paragraph and is served
  with Last-Modified = publish time + 1 day (`Article.page_mtime`). Its other pages are unchanged
  (a crawler that only revalidates page 1 of a multi-page article misses the correction).

Days (for scheduled runs placed on a simulated day: `Site(seed, n, day=D, daily=K)`): the base
site as it stands on day 0 (2025-01-01 +08:00), plus D days of news, corrections and late filings;
see `days.py`. Column lists are kept in publication order (not index order), because an article
filed late sits among older ones.

Variants (`Site(seed, n, variant=XCNEWS_VARIANT)`, `--variant xcnews`): another county site of the
same zjol platform, under its own host and directory, with its own name and its own channel and
column ids and names, from the same draws (same articles, same section tree). The default,
`SZNEWS_VARIANT`, is the site every other test crawls.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .days import Day

HOST_ROOT = "http://sznews.zjol.com.cn"
SITE_NAME = "嵊州新闻网"
PER_PAGE = 20
TZ = dt.timezone(dt.timedelta(hours=8))
_START = int(dt.datetime(2008, 1, 1, tzinfo=TZ).timestamp())
_END = int(dt.datetime(2024, 12, 31, 23, 59, 59, tzinfo=TZ).timestamp())
_DIV_TEMPLATE_FROM = dt.datetime(2016, 1, 1, tzinfo=TZ).timestamp()
# The third markup (2019 on, so about a third of 2008-2024): written from what the text of a
# real 2020 page shows (SITE.md), not from the crawler's selectors.
_PLAIN_TEMPLATE_FROM = dt.datetime(2019, 1, 1, tzinfo=TZ).timestamp()

# (path, name, kind hint) -- path segments below /sznews/. Order matters: it is the page order.
_TREE: list[tuple[str, str]] = [
    ("xwpd", "新闻频道"),
    ("xwpd/jrsz", "今日嵊州"),
    ("xwpd/jrsz/szjj", "时政经济"),
    ("xwpd/jrsz/shms", "社会民生"),
    ("xwpd/xzww", "乡镇网闻"),
    ("xwpd/bmdt", "部门动态"),
    ("szzt", "专题频道"),
    ("szzt/ggkf30", "纪念改革开放三十周年专题报道"),
    ("szzt/ggkf30/qssn", "求索三十年"),
    ("szzt/ggkf30/jbsn", "巨变三十年"),
    ("szzt/ldyjj9", "第九届嵊州.中国领带越剧节"),
    ("szzt/ldyjj9/dtxx", "动态信息"),
    ("szzt/ldyjj9/jcbd", "精彩瞬间"),
    ("szzt/cycx", "创业创新专题"),
    ("szzt/cycx/cyxf", "创业先锋"),
    ("whpd", "文化频道"),
    ("whpd/yjzx", "越剧之乡"),
    ("whpd/wsgc", "文史钩沉"),
    ("shpd", "生活频道"),
    ("shpd/shzx", "生活资讯"),
    ("shpd/jkys", "健康养生"),
]
# Columns with a `往期回顾` calendar link (the crawler trap).
_CALENDAR_COLUMNS = {"xwpd/jrsz/szjj", "xwpd/xzww", "whpd/yjzx"}
# Relative weight of each column when assigning articles.
COLUMN_WEIGHTS = {"xwpd/jrsz/szjj": 6, "xwpd/jrsz/shms": 4, "xwpd/xzww": 5, "xwpd/bmdt": 3}


@dataclass(frozen=True)
class Variant:
    """A county site of the zjol platform: where it lives and what it calls things.

    `sections` renames the tree: a `_TREE` path (the section's `key`) to the section's own
    directory name and name on this site; a section not named keeps the tree's. The tree's
    shape, and so every draw of the site, is the same on every variant."""

    host: str
    dir_name: str  # "sznews": the site is under /sznews/
    site_name: str
    city: str  # in nav labels: 嵊州论坛, 嵊州专题
    owner: str  # the footer's 主办
    friends: tuple[str, ...]  # sibling hosts in the 友情链接 block
    sections: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def root(self) -> str:
        """Scheme and host of the real site, as proxied (`HOST_ROOT` for the default)."""
        return f"http://{self.host}"

    @property
    def prefix(self) -> str:
        """The site's directory as a path: `/sznews/`."""
        return f"/{self.dir_name}/"


SZNEWS_VARIANT = Variant("sznews.zjol.com.cn", "sznews", SITE_NAME, "嵊州", "嵊州市融媒体中心",
                         ("xcnews.zjol.com.cn", "synews.zjol.com.cn"))
# A made-up sibling (新昌, xcnews.zjol.com.cn/xcnews/...) whose channels and columns all have
# other ids and names, for the test that a new site profile is all another site needs.
XCNEWS_VARIANT = Variant(
    "xcnews.zjol.com.cn", "xcnews", "新昌新闻网", "新昌", "新昌县融媒体中心",
    ("sznews.zjol.com.cn", "synews.zjol.com.cn"),
    {
        "xwpd": ("news", "新闻中心"),
        "xwpd/jrsz": ("jrxc", "今日新昌"),
        "xwpd/jrsz/szjj": ("szyw", "时政要闻"),
        "xwpd/jrsz/shms": ("msbb", "民生播报"),
        "xwpd/xzww": ("xzdt", "乡镇动态"),
        "xwpd/bmdt": ("bmxx", "部门信息"),
        "szzt": ("topic", "专题报道"),
        "szzt/ggkf30": ("ggkf", "改革开放专题"),
        "szzt/ggkf30/qssn": ("qs", "求索篇"),
        "szzt/ggkf30/jbsn": ("jb", "巨变篇"),
        "szzt/ldyjj9": ("cwh", "茶文化节"),
        "szzt/ldyjj9/dtxx": ("hdxx", "活动信息"),
        "szzt/ldyjj9/jcbd": ("jctp", "精彩图片"),
        "szzt/cycx": ("cyzt", "创业专题"),
        "szzt/cycx/cyxf": ("cymx", "创业明星"),
        "whpd": ("culture", "文化天地"),
        "whpd/yjzx": ("tdsy", "天姥诗韵"),
        "whpd/wsgc": ("lsjy", "历史记忆"),
        "shpd": ("life", "生活服务"),
        "shpd/shzx": ("bmfw", "便民服务"),
        "shpd/jkys": ("jkzx", "健康资讯"),
    },
)
VARIANTS = {"sznews": SZNEWS_VARIANT, "xcnews": XCNEWS_VARIANT}

ORGS = [
    "鹿山街道", "三界镇", "剡湖街道", "浦口街道", "金庭镇", "崇仁镇", "长乐镇", "甘霖镇",
    "黄泽镇", "下王镇", "市农业局", "市教育局", "市妇联", "市文广局", "市人民医院", "市公安局",
]
ACTIONS = [
    "领带企业稳步发展", "新食堂投入使用", "举行越剧演出", "开展送科技下乡活动",
    "党组织书记集中培训", "来料加工助农增收", "冷门产品也热销", "献给母校的特殊礼物",
    "启动土地流转试点", "幼儿园组织逃生演练", "推进新农村建设", "组织专家义诊",
    "开展家庭教育巡讲", "引领妇女“树新形象 创新业绩”", "茶叶喜获丰收",
]
# Titles with characters outside GB2312 (but inside GBK): the page still declares gb2312.
GBK_TITLES = [
    "王喆：把越剧唱进新时代", "陈堃获评市“最美教师”", "镕基同志考察嵊州二十周年座谈会召开",
    "市民王喆剡溪边拍白鹭", "李堃：扎根山区二十年",
]
PARAGRAPHS = [
    "为确保深化拓展主题实践活动扎实推进，市妇联党组专题研究部署，制订工作方案。",
    "动员全体干部以更加主动的姿态、更加积极的态度，全面贯彻市委的决策部署。",
    "进一步摸清基层和妇女对机关服务创业创新的主要期盼，研究提出服务基层的办法举措。",
    "集中一个星期左右时间，分四小组开展专题调研，形成调研报告。",
    "通过结对联系，发掘一批创业创新的先进典型，解决一批制约创业创新的突出问题。",
    "举办百村成果展和来料加工经验交流会，进一步激励广大农村妇女的创业热情。",
    "联合科协、农业、林业、卫生等部门，组织志愿者深入乡镇开展送科技、送医疗服务。",
    "发放各种科普宣传资料、实用手册一千八百册，受惠群众一千人次，得到当地群众的好评。",
    "搭建创业创新平台，拓宽创业创新渠道，优化创业创新环境。",
    "交流会吸引了全市各地的一千多名妇女前来求职应聘。",
    "在文化广场组织开展了以维护合法权益为主题的宣传周活动。",
    "继续推进春蕾计划实施，开展送温暖活动，实施留守儿童关爱工程。",
    "下村头，走社区，进学校，举行专题讲座，逐步发展村级家庭教育指导中心。",
    "将心理健康服务由城市推广到农村去，把人文关怀理念渗透到各项工作中。",
    "嵊州小吃节吸引了大批游客，榨面、小笼包、炒年糕备受欢迎。",
    "今年以来，我市领带产业克服原材料价格上涨等不利因素，保持平稳增长。",
    "市农业部门组织技术人员下乡，指导农户做好茶叶春季管理。",
    "农村土地承包经营权流转工作稳步推进，规模经营面积不断扩大。",
    "昨天上午，市领导深入甘霖、长乐等乡镇，实地察看重点工程建设情况。",
    "市教育局部署新学年工作，要求各校切实抓好安全教育。",
    "入夏以来，我市持续高温，电力部门全力保障居民用电。",
    "越剧艺术节期间，来自全国各地的越剧爱好者齐聚剡溪两岸。",
    "市人民医院专家赴下王镇开展义诊活动，为群众免费测量血压血糖。",
    "全市上下认真学习实践科学发展观，推动经济社会又好又快发展。",
    "镕基同志当年考察时提出的要求，至今仍激励着全市干部群众。",
    "市民王喆在剡溪边拍下了白鹭翩飞的美景，引来众多网友点赞。",
    "陈堃老师扎根山区学校二十年，获评市优秀教师。",
]
CAPTIONS = [
    "图为活动现场", "图为志愿者为群众服务", "剡溪两岸风光", "越剧演出现场", "图为新落成的食堂",
    "专家为群众义诊", "王喆（左）在活动现场", "茶农采摘春茶",
]
SOURCES = ["", "", "嵊州新闻网", "今日嵊州", "嵊州日报", "嵊州市融媒体中心"]
AUTHORS = [
    "", "", "记者 胡吉", "通讯员 马玉龙", "文字 胡吉 闾高桥 摄影 马玉龙 吴燕钧", "记者 王喆",
    "通讯员 李堃 钱晓峰", "记者 吴燕钧",
]
EDITORS = ["", "赵波英", "钱晓峰", "钱晓峰", "吴燕钧"]
CORRECTION_DELAY = dt.timedelta(days=1)
# Gap between consecutive new articles of `grow=K` (seconds, drawn uniformly).
_GROW_GAP = (1800, 2 * 86400)


def correction_text(title: str, when: dt.datetime, fixed: dt.datetime | None = None) -> str:
    """The paragraph a correction appends to the end of an article's body (its last page).
    `fixed` (the correction's time; default publication + 1 day) is in the text, so a second
    correction on another day adds a different paragraph."""
    day = fixed if fixed is not None else when + CORRECTION_DELAY
    return (f"（更正：本网{when:%Y年%m月%d日}刊发的《{title}》一文中部分表述有误，"
            f"已于{day:%Y年%m月%d日}更正。特此说明。）")


def npages_of(seed: int, aid: str) -> int:
    """Pages of the article with this id: about 10% have 2-4, drawn from the id alone."""
    r = random.Random(f"{seed}:pages:{aid}")
    return r.randint(2, 4) if r.random() < 0.10 else 1


def stable_hash(*parts: object) -> int:
    """A process-independent hash (crc32), because str hash() varies with PYTHONHASHSEED."""
    return zlib.crc32(":".join(str(p) for p in parts).encode("utf-8"))


def pic_path(num: int, suffix: str) -> str:
    """Image URL path: id padded to 9 digits, split 1/2/2/2, file named by the unpadded id."""
    p = f"{num:09d}"
    return f"/pic/{p[0]}/{p[1:3]}/{p[3:5]}/{p[5:7]}/{num}_{suffix}.jpg"


@dataclass
class Section:
    """One section (channel, topic or column); `path` is below the site's directory (`prefix`,
    /sznews/), e.g. 'xwpd/jrsz'; `key` is its path in `_TREE` (the same on every variant)."""

    path: str
    name: str
    parent: Section | None
    children: list[Section] = field(default_factory=list)
    articles: list[int] = field(default_factory=list)  # column only; oldest first
    calendar: bool = False
    key: str = ""
    prefix: str = "/sznews/"

    @property
    def kind(self) -> str:
        """channel: top level; column: has no child sections (a list page); topic: others."""
        if self.parent is None:
            return "channel"
        return "topic" if self.children else "column"

    @property
    def url_path(self) -> str:
        return f"{self.prefix}{self.path}/index.shtml"

    @property
    def lineage(self) -> list[Section]:
        out: list[Section] = []
        s: Section | None = self
        while s is not None:
            out.append(s)
            s = s.parent
        return out[::-1]

    @property
    def list_pages(self) -> int:
        if self.kind != "column":
            return 1
        return max(1, -(-len(self.articles) // PER_PAGE))

    def list_page_path(self, k: int) -> str:
        name = "index.shtml" if k == 0 else f"index_{k}.shtml"
        return f"{self.prefix}{self.path}/{name}"


@dataclass
class Block:
    """A body paragraph: kind 'p' (indented text), 'img' (image path) or 'cap' (caption)."""

    kind: str
    text: str


@dataclass
class Article:
    """Full generated content of one article (built lazily, cached)."""

    index: int
    aid: str
    ts: int
    column: Section
    title: str
    source: str
    author: str
    editor: str
    pages: list[list[Block]]
    related: list[tuple[int, bool]]  # (article index, link uses the _01 form)
    banner: bool
    corrected: bool = False  # the last page carries a correction paragraph
    # When each correction was made, oldest first (`correct=`: publish time + 1 day).
    corrections: tuple[dt.datetime, ...] = ()
    filed: dt.datetime | None = None  # filed late (days.py): when it appeared on the site

    @property
    def corrected_at(self) -> dt.datetime | None:
        """When the latest correction was made, or None."""
        return self.corrections[-1] if self.corrections else None

    def page_mtime(self, n: int) -> dt.datetime:
        """Last-Modified of page n: when the article appeared (its publish time, unless filed
        late), or the latest correction's time for the page that changed (the last page)."""
        appeared = max(self.when, self.filed) if self.filed else self.when
        if self.corrections and n == len(self.pages):
            return max(appeared, self.corrections[-1])
        return appeared

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.ts, TZ)

    @property
    def div_template(self) -> bool:
        """The 2016-2018 div layout (``contTit``/``contTxt``)."""
        return _DIV_TEMPLATE_FROM <= self.ts < _PLAIN_TEMPLATE_FROM

    @property
    def generation(self) -> str:
        """Which markup renders the article: ``table`` (2008-2015), ``div`` (2016-2018) or
        ``plain`` (2019 on: one meta line, h2 title, label-less breadcrumb, extra nav rows)."""
        if self.ts >= _PLAIN_TEMPLATE_FROM:
            return "plain"
        return "div" if self.ts >= _DIV_TEMPLATE_FROM else "table"

    def page_path(self, n: int) -> str:
        """Path of page n (1-based); page 1 is the plain form, never `_01`."""
        base = f"{self.column.prefix}system/{self.when:%Y/%m/%d}/{self.aid}"
        return f"{base}.shtml" if n == 1 else f"{base}_{n:02d}.shtml"

    def images(self) -> list[tuple[str, str | None]]:
        """(path, caption or None) in page order."""
        out: list[tuple[str, str | None]] = []
        for page in self.pages:
            for b in page:
                if b.kind == "img":
                    out.append((b.text, None))
                elif b.kind == "cap":
                    out[-1] = (out[-1][0], b.text)
        return out


class Site:
    """The generated site. Cheap to build: only ids, times and columns are precomputed."""

    def __init__(self, seed: int = 1, articles: int = 300, grow: int = 0,
                 correct: Iterable[str] = (), *, day: int = 0, daily: int = 0,
                 variant: Variant = SZNEWS_VARIANT) -> None:
        """`articles` base articles, plus `grow` newer ones; `correct`: article paths (page 1,
        or full URLs) served corrected. `n` is the total (articles + grow), `base_n` the base.
        `day=D, daily=K`: the site on simulated day D, K new articles a day (days.py); day 0 is
        the plain site. Growth has its own dates, so it does not combine with days.
        `variant`: which county site of the platform it is (host, directory, names)."""
        if grow < 0 or articles < 0 or day < 0 or daily < 0:
            raise ValueError("articles, grow, day and daily must be >= 0")
        if grow and day:
            raise ValueError("grow and day do not combine: use one or the other")
        self.seed = seed
        self.variant = variant
        self.prefix = variant.prefix
        self.base_n = articles
        self.grow = grow
        self.n = articles + grow
        rng = random.Random(seed)
        self.sections: dict[str, Section] = {}  # by path on this site
        self.by_key: dict[str, Section] = {}  # by path in _TREE
        for key, name in _TREE:
            parent = self.by_key.get(key.rpartition("/")[0]) if "/" in key else None
            own, name = variant.sections.get(key, (key.rpartition("/")[2], name))
            path = f"{parent.path}/{own}" if parent is not None else own
            sec = Section(path, name, parent, calendar=key in _CALENDAR_COLUMNS, key=key,
                          prefix=self.prefix)
            if parent is not None:
                parent.children.append(sec)
            self.sections[path] = sec
            self.by_key[key] = sec
        self.channels = [s for s in self.sections.values() if s.parent is None]
        self.columns = [s for s in self.sections.values() if s.kind == "column"]
        weights = [COLUMN_WEIGHTS.get(c.key, 2) for c in self.columns]

        self.ts = sorted(rng.randrange(_START, _END) for _ in range(articles))
        self.ids: list[str] = []
        self.col: list[int] = []
        next_old, next_new = 10_013_000 + rng.randrange(1000), 30_010_000 + rng.randrange(1000)
        order = list(range(len(self.columns)))
        rng.shuffle(order)
        for i, t in enumerate(self.ts):
            if t < _DIV_TEMPLATE_FROM:
                next_old += rng.randrange(1, 150)
                self.ids.append(f"{next_old:09d}")
            else:
                next_new += rng.randrange(1, 150)
                self.ids.append(f"{next_new:09d}")
            c = order[i] if i < len(order) else rng.choices(range(len(weights)), weights)[0]
            self.col.append(c)
            self.columns[c].articles.append(i)
        # New articles (grow=K): their own stream, after every base article, appended in order
        # (so column lists stay oldest first, and indices stay in time order).
        # They start after the base site's own Last-Modified (the end of 2024, SITE_MTIME in
        # server.py), so grown hub pages get a newer Last-Modified than the base served.
        g = random.Random(f"{seed}:grow")
        t = max(self.ts[-1] if self.ts else 0, _END + 1)
        for i in range(articles, self.n):
            t += g.randrange(*_GROW_GAP)
            if t < _DIV_TEMPLATE_FROM:
                next_old += g.randrange(1, 150)
                self.ids.append(f"{next_old:09d}")
            else:
                next_new += g.randrange(1, 150)
                self.ids.append(f"{next_new:09d}")
            self.ts.append(t)
            c = g.choices(range(len(weights)), weights)[0]
            self.col.append(c)
            self.columns[c].articles.append(i)
        self.by_id = {aid: i for i, aid in enumerate(self.ids)}
        self.npages = [npages_of(seed, aid) for aid in self.ids]
        # Corrections: article index -> when each was made, oldest first.
        self.corrections: dict[int, list[dt.datetime]] = {}
        for p in correct:
            i = self._resolve(p)
            self.corrections.setdefault(i, [self.date(i) + CORRECTION_DELAY])
        self.filed: dict[int, int] = {}  # filed late (days.py): index -> when it appeared
        from .days import add_days  # days.py builds on this module

        self.day, self.daily = day, daily
        self.days: list[Day] = add_days(self, day, daily, next_new)
        self.corrected: frozenset[int] = frozenset(self.corrections)
        self._newest = max(self.ts, default=0)
        self.article = lru_cache(maxsize=4096)(self._article)

    def _resolve(self, path: str) -> int:
        """Index of the article at `path` (any page, `_01` alias, or a full URL)."""
        found = self.find_article(urlsplit(path).path if "://" in path else path)
        if found is None:
            raise ValueError(f"correct: no article at {path!r}")
        return found[0]

    @property
    def newest_ts(self) -> int:
        """Publish time of the newest article (0 if none)."""
        return self._newest

    @property
    def hub_ts(self) -> int:
        """When hub and list pages last changed: the newest publication or late filing."""
        return max(self._newest, max(self.filed.values(), default=0))

    def appeared_ts(self, i: int) -> int:
        """When article i appeared on the site: its publish time, unless it was filed late."""
        return self.filed.get(i, self.ts[i])

    def time_key(self, i: int) -> tuple[int, int]:
        """Sort key of list order (publication time, then index), oldest first."""
        return self.ts[i], i

    def new_articles(self) -> range:
        """Indices of the articles added by `grow` or by days 1..D (empty without either)."""
        return range(self.base_n, self.n)

    # ---- articles -------------------------------------------------------------------------
    def title(self, i: int) -> str:
        r = random.Random(f"{self.seed}:title:{self.ids[i]}")
        if r.random() < 0.06:
            return r.choice(GBK_TITLES)
        return r.choice(ORGS) + r.choice(ACTIONS)

    def date(self, i: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.ts[i], TZ)

    @property
    def root(self) -> str:
        """Scheme and host of the real site this replicates (`HOST_ROOT` by default)."""
        return self.variant.root

    def path(self, i: int, n: int = 1) -> str:
        base = f"{self.prefix}system/{self.date(i):%Y/%m/%d}/{self.ids[i]}"
        return f"{base}.shtml" if n == 1 else f"{base}_{n:02d}.shtml"

    def _article(self, i: int) -> Article:
        aid = self.ids[i]
        r = random.Random(f"{self.seed}:article:{aid}")
        npages = self.npages[i]
        pages: list[list[Block]] = []
        img_k = 0
        has_images = r.random() < 0.3
        for _ in range(npages):
            page = [Block("p", r.choice(PARAGRAPHS)) for _ in range(r.randint(3, 7))]
            if has_images and (img_k == 0 or r.random() < 0.4) and img_k < 3:
                pos = r.randint(1, len(page))
                num = 10_100_000 + i * 4 + img_k
                blocks = [Block("img", pic_path(num, f"{r.randrange(1_000_000):06d}"))]
                if r.random() < 0.5:
                    blocks.append(Block("cap", r.choice(CAPTIONS)))
                page[pos:pos] = blocks
                img_k += 1
            pages.append(page)
        related: list[tuple[int, bool]] = []
        if self.base_n > 1:  # base articles only: growth must not change existing pages
            for _ in range(r.choice([0, 1, 2, 2, 3, 4, 4])):
                j = r.randrange(self.base_n)
                if j != i and j not in [x for x, _ in related]:
                    related.append((j, r.random() < 0.25))
        title = self.title(i)
        fixes = tuple(self.corrections.get(i, ()))
        for fixed in fixes:
            pages[-1].append(Block("p", correction_text(title, self.date(i), fixed)))
        filed = dt.datetime.fromtimestamp(self.filed[i], TZ) if i in self.filed else None
        return Article(
            index=i, aid=aid, ts=self.ts[i], column=self.columns[self.col[i]],
            title=title, source=r.choice(SOURCES), author=r.choice(AUTHORS),
            editor=r.choice(EDITORS), pages=pages, related=related,
            banner=self.has_banner(self.path(i)), corrected=bool(fixes),
            corrections=fixes, filed=filed,
        )

    def has_banner(self, path: str) -> bool:
        """About 20% of article/section pages show `网站维护中` in place of the logo row."""
        return stable_hash(self.seed, "banner", path) % 5 == 0

    def find_article(self, path: str) -> tuple[int, int] | None:
        """Map an article URL path to (index, page number); accepts the `_01` alias."""
        parts = path.split("/")
        if len(parts) != 7 or parts[1:3] != [self.variant.dir_name, "system"]:
            return None
        name = parts[6]
        if not name.endswith(".shtml"):
            return None
        stem = name[: -len(".shtml")]
        aid, _, suffix = stem.partition("_")
        i = self.by_id.get(aid)
        if i is None or f"{self.date(i):%Y/%m/%d}" != "/".join(parts[3:6]):
            return None
        if not suffix:
            return i, 1
        if len(suffix) != 2 or not suffix.isdigit():
            return None
        n = int(suffix)
        if not 1 <= n <= self.npages[i]:
            return None
        return i, n

    def find_image(self, path: str) -> bool:
        """Whether `path` is an image referenced by some article."""
        return self.image_article(path) is not None

    def image_article(self, path: str) -> int | None:
        """Index of the article whose body shows the image at `path`, or None."""
        name = path.rsplit("/", 1)[-1]
        try:
            num = int(name.split("_", 1)[0])
        except ValueError:
            return None
        i, _k = divmod(num - 10_100_000, 4)
        if not 0 <= i < self.n:
            return None
        return i if any(p == path for p, _ in self.article(i).images()) else None

    # ---- sections -------------------------------------------------------------------------
    def subtree_latest(self, sec: Section, k: int, limit: int | None = None) -> list[int]:
        """The k newest article indices in a section's subtree, newest first; with `limit`,
        only indices below it (`limit=base_n`: as the base site, ignoring growth and days)."""
        if sec.kind == "column":
            arts = sec.articles
            if limit is not None:
                arts = [i for i in arts if i < limit]
            return arts[::-1][:k]
        pool: list[int] = []
        for child in sec.children:
            pool.extend(self.subtree_latest(child, k, limit))
        return sorted(pool, key=self.time_key, reverse=True)[:k]

    def column_page(self, sec: Section, k: int) -> list[int]:
        """Article indices on list page k (0-based) of a column, newest first."""
        arts = sec.articles
        hi = len(arts) - k * PER_PAGE
        return arts[max(0, hi - PER_PAGE): max(0, hi)][::-1]

    def find_section(self, path: str) -> tuple[Section, int] | None:
        """Map `/sznews/<p>/index.shtml`, `index_K.shtml` or `/sznews/<p>/` to (section, page)."""
        if not path.startswith(self.prefix):
            return None
        rest = path[len(self.prefix):]
        d, _, name = rest.rpartition("/")
        sec = self.sections.get(d)
        if sec is None:
            return None
        if name in ("", "index.shtml"):
            return sec, 0
        if name.startswith("index_") and name.endswith(".shtml"):
            num = name[len("index_"): -len(".shtml")]
            ok = num.isdigit() and not num.startswith("0") and sec.kind == "column"
            if ok and 0 < int(num) < sec.list_pages:
                return sec, int(num)
        return None

    def day_articles(self, sec: Section, day: dt.date) -> list[int]:
        """Articles of a column published on `day` (for calendar pages), newest first."""
        lo = int(dt.datetime(day.year, day.month, day.day, tzinfo=TZ).timestamp())
        times = [self.ts[i] for i in sec.articles]
        a, b = bisect.bisect_left(times, lo), bisect.bisect_left(times, lo + 86400)
        return sec.articles[a:b][::-1]

    def flap_selected(self, path: str) -> bool:
        """The seeded ~10% of article/section URLs that flap under `--maintenance flap=K`."""
        return stable_hash(self.seed, "flap", path) % 10 == 0


def correctable_path(site: Site, multipage: bool = False) -> str:
    """A deterministic base article (page-1 path) to pass to `correct=`: single-page, or with
    `multipage=True` one of 2+ pages. Prefers articles that are neither in the sidebar nor among
    the newest (so a correction shows nowhere but on the article). ValueError if none fits."""
    side = set(range(max(0, site.base_n - 8), site.base_n))
    side |= set(site.subtree_latest(site.by_key["shpd"], 3, limit=site.base_n))
    fits = [i for i in range(site.base_n)
            if (site.npages[i] > 1) == multipage and i not in side]
    if not fits:
        raise ValueError(f"no {'multi' if multipage else 'single'}-page article to correct")
    return site.path(fits[stable_hash(site.seed, "correctable", multipage) % len(fits)])
