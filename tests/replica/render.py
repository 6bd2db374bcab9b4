"""Page renderers: markup copied from tests/samples/, filled with generated content.

Every function returns GBK bytes (the pages declare gb2312 but contain GBK-only characters,
as the real site does). `root` is the scheme+host absolute links are written with, so the same
site serves as origin (http://127.0.0.1:PORT) and as a proxy for http://sznews.zjol.com.cn.

What differs between county sites of the platform (model.Variant) is filled into the templates:
`{d}` the site's directory (/sznews/), `{site}` its name, `{city}`, `{owner}`, `{q}` the city
URL-quoted, and `{p[KEY]}` / `{n[KEY]}` the path and name of the section at `_TREE` path KEY.
"""

from __future__ import annotations

import datetime as dt
import random
from html import escape
from urllib.parse import quote

from .model import Article, Section, Site, Variant, stable_hash

_HEAD = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml"><head>\n'
    '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />\n'
    "<title>{title}</title>\n"
    '<link href="{d}css/style.css" rel="stylesheet" type="text/css" />\n'
    '<script type="text/javascript" src="{d}js/common.js"></script>\n'
    "</head>\n<body>\n"
)
_T960 = '<table width="960" border="0" align="center" cellpadding="0" cellspacing="0"'
_TOP = (
    _T960 + ' class="top"><tr><td><a href="{root}/"><img src="{d}images/logo.gif" '
    'alt="{site}" /></a></td><td class="search"><form action="{d}search/search.php" '
    'method="get"><input name="q" type="text" /><input type="submit" value="站内搜索" />'
    "</form></td></tr></table>"
)
_WEIHU = _T960 + '><tr><td class="weihu" align="center">网站维护中</td></tr></table>'
_NAV = (
    _T960 + ' class="nav"><tr><td><a href="{root}/">首 页</a> | '
    '<a href="{d}{p[xwpd]}/index.shtml">{n[xwpd]}</a> | '
    '<a href="{d}{p[xwpd/jrsz]}/index.shtml">{n[xwpd/jrsz]}</a> | '
    '<a href="{d}{p[szzt]}/index.shtml">{n[szzt]}</a> | '
    '<a href="{d}{p[whpd]}/index.shtml">{n[whpd]}</a> | '
    '<a href="{d}{p[shpd]}/index.shtml">{n[shpd]}</a> | '
    '<a href="http://bbs.zjol.com.cn/forum-sz.html" target="_blank">{city}论坛</a> | '
    '<a href="http://v.zjol.com.cn{d}" target="_blank">{city}网视</a> | '
    '<a href="{d}search/search.php?q={q}">热门搜索</a></td></tr></table>'
)
_MAIN_OPEN = _T960 + '><tr><td width="650" valign="top" class="main">'
_SIDE_OPEN = '</td><td width="10"></td><td width="300" valign="top" class="side">'
_FOOT = (
    "</td></tr></table>\n"
    + _T960
    + ' class="footer"><tr><td align="center">{owner}主办 浙江在线新闻网站平台支持'
    "<br />{site}版权所有.保留所有权利</td></tr></table>\n</body></html>\n"
)


def _links(variant: Variant) -> str:
    """The 友情链接 block: 浙江在线, the sibling county sites, the mobile site, a poll."""
    sites = ["http://www.zjol.com.cn/", *(f"http://{host}/" for host in variant.friends),
             "http://m2.zjol.com.cn/msite/"]
    return ('<div class="links">友情链接：'
            + "".join(f'<a href="{url}" target="_blank">{url}</a> ' for url in sites)
            + '<a href="/cgi-bin/vote.cgi?id=1" target="_blank">网上调查</a> </div>')


# The third generation's own head and header rows (the sidebar and footer are the site-wide
# includes every generation shares).
_HEAD_PLAIN = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml"><head>\n'
    '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />\n'
    "<title>{title}</title>\n"
    '<link href="{d}css/style.css" rel="stylesheet" type="text/css" />\n'
    '<link href="{d}css/wz2019.css" rel="stylesheet" type="text/css" />\n'
    '<script type="text/javascript" src="{d}js/wz2019.js"></script>\n'
    "</head>\n<body>\n"
)
_LOGO_PLAIN = (
    '<div class="tophead"><a href="{root}/"><img src="{d}images/logo.gif" '
    'alt="{site}" /></a></div>'
)
_WEIHU_PLAIN = '<div class="tophead"><b>网站维护中</b></div>'
_MENU_PLAIN = (
    '<div class="menu"><a href="{root}/">首 页</a> | <a href="{d}{p[xwpd]}/">{n[xwpd]}</a> | '
    '<a href="{d}{p[xwpd/jrsz]}/">{n[xwpd/jrsz]}</a> | '
    '<a href="{d}{p[xwpd/xzww]}/">{n[xwpd/xzww]}</a> | '
    '<a href="{d}{p[szzt]}/">{city}专题</a> | '
    '<a href="http://bbs.zjol.com.cn/forum-sz.html" target="_blank">{city}论坛</a> | '
    '<a href="{d}{p[whpd]}/">{n[whpd]}</a> | <a href="{d}{p[shpd]}/">{n[shpd]}</a> | '
    '<a href="{d}{p[shpd/jkys]}/">健康在线</a> |</div>'
    '<div class="submenu"><a href="{d}{p[xwpd]}/index.shtml">综合新闻</a> -- '
    '<a href="{d}{p[xwpd/jrsz]}/index.shtml">{n[xwpd/jrsz]}</a> -- '
    '<a href="{d}{p[xwpd/xzww]}/index.shtml">{n[xwpd/xzww]}</a> -- '
    '<a href="{d}{p[xwpd/bmdt]}/index.shtml">{n[xwpd/bmdt]}</a></div>'
    '<div class="userbar">[<a href="http://bbs.zjol.com.cn/member.php?mod=register" '
    'target="_blank">论坛注册</a>] [<a href="http://bbs.zjol.com.cn/member.php?mod=logging" '
    'target="_blank">登录</a>]</div>'
)
_MAIN_PLAIN = (
    '<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">'
    '<tr><td width="680" valign="top" class="lcol">'
)


def _enc(html: str) -> bytes:
    return html.encode("gbk")


def e_(text: str) -> str:
    return escape(text, quote=False)


class Renderer:
    """Renders pages of one Site; caches the site-wide sidebar per root."""

    def __init__(self, site: Site, live_picbox: bool = False) -> None:
        """`live_picbox`: the 图片新闻 box shows the site's newest articles (days.py), so every
        page changes when news comes in, while the articles themselves do not."""
        self.site = site
        self.live_picbox = live_picbox
        self._side: dict[str, str] = {}
        v = site.variant
        self.site_name = v.site_name
        self.prefix = v.prefix
        self._fields = {
            "d": v.prefix, "site": v.site_name, "city": v.city, "owner": v.owner,
            "q": quote(v.city), "p": {k: sec.path for k, sec in site.by_key.items()},
            "n": {k: sec.name for k, sec in site.by_key.items()},
        }
        self.links = _links(v)

    def fill(self, template: str, **values: str) -> str:
        """A template with this site's fields (and `values`: root, title) filled in."""
        return template.format(**self._fields, **values)

    # ---- shared blocks --------------------------------------------------------------------
    def _header(self, root: str, title: str, banner: bool) -> str:
        top = _WEIHU if banner else self.fill(_TOP, root=root)
        return self.fill(_HEAD, title=e_(title)) + top + self.fill(_NAV, root=root)

    def picnews(self) -> list[tuple[int, bool]]:
        """Sidebar picture news: (article index, use `_01` link) for the 8 newest base articles
        (growth leaves the sidebar alone, so existing pages stay byte-identical)."""
        s = self.site
        latest = list(range(s.base_n - 1, max(-1, s.base_n - 9), -1))
        if self.live_picbox:
            latest = sorted(range(max(0, s.base_n - 8), s.n), key=s.time_key)[::-1][:8]
        return [(i, k % 3 == 2) for k, i in enumerate(latest)]

    def sidebar(self, root: str) -> str:
        """The site-wide sidebar, from the base articles only (see `picnews`)."""
        if root in self._side:
            return self._side[root]
        s = self.site
        out = ['<div class="sidebox picnews"><div class="hd">图片新闻</div><ul>']
        for i, alias in self.picnews():
            href = root + (s.path(i)[:-6] + "_01.shtml" if alias else s.path(i))
            imgs = s.article(i).images()
            src = imgs[0][0] if imgs else f"{self.prefix}images/nopic.gif"
            out.append(
                f'<li><a href="{href}" target="_blank"><img src="{src}" width="120" height="90"'
                f' border="0" /></a><a href="{href}" target="_blank">{e_(s.title(i)[:10])}</a></li>'
            )
        out.append('</ul></div><div class="sidebox jpzt"><div class="hd">精品专题</div><dl>')
        for k, t in enumerate(s.by_key["szzt"].children):
            d = f"{self.prefix}{t.path}/"
            out.append(
                f'<dt><a href="{d}index.shtml"><img src="{self.prefix}images/zt_{k}.gif" '
                f'alt="{e_(t.name)}" /></a></dt><dd><a href="{d}index.shtml">{e_(t.name)}</a></dd>'
                f'<dd><a href="{d}">{e_(t.name)}</a></dd>'
            )
        out.append('</dl></div><div class="sidebox shzx"><div class="hd">生活资讯</div><ul>')
        for i in s.subtree_latest(s.by_key["shpd"], 3, limit=s.base_n):
            out.append(f'<li><a href="{s.path(i)}" target="_blank">{e_(s.title(i))}</a></li>')
        out.append("</ul></div>")
        self._side[root] = "".join(out)
        return self._side[root]

    def _position_table(self, root: str, sec: Section) -> str:
        links = [f'<a href="{root}/">{self.site_name}</a>']
        links += [f'<a href="{x.url_path}">{e_(x.name)}</a>' for x in sec.lineage]
        inner = "&gt;&gt;".join(links)
        return _T960 + f' class="position"><tr><td>   {inner}</td></tr></table>'

    def _page(self, root: str, title: str, banner: bool, position: str, main: str) -> bytes:
        return _enc(
            self._header(root, title, banner) + position + _MAIN_OPEN + main + _SIDE_OPEN
            + self.sidebar(root) + self.fill(_FOOT)
        )

    # ---- pages ----------------------------------------------------------------------------
    def home(self, root: str) -> bytes:
        s = self.site
        boxes = []
        for ch in s.channels:
            items = "".join(
                f'<li><a href="{s.path(i)}" target="_blank">{e_(s.title(i))}</a></li>'
                for i in s.subtree_latest(ch, 6)
            )
            boxes.append(
                f'<div class="box"><div class="hd"><a href="{ch.url_path}">{e_(ch.name)}</a>'
                f'<span class="more"><a href="{ch.url_path}">更多&gt;&gt;</a></span></div>'
                f"<ul>{items}</ul></div>"
            )
        return self._page(root, self.site_name, False, "", "".join(boxes) + self.links)

    def section(self, root: str, sec: Section, k: int) -> bytes:
        """A box page (channel/topic) or list page k of a column."""
        s = self.site
        banner = s.has_banner(sec.url_path)
        title = f"{sec.name}-{self.site_name}"
        if sec.kind == "column":
            main = self._list(root, sec, k)
        else:
            main = ""
            if sec.parent is not None and sec.parent.key == "szzt":
                main = f'<div class="ztbanner"><h2>{e_(sec.name)}</h2></div>'
            for child in sec.children:
                items = "".join(
                    f'<li><a href="{s.path(i)}" target="_blank">{e_(s.title(i))}</a>'
                    f'<span class="date">{s.date(i):%m-%d}</span></li>'
                    for i in s.subtree_latest(child, 5)
                )
                main += (
                    f'<div class="box"><div class="hd"><a href="{child.url_path}">'
                    f"{e_(child.name)}</a>"
                    f'<span class="more"><a href="{child.url_path}">更多&gt;&gt;</a></span></div>'
                    f"<ul>{items}</ul></div>"
                )
        return self._page(root, title, banner, self._position_table(root, sec), main)

    def _list_items(self, root: str, idxs: list[int]) -> str:
        s = self.site
        return "".join(
            f'<li><span class="date">{s.date(i):%Y-%m-%d}</span><a href="{root}{s.path(i)}"'
            f' target="_blank">{e_(s.title(i))}</a></li>'
            for i in idxs
        )

    def _calendar_link(self, sec: Section) -> str:
        if not sec.calendar:
            return ""
        arts = sec.articles
        day = self.site.date(arts[-1]).date() if arts else dt.date(2024, 12, 31)
        link = f'<a href="calendar.shtml?date={day:%Y-%m-%d}">往期回顾</a>'
        return f'<div class="calendar">{link}</div>'

    def _list(self, root: str, sec: Section, k: int) -> str:
        n = sec.list_pages

        def name(p: int) -> str:
            return "index.shtml" if p == 0 else f"index_{p}.shtml"

        parts = [f"共{n}页", '<a href="index.shtml">首页</a>']
        if k > 0:
            parts.append(f'<a href="{name(k - 1)}">上一页</a>')
        lo = max(0, min(k - 4, n - 10))
        for p in range(lo, min(n, lo + 10)):
            parts.append(f"<b>{p + 1}</b>" if p == k else f'<a href="{name(p)}">{p + 1}</a>')
        if k < n - 1:
            parts.append(f'<a href="{name(k + 1)}">下一页</a>')
        parts.append(f'<a href="{name(n - 1)}">尾页</a>')
        items = self._list_items(root, self.site.column_page(sec, k))
        return (
            f'<div class="list"><ul class="listUl">{items}</ul></div>'
            f'<div class="fenye">{" ".join(parts)}</div>' + self._calendar_link(sec)
        )

    def calendar(self, root: str, sec: Section, day: dt.date) -> bytes:
        """The trap: any date answers, linking to the previous and the next day."""
        prev, nxt = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
        items = self._list_items(root, self.site.day_articles(sec, day))
        main = (
            f'<div class="calendar"><h2>往期回顾 {day:%Y-%m-%d}</h2>'
            f'<a href="calendar.shtml?date={prev:%Y-%m-%d}">前一天</a> '
            f'<a href="calendar.shtml?date={nxt:%Y-%m-%d}">后一天</a></div>'
            f'<div class="list"><ul class="listUl">{items}</ul></div>'
        )
        title = f"{sec.name}-{self.site_name}"
        return self._page(root, title, False, self._position_table(root, sec), main)

    def search(self, root: str) -> bytes:
        """Robots-disallowed search page: small, links nowhere new."""
        return self._page(root, f"站内搜索-{self.site_name}", False, "",
                          "<p>没有找到相关内容。</p>")

    def article(self, root: str, a: Article, n: int) -> bytes:
        """Page n (1-based) of an article, in the template of its date."""
        s = self.site
        body = "".join(self._block(b) for b in a.pages[n - 1])
        pager = self._pager(a, n)
        editor = f'<div class="editor">编辑: {e_(a.editor)}</div>'
        rel = []
        for j, alias in a.related:
            p = s.path(j)
            href = root + (p[:-6] + "_01.shtml" if alias else p)
            rel.append(f'<li><a href="{href}">{e_(s.title(j))}</a></li>')
        relnews = (
            f'<div class="relnews"><div class="hd">相关文章</div><ul>{"".join(rel)}</ul></div>'
        )
        sec = a.column
        title = f"{a.title}-{self.site_name}"
        if a.generation == "plain":
            return self._plain_article(root, a, n, title)
        if a.div_template:
            links = [f'<a href="{root}/">{self.site_name}</a>']
            links += [f'<a href="{x.url_path}">{e_(x.name)}</a>' for x in sec.lineage]
            position = '<div class="position">您当前的位置 : ' + " &gt;&gt; ".join(links) + "</div>"
            main = (
                f'<div class="contTit"><font>{e_(a.title)}</font></div><div class="time">'
                f'<span id="pubtime_baidu">{a.when:%Y年%m月%d日%H:%M:%S}</span> '
                f'<span id="source_baidu">来源:{e_(a.source)}</span> '
                f'<span id="author_baidu">作者:{e_(a.author)}</span></div>'
                f'<div class="contTxt">\n{body}</div>{pager}{editor}{relnews}'
            )
        else:
            position = self._position_table(root, sec)
            main = (
                '<table width="100%" border="0" cellspacing="0" cellpadding="0" class="article">'
                f'<tr><td class="artTitle" align="center"><h1>{e_(a.title)}</h1></td></tr>'
                f'<tr><td class="artInfo" align="center">来源: {e_(a.source)}  作者: '
                f"{e_(a.author)}   {a.when:%Y年%m月%d日%H:%M:%S}</td></tr>"
                f'<tr><td class="artContent"><div id="Zoom">\n{body}</div>{pager}</td></tr>'
                f"<tr><td>{editor}</td></tr></table>{relnews}"
            )
        return self._page(root, title, a.banner, position, main)

    # ---- the third generation (2019 on) ---------------------------------------------------
    # Written from the text of a real 2020 page (SITE.md: "What the text of real pages shows")
    # and the platform's sibling sites, deliberately not from the crawler's selectors: other
    # class names, an h2 title, one meta line in the 2008 order with full- or half-width
    # colons, a breadcrumb row without a label, two extra nav rows, `责任编辑：`, centred
    # images by style, a pager in a block of its own whose page 1 link is the `_01` alias.
    def _plain_article(self, root: str, a: Article, n: int, title: str) -> bytes:
        s = self.site
        v = stable_hash(s.seed, "plain", a.aid)
        colon = "：" if v % 3 else ":"
        gap = " " if v % 5 else "&nbsp;&nbsp;"
        when = (f"{a.when:%Y-%m-%d %H:%M:%S}" if v % 7 == 0
                else f"{a.when:%Y年%m月%d日 %H:%M:%S}" if v % 7 == 1
                else f"{a.when:%Y年%m月%d日%H:%M:%S}")
        meta = (f"来源{colon}{e_(a.source)}{gap}作者{colon}{e_(a.author)}{gap}{when}")
        editor_label = "编辑:" if v % 4 == 0 else "责任编辑："
        crumbs = [f'<a href="{root}/">{self.site_name}</a>']
        crumbs += [f'<a href="{self.prefix}{x.path}/">{e_(x.name)}</a>' for x in a.column.lineage]
        body = "".join(self._plain_block(b) for b in a.pages[n - 1])
        rel = "".join(
            f'<li><a href="{root}{s.path(j)[:-6] + "_01.shtml" if alias else s.path(j)}" '
            f'target="_blank">{e_(s.title(j))}</a></li>'
            for j, alias in a.related
        )
        top = self.fill(_WEIHU_PLAIN if a.banner else _LOGO_PLAIN, root=root)
        head = self.fill(_HEAD_PLAIN, title=e_(title))
        main = (
            f'<div class="dqwz">{" &gt;&gt; ".join(crumbs)}</div>'
            f'<div class="wzbox"><h2>{e_(a.title)}</h2>'
            f'<div class="wzxx">{meta}</div>'
            f'<div class="wznr" id="artibody">\n{body}</div>{self._plain_pager(a, n)}'
            f'<div class="zrbj">{editor_label}{e_(a.editor)}</div></div>'
            f'<div class="xgwz"><h3>相关文章</h3><ul>{rel}</ul></div>'
        )
        return _enc(
            head + top + self.fill(_MENU_PLAIN, root=root) + _MAIN_PLAIN + main + _SIDE_OPEN
            + self.sidebar(root) + self.fill(_FOOT)
        )

    @staticmethod
    def _plain_block(b) -> str:
        if b.kind == "p":
            return f"<p>\u3000\u3000{e_(b.text)}</p>\n"
        if b.kind == "img":
            return f'<p style="text-align: center;"><img src="{b.text}" alt="" /></p>\n'
        return f'<p style="text-align: center;">{e_(b.text)}</p>\n'

    @staticmethod
    def _plain_pager(a: Article, n: int) -> str:
        total = len(a.pages)
        if total == 1:
            return ""

        def name(p: int) -> str:
            return f"{a.aid}_{p:02d}.shtml"

        parts = [f'<a href="{name(n - 1)}">上一页</a>'] if n > 1 else []
        parts += [f"<span>{p}</span>" if p == n else f'<a href="{name(p)}">[{p}]</a>'
                  for p in range(1, total + 1)]
        if n < total:
            parts.append(f'<a href="{name(n + 1)}">下一页</a>')
        return f'<center class="fy">{" ".join(parts)}</center>'

    @staticmethod
    def _block(b) -> str:
        if b.kind == "p":
            return f"<p>\u3000\u3000{e_(b.text)}</p>\n"
        if b.kind == "img":
            return f'<p align="center"><img src="{b.text}" border="0" /></p>\n'
        return f'<p align="center">{e_(b.text)}</p>\n'

    @staticmethod
    def _pager(a: Article, n: int) -> str:
        total = len(a.pages)
        if total == 1:
            return ""

        def name(p: int) -> str:
            return f"{a.aid}.shtml" if p == 1 else f"{a.aid}_{p:02d}.shtml"

        parts = [f"<b>{p}</b>" if p == n else f'<a href="{name(p)}">{p}</a>'
                 for p in range(1, total + 1)]
        if n < total:
            parts.append(f'<a href="{name(n + 1)}">下一页</a>')
        return f'<div class="pages">{" ".join(parts)}</div>'


# ---- static requisites ------------------------------------------------------------------
def style_css(prefix: str = "/sznews/") -> bytes:
    """The site's stylesheet; `prefix`: the site's directory."""
    return (
        "body{margin:0;font-size:12px;font-family:SimSun,serif}\n"
        f".top{{background:url({prefix}images/bg.gif) repeat-x}}\n"
        ".nav{background:#b00;color:#fff}.nav a{color:#fff}\n"
        ".box .hd,.sidebox .hd{font-weight:bold}.more{float:right}\n"
        ".weihu{color:#c00;font-weight:bold}\n"
        ".artTitle h1,.contTit{font-size:22px}#Zoom p,.contTxt p{line-height:2}\n"
    ).encode("ascii")


def wz2019_css(prefix: str = "/sznews/") -> bytes:
    """The 2019 article template's stylesheet; `prefix`: the site's directory."""
    return (
        ".dqwz{line-height:30px}.wzbox h2{font-size:24px;text-align:center}\n"
        ".wzxx{color:#666;text-align:center;"
        f"background:url({prefix}images/line.gif) repeat-x bottom}}\n"
    ).encode("ascii")

WZ2019_JS = (
    b"function wzFont(size){document.getElementById('artibody').style.fontSize=size+'px';}\n"
)
COMMON_JS = b"function fontZoom(size){document.getElementById('Zoom').style.fontSize=size+'px';}\n"


def gif_bytes(name: str) -> bytes:
    """A valid 1x1 GIF whose palette colour depends on the name (deterministic, distinct)."""
    h = stable_hash("gif", name)
    rgb = bytes([h & 0xFF, (h >> 8) & 0xFF, (h >> 16) & 0xFF])
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + rgb + b"\xff\xff\xff"
        b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def photo_bytes(name: str, min_kb: int, max_kb: int) -> bytes:
    """``jpeg_bytes`` padded to a real photo's size (``min_kb``..``max_kb``, chosen by the
    name) with incompressible comment segments, as archives of the real site hold."""
    rnd = random.Random(name)
    size = rnd.randint(min_kb * 1024, max_kb * 1024)
    base = jpeg_bytes(name)
    pad = bytearray()
    while len(base) + len(pad) < size:
        chunk = rnd.randbytes(min(65000, size - len(base) - len(pad)))
        pad += b"\xff\xfe" + (len(chunk) + 2).to_bytes(2, "big") + chunk
    return base[:2] + bytes(pad) + base[2:]


def jpeg_bytes(name: str) -> bytes:
    """A valid baseline 1x1 grey JPEG; a COM segment carries the name to make it distinct."""
    com = name.encode("ascii", "replace")[:200]
    dht_dc = b"\xff\xc4\x00\x14\x00\x01" + b"\x00" * 15 + b"\x00"
    dht_ac = b"\xff\xc4\x00\x14\x10\x01" + b"\x00" * 15 + b"\x00"
    return (
        b"\xff\xd8"
        + b"\xff\xfe" + (len(com) + 2).to_bytes(2, "big") + com
        + b"\xff\xdb\x00\x43\x00" + b"\x01" * 64
        + b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00"
        + dht_dc + dht_ac
        + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
        + b"\x3f"
        + b"\xff\xd9"
    )
